// Device page: health, the latest snapshot (local time, uptime, CPU, RAM, storage, one
// block per interface, neighbours, DHCP leases), charts with range picker and CSV export,
// alert settings and checks (editable by managers), open WiFi sessions.
import { api, download, message } from '../api.js';
import { h, badge, table, kv, bytes, duration, when } from '../ui.js';
import { renderChart, rangePicker, chartsQuery } from '../charts.js';

// The device's clock while the collector judges it off (null otherwise: the row is hidden).
const clockOffset = (s) => (s === null || s === undefined ? null
  : h('span', { class: 'badge problem', id: 'clock-offset' }, `clock ${duration(Math.abs(s))} ${s > 0 ? 'ahead of' : 'behind'} the collector`));

const yesNo = (v) => (v === undefined || v === null ? '' : v ? 'yes' : 'no');

function wifiVersion(htmode) {
  if (!htmode) return '';
  if (htmode.startsWith('HE')) return 'WiFi 6 (802.11ax)';
  if (htmode.startsWith('VHT')) return 'WiFi 5 (802.11ac)';
  if (htmode.startsWith('HT')) return 'WiFi 4 (802.11n)';
  if (htmode === 'NOHT') return 'Legacy Mode';
  return 'Other';
}

function iface(i) {
  const w = i.wireless;
  const block = h('div', { class: 'card iface', 'data-iface': i.name }, h('h3', {}, `Interface: ${i.name}`),
    kv([['MAC', i.mac], ['Type', i.type], ['Up', yesNo(i.up)], ['MTU', i.mtu], ['Speed', i.speed],
      ['Bridge members', (i.bridge_members || []).join(', ')], ['STP', yesNo(i.stp)],
      ['Addresses', (i.addresses || []).map((a) => `${a.address}/${a.mask} (${a.family}${a.proto ? `, ${a.proto}` : ''})`).join(', ')],
      ['Received', i.statistics ? bytes(i.statistics.rx_bytes) : ''], ['Sent', i.statistics ? bytes(i.statistics.tx_bytes) : '']]));
  if (w) {
    block.append(h('h4', {}, 'Wireless'), kv([['Mode', (w.mode || '').replaceAll('_', ' ')], ['WiFi version', wifiVersion(w.htmode)], ['SSID', w.ssid],
      ['Channel', w.channel], ['Frequency', w.frequency ? `${w.frequency / 1000} GHz` : ''], ['TX power', w.tx_power !== undefined ? `${w.tx_power} dBm` : ''],
      ['Signal / noise', w.signal !== undefined ? `${w.signal} / ${w.noise} dBm` : ''], ['Bitrate', w.bitrate], ['Quality', w.quality !== undefined ? `${w.quality}/${w.quality_max}` : '']]));
    const clients = w.clients || [];
    block.append(h('h4', {}, `Associated clients (${clients.length})`), table(['MAC', 'Vendor', 'Signal', 'HT', 'VHT', 'HE', 'WMM', 'WDS', 'WPS'],
      clients.map((c) => [c.mac, c.vendor || '', c.signal ?? '', yesNo(c.ht), yesNo(c.vht), yesNo(c.he), yesNo(c.wmm), yesNo(c.wds), yesNo(c.wps)])));
  }
  const m = i.mobile;
  if (m) {
    const sig = [];
    for (const [tech, vals] of Object.entries(m.signal || {})) {
      const t = tech.toUpperCase();
      for (const [k, label] of [['rssi', 'Signal Strength'], ['rsrp', 'Signal Power'], ['rsrq', 'Signal Quality'], ['snr', 'Signal to noise ratio'], ['rscp', 'RSCP'], ['ecio', 'EC/IO'], ['sinr', 'SINR']]) {
        if (vals[k] !== undefined) sig.push([`${label} (${t})`, vals[k]]);
      }
    }
    block.append(h('h4', {}, 'Mobile'), kv([['IMEI', m.imei], ['Operator', m.operator_name], ['Model', `${m.manufacturer || ''} ${m.model || ''}`.trim()], ['Connection', m.connection_status], ['Power', m.power_status], ...sig]));
  }
  return block;
}

