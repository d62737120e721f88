// Letters (协查函): a clerk drafts letters, opens one, downloads its PDF and XLSX, issues it by
// post after confirming, records a reply for each person (a MOVED_ON without a place is
// refused before sending), and the letter shows 已回复; the partner it was sent to sees it
// read-only. Screenshots at 1280×800 and at tablet size.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startHub, launch, newPage, signIn, shot } from '../harness.mjs';

let hub;
let browser;
let issued = null;

before(async () => {
  hub = await startHub();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

/// Imports `text` as a township form through the API (the GraphQL multipart request).
async function importTownship(token, name, text) {
  const form = new FormData();
  form.append('operations', JSON.stringify({
    query: 'mutation($f: Upload!) { importBatch(source: TOWNSHIP, file: $f) { rowsAccepted } }',
    variables: { f: null },
  }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([text], { type: 'text/csv' }), name);
  const response = await fetch(`${hub.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.equal(body.data.importBatch.rowsAccepted, 1);
}

async function downloaded(page, button) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  const file = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(file) };
}

test('a clerk drafts, downloads, issues and records the replies of a letter', async () => {
  const clerk = await hub.token('CLERK');
  const page = await newPage(browser);
  await signIn(page, hub, clerk);
  await page.click('#nav a[data-page="letters"]');
  await page.waitForSelector('#letter-list table');

  // Draft: the drafts written to are listed at once.
  await page.click('#draft-letters');
  await page.waitForSelector('#drafted[data-drafted]');
  const drafted = Number(await page.getAttribute('#drafted', 'data-drafted'));
  assert.ok(drafted > 0, 'the demo has persons outside the county on no letter');
  assert.match(await page.textContent('#drafted h2'), new RegExp(`已起草 ${drafted} 份函件`));
  await page.waitForSelector('#letter-list tr[data-state="DRAFT"]');
  await shot(page, 'letters-list');

  // The draft with the most persons.
  const rows = await page.$$eval('#drafted tbody tr', (trs) =>
    trs.map((tr) => ({ id: tr.querySelector('a').dataset.letter, persons: Number(tr.children[2].textContent) })),
  );
  rows.sort((a, b) => b.persons - a.persons);
  const { id, persons } = rows[0];
  await page.click(`#drafted a[data-letter="${id}"]`);
  await page.waitForSelector('#letter-summary[data-state="DRAFT"]');
  assert.equal(await page.locator('#letter-persons tbody tr[data-person]').count(), persons);
  // ID numbers and phones masked until asked for.
  assert.doesNotMatch(await page.textContent('#letter-persons tbody'), /1[3-9]\d{9}/);
  await page.click('#show-unmasked');
  await page.waitForSelector('#letter-persons tbody td.mono:has-text("1")');
  assert.match(await page.textContent('#letter-persons tbody'), /1[3-9]\d{9}/);
  await page.click('#show-unmasked');
  assert.doesNotMatch(await page.textContent('#letter-persons tbody'), /1[3-9]\d{9}/);

  const pdf = await downloaded(page, '#download-pdf');
  assert.equal(pdf.bytes.subarray(0, 4).toString('latin1'), '%PDF');
  assert.match(pdf.name, /\.pdf$/);
  const xlsx = await downloaded(page, '#download-xlsx');
  assert.equal(xlsx.bytes.subarray(0, 2).toString('latin1'), 'PK');
  assert.match(xlsx.name, /\.xlsx$/);
  await shot(page, 'letters-draft');

  // Issue by post: the form validates, then asks for confirmation.
  await page.click('#issue-letter');
  await page.waitForSelector('#issue-form .error:not([hidden])');
  await page.selectOption('#issue-channel', 'POST');
  await page.click('#issue-letter');
  await page.waitForSelector('#confirm-yes');
  assert.match(await page.textContent('.confirm'), /邮寄/);
  await page.click('#confirm-yes');
  await page.waitForSelector('#letter-summary[data-state="ISSUED"]');
  const number = (await page.textContent('.heading h1')).trim();
  assert.match(number, /〔2020〕\d+号$/);

  // Replies person by person: MOVED_ON needs a place (refused before sending).
  const replyRows = page.locator('#reply-form tbody tr[data-person]');
  assert.equal(await replyRows.count(), persons);
  const outcomes = ['MOVED_ON', 'OBSERVED', 'NOT_FOUND', 'RETURNED_TO_COUNTY'];
  for (let i = 0; i < persons; i += 1) {
    await replyRows.nth(i).locator('select.reply-outcome').selectOption(outcomes[i % outcomes.length]);
  }
  await page.click('#reply-submit');
  await page.waitForSelector('#reply-form .error:not([hidden])');
  assert.match(await page.textContent('#reply-form .error'), /须填写去向/);
  await replyRows.nth(0).locator('input.reply-place').fill('湖北省孝感市孝南区');
  await replyRows.nth(0).locator('input.reply-note').fill('已转孝南区');
  await shot(page, 'letters-reply-form');
  await page.click('#reply-submit');
  await page.waitForSelector('#letter-summary[data-state="REPLIED"]');
  assert.match(await page.textContent('#letter-summary'), /已回复/);
  assert.equal(await page.locator('#reply-form').count(), 0);
  assert.match(await page.textContent('main'), /已转往他处/);
  await shot(page, 'letters-replied');

  // The hub agrees.
  const data = await hub.gql(clerk, `query($id: ID!) { letter(id: $id) { state number channel
    jurisdiction { code } replies { personId outcome place { code } } } }`, { id });
  assert.equal(data.letter.state, 'REPLIED');
  assert.equal(data.letter.number, number);
  assert.equal(data.letter.channel, 'POST');
  assert.equal(data.letter.replies.length, persons);
  assert.equal(data.letter.replies.find((r) => r.outcome === 'MOVED_ON').place.code, '420902');
  issued = { id, number, jurisdiction: data.letter.jurisdiction.code };

  // At tablet size.
  await page.setViewportSize({ width: 820, height: 1180 });
  await page.waitForSelector('#letter-summary');
  await shot(page, 'letters-replied-tablet');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a draft is cancelled after confirmation; an overdue filter and the unaddressed list', async () => {
  const clerk = await hub.token('CLERK');
  const page = await newPage(browser);
  await signIn(page, hub, clerk);
  await page.goto(`${hub.url}/#/letters?state=DRAFT`);
  await page.waitForSelector('#letter-list tr[data-state="DRAFT"]');
  const id = await page.getAttribute('#letter-list tr[data-state="DRAFT"] a[data-letter]', 'data-letter');
  await page.click(`#letter-list a[data-letter="${id}"]`);
  await page.waitForSelector('#letter-summary[data-state="DRAFT"]');
  await page.click('#cancel-letter');
  await page.click('#confirm-yes');
  await page.waitForSelector('#letter-summary[data-state="CANCELLED"]');
  assert.equal(await page.locator('#issue-form').count(), 0);

  await page.goto(`${hub.url}/#/letters?overdue=true`);
  await page.waitForSelector('#letter-list table');
  assert.equal(await page.inputValue('#f-overdue'), 'true');
  const overdue = await hub.gql(clerk, '{ letters(filter: { overdue: true }) { totalCount } }');
  assert.equal(await page.locator('#letter-list tbody tr.overdue').count(), overdue.letters.totalCount);

  // A person gone away to no known place: listed, with no letter drafted for them.
  await importTownship(
    await hub.token('ANALYST'),
    'away.csv',
    'record_id,township,village,name,sex,id_number,phone,address,origin,arrival_date,report_date,remark\n' +
      'TS-U1,城关镇,河口村,吴外,男,,13911112222,城关镇河口村1号,武汉市,2020-01-20,2020-01-27,外出务工，现在外地\n',
  );
  await page.click('.tabs a[data-tab="unaddressed"]');
  await page.waitForSelector('main h2:has-text("待定去向人员")');
  const unaddressed = await hub.gql(clerk, '{ lettersUnaddressed { id } }');
  assert.equal(unaddressed.lettersUnaddressed.length, 1);
  assert.match(await page.textContent('main h2'), /（1 人）/);
  assert.match(await page.textContent('main table'), /吴外/);
  await shot(page, 'letters-unaddressed');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('an analyst drafts the reply to a notice and opens it', async () => {
  const analyst = await hub.token('ANALYST');
  const page = await newPage(browser);
  await signIn(page, hub, analyst);
  await page.goto(`${hub.url}/#/letters?tab=notices`);
  await page.waitForSelector('button[data-notice]');
  await shot(page, 'letters-notices');
  const notice = await page.getAttribute('button[data-notice]', 'data-notice');
  await page.click(`button[data-notice="${notice}"]`);
  await page.waitForSelector('#letter-summary[data-state="DRAFT"]');
  assert.match(await page.textContent('.heading h1'), /回函草稿/);
  const id = page.url().split('#/letters/')[1];
  const data = await hub.gql(analyst, 'query($id: ID!) { letter(id: $id) { kind noticeId personCount } }', { id });
  assert.equal(data.letter.kind, 'REPLY');
  assert.equal(data.letter.noticeId, notice);
  assert.equal(await page.locator('#letter-persons tbody tr[data-person]').count(), data.letter.personCount);
  await shot(page, 'letters-notice-reply');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the partner a letter was sent to sees it read-only', async (t) => {
  if (!issued) t.skip('no letter was issued');
  const partner = await hub.token('PARTNER', { partner: issued.jurisdiction });
  const page = await newPage(browser);
  await signIn(page, hub, partner);
  await page.goto(`${hub.url}/#/letters`);
  await page.waitForSelector('#letter-list table');
  assert.equal(await page.locator('#draft-letters').count(), 0);
  assert.equal(await page.locator('#letter-list tr[data-state="DRAFT"]').count(), 0);
  await page.click(`#letter-list a[data-letter="${issued.id}"]`);
  await page.waitForSelector('#letter-summary[data-state="REPLIED"]');
  assert.equal((await page.textContent('.heading h1')).trim(), issued.number);
  assert.equal(await page.locator('#issue-form, #reply-form, #cancel-letter, #acknowledge-letter').count(), 0);
  await page.waitForSelector('#download-pdf');
  await shot(page, 'letters-partner');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
