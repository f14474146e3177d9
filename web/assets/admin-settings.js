// The shop's settings, for managers: the shop, payment methods and gateway settings (secrets
// write-only: shown as set or not set, replaced only when typed), terms and seller, the support
// course (picked from Moodle), staff, taxes, categories, reminders and the messages' own words;
// saved on the version read.
import { clearProblem, countryOptions, field, fill, h, lang, showProblem } from './app.js';
import { coursePicker, deskHeader, follows, identifierOf, repeater, send, staffSession, typed, w as desk } from './desk.js';
import { GATEWAY_SETTINGS, gatewayFields, parsedOr } from './gateways.js';

const main = document.getElementById('main');
const MARKER = '********';
const LANGS = ['en', 'fr'];

/** `texts` (`{"fr": {"name": ...}}`) with the words typed for each language: an empty field
 * removes its word, a language left with none goes; other words and languages are kept. */
function withWords(texts, typed) {
  const out = structuredClone(texts ?? {});
  for (const [l, words] of Object.entries(typed)) {
    const t = out[l] ?? {};
    for (const [k, v] of Object.entries(words)) {
      if (v.trim()) t[k] = v.trim(); else delete t[k];
    }
    if (Object.keys(t).length) out[l] = t; else delete out[l];
  }
  return out;
}

