// The register: search and filters (issue 24). The URL holds the state: `filter` (a JSON
// PersonFilterInput, as the briefing's figures link here), `q` (search text), `order`.
// Rows open `#/person/ID`; the current filter exports through `exportPersons`.
import { h, mount, heading, table, field, select, badge, errorBox, busy, toast, LABELS } from '../ui.js';

const PAGE_SIZE = 50;

const ROW = `id name namePinyin sex birthYear idNumber phones township village locationStatus
  firstReported arrivalDate hasConflicts observation { state }`;

const LIST = `query Persons($filter: PersonFilterInput, $orderBy: PersonOrderInput, $first: Int, $after: String) {
  persons(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ${ROW} } }
  }
}`;

const SEARCH = `query Search($text: String!, $filter: PersonFilterInput, $first: Int, $after: String) {
  searchPersons(text: $text, filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { matchQuality matchedOn node { ${ROW} } }
  }
}`;

const EXPORT = `mutation Export($filter: PersonFilterInput, $format: ExportFormat!) {
  exportPersons(filter: $filter, format: $format) { url rows format }
}`;

const MATCHED = { NAME: '姓名', PINYIN: '拼音', ID_SUFFIX: '身份证号', PHONE: '电话' };
const SEX = { MALE: '男', FEMALE: '女' };
const ORDERS = [
  ['ID', '按编号'],
  ['NAME', '按姓名'],
  ['FIRST_REPORTED', '按首次报告日'],
  ['ARRIVAL_DATE', '按到达日'],
  ['UPDATED_AT', '按更新时间（新的在前）'],
];
const BOOL = [['', '不限'], ['true', '是'], ['false', '否']];

/// The labels of the filter's keys, for the conditions the form has no control for.
const KEY_LABELS = {
  arrivalDate: '到达日期',
  caseAsOf: '病例状态截至',
  caseStatus: '病例状态',
  conflicts: '冲突字段',
  firstReported: '首次报告',
  foundBy: '发现方式',
  hubeiLink: '湖北关联',
  jurisdiction: '所在地代码',
  letterAsOf: '协查函截至',
  letterCovered: '已发协查函',
  missingSource: '尚无来源',
  teamIncomplete: '五包一不全',
  temperatureOn: '当日已测体温',
  village: '村（社区）',
};
const VALUE_LABELS = {
  ...LABELS.source,
  ...LABELS.location,
  ...LABELS.observation,
  ...LABELS.alert,
  CONFIRMED: '确诊',
  SUSPECTED: '疑似',
  RECOVERED: '治愈',
  RULED_OUT: '排除',
  WUHAN: '武汉',
  OTHER_HUBEI: '湖北其他',
  UNKNOWN: '未知',
  ADDRESS: '地址',
  ID_NUMBER: '身份证号',
  LOCATION: '所在地',
  NAME: '姓名',
};

function describe(key, value) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if (value.from && value.to) return value.from === value.to ? value.from : `${value.from} 至 ${value.to}`;
    if (value.to) return `${value.to} 及以前`;
    if (value.from) return `${value.from} 及以后`;
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return value.map((v) => VALUE_LABELS[v] || v).join('、');
  if (value === true) return '是';
  if (value === false) return '否';
  return VALUE_LABELS[value] || String(value);
}

function parseFilter(query) {
  const raw = query.get('filter');
  if (!raw) return [{}, null];
  try {
    const value = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value)) return [value, null];
  } catch (e) {
    // fall through
  }
  return [{}, '链接中的筛选条件无法识别，已忽略'];
}

/// The hash of this page for `filter`, search `text` and `order`.
function hashOf(filter, text, order) {
  const q = new URLSearchParams();
  if (Object.keys(filter).length) q.set('filter', JSON.stringify(filter));
  if (text) q.set('q', text);
  if (order && order !== 'ID') q.set('order', order);
  const s = q.toString();
  return s ? `#/persons?${s}` : '#/persons';
}

function one(list) {
  return Array.isArray(list) && list.length === 1 ? list[0] : '';
}

