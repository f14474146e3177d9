// The customer area: log in with the learning site's credentials, then my orders (with their
// invoices), my products (dates and state) and my seats (assign, unassign).
import {
  api, cartKey, clearProblem, colon, date, field, fill, h, header, lang, money, Problem, problemText, shopId, showProblem, t, tf,
} from './app.js';

const shop = shopId();
const main = document.getElementById('main');
// `?item=CODE`: an item's page sent the reader to sign in (an item for customers); they go
// back to it once signed in.
const item = new URLSearchParams(location.search).get('item');
const backToItem = () => {
  if (!item || !/^[A-Za-z0-9_.-]{1,64}$/.test(item)) return false;
  location.assign(`/?shop=${encodeURIComponent(shop)}&item=${encodeURIComponent(item)}`);
  return true;
};
const sessionKey = `enrolshop.session.${shop}`;
const session = () => sessionStorage.getItem(sessionKey);

function loginForm() {
  const username = h('input', { autocomplete: 'username' });
  const password = h('input', { type: 'password', autocomplete: 'current-password' });
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const form = h('form', { id: 'login' }, banner, field(t('username'), username, 'username'), field(t('password'), password, 'password'),
    h('button', { type: 'submit', class: 'primary' }, t('login')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    try {
      const r = await api('POST', `/shops/${shop}/account/login`, { username: username.value, password: password.value });
      sessionStorage.setItem(sessionKey, r.session);
      if (!backToItem()) await area();
    } catch (e) {
      showProblem(form, e, banner);
    }
  });
  fill(main, h('h1', {}, t('account')), h('section', {}, form));
}

/** Opens a bill document with the session (a new tab gets no bearer header). */
async function openDocument(path) {
  const r = await fetch(path, { headers: { authorization: `Bearer ${session()}` } });
  const blob = await r.blob();
  window.open(URL.createObjectURL(blob), '_blank');
}

function bills(list) {
  if (!list.length) return h('p', {}, t('none'));
  return h('ul', { id: 'bills', class: 'cards' }, list.map((b) => h('li', { class: 'card', 'data-bill': b.id },
    h('h3', {}, b.items.join(', ')),
    h('p', { class: 'muted' }, `${b.invoice_number || b.id} · ${date(b.placed_at)} · `, h('span', { class: `status ${b.status}` }, t(`status_${b.status}`))),
    h('p', {}, colon('total'), h('strong', {}, money(b.total, b.currency))),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', onclick: () => openDocument(b.links.invoice) }, paidOrNot(b)),
      h('button', { type: 'button', class: 'secondary', onclick: () => openDocument(`${b.links.invoice}?format=pdf`) }, `${paidOrNot(b)} (PDF)`),
      b.links.credit_note ? [
        h('button', { type: 'button', class: 'secondary', onclick: () => openDocument(b.links.credit_note) }, t('creditNote')),
        h('button', { type: 'button', class: 'secondary', onclick: () => openDocument(`${b.links.credit_note}?format=pdf`) }, `${t('creditNote')} (PDF)`)] : null),
    // Money given back while the order stands, each with its credit note.
    (b.refunds || []).map((r) => h('div', { class: 'refund' },
      h('p', {}, tf('partRefundOn', { date: date(r.at) }), h('strong', {}, money(r.amount, b.currency))),
      r.credit_note && h('div', { class: 'row' },
        h('button', { type: 'button', class: 'secondary', onclick: () => openDocument(r.credit_note) }, `${t('creditNote')} ${r.credit_note_number}`),
        // Told apart from the order's own credit note by its number, also for a screen reader.
        h('button', { type: 'button', class: 'secondary', 'aria-label': `PDF ${t('creditNote')} ${r.credit_note_number}`, onclick: () => openDocument(`${r.credit_note}&format=pdf`) }, 'PDF')))))));
}

const paidOrNot = (b) => (b.invoice_number ? t('invoiceTitle') : t('orderForm'));

function products(list) {
  const shown = list.filter((p) => p.context !== 'seat');
  if (!shown.length) return h('p', {}, t('none'));
  return h('ul', { id: 'products', class: 'cards' }, shown.map((p) => h('li', { class: 'card', 'data-reference': p.reference },
    h('h3', {}, p.item_name),
    h('p', {}, h('span', { class: `status ${p.status}` }, t(`state_${p.status}`))),
    h('p', { class: 'muted' }, `${t('start')} ${date(p.start)} · ${p.end ? `${t('end')} ${date(p.end)}` : t('noEnd')}`),
    p.course_url && p.status !== 'suspended' ? h('p', {}, h('a', { href: p.course_url }, t('openCourse'))) : null,
    p.user_email && p.user_email !== p.customer_email ? h('p', { class: 'muted' }, colon('holder'), p.user_email) : null)));
}

