// The call log's own screens: the consultation hotline's form and the day's consultations
// (#/consult: every inbound call recorded — caller, chief complaint, medium, bought or not,
// or a regulator's call, which raises an alert to the manager), and the manager's alerts of
// the call log on the wallboard (a regulator called), acknowledged with a note. calllog
// decides who may (any agent logs a consultation; the role the alert went to acknowledges it)
// and audits the callers' personal data.
import { t } from './i18n.js';
import { $, main, h, api, showError, toast, fmtTime, serverDate } from './ui.js';

const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), input);

export async function renderConsult() {
  const list = h('section', { class: 'panel', id: 'consultations' }, h('p', { class: 'muted' }, t('loading')));
  main().replaceChildren(h('h1', {}, t('co_title')), consultForm(list), list);
  await loadConsultations(list);
}

function consultForm(list) {
  const out = h('div', { id: 'consult-result', role: 'status' });
  const form = h('form', { class: 'panel', id: 'consult-form' }, h('h2', {}, t('co_new')),
    h('div', { class: 'cols' },
      field('co-name', t('cf.name'), h('input', { id: 'co-name', required: true, autocomplete: 'off' })),
      field('co-phone', t('cf.phone'), h('input', { id: 'co-phone', required: true, inputmode: 'tel', autocomplete: 'off' })),
      field('co-gender', t('cf.gender'), h('select', { id: 'co-gender' }, h('option', { value: '' }, '—'), h('option', { value: 'f' }, t('co_f')), h('option', { value: 'm' }, t('co_m')))),
      field('co-age', t('cf.age'), h('input', { id: 'co-age', type: 'number', min: 0, max: 130 })),
      field('co-region', t('cf.region'), h('input', { id: 'co-region' })),
      field('co-address', t('cf.address'), h('input', { id: 'co-address' }))),
    h('div', { class: 'cols' },
      field('co-complaint', t('co_complaint'), h('input', { id: 'co-complaint' })),
      field('co-media', t('co_media'), h('input', { id: 'co-media' })),
      field('co-outcome', t('co_outcome'), h('select', { id: 'co-outcome' }, h('option', { value: 'not-bought' }, t('co_not_bought')), h('option', { value: 'bought' }, t('co_bought')))),
      field('co-product', t('co_product'), h('input', { id: 'co-product' })),
      field('co-quantity', t('co_quantity'), h('input', { id: 'co-quantity', type: 'number', min: 1, max: 10000 }))),
    h('p', {}, h('label', {}, h('input', { id: 'co-regulator', type: 'checkbox' }), ' ', t('co_regulator'))),
    h('div', { class: 'cols', id: 'co-regulator-fields', hidden: true },
      field('co-unit', t('co_unit'), h('input', { id: 'co-unit' })),
      field('co-position', t('co_position'), h('input', { id: 'co-position' })),
      field('co-contact', t('co_contact'), h('input', { id: 'co-contact' }))),
    h('p', {}, h('button', { type: 'submit', id: 'co-save' }, t('co_save'))), out);
  const reg = $('#co-regulator', form);
  reg.addEventListener('change', () => { $('#co-regulator-fields', form).hidden = !reg.checked; });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    const v = (id) => $(id, form).value.trim();
    const c = { name: v('#co-name'), phone: v('#co-phone') };
    for (const [k, id] of [['gender', '#co-gender'], ['region', '#co-region'], ['address', '#co-address']]) if (v(id)) c[k] = v(id);
    if (v('#co-age')) c.age = Number(v('#co-age'));
    if (reg.checked) {
      Object.assign(c, { regulator: true, regulator_unit: v('#co-unit'), regulator_position: v('#co-position'), regulator_contact: v('#co-contact') });
    } else {
      Object.assign(c, { chief_complaint: v('#co-complaint'), media: v('#co-media'), outcome: v('#co-outcome') });
      if (c.outcome === 'bought') {
        if (v('#co-product')) c.product = v('#co-product');
        if (v('#co-quantity')) c.quantity = Number(v('#co-quantity'));
      }
    }
    try {
      const r = await api('POST', '/consultations', { consultation: c });
      out.dataset.consultation = r.id;
      toast(`${t('co_logged')} #${r.id}`);
      out.append(h('p', {}, `${t('co_logged')} #${r.id}${r.delivery_id ? ` · ${t('co_delivery')} #${r.delivery_id}` : ''}${r.alert_id ? ` · ${t('co_alerted')} #${r.alert_id}` : ''}`));
      form.reset();
      $('#co-regulator-fields', form).hidden = true;
      loadConsultations(list);
    } catch (e) { showError(e, out); }
  });
  return form;
}

