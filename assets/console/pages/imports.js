// Imports (导入, issue 24): upload a file of a source kind with an optional mapping file, a
// progress indication while it goes up and while the hub imports it, the batch report
// (rejected rows with their numbers and reasons); past batches with their figures. A PARTNER
// submits external notices only, and learns what was accepted and rejected, never what matched.
import { h, mount, heading, section, table, field, figure, errorBox, loading, badge, dateTime, select, toast, LABELS } from '../ui.js';

/// What the hub accepts (the request body is 64 MiB at most, less the form's overhead).
const MAX_BYTES = 63 * 1024 * 1024;
const FORMATS = ['.csv', '.xlsx', '.json', '.ndjson'];

const REPORT = `alreadyImported batchId fileName format notices personsCreated personsMatched
  recordsNew recordsNewVersion recordsUnchanged rowsRead rowsAccepted rowsRejected sha256 source
  rejected { row reason }
  recordIdConflicts { rowNumber recordId reason }`;

const IMPORT = `mutation Import($source: Source!, $file: Upload!, $mapping: Upload) {
  importBatch(source: $source, file: $file, mapping: $mapping) { ${REPORT} }
}`;

const BATCHES = `query Batches($after: String) {
  importBatches(first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id fileName format source importedAt importedBy sha256
      report { ${REPORT} } } }
  }
}`;

const SOURCE_HINTS = {
  BIGDATA: '省里推送的大数据名单（通信漫游、铁路、航班）。',
  TOWNSHIP: '乡镇、街道入户排查登记表。',
  EXTERNAL: '外地发来的协查通报（JSON，含通报编号和人员）。',
};

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function sourcesFor(ctx) {
  if (ctx.can('IMPORT')) return ['TOWNSHIP', 'BIGDATA', 'EXTERNAL'];
  return ['EXTERNAL'];
}

export default {
  id: 'imports',
  title: '导入',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('IMPORT') || can('SUBMIT_NOTICE'),
  async render(main, ctx) {
    const reportBox = h('div', { id: 'import-report' });
    const batchesBox = h('div', { id: 'import-batches' });
    mount(
      main,
      heading('导入'),
      uploadForm(ctx, reportBox, () => (ctx.can('READ_RECORDS') ? loadBatches(ctx, batchesBox) : null)),
      reportBox,
      ctx.can('READ_RECORDS') ? batchesBox : null,
    );
    if (ctx.can('READ_RECORDS')) await loadBatches(ctx, batchesBox);
  },
};

