// Small DOM helpers shared by the pages. Everything is built with `h`, never from HTML
// strings, so data from the register cannot become markup.

/// Builds an element: `h('button', { class: 'primary', onclick: f }, '保存')`. Attributes
/// starting with `on` are listeners; `null`/`false` attributes and children are skipped;
/// arrays of children are flattened.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key in el && typeof value !== 'string') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

/// Replaces everything inside `el`.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/// A table: `columns` is `[{ label, value: (row) => text or Node, class? }]`. `empty` is
/// shown when there are no rows.
export function table(columns, rows, options) {
  const opts = options || {};
  const head = h('tr', null, columns.map((c) => h('th', { class: c.class }, c.label)));
  const body = rows.length
    ? rows.map((row) =>
        h(
          'tr',
          { onclick: opts.onRow ? () => opts.onRow(row) : null, class: opts.onRow ? 'clickable' : null },
          columns.map((c) => h('td', { class: c.class }, c.value(row))),
        ),
      )
    : [h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, opts.empty || '暂无数据'))];
  return h('table', { class: 'grid' }, h('thead', null, head), h('tbody', null, body));
}

/// A page heading with optional actions on the right.
export function heading(title, ...actions) {
  return h('div', { class: 'heading' }, h('h1', null, title), h('div', { class: 'actions' }, actions));
}

/// A titled section.
export function section(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', null, title) : null, children);
}

/// A labelled form field around `input`.
export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', null, label), input, hint ? h('small', null, hint) : null);
}

/// A figure: a big number with its label; `onclick` opens its persons.
export function figure(label, value, onclick) {
  return h(
    'button',
    { class: 'figure', type: 'button', onclick, disabled: !onclick },
    h('strong', null, value === null || value === undefined ? '—' : String(value)),
    h('span', null, label),
  );
}

/// An error box for a failed call (the API's message, in Chinese).
export function errorBox(error) {
  return h('div', { class: 'error', role: 'alert' }, error && error.message ? error.message : String(error));
}

/// A "loading" line, replaced by the page once its data arrives.
export function loading() {
  return h('p', { class: 'muted' }, '加载中…');
}

let toastTimer = null;

/// A short message at the bottom of the screen; `kind` is 'ok' or 'error'.
export function toast(message, kind) {
  const box = document.getElementById('toast');
  if (!box) return;
  box.textContent = message;
  box.className = `show ${kind || 'ok'}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.className = '';
  }, kind === 'error' ? 8000 : 4000);
}

/// Disables `button` while `work` (a promise-returning function) runs; shows its error as a
/// toast and resolves to its result (or undefined after an error).
export async function busy(button, work) {
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (e) {
    toast(e.message || String(e), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/// A small state label: `badge('ISSUED', LETTER_STATES)`.
export function badge(value, labels) {
  const text = (labels && labels[value]) || value || '—';
  return h('span', { class: `badge b-${String(value || 'none').toLowerCase()}` }, text);
}

/// `2020-02-01T07:00:00Z` as China time `2020-02-01 15:00`.
export function dateTime(value) {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  const china = new Date(d.getTime() + 8 * 3600 * 1000);
  return china.toISOString().slice(0, 16).replace('T', ' ');
}

/// A select of `options` (`[[value, label]]`), with `value` chosen.
export function select(options, value, attrs) {
  return h(
    'select',
    attrs || {},
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
  );
}

/// Labels of the register's enums, as a person reads them.
export const LABELS = {
  role: {
    ADMIN: '管理员',
    ANALYST: '分析员',
    CLERK: '函件文书',
    TOWNSHIP: '乡镇',
    PARTNER: '协作地',
    DASHBOARD: '大屏',
  },
  source: { BIGDATA: '大数据', TOWNSHIP: '乡镇排查', EXTERNAL: '外地协查' },
  location: { IN_COUNTY: '县内', OUT_OF_COUNTY: '县外', PENDING_VERIFICATION: '待核实' },
  observation: {
    UNDER_OBSERVATION: '观察中',
    RELEASED: '已解除',
    TRANSFERRED: '已转出',
    LOST_CONTACT: '失联',
  },
  letter: {
    DRAFT: '草稿',
    ISSUED: '已发出',
    ACKNOWLEDGED: '已签收',
    REPLIED: '已回复',
    CANCELLED: '已作废',
  },
  alert: { FEVER: '发热', MISSED_CHECK: '漏测', REPORT_MISSING: '日报未报' },
};

// ---- register pages (briefing, persons, person, review): shared helpers ----

/// Fields a match compares, as a person reads them.
export const MATCH_FIELDS = {
  prior: '先验（基础概率）',
  id_number: '身份证号',
  name: '姓名',
  phones: '电话',
  birth_date: '出生日期',
  sex: '性别',
  township: '乡镇',
  village: '村（社区）',
  address: '地址',
  origin: '来自',
  arrival_date: '到达日期',
};

/// How two values compared, as a person reads it.
export const MATCH_LEVELS = {
  PRIOR: '—',
  EXACT: '相同',
  DIFFERENT: '不同',
  ONE_EDIT: '差一位',
  MASKED_AGREE: '打码处以外一致',
  MASKED_PARTIAL: '打码处以外部分一致',
  SHARED: '有相同号码',
  ONE_DIGIT: '差一位数字',
  PINYIN: '同音',
  JW_HIGH: '很相近',
  JW_MID: '较相近',
  EDIT_1: '差一个字',
  EDIT_2: '差两个字',
  YEAR_MONTH: '年月相同',
  YEAR: '年份相同',
  NEAR: '相差几天',
};

/// A match explanation (`[{ field, level, weight }]`) as a table with a bar per field:
/// green to the right for evidence the two are one, red to the left against.
export function explanationTable(explanation, attrs) {
  const max = Math.max(1, ...explanation.map((e) => Math.abs(e.weight)));
  const total = explanation.reduce((sum, e) => sum + e.weight, 0);
  const bar = (w) => {
    const pct = (Math.abs(w) / max) * 50;
    return h(
      'div',
      { class: 'wbar' },
      h('span', {
        class: w >= 0 ? 'pos' : 'neg',
        style: w >= 0 ? `left:50%;width:${pct}%` : `left:${50 - pct}%;width:${pct}%`,
      }),
    );
  };
  return h(
    'table',
    { class: 'grid explanation', ...(attrs || {}) },
    h(
      'thead',
      null,
      h('tr', null, h('th', null, '字段'), h('th', null, '比对结果'), h('th', { class: 'num' }, '权重'), h('th', { class: 'wcol' }, '不利 ← → 支持同一人')),
    ),
    h(
      'tbody',
      null,
      explanation.map((e) =>
        h(
          'tr',
          { dataset: { field: e.field } },
          h('td', null, MATCH_FIELDS[e.field] || e.field),
          h('td', null, MATCH_LEVELS[e.level] || e.level),
          h('td', { class: 'num' }, e.weight.toFixed(2)),
          h('td', { class: 'wcol' }, bar(e.weight)),
        ),
      ),
      h(
        'tr',
        { class: 'total' },
        h('td', null, '合计'),
        h('td', null, ''),
        h('td', { class: 'num' }, total.toFixed(2)),
        h('td', { class: 'wcol muted' }, '权重为对数几率（log2），合计越大越可能是同一人'),
      ),
    ),
  );
}

/// A probability 0..1 as a percentage.
export function percent(p) {
  return `${(p * 100).toFixed(p > 0.999 || p < 0.001 ? 2 : 1)}%`;
}
