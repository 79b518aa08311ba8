// Login: an API token (made with `edgemon-collector token add`) pasted here and kept in
// sessionStorage for this tab.
import { api, setToken, clearToken, message } from '../api.js';
import { h } from '../ui.js';

export async function render(el) {
  const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'off', required: true, size: 40 });
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    try {
      await api('/api/v1/edgemon/whoami/');
      location.hash = '#/';
    } catch (e) {
      clearToken();
      err.textContent = e.status === 401 ? 'This token is not valid.' : message(e);
      location.hash = '#/login';
    }
  } },
  h('h1', {}, 'Log in'),
  h('p', {}, 'Paste an API token (', h('code', {}, 'edgemon-collector token add'), ').'),
  h('label', { for: 'token' }, 'Token '), input, ' ',
  h('button', { type: 'submit' }, 'Log in'), err);
  el.append(form);
}
