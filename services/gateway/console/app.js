// The Huifang console: plain ES modules, no framework. Screens: sign in; the agent's "my day"
// (today's bag, tomorrow's preview, the next-call card, the outcome form with every field of
// the record sheet, keys 1-8 for the outcome and N for the next call); the supervisor's
// wallboard, complaints, QA and lead import (supervisor.js); reports with charts (reports.js);
// customers (customers.js); the manager's return approvals. The server decides what anyone
// may do; a screen that needs a role also says so here, before asking. Live updates come from
// GET /api/v1/stream (EventSource): an event is a hint to re-read the screen's snapshot,
// never the record itself.
import { t, translate, setLang, currentLang } from './i18n.js';
import { state, MANAGERS, SUPERVISORS, $, main, h, toast, api, showError, fmtTime, serverNow, serverDate, setServerNow } from './ui.js';
import { renderReports } from './reports.js';
import { renderCustomers, renderCustomer } from './customers.js';
import { renderComplaints, loadComplaints, renderQa, renderImport, renderPlans } from './supervisor.js';
import { renderConsult, loadCalllogAlerts } from './calls.js';

const OUTCOMES = ['connected', 'no-answer', 'busy', 'wrong-number', 'not-in-service', 'refused', 'hostile', 'callback'];
// the events the screens listen to (an EventSource hears only the names it was told)
const LIVE_EVENTS = ['task_assigned', 'tasks_assigned', 'task_claimed', 'task_completed', 'plan_ended', 'customer_screened',
  'supervisor_alert_raised', 'call_logged', 'visit_logged', 'alert_raised', 'alert_acked',
  'complaint_opened', 'complaint_changed', 'complaint_escalated', 'complaint_resolved',
  'return_requested', 'return_decided', 'review_sampled', 'review_scored'];
const ALERT_EVENTS = ['supervisor_alert_raised', 'alert_raised', 'complaint_escalated'];
const SOON_MS = 30 * 60 * 1000; // a callback due within this is highlighted
const live = { source: null, opened: false, alerts: [], timers: {} };

// ---- header ----------------------------------------------------------------------------------

function renderHeader() {
  const s = state.session;
  $('#nav').hidden = !s;
  $('#logout').hidden = !s;
  $('#who').textContent = s ? `${s.name || s.login} · ${s.role} · ${(s.branches || []).join(',')}` : '';
  $('#lang').textContent = t('switch_to');
  $('#nav-wallboard').hidden = !s || !SUPERVISORS.includes(s.role);
  for (const id of ['#nav-complaints', '#nav-qa', '#nav-import', '#nav-plans']) $(id).hidden = !s || !SUPERVISORS.includes(s.role);
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.getAttribute('href') === location.hash);
  translate(document.querySelector('header'));
}

// ---- sign in ---------------------------------------------------------------------------------

function renderLogin() {
  const err = h('div');
  const form = h('form', { class: 'panel login', id: 'login-form' },
    h('h1', {}, t('login_title')),
    h('label', { for: 'login' }, t('login')), h('input', { id: 'login', name: 'login', autocomplete: 'username', required: true }),
    h('label', { for: 'password' }, t('password')),
    h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('p', {}, h('button', { type: 'submit', id: 'sign-in' }, t('sign_in'))), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.replaceChildren();
    const button = $('#sign-in', form);
    button.disabled = true;
    try {
      const r = await api('POST', '/session', { login: form.login.value.trim(), password: form.password.value });
      state.session = r.session;
      state.csrf = r.csrf_token;
      setServerNow(r.now);
      location.hash = MANAGERS.includes(r.session.role) ? '#/returns'
        : SUPERVISORS.includes(r.session.role) ? '#/wallboard' : r.session.role === 'hq' ? '#/reports' : '#/day';
      route();
    } catch (e) {
      showError(e, err);
      button.disabled = false;
    }
  });
  main().replaceChildren(form);
  $('#login', form).focus();
}

