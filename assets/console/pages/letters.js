// Letters (协查函, issue 24): drafting, the list with filters, a letter's page (addressee,
// persons, replies, events, documents), issuing, cancelling a draft, recording replies person
// by person; persons without an addressee; replies (回函) to the notices received. A PARTNER
// sees the letters sent to it, read-only.
import { h, mount, heading, section, table, field, errorBox, loading, busy, badge, dateTime, select, toast, LABELS } from '../ui.js';

const PAGE_SIZE = 50;

const STATE_LABELS = { ...LABELS.letter, DELIVERED: '已送达' };
const KIND_LABELS = { REQUEST: '协查函', REPLY: '回函' };
const CHANNEL_LABELS = { POST: '邮寄', FAX: '传真', ELECTRONIC: '电子发送', HAND: '专人送达' };
const OUTCOME_LABELS = {
  OBSERVED: '已落实居家观察',
  NOT_FOUND: '查无此人',
  MOVED_ON: '已转往他处',
  RETURNED_TO_COUNTY: '已返回本县',
};
const EVENT_LABELS = {
  DRAFTED: '起草',
  PERSON_ADDED: '加入人员',
  ISSUED: '发出',
  ACKNOWLEDGED: '对方签收',
  QUEUED: '排队投递',
  DELIVERED: '已送达',
  DELIVERY_FAILED: '投递失败',
  REPLY: '回复',
  CANCELLED: '作废',
  PERSON_LEFT: '人员已返回本县',
  PERSON_MERGED: '人员合并',
};

const LIST_FIELDS = `id number kind state overdue personCount issuedOn replyBy channel createdAt
  jurisdiction { code name }`;

const LIST = `query Letters($filter: LetterFilterInput, $after: String, $first: Int) {
  letters(filter: $filter, after: $after, first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { ${LIST_FIELDS} } }
  }
}`;

const DETAIL_QUERY = `query Letter($id: ID!) {
  letter(id: $id) {
    ${LIST_FIELDS} noticeId issuedAt acknowledgedAt repliedAt
    deliveries { at attempt status error }
    documents { format url }
    persons { personId name sex idNumber phone currentAddress arrivalDate hubeiLink reason finding }
    replies { personId outcome place { code name } note repliedOn recordedAt }
    events { at kind detail personId }
  }
}`;

/// A letter's name as a person reads it: its number once issued, else its draft number.
function letterName(l) {
  if (l.number) return l.number;
  return `${KIND_LABELS[l.kind] || '函件'}草稿（第 ${l.id} 号）`;
}

function place(j) {
  if (!j) return '—';
  return j.name ? `${j.name}（${j.code}）` : j.code;
}

function maskId(v) {
  if (!v) return '—';
  return v.length > 10 ? `${v.slice(0, 6)}${'*'.repeat(v.length - 10)}${v.slice(-4)}` : '****';
}

function maskPhone(v) {
  if (!v) return '—';
  return v
    .split(/[,，;；\s]+/)
    .filter(Boolean)
    .map((p) => (p.length > 7 ? `${p.slice(0, 3)}****${p.slice(-4)}` : '****'))
    .join('，');
}

/// The state badge of a letter, with an "overdue" badge beside it.
function stateBadges(l) {
  return h(
    'span',
    { class: 'letter-badges' },
    badge(l.state, STATE_LABELS),
    l.overdue ? h('span', { class: 'badge b-overdue' }, '逾期') : null,
  );
}

/// Events' details are written by the server with codes (`… HAND`, `OBSERVED`): shown in words.
function eventDetail(detail) {
  if (!detail) return '';
  const words = { ...CHANNEL_LABELS, ...OUTCOME_LABELS };
  return detail
    .split(' ')
    .map((w) => words[w] || w)
    .join(' ');
}

function tabs(ctx, current) {
  const items = [['list', '函件']];
  if (ctx.can('MANAGE_LETTERS')) items.push(['unaddressed', '待定去向人员']);
  if (ctx.can('MANAGE_LETTERS')) items.push(['notices', '收到的通报']);
  if (items.length < 2) return null;
  return h(
    'nav',
    { class: 'tabs letters-tabs' },
    items.map(([id, label]) =>
      h('a', { href: id === 'list' ? '#/letters' : `#/letters?tab=${id}`, class: id === current ? 'active' : null, dataset: { tab: id } }, label),
    ),
  );
}

