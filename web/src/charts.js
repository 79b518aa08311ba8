// The API's charts (the reference's JSON: traces, type, unit, colors, trace_type,
// trace_order, calculate_total) drawn with uPlot, plus the range picker.
import { h, bytes } from './ui.js';

const DEFAULT_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const RANGES = ['1d', '3d', '7d', '30d', '365d'];

// "YYYY-MM-DD HH:MM" in the browser's time zone (the one the request named) → epoch seconds.
function epoch(label) {
  const [d, t = '00:00'] = label.split(' ');
  const [y, mo, da] = d.split('-').map(Number);
  const [hh, mm] = t.split(':').map(Number);
  return new Date(y, mo - 1, da, hh, mm).getTime() / 1000;
}

export function formatValue(unit, v) {
  if (v === null || v === undefined) return '–';
  if (unit && unit.startsWith('adaptive_prefix+')) {
    const base = unit.slice('adaptive_prefix+'.length);
    // the reference's queries divide bytes and bits per second by 10^9
    return bytes(v * 1e9).replace('B', base === 'B' ? 'B' : base);
  }
  const n = Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toFixed(2));
  return `${n}${unit || ''}`;
}

function colorscaleColor(chart) {
  const map = chart.colorscale && chart.colorscale.map;
  return map ? map[0][1] : null;
}

export function chartsQuery(range) {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  if (range.start && range.end) {
    return `start=${encodeURIComponent(range.start)}&end=${encodeURIComponent(range.end)}&timezone=${encodeURIComponent(tz)}`;
  }
  return `time=${range.time}&timezone=${encodeURIComponent(tz)}`;
}

export function renderChart(chart, xLabels) {
  const xs = xLabels.map(epoch);
  const byName = Object.fromEntries(chart.traces.map(([n, v]) => [n, v]));
  if (chart.calculate_total) {
    const names = Object.keys(byName);
    byName.total = xs.map((_, i) => {
      const vals = names.map((n) => byName[n][i]).filter((v) => v !== null && v !== undefined);
      return vals.length ? vals.reduce((a, b) => a + b, 0) : null;
    });
  }
  const order = chart.trace_order || chart.traces.map(([n]) => n);
  const colors = chart.colors || DEFAULT_COLORS;
  const kindOf = (n) => (chart.trace_type && chart.trace_type[n]) || chart.type;
  // stacked bars: each drawn as the sum of itself and those below it, tallest first
  const stacked = order.filter((n) => kindOf(n) === 'stackedbar');
  const cum = {};
  let run = xs.map(() => null);
  for (const n of stacked) {
    run = run.map((r, i) => (byName[n][i] === null ? r : (r || 0) + byName[n][i]));
    cum[n] = run;
  }
  const drawOrder = [...order.filter((n) => kindOf(n) !== 'stackedbar'), ...stacked.slice().reverse()];
  const series = [{}];
  const data = [xs];
  let points = 0;
  for (const n of drawOrder) {
    const kind = kindOf(n);
    const color = colorscaleColor(chart) || colors[order.indexOf(n)] || DEFAULT_COLORS[0];
    const bar = kind === 'bar' || kind === 'stackedbar';
    series.push({
      label: (chart.trace_labels && chart.trace_labels[n]) || n,
      stroke: color,
      fill: bar ? color : undefined,
      width: bar ? 0 : 2,
      paths: bar ? uPlot.paths.bars({ size: [0.7, 60] }) : undefined,
      points: { show: !bar },
      spanGaps: !!chart.connect_points,
      value: (u, v, si, i) => formatValue(chart.unit, i === null || i === undefined ? v : byName[n][i]),
    });
    data.push(kind === 'stackedbar' ? cum[n] : byName[n]);
    points += byName[n].filter((v) => v !== null && v !== undefined).length;
  }
  const box = h('div', { class: 'chart card', 'data-title': chart.title, 'data-points': points });
  box.append(h('h3', {}, chart.title));
  const summary = Object.entries(chart.summary || {}).map(([k, v]) => `${k}: ${formatValue(chart.unit, v)}`).join(' · ');
  box.append(h('div', { class: 'summary', title: chart.description || '' }, summary));
  const plotHost = h('div', {});
  box.append(plotHost);
  // drawn once the box is in the page, at its width
  requestAnimationFrame(() => {
    const width = Math.max(260, plotHost.clientWidth || 600);
    // eslint-disable-next-line no-new
    new uPlot({
      width,
      height: 200,
      series,
      scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] } },
      axes: [{}, { values: (u, vals) => vals.map((v) => formatValue(chart.unit, v)), size: 70 }],
    }, data, plotHost);
  });
  return box;
}

// 1d/3d/7d/30d/365d buttons and a custom start/end; calls onChange({time} | {start, end}).
export function rangePicker(current, onChange) {
  const box = h('div', { class: 'toolbar range' });
  for (const r of RANGES) {
    box.append(h('button', { type: 'button', class: current.time === r && !current.start ? 'on' : '', 'data-range': r, onclick: () => onChange({ time: r }) }, r));
  }
  const start = h('input', { type: 'datetime-local', 'aria-label': 'start' });
  const end = h('input', { type: 'datetime-local', 'aria-label': 'end' });
  const fmt = (v) => `${v.replace('T', ' ')}${v.length === 16 ? ':00' : ''}`;
  box.append(start, end, h('button', { type: 'button', onclick: () => {
    if (start.value && end.value) onChange({ time: 'custom', start: fmt(start.value), end: fmt(end.value) });
  } }, 'Custom'));
  return box;
}