// ---- my day ----------------------------------------------------------------------------------

async function renderDay() {
  const bag = h('section', { class: 'panel', id: 'bag' }, h('h2', {}, t('bag_today')), h('p', { class: 'muted' }, t('loading')));
  const tomorrow = h('section', { class: 'panel', id: 'tomorrow' }, h('h2', {}, t('bag_tomorrow')), h('p', { class: 'muted' }, t('loading')));
  const card = h('section', { class: 'panel', id: 'card' });
  main().replaceChildren(h('h1', {}, t('day_title')), h('div', { class: 'grid' }, card, h('div', {}, bag, tomorrow)));
  renderCard(card);
  await Promise.all([loadBag(bag), loadTomorrow(tomorrow)]);
}

// A callback's urgency on the services' clock: overdue, due within SOON_MS, or later.
function urgency(x) {
  if (x.origin !== 'callback' || !x.due_at || (x.state !== 'assigned' && x.state !== 'claimed')) return '';
  const left = Date.parse(x.due_at) - serverNow();
  return left < 0 ? 'overdue' : left <= SOON_MS ? 'due-soon' : '';
}

function bagTable(tasks, withUrgency) {
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, t('col_due')), h('th', {}, t('col_customer')), h('th', {}, t('col_purpose')), h('th', {}, t('col_state')))),
    h('tbody', {}, tasks.map((x) => {
      const u = withUrgency ? urgency(x) : '';
      return h('tr', { 'data-task': x.id, 'data-state': x.state, 'data-origin': x.origin || '', class: u, 'data-urgency': u || null },
        h('td', {}, fmtTime(x.due_at), u ? h('span', { class: `badge ${u}` }, ` ${t(`u.${u}`)}`) : null),
        h('td', {}, x.customer_name), h('td', {}, x.purpose, x.origin === 'callback' ? ` (${t('o.callback')})` : ''), h('td', {}, x.state));
    })));
}

// Today's bag, asked again after each change of the day (a call claimed, an outcome logged).
async function loadBag(bag = $('#bag')) {
  if (!bag) return;
  try {
    const list = await api('GET', '/worklist');
    const tasks = list.tasks || [];
    const soon = tasks.filter((x) => urgency(x)).length;
    bag.replaceChildren(h('h2', {}, `${t('bag_today')} (${tasks.length})`,
      soon ? h('span', { class: 'badge due-soon', id: 'callbacks-soon' }, ` ${t('callbacks_soon')}: ${soon}`) : null));
    if (!tasks.length) bag.append(h('p', { class: 'muted' }, t('bag_empty')));
    else bag.append(bagTable(tasks, true));
  } catch (e) {
    bag.replaceChildren(h('h2', {}, t('bag_today')));
    showError(e, bag);
  }
}

// Tomorrow's bag as the scheduler would fill it (a preview: nothing is assigned yet).
async function loadTomorrow(panel = $('#tomorrow')) {
  if (!panel) return;
  const date = serverDate(1);
  try {
    const list = await api('GET', '/worklist?date=tomorrow');
    const tasks = list.tasks || [];
    panel.replaceChildren(h('h2', {}, `${t('bag_tomorrow')} ${date} (${tasks.length})`));
    if (!tasks.length) panel.append(h('p', { class: 'muted' }, t('bag_empty_tomorrow')));
    else panel.append(bagTable(tasks, false));
    if (list.unplaced) panel.append(h('p', { class: 'muted' }, `${t('unplaced')}: ${list.unplaced}`));
  } catch (e) {
    panel.replaceChildren(h('h2', {}, t('bag_tomorrow')));
    showError(e, panel);
  }
}

