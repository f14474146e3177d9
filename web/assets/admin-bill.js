// A bill in the back office: its lines, totals, identities, delivery per line with Moodle's
// error, the full history; and the operator's actions, each confirmed: record a payment,
// change the status (with the note the move needs), retry a failed delivery. Lines are named
// in the page's language (`names`), whatever the buyer's.
import { api, clearProblem, countryName, field, fill, h, lang, showProblem, t } from './app.js';
import { amount, asReceived, cardLabel, confirmIn, deskHeader, inLang, mailFailure, problemSaid, said, sendAgainForm, stackedTable, staffName, staffSession, typed, w, when } from './desk.js';

const params = new URLSearchParams(location.search);
const billId = params.get('bill');
const main = document.getElementById('main');
const SETTLED = ['COMPLETE', 'CANCELLED', 'REFUNDED', 'PAYBACK'];
let session;
let catalog;
let timer;

const who = (actor) => {
  const [kind, name] = actor.split(':');
  if (kind === 'operator') return staffName(name);
  if (kind === 'gateway') return t(`method_${name}`);
  return w(`actor_${kind}`);
};

const identity = (p) => [
  `${p.firstname} ${p.lastname}`, p.organisation, p.email, p.phone, p.address, `${p.zip} ${p.city}`, countryName(p.country),
].filter(Boolean).map((line) => h('div', {}, line));

function summary(bill) {
  const rows = [
    [w('status'), h('span', { class: `status ${bill.status}`, id: 'status', 'data-status': bill.status }, t(`status_${bill.status}`))],
    [w('total'), amount(bill.total, bill.currency)],
    [w('received'), amount(bill.received, bill.currency)],
    [w('remaining'), amount(bill.remaining, bill.currency)],
    [w('method'), t(`method_${bill.payment_method}`)],
    [w('placed'), when(bill.placed_at)],
    bill.paid_at && [w('paid'), when(bill.paid_at)],
    bill.invoice_number && [w('invoice'), bill.invoice_number],
    [w('document'), h('span', { id: 'documents' },
      h('a', { href: `/admin/bills/${bill.id}/invoice`, target: '_blank', rel: 'noopener' }, w(bill.invoice_number ? 'invoiceHtml' : 'orderHtml')),
      ' · ', h('a', { href: `/admin/bills/${bill.id}/invoice?format=pdf`, target: '_blank', rel: 'noopener' }, 'PDF'))],
    bill.credit_note_number && [w('creditNote'), h('span', { id: 'credit-note' }, bill.credit_note_number, ' · ',
      h('a', { href: `/admin/bills/${bill.id}/credit-note`, target: '_blank', rel: 'noopener' }, w('creditNoteHtml')),
      ' · ', h('a', { href: `/admin/bills/${bill.id}/credit-note?format=pdf`, target: '_blank', rel: 'noopener' }, 'PDF'))],
    ...(bill.refunds || []).map((r) => [w('partRefund'), refundFacts(bill, r)]),
  ].filter(Boolean);
  return h('section', {}, h('table', { class: 'facts' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v))))),
    h('div', { class: 'row identities' },
      h('div', {}, h('h2', {}, w('customer')), identity(bill.customer)),
      bill.invoicing && h('div', {}, h('h2', {}, w('invoicing')), identity(bill.invoicing))));
}

/** A part refund: how much, when, its reference, and its credit note to open. */
function refundFacts(bill, r) {
  const note = r.credit_note_number;
  const doc = note && `/admin/bills/${bill.id}/credit-note?number=${encodeURIComponent(note)}`;
  return h('span', { class: 'refund' }, amount(r.amount, bill.currency), ` · ${when(r.at)}`, r.reference && ` · ${r.reference}`,
    note && [h('br'), `${w('creditNote')} ${note} · `, h('a', { href: doc, target: '_blank', rel: 'noopener' }, w('creditNoteHtml')),
      ' · ', h('a', { href: `${doc}&format=pdf`, target: '_blank', rel: 'noopener' }, 'PDF')]);
}

function lines(bill) {
  const delivery = Object.fromEntries((bill.production || []).map((p) => [p.code, p]));
  // Up to a tablet each line is a card (desk.js, `stackedTable`): its name, then how many and the
  // total, then its delivery with Moodle's error.
  // The buyer's enrolment in the shop's support course, when Moodle refused it: not a line of
  // the bill, and it did not hold the order back.
  const support = bill.support && [{ 'data-code': 'support' }, [
    ['key', w('supportCourse')], ['num', ''], ['num', ''],
    ['state below', h('span', { class: 'status failed' }, t('prod_failed')), problemSaid(bill.support.problem), h('p', { class: 'muted' }, w('supportHelp'))]]];
  return h('section', { 'aria-labelledby': 'lines-title' }, h('h2', { id: 'lines-title' }, w('lines')),
    stackedTable({}, [[w('item')], [w('quantity'), 'num'], [w('total'), 'num'], [w('delivery')]], [...bill.lines.map((l) => {
      const p = delivery[l.code];
      return [{ 'data-code': l.code }, [
        ['key', inLang(l)],
        ['num', cardLabel(w('quantity')), l.quantity],
        ['num', cardLabel(w('total')), amount(l.total_incl_tax, bill.currency)],
        ['state below', p && h('span', { class: `status ${p.state}` }, t(`prod_${p.state}`)), p?.problem && problemSaid(p.problem)]]];
    }), ...(support ? [support] : [])]));
}

