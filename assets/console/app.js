// The console's shell: sign-in, the menu of the pages the signed-in role may use, and the
// hash router (`#/letters`, `#/person/12`). Each page is a module of `pages/` exporting
// `{ id, title, nav, allowed(viewer), render(main, ctx) }`; `render` may return a function
// called when the page is left (to close its subscriptions).

import * as api from './api.js';
import * as ui from './ui.js';
import briefing from './pages/briefing.js';
import persons from './pages/persons.js';
import person from './pages/person.js';
import review from './pages/review.js';
import followup from './pages/followup.js';
import letters from './pages/letters.js';
import imports from './pages/imports.js';
import reports from './pages/reports.js';

const { h, mount } = ui;

/// Every page, in menu order.
const PAGES = [briefing, persons, person, review, followup, letters, imports, reports];

const VIEWER = `{ viewer { role township jurisdiction permissions canUnmask county countyCode today
  townships { name villages } } }`;

let viewer = null;
let leave = null;
/// Page visits so far: a page that finishes loading after the next visit began is stale.
let visits = 0;

/// Whether the signed-in role holds `permission` (a `Permission` enum value).
function can(permission) {
  return Boolean(viewer && viewer.permissions.includes(permission));
}

function pagesFor() {
  return PAGES.filter((p) => p.allowed(viewer, can));
}

/// Parses `#/person/12?tab=letters` into `{ id: 'person', path: ['12'], query }`.
function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, search] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { id: parts[0] || '', path: parts.slice(1), query: new URLSearchParams(search || '') };
}

/// Goes to `hash` (`#/persons?township=城关镇`).
function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function scopeText() {
  const parts = [ui.LABELS.role[viewer.role] || viewer.role];
  if (viewer.township) parts.push(viewer.township);
  if (viewer.jurisdiction) parts.push(viewer.jurisdiction);
  return parts.join(' · ');
}

function header() {
  const bar = document.getElementById('bar');
  if (!viewer) {
    mount(bar, h('span', { class: 'brand' }, '排查 · 疫情防控指挥部'));
    return;
  }
  mount(
    bar,
    h('span', { class: 'brand' }, `排查 · ${viewer.county}疫情防控指挥部`),
    h('span', { class: 'today' }, `今日 ${viewer.today}`),
    h('span', { class: 'who', id: 'who' }, scopeText()),
    h('button', { type: 'button', class: 'link', id: 'signout', onclick: signOut }, '退出'),
  );
}

function menu(current) {
  const nav = document.getElementById('nav');
  if (!viewer) {
    mount(nav);
    return;
  }
  mount(
    nav,
    pagesFor()
      .filter((p) => p.nav)
      .map((p) =>
        h('a', { href: `#/${p.id}`, class: p.id === current ? 'active' : null, dataset: { page: p.id } }, p.title),
      ),
  );
}

function signInPage(main, message) {
  const input = h('input', {
    type: 'password',
    id: 'token',
    autocomplete: 'off',
    placeholder: 'paicha_…',
    required: true,
  });
  const error = h('div', { class: 'error', role: 'alert', hidden: !message }, message || '');
  const button = h('button', { type: 'submit', class: 'primary', id: 'signin' }, '登录');
  const form = h(
    'form',
    {
      class: 'signin card',
      onsubmit: async (event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (!/^paicha_[0-9a-f]{64}$/.test(value)) {
          error.textContent = '令牌格式不对：应为 paicha_ 加 64 位十六进制字符';
          error.hidden = false;
          return;
        }
        button.disabled = true;
        api.setToken(value);
        try {
          await loadViewer();
          navigate(location.hash && route().id ? location.hash : '#/');
          render();
        } catch (e) {
          api.setToken(null);
          error.textContent = e.message;
          error.hidden = false;
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h1', null, '登录'),
    h('p', { class: 'muted' }, '请输入管理员发给您的访问令牌。令牌只保存在本标签页，关闭后需重新登录。'),
    ui.field('访问令牌', input),
    error,
    button,
  );
  mount(main, form);
  input.focus();
}

async function loadViewer() {
  const data = await api.gql(VIEWER);
  viewer = data.viewer;
}

function signOut() {
  api.setToken(null);
  api.closeLive();
  viewer = null;
  if (leave) leave();
  leave = null;
  location.hash = '';
  render();
}

async function render() {
  const main = document.getElementById('main');
  if (leave) {
    try {
      leave();
    } catch (e) {
      console.warn(e);
    }
    leave = null;
  }
  if (!viewer && api.token()) {
    try {
      await loadViewer();
    } catch (e) {
      api.setToken(null);
    }
  }
  header();
  if (!viewer) {
    menu();
    signInPage(main);
    return;
  }
  const r = route();
  const allowed = pagesFor();
  const page = PAGES.find((p) => p.id === r.id);
  if (!page) {
    const home = allowed.find((p) => p.nav);
    if (home) navigate(`#/${home.id}`);
    else mount(main, ui.errorBox('当前角色没有可用的页面'));
    return;
  }
  menu(page.nav ? page.id : page.parent);
  if (!allowed.includes(page)) {
    mount(main, ui.errorBox('当前角色无权查看此页'));
    return;
  }
  // Each visit draws into its own element: a slow page still loading when the user moves on
  // draws into an element no longer shown, never over the next page.
  const view = h('div', { class: 'view', dataset: { page: page.id } }, ui.loading());
  mount(main, view);
  const visit = ++visits;
  const ctx = { viewer, can, api, ui, params: r, navigate };
  try {
    const cleanup = await page.render(view, ctx);
    if (typeof cleanup === 'function') {
      // Left already: close what the page opened (its subscriptions) at once.
      if (visit === visits) leave = cleanup;
      else cleanup();
    }
  } catch (e) {
    mount(view, ui.heading(page.title), ui.errorBox(e));
  }
}

api.onUnauthenticatedCall(() => {
  if (!viewer) return;
  api.setToken(null);
  api.closeLive();
  viewer = null;
  header();
  menu();
  signInPage(document.getElementById('main'), '登录已失效，请重新输入令牌');
});

window.addEventListener('hashchange', render);
render();