export default {
  id: 'letters',
  title: '协查函',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_LETTERS'),
  async render(main, ctx) {
    const id = ctx.params.path[0];
    if (id) return renderLetter(main, ctx, id);
    const tab = ctx.params.query.get('tab') || 'list';
    if (tab === 'unaddressed' && ctx.can('MANAGE_LETTERS')) return renderUnaddressed(main, ctx);
    if (tab === 'notices' && ctx.can('MANAGE_LETTERS')) return renderNotices(main, ctx);
    return renderList(main, ctx);
  },
};

function draftButton(ctx, result) {
  if (!ctx.can('MANAGE_LETTERS')) return null;
  const button = h('button', { type: 'button', class: 'primary', id: 'draft-letters' }, '起草协查函');
  button.addEventListener('click', () =>
    busy(button, async () => {
      const data = await ctx.api.gql(`mutation { draftLetters { ${LIST_FIELDS} } }`);
      const drafts = data.draftLetters;
      const persons = drafts.reduce((n, l) => n + l.personCount, 0);
      mount(
        result,
        section(
          drafts.length ? `已起草 ${drafts.length} 份函件，共 ${persons} 人` : '没有需要起草的函件',
          drafts.length
            ? table(draftColumns(), drafts, { onRow: (l) => ctx.navigate(`#/letters/${l.id}`) })
            : h('p', { class: 'muted' }, '县外人员都已在未结函件上，或去向不明（见“待定去向人员”）。'),
        ),
      );
      result.hidden = false;
      result.dataset.drafted = String(drafts.length);
      toast(drafts.length ? `已起草 ${drafts.length} 份函件` : '没有需要起草的函件');
      if (result.onDrafted) result.onDrafted();
    }),
  );
  return button;
}

function draftColumns() {
  return [
    { label: '函件', value: (l) => h('a', { href: `#/letters/${l.id}`, dataset: { letter: l.id } }, letterName(l)) },
    { label: '收函地', value: (l) => place(l.jurisdiction) },
    { label: '人数', class: 'num', value: (l) => l.personCount },
    { label: '状态', value: stateBadges },
  ];
}

function listColumns() {
  return [
    { label: '编号', class: 'nw', value: (l) => h('a', { href: `#/letters/${l.id}`, dataset: { letter: l.id } }, letterName(l)) },
    { label: '类型', class: 'hide-narrow', value: (l) => KIND_LABELS[l.kind] || l.kind },
    { label: '收函地', value: (l) => place(l.jurisdiction) },
    { label: '人数', class: 'num', value: (l) => l.personCount },
    { label: '状态', value: stateBadges },
    { label: '发函日期', class: 'nw', value: (l) => l.issuedOn || '—' },
    { label: '反馈期限', class: 'nw', value: (l) => l.replyBy || '—' },
    { label: '渠道', class: 'nw', value: (l) => CHANNEL_LABELS[l.channel] || '—' },
  ];
}

/// The filter of the list, from the page's query (`#/letters?state=ISSUED&overdue=true`).
function filterFrom(query) {
  const f = {};
  if (query.get('state')) f.state = query.get('state');
  if (query.get('jurisdiction')) f.jurisdiction = query.get('jurisdiction');
  if (query.get('overdue') === 'true') f.overdue = true;
  if (query.get('overdue') === 'false') f.overdue = false;
  if (query.get('issuedFrom')) f.issuedFrom = query.get('issuedFrom');
  if (query.get('issuedTo')) f.issuedTo = query.get('issuedTo');
  return f;
}

