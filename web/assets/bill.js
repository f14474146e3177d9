// The bill page: follows the bill's status until it is COMPLETE (or otherwise settled),
// shows "payment being confirmed" after a gateway return, the test payment buttons of a
// test-mode shop, payment instructions, a retry with another method, and the invoice.
import { api, billKey, clearProblem, field, h, handOff, header, money, shopId, showProblem, t, fill } from './app.js';

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

function render(bill) {
  const instructions = sessionStorage.getItem(`enrolshop.instructions.${bill.id}`);
  const awaiting = ['PLACED', 'PENDING'].includes(bill.status);
  const invoice = `/bills/${bill.id}/invoice?token=${encodeURIComponent(token())}`;
  fill(main, 
    h('h1', {}, t('bill'), ' ', h('span', { class: 'muted' }, bill.invoice_number || bill.id)),
    params.get('payment') === 'confirming' && awaiting ? h('p', { class: 'notice', role: 'status' }, t('confirming')) : null,
    h('p', {}, `${t('status')}: `, h('span', { class: `status ${bill.status}`, id: 'status', 'data-status': bill.status }, t(`status_${bill.status}`))),
    awaiting && instructions && bill.payment_method !== 'test' ? h('p', { class: 'notice' }, instructions) : null,
    awaiting && bill.payment_method === 'test' ? testButtons(bill) : null,
    bill.status === 'FAILED' ? retryForm(bill) : null,
    h('section', {},
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, t('quantity')), h('th', { class: 'num' }, t('total')), h('th', {}, t('production')))),
        h('tbody', {}, bill.lines.map((l, i) => {
          const p = bill.production[i] || {};
          return h('tr', {}, h('td', {}, l.name), h('td', {}, l.quantity), h('td', { class: 'num' }, money(l.total_incl_tax, bill.currency)),
            h('td', {}, h('span', { class: `status ${p.state}` }, t(`prod_${p.state}`)), p.error ? h('div', { class: 'muted' }, p.error) : null));
        }))),
      h('p', {}, `${t('total')} ${t('inclTax')}: `, h('strong', {}, money(bill.total, bill.currency)))),
    h('p', {}, h('a', { href: invoice, id: 'invoice' }, t('invoice')), ' · ', h('a', { href: `${invoice}&format=pdf` }, t('invoicePdf'))));
}

async function load() {
  const bill = await api('GET', `/bills/${billId}`, undefined, token());
  render(bill);
  return bill;
}

/** Polls while something is expected to change (payment confirmation, delivery). */
function follow() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const bill = await load().catch(() => null);
    if (bill && !SETTLED.includes(bill.status) && bill.status !== 'FAILED') follow();
  }, 1000);
}

async function start() {
  catalog = await api('GET', `/shops/${shop}/catalog`);
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

start().catch((e) => fill(main, h('p', { class: 'banner' }, e.message)));