const WORDS = {
  en: {
    title: 'Settings', shop: 'The shop', name: 'Name', currency: 'Currency (ISO code)', testMode: 'Test mode (no real payment)',
    terms: 'Terms of sale', paymentTerms: 'Payment terms (on invoices)', latePayment: 'Late-payment mentions (on invoices)',
    texts: 'In other languages (left empty: the words above)', nameIn: (l) => `Name (${l})`, reminders: 'Reminders before an enrolment ends (days, comma-separated)', payment: 'Payment',
    methods: 'Payment methods offered', defaultMethod: 'Method chosen by default', seller: 'Seller (on invoices)',
    seller_name: 'Company name', seller_address: 'Address', seller_zip: 'Postcode', seller_city: 'City', seller_country: 'Country',
    seller_email: 'Sales address (email: replies and alerts)', seller_phone: 'Phone', seller_vat_number: 'VAT number',
    seller_siret: 'SIRET', seller_siren: 'SIREN', seller_rcs: 'Registered in (RCS)', seller_legal_form: 'Legal form',
    seller_capital: 'Share capital', seller_nda: 'Training provider number', sellerOther: 'Other lines on the invoices', noCountry: 'None',
    key: 'Field', value: 'Value', lineLabel: 'Label', addLine: 'Add a line', remove: 'Remove', support: 'Support course (every buyer is enrolled)',
    findCourse: 'Find a course in Moodle', chosen: 'Chosen course', noCourse: 'No support course', noResult: 'No course found.',
    staff: 'Staff', username: 'Moodle username', role: 'Role', addStaff: 'Add a member of staff', taxes: 'Taxes',
    code: 'Code', rate: 'Rate (%)', addTax: 'Add a tax', categories: 'Categories', id: 'Identifier', parent: 'Within',
    noParent: 'Top level', addCategory: 'Add a category', gateways: 'Gateway settings', otherSettings: 'Other settings', secretSet: 'set — type to replace',
    secretUnset: 'not set', addSetting: 'Add a setting', ownWords: 'Messages in the shop’s own words (the others in the shop’s default words)', noOwnWords: 'None: every message has the default words.',
    edit: 'Edit', useDefault: 'Back to the default words',
    save: 'Save', saved: 'Saved.', reload: 'Load the current settings',
    stale: 'The settings were changed by someone else after you opened them: your change was not saved.',
    role_manager: 'Manager (everything)', role_operator: 'Operator (orders, payments, customers, products)',
    method_test: 'Test payment', method_free: 'Free', method_check: 'Cheque', method_transfer: 'Bank transfer', method_paypal: 'PayPal',
    method_stripe: 'Card (Stripe)', method_systempay: 'Card (Systempay)', method_sips: 'Card (Sips)', method_ogone: 'Card (Ogone)',
    wordsTitle: 'A message in the shop’s words', message: 'Message', language: 'Language', subject: 'Subject',
    body: 'Text (paragraphs separated by a blank line; placeholders such as {firstname})', previewIt: 'Preview',
    keep: 'Use these words (then save)', sample: 'For a sample order by Ada Lovelace:', lang_en: 'English', lang_fr: 'French', in_en: 'English', in_fr: 'French',
  },
  fr: {
    title: 'Réglages', shop: 'La boutique', name: 'Nom', currency: 'Devise (code ISO)', testMode: 'Mode test (aucun paiement réel)',
    terms: 'Conditions de vente', paymentTerms: 'Conditions de paiement (sur les factures)', latePayment: 'Mentions de retard de paiement (sur les factures)',
    texts: 'Dans d’autres langues (vide : les mots ci-dessus)', nameIn: (l) => `Nom (${l})`, reminders: 'Rappels avant la fin d’une inscription (jours, séparés par des virgules)', payment: 'Paiement',
    methods: 'Moyens de paiement proposés', defaultMethod: 'Moyen choisi par défaut', seller: 'Vendeur (sur les factures)',
    seller_name: 'Raison sociale', seller_address: 'Adresse', seller_zip: 'Code postal', seller_city: 'Ville', seller_country: 'Pays',
    seller_email: 'Adresse commerciale (courriel : réponses et alertes)', seller_phone: 'Téléphone', seller_vat_number: 'N° de TVA intracommunautaire',
    seller_siret: 'SIRET', seller_siren: 'SIREN', seller_rcs: 'RCS', seller_legal_form: 'Forme juridique',
    seller_capital: 'Capital social', seller_nda: 'N° de déclaration d’activité', sellerOther: 'Autres mentions sur les factures', noCountry: 'Aucun',
    key: 'Champ', value: 'Valeur', lineLabel: 'Intitulé', addLine: 'Ajouter une ligne', remove: 'Retirer', support: 'Cours d’accompagnement (chaque acheteur y est inscrit)',
    findCourse: 'Chercher un cours dans Moodle', chosen: 'Cours choisi', noCourse: 'Pas de cours d’accompagnement', noResult: 'Aucun cours trouvé.',
    staff: 'Équipe', username: 'Identifiant Moodle', role: 'Rôle', addStaff: 'Ajouter un membre de l’équipe', taxes: 'Taxes',
    code: 'Code', rate: 'Taux (%)', addTax: 'Ajouter une taxe', categories: 'Catégories', id: 'Identifiant', parent: 'Dans',
    noParent: 'Premier niveau', addCategory: 'Ajouter une catégorie', gateways: 'Réglages des prestataires de paiement', otherSettings: 'Autres réglages', secretSet: 'défini — saisir pour remplacer',
    secretUnset: 'non défini', addSetting: 'Ajouter un réglage', ownWords: 'Messages dans les mots de la boutique (les autres dans les mots par défaut)', noOwnWords: 'Aucun : chaque message a les mots par défaut.',
    edit: 'Modifier', useDefault: 'Revenir aux mots par défaut',
    save: 'Enregistrer', saved: 'Enregistré.', reload: 'Charger les réglages actuels',
    stale: 'Les réglages ont été modifiés par quelqu’un d’autre après leur ouverture : votre modification n’a pas été enregistrée.',
    role_manager: 'Responsable (tout)', role_operator: 'Opérateur (commandes, paiements, clients, produits)',
    method_test: 'Paiement de test', method_free: 'Gratuit', method_check: 'Chèque', method_transfer: 'Virement bancaire', method_paypal: 'PayPal',
    method_stripe: 'Carte (Stripe)', method_systempay: 'Carte (Systempay)', method_sips: 'Carte (Sips)', method_ogone: 'Carte (Ogone)',
    wordsTitle: 'Un message dans les mots de la boutique', message: 'Message', language: 'Langue', subject: 'Objet',
    body: 'Texte (paragraphes séparés par une ligne vide ; champs à remplacer comme {firstname})', previewIt: 'Aperçu',
    keep: 'Garder ces mots (puis enregistrer)', sample: 'Pour une commande d’exemple d’Ada Lovelace :', lang_en: 'Anglais', lang_fr: 'Français', in_en: 'anglais', in_fr: 'français',
  },
};
const w = (key, ...args) => {
  const word = WORDS[lang()][key] ?? WORDS.en[key] ?? desk(key, ...args);
  return typeof word === 'function' ? word(...args) : word;
};
const MESSAGES = ['order_placed', 'payment_received', 'delivered', 'payment_failed', 'refunded', 'cancelled', 'payment_reminder', 'expiry_reminder', 'orders_lookup',
  'seat_assigned', 'seat_assigned_copy', 'new_order', 'awaiting_payment', 'gateway_note', 'production_failed', 'not_complete'];
