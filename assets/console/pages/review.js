// The review queue and the township verification worklists (issue 24).
// `#/review` (ANALYST/ADMIN): one pending candidate at a time, both records side by side with the
// field-by-field weights, SAME / DIFFERENT in one click, then the next candidate.
// `#/review?tab=worklist&township=…`: a township's persons still to verify, printable and
// exportable (CSV with a BOM, so Excel reads the Chinese).
import {
  h, mount, heading, table, field, select, errorBox, busy, toast,
  explanationTable, percent, LABELS,
} from '../ui.js';

const RECORD = `id source recordId rowNumber batchId
  normalized { name namePinyin sex birthDate birthYear idNumber phones { number } township village
    address arrivalDate reportDate jurisdiction { name } }`;

const QUEUE = `query Queue($after: String) {
  reviewCandidates(first: 1, after: $after, filter: { state: PENDING }, orderBy: PROBABILITY_DESC) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node {
      id matchProbability pairProbability totalWeight createdAt
      explanation { field level weight }
      a { ${RECORD} } b { ${RECORD} }
      personA { id name } personB { id name }
      pairs { id }
    } }
  }
}`;

const DECIDE = `mutation Decide($id: ID!, $decision: Decision!, $note: String) {
  decideCandidate(id: $id, decision: $decision, note: $note) { id state }
}`;

const WORKLIST = `query Worklist($township: String, $first: Int, $after: String) {
  verificationWorklist(township: $township, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node {
      arrivalDate origin hint { source text recordId }
      person { id name sex birthYear idNumber phones township village locationStatus }
    } }
  }
}`;

const SEX = { MALE: '男', FEMALE: '女' };
const COUNTY = '__county__';

/// The rows compared side by side: label and how to read it from a normalized identity.
const SIDE = [
  ['姓名', (n) => n.name],
  ['拼音', (n) => n.namePinyin],
  ['身份证号', (n) => n.idNumber],
  ['出生日期', (n) => n.birthDate || n.birthYear],
  ['性别', (n) => SEX[n.sex]],
  ['电话', (n) => n.phones.map((p) => p.number).join('、')],
  ['乡镇', (n) => n.township],
  ['村（社区）', (n) => n.village],
  ['地址', (n) => n.address],
  ['所在地', (n) => n.jurisdiction && n.jurisdiction.name],
  ['到达日期', (n) => n.arrivalDate],
  ['报告日', (n) => n.reportDate],
];

function recordTitle(r, person) {
  if (!r) return '—';
  return h(
    'div',
    null,
    h('strong', null, `${LABELS.source[r.source] || r.source}记录 #${r.id}`),
    h('div', { class: 'muted small' }, `原始编号 ${r.recordId} · 批次 ${r.batchId} 第 ${r.rowNumber} 行`),
    person ? h('a', { href: `#/person/${person.id}` }, `人员 ${person.id} ${person.name || ''}`) : null,
  );
}

function sideBySide(c) {
  const na = c.a ? c.a.normalized : null;
  const nb = c.b ? c.b.normalized : null;
  const rows = SIDE.map(([label, read]) => {
    const va = na ? read(na) : null;
    const vb = nb ? read(nb) : null;
    return { label, va, vb, same: va && vb && String(va) === String(vb), differ: va && vb && String(va) !== String(vb) };
  }).filter((r) => r.va || r.vb);
  return h(
    'table',
    { class: 'grid side', id: 'review-side' },
    h('thead', null, h('tr', null, h('th', null, ''), h('th', null, recordTitle(c.a, c.personA)), h('th', null, recordTitle(c.b, c.personB)))),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          { class: r.same ? 'same' : r.differ ? 'differ' : null },
          h('th', null, r.label),
          h('td', { class: 'mono' }, r.va || '—'),
          h('td', { class: 'mono' }, r.vb || '—'),
        ),
      ),
    ),
  );
}

