// Device list: search (name, MAC, IP), filters (status, organization, problematic
// metric), sortable columns, pages of 25, status badges and "show issues" for devices in
// problem. The filters live in the URL (#/devices?status=critical), so links can set them.
import { api, all } from '../api.js';
import { h, badge, STATUSES, when } from '../ui.js';

const PAGE = 25;
const COLUMNS = [['name', 'Name'], ['status', 'Health'], ['organization', 'Organization'], ['last_ip', 'Last IP'], ['model', 'Model'], ['created', 'Created']];

function setParams(params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== undefined && v !== null));
  location.hash = `#/devices${q.toString() ? `?${q}` : ''}`;
}

export async function render(el, params, { me }) {
  const orgs = Object.fromEntries(me.organizations.map((o) => [o.id, o]));
  const state = { q: params.q || '', status: params.status || '', org: params.org || '', metric: params.metric || '', sort: params.sort || 'name', page: Number(params.page) || 1 };
  const input = h('input', { type: 'search', id: 'search', placeholder: 'Search name, MAC or IP', value: state.q });
  let timer;
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => setParams({ ...state, q: input.value, page: 1 }), 300); });
  const select = (id, label, current, options) => h('select', { id, 'aria-label': label, onchange: (e) => setParams({ ...state, [id]: e.target.value, page: 1 }) },
    h('option', { value: '' }, `${label}: all`), options.map(([v, t]) => h('option', { value: v, selected: v === current }, t)));
  const tableHost = h('div', {});
  el.append(h('h1', {}, 'Devices'), h('div', { class: 'toolbar' }, input,
    select('status', 'Status', state.status, STATUSES.map((s) => [s, s])),
    select('org', 'Organization', state.org, me.organizations.map((o) => [o.id, o.name])),
    h('span', { id: 'metric-filter' })), tableHost);

  const load = async () => {
    let devices = await all('/api/v1/monitoring/device/');
    const unhealthy = {};
    const inTrouble = devices.filter((d) => ['problem', 'critical'].includes(d.monitoring.status));
    await Promise.all(inTrouble.map(async (d) => {
      unhealthy[d.id] = await api(`/api/v1/monitoring/device/${d.id}/metric/?is_healthy=false`).catch(() => []);
    }));
    const metricNames = [...new Set(Object.values(unhealthy).flat().map((m) => m.name))].sort();
    el.querySelector('#metric-filter').replaceChildren(select('metric', 'Problematic metric', state.metric, metricNames.map((m) => [m, m])));
    const q = state.q.toLowerCase();
    devices = devices.filter((d) => (!state.status || d.monitoring.status === state.status)
      && (!state.org || d.organization === state.org)
      && (!state.metric || (unhealthy[d.id] || []).some((m) => m.name === state.metric))
      && (!q || [d.name, d.mac_address, d.last_ip, d.management_ip].some((v) => v && v.toLowerCase().includes(q))));
    const desc = state.sort.startsWith('-');
    const key = state.sort.replace(/^-/, '');
    const value = (d) => (key === 'status' ? d.monitoring.status : key === 'organization' ? (orgs[d.organization]?.name || '') : (d[key] || ''));
    devices.sort((a, b) => value(a).localeCompare(value(b), undefined, { numeric: true }) * (desc ? -1 : 1));
    const pages = Math.max(1, Math.ceil(devices.length / PAGE));
    const page = Math.min(state.page, pages);
    const shown = devices.slice((page - 1) * PAGE, page * PAGE);
    const th = ([k, label]) => h('th', { class: 'sort', 'data-sort': k, onclick: () => setParams({ ...state, sort: state.sort === k ? `-${k}` : k }) },
      label, state.sort === k ? ' ▲' : state.sort === `-${k}` ? ' ▼' : '');
    const rows = shown.map((d) => {
      const issues = h('div', {});
      const s = d.monitoring.status;
      return h('tr', { 'data-id': d.id, 'data-status': s },
        h('td', {}, h('a', { href: `#/device/${d.id}` }, d.name)),
        h('td', {}, badge(s), s === 'problem' || s === 'critical' ? h('button', { type: 'button', class: 'issues', onclick: () => {
          issues.replaceChildren(h('ul', {}, (unhealthy[d.id] || []).map((m) => h('li', {}, `${m.name} (${m.key})`))));
        } }, 'show issues') : null, issues),
        h('td', { class: 'hide-sm' }, orgs[d.organization]?.name || d.organization),
        h('td', { class: 'hide-sm' }, d.last_ip || ''),
        h('td', { class: 'hide-sm' }, d.model || ''),
        h('td', { class: 'hide-sm' }, when(d.created)));
    });
    tableHost.replaceChildren(
      h('p', { id: 'device-count', 'data-count': devices.length }, `${devices.length} device(s)`),
      h('div', { class: 'scroll' }, h('table', { id: 'devices' }, h('thead', {}, h('tr', {}, COLUMNS.map((c, i) => { const t = th(c); if (i > 1) t.classList.add('hide-sm'); return t; }))), h('tbody', {}, rows))),
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', disabled: page <= 1, onclick: () => setParams({ ...state, page: page - 1 }) }, '‹ Previous'),
        h('span', {}, `page ${page} of ${pages}`),
        h('button', { type: 'button', disabled: page >= pages, onclick: () => setParams({ ...state, page: page + 1 }) }, 'Next ›')));
  };
  await load();
  return load;
}
