// The review queue and the township verification worklists (issue 24).
import { heading } from '../ui.js';

export default {
  id: 'review',
  title: '待核实',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_REVIEW') || can('READ_PERSONS'),
  async render(main, ctx) {
    ctx.ui.mount(main, heading('待核实'));
  },
};
