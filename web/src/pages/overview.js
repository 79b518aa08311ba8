// Overview: health status counts (click → device list), the map of locations coloured by
// status, the general traffic and WiFi-client charts with a range picker, and the latest
// notifications.
import { api, all, download, message } from '../api.js';
import { h, STATUSES, STATUS_COLORS, when } from '../ui.js';
import { renderChart, rangePicker, chartsQuery } from '../charts.js';

let settings = null;

function statusChart(counts) {
  const max = Math.max(1, ...Object.values(counts));
  return h('div', { class: 'status-bars', id: 'status-chart' }, STATUSES.map((s) => h('button', {
    type: 'button', class: 'status-bar', 'data-status': s, 'data-count': counts[s],
    title: `Show the ${s} devices`, onclick: () => { location.hash = `#/devices?status=${s}`; },
  }, h('span', {}, s),
  h('span', { class: 'fill', style: `width:${(100 * counts[s]) / max}%;background:${STATUS_COLORS[s]}` }),
  h('strong', { class: 'n' }, String(counts[s])))));
}

// the worst status present at a location decides its colour
function worst(p) {
  if (p.critical_count) return 'critical';
  if (p.problem_count) return 'problem';
  if (p.ok_count) return 'ok';
  return 'unknown';
}

function drawMap(host, geo) {
  const map = L.map(host, { zoomControl: true });
  if (settings.tile_url) {
    L.tileLayer(settings.tile_url, { attribution: settings.tile_attribution, maxZoom: 19 }).addTo(map);
  }
  const layer = L.layerGroup().addTo(map);
  const update = (g) => {
    layer.clearLayers();
    const pts = [];
    for (const f of g.features) {
      const [lng, lat] = f.geometry.coordinates;
      const p = f.properties;
      const s = worst(p);
      const size = 22 + Math.min(18, p.device_count * 2);
      const icon = L.divIcon({ className: '', iconSize: [size, size], html: `<div class="pin" data-status="${s}" data-count="${p.device_count}" style="width:${size}px;height:${size}px;background:${STATUS_COLORS[s]}">${p.device_count}</div>` });
      const m = L.marker([lat, lng], { icon, title: p.address || p.name }).addTo(layer);
      m.bindPopup(() => {
        const box = h('div', {}, h('strong', {}, p.address || p.name), h('div', {}, `ok ${p.ok_count} · problem ${p.problem_count} · critical ${p.critical_count} · unknown ${p.unknown_count}`));
        const list = h('ul', {});
        box.append(list);
        api(`/api/v1/monitoring/location/${f.id}/device/?page_size=100`).then((d) => {
          for (const dev of d.results) list.append(h('li', {}, h('a', { href: `#/device/${dev.id}` }, dev.name), ' ', dev.monitoring.status));
        }).catch((e) => list.append(h('li', { class: 'error' }, message(e))));
        return box;
      });
      pts.push([lat, lng]);
    }
    if (pts.length) map.fitBounds(pts, { padding: [30, 30], maxZoom: 15 });
    else map.setView([0, 0], 1);
  };
  update(geo);
  return update;
}

export async function render(el) {
  if (!settings) settings = await fetch('settings.json').then((r) => r.json());
  let range = { time: '7d' };
  const statusBox = h('div', { class: 'card' }, h('h2', {}, 'Monitoring status'));
  const mapHost = h('div', { id: 'map' });
  const mapBox = h('div', { class: 'card' }, h('h2', {}, 'Map'), mapHost, h('div', { class: 'map-legend' }, STATUSES.slice(0, 4).map((s) => h('span', {}, h('span', { class: `badge ${s}` }, s), ' '))));
  const chartsBox = h('div', { id: 'general-charts' });
  const pickerHost = h('div', {});
  const notesBox = h('div', { class: 'card' }, h('h2', {}, 'Recent notifications'));
  el.append(h('h1', {}, 'Overview'), h('div', { class: 'grid' }, statusBox, mapBox),
    h('h2', {}, 'Network'), pickerHost, chartsBox, notesBox);

  const loadStatus = async () => {
    const devices = await all('/api/v1/monitoring/device/');
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const d of devices) counts[d.monitoring.status] += 1;
    statusBox.querySelector('#status-chart')?.remove();
    statusBox.append(statusChart(counts));
  };
  const loadCharts = async () => {
    const q = chartsQuery(range);
    const data = await api(`/api/v1/monitoring/dashboard/?${q}`);
    chartsBox.replaceChildren(h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'general-csv', onclick: () => download(`/api/v1/monitoring/dashboard/?${q}&csv=1`, 'edgemon-network.csv') }, 'Download CSV')),
      h('div', { class: 'grid' }, data.charts.length ? data.charts.map((c) => renderChart(c, data.x || [])) : h('p', { class: 'muted' }, 'No data in this range.')));
    pickerHost.replaceChildren(rangePicker(range, (r) => { range = r; loadCharts(); }));
  };
  const loadNotes = async () => {
    let list;
    try { list = await api('/api/v1/notifications/notification/?page_size=5'); } catch { return; }
    notesBox.querySelector('ul')?.remove();
    notesBox.append(h('ul', {}, list.results.map((n) => h('li', { class: n.unread ? 'unread' : '' },
      h('span', { class: `badge ${n.level === 'info' ? 'ok' : 'critical'}` }, n.type), ' ',
      h('a', { href: `#/device/${n.target_object_id}` }, n.email_subject), ' ', h('span', { class: 'muted' }, when(n.timestamp))))));
    if (!list.results.length) notesBox.append(h('ul', {}, h('li', { class: 'muted' }, 'None.')));
  };
  let updateMap = null;
  const loadMap = async () => {
    const geo = await api('/api/v1/monitoring/geojson/');
    if (!updateMap) {
      // the map needs its host in the page to measure it
      await new Promise((r) => requestAnimationFrame(r));
      updateMap = drawMap(mapHost, geo);
    } else updateMap(geo);
  };
  await Promise.all([loadStatus(), loadCharts(), loadNotes()]);
  requestAnimationFrame(() => loadMap().catch((e) => mapHost.replaceChildren(h('p', { class: 'error' }, message(e)))));
  return async () => { await Promise.all([loadStatus(), loadNotes(), loadMap(), loadCharts()]); };
}
