// The bill page: follows the bill's status until it is COMPLETE (or otherwise settled),
// shows "payment being confirmed" after a gateway return, the test payment buttons of a
// test-mode shop, what happens next (payment instructions), the links to the courses once
// delivered, a retry with another method, the invoice, and the bill's full link to keep.
import {
  api, billKey, clearProblem, colon, copyBox, date, field, fill, h, handOff, header, lang, methodLabel, money, problemText, shopId, showProblem, t, tf,
} from './app.js';

const params = new URLSearchParams(location.search);
const shop = shopId();
const billId = params.get('bill');
const main = document.getElementById('main');
const SETTLED = ['COMPLETE', 'CANCELLED', 'REFUNDED', 'PAYBACK'];
let catalog;
let timer;

// A message's link carries the token in the fragment (`#token=`), which no server sees.
const token = () => {
  const given = params.get('token') || new URLSearchParams(location.hash.slice(1)).get('token');
  if (given) localStorage.setItem(billKey(billId), given);
  return given || localStorage.getItem(billKey(billId));
};

function testButtons(bill) {
  const pay = (outcome) => async () => {
    render(await api('POST', `/bills/${bill.id}/test-payment`, { outcome }, token()));
    follow();
  };
  return h('div', { class: 'row' },
    h('button', { type: 'button', class: 'primary', onclick: pay('paid') }, t('testPay')),
    h('button', { type: 'button', class: 'secondary', onclick: pay('failed') }, t('testFail')));
}

function retryForm(bill) {
  const methods = catalog.shop.payment_methods.filter((m) => m !== 'free' && (m !== 'test' || catalog.shop.test_mode));
  const select = h('select', {}, methods.map((m) => h('option', { value: m, selected: m !== bill.payment_method && m === methods.find((x) => x !== bill.payment_method) }, t(`method_${m}`))));
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const form = h('form', { id: 'retry' }, banner, field(t('paymentMethod'), select, 'payment_method'), h('button', { type: 'submit', class: 'primary' }, t('retry')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    try {
      const r = await api('POST', `/bills/${bill.id}/payment`, { payment_method: select.value }, token());
      handOff(shop, bill.id, token(), r.payment?.action);
    } catch (e) {
      showProblem(form, e, banner);
    }
  });
  return form;
}

/** What happens next, in the buyer's words, by the bill's status. */
/** A line's delivery as the buyer reads it: a line Moodle refused is with the shop's team. */
const lineState = (state) => t(state === 'failed' ? 'prod_held' : `prod_${state}`);

function next(bill) {
  if (['PLACED', 'PENDING', 'PARTIAL'].includes(bill.status) && bill.payment_method !== 'test') {
    return [bill.instructions ? h('p', { class: 'notice', id: 'instructions' }, bill.instructions) : null, h('p', {}, t('nextPending'))];
  }
  if (['PAID', 'PREPROD'].includes(bill.status) && bill.production.some((p) => p.state === 'failed')) {
    // Moodle refused a line: the staff were alerted; the buyer has nothing to do but may ask.
    const email = catalog.shop.seller?.email;
    return h('p', { class: 'notice', id: 'held' }, t('nextHeld'), email ? [' ', t('askUs'), ' ', h('a', { href: `mailto:${email}` }, email)] : null);
  }
  if (bill.status === 'PREPROD') {
    // Delivered ahead of the payment, which is still due.
    const ready = bill.production.every((p) => p.state === 'done');
    return [h('p', { class: 'notice', id: 'preprod' }, t(ready ? 'nextPreprodReady' : 'nextPreprod')),
      bill.instructions ? h('p', { class: 'notice', id: 'instructions' }, bill.instructions) : null];
  }
  if (bill.status === 'PAID') return h('p', { class: 'notice' }, t('nextPaid'));
  if (bill.status === 'COMPLETE') return h('p', { class: 'notice ok' }, t('nextComplete'));
  if (bill.status === 'CANCELLED') {
    // Delivered before payment, then called off: its access is closed too.
    const delivered = bill.production.some((p) => ['done', 'revoked'].includes(p.state));
    return h('p', { class: 'notice', id: 'cancelled' }, t(delivered ? 'nextCancelledDelivered' : 'nextCancelled'));
  }
  if (['PAYBACK', 'REFUNDED'].includes(bill.status)) return h('p', { class: 'notice' }, t('nextRefunded'));
  return null;
}

/** The links to the learning site once something is delivered. */
function access(bill) {
  const a = bill.access;
  if (!a) return null;
  return h('section', { class: 'access', 'aria-labelledby': 'access-title' }, h('h2', { id: 'access-title' }, t('accessTitle')),
    h('ul', {}, a.courses.map((c) => h('li', {}, h('a', { href: c.url }, c.name)))),
    a.username ? h('p', {}, tf('yourUsername', { username: a.username })) : null,
    h('p', {}, h('a', { href: a.password_url }, t('setPassword'))),
    h('p', {}, h('a', { class: 'button primary', href: a.site_url }, t('site'))));
}

/** The bill's full link (its token in the fragment), to keep and open anywhere. */
function keep(bill) {
  const link = `${location.origin}/bill?shop=${encodeURIComponent(shop)}&bill=${bill.id}#token=${encodeURIComponent(token())}`;
  return h('div', {}, h('p', {}, t('keepLink')), copyBox(link, { label: t('keepLink'), copy: t('copyLink'), copied: t('copied') }));
}