function uploadForm(ctx, reportBox, reload) {
  const sources = sourcesFor(ctx);
  const source = select(
    sources.map((s) => [s, LABELS.source[s] || s]),
    sources[0],
    { id: 'import-source', disabled: sources.length === 1 },
  );
  const hint = h('small', { id: 'source-hint' }, SOURCE_HINTS[sources[0]]);
  source.addEventListener('change', () => {
    hint.textContent = SOURCE_HINTS[source.value];
  });
  const file = h('input', { type: 'file', id: 'import-file', accept: FORMATS.join(',') });
  const mapping = h('input', { type: 'file', id: 'import-mapping', accept: '.toml' });
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const progress = h(
    'div',
    { class: 'progress', id: 'import-progress', hidden: true, role: 'status' },
    h('span', { class: 'label' }),
    h('div', { class: 'bar' }, h('span')),
  );
  const submit = h('button', { type: 'submit', class: 'primary', id: 'import-submit' }, '上传并导入');
  const setProgress = (text, fraction, phase) => {
    progress.hidden = false;
    // The phases seen, for tests: `upload` while sending, `server` while the hub imports.
    const seen = new Set((progress.dataset.seen || '').split(' ').filter(Boolean));
    seen.add(phase);
    progress.dataset.seen = [...seen].join(' ');
    progress.querySelector('.label').textContent = text;
    const bar = progress.querySelector('.bar > span');
    if (fraction === null) {
      progress.classList.add('indeterminate');
      bar.style.width = '';
    } else {
      progress.classList.remove('indeterminate');
      bar.style.width = `${Math.round(fraction * 100)}%`;
    }
  };
  const fail = (message) => {
    error.textContent = message;
    error.hidden = false;
  };
  return h(
    'form',
    {
      class: 'card import-form no-print',
      id: 'import-form',
      onsubmit: async (event) => {
        event.preventDefault();
        error.hidden = true;
        const f = file.files[0];
        const m = mapping.files[0] || null;
        if (!f) return fail('请选择要导入的文件');
        const name = f.name.toLowerCase();
        if (!FORMATS.some((ext) => name.endsWith(ext))) {
          return fail(`不支持的文件类型：${f.name}。请上传 CSV、XLSX、JSON 或 NDJSON 文件`);
        }
        if (!f.size) return fail('文件是空的');
        if (f.size + (m ? m.size : 0) > MAX_BYTES) return fail(`文件过大（${size(f.size)}），上限为 ${size(MAX_BYTES)}`);
        if (m && !m.name.toLowerCase().endsWith('.toml')) return fail('对照表应为 .toml 文件（每行 "表头" = "字段"）');
        if (!sources.includes(source.value)) return fail('当前角色只能提交外地协查通报');
        submit.disabled = true;
        mount(reportBox);
        progress.dataset.seen = '';
        setProgress(`正在上传 ${f.name}（${size(f.size)}）…`, 0, 'upload');
        try {
          const data = await ctx.api.uploadWithProgress(
            IMPORT,
            { source: source.value },
            { file: f, mapping: m },
            (p) => {
              if (p.phase === 'upload') {
                const total = p.total || f.size;
                setProgress(`正在上传 ${f.name}：${size(p.loaded)} / ${size(total)}`, total ? Math.min(1, p.loaded / total) : null, 'upload');
              } else {
                setProgress('上传完成，正在导入、校验并归并人员…', null, 'server');
              }
            },
          );
          progress.hidden = true;
          const r = data.importBatch;
          mount(reportBox, reportView(ctx, r));
          toast(r.alreadyImported ? '此文件已导入过，未重复写入' : `导入完成：接收 ${r.rowsAccepted} 行，退回 ${r.rowsRejected} 行`);
          file.value = '';
          mapping.value = '';
          await reload();
        } catch (e) {
          progress.hidden = true;
          fail(e.message || String(e));
        } finally {
          submit.disabled = false;
        }
        return undefined;
      },
    },
    h('h2', null, '上传文件'),
    h(
      'div',
      { class: 'row' },
      field('来源类型', source, null),
      field('数据文件', file),
      field('表头对照表（可选）', mapping),
      submit,
    ),
    hint,
    sources.length === 1
      ? h('p', { class: 'muted small', id: 'partner-note' }, '协作地只能提交外地协查通报；报告只列出接收与退回的行，不显示与本县登记的匹配情况。')
      : null,
    h('p', { class: 'muted small' }, '支持 CSV（UTF-8 或 GB18030）、XLSX、JSON、NDJSON；表头可用中文（简繁均可）。遇到不认识的表头，可附 TOML 对照表，如 "同住人数" = "remark"。同一文件重复上传不会重复写入。'),
    progress,
    error,
  );
}

/// How a report's row numbers count, by the file's format.
function rowNote(format) {
  if (format === 'json') return '序号为文件中人员的顺序（第 1 个人员为 1；通报按其人员依次计数）。';
  if (format === 'ndjson') return '行号为非空行的顺序（第 1 条记录为 1）。';
  return '行号从表头下第一行数据算起（第 1 行即第一条数据）。';
}

/// The rejected rows' figure: opens (scrolls to) their list.
function rejectedFigure(n) {
  const f = figure('退回', n, n ? () => document.getElementById('rejected-rows')?.scrollIntoView({ block: 'center' }) : null);
  if (n) f.classList.add('bad');
  return f;
}