function snapshot(data) {
  if (!data) return h('p', { class: 'muted' }, 'No data received yet.');
  const g = data.general || {};
  const r = data.resources || {};
  const mem = r.memory || {};
  const box = h('div', { id: 'snapshot' });
  box.append(h('div', { class: 'grid' },
    h('div', { class: 'card' }, h('h3', {}, 'General'), kv([['Local time', g.local_time ? new Date(g.local_time * 1000).toLocaleString() : ''], ['Uptime', g.uptime !== undefined ? duration(g.uptime) : ''], ['Hostname', g.hostname],
      ['CPU', `${r.cpus ?? '?'} core(s), load ${(r.load || []).join(' / ')}`], ['CPU usage', r.cpu !== undefined ? `${r.cpu}%` : '']])),
    h('div', { class: 'card' }, h('h3', {}, 'RAM'), kv([['Total', bytes(mem.total)], ['Free', bytes(mem.free)], ['Available', bytes(mem.available)], ['Buffered', bytes(mem.buffered)], ['Shared', bytes(mem.shared)], ['Cached', bytes(mem.cached)]]))));
  box.append(h('h3', {}, 'Storage'), table(['Filesystem', 'Used', 'Available', 'Total', 'Used %', 'Mount point'],
    (r.disk || []).map((d) => [d.filesystem, bytes(d.used_bytes), bytes(d.available_bytes), bytes(d.size_bytes), `${d.used_percent}%`, d.mount_point])));
  const ifaces = (data.interfaces || []).filter((i) => Object.keys(i).length > 2).sort((a, b) => a.name.localeCompare(b.name));
  box.append(h('h3', {}, 'Interfaces'), h('div', { class: 'grid', id: 'interfaces' }, ifaces.map(iface)));
  box.append(h('h3', {}, 'Neighbors'), table(['IP', 'MAC', 'Vendor', 'Interface', 'State'], (data.neighbors || []).map((n) => [n.ip, n.mac, n.vendor || '', n.interface, n.state])));
  box.append(h('h3', {}, 'DHCP leases'), table(['Expiry (UTC)', 'IP', 'MAC', 'Vendor', 'Client name', 'Client id'],
    (data.dhcp_leases || []).map((l) => [new Date(l.expiry * 1000).toISOString().replace('T', ' ').slice(0, 19), l.ip, l.mac, l.vendor || '', l.client_name, l.client_id])));
  return box;
}

function alertForm(id, s, canChange, onSaved) {
  const f = (name, attrs) => h('input', { name, ...attrs, disabled: !canChange });
  const op = h('select', { name: 'operator', disabled: !canChange }, ['<', '>'].map((o) => h('option', { value: o, selected: o === s.operator }, o === '<' ? 'less than' : 'greater than')));
  const threshold = f('threshold', { type: 'number', step: 'any', value: s.threshold, size: 6 });
  const tolerance = f('tolerance', { type: 'number', value: s.tolerance, size: 6 });
  const active = f('is_active', { type: 'checkbox', checked: s.is_active });
  const note = h('span', { class: 'msg' });
  const form = h('form', { class: 'inline alert-setting', 'data-metric': s.metric, onsubmit: async (ev) => {
    ev.preventDefault();
    const tol = Number(tolerance.value);
    if (!Number.isInteger(tol) || tol < 0 || tol > 10080) { note.textContent = 'tolerance: a whole number of minutes between 0 and 10080'; note.className = 'msg error'; return; }
    if (threshold.value === '' || !Number.isFinite(Number(threshold.value))) { note.textContent = 'threshold: a number is required'; note.className = 'msg error'; return; }
    try {
      await api(`/api/v1/edgemon/device/${id}/alert-settings/${s.metric}/`, { method: 'PUT', body: { operator: op.value, threshold: Number(threshold.value), tolerance: Number(tolerance.value), is_active: active.checked } });
      await onSaved(s.metric);
    } catch (e) { note.textContent = message(e); note.className = 'msg error'; }
  } },
  h('strong', { style: 'min-width:10rem' }, s.label),
  h('label', {}, 'alerts enabled', active), h('label', {}, 'operator', op), h('label', {}, 'threshold', threshold), h('label', {}, 'tolerance (min)', tolerance),
  canChange ? h('button', { type: 'submit' }, 'Save') : null,
  canChange && s.custom ? h('button', { type: 'button', onclick: async () => {
    try { await api(`/api/v1/edgemon/device/${id}/alert-settings/${s.metric}/`, { method: 'DELETE' }); await onSaved(s.metric); } catch (e) { note.textContent = message(e); }
  } }, 'Reset to default') : null,
  h('span', { class: 'muted' }, s.custom ? 'custom' : 'default'), note);
  return form;
}

