// The customer area: log in with the learning site's credentials, then my orders (with their
// invoices), my products (dates and state) and my seats (assign, unassign).
import {
  api, clearProblem, date, field, fill, h, header, lang, money, Problem, problemText, shopId, showProblem, t,
} from './app.js';

const shop = shopId();
const main = document.getElementById('main');
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
      await area();
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
  return h('table', { id: 'bills' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, t('status')), h('th', { class: 'num' }, t('total')), h('th', {}, ''))),
    h('tbody', {}, list.map((b) => h('tr', { 'data-bill': b.id },
      h('td', {}, b.invoice_number || b.id, h('div', { class: 'muted' }, date(b.placed_at))),
      h('td', {}, h('span', { class: `status ${b.status}` }, t(`status_${b.status}`))),
      h('td', { class: 'num' }, money(b.total, b.currency)),
      h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => openDocument(b.links.invoice) }, t('invoice')))))));
}

function products(list) {
  const shown = list.filter((p) => p.context !== 'seat');
  if (!shown.length) return h('p', {}, t('none'));
  return h('table', { id: 'products' },
    h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, t('course')), h('th', {}, t('start')), h('th', {}, t('end')), h('th', {}, t('status')))),
    h('tbody', {}, shown.map((p) => h('tr', { 'data-reference': p.reference },
      h('td', {}, p.item_code, h('div', { class: 'muted' }, p.reference)),
      h('td', {}, p.instance_id ?? '—'),
      h('td', {}, date(p.start)), h('td', {}, date(p.end)),
      h('td', {}, h('span', { class: `status ${p.status}` }, t(`state_${p.status}`)))))));
}

function seatRow(seat) {
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
      h('span', {}, `${holder.firstname} ${holder.lastname} <${holder.email}> — ${t('course')} ${holder.course}`),
      h('button', { type: 'submit', class: 'secondary' }, t('unassign')));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); act(`/account/seats/${seat.reference}/unassign`, undefined, form); });
    return h('div', { class: 'card seat', 'data-reference': seat.reference }, h('strong', {}, seat.reference), form);
  }
  const inputs = ['email', 'firstname', 'lastname'].map((name) => [name, h('input', { type: name === 'email' ? 'email' : 'text', 'data-name': name })]);
  const course = seat.allowed_courses.length > 1
    ? h('select', { 'data-name': 'course' }, seat.allowed_courses.map((c) => h('option', { value: c }, c)))
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
  return h('div', { class: 'card seat', 'data-reference': seat.reference }, h('strong', {}, seat.reference), ' ', h('span', { class: 'muted' }, t('unassigned')), form);
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
      loginForm();
    };
    fill(main, 
      h('h1', {}, t('account')),
      h('p', {}, `${t('loggedInAs')} ${who.firstname} ${who.lastname} (${who.email}) `, h('button', { type: 'button', class: 'secondary', onclick: logout }, t('logout'))),
      h('section', {}, h('h2', {}, t('myBills')), bills(b.bills)),
      h('section', {}, h('h2', {}, t('myProducts')), products(p.products)),
      h('section', { id: 'seats' }, h('h2', {}, t('mySeats')), s.seats.length ? s.seats.map(seatRow) : h('p', {}, t('none'))));
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
  if (session()) await area();
  else loginForm();
}

start().catch((e) => fill(main, h('p', { class: 'banner' }, problemText(e))));
