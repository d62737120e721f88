// The day's briefing: figures, text and charts (issue 24). Every figure opens the list of its
// persons (`#/persons?filter=…`, the figure's own `personsFilter`), and so do the bars and
// points of the charts that count persons.
import { h, mount, heading, section, figure, errorBox, LABELS } from '../ui.js';

const BRIEFING = `query Briefing($date: NaiveDate, $days: DayRangeInput, $filter: PersonFilterInput) {
  briefing(date: $date) { date text missingTownships figures { key label value personsFilter } }
  bySource: aggregates(days: $days, filter: $filter, groupBy: [DAY, SOURCE]) {
    dataAsOf groups { keys { day source } count }
  }
  byTownship: aggregates(filter: $filter, groupBy: [TOWNSHIP, STATUS]) {
    groups { keys { township status } count }
  }
  byObservation: aggregates(days: $days, filter: $filter, groupBy: [DAY, OBSERVATION_STATE]) {
    groups { keys { day observationState } count runningTotal }
  }
  stats { alertsByDay { day kind state count } }
}`;

const SOURCES = ['TOWNSHIP', 'BIGDATA', 'EXTERNAL'];
const STATUSES = ['IN_COUNTY', 'OUT_OF_COUNTY', 'PENDING_VERIFICATION'];
const OBSERVATION = ['UNDER_OBSERVATION', 'RELEASED', 'TRANSFERRED', 'LOST_CONTACT'];
const ALERT_KINDS = ['FEVER', 'MISSED_CHECK', 'REPORT_MISSING'];
const COLORS = ['#1d4ed8', '#b42318', '#f79009', '#067647', '#7a5af8', '#66788a'];

/// The hash of the persons list under `filter` (a PersonFilterInput object).
export function personsHash(filter) {
  return `#/persons?filter=${encodeURIComponent(JSON.stringify(filter))}`;
}

/// The figures as the text groups them: the register, the county's follow-up, letters and cases.
const GROUPS = [
  ['在册人员', ['linked_total', 'in_county', 'outside', 'pending_verification', 'new_today']],
  ['发现方式', ['by_township', 'by_external', 'by_bigdata']],
  [
    '居家观察',
    ['under_observation', 'released', 'transferred', 'lost_contact', 'team_complete', 'team_incomplete',
      'checks_due', 'checks_done', 'open_fevers'],
  ],
  ['协查与病例', ['letters_issued', 'letters_persons', 'persons_without_letter', 'letter_replies', 'confirmed', 'suspected', 'townships_missing']],
];

function figureGroups(figures, open) {
  const byKey = new Map(figures.map((f) => [f.key, f]));
  const shown = new Set();
  const blocks = GROUPS.map(([title, keys]) => {
    const items = keys.filter((k) => byKey.has(k)).map((k) => {
      shown.add(k);
      return byKey.get(k);
    });
    return [title, items];
  });
  const rest = figures.filter((f) => !shown.has(f.key));
  if (rest.length) blocks.push(['其他', rest]);
  return blocks
    .filter(([, items]) => items.length)
    .map(([title, items]) =>
      h(
        'div',
        { class: 'briefing-group' },
        h('h3', null, title),
        h(
          'div',
          { class: 'figures' },
          items.map((f) => {
            const el = figure(f.label, f.value, open && f.personsFilter ? () => open(f.personsFilter) : null);
            el.dataset.key = f.key;
            el.dataset.value = String(f.value);
            if (f.personsFilter) el.dataset.filter = JSON.stringify(f.personsFilter);
            return el;
          }),
        ),
      ),
    );
}

function sortedDays(groups) {
  return [...new Set(groups.map((g) => g.keys.day).filter(Boolean))].sort();
}