async function loadConsultations(panel = $('#consultations')) {
  if (!panel) return;
  try {
    const r = await api('GET', `/consultations?date=${serverDate(0)}`);
    const rows = r.consultations || [];
    panel.replaceChildren(h('h2', {}, `${t('co_today')} ${serverDate(0)}`));
    if (!rows.length) return panel.append(h('p', { class: 'muted', id: 'consultations-empty' }, t('co_none')));
    panel.append(h('table', {},
      h('thead', {}, h('tr', {}, ['#', t('cf.name'), t('cf.phone'), t('co_complaint'), t('co_media'), t('co_outcome'), t('col_agent')].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows.map((c) => h('tr', { 'data-consultation': c.id, 'data-regulator': c.regulator ? 'true' : 'false' },
        h('td', {}, c.id), h('td', {}, c.name || ''), h('td', {}, c.phone || ''),
        h('td', {}, c.regulator ? `${t('co_regulator')}: ${c.regulator_unit || ''}` : c.chief_complaint || ''),
        h('td', {}, c.media || ''), h('td', {}, c.outcome ? t(c.outcome === 'bought' ? 'co_bought' : 'co_not_bought') : ''),
        h('td', {}, c.agent || ''))))));
  } catch (e) {
    panel.replaceChildren(h('h2', {}, t('co_today')));
    showError(e, panel);
  }
}

// The wallboard's panel of the call log's alerts to the manager (a regulator called): the open
// ones first, each acknowledged with a note; re-read on alert_raised and alert_acked.
export async function loadCalllogAlerts(panel = $('#calllog-alerts')) {
  if (!panel) return;
  try {
    const r = await api('GET', '/alerts');
    const list = r.alerts || [];
    panel.replaceChildren(h('h2', {}, t('ca_title')));
    if (!list.length) return panel.append(h('p', { class: 'muted', id: 'calllog-alerts-empty' }, t('ca_empty')));
    list.sort((a, b) => Number(!!a.acked_at) - Number(!!b.acked_at));
    panel.append(h('ul', {}, list.map((a) => {
      const li = h('li', { class: a.acked_at ? 'alert acked' : 'alert', 'data-calllog-alert': a.id, 'data-acked': a.acked_at ? 'true' : 'false' },
        `${fmtTime(a.raised_at)} ${a.kind} · ${a.summary || ''} `);
      if (a.acked_at) {
        li.append(h('span', { class: 'muted' }, `${t('ca_acked')} ${a.acked_by} ${fmtTime(a.acked_at)}${a.ack_note ? ` · ${a.ack_note}` : ''}`));
      } else {
        const note = h('input', { class: 'small', 'aria-label': t('ca_note'), placeholder: t('ca_note'), maxlength: 500 });
        li.append(note, ' ', h('button', { type: 'button', class: 'secondary small', onclick: async () => {
          try {
            await api('POST', `/alerts/${a.id}/ack`, note.value.trim() ? { note: note.value.trim() } : {});
            loadCalllogAlerts(panel);
          } catch (e) { showError(e, panel); }
        } }, t('ca_ack')));
      }
      return li;
    })));
  } catch (e) {
    panel.replaceChildren(h('h2', {}, t('ca_title')));
    showError(e, panel);
  }
}
