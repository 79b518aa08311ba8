// Maintenance windows: while one is open, the notifications of the devices it covers are
// stored muted and not delivered. Windows from the configuration file are listed too but
// can only be changed there.
import { api, message } from '../api.js';
import { h } from '../ui.js';

export async function render(el, params, { me }) {
  const listHost = h('div', {});
  const err = h('p', { class: 'error', id: 'maintenance-error' });
  el.append(h('h1', {}, 'Maintenance windows'), listHost);
  if (me.can_change) {
    const org = h('select', { name: 'organization' }, me.organizations.map((o) => h('option', { value: o.id }, o.name)));
    const device = h('input', { name: 'device', placeholder: 'device UUID (optional)', size: 36 });
    const start = h('input', { name: 'start', type: 'datetime-local', required: true });
    const dur = h('input', { name: 'duration', value: '2h', size: 6 });
    const every = h('input', { name: 'every', placeholder: 'e.g. 7d', size: 6 });
    const note = h('input', { name: 'note', size: 20 });
    el.append(h('h2', {}, 'New window'), h('form', { class: 'inline card', id: 'new-window', onsubmit: async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      const body = { start: start.value ? new Date(start.value).toISOString() : '', duration: dur.value, note: note.value };
      if (device.value.trim()) body.device = device.value.trim(); else body.organization = org.value;
      if (every.value.trim()) body.every = every.value.trim();
      try { await api('/api/v1/edgemon/maintenance/', { method: 'POST', body }); await load(); } catch (e) { err.textContent = message(e); }
    } }, h('label', {}, 'organization', org), h('label', {}, 'or device', device), h('label', {}, 'start', start),
    h('label', {}, 'duration', dur), h('label', {}, 'repeat every', every), h('label', {}, 'note', note), h('button', { type: 'submit' }, 'Create')), err);
  }
  const orgName = Object.fromEntries(me.organizations.map((o) => [o.id, o.name]));
  const fmt = (s) => (s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);
  const load = async () => {
    const data = await api('/api/v1/edgemon/maintenance/');
    listHost.replaceChildren(data.results.length ? h('div', { class: 'scroll' }, h('table', { id: 'windows' },
      h('thead', {}, h('tr', {}, ['Covers', 'Start', 'Duration', 'Every', 'Open now', 'Note', ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, data.results.map((w) => h('tr', { 'data-id': w.id ?? '' },
        h('td', {}, w.device ? h('a', { href: `#/device/${w.device}` }, `device ${w.device.slice(0, 8)}`) : orgName[w.organization] || w.organization),
        h('td', {}, new Date(w.start).toLocaleString()), h('td', {}, fmt(w.duration)), h('td', {}, w.every ? fmt(w.every) : 'once'),
        h('td', {}, w.open ? 'yes' : 'no'), h('td', {}, w.note),
        h('td', {}, w.source === 'config' ? h('span', { class: 'muted' }, 'configuration file') : me.can_change ? h('button', { type: 'button', class: 'delete', onclick: async () => {
          try { await api(`/api/v1/edgemon/maintenance/${w.id}/`, { method: 'DELETE' }); await load(); } catch (e) { err.textContent = message(e); }
        } }, 'Delete') : '')))))) : h('p', { class: 'muted' }, 'No maintenance windows.'));
  };
  await load();
  return load;
}
