// What every screen of the console shares: the element helper, the API call (JSON, the CSRF
// token on every change), errors, the toast, times on the services' clock, CSV files.
import { t, currentLang } from './i18n.js';

export const state = { session: null, csrf: '', card: null, clockOffset: 0, onSignedOut: () => {} };
export const MANAGERS = ['manager', 'admin'];
export const SUPERVISORS = ['lead', 'head', 'manager', 'admin'];

export const $ = (sel, root = document) => root.querySelector(sel);
export const main = () => $('#main');

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v ?? '';
    else if (v !== false && v !== undefined && v !== null) el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove('show'), 3000);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body.error || `HTTP ${status}`);
    this.status = status;
    this.field = body.field || '';
  }
}

// One call to /api/v1: JSON in and out, the CSRF token on every change.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = state.csrf;
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/api/v1${path}`, init);
  const now = Number(res.headers.get('X-Huifang-Now'));
  if (now) state.clockOffset = now - Date.now();
  const data = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (res.status === 401 && path !== '/session') {
    state.session = null;
    state.onSignedOut();
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export function showError(err, where = main()) {
  const msg = err.status === 503 ? t('offline') : `${t('error')}${err.message}${err.field ? ` (${err.field})` : ''}`;
  where.append(h('p', { class: 'error', role: 'alert' }, msg));
}

export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString(currentLang(), { hour12: false }) : '');

// The services' clock (the manual clock in tests): the session answer carries the gateway's
// reading of it, kept as an offset from this browser's clock.
export const serverNow = () => Date.now() + state.clockOffset;
export function setServerNow(iso) { if (iso) state.clockOffset = Date.parse(iso) - Date.now(); }
// The local date (this browser's zone, the branch's) of the services' clock, plus days.
export function serverDate(plusDays = 0) {
  const d = new Date(serverNow() + plusDays * 86400000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export const can = (roles) => !!state.session && roles.includes(state.session.role);
export function forbidden(title, key) {
  main().replaceChildren(h('h1', {}, title),
    h('p', { class: 'error', role: 'alert', id: 'forbidden' }, `${t(key)} ${state.session.role}.`));
}

// A CSV file (RFC 4180, UTF-8 with a BOM so that spreadsheet programs read Chinese) saved by
// the browser. A cell that starts like a formula is quoted with a leading apostrophe.
export function csvText(columns, rows) {
  const cell = (v) => {
    let s = String(v ?? '');
    if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
export function download(name, text) {
  const url = URL.createObjectURL(new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
// Parses CSV text (quotes, doubled quotes, CRLF) into rows of cells, each with its line.
export function csvParse(text) {
  const rows = [];
  let row = [], cell = '', quoted = false, line = 1, start = 1;
  text = text.replace(/^\ufeff/, '');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (ch === '"') quoted = false;
      else { if (ch === '\n') line++; cell += ch; }
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); cell = '';
      if (row.some((c) => c !== '')) rows.push({ line: start, cells: row });
      row = []; line++; start = line;
    } else cell += ch;
  }
  row.push(cell);
  if (row.some((c) => c !== '')) rows.push({ line: start, cells: row });
  return rows;
}
