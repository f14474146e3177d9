// The catalogue editor, for managers: the items (search, category, status, delivery), and an
// item's form covering every field of the shop document, its delivery chosen from the live
// Moodle (course picker), saved on the version read (a concurrent edit is told who won).
import { clearProblem, copyBox, field, fill, h, lang, percent, showProblem, t } from './app.js';
import { HANDLERS, deliverySection } from './delivery.js';
import { amount, confirmIn, deskHeader, follows, identifierOf, inLang, repeater, send, stackedHead, stackedRow, staffName, staffSession, typed, w as desk, when } from './desk.js';

const main = document.getElementById('main');
const params = new URLSearchParams(location.search);

const WORDS = {
  en: {
    title: 'Catalogue', newItem: 'New item', search: 'Search (code or name)', category: 'Category', status: 'Status',
    delivery: 'Delivery in Moodle', any: 'Any', none: 'None', more: 'Show more', nothing: 'No item matches.',
    name: 'Name', code: 'Code', price: 'Price excl. tax', open: 'Edit', back: 'Back to the catalogue',
    describe: 'Description', description: 'Description', kind: 'Kind', sale: 'Sale', visibility: 'Who sees it', tax: 'Tax',
    texts: 'In other languages (left empty: the words above)', lang_en: 'English', lang_fr: 'French',
    max_quantity: 'Most per order', stock: 'Stock', password: 'Password (internal items)', eula: 'Licence the buyer accepts',
    renewable: 'Renewable', prices: 'Price tiers', upTo: 'Up to (empty: and more)', unitPrice: 'Unit price excl. tax',
    inclTax: 'Incl. tax', addTier: 'Add a tier', remove: 'Remove', seats: 'Participants', seat_mode: 'Who is named',
    seat_roles: 'Roles a participant may get', requiredData: 'Information asked per unit', fieldName: 'Field name',
    label: 'Label', labelIn: (l) => `Label in ${l}`, optionsIn: (l) => `Choices in ${l} (same order)`, type: 'Type', required: 'Required', options: 'Choices (comma-separated)', addField: 'Add a field',
    parts: 'Parts (sets and bundles)', partCode: 'Item (code or name)', partName: 'Item', noSuchItem: 'No item has this code', quantity: 'Quantity', addPart: 'Add a part',
    handlerType: 'Delivers', course: 'Course', findCourse: 'Find a course in Moodle', chosen: 'Chosen course',
    noCourse: 'No course chosen', role: 'Role', duration_days: 'Days of access (empty: no end)', end_date: 'Ends on',
    group_per_customer: 'A group per buying customer', otherParams: 'Other settings (JSON)', save: 'Save', saved: 'Saved.',
    buyerLink: 'Link for buyers', copyLink: 'Copy the link', copied: 'Link copied.',
    buyerLink_available: 'A link straight to this item, to put in a message or on a web page.',
    buyerLink_available_internal: 'This item is not in the catalogue: give this link, with its password, to the buyers it is for.',
    preview: 'Preview as a buyer', duplicate: 'Duplicate', newCode: 'Code of the copy', delete: 'Delete',
    confirmDelete: (n) => `Delete “${n}” from the catalogue? Bills keep their copy.`, history: 'Changes',
    reload: 'Load the current version', moodleCategory: 'Moodle category', topCategory: 'Top level',
    course_not_found: 'Saved as a draft: Moodle has no such course yet. Put it on sale once the course exists.',
    moodle_unavailable: 'Saved, but Moodle did not answer: the course could not be checked.',
    stale: (who, at) => `${who} changed this item on ${at}, after you opened it: your change was not saved.`, noResult: 'No course found.', courseId: 'Moodle course',
    status_available: 'On sale', status_available_internal: 'On sale by direct link only', status_preview: 'Shown, not on sale',
    status_suspended: 'Draft (not on sale)', status_abandoned: 'Archived',
    visibility_everyone: 'Everyone', visibility_logged_in: 'Signed-in customers', visibility_logged_out: 'Visitors not signed in',
    visibility_customers: 'Customers who bought before',
    kind_product: 'Product', kind_set: 'Set (shown together)', kind_bundle: 'Bundle (sold as one)',
    seat_none: 'Nobody (the buyer)', seat_one: 'One participant', seat_per_unit: 'One participant per unit',
    field_text: 'Text', field_textarea: 'Long text', field_email: 'Email', field_number: 'Number', field_date: 'Date',
    field_select: 'Choice', field_checkbox: 'Tick box',
    handler_: 'Nothing (no delivery)', handler_enrol_one_course: 'Enrolment in a course', handler_enrol_multiple: 'One enrolment per unit',
    handler_course_session: 'A course session for a team', handler_extend_enrolment: 'More time in a course',
    handler_generate_seats: 'Seats to assign later', handler_create_course: 'A new course', handler_create_category: 'A new category',
    handler_assign_role: 'A role', handler_unlock_certificate: 'A certificate', handler_add_training_credits: 'Training credits',
    buyerRole: 'The buyer’s role', supervisor_role: 'The buyer in the session', notEnrolled: 'Not enrolled',
    days: 'Days added per unit', pack_size: 'Seats per unit', credits: 'Credits per unit',
    seatCourses: 'Courses a seat can be used in', addCourse: 'Add a course', template: 'Course to copy', blankCourse: 'None: a blank course',
    context: 'Given on', context_course: 'A course', context_coursecat: 'A course category', context_system: 'The whole site',
    action_created: 'created', action_updated: 'changed', action_duplicated: 'created as a copy', action_deleted: 'deleted',
  },
  fr: {
    title: 'Catalogue', newItem: 'Nouvel article', search: 'Rechercher (code ou nom)', category: 'Catégorie', status: 'État',
    delivery: 'Livraison dans Moodle', any: 'Tous', none: 'Aucune', more: 'Afficher la suite', nothing: 'Aucun article ne correspond.',
    name: 'Nom', code: 'Code', price: 'Prix HT', open: 'Modifier', back: 'Retour au catalogue',
    describe: 'Présentation', description: 'Description', kind: 'Nature', sale: 'Vente', visibility: 'Visible par', tax: 'TVA',
    texts: 'Dans d’autres langues (vide : les mots ci-dessus)', lang_en: 'anglais', lang_fr: 'français',
    max_quantity: 'Maximum par commande', stock: 'Stock', password: 'Mot de passe (articles internes)', eula: 'Licence acceptée par l’acheteur',
    renewable: 'Renouvelable', prices: 'Paliers de prix', upTo: 'Jusqu’à (vide : et au-delà)', unitPrice: 'Prix unitaire HT',
    inclTax: 'TTC', addTier: 'Ajouter un palier', remove: 'Retirer', seats: 'Participants', seat_mode: 'Personnes à nommer',
    seat_roles: 'Rôles possibles d’un participant', requiredData: 'Informations demandées par unité', fieldName: 'Nom du champ',
    label: 'Libellé', labelIn: (l) => `Libellé en ${l}`, optionsIn: (l) => `Choix en ${l} (même ordre)`, type: 'Type', required: 'Obligatoire', options: 'Choix (séparés par des virgules)', addField: 'Ajouter un champ',
    parts: 'Composants (groupes et lots)', partCode: 'Article (code ou nom)', partName: 'Article', noSuchItem: 'Aucun article n’a ce code', quantity: 'Quantité', addPart: 'Ajouter un composant',
    handlerType: 'Livre', course: 'Cours', findCourse: 'Chercher un cours dans Moodle', chosen: 'Cours choisi',
    noCourse: 'Aucun cours choisi', role: 'Rôle', duration_days: 'Jours d’accès (vide : sans fin)', end_date: 'Se termine le',
    group_per_customer: 'Un groupe par client acheteur', otherParams: 'Autres réglages (JSON)', save: 'Enregistrer', saved: 'Enregistré.',
    buyerLink: 'Lien pour les acheteurs', copyLink: 'Copier le lien', copied: 'Lien copié.',
    buyerLink_available: 'Un lien direct vers cet article, à mettre dans un message ou sur une page web.',
    buyerLink_available_internal: 'Cet article n’est pas au catalogue : donnez ce lien, avec son mot de passe, aux acheteurs à qui il est destiné.',
    preview: 'Voir comme un acheteur', duplicate: 'Dupliquer', newCode: 'Code de la copie', delete: 'Supprimer',
    confirmDelete: (n) => `Retirer « ${n} » du catalogue ? Les commandes gardent leur copie.`, history: 'Modifications',
    reload: 'Charger la version actuelle', moodleCategory: 'Catégorie Moodle', topCategory: 'Premier niveau',
    course_not_found: 'Enregistré comme brouillon : Moodle n’a pas encore ce cours. Mettez l’article en vente une fois le cours créé.',
    moodle_unavailable: 'Enregistré, mais Moodle n’a pas répondu : le cours n’a pas pu être vérifié.',
    stale: (who, at) => `${who} a modifié cet article le ${at}, après que vous l’avez ouvert : votre modification n’a pas été enregistrée.`, noResult: 'Aucun cours trouvé.', courseId: 'Cours Moodle',
    status_available: 'En vente', status_available_internal: 'En vente par lien direct seulement', status_preview: 'Présenté, pas en vente',
    status_suspended: 'Brouillon (pas en vente)', status_abandoned: 'Archivé',
    visibility_everyone: 'Tout le monde', visibility_logged_in: 'Clients connectés', visibility_logged_out: 'Visiteurs non connectés',
    visibility_customers: 'Clients ayant déjà acheté',
    kind_product: 'Produit', kind_set: 'Groupe (présentés ensemble)', kind_bundle: 'Lot (vendu d’un bloc)',
    seat_none: 'Personne (l’acheteur)', seat_one: 'Un participant', seat_per_unit: 'Un participant par unité',
    field_text: 'Texte', field_textarea: 'Texte long', field_email: 'Courriel', field_number: 'Nombre', field_date: 'Date',
    field_select: 'Liste de choix', field_checkbox: 'Case à cocher',
    handler_: 'Rien (pas de livraison)', handler_enrol_one_course: 'Inscription à un cours', handler_enrol_multiple: 'Une inscription par unité',
    handler_course_session: 'Session de cours pour une équipe', handler_extend_enrolment: 'Prolongation d’accès à un cours',
    handler_generate_seats: 'Places à attribuer plus tard', handler_create_course: 'Un nouveau cours', handler_create_category: 'Une nouvelle catégorie',
    handler_assign_role: 'Un rôle', handler_unlock_certificate: 'Un certificat', handler_add_training_credits: 'Des crédits de formation',
    buyerRole: 'Rôle de l’acheteur', supervisor_role: 'L’acheteur dans la session', notEnrolled: 'Pas inscrit',
    days: 'Jours ajoutés par unité', pack_size: 'Places par unité', credits: 'Crédits par unité',
    seatCourses: 'Cours où une place peut servir', addCourse: 'Ajouter un cours', template: 'Cours à copier', blankCourse: 'Aucun : un cours vierge',
    context: 'Donné sur', context_course: 'Un cours', context_coursecat: 'Une catégorie de cours', context_system: 'Tout le site',
    action_created: 'créé', action_updated: 'modifié', action_duplicated: 'créé par copie', action_deleted: 'supprimé',
  },
};
const w = (key, ...args) => {
  const word = WORDS[lang()][key] ?? WORDS.en[key];
  if (word === undefined) return desk(key, ...args);
  return typeof word === 'function' ? word(...args) : word;
};

