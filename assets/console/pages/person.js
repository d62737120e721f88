// One person: golden record, evidence, records, history, letters, follow-up (issue 24).
// Masked by default; a role that may unmask gets a "显示" button that reads the person again
// with `unmasked: true` (the server audits every such read).
import { h, mount, heading, section, table, badge, errorBox, dateTime, explanationTable, LABELS } from '../ui.js';

const PERSON = `query Person($id: ID!, $unmasked: Boolean!, $letters: Boolean!) {
  person(id: $id) {
    id name namePinyin sex birthYear birthDate(unmasked: $unmasked) idNumber(unmasked: $unmasked)
    phones(unmasked: $unmasked) address(unmasked: $unmasked) origin(unmasked: $unmasked)
    township village locationStatus hubeiLink arrivalDate firstReported createdAt updatedAt
    hasConflicts locationConflict jurisdiction { code name }
    golden(unmasked: $unmasked) {
      name { ...V } idNumber { ...V } birthDate { ...V } sex { ...V } phones { ...V }
      township { ...V } village { ...V } address { ...V }
    }
    locationEvidence {
      deciding reportDate rule source sourceRecordId recordId status township village place { name }
    }
    links {
      rule weight linkedAt explanation { field level weight }
      record { id source recordId(unmasked: $unmasked) rowNumber batchId version
        normalized(unmasked: $unmasked) { name idNumber phones { number } township village address reportDate } }
    }
    events { id at kind actor detail otherPersonId sourceRecord { id source } }
    letters @include(if: $letters) { id number state issuedOn jurisdiction { name } }
    observation { state active day startDate endDate place note }
    team { role name(unmasked: $unmasked) phone(unmasked: $unmasked) assignedAt }
    readings { date slot celsius corrected takenAt }
    cases { date status note recordedAt }
  }
}
fragment V on GoldenValue { value sourceRecordIds conflicts { value sourceRecordIds } }`;

const SEX = { MALE: '男', FEMALE: '女' };
const HUBEI = { WUHAN: '武汉', OTHER_HUBEI: '湖北其他地区', UNKNOWN: '未知' };
const EVENTS = { CREATE: '建档', LINK: '关联记录', MERGE: '合并', SPLIT: '拆分', DECISION: '人工判定', LOCATION: '所在地变更' };
const RULES = { FOUNDER: '建档记录', MATCH: '模型匹配', ID_EXACT: '身份证号相同', NAME_AND_PHONE: '姓名和电话相同', NEW_PERSON: '新建人员' };
const TEAM = { TOWNSHIP_CADRE: '乡镇干部', VILLAGE_CADRE: '村干部', VILLAGE_DOCTOR: '村医', GRID_WORKER: '网格员', POLICE_OFFICER: '民警' };
const SLOTS = { MORNING: '上午', AFTERNOON: '下午' };
const CASES = { CONFIRMED: '确诊', SUSPECTED: '疑似', RECOVERED: '治愈', RULED_OUT: '排除' };
const GOLDEN = [
  ['name', '姓名'],
  ['idNumber', '身份证号'],
  ['birthDate', '出生日期'],
  ['sex', '性别'],
  ['phones', '电话'],
  ['township', '乡镇'],
  ['village', '村（社区）'],
  ['address', '地址'],
];

function recordRefs(ids, bySourceId) {
  if (!ids || !ids.length) return '—';
  return ids.map((id) => {
    const rec = bySourceId.get(id);
    const label = rec ? `${LABELS.source[rec.source] || rec.source} #${id}` : `#${id}`;
    return h('a', { href: `#record-${id}`, class: 'ref', onclick: (e) => jump(e, id) }, label);
  });
}

function jump(event, id) {
  event.preventDefault();
  const target = document.getElementById(`record-${id}`);
  if (target) target.scrollIntoView({ behavior: 'smooth', block: 'center' });
}

function goldenValue(value) {
  if (value === 'MALE' || value === 'FEMALE') return SEX[value];
  return value || '—';
}