function filterForm(ctx, f) {
  const states = [['', '全部状态'], ...Object.entries(STATE_LABELS)];
  const state = select(states, f.state || '', { id: 'f-state', name: 'state' });
  const jurisdiction = h('input', {
    id: 'f-jurisdiction',
    name: 'jurisdiction',
    value: f.jurisdiction || '',
    placeholder: '如 4201 或 420102',
    inputmode: 'numeric',
    size: 12,
  });
  const overdue = select(
    [['', '全部'], ['true', '仅逾期'], ['false', '未逾期']],
    f.overdue === undefined ? '' : String(f.overdue),
    { id: 'f-overdue', name: 'overdue' },
  );
  const from = h('input', { type: 'date', id: 'f-from', value: f.issuedFrom || '' });
  const to = h('input', { type: 'date', id: 'f-to', value: f.issuedTo || '' });
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  return h(
    'form',
    {
      class: 'card filters no-print',
      id: 'letter-filter',
      onsubmit: (event) => {
        event.preventDefault();
        const code = jurisdiction.value.trim();
        if (code && !/^\d{2,6}$/.test(code)) {
          error.textContent = '收函地代码应为 2 至 6 位数字（行政区划代码，如 4201）';
          error.hidden = false;
          return;
        }
        if (from.value && to.value && from.value > to.value) {
          error.textContent = '发函日期的起始日不能晚于截止日';
          error.hidden = false;
          return;
        }
        const q = new URLSearchParams();
        if (state.value) q.set('state', state.value);
        if (code) q.set('jurisdiction', code);
        if (overdue.value) q.set('overdue', overdue.value);
        if (from.value) q.set('issuedFrom', from.value);
        if (to.value) q.set('issuedTo', to.value);
        const s = q.toString();
        ctx.navigate(s ? `#/letters?${s}` : '#/letters');
      },
    },
    h(
      'div',
      { class: 'row' },
      field('状态', state),
      field('收函地代码', jurisdiction),
      field('逾期', overdue),
      field('发函日期自', from),
      field('至', to),
      h('button', { type: 'submit', class: 'primary', id: 'f-apply' }, '筛选'),
      h('button', { type: 'button', onclick: () => ctx.navigate('#/letters') }, '清除'),
    ),
    error,
  );
}

async function renderList(main, ctx) {
  const f = filterFrom(ctx.params.query);
  const drafted = h('div', { id: 'drafted', hidden: true });
  const listBox = h('div', { id: 'letter-list' }, loading());
  const overdueBox = h('div', { id: 'overdue-box' });
  mount(
    main,
    heading('协查函', draftButton(ctx, drafted)),
    tabs(ctx, 'list'),
    ctx.viewer.role === 'PARTNER'
      ? h('p', { class: 'muted' }, `此处列出发给本协作地的函件（只读）。`)
      : null,
    overdueBox,
    drafted,
    filterForm(ctx, f),
    listBox,
  );

  let rows = [];
  let after = null;
  const load = async (more) => {
    const data = await ctx.api.gql(LIST, { filter: f, after: more ? after : null, first: PAGE_SIZE });
    const conn = data.letters;
    rows = more ? rows.concat(conn.edges.map((e) => e.node)) : conn.edges.map((e) => e.node);
    after = conn.pageInfo.endCursor;
    const t = table(listColumns(), rows, {
      empty: '没有符合条件的函件',
      onRow: (l) => ctx.navigate(`#/letters/${l.id}`),
    });
    t.classList.add('letters-table');
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      if (rows[i] && rows[i].overdue) tr.classList.add('overdue');
      if (rows[i]) tr.dataset.state = rows[i].state;
    });
    const moreButton = conn.pageInfo.hasNextPage
      ? h('button', { type: 'button', id: 'more', onclick: (e) => busy(e.target, () => load(true)) }, '加载更多')
      : null;
    mount(
      listBox,
      section(`函件（共 ${conn.totalCount} 份${rows.length < conn.totalCount ? `，已显示 ${rows.length} 份` : ''}）`, t, h('div', { class: 'pager' }, moreButton)),
    );
  };
  const loadOverdue = async () => {
    if (f.overdue !== undefined) return;
    const data = await ctx.api.gql(
      `query { letters(filter: { overdue: true }, first: 1) { totalCount } }`,
    );
    const n = data.letters.totalCount;
    mount(
      overdueBox,
      n
        ? h(
            'div',
            { class: 'overdue-note', role: 'status' },
            `有 ${n} 份函件超过反馈期限仍未全部回复。`,
            h('a', { href: '#/letters?overdue=true', id: 'show-overdue' }, '查看逾期函件'),
          )
        : null,
    );
  };
  drafted.onDrafted = () => Promise.all([load(false), loadOverdue()]).catch((e) => toast(e.message, 'error'));
  try {
    await Promise.all([load(false), loadOverdue()]);
  } catch (e) {
    mount(listBox, errorBox(e));
  }
}

