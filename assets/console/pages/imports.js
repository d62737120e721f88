// Imports: upload a source file, its report, past batches (issue 24).
import { heading } from '../ui.js';

export default {
  id: 'imports',
  title: '导入',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('IMPORT') || can('SUBMIT_NOTICE'),
  async render(main, ctx) {
    ctx.ui.mount(main, heading('导入'));
  },
};
