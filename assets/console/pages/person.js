// One person: golden record, evidence, records, history, letters, follow-up (issue 24).
import { heading } from '../ui.js';

export default {
  id: 'person',
  title: '人员详情',
  nav: false,
  parent: 'persons',
  allowed: (viewer, can) => can('READ_PERSONS'),
  async render(main, ctx) {
    ctx.ui.mount(main, heading('人员详情'));
  },
};