/** The bill's history; up to a tablet each entry is a card (when and what, who, the note). */
function history(bill) {
  const what = (e) => (e.from
    ? (e.from === e.to ? t(`status_${e.to}`) : `${t(`status_${e.from}`)} → ${t(`status_${e.to}`)}`)
    : `${w('created')}${lang() === 'fr' ? ' : ' : ': '}${t(`status_${e.to}`)}`);
  return h('section', { 'aria-labelledby': 'trace-title' }, h('h2', { id: 'trace-title' }, w('trace')),
    stackedTable({ id: 'trace' }, [[w('date')], [w('what')], [w('who')], [w('note')]], bill.events.map((e) => [{}, [
      ['key', when(e.at)],
      ['state', what(e)],
      ['who', who(e.actor)],
      ['wide', said(e), e.cause?.error && asReceived(e.cause.error)]]])));
}

/** The bill's messages: each by name, where and when it went (or that it waits, or why it was
 * given up on), and "Send again" for one the buyer lost or never had (a mistyped address). */
function messages(bill) {
  const list = bill.messages || [];
  if (!list.length) return null;
  const state = (m) => {
    if (m.state === 'due') return h('span', { class: 'muted' }, w('msgWaiting'));
    if (m.state === 'failed') return mailFailure(m);
    return w('msgSent', when(m.at));
  };
  const again = async () => render(await api('GET', `/admin/bills/${bill.id}`));
  return h('section', { 'aria-labelledby': 'messages-title' }, h('h2', { id: 'messages-title' }, w('messages')),
    stackedTable({ id: 'messages' }, [[w('kind')], [w('to_')], [w('status')], [w('sendAgain')]], list.map((m) => [{ 'data-kind': m.kind, 'data-state': m.state }, [
      ['key', w(`msg_${m.kind}`)],
      ['who', m.to || ''],
      ['state', state(m)],
      ['wide', m.can_send_again && h('details', { class: 'send-again-box' }, h('summary', {}, w('sendAgainOpen')), sendAgainForm(bill.id, m, again))]]])));
}

/** True while the operator is at a form: a field focused, a note typed, an address corrected,
 * a refund's amount typed, a question open. */
const inUse = () => {
  const active = document.activeElement;
  return Boolean((active && main.contains(active) && active.matches('input, select, textarea'))
    || [...main.querySelectorAll('textarea')].some((n) => n.value.trim())
    || [...main.querySelectorAll('.send-again input')].some((n) => n.value !== n.dataset.was)
    || [...main.querySelectorAll('#refund input')].some((n) => n.value)
    || main.querySelector('#transition select')?.value
    || main.querySelector('.confirm'));
};

/** A form whose submission is confirmed in place, then sent; the bill is shown again. */
function actionForm(id, title, fields, label, question, send) {
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const form = h('form', { id }, banner, fields, h('button', { type: 'submit', class: 'primary' }, label));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    confirmIn(form, question(), async () => {
      try {
        await send();
        // The whole bill again: an action's answer has no messages, and may have caused some.
        render(await api('GET', `/admin/bills/${billId}`));
      } catch (e) {
        showProblem(form, e, banner);
      }
    });
  });
  return h('section', { 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), form);
}

function paymentForm(bill) {
  const methods = [...new Set(['transfer', 'check', ...catalog.shop.payment_methods.filter((m) => !['test', 'free'].includes(m))])];
  const value = h('input', { inputmode: 'decimal', value: typed(bill.remaining), required: true });
  const method = h('select', {}, methods.map((m) => h('option', { value: m, selected: m === bill.payment_method }, t(`method_${m}`))));
  const reference = h('input', {});
  return actionForm('payment', w('recordPayment'),
    h('div', { class: 'row' }, field(w('amount'), value, 'amount'), field(w('method'), method, 'method'), field(w('reference'), reference, 'reference')),
    w('record'), () => w('confirmPayment', `${value.value} ${bill.currency}`),
    () => api('POST', `/admin/bills/${bill.id}/payments`, { amount: value.value, method: method.value, reference: reference.value || undefined }));
}

/** Money given back while the bill stands: how much (nothing pre-filled), its reference, why. */
function refundForm(bill) {
  const value = h('input', { inputmode: 'decimal', required: true });
  const reference = h('input', {});
  const note = h('textarea', { rows: 2, required: true });
  const form = actionForm('refund', w('refundTitle'),
    [h('p', { class: 'muted' }, w('refundHelp')),
      h('div', { class: 'row' }, field(w('refundAmount'), value, 'amount'), field(w('reference'), reference, 'reference')),
      field(w('refundNote'), note, 'note')],
    w('refundRecord'), () => w('confirmRefund', `${value.value} ${bill.currency}`),
    () => api('POST', `/admin/bills/${bill.id}/refunds`, { amount: value.value, reference: reference.value || undefined, note: note.value }));
  // What is missing is said at its field by the server, in the page's words.
  form.querySelector('form').noValidate = true;
  return form;
}

