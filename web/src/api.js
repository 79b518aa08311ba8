// The API with the token the user pasted at login (kept in sessionStorage: gone when the
// tab closes).
const KEY = 'edgemon.token';

export const token = () => sessionStorage.getItem(KEY);
export const setToken = (t) => sessionStorage.setItem(KEY, t);
export const clearToken = () => sessionStorage.removeItem(KEY);

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body === 'object' ? JSON.stringify(body) : String(body));
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401) {
    clearToken();
    location.hash = '#/login';
    throw new ApiError(401, 'not logged in');
  }
  const text = await r.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

// Every page of an OpenWISP-paginated list.
export async function all(path) {
  const sep = path.includes('?') ? '&' : '?';
  let page = 1;
  const out = [];
  for (;;) {
    const data = await api(`${path}${sep}page_size=100&page=${page}`);
    out.push(...data.results);
    if (!data.next) return out;
    page += 1;
  }
}

// A file download that needs the token (CSV export): fetched, then saved from a blob.
export async function download(path, filename) {
  const r = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!r.ok) throw new ApiError(r.status, await r.text());
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// A readable message from an API error: DRF's {"detail"} or {"field": ["message"]}.
export function message(e) {
  if (!(e instanceof ApiError)) return String(e);
  const b = e.body;
  if (b && typeof b === 'object') {
    if (b.detail) return b.detail;
    return Object.entries(b).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`).join('; ');
  }
  return `${e.status} ${b}`;
}