export async function render(el, params, { me }) {
  const id = params.id;
  let range = { time: params.time || '1d' };
  const head = h('div', {});
  const snapBox = h('div', {});
  const pickerHost = h('div', {});
  const chartsBox = h('div', { id: 'charts' });
  const alertsBox = h('div', { class: 'card', id: 'alert-settings' });
  const checksBox = h('div', { class: 'card', id: 'checks' });
  const sessionsBox = h('div', { id: 'sessions' });
  el.append(head, h('h2', {}, 'Status'), snapBox, h('h2', {}, 'Charts'), pickerHost, chartsBox,
    h('h2', {}, 'Alert settings'), alertsBox, h('h2', {}, 'Checks'), checksBox, h('h2', {}, 'Open WiFi sessions'), sessionsBox);
  const canChange = me.can_change;

  const loadMain = async () => {
    const q = chartsQuery(range);
    const d = await api(`/api/v1/monitoring/device/${id}/?status=1&${q}`);
    head.replaceChildren(h('h1', {}, d.name, ' ', badge(d.monitoring.status)),
      kv([['MAC', d.mac_address], ['Model', d.model], ['OS', d.os], ['Last IP', d.last_ip], ['Management IP', d.management_ip],
        ['Health checks', (d.monitoring.related_metrics || []).filter((m) => m.is_healthy !== null).map((m) => `${m.name}: ${m.is_healthy ? 'ok' : 'failing'}`).join(', ')],
        ['Clock', clockOffset(d.monitoring.clock_offset_s)]]));
    snapBox.replaceChildren(snapshot(d.data));
    pickerHost.replaceChildren(h('div', { class: 'toolbar' }, rangePicker(range, (r) => { range = r; loadMain(); }),
      h('button', { type: 'button', id: 'csv', onclick: () => download(`/api/v1/monitoring/device/${id}/?${q}&csv=1`, `${d.name}.csv`) }, 'Download CSV')));
    chartsBox.replaceChildren(h('div', { class: 'grid' }, (d.charts || []).length ? d.charts.map((c) => renderChart(c, d.x || [])) : h('p', { class: 'muted' }, 'No data in this range.')));
  };
  const loadAlerts = async (saved) => {
    let settings;
    try { settings = await api(`/api/v1/edgemon/device/${id}/alert-settings/`); } catch (e) { alertsBox.replaceChildren(h('p', { class: 'muted' }, message(e))); return; }
    alertsBox.replaceChildren(...settings.map((s) => alertForm(id, s, canChange, loadAlerts)),
      canChange ? '' : h('p', { class: 'muted', id: 'read-only' }, 'Read-only: your token may not change settings.'));
    const msg = saved && alertsBox.querySelector(`form[data-metric="${saved}"] .msg`);
    if (msg) { msg.textContent = 'saved'; msg.className = 'msg saved'; }
  };
  const loadChecks = async () => {
    let checks;
    try { checks = await api(`/api/v1/edgemon/device/${id}/checks/`); } catch (e) { checksBox.replaceChildren(h('p', { class: 'muted' }, message(e))); return; }
    checksBox.replaceChildren(checks.length ? table(['Check', 'Metric', 'Active'], checks.map((c) => [c.check, c.metric,
      h('input', { type: 'checkbox', 'data-check': c.check, checked: c.is_active, disabled: !canChange, onchange: async (ev) => {
        try { await api(`/api/v1/edgemon/device/${id}/checks/${c.check}/`, { method: 'PATCH', body: { is_active: ev.target.checked } }); } catch (e) { ev.target.checked = !ev.target.checked; checksBox.append(h('p', { class: 'error' }, message(e))); }
      } })])) : h('p', { class: 'muted' }, 'No active checks run on this collector.'));
  };
  const loadSessions = async () => {
    const s = await api(`/api/v1/monitoring/wifi-session/?device=${id}&stop_time__isnull=true&page_size=100`);
    sessionsBox.replaceChildren(table(['Client MAC', 'Vendor', 'SSID', 'Interface', 'WiFi 6/5/4', 'Start'],
      s.results.map((x) => [x.client.mac_address, x.client.vendor, x.ssid, x.interface_name, [x.client.wifi6, x.client.wifi5, x.client.wifi4].map((v) => v ?? '–').join(' / '), when(x.start_time)])));
  };
  await Promise.all([loadMain(), loadAlerts(), loadChecks(), loadSessions()]);
  // live: status, snapshot, charts and sessions; the forms are left alone while editing
  return async () => { await Promise.all([loadMain(), loadSessions()]); };
}