const STATUSES = ['available', 'available_internal', 'preview', 'suspended', 'abandoned'];
const VISIBILITIES = ['everyone', 'logged_in', 'logged_out', 'customers'];
const KINDS = ['product', 'set', 'bundle'];
const SEAT_MODES = ['none', 'one', 'per_unit'];
/** Roles a participant may be given in a course. */
const SEAT_ROLES = ['student', 'teacher', 'editingteacher', 'manager'];
const FIELD_TYPES = ['text', 'textarea', 'email', 'number', 'date', 'select', 'checkbox'];

let session;
let settings; // currency, taxes, categories (from the item list)

const options = (values, chosen, word) => values.map((v) => h('option', { value: v, selected: v === chosen }, word(v)));
const select = (values, chosen, word, path) => h('select', { 'data-path': path }, options(values, chosen, word));

// ---- the list

async function list() {
  const q = h('input', { type: 'search', maxlength: '100' });
  const category = h('select', {}, h('option', { value: '' }, w('any')));
  const status = h('select', {}, h('option', { value: '' }, w('any')), options(STATUSES, null, (s) => w(`status_${s}`)));
  const handler = h('select', {}, h('option', { value: '' }, w('any')), options(HANDLERS.slice(1), null, (t) => w(`handler_${t}`)));
  const rows = h('tbody', { role: 'rowgroup' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, w('more'));
  const empty = h('p', { class: 'muted', hidden: true }, w('nothing'));
  let cursor = null;
  const query = () => {
    const p = new URLSearchParams();
    for (const [k, el] of [['q', q], ['category', category], ['status', status], ['handler', handler]]) if (el.value.trim()) p.set(k, el.value.trim());
    if (cursor) p.set('cursor', cursor);
    return p.toString();
  };
  const show = (page, append) => {
    const tr = page.items.map((i) => stackedRow({ 'data-code': i.code }, [
      ['key', h('a', { href: `/admin/items?code=${encodeURIComponent(i.code)}` }, inLang(i))],
      [null, i.code],
      [null, inLang(page.categories.find((c) => c.id === i.category) ?? { name: '' })],
      ['state', w(`status_${i.status}`)],
      ['num', i.price ? amount(i.price, page.currency) : ''],
      [null, w(`handler_${i.handler || ''}`)]]));
    if (append) rows.append(...tr); else rows.replaceChildren(...tr);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    empty.hidden = rows.children.length > 0 || Boolean(cursor);
  };
  const reload = async () => { cursor = null; show((await send('GET', `/admin/shops/${session.shop}/items?${query()}`)).json, false); };
  const first = (await send('GET', `/admin/shops/${session.shop}/items`)).json;
  category.append(...first.categories.map((c) => h('option', { value: c.id }, inLang(c))));
  more.onclick = async () => show((await send('GET', `/admin/shops/${session.shop}/items?${query()}`)).json, true);
  for (const el of [category, status, handler]) el.onchange = reload;
  let typing;
  q.oninput = () => { clearTimeout(typing); typing = setTimeout(reload, 250); };
  document.title = `${w('title')} — ${session.shopName}`;
  fill(main,
    h('h1', {}, w('title')),
    h('p', {}, h('a', { class: 'button primary', href: '/admin/items?new=1' }, w('newItem'))),
    h('form', { class: 'row', role: 'search', onsubmit: (e) => { e.preventDefault(); reload(); } },
      field(w('search'), q), field(w('category'), category), field(w('status'), status), field(w('delivery'), handler)),
    // Up to a tablet each item is a card (desk.js, `stackedTable`); pages of items append rows.
    h('table', { id: 'items', class: 'stacked', role: 'table' },
      stackedHead([[w('name')], [w('code')], [w('category')], [w('status')], [w('price')], [w('delivery')]]), rows),
    empty, more);
  show(first, false);
}

// ---- the form

/** A part's code, typed or chosen among the items found by name (`choices`, a datalist the
 * rows share), and the item it names, by its name in the page's language. */
function partPicker(code, named, choices) {
  const find = async (q) => (await send('GET', `/admin/shops/${session.shop}/items?q=${encodeURIComponent(q)}`)).json.items;
  const name = async () => {
    const typed = code.value.trim();
    const found = typed ? (await find(typed)).find((x) => x.code === typed) : null;
    if (code.value.trim() !== typed) return; // typed on meanwhile
    named.textContent = found ? inLang(found) : (typed ? w('noSuchItem') : '');
  };
  let typing;
  code.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(async () => {
      const q = code.value.trim();
      if (q) choices.replaceChildren(...(await find(q)).map((x) => h('option', { value: x.code }, inLang(x))));
      name().catch(() => {});
    }, 250);
  });
  name().catch(() => {});
}