function renderCard(card) {
  const ctx = state.card;
  if (!ctx) {
    card.replaceChildren(h('h2', {}, t('next_call')),
      h('p', {}, h('button', { id: 'next-call', type: 'button', onclick: () => nextCall(card) }, t('next_call'))),
      h('p', { class: 'muted' }, t('next_key'), ' ', h('kbd', {}, 'N')));
    return;
  }
  const task = ctx.task || {};
  const c = ctx.customer || {};
  const contacts = ctx.contacts || [];
  card.replaceChildren(
    h('h2', { 'data-task': task.id }, `${t('card_title')} #${task.id}`),
    h('dl', {},
      h('dt', {}, t('customer')), h('dd', { id: 'card-customer' }, c.name || task.customer_name),
      h('dt', {}, t('phone')), h('dd', { class: 'phone', id: 'card-phone' }, task.customer_phone || c.phone),
      h('dt', {}, t('purpose')), h('dd', { id: 'card-purpose' }, task.purpose),
      h('dt', {}, t('region')), h('dd', {}, c.region || ''),
      h('dt', {}, t('purchases')), h('dd', {}, (ctx.purchases || []).map((p) => `${p.product} ×${p.quantity} (${p.date})`).join('; '))),
    h('h2', { class: 'gap' }, t('contacts')),
    contacts.length ? h('ul', {}, contacts.map((n) => h('li', {}, `${fmtTime(n.logged_at)} ${n.agent} ${n.outcome} ${n.note}`)))
      : h('p', { class: 'muted' }, t('no_contacts')),
    outcomeForm(task));
}

async function nextCall(card) {
  try {
    state.card = await api('POST', '/tasks/next', {});
    renderCard(card);
    $('input[name=outcome]', card)?.focus();
    loadBag();
  } catch (e) {
    showError(e, card);
  }
}

// The outcome form: every field of the record sheet (calllog's CallLog). Empty fields are
// not sent; the service checks each one and names the field it refuses.
const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, t(label)), input);
const text = (id, attrs = {}) => h('input', { id, name: id, ...attrs });

