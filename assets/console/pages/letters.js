// Letters: draft, issue, replies; replies to notices (issue 24).
import { heading } from '../ui.js';

export default {
  id: 'letters',
  title: '协查函',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_LETTERS'),
  async render(main, ctx) {
    ctx.ui.mount(main, heading('协查函'));
  },
};
