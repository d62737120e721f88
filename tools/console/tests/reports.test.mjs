// 日报: the day's reports with the missing townships highlighted; a township officer files
// its own (the form checked before sending) and its status turns REPORTED; an admin files
// for any township and reads a past day. Screenshots at 1280×800 and 820×1180.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, newPage, signIn, shot } from '../harness.mjs';

let hub;
let browser;

before(async () => {
  hub = await startHub();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

/// The townships the API says are missing today.
async function missing(token) {
  const data = await hub.gql(token, '{ dailyReports { township status } }');
  return data.dailyReports.filter((r) => r.status === 'MISSING').map((r) => r.township);
}

test('missing townships are shown; a township files its report and turns REPORTED', async () => {
  const absent = await missing(hub.adminToken);
  assert.ok(absent.length > 0, 'the demo has townships that have not reported');
  const township = absent[0];

  // The admin's view: every township, the missing ones highlighted and named.
  const admin = await newPage(browser);
  await signIn(admin, hub, hub.adminToken);
  await admin.click('#nav a[data-page="reports"]');
  await admin.waitForSelector('#rp-list table');
  const highlighted = await admin.$$eval('#rp-list tr.rp-missing-row', (rows) => rows.map((r) => r.dataset.township));
  assert.deepEqual(highlighted.sort(), [...absent].sort());
  for (const name of absent) assert.match(await admin.textContent('#rp-missing'), new RegExp(name));
  // The figure 未报 lists the missing townships only; clicked again, all of them.
  await admin.click('#rp-figures .figure:nth-child(3)');
  const statuses = await admin.$$eval('#rp-list tbody tr[data-township]', (rows) => rows.map((r) => r.dataset.status));
  assert.deepEqual(statuses, absent.map(() => 'MISSING'));
  await admin.click('#rp-figures .figure:nth-child(3)');
  await shot(admin, 'reports');

  // The township officer sees its own township only, missing.
  const token = await hub.token('TOWNSHIP', { township });
  const page = await newPage(browser);
  await signIn(page, hub, token);
  await page.click('#nav a[data-page="reports"]');
  await page.waitForSelector(`#rp-list tr[data-township="${township}"][data-status="MISSING"]`);
  assert.equal(await page.$$eval('#rp-list tbody tr[data-township]', (rows) => rows.length), 1);
  assert.equal(await page.inputValue('#rp-township'), township);

  // Checked before sending: a figure that is no count is refused on the page.
  await page.fill('#rp-new', '两人');
  await page.click('#rp-file');
  await page.waitForSelector('#rp-error:not([hidden]):has-text("新增人数须为 0 或正整数")');
  assert.deepEqual(await missing(token), [township], 'nothing was sent');

  await page.fill('#rp-new', '2');
  await page.fill('#rp-note', '两人均已落实居家观察');
  await page.click('#rp-file');
  await page.waitForSelector(`#rp-list tr[data-township="${township}"][data-status="REPORTED"]`);
  const row = await page.textContent(`#rp-list tr[data-township="${township}"]`);
  assert.match(row, /已报/);
  assert.match(row, /两人均已落实居家观察/);
  assert.deepEqual(await missing(token), []);
  await shot(page, 'reports-township-filed');
  assert.deepEqual(page.errors, []);
  await page.context().close();

  // The admin's page, reloaded, no longer lists it as missing; the history shows the filing.
  await admin.reload();
  await admin.waitForSelector(`#rp-list tr[data-township="${township}"][data-status="REPORTED"]`);
  await admin.click(`#rp-list button[data-history="${township}"]`);
  await admin.waitForSelector('#rp-list tr.rp-history');
  assert.deepEqual(admin.errors, []);
  await admin.context().close();
});

test('an admin files for another township and reads a past day on a tablet', async () => {
  const page = await newPage(browser, { width: 820, height: 1180 });
  await signIn(page, hub, hub.adminToken);
  await page.goto(`${hub.url}/#/reports`);
  await page.waitForSelector('#rp-list table');
  const absent = await missing(hub.adminToken);
  const township = absent[0];
  // A township must be chosen.
  await page.fill('#rp-new', '0');
  await page.click('#rp-file');
  await page.waitForSelector('#rp-error:not([hidden]):has-text("请选择乡镇")');
  await page.selectOption('#rp-township', township);
  await page.click('#rp-file');
  await page.waitForSelector(`#rp-list tr[data-township="${township}"][data-status="REPORTED"]`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the tablet`);
  await shot(page, 'reports-tablet');

  // The day before: every township reported in the demo.
  const today = (await hub.gql(hub.adminToken, '{ viewer { today } }')).viewer.today;
  const t = new Date(`${today}T00:00:00Z`);
  const yesterday = new Date(t.getTime() - 86400000).toISOString().slice(0, 10);
  await page.fill('#rp-date', yesterday);
  await page.waitForSelector(`#rp-list h2:has-text("${yesterday}")`);
  assert.equal(await page.$$eval('#rp-list tr.rp-missing-row', (rows) => rows.length), 0);
  assert.match(await page.textContent('#rp-missing'), /均已上报/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