function seatRow(seat, number) {
  const holder = seat.seat?.holder;
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const act = async (path, body, form) => {
    clearProblem(form, banner);
    try {
      await api('POST', path, body, session());
      await area('seats');
    } catch (e) {
      showProblem(form, e, banner);
    }
  };
  if (holder) {
    const form = h('form', { class: 'row' }, banner,
      h('span', {}, `${holder.firstname} ${holder.lastname} <${holder.email}>`),
      h('button', { type: 'submit', class: 'secondary' }, t('unassign')));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); act(`/account/seats/${seat.reference}/unassign`, undefined, form); });
    return h('div', { class: 'card seat', 'data-reference': seat.reference }, h('h3', {}, `${seat.item_name} · ${t('seat')} ${number}`), form);
  }
  const inputs = ['email', 'firstname', 'lastname'].map((name) => [name, h('input', { type: name === 'email' ? 'email' : 'text', 'data-name': name })]);
  const course = seat.allowed_courses.length > 1
    ? h('select', { 'data-name': 'course' }, seat.allowed_courses.map((c, i) => h('option', { value: c }, `${t('course')} ${i + 1}`)))
    : null;
  const form = h('form', { class: 'row' }, banner,
    inputs.map(([name, el]) => field(t(name), el, name)),
    course ? field(t('course'), course, 'course') : null,
    h('button', { type: 'submit', class: 'primary' }, t('assign')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = Object.fromEntries(inputs.map(([name, el]) => [name, el.value.trim()]));
    if (course) body.course = Number(course.value);
    act(`/account/seats/${seat.reference}/assign`, body, form);
  });
  return h('div', { class: 'card seat', 'data-reference': seat.reference }, h('h3', {}, `${seat.item_name} · ${t('seat')} ${number}`), h('p', { class: 'muted' }, t('unassigned')), form);
}

async function area(focus) {
  try {
    const [who, b, p, s] = await Promise.all([
      api('GET', '/account/session', undefined, session()),
      api('GET', '/account/bills', undefined, session()),
      api('GET', '/account/products', undefined, session()),
      api('GET', '/account/seats', undefined, session()),
    ]);
    const logout = async () => {
      await api('POST', '/account/logout', undefined, session()).catch(() => {});
      sessionStorage.removeItem(sessionKey);
      // The cart was bought as this customer: whoever uses this browser next starts their own.
      localStorage.removeItem(cartKey(shop));
      loginForm();
    };
    fill(main, 
      h('h1', {}, t('account')),
      h('p', {}, `${t('loggedInAs')} ${who.firstname} ${who.lastname} (${who.email}) `, h('button', { type: 'button', class: 'secondary', onclick: logout }, t('logout'))),
      h('section', {}, h('h2', {}, t('myBills')), bills(b.bills)),
      h('section', {}, h('h2', {}, t('myProducts')), products(p.products)),
      h('section', { id: 'seats' }, h('h2', {}, t('mySeats')), s.seats.length ? s.seats.map((seat, i) => seatRow(seat, 1 + s.seats.slice(0, i).filter((o) => o.bill === seat.bill && o.item_code === seat.item_code).length)) : h('p', {}, t('none'))));
    if (focus) document.getElementById(focus)?.scrollIntoView();
  } catch (e) {
    if (e instanceof Problem && e.status === 401) loginForm();
    else fill(main, h('p', { class: 'banner' }, problemText(e)));
  }
}

async function start() {
  const catalog = await api('GET', `/shops/${shop}/catalog?lang=${lang()}`);
  document.title = `${t('account')} — ${catalog.shop.name}`;
  document.getElementById('header').replaceChildren(header(catalog.shop.name));
  if (session() && item) {
    // Still signed in: straight back to the item (else the form, then back).
    const valid = await api('GET', '/account/session', undefined, session()).then(() => true, () => false);
    if (valid && backToItem()) return;
  }
  if (session()) await area();
  else loginForm();
}

start().catch((e) => fill(main, h('p', { class: 'banner' }, problemText(e))));