async function renderLetter(main, ctx, id) {
  const data = await ctx.api.gql(DETAIL_QUERY, { id });
  const l = data.letter;
  const back = h('a', { href: '#/letters', class: 'back' }, '← 返回函件列表');
  if (!l) {
    mount(main, back, heading('协查函'), errorBox(`函件 ${id} 不存在，或当前角色无权查看`));
    return;
  }
  const manage = ctx.can('MANAGE_LETTERS');
  const downloads = ['PDF', 'XLSX'].map((format) => {
    const doc = l.documents.find((d) => d.format === format);
    if (!doc) return null;
    const button = h('button', { type: 'button', id: `download-${format.toLowerCase()}` }, `下载 ${format}`);
    button.addEventListener('click', () =>
      busy(button, () => ctx.api.download(doc.url, `${letterName(l)}.${format.toLowerCase()}`)),
    );
    return button;
  });
  const actions = [...downloads];
  if (manage && l.state === 'DRAFT') {
    const cancel = h('button', { type: 'button', id: 'cancel-letter' }, '作废草稿');
    cancel.addEventListener('click', () =>
      confirmStep(cancel, '作废后，名单上的人员可再编入其他函件。确认作废此草稿？', '确认作废', () =>
        busy(cancel, async () => {
          await ctx.api.gql(`mutation($id: ID!) { cancelLetter(id: $id) { id state } }`, { id: l.id });
          toast('草稿已作废');
          ctx.navigate(`#/letters/${l.id}`);
        }),
      ),
    );
    actions.push(cancel);
  }
  if (manage && (l.state === 'ISSUED' || l.state === 'DELIVERED')) {
    const ack = h('button', { type: 'button', id: 'acknowledge-letter' }, '登记签收');
    ack.addEventListener('click', () =>
      busy(ack, async () => {
        await ctx.api.gql(`mutation($id: ID!) { acknowledgeLetter(id: $id) { id state } }`, { id: l.id });
        toast('已登记签收');
        ctx.navigate(`#/letters/${l.id}`);
      }),
    );
    actions.push(ack);
  }

  const answered = new Map(l.replies.map((r) => [r.personId, r]));
  mount(
    main,
    back,
    heading(letterName(l), actions),
    summary(l),
    manage && l.state === 'DRAFT' ? issueForm(ctx, l) : null,
    personsSection(ctx, l, answered),
    manage && l.kind === 'REQUEST' && ['ISSUED', 'ACKNOWLEDGED', 'DELIVERED'].includes(l.state)
      ? replyForm(ctx, l, answered)
      : null,
    l.replies.length ? repliesSection(ctx, l) : null,
    l.deliveries && l.deliveries.length ? deliveriesSection(l) : null,
    eventsSection(ctx, l),
  );
}

/// Replaces `button` by a confirmation line until confirmed or dismissed.
function confirmStep(button, question, yes, onYes) {
  const box = h('span', { class: 'confirm', role: 'alertdialog' });
  const ok = h('button', { type: 'button', class: 'primary', id: 'confirm-yes' }, yes);
  const no = h('button', { type: 'button', id: 'confirm-no' }, '取消');
  ok.addEventListener('click', () => {
    box.remove();
    button.hidden = false;
    onYes();
  });
  no.addEventListener('click', () => {
    box.remove();
    button.hidden = false;
  });
  mount(box, h('span', null, question), ok, no);
  button.hidden = true;
  button.after(box);
  ok.focus();
}

/// A reply's notice by its number (the detail of the reply's DRAFTED event), else its ID.
function noticeNumber(l) {
  const drafted = l.events.find((e) => e.kind === 'DRAFTED');
  return (drafted && drafted.detail) || `通报 ${l.noticeId}`;
}

function summary(l) {
  const rows = [
    ['类型', KIND_LABELS[l.kind] || l.kind],
    ['收函地', place(l.jurisdiction)],
    ['编号', l.number || '（发出时编号）'],
    ['状态', stateBadges(l)],
    ['人数', String(l.personCount)],
    ['起草时间', dateTime(l.createdAt)],
    ['发函日期', l.issuedOn || '—'],
    ['发出方式', CHANNEL_LABELS[l.channel] || '—'],
    l.kind === 'REQUEST' ? ['反馈期限', l.replyBy || '—'] : null,
    ['签收时间', dateTime(l.acknowledgedAt)],
    ['最近回复', dateTime(l.repliedAt)],
    l.noticeId ? ['所答通报', noticeNumber(l)] : null,
  ].filter(Boolean);
  return h(
    'section',
    { class: `card letter-summary${l.overdue ? ' overdue' : ''}`, id: 'letter-summary', dataset: { state: l.state } },
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
    l.overdue ? h('p', { class: 'overdue-note' }, `已超过反馈期限（${l.replyBy}），仍有人员未回复。`) : null,
  );
}