function outcomeForm(task) {
  const err = h('div');
  const form = h('form', { id: 'outcome-form' },
    h('h2', { class: 'gap' }, t('outcome_title'), ' ', h('span', { class: 'muted' }, `(${t('outcome_keys')})`)),
    h('div', { class: 'outcomes', role: 'radiogroup' }, OUTCOMES.map((o, i) =>
      h('label', {}, h('input', { type: 'radio', name: 'outcome', value: o, id: `outcome-${o}` }), h('kbd', {}, i + 1), ' ', t(`o.${o}`)))),
    h('fieldset', {}, h('legend', {}, t('fs_effect')), h('div', { class: 'cols' },
      field('effect', 'effect', h('select', { id: 'effect', name: 'effect' }, ['', 'good', 'none', 'adverse'].map((e) => h('option', { value: e }, t(`e.${e}`))))),
      field('usage_dose', 'usage_dose', text('usage_dose')), field('usage_timing', 'usage_timing', text('usage_timing')),
      field('usage_other', 'usage_other', text('usage_other')), field('usage_diet', 'usage_diet', text('usage_diet'))),
      field('advice', 'advice', h('textarea', { id: 'advice', name: 'advice', rows: 2 }))),
    h('fieldset', {}, h('legend', {}, t('fs_order')), h('div', { class: 'cols' },
      field('order_product', 'order_product', text('order_product', { placeholder: 'VC30' })),
      field('order_qty', 'order_qty', text('order_qty', { type: 'number', min: 0, max: 999 })),
      field('delivery', 'delivery', h('select', { id: 'delivery', name: 'delivery' }, ['', 'home', 'store'].map((e) => h('option', { value: e }, t(`d.${e}`))))),
      field('delivery_address', 'delivery_address', text('delivery_address')))),
    h('fieldset', {}, h('legend', {}, t('fs_referral')), h('div', { class: 'cols' },
      field('ref_name', 'ref_name', text('ref_name')), field('ref_phone', 'ref_phone', text('ref_phone', { inputmode: 'tel' })),
      field('ref_region', 'ref_region', text('ref_region')), field('ref_note', 'ref_note', text('ref_note')))),
    h('fieldset', {}, h('legend', {}, t('fs_invite')), h('div', { class: 'cols' },
      h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'event_accepted', name: 'event_accepted' }), ' ', t('event_accepted')),
      field('event', 'event', text('event')),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'typical_case', name: 'typical_case' }), ' ', t('typical_case')),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'typical_consent', name: 'typical_consent' }), ' ', t('typical_consent')))),
    h('fieldset', {}, h('legend', {}, t('fs_next')), h('div', { class: 'cols' },
      field('callback_at', 'callback_at', h('input', { id: 'callback_at', name: 'callback_at', type: 'datetime-local' })),
      field('next_date', 'next_date', h('input', { id: 'next_date', name: 'next_date', type: 'date' })))),
    // a home visit (a doctor's or a visitor's task): the patient service sheet
    task.channel === 'visit' ? h('fieldset', { id: 'visit-sheet' }, h('legend', {}, t('fs_visit')), h('div', { class: 'cols' },
      field('vis_bp', 'vis_bp', text('vis_bp', { placeholder: '130/85' })),
      field('vis_pulse', 'vis_pulse', text('vis_pulse', { type: 'number', min: 20, max: 250 })),
      field('vis_symptoms', 'vis_symptoms', text('vis_symptoms')),
      field('vis_findings', 'vis_findings', text('vis_findings')))) : null,
    field('note', 'note', h('textarea', { id: 'note', name: 'note', rows: 2 })),
    h('p', {}, h('button', { type: 'submit', id: 'save-outcome' }, t('save'))), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.replaceChildren();
    const outcome = form.querySelector('input[name=outcome]:checked')?.value;
    if (!outcome) {
      err.append(h('p', { class: 'error', role: 'alert' }, t('choose_outcome')));
      return;
    }
    const v = (id) => form.elements[id].value.trim();
    const body = { task_id: task.id, outcome, note: form.note.value };
    const put = (k, val) => { if (val) body[k] = val; };
    put('effect', v('effect'));
    put('advice', v('advice'));
    put('order_product', v('order_product'));
    if (v('order_qty')) body.order_qty = Number(v('order_qty'));
    put('delivery', v('delivery'));
    put('delivery_address', v('delivery_address'));
    put('event', v('event'));
    if (form.event_accepted.checked) body.event_accepted = true;
    if (form.typical_case.checked) body.typical_case = true;
    if (form.typical_consent.checked) body.typical_consent = true;
    put('next_date', v('next_date'));
    if (v('callback_at')) body.callback_at = new Date(v('callback_at')).toISOString();
    const usage = {};
    for (const [k, id] of [['dose', 'usage_dose'], ['timing', 'usage_timing'], ['other_medicines', 'usage_other'], ['diet', 'usage_diet']]) if (v(id)) usage[k] = v(id);
    if (Object.keys(usage).length) body.usage = usage;
    const referral = {};
    for (const [k, id] of [['name', 'ref_name'], ['phone', 'ref_phone'], ['region', 'ref_region'], ['note', 'ref_note']]) if (v(id)) referral[k] = v(id);
    if (Object.keys(referral).length) body.referral = referral;
    if (task.channel === 'visit') {
      const findings = {};
      for (const [k, id] of [['blood_pressure', 'vis_bp'], ['symptoms', 'vis_symptoms'], ['text', 'vis_findings']]) if (v(id)) findings[k] = v(id);
      if (v('vis_pulse')) findings.pulse = Number(v('vis_pulse'));
      if (Object.keys(findings).length) body.findings = findings;
    }
    try {
      await api('POST', task.channel === 'visit' ? '/visits' : '/calls', body);
      toast(`${t('saved')}${t(`o.${outcome}`)}`);
      state.card = null;
      // the card with "next call" is drawn at once; the bag follows (the scheduler answers it
      // once it has applied this outcome: the session's read-your-writes places)
      const day = renderDay();
      $('#next-call')?.focus();
      await day;
    } catch (e) {
      showError(e, err);
    }
  });
  return form;
}