/** Where buyers reach a stored item on sale: the only way to one sold by direct link only. */
function buyerLink(shop, item) {
  if (!['available', 'available_internal'].includes(item.status)) return null;
  const link = `${location.origin}/?shop=${encodeURIComponent(shop)}&item=${encodeURIComponent(item.code)}`;
  return h('section', { 'aria-labelledby': 'buyer-link-title' },
    h('h2', { id: 'buyer-link-title' }, w('buyerLink')),
    h('p', { class: 'muted' }, w(`buyerLink_${item.status}`)),
    copyBox(link, { label: w('buyerLink'), copy: w('copyLink'), copied: w('copied') }));
}

async function form(code) {
  const lists = (await send('GET', `/admin/shops/${session.shop}/items`)).json;
  settings = lists;
  let etag = null;
  let item = { code: '', name: '', description: '', category: null, kind: 'product', status: 'suspended', visibility: 'everyone',
    prices: [{ up_to: null, unit_price: '' }], tax: lists.taxes[0]?.code || '', seat_mode: 'none', seat_roles: [], required_data: [], parts: [] };
  let read = null;
  if (code) {
    read = await send('GET', `/admin/shops/${session.shop}/items/${encodeURIComponent(code)}`);
    etag = read.etag;
    item = { parts: [], required_data: [], seat_roles: [], ...read.json.item };
  }
  const input = (path, value, attrs = {}) => h('input', { value: value ?? '', 'data-path': path, ...attrs });
  const codeInput = input('code', item.code, code ? { readonly: true } : { required: true });
  const name = input('name', item.name, { required: true });
  // A new item's code follows its name (`Pack bureautique` → `PACK-BUREAUTIQUE`) until typed.
  if (!code) follows(codeInput, name, (n) => identifierOf(n).toUpperCase());
  const description = h('textarea', { 'data-path': 'description', rows: '3' }, item.description || '');
  const category = h('select', { 'data-path': 'category' }, h('option', { value: '' }, w('none')),
    lists.categories.map((c) => h('option', { value: c.id, selected: c.id === item.category }, inLang(c))));
  const kind = select(KINDS, item.kind, (k) => w(`kind_${k}`), 'kind');
  const status = select(STATUSES, item.status, (s) => w(`status_${s}`), 'status');
  const visibility = select(VISIBILITIES, item.visibility, (v) => w(`visibility_${v}`), 'visibility');
  // A tax is said by its rate, as on the invoice; its code (the manager's identifier, often
  // English in an imported document) only tells apart two taxes at the same rate.
  const shared = (rate) => lists.taxes.filter((t) => Number(t.rate) === Number(rate)).length > 1;
  const tax = h('select', { 'data-path': 'tax' }, lists.taxes.map((t) => h('option', { value: t.code, selected: t.code === item.tax },
    shared(t.rate) ? `${percent(t.rate)} (${t.code})` : percent(t.rate))));
  const maxQuantity = input('max_quantity', item.max_quantity, { type: 'number', min: '1' });
  const stock = input('stock', item.stock, { type: 'number', min: '0' });
  const password = input('password', item.password, { type: 'password', autocomplete: 'new-password' });
  const eula = h('textarea', { 'data-path': 'eula', rows: '2' }, item.eula || '');
  // The item's words per language: name, description and licence here, the information asked
  // per unit in its own rows; a language the page does not edit is kept as it is.
  const LANGS = ['en', 'fr'];
  // A field's choices as typed: a choice's only (other types have none).
  const choicesOf = (row) => (row.querySelector('.rd-type').value === 'select'
    ? row.querySelector('.rd-options').value.split(',').map((o) => o.trim()).filter(Boolean) : []);
  const words = Object.fromEntries(LANGS.map((l) => {
    const t = item.texts?.[l] || {};
    return [l, {
      name: h('input', { 'data-path': `texts.${l}.name`, value: t.name || '' }),
      description: h('textarea', { 'data-path': `texts.${l}.description`, rows: '2' }, t.description || ''),
      eula: h('textarea', { 'data-path': `texts.${l}.eula`, rows: '2' }, t.eula || ''),
    }];
  }));
  const readTexts = () => {
    const out = Object.fromEntries(Object.entries(item.texts || {}).filter(([l]) => !LANGS.includes(l)));
    for (const l of LANGS) {
      const { name: _n, description: _d, eula: _e, labels: _l, options: _o, ...kept } = item.texts?.[l] || {};
      const t = { ...kept };
      for (const k of ['name', 'description', 'eula']) if (words[l][k].value.trim()) t[k] = words[l][k].value.trim();
      for (const r of fields.rows()) {
        const name = r.querySelector('.rd-field').value.trim();
        const label = r.querySelector(`.rd-label-${l}`).value.trim();
        if (label) (t.labels ??= {})[name] = label;
        const own = choicesOf(r);
        const said = r.querySelector(`.rd-options-${l}`).value.split(',').map((o) => o.trim());
        const pairs = own.map((o, j) => [o, said[j]]).filter(([, x]) => x);
        if (pairs.length) (t.options ??= {})[name] = Object.fromEntries(pairs);
      }
      if (Object.keys(t).length) out[l] = t;
    }
    return out;
  };
  const renewable = h('input', { type: 'checkbox', checked: Boolean(item.renewable) });
  const rate = () => Number(lists.taxes.find((t) => t.code === tax.value)?.rate || 0);
  const previews = [];
  const tiers = repeater({ text: w('prices'), path: 'prices' }, item.prices, (p, i) => {
    const upTo = input(`prices[${i}].up_to`, p.up_to, { type: 'number', min: '1', class: 'up-to' });
    const price = input(`prices[${i}].unit_price`, typed(p.unit_price), { inputmode: 'decimal', class: 'unit-price' });
    const incl = h('output', { class: 'incl' });
    const update = () => {
      const v = Number(price.value.replace(',', '.'));
      incl.textContent = price.value && Number.isFinite(v) ? amount((v * (1 + rate() / 100)).toFixed(2), lists.currency) : '—';
    };
    price.addEventListener('input', update);
    previews.push(update);
    update();
    return [field(w('upTo'), upTo), field(w('unitPrice'), price), h('div', { class: 'field' }, h('span', {}, w('inclTax')), incl)];
  }, w('addTier'), () => ({ up_to: null, unit_price: '' }), w('remove'));
  tax.addEventListener('change', () => previews.forEach((u) => u()));
  const seatMode = select(SEAT_MODES, item.seat_mode, (m) => w(`seat_${m}`), 'seat_mode');
  const seatRoles = h('fieldset', { 'data-path': 'seat_roles' }, h('legend', {}, w('seat_roles')),
    SEAT_ROLES.map((r) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: r, checked: item.seat_roles.includes(r) }), ` ${t(`moodle_role_${r}`)}`)),
    h('span', { class: 'error', role: 'alert' }));
  const fields = repeater({ text: w('requiredData'), path: 'required_data' }, item.required_data, (f, i) => {
    const fieldName = input(`required_data[${i}].field`, f.field, { class: 'rd-field' });
    const label = input(`required_data[${i}].label`, f.label, { class: 'rd-label' });
    // A new field's name follows its label (`Numéro de salarié` → `numero_de_salarie`) until typed.
    if (!f.field) follows(fieldName, label, (l) => identifierOf(l).replaceAll('-', '_'));
    const type = select(FIELD_TYPES, f.type || 'text', (t) => w(`field_${t}`), `required_data[${i}].type`);
    type.classList.add('rd-type');
    // The choices, and their words per language, belong to a choice only: shown with it.
    const choiceFields = [field(w('options'), input(`required_data[${i}].options`, (f.options || []).join(', '), { class: 'rd-options' })),
      ...LANGS.map((l) => field(w('optionsIn', w(`lang_${l}`)),
        h('input', { class: `rd-options-${l}`, value: (f.options || []).map((o) => item.texts?.[l]?.options?.[f.field]?.[o] ?? '').join(', ').replace(/^[, ]+$/, '') }),
        `texts.${l}.options.${f.field}`))];
    const showChoices = () => choiceFields.forEach((el) => { el.hidden = type.value !== 'select'; });
    type.addEventListener('change', showChoices);
    showChoices();
    return [
      field(w('fieldName'), fieldName),
      field(w('label'), label),
      field(w('type'), type),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', class: 'rd-required', checked: f.required !== false }), ` ${w('required')}`),
      choiceFields[0],
      // Its label and choices in each language (the choices in the same order), a line of their own.
      h('div', { class: 'row said' }, LANGS.map((l, j) => [
        field(w('labelIn', w(`lang_${l}`)), h('input', { class: `rd-label-${l}`, value: item.texts?.[l]?.labels?.[f.field] || '' }), `texts.${l}.labels.${f.field}`),
        choiceFields[j + 1],
      ])),
    ];
  }, w('addField'), () => ({ field: '', label: '', type: 'text', required: true, options: [] }), w('remove'));
  const choices = h('datalist', { id: 'part-choices' });
  const parts = repeater({ text: w('parts'), path: 'parts' }, item.parts, (p, i) => {
    const code = input(`parts[${i}].code`, p.code, { class: 'part-code', list: 'part-choices', autocomplete: 'off' });
    const named = h('output', { class: 'part-name' });
    partPicker(code, named, choices);
    return [
      field(w('partCode'), code), h('div', { class: 'field' }, h('span', {}, w('partName')), named),
      field(w('quantity'), input(`parts[${i}].quantity`, p.quantity ?? 1, { type: 'number', min: '1', class: 'part-qty' })),
    ];
  }, w('addPart'), () => ({ code: '', quantity: 1 }), w('remove'));
  const handler = deliverySection(session.shop, item.handler, w);
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const done = h('p', { class: 'notice', hidden: true, role: 'status' }, w('saved'));

  const number = (el) => (el.value === '' ? null : Number(el.value));
  const collect = () => {
    const out = {
      code: codeInput.value.trim(), name: name.value, description: description.value, category: category.value || null,
      kind: kind.value, status: status.value, visibility: visibility.value, tax: tax.value,
      max_quantity: number(maxQuantity), stock: number(stock), password: password.value || null, eula: eula.value || null,
      renewable: renewable.checked, seat_mode: seatMode.value,
      seat_roles: [...seatRoles.querySelectorAll('input:checked')].map((c) => c.value),
      prices: tiers.rows().map((r) => ({ up_to: number(r.querySelector('.up-to')), unit_price: r.querySelector('.unit-price').value.trim().replace(',', '.') })),
      required_data: fields.rows().map((r) => ({
        field: r.querySelector('.rd-field').value.trim(), label: r.querySelector('.rd-label').value, type: r.querySelector('.rd-type').value,
        required: r.querySelector('.rd-required').checked,
        options: choicesOf(r),
      })),
      parts: parts.rows().map((r) => ({ code: r.querySelector('.part-code').value.trim(), quantity: Number(r.querySelector('.part-qty').value) })),
      handler: handler.value(),
      texts: readTexts(),
    };
    return out;
  };
  const editor = h('form', { id: 'item', novalidate: true });
  const save = async (ev) => {
    ev.preventDefault();
    clearProblem(editor, banner);
    done.hidden = true;
    let body;
    try { body = collect(); } catch (e) {
      showProblem(editor, { body: { errors: [{ field: e.path, code: e.code }] } }, banner);
      return;
    }
    const path = `/admin/shops/${session.shop}/items/${encodeURIComponent(body.code)}`;
    try {
      const answer = await send('PUT', path, body, etag ? { 'if-match': etag } : { 'if-none-match': '*' });
      etag = answer.etag;
      if (!code && !answer.json.warnings.length) { location.assign(`/admin/items?code=${encodeURIComponent(body.code)}&saved=1`); return; }
      done.replaceChildren(w('saved'), ...answer.json.warnings.map((x) => h('span', { class: 'warning' }, ' ', w(x.code))));
      done.hidden = false;
      history();
    } catch (e) {
      // A new item whose code another item has: said at the code (nobody changed anything).
      if (e.status === 412 && !etag) {
        showProblem(editor, { body: { errors: [{ field: 'code', code: 'code_taken' }] } }, banner);
        return;
      }
      if (e.status === 412) {
        banner.replaceChildren(w('stale', e.body.changed_by ? staffName(e.body.changed_by) : '?', when(e.body.changed_at)), ' ', h('a', { href: location.href }, w('reload')));
        banner.hidden = false;
        return;
      }
      showProblem(editor, e, banner);
    }
  };
  editor.addEventListener('submit', save);
  const changes = h('ol', { id: 'history' });
  const history = async () => {
    if (!code) return;
    const found = (await send('GET', `/admin/shops/${session.shop}/items/${encodeURIComponent(code)}/history`)).json.changes;
    changes.replaceChildren(...found.map((c) => h('li', {}, `${when(c.at)} — ${staffName(c.actor)} — ${w(`action_${c.action}`)}${c.fields.length ? ` (${c.fields.map((f) => desk(`itemField_${f}`)).join(', ')})` : ''}`)));
  };
  const copyCode = h('input', {});
  const copy = code && h('form', { class: 'row', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const made = await send('POST', `/admin/shops/${session.shop}/items/${encodeURIComponent(code)}/duplicate`, { code: copyCode.value.trim() });
      location.assign(`/admin/items?code=${encodeURIComponent(made.json.item.code)}`);
    } catch (e) { showProblem(copy, e, banner); }
  } }, field(w('newCode'), copyCode, 'code'), h('button', { type: 'submit', class: 'secondary' }, w('duplicate')));
  const remove = code && h('form', { class: 'inline' }, h('button', { type: 'submit', class: 'secondary' }, w('delete')));
  remove?.addEventListener('submit', (ev) => {
    ev.preventDefault();
    confirmIn(remove, w('confirmDelete', inLang(item)), async () => {
      try {
        await send('DELETE', `/admin/shops/${session.shop}/items/${encodeURIComponent(code)}`, undefined, { 'if-match': etag });
        location.assign('/admin/items');
      } catch (e) { banner.textContent = e.message; banner.hidden = false; }
    });
  });
  fill(editor,
    h('fieldset', {}, h('legend', {}, w('describe')),
      h('div', { class: 'row' }, field(w('code'), codeInput), field(w('name'), name)),
      field(w('description'), description),
      h('div', { class: 'row' }, field(w('category'), category), field(w('kind'), kind))),
    h('fieldset', {}, h('legend', {}, w('sale')),
      h('div', { class: 'row' }, field(w('status'), status), field(w('visibility'), visibility), field(w('tax'), tax)),
      h('div', { class: 'row' }, field(w('max_quantity'), maxQuantity), field(w('stock'), stock), field(w('password'), password)),
      field(w('eula'), eula),
      h('label', { class: 'check' }, renewable, ` ${w('renewable')}`)),
    h('fieldset', {}, h('legend', {}, w('texts')),
      LANGS.map((l) => h('div', { class: 'repeat' },
        field(`${w('name')} (${w(`lang_${l}`)})`, words[l].name), field(`${w('description')} (${w(`lang_${l}`)})`, words[l].description),
        field(`${w('eula')} (${w(`lang_${l}`)})`, words[l].eula)))),
    tiers.element,
    h('fieldset', {}, h('legend', {}, w('seats')), field(w('seat_mode'), seatMode), seatRoles),
    fields.element,
    parts.element, choices,
    handler.element,
    banner, done,
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'primary' }, w('save')),
      code && h('a', { class: 'button secondary', href: `/?shop=${session.shop}&preview=${encodeURIComponent(code)}&lang=${lang()}`, target: '_blank' }, w('preview'))));
  document.title = `${inLang(item) || w('newItem')} — ${session.shopName}`;
  fill(main,
    h('p', {}, h('a', { href: '/admin/items' }, w('back'))),
    h('h1', {}, inLang(item) || w('newItem')),
    read && h('p', { class: 'muted' }, `${read.json.changed_by ? staffName(read.json.changed_by) : ''} · ${when(read.json.changed_at)}`),
    params.get('saved') && h('p', { class: 'notice', role: 'status' }, w('saved')),
    read && buyerLink(session.shop, read.json.item),
    editor,
    copy, remove,
    code && h('section', { 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, w('history')), changes));
  history();
}

async function start() {
  session = await staffSession();
  if (!session) { location.assign('/admin'); return; }
  const shop = await send('GET', `/shops/${session.shop}/catalog`);
  session.shopName = shop.json.shop.name;
  document.getElementById('header').replaceChildren(deskHeader(session, session.shopName));
  if (session.role !== 'manager') {
    fill(main, h('h1', {}, w('title')), h('p', { class: 'banner', role: 'alert' }, desk('managersOnly')));
    return;
  }
  const code = params.get('code');
  if (code || params.get('new')) await form(code);
  else await list();
}

start().catch((e) => fill(main, h('p', { class: 'banner', role: 'alert' }, e.message)));