function issueForm(ctx, l) {
  const channel = select([['', '请选择发出方式'], ...Object.entries(CHANNEL_LABELS)], '', { id: 'issue-channel' });
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary', id: 'issue-letter' }, '发出函件');
  const form = h(
    'form',
    {
      class: 'card no-print',
      id: 'issue-form',
      onsubmit: (event) => {
        event.preventDefault();
        error.hidden = true;
        if (!channel.value) {
          error.textContent = '请选择发出方式';
          error.hidden = false;
          return;
        }
        if (!l.personCount) {
          error.textContent = '名单为空，不能发出';
          error.hidden = false;
          return;
        }
        confirmStep(
          button,
          `以“${CHANNEL_LABELS[channel.value]}”发出此函（${l.personCount} 人）？发出后编号生效，不能再修改。`,
          '确认发出',
          () =>
            busy(button, async () => {
              const done = await ctx.api.gql(
                `mutation($id: ID!, $channel: LetterChannel!) { issueLetter(id: $id, channel: $channel) { id number } }`,
                { id: l.id, channel: channel.value },
              );
              toast(`已发出：${done.issueLetter.number}`);
              ctx.navigate(`#/letters/${l.id}`);
            }),
        );
      },
    },
    h('h2', null, '发出'),
    h('p', { class: 'muted' }, '请先下载 PDF 核对名单。发出时按年度顺序编号，发函日期为今日。'),
    h('div', { class: 'row' }, field('发出方式', channel), button),
    error,
  );
  return form;
}

function personsSection(ctx, l, answered) {
  let shown = false;
  const box = h('div');
  const readPersons = ctx.can('READ_PERSONS');
  const toggle = h('button', { type: 'button', class: 'link', id: 'show-unmasked' }, '显示证件号和电话');
  const draw = () => {
    const columns = [
      {
        label: '姓名',
        class: 'nw',
        value: (p) =>
          readPersons
            ? h('a', { href: `#/person/${p.personId}` }, p.name || `人员 ${p.personId}`)
            : p.name || `人员 ${p.personId}`,
      },
      { label: '性别', class: 'nw', value: (p) => p.sex || '—' },
      { label: '身份证号', class: 'mono', value: (p) => (shown ? p.idNumber || '—' : maskId(p.idNumber)) },
      { label: '联系电话', class: 'mono', value: (p) => (shown ? p.phone || '—' : maskPhone(p.phone)) },
      { label: '现住址', value: (p) => p.currentAddress || '—' },
      { label: '抵达日期', class: 'nw', value: (p) => p.arrivalDate || '—' },
      l.kind === 'REPLY'
        ? { label: '核查情况', value: (p) => p.finding || '—' }
        : { label: '依据', class: 'reason', value: (p) => p.reason || '—' },
      l.kind === 'REQUEST'
        ? {
            label: '回复',
            class: 'nw',
            value: (p) => {
              const r = answered.get(p.personId);
              return r ? h('span', { class: 'badge b-replied' }, OUTCOME_LABELS[r.outcome] || r.outcome) : h('span', { class: 'muted' }, '未回复');
            },
          }
        : null,
    ].filter(Boolean);
    const t = table(columns, l.persons, { empty: '名单为空' });
    t.id = 'letter-persons';
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      if (l.persons[i]) tr.dataset.person = l.persons[i].personId;
    });
    mount(box, t);
    toggle.textContent = shown ? '隐藏证件号和电话' : '显示证件号和电话';
  };
  toggle.addEventListener('click', () => {
    shown = !shown;
    draw();
  });
  draw();
  return h(
    'section',
    { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', null, `名单（${l.persons.length} 人）`), l.persons.length ? toggle : null),
    h('p', { class: 'muted small' }, '函件名单按原样送达收函地；每次查看均记入审计。'),
    h('div', { class: 'scroll' }, box),
  );
}