// ---- returns (managers) ----------------------------------------------------------------------

async function renderReturns() {
  const role = state.session.role;
  if (!MANAGERS.includes(role)) {
    main().replaceChildren(h('h1', {}, t('returns_title')),
      h('p', { class: 'error', role: 'alert', id: 'forbidden' }, `${t('forbidden_page')} ${role}.`));
    return;
  }
  const panel = h('section', { class: 'panel', id: 'returns' }, h('p', { class: 'muted' }, t('loading')));
  main().replaceChildren(h('h1', {}, t('returns_title')), panel);
  try {
    const r = await api('GET', '/returns?pending=true');
    const rows = r.requests || [];
    panel.replaceChildren();
    if (!rows.length) panel.append(h('p', { class: 'muted', id: 'returns-empty' }, t('returns_empty')));
    else panel.append(h('table', {}, h('tbody', {}, rows.map((x) => h('tr', { 'data-return': x.id },
      h('td', {}, `#${x.id}`), h('td', {}, x.product), h('td', {}, `×${x.quantity}`), h('td', {}, x.reason),
      h('td', {}, `¥${((x.refund_fen || 0) / 100).toFixed(2)}`),
      h('td', {}, h('button', { type: 'button', onclick: () => decide(x.id, 'approve') }, t('approve')), ' ',
        h('button', { type: 'button', class: 'secondary', onclick: () => decide(x.id, 'reject') }, t('reject'))))))));
  } catch (e) {
    panel.replaceChildren();
    showError(e, panel);
  }
}

async function decide(id, how) {
  try {
    const reason = how === 'reject' ? prompt(t('reject')) || '' : '';
    await api('POST', `/returns/${id}/${how}`, reason ? { reason } : {});
    renderReturns();
  } catch (e) {
    showError(e);
  }
}

// ---- the wallboard (supervisors) -------------------------------------------------------------

async function renderWallboard() {
  const role = state.session.role;
  if (!SUPERVISORS.includes(role)) {
    main().replaceChildren(h('h1', {}, t('wall_title')),
      h('p', { class: 'error', role: 'alert', id: 'forbidden' }, `${t('forbidden_wall')} ${role}.`));
    return;
  }
  const board = h('section', { class: 'panel', id: 'wallboard' }, h('p', { class: 'muted' }, t('loading')));
  const alerts = h('section', { class: 'panel', id: 'alerts' });
  const open = h('section', { class: 'panel', id: 'supervisor-alerts' });
  const calllogAlerts = h('section', { class: 'panel', id: 'calllog-alerts' });
  main().replaceChildren(h('h1', {}, t('wall_title'), ' ', h('span', { class: 'live', id: 'live' })), board,
    h('div', { class: 'grid' }, open, calllogAlerts), absenceForm(), alerts);
  renderLive();
  renderAlerts();
  await Promise.all([loadWallboard(), loadSupervisorAlerts(open), loadCalllogAlerts(calllogAlerts)]);
}

// The scheduler's open supervisor alerts (a callback missed twice, a member not visited), each
// acknowledged here; re-read on every supervisor_alert_raised.
async function loadSupervisorAlerts(panel = $('#supervisor-alerts')) {
  if (!panel) return;
  try {
    const r = await api('GET', '/supervisor-alerts');
    const list = r.alerts || [];
    panel.replaceChildren(h('h2', {}, t('sa_title')));
    if (!list.length) return panel.append(h('p', { class: 'muted', id: 'supervisor-alerts-empty' }, t('sa_empty')));
    panel.append(h('ul', {}, list.map((a) => h('li', { class: 'alert', 'data-alert': a.id },
      `${fmtTime(a.raised_at)} ${a.kind} ${a.agent || ''} ${a.detail || ''} `,
      h('button', { type: 'button', class: 'secondary small', onclick: async () => {
        try {
          await api('POST', `/supervisor-alerts/${a.id}/ack`, {});
          loadSupervisorAlerts();
        } catch (e) { showError(e, panel); }
      } }, t('sa_ack'))))));
  } catch (e) {
    panel.replaceChildren(h('h2', {}, t('sa_title')));
    showError(e, panel);
  }
}

