// Imports (导入): an analyst uploads a township form with one row that names nobody (no name,
// no ID number, no phone: fixtures/samples/README.md) and sees its row number and reason; the
// batch appears among the past batches; the same file again writes nothing; a mapping file
// names unknown headers. A partner submits external notices only and learns no match figures.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub, launch, newPage, signIn, shot } from '../harness.mjs';

const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/samples');

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

const FORM =
  'record_id,township,village,name,sex,id_number,phone,address,origin,arrival_date,report_date,remark\n' +
  'TS-T1,城关镇,河口村,严测一,男,,13912340001,城关镇河口村3号,武汉市,2020-01-20,2020-01-30,\n' +
  'TS-T2,城关镇,河口村,,,,,城关镇河口村5号,武汉市,2020-01-21,2020-01-30,邻居反映有人返乡\n' +
  'TS-T3,城关镇,河口村,严测三,女,,13912340003,城关镇河口村7号,武汉市,2020-01-22,2020-01-30,\n';

const csv = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });

async function figures(page) {
  return page.$$eval('#report-figures .figure', (els) =>
    Object.fromEntries(els.map((e) => [e.querySelector('span').textContent, e.querySelector('strong').textContent])),
  );
}

test('an analyst imports a township form and sees the rejected row', async () => {
  const analyst = await hub.token('ANALYST');
  const page = await newPage(browser);
  await signIn(page, hub, analyst);
  await page.click('#nav a[data-page="imports"]');
  await page.waitForSelector('#batches-table');
  const before = (await hub.gql(analyst, '{ importBatches { totalCount } }')).importBatches.totalCount;
  assert.equal(await page.locator('#batches-table tbody tr[data-batch]').count(), before);

  // Validated before sending: no file, then a file of an unknown kind.
  await page.click('#import-submit');
  await page.waitForSelector('#import-form .error:not([hidden])');
  assert.match(await page.textContent('#import-form .error'), /请选择要导入的文件/);
  await page.setInputFiles('#import-file', { name: 'form.docx', mimeType: 'application/octet-stream', buffer: Buffer.from('x') });
  await page.click('#import-submit');
  await page.waitForSelector('#import-form .error:has-text("不支持的文件类型")');

  await page.selectOption('#import-source', 'TOWNSHIP');
  await page.setInputFiles('#import-file', csv('城关镇排查0130.csv', FORM));
  await page.click('#import-submit');
  await page.waitForSelector('#rejected-rows tr[data-row]');
  assert.equal(await page.locator('#rejected-rows tr[data-row]').count(), 1);
  const row = page.locator('#rejected-rows tr[data-row="2"]');
  assert.match(await row.textContent(), /缺少姓名、身份证号和手机号/);
  const seen = await page.getAttribute('#import-progress', 'data-seen');
  assert.match(seen, /upload/);
  assert.match(seen, /server/);
  assert.ok(await page.locator('#import-progress').isHidden(), 'the progress goes once the report is in');
  const f = await figures(page);
  assert.equal(f['读取行数'], '3');
  assert.equal(f['接收'], '2');
  assert.equal(f['退回'], '1');
  assert.equal(f['新增人员'], '2');
  const batch = await page.getAttribute('#report-meta', 'data-batch');

  // Among the past batches, newest first, with its figures.
  await page.waitForSelector(`#batches-table tr[data-batch="${batch}"]`);
  assert.equal(await page.locator('#batches-table tbody tr[data-batch]').count(), before + 1);
  assert.equal(await page.getAttribute('#batches-table tbody tr:first-child', 'data-batch'), batch);
  const cells = await page.$$eval(`#batches-table tr[data-batch="${batch}"] td`, (tds) => tds.map((td) => td.textContent));
  assert.equal(cells[1], '城关镇排查0130.csv');
  assert.deepEqual(cells.slice(5, 8), ['3', '2', '1']);
  await shot(page, 'imports-report');

  const api = await hub.gql(analyst, '{ importBatches(last: 1) { edges { node { id fileName report { rejected { row reason } } } } } }');
  const node = api.importBatches.edges[0].node;
  assert.equal(node.id, batch);
  assert.deepEqual(node.report.rejected.map((r) => r.row), [2]);

  // The same file again writes nothing, and says so.
  await page.setInputFiles('#import-file', csv('城关镇排查0130.csv', FORM));
  await page.click('#import-submit');
  await page.waitForSelector('#already-imported');
  assert.equal(await page.locator('#batches-table tbody tr[data-batch]').count(), before + 1);

  // A mapping file names the headers paicha does not know.
  await page.setInputFiles('#import-file', {
    name: 'custom_headers.csv',
    mimeType: 'text/csv',
    buffer: await readFile(path.join(SAMPLES, 'custom_headers.csv')),
  });
  await page.setInputFiles('#import-mapping', {
    name: 'custom_headers.map.toml',
    mimeType: 'application/toml',
    buffer: await readFile(path.join(SAMPLES, 'custom_headers.map.toml')),
  });
  await page.click('#import-submit');
  await page.waitForSelector('#report-meta:not([data-batch="' + batch + '"])');
  const g = await figures(page);
  assert.equal(g['读取行数'], '4');
  assert.equal(g['接收'], '4');
  assert.equal(g['退回'], '0');

  // A past batch's report opens from its row.
  await page.click(`#batches-table tr[data-batch="${batch}"]`);
  await page.waitForSelector(`#report-meta[data-batch="${batch}"]`);
  await page.waitForSelector('#rejected-rows tr[data-row="2"]');

  await page.setViewportSize({ width: 820, height: 1180 });
  await shot(page, 'imports-tablet');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a partner submits an external notice only, without match figures', async () => {
  const partner = await hub.token('PARTNER', { partner: '420102' });
  const page = await newPage(browser);
  await signIn(page, hub, partner);
  await page.click('#nav a[data-page="imports"]');
  await page.waitForSelector('#import-form');
  assert.deepEqual(await page.$$eval('#import-source option', (os) => os.map((o) => o.value)), ['EXTERNAL']);
  assert.equal(await page.locator('#batches-table').count(), 0);
  const notice = [
    {
      notice_no: '鄂汉岸防控协〔2020〕99号',
      sending_jurisdiction: '湖北省武汉市江岸区',
      send_date: '2020-01-31',
      note: '请协助核查。',
      persons: [
        { record_id: 'JA99-01', name: '严通一', sex: '男', phone: '13912349901', current_address: '青溪县城关镇河口村9号' },
        { record_id: 'JA99-02', current_address: '青溪县城关镇' },
      ],
    },
  ];
  await page.setInputFiles('#import-file', {
    name: 'notice99.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(notice), 'utf8'),
  });
  await page.click('#import-submit');
  await page.waitForSelector('#report-figures');
  const f = await figures(page);
  assert.equal(f['读取行数'], '2');
  assert.equal(f['退回'], '1');
  assert.equal(f['新增人员'], undefined, 'a partner learns nothing of the register');
  assert.equal(f['关联已有人员'], undefined);
  assert.equal(await page.locator('#rejected-rows tr[data-row="2"]').count(), 1);
  await shot(page, 'imports-partner');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
