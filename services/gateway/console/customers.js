// Customers: search by phone or name, the profile, a history timeline (purchases, the channels
// the lead came by, edits of the card, complaints, the contacts calllog recorded: calls, visits,
// letters, messages with their outcome and note), edits, opt-out and do-not-disturb. Every
// read and change goes through intake (and complaint), which audit personal data and mask it
// for roles that may not see it (hq); hq's screen has no edit forms (hq changes nothing).
import { t } from './i18n.js';
import { state, $, main, h, api, showError, toast, fmtTime } from './ui.js';

// the card fields an edit may change (LeadAdd names; the phone and channel are not edited here)
const EDITABLE = ['name', 'region', 'address', 'gender', 'birth', 'ref_date', 'windows', 'route', 'condition',
  'baby_name', 'baby_birth', 'due_date', 'current_brand', 'feeding', 'employer', 'hobbies', 'health'];
const PROFILE = ['id', 'name', 'phone', 'phones', 'gender', 'birth', 'age', 'region', 'address', 'card_type', 'tier', 'stage',
  'windows', 'condition', 'baby_name', 'baby_birth', 'due_date', 'current_brand', 'feeding', 'employer', 'hobbies', 'health',
  'purchases', 'spend_fen', 'opted_out', 'opt_out_reason', 'dnd_until', 'dnd_reason'];
const readOnly = () => state.session.role === 'hq';

export async function renderCustomers() {
  const results = h('section', { class: 'panel', id: 'customer-results' });
  const form = h('form', { class: 'panel controls', id: 'customer-search', role: 'search' },
    h('div', { class: 'field grow' }, h('label', { for: 'customer-q' }, t('cu_search')),
      h('input', { id: 'customer-q', name: 'q', type: 'search', required: true, value: sessionStorage.getItem('hf_cq') || '' })),
    h('button', { type: 'submit', id: 'customer-go' }, t('cu_find')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = form.q.value.trim();
    sessionStorage.setItem('hf_cq', q);
    await search(q, results);
  });
  main().replaceChildren(h('h1', {}, t('cu_title')), form, results);
  $('#customer-q', form).focus();
  if (form.q.value) await search(form.q.value, results);
}

async function search(q, results) {
  results.replaceChildren(h('p', { class: 'muted' }, t('loading')));
  try {
    const r = await api('GET', `/customers?q=${encodeURIComponent(q)}`);
    const list = r.customers || [];
    results.replaceChildren();
    if (!list.length) return results.append(h('p', { class: 'muted', id: 'customer-none' }, t('cu_none')));
    results.append(h('table', {}, h('thead', {}, h('tr', {}, ['#', 'cu_name', 'phone', 'region', 'cu_card', 'cu_flags'].map((k) => h('th', {}, k === '#' ? k : t(k))))),
      h('tbody', {}, list.map((c) => h('tr', { 'data-customer': c.id },
        h('td', {}, h('a', { href: `#/customers/${c.id}` }, `#${c.id}`)), h('td', {}, h('a', { href: `#/customers/${c.id}` }, c.name)),
        h('td', {}, c.phone), h('td', {}, c.region), h('td', {}, c.card_type), h('td', {}, flags(c)))))));
  } catch (e) {
    results.replaceChildren();
    showError(e, results);
  }
}

const flags = (c) => [c.opted_out ? t('cu_opted_out') : '', c.dnd_until ? `${t('cu_dnd')} ≤ ${c.dnd_until}` : ''].filter(Boolean).join(' · ');

export async function renderCustomer(id) {
  main().replaceChildren(h('p', { class: 'muted' }, t('loading')));
  let d, complaints = [], contacts = [];
  try {
    d = await api('GET', `/customers/${id}`);
  } catch (e) {
    main().replaceChildren(h('h1', {}, t('cu_title')));
    return showError(e);
  }
  await Promise.all([
    api('GET', `/complaints?customer_id=${id}`).then((r) => { complaints = r.complaints || []; }),
    api('GET', `/customers/${id}/contacts`).then((r) => { contacts = r.contacts || []; }),
  ].map((p) => p.catch(() => { /* the timeline shows what it could read */ })));
  if (location.hash !== `#/customers/${id}`) return; // the person went elsewhere meanwhile
  const c = d.customer || {};
  const profile = h('section', { class: 'panel', id: 'customer-profile' }, h('h2', {}, t('cu_profile')),
    h('dl', {}, PROFILE.filter((k) => c[k] !== undefined && c[k] !== '' && c[k] !== 0 && c[k] !== false && !(Array.isArray(c[k]) && !c[k].length)).map((k) => [
      h('dt', {}, t(`cf.${k}`)),
      h('dd', { 'data-field': k }, k === 'spend_fen' ? `¥${(c[k] / 100).toFixed(2)}` : Array.isArray(c[k]) ? c[k].join(', ') : String(c[k]))])));
  const timeline = h('section', { class: 'panel', id: 'customer-timeline' }, h('h2', {}, t('cu_history')), timelineList(d, complaints, contacts));
  main().replaceChildren(h('h1', {}, `${c.name || ''} #${c.id}`, ' ', h('span', { class: 'muted' }, flags(c))),
    h('div', { class: 'grid' }, profile, timeline),
    ...(readOnly() ? [] : [editForm(c), h('div', { class: 'grid' }, optOutForm(c), dndForm(c))]));
}