// An agent's absence: the scheduler moves their bags of those days to colleagues.
function absenceForm() {
  const out = h('div', { id: 'absence-result', role: 'status' });
  const form = h('form', { class: 'panel', id: 'absence-form' }, h('h2', {}, t('ab_title')),
    h('div', { class: 'cols' },
      h('div', { class: 'field' }, h('label', { for: 'absence-agent' }, t('col_agent')), h('input', { id: 'absence-agent', required: true })),
      h('div', { class: 'field' }, h('label', { for: 'absence-from' }, t('ab_from')), h('input', { id: 'absence-from', type: 'date', required: true, value: serverDate(0) })),
      h('div', { class: 'field' }, h('label', { for: 'absence-until' }, t('ab_until')), h('input', { id: 'absence-until', type: 'date', required: true, value: serverDate(0) }))),
    h('p', {}, h('button', { type: 'submit' }, t('ab_save'))), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    try {
      const r = await api('POST', '/absences', { agent: $('#absence-agent', form).value.trim(), from: $('#absence-from', form).value, until: $('#absence-until', form).value });
      out.dataset.moved = (r.moved || []).length;
      out.dataset.unplaced = r.unplaced || 0;
      out.append(h('p', {}, `${r.agent} ${r.from} – ${r.until}: ${t('ab_moved')} ${(r.moved || []).length} · ${t('ab_unplaced')} ${r.unplaced || 0}`));
      loadWallboard();
    } catch (e) { showError(e, out); }
  });
  return form;
}

// One row per agent of the branch from today's bags of every agent (worklist ?all): open
// calls (due), done, calls with a logged outcome (contacts), behind plan (open calls whose due
// time has passed on the services' clock), the bag against its capacity; and the day's orders
// per agent from reporting's agent-daily (its counters, maintained from calllog's events).
async function loadWallboard(board = $('#wallboard')) {
  if (!board) return;
  try {
    const [list, orders] = await Promise.all([api('GET', '/worklist?all=true'), dailyOrders()]);
    const rows = new Map();
    const row = (agent) => {
      if (!rows.has(agent)) rows.set(agent, { agent, due: 0, done: 0, contacts: 0, behind: 0, calls: 0, capacity: 0 });
      return rows.get(agent);
    };
    for (const l of list.loads || []) Object.assign(row(l.agent), { calls: l.calls || 0, capacity: l.call_capacity || 0 });
    const now = serverNow();
    for (const x of list.tasks || []) {
      const r = row(x.agent);
      if (x.state === 'assigned' || x.state === 'claimed') {
        r.due++;
        if (x.due_at && Date.parse(x.due_at) < now) r.behind++;
      }
      if (x.state === 'done') r.done++;
      if (x.outcome && x.outcome !== 'skipped') r.contacts++;
    }
    const sorted = [...rows.values()].sort((a, b) => a.agent.localeCompare(b.agent));
    board.replaceChildren(h('p', { class: 'muted' }, `${t('wall_updated')} ${new Date().toLocaleTimeString(currentLang(), { hour12: false })}`));
    if (!sorted.length) board.append(h('p', { class: 'muted' }, t('wall_empty')));
    else board.append(h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, t('col_agent')), h('th', { class: 'num' }, t('col_open')), h('th', { class: 'num' }, t('col_done')),
        h('th', { class: 'num' }, t('col_contacts')), h('th', { class: 'num' }, t('col_orders')), h('th', { class: 'num' }, t('col_behind')),
        h('th', { class: 'num' }, t('col_load')))),
      h('tbody', {}, sorted.map((r) => {
        const ord = orders ? orders.get(r.agent) || 0 : '—';
        return h('tr', { 'data-agent': r.agent, 'data-due': r.due, 'data-done': r.done, 'data-contacts': r.contacts, 'data-orders': ord, 'data-behind': r.behind },
          h('td', {}, r.agent), h('td', { class: 'num' }, r.due), h('td', { class: 'num done' }, r.done),
          h('td', { class: 'num' }, r.contacts), h('td', { class: 'num orders' }, ord),
          h('td', { class: r.behind ? 'num behind' : 'num' }, r.behind),
          h('td', { class: 'num' }, r.capacity ? `${r.calls}/${r.capacity}` : r.calls));
      }))));
  } catch (e) {
    board.replaceChildren();
    showError(e, board);
  }
}

