// The products delivered, for staff: by state (running, ending within 30 days, ended,
// suspended), one customer's or one item's; suspend and restore, each confirmed in place.
import { api, clearProblem, field, fill, h, showProblem } from './app.js';
import { cardLabel, confirmIn, day, deskHeader, productItem, stackedTable, staffSession, w, catalogueWithItems } from './desk.js';

const main = document.getElementById('main');
const STATES = ['running', 'expiring', 'expired', 'suspended'];
let session;
let names = {};

function actionCell(p, reload) {
  const suspended = p.status === 'suspended';
  const label = w(suspended ? 'restore' : 'suspend');
  const form = h('form', { class: 'inline' }, h('span', { class: 'error', role: 'alert' }),
    h('button', { type: 'submit', class: 'secondary' }, label));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    confirmIn(form, w(suspended ? 'confirmRestore' : 'confirmSuspend', productItem(p, names), p.user_email), async () => {
      try {
        await api('POST', `/admin/products/${encodeURIComponent(p.reference)}/${suspended ? 'restore' : 'suspend'}`, {});
        await reload();
      } catch (e) {
        form.querySelector('.error').textContent = e.message;
      }
    });
  });
  return form;
}

function table(products, reload) {
  if (!products.length) return h('p', { class: 'muted' }, w('nothing'));
  // Up to a tablet each product is a card (desk.js, `stackedTable`): its name and state, then its
  // holder and dates, then the action.
  return stackedTable({ id: 'products' },
    [[w('product')], [w('customer')], [w('start')], [w('ends')], [w('status')], [h('span', { class: 'sr-only' }, w('action'))]],
    products.map((p) => [{ 'data-reference': p.reference }, [
      ['key', productItem(p, names)],
      ['who', p.user_email, p.user_email !== p.customer_email && h('div', { class: 'muted' }, `${w('boughtBy')} ${p.customer_email}`)],
      [null, cardLabel(w('start')), day(p.start)], [null, cardLabel(w('ends')), p.end ? day(p.end) : w('noEnd')],
      ['state', h('span', { class: `status ${p.status}` }, w(`state_${p.status}`))],
      ['action', actionCell(p, reload)]]]));
}

async function start() {
  session = await staffSession();
  if (!session) { location.assign('/admin'); return; }
  const catalog = await catalogueWithItems(session.shop);
  names = Object.fromEntries(catalog.items.map((i) => [i.code, i.name]));
  document.getElementById('header').replaceChildren(deskHeader(session, catalog.shop.name));
  document.title = `${w('products')} — ${catalog.shop.name}`;
  const state = h('select', {}, h('option', { value: '' }, w('any')), STATES.map((s) => h('option', { value: s }, w(`state_${s}`))));
  const customer = h('input', { type: 'email', placeholder: w('emailExample') });
  const item = h('select', {}, h('option', { value: '' }, w('any')), catalog.items.map((i) => h('option', { value: i.code }, i.name)));
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const results = h('div');
  const form = h('form', { id: 'product-filter', role: 'search' }, banner,
    h('div', { class: 'row' }, field(w('status'), state, 'state'), field(w('customerEmail'), customer, 'customer'),
      field(w('product'), item, 'item'), h('button', { type: 'submit', class: 'primary' }, w('filter'))));
  const load = async () => {
    clearProblem(form, banner);
    const query = new URLSearchParams();
    if (state.value) query.set('state', state.value);
    if (customer.value.trim()) query.set('customer', customer.value.trim());
    try {
      const { products } = await api('GET', `/admin/shops/${session.shop}/products?${query}`);
      // An item the catalogue does not list (sold by direct link only) can be chosen too.
      for (const p of products) {
        if (names[p.item_code] || !p.item_names) continue;
        names[p.item_code] = productItem(p);
        item.append(h('option', { value: p.item_code }, names[p.item_code]));
      }
      fill(results, table(products.filter((p) => !item.value || p.item_code === item.value), load));
    } catch (e) {
      showProblem(form, e, banner);
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  fill(main, h('h1', {}, w('products')), h('section', {}, form, results));
  await load();
}

start().catch((e) => fill(main, h('p', { class: 'banner', role: 'alert' }, e.message)));