function replyForm(ctx, l, answered) {
  const open = l.persons.filter((p) => !answered.has(p.personId));
  if (!open.length) return null;
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const inputs = open.map((p) => {
    const outcome = select([['', '— 暂不回复 —'], ...Object.entries(OUTCOME_LABELS)], '', {
      class: 'reply-outcome',
      'aria-label': `${p.name || p.personId} 的回复`,
    });
    const where = h('input', { class: 'reply-place', placeholder: '去向，如 武汉市江岸区', disabled: true, size: 16 });
    const note = h('input', { class: 'reply-note', placeholder: '备注（可选）', maxlength: 500, size: 18 });
    outcome.addEventListener('change', () => {
      where.disabled = outcome.value !== 'MOVED_ON';
      if (where.disabled) where.value = '';
      else where.focus();
    });
    const row = h(
      'tr',
      { dataset: { person: p.personId } },
      h('td', null, p.name || `人员 ${p.personId}`),
      h('td', null, p.currentAddress || '—'),
      h('td', null, outcome),
      h('td', null, where),
      h('td', null, note),
    );
    return { p, outcome, where, note, row };
  });
  const allObserved = h('button', { type: 'button', id: 'reply-all-observed' }, '全部设为“已落实居家观察”');
  allObserved.addEventListener('click', () => {
    inputs.forEach((i) => {
      if (!i.outcome.value) {
        i.outcome.value = 'OBSERVED';
        i.outcome.dispatchEvent(new Event('change'));
      }
    });
  });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'reply-submit' }, '登记回复');
  return h(
    'form',
    {
      class: 'card no-print',
      id: 'reply-form',
      onsubmit: (event) => {
        event.preventDefault();
        error.hidden = true;
        inputs.forEach((i) => i.row.classList.remove('invalid'));
        const chosen = inputs.filter((i) => i.outcome.value);
        const problems = [];
        if (!chosen.length) problems.push('请至少为一人选择回复结果');
        for (const i of chosen) {
          if (i.outcome.value === 'MOVED_ON' && !i.where.value.trim()) {
            problems.push(`${i.p.name || `人员 ${i.p.personId}`}：“已转往他处”须填写去向`);
            i.row.classList.add('invalid');
          }
        }
        if (problems.length) {
          error.textContent = problems.join('\n');
          error.hidden = false;
          return;
        }
        const persons = chosen.map((i) => ({
          personId: i.p.personId,
          outcome: i.outcome.value,
          place: i.outcome.value === 'MOVED_ON' ? i.where.value.trim() : null,
          note: i.note.value.trim() || null,
        }));
        busy(submit, async () => {
          try {
            const done = await ctx.api.gql(
              `mutation($id: ID!, $persons: [LetterReplyInput!]!) { recordLetterReply(id: $id, persons: $persons) { id state } }`,
              { id: l.id, persons },
            );
            toast(done.recordLetterReply.state === 'REPLIED' ? '已登记回复，函件已全部回复' : `已登记 ${persons.length} 人的回复`);
            ctx.navigate(`#/letters/${l.id}`);
          } catch (e) {
            error.textContent = e.message;
            error.hidden = false;
          }
        });
      },
    },
    h('div', { class: 'card-head' }, h('h2', null, `登记回复（未回复 ${open.length} 人）`), allObserved),
    h('p', { class: 'muted small' }, '按收函地的反馈逐人登记；“已返回本县”的人员将转入居家观察。'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid reply-table' },
        h('thead', null, h('tr', null, ['姓名', '现住址', '回复结果', '去向', '备注'].map((t) => h('th', null, t)))),
        h('tbody', null, inputs.map((i) => i.row)),
      ),
    ),
    error,
    h('div', { class: 'row form-actions' }, submit),
  );
}

function repliesSection(ctx, l) {
  const names = new Map(l.persons.map((p) => [p.personId, p.name]));
  return section(
    `回复（${l.replies.length}）`,
    table(
      [
        { label: '人员', value: (r) => personLink(ctx, r.personId, names.get(r.personId)) },
        { label: '结果', value: (r) => OUTCOME_LABELS[r.outcome] || r.outcome },
        { label: '去向', value: (r) => (r.place ? place(r.place) : '—') },
        { label: '备注', value: (r) => r.note || '—' },
        { label: '回复日期', value: (r) => r.repliedOn },
        { label: '登记时间', value: (r) => dateTime(r.recordedAt) },
      ],
      l.replies,
    ),
  );
}