// Everything intake, calllog and complaint say happened to the customer, newest first.
function timelineList(d, complaints, contacts) {
  const items = [];
  for (const p of d.purchases || []) items.push({ at: `${p.date}T12:00:00`, kind: 'purchase', text: `${p.product} ×${p.quantity} ¥${((p.price_fen || 0) / 100).toFixed(2)}${p.agent ? ` · ${p.agent}` : ''}${p.supply_end ? ` · ${t('cu_supply_end')} ${p.supply_end}` : ''}` });
  for (const s of d.sources || []) items.push({ at: s.collected_at, kind: 'source', text: [s.channel, s.collector, s.source, s.referrer].filter(Boolean).join(' · ') });
  for (const ch of d.changes || []) items.push({ at: new Date(ch.at_ms || 0).toISOString(), kind: 'change', text: `${ch.field}: ${ch.from || '—'} → ${ch.to || '—'}${ch.actor ? ` (${ch.actor})` : ''}` });
  for (const x of contacts) {
    const next = x.callback_at ? `${t('cu_callback')} ${fmtTime(x.callback_at)}` : x.next_date ? `${t('cu_next')} ${x.next_date}` : '';
    items.push({ at: x.logged_at, kind: 'contact', text: [x.channel, x.outcome, x.effect, x.order_qty ? `${x.order_product || ''} ×${x.order_qty}` : '', x.agent, next, x.note].filter(Boolean).join(' · ') });
  }
  for (const x of complaints) items.push({ at: x.opened_at, kind: 'complaint', text: `#${x.id} ${x.category} · ${x.severity} · ${x.state} · L${x.level || 0}` });
  items.sort((a, b) => String(b.at).localeCompare(String(a.at)));
  if (!items.length) return h('p', { class: 'muted' }, t('cu_no_history'));
  return h('ol', { class: 'timeline' }, items.map((i) => h('li', { 'data-kind': i.kind },
    h('time', {}, i.kind === 'purchase' ? i.at.slice(0, 10) : fmtTime(i.at)), ' ', h('span', { class: `tag ${i.kind}` }, t(`tl.${i.kind}`)), ' ', i.text)));
}

function formPanel(id, title, fields, button, onSubmit) {
  const err = h('div');
  const form = h('form', { class: 'panel', id }, h('h2', {}, title), fields, h('p', {}, h('button', { type: 'submit' }, button)), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.replaceChildren();
    try {
      await onSubmit(form);
    } catch (e) {
      showError(e, err);
    }
  });
  return form;
}

function editForm(c) {
  return formPanel('customer-edit', t('cu_edit'), h('div', { class: 'cols' }, EDITABLE.map((k) =>
    h('div', { class: 'field' }, h('label', { for: `edit-${k}` }, t(`cf.${k}`)),
      h('input', { id: `edit-${k}`, name: k, value: c[k] ?? '', type: ['birth', 'ref_date', 'baby_birth', 'due_date'].includes(k) ? 'date' : 'text' })))),
  t('cu_save'), async (form) => {
    const fields = {}, clear = [];
    for (const k of EDITABLE) {
      const v = form.elements[k].value.trim();
      if (v === (c[k] ?? '')) continue;
      if (v) fields[k] = v; else if (k !== 'name') clear.push(k);
    }
    if (!Object.keys(fields).length && !clear.length) return toast(t('cu_unchanged'));
    await api('PATCH', `/customers/${c.id}`, { fields, ...(clear.length ? { clear } : {}) });
    toast(t('cu_saved'));
    renderCustomer(c.id);
  });
}

function optOutForm(c) {
  if (c.opted_out) return h('section', { class: 'panel', id: 'customer-opt-out' }, h('h2', {}, t('cu_opt_out')), h('p', {}, `${t('cu_opted_out')}: ${c.opt_out_reason || ''}`));
  return formPanel('customer-opt-out', t('cu_opt_out'),
    h('div', { class: 'field' }, h('label', { for: 'opt-out-reason' }, t('cu_reason')), h('input', { id: 'opt-out-reason', name: 'reason', required: true })),
    t('cu_opt_out_do'), async (form) => {
      if (!window.confirm(t('cu_opt_out_confirm'))) return;
      await api('POST', `/customers/${c.id}/opt-out`, { reason: form.reason.value.trim() });
      toast(t('cu_saved'));
      renderCustomer(c.id);
    });
}

function dndForm(c) {
  const form = formPanel('customer-dnd', t('cu_dnd'), h('div', { class: 'cols' },
    h('div', { class: 'field' }, h('label', { for: 'dnd-until' }, t('cu_dnd_until')), h('input', { id: 'dnd-until', name: 'until', type: 'date', value: c.dnd_until || '' })),
    h('div', { class: 'field' }, h('label', { for: 'dnd-reason' }, t('cu_reason')),
      h('select', { id: 'dnd-reason', name: 'reason' }, ['hospital', 'confinement', 'due-date', 'other'].map((r) => h('option', { value: r, selected: r === c.dnd_reason }, t(`dnd.${r}`)))))),
  t('cu_dnd_set'), async (form) => {
    await api('POST', `/customers/${c.id}/dnd`, { until: form.until.value, reason: form.reason.value });
    toast(t('cu_saved'));
    renderCustomer(c.id);
  });
  if (c.dnd_until) form.append(h('button', { type: 'button', class: 'secondary', id: 'dnd-clear', onclick: async () => {
    try {
      await api('POST', `/customers/${c.id}/dnd`, { clear: true });
      renderCustomer(c.id);
    } catch (e) { showError(e, form); }
  } }, t('cu_dnd_clear')));
  return form;
}
