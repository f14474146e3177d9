// Shared code of the shop's pages: the API, translations (English, French), rendering helpers
// and the field errors of problem+json answers. Plain ES module, no build step.

export const shopId = () => new URLSearchParams(location.search).get('shop') || 'demo';

const STRINGS = {
  en: {
    catalogue: 'Catalogue', cart: 'Cart', account: 'My account', checkout: 'Checkout',
    all: 'All', add: 'Add to cart', added: 'Added to your cart.', goCheckout: 'Go to checkout',
    search: 'Search', category: 'Category', more: 'Show more', noItems: 'No item matches.',
    previewOnSale: 'Preview: this is how buyers see this item.', previewDraft: 'Preview: buyers do not see this item until it is on sale.',
    quantity: 'Quantity', upTo: 'up to', andMore: 'and more', exclTax: 'excl. tax', inclTax: 'incl. tax',
    unitPrice: 'Unit price', total: 'Total', tax: 'Tax', remove: 'Remove', save: 'Save',
    emptyCart: 'Your cart is empty.', preview: 'Coming soon', password: 'Password',
    stepLines: 'Your cart', stepRequirements: 'Required information', stepParticipants: 'Participants',
    stepCustomer: 'Your details', stepOrder: 'Order', unit: 'Unit',
    participantsHelp: 'Name each participant once, then give each seat to one of them.',
    addParticipant: 'Add a participant', seat: 'Seat', role: 'Role', choose: 'Choose…',
    firstname: 'First name', lastname: 'Last name', email: 'Email', address: 'Address', zip: 'Postcode',
    city: 'City', country: 'Country (2 letters)', organisation: 'Organisation', phone: 'Phone',
    haveAccount: 'Already have an account on our learning site? Log in to fill this in.',
    loginProposed: 'An account exists for this email address: log in to use it.',
    username: 'Username', login: 'Log in', logout: 'Log out', loggedInAs: 'Logged in as',
    terms: 'Terms', accept: 'I accept the terms of sale', paymentMethod: 'Payment method',
    placeOrder: 'Place the order', payNow: 'Pay',
    method_test: 'Test payment', method_free: 'Free', method_check: 'Cheque', method_transfer: 'Bank transfer',
    method_paypal: 'PayPal', method_stripe: 'Card (Stripe)', method_systempay: 'Card (Systempay)',
    method_sips: 'Card (Sips)', method_ogone: 'Card (Ogone)',
    bill: 'Your order', status: 'Status', invoice: 'Invoice', invoicePdf: 'Invoice (PDF)',
    confirming: 'Your payment is being confirmed. This page updates by itself.',
    status_PLACED: 'Placed', status_PENDING: 'Awaiting payment', status_PAID: 'Paid — delivering',
    status_PARTIAL: 'Partly paid', status_PREPROD: 'Delivering before payment',
    status_COMPLETE: 'Complete: everything is delivered', status_FAILED: 'Payment failed',
    status_CANCELLED: 'Cancelled', status_REFUNDED: 'Refunded', status_PAYBACK: 'Paid back',
    testPay: 'Simulate a successful payment', testFail: 'Simulate a failed payment',
    retry: 'Try again with another method', production: 'Delivery',
    prod_awaiting_payment: 'awaiting payment', prod_queued: 'queued', prod_in_progress: 'in progress',
    prod_done: 'delivered', prod_failed: 'failed', prod_revoked: 'revoked',
    noToken: 'This order can only be opened from the browser that placed it, or with its link.',
    findOrders: 'Find my orders', findOrdersIntro: 'Give the email address you ordered with: we send it the links to your orders.',
    email: 'Email', send: 'Send me the links',
    findOrdersSent: 'If this address has orders at this shop, a message with their links is on its way. Look in your mailbox (and its spam folder).',
    myBills: 'My orders', myProducts: 'My products', mySeats: 'My seats', none: 'Nothing yet.',
    start: 'Start', end: 'End', noEnd: 'no end', course: 'Course', assign: 'Assign', unassign: 'Unassign',
    holder: 'Holder', unassigned: 'unassigned', state_running: 'running', state_expiring: 'expiring soon',
    state_expired: 'expired', state_suspended: 'suspended', open: 'Open',
    error: 'Something went wrong', fixFields: 'Please correct the highlighted fields.',
  },
  fr: {
    catalogue: 'Catalogue', cart: 'Panier', account: 'Mon compte', checkout: 'Commande',
    all: 'Tout', add: 'Ajouter au panier', added: 'Ajouté à votre panier.', goCheckout: 'Passer commande',
    search: 'Rechercher', category: 'Catégorie', more: 'Afficher la suite', noItems: 'Aucun article ne correspond.',
    previewOnSale: 'Aperçu : voici l’article tel que les acheteurs le voient.', previewDraft: 'Aperçu : les acheteurs ne verront cet article qu’une fois en vente.',
    quantity: 'Quantité', upTo: "jusqu'à", andMore: 'et plus', exclTax: 'HT', inclTax: 'TTC',
    unitPrice: 'Prix unitaire', total: 'Total', tax: 'TVA', remove: 'Retirer', save: 'Enregistrer',
    emptyCart: 'Votre panier est vide.', preview: 'Bientôt disponible', password: 'Mot de passe',
    stepLines: 'Votre panier', stepRequirements: 'Informations requises', stepParticipants: 'Participants',
    stepCustomer: 'Vos coordonnées', stepOrder: 'Commande', unit: 'Unité',
    participantsHelp: 'Nommez chaque participant une fois, puis attribuez chaque place à l’un d’eux.',
    addParticipant: 'Ajouter un participant', seat: 'Place', role: 'Rôle', choose: 'Choisir…',
    firstname: 'Prénom', lastname: 'Nom', email: 'Courriel', address: 'Adresse', zip: 'Code postal',
    city: 'Ville', country: 'Pays (2 lettres)', organisation: 'Organisme', phone: 'Téléphone',
    haveAccount: 'Vous avez déjà un compte sur notre plateforme ? Connectez-vous pour remplir ceci.',
    loginProposed: 'Un compte existe pour cette adresse : connectez-vous pour l’utiliser.',
    username: "Nom d'utilisateur", login: 'Se connecter', logout: 'Se déconnecter', loggedInAs: 'Connecté en tant que',
    terms: 'Conditions', accept: "J'accepte les conditions de vente", paymentMethod: 'Moyen de paiement',
    placeOrder: 'Passer la commande', payNow: 'Payer',
    method_test: 'Paiement de test', method_free: 'Gratuit', method_check: 'Chèque', method_transfer: 'Virement',
    method_paypal: 'PayPal', method_stripe: 'Carte (Stripe)', method_systempay: 'Carte (Systempay)',
    method_sips: 'Carte (Sips)', method_ogone: 'Carte (Ogone)',
    bill: 'Votre commande', status: 'État', invoice: 'Facture', invoicePdf: 'Facture (PDF)',
    confirming: 'Votre paiement est en cours de confirmation. Cette page se met à jour seule.',
    status_PLACED: 'Enregistrée', status_PENDING: 'En attente de paiement', status_PAID: 'Payée — livraison en cours',
    status_PARTIAL: 'Payée en partie', status_PREPROD: 'Livraison avant paiement',
    status_COMPLETE: 'Terminée : tout est livré', status_FAILED: 'Paiement refusé',
    status_CANCELLED: 'Annulée', status_REFUNDED: 'Remboursée', status_PAYBACK: 'Remboursée (retour)',
    testPay: 'Simuler un paiement réussi', testFail: 'Simuler un paiement refusé',
    retry: 'Réessayer avec un autre moyen', production: 'Livraison',
    prod_awaiting_payment: 'en attente du paiement', prod_queued: 'en file', prod_in_progress: 'en cours',
    prod_done: 'livré', prod_failed: 'en échec', prod_revoked: 'révoqué',
    noToken: "Cette commande ne s'ouvre que depuis le navigateur qui l'a passée, ou avec son lien.",
    findOrders: 'Retrouver mes commandes', findOrdersIntro: "Indiquez l'adresse e-mail de vos commandes : nous y envoyons leurs liens.",
    email: 'E-mail', send: "M'envoyer les liens",
    findOrdersSent: 'Si cette adresse a des commandes dans cette boutique, un message avec leurs liens est en route. Regardez votre messagerie (et ses indésirables).',
    myBills: 'Mes commandes', myProducts: 'Mes produits', mySeats: 'Mes places', none: 'Rien pour le moment.',
    start: 'Début', end: 'Fin', noEnd: 'sans fin', course: 'Cours', assign: 'Attribuer', unassign: 'Retirer',
    holder: 'Titulaire', unassigned: 'non attribuée', state_running: 'actif', state_expiring: 'expire bientôt',
    state_expired: 'expiré', state_suspended: 'suspendu', open: 'Ouvrir',
    error: 'Une erreur est survenue', fixFields: 'Corrigez les champs signalés.',
  },
};