/// Options of the four charts, each with how a click on a bar or point finds its persons.
function chartSpecs(data, date) {
  const specs = [];
  const upTo = { to: date };

  const srcGroups = data.bySource.groups;
  const srcDays = sortedDays(srcGroups);
  specs.push({
    id: 'chart-new',
    title: '每日新增人员（按来源）',
    option: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: srcDays.map((d) => d.slice(5)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: SOURCES.map((s) => ({
        name: LABELS.source[s],
        type: 'bar',
        stack: 'n',
        data: srcDays.map((d) => {
          const g = srcGroups.find((x) => x.keys.day === d && x.keys.source === s);
          return g ? g.count : 0;
        }),
      })),
    },
    filter: (p) => ({ firstReported: { from: srcDays[p.dataIndex], to: srcDays[p.dataIndex] }, source: [SOURCES[p.seriesIndex]] }),
  });

  const twGroups = data.byTownship.groups.filter((g) => g.keys.township);
  const townships = [...new Set(twGroups.map((g) => g.keys.township))];
  specs.push({
    id: 'chart-township',
    title: '各乡镇人员（按所在地状态）',
    option: {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 56 },
      xAxis: { type: 'category', data: townships, axisLabel: { interval: 0, rotate: 40 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: STATUSES.map((s) => ({
        name: LABELS.location[s],
        type: 'bar',
        stack: 't',
        data: townships.map((t) => {
          const g = twGroups.find((x) => x.keys.township === t && x.keys.status === s);
          return g ? g.count : 0;
        }),
      })),
    },
    filter: (p) => ({ firstReported: upTo, township: townships[p.dataIndex], locationStatus: [STATUSES[p.seriesIndex]] }),
  });

  const obGroups = data.byObservation.groups;
  const obDays = sortedDays(obGroups);
  specs.push({
    id: 'chart-observation',
    title: '居家观察状态（累计，按首次报告日）',
    option: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: obDays.map((d) => d.slice(5)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: OBSERVATION.map((s) => ({
        name: LABELS.observation[s],
        type: 'line',
        data: obDays.map((d) => {
          const g = obGroups.find((x) => x.keys.day === d && x.keys.observationState === s);
          return g ? g.runningTotal : 0;
        }),
      })),
    },
    filter: (p) => ({ firstReported: { to: obDays[p.dataIndex] }, observationState: [OBSERVATION[p.seriesIndex]] }),
  });

  const alerts = data.stats.alertsByDay.filter((a) => a.day <= date);
  const alertDays = [...new Set(alerts.map((a) => a.day))].sort();
  specs.push({
    id: 'chart-alerts',
    title: '预警（按日、类型）',
    option: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: alertDays.map((d) => d.slice(5)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: ALERT_KINDS.map((k) => ({
        name: LABELS.alert[k],
        type: 'bar',
        stack: 'a',
        data: alertDays.map((d) =>
          alerts.filter((a) => a.day === d && a.kind === k).reduce((sum, a) => sum + (a.count || 0), 0),
        ),
      })),
    },
    filter: null,
  });
  return specs;
}

export default {
  id: 'briefing',
  title: '今日概况',
  nav: true,
  parent: null,
  allowed: (viewer, can) => can('READ_AGGREGATES'),
  async render(main, ctx) {
    const hash = location.hash;
    const { viewer, api, params } = ctx;
    const asked = params.query.get('date');
    const date = asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) ? asked : viewer.today;
    const picker = h('input', {
      type: 'date',
      id: 'briefing-date',
      value: date,
      max: viewer.today,
      onchange: () => {
        if (picker.value) ctx.navigate(`#/briefing?date=${picker.value}`);
      },
    });
    const data = await api.gql(BRIEFING, { date, days: { to: date }, filter: { firstReported: { to: date } } });
    if (location.hash !== hash) return undefined; // left while loading
    const b = data.briefing;
    const open = ctx.can('READ_PERSONS') ? (filter) => ctx.navigate(personsHash(filter)) : null;

    const charts = [];
    const specs = chartSpecs(data, date);
    const chartCards = specs.map((spec) => {
      const box = h('div', { class: 'chart', id: spec.id });
      charts.push([box, spec]);
      return section(spec.title, box, open && spec.filter ? h('small', { class: 'muted' }, '点击柱或点查看对应人员') : null);
    });

    mount(
      main,
      heading('今日概况', ctx.ui.field('日期', picker)),
      h(
        'p',
        { class: 'muted briefing-asof' },
        `截至 ${b.date} 24 时`,
        data.bySource.dataAsOf ? `；数据更新于 ${ctx.ui.dateTime(data.bySource.dataAsOf)}` : '',
        open ? '。点击数字查看对应人员。' : '',
      ),
      h('div', { id: 'briefing-figures' }, figureGroups(b.figures, open)),
      h(
        'div',
        { class: 'cols briefing-main' },
        section('日报文字', h('pre', { class: 'briefing-text', id: 'briefing-text' }, b.text)),
        section(
          '当日未报告乡镇',
          b.missingTownships.length
            ? h('ul', { class: 'plain', id: 'briefing-missing' }, b.missingTownships.map((t) => h('li', null, t)))
            : h('p', { class: 'muted', id: 'briefing-missing' }, '各乡镇均已报告'),
        ),
      ),
      h('div', { class: 'cols charts' }, chartCards),
    );

    const instances = [];
    if (window.echarts) {
      for (const [box, spec] of charts) {
        try {
          const chart = window.echarts.init(box, null, { renderer: 'canvas' });
          const empty = !spec.option.xAxis.data.length;
          const title = empty
            ? { text: '暂无数据', left: 'center', top: 'middle', textStyle: { color: '#66788a', fontSize: 14, fontWeight: 'normal' } }
            : undefined;
          chart.setOption({ color: COLORS, animation: false, title, ...spec.option });
          if (open && spec.filter) {
            chart.on('click', (p) => {
              if (p.componentType === 'series') open({ ...spec.filter(p) });
            });
          }
          instances.push(chart);
        } catch (e) {
          mount(box, errorBox(`图表无法显示：${e.message}`));
        }
      }
    }
    const resize = () => instances.forEach((c) => c.resize());
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      instances.forEach((c) => c.dispose());
    };
  },
};
