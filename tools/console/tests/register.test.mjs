// 人员 and 人员详情: search by pinyin and by ID digits, filters and export, a person's golden
// record, records with why they were linked, history; "显示" unmasks for an admin (audited)
// and is not offered to an analyst, who sees masked values.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startHub, launch, newPage, signIn, shot } from '../harness.mjs';

let hub;
let browser;
let analyst;
let demo; // a demo person with several records (and a conflict)

before(async () => {
  hub = await startHub();
  browser = await launch();
  analyst = await hub.token('ANALYST');
  const data = await hub.gql(
    hub.adminToken,
    `{ persons(first: 20, filter: { hasConflicts: true }) { edges { node {
        id name namePinyin idNumber(unmasked: true) township links { rule } } } } }`,
  );
  demo = data.persons.edges
    .map((e) => e.node)
    .find((p) => p.name && p.namePinyin && p.idNumber && p.links.length >= 2);
  assert.ok(demo, 'a demo person with an ID number and two records');
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

async function search(page, text) {
  await page.fill('#persons-search', text);
  await page.click('#persons-go');
  // The results of this search, not the page before it: the count names what was sought
  // once the search has answered (the hash changes before the page is drawn again).
  await page.waitForFunction(
    (t) => new URLSearchParams(location.hash.split('?')[1] || '').get('q') === t &&
      document.querySelector('#persons-results .persons-count')?.textContent.includes(`“${t}”`),
    text,
  );
}

async function listedIds(page) {
  return page.$$eval('#persons-results tbody tr td:first-child a', (as) => as.map((a) => a.textContent));
}

test('search finds a demo person by pinyin and by ID digits', async () => {
  const page = await newPage(browser);
  await signIn(page, hub, analyst);
  await page.goto(`${hub.url}/#/persons`);
  await page.waitForSelector('#persons-total');
  const total = await hub.gql(analyst, '{ persons { totalCount } }');
  assert.equal(Number(await page.getAttribute('#persons-total', 'data-total')), total.persons.totalCount);
  await shot(page, 'persons');

  // Relay paging: the next page holds the next persons, and back again.
  const firstPage = await listedIds(page);
  assert.equal(firstPage.length, 50);
  await page.click('#persons-next');
  await page.waitForFunction((id) => {
    const a = document.querySelector('#persons-results tbody td:first-child a');
    return a && a.textContent !== id;
  }, firstPage[0]);
  const secondPage = await listedIds(page);
  assert.ok(secondPage.every((id) => !firstPage.includes(id)));
  await page.click('#persons-prev');
  await page.waitForFunction((id) => document.querySelector('#persons-results tbody td:first-child a')?.textContent === id, firstPage[0]);

  await search(page, demo.namePinyin);
  assert.ok((await listedIds(page)).includes(demo.id), `pinyin ${demo.namePinyin}`);
  assert.match(await page.textContent('#persons-results'), /拼音/);
  await shot(page, 'persons-search-pinyin');

  const digits = demo.idNumber.slice(-8);
  await search(page, digits);
  assert.ok((await listedIds(page)).includes(demo.id), 'ID digits');
  assert.match(await page.textContent('#persons-results'), /身份证号/);

  // A filter: the township select narrows the list to the API's count.
  await page.click('#persons-clear');
  // The whole list drawn again (its count says 共, not what was sought) before the form
  // it came with is used: a select changed on the page before would carry its search.
  await page.waitForFunction(
    () => location.hash === '#/persons' &&
      document.querySelector('#persons-results .persons-count')?.textContent.startsWith('共'),
  );
  await page.selectOption('#f-township', demo.township);
  await page.waitForFunction(() => location.hash.includes('filter='));
  await page.waitForSelector('#persons-total');
  const inTownship = await hub.gql(analyst, 'query ($t: String) { persons(filter: { township: $t }) { totalCount } }', {
    t: demo.township,
  });
  await page.waitForFunction(
    (n) => document.querySelector('#persons-total')?.dataset.total === String(n),
    inTownship.persons.totalCount,
  );

  // Export of the current filter: a CSV of exactly those persons.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#persons-export-csv')]);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  assert.equal(lines.length, inTownship.persons.totalCount + 1);
  assert.ok(!csv.includes(demo.idNumber), 'the export is masked');

  // A row opens the person.
  await page.click(`#persons-results a[href="#/person/${demo.id}"]`);
  await page.waitForSelector('#person-golden');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a person page: golden record, records with their explanation, history; masked for an analyst', async () => {
  const page = await newPage(browser);
  await signIn(page, hub, analyst);
  await page.goto(`${hub.url}/#/person/${demo.id}`);
  await page.waitForSelector('#person-golden');
  assert.ok((await page.textContent('#person-name')).includes(demo.name));
  const golden = await page.textContent('#person-golden');
  assert.match(golden, /姓名/);
  assert.match(golden, /来源记录/);
  // Every record is shown; the linked ones with their field-by-field explanation.
  const records = await page.$$('#person-records .record-link');
  assert.equal(records.length, demo.links.length);
  assert.ok((await page.$$('#person-records table.explanation tr[data-field="name"]')).length >= 1);
  assert.ok((await page.$$('#person-records .wbar span')).length >= 1);
  assert.ok((await page.$$('#person-history tbody tr')).length >= demo.links.length);
  // Masked, and no "显示" for an analyst.
  assert.equal(await page.$('#unmask'), null);
  const id = await page.textContent('#person-id-number');
  assert.match(id, /\*/);
  assert.ok(!(await page.textContent('main')).includes(demo.idNumber));
  await shot(page, 'person-analyst');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('an admin unmasks with "显示", and the audit log records it', async () => {
  const AUDIT = '{ auditLog(first: 1) { totalCount } }';
  const before = (await hub.gql(hub.adminToken, AUDIT)).auditLog.totalCount;
  const page = await newPage(browser);
  await signIn(page, hub, hub.adminToken);
  await page.goto(`${hub.url}/#/person/${demo.id}`);
  await page.waitForSelector('#unmask');
  assert.match(await page.textContent('#person-id-number'), /\*/);
  // Opening the page masked is not audited.
  assert.equal((await hub.gql(hub.adminToken, AUDIT)).auditLog.totalCount, before);
  await page.click('#unmask');
  await page.waitForSelector('#unmasked-note');
  assert.equal((await page.textContent('#person-id-number')).trim(), demo.idNumber);
  const after = await hub.gql(
    hub.adminToken,
    '{ auditLog(last: 5) { totalCount edges { node { persons fields } } } }',
  );
  assert.ok(after.auditLog.totalCount > before);
  assert.ok(after.auditLog.edges.some((e) => e.node.persons.includes(demo.id)));
  await shot(page, 'person-admin-unmasked');
  // "隐藏" goes back to masked values.
  await page.click('#mask');
  await page.waitForSelector('#unmask');
  assert.match(await page.textContent('#person-id-number'), /\*/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a township officer reads its own persons, masked, without letters', async () => {
  const token = await hub.token('TOWNSHIP', { township: demo.township });
  const page = await newPage(browser);
  await signIn(page, hub, token);
  await page.goto(`${hub.url}/#/persons`);
  await page.waitForSelector('#persons-total');
  assert.equal(await page.$('#f-township'), null);
  const own = await hub.gql(token, '{ persons { totalCount } }');
  assert.equal(Number(await page.getAttribute('#persons-total', 'data-total')), own.persons.totalCount);
  await page.goto(`${hub.url}/#/person/${demo.id}`);
  await page.waitForSelector('#person-golden');
  assert.ok(!(await page.textContent('main')).includes('协查函'));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the person page on a tablet', async () => {
  const page = await newPage(browser, { width: 820, height: 1180 });
  await signIn(page, hub, analyst);
  await page.goto(`${hub.url}/#/person/${demo.id}`);
  await page.waitForSelector('#person-records .record-link');
  await shot(page, 'person-tablet');
  await page.goto(`${hub.url}/#/persons`);
  await page.waitForSelector('#persons-total');
  await shot(page, 'persons-tablet');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