const METHODS = ['test', 'free', 'check', 'transfer', 'paypal', 'stripe', 'systempay', 'sips', 'ogone'];

let session;

/** The messages' own words (`own`: message → language → subject and body): one tried on a
 * sample order and kept, and the list of those the shop has, each back to the default words on
 * demand; saved with the settings. Errors at `messages.<message>.<language>.*` show at its row. */
function wordsEditor(own) {
  const kind = h('select', {}, MESSAGES.map((m) => h('option', { value: m }, w(`msg_${m}`))));
  const language = h('select', {}, ['en', 'fr'].map((l) => h('option', { value: l, selected: l === lang() }, w(`lang_${l}`))));
  const subject = h('input', { 'data-path': 'subject' });
  const body = h('textarea', { rows: '6', 'data-path': 'body' });
  const shown = h('div', { class: 'notice', hidden: true, role: 'status', id: 'message-preview' });
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const box = h('fieldset', { id: 'words' });
  const load = () => {
    const words = own[kind.value]?.[language.value];
    subject.value = words?.subject || '';
    body.value = words?.body || '';
    shown.hidden = true;
  };
  kind.onchange = load;
  language.onchange = load;
  const preview = async () => {
    clearProblem(box, banner);
    try {
      const { json } = await send('POST', `/admin/shops/${session.shop}/messages/preview`,
        { message: kind.value, language: language.value, subject: subject.value, body: body.value });
      shown.replaceChildren(h('p', {}, w('sample')), h('p', {}, h('strong', {}, json.subject)), h('div', { class: 'mail-text' }, json.text));
      shown.hidden = false;
    } catch (e) { showProblem(box, e, banner); }
  };
  const list = h('ul', { class: 'own-words' });
  const drawList = () => {
    const rows = Object.entries(own).flatMap(([m, byLang]) => Object.keys(byLang).map((l) => h('li', { class: 'row field' },
      h('span', { 'data-path': `messages.${m}.${l}` }, `${w(`msg_${m}`)} — ${w(`lang_${l}`)}`),
      h('button', { type: 'button', class: 'secondary', onclick: () => { kind.value = m; language.value = l; load(); subject.focus(); } }, w('edit')),
      h('button', { type: 'button', class: 'secondary', onclick: () => { delete own[m][l]; if (!Object.keys(own[m]).length) delete own[m]; load(); drawList(); } }, w('useDefault')),
      h('span', { class: 'error' }))));
    list.replaceChildren(...(rows.length ? rows : [h('li', { class: 'muted' }, w('noOwnWords'))]));
  };
  const keep = () => {
    own[kind.value] = { ...(own[kind.value] || {}), [language.value]: { subject: subject.value, body: body.value } };
    drawList();
  };
  load();
  drawList();
  fill(box, h('legend', {}, w('wordsTitle')),
    h('div', { class: 'row' }, field(w('message'), kind), field(w('language'), language)),
    field(w('subject'), subject, 'subject'), field(w('body'), body, 'body'), banner,
    h('div', { class: 'row' }, h('button', { type: 'button', class: 'secondary', onclick: preview }, w('previewIt')),
      h('button', { type: 'button', class: 'secondary', onclick: keep }, w('keep'))),
    shown,
    h('h3', {}, w('ownWords')), list);
  return box;
}

// The seller's identity as the invoices print it: the fields they know, named in the page's
// language (the invoice words: `shared/src/invoice/words.rs`), then the shop's own lines.
const SELLER = ['name', 'address', 'zip', 'city', 'country', 'email', 'phone', 'vat_number', 'siret', 'siren', 'rcs', 'legal_form', 'capital', 'nda'];

/** The seller's fields, each labelled; other lines the shop wrote stay lines of its own. */
function sellerFields(seller) {
  const inputs = Object.fromEntries(SELLER.map((k) => [k, k === 'country'
    ? h('select', { 'data-path': 'seller.country', autocomplete: 'off' }, h('option', { value: '' }, w('noCountry')), countryOptions(seller.country))
    : h('input', { 'data-path': `seller.${k}`, value: seller[k] || '', type: k === 'email' ? 'email' : 'text' })]));
  const others = pairs(w('sellerOther'), 'seller', Object.entries(seller).filter(([k]) => !SELLER.includes(k)), w('addLine'), w('lineLabel'));
  const row = (...keys) => h('div', { class: 'row' }, keys.map((k) => field(w(`seller_${k}`), inputs[k], null, { required: k === 'email' })));
  const element = h('fieldset', {}, h('legend', {}, w('seller')),
    row('name'), row('address'), row('zip', 'city', 'country'), row('email', 'phone'),
    row('vat_number', 'legal_form', 'capital'), row('siret', 'siren', 'rcs'), row('nda'), others.element);
  const read = () => ({
    ...readPairs(others),
    ...Object.fromEntries(SELLER.map((k) => [k, inputs[k].value.trim()]).filter(([, v]) => v)),
  });
  return { element, read };
}

