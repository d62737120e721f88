// What the console's browser tests share: a real `paicha serve --demo` on a free port and a
// temp SQLite database, tokens of each role made with `paicha token create`, and Debian's
// chromium driven by playwright-core (which downloads no browser of its own).
//
// Environment: PAICHA_BIN (the paicha binary; default target/debug/paicha of the checkout or
// $CARGO_TARGET_DIR), CHROMIUM (default /usr/bin/chromium), PAICHA_CONSOLE_SHOTS (where
// screenshots go; default target/console-shots), PAICHA_CONSOLE_DIR (serve the console from
// disk, for development).

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
export const BIN = process.env.PAICHA_BIN || path.join(TARGET, 'debug/paicha');
export const SHOTS = process.env.PAICHA_CONSOLE_SHOTS || path.join(ROOT, 'target/console-shots');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(args) {
  return new Promise((resolve, reject) => {
    execFile(BIN, args, { env: { ...process.env, RUST_LOG: 'warn' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`paicha ${args.join(' ')}: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/// A demo hub: `{ url, adminToken, token(role, options), stop() }`.
export async function startHub() {
  const dir = await mkdtemp(path.join(tmpdir(), 'paicha-console-'));
  const database = `sqlite://${dir}/paicha.db?mode=rwc`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    BIN,
    ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--rate-limit', '100000', '--database-url', database],
    { env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (chunk) => {
    log += chunk;
  });
  const adminToken = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no demo token within 120 s:\n${log}`)), 120000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const found = out.match(/paicha_[0-9a-f]{64}/);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`paicha serve exited (${code}):\n${log}`));
    });
  });
  // The token is printed before the server listens: wait for /health, with a deadline.
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch (e) {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the hub did not answer /health:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    adminToken,
    database,
    log: () => log,
    /// A new token of `role` (`{ township }` for TOWNSHIP, `{ partner }` for PARTNER).
    async token(role, options) {
      const args = ['token', 'create', '--role', role, '--database-url', database];
      if (options && options.township) args.push('--township', options.township);
      if (options && options.partner) args.push('--partner', options.partner);
      return (await run(args)).trim();
    },
    /// A GraphQL call as `token` (for a test's own set-up and checks).
    async gql(token, query, variables) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables: variables || {} }),
      });
      const body = await response.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => {
        if (child.exitCode !== null) r();
        else child.on('exit', r);
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/// Debian's chromium, headless, with the flags this machine's closed network needs.
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/// A new page at 1280×800 (or `viewport`) that records the page's script errors in
/// `page.errors` (a test asserts none).
export async function newPage(browser, viewport) {
  const context = await browser.newContext({
    viewport: viewport || { width: 1280, height: 800 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') page.errors.push(message.text());
  });
  return page;
}

/// Signs in on the console with `token` and waits for the menu.
export async function signIn(page, hub, token) {
  await page.goto(`${hub.url}/`);
  await page.fill('#token', token);
  await page.click('#signin');
  await page.waitForSelector('#who');
}

/// The menu's entries as shown.
export async function menu(page) {
  return page.$$eval('#nav a', (links) => links.map((a) => a.textContent.trim()));
}

/// A full-page screenshot in SHOTS (not committed: look at them).
export async function shot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}
