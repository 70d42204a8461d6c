// The supervisor's screens: complaints with their live SLA countdown and level, QA sampling
// and scoring, and lead import with a progress bar and the rejected rows as a CSV file.
import { t } from './i18n.js';
import { $, main, h, api, showError, toast, fmtTime, serverNow, serverDate, setServerNow, SUPERVISORS, can, forbidden, csvParse, csvText, download } from './ui.js';

// ---- complaints: the clock of each open complaint, ticking every second on the services'
// clock; re-read on every complaint event (a warning, an escalation, a move) -----------------

let tick = null;

export async function renderComplaints() {
  if (!can(SUPERVISORS)) return forbidden(t('cp_title'), 'forbidden_wall');
  main().replaceChildren(h('h1', {}, t('cp_title')), h('section', { class: 'panel', id: 'complaints' }, h('p', { class: 'muted' }, t('loading'))));
  await loadComplaints();
}

const clock = (ms) => {
  const s = Math.floor(Math.abs(ms) / 1000);
  return `${ms < 0 ? '-' : ''}${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

// A complaint's clock state: paused, ok, warning (past half or three quarters), failed
// (overdue now or escalated before: a failed clock stays failed).
function slaState(c, now) {
  if (c.paused_at || !c.due_at) return 'paused';
  const left = Date.parse(c.due_at) - now;
  if (left < 0) return 'failed';
  if (c.breaches > 0) return 'failed';
  return c.warned > 0 || left < (c.period_ms || 0) * 0.25 ? 'warning' : 'ok';
}

export async function loadComplaints(panel = $('#complaints')) {
  if (!panel) return;
  try {
    const r = await api('GET', '/complaints?open=true');
    if (r.now_ms) setServerNow(new Date(r.now_ms).toISOString());
    const list = r.complaints || [];
    panel.replaceChildren();
    if (!list.length) return panel.append(h('p', { class: 'muted', id: 'complaints-empty' }, t('cp_empty')));
    panel.append(h('table', {}, h('thead', {}, h('tr', {}, ['#', 'cp_customer', 'cp_category', 'cp_severity', 'cp_state', 'cp_owner', 'cp_level', 'cp_due', 'cp_left'].map((k) => h('th', {}, k === '#' ? k : t(k))))),
      h('tbody', {}, list.map((c) => h('tr', { 'data-complaint': c.id, 'data-due': c.due_at || '', 'data-paused': c.paused_at ? 1 : 0, 'data-breaches': c.breaches || 0, 'data-warned': c.warned || 0, 'data-period': c.period_ms || 0 },
        h('td', {}, `#${c.id}`), h('td', {}, c.customer_name || c.customer_id), h('td', {}, c.category), h('td', {}, c.severity), h('td', {}, c.state),
        h('td', {}, c.owner), h('td', { class: 'num level' }, `L${c.level || 0}`), h('td', {}, fmtTime(c.due_at)),
        h('td', { class: 'num countdown' }))))));
    updateCountdowns();
    clearInterval(tick);
    tick = setInterval(() => { if (!$('#complaints')) clearInterval(tick); else updateCountdowns(); }, 1000);
  } catch (e) {
    panel.replaceChildren();
    showError(e, panel);
  }
}

function updateCountdowns() {
  const now = serverNow();
  for (const tr of document.querySelectorAll('#complaints tr[data-complaint]')) {
    const c = { due_at: tr.dataset.due, paused_at: tr.dataset.paused === '1', breaches: Number(tr.dataset.breaches), warned: Number(tr.dataset.warned), period_ms: Number(tr.dataset.period) };
    const s = slaState(c, now);
    tr.dataset.sla = s;
    tr.className = `sla-${s}`;
    $('.countdown', tr).textContent = s === 'paused' ? t('cp_paused') : `${clock(Date.parse(c.due_at) - now)}${s === 'failed' ? ` ${t('cp_failed')}` : ''}`;
  }
}

// ---- QA: the day's sampled calls (and those a supervisor picked), scored 1-5 with a note --

export async function renderQa() {
  if (!can(SUPERVISORS)) return forbidden(t('qa_title'), 'forbidden_wall');
  const form = h('form', { class: 'panel controls', id: 'qa-form' },
    h('div', { class: 'field' }, h('label', { for: 'qa-date' }, t('qa_date')), h('input', { id: 'qa-date', type: 'date', value: serverDate(0) })),
    h('button', { type: 'submit' }, t('rep_show')));
  const panel = h('section', { class: 'panel', id: 'qa' });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); loadQa(panel, $('#qa-date', form).value); });
  main().replaceChildren(h('h1', {}, t('qa_title')), form, panel);
  await loadQa(panel, serverDate(0));
}