/** A section per gateway, shown when its method is offered or it has settings: the settings
 * the page knows as labelled fields, the others as lines of the shop's own. */
function gatewaySections(stored, methods) {
  const names = [...new Set([...Object.keys(GATEWAY_SETTINGS), ...Object.keys(stored)])];
  const sections = names.map((g) => {
    const settings = stored[g] || {};
    const known = gatewayFields(g, settings, { marker: MARKER, secretSet: w('secretSet') });
    const others = pairs(w('otherSettings'), `gateways.${g}`, Object.entries(settings).filter(([k]) => !known.known.includes(k)), w('addSetting'));
    const element = h('fieldset', { 'data-gateway': g }, h('legend', {}, `${w('gateways')} — ${w(`method_${g}`)}`), known.elements, others.element);
    const read = () => {
      const out = readPairs(others);
      known.read(out);
      return out;
    };
    return { g, element, read };
  });
  const show = () => {
    const offered = [...methods.querySelectorAll('input:checked')].map((c) => c.value);
    for (const x of sections) x.element.hidden = !offered.includes(x.g) && !(x.g in stored);
  };
  methods.addEventListener('change', show);
  show();
  return {
    elements: sections.map((x) => x.element),
    read: () => Object.fromEntries(sections.filter((x) => !x.element.hidden).map((x) => [x.g, x.read()])
      .filter(([g, v]) => Object.keys(v).length || g in stored)),
  };
}

/** Key and value rows; a secret's value is never shown, and kept unless one is typed. */
function pairs(legend, path, entries, addLabel, keyLabel = w('key')) {
  return repeater({ text: legend, path }, entries, ([k, v], i) => {
    const secret = v === MARKER;
    const text = typeof v === 'string' ? v : JSON.stringify(v ?? '');
    const value = h('input', { class: 'pair-value', value: secret ? '' : text, placeholder: secret ? w('secretSet') : '', 'data-path': `${path}.${k || i}` });
    if (secret) value.dataset.secret = '1';
    if (typeof v !== 'string' && v !== undefined) value.dataset.json = '1'; // a number or a yes/no stays one
    return [field(keyLabel, h('input', { class: 'pair-key', value: k })), field(w('value'), value)];
  }, addLabel, () => ['', ''], w('remove'));
}

function readPairs(list) {
  const out = {};
  for (const row of list.rows()) {
    const k = row.querySelector('.pair-key').value.trim();
    const input = row.querySelector('.pair-value');
    if (!k) continue;
    if (input.dataset.secret && !input.value) out[k] = MARKER;
    else out[k] = input.dataset.json ? parsedOr(input.value) : input.value;
  }
  return out;
}

