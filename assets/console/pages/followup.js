// Follow-up: observation, due checks, readings, alerts, teams (issue 24).
import { heading } from '../ui.js';

export default {
  id: 'followup',
  title: '居家观察',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('FIELD_WORK') || can('RESOLVE'),
  async render(main, ctx) {
    ctx.ui.mount(main, heading('居家观察'));
  },
};
