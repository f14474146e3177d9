// The back office's front page: staff sign-in, then the dashboard (what needs action now,
// bills by status) and the bills desk (filters, paging).
import { api, clearProblem, field, fill, h, lang, showProblem, t } from './app.js';
import { amount, catalogueWithItems, day, deskHeader, mailFailure, productItem, refundNotes, said, sendAgainForm, stackedTable, staffName, staffSession, w, when } from './desk.js';

const params = new URLSearchParams(location.search);
const main = document.getElementById('main');
const top = document.getElementById('header');
const STATUSES = ['PLACED', 'PENDING', 'PARTIAL', 'PAID', 'PREPROD', 'COMPLETE', 'FAILED', 'CANCELLED', 'REFUNDED', 'PAYBACK'];
let names = {};
let offered = [];
let catalogName = '';

function signInForm() {
  top.replaceChildren(deskHeader(null, 'enrolshop'));
  document.title = `${w('signIn')} — ${w('backOffice')}`;
  const shop = h('input', { value: params.get('shop') || 'demo', required: true, autocomplete: 'organization' });
  const username = h('input', { required: true, autocomplete: 'username' });
  const password = h('input', { type: 'password', required: true, autocomplete: 'current-password' });
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const form = h('form', { id: 'sign-in' }, banner,
    field(w('shop'), shop, 'shop'), field(w('username'), username, 'username'), field(w('password'), password, 'password'),
    h('button', { type: 'submit', class: 'primary' }, w('signIn')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    try {
      await api('POST', '/admin/login', { shop: shop.value.trim(), username: username.value, password: password.value });
      location.reload();
    } catch (e) {
      showProblem(form, e, banner);
      // Signed in to Moodle, but not on this shop's staff list: say so, not "may not do this".
      if (e.status === 403) banner.textContent = w('notOnStaff');
    }
  });
  fill(main, h('h1', {}, w('backOffice')), h('p', {}, w('signInIntro')), h('section', {}, form));
}

const billLink = (session, id) => h('a', { class: 'id', href: `/admin/bill?shop=${session.shop}&bill=${id}` }, id);

function billRows(session, bills) {
  if (!bills.length) return h('p', { class: 'muted' }, w('nothing'));
  // A phone or a small tablet shows each bill as a card (desk.js, `stackedTable`).
  return stackedTable({}, [[w('bill')], [w('date'), 'hide-small'], [w('customer')], [w('total'), 'num'], [w('method'), 'hide-small'], [w('status')]],
    bills.map((b) => [{ 'data-bill': b.id }, [
      // Once paid, its invoice number too: what the accountant and the buyer's bank quote.
      ['key', billLink(session, b.id), b.invoice_number && [h('br'), h('span', { class: 'muted invoice-number' }, b.invoice_number)],
        refundNotes(b), b.credit_note_number && [h('br'), h('span', { class: 'muted credit-note-number' }, `${w('creditNote')} ${b.credit_note_number}`)]],
      ['hide-small', when(b.placed_at)],
      ['who', b.customer, h('br'), h('span', { class: 'muted' }, b.email)],
      ['num', amount(b.total, b.currency)],
      ['hide-small', t(`method_${b.payment_method}`)],
      ['state', h('span', { class: `status ${b.status}` }, t(`status_${b.status}`))]]]));
}

async function needsAction(session) {
  const shop = session.shop;
  const [pending, preprod, partial, paid, failed, expiring] = await Promise.all([
    api('GET', `/admin/shops/${shop}/bills?status=PENDING&limit=50`),
    api('GET', `/admin/shops/${shop}/bills?status=PREPROD&limit=50`),
    api('GET', `/admin/shops/${shop}/bills?status=PARTIAL&limit=50`),
    api('GET', `/admin/shops/${shop}/bills?status=PAID&limit=50`),
    api('GET', `/admin/shops/${shop}/messages/failed`),
    api('GET', `/admin/shops/${shop}/products?state=expiring`),
  ]);
  // Up to a tablet each is a card (desk.js, `stackedTable`): a phone has no room for the columns.
  const messages = failed.messages.length
    ? stackedTable({}, [[w('bill')], [w('kind')], [w('to_')], [w('error')]],
      failed.messages.map((m) => [{}, [
        ['key', billLink(session, m.bill)], ['state', w(`msg_${m.kind}`)], ['who', m.to || ''], ['wide', mailFailure(m), sendAgainForm(m.bill, m, (form) => form.replaceChildren(h('p', { class: 'notice', role: 'status' }, w('sentAgain'))))]]]))
    : h('p', { class: 'muted' }, w('nothing'));
  const products = expiring.products.length
    ? stackedTable({}, [[w('product')], [w('customer')], [w('ends')]],
      expiring.products.map((p) => [{}, [
        ['key', productItem(p, names)], ['who', p.customer_email], ['state', day(p.end)]]]))
    : h('p', { class: 'muted' }, w('nothing'));
  return h('section', { id: 'needs-action', 'aria-labelledby': 'needs-title' },
    h('h2', { id: 'needs-title' }, w('needsAction')),
    h('h3', {}, w('awaitingPayment')), h('div', { id: 'awaiting' }, billRows(session, pending.bills)),
    h('h3', {}, w('deliveredUnpaid')), h('div', { id: 'delivered-unpaid' }, billRows(session, preprod.bills)),
    h('h3', {}, w('paidInPart')), h('div', { id: 'partial' }, billRows(session, partial.bills)),
    h('h3', {}, w('paidNotDelivered')), h('div', { id: 'undelivered' }, billRows(session, paid.bills)),
    h('h3', {}, w('failedMessages')), h('div', { id: 'failed-messages' }, messages),
    h('h3', {}, w('expiring')), products);
}

