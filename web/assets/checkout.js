// The checkout, one step at a time: the cart, then the shop's pre-order steps that this cart
// needs (required data, participants and seats, the buyer's details with the login first),
// then the order beside a recap of lines and totals. Progress shows every step; a done step
// can be opened again. Each step has one action; errors land at their fields.
import {
  api, cartKey, clearProblem, countryOptions, field, fill, h, handOff, header, inPageLanguage, lang, methodLabel, money, percent, problemText, reasonText, shopId, showCart, showProblem, t, tf,
} from './app.js';

const params = new URLSearchParams(location.search);
const shop = shopId();
const main = document.getElementById('main');
let catalog;
let shown = null; // the step on screen
// The customer signed in on this browser (the customer area's login), when the cart is not
// theirs yet: the customer step knows them, and its save makes the cart theirs.
let signedIn = null;

const cartId = () => params.get('cart') || localStorage.getItem(cartKey(shop));
const STEP_TITLES = { lines: 'stepLines', requirements: 'stepRequirements', participants: 'stepParticipants', customer: 'stepCustomer', order: 'stepOrder' };

/** The steps of this cart, in the shop's order. */
const sequence = (cart) => ['lines', ...catalog.shop.step_order.filter((s) => cart.steps[s] && cart.steps[s] !== 'not_needed'), 'order'];

/** The furthest step the buyer may open: the first one still needed. */
const reachable = (cart, step) => {
  const steps = sequence(cart);
  const frontier = cart.lines.length ? steps.indexOf(cart.next_step === 'order' ? 'order' : cart.next_step) : 0;
  return steps.indexOf(step) <= Math.max(frontier, 0);
};

function progress(cart) {
  const steps = sequence(cart);
  return h('nav', { 'aria-label': t('progress') }, h('ol', { class: 'progress' }, steps.map((step, i) => {
    const done = step === 'lines' ? cart.lines.length > 0 && shown !== 'lines' : cart.steps[step] === 'done';
    const label = [h('span', { class: 'num-step', 'aria-hidden': 'true' }, done ? '✓' : String(i + 1)), ' ', t(STEP_TITLES[step])];
    const current = step === shown;
    const item = current || !reachable(cart, step)
      ? h('span', { 'aria-current': current ? 'step' : false }, label)
      : h('button', { type: 'button', class: 'link', onclick: () => { shown = step; render(cart); } }, label);
    return h('li', { class: [current ? 'current' : '', done ? 'done' : ''].join(' ').trim() }, item);
  })), h('p', { class: 'muted' }, tf('stepOf', { n: steps.indexOf(shown) + 1, total: steps.length })));
}

/** A step's form: its fields, a banner for errors without a field, its one action. */
function stepForm(id, children, onsave, label = t('continue'), note = true) {
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert', tabindex: '-1' });
  const form = h('form', { id, novalidate: true }, banner, note ? h('p', { class: 'muted' }, t('requiredNote')) : null,
    children, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, label)));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    try {
      await onsave(form);
    } catch (e) {
      showProblem(form, e, banner);
    }
  });
  return form;
}

/** Saves a step and moves on to the next step the cart needs. */
async function saveAndGo(method, path, body) {
  const cart = await api(method, path, body);
  shown = cart.next_step;
  render(cart);
}

function totalsTable(cart) {
  return h('table', { class: 'totals-table' },
    h('tr', {}, h('th', {}, t('total'), ' ', t('exclTax')), h('td', { class: 'num' }, money(cart.totals.excl_tax, cart.currency))),
    cart.totals.taxes.map((x) => h('tr', {}, h('th', {}, `${t('tax')} ${percent(x.rate)}`), h('td', { class: 'num' }, money(x.amount, cart.currency)))),
    h('tr', {}, h('th', {}, t('total'), ' ', t('inclTax')), h('td', { class: 'num', id: 'total' }, h('strong', {}, money(cart.totals.incl_tax, cart.currency)))));
}

function linesStep(cart) {
  const rows = cart.lines.map((l) => {
    const qty = h('input', { type: 'number', min: '1', value: l.quantity, 'aria-label': `${t('quantity')} ${l.name}`, 'data-path': 'quantity', class: 'qty' });
    const error = h('span', { class: 'error', id: `qty-error-${l.code}` });
    qty.addEventListener('change', () => changeLine(cart, l.code, Number(qty.value), qty, error));
    return h('tr', {},
      h('td', { class: 'name' }, l.name,
        h('div', {}, h('button', { type: 'button', class: 'link', 'aria-label': `${t('remove')} ${l.name}`, onclick: () => changeLine(cart, l.code, 0) }, t('remove')))),
      h('td', {}, qty, error),
      h('td', { class: 'num hide-small' }, money(l.unit_price, cart.currency)),
      h('td', { class: 'num' }, money(l.total_incl_tax, cart.currency)));
  });
  if (!cart.lines.length) return h('section', {}, h('p', {}, t('emptyCart')), h('p', {}, h('a', { href: `/?shop=${shop}` }, t('catalogue'))));
  return h('section', {},
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, h('span', { class: 'sr-only' }, t('bought'))), h('th', {}, t('quantity')), h('th', { class: 'num hide-small' }, t('unitPrice')), h('th', { class: 'num' }, t('total')))), h('tbody', {}, rows)),
    totalsTable(cart),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'lines-continue', onclick: () => { shown = cart.next_step; render(cart); } }, t('continue'))));
}

