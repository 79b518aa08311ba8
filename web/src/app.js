// The dashboard: hash routes (#/, #/devices, #/device/<id>, #/notifications,
// #/maintenance, #/login), each a page module whose render() returns a refresh function
// called every few seconds (live data without reloading the page).
import { api, token, clearToken } from './api.js';
import { h } from './ui.js';
import * as login from './pages/login.js';
import * as overview from './pages/overview.js';
import * as devices from './pages/devices.js';
import * as device from './pages/device.js';
import * as notifications from './pages/notifications.js';
import * as maintenance from './pages/maintenance.js';

const REFRESH_MS = Number(new URLSearchParams(location.search).get('refresh')) || 10000;
const main = document.getElementById('main');
let refresh = null;
let generation = 0;
let me = null;

function route() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = Object.fromEntries(new URLSearchParams(query));
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'login') return [login, params];
  if (parts[0] === 'devices') return [devices, params];
  if (parts[0] === 'device' && parts[1]) return [device, { ...params, id: parts[1] }];
  if (parts[0] === 'notifications') return [notifications, params];
  if (parts[0] === 'maintenance') return [maintenance, params];
  return [overview, params];
}

async function unreadCount() {
  try {
    const n = await api('/api/v1/notifications/notification/?unread=true&page_size=1');
    document.getElementById('unread').textContent = n.count ? String(n.count) : '';
  } catch { /* alerts disabled: no badge */ }
}

async function show() {
  const gen = ++generation;
  refresh = null;
  const [page, params] = route();
  const nav = document.getElementById('nav');
  if (page !== login) {
    if (!token()) { location.hash = '#/login'; return; }
    if (!me) {
      try { me = await api('/api/v1/edgemon/whoami/'); } catch { return; }
    }
    nav.hidden = false;
    document.getElementById('who').textContent = `${me.name} (${me.role})`;
  } else {
    nav.hidden = true;
    me = null;
  }
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', location.hash.startsWith(a.getAttribute('href')) && a.getAttribute('href') !== '#/' ? true : a.getAttribute('href') === (location.hash || '#/'));
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  const container = h('div', { class: 'page' });
  try {
    const r = await page.render(container, params, { me });
    if (gen !== generation) return;
    main.replaceChildren(container);
    refresh = r || null;
    if (page !== login) unreadCount();
  } catch (e) {
    if (gen !== generation) return;
    main.replaceChildren(h('p', { class: 'error' }, `Could not load this page: ${e.message || e}`));
  }
}

document.getElementById('logout').addEventListener('click', () => {
  clearToken();
  me = null;
  location.hash = '#/login';
});
window.addEventListener('hashchange', show);
setInterval(async () => {
  if (!refresh || document.hidden) return;
  const gen = generation;
  try {
    await refresh();
    if (gen === generation) {
      document.getElementById('live').textContent = `updated ${new Date().toLocaleTimeString()}`;
      unreadCount();
    }
  } catch (e) {
    document.getElementById('live').textContent = `refresh failed: ${e.message || e}`;
  }
}, REFRESH_MS);
show();