async function renderQueue(box, ctx) {
  const { api } = ctx;
  const canDecide = ctx.can('RESOLVE');
  let skipped = null; // cursor after the candidates skipped in this visit
  let decided = 0;

  const load = async () => {
    mount(box, ctx.ui.loading());
    let conn;
    try {
      conn = (await api.gql(QUEUE, { after: skipped })).reviewCandidates;
    } catch (e) {
      mount(box, errorBox(e));
      return;
    }
    if (!box.isConnected) return;
    const edge = conn.edges[0];
    const status = h(
      'p',
      { class: 'muted', id: 'review-count', dataset: { total: String(conn.totalCount) } },
      `待核对 ${conn.totalCount} 对`,
      decided ? `，本次已判定 ${decided} 对` : '',
      skipped ? '（已跳过部分）' : '',
    );
    if (!edge) {
      mount(
        box,
        status,
        h('p', { class: 'card empty-queue', id: 'review-empty' }, skipped ? '后面没有待核对的了。' : '没有待核对的候选，队列已清空。'),
        skipped ? h('button', { type: 'button', onclick: () => { skipped = null; load(); } }, '从头再看') : null,
      );
      return;
    }
    const c = edge.node;
    const note = h('input', { type: 'text', id: 'review-note', maxlength: 200, placeholder: '可不填' });
    const decide = (decision) => (event) =>
      busy(event.currentTarget, async () => {
        await api.gql(DECIDE, { id: c.id, decision, note: note.value.trim() || null });
        decided += 1;
        toast(decision === 'SAME' ? `候选 ${c.id}：已判定为同一人` : `候选 ${c.id}：已判定为不同人`);
        await load();
      });
    mount(
      box,
      status,
      h(
        'div',
        { class: 'card candidate', id: 'review-candidate', dataset: { candidate: c.id } },
        h(
          'div',
          { class: 'candidate-head' },
          h('h2', null, `候选 ${c.id}`),
          h('span', null, '同一人的可能性 ', h('strong', { class: 'prob' }, percent(c.matchProbability))),
          h('span', { class: 'muted' }, `（仅本对：${percent(c.pairProbability)}，总权重 ${c.totalWeight.toFixed(2)}）`),
          c.pairs.length > 1 ? h('span', { class: 'muted' }, `· 两人之间共 ${c.pairs.length} 对记录，此为最可能的一对`) : null,
        ),
        h(
          'div',
          { class: 'cols candidate-body' },
          h('div', null, h('h3', null, '两条记录对照'), sideBySide(c)),
          h('div', null, h('h3', null, '逐项比对与权重'), explanationTable(c.explanation, { id: 'review-explanation' })),
        ),
        canDecide
          ? h(
              'div',
              { class: 'row decide' },
              h('div', { class: 'grow' }, field('备注', note)),
              h('button', { type: 'button', class: 'primary', id: 'decide-same', onclick: decide('SAME') }, '同一人'),
              h('button', { type: 'button', class: 'danger', id: 'decide-different', onclick: decide('DIFFERENT') }, '不同人'),
              h(
                'button',
                {
                  type: 'button',
                  id: 'review-skip',
                  disabled: !conn.pageInfo.hasNextPage,
                  onclick: () => {
                    skipped = conn.pageInfo.endCursor;
                    load();
                  },
                },
                '跳过',
              ),
            )
          : h('p', { class: 'muted' }, '当前角色只能查看，不能判定。'),
      ),
    );
  };
  await load();
}