function deliveriesSection(l) {
  const t = table(
    [
      { label: '次数', class: 'num', value: (d) => d.attempt },
      { label: '时间', value: (d) => dateTime(d.at) },
      { label: '结果', value: (d) => (d.error ? h('span', { class: 'badge b-failed' }, '失败') : badge('DELIVERED', STATE_LABELS)) },
      { label: '对方应答', value: (d) => (d.status === null || d.status === undefined ? '无应答' : `HTTP ${d.status}`) },
      { label: '原因', value: (d) => d.error || '—' },
    ],
    l.deliveries,
  );
  t.id = 'letter-deliveries';
  return section(`投递到协作地平台（${l.deliveries.length} 次）`, t);
}

function personLink(ctx, id, name) {
  if (!id) return '—';
  const text = name || `人员 ${id}`;
  return ctx.can('READ_PERSONS') ? h('a', { href: `#/person/${id}` }, text) : text;
}

function eventsSection(ctx, l) {
  const names = new Map(l.persons.map((p) => [p.personId, p.name]));
  return section(
    '经过',
    table(
      [
        { label: '时间', value: (e) => dateTime(e.at) },
        { label: '事项', value: (e) => EVENT_LABELS[e.kind] || e.kind },
        { label: '人员', value: (e) => (e.personId ? personLink(ctx, e.personId, names.get(e.personId)) : '—') },
        { label: '详情', value: (e) => eventDetail(e.detail) || '—' },
      ],
      l.events,
      { empty: '暂无记录' },
    ),
  );
}

async function renderUnaddressed(main, ctx) {
  mount(main, heading('协查函'), tabs(ctx, 'unaddressed'), loading());
  const data = await ctx.api.gql(`query { lettersUnaddressed { id name township arrivalDate firstReported locationStatus } }`);
  const rows = data.lettersUnaddressed;
  mount(
    main,
    heading('协查函'),
    tabs(ctx, 'unaddressed'),
    section(
      `待定去向人员（${rows.length} 人）`,
      h('p', { class: 'muted small' }, '这些人员在县外，但去向不明，暂无法编入函件。查明去向后再起草。'),
      table(
        [
          { label: '人员', value: (p) => personLink(ctx, p.id, p.name) },
          { label: '乡镇', value: (p) => p.township || '—' },
          { label: '抵达日期', value: (p) => p.arrivalDate || '—' },
          { label: '首次报告', value: (p) => p.firstReported || '—' },
          { label: '位置状态', value: (p) => badge(p.locationStatus, LABELS.location) },
        ],
        rows,
        { empty: '没有去向不明的县外人员' },
      ),
    ),
  );
}

async function renderNotices(main, ctx) {
  mount(main, heading('协查函'), tabs(ctx, 'notices'), loading());
  const data = await ctx.api.gql(
    `query { notices(first: 100) { totalCount edges { node { id number sender sendDate recordCount note } } } }`,
  );
  const rows = data.notices.edges.map((e) => e.node);
  mount(
    main,
    heading('协查函'),
    tabs(ctx, 'notices'),
    section(
      `收到的通报（${data.notices.totalCount} 份）`,
      h('p', { class: 'muted small' }, '起草回函：按通报所列人员，写明本县掌握的情况；起草后在函件页核对并发出。'),
      table(
        [
          { label: '通报编号', value: (n) => n.number },
          { label: '来函单位', value: (n) => n.sender },
          { label: '发出日期', class: 'nw', value: (n) => n.sendDate || '—' },
          { label: '人数', class: 'num nw', value: (n) => n.recordCount },
          { label: '说明', value: (n) => n.note || '—' },
          {
            label: '',
            class: 'nw',
            value: (n) => {
              const b = h('button', { type: 'button', dataset: { notice: n.id } }, '起草回函');
              b.addEventListener('click', () =>
                busy(b, async () => {
                  const done = await ctx.api.gql(`mutation($id: ID!) { replyToNotice(noticeId: $id) { id } }`, { id: n.id });
                  toast('回函已起草');
                  ctx.navigate(`#/letters/${done.replyToNotice.id}`);
                }),
              );
              return b;
            },
          },
        ],
        rows,
        { empty: '尚未收到通报' },
      ),
    ),
  );
}