/** The moves the server says an operator may make from this status (a delivered bill: its
 * refund), none preselected: the operator picks one, says why, confirms. */
function statusForm(bill) {
  const moves = bill.moves || [];
  if (!moves.length) return null;
  const to = h('select', { required: true },
    h('option', { value: '' }, w('chooseStatus')),
    moves.map((s) => h('option', { value: s }, t(`status_${s}`))));
  const note = h('textarea', { rows: 2 });
  const form = actionForm('transition', w('changeStatus'),
    [field(w('newStatus'), to, 'to'), field(w('note'), note, 'note'), h('p', { class: 'muted' }, w('noteHelp'))],
    w('apply'), () => w('confirmStatus', t(`status_${to.value}`)),
    () => api('POST', `/admin/bills/${bill.id}/transitions`, { to: to.value, note: note.value || undefined }));
  // No move chosen: said at the field, in the page's words, before any question.
  form.querySelector('form').noValidate = true;
  form.querySelector('form').addEventListener('submit', (ev) => {
    if (to.value) return;
    ev.stopImmediatePropagation();
    ev.preventDefault();
    showProblem(form, { body: { errors: [{ field: 'to', code: 'required' }] } }, form.querySelector('.banner'));
  }, { capture: true });
  return form;
}

function retryForm(bill) {
  return actionForm('retry', w('retry'), h('p', {}, w('retryHelp')), w('retry'), () => w('confirmRetry'),
    () => api('POST', `/admin/bills/${bill.id}/retry-production`, {}));
}

const GATEWAYS = ['paypal', 'stripe', 'systempay', 'sips', 'ogone'];

/** Test mode: posts a gateway's signed sample notification, as the gateway would. */
function sampleForm(bill) {
  const gateways = catalog.shop.payment_methods.filter((m) => GATEWAYS.includes(m));
  if (!gateways.length) return null;
  const gateway = h('select', {}, gateways.map((g) => h('option', { value: g, selected: g === bill.payment_method }, t(`method_${g}`))));
  return actionForm('sample', w('sampleTitle'), [h('p', { class: 'muted' }, w('sampleHelp')), field(w('gateway'), gateway, 'gateway')],
    w('sampleSend'), () => w('confirmSample', t(`method_${gateway.value}`)),
    async () => {
      const sample = await api('GET', `/admin/bills/${bill.id}/sample-notification?gateway=${gateway.value}`);
      const posted = await fetch(sample.url, { method: sample.method, headers: sample.headers, body: sample.body });
      if (!posted.ok) throw new Error(w('sampleRefused', posted.status));
      return api('GET', `/admin/bills/${bill.id}`);
    });
}

function render(bill) {
  clearTimeout(timer);
  const failed = (bill.production || []).some((p) => p.state === 'failed');
  // Money still due, a bill delivered before payment (PREPROD) included.
  const awaits = !SETTLED.includes(bill.status) && Number(bill.remaining) > 0;
  document.title = `${w('bill')} ${bill.id} — ${catalog.shop.name}`;
  fill(main,
    h('p', {}, h('a', { href: '/admin' }, `← ${w('back')}`)),
    h('h1', {}, `${w('bill')} ${bill.id}`, bill.test && h('span', { class: 'muted' }, ` (${w('test')})`)),
    summary(bill), lines(bill),
    awaits && paymentForm(bill),
    awaits && catalog.shop.test_mode && sampleForm(bill),
    failed && ['PAID', 'PREPROD'].includes(bill.status) && retryForm(bill),
    ['PAID', 'COMPLETE'].includes(bill.status) && refundForm(bill),
    statusForm(bill),
    messages(bill),
    history(bill));
  // A paid bill is being delivered: follow it until it settles — but never under the hands of
  // an operator using a form (a delivery waiting for Moodle can last; they may be refunding).
  const delivering = bill.status === 'PAID' || (bill.status === 'PREPROD' && !(bill.production || []).every((p) => p.state === 'done'));
  if (delivering && !failed) {
    const follow = async () => {
      if (inUse()) { timer = setTimeout(follow, 1500); return; }
      render(await api('GET', `/admin/bills/${bill.id}`));
    };
    timer = setTimeout(follow, 1500);
  }
}

async function start() {
  session = await staffSession();
  if (!session) {
    location.assign('/admin');
    return;
  }
  catalog = await api('GET', `/shops/${session.shop}/catalog`);
  document.getElementById('header').replaceChildren(deskHeader(session, catalog.shop.name));
  render(await api('GET', `/admin/bills/${billId}`));
}

start().catch((e) => fill(main, h('p', { class: 'banner', role: 'alert' }, e.message)));
