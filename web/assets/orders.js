// "Find my orders": the buyer gives their email and is mailed the links to their orders. The
// answer is the same whether the address has orders or not.
import {
  api, clearProblem, field, fill, h, header, lang, problemText, shopId, showProblem, t,
} from './app.js';

const shop = shopId();
const main = document.getElementById('main');

async function start() {
  const catalog = await api('GET', `/shops/${shop}/catalog?lang=${lang()}`);
  document.title = `${t('findOrders')} — ${catalog.shop.name}`;
  document.getElementById('header').replaceChildren(header(catalog.shop.name));
  const email = h('input', { type: 'email', autocomplete: 'email', required: true });
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const done = h('p', { class: 'notice', hidden: true, role: 'status' });
  const form = h('form', { id: 'lookup' }, banner, field(t('email'), email, 'email'),
    h('button', { type: 'submit', class: 'primary' }, t('send')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    try {
      await api('POST', `/shops/${shop}/orders/lookup`, { email: email.value });
      done.textContent = t('findOrdersSent');
      done.hidden = false;
    } catch (e) {
      showProblem(form, e, banner);
    }
  });
  fill(main, h('h1', {}, t('findOrders')), h('p', {}, t('findOrdersIntro')), h('section', {}, form, done));
}

start().catch((e) => fill(main, h('p', { class: 'banner' }, problemText(e))));