async function start() {
  session = await staffSession();
  if (!session) { location.assign('/admin'); return; }
  const catalog = await send('GET', `/shops/${session.shop}/catalog`);
  document.getElementById('header').replaceChildren(deskHeader(session, catalog.json.shop.name));
  document.title = `${w('title')} — ${catalog.json.shop.name}`;
  if (session.role !== 'manager') {
    fill(main, h('h1', {}, w('title')), h('p', { class: 'banner', role: 'alert' }, desk('managersOnly')));
    return;
  }
  const read = await send('GET', `/admin/shops/${session.shop}/settings`);
  const s = read.json;
  let etag = read.etag;
  const input = (path, value, attrs = {}) => h('input', { value: value ?? '', 'data-path': path, ...attrs });
  const name = input('name', s.name);
  const currency = input('currency', s.currency, { maxlength: '3' });
  const testMode = h('input', { type: 'checkbox', checked: Boolean(s.test_mode) });
  const terms = h('textarea', { 'data-path': 'terms', rows: '3' }, s.terms || '');
  const paymentTerms = h('textarea', { 'data-path': 'payment_terms', rows: '2' }, s.payment_terms || '');
  const latePayment = h('textarea', { 'data-path': 'late_payment', rows: '2' }, s.late_payment || '');
  // The shop's words per language, as fields (other languages a document gives are kept).
  const SHOP_WORDS = { name: 'name', terms: 'terms', payment_terms: 'paymentTerms', late_payment: 'latePayment' };
  const texts = Object.fromEntries(LANGS.map((l) => [l, Object.fromEntries(Object.keys(SHOP_WORDS).map((k) => [k,
    k === 'name' ? input(`texts.${l}.name`, s.texts?.[l]?.name) : h('textarea', { 'data-path': `texts.${l}.${k}`, rows: '2' }, s.texts?.[l]?.[k] || '')]))]));
  // The shop's default when the document gives none (`DEFAULT_REMINDER_DAYS`), left out again unchanged.
  const DEFAULT_REMINDERS = '14, 3';
  const reminders = input('reminder_days', s.reminder_days ? s.reminder_days.join(', ') : DEFAULT_REMINDERS);
  const methods = h('fieldset', { 'data-path': 'payment_methods' }, h('legend', {}, w('methods')),
    METHODS.map((m) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: m, checked: s.payment_methods.includes(m) }), ` ${w(`method_${m}`)}`)),
    h('span', { class: 'error', role: 'alert' }));
  const defaultMethod = h('select', { 'data-path': 'default_payment_method' },
    METHODS.map((m) => h('option', { value: m, selected: m === (s.default_payment_method || s.payment_methods[0]) }, w(`method_${m}`))));
  const seller = sellerFields(s.seller || {});
  const support = coursePicker(session.shop, s.customer_support_course, { find: w('findCourse'), chosen: w('chosen'), none: w('noCourse'), noResult: w('noResult') }, 'customer_support_course');
  const staff = repeater({ text: w('staff'), path: 'staff' }, s.staff || [], (m, i) => [
    field(w('username'), input(`staff[${i}].username`, m.username, { class: 'staff-name' })),
    field(w('role'), h('select', { class: 'staff-role', 'data-path': `staff[${i}].role` },
      ['manager', 'operator'].map((r) => h('option', { value: r, selected: r === m.role }, w(`role_${r}`))))),
  ], w('addStaff'), () => ({ username: '', role: 'operator' }), w('remove'));
  const taxes = repeater({ text: w('taxes'), path: 'taxes' }, s.taxes, (t, i) => [
    field(w('code'), input(`taxes[${i}].code`, t.code, { class: 'tax-code' })),
    field(w('rate'), input(`taxes[${i}].rate`, typed(t.rate), { class: 'tax-rate', inputmode: 'decimal' })),
  ], w('addTax'), () => ({ code: '', rate: '' }), w('remove'));
  const categories = repeater({ text: w('categories'), path: 'categories' }, s.categories || [], (c, i) => {
    const catId = input(`categories[${i}].id`, c.id, { class: 'cat-id', 'data-was': c.id });
    const catName = input(`categories[${i}].name`, c.name, { class: 'cat-name' });
    // A new category's identifier follows its name until typed by hand.
    if (!c.id) follows(catId, catName, identifierOf);
    return [
      field(w('id'), catId),
      field(w('name'), catName),
      ...LANGS.map((l) => field(w('nameIn', w(`in_${l}`)), input(`categories[${i}].texts.${l}.name`, c.texts?.[l]?.name, { class: 'cat-text', 'data-lang': l }))),
      field(w('parent'), h('select', { 'data-path': `categories[${i}].parent`, class: 'cat-parent', 'data-chosen': c.parent || '' })),
    ];
  }, w('addCategory'), () => ({ id: '', name: '', parent: null }), w('remove'));
  // A category's parent is chosen among the others by name, as the rows say them now.
  const parents = () => {
    const named = (r) => r.querySelector(`.cat-text[data-lang="${lang()}"]`)?.value.trim() || r.querySelector('.cat-name').value.trim();
    const rows = categories.rows().map((r) => ({ row: r, id: r.querySelector('.cat-id').value.trim(), name: named(r) }));
    for (const { row, id: own } of rows) {
      const select = row.querySelector('.cat-parent');
      const chosen = select.options.length ? select.value : select.dataset.chosen;
      const others = rows.filter((x) => x.id && x.id !== own);
      const lost = chosen && !others.some((x) => x.id === chosen) ? [{ id: chosen, name: chosen }] : [];
      select.replaceChildren(h('option', { value: '' }, w('noParent')),
        ...[...others, ...lost].map((x) => h('option', { value: x.id, selected: x.id === chosen }, x.name || x.id)));
    }
  };
  categories.element.addEventListener('change', parents);
  categories.element.addEventListener('click', (e) => { if (e.target.closest('button')) parents(); });
  parents();
  const gateways = gatewaySections(s.gateways || {}, methods);
  const own = structuredClone(s.messages || {});
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const done = h('p', { class: 'notice', hidden: true, role: 'status' }, w('saved'));
  const form = h('form', { id: 'settings', novalidate: true });
  const collect = () => ({
    ...s,
    name: name.value, currency: currency.value.trim().toUpperCase(), test_mode: testMode.checked, terms: terms.value || null,
    payment_terms: paymentTerms.value.trim() || null, late_payment: latePayment.value.trim() || null,
    texts: withWords(s.texts, Object.fromEntries(LANGS.map((l) => [l, Object.fromEntries(Object.entries(texts[l]).map(([k, el]) => [k, el.value]))]))),
    reminder_days: !s.reminder_days && reminders.value.trim() === DEFAULT_REMINDERS ? undefined
      : reminders.value.split(',').map((d) => d.trim()).filter(Boolean).map(Number),
    payment_methods: [...methods.querySelectorAll('input:checked')].map((c) => c.value),
    default_payment_method: defaultMethod.value,
    seller: seller.read(),
    customer_support_course: support.value(),
    staff: staff.rows().map((r) => ({ username: r.querySelector('.staff-name').value.trim(), role: r.querySelector('.staff-role').value })),
    taxes: taxes.rows().map((r) => ({ code: r.querySelector('.tax-code').value.trim(), rate: r.querySelector('.tax-rate').value.trim().replace(',', '.') })),
    categories: categories.rows().map((r) => {
      const was = (s.categories || []).find((c) => c.id && c.id === r.querySelector('.cat-id').dataset.was);
      return {
        id: r.querySelector('.cat-id').value.trim(), name: r.querySelector('.cat-name').value, parent: r.querySelector('.cat-parent').value || null,
        texts: withWords(was?.texts, Object.fromEntries([...r.querySelectorAll('.cat-text')].map((el) => [el.dataset.lang, { name: el.value }]))),
      };
    }),
    gateways: gateways.read(),
    messages: own,
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, banner);
    done.hidden = true;
    try {
      const answer = await send('PUT', `/admin/shops/${session.shop}/settings`, collect(), { 'if-match': etag });
      etag = answer.etag;
      done.hidden = false;
    } catch (e) {
      if (e.status === 412) {
        banner.replaceChildren(w('stale'), ' ', h('a', { href: location.href }, w('reload')));
        banner.hidden = false;
        return;
      }
      // A message's words are refused at its row of the list (`messages.order_placed.fr.body`).
      const errors = e.body?.errors?.map((x) => ({ ...x, field: x.field.replace(/^(messages\.\w+\.\w+)\..*$/, '$1') }));
      showProblem(form, { ...e, body: { ...e.body, errors } }, banner);
    }
  });
  fill(form,
    h('fieldset', {}, h('legend', {}, w('shop')),
      h('div', { class: 'row' }, field(w('name'), name), field(w('currency'), currency)),
      h('label', { class: 'check' }, testMode, ` ${w('testMode')}`),
      field(w('terms'), terms), field(w('paymentTerms'), paymentTerms), field(w('latePayment'), latePayment),
      field(w('reminders'), reminders)),
    h('fieldset', {}, h('legend', {}, w('texts')),
      LANGS.map((l) => h('div', { class: 'repeat' }, Object.entries(SHOP_WORDS).map(([k, label]) => field(`${w(label)} (${w(`in_${l}`)})`, texts[l][k]))))),
    h('fieldset', {}, h('legend', {}, w('payment')), methods, field(w('defaultMethod'), defaultMethod)),
    seller.element,
    h('fieldset', {}, h('legend', {}, w('support')), support.element, h('span', { class: 'error', role: 'alert' })),
    staff.element, taxes.element, categories.element,
    gateways.elements,
    wordsEditor(own),
    banner, done,
    h('button', { type: 'submit', class: 'primary' }, w('save')));
  fill(main, h('h1', {}, w('title')), form);
}

start().catch((e) => fill(main, h('p', { class: 'banner', role: 'alert' }, e.message)));