function goldenRows(golden) {
  const rows = [];
  for (const [key, label] of GOLDEN) {
    const values = Array.isArray(golden[key]) ? golden[key] : [golden[key]];
    if (!values.length) rows.push({ key, label, v: { value: null, sourceRecordIds: [], conflicts: [] } });
    values.forEach((v, i) => rows.push({ key, label: i === 0 ? label : '', v }));
  }
  return rows;
}

function eventDetail(e) {
  const d = e.detail || {};
  const parts = [];
  if (e.kind === 'LOCATION') {
    parts.push(`${LABELS.location[d.from] || d.from || '—'} → ${LABELS.location[d.to] || d.to || '—'}`);
    if (d.rule) parts.push(`依据 ${d.rule}`);
    if (d.record && !e.sourceRecord) parts.push(`记录 #${d.record}`);
  } else {
    if (d.rule) parts.push(RULES[d.rule] || d.rule);
    if (typeof d.weight === 'number' && d.weight) parts.push(`权重 ${d.weight.toFixed(2)}`);
    if (d.decision) parts.push(d.decision === 'SAME' ? '判定为同一人' : d.decision === 'DIFFERENT' ? '判定为不同人' : d.decision);
    if (d.note) parts.push(`备注：${d.note}`);
  }
  if (e.sourceRecord) parts.push(`${LABELS.source[e.sourceRecord.source] || ''}记录 #${e.sourceRecord.id}`);
  if (e.otherPersonId) parts.push(h('a', { href: `#/person/${e.otherPersonId}` }, `人员 ${e.otherPersonId}`));
  return parts.length ? parts.flatMap((p, i) => (i ? ['；', p] : [p])) : '—';
}

function linkCard(link) {
  const r = link.record;
  const n = r.normalized;
  return h(
    'div',
    { class: 'record-link', id: `record-${r.id}`, dataset: { record: r.id } },
    h(
      'div',
      { class: 'record-head' },
      h('strong', null, `${LABELS.source[r.source] || r.source}记录 #${r.id}`),
      h('span', { class: 'muted' }, ` 原始编号 ${r.recordId} · 批次 ${r.batchId} 第 ${r.rowNumber} 行 · 第 ${r.version} 版`),
      h('span', { class: 'record-rule' }, badge(link.rule, RULES), ` 权重 ${link.weight.toFixed(2)} · ${dateTime(link.linkedAt)}`),
    ),
    h(
      'p',
      { class: 'record-values' },
      [
        n.name,
        n.idNumber,
        n.phones.map((p) => p.number).join('、'),
        [n.township, n.village].filter(Boolean).join(' '),
        n.address,
        n.reportDate ? `报告日 ${n.reportDate}` : null,
      ]
        .filter(Boolean)
        .join(' · ') || '—',
    ),
    link.explanation.length
      ? explanationTable(link.explanation)
      : h('p', { class: 'muted' }, link.rule === 'FOUNDER' ? '此记录建立了该人员档案，无需比对。' : '没有逐项比对（按规则直接关联）。'),
  );
}

function tableWrap(...args) {
  return h('div', { class: 'table-wrap' }, table(...args));
}

