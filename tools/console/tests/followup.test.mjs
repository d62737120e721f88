// 居家观察 as a township officer: readings for two persons entered at once (one feverish), the
// FEVER alert pushed live onto the page (no reload), acknowledged and resolved; a temperature
// sheet with a bad row reported by row number and reason. Screenshots at 1280×800 and 820×1180.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startHub, launch, newPage, signIn, shot, SHOTS } from '../harness.mjs';

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

test('a township officer enters readings, sees the fever alert live, answers it and uploads a sheet', async () => {
  const token = await hub.token('TOWNSHIP', { township: '城关镇' });
  const page = await newPage(browser);
  await signIn(page, hub, token);
  await page.click('#nav a[data-page="followup"]');
  await page.waitForSelector('#fu-persons table');
  await page.waitForSelector('#alerts table');
  await page.waitForSelector('#fu-live:has-text("实时更新中")');
  // Only its own township: no chooser, and every row of the persons table in 城关镇's villages.
  assert.equal(await page.$('#fu-township'), null);
  await shot(page, 'followup');

  // A marker that only survives if the page is never reloaded.
  await page.evaluate(() => {
    window.__followupMarker = 'still here';
  });
  const url = page.url();
  const before = await page.$$eval('#alerts tr[data-alert]', (rows) => rows.map((r) => r.dataset.alert));

  // Every person, not only those due: one due this morning (no reading), one to correct.
  await page.uncheck('#fu-due-only');
  await page.waitForSelector('input.fu-temp[placeholder="更正"]');
  const due = page.locator('input.fu-temp[placeholder="36.5"]').first();
  const done = page.locator('input.fu-temp[placeholder="更正"]').first();
  const third = page.locator('input.fu-temp[placeholder="更正"]').nth(1);
  const feverish = await due.getAttribute('data-person');
  const normal = await done.getAttribute('data-person');

  // A reading out of range is refused on the page, per row, and nothing is sent.
  await due.fill('38.4');
  await done.fill('36.6');
  await third.fill('45');
  await page.click('#save-readings');
  const thirdId = await third.getAttribute('data-person');
  await page.waitForSelector(`[data-error-for="${thirdId}"]:has-text("34.0–43.0")`);
  const unsent = await hub.gql(token, 'query($id: ID!) { person(id: $id) { readings { celsius } } }', { id: feverish });
  assert.ok(!unsent.person.readings.some((r) => r.celsius === 38.4), 'nothing sent while a row is wrong');

  await third.fill('');
  await page.click('#save-readings');
  await page.waitForSelector('#toast.show:has-text("已保存 2 条上午体温")');

  // The FEVER alert arrives over the subscription: a new row, without a reload.
  const fresh = page.locator('#alerts tr.fu-fresh[data-kind="FEVER"]');
  await fresh.waitFor();
  const alertId = await fresh.getAttribute('data-alert');
  assert.ok(!before.includes(alertId), 'a new alert');
  assert.match(await fresh.textContent(), /38\.4/);
  assert.equal(await page.evaluate(() => window.__followupMarker), 'still here');
  assert.equal(page.url(), url);
  const readings = await hub.gql(token, 'query($a: ID!, $b: ID!) { a: person(id: $a) { readings { celsius } } b: person(id: $b) { readings { celsius } } }', { a: feverish, b: normal });
  assert.ok(readings.a.readings.some((r) => r.celsius === 38.4));
  assert.ok(readings.b.readings.some((r) => r.celsius === 36.6));
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'followup-alert-live');

  // Acknowledged, then resolved with a note.
  const row = page.locator(`#alerts tr[data-alert="${alertId}"]`);
  await row.locator('input.fu-note').fill('已电话联系，安排复测');
  await row.locator('[data-action="acknowledge"]').click();
  await page.waitForSelector(`#alerts tr[data-alert="${alertId}"][data-state="ACKNOWLEDGED"]`);
  await row.locator('input.fu-note').fill('复测 36.8 ℃，正常');
  await row.locator('[data-action="resolve"]').click();
  await page.waitForSelector(`#alerts tr[data-alert="${alertId}"]`, { state: 'detached' });
  const answered = await hub.gql(token, '{ alerts(first: 50, filter: { state: RESOLVED }) { edges { node { id note } } } }');
  const resolved = answered.alerts.edges.find((e) => e.node.id === alertId);
  assert.equal(resolved?.node.note, '复测 36.8 ℃，正常');

  // The team (五包一): the editor opens under the person with the phones as stored; a new
  // grid worker replaces the old one, a wrong phone is refused on the page.
  await page.click(`button[data-team="${normal}"]`);
  await page.waitForSelector('tr.fu-team-row form');
  const phone = page.locator('tr.fu-team-row input[data-team-phone="GRID_WORKER"]');
  assert.match(await phone.inputValue(), /^1\d{10}$/, 'the phone as stored, to edit');
  await page.locator('tr.fu-team-row').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, 'followup-team.png') });
  await page.fill('tr.fu-team-row input[data-team-name="GRID_WORKER"]', '王网格');
  await phone.fill('12345');
  await page.click('tr.fu-team-row button[type="submit"]');
  await page.waitForSelector('tr.fu-team-row .error:has-text("网格员：请填写正确的电话")');
  await phone.fill('13900001111');
  await page.click('tr.fu-team-row button[type="submit"]');
  await page.waitForSelector('tr.fu-team-row', { state: 'detached' });
  const team = await hub.gql(token, 'query($id: ID!) { person(id: $id) { team { role name phone(unmasked: true) } } }', { id: normal });
  const grid = team.person.team.find((m) => m.role === 'GRID_WORKER');
  assert.deepEqual(grid, { role: 'GRID_WORKER', name: '王网格', phone: '13900001111' });
  assert.equal(team.person.team.length, 5, 'the other four kept');

  // A sheet with one bad row: its number (the header is row 1) and the reason.
  const yesterday = await hub.gql(token, '{ viewer { today } }').then((d) => {
    const t = new Date(`${d.viewer.today}T00:00:00Z`);
    return new Date(t.getTime() - 86400000).toISOString().slice(0, 10);
  });
  const sheet = `人员编号,日期,上午,下午\n${normal},${yesterday},36.5,36.7\n${normal},${yesterday},45,\n`;
  await page.setInputFiles('#fu-temp-file', { name: '体温表.csv', mimeType: 'text/csv', buffer: Buffer.from(sheet) });
  await page.click('#fu-temp-upload');
  await page.waitForSelector('#fu-temp-report table');
  const report = await page.textContent('#fu-temp-report');
  assert.match(report, /共 2 行/);
  assert.match(report, /拒绝 1 行/);
  const cells = await page.$$eval('#fu-temp-report tbody td', (tds) => tds.map((td) => td.textContent));
  assert.equal(cells[0], '3');
  assert.match(cells[1], /45/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'followup-sheet');
  assert.equal(await page.evaluate(() => window.__followupMarker), 'still here');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('an analyst chooses a township; the page fits a tablet', async () => {
  const token = await hub.token('ANALYST');
  const page = await newPage(browser, { width: 820, height: 1180 });
  await signIn(page, hub, token);
  await page.goto(`${hub.url}/#/followup`);
  await page.waitForSelector('#fu-persons table');
  const villages = (await hub.gql(token, '{ viewer { townships { name villages } } }')).viewer.townships.find(
    (t) => t.name === '城关镇',
  ).villages;
  await page.selectOption('#fu-township', '城关镇');
  // One township chosen: its villages only, without a township column.
  await page.waitForFunction(
    () => ![...document.querySelectorAll('#fu-villages th')].some((th) => th.textContent === '乡镇'),
  );
  await page.waitForSelector('#fu-villages tbody tr td');
  const shown = await page.$$eval('#fu-villages tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
  assert.ok(shown.length > 0);
  for (const village of shown) assert.ok(villages.includes(village), `${village} is not of 城关镇`);
  // No horizontal scroll of the whole page on a tablet.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the tablet`);
  await shot(page, 'followup-tablet');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
