// The catalogue: categories, items with their tier prices excl./incl. tax, add to cart.
import {
  api, cartKey, field, fill, h, header, inPageLanguage, lang, money, percent, problemText, reasonText, shopId, showCart, t,
} from './app.js';

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
  const qty = h('input', { type: 'number', min: '1', value: '1', max: item.max_quantity ?? undefined, inputmode: 'numeric' });
  const note = h('p', { class: 'notice', hidden: true, role: 'status' });
  const password = item.password_protected ? h('input', { type: 'password', autocomplete: 'off' }) : null;
  const refuse = (text) => {
    note.className = 'banner';
    note.textContent = text;
    note.hidden = false;
  };
  const add = async () => {
    const quantity = Number(qty.value);
    if (!Number.isInteger(quantity) || quantity < 1) return refuse(reasonText({ code: 'invalid_quantity' }));
    try {
      const c = await cart();
      const line = c.lines.find((l) => l.code === item.code);
      const body = { quantity: quantity + (line ? line.quantity : 0) };
      if (password) body.password = password.value;
      showCart(await api('PUT', `/carts/${c.id}/lines/${item.code}`, body));
      note.className = 'notice';
      note.replaceChildren(t('added'), ' ', h('a', { href: `/checkout?shop=${shop}&cart=${c.id}` }, t('goCheckout')));
      note.hidden = false;
    } catch (e) {
      refuse(e.body?.errors?.map(reasonText).join(' · ') || problemText(e));
    }
  };
  return h('article', { class: 'card', 'data-code': item.code },
    h('h3', {}, item.name),
    item.description ? h('p', { class: 'muted' }, item.description) : null,
    prices(item, currency),
    h('p', { class: 'muted' }, `${t('tax')} ${percent(item.tax.rate)}`),
    item.purchasable
      ? h('div', { class: 'row' },
        field(t('quantity'), qty),
        password ? field(t('password'), password) : null,
        h('button', { type: 'button', class: 'primary', onclick: add }, t('add')))
      : h('p', { class: 'muted' }, t('preview')),
    note);
}

// One page of the catalogue at a time (50 items), filtered by the API: a shop of thousands of
// items loads no faster or slower than one of ten.
// `?preview=CODE`, opened from the catalogue editor: that item as buyers will see it, whatever
// its status (the staff session reads it; nobody else can).
async function preview(first, code) {
  const item = await api('GET', `/admin/shops/${shop}/items/${encodeURIComponent(code)}/preview?lang=${lang()}`);
  fill(main, h('h1', {}, t('catalogue')),
    h('p', { class: 'notice', role: 'status' }, t(item.purchasable ? 'previewOnSale' : 'previewDraft'),
      item.visibility === 'everyone' ? null : ` ${t(`previewFor_${item.visibility}`)}`),
    h('div', { class: 'items' }, card(item, first.shop.currency)));
}

// `?item=CODE`, a link the shop gives (the catalogue editor shows it): that one item, listed or
// not — the only way to an internal item, sold with its password to the buyers it is for.
async function linked(first, code) {
  const whole = h('p', {}, h('a', { href: `/?shop=${encodeURIComponent(shop)}` }, t('allItems')));
  try {
    const item = await api('GET', `/shops/${shop}/items/${encodeURIComponent(code)}?lang=${lang()}`);
    fill(main, h('h1', {}, t('catalogue')), h('div', { class: 'items' }, card(item, first.shop.currency)), whole);
  } catch (e) {
    if (e.status !== 404) throw e;
    // Perhaps for signed-in customers: signing in brings the reader back here.
    const signIn = h('p', {}, h('a', { href: `/account?shop=${encodeURIComponent(shop)}&item=${encodeURIComponent(code)}` }, t('signInForItem')));
    fill(main, h('h1', {}, t('catalogue')), h('p', { class: 'banner', role: 'alert' }, t('itemGone')), signIn, whole);
  }
}

async function render() {
  const first = await api('GET', `/shops/${shop}/catalog?lang=${lang()}`);
  document.title = first.shop.name;
  document.getElementById('header').replaceChildren(header(first.shop.name));
  const previewed = new URLSearchParams(location.search).get('preview');
  if (previewed) return preview(first, previewed);
  const linkedTo = new URLSearchParams(location.search).get('item');
  if (linkedTo) return linked(first, linkedTo);
  const list = h('div', { class: 'items' });
  const more = h('button', { type: 'button', hidden: true }, t('more'));
  const empty = h('p', { class: 'muted', hidden: true }, t('noItems'));
  const category = h('select', {},
    h('option', { value: '' }, t('all')),
    first.categories.map((c) => h('option', { value: c.id }, c.parent ? `— ${c.name}` : c.name)));
  const words = h('input', { type: 'search', maxlength: '100', value: new URLSearchParams(location.search).get('q') || '' });
  let cursor = null;
  const query = () => {
    const q = new URLSearchParams({ lang: lang() });
    if (category.value) q.set('category', category.value);
    if (words.value.trim()) q.set('q', words.value.trim());
    if (cursor) q.set('cursor', cursor);
    return q.toString();
  };
  const show = (page, append) => {
    const cards = page.items.map((i) => card(i, page.shop.currency));
    if (append) list.append(...cards); else list.replaceChildren(...cards);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    empty.hidden = list.children.length > 0 || Boolean(cursor);
  };
  const reload = async () => { cursor = null; show(await api('GET', `/shops/${shop}/catalog?${query()}`), false); };
  more.onclick = async () => show(await api('GET', `/shops/${shop}/catalog?${query()}`), true);
  category.onchange = reload;
  let typing;
  words.oninput = () => { clearTimeout(typing); typing = setTimeout(reload, 250); };
  const filters = h('form', { class: 'row', role: 'search', onsubmit: (e) => { e.preventDefault(); reload(); } },
    field(t('category'), category), field(t('search'), words));
  fill(main, h('h1', {}, t('catalogue')), filters, list, empty, more);
  if (words.value) await reload(); else show(first, false);
}

render().catch((e) => fill(main, h('p', { class: 'banner' }, problemText(e))));
