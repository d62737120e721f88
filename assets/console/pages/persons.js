// The register: search and filters (issue 24).
import { heading } from '../ui.js';

export default {
  id: 'persons',
  title: '人员',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_PERSONS'),
  async render(main, ctx) {
    ctx.ui.mount(main, heading('人员'));
  },
};
