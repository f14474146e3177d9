// The customers desk: the shop's customers by name with a search, and one customer's page
// (`?email=`): their identity (corrected here, each change recorded with its author), their
// Moodle account, bills and products.
import {
  api, clearProblem, countryName, countryOptions, field, fill, h, lang, showProblem, t,
} from './app.js';
import { amount, cardLabel, day, deskHeader, productItem, refundNotes, send, stackedTable, staffName, staffSession, w, when, catalogueWithItems } from './desk.js';

const params = new URLSearchParams(location.search);
const main = document.getElementById('main');
let session;
let catalog;
let names = {};

const customerLink = (c) => h('a', { href: `/admin/customers?email=${encodeURIComponent(c.identity.email)}` }, `${c.identity.firstname} ${c.identity.lastname}`);

function list() {
  const q = h('input', { type: 'search', placeholder: w('customerSearchHelp') });
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const results = h('div', { id: 'customers' });
  const form = h('form', { id: 'customer-filter', role: 'search' }, banner,
    h('div', { class: 'row' }, field(w('search'), q, 'q'), h('button', { type: 'submit', class: 'primary' }, w('search'))));
  const load = async (cursor) => {
    clearProblem(form, banner);
    const query = new URLSearchParams();
    if (q.value.trim()) query.set('q', q.value.trim());
    if (cursor) query.set('cursor', cursor);
    try {
      const page = await api('GET', `/admin/shops/${session.shop}/customers?${query}`);
      const rows = page.customers.length
        ? stacked([[w('customer')], [w('email')], [w('organisation')], [w('city')]], page.customers.map((c) => [
          ['key', customerLink(c)], ['who', c.identity.email], [null, c.identity.organisation || ''],
          [null, `${c.identity.city} (${countryName(c.identity.country)})`]]))
        : h('p', { class: 'muted' }, w('noneYet'));
      fill(results, rows, page.next_cursor && h('button', { type: 'button', class: 'secondary', onclick: () => load(page.next_cursor) }, w('next')));
    } catch (e) {
      showProblem(form, e, banner);
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  load();
  fill(main, h('h1', {}, w('customers')), h('section', {}, form, results));
}

function identityForm(customer, render) {
  const names = ['firstname', 'lastname', 'organisation', 'address', 'zip', 'city', 'country', 'phone'];
  const inputs = Object.fromEntries(names.map((n) => [n, n === 'country'
    ? h('select', { 'data-name': n }, h('option', { value: '' }, t('choose')), countryOptions(customer.identity.country))
    : h('input', { value: customer.identity[n] || '', 'data-name': n })]));
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const saved = h('p', { class: 'notice', hidden: true, role: 'status' }, w('done'));
  const form = h('form', { id: 'identity' }, banner, saved,
    h('div', { class: 'grid' }, names.map((n) => field(t(n), inputs[n], n))),
    h('button', { type: 'submit', class: 'primary' }, t('save')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    saved.hidden = true;
    const body = { email: customer.identity.email };
    for (const n of names) body[n] = inputs[n].value.trim() || (['organisation', 'phone'].includes(n) ? null : '');
    try {
      // On the version read: another operator's correction meanwhile is not overwritten.
      await send('PUT', `/admin/shops/${session.shop}/customers/${encodeURIComponent(customer.identity.email)}`, body, { 'if-match': customer.etag });
      await render();
      document.querySelector('#identity .notice').hidden = false;
    } catch (e) {
      if (e.status === 412) {
        banner.textContent = w('staleCustomer');
        banner.hidden = false;
        return;
      }
      showProblem(form, e, banner);
    }
  });
  return form;
}

/** A list as cards up to a tablet (desk.js, `stackedTable`), its rows without attributes of their own. */
const stacked = (heads, rows) => stackedTable({}, heads, rows.map((cells) => [{}, cells]));

async function one(email) {
  const render = async () => {
    const { json: c, etag } = await send('GET', `/admin/shops/${session.shop}/customers/${encodeURIComponent(email)}`);
    c.etag = etag;
    // By its username (the id only for an account whose username the shop never learnt).
    const account = c.moodle_username || `#${c.moodle_user_id}`;
    const moodle = c.moodle_user_id && h('p', { id: 'moodle-account' }, `${w('moodleAccount')}${lang() === 'fr' ? ' : ' : ': '}`,
      c.moodle_profile_url ? h('a', { href: c.moodle_profile_url, target: '_blank', rel: 'noopener' }, account) : account);
    const badge = (status, word) => h('span', { class: `status ${status}` }, word);
    const bills = c.bills.length
      ? stacked([[w('bill')], [w('date')], [w('total'), 'num'], [w('status')]], c.bills.map((b) => [
        ['key', h('a', { class: 'id', href: `/admin/bill?shop=${session.shop}&bill=${b.id}` }, b.id),
          b.invoice_number && [h('br'), h('span', { class: 'muted invoice-number' }, b.invoice_number)],
          refundNotes(b), b.credit_note_number && [h('br'), h('span', { class: 'muted credit-note-number' }, `${w('creditNote')} ${b.credit_note_number}`)]],
        [null, when(b.placed_at)], ['num', amount(b.total, b.currency)], ['state', badge(b.status, t(`status_${b.status}`))]]))
      : h('p', { class: 'muted' }, w('noneYet'));
    const products = c.products.length
      ? stacked([[w('product')], [w('user')], [w('start')], [w('ends')], [w('status')]], c.products.map((p) => [
        ['key', productItem(p, names)], ['who', p.seat?.holder?.email || p.user_email],
        [null, cardLabel(w('start')), day(p.start)], [null, cardLabel(w('ends')), p.end ? day(p.end) : w('noEnd')],
        ['state', badge(p.status, w(`state_${p.status}`))]]))
      : h('p', { class: 'muted' }, w('noneYet'));
    const changes = (c.changes || []).length
      ? h('ul', { id: 'changes' }, c.changes.map((x) => h('li', {}, `${when(x.at)} — ${staffName(x.actor)}: ${x.fields.map((f) => t(f)).join(', ')}`)))
      : null;
    document.title = `${c.identity.firstname} ${c.identity.lastname} — ${catalog.shop.name}`;
    fill(main, h('p', {}, h('a', { href: '/admin/customers' }, `← ${w('customers')}`)),
      h('h1', {}, `${c.identity.firstname} ${c.identity.lastname}`), h('p', { class: 'muted' }, c.identity.email), moodle,
      // Since when items for customers who bought are theirs: their first order delivered.
      c.bought_at && h('p', { id: 'bought-since' }, `${w('boughtSince')}${lang() === 'fr' ? ' : ' : ': '}`, when(c.bought_at)),
      h('section', { 'aria-labelledby': 'identity-title' }, h('h2', { id: 'identity-title' }, w('identity')), identityForm(c, render),
        changes && h('h3', {}, w('trace')), changes),
      h('section', { 'aria-labelledby': 'cbills-title' }, h('h2', { id: 'cbills-title' }, w('bills')), bills),
      h('section', { 'aria-labelledby': 'cproducts-title' }, h('h2', { id: 'cproducts-title' }, w('products')), products));
  };
  await render();
}

async function start() {
  session = await staffSession();
  if (!session) { location.assign('/admin'); return; }
  catalog = await catalogueWithItems(session.shop);
  names = Object.fromEntries(catalog.items.map((i) => [i.code, i.name]));
  document.getElementById('header').replaceChildren(deskHeader(session, catalog.shop.name));
  document.title = `${w('customers')} — ${catalog.shop.name}`;
  if (params.get('email')) await one(params.get('email'));
  else list();
}

start().catch((e) => fill(main, h('p', { class: 'banner', role: 'alert' }, e.message)));