async function changeLine(cart, code, quantity, input, error) {
  if (input && !(quantity >= 1)) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', error.id);
    error.textContent = reasonText({ code: 'invalid_quantity' });
    return;
  }
  try {
    render(await api('PUT', `/carts/${cart.id}/lines/${code}`, { quantity }));
  } catch (e) {
    if (!input) return;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', error.id);
    error.textContent = e.body?.errors?.map(reasonText).join(' · ') || problemText(e);
  }
}

function input(spec, value) {
  if (spec.type === 'select') {
    return h('select', {}, h('option', { value: '' }, t('choose')), spec.options.map((o, i) => h('option', { value: o, selected: o === value }, spec.option_labels?.[i] ?? o)));
  }
  if (spec.type === 'textarea') return h('textarea', {}, value || '');
  if (spec.type === 'checkbox') return h('input', { type: 'checkbox', checked: value === 'true' });
  const type = { email: 'email', number: 'text', date: 'date' }[spec.type] || 'text';
  return h('input', { type, value: value || '', inputmode: spec.type === 'number' ? 'decimal' : undefined });
}

function requirementsStep(cart) {
  const blocks = cart.lines.filter((l) => l.needs_data).map((l) => h('fieldset', {}, h('legend', {}, l.name),
    Array.from({ length: l.quantity }, (_, unit) => h('div', { class: 'unit', 'data-code': l.code, 'data-unit': unit },
      l.quantity > 1 ? h('h3', {}, `${t('unit')} ${unit + 1}`) : null,
      h('div', { class: 'row' }, l.required_data.map((spec) => {
        const el = input(spec, cart.requirements[l.code]?.[unit]?.[spec.field]);
        el.dataset.field = spec.field;
        return field(spec.label, el, `${l.code}[${unit}].${spec.field}`, { required: spec.required });
      }))))));
  return stepForm('requirements', blocks, async (form) => {
    const body = {};
    form.querySelectorAll('[data-unit]').forEach((row) => {
      const forms = (body[row.dataset.code] ||= []);
      const values = {};
      row.querySelectorAll('[data-field]').forEach((el) => {
        values[el.dataset.field] = el.type === 'checkbox' ? String(el.checked) : el.value;
      });
      forms.push(values);
    });
    await saveAndGo('PUT', `/carts/${cart.id}/requirements`, body);
  });
}

function participantsStep(cart) {
  const list = h('div', {});
  const addRow = (p = {}) => {
    const i = list.children.length;
    list.append(h('div', { class: 'row participant' },
      field(t('email'), h('input', { type: 'email', value: p.email || '', 'data-name': 'email', autocomplete: 'off' }), `participants[${i}].email`, { required: true }),
      field(t('firstname'), h('input', { value: p.firstname || '', 'data-name': 'firstname' }), `participants[${i}].firstname`, { required: true }),
      field(t('lastname'), h('input', { value: p.lastname || '', 'data-name': 'lastname' }), `participants[${i}].lastname`, { required: true })));
  };
  cart.participants.forEach(addRow);
  if (!cart.participants.length) addRow();
  const seats = cart.lines.filter((l) => l.seats > 0).map((l) => {
    const held = Object.entries(cart.assignments[l.code] || {}).flatMap(([role, emails]) => emails.map((e) => [role, e]));
    const roles = l.seat_roles;
    return h('fieldset', { 'data-code': l.code }, h('legend', {}, l.name),
      Array.from({ length: l.seats }, (_, n) => {
        const email = h('select', { class: 'seat-email' }, h('option', { value: '' }, t('choose')),
          [...list.querySelectorAll('[data-name=email]')].map((e) => e.value).filter(Boolean)
            .map((e) => h('option', { value: e, selected: held[n]?.[1] === e }, e)));
        // A role is chosen only when the item offers more than one.
        const role = roles.length > 1
          ? field(t('role'), h('select', { class: 'seat-role' }, roles.map((r) => h('option', { value: r, selected: held[n]?.[0] === r }, t(`role_${r}`) === `role_${r}` ? r : t(`role_${r}`)))))
          : h('input', { type: 'hidden', class: 'seat-role', value: roles[0] });
        return h('div', { class: 'row seat' }, field(`${t('seat')} ${n + 1}`, email), role);
      }));
  });
  // The seat choices follow the participants as they are typed.
  list.addEventListener('input', () => {
    document.querySelectorAll('.seat-email').forEach((select) => refreshChoices(select, list));
  });
  return stepForm('participants',
    [h('p', { class: 'muted' }, t('participantsHelp')), list,
      h('button', { type: 'button', class: 'secondary', onclick: () => addRow() }, t('addParticipant')), seats],
    async (form) => {
      const participants = [...list.querySelectorAll('.participant')].map((row) => Object.fromEntries(
        [...row.querySelectorAll('[data-name]')].map((el) => [el.dataset.name, el.value.trim()])))
        .filter((p) => p.email || p.firstname || p.lastname);
      const assignments = {};
      form.querySelectorAll('fieldset[data-code]').forEach((fs) => {
        const code = fs.dataset.code;
        fs.querySelectorAll('.seat').forEach((seat) => {
          const email = seat.querySelector('.seat-email');
          const role = seat.querySelector('.seat-role').value;
          if (!email.value) return;
          const taken = ((assignments[code] ||= {})[role] ||= []);
          email.dataset.path = `assignments.${code}.${role}[${taken.length}]`;
          taken.push(email.value);
        });
      });
      await saveAndGo('PUT', `/carts/${cart.id}/participants`, { participants, assignments });
    });
}

