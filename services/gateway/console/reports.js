// Reports: every report of the reporting service as tables and as charts (Apache ECharts,
// bundled into vendor/echarts.js from npm at a locked version, loaded only on this screen),
// each table as a CSV file. A report has the period the service gives it: a day
// (agent-daily), a week (branch-weekly, collection, complaints) or a month (repurchase,
// sales-attribution). Charts: per-agent bars of each agent table, the funnel tasks due ->
// attempts -> contacts -> orders (and the card funnel of collection), the trend of the totals
// over the last periods. A person of several branches (hq) sees them side by side.
import { t, currentLang } from './i18n.js';
import { state, $, main, h, api, showError, serverDate, csvText, download } from './ui.js';

export const REPORTS = [
  { name: 'agent-daily', period: 'date' }, { name: 'branch-weekly', period: 'week' },
  { name: 'collection', period: 'week' }, { name: 'complaints', period: 'week' },
  { name: 'repurchase', period: 'month' }, { name: 'sales-attribution', period: 'month' },
];
const TREND_PERIODS = 6;
const charts = new Set(); // the ECharts instances on screen, disposed on the next render
let echartsLib = null;

async function echarts() {
  if (!echartsLib) echartsLib = (await import('./vendor/echarts.js')).echarts;
  return echartsLib;
}

// ---- periods: the one that holds the services' today, and the ones before it