/** A table whose last column draws its value as a bar (readable as numbers too). */
function barTable(id, caption, head, rows, max) {
  return h('table', { id, class: 'bars' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, h('th', { scope: 'row' }, row[0]),
      row.slice(1, -1).map((shown) => h('td', { class: 'num' }, shown)),
      h('td', { class: 'bar', 'aria-hidden': 'true' }, h('span', { style: `width: ${max ? Math.round((100 * row.at(-1)) / max) : 0}%` }))))));
}

/** The days' sales summed by day, ISO week (from Monday) or month, oldest first. */
function group(days, by) {
  const periods = new Map();
  for (const d of days) {
    const date = new Date(`${d.day}T00:00:00Z`);
    let key = d.day;
    let label = day(d.day);
    if (by === 'week') {
      date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
      key = date.toISOString().slice(0, 10);
      label = w('weekOf', day(key));
    } else if (by === 'month') {
      key = d.day.slice(0, 7);
      label = new Intl.DateTimeFormat(lang(), { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(date);
    }
    const p = periods.get(key) || { label, revenue: 0, orders: 0, refunded: 0 };
    p.revenue += Number(d.revenue_excl_tax);
    p.orders += d.orders;
    p.refunded += Number(d.refunded_excl_tax ?? 0);
    periods.set(key, p);
  }
  return [...periods.values()];
}

async function figures(session) {
  const section = h('section', { id: 'figures', 'aria-labelledby': 'figures-title' });
  const period = h('select', {}, [7, 30, 90, 365].map((n) => h('option', { value: n, selected: n === 30 }, w('lastDays', n))));
  const grouping = h('select', {}, ['day', 'week', 'month'].map((g) => h('option', { value: g }, w(`by_${g}`))));
  const body = h('div');
  const load = async () => {
    const to = new Date();
    const from = new Date(to.getTime() - (Number(period.value) - 1) * 86400000);
    const iso = (d) => d.toISOString().slice(0, 10);
    const stats = await api('GET', `/admin/shops/${session.shop}/stats?from=${iso(from)}&to=${iso(to)}`);
    // Items ever sold are named too (the bills desk filters by them), listed or not.
    for (const i of stats.items) if (i.names) names[i.code] ??= i.names[lang()];
    const count = (n) => new Intl.NumberFormat(lang()).format(n);
    const revenue = stats.days.reduce((s, d) => s + Number(d.revenue_excl_tax), 0);
    const orders = stats.days.reduce((s, d) => s + d.orders, 0);
    // Money given back on paid orders, on its day: said beside the sales when there is some.
    const refunded = stats.days.reduce((s, d) => s + Number(d.refunded_excl_tax ?? 0), 0);
    const periods = group(stats.days, grouping.value);
    const maxDay = Math.max(0, ...periods.map((d) => d.revenue));
    const maxItem = Math.max(0, ...stats.items.map((i) => i.quantity));
    const methods = Object.entries(stats.methods);
    const maxMethod = Math.max(0, ...methods.map(([, n]) => n));
    fill(body,
      h('p', { class: 'totals' }, h('strong', {}, amount(revenue.toFixed(2), stats.currency)), ` ${w('revenueExcl')} · `, h('strong', {}, count(orders)), ` ${w(orders === 1 ? 'order' : 'orders')}`,
        refunded > 0 && [' · ', h('strong', { id: 'refunded' }, amount(refunded.toFixed(2), stats.currency)), ` ${w('refundedExcl')}`]),
      h('ul', { class: 'counts' }, STATUSES.filter((s) => stats.counts[s]).map((s) =>
        h('li', {}, h('span', { class: `status ${s}` }, t(`status_${s}`)), ' ', count(stats.counts[s])))),
      h('div', { class: 'charts' },
        periods.length ? barTable('revenue', w(`revenueBy_${grouping.value}`), [w(grouping.value === 'day' ? 'date' : 'periodCol'), w('revenueCol'), w('ordersCol'), ''],
          // A period's refunds under its revenue (a column more would not fit a phone).
          periods.map((d) => [d.label, [amount(d.revenue.toFixed(2), stats.currency),
            d.refunded > 0 && h('div', { class: 'muted refunded' }, w('refundedOf', amount(d.refunded.toFixed(2), stats.currency)))],
          count(d.orders), d.revenue]), maxDay) : h('p', { class: 'muted' }, w('noSales')),
        stats.items.length > 0 && barTable('top-items', w('topItems'), [w('item'), w('quantity'), ''], stats.items.slice(0, 10).map((i) => [names[i.code] || i.code, count(i.quantity), i.quantity]), maxItem),
        methods.length > 0 && barTable('methods', w('byMethod'), [w('method'), w('ordersCol'), ''], methods.map(([m, n]) => [t(`method_${m}`), count(n), n]), maxMethod)));
  };
  period.addEventListener('change', load);
  grouping.addEventListener('change', load);
  await load();
  fill(section, h('div', { class: 'row spread' }, h('h2', { id: 'figures-title' }, w('figures')),
    h('div', { class: 'row' }, field(w('period'), period), field(w('grouping'), grouping))), body);
  return section;
}

function desk(session) {
  const status = h('select', {}, h('option', { value: '' }, w('any')), STATUSES.map((s) => h('option', { value: s }, t(`status_${s}`))));
  const q = h('input', { type: 'search', placeholder: w('searchHelp') });
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const method = h('select', {}, h('option', { value: '' }, w('any')), offered.map((m) => h('option', { value: m }, t(`method_${m}`))));
  const item = h('select', {}, h('option', { value: '' }, w('any')),
    Object.entries(names).sort(([, a], [, b]) => a.localeCompare(b, lang())).map(([code, name]) => h('option', { value: code }, name)));
  const sort = h('select', {}, h('option', { value: 'newest' }, w('newestFirst')), h('option', { value: 'oldest' }, w('oldestFirst')));
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const results = h('div', { id: 'bills' });
  const form = h('form', { id: 'bill-filter', role: 'search' }, banner,
    h('div', { class: 'row' }, field(w('search'), q, 'q'), field(w('status'), status, 'status'),
      field(w('from'), from, 'from'), field(w('to'), to, 'to')),
    h('div', { class: 'row' }, field(w('method'), method, 'method'), field(w('item'), item, 'item'), field(w('sort'), sort, 'sort'),
      h('button', { type: 'submit', class: 'primary' }, w('filter'))));
  const load = async (cursor) => {
    clearProblem(form, banner);
    const query = new URLSearchParams();
    for (const [k, el] of [['q', q], ['status', status], ['from', from], ['to', to], ['method', method], ['item', item], ['sort', sort]]) if (el.value) query.set(k, el.value);
    if (cursor) query.set('cursor', cursor);
    try {
      const page = await api('GET', `/admin/shops/${session.shop}/bills?${query}`);
      const more = page.next_cursor && h('button', { type: 'button', class: 'secondary', onclick: () => load(page.next_cursor) }, w('next'));
      const first = cursor && h('button', { type: 'button', class: 'secondary', onclick: () => load() }, w('first'));
      fill(results, billRows(session, page.bills), h('div', { class: 'row' }, first, more));
    } catch (e) {
      showProblem(form, e, banner);
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  load();
  return h('section', { 'aria-labelledby': 'desk-title' }, h('h2', { id: 'desk-title' }, w('bills')), form, results);
}

/** Links to the CSV exports of a range, in the chosen spreadsheet format. */
function exportsSection(session) {
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const format = h('select', {}, h('option', { value: lang() === 'fr' ? 'fr' : 'en' }, w(lang() === 'fr' ? 'formatFr' : 'formatEn')),
    h('option', { value: lang() === 'fr' ? 'en' : 'fr' }, w(lang() === 'fr' ? 'formatEn' : 'formatFr')));
  const links = h('ul', { class: 'exports' });
  const update = () => {
    const query = new URLSearchParams();
    if (from.value) query.set('from', from.value);
    if (to.value) query.set('to', to.value);
    if (format.value === 'fr') { query.set('separator', 'semicolon'); query.set('decimal', 'comma'); }
    fill(links, ['bills', 'lines', 'payments', 'credit_notes', 'customers', 'products'].map((name) =>
      h('li', {}, h('a', { href: `/admin/shops/${session.shop}/exports/${name}.csv?${query}`, download: '' }, w(`export_${name}`)))));
  };
  for (const el of [from, to, format]) el.addEventListener('change', update);
  update();
  return h('section', { id: 'exports', 'aria-labelledby': 'exports-title' }, h('h2', { id: 'exports-title' }, w('exports')),
    h('div', { class: 'row' }, field(w('from'), from), field(w('to'), to), field(w('format'), format)), links);
}

/** What staff did, newest first, with a next page. */
function auditSection(session) {
  const list = h('div', { id: 'audit' });
  // The page's items, named by the server (listed or not), else by the catalogue.
  let items = {};
  const item = (code) => items[code]?.[lang()] || names[code] || code;
  // On what: a bill by its number, a customer by their email, an item (or a product's item)
  // by its name.
  const subject = (e) => {
    if (e.action === 'bill') return billLink(session, e.subject);
    if (e.action === 'customer_updated') return h('a', { href: `/admin/customers?shop=${session.shop}&email=${encodeURIComponent(e.subject)}` }, e.subject);
    if (e.action === 'shop_imported' || e.action === 'settings_changed') return catalogName;
    if (e.action === 'item_changed') return item(e.subject);
    if (e.item) return item(e.item);
    return e.subject;
  };
  const colon = lang() === 'fr' ? ' : ' : ': ';
  const detail = (e) => {
    if (e.action === 'customer_updated') return e.detail.split(', ').map((f) => t(f)).join(', ');
    if (e.action === 'shop_imported') return '';
    if (e.action === 'settings_changed') return e.detail.split(', ').map((f) => w(`settingsField_${f}`)).join(', ');
    if (e.action === 'item_changed') {
      const [what, fields] = e.detail.split(': ');
      const named = fields ? fields.split(', ').map((f) => w(`itemField_${f}`)).join(', ') : '';
      return `${w(`item_${what}`)}${named ? colon + named : ''}`;
    }
    if (e.item) return e.detail;
    if (e.from && e.to && e.from !== e.to) return `${t(`status_${e.from}`)} → ${t(`status_${e.to}`)}${colon}${said(e)}`;
    return said(e);
  };
  const load = async (cursor) => {
    const page = await api('GET', `/admin/shops/${session.shop}/audit${cursor ? `?cursor=${cursor}` : ''}`);
    items = page.items || {};
    // Up to a tablet each entry is a card: when and what, then who and on what, then the note.
    const rows = page.entries.length
      ? stackedTable({}, [[w('date')], [w('who')], [w('what')], [w('subject')], [w('note')]],
        page.entries.map((e) => [{ 'data-action': e.action }, [
          ['key', when(e.at)], ['who', staffName(e.actor)], ['state', w(`audit_${e.action}`)], ['wrap', subject(e)], ['wrap wide', detail(e)]]]))
      : h('p', { class: 'muted' }, w('nothing'));
    fill(list, rows, h('div', { class: 'row' },
      cursor && h('button', { type: 'button', class: 'secondary', onclick: () => load() }, w('first')),
      page.next_cursor && h('button', { type: 'button', class: 'secondary', onclick: () => load(page.next_cursor) }, w('next'))));
  };
  load();
  return h('section', { 'aria-labelledby': 'audit-title' }, h('h2', { id: 'audit-title' }, w('auditTitle')), list);
}

async function dashboard(session) {
  const catalog = await catalogueWithItems(session.shop);
  names = Object.fromEntries(catalog.items.map((i) => [i.code, i.name]));
  offered = catalog.shop.payment_methods;
  top.replaceChildren(deskHeader(session, catalog.shop.name));
  document.title = `${w('dashboard')} — ${catalog.shop.name}`;
  catalogName = catalog.shop.name;
  fill(main, h('h1', {}, w('dashboard')), await needsAction(session), await figures(session), desk(session), exportsSection(session), auditSection(session));
}

async function start() {
  const session = await staffSession();
  if (session) await dashboard(session);
  else signInForm();
}

start().catch((e) => fill(main, h('p', { class: 'banner', role: 'alert' }, e.message)));