// Today's orders per agent (reporting's agent-daily, the phone agents' table); null when the
// report cannot be read (the column shows "—", the rest of the board still works).
async function dailyOrders() {
  try {
    const r = await api('GET', `/reports/agent-daily?date=${serverDate(0)}`);
    const m = new Map();
    for (const table of r.tables || []) {
      const a = (table.columns || []).indexOf('agent'), o = (table.columns || []).indexOf('orders');
      if (a < 0 || o < 0) continue;
      for (const row of table.rows || []) if (row.cells[a] !== 'TOTAL') m.set(row.cells[a], (m.get(row.cells[a]) || 0) + Number(row.cells[o] || 0));
    }
    return m;
  } catch { return null; }
}

function renderAlerts(panel = $('#alerts')) {
  if (!panel) return;
  panel.replaceChildren(h('h2', {}, t('wall_alerts')));
  if (!live.alerts.length) panel.append(h('p', { class: 'muted' }, t('wall_no_alerts')));
  else panel.append(h('ul', {}, live.alerts.map((a) => h('li', { class: 'alert', 'data-event': a.name }, `${fmtTime(a.at)} ${a.text}`))));
}

// ---- live updates: GET /api/v1/stream --------------------------------------------------------

function renderLive() {
  const el = $('#live');
  if (el) el.textContent = live.source && live.source.readyState === EventSource.OPEN ? t('live_on') : t('live_off');
}

// Runs fn once per burst of events (150 ms), so that a call logged (call_logged and
// task_completed together) re-reads the snapshot once.
function soon(key, fn) {
  clearTimeout(live.timers[key]);
  live.timers[key] = setTimeout(fn, 150);
}

function startStream() {
  if (live.source || typeof EventSource === 'undefined') return;
  const es = new EventSource('/api/v1/stream');
  live.source = es;
  es.addEventListener('open', () => {
    // a reconnect may have missed events: read the screen's snapshot again
    if (live.opened) refreshScreen();
    live.opened = true;
    renderLive();
  });
  es.addEventListener('error', () => {
    renderLive();
    if (es.readyState === EventSource.CLOSED) stopStream(); // refused (401): signed out
  });
  es.addEventListener('signed_out', () => {
    stopStream();
    state.session = null;
    route();
  });
  for (const name of LIVE_EVENTS) es.addEventListener(name, (ev) => onLive(name, ev));
}

function stopStream() {
  if (live.source) live.source.close();
  live.source = null;
  live.opened = false;
  live.alerts = [];
}

function refreshScreen() {
  if ($('#bag')) soon('bag', () => { loadBag(); loadTomorrow(); });
  if ($('#wallboard')) soon('wall', () => loadWallboard());
  if ($('#complaints')) soon('complaints', () => loadComplaints());
  if ($('#returns')) soon('returns', () => { if ($('#returns')) renderReturns(); });
}

