// 今日概况 as an analyst: the figures are the API's, a figure opens the list of exactly its
// persons, the charts render, and another day's briefing is the API's for that day.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, newPage, signIn, shot } from '../harness.mjs';

let hub;
let browser;
let token;

const BRIEFING = `query ($date: NaiveDate) { viewer { today }
  briefing(date: $date) { date figures { key value personsFilter } missingTownships } }`;

before(async () => {
  hub = await startHub();
  browser = await launch();
  token = await hub.token('ANALYST');
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

/// The figures as the page shows them: `{ key: value }`.
async function shownFigures(page) {
  return page.$$eval('#briefing-figures .figure', (els) =>
    Object.fromEntries(els.map((el) => [el.dataset.key, Number(el.querySelector('strong').textContent)])),
  );
}

test('the briefing shows the API figures, and a figure opens its persons', async () => {
  const api = await hub.gql(token, BRIEFING, {});
  const page = await newPage(browser);
  await signIn(page, hub, token);
  await page.goto(`${hub.url}/#/briefing`);
  await page.waitForSelector('#briefing-figures .figure');

  const expected = Object.fromEntries(api.briefing.figures.map((f) => [f.key, f.value]));
  assert.ok(api.briefing.figures.length >= 10);
  assert.deepEqual(await shownFigures(page), expected);
  assert.equal(await page.inputValue('#briefing-date'), api.viewer.today);
  const text = await page.textContent('#briefing-text');
  assert.match(text, /一、疫情总体情况/);
  for (const township of api.briefing.missingTownships) {
    assert.ok((await page.textContent('#briefing-missing')).includes(township));
  }

  // The four charts draw on a canvas.
  for (const id of ['chart-new', 'chart-township', 'chart-observation', 'chart-alerts']) {
    await page.waitForSelector(`#${id} canvas`);
  }
  await shot(page, 'briefing');

  // Figures open a list whose count is the figure.
  for (const key of ['in_county', 'under_observation', 'by_external']) {
    const figure = api.briefing.figures.find((f) => f.key === key);
    assert.ok(figure && figure.personsFilter, key);
    await page.click(`#briefing-figures .figure[data-key="${key}"]`);
    await page.waitForSelector('#persons-total');
    assert.equal(Number(await page.getAttribute('#persons-total', 'data-total')), figure.value, key);
    const hash = await page.evaluate(() => location.hash);
    assert.deepEqual(JSON.parse(new URLSearchParams(hash.split('?')[1]).get('filter')), figure.personsFilter);
    if (key === 'in_county') await shot(page, 'briefing-figure-persons');
    await page.goBack();
    await page.waitForSelector('#briefing-figures .figure');
  }

  // A bar of the township chart opens its persons: the first township's persons in the county.
  const groups = await hub.gql(
    token,
    `query ($to: NaiveDate) { aggregates(filter: { firstReported: { to: $to } }, groupBy: [TOWNSHIP, STATUS]) {
      groups { keys { township status } count } } }`,
    { to: api.viewer.today },
  );
  const first = groups.aggregates.groups.find((g) => g.keys.township && g.keys.status === 'IN_COUNTY');
  assert.ok(first.count > 0);
  const point = await page.evaluate((half) => {
    const chart = window.echarts.getInstanceByDom(document.getElementById('chart-township'));
    return chart.convertToPixel({ seriesIndex: 0 }, [0, half]);
  }, first.count / 2);
  const chartEl = await page.$('#chart-township');
  await chartEl.scrollIntoViewIfNeeded();
  const box = await chartEl.boundingBox();
  await page.mouse.click(box.x + point[0], box.y + point[1]);
  await page.waitForSelector('#persons-total');
  assert.equal(Number(await page.getAttribute('#persons-total', 'data-total')), first.count);
  assert.equal(await page.inputValue('#f-township'), first.keys.township);
  assert.equal(await page.inputValue('#f-status'), 'IN_COUNTY');

  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('another day: the figures of the API for that day, and on a tablet', async () => {
  const date = '2020-01-28';
  const api = await hub.gql(token, BRIEFING, { date });
  const page = await newPage(browser, { width: 820, height: 1180 });
  await signIn(page, hub, token);
  await page.goto(`${hub.url}/#/briefing`);
  await page.waitForSelector('#briefing-figures .figure');
  await page.fill('#briefing-date', date);
  await page.waitForFunction((d) => location.hash === `#/briefing?date=${d}`, date);
  await page.waitForFunction(
    (d) => document.querySelector('.briefing-asof')?.textContent.includes(d),
    date,
  );
  const expected = Object.fromEntries(api.briefing.figures.map((f) => [f.key, f.value]));
  assert.deepEqual(await shownFigures(page), expected);
  await page.waitForSelector('#chart-township canvas');
  await shot(page, 'briefing-tablet');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a dashboard sees the figures without links to persons', async () => {
  const dash = await hub.token('DASHBOARD');
  const page = await newPage(browser);
  await signIn(page, hub, dash);
  await page.goto(`${hub.url}/#/briefing`);
  await page.waitForSelector('#briefing-figures .figure');
  assert.equal(await page.$$eval('#briefing-figures .figure:not([disabled])', (els) => els.length), 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