function csvCell(value) {
  const s = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/// Saves `text` as a file named `filename` (a CSV made in the page).
function save(text, filename, type) {
  const blob = new Blob([text], { type });
  const link = h('a', { href: URL.createObjectURL(blob), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

const WORK_COLUMNS = [
  ['编号', (i) => i.person.id],
  ['姓名', (i) => i.person.name],
  ['性别', (i) => SEX[i.person.sex] || ''],
  ['出生年', (i) => i.person.birthYear || ''],
  ['身份证号', (i) => i.person.idNumber || ''],
  ['电话', (i) => i.person.phones.join('、')],
  ['来自', (i) => i.origin || ''],
  ['到达日期', (i) => i.arrivalDate || ''],
  ['线索', (i) => (i.hint ? `${LABELS.source[i.hint.source] || i.hint.source}：${i.hint.text}` : '')],
];

async function renderWorklist(box, ctx) {
  const { api, viewer, params } = ctx;
  const own = viewer.township;
  const asked = params.query.get('township');
  const township = own || (asked && asked !== COUNTY ? asked : asked === COUNTY ? null : viewer.townships[0] && viewer.townships[0].name);
  const chooser = own
    ? null
    : select(
        [...viewer.townships.map((t) => [t.name, t.name]), [COUNTY, '县级（无乡镇线索）']],
        township === null ? COUNTY : township,
        {
          id: 'worklist-township',
          onchange: (e) => ctx.navigate(`#/review?tab=worklist&township=${encodeURIComponent(e.target.value)}`),
        },
      );
  const title = township ? `${township}待核实人员清单` : `${viewer.county}待核实人员清单（无乡镇线索）`;

  // The whole list (it is short: the persons still pending verification of one township).
  const items = [];
  let after = null;
  let total = 0;
  for (;;) {
    const conn = (await api.gql(WORKLIST, { township, first: 100, after })).verificationWorklist;
    total = conn.totalCount;
    items.push(...conn.edges.map((e) => e.node));
    if (!conn.pageInfo.hasNextPage || items.length >= 2000) break;
    after = conn.pageInfo.endCursor;
  }

  if (!box.isConnected) return; // left while loading
  const exportCsv = () => {
    const header = [...WORK_COLUMNS.map(([label]) => label), '核实结果', '核实人', '核实日期'];
    const lines = [header, ...items.map((i) => [...WORK_COLUMNS.map(([, read]) => read(i)), '', '', ''])];
    const text = `\ufeff${lines.map((l) => l.map(csvCell).join(',')).join('\r\n')}\r\n`;
    save(text, `${title}-${viewer.today}.csv`, 'text/csv;charset=utf-8');
    toast(`已导出 ${items.length} 人`);
  };

  mount(
    box,
    h(
      'div',
      { class: 'row worklist-bar no-print' },
      chooser ? field('乡镇', chooser) : null,
      h('div', { class: 'grow' }),
      h('button', { type: 'button', id: 'worklist-print', onclick: () => window.print() }, '打印'),
      h('button', { type: 'button', id: 'worklist-export', onclick: exportCsv }, '导出 CSV'),
    ),
    h(
      'section',
      { class: 'card worklist', id: 'worklist', dataset: { township: township || '', total: String(total) } },
      h('h2', null, title),
      h(
        'p',
        { class: 'muted' },
        `共 ${total} 人，截至 ${viewer.today}。请逐一核实是否在本乡镇，并在“核实结果”栏填写（在本地 / 已离开 / 查无此人）。`,
      ),
      table(
        [
          ...WORK_COLUMNS.map(([label, read], i) => ({
            label,
            class: i === 0 ? 'num' : i === 4 || i === 5 ? 'mono' : null,
            value: i === 0 ? (it) => h('a', { href: `#/person/${it.person.id}` }, it.person.id) : read,
          })),
          { label: '核实结果', class: 'blank', value: () => '' },
        ],
        items,
        { empty: '没有待核实的人员' },
      ),
      h('p', { class: 'print-only' }, '核实人：______________　　核实日期：______________　　乡镇（街道）负责人：______________'),
    ),
  );
}

export default {
  id: 'review',
  title: '待核实',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_REVIEW') || can('READ_PERSONS'),
  async render(main, ctx) {
    const canQueue = ctx.can('READ_REVIEW');
    const tab = canQueue ? ctx.params.query.get('tab') || 'queue' : 'worklist';
    const tabs = canQueue
      ? h(
          'div',
          { class: 'tabs no-print' },
          h('a', { href: '#/review', class: tab === 'queue' ? 'active' : null, id: 'tab-queue' }, '匹配复核'),
          h('a', { href: '#/review?tab=worklist', class: tab === 'worklist' ? 'active' : null, id: 'tab-worklist' }, '乡镇核实清单'),
        )
      : null;
    const box = h('div', { id: 'review-box' });
    mount(main, h('div', { class: tab === 'worklist' ? 'no-print' : null }, heading('待核实')), tabs, box);
    if (tab === 'worklist') await renderWorklist(box, ctx);
    else await renderQueue(box, ctx);
  },
};
