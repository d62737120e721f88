// The day's briefing: figures, text and charts (issue 24).
import { heading } from '../ui.js';

export default {
  id: 'briefing',
  title: '今日概况',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_AGGREGATES'),
  async render(main, ctx) {
    ctx.ui.mount(main, heading('今日概况'));
  },
};
