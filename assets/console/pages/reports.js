// Daily reports (日报): each township's report for a day, the missing ones, what the register
// shows against them, the history of filings; a township files its own (issue 24).
import { h, mount, heading, section, field, figure, errorBox, loading, toast, busy, badge, dateTime, select, table } from '../ui.js';

const STATUS = { REPORTED: '已报', MISSING: '未报' };

const REPORTS = `query($date: NaiveDate) { dailyReports(date: $date) {
  township date status registerCount registerFilter differs
  report { id newPersons note filedAt }
  history { id newPersons note filedAt superseded } } }`;

/// The form's values, or the reasons they are refused (Chinese).
export function checkReport(values) {
  const problems = [];
  if (!values.township) problems.push('请选择乡镇');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(values.date)) problems.push('请选择日期');
  else if (values.today && values.date > values.today) problems.push('不能为以后的日期上报');
  const count = values.newPersons.trim();
  if (!/^\d+$/.test(count)) problems.push('新增人数须为 0 或正整数（零报告填 0）');
  else if (Number(count) > 100000) problems.push('新增人数过大，请核对');
  if (values.note.length > 2000) problems.push('备注不能超过 2000 字');
  return problems;
}

export default {
  id: 'reports',
  title: '日报',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_PERSONS'),
  async render(main, ctx) {
    const { viewer, api } = ctx;
    const today = viewer.today;
    const mayFile = ctx.can('FIELD_WORK') || ctx.can('RESOLVE');
    const own = viewer.township || null;
    const asked = ctx.params.query.get('date');
    let date = asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) && asked <= today ? asked : today;
    let rows = [];
    let shown = null;
    const open = new Set();

    const dateInput = h('input', {
      type: 'date',
      id: 'rp-date',
      value: date,
      max: today,
      'aria-label': '日期',
      onchange: (e) => {
        if (!e.target.value) return;
        date = e.target.value > today ? today : e.target.value;
        e.target.value = date;
        formDate.value = date;
        load();
      },
    });
    const todayButton = h(
      'button',
      {
        type: 'button',
        onclick: () => {
          date = today;
          dateInput.value = today;
          formDate.value = today;
          load();
        },
      },
      '今日',
    );

    const figuresBox = h('div', { class: 'figures', id: 'rp-figures' });
    const missingBox = h('div', { id: 'rp-missing' });
    const listBox = h('div', { id: 'rp-list' }, loading());

    // ---- the filing form ----
    const formTownship = own
      ? h('input', { type: 'text', value: own, readonly: true, id: 'rp-township' })
      : select([['', '请选择乡镇'], ...viewer.townships.map((t) => [t.name, t.name])], '', { id: 'rp-township' });
    const formDate = h('input', { type: 'date', id: 'rp-form-date', value: date, max: today });
    const formCount = h('input', { type: 'text', inputmode: 'numeric', id: 'rp-new', placeholder: '0', autocomplete: 'off' });
    const formNote = h('textarea', { id: 'rp-note', rows: 2, maxlength: 2000, placeholder: '可选：情况说明' });
    const formError = h('div', { class: 'error', role: 'alert', hidden: true, id: 'rp-error' });
    const formHint = h('small', { class: 'muted', id: 'rp-hint' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'rp-file' }, '上报');
    const form = h(
      'form',
      {
        class: 'rp-form',
        onsubmit: async (event) => {
          event.preventDefault();
          const values = {
            township: formTownship.value,
            date: formDate.value,
            newPersons: formCount.value,
            note: formNote.value.trim(),
            today,
          };
          const problems = checkReport(values);
          if (problems.length) {
            formError.textContent = problems.join('\n');
            formError.hidden = false;
            return;
          }
          formError.hidden = true;
          const done = await busy(submit, () =>
            api.gql(
              `mutation($t: String!, $d: NaiveDate, $n: Int!, $note: String) {
                 fileDailyReport(township: $t, date: $d, newPersons: $n, note: $note) {
                   replaced report { township date newPersons } } }`,
              { t: values.township, d: values.date, n: Number(values.newPersons.trim()), note: values.note || null },
            ),
          );
          if (!done) return;
          const r = done.fileDailyReport;
          toast(`${r.report.township} ${r.report.date} 日报已${r.replaced ? '更新' : '上报'}：新增 ${r.report.newPersons} 人`, 'ok');
          formCount.value = '';
          formNote.value = '';
          if (values.date !== date) {
            date = values.date;
            dateInput.value = date;
          }
          await load();
        },
      },
      h(
        'div',
        { class: 'row' },
        field('乡镇', formTownship),
        field('日期', formDate),
        field('新增人数', formCount),
        h('div', { class: 'field rp-note' }, h('span', null, '备注'), formNote),
        submit,
      ),
      formHint,
      formError,
    );
    const updateHint = () => {
      const row = rows.find((r) => r.township === formTownship.value);
      formHint.textContent = row
        ? `${row.township} ${row.date}：${row.status === 'REPORTED' ? `已报 ${row.report.newPersons} 人，再次上报将替换（保留历史）` : '尚未上报'}；登记系统显示当日新增 ${row.registerCount} 人。`
        : '';
    };
    formTownship.addEventListener('change', updateHint);

    mount(
      main,
      heading('日报', h('label', { class: 'rp-date' }, '日期', dateInput), todayButton),
      figuresBox,
      missingBox,
      mayFile ? section(own ? `${own} 上报日报` : '代乡镇上报日报', form) : null,
      section(null, listBox),
    );

    function personsLink(row) {
      const filter = typeof row.registerFilter === 'string' ? row.registerFilter : JSON.stringify(row.registerFilter);
      return h('a', { href: `#/persons?filter=${encodeURIComponent(filter)}`, title: '查看这些人员' }, String(row.registerCount));
    }

    function history(row) {
      if (!row.history.length) return '';
      const toggle = h(
        'button',
        {
          type: 'button',
          class: 'link',
          dataset: { history: row.township },
          onclick: () => {
            if (open.has(row.township)) open.delete(row.township);
            else open.add(row.township);
            draw();
          },
        },
        `${row.history.length} 次${open.has(row.township) ? '（收起）' : ''}`,
      );
      return toggle;
    }

    function draw() {
      const reported = rows.filter((r) => r.status === 'REPORTED');
      const missing = rows.filter((r) => r.status === 'MISSING');
      const differs = rows.filter((r) => r.differs);
      const only = (which) => () => {
        shown = shown === which ? null : which;
        draw();
      };
      mount(
        figuresBox,
        own ? null : figure('乡镇', rows.length, only(null)),
        figure('已报', reported.length, only('REPORTED')),
        figure('未报', missing.length, only('MISSING')),
        figure('与登记数不符', differs.length, only('DIFFERS')),
        figure('上报新增合计', reported.reduce((n, r) => n + r.report.newPersons, 0)),
        figure('登记新增合计', rows.reduce((n, r) => n + r.registerCount, 0)),
      );
      for (const [i, which] of [[0, null], [1, 'REPORTED'], [2, 'MISSING'], [3, 'DIFFERS']]) {
        const button = figuresBox.children[own ? i - 1 : i];
        if (button && shown === which && shown !== null) button.classList.add('rp-chosen');
      }
      mount(
        missingBox,
        missing.length
          ? h(
              'div',
              { class: 'rp-alert', role: 'status' },
              h('strong', null, `${date} 未报乡镇（${missing.length}）：`),
              missing.map((r) => h('span', { class: 'badge b-missing' }, r.township)),
            )
          : rows.length
            ? h('div', { class: 'rp-ok' }, own ? `${own} ${date} 的日报已上报。` : `${date} 各乡镇均已上报。`)
            : null,
      );
      const columns = [
        { label: '乡镇', value: (r) => h('strong', null, r.township) },
        { label: '状态', value: (r) => badge(r.status, STATUS) },
        { label: '上报新增', value: (r) => (r.report ? String(r.report.newPersons) : '—'), class: 'num' },
        { label: '登记新增', value: personsLink, class: 'num' },
        {
          label: '核对',
          value: (r) =>
            r.differs
              ? h('span', { class: 'badge b-fever' }, `不一致（差 ${r.report.newPersons - r.registerCount}）`)
              : r.report
                ? h('span', { class: 'muted' }, '一致')
                : '—',
        },
        { label: '上报时间', value: (r) => (r.report ? dateTime(r.report.filedAt) : '—') },
        { label: '备注', value: (r) => (r.report && r.report.note) || '' },
        { label: '历次上报', value: history },
      ];
      const listed = rows.filter((r) =>
        shown === 'DIFFERS' ? r.differs : shown ? r.status === shown : true,
      );
      const grid = table(columns, listed, { empty: '没有符合条件的乡镇' });
      listed.forEach((r, i) => {
        const tr = grid.tBodies[0].rows[i];
        tr.dataset.township = r.township;
        tr.dataset.status = r.status;
        if (r.status === 'MISSING') tr.classList.add('rp-missing-row');
        if (open.has(r.township)) {
          tr.after(
            h(
              'tr',
              { class: 'rp-history' },
              h(
                'td',
                { colspan: columns.length },
                table(
                  [
                    { label: '上报时间', value: (f) => dateTime(f.filedAt) },
                    { label: '新增人数', value: (f) => f.newPersons, class: 'num' },
                    { label: '备注', value: (f) => f.note || '' },
                    { label: '', value: (f) => (f.superseded ? h('span', { class: 'muted' }, '已被替换') : badge('REPORTED', { REPORTED: '当前' })) },
                  ],
                  r.history,
                ),
              ),
            ),
          );
        }
      });
      const title = own ? `${own} ${date} 日报` : `${date} 各乡镇日报`;
      const filtered = shown
        ? h('button', { type: 'button', class: 'link', onclick: only(null) }, `仅显示${{ REPORTED: '已报', MISSING: '未报', DIFFERS: '与登记数不符' }[shown]}的乡镇 · 显示全部`)
        : null;
      mount(listBox, h('div', { class: 'fu-head' }, h('h2', null, title), filtered), grid);
      updateHint();
    }

    async function load() {
      mount(listBox, loading());
      try {
        const data = await api.gql(REPORTS, { date });
        rows = data.dailyReports;
        // Missing townships first, then the county's order.
        rows = [...rows.filter((r) => r.status === 'MISSING'), ...rows.filter((r) => r.status !== 'MISSING')];
        draw();
      } catch (e) {
        mount(figuresBox);
        mount(missingBox);
        mount(listBox, errorBox(e));
      }
    }

    await load();
  },
};
