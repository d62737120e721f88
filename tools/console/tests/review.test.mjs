// 待核实: an analyst decides a candidate SAME in one click (it leaves the queue, the API agrees,
// the next one is shown); a township officer gets its own verification worklist only, prints
// it and exports it as a CSV Excel reads.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startHub, launch, newPage, signIn, shot } from '../harness.mjs';

let hub;
let browser;

const PENDING = `{ reviewCandidates(first: 100, filter: { state: PENDING }) { totalCount edges { node { id } } } }`;
const SAME = `{ reviewCandidates(first: 100, filter: { state: SAME }) { edges { node { id state decidedBy } } } }`;
const WORKLIST = `query ($t: String) { verificationWorklist(township: $t, first: 100) {
  totalCount edges { node { person { id } } } } }`;

before(async () => {
  hub = await startHub();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

test('an analyst decides a candidate SAME; it leaves the queue and the next is shown', async () => {
  const token = await hub.token('ANALYST');
  const pending = await hub.gql(token, PENDING);
  assert.ok(pending.reviewCandidates.totalCount >= 2, 'the demo has candidates');
  const page = await newPage(browser);
  await signIn(page, hub, token);
  await page.goto(`${hub.url}/#/review`);
  await page.waitForSelector('#review-candidate');
  const id = await page.getAttribute('#review-candidate', 'data-candidate');
  assert.ok(pending.reviewCandidates.edges.some((e) => e.node.id === id));
  // Both records side by side, and the weights field by field.
  assert.equal(await page.$$eval('#review-side thead th', (ths) => ths.length), 3);
  assert.ok((await page.$$('#review-explanation tbody tr[data-field]')).length >= 2);
  assert.equal(
    Number(await page.getAttribute('#review-count', 'data-total')),
    pending.reviewCandidates.totalCount,
  );
  await shot(page, 'review-queue');

  await page.click('#decide-same');
  await page.waitForFunction(
    (old) => {
      const c = document.querySelector('#review-candidate');
      return (c && c.dataset.candidate !== old) || document.querySelector('#review-empty');
    },
    id,
  );
  const after = await hub.gql(token, PENDING);
  assert.ok(!after.reviewCandidates.edges.some((e) => e.node.id === id), 'left the queue');
  const same = await hub.gql(token, SAME);
  assert.ok(same.reviewCandidates.edges.some((e) => e.node.id === id && e.node.state === 'SAME'));
  assert.equal(
    Number(await page.getAttribute('#review-count', 'data-total')),
    after.reviewCandidates.totalCount,
  );
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a township officer gets its own worklist, prints and exports it', async () => {
  const township = '城关镇';
  const token = await hub.token('TOWNSHIP', { township });
  const own = await hub.gql(hub.adminToken, WORKLIST, { t: township });
  const other = await hub.gql(hub.adminToken, WORKLIST, { t: '李店乡' });
  assert.ok(own.verificationWorklist.totalCount >= 1);
  const ownIds = own.verificationWorklist.edges.map((e) => e.node.person.id).sort();

  const page = await newPage(browser);
  await signIn(page, hub, token);
  await page.goto(`${hub.url}/#/review`);
  await page.waitForSelector('#worklist');
  // No queue and no township to choose for a township officer.
  assert.equal(await page.$('#tab-queue'), null);
  assert.equal(await page.$('#worklist-township'), null);
  assert.equal(await page.getAttribute('#worklist', 'data-township'), township);
  const shown = (await page.$$eval('#worklist tbody td:first-child a', (as) => as.map((a) => a.textContent))).sort();
  assert.deepEqual(shown, ownIds);
  for (const e of other.verificationWorklist.edges) assert.ok(!shown.includes(e.node.person.id));
  await shot(page, 'review-worklist-township');

  // Print: the button calls the browser's print, and the printed page is the list alone.
  await page.evaluate(() => {
    window.printed = 0;
    window.print = () => {
      window.printed += 1;
    };
  });
  await page.click('#worklist-print');
  assert.equal(await page.evaluate(() => window.printed), 1);
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.isVisible('#nav'), false);
  assert.equal(await page.isVisible('#bar'), false);
  assert.equal(await page.isVisible('#worklist-export'), false);
  assert.equal(await page.isVisible('#worklist table'), true);
  await shot(page, 'review-worklist-print');
  await page.emulateMedia({ media: 'screen' });

  // Export: a CSV with a BOM, one row per person, the header in Chinese.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#worklist-export')]);
  const bytes = await readFile(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const lines = bytes.toString('utf8').slice(1).trim().split('\r\n');
  assert.equal(lines.length, ownIds.length + 1);
  assert.ok(lines[0].startsWith('编号,姓名'));
  assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]).sort(), ownIds);
  assert.match(download.suggestedFilename(), /城关镇.*\.csv$/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('an admin chooses a township worklist; the review page on a tablet', async () => {
  const page = await newPage(browser, { width: 820, height: 1180 });
  await signIn(page, hub, hub.adminToken);
  await page.goto(`${hub.url}/#/review?tab=worklist`);
  await page.waitForSelector('#worklist-township');
  await page.selectOption('#worklist-township', '李店乡');
  await page.waitForSelector('#worklist[data-township="李店乡"]');
  const other = await hub.gql(hub.adminToken, WORKLIST, { t: '李店乡' });
  assert.equal(Number(await page.getAttribute('#worklist', 'data-total')), other.verificationWorklist.totalCount);
  await shot(page, 'review-worklist-tablet');
  await page.goto(`${hub.url}/#/review`);
  await page.waitForSelector('#review-candidate');
  await shot(page, 'review-queue-tablet');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
