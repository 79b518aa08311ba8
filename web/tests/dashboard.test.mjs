// The dashboard in headless Chromium (Debian's package, driven by playwright-core) against
// a real collector and a small simulated fleet. Any console error or page error fails.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { startFleet, get, until } from './fleet.mjs';

const SHOTS = resolve(import.meta.dirname, '../../target/screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
let fleet;
let browser;
let errors = [];

// `prepare(context)` runs before the first request (routes); `allowed(message)` names the
// console errors a test expects (none by default).
async function newPage(token, viewport = { width: 1280, height: 900 }, { prepare, allowed } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  if (prepare) await prepare(context);
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && !allowed?.(m)) errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  // a short refresh period so the live updates run during the tests
  await page.goto(`${fleet.base}/ui/?refresh=2000#/login`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('#status-chart');
  return page;
}

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  fleet = await startFleet();
  // the silent device: data_collected unhealthy at once → critical
  const r = await get(fleet.base, fleet.manager, `/api/v1/edgemon/device/${fleet.silent.id}/alert-settings/data_collected/`, { method: 'PUT', body: JSON.stringify({ tolerance: 0 }) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await until('the silent device to be critical and the fleet to report', async () => {
    const d = await get(fleet.base, fleet.viewer, '/api/v1/monitoring/device/?page_size=100');
    const st = Object.fromEntries(d.body.results.map((x) => [x.name, x.monitoring.status]));
    // A demo device can be critical for a moment: its first data_collected check may read
    // the store just before its first sample lands; its next sample runs recovery detection.
    return st['silent-ap'] === 'critical'
      && fleet.devices.every((x) => !['unknown', 'critical'].includes(st[x.name]));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await fleet?.stop();
});

afterEach(() => {
  const seen = errors;
  errors = [];
  assert.deepEqual(seen, [], 'no console or page errors');
});

test('overview counts match the API, the map shows every location, a status click lists its devices', async () => {
  const page = await newPage(fleet.viewer);
  const api = await get(fleet.base, fleet.viewer, '/api/v1/monitoring/device/?page_size=100');
  const expected = {};
  for (const d of api.body.results) expected[d.monitoring.status] = (expected[d.monitoring.status] || 0) + 1;
  for (const s of ['ok', 'problem', 'critical', 'unknown', 'deactivated']) {
    const shown = await page.getAttribute(`#status-chart [data-status=${s}]`, 'data-count');
    assert.equal(Number(shown), expected[s] || 0, `${s} count`);
  }
  assert.equal(api.body.count, fleet.devices.length + 1, 'the other organization\'s device is not counted');
  const geo = await get(fleet.base, fleet.viewer, '/api/v1/monitoring/geojson/');
  await page.waitForSelector('#map .pin');
  const pins = await page.$$eval('#map .pin', (els) => els.map((e) => Number(e.dataset.count)));
  assert.equal(pins.length, geo.body.features.length, 'one marker per location, without tiles');
  assert.equal(pins.reduce((a, b) => a + b, 0), fleet.devices.length + 1);
  assert.equal(await page.$eval('#map .pin[data-status=critical]', (e) => e.textContent), '1');
  await page.waitForSelector('#general-charts .chart');
  await shot(page, 'overview');

  await page.click('#status-chart [data-status=critical]');
  await page.waitForSelector('#devices tbody tr');
  const rows = await page.$$eval('#devices tbody tr', (trs) => trs.map((t) => [t.dataset.id, t.dataset.status]));
  assert.deepEqual(rows, [[fleet.silent.id, 'critical']]);
  assert.match(page.url(), /#\/devices\?status=critical$/);
  await shot(page, 'devices-critical');
  await page.context().close();
});

test('device list: search, sort and the phone-sized layout', async () => {
  const page = await newPage(fleet.viewer, { width: 390, height: 844 });
  await shot(page, 'overview-phone');
  await page.goto(`${fleet.base}/ui/#/devices?sort=-name`);
  await page.waitForSelector('#devices tbody tr');
  const names = await page.$$eval('#devices tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
  assert.deepEqual(names, [...names].sort().reverse());
  assert.equal(names.length, fleet.devices.length + 1);
  await page.fill('#search', 'demo-ap-1');
  await page.waitForFunction(() => document.querySelector('#device-count')?.dataset.count === '1');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no horizontal scrolling on a phone (page is ${width}px wide)`);
  await shot(page, 'devices-phone');
  await page.context().close();
});

test('device page: interfaces, charts with data points, CSV download', async () => {
  const page = await newPage(fleet.viewer);
  const dev = fleet.devices[0];
  await page.goto(`${fleet.base}/ui/#/device/${dev.id}`);
  await page.waitForSelector('#interfaces .iface');
  const ifaces = await page.$$eval('#interfaces .iface', (els) => els.map((e) => e.dataset.iface));
  const snap = await get(fleet.base, fleet.viewer, `/api/v1/monitoring/device/${dev.id}/?status=1&time=1d`);
  const expected = snap.body.data.interfaces.filter((i) => Object.keys(i).length > 2).map((i) => i.name).sort();
  assert.deepEqual(ifaces, expected);
  await page.waitForSelector('#charts .chart canvas');
  const points = await page.$$eval('#charts .chart', (els) => els.map((e) => [e.dataset.title, Number(e.dataset.points)]));
  assert.ok(points.some(([t, n]) => t === 'CPU Load' && n > 0), `a CPU chart with points: ${JSON.stringify(points)}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv.split('\r\n')[0], /^time,.*CPU_load - CPU Load/);
  assert.ok(csv.split('\r\n').length > 2, 'CSV has data rows');
  await page.click('[data-range="7d"]');
  await page.waitForSelector('[data-range="7d"].on');
  await shot(page, 'device');
  await page.context().close();
});

test('an alert setting edited by a manager is in effect through the API', async () => {
  const page = await newPage(fleet.manager);
  const dev = fleet.devices[1];
  await page.goto(`${fleet.base}/ui/#/device/${dev.id}`);
  const form = page.locator('form.alert-setting[data-metric=cpu]');
  await form.locator('select[name=operator]').selectOption('>');
  await form.locator('input[name=threshold]').fill('-1');
  await form.locator('input[name=tolerance]').fill('0');
  await form.locator('button[type=submit]').click();
  await form.locator('.msg.saved').waitFor();
  const settings = await get(fleet.base, fleet.viewer, `/api/v1/edgemon/device/${dev.id}/alert-settings/`);
  const cpu = settings.body.find((s) => s.metric === 'cpu');
  assert.deepEqual([cpu.operator, cpu.threshold, cpu.tolerance, cpu.custom.threshold], ['>', -1, 0, -1]);
  // any CPU usage is above -1: the next sample makes the device a problem
  await until('the edited device to be in problem', async () => {
    const m = await get(fleet.base, fleet.viewer, `/api/v1/monitoring/device/${dev.id}/metric/?is_healthy=false`);
    return m.body.some((x) => x.key === 'cpu');
  });
  // a bad value is refused with the field named
  await form.locator('input[name=tolerance]').fill('99999');
  await form.locator('button[type=submit]').click();
  await form.locator('.msg.error').waitFor();
  assert.match(await form.locator('.msg.error').textContent(), /tolerance/);
  await shot(page, 'device-alert-settings');
  // the live page shows the new status without a reload
  await page.waitForSelector('h1 .badge[data-status=problem]');
  await page.context().close();
});

test('a viewer cannot edit: the form is read-only and the API answers 403', async () => {
  const page = await newPage(fleet.viewer);
  const dev = fleet.devices[2];
  await page.goto(`${fleet.base}/ui/#/device/${dev.id}`);
  await page.waitForSelector('#read-only');
  assert.equal(await page.locator('form.alert-setting button[type=submit]').count(), 0);
  assert.ok(await page.locator('form.alert-setting[data-metric=cpu] input[name=threshold]').isDisabled());
  const r = await get(fleet.base, fleet.viewer, `/api/v1/edgemon/device/${dev.id}/alert-settings/cpu/`, { method: 'PUT', body: JSON.stringify({ threshold: 1 }) });
  assert.equal(r.status, 403);
  const other = await get(fleet.base, fleet.manager, `/api/v1/edgemon/device/${fleet.foreign.id}/alert-settings/`);
  assert.equal(other.status, 404, 'another organization\'s device does not exist');
  await page.goto(`${fleet.base}/ui/#/maintenance`);
  await page.waitForSelector('h1');
  assert.equal(await page.locator('#new-window').count(), 0);
  await page.context().close();
});

test('notifications and maintenance windows pages', async () => {
  const page = await newPage(fleet.manager);
  await page.goto(`${fleet.base}/ui/#/notifications`);
  await page.waitForSelector('#notifications tbody tr');
  const api = await get(fleet.base, fleet.manager, '/api/v1/notifications/notification/?page_size=20');
  assert.equal(await page.locator('#notifications tbody tr').count(), api.body.results.length);
  await shot(page, 'notifications');
  await page.goto(`${fleet.base}/ui/#/maintenance`);
  await page.fill('#new-window input[name=start]', '2030-01-01T02:00');
  await page.fill('#new-window input[name=duration]', '3h');
  await page.click('#new-window button[type=submit]');
  await page.waitForSelector('#windows tbody tr');
  const list = await get(fleet.base, fleet.viewer, '/api/v1/edgemon/maintenance/');
  assert.equal(list.body.count, 1);
  assert.equal(list.body.results[0].duration, 10800);
  await shot(page, 'maintenance');
  await page.click('#windows button.delete');
  await page.waitForSelector('#windows', { state: 'detached' });
  assert.equal((await get(fleet.base, fleet.viewer, '/api/v1/edgemon/maintenance/')).body.count, 0);
  await page.click('#logout');
  await page.waitForSelector('#token');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('edgemon.token')), null);
  await shot(page, 'login');
  await page.context().close();
});

test('the map keeps its markers and counts when the tiles cannot load', async () => {
  const TILES = 'http://tiles.invalid';
  let tileRequests = 0;
  const page = await newPage(fleet.viewer, undefined, {
    prepare: async (context) => {
      // the collector's settings, with a tile server that refuses every connection
      await context.route('**/ui/settings.json', async (route) => {
        const r = await route.fetch();
        await route.fulfill({ response: r, json: { ...(await r.json()), tile_url: `${TILES}/{z}/{x}/{y}.png` } });
      });
      await context.route(`${TILES}/**`, (route) => { tileRequests += 1; return route.abort('connectionrefused'); });
    },
    allowed: (m) => (m.location().url || '').startsWith(TILES),
  });
  await page.waitForSelector('#map .pin');
  await until('the map to ask for tiles', async () => tileRequests > 0);
  const geo = await get(fleet.base, fleet.viewer, '/api/v1/monitoring/geojson/');
  const pins = await page.$$eval('#map .pin', (els) => els.map((e) => Number(e.dataset.count)));
  assert.equal(pins.length, geo.body.features.length, 'one marker per location');
  assert.equal(pins.reduce((a, b) => a + b, 0), fleet.devices.length + 1);
  const api = await get(fleet.base, fleet.viewer, '/api/v1/monitoring/device/?page_size=100');
  const critical = api.body.results.filter((d) => d.monitoring.status === 'critical').length;
  assert.equal(Number(await page.getAttribute('#status-chart [data-status=critical]', 'data-count')), critical);
  await shot(page, 'overview-tiles-failing');
  await page.context().close();
});

// Last: it makes the silent device report (with a clock three hours ahead).
test('a device whose clock is hours off shows it on its page', async () => {
  const t = new Date(Date.now() + 3 * 3600e3);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const stamp = `${p(t.getUTCDate())}-${p(t.getUTCMonth() + 1)}-${t.getUTCFullYear()}_${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}.000000`;
  const r = await fetch(`${fleet.base}/api/v1/monitoring/device/${fleet.silent.id}/?key=${fleet.silent.key}&time=${stamp}&current=true`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'DeviceMonitoring' }),
  });
  assert.equal(r.status, 200, await r.text());
  const page = await newPage(fleet.viewer);
  await page.goto(`${fleet.base}/ui/#/device/${fleet.silent.id}`);
  const text = await (await page.waitForSelector('#clock-offset')).textContent();
  assert.match(text, /^clock (2h 59m|3h 0m) ahead of the collector$/);
  const other = await newPage(fleet.viewer);
  await other.goto(`${fleet.base}/ui/#/device/${fleet.devices[0].id}`);
  await other.waitForSelector('#interfaces .iface');
  assert.equal(await other.$('#clock-offset'), null, 'a device with a right clock shows no offset');
  await shot(page, 'device-clock');
  await page.context().close();
  await other.context().close();
});