export default {
  id: 'person',
  title: '人员详情',
  nav: false,
  parent: 'persons',
  allowed: (viewer, can) => can('READ_PERSONS'),
  async render(main, ctx) {
    const hash = location.hash;
    const { api, viewer, params } = ctx;
    const id = params.path[0];
    if (!id || !/^\d+$/.test(id)) {
      mount(main, heading('人员详情'), errorBox('人员编号不正确'));
      return;
    }
    const show = async (unmasked) => {
      const data = await api.gql(PERSON, { id, unmasked, letters: ctx.can('READ_LETTERS') });
      if (location.hash !== hash) return; // left while loading
      const p = data.person;
      if (!p) {
        mount(main, heading('人员详情'), errorBox('没有此人员，或不在您的管辖范围内'));
        return;
      }
      if (p.id !== id) ctx.ui.toast(`人员 ${id} 已合并到人员 ${p.id}`);
      const bySourceId = new Map(p.links.map((l) => [l.record.id, l.record]));

      const unmaskButton = viewer.canUnmask
        ? unmasked
          ? h('button', { type: 'button', id: 'mask', onclick: () => show(false) }, '隐藏')
          : h(
              'button',
              {
                type: 'button',
                id: 'unmask',
                class: 'primary',
                title: '显示完整身份证号和电话（此操作会记入审计日志）',
                onclick: (e) => ctx.ui.busy(e.currentTarget, () => show(true)),
              },
              '显示',
            )
        : null;

      const summary = h(
        'div',
        { class: 'card person-summary' },
        h(
          'div',
          { class: 'person-title' },
          h('h2', { id: 'person-name' }, p.name || '（无姓名）', p.namePinyin ? h('small', { class: 'muted' }, ` ${p.namePinyin}`) : null),
          badge(p.locationStatus, LABELS.location),
          p.observation ? badge(p.observation.state, LABELS.observation) : null,
          p.hasConflicts ? badge('conflict', { conflict: '来源有冲突' }) : null,
          unmasked ? h('span', { class: 'badge b-unmasked', id: 'unmasked-note' }, '已显示完整信息（已记入审计）') : null,
        ),
        h(
          'dl',
          { class: 'facts' },
          [
            ['编号', p.id],
            ['身份证号', h('span', { class: 'mono', id: 'person-id-number' }, p.idNumber || '—')],
            ['电话', h('span', { class: 'mono', id: 'person-phones' }, p.phones.join('、') || '—')],
            ['性别 / 出生', `${SEX[p.sex] || '—'} / ${p.birthDate || p.birthYear || '—'}`],
            ['乡镇 / 村', [p.township, p.village].filter(Boolean).join(' ') || '—'],
            ['所在地', p.jurisdiction ? p.jurisdiction.name || p.jurisdiction.code : LABELS.location[p.locationStatus]],
            ['湖北关联', HUBEI[p.hubeiLink] || p.hubeiLink],
            ['来自', p.origin || '—'],
            ['地址', p.address || '—'],
            ['到达日期', p.arrivalDate || '—'],
            ['首次报告', p.firstReported || '—'],
            ['更新于', dateTime(p.updatedAt)],
          ].map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))),
        ),
      );

      const golden = section(
        '综合档案（各值来源与冲突）',
        table(
          [
            { label: '字段', value: (r) => r.label },
            { label: '采用值', class: 'mono', value: (r) => goldenValue(r.v.value) },
            { label: '来源记录', value: (r) => recordRefs(r.v.sourceRecordIds, bySourceId) },
            {
              label: '其他来源的不同值',
              value: (r) =>
                r.v.conflicts.length
                  ? r.v.conflicts.map((c) =>
                      h('div', { class: 'conflict' }, h('span', { class: 'mono' }, goldenValue(c.value)), ' ← ', recordRefs(c.sourceRecordIds, bySourceId)),
                    )
                  : '',
            },
          ],
          goldenRows(p.golden),
        ),
      );
      golden.id = 'person-golden';

      const evidence = section(
        p.locationConflict ? '所在地依据（来源不一致）' : '所在地依据',
        tableWrap(
          [
            { label: '报告日', class: 'nowrap', value: (e) => e.reportDate },
            { label: '来源', value: (e) => (e.sourceRecordId ? recordRefs([e.sourceRecordId], bySourceId) : LABELS.source[e.source]) },
            { label: '判断', value: (e) => badge(e.status, LABELS.location) },
            { label: '地点', value: (e) => (e.place && e.place.name) || [e.township, e.village].filter(Boolean).join(' ') || '—' },
            { label: '规则', class: 'mono', value: (e) => e.rule },
            { label: '', value: (e) => (e.deciding ? h('strong', null, '决定') : '') },
          ],
          p.locationEvidence,
          { empty: '没有所在地依据' },
        ),
      );
      evidence.id = 'person-evidence';

      const records = section(
        `来源记录（${p.links.length} 条）及关联原因`,
        h('div', { id: 'person-records' }, p.links.map(linkCard)),
      );

      const history = section(
        '档案变更记录',
        h(
          'div',
          { id: 'person-history' },
          table(
            [
              { label: '时间', class: 'nowrap', value: (e) => dateTime(e.at) },
              { label: '事件', value: (e) => EVENTS[e.kind] || e.kind || '—' },
              { label: '说明', value: eventDetail },
              { label: '操作者', value: (e) => e.actor },
            ],
            p.events,
          ),
        ),
      );

      const obs = p.observation;
      const followup = section(
        '居家观察',
        obs
          ? h(
              'dl',
              { class: 'facts' },
              [
                ['状态', badge(obs.state, LABELS.observation)],
                ['期间', `${obs.startDate} 至 ${obs.endDate}${obs.active ? `（第 ${obs.day} 天）` : ''}`],
                ['地点', obs.place || '—'],
                ['备注', obs.note || '—'],
              ].map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))),
            )
          : h('p', { class: 'muted' }, '未在县内实施居家观察'),
        h('h3', null, '五包一责任人'),
        table(
          [
            { label: '职责', value: (m) => TEAM[m.role] || m.role },
            { label: '姓名', value: (m) => m.name },
            { label: '电话', class: 'mono', value: (m) => m.phone },
            { label: '指派于', value: (m) => dateTime(m.assignedAt) },
          ],
          p.team,
          { empty: '尚未落实责任人' },
        ),
      );

      const readings = section(
        `体温记录（${p.readings.length} 次）`,
        table(
          [
            { label: '日期', value: (r) => r.date },
            { label: '时段', value: (r) => SLOTS[r.slot] || r.slot },
            { label: '体温 ℃', class: 'num', value: (r) => h('span', { class: r.celsius >= 37.3 ? 'fever' : null }, r.celsius.toFixed(1)) },
            { label: '测量时间', value: (r) => dateTime(r.takenAt) },
            { label: '', value: (r) => (r.corrected ? h('span', { class: 'muted' }, '已更正') : '') },
          ],
          p.readings.slice().reverse(),
          { empty: '没有体温记录' },
        ),
      );

      const cases = section(
        '病例状态',
        table(
          [
            { label: '日期', value: (c) => c.date },
            { label: '状态', value: (c) => CASES[c.status] || c.status },
            { label: '备注', value: (c) => c.note || '' },
            { label: '记录于', value: (c) => dateTime(c.recordedAt) },
          ],
          p.cases,
          { empty: '没有病例记录' },
        ),
      );

      const letters = p.letters
        ? section(
            '协查函',
            table(
              [
                { label: '文号', value: (l) => l.number || `草稿 ${l.id}` },
                { label: '发往', value: (l) => (l.jurisdiction && l.jurisdiction.name) || '—' },
                { label: '状态', value: (l) => badge(l.state, LABELS.letter) },
                { label: '发出日', value: (l) => l.issuedOn || '—' },
              ],
              p.letters,
              { empty: '未列入协查函' },
            ),
          )
        : null;

      mount(
        main,
        heading(
          `人员 ${p.id}`,
          unmaskButton,
          h('button', { type: 'button', onclick: () => backToList(ctx) }, '返回列表'),
        ),
        summary,
        golden,
        h('div', { class: 'cols person-cols' }, evidence, followup),
        records,
        history,
        h('div', { class: 'cols person-cols' }, readings, h('div', null, cases, letters)),
      );
    };
    await show(false);
  },
};

/// Back to where the person was opened from (a filtered list), else the whole list.
function backToList(ctx) {
  if (window.history.length > 1) window.history.back();
  else ctx.navigate('#/persons');
}
