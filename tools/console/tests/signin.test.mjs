// Sign-in as each role: the console shows exactly the pages the role may use, its role and
// scope, and signs out; a wrong token is refused with a readable message.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, newPage, signIn, menu, shot } from '../harness.mjs';

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

const ROLES = [
  ['ADMIN', null, ['今日概况', '人员', '待核实', '居家观察', '协查函', '导入', '日报'], '管理员'],
  ['ANALYST', null, ['今日概况', '人员', '待核实', '居家观察', '协查函', '导入', '日报'], '分析员'],
  ['CLERK', null, ['协查函'], '函件文书'],
  ['TOWNSHIP', { township: '城关镇' }, ['人员', '待核实', '居家观察', '日报'], '乡镇 · 城关镇'],
  ['PARTNER', { partner: '420104' }, ['协查函', '导入'], '协作地'],
  ['DASHBOARD', null, ['今日概况'], '大屏'],
];

for (const [role, options, pages, who] of ROLES) {
  test(`${role} sees its pages only`, async () => {
    const token = role === 'ADMIN' ? hub.adminToken : await hub.token(role, options);
    const page = await newPage(browser);
    await signIn(page, hub, token);
    assert.deepEqual(await menu(page), pages);
    assert.ok((await page.textContent('#who')).startsWith(who));
    await shot(page, `signin-${role.toLowerCase()}`);
    // A page the role may not use is refused, not shown.
    if (!pages.includes('协查函')) {
      await page.goto(`${hub.url}/#/letters`);
      await page.waitForSelector('text=当前角色无权查看此页');
    }
    await page.click('#signout');
    await page.waitForSelector('#token');
    assert.deepEqual(await menu(page), []);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}

test('a wrong token is refused with a reason', async () => {
  const page = await newPage(browser);
  await page.goto(`${hub.url}/`);
  await page.fill('#token', 'not-a-token');
  await page.click('#signin');
  await page.waitForSelector('text=令牌格式不对');
  await page.fill('#token', `paicha_${'0'.repeat(64)}`);
  await page.click('#signin');
  await page.waitForSelector('.signin .error:not([hidden])');
  assert.match(await page.textContent('.signin .error'), /令牌/);
  await shot(page, 'signin-refused');
  await page.context().close();
});