export const lang = () => {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'en' || asked === 'fr') localStorage.setItem('enrolshop.lang', asked);
  const kept = localStorage.getItem('enrolshop.lang');
  if (kept === 'en' || kept === 'fr') return kept;
  return (navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en';
};

/** The cart in the page's language, which its bill's messages and documents will use. */
export async function inPageLanguage(cart) {
  if (cart.language === lang()) return cart;
  try { return await api('PUT', `/carts/${cart.id}/language`, { language: lang() }); } catch { return cart; }
}

export const t = (key) => STRINGS[lang()][key] ?? STRINGS.en[key] ?? key;

/** Creates an element: h('p', {class: 'x'}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Replaces an element's children, skipping empty ones (null, false). */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

/** A labelled field; `path` is the API's error path, so errors land next to it. */
export function field(label, input, path) {
  const id = `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  if (path) input.dataset.path = path;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, h('span', { class: 'error', role: 'alert' }));
}

/** A problem+json answer. */
export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(method, path, body, token) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Problem(r.status, json);
  return json;
}

/** Shows a problem's errors next to the fields they name; the rest in `banner`. */
export function showProblem(root, problem, banner) {
  root.querySelectorAll('.error').forEach((e) => { e.textContent = ''; });
  root.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const left = [];
  for (const e of problem.body?.errors || []) {
    const input = root.querySelector(`[data-path="${CSS.escape(e.field)}"]`);
    const slot = input?.closest('.field, fieldset, td')?.querySelector('.error');
    if (slot) {
      input.setAttribute('aria-invalid', 'true');
      slot.textContent = e.reason;
    } else {
      left.push(e.field ? `${e.field}: ${e.reason}` : e.reason);
    }
  }
  const placed = (problem.body?.errors || []).length - left.length;
  banner.textContent = left.length ? left.join(' · ') : placed ? t('fixFields') : (problem.body?.detail || t('error'));
  banner.hidden = false;
}

export function clearProblem(root, banner) {
  root.querySelectorAll('.error').forEach((e) => { e.textContent = ''; });
  root.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  banner.hidden = true;
}

export const money = (amount, currency) => `${amount} ${currency}`;

export const date = (iso) => (iso ? new Date(iso).toLocaleDateString(lang() === 'fr' ? 'fr-FR' : 'en-GB') : t('noEnd'));

/** The page header: shop name, navigation, language switch. */
export function header(shopName) {
  const shop = shopId();
  const switchTo = (l) => { localStorage.setItem('enrolshop.lang', l); location.reload(); };
  document.documentElement.lang = lang();
  return h('header', {},
    h('a', { class: 'brand', href: `/?shop=${shop}` }, shopName || shop),
    h('nav', {},
      h('a', { href: `/?shop=${shop}` }, t('catalogue')),
      h('a', { href: `/checkout?shop=${shop}`, id: 'nav-cart' }, t('cart')),
      h('a', { href: `/account?shop=${shop}` }, t('account')),
      h('button', { type: 'button', class: 'lang', lang: 'en', title: 'English', onclick: () => switchTo('en') }, 'EN'),
      h('button', { type: 'button', class: 'lang', lang: 'fr', title: 'Français', onclick: () => switchTo('fr') }, 'FR')));
}

export const cartKey = (shop) => `enrolshop.cart.${shop}`;
export const billKey = (bill) => `enrolshop.bill.${bill}`;

/** Follows a payment action: leave for the gateway, or come back to the bill page. */
export function handOff(shop, bill, token, action) {
  localStorage.setItem(billKey(bill), token);
  if (action?.type === 'redirect') {
    location.assign(action.url);
  } else if (action?.type === 'form' && /^https?:/.test(action.url)) {
    const form = h('form', { method: 'post', action: action.url });
    for (const [k, v] of Object.entries(action.fields || {})) form.append(h('input', { type: 'hidden', name: k, value: v }));
    document.body.append(form);
    form.submit();
  } else {
    if (action?.type === 'instructions') sessionStorage.setItem(`enrolshop.instructions.${bill}`, action.text);
    location.assign(`/bill?shop=${shop}&bill=${bill}`);
  }
}