function onLive(name, ev) {
  let env;
  try { env = JSON.parse(ev.data); } catch { return; }
  const body = env[name] || {};
  // a tasks_assigned is the scheduler's batch: its tasks count as a task_assigned each
  const tasks = body.task ? [body.task] : (body.tasks || []);
  const who = body.contact?.agent || body.alert?.agent || '';
  const mine = (login) => who === login || tasks.some((k) => k.agent === login || k.reserved_agent === login);
  if ($('#bag') && state.session && mine(state.session.login)) {
    soon('bag', () => loadBag());
  }
  if ($('#wallboard')) soon('wall', () => loadWallboard());
  if ($('#supervisor-alerts') && name.startsWith('supervisor_alert')) soon('salerts', () => loadSupervisorAlerts());
  if ($('#calllog-alerts') && (name === 'alert_raised' || name === 'alert_acked')) soon('calerts', () => loadCalllogAlerts());
  if ($('#complaints') && name.startsWith('complaint_')) soon('complaints', () => loadComplaints());
  if ($('#returns') && name.startsWith('return_')) soon('returns', () => { if ($('#returns')) renderReturns(); });
  if (ALERT_EVENTS.includes(name)) {
    const a = body.alert || body.complaint || {};
    live.alerts.unshift({ name, at: env.occurred_at, text: [t(`ev.${name}`), a.kind || a.level || '', a.agent || '', a.detail || a.summary || ''].filter(Boolean).join(' · ') });
    live.alerts.length = Math.min(live.alerts.length, 50);
    renderAlerts();
  }
}

// ---- routing and keys ------------------------------------------------------------------------

function route() {
  renderHeader();
  if (!state.session) {
    stopStream();
    return renderLogin();
  }
  startStream();
  const hash = location.hash;
  if (hash === '#/returns') return renderReturns();
  if (hash === '#/wallboard') return renderWallboard();
  if (hash === '#/reports') return renderReports();
  if (hash === '#/customers') return renderCustomers();
  if (/^#\/customers\/\d+$/.test(hash)) return renderCustomer(Number(hash.split('/')[2]));
  if (hash === '#/complaints') return renderComplaints();
  if (hash === '#/qa') return renderQa();
  if (hash === '#/import') return renderImport();
  if (hash === '#/plans') return renderPlans();
  if (hash === '#/consult') return renderConsult();
  if (state.session.role === 'hq') { // hq reads reports and customers; it has no bag
    history.replaceState(null, '', '#/reports');
    renderHeader();
    return renderReports();
  }
  if (location.hash !== '#/day') history.replaceState(null, '', '#/day');
  renderHeader();
  return renderDay();
}

document.addEventListener('keydown', (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(ev.target.tagName) && ev.target.type !== 'radio';
  if (typing) return;
  const form = $('#outcome-form');
  if (form && ev.key === 'Enter' && ev.target.name === 'outcome' && form.contains(ev.target)) {
    ev.preventDefault(); // Enter on the chosen outcome saves, as on the button
    form.requestSubmit();
  } else if (form && /^[1-9]$/.test(ev.key)) {
    const input = form.querySelectorAll('input[name=outcome]')[Number(ev.key) - 1];
    if (input) {
      input.checked = true;
      input.focus();
      ev.preventDefault();
    }
  } else if ((ev.key === 'n' || ev.key === 'N') && $('#next-call')) {
    ev.preventDefault();
    $('#next-call').click();
  }
});

window.addEventListener('hashchange', route);
$('#lang').addEventListener('click', () => {
  setLang(currentLang() === 'en' ? 'zh-CN' : 'en');
  route();
});
$('#logout').addEventListener('click', async () => {
  try {
    await api('DELETE', '/session');
  } catch { /* signed out here either way */ }
  stopStream();
  state.session = null;
  state.card = null;
  location.hash = '';
  route();
});

(async () => {
  setLang(currentLang());
  try {
    const r = await api('GET', '/session');
    state.session = r.session;
    state.csrf = r.csrf_token;
    setServerNow(r.now);
  } catch { state.session = null; }
  route();
})();
state.onSignedOut = route;
// callbacks due soon are highlighted on the services' clock as it passes, not only on events
setInterval(() => { if ($('#bag') && !document.hidden) loadBag(); }, 60000);