const pad = (n) => String(n).padStart(2, '0');
function isoWeek(d) { // ISO 8601 week of a Date (its UTC fields)
  const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = x.getUTCDay() || 7;
  x.setUTCDate(x.getUTCDate() + 4 - day);
  const y0 = new Date(Date.UTC(x.getUTCFullYear(), 0, 1));
  return `${x.getUTCFullYear()}-W${pad(Math.ceil(((x - y0) / 86400000 + 1) / 7))}`;
}
function weekMonday(week) { // the Monday of YYYY-Www, as a UTC Date
  const [y, w] = week.split('-W').map(Number);
  const jan4 = new Date(Date.UTC(y, 0, 4));
  const monday = new Date(jan4);
  monday.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() || 7) - 1) + (w - 1) * 7);
  return monday;
}
export function currentPeriod(kind) {
  const today = serverDate(0);
  if (kind === 'date') return today;
  if (kind === 'month') return today.slice(0, 7);
  return isoWeek(new Date(`${today}T00:00:00Z`));
}
// The n periods ending with p, oldest first.
export function periodsBack(kind, p, n) {
  const out = [];
  for (let i = n - 1; i >= 0; i--) {
    if (kind === 'date') {
      const d = new Date(`${p}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() - i);
      out.push(d.toISOString().slice(0, 10));
    } else if (kind === 'week') {
      const d = weekMonday(p);
      d.setUTCDate(d.getUTCDate() - 7 * i);
      out.push(isoWeek(d));
    } else {
      const [y, m] = p.split('-').map(Number);
      const d = new Date(Date.UTC(y, m - 1 - i, 1));
      out.push(`${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`);
    }
  }
  return out;
}

// ---- reading a report's tables

const num = (cell) => { const v = Number(String(cell).replace(/[,%¥]/g, '')); return Number.isFinite(v) ? v : 0; };
const numeric = (table) => (table.kinds || []).map((k, i) => (k === 'int' || k === 'decimal' ? i : -1)).filter((i) => i >= 0);
const counts = (table) => (table.kinds || []).map((k, i) => (k === 'int' ? i : -1)).filter((i) => i >= 0);
const isTotal = (row) => (row.cells || [])[0] === 'TOTAL';
function totalsOf(table) { // the TOTAL row, or the sum of the rows
  const rows = table.rows || [];
  const total = rows.find(isTotal);
  if (total) return total.cells.map(num);
  const sums = (table.columns || []).map(() => 0);
  for (const r of rows) r.cells.forEach((c, i) => { sums[i] += num(c); });
  return sums;
}

function tableEl(table) {
  const kinds = table.kinds || [];
  return h('table', { class: 'report', 'data-title': table.title },
    h('thead', {}, h('tr', {}, (table.columns || []).map((c, i) => h('th', { class: kinds[i] === 'text' ? '' : 'num' }, c)))),
    h('tbody', {}, (table.rows || []).map((r) => h('tr', { class: isTotal(r) ? 'total' : '' },
      (r.cells || []).map((c, i) => h('td', { class: kinds[i] === 'text' ? '' : 'num' }, c))))));
}

// ---- charts (a canvas each; tooltips drawn on the canvas, no inline HTML under the CSP)

async function chart(el, option) {
  const lib = await echarts();
  const c = lib.init(el, null, { renderer: 'canvas' });
  c.setOption({ animation: false, tooltip: { trigger: 'axis', renderMode: 'richText' }, ...option });
  charts.add(c);
  return c;
}

function chartBox(kind, title, points) {
  return h('div', { class: 'chart', 'data-chart': kind, 'data-points': points, role: 'img', 'aria-label': title });
}

// Per-row bars of a table whose rows are agents (or terminals, kinds, ...): its count columns.
async function barsOf(table, into) {
  const rows = (table.rows || []).filter((r) => !isTotal(r));
  const cols = counts(table).slice(0, 4);
  if (rows.length < 1 || !cols.length || (table.columns || [])[0] === 'due') return;
  const el = chartBox('bars', table.title, rows.length * cols.length);
  into.append(el);
  await chart(el, {
    title: { text: table.title, textStyle: { fontSize: 13 } }, legend: { top: 26 }, grid: { top: 64, left: 50, right: 10, bottom: 30 },
    xAxis: { type: 'category', data: rows.map((r) => r.cells[0]) }, yAxis: { type: 'value' },
    series: cols.map((i) => ({ type: 'bar', name: table.columns[i], data: rows.map((r) => num(r.cells[i])) })),
  });
}

// The follow-up funnel of an agents table (tasks due, attempts, contacts, orders), or the
// card funnel of collection (cards now per card type).
async function funnelOf(table, into) {
  const cols = table.columns || [];
  let data;
  if (['tasks_due', 'attempts', 'contacts', 'orders'].every((c) => cols.includes(c))) {
    const tot = totalsOf(table);
    data = ['tasks_due', 'attempts', 'contacts', 'orders'].map((c) => ({ name: c, value: tot[cols.indexOf(c)] }));
  } else if (/funnel/.test(table.title) && cols.includes('entered')) {
    data = (table.rows || []).map((r) => ({ name: r.cells[0], value: num(r.cells[cols.indexOf('entered')]) }));
  } else return;
  const el = chartBox('funnel', `${table.title} funnel`, data.length);
  into.append(el);
  await chart(el, {
    title: { text: `${t('rep_funnel')}: ${table.title}`, textStyle: { fontSize: 13 } }, tooltip: { trigger: 'item', renderMode: 'richText' },
    series: [{ type: 'funnel', sort: 'none', top: 40, bottom: 10, left: '10%', width: '80%', label: { formatter: '{b}: {c}' }, data }],
  });
}

// The totals of the report's first table over the last periods (one request per period).
async function trendOf(rep, kind, period, branch, into) {
  const periods = periodsBack(kind, period, TREND_PERIODS);
  const results = await Promise.all(periods.map((p) => api('GET', reportPath(rep, kind, p, branch)).catch(() => null)));
  const first = results.find((r) => r && r.tables && r.tables.length);
  if (!first) return;
  const title = first.tables[0].title;
  const cols = counts(first.tables[0]).slice(0, 4);
  if (!cols.length) return;
  const el = chartBox('trend', title, periods.length);
  into.append(el);
  await chart(el, {
    title: { text: `${t('rep_trend')}: ${title}`, textStyle: { fontSize: 13 } }, legend: { top: 26 }, grid: { top: 64, left: 50, right: 10, bottom: 30 },
    xAxis: { type: 'category', data: periods }, yAxis: { type: 'value' },
    series: cols.map((i) => ({ type: 'line', name: first.tables[0].columns[i],
      data: results.map((r) => { const tb = r && (r.tables || []).find((x) => x.title === title); return tb ? totalsOf(tb)[i] : 0; }) })),
  });
}

function reportPath(rep, kind, period, branch) {
  const q = new URLSearchParams({ [kind]: period });
  if (branch) q.set('branch', branch);
  return `/reports/${rep}?${q}`;
}

// ---- the screen

export async function renderReports() {
  for (const c of charts) c.dispose();
  charts.clear();
  const branches = state.session.branches || [];
  const form = h('form', { class: 'panel controls', id: 'report-form' },
    h('div', { class: 'field' }, h('label', { for: 'report-name' }, t('rep_name')),
      h('select', { id: 'report-name' }, REPORTS.map((r) => h('option', { value: r.name }, `${t(`rep.${r.name}`)} (${t(`per.${r.period}`)})`)))),
    h('div', { class: 'field' }, h('label', { for: 'report-period' }, t('rep_period')), h('input', { id: 'report-period' })),
    branches.length > 1 ? h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'report-compare', checked: true }), ' ', t('rep_compare')) : null,
    h('button', { type: 'submit', id: 'report-show' }, t('rep_show')));
  const out = h('section', { id: 'report' });
  main().replaceChildren(h('h1', {}, t('rep_title')), form, out);
  const kindOf = () => REPORTS.find((r) => r.name === form.querySelector('#report-name').value).period;
  const setPeriod = () => {
    const input = $('#report-period', form);
    input.type = kindOf() === 'date' ? 'date' : kindOf(); // date | week | month
    input.value = currentPeriod(kindOf());
  };
  $('#report-name', form).addEventListener('change', () => { setPeriod(); form.requestSubmit(); });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const compare = $('#report-compare', form)?.checked;
    showReport(out, $('#report-name', form).value, kindOf(), $('#report-period', form).value || currentPeriod(kindOf()),
      compare ? branches : [state.session.branches?.[0] || '']);
  });
  setPeriod();
  await showReport(out, REPORTS[0].name, 'date', currentPeriod('date'), branches.length > 1 ? branches : [branches[0] || '']);
}

async function showReport(out, rep, kind, period, branches) {
  for (const c of charts) c.dispose();
  charts.clear();
  out.replaceChildren(h('p', { class: 'muted' }, t('loading')));
  const cols = h('div', { class: branches.length > 1 ? 'side-by-side' : '', id: 'report-branches' });
  out.replaceChildren(cols);
  await Promise.all(branches.map(async (branch) => {
    const col = h('div', { class: 'panel report-branch', 'data-branch': branch });
    cols.append(col);
    try {
      const r = await api('GET', reportPath(rep, kind, period, branch));
      col.append(h('h2', {}, `${t(`rep.${rep}`)} · ${r.branch} · ${r.period} (${r.from} – ${r.to})`),
        h('p', { class: 'muted' }, `${t('rep_generated')} ${new Date(r.generated_at).toLocaleString(currentLang(), { hour12: false })} · ${r.tz}`));
      const chartsEl = h('div', { class: 'charts' });
      col.append(chartsEl);
      for (const table of r.tables || []) {
        col.append(h('div', { class: 'report-table' },
          h('h3', {}, table.title, ' ', h('button', { type: 'button', class: 'secondary small csv', 'data-table': table.title,
            onclick: () => download(`${rep}_${r.branch}_${r.period}_${table.title.replace(/\W+/g, '-')}.csv`,
              csvText(table.columns || [], (table.rows || []).map((x) => x.cells || []))) }, t('rep_csv'))),
          tableEl(table)));
      }
      await trendOf(rep, kind, period, branch, chartsEl);
      for (const table of r.tables || []) {
        await funnelOf(table, chartsEl);
        if ((table.columns || [])[0] === 'agent' || (numeric(table).length && (table.rows || []).length > 1)) await barsOf(table, chartsEl);
      }
    } catch (e) {
      showError(e, col);
    }
  }));
}