/// A report's figures, the rejected rows and the record-ID conflicts.
function reportView(ctx, r) {
  const partner = r.personsMatched === null || r.personsMatched === undefined;
  const figures = [
    figure('读取行数', r.rowsRead),
    figure('接收', r.rowsAccepted),
    rejectedFigure(r.rowsRejected),
    r.notices ? figure('通报', r.notices) : null,
    partner ? null : figure('新增人员', r.personsCreated),
    partner ? null : figure('关联已有人员', r.personsMatched),
    partner ? null : figure('新记录', r.recordsNew),
    partner ? null : figure('记录新版本', r.recordsNewVersion),
    partner ? null : figure('未变记录', r.recordsUnchanged),
  ];
  const rejected = r.rejected || [];
  const conflicts = r.recordIdConflicts || [];
  return section(
    `导入报告：${r.fileName}`,
    h(
      'p',
      { class: 'muted small', id: 'report-meta', dataset: { batch: r.batchId } },
      `批次 ${r.batchId} · ${LABELS.source[r.source] || r.source || '—'} · ${r.format.toUpperCase()} · sha256 ${r.sha256.slice(0, 12)}…`,
    ),
    r.alreadyImported
      ? h('div', { class: 'overdue-note', id: 'already-imported' }, `此文件此前已导入（批次 ${r.batchId}），本次未写入任何数据。`)
      : null,
    h('div', { class: 'figures', id: 'report-figures' }, figures),
    h('h2', null, rejected.length ? `退回的行（${r.rowsRejected}）` : '退回的行'),
    rejected.length
      ? h(
          'div',
          null,
          rowsTable(rejected, 'rejected'),
          r.rowsRejected > rejected.length ? h('p', { class: 'muted small' }, `仅列出前 ${rejected.length} 行。`) : null,
          h('p', { class: 'muted small' }, `${rowNote(r.format)}改正后可重新上传整个文件：已接收的行不会重复写入。`),
        )
      : h('p', { class: 'muted' }, '没有退回的行。'),
    conflicts.length
      ? [
          h('h2', null, `记录编号冲突（${conflicts.length}）`),
          table(
            [
              { label: '行号', class: 'num', value: (c) => c.rowNumber },
              { label: '记录编号', value: (c) => c.recordId },
              { label: '说明', value: (c) => c.reason },
            ],
            conflicts,
          ),
        ]
      : null,
  );
}

function rowsTable(rows, kind) {
  const t = table(
    [
      { label: '行号', class: 'num', value: (x) => x.row },
      { label: '原因', value: (x) => x.reason },
    ],
    rows,
  );
  t.id = `${kind}-rows`;
  t.querySelectorAll('tbody tr').forEach((tr, i) => {
    tr.classList.add('rejected-row');
    tr.dataset.row = String(rows[i].row);
  });
  return t;
}

async function loadBatches(ctx, box) {
  if (!box.firstChild) mount(box, loading());
  let rows = [];
  let after = null;
  let total = 0;
  try {
    // Oldest first from the API: read every page (a county has tens of batches), newest on top.
    for (;;) {
      const data = await ctx.api.gql(BATCHES, { after });
      const conn = data.importBatches;
      total = conn.totalCount;
      rows = rows.concat(conn.edges.map((e) => e.node));
      if (!conn.pageInfo.hasNextPage || rows.length >= 1000) break;
      after = conn.pageInfo.endCursor;
    }
  } catch (e) {
    mount(box, section('历史批次', errorBox(e)));
    return;
  }
  rows.reverse();
  const n = (v) => (v === null || v === undefined ? '—' : v);
  const t = table(
    [
      { label: '批次', class: 'num', value: (b) => b.id },
      { label: '文件', value: (b) => b.fileName },
      { label: '来源', value: (b) => badge(b.source, LABELS.source) },
      { label: '导入时间', class: 'nw', value: (b) => dateTime(b.importedAt) },
      { label: '导入人', value: (b) => b.importedBy },
      { label: '读取', class: 'num', value: (b) => b.report.rowsRead },
      { label: '接收', class: 'num', value: (b) => b.report.rowsAccepted },
      {
        label: '退回',
        class: 'num',
        value: (b) => (b.report.rowsRejected ? h('strong', { class: 'rejected-count' }, b.report.rowsRejected) : 0),
      },
      { label: '新增人员', class: 'num', value: (b) => n(b.report.personsCreated) },
      { label: '关联人员', class: 'num', value: (b) => n(b.report.personsMatched) },
      { label: '新/新版本/未变记录', class: 'num', value: (b) => `${n(b.report.recordsNew)} / ${n(b.report.recordsNewVersion)} / ${n(b.report.recordsUnchanged)}` },
    ],
    rows,
    {
      empty: '尚无导入批次',
      onRow: (b) => {
        const target = document.getElementById('import-report');
        if (!target) return;
        mount(target, reportView(ctx, b.report));
        target.scrollIntoView({ block: 'start' });
      },
    },
  );
  t.id = 'batches-table';
  t.querySelectorAll('tbody tr').forEach((tr, i) => {
    if (rows[i]) tr.dataset.batch = rows[i].id;
  });
  mount(
    box,
    section(
      `历史批次（共 ${total} 批）`,
      h('p', { class: 'muted small' }, '点击一行查看该批次的报告。'),
      h('div', { class: 'scroll' }, t),
    ),
  );
}