async function loadQa(panel, date) {
  panel.replaceChildren(h('p', { class: 'muted' }, t('loading')));
  try {
    const r = await api('GET', `/reviews?date=${date}`);
    const list = r.reviews || [];
    panel.replaceChildren(h('p', { class: 'muted' }, `${t('qa_rate')}: ${r.percent ?? 0}% · ${r.date || date}`));
    if (!list.length) return panel.append(h('p', { class: 'muted', id: 'qa-empty' }, t('qa_empty')));
    panel.append(h('table', {}, h('thead', {}, h('tr', {}, ['qa_call', 'col_agent', 'outcome', 'note', 'qa_score', ''].map((k) => h('th', {}, k ? t(k) : '')))),
      h('tbody', {}, list.map((rv) => {
        const score = h('select', { name: 'score', 'aria-label': t('qa_score') }, ['', 1, 2, 3, 4, 5].map((n) => h('option', { value: n, selected: rv.score === n }, n || '—')));
        const note = h('input', { name: 'note', value: rv.note || '', 'aria-label': t('note') });
        return h('tr', { 'data-contact': rv.contact_id, 'data-score': rv.score || 0 },
          h('td', {}, `#${rv.contact_id}${rv.sampled ? ` (${t('qa_sampled')})` : ''}`), h('td', {}, rv.agent),
          h('td', {}, rv.contact?.outcome || ''), h('td', {}, h('div', {}, rv.contact?.note || ''), note),
          h('td', {}, score, rv.reviewer ? h('div', { class: 'muted' }, rv.reviewer) : null),
          h('td', {}, h('button', { type: 'button', class: 'qa-save', onclick: async (ev) => {
            try {
              await api('POST', `/reviews/${rv.contact_id}/score`, { score: Number(score.value), note: note.value });
              toast(t('cu_saved'));
              loadQa(panel, date);
            } catch (e) { showError(e, ev.target.closest('td')); }
          } }, t('qa_save'))));
      }))));
  } catch (e) {
    panel.replaceChildren();
    showError(e, panel);
  }
}

// ---- lead import: a CSV file read in the browser, sent in batches (each one lead_import
// command, so the bar moves per batch and a retry of a batch adds nothing twice: intake
// recognises a row it already has), the rejected rows kept for a CSV file ----------------

const BATCH = 50;
const LEAD_FIELDS = ['name', 'phone', 'channel', 'region', 'address', 'gender', 'birth', 'ref_date', 'collector', 'source', 'note',
  'referrer', 'route', 'condition', 'baby_name', 'baby_sex', 'baby_birth', 'due_date', 'current_brand', 'feeding', 'employer',
  'hobbies', 'health', 'age', 'windows', 'collected_at'];

