// The checkout: every pre-order step of the cart (lines, required data, participants and
// seats, customer with login and pre-fill), then the order (terms, payment method) and the
// payment hand-off. Each step saves through the API and shows its errors at their fields.
import {
  api, cartKey, clearProblem, field, fill, h, handOff, header, inPageLanguage, money, shopId, showProblem, t,
} from './app.js';

const params = new URLSearchParams(location.search);
const shop = shopId();
const main = document.getElementById('main');
let catalog;

const cartId = () => params.get('cart') || localStorage.getItem(cartKey(shop));

/** A step's form: its fields, a banner for errors without a field, a save button. */
function stepForm(id, title, state, children, onsave, label = t('save')) {
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const form = h('form', { id, novalidate: true }, banner, children, h('button', { type: 'submit', class: 'primary' }, label));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    try {
      await onsave(form);
    } catch (e) {
      showProblem(form, e, banner);
    }
  });
  return h('section', { 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title`, class: state === 'done' ? 'step-done' : '' }, title), form);
}

function linesStep(cart) {
  const rows = cart.lines.map((l) => {
    const qty = h('input', { type: 'number', min: '0', value: l.quantity, 'aria-label': `${t('quantity')} ${l.name}`, 'data-path': 'quantity' });
    qty.addEventListener('change', () => save(`/carts/${cart.id}/lines/${l.code}`, { quantity: Number(qty.value) }, qty));
    return h('tr', {},
      h('td', {}, l.name),
      h('td', {}, qty, h('span', { class: 'error', role: 'alert' })),
      h('td', { class: 'num hide-small' }, money(l.unit_price, cart.currency)),
      h('td', { class: 'num' }, money(l.total_incl_tax, cart.currency)),
      h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => save(`/carts/${cart.id}/lines/${l.code}`, { quantity: 0 }) }, t('remove'))));
  });
  const totals = h('table', {},
    h('tr', {}, h('th', {}, t('exclTax')), h('td', { class: 'num' }, money(cart.totals.excl_tax, cart.currency))),
    cart.totals.taxes.map((x) => h('tr', {}, h('th', {}, `${t('tax')} ${x.rate} %`), h('td', { class: 'num' }, money(x.amount, cart.currency)))),
    h('tr', {}, h('th', {}, t('inclTax')), h('td', { class: 'num', id: 'total' }, money(cart.totals.incl_tax, cart.currency))));
  return h('section', {}, h('h2', {}, t('stepLines')),
    cart.lines.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, t('quantity')), h('th', { class: 'num hide-small' }, t('unitPrice')), h('th', { class: 'num' }, t('total')), h('th', {}, ''))), h('tbody', {}, rows)) : h('p', {}, t('emptyCart')),
    cart.lines.length ? totals : null);
}

async function save(path, body, input) {
  try {
    render(await api('PUT', path, body));
  } catch (e) {
    if (input) input.parentElement.querySelector('.error').textContent = e.body?.errors?.map((x) => x.reason).join(' · ') || e.message;
  }
}

function input(spec, value) {
  if (spec.type === 'select') {
    return h('select', {}, h('option', { value: '' }, t('choose')), spec.options.map((o) => h('option', { value: o, selected: o === value }, o)));
  }
  if (spec.type === 'textarea') return h('textarea', {}, value || '');
  if (spec.type === 'checkbox') return h('input', { type: 'checkbox', checked: value === 'true' });
  const type = { email: 'email', number: 'text', date: 'date' }[spec.type] || 'text';
  return h('input', { type, value: value || '' });
}

function requirementsStep(cart) {
  const blocks = cart.lines.filter((l) => l.needs_data).map((l) => {
    const item = l; // the cart's line carries its form's fields
    return h('fieldset', {}, h('legend', {}, l.name),
      Array.from({ length: l.quantity }, (_, unit) => h('div', { class: 'row', 'data-code': l.code, 'data-unit': unit },
        h('strong', {}, `${t('unit')} ${unit + 1}`),
        item.required_data.map((spec) => {
          const el = input(spec, cart.requirements[l.code]?.[unit]?.[spec.field]);
          el.dataset.field = spec.field;
          return field(spec.label + (spec.required ? ' *' : ''), el, `${l.code}[${unit}].${spec.field}`);
        }))));
  });
  return stepForm('requirements', t('stepRequirements'), cart.steps.requirements, blocks, async (form) => {
    const body = {};
    form.querySelectorAll('[data-unit]').forEach((row) => {
      const forms = (body[row.dataset.code] ||= []);
      const values = {};
      row.querySelectorAll('[data-field]').forEach((el) => {
        values[el.dataset.field] = el.type === 'checkbox' ? String(el.checked) : el.value;
      });
      forms.push(values);
    });
    render(await api('PUT', `/carts/${cart.id}/requirements`, body));
  });
}

function participantsStep(cart) {
  const list = h('div', {});
  const addRow = (p = {}) => {
    const i = list.children.length;
    list.append(h('div', { class: 'row participant' },
      field(t('email'), h('input', { type: 'email', value: p.email || '', 'data-name': 'email' }), `participants[${i}].email`),
      field(t('firstname'), h('input', { value: p.firstname || '', 'data-name': 'firstname' }), `participants[${i}].firstname`),
      field(t('lastname'), h('input', { value: p.lastname || '', 'data-name': 'lastname' }), `participants[${i}].lastname`)));
  };
  cart.participants.forEach(addRow);
  if (!cart.participants.length) addRow();
  const seats = cart.lines.filter((l) => l.seats > 0).map((l) => {
    const item = l; // and the roles its seats may be given
    const held = Object.entries(cart.assignments[l.code] || {}).flatMap(([role, emails]) => emails.map((e) => [role, e]));
    return h('fieldset', { 'data-code': l.code }, h('legend', {}, l.name),
      Array.from({ length: l.seats }, (_, n) => {
        const email = h('select', { class: 'seat-email' }, h('option', { value: '' }, t('choose')),
          [...list.querySelectorAll('[data-name=email]')].map((e) => e.value).filter(Boolean)
            .map((e) => h('option', { value: e, selected: held[n]?.[1] === e }, e)));
        const role = h('select', { class: 'seat-role' }, item.seat_roles.map((r) => h('option', { value: r, selected: held[n]?.[0] === r }, r)));
        return h('div', { class: 'row seat' }, field(`${t('seat')} ${n + 1}`, email), field(t('role'), role));
      }));
  });
  // The seat choices follow the participants as they are typed.
  list.addEventListener('input', () => {
    document.querySelectorAll('.seat-email').forEach((select) => refreshChoices(select, list));
  });
  return stepForm('participants', t('stepParticipants'), cart.steps.participants,
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
          const roles = ((assignments[code] ||= {})[role] ||= []);
          email.dataset.path = `assignments.${code}.${role}[${roles.length}]`;
          roles.push(email.value);
        });
      });
      render(await api('PUT', `/carts/${cart.id}/participants`, { participants, assignments }));
    });
}

function refreshChoices(select, list) {
  const current = select.value;
  const emails = [...list.querySelectorAll('[data-name=email]')].map((e) => e.value.trim()).filter(Boolean);
  fill(select, h('option', { value: '' }, t('choose')), emails.map((e) => h('option', { value: e, selected: e === current }, e)));
}

function loginBox(cart) {
  const username = h('input', { autocomplete: 'username' });
  const password = h('input', { type: 'password', autocomplete: 'current-password' });
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const form = h('form', { id: 'login', class: cart.account.login_proposed ? 'notice' : '' },
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

function customerStep(cart) {
  const c = cart.customer || {};
  const fields = ['firstname', 'lastname', 'email', 'organisation', 'address', 'zip', 'city', 'country', 'phone'].map((name) => {
    const el = h('input', { value: c[name] || '', 'data-name': name, type: name === 'email' ? 'email' : 'text', autocomplete: { firstname: 'given-name', lastname: 'family-name', email: 'email', zip: 'postal-code', country: 'country', phone: 'tel', address: 'street-address', organisation: 'organization', city: 'address-level2' }[name] });
    return field(t(name), el, `customer.${name}`);
  });
  const who = cart.account.logged_in ? h('p', { class: 'notice' }, `${t('loggedInAs')} ${cart.account.email}`) : loginBox(cart);
  return h('div', {}, stepForm('customer', t('stepCustomer'), cart.steps.customer, [h('div', { class: 'row' }, fields)], async (form) => {
    const customer = Object.fromEntries([...form.querySelectorAll('[data-name]')].map((el) => [el.dataset.name, el.value.trim()]));
    for (const k of ['organisation', 'phone']) if (!customer[k]) delete customer[k];
    render(await api('PUT', `/carts/${cart.id}/customer`, { customer }));
  }), who);
}

function orderStep(cart) {
  const total = Number(cart.totals.incl_tax);
  const methods = catalog.shop.payment_methods.filter((m) => (m === 'free' ? total === 0 : m !== 'free') && (m !== 'test' || catalog.shop.test_mode));
  const eulas = cart.lines.map((l) => l.eula).filter(Boolean);
  const accept = h('input', { type: 'checkbox', 'data-path': 'accept_terms' });
  const choices = h('fieldset', { 'data-path': 'payment_method' }, h('legend', {}, t('paymentMethod')),
    methods.map((m, i) => h('label', { class: 'method' },
      h('input', { type: 'radio', name: 'method', value: m, checked: m === catalog.shop.default_payment_method || (i === 0 && !methods.includes(catalog.shop.default_payment_method)) }),
      ` ${t(`method_${m}`)} `)),
    h('span', { class: 'error', role: 'alert' }));
  return stepForm('order', t('stepOrder'), 'needed', [
    h('p', {}, `${t('total')} ${t('inclTax')}: `, h('strong', {}, money(cart.totals.incl_tax, cart.currency))),
    catalog.shop.terms || eulas.length ? h('div', { class: 'terms' }, h('h3', {}, t('terms')), catalog.shop.terms ? h('p', {}, catalog.shop.terms) : null, eulas.map((e) => h('p', {}, e))) : null,
    h('div', { class: 'field' }, h('label', {}, accept, ' ', t('accept')), h('span', { class: 'error', role: 'alert' })),
    choices,
  ], async (form) => {
    const method = form.querySelector('input[name=method]:checked')?.value || '';
    const placed = await api('POST', `/carts/${cart.id}/order`, { payment_method: method, accept_terms: accept.checked });
    localStorage.removeItem(cartKey(shop));
    handOff(shop, placed.bill_id, placed.access_token, placed.payment?.action);
  }, t('placeOrder'));
}

function render(cart) {
  const steps = { requirements: requirementsStep, participants: participantsStep, customer: customerStep };
  const parts = [h('h1', {}, t('checkout')), linesStep(cart)];
  if (cart.lines.length) {
    for (const step of catalog.shop.step_order) {
      if (cart.steps[step] !== 'not_needed') parts.push(steps[step](cart));
    }
    if (cart.next_step === 'order') parts.push(orderStep(cart));
  }
  fill(main, ...parts);
  const next = document.getElementById(cart.next_step);
  if (next && document.activeElement === document.body) next.scrollIntoView({ block: 'start' });
}

async function start() {
  const id = cartId();
  catalog = await api('GET', `/shops/${shop}/catalog`);
  document.title = `${t('checkout')} — ${catalog.shop.name}`;
  document.getElementById('header').replaceChildren(header(catalog.shop.name));
  if (!id) {
    fill(main, h('h1', {}, t('checkout')), h('p', {}, t('emptyCart')));
    return;
  }
  localStorage.setItem(cartKey(shop), id);
  render(await inPageLanguage(await api('GET', `/carts/${id}`)));
}

start().catch((e) => fill(main, h('p', { class: 'banner' }, e.message)));