export default {
  id: 'persons',
  title: '人员',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_PERSONS'),
  async render(main, ctx) {
    const hash = location.hash;
    const { viewer, api, params } = ctx;
    const [filter, filterError] = parseFilter(params.query);
    const text = (params.query.get('q') || '').trim();
    const order = ORDERS.some(([v]) => v === params.query.get('order')) ? params.query.get('order') : 'ID';

    // The form's controls, set from the filter.
    const search = h('input', {
      type: 'search',
      id: 'persons-search',
      value: text,
      placeholder: '姓名、拼音、身份证号后 4 位以上、电话后 4 位以上',
      maxlength: 64,
    });
    const townships = viewer.township
      ? null
      : select([['', '全部乡镇'], ...viewer.townships.map((t) => [t.name, t.name])], filter.township || '', {
          id: 'f-township',
        });
    const status = select(
      [['', '不限'], ...Object.entries(LABELS.location)],
      one(filter.locationStatus),
      { id: 'f-status' },
    );
    const observation = select(
      [['', '不限'], ...Object.entries(LABELS.observation)],
      one(filter.observationState),
      { id: 'f-observation' },
    );
    const source = select([['', '不限'], ...Object.entries(LABELS.source)], one(filter.source), { id: 'f-source' });
    const alert = select(
      [['', '不限'], ['FEVER', '发热'], ['MISSED_CHECK', '漏测']],
      one(filter.openAlert),
      { id: 'f-alert' },
    );
    const boolValue = (v) => (v === true ? 'true' : v === false ? 'false' : '');
    const conflicts = select(BOOL, boolValue(filter.hasConflicts), { id: 'f-conflicts' });
    const review = select(BOOL, boolValue(filter.reviewPending), { id: 'f-review' });
    const orderBy = select(ORDERS, order, { id: 'f-order' });

    // Conditions of the link the form has no control for (a figure's `firstReported` …):
    // kept, shown, and removable.
    const controlled = ['township', 'locationStatus', 'observationState', 'source', 'openAlert', 'hasConflicts', 'reviewPending'];
    const others = Object.keys(filter).filter(
      (k) => !controlled.includes(k) || (Array.isArray(filter[k]) && filter[k].length > 1),
    );

    const build = () => {
      const next = {};
      for (const k of others) next[k] = filter[k];
      if (townships && townships.value) next.township = townships.value;
      if (viewer.township && filter.township) next.township = filter.township;
      if (status.value) next.locationStatus = [status.value];
      if (observation.value) next.observationState = [observation.value];
      if (source.value) next.source = [source.value];
      if (alert.value) next.openAlert = [alert.value];
      if (conflicts.value) next.hasConflicts = conflicts.value === 'true';
      if (review.value) next.reviewPending = review.value === 'true';
      return next;
    };
    const apply = (event) => {
      if (event) event.preventDefault();
      const value = search.value.trim();
      if (value && value.length < 2 && !/^[\u4e00-\u9fff]$/.test(value)) {
        toast('请至少输入两个字符（一个汉字的姓也可以）', 'error');
        return;
      }
      ctx.navigate(hashOf(build(), value, orderBy.value));
    };
    for (const control of [townships, status, observation, source, alert, conflicts, review, orderBy]) {
      if (control) control.addEventListener('change', apply);
    }

    const chips = others.map((k) =>
      h(
        'span',
        { class: 'chip', dataset: { key: k } },
        `${KEY_LABELS[k] || k}：${describe(k, filter[k])}`,
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            title: '去掉此条件',
            onclick: () => {
              const next = { ...filter };
              delete next[k];
              ctx.navigate(hashOf(next, text, order));
            },
          },
          '×',
        ),
      ),
    );

    const form = h(
      'form',
      { class: 'card persons-form', onsubmit: apply },
      h(
        'div',
        { class: 'row' },
        h('div', { class: 'grow' }, field('查找', search)),
        h('button', { type: 'submit', class: 'primary', id: 'persons-go' }, '查找'),
        h(
          'button',
          { type: 'button', id: 'persons-clear', onclick: () => ctx.navigate('#/persons') },
          '清除条件',
        ),
      ),
      h(
        'div',
        { class: 'row filters' },
        townships ? field('乡镇', townships) : null,
        field('所在地', status),
        field('居家观察', observation),
        field('来源', source),
        field('未处理预警', alert),
        field('来源有冲突', conflicts),
        field('待人工核对', review),
        text ? null : field('排序', orderBy),
      ),
      chips.length ? h('div', { class: 'chips', id: 'persons-chips' }, h('span', { class: 'muted' }, '其他条件：'), chips) : null,
    );

    // The export is of the filter (the API exports no search): offered when not searching.
    const canExport = ctx.can('READ_PERSONS') && !text;
    const exportButton = (format) =>
      h(
        'button',
        {
          type: 'button',
          id: `persons-export-${format.toLowerCase()}`,
          onclick: (event) =>
            busy(event.currentTarget, async () => {
              const data = await api.gql(EXPORT, { filter, format });
              const file = data.exportPersons;
              const name = `人员-${viewer.today}.${format.toLowerCase()}`;
              await api.download(file.url, name);
              toast(`已导出 ${file.rows} 人`);
            }),
        },
        `导出 ${format}`,
      );

    const results = h('div', { id: 'persons-results' });
    mount(
      main,
      heading('人员', canExport ? exportButton('XLSX') : null, canExport ? exportButton('CSV') : null),
      filterError ? errorBox(filterError) : null,
      form,
      results,
    );

    // Relay paging: the cursors of the pages seen, to go back.
    const cursors = [null];
    const load = async (index) => {
      const vars = { filter, first: PAGE_SIZE, after: cursors[index] };
      let connection;
      try {
        if (text) {
          connection = (await api.gql(SEARCH, { ...vars, text })).searchPersons;
        } else {
          const direction = order === 'UPDATED_AT' ? 'DESC' : 'ASC';
          connection = (await api.gql(LIST, { ...vars, orderBy: { field: order, direction } })).persons;
        }
      } catch (e) {
        mount(results, errorBox(e));
        return;
      }
      if (location.hash !== hash) return; // left while loading
      cursors[index + 1] = connection.pageInfo.endCursor;
      const rows = connection.edges.map((e) => ({ ...e.node, matchedOn: e.matchedOn }));
      const columns = [
        { label: '编号', class: 'num', value: (p) => h('a', { href: `#/person/${p.id}` }, p.id) },
        { label: '姓名', class: 'nowrap', value: (p) => h('span', null, p.name || '—', p.namePinyin ? h('small', { class: 'muted' }, ` ${p.namePinyin}`) : null) },
        { label: '性别', class: 'narrow-hide', value: (p) => SEX[p.sex] || '—' },
        { label: '出生年', class: 'num narrow-hide', value: (p) => p.birthYear || '—' },
        { label: '身份证号', class: 'mono nowrap', value: (p) => p.idNumber || '—' },
        { label: '电话', class: 'mono', value: (p) => p.phones.join('、') || '—' },
        { label: '乡镇 / 村', value: (p) => [p.township, p.village].filter(Boolean).join(' ') || '—' },
        { label: '所在地', class: 'nowrap', value: (p) => badge(p.locationStatus, LABELS.location) },
        { label: '观察', value: (p) => (p.observation ? badge(p.observation.state, LABELS.observation) : '—') },
        { label: '首次报告', class: 'nowrap narrow-hide', value: (p) => p.firstReported || '—' },
        { label: '冲突', value: (p) => (p.hasConflicts ? badge('conflict', { conflict: '有' }) : '') },
      ];
      if (text) {
        columns.push({ label: '匹配', value: (p) => (p.matchedOn || []).map((m) => MATCHED[m] || m).join('、') });
      }
      const first = index * PAGE_SIZE + 1;
      const last = index * PAGE_SIZE + rows.length;
      mount(
        results,
        h(
          'p',
          { class: 'muted persons-count' },
          text ? `“${text}” 找到 ` : '共 ',
          h('strong', { id: 'persons-total', dataset: { total: String(connection.totalCount) } }, String(connection.totalCount)),
          ' 人',
          rows.length ? `，显示第 ${first}–${last} 人` : '',
        ),
        h(
          'div',
          { class: 'table-wrap' },
          table(columns, rows, {
            empty: text ? '没有找到匹配的人员' : '没有符合条件的人员',
            onRow: (p) => ctx.navigate(`#/person/${p.id}`),
          }),
        ),
        index === 0 && !connection.pageInfo.hasNextPage
          ? null
          : h(
              'div',
              { class: 'pager' },
              h('button', { type: 'button', id: 'persons-prev', disabled: index === 0, onclick: () => load(index - 1) }, '上一页'),
              h(
                'button',
                { type: 'button', id: 'persons-next', disabled: !connection.pageInfo.hasNextPage, onclick: () => load(index + 1) },
                '下一页',
              ),
            ),
      );
    };
    await load(0);
  },
};
