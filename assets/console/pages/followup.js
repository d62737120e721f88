// Follow-up (居家观察): persons under observation by township and village, today's due
// checks, readings entered for many persons at once, the township's temperature and team
// sheets, open alerts to acknowledge and resolve (new ones pushed live), teams (issue 24).
import { h, mount, heading, section, field, figure, errorBox, loading, toast, busy, badge, dateTime, select, table, LABELS } from '../ui.js';

const SLOTS = { MORNING: '上午', AFTERNOON: '下午' };
/// The hour (China time) each check is nominally taken at, as the sheets say.
const SLOT_HOUR = { MORNING: 8, AFTERNOON: 15 };
const TEAM_ROLES = [
  ['TOWNSHIP_CADRE', '乡镇干部'],
  ['VILLAGE_CADRE', '村干部'],
  ['VILLAGE_DOCTOR', '村医'],
  ['POLICE_OFFICER', '民警'],
  ['GRID_WORKER', '网格员'],
];
const TEAM_LABEL = Object.fromEntries(TEAM_ROLES);
const ALERT_STATES = { OPEN: '待处理', ACKNOWLEDGED: '已确认', RESOLVED: '已解除' };
const FEVER_AT = 37.3;

const PERSONS = `query($filter: PersonFilterInput) {
  persons(first: 500, filter: $filter, orderBy: { field: ID, direction: ASC }) {
    totalCount
    edges { node { id name township village
      observation { day startDate endDate state }
      readings { date slot celsius corrected }
      team { role name phone } } } } }`;

const ALERT_FIELDS = `id kind state date slot celsius note township personId createdAt updatedAt person { id name village }`;
const ALERTS = `query($open: AlertFilterInput, $acked: AlertFilterInput, $last: AlertFilterInput) {
  open: alerts(first: 200, filter: $open) { totalCount edges { node { ${ALERT_FIELDS} } } }
  acked: alerts(first: 200, filter: $acked) { totalCount edges { node { ${ALERT_FIELDS} } } }
  last: alerts(first: 1, filter: $last) { edges { node { id } } } }`;

/// A reading typed by a person: the number, or the reason it is refused (Chinese).
export function checkCelsius(text) {
  const value = text.trim().replace(/[℃°cC]+$/, '');
  if (!/^\d{2}(\.\d{1,2})?$/.test(value)) return { error: '请输入体温数字，如 36.5' };
  const celsius = Number(value);
  if (celsius < 34 || celsius > 43) return { error: '体温应在 34.0–43.0 ℃ 之间' };
  return { celsius };
}

/// When a reading of `slot` entered now counts as taken: the slot's hour on the county's
/// today, or a little before now when that hour has not come yet (a reading in the future is
/// refused).
function takenAt(today, slot) {
  const nominal = new Date(`${today}T${String(SLOT_HOUR[slot]).padStart(2, '0')}:00:00+08:00`);
  const now = new Date();
  const china = new Date(now.getTime() + 8 * 3600 * 1000);
  const timeOfDay = china.toISOString().slice(11, 19);
  const earlier = new Date(new Date(`${today}T${timeOfDay}+08:00`).getTime() - 2 * 60 * 1000);
  return (nominal < earlier ? nominal : earlier).toISOString();
}

function personsHash(filter) {
  return `#/persons?filter=${encodeURIComponent(JSON.stringify(filter))}`;
}

/// The reading of `slot` on `date` that counts (the last not corrected), or null.
function readingOf(person, date, slot) {
  const found = person.readings.filter((r) => r.date === date && r.slot === slot && !r.corrected);
  return found.length ? found[found.length - 1] : null;
}

function celsiusText(reading) {
  if (!reading) return h('span', { class: 'muted' }, '未测');
  const text = `${reading.celsius.toFixed(1)} ℃`;
  return reading.celsius >= FEVER_AT ? h('strong', { class: 'fever' }, text) : text;
}