function render(bill) {
  const awaiting = ['PLACED', 'PENDING'].includes(bill.status);
  const invoice = `/bills/${bill.id}/invoice?token=${encodeURIComponent(token())}`;
  const title = bill.invoice_number ? t('invoiceTitle') : t('orderForm');
  const creditNote = `/bills/${bill.id}/credit-note?token=${encodeURIComponent(token())}`;
  fill(main,
    h('h1', {}, t('bill'), ' ', h('span', { class: 'muted' }, bill.invoice_number || bill.id)),
    params.get('payment') === 'confirming' && awaiting ? h('p', { class: 'notice', role: 'status' }, t('confirming')) : null,
    h('p', {}, colon('status'), h('span', { class: `status ${bill.status}`, id: 'status', 'data-status': bill.status, role: 'status' }, t(`status_${bill.status}`))),
    next(bill),
    awaiting && bill.payment_method === 'test' ? testButtons(bill) : null,
    bill.status === 'FAILED' ? retryForm(bill) : null,
    ['PAYBACK', 'REFUNDED', 'CANCELLED'].includes(bill.status) ? null : access(bill),
    h('section', { 'aria-labelledby': 'bought-title' }, h('h2', { id: 'bought-title' }, t('bought')),
      h('p', { class: 'muted' }, `${t('ordered')} ${date(bill.placed_at)} · ${colon('paymentMethod')}`, methodLabel(bill.payment_method, catalog.shop.payment_methods)),
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, h('span', { class: 'sr-only' }, t('bought'))), h('th', { class: 'num' }, t('quantity')), h('th', { class: 'num' }, t('total')), h('th', { class: 'hide-small' }, t('production')))),
        h('tbody', {}, bill.lines.map((l, i) => {
          const p = bill.production[i] || {};
          const holders = Object.values(l.seats || {}).flat();
          return h('tr', {},
            h('td', { class: 'name' }, l.name, holders.length ? h('div', { class: 'muted' }, colon('holders'), holders.join(', ')) : null,
              h('div', { class: 'muted show-small' }, lineState(p.state))),
            h('td', { class: 'num' }, l.quantity),
            h('td', { class: 'num' }, money(l.total_incl_tax, bill.currency)),
            h('td', { class: 'hide-small' }, h('span', { class: `status ${p.state === 'failed' ? 'held' : p.state}` }, lineState(p.state))));
        }))),
      h('p', { class: 'totals' }, `${t('total')} ${colon('inclTax')}`, h('strong', {}, money(bill.total, bill.currency))),
      h('p', {}, h('a', { href: invoice, id: 'invoice' }, title), ' · ',
        h('a', { href: `${invoice}&format=pdf`, id: 'invoice-pdf' }, `${title} (PDF)`)),
      // An invoice refunded or called off is cancelled by a credit note: the buyer's accountant needs both.
      bill.credit_note_number ? h('p', {}, h('a', { href: creditNote, id: 'credit-note' }, `${t('creditNote')} ${bill.credit_note_number}`), ' · ',
        h('a', { href: `${creditNote}&format=pdf`, id: 'credit-note-pdf' }, `${t('creditNote')} (PDF)`)) : null,
      // Money given back while the order stands: how much, when, and its credit note.
      (bill.refunds || []).map((r) => {
        const doc = `${creditNote}&number=${encodeURIComponent(r.credit_note_number || '')}`;
        return h('p', { class: 'refund' }, tf('partRefundOn', { date: date(r.at) }), h('strong', {}, money(r.amount, bill.currency)),
          r.credit_note_number && [' · ', h('a', { href: doc }, `${t('creditNote')} ${r.credit_note_number}`), ' · ',
            h('a', { href: `${doc}&format=pdf` }, `${t('creditNote')} (PDF)`)]);
      })),
    keep(bill),
    h('p', {}, h('a', { href: `/orders?shop=${encodeURIComponent(shop)}` }, t('findOrders'))));
}

async function load() {
  const bill = await api('GET', `/bills/${billId}`, undefined, token());
  render(bill);
  return bill;
}

/** Polls while something is expected to change (payment confirmation, delivery): every
 * second at first, then less and less often (at most every 30 s), since a transfer or a
 * delivered-before-payment bill can wait days with its page open. A change starts over. */
function follow(delay = 1000, seen = null) {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const bill = await load().catch(() => null);
    if (!bill || SETTLED.includes(bill.status) || bill.status === 'FAILED') return;
    const now = `${bill.status} ${bill.production.map((p) => p.state).join()}`;
    follow(seen !== null && now !== seen ? 1000 : Math.min(delay * 1.5, 30000), now);
  }, delay);
}

async function start() {
  catalog = await api('GET', `/shops/${shop}/catalog?lang=${lang()}`);
  document.title = `${t('bill')} — ${catalog.shop.name}`;
  document.getElementById('header').replaceChildren(header(catalog.shop.name));
  if (!billId || !token()) {
    fill(main, h('p', { class: 'banner' }, t('noToken')),
      h('p', {}, h('a', { href: `/orders?shop=${encodeURIComponent(shop)}` }, t('findOrders'))));
    return;
  }
  const bill = await load();
  if (!SETTLED.includes(bill.status) && bill.status !== 'FAILED') follow();
}

start().catch((e) => fill(main, h('p', { class: 'banner' }, problemText(e))));
