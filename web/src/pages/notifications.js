// Notifications: newest first, 20 a page, unread ones in bold; mark one or all read.
import { api, message } from '../api.js';
import { h, when } from '../ui.js';

export async function render(el, params) {
  const page = Number(params.page) || 1;
  const unread = params.unread === 'true';
  const listHost = h('div', {});
  const err = h('p', { class: 'error' });
  el.append(h('h1', {}, 'Notifications'), h('div', { class: 'toolbar' },
    h('label', {}, h('input', { type: 'checkbox', checked: unread, onchange: (e) => { location.hash = `#/notifications${e.target.checked ? '?unread=true' : ''}`; } }), ' unread only'),
    h('button', { type: 'button', id: 'read-all', onclick: async () => {
      try { await api('/api/v1/notifications/notification/read/', { method: 'POST' }); await load(); } catch (e) { err.textContent = message(e); }
    } }, 'Mark all read')), err, listHost);
  const load = async () => {
    const data = await api(`/api/v1/notifications/notification/?page_size=20&page=${page}${unread ? '&unread=true' : ''}`);
    listHost.replaceChildren(h('div', { class: 'scroll' }, h('table', { id: 'notifications' }, h('thead', {}, h('tr', {}, ['When', 'Type', 'Device', 'Subject', ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, data.results.map((n) => h('tr', { class: n.unread ? 'unread' : '', 'data-id': n.id },
        h('td', {}, when(n.timestamp)), h('td', {}, n.type, n.muted ? ' (muted)' : ''),
        h('td', {}, h('a', { href: `#/device/${n.target_object_id}` }, n.target_name)),
        h('td', {}, n.email_subject),
        h('td', {}, n.unread ? h('button', { type: 'button', onclick: async () => {
          try { await api(`/api/v1/notifications/notification/${n.id}/`, { method: 'PATCH' }); await load(); } catch (e) { err.textContent = message(e); }
        } }, 'mark read') : '')))))),
    h('div', { class: 'toolbar' },
      page > 1 ? h('a', { href: `#/notifications?page=${page - 1}${unread ? '&unread=true' : ''}` }, '‹ Newer') : '',
      h('span', {}, `${data.count} notification(s)`),
      data.next ? h('a', { href: `#/notifications?page=${page + 1}${unread ? '&unread=true' : ''}` }, 'Older ›') : ''));
  };
  await load();
  return load;
}