export function renderImport() {
  if (!can(SUPERVISORS)) return forbidden(t('im_title'), 'forbidden_wall');
  const bar = h('progress', { id: 'import-progress', max: 1, value: 0 });
  const status = h('p', { id: 'import-status', role: 'status', 'aria-live': 'polite' });
  const result = h('div', { id: 'import-result' });
  const form = h('form', { class: 'panel', id: 'import-form' },
    h('p', { class: 'muted' }, t('im_help'), ' ', h('code', {}, LEAD_FIELDS.join(','))),
    h('div', { class: 'cols' },
      h('div', { class: 'field' }, h('label', { for: 'import-file' }, t('im_file')), h('input', { id: 'import-file', type: 'file', accept: '.csv,text/csv', required: true })),
      h('div', { class: 'field' }, h('label', { for: 'import-channel' }, t('im_channel')),
        h('select', { id: 'import-channel' }, ['counter', 'consult', 'clinic', 'hospital', 'mail', 'referral', 'other'].map((c) => h('option', { value: c }, c)))),
      h('div', { class: 'field' }, h('label', { for: 'import-source' }, t('im_source')), h('input', { id: 'import-source' }))),
    h('p', {}, h('button', { type: 'submit', id: 'import-start' }, t('im_start'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = $('#import-file', form).files[0];
    if (!file) return;
    $('#import-start', form).disabled = true;
    result.replaceChildren();
    try {
      await runImport(await file.text(), $('#import-channel', form).value, $('#import-source', form).value.trim(), bar, status, result);
    } finally {
      $('#import-start', form).disabled = false;
    }
  });
  main().replaceChildren(h('h1', {}, t('im_title')), form, h('section', { class: 'panel' }, bar, status, result));
}

async function runImport(text, channel, source, bar, status, result) {
  const rows = csvParse(text);
  if (rows.length < 2) return result.append(h('p', { class: 'error', role: 'alert' }, t('im_empty')));
  const header = rows[0].cells.map((c) => c.trim());
  const unknown = header.filter((c) => !LEAD_FIELDS.includes(c));
  if (unknown.length) return result.append(h('p', { class: 'error', role: 'alert' }, `${t('im_unknown')}: ${unknown.join(', ')}`));
  const data = rows.slice(1);
  const totals = { added: 0, merged: 0, rejected: 0, duplicate: 0 };
  const rejects = [];
  bar.max = data.length;
  bar.value = 0;
  for (let i = 0; i < data.length; i += BATCH) {
    const batch = data.slice(i, i + BATCH).map((r) => {
      const lead = {};
      header.forEach((k, j) => {
        const v = (r.cells[j] || '').trim();
        if (!v) return;
        lead[k] = k === 'age' ? Number(v) : v;
      });
      return { line: r.line, lead };
    });
    try {
      const res = await api('POST', '/imports', { rows: batch, channel, ...(source ? { source } : {}) });
      for (const k of Object.keys(totals)) totals[k] += res[k] || 0;
      for (const o of res.rows || []) if (o.outcome === 'rejected') rejects.push(o);
    } catch (e) {
      showError(e, result);
      break;
    }
    bar.value = Math.min(data.length, i + BATCH);
    bar.dataset.done = bar.value;
    status.textContent = `${bar.value} / ${data.length} · ${t('im_added')} ${totals.added} · ${t('im_merged')} ${totals.merged} · ${t('im_duplicate')} ${totals.duplicate} · ${t('im_rejected')} ${totals.rejected}`;
  }
  status.dataset.rejected = totals.rejected;
  status.dataset.added = totals.added;
  if (rejects.length) {
    const byLine = new Map(data.map((r) => [r.line, r.cells]));
    result.append(h('p', {}, h('button', { type: 'button', id: 'import-rejects', class: 'secondary', onclick: () =>
      download('import-rejects.csv', csvText(['line', 'field', 'reason', ...header], rejects.map((o) => [o.line, o.field, o.reason, ...(byLine.get(o.line) || [])]))) },
    `${t('im_rejects')} (${rejects.length})`)));
  }
  toast(t('im_done'));
}

// ---- plan templates: each template's steps, editable by managers (plan_step_set per step;
// the branch's own copy of a default is made by the scheduler on the first change) ---------

const ANCHORS = ['purchase', 'supply_end', 'previous', 'ref_date'];
const STEP_NUMS = ['offset_days', 'window_days', 'repeat_days'];
const STEP_TEXTS = ['purpose', 'channel', 'role'];

export async function renderPlans() {
  if (!can(SUPERVISORS)) return forbidden(t('pl_title'), 'forbidden_wall');
  const panel = h('section', { id: 'plans' }, h('p', { class: 'muted' }, t('loading')));
  main().replaceChildren(h('h1', {}, t('pl_title')), panel);
  await loadPlans(panel);
}

async function loadPlans(panel = $('#plans')) {
  if (!panel) return;
  const edit = can(['manager', 'admin']);
  try {
    const r = await api('GET', '/plans');
    panel.replaceChildren();
    for (const tpl of r.templates || []) {
      const rows = (tpl.steps || []).map((st) => stepRow(tpl.code, st, edit, panel));
      if (edit) rows.push(stepRow(tpl.code, { step_no: Math.max(0, ...(tpl.steps || []).map((x) => x.step_no || 0)) + 1, anchor: 'purchase' }, edit, panel, true));
      panel.append(h('section', { class: 'panel', 'data-plan': tpl.code }, h('h2', {}, `${tpl.code} · ${tpl.name || ''}`),
        h('div', { class: 'report-table' }, h('table', {}, h('thead', {}, h('tr', {}, ['#', 'pl_anchor', ...STEP_NUMS.map((k) => `pl_${k}`), ...STEP_TEXTS.map((k) => `pl_${k}`), ''].map((k) => h('th', {}, k === '#' || !k ? k : t(k))))),
          h('tbody', {}, rows)))));
    }
  } catch (e) {
    panel.replaceChildren();
    showError(e, panel);
  }
}

function stepRow(code, st, edit, panel, isNew = false) {
  const cell = (input) => h('td', {}, input);
  const anchor = h('select', { name: 'anchor', disabled: !edit, 'aria-label': t('pl_anchor') }, ANCHORS.map((a) => h('option', { value: a, selected: a === st.anchor }, a)));
  const nums = STEP_NUMS.map((k) => h('input', { name: k, type: 'number', value: st[k] ?? 0, disabled: !edit, class: 'narrow', 'aria-label': t(`pl_${k}`) }));
  const texts = STEP_TEXTS.map((k) => h('input', { name: k, value: st[k] ?? '', disabled: !edit, 'aria-label': t(`pl_${k}`) }));
  const tr = h('tr', { 'data-step': st.step_no, class: isNew ? 'new-step' : '' }, h('td', {}, st.step_no), cell(anchor), nums.map(cell), texts.map(cell));
  if (!edit) return tr;
  const send = async (remove) => {
    const step = { step_no: st.step_no, anchor: anchor.value };
    nums.forEach((n) => { step[n.name] = Number(n.value || 0); });
    texts.forEach((x) => { step[x.name] = x.value.trim(); });
    try {
      await api('POST', `/plans/${encodeURIComponent(code)}/steps`, remove ? { step: { step_no: st.step_no }, remove: true } : { step });
      toast(t('cu_saved'));
      loadPlans(panel);
    } catch (e) { showError(e, tr.lastChild); }
  };
  tr.append(h('td', {}, h('button', { type: 'button', class: 'small step-save', onclick: () => send(false) }, isNew ? t('pl_add') : t('pl_save')),
    isNew ? null : h('button', { type: 'button', class: 'small secondary step-remove', onclick: () => send(true) }, t('pl_remove'))));
  return tr;
}