function refreshChoices(select, list) {
  const current = select.value;
  const emails = [...list.querySelectorAll('[data-name=email]')].map((e) => e.value.trim()).filter(Boolean);
  fill(select, h('option', { value: '' }, t('choose')), emails.map((e) => h('option', { value: e, selected: e === current }, e)));
}

/** Who the checkout is signed in as. */
const signedInAs = (account) => h('p', { class: 'notice' }, `${t('loggedInAs')} ${account.email}`);

/** The login proposal, before the form it fills. */
function loginBox(cart) {
  // Proposed for the address typed: that address signs the account in.
  const proposed = (cart.account.login_proposed && cart.customer?.email) || '';
  const username = h('input', { autocomplete: 'username', value: proposed });
  const password = h('input', { type: 'password', autocomplete: 'current-password' });
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert', tabindex: '-1' });
  const form = h('form', { id: 'login', class: 'notice', novalidate: true },
    h('p', {}, cart.account.login_proposed ? t('loginProposed') : t('haveAccount')), banner,
    h('div', { class: 'row' }, field(t('username'), username, 'username'), field(t('password'), password, 'password'),
      h('button', { type: 'submit', class: 'secondary' }, t('login'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    try {
      const r = await api('POST', `/carts/${cart.id}/login`, { username: username.value, password: password.value });
      sessionStorage.setItem(`enrolshop.session.${shop}`, r.session);
      render(r.cart);
    } catch (e) {
      showProblem(form, e, banner);
    }
  });
  return form;
}

const AUTOCOMPLETE = { firstname: 'given-name', lastname: 'family-name', email: 'email', zip: 'postal-code', country: 'country', phone: 'tel', address: 'street-address', organisation: 'organization', city: 'address-level2' };
const OPTIONAL = ['organisation', 'phone', 'vat_number'];

function customerStep(cart) {
  // A first order of a customer signed in starts from their account's names and email.
  const account = cart.account.logged_in ? cart.account : signedIn || cart.account;
  const { firstname, lastname, email } = account;
  const c = cart.customer || (account.logged_in ? { firstname, lastname, email } : {});
  const fields = ['firstname', 'lastname', 'email', 'organisation', 'vat_number', 'address', 'zip', 'city', 'country', 'phone'].map((name) => {
    const el = name === 'country'
      ? h('select', { 'data-name': name, autocomplete: 'country' }, h('option', { value: '' }, t('choose')), countryOptions(c.country || catalog.shop.seller?.country))
      : h('input', { value: c[name] || '', 'data-name': name, type: { email: 'email', phone: 'tel' }[name] || 'text', autocomplete: AUTOCOMPLETE[name] });
    return field(t(name), el, `customer.${name}`, { required: !OPTIONAL.includes(name) });
  });
  const who = account.logged_in ? signedInAs(account) : loginBox(cart);
  return h('div', {}, who, stepForm('customer', [h('div', { class: 'row' }, fields)], async (form) => {
    const customer = Object.fromEntries([...form.querySelectorAll('[data-name]')].map((el) => [el.dataset.name, el.value.trim()]));
    for (const k of OPTIONAL) if (!customer[k]) delete customer[k];
    await saveAndGo('PUT', `/carts/${cart.id}/customer`, { customer });
  }));
}

function recap(cart) {
  return h('aside', { class: 'recap', 'aria-labelledby': 'recap-title' }, h('h2', { id: 'recap-title' }, t('recap')),
    h('table', {}, h('tbody', {}, cart.lines.map((l) => h('tr', {}, h('td', { class: 'name' }, `${l.quantity} × ${l.name}`), h('td', { class: 'num' }, money(l.total_incl_tax, cart.currency)))))),
    totalsTable(cart),
    cart.customer ? h('p', { class: 'muted' }, `${cart.customer.firstname} ${cart.customer.lastname} · ${cart.customer.email}`) : null);
}

function orderStep(cart) {
  const total = Number(cart.totals.incl_tax);
  const offered = catalog.shop.payment_methods;
  const methods = offered.filter((m) => (m === 'free' ? total === 0 : m !== 'free') && (m !== 'test' || catalog.shop.test_mode));
  const eulas = cart.lines.map((l) => l.eula).filter(Boolean);
  const accept = h('input', { type: 'checkbox', 'data-path': 'accept_terms', id: 'accept-terms', 'aria-required': 'true' });
  const fallback = methods.includes(catalog.shop.default_payment_method) ? catalog.shop.default_payment_method : methods[0];
  const choices = h('fieldset', { 'data-path': 'payment_method', class: 'methods' }, h('legend', {}, t('paymentMethod')),
    methods.map((m) => h('label', { class: 'method' },
      h('input', { type: 'radio', name: 'method', value: m, checked: m === fallback }),
      h('span', {}, methodLabel(m, offered)))),
    h('span', { class: 'error' }));
  const form = stepForm('order', [
    catalog.shop.terms || eulas.length ? h('div', { class: 'terms' }, h('h3', {}, t('terms')), catalog.shop.terms ? h('p', {}, catalog.shop.terms) : null, eulas.map((e) => h('p', {}, e))) : null,
    h('div', { class: 'field' }, h('label', { class: 'check', for: 'accept-terms' }, accept, t('accept')), h('span', { class: 'error' })),
    choices,
  ], async () => {
    const method = form.querySelector('input[name=method]:checked')?.value || '';
    const placed = await api('POST', `/carts/${cart.id}/order`, { payment_method: method, accept_terms: accept.checked });
    localStorage.removeItem(cartKey(shop));
    handOff(shop, placed.bill_id, placed.access_token, placed.payment?.action);
  }, t('placeOrder'), false);
  // A guest who typed a known customer's address is proposed to sign in here too, where they
  // land after that step (before, the proposal waited on a step already done); once signed
  // in, it says who.
  const who = cart.account.logged_in ? signedInAs(cart.account) : cart.account.login_proposed ? loginBox(cart) : null;
  return h('div', {}, who, h('div', { class: 'order-grid' }, form, recap(cart)));
}

function render(cart) {
  showCart(cart);
  if (!shown || !reachable(cart, shown) || !sequence(cart).includes(shown)) shown = 'lines';
  const steps = { lines: linesStep, requirements: requirementsStep, participants: participantsStep, customer: customerStep, order: orderStep };
  const refused = params.get('refused');
  fill(main,
    h('h1', {}, t('checkout')),
    refused ? h('p', { class: 'notice', role: 'status' }, tf('refused', { codes: refused.split(',').join(', ') })) : null,
    cart.lines.length ? progress(cart) : null,
    h('section', { 'aria-labelledby': 'step-title', class: 'step' }, h('h2', { id: 'step-title', tabindex: '-1' }, t(STEP_TITLES[shown])), steps[shown](cart)));
  if (document.activeElement === document.body || !main.contains(document.activeElement)) document.getElementById('step-title').focus({ preventScroll: false });
}

async function start() {
  const id = cartId();
  catalog = await api('GET', `/shops/${shop}/catalog?lang=${lang()}`);
  document.title = `${t('checkout')} — ${catalog.shop.name}`;
  document.getElementById('header').replaceChildren(header(catalog.shop.name));
  if (!id || params.get('link') === 'invalid') {
    fill(main, h('h1', {}, t('checkout')),
      params.get('link') === 'invalid' ? h('p', { class: 'notice', role: 'status' }, t('badLink')) : null,
      h('p', {}, t('emptyCart')), h('p', {}, h('a', { href: `/?shop=${shop}` }, t('catalogue'))));
    return;
  }
  localStorage.setItem(cartKey(shop), id);
  const cart = await inPageLanguage(await api('GET', `/carts/${id}`));
  if (!cart.account.logged_in) {
    const who = await api('GET', '/account/session').catch(() => null);
    signedIn = who?.shop === shop ? { logged_in: true, email: who.email, firstname: who.firstname, lastname: who.lastname } : null;
  }
  // A buyer coming back to a cart half done resumes where it stopped; a new cart opens on its lines.
  const started = Object.values(cart.steps).includes('done');
  shown = started ? cart.next_step : 'lines';
  render(cart);
}

start().catch((e) => fill(main, h('p', { class: 'banner' }, problemText(e))));