export default {
  id: 'followup',
  title: '居家观察',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('FIELD_WORK') || can('RESOLVE'),
  async render(main, ctx) {
    const { viewer, api } = ctx;
    const today = viewer.today;
    const mayWork = ctx.can('FIELD_WORK') || ctx.can('RESOLVE');
    const own = viewer.township || null;
    const state = {
      township: own || ctx.params.query.get('township') || '',
      slot: ctx.params.query.get('slot') === 'AFTERNOON' ? 'AFTERNOON' : 'MORNING',
      dueOnly: true,
      persons: [],
      total: 0,
      alerts: [],
      lastAlertId: '0',
      editing: null,
    };

    const chooser = own
      ? h('span', { class: 'badge' }, own)
      : select(
          [['', '全部乡镇'], ...viewer.townships.map((t) => [t.name, t.name])],
          state.township,
          {
            id: 'fu-township',
            'aria-label': '乡镇',
            onchange: (e) => {
              state.township = e.target.value;
              reloadAll();
            },
          },
        );

    const figuresBox = h('div', { class: 'figures', id: 'fu-figures' });
    const villagesBox = h('div', { id: 'fu-villages' });
    const alertsBox = h('div', { id: 'alerts' }, loading());
    const liveNote = h('span', { class: 'muted fu-live', id: 'fu-live' }, '实时更新连接中…');
    const personsBox = h('div', { id: 'fu-persons' }, loading());
    const uploadsBox = h('div', { class: 'cols' });

    const slotSelect = select(Object.entries(SLOTS), state.slot, {
      id: 'fu-slot',
      'aria-label': '时段',
      onchange: (e) => {
        state.slot = e.target.value;
        drawPersons();
      },
    });
    const dueBox = h('input', {
      type: 'checkbox',
      id: 'fu-due-only',
      checked: true,
      onchange: (e) => {
        state.dueOnly = e.target.checked;
        drawPersons();
      },
    });
    const saveButton = h(
      'button',
      { type: 'button', class: 'primary', id: 'save-readings', onclick: () => saveReadings() },
      '保存',
    );

    mount(
      main,
      heading('居家观察', h('label', { class: 'fu-chooser' }, own ? '乡镇' : '乡镇：', chooser)),
      figuresBox,
      section(null, h('div', { class: 'fu-head' }, h('h2', null, '预警'), liveNote), alertsBox),
      section(
        null,
        h(
          'div',
          { class: 'fu-head' },
          h('h2', null, `观察人员与今日体温（${today}）`),
          h(
            'div',
            { class: 'row fu-tools' },
            field('时段', slotSelect),
            h('label', { class: 'fu-check' }, dueBox, '只显示本时段未测'),
            mayWork ? saveButton : null,
          ),
        ),
        personsBox,
      ),
      mayWork ? uploadsBox : null,
      section('按村统计', villagesBox),
    );

    if (mayWork) {
      mount(
        uploadsBox,
        sheetCard('上传体温表', 'temp', '每行一人一天：人员编号（或身份证号，或姓名加联系电话）、日期、上午、下午。', uploadTemperatures),
        sheetCard('上传五包一表', 'team', '每行一人：人员编号（或身份证号，或姓名加联系电话），乡镇干部、村干部、村医、民警、网格员及其电话。', uploadTeams),
      );
    }

    // ---- persons, due checks and figures ----

    async function loadPersons() {
      const filter = { observationState: ['UNDER_OBSERVATION'] };
      if (state.township) filter.township = state.township;
      const data = await api.gql(PERSONS, { filter });
      state.persons = data.persons.edges.map((e) => e.node);
      state.total = data.persons.totalCount;
    }

    function baseFilter() {
      const filter = { observationState: ['UNDER_OBSERVATION'] };
      if (state.township) filter.township = state.township;
      return filter;
    }

    function drawFigures() {
      const due = (slot) => state.persons.filter((p) => !readingOf(p, today, slot)).length;
      const fevers = state.persons.filter((p) =>
        p.readings.some((r) => r.date === today && !r.corrected && r.celsius >= FEVER_AT),
      ).length;
      const teamless = state.persons.filter((p) => p.team.length < TEAM_ROLES.length).length;
      const open = state.alerts.filter((a) => a.state === 'OPEN').length;
      mount(
        figuresBox,
        figure('观察中', state.total, () => ctx.navigate(personsHash(baseFilter()))),
        figure('上午未测', due('MORNING'), () => showDue('MORNING')),
        figure('下午未测', due('AFTERNOON'), () => showDue('AFTERNOON')),
        figure('今日发热', fevers, () => ctx.navigate(personsHash({ ...baseFilter(), openAlert: ['FEVER'] }))),
        figure('待处理预警', open, () => alertsBox.scrollIntoView()),
        figure('五包一不全', teamless, () => ctx.navigate(personsHash({ ...baseFilter(), teamIncomplete: true }))),
      );
    }

    function showDue(slot) {
      state.slot = slot;
      slotSelect.value = slot;
      state.dueOnly = true;
      dueBox.checked = true;
      drawPersons();
      personsBox.scrollIntoView();
    }

    function drawVillages() {
      const groups = new Map();
      for (const p of state.persons) {
        const key = `${p.township || '—'}\u0000${p.village || '—'}`;
        if (!groups.has(key)) {
          groups.set(key, { township: p.township, village: p.village, count: 0, morning: 0, afternoon: 0 });
        }
        const g = groups.get(key);
        g.count += 1;
        if (!readingOf(p, today, 'MORNING')) g.morning += 1;
        if (!readingOf(p, today, 'AFTERNOON')) g.afternoon += 1;
      }
      const rows = [...groups.values()].sort(
        (a, b) => (a.township || '').localeCompare(b.township || '', 'zh') || (a.village || '').localeCompare(b.village || '', 'zh'),
      );
      mount(
        villagesBox,
        table(
          [
            state.township ? null : { label: '乡镇', value: (g) => g.township || '—' },
            { label: '村（社区）', value: (g) => g.village || '—' },
            { label: '观察中', value: (g) => g.count, class: 'num' },
            { label: '上午未测', value: (g) => g.morning || '', class: 'num' },
            { label: '下午未测', value: (g) => g.afternoon || '', class: 'num' },
          ].filter(Boolean),
          rows,
          {
            empty: '没有观察中的人员',
            onRow: (g) => {
              const filter = { observationState: ['UNDER_OBSERVATION'] };
              if (g.township) filter.township = g.township;
              if (g.village) filter.village = g.village;
              ctx.navigate(personsHash(filter));
            },
          },
        ),
      );
    }

    function drawPersons() {
      const rows = state.persons.filter((p) => !state.dueOnly || !readingOf(p, today, state.slot));
      const columns = [
        {
          label: '人员',
          value: (p) => h('a', { href: `#/person/${encodeURIComponent(p.id)}` }, p.name || `人员 ${p.id}`),
        },
        state.township ? null : { label: '乡镇', value: (p) => p.township || '—' },
        { label: '村（社区）', value: (p) => p.village || '—' },
        {
          label: '观察',
          value: (p) => (p.observation ? `第 ${p.observation.day} 天，至 ${p.observation.endDate.slice(5)}` : '—'),
        },
        { label: '上午', value: (p) => celsiusText(readingOf(p, today, 'MORNING')), class: 'num' },
        { label: '下午', value: (p) => celsiusText(readingOf(p, today, 'AFTERNOON')), class: 'num' },
        mayWork
          ? {
              label: `录入${SLOTS[state.slot]}体温（℃）`,
              value: (p) =>
                h(
                  'div',
                  { class: 'fu-entry' },
                  h('input', {
                    type: 'text',
                    inputmode: 'decimal',
                    class: 'fu-temp',
                    'aria-label': `${p.name || p.id} 的体温`,
                    placeholder: readingOf(p, today, state.slot) ? '更正' : '36.5',
                    dataset: { person: p.id },
                    onkeydown: (e) => {
                      if (e.key === 'Enter') saveReadings();
                    },
                  }),
                  h('small', { class: 'fu-row-error', dataset: { errorFor: p.id } }),
                ),
            }
          : null,
        {
          label: '五包一',
          value: (p) =>
            h(
              'div',
              { class: 'fu-team' },
              h(
                'span',
                { class: p.team.length < TEAM_ROLES.length ? 'badge b-missed_check' : 'badge b-released' },
                `${p.team.length}/${TEAM_ROLES.length}`,
              ),
              mayWork
                ? h(
                    'button',
                    { type: 'button', class: 'link', dataset: { team: p.id }, onclick: () => openTeam(p) },
                    state.editing === p.id ? '收起' : '编辑',
                  )
                : null,
            ),
        },
      ].filter(Boolean);
      const grid = table(columns, rows, {
        empty: state.dueOnly ? `本时段（${SLOTS[state.slot]}）没有未测的人员` : '没有观察中的人员',
      });
      // The team editor opens as a row under its person.
      if (state.editing) {
        const person = state.persons.find((p) => p.id === state.editing);
        const index = rows.indexOf(person);
        if (person && index >= 0) {
          const tr = grid.tBodies[0].rows[index];
          tr.after(h('tr', { class: 'fu-team-row' }, h('td', { colspan: columns.length }, teamEditor(person))));
        }
      }
      for (const tr of grid.tBodies[0].rows) {
        const input = tr.querySelector('input.fu-temp');
        if (input) tr.dataset.person = input.dataset.person;
      }
      const more =
        state.total > state.persons.length
          ? h('p', { class: 'muted' }, `共 ${state.total} 人，此处列出前 ${state.persons.length} 人；请选择乡镇缩小范围。`)
          : null;
      mount(personsBox, grid, more);
    }

    async function saveReadings() {
      const inputs = [...personsBox.querySelectorAll('input.fu-temp')];
      const entries = [];
      let invalid = 0;
      for (const input of inputs) {
        const error = personsBox.querySelector(`[data-error-for="${CSS.escape(input.dataset.person)}"]`);
        error.textContent = '';
        input.classList.remove('bad');
        if (!input.value.trim()) continue;
        const checked = checkCelsius(input.value);
        if (checked.error) {
          error.textContent = checked.error;
          input.classList.add('bad');
          invalid += 1;
        } else {
          entries.push({ input, error, personId: input.dataset.person, celsius: checked.celsius });
        }
      }
      if (invalid) {
        toast(`有 ${invalid} 行体温不正确，请改正后再保存`, 'error');
        return;
      }
      if (!entries.length) {
        toast('请先在表中填写体温', 'error');
        return;
      }
      const slot = state.slot;
      const at = takenAt(today, slot);
      let saved = 0;
      let fevers = 0;
      const failed = new Set();
      await busy(saveButton, async () => {
        for (const entry of entries) {
          try {
            const data = await api.gql(
              `mutation($p: ID!, $c: Float!, $at: DateTime!, $slot: Slot) {
                 recordTemperature(personId: $p, celsius: $c, takenAt: $at, slot: $slot) {
                   correction alert { id kind } } }`,
              { p: entry.personId, c: entry.celsius, at, slot },
            );
            saved += 1;
            if (data.recordTemperature.alert) fevers += 1;
          } catch (e) {
            failed.add(entry.personId);
            entry.error.textContent = e.message;
            entry.input.classList.add('bad');
          }
        }
      });
      if (saved) {
        toast(`已保存 ${saved} 条${SLOTS[slot]}体温${fevers ? `，其中 ${fevers} 人发热，已生成预警` : ''}`, 'ok');
      }
      // Keep the rows that failed (with their values and reasons); redraw the rest.
      const kept = new Map(
        entries.filter((e) => failed.has(e.personId)).map((e) => [e.personId, [e.input.value, e.error.textContent]]),
      );
      try {
        await Promise.all([loadPersons(), refreshAlertStates()]);
      } catch (e) {
        toast(e.message, 'error');
      }
      drawAll();
      drawAlerts();
      for (const [id, [value, message]] of kept) {
        const input = personsBox.querySelector(`input.fu-temp[data-person="${CSS.escape(id)}"]`);
        const error = personsBox.querySelector(`[data-error-for="${CSS.escape(id)}"]`);
        if (input) {
          input.value = value;
          input.classList.add('bad');
        }
        if (error) error.textContent = message;
      }
    }

    // ---- teams ----

    async function openTeam(person) {
      state.editing = state.editing === person.id ? null : person.id;
      if (state.editing && viewer.canUnmask) {
        // The phones as stored, to edit them: an explicit, audited read.
        try {
          const data = await api.gql(
            `query($id: ID!) { person(id: $id) { team { role name(unmasked: true) phone(unmasked: true) } } }`,
            { id: person.id },
          );
          if (data.person) person.editTeam = data.person.team;
        } catch (e) {
          toast(e.message, 'error');
        }
      }
      drawPersons();
    }

    function teamEditor(person) {
      const current = Object.fromEntries((person.editTeam || person.team).map((m) => [m.role, m]));
      const masked = !person.editTeam;
      const inputs = TEAM_ROLES.map(([role, label]) => {
        const member = current[role];
        return {
          role,
          label,
          name: h('input', { type: 'text', value: member ? member.name : '', dataset: { teamName: role }, 'aria-label': `${label}姓名` }),
          phone: h('input', {
            type: 'tel',
            value: member && !masked ? member.phone : '',
            placeholder: member && masked ? member.phone : '手机号',
            dataset: { teamPhone: role },
            'aria-label': `${label}电话`,
          }),
        };
      });
      const error = h('div', { class: 'error', role: 'alert', hidden: true });
      const save = h('button', { type: 'submit', class: 'primary' }, '保存五包一');
      return h(
        'form',
        {
          class: 'fu-team-form',
          onsubmit: async (event) => {
            event.preventDefault();
            const members = [];
            const problems = [];
            for (const i of inputs) {
              const name = i.name.value.trim();
              const phone = i.phone.value.replace(/[\s-]/g, '');
              if (!name && !phone) continue;
              if (!name) problems.push(`${i.label}：请填写姓名`);
              else if (!/^1\d{10}$|^0\d{9,11}$/.test(phone)) problems.push(`${i.label}：请填写正确的电话（11 位手机号或带区号的固定电话）`);
              else members.push({ role: i.role, name, phone });
            }
            if (!members.length && !problems.length) problems.push('请至少填写一名成员');
            if (problems.length) {
              error.textContent = problems.join('\n');
              error.hidden = false;
              return;
            }
            error.hidden = true;
            const done = await busy(save, () =>
              api.gql(
                `mutation($p: ID!, $m: [TeamMemberInput!]!) { assignTeam(personId: $p, members: $m) { role } }`,
                { p: person.id, m: members },
              ),
            );
            if (done) {
              toast(`已保存 ${person.name || person.id} 的五包一（${done.assignTeam.length} 人）`, 'ok');
              state.editing = null;
              await loadPersons();
              drawAll();
            }
          },
        },
        h('div', { class: 'fu-team-grid' }, inputs.map((i) => h('div', { class: 'fu-member' }, h('span', null, i.label), i.name, i.phone))),
        masked && person.team.length ? h('small', { class: 'muted' }, '电话已遮蔽，保存时须重新填写。') : null,
        h('small', { class: 'muted' }, '保存后以本表替换该人员的全部五包一成员。'),
        error,
        h('div', { class: 'row' }, save),
      );
    }

    // ---- sheets ----

    function sheetCard(title, key, hint, send) {
      const chosen = h('span', { class: 'muted' }, '未选择文件');
      const input = h('input', {
        type: 'file',
        id: `fu-${key}-file`,
        class: 'fu-file-input',
        accept: '.csv,.xlsx',
        onchange: () => {
          chosen.textContent = input.files[0] ? input.files[0].name : '未选择文件';
        },
      });
      const picker = h('label', { class: 'fu-file' }, input, h('span', { class: 'fu-file-button' }, '选择文件'), chosen);
      const report = h('div', { id: `fu-${key}-report` });
      const button = h('button', { type: 'submit', class: 'primary', id: `fu-${key}-upload` }, '上传');
      return section(
        title,
        h(
          'form',
          {
            onsubmit: async (event) => {
              event.preventDefault();
              const file = input.files[0];
              if (!file) {
                mount(report, errorBox('请先选择文件（CSV 或 XLSX）'));
                return;
              }
              if (!/\.(csv|xlsx)$/i.test(file.name)) {
                mount(report, errorBox('只能上传 CSV 或 XLSX 文件'));
                return;
              }
              mount(report, loading());
              button.disabled = true;
              try {
                mount(report, await send(file));
                await loadPersons();
                drawAll();
              } catch (e) {
                mount(report, errorBox(e));
              } finally {
                button.disabled = false;
              }
            },
          },
          h('p', { class: 'muted fu-hint' }, hint),
          h('div', { class: 'row fu-file-row' }, picker, button),
        ),
        report,
      );
    }

    function rejectedTable(rejected) {
      if (!rejected.length) return h('p', { class: 'ok-text' }, '没有被拒绝的行。');
      return table(
        [
          { label: '行号', value: (r) => r.row, class: 'num' },
          { label: '原因', value: (r) => r.reason },
        ],
        rejected,
      );
    }

    async function uploadTemperatures(file) {
      const data = await api.upload(
        `mutation($file: Upload!) { importTemperatures(file: $file) { rows readings corrections fevers rejected { row reason } } }`,
        {},
        { file },
      );
      const r = data.importTemperatures;
      return h(
        'div',
        { class: 'fu-report' },
        h(
          'p',
          null,
          `共 ${r.rows} 行：写入 ${r.readings} 条体温（更正 ${r.corrections} 条），发热预警 ${r.fevers} 条，拒绝 ${r.rejected.length} 行。`,
        ),
        rejectedTable(r.rejected),
      );
    }

    async function uploadTeams(file) {
      const data = await api.upload(
        `mutation($file: Upload!) { importTeams(file: $file) { rows teams rejected { row reason } } }`,
        {},
        { file },
      );
      const r = data.importTeams;
      return h(
        'div',
        { class: 'fu-report' },
        h('p', null, `共 ${r.rows} 行：分配五包一 ${r.teams} 人，拒绝 ${r.rejected.length} 行。`),
        rejectedTable(r.rejected),
      );
    }

    // ---- alerts ----

    async function fetchAlerts() {
      const scope = state.township ? { township: state.township } : {};
      const data = await api.gql(ALERTS, {
        open: { ...scope, state: 'OPEN' },
        acked: { ...scope, state: 'ACKNOWLEDGED' },
        last: {},
      });
      const alerts = [...data.open.edges, ...data.acked.edges]
        .map((e) => e.node)
        .sort((a, b) => Number(b.id) - Number(a.id));
      const last = data.last.edges[0];
      return { alerts, last: last ? last.node.id : '0' };
    }

    async function loadAlerts() {
      const { alerts, last } = await fetchAlerts();
      state.alerts = alerts;
      if (Number(last) > Number(state.lastAlertId)) state.lastAlertId = last;
    }

    /// The states of the alerts listed (a reading resolves its missed check on the server);
    /// new alerts are left to the subscription (one pushed meanwhile is kept).
    async function refreshAlertStates() {
      const { alerts, last } = await fetchAlerts();
      const now = new Map(alerts.map((a) => [a.id, a]));
      state.alerts = state.alerts
        .filter((a) => now.has(a.id) || Number(a.id) > Number(last))
        .map((a) => (now.has(a.id) ? { ...now.get(a.id), fresh: a.fresh } : a));
    }

    function alertWho(a) {
      if (a.person) {
        return h('a', { href: `#/person/${encodeURIComponent(a.person.id)}` }, a.person.name || `人员 ${a.person.id}`);
      }
      if (a.personId) return h('a', { href: `#/person/${encodeURIComponent(a.personId)}` }, `人员 ${a.personId}`);
      return `${a.township || ''}（乡镇）`;
    }

    function drawAlerts() {
      const columns = [
        { label: '时间', value: (a) => dateTime(a.createdAt) },
        { label: '类型', value: (a) => badge(a.kind, LABELS.alert) },
        { label: '对象', value: alertWho },
        { label: '乡镇 / 村', value: (a) => [a.township, a.person && a.person.village].filter(Boolean).join(' ') || '—' },
        {
          label: '检查',
          value: (a) => `${a.date.slice(5)}${a.slot ? ` ${SLOTS[a.slot]}` : ''}${a.celsius ? ` · ${a.celsius.toFixed(1)} ℃` : ''}`,
        },
        { label: '状态', value: (a) => badge(a.state, ALERT_STATES) },
        {
          label: mayWork ? '处理（备注可选）' : '备注',
          value: (a) => (mayWork ? alertActions(a) : a.note || ''),
        },
      ];
      const grid = table(columns, state.alerts, { empty: '没有待处理的预警' });
      state.alerts.forEach((a, i) => {
        const tr = grid.tBodies[0].rows[i];
        tr.dataset.alert = a.id;
        tr.dataset.kind = a.kind;
        tr.dataset.state = a.state;
        if (a.fresh) tr.classList.add('fu-fresh');
      });
      mount(alertsBox, grid);
    }

    function alertActions(a) {
      const note = h('input', {
        type: 'text',
        class: 'fu-note',
        maxlength: 2000,
        placeholder: a.note || '备注',
        'aria-label': '备注',
      });
      const answer = (mutation, label) => async (event) => {
        const done = await busy(event.target, () =>
          api.gql(`mutation($id: ID!, $note: String) { ${mutation}(id: $id, note: $note) { ${ALERT_FIELDS} } }`, {
            id: a.id,
            note: note.value.trim() || null,
          }),
        );
        if (!done) return;
        const updated = done[mutation];
        toast(`预警 ${a.id} ${label}`, 'ok');
        if (updated.state === 'RESOLVED') state.alerts = state.alerts.filter((x) => x.id !== a.id);
        else state.alerts = state.alerts.map((x) => (x.id === a.id ? updated : x));
        drawAlerts();
        drawFigures();
      };
      return h(
        'div',
        { class: 'fu-actions' },
        note,
        a.state === 'OPEN'
          ? h('button', { type: 'button', dataset: { action: 'acknowledge' }, onclick: answer('acknowledgeAlert', '已确认') }, '确认')
          : null,
        h('button', { type: 'button', dataset: { action: 'resolve' }, onclick: answer('resolveAlert', '已解除') }, '解除'),
        a.note ? h('small', { class: 'muted' }, `上次备注：${a.note}`) : null,
      );
    }

    function onAlert(alert) {
      if (Number(alert.id) > Number(state.lastAlertId)) state.lastAlertId = alert.id;
      if (state.township && alert.township !== state.township) return;
      if (state.alerts.some((a) => a.id === alert.id)) return;
      state.alerts = [{ ...alert, fresh: true }, ...state.alerts];
      drawAlerts();
      drawFigures();
      const who = alert.person ? alert.person.name || `人员 ${alert.person.id}` : alert.township;
      toast(`新预警：${who} ${LABELS.alert[alert.kind] || alert.kind}${alert.celsius ? ` ${alert.celsius.toFixed(1)} ℃` : ''}`, 'error');
    }

    // ---- loading ----

    function drawAll() {
      drawFigures();
      drawPersons();
      drawVillages();
    }

    async function reloadAll() {
      mount(personsBox, loading());
      mount(alertsBox, loading());
      try {
        await Promise.all([loadPersons(), loadAlerts()]);
        drawAll();
        drawAlerts();
      } catch (e) {
        mount(personsBox, errorBox(e));
        mount(alertsBox);
      }
    }

    await reloadAll();

    // New alerts in the caller's scope, pushed from the last one this page has seen on.
    let unsubscribe = null;
    const subscribeFrom = (after) =>
      api.subscribe(
        `subscription($after: ID) { alertRaised(after: $after) { ${ALERT_FIELDS} } }`,
        { after },
        (data) => {
          liveNote.textContent = '实时更新中';
          onAlert(data.alertRaised);
        },
        (e) => {
          liveNote.textContent = e.message;
        },
      );
    unsubscribe = subscribeFrom(state.lastAlertId);
    liveNote.textContent = '实时更新中：新预警会自动出现';
    return () => {
      if (unsubscribe) unsubscribe();
    };
  },
};
