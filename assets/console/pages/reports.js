// Daily reports: today's filings, missing townships, filing (issue 24).
import { heading } from '../ui.js';

export default {
  id: 'reports',
  title: '日报',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_PERSONS'),
  async render(main, ctx) {
    ctx.ui.mount(main, heading('日报'));
  },
};
