// The catalogue: categories, items with their tier prices excl./incl. tax, add to cart.
import { api, cartKey, field, h, header, inPageLanguage, lang, money, shopId, t, fill } from './app.js';

const shop = shopId();
const main = document.getElementById('main');

function prices(item, currency) {
  return h('table', { class: 'prices' },
    h('thead', {}, h('tr', {}, h('th', {}, t('quantity')), h('th', { class: 'num' }, t('exclTax')), h('th', { class: 'num' }, t('inclTax')))),
    h('tbody', {}, item.prices.map((p, i) => {
      const from = i === 0 ? 1 : item.prices[i - 1].up_to + 1;
      const range = p.up_to === null ? (i === 0 ? '1+' : `${from}+`) : `${from}–${p.up_to}`;
      return h('tr', {}, h('td', {}, range), h('td', { class: 'num' }, money(p.unit_price, currency)), h('td', { class: 'num' }, money(p.unit_price_incl_tax, currency)));
    })));
}

async function cart() {
  const kept = localStorage.getItem(cartKey(shop));
  if (kept) {
    try { return await inPageLanguage(await api('GET', `/carts/${kept}`)); } catch { localStorage.removeItem(cartKey(shop)); }
  }
  const created = await api('POST', `/shops/${shop}/carts`, { language: lang() });
  localStorage.setItem(cartKey(shop), created.id);
  return created;
}

function card(item, currency) {
  const qty = h('input', { type: 'number', min: '1', value: '1', max: item.max_quantity ?? undefined });
  const note = h('p', { class: 'notice', hidden: true, role: 'status' });
  const password = item.password_protected ? h('input', { type: 'password', autocomplete: 'off' }) : null;
  const add = async () => {
    try {
      const c = await cart();
      const line = c.lines.find((l) => l.code === item.code);
      const body = { quantity: Number(qty.value) + (line ? line.quantity : 0) };
      if (password) body.password = password.value;
      await api('PUT', `/carts/${c.id}/lines/${item.code}`, body);
      note.className = 'notice';
      note.replaceChildren(t('added'), ' ', h('a', { href: `/checkout?shop=${shop}&cart=${c.id}` }, t('goCheckout')));
    } catch (e) {
      note.className = 'banner';
      note.textContent = e.body?.errors?.map((x) => x.reason).join(' · ') || e.message;
    }
    note.hidden = false;
  };
  return h('article', { class: 'card', 'data-code': item.code },
    h('h3', {}, item.name),
    item.description ? h('p', { class: 'muted' }, item.description) : null,
    prices(item, currency),
    h('p', { class: 'muted' }, `${t('tax')} ${item.tax.rate} %`),
    item.purchasable
      ? h('div', { class: 'row' },
        field(t('quantity'), qty),
        password ? field(t('password'), password) : null,
        h('button', { type: 'button', class: 'primary', onclick: add }, t('add')))
      : h('p', { class: 'muted' }, t('preview')),
    note);
}

async function render() {
  const catalog = await api('GET', `/shops/${shop}/catalog`);
  document.title = catalog.shop.name;
  document.getElementById('header').replaceChildren(header(catalog.shop.name));
  const list = h('div', { class: 'items' });
  const show = (category) => {
    const wanted = category ? new Set([category, ...catalog.categories.filter((c) => c.parent === category).map((c) => c.id)]) : null;
    list.replaceChildren(...catalog.items.filter((i) => !wanted || wanted.has(i.category)).map((i) => card(i, catalog.shop.currency)));
  };
  const filter = h('select', { 'aria-label': t('catalogue'), onchange: (e) => show(e.target.value) },
    h('option', { value: '' }, t('all')),
    catalog.categories.map((c) => h('option', { value: c.id }, c.parent ? `— ${c.name}` : c.name)));
  fill(main, h('h1', {}, t('catalogue')), field(t('catalogue'), filter), list);
  show('');
}

render().catch((e) => fill(main, h('p', { class: 'banner' }, e.message)));
