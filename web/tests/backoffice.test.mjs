// Browser tests of the back office's pages: staff sign in with their Moodle account (the
// demo shop's `manager` and `operator`, made by the simulator) and work the bills. Each
// scenario leaves screenshots in tests/artifacts/; every page is checked with axe-core.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { englishIn, pageWords, refusingSmtp, seriousViolations, shot, startStack } from './harness.mjs';

let stack;

before(async () => { stack = await startStack(); });
after(async () => { await stack?.stop(); });

const apiCall = (...args) => stack.api(...args);

/** A bill of one Excel essentials (144,00 € incl. tax) placed by `method`, as a buyer would
 * (on another stack than the file's, in French, with other details, when asked). */
async function placedBill(method, lastname, { on = stack, language = 'en', customer = {} } = {}) {
  const cart = await on.api('POST', '/shops/demo/carts', { language });
  await on.api('PUT', `/carts/${cart.id}/lines/EXCEL-ESS`, { quantity: 1 });
  await on.api('PUT', `/carts/${cart.id}/customer`, { customer: { firstname: 'Grace', lastname, email: `${lastname.toLowerCase()}@example.org`, address: '1 Navy Road', zip: '75001', city: 'Paris', country: 'FR', ...customer } });
  const placed = await on.api('POST', `/carts/${cart.id}/order`, { payment_method: method, accept_terms: true });
  return placed.bill_id;
}

/** An order of Excel essentials by `customer`, paid with the test method: its placement's
 * answer (`bill_id`, `access_token`). */
async function paidOrder(customer, { quantity = 1, language = 'en' } = {}) {
  return paidOrderOn(stack, customer, { quantity, language });
}

/** The same on another stack than the file's. */
async function paidOrderOn(on, customer, { quantity = 1, language = 'en' } = {}) {
  const cart = await on.api('POST', '/shops/demo/carts', { language });
  await on.api('PUT', `/carts/${cart.id}/lines/EXCEL-ESS`, { quantity });
  await on.api('PUT', `/carts/${cart.id}/customer`, { customer });
  const placed = await on.api('POST', `/carts/${cart.id}/order`, { payment_method: 'test', accept_terms: true });
  await fetch(`${on.base}/bills/${placed.bill_id}/test-payment`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${placed.access_token}` }, body: JSON.stringify({ outcome: 'paid' }) });
  return placed;
}

async function signIn(p, username, password, on = stack) {
  await p.goto(`${on.base}/admin?shop=demo`);
  const form = p.locator('#sign-in');
  await form.getByLabel(/Moodle username|Nom d’utilisateur Moodle/).fill(username);
  await form.getByLabel(/Password|Mot de passe/).fill(password);
  await form.getByRole('button').click();
}

async function accessible(p, name) {
  await shot(p, name);
  assert.deepEqual(await seriousViolations(p), [], `${name}: axe-core`);
}

test('a manager sees a transfer awaiting confirmation, records it in French and watches the bill reach COMPLETE', async () => {
  const bill = await placedBill('transfer', 'Hopper');
  const p = await stack.page('fr', 1280);
  await signIn(p, 'manager', 'manager-2026');
  const row = p.locator(`#awaiting tr[data-bill="${bill}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /Grace Hopper/);
  assert.match(await row.textContent(), /144,00\s€/, 'amounts in the French format');
  await accessible(p, 'admin-dashboard-fr');
  await row.getByRole('link', { name: bill }).click();
  await p.waitForURL(/\/admin\/bill\?/);
  const form = p.locator('#payment');
  assert.equal(await form.getByLabel('Montant').inputValue(), '144,00', 'what remains due, with a decimal comma');
  await form.getByLabel('Référence (facultative)').fill('VIR-2026-001');
  await form.getByRole('button', { name: 'Enregistrer le paiement' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#status[data-status="COMPLETE"]').waitFor({ timeout: 20000 });
  const trace = await p.locator('#trace').textContent();
  assert.match(trace, /manager/, 'the payment is written with who recorded it');
  assert.match(trace, /Terminée/);
  assert.match(trace, /commande passée, paiement : Virement/, 'the shop’s own entries are said in French');
  assert.match(trace, /paiement attendu : Virement.*paiement enregistré par l’équipe.*toutes les lignes sont livrées/s);
  assert.deepEqual(englishIn(await p.locator('body').innerText()), [], 'no English word on the French bill page');
  await accessible(p, 'admin-bill-complete-fr');
  await p.goto(`${stack.base}/admin`);
  // The bills desk gives a paid bill's invoice number under its own.
  const paidRow = p.locator(`#bills tr[data-bill="${bill}"]`);
  await paidRow.waitFor();
  assert.match(await paidRow.locator('.invoice-number').innerText(), /^DEMO-TEST-\d{4}-\d{6}$/);
  const recorded = p.locator('#audit tr[data-action="bill"]', { hasText: bill });
  await recorded.first().waitFor();
  assert.match(await recorded.first().innerText(), /paiement enregistré par l’équipe/, 'the staff actions say it in French too');
  assert.deepEqual(englishIn(await p.locator('#audit').innerText()), [], 'no English word in the French staff actions');
  const loaded = p.locator('#audit tr[data-action="shop_imported"]').last();
  assert.match(await loaded.innerText(), /le jeton d’accès \(un script\)/, 'the demo loaded by the bearer token, said as such: not a member of staff');

  // The month's bills for the accountant, in a French spreadsheet's format.
  await p.goto(`${stack.base}/admin`);
  const exports = p.locator('#exports');
  await exports.getByLabel('Format du tableur').selectOption('fr');
  const [download] = await Promise.all([
    p.waitForEvent('download'),
    exports.getByRole('link', { name: /^Commandes, une ligne chacune/ }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => l.split(';'));
  const [head, ...rows] = csv;
  const total = head.indexOf('total_incl_tax');
  const listed = await p.evaluate(async () => (await (await fetch('/admin/shops/demo/bills?limit=100')).json()).bills);
  assert.equal(rows.length, listed.length, 'one row per bill');
  const cents = (x) => Math.round(Number(x.replace(',', '.')) * 100);
  assert.equal(rows.reduce((s, r) => s + cents(r[total]), 0), listed.reduce((s, b) => s + cents(b.total), 0), 'the totals are the bills\'');
  assert.ok(rows.some((r) => r.includes(bill)), 'the bill paid above is there');
  // The sales figures count it: revenue excl. tax of the day, the item sold.
  await p.locator('#revenue').getByText('120,00 €').waitFor();
  assert.match(await p.locator('#top-items').textContent(), /Excel, les essentiels \(formation en ligne, 12 mois\)/, 'items by their French names');
  await accessible(p, 'admin-dashboard-exports-fr');
});

test('an operator cannot cancel without a note, then cancels with one', async () => {
  const bill = await placedBill('check', 'Lovelace');
  const p = await stack.page('en', 1280);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#needs-action').waitFor();
  await p.goto(`${stack.base}/admin/bill?shop=demo&bill=${bill}`);
  const form = p.locator('#transition');
  await form.getByLabel('New status').selectOption('CANCELLED');
  await form.getByRole('button', { name: 'Apply' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
  const note = form.getByLabel('Note');
  await p.locator('#transition textarea[aria-invalid=true]').waitFor();
  assert.match(await note.locator('xpath=..').locator('.error').textContent(), /note/);
  await shot(p, 'admin-cancel-needs-note');
  await note.fill('The customer asked to cancel by phone.');
  await form.getByRole('button', { name: 'Apply' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
  await p.locator('#status[data-status="CANCELLED"]').waitFor();
  assert.match(await p.locator('#trace').textContent(), /operator.*The customer asked to cancel by phone\./s);
  await accessible(p, 'admin-bill-cancelled');
});

test('an operator refunds a delivered order in French, offered only the moves it allows, and the buyer\'s access closes', async () => {
  // Bought in English: the French page names what was bought in French all the same.
  const placed = await paidOrder({ firstname: 'Marie', lastname: 'Curie', email: 'marie@example.org', address: '1 rue Pierre et Marie Curie', zip: '75005', city: 'Paris', country: 'FR' });
  const p = await stack.page('fr', 390);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#needs-action').waitFor();
  await p.goto(`${stack.base}/admin/bill?shop=demo&bill=${placed.bill_id}`);
  await p.locator('#status[data-status="COMPLETE"]').waitFor({ timeout: 20000 });
  assert.equal(await p.locator('tr[data-code="EXCEL-ESS"] td.key').first().innerText(), 'Excel, les essentiels (formation en ligne, 12 mois)');
  const form = p.locator('#transition');
  const choices = () => form.getByLabel('Nouvel état').locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(await choices(), [['', 'Choisir…'], ['PAYBACK', 'Remboursement en cours']], 'a delivered bill can only be refunded');
  // Nothing chosen: said at the field, nothing asked, nothing sent.
  await form.getByRole('button', { name: 'Appliquer' }).click();
  await p.locator('#transition select[aria-invalid=true]').waitFor();
  assert.equal(await form.getByRole('alertdialog').count(), 0);
  await form.getByLabel('Nouvel état').selectOption('PAYBACK');
  // Without a note: said at the note, in French.
  await form.getByRole('button', { name: 'Appliquer' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#transition textarea[aria-invalid=true]').waitFor();
  assert.equal(await form.getByLabel('Note').locator('xpath=..').locator('.error').textContent(), 'Indiquez pourquoi dans la note : ce changement en demande une.');
  await form.getByLabel('Note').fill('Formation annulée par le client, remboursement par virement.');
  await form.getByRole('button', { name: 'Appliquer' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#status[data-status="PAYBACK"]').waitFor();
  assert.deepEqual(await choices(), [['', 'Choisir…'], ['REFUNDED', 'Remboursée']]);
  await form.getByLabel('Nouvel état').selectOption('REFUNDED');
  await form.getByLabel('Note').fill('Virement de remboursement envoyé.');
  await form.getByRole('button', { name: 'Appliquer' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#status[data-status="REFUNDED"]').waitFor();
  assert.equal(await p.locator('#transition').count(), 0, 'a refunded bill moves no more');
  assert.match(await p.locator('#trace').textContent(), /operator.*Formation annulée par le client.*Virement de remboursement envoyé\./s);
  assert.deepEqual(englishIn(await p.locator('body').innerText()), [], 'no English word on the French bill page');
  const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `${scroll} px wide in ${inner} px`);
  // Its invoice is cancelled by a credit note, which the staff open from the bill.
  const number = (await p.locator('#credit-note').innerText()).split(' · ')[0];
  assert.match(number, /^DEMO-TEST-AV-\d{4}-\d{6}$/);
  assert.match(await p.locator('tr', { has: p.locator('#credit-note') }).locator('th').innerText(), /^Avoir$/);
  await accessible(p, 'admin-bill-refunded-fr-390');
  // The customer's page lists the bill with its credit note, and since when Marie has bought here.
  await p.goto(`${stack.base}/admin/customers?shop=demo&email=marie%40example.org`);
  await p.locator('#bought-since').waitFor();
  assert.match(await p.locator('#bought-since').innerText(), /^Première commande livrée : /);
  assert.equal(await p.locator('.credit-note-number').innerText(), `Avoir ${number}`);
  await p.goto(`${stack.base}/admin/bill?shop=demo&bill=${placed.bill_id}`);
  await p.locator('#credit-note').waitFor();
  // The buyer's page no longer gives the course.
  const bill = await (await fetch(`${stack.base}/bills/${placed.bill_id}`, { headers: { authorization: `Bearer ${placed.access_token}` } })).json();
  assert.equal(bill.status, 'REFUNDED');
  assert.equal(bill.access, undefined, 'no course link once refunded');
  assert.equal(bill.moves, undefined, 'the buyer is not told the staff\'s moves');
  // It gives the buyer's accountant both documents: the invoice and the credit note cancelling it.
  const buyer = await stack.page('fr', 390);
  await buyer.goto(`${stack.base}/bill?shop=demo&bill=${placed.bill_id}#token=${encodeURIComponent(placed.access_token)}`);
  const link = buyer.locator('#credit-note');
  assert.equal(await link.innerText(), `Avoir ${number}`);
  assert.equal(await buyer.locator('#invoice').innerText(), 'Facture');
  assert.deepEqual(englishIn(await buyer.locator('body').innerText()), [], 'no English word on the French bill page');
  await shot(buyer, 'bill-refunded-credit-note-fr-390');
  // The document is in the language the order was placed in (English here), as its invoice is.
  await link.click();
  await buyer.waitForURL(/credit-note/);
  assert.equal(await buyer.locator('h1').innerText(), `Credit note ${number}`);
  assert.match(await buyer.locator('body').innerText(), /This credit note cancels in full invoice DEMO-TEST-\d{4}-\d{6}\./);
});

test('an operator refunds part of a delivered order in French on a phone: the order and its access stand, a credit note for that amount, which the buyer gets', async () => {
  const placed = await paidOrder({ firstname: 'Irène', lastname: 'Joliot', email: 'irene@example.org', address: '1 rue d’Ulm', zip: '75005', city: 'Paris', country: 'FR' }, { quantity: 2, language: 'fr' });
  const p = await stack.page('fr', 390);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#needs-action').waitFor();
  await p.goto(`${stack.base}/admin/bill?shop=demo&bill=${placed.bill_id}`);
  await p.locator('#status[data-status="COMPLETE"]').waitFor({ timeout: 20000 });
  const form = p.locator('#refund');
  // Not an amount: said at the field in French.
  await form.getByLabel('Montant remboursé (TTC)').fill('cent');
  await form.getByLabel('Motif').fill('Un des deux participants s’est désisté.');
  await form.getByRole('button', { name: 'Enregistrer le remboursement' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#refund input[aria-invalid=true]').waitFor();
  assert.match(await form.innerText(), /Saisissez un montant, par exemple 12,50\./);
  // All of it is a refund of the order (its status), said at the field in French with the amount.
  await form.getByLabel('Montant remboursé (TTC)').fill('288');
  await form.getByLabel('Motif').fill('Un des deux participants s’est désisté.');
  await form.getByRole('button', { name: 'Enregistrer le remboursement' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#refund input[aria-invalid=true]').waitFor();
  assert.match(await form.innerText(), /Indiquez moins que ce que la commande a conservé \(288,00\s€\) ; pour tout rembourser, changez son état\./);
  await form.getByLabel('Montant remboursé (TTC)').fill('144,00');
  await form.getByLabel('Référence (facultative)').fill('VIR-RET-77');
  await form.getByRole('button', { name: 'Enregistrer le remboursement' }).click();
  assert.match(await form.getByRole('alertdialog').innerText(), /Enregistrer un remboursement de 144,00 EUR \? L’acheteur sera prévenu, avec un avoir\./);
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  const refund = p.locator('.refund');
  await refund.waitFor();
  assert.equal(await p.locator('#status').getAttribute('data-status'), 'COMPLETE', 'the order stands');
  assert.match(await p.locator('tr', { has: refund }).locator('th').innerText(), /^Remboursement partiel$/);
  assert.match(await refund.innerText(), /^144,00\s€ · .* · VIR-RET-77\nAvoir DEMO-TEST-AV-\d{4}-\d{6} · Ouvrir · PDF$/);
  const number = (await refund.innerText()).match(/DEMO-TEST-AV-\d{4}-\d{6}/)[0];
  assert.match(await p.locator('#trace').textContent(), /144,00\s€ remboursés, une partie de ce qui a été reçu : Un des deux participants s’est désisté\./);
  assert.deepEqual(englishIn(await p.locator('body').innerText()), [], 'no English word on the French bill page');
  const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `${scroll} px wide in ${inner} px`);
  await accessible(p, 'admin-bill-part-refund-fr-390');
  // The dashboard's sales say what was given back, excl. tax, beside what was sold.
  await p.goto(`${stack.base}/admin?shop=demo`);
  await p.locator('#refunded').waitFor();
  assert.match(await p.locator('#figures .totals').innerText(), /· [\d\s]+,\d\d\s€ remboursés HT$/);
  assert.match(await p.locator('#revenue .refunded').last().innerText(), /^[\d\s]+,\d\d\s€ remboursés$/);
  // The accountant's credit note number finds its order on the bills desk, which lists it.
  const desk = p.locator('#bill-filter');
  await desk.getByLabel('Rechercher').fill(number);
  await desk.getByRole('button', { name: 'Filtrer' }).click();
  const found = p.locator(`#bills [data-bill="${placed.bill_id}"]`);
  // (the order was listed before the filter too: wait for the filtered list to replace it)
  await p.locator('#bills [data-bill]').nth(1).waitFor({ state: 'detached' });
  await found.locator('.refund-credit-note').waitFor();
  assert.equal(await found.locator('.refund-credit-note').innerText(), `Avoir ${number}`);
  assert.equal(await p.locator('#bills [data-bill]').count(), 1, 'that order only');
  // The buyer's page gives the refund with its credit note, in French (the order's language).
  const bill = await (await fetch(`${stack.base}/bills/${placed.bill_id}`, { headers: { authorization: `Bearer ${placed.access_token}` } })).json();
  assert.ok(bill.access, 'the course is still reached');
  const buyer = await stack.page('fr', 390);
  await buyer.goto(`${stack.base}/bill?shop=demo&bill=${placed.bill_id}#token=${encodeURIComponent(placed.access_token)}`);
  const line = buyer.locator('p.refund');
  await line.waitFor();
  assert.match(await line.innerText(), new RegExp(`^Remboursement partiel du .+ : 144,00\\s€ · Avoir ${number} · Avoir \\(PDF\\)$`));
  assert.deepEqual(englishIn(await buyer.locator('body').innerText()), [], 'no English word on the French bill page');
  assert.deepEqual(await seriousViolations(buyer), [], 'axe-core');
  await shot(buyer, 'bill-part-refund-fr-390');
  await line.getByRole('link', { name: `Avoir ${number}` }).click();
  await buyer.waitForURL(/credit-note/);
  assert.equal(await buyer.locator('h1').innerText(), `Avoir n° ${number}`);
  assert.match(await buyer.locator('body').innerText(), /Le présent avoir rembourse une partie de la facture DEMO-TEST-\d{4}-\d{6}\./);
});

test('a buyer who typed their address wrong never had their access: an operator sends it again from the bill, in French on a phone, to the corrected address', async () => {
  const cart = await apiCall('POST', '/shops/demo/carts', { language: 'fr' });
  await apiCall('PUT', `/carts/${cart.id}/lines/EXCEL-ESS`, { quantity: 1 });
  await apiCall('PUT', `/carts/${cart.id}/customer`, { customer: { firstname: 'Émilie', lastname: 'Du Châtelet', email: 'emilie@exmaple.org', address: '1 rue Voltaire', zip: '75011', city: 'Paris', country: 'FR' } });
  const placed = await apiCall('POST', `/carts/${cart.id}/order`, { payment_method: 'test', accept_terms: true });
  await fetch(`${stack.base}/bills/${placed.bill_id}/test-payment`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${placed.access_token}` }, body: JSON.stringify({ outcome: 'paid' }) });
  const p = await stack.page('fr', 390);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#needs-action').waitFor();
  // The access message went (to the mistyped address, which the mail system took).
  const delivered = p.locator('#messages tr[data-kind="delivered"]');
  for (let i = 0; i < 30; i++) {
    await p.goto(`${stack.base}/admin/bill?shop=demo&bill=${placed.bill_id}`);
    await p.locator('#status').waitFor();
    if (await p.locator('#messages tr[data-kind="delivered"][data-state="sent"]').count()) break;
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  const row = await delivered.innerText();
  assert.match(row, /Accès prêt/, 'the message by its name, in French');
  assert.match(row, /emilie@exmaple\.org/, 'where it went');
  assert.match(row, /envoyé le/);
  assert.equal(await p.locator('#messages tr[data-kind="order_placed"][data-state="sent"]').count(), 1, 'every message of the bill is listed');
  await delivered.getByText('Renvoyer…').click();
  const again = delivered.locator('form.send-again');
  assert.equal(await again.getByLabel('Envoyer à').inputValue(), 'emilie@exmaple.org', 'the address it went to, to correct');
  await again.getByLabel('Envoyer à').fill('emilie@example.org');
  await again.getByRole('button', { name: 'Renvoyer', exact: true }).click();
  await again.getByRole('alertdialog', { name: 'Renvoyer ce message à emilie@example.org ?' }).getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#messages tr[data-kind="delivered"][data-state="due"]', { hasText: 'en attente d’envoi' }).waitFor();
  assert.deepEqual(englishIn(await p.locator('body').innerText()), [], 'no English word on the French bill page');
  const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `${scroll} px wide in ${inner} px`);
  await accessible(p, 'admin-bill-message-sent-again-fr-390');
  // It reaches her, once, with the course.
  const mine = await stack.mailTo('emilie@example.org', (m) => m.length >= 1);
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.match(mine[0].subject, /^Votre formation est prête/);
  assert.match(await p.locator('#trace').innerText(), /message « Accès prêt » renvoyé à emilie@example\.org/);
});

test('an order delivered before payment waits on the dashboard for its money, which an operator records in French: the bill is then complete', async () => {
  const bill = await placedBill('transfer', 'Meitner');
  const moved = await fetch(`${stack.base}/admin/bills/${bill}/transitions`, { method: 'POST', headers: { authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' }, body: JSON.stringify({ to: 'PREPROD', note: 'client de confiance' }) });
  assert.equal(moved.status, 200);
  const p = await stack.page('fr', 1280);
  await signIn(p, 'operator', 'operator-2026');
  const row = p.locator(`#delivered-unpaid tr[data-bill="${bill}"]`);
  await row.waitFor();
  assert.match(await p.locator('#needs-action').innerText(), /Livrées avant paiement : paiement attendu/);
  await row.getByRole('link', { name: bill }).click();
  await p.waitForURL(/\/admin\/bill\?/);
  await p.locator('tr[data-code="EXCEL-ESS"]', { hasText: 'livré' }).waitFor({ timeout: 20000 });
  const form = p.locator('#payment');
  assert.equal(await form.getByLabel('Montant').inputValue(), '144,00', 'its total, still due');
  await form.getByRole('button', { name: 'Enregistrer le paiement' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#status[data-status="COMPLETE"]').waitFor();
  assert.match(await p.locator('#trace').innerText(), /payée en totalité, livrée avant paiement/);
  assert.deepEqual(englishIn(await p.locator('body').innerText()), [], 'no English word on the French bill page');
});

test('an operator whose session ended is told so in French, not that their password is wrong, and signs in again', async () => {
  const bill = await placedBill('check', 'Noether');
  const p = await stack.page('fr', 1280);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#needs-action').waitFor();
  await p.goto(`${stack.base}/admin/bill?shop=demo&bill=${bill}`);
  const form = p.locator('#payment');
  await form.getByLabel('Montant').waitFor();
  await p.context().clearCookies(); // the session ended (10 hours, or signed out elsewhere)
  await form.getByRole('button', { name: 'Enregistrer le paiement' }).click();
  await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await form.getByText('Votre session a pris fin : rechargez la page pour vous reconnecter.').waitFor();
  assert.equal(await form.getByText(/mot de passe incorrect/).count(), 0);
  await p.reload();
  await p.locator('#sign-in').waitFor();
});

test('an operator refunds a paid order stuck while Moodle is down: the page that follows the delivery keeps what they type', async () => {
  const faults = (calls, fault) => fetch(`${stack.moodle}/simulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ calls, fault }) });
  // Signed in while Moodle answers (it checks staff passwords), then Moodle goes down.
  const p = await stack.page('fr', 1280);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#needs-action').waitFor();
  assert.equal((await faults(10000, 'down')).status, 204);
  try {
    const cart = await apiCall('POST', '/shops/demo/carts', { language: 'fr' });
    await apiCall('PUT', `/carts/${cart.id}/lines/EXCEL-ESS`, { quantity: 1 });
    await apiCall('PUT', `/carts/${cart.id}/customer`, { customer: { firstname: 'Rosalind', lastname: 'Franklin', email: 'rosalind@example.org', address: '1 King’s College', zip: '75005', city: 'Paris', country: 'FR' } });
    const placed = await apiCall('POST', `/carts/${cart.id}/order`, { payment_method: 'test', accept_terms: true });
    await fetch(`${stack.base}/bills/${placed.bill_id}/test-payment`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${placed.access_token}` }, body: JSON.stringify({ outcome: 'paid' }) });
    await p.goto(`${stack.base}/admin/bill?shop=demo&bill=${placed.bill_id}`);
    await p.locator('#status[data-status="PAID"]').waitFor();
    // An amount typed in the refund form, the field left: kept while the page follows the bill.
    const refund = p.locator('#refund').getByLabel('Montant remboursé (TTC)');
    await refund.fill('50');
    await p.locator('h1').click();
    await p.waitForTimeout(4000);
    assert.equal(await refund.inputValue(), '50');
    await refund.fill('');
    const form = p.locator('#transition');
    await form.getByLabel('Nouvel état').selectOption('PAYBACK');
    await form.getByLabel('Note').fill('Le client renonce : remboursement par virement.');
    // The page would have followed the bill three times meanwhile.
    await p.waitForTimeout(5000);
    assert.equal(await form.getByLabel('Note').inputValue(), 'Le client renonce : remboursement par virement.');
    assert.equal(await form.getByLabel('Nouvel état').inputValue(), 'PAYBACK');
    await form.getByRole('button', { name: 'Appliquer' }).click();
    await form.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
    await p.locator('#status[data-status="PAYBACK"]').waitFor();
    assert.match(await p.locator('#trace').textContent(), /Le client renonce : remboursement par virement\./);
  } finally {
    await faults(0, 'none');
  }
});

test('a wrong password, a buyer, and the bearer token do not open the back office pages', async () => {
  const p = await stack.page('en', 1280);
  await signIn(p, 'manager', 'not-the-password');
  await p.locator('#sign-in .banner').getByText(/Wrong username or password/).waitFor();
  await accessible(p, 'admin-sign-in-refused');

  // A buyer signed in to the customer area is not staff.
  await stack.ws('core_user_create_users', { users: [{ username: 'grace', password: 'Navy-1906', email: 'grace@example.org', firstname: 'Grace', lastname: 'Hopper', auth: 'manual' }] });
  const buyer = await stack.page('en', 1280);
  await buyer.goto(`${stack.base}/account?shop=demo`);
  const login = await buyer.evaluate(async () => (await fetch('/shops/demo/account/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'grace', password: 'Navy-1906' }) })).status);
  assert.equal(login, 200);
  await buyer.goto(`${stack.base}/admin`);
  await buyer.locator('#sign-in').waitFor();
  await signIn(buyer, 'grace', 'Navy-1906');
  await buyer.locator('#sign-in .banner').getByText(/This Moodle account is not on the shop’s staff: ask a manager/).waitFor();

  // The pages never use the token, even when the browser sends it.
  const automation = await stack.browser.newContext({ extraHTTPHeaders: { authorization: 'Bearer dev-admin-token' } });
  const tokenPage = await automation.newPage();
  await tokenPage.goto(`${stack.base}/admin`);
  await tokenPage.locator('#sign-in').waitFor();
  assert.equal(await tokenPage.locator('#needs-action').count(), 0);
});

test('an operator finds a customer\'s product, suspends it and restores it, each confirmed', async () => {
  const cart = await apiCall('POST', '/shops/demo/carts');
  await apiCall('PUT', `/carts/${cart.id}/lines/EXCEL-ESS`, { quantity: 1 });
  await apiCall('PUT', `/carts/${cart.id}/customer`, { customer: { firstname: 'Alan', lastname: 'Turing', email: 'alan@example.org', address: '1 Bletchley Park', zip: 'MK3 6EB', city: 'Milton Keynes', country: 'GB' } });
  const placed = await apiCall('POST', `/carts/${cart.id}/order`, { payment_method: 'test', accept_terms: true });
  await fetch(`${stack.base}/bills/${placed.bill_id}/test-payment`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${placed.access_token}` }, body: JSON.stringify({ outcome: 'paid' }) });
  const p = await stack.page('en', 1280);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#needs-action').waitFor();
  await p.getByRole('navigation').getByRole('link', { name: 'Products' }).click();
  await p.waitForURL(/\/admin\/products/);
  const form = p.locator('#product-filter');
  await form.getByLabel("Customer's email").fill('alan@example.org');
  let row;
  for (let i = 0; i < 50; i++) {
    await form.getByRole('button', { name: 'Filter' }).click();
    row = p.locator('#products tbody tr').filter({ hasText: 'alan@example.org' });
    if (await row.count()) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  await row.getByText('Excel essentials (e-learning, 12 months)').waitFor();
  await row.getByRole('button', { name: 'Suspend' }).click();
  await row.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
  await row.getByText('suspended').waitFor();
  const restored = p.locator('#products tbody tr').filter({ hasText: 'alan@example.org' });
  await accessible(p, 'admin-products-suspended');
  await restored.getByRole('button', { name: 'Restore' }).click();
  await restored.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
  await restored.getByText('running').waitFor();
});

test('an operator finds a customer and corrects their city, and the change is recorded', async () => {
  await placedBill('check', 'Franklin');
  const p = await stack.page('fr', 1280);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#needs-action').waitFor();
  await p.getByRole('navigation').getByRole('link', { name: 'Clients' }).click();
  const form = p.locator('#customer-filter');
  await form.getByLabel('Rechercher').fill('franklin');
  await form.getByRole('button', { name: 'Rechercher' }).click();
  await p.locator('#customers').getByRole('link', { name: 'Grace Franklin' }).click();
  const identity = p.locator('#identity');
  await identity.getByLabel('Ville').fill('Lyon');
  await identity.getByLabel('Code postal').fill('69001');
  await identity.getByRole('button', { name: 'Enregistrer' }).click();
  await p.locator('#changes').getByText(/operator: Code postal, Ville/).waitFor();
  assert.equal(await p.locator('#identity').getByLabel('Ville').inputValue(), 'Lyon');
  await identity.getByLabel('Pays').selectOption('');
  await identity.getByRole('button', { name: 'Enregistrer' }).click();
  // (a locator, not waitForFunction: the pages' CSP refuses the eval its polling needs)
  await p.locator('#identity [data-name=country][aria-invalid=true]').waitFor();
  await accessible(p, 'admin-customer-fr');

  // Another operator corrects her phone meanwhile: this page's next save is refused, said in
  // French, and her phone stays as the other operator typed it.
  await identity.getByLabel('Pays').selectOption('FR');
  const path = `${stack.base}/admin/shops/demo/customers/franklin%40example.org`;
  const admin = { authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' };
  const other = (await (await fetch(path, { headers: admin })).json()).identity;
  assert.equal((await fetch(path, { method: 'PUT', headers: admin, body: JSON.stringify({ ...other, phone: '+33 4 00 00 00 00' }) })).status, 200);
  await identity.getByLabel('Ville').fill('Villeurbanne');
  await identity.getByRole('button', { name: 'Enregistrer' }).click();
  await identity.getByRole('alert').filter({ hasText: /^Ce client a changé depuis que vous avez ouvert la page/ }).waitFor();
  const after = (await (await fetch(path, { headers: admin })).json()).identity;
  assert.deepEqual([after.city, after.phone], ['Lyon', '+33 4 00 00 00 00']);

  // The correction is in the staff's audit list on the dashboard, with its author.
  await p.goto(`${stack.base}/admin`);
  const entry = p.locator('#audit tr[data-action="customer_updated"]').filter({ hasText: 'Code postal, Ville' }).first();
  await entry.waitFor();
  assert.match(await entry.textContent(), /operator.*Client corrigé.*franklin@example\.org.*Code postal, Ville/);
  await accessible(p, 'admin-audit-fr');
});

test('an operator sees a delivery Moodle refused, and retries it once Moodle lets the shop enrol again', async () => {
  // Moodle's administrator took "enrol users" away from the shop's web-service user.
  const capabilities = (list) => fetch(`${stack.moodle}/simulator/capabilities`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ capabilities: list }) });
  await capabilities(['moodle/site:viewuseridentity', 'moodle/user:viewalldetails', 'moodle/course:viewparticipants']);
  const cart = await apiCall('POST', '/shops/demo/carts');
  await apiCall('PUT', `/carts/${cart.id}/lines/EXCEL-ESS`, { quantity: 1 });
  await apiCall('PUT', `/carts/${cart.id}/customer`, { customer: { firstname: 'Katherine', lastname: 'Johnson', email: 'katherine@example.org', address: '1 Langley Road', zip: '23665', city: 'Hampton', country: 'US' } });
  const placed = await apiCall('POST', `/carts/${cart.id}/order`, { payment_method: 'test', accept_terms: true });
  await fetch(`${stack.base}/bills/${placed.bill_id}/test-payment`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${placed.access_token}` }, body: JSON.stringify({ outcome: 'paid' }) });

  const p = await stack.page('en', 1280);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator(`#undelivered tr[data-bill="${placed.bill_id}"]`).waitFor({ timeout: 20000 });
  await p.goto(`${stack.base}/admin/bill?shop=demo&bill=${placed.bill_id}`);
  const line = p.locator('tr[data-code="EXCEL-ESS"]');
  for (let i = 0; i < 100 && !(await line.locator('.status.failed').count()); i++) {
    await p.reload();
    await p.waitForTimeout(200);
  }
  assert.match(await line.innerText(), /Moodle refused the delivery: the shop’s Moodle account lacks a permission \(nopermissions\)/, 'the shop says what Moodle refused');
  await line.getByText('Moodle’s message').click();
  assert.match(await line.innerText(), /Enrol users|enrol\/manual:enrol/, "Moodle's own words, one click away");
  await accessible(p, 'admin-bill-delivery-failed');

  // The same line in French: the shop's words in French; Moodle's English stays folded away.
  const fr = await stack.page('fr', 390);
  await signIn(fr, 'operator', 'operator-2026');
  await fr.locator('#needs-action').waitFor();
  await fr.goto(`${stack.base}/admin/bill?shop=demo&bill=${placed.bill_id}`);
  const ligne = fr.locator('tr[data-code="EXCEL-ESS"]');
  await ligne.locator('.status.failed').waitFor();
  assert.match(await ligne.innerText(), /Moodle a refusé la livraison : il manque une permission au compte Moodle de la boutique \(nopermissions\)/);
  assert.deepEqual(englishIn(await fr.locator('#lines-title').locator('..').innerText()), [], 'no English word on the French lines');
  await accessible(fr, 'admin-bill-delivery-failed-fr-390');

  // The buyer, meanwhile, is told the team finishes it, with whom to ask; nothing about Moodle.
  const buyer = await stack.page('fr', 390);
  await buyer.goto(`${stack.base}/bill?shop=demo&bill=${placed.bill_id}#token=${encodeURIComponent(placed.access_token)}`);
  const held = buyer.locator('#held');
  await held.waitFor();
  assert.match(await held.innerText(), /demande l’intervention de notre équipe .* Vous n’avez rien à faire\. Une question \? sales@demo-academy\.example/);
  const page = await buyer.locator('main').innerText();
  assert.doesNotMatch(page, /échec|Moodle a refusé/, page);
  assert.deepEqual(englishIn(page), [], page);
  await accessible(buyer, 'bill-delivery-held-fr-390');

  await capabilities(null);
  const retry = p.locator('#retry');
  await retry.getByRole('button', { name: 'Retry' }).click();
  await retry.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
  await p.locator('#status[data-status="COMPLETE"]').waitFor({ timeout: 30000 });
  assert.match(await p.locator('#trace').textContent(), /operator/, 'the retry is written with who asked for it');
  const user = (await stack.ws('core_user_get_users_by_field', { field: 'email', values: ['katherine@example.org'] }))[0];
  const courses = await stack.ws('core_enrol_get_users_courses', { userid: user.id });
  assert.deepEqual(courses.map((c) => c.shortname).sort(), ['EXCEL', 'SUPPORT'], 'enrolled in the course bought (and the support course)');
});

test('a buyer whose enrolment in the support course Moodle refused gets their order all the same; the operator reads why, in French on a phone', async () => {
  // A stack of its own: its support course is one Moodle does not have.
  const own = await startStack();
  try {
    const admin = { authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' };
    const shop = await (await fetch(`${own.base}/admin/shops/demo`, { headers: admin })).json();
    shop.customer_support_course = 'GONE-SUPPORT';
    assert.equal((await fetch(`${own.base}/admin/shops/demo`, { method: 'PUT', headers: admin, body: JSON.stringify(shop) })).status, 200);
    const placed = await paidOrderOn(own, { firstname: 'Rosalind', lastname: 'Franklin', email: 'rosalind@example.org', address: '1 rue', zip: '75005', city: 'Paris', country: 'FR' });
    const p = await own.page('fr', 390);
    await signIn(p, 'operator', 'operator-2026', own);
    await p.locator('#needs-action').waitFor();
    await p.goto(`${own.base}/admin/bill?shop=demo&bill=${placed.bill_id}`);
    await p.locator('#status[data-status="COMPLETE"]').waitFor({ timeout: 20000 });
    const support = p.locator('tr[data-code="support"]');
    assert.match(await support.innerText(), /Inscription au cours d’assistance.*en échec.*La commande est livrée malgré tout : inscrivez l’acheteur à la main dans Moodle/s);
    assert.deepEqual(englishIn(await p.locator('#lines-title').locator('..').innerText()), [], 'no English word on the French lines');
    await accessible(p, 'admin-bill-support-refused-fr-390');
    // The buyer reaches the course bought, and is not bothered with the support course.
    const buyer = await own.page('fr', 390);
    await buyer.goto(`${own.base}/bill?shop=demo&bill=${placed.bill_id}#token=${encodeURIComponent(placed.access_token)}`);
    await buyer.locator('section.access li a').first().waitFor({ timeout: 20000 });
    assert.doesNotMatch(await buyer.locator('main').innerText(), /assistance|échec/);
  } finally {
    await own.stop();
  }
});

test('the bill page opens the invoice, and in test mode posts a signed sample notification that pays the bill', async () => {
  const bill = await placedBill('systempay', 'Hamilton');
  const p = await stack.page('fr', 1280);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#needs-action').waitFor();
  await p.goto(`${stack.base}/admin/bill?shop=demo&bill=${bill}`);
  const pdf = await p.evaluate(async (id) => {
    const r = await fetch(`/admin/bills/${id}/invoice?format=pdf`);
    return [r.status, r.headers.get('content-type'), new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))];
  }, bill);
  assert.deepEqual(pdf, [200, 'application/pdf', '%PDF-']);
  const [invoice] = await Promise.all([p.context().waitForEvent('page'), p.locator('#documents').getByRole('link').first().click()]);
  await invoice.waitForLoadState();
  assert.match(await invoice.textContent('body'), /Hamilton/);
  await invoice.close();

  const sample = p.locator('#sample');
  await sample.getByLabel('Prestataire').selectOption('systempay');
  await sample.getByRole('button', { name: 'Envoyer la notification' }).click();
  await sample.getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#status[data-status="COMPLETE"]').waitFor({ timeout: 20000 });
  assert.match(await p.locator('#trace').textContent(), /Carte \(Systempay\)/, 'paid by the gateway, as its notification says');
  await accessible(p, 'admin-bill-sample-paid-fr');
});

test('the dashboard, a bill, the catalogue, the settings, the customers, a customer and the products fit a tablet and a phone without scrolling sideways, an order number on one line', async () => {
  const bill = await placedBill('transfer', 'Widths');
  for (const [lang, width] of [['en', 820], ['en', 390], ['fr', 600], ['fr', 390]]) {
    const p = await stack.page(lang, width);
    await signIn(p, 'manager', 'manager-2026');
    await p.locator('#audit table').waitFor();
    assert.equal(await p.evaluate(() => document.documentElement.scrollWidth), width, `dashboard at ${width} px: ${await tooWide(p, width)}`);
    const row = p.locator(`#awaiting tr[data-bill="${bill}"]`);
    const number = await row.locator('a').evaluate((a) => [a.getClientRects().length, a.getBoundingClientRect().toJSON()]);
    assert.equal(number[0], 1, `an order number reads on one line at ${width} px in ${lang}`);
    const badge = await row.locator('.status').evaluate((s) => s.getBoundingClientRect().toJSON());
    assert.ok(number[1].right <= badge.left || number[1].bottom <= badge.top, `the status does not cover the order number at ${width} px in ${lang}`);
    await accessible(p, `admin-dashboard-${lang}-${width}`);
    // Each page once it shows `ready` and its requests are done: no sideways scrolling, axe-core clean.
    // (A customer and the products with products delivered: Alan Turing's, from the scenario above.)
    for (const [name, path, ready] of [
      ['bill', `/admin/bill?shop=demo&bill=${bill}`, '#payment'],
      ['items', '/admin/items?shop=demo', '#items tr[data-code="EXCEL-ESS"]'],
      ['settings', '/admin/settings?shop=demo', 'fieldset[data-path="categories"] input.cat-id'],
      ['customers', '/admin/customers?shop=demo', '#customers tbody tr'],
      ['customer', '/admin/customers?shop=demo&email=alan%40example.org', 'table.stacked tbody tr >> nth=1'],
      ['products', '/admin/products?shop=demo', '#products tbody tr'],
    ]) {
      await p.goto(`${stack.base}${path}`);
      await p.locator(ready).first().waitFor();
      await p.waitForLoadState('networkidle');
      assert.equal(await p.evaluate(() => document.documentElement.scrollWidth), width, `${name} at ${width} px: ${await tooWide(p, width)}`);
      await accessible(p, `admin-${name}-${lang}-${width}`);
    }
  }
});

/** The first elements that reach past `width`, for a failure's message. */
const tooWide = (p, width) => p.evaluate((w) => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 1).slice(0, 5)
  .map((e) => `${e.tagName}.${e.className}#${e.id}: ${e.textContent.slice(0, 40)}`).join(' | '), width);

/** A bill's JSON for its buyer (the access token as bearer). */
async function billOf(id, token) {
  const r = await fetch(`${stack.base}/bills/${id}`, { headers: { authorization: `Bearer ${token}` } });
  return r.json();
}

test('a manager creates an item in the catalogue editor, its course picked from Moodle, and a buyer gets it delivered', async () => {
  const p = await stack.page('en', 1280);
  await signIn(p, 'manager', 'manager-2026');
  await p.getByRole('link', { name: 'Catalogue', exact: true }).click();
  await p.locator('#items tr[data-code="EXCEL-ESS"]').waitFor();
  await accessible(p, 'admin-items');
  await p.getByRole('link', { name: 'New item' }).click();
  const form = p.locator('#item');
  await form.getByLabel('Code').fill('SAFETY-PLUS');
  await form.getByLabel('Name', { exact: true }).fill('Workplace safety, advanced');
  await form.getByLabel('Up to (empty: and more)').first().fill('4');
  await form.getByLabel('Unit price excl. tax').first().fill('200');
  assert.equal(await form.locator('output.incl').first().textContent(), '€240.00', 'the price incl. tax, live');
  await form.getByRole('button', { name: 'Add a tier' }).click();
  await form.getByLabel('Unit price excl. tax').nth(1).fill('150');
  await form.getByRole('button', { name: 'Add a field' }).click();
  await form.getByLabel('Field name').fill('employee_id');
  await form.getByLabel('Label', { exact: true }).fill('Employee number');
  await form.getByLabel('Delivers').selectOption('enrol_one_course');
  await form.getByLabel('Find a course in Moodle').fill('safety');
  await form.getByRole('button', { name: 'Workplace safety (SAFETY)' }).click();
  await accessible(p, 'admin-item-new');
  await form.getByRole('button', { name: 'Save' }).click();
  await p.waitForURL(/code=SAFETY-PLUS/);
  await p.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  assert.equal((await apiCall('GET', '/shops/demo/catalog?q=SAFETY-PLUS')).items.length, 0, 'a draft is not listed');

  // Previewed as a buyer would see it, then published.
  const [tab] = await Promise.all([p.context().waitForEvent('page'), p.getByRole('link', { name: 'Preview as a buyer' }).click()]);
  const previewed = tab.locator('article[data-code="SAFETY-PLUS"]');
  await previewed.waitFor();
  assert.match(await previewed.textContent(), /Workplace safety, advanced.*240\.00/s);
  assert.match(await tab.getByRole('status').textContent(), /do not see this item until it is on sale/);
  await accessible(tab, 'admin-item-preview');
  await tab.close();
  await p.locator('#item').getByLabel('Status').selectOption('available');
  await p.locator('#item').getByRole('button', { name: 'Save' }).click();
  await p.locator('#item').getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

  // A buyer finds it, buys two (one form each), pays; Moodle enrols the buyer in SAFETY.
  const listed = await apiCall('GET', '/shops/demo/catalog?q=SAFETY-PLUS');
  assert.deepEqual(listed.items.map((i) => [i.code, i.prices.map((t) => t.unit_price)]), [['SAFETY-PLUS', ['200.00', '150.00']]]);
  const cart = await apiCall('POST', '/shops/demo/carts');
  await apiCall('PUT', `/carts/${cart.id}/lines/SAFETY-PLUS`, { quantity: 2 });
  await apiCall('PUT', `/carts/${cart.id}/requirements`, { 'SAFETY-PLUS': [{ employee_id: 'E-1' }, { employee_id: 'E-2' }] });
  await apiCall('PUT', `/carts/${cart.id}/customer`, { customer: { firstname: 'Katherine', lastname: 'Johnson', email: 'katherine@example.org', address: '1 Orbit Way', zip: '75001', city: 'Paris', country: 'FR' } });
  const placed = await apiCall('POST', `/carts/${cart.id}/order`, { payment_method: 'test', accept_terms: true });
  assert.equal(placed.total, '480.00', JSON.stringify(placed));
  await fetch(`${stack.base}/bills/${placed.bill_id}/test-payment`, { method: 'POST', headers: { authorization: `Bearer ${placed.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'paid' }) });
  let bill;
  for (let i = 0; i < 100 && bill?.status !== 'COMPLETE'; i++) {
    bill = await billOf(placed.bill_id, placed.access_token);
    await new Promise((ok) => setTimeout(ok, 200));
  }
  assert.equal(bill.status, 'COMPLETE');
  const [user] = await stack.ws('core_user_get_users_by_field', { field: 'email', values: ['katherine@example.org'] });
  const courses = await stack.ws('core_enrol_get_users_courses', { userid: user.id });
  assert.ok(courses.some((c) => c.shortname === 'SAFETY'), JSON.stringify(courses));

  // A new price, seen at once in the catalogue.
  await p.getByLabel('Unit price excl. tax').first().fill('210');
  await p.locator('#item').getByRole('button', { name: 'Save' }).click();
  await p.locator('#item').getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  const repriced = await apiCall('GET', '/shops/demo/catalog?q=SAFETY-PLUS');
  assert.equal(repriced.items[0].prices[0].unit_price, '210.00');
  assert.match(await p.locator('#history').textContent(), /manager — changed \(prices\)/);
});

test('a manager sets up each kind of delivery with fields in French, and a setting Moodle would refuse is said at its field', async () => {
  const p = await stack.page('fr', 1280);
  await signIn(p, 'manager', 'manager-2026');
  await p.getByRole('button', { name: 'Se déconnecter' }).waitFor();
  await p.goto(`${stack.base}/admin/items?new=1`);
  const form = p.locator('#item');
  await form.getByLabel('Code', { exact: true }).fill('TEAM-DAY');
  await form.getByLabel('Nom', { exact: true }).fill('Journée sécurité en équipe');
  await form.getByLabel('Prix unitaire HT').first().fill('90');
  // The item as stored, read with the manager's session.
  const stored = async () => p.evaluate(async () => (await (await fetch('/admin/shops/demo/items/TEAM-DAY')).json()).item.handler);
  const save = async () => form.getByRole('button', { name: 'Enregistrer' }).click();
  // Saved: the form's own notice, hidden as a save starts (the page's notice after creating
  // the item stays, and says nothing of a later save).
  const saved = async () => {
    await save();
    await form.getByRole('status').filter({ hasText: 'Enregistré.' }).waitFor();
  };
  const errorAt = async (label) => {
    const input = typeof label === 'string' ? form.getByLabel(label, { exact: true }) : label;
    await input.and(p.locator('[aria-invalid="true"]')).waitFor();
    return p.locator(`#${await input.getAttribute('aria-describedby')}`).textContent();
  };

  // A code another item has: said at the code (nobody changed anything meanwhile).
  await form.getByLabel('Code', { exact: true }).fill('EXCEL-ESS');
  await save();
  assert.equal(await errorAt('Code'), 'Un autre article porte déjà ce code.');
  await form.getByLabel('Code', { exact: true }).fill('TEAM-DAY');

  // A choice asked per participant, its label and choices said in each language; a field
  // without a label (buyers would meet it unnamed) is refused at its label.
  await form.getByRole('button', { name: 'Ajouter un champ' }).click();
  await form.getByLabel('Nom du champ').fill('moment');
  await save();
  assert.equal(await errorAt('Libellé'), 'Veuillez remplir ce champ.');
  await form.getByLabel('Libellé', { exact: true }).fill('Moment');
  assert.equal(await form.getByLabel('Choix (séparés par des virgules)').isVisible(), false, 'choices belong to a choice');
  await form.getByLabel('Type', { exact: true }).selectOption('select');
  await form.getByLabel('Choix (séparés par des virgules)').fill('am, pm');
  await form.getByLabel('Libellé en anglais').fill('Time of day');
  await form.getByLabel('Choix en anglais (même ordre)').fill('Morning, Afternoon');
  await form.getByLabel('Libellé en français').fill('Moment de la journée');
  await form.getByLabel('Choix en français (même ordre)').fill('Matin, Après-midi');

  // A team session: the course from Moodle, days and an end date at once is refused there.
  await form.getByLabel('Livre').selectOption('course_session');
  await form.getByLabel('Chercher un cours dans Moodle').fill('safety');
  await form.getByRole('button', { name: 'Workplace safety (SAFETY)' }).click();
  await form.getByLabel('Jours d’accès (vide : sans fin)').fill('10');
  await form.getByLabel('Se termine le').fill('2030-06-30');
  await save();
  assert.equal(await errorAt('Se termine le'), 'Indiquez un nombre de jours ou une date de fin, pas les deux.');
  await accessible(p, 'admin-item-delivery-fr');
  const words = (await form.innerText()).replace(/^Cours choisi : .*$/gm, '');
  assert.deepEqual(englishIn(words), [], 'no English word in the form');
  const delivery = await form.locator('fieldset', { has: p.locator('legend', { hasText: 'Livraison dans Moodle' }) }).innerText();
  assert.doesNotMatch(delivery, /null|undefined|JSON/, 'nothing but fields: no JSON to write');
  await form.getByLabel('Jours d’accès (vide : sans fin)').fill('');
  await form.getByLabel('L’acheteur dans la session').selectOption('editingteacher');
  // A session enrols the participants the buyer names: the item must ask for them.
  await save();
  assert.equal(await errorAt('Personnes à nommer'), 'Une session de cours inscrit les participants que l’acheteur nomme : nommez un participant, ou un par unité.');
  await form.getByLabel('Personnes à nommer').selectOption('per_unit');
  await save();
  await p.waitForURL(/code=TEAM-DAY/);
  await p.getByRole('status').filter({ hasText: 'Enregistré.' }).waitFor();
  assert.deepEqual(await stored(), { type: 'course_session', params: { course: 'SAFETY', supervisor_role: 'editingteacher', end_date: '2030-06-30' } });
  const texts = await p.evaluate(async () => (await (await fetch('/admin/shops/demo/items/TEAM-DAY')).json()).item.texts);
  assert.deepEqual(texts, {
    en: { labels: { moment: 'Time of day' }, options: { moment: { am: 'Morning', pm: 'Afternoon' } } },
    fr: { labels: { moment: 'Moment de la journée' }, options: { moment: { am: 'Matin', pm: 'Après-midi' } } },
  });

  // Training credits: the number is asked for, then kept.
  await form.getByLabel('Livre').selectOption('add_training_credits');
  await save();
  assert.equal(await errorAt('Crédits par unité'), 'Veuillez remplir ce champ.');
  await form.getByLabel('Crédits par unité').fill('5');
  await saved();
  assert.deepEqual(await stored(), { type: 'add_training_credits', params: { credits: 5 } });

  // Seats to assign later, usable in two courses chosen from Moodle.
  await form.getByLabel('Livre').selectOption('generate_seats');
  await form.getByLabel('Chercher un cours dans Moodle').fill('safety');
  await form.getByRole('button', { name: 'Workplace safety (SAFETY)' }).click();
  await form.getByRole('button', { name: 'Ajouter un cours' }).click();
  await form.getByLabel('Chercher un cours dans Moodle').nth(1).fill('leading');
  await form.getByRole('button', { name: 'Leading teams (LEAD)' }).click();
  await form.getByLabel('Places par unité').fill('3');
  await saved();
  assert.deepEqual(await stored(), { type: 'generate_seats', params: { courses: ['SAFETY', 'LEAD'], pack_size: 3 } }, 'a default left out');

  // A role in a course: the course by Moodle's id, the roles Moodle allows there.
  await form.getByLabel('Livre').selectOption('assign_role');
  await form.getByLabel('Donné sur').selectOption('course');
  assert.deepEqual(await form.getByLabel('Rôle de l’acheteur').locator('option').allInnerTexts(),
    ['Étudiant', 'Enseignant non éditeur', 'Enseignant', 'Gestionnaire']);
  await save();
  // (said under the course search, of the course chosen: none yet)
  assert.equal(await errorAt(form.locator('.chosen')), 'Choisissez le cours ou la catégorie.');
  await form.getByLabel('Chercher un cours dans Moodle').fill('leading');
  await form.getByRole('button', { name: 'Leading teams (LEAD)' }).click();
  await form.getByLabel('Rôle de l’acheteur').selectOption('teacher');
  await saved();
  const lead = (await stack.ws('core_course_get_courses_by_field', { field: 'shortname', value: 'LEAD' })).courses[0].id;
  assert.deepEqual(await stored(), { type: 'assign_role', params: { context: 'course', instance_id: lead, role: 'teacher' } });
  await p.reload();
  await form.getByText('Cours choisi : Leading teams (LEAD)').waitFor();
  assert.equal(await form.getByLabel('Choix en français (même ordre)').inputValue(), 'Matin, Après-midi', 'the words read back');
  // A price typed with a decimal comma is stored with a point, and reads back with the comma.
  await form.getByLabel('Prix unitaire HT').first().fill('89,50');
  await saved();
  const prices = await p.evaluate(async () => (await (await fetch('/admin/shops/demo/items/TEAM-DAY')).json()).item.prices);
  assert.equal(prices[0].unit_price, '89.50');
  await p.reload();
  assert.equal(await form.getByLabel('Prix unitaire HT').first().inputValue(), '89,50', 'as a French manager types it');
  await p.setViewportSize({ width: 390, height: 844 });
  await accessible(p, 'admin-item-role-fr-390');
});

test('a manager makes a bundle, finding its parts by name in French', async () => {
  const p = await stack.page('fr', 1280);
  await signIn(p, 'manager', 'manager-2026');
  await p.getByRole('button', { name: 'Se déconnecter' }).waitFor();
  await p.goto(`${stack.base}/admin/items?new=1`);
  const form = p.locator('#item');
  // (its code made of its name, until typed)
  await form.getByLabel('Nom', { exact: true }).fill('Pack bureautique');
  assert.equal(await form.getByLabel('Code', { exact: true }).inputValue(), 'PACK-BUREAUTIQUE');
  await form.getByLabel('Code', { exact: true }).fill('OFFICE-PACK');
  await form.getByLabel('Nom', { exact: true }).fill('Pack bureautique 2027');
  assert.equal(await form.getByLabel('Code', { exact: true }).inputValue(), 'OFFICE-PACK', 'a code typed stays');
  // A field asked per unit: its name made of its label, until typed.
  await form.getByRole('button', { name: 'Ajouter un champ' }).click();
  await form.getByLabel('Libellé', { exact: true }).fill('Numéro de salarié');
  assert.equal(await form.getByLabel('Nom du champ').inputValue(), 'numero_de_salarie');
  await form.getByLabel('Prix unitaire HT').first().fill('300');
  await form.getByLabel('Nature').selectOption('bundle');
  await form.getByRole('button', { name: 'Ajouter un composant' }).click();
  const part = form.getByLabel('Article (code ou nom)');
  await part.fill('Excel');
  await form.locator('#part-choices option[value="EXCEL-ESS"]').waitFor({ state: 'attached' });
  assert.match(await form.locator('#part-choices option[value="EXCEL-ESS"]').textContent(), /^Excel, les essentiels/, 'found by its French name');
  await part.fill('EXCEL-ESS');
  await form.locator('output.part-name').filter({ hasText: /^Excel, les essentiels/ }).waitFor();
  await part.fill('NOPE');
  await form.locator('output.part-name').filter({ hasText: 'Aucun article n’a ce code' }).waitFor();
  await part.fill('EXCEL-ESS');
  await form.locator('output.part-name').filter({ hasText: /^Excel, les essentiels/ }).waitFor();
  await form.getByLabel('Quantité', { exact: true }).fill('2');
  await accessible(p, 'admin-item-bundle-fr');
  await form.getByRole('button', { name: 'Enregistrer' }).click();
  await p.waitForURL(/code=OFFICE-PACK/);
  const stored = await p.evaluate(async () => (await (await fetch('/admin/shops/demo/items/OFFICE-PACK')).json()).item);
  assert.deepEqual(stored.parts, [{ code: 'EXCEL-ESS', quantity: 2 }]);
  assert.deepEqual(stored.required_data.map((f) => [f.field, f.label]), [['numero_de_salarie', 'Numéro de salarié']]);
});

test('every demo item saved untouched from the editor stays as it was, whatever it delivers', async () => {
  const p = await stack.page('en', 1280);
  await signIn(p, 'manager', 'manager-2026');
  await p.getByRole('button', { name: 'Sign out' }).waitFor();
  const read = (code) => p.evaluate(async (c) => (await (await fetch(`/admin/shops/demo/items/${c}`)).json()).item, code);
  const codes = JSON.parse(readFileSync(new URL('../../infra/demo-shop.json', import.meta.url))).items.map((i) => i.code);
  for (const code of codes) {
    const before = await read(code);
    await p.goto(`${stack.base}/admin/items?code=${code}`);
    const form = p.locator('#item');
    // (once Moodle has named the delivery's course, if it has one)
    if (before.handler && /course|template|courses/.test(Object.keys(before.handler.params).join())) {
      await form.locator('.chosen', { hasText: '(' }).first().waitFor();
    }
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.deepEqual(await read(code), before, `${code}: saved untouched`);
  }
});

test('the settings saved untouched from their page stay as they were', async () => {
  const own = await startStack();
  try {
    const p = await own.page('en', 1280);
    await p.goto(`${own.base}/admin?shop=demo`);
    const signIn = p.locator('#sign-in');
    await signIn.getByLabel('Moodle username').fill('manager');
    await signIn.getByLabel('Password').fill('manager-2026');
    await signIn.getByRole('button').click();
    await p.getByRole('button', { name: 'Sign out' }).waitFor();
    const read = () => p.evaluate(async () => (await (await fetch('/admin/shops/demo/settings')).json()));
    const before = await read();
    await p.goto(`${own.base}/admin/settings`);
    await p.locator('.chosen', { hasText: '(' }).first().waitFor();
    await p.locator('#settings button[type="submit"]').click();
    await p.locator('#settings').getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.deepEqual(await read(), before);
  } finally {
    await own.stop();
  }
});

test('two managers edit one item at once: the second is told who changed it first', async () => {
  const first = await stack.page('en', 1280);
  const second = await stack.page('fr', 1280);
  await signIn(first, 'manager', 'manager-2026');
  await signIn(second, 'manager', 'manager-2026');
  await first.getByRole('button', { name: 'Sign out' }).waitFor();
  await second.getByRole('button', { name: 'Se déconnecter' }).waitFor();
  await first.goto(`${stack.base}/admin/items?code=GUIDE-BOOK`);
  await second.goto(`${stack.base}/admin/items?code=GUIDE-BOOK`);
  await first.locator('#item').getByLabel('Name', { exact: true }).fill('The guide, first edit');
  await second.locator('#item').getByLabel('Nom', { exact: true }).fill('Le guide, seconde modification');
  await first.locator('#item').getByRole('button', { name: 'Save' }).click();
  await first.locator('#item').getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await second.locator('#item').getByRole('button', { name: 'Enregistrer' }).click();
  const banner = second.locator('#item .banner');
  await banner.filter({ hasText: 'manager a modifié cet article le' }).waitFor();
  await accessible(second, 'admin-item-conflict-fr');
  const item = await apiCall('GET', '/shops/demo/catalog?q=GUIDE-BOOK');
  assert.equal(item.items[0].name, 'The guide, first edit', 'the second edit changed nothing');
});

test('a manager gives an item its words in French, and a French buyer reads them', async () => {
  const p = await stack.page('en', 1280);
  await signIn(p, 'manager', 'manager-2026');
  await p.getByRole('button', { name: 'Sign out' }).waitFor();
  await p.goto(`${stack.base}/admin/items?code=AUTHOR-ROLE`);
  const form = p.locator('#item');
  await form.getByLabel('Name (French)').fill('Droits de conception de cours');
  await form.getByLabel('Description (French)').fill('Créez vos propres cours sur la plateforme.');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await accessible(p, 'admin-item-french-words');
  const fr = await apiCall('GET', '/shops/demo/catalog?q=AUTHOR-ROLE&lang=fr');
  assert.equal(fr.items[0].name, 'Droits de conception de cours');
  assert.equal(fr.items[0].description, 'Créez vos propres cours sur la plateforme.');
  const en = await apiCall('GET', '/shops/demo/catalog?q=AUTHOR-ROLE&lang=en');
  assert.equal(en.items[0].name, 'Course author rights', 'English keeps the document\'s words');
});

test('a new course\'s Moodle category is chosen from Moodle\'s categories in the editor', async () => {
  const p = await stack.page('en', 1280);
  await signIn(p, 'manager', 'manager-2026');
  await p.getByRole('button', { name: 'Sign out' }).waitFor();
  await p.goto(`${stack.base}/admin/items?code=MY-COURSE`);
  const category = p.locator('#item').getByLabel('Moodle category');
  await category.locator('option', { hasText: 'Category 1' }).waitFor({ state: 'attached' });
  assert.equal(await category.inputValue(), '1', 'the item\'s category, by name');
});

test('a manager gives partners the link to an item sold by direct link only; a partner buys it in French on a phone with its password', async () => {
  const p = await stack.page('fr', 1280);
  await signIn(p, 'manager', 'manager-2026');
  await p.locator('#needs-action').waitFor();
  await p.goto(`${stack.base}/admin/items?code=PARTNER-EXCEL`);
  const section = p.getByRole('region', { name: 'Lien pour les acheteurs' });
  await section.getByText('Cet article n’est pas au catalogue : donnez ce lien, avec son mot de passe').waitFor();
  const link = await section.getByRole('textbox', { name: 'Lien pour les acheteurs' }).inputValue();
  assert.equal(link, `${stack.base}/?shop=demo&item=PARTNER-EXCEL`);
  await accessible(p, 'admin-item-buyer-link-fr');
  // Its preview, in the page's language, says it is on sale to the buyers it is for.
  const [tab] = await Promise.all([p.context().waitForEvent('page'), p.getByRole('link', { name: 'Voir comme un acheteur' }).click()]);
  await tab.locator('article[data-code="PARTNER-EXCEL"]').getByText('Excel, les essentiels, tarif partenaire').waitFor();
  assert.equal(await tab.getByRole('status').first().textContent(), 'Aperçu : voici l’article tel que les acheteurs le voient.');
  const previewWords = await pageWords(tab);
  assert.deepEqual(englishIn(previewWords), [], `English on the French preview:\n${previewWords}`);
  await tab.close();
  await p.goto(`${stack.base}/admin/items?code=AI-TRAINERS`);
  await p.locator('#item').waitFor();
  assert.equal(await p.getByRole('region', { name: 'Lien pour les acheteurs' }).count(), 0, 'no link to an item not on sale');

  const buyer = await stack.page('fr', 390);
  await buyer.goto(link);
  const card = buyer.locator('article[data-code="PARTNER-EXCEL"]');
  await card.getByText('Excel, les essentiels, tarif partenaire').waitFor();
  const text = await pageWords(buyer);
  assert.deepEqual(englishIn(text), [], `English on the French item page:\n${text}`);
  assert.equal(await buyer.title(), 'Catalogue · Demo Training Academy');
  assert.equal(await buyer.evaluate(() => document.documentElement.scrollWidth), 390);
  await card.getByLabel('Mot de passe').fill('partner-2025');
  await card.getByRole('button', { name: 'Ajouter au panier' }).click();
  await card.getByText('Cet article demande son mot de passe : vérifiez-le.').waitFor();
  await card.getByLabel('Mot de passe').fill('partner-2026');
  await card.getByRole('button', { name: 'Ajouter au panier' }).click();
  await buyer.locator('#nav-cart').getByText(/1 article\(s\) · 72,00\s€/).waitFor();
  await accessible(buyer, 'item-link-fr-390');
  // In the cart its quantity changes without the password again.
  await card.getByRole('link', { name: 'Passer commande' }).click();
  await buyer.getByRole('heading', { name: 'Votre panier' }).waitFor();
  await buyer.getByLabel('Quantité Excel, les essentiels, tarif partenaire').fill('3');
  await buyer.getByLabel('Quantité Excel, les essentiels, tarif partenaire').press('Tab');
  await buyer.locator('#total').getByText(/216,00\s€/).waitFor();
  assert.equal(await buyer.locator('.error:not(:empty)').count(), 0);

  // A link to an item no longer on sale says so, and leads to the catalogue.
  await buyer.goto(`${stack.base}/?shop=demo&item=NO-SUCH-ITEM`);
  await buyer.getByRole('alert').getByText('Cet article ne vous est pas proposé : il est peut-être réservé aux clients connectés (connectez-vous depuis « Mon compte »), ou ce lien n’est plus à jour.').waitFor();
  await buyer.getByRole('link', { name: 'Voir tout le catalogue' }).click();
  await buyer.locator('article[data-code="EXCEL-ESS"]').waitFor();
});

test('an operator names a partner\'s purchase by its item, sold by direct link only, on the products desk and in the items sold', async () => {
  const cart = await apiCall('POST', '/shops/demo/carts', { language: 'en' });
  await apiCall('PUT', `/carts/${cart.id}/lines/PARTNER-EXCEL`, { quantity: 2, password: 'partner-2026' });
  await apiCall('PUT', `/carts/${cart.id}/customer`, { customer: { firstname: 'Ada', lastname: 'Partner', email: 'ada.partner@example.org', address: '1 Partner Way', zip: '75002', city: 'Paris', country: 'FR' } });
  const placed = await apiCall('POST', `/carts/${cart.id}/order`, { payment_method: 'test', accept_terms: true });
  await fetch(`${stack.base}/bills/${placed.bill_id}/test-payment`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${placed.access_token}` }, body: JSON.stringify({ outcome: 'paid' }) });
  const p = await stack.page('fr', 390);
  await signIn(p, 'operator', 'operator-2026');
  await p.locator('#top-items').getByText('Excel, les essentiels, tarif partenaire').waitFor();
  assert.doesNotMatch(await p.locator('#top-items').innerText(), /PARTNER-EXCEL/, 'named, not coded');
  // The bills desk finds its bills by that item.
  const desk = p.locator('#bill-filter');
  await desk.getByLabel('Article').selectOption({ label: 'Excel, les essentiels, tarif partenaire' });
  await desk.getByRole('button', { name: 'Filtrer' }).click();
  await p.locator(`#bills tr[data-bill="${placed.bill_id}"]`).waitFor();
  await p.goto(`${stack.base}/admin/products?shop=demo`);
  const form = p.locator('#product-filter');
  await form.getByLabel('Courriel du client').fill('ada.partner@example.org');
  let rows;
  for (let i = 0; i < 50; i++) {
    await form.getByRole('button', { name: 'Filtrer' }).click();
    rows = p.locator('#products tbody tr').filter({ hasText: 'ada.partner@example.org' });
    if (await rows.count()) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  await rows.first().getByText('Excel, les essentiels, tarif partenaire').waitFor();
  assert.doesNotMatch(await p.locator('#products').innerText(), /PARTNER-EXCEL/);
  // It can be chosen by its name among the products.
  await form.getByLabel('Produit').selectOption({ label: 'Excel, les essentiels, tarif partenaire' });
  await form.getByRole('button', { name: 'Filtrer' }).click();
  await rows.first().getByText('Excel, les essentiels, tarif partenaire').waitFor();
  await accessible(p, 'admin-products-partner-fr-390');
  // Suspended, then the staff actions name it too.
  await rows.first().getByRole('button', { name: 'Suspendre' }).click();
  await rows.first().getByRole('alertdialog').getByRole('button', { name: 'Confirmer' }).click();
  await p.locator('#products tbody tr').filter({ hasText: 'ada.partner@example.org' }).first().getByText('suspendu').waitFor();
  await p.goto(`${stack.base}/admin`);
  const action = p.locator('#audit tr[data-action="product_suspended"]').first();
  await action.waitFor();
  assert.match(await action.innerText(), /Excel, les essentiels, tarif partenaire/);
  assert.doesNotMatch(await p.locator('#audit').innerText(), /PARTNER-EXCEL/);
  assert.doesNotMatch(await p.locator('#audit').innerText(), /itemField_|settingsField_/, 'every field changed said in words');
});

test('an operator cannot open the catalogue editor', async () => {
  const p = await stack.page('en', 1280);
  await signIn(p, 'operator', 'operator-2026');
  await p.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.equal(await p.getByRole('link', { name: 'Catalogue', exact: true }).count(), 0, 'no link to it');
  await p.goto(`${stack.base}/admin/items?code=EXCEL-ESS`);
  await p.getByRole('alert').filter({ hasText: 'Only the shop’s managers change the catalogue.' }).waitFor();
  assert.equal(await p.locator('#item').count(), 0);
});

test('a manager changes the shop settings in French; secrets stay hidden, a tax in use cannot go', async () => {
  const p = await stack.page('fr', 1280);
  await signIn(p, 'manager', 'manager-2026');
  await p.getByRole('button', { name: 'Se déconnecter' }).waitFor();
  await p.getByRole('navigation').getByRole('link', { name: 'Réglages' }).click();
  const form = p.locator('#settings');
  await form.waitFor();
  // The support course, stored by its Moodle id, is named as Moodle names it.
  const support = form.locator('.chosen[data-path="customer_support_course"]');
  await support.filter({ hasText: /^Cours choisi : .+ \(.+\)$/ }).waitFor();
  const secret = form.locator('[data-path="gateways.systempay.key"]');
  assert.equal(await secret.inputValue(), '', 'a secret is never shown');
  assert.match(await secret.getAttribute('placeholder'), /défini/);
  await form.getByLabel('Conditions de vente', { exact: true }).fill('Paiement à réception de la facture.');
  await form.getByLabel('Nom', { exact: true }).first().fill('Demo Training Academy (Lyon)');
  // The shop's and a category's words in French, as fields (no JSON to write).
  await form.getByLabel('Conditions de vente (français)').fill('Payable à réception.');
  const office = form.locator('fieldset[data-path="categories"] .repeat').filter({ has: p.locator('input.cat-id[data-was="office"]') });
  assert.equal(await office.getByLabel('Nom (français)').inputValue(), 'Bureautique', 'the French name the document gave');
  await office.getByLabel('Nom (français)').fill('Outils de bureau');
  const within = office.getByLabel('Dans', { exact: true });
  assert.equal(await within.locator('option:checked').textContent(), 'Compétences numériques', 'the parent by its name in French');
  assert.deepEqual(await within.locator('option').allTextContents(),
    ['Premier niveau', 'Santé et sécurité', 'Compétences numériques', 'Management', 'Certification'], 'the other categories, by name');
  // A new category: its identifier made of its name, placed within another by name.
  await form.getByRole('button', { name: 'Ajouter une catégorie' }).click();
  const added = form.locator('fieldset[data-path="categories"] .repeat').last();
  await added.getByLabel('Nom', { exact: true }).fill('Santé mentale au travail');
  assert.equal(await added.getByLabel('Identifiant').inputValue(), 'sante-mentale-au-travail');
  await added.getByLabel('Dans', { exact: true }).selectOption({ label: 'Santé et sécurité' });
  // The seller's identity in labelled fields, not the document's keys (`vat_number`).
  const seller = form.locator('fieldset').filter({ has: p.locator('legend', { hasText: 'Vendeur (sur les factures)' }) });
  assert.equal(await seller.getByLabel('N° de TVA intracommunautaire').inputValue(), 'FR00123456789');
  assert.equal(await seller.getByLabel('Pays', { exact: true }).locator('option:checked').textContent(), 'France');
  await seller.getByLabel('SIRET', { exact: true }).fill('987 654 321 00018');
  assert.doesNotMatch(await seller.innerText(), /vat_number|siret|\bzip\b/);
  // Each gateway's settings in labelled fields; offering a method shows its gateway's, to fill.
  const gateway = (g) => form.locator(`fieldset[data-gateway="${g}"]`);
  assert.equal(await gateway('systempay').getByLabel('Identifiant de la boutique').inputValue(), '12345678');
  assert.equal(await gateway('systempay').getByLabel('Mode').inputValue(), 'TEST');
  assert.doesNotMatch(await gateway('systempay').innerText(), /site_id|ctx_mode|signature_algorithm/);
  assert.equal(await gateway('stripe').isHidden(), true, 'Stripe is not offered');
  await form.getByLabel('Carte (Stripe)').check();
  await gateway('stripe').getByLabel('Clé secrète').fill('sk_test_from_the_page');
  // Offered without what a payment needs, the card would fail every buyer: said at the field.
  await form.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  const webhook = gateway('stripe').getByLabel('Secret de signature des notifications');
  await gateway('stripe').locator('.error').filter({ hasText: 'Renseignez ce réglage pour encaisser par ce moyen de paiement (ou cessez de le proposer).' }).waitFor();
  assert.equal(await webhook.getAttribute('aria-invalid'), 'true');
  await webhook.fill('whsec_from_the_page');
  await accessible(p, 'admin-settings-fr');
  await form.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await form.getByRole('status').filter({ hasText: 'Enregistré.' }).waitFor();
  const catalog = await apiCall('GET', '/shops/demo/catalog');
  assert.equal(catalog.shop.name, 'Demo Training Academy (Lyon)');
  assert.equal(catalog.shop.terms, 'Paiement à réception de la facture.');
  const french = await apiCall('GET', '/shops/demo/catalog?lang=fr');
  assert.equal(french.shop.terms, 'Payable à réception.');
  assert.equal(french.categories.find((c) => c.id === 'office').name, 'Outils de bureau');
  assert.equal(french.categories.find((c) => c.id === 'safety').name, 'Santé et sécurité', 'the other categories keep their words');
  assert.deepEqual(french.categories.find((c) => c.id === 'sante-mentale-au-travail'),
    { id: 'sante-mentale-au-travail', name: 'Santé mentale au travail', parent: 'safety' });
  const settings = await (await fetch(`${stack.base}/admin/shops/demo/settings`, { headers: { authorization: 'Bearer dev-admin-token' } })).json();
  assert.deepEqual([settings.seller.siret, settings.seller.vat_number, settings.seller.country, settings.seller.email],
    ['987 654 321 00018', 'FR00123456789', 'FR', 'sales@demo-academy.example'], 'the seller as typed, the rest kept');
  assert.deepEqual(settings.gateways.stripe, { secret_key: '********', webhook_secret: '********' }, 'the secrets typed, kept write-only');
  assert.equal(settings.gateways.systempay.site_id, '12345678');
  // A Systempay payment still signs with the kept secret.
  const bill = await placedBill('systempay', 'Keller');
  assert.ok(bill);

  // The shop's own words for the order message, tried on a sample order, then kept.
  const words = form.locator('#words');
  await words.getByLabel('Message', { exact: true }).selectOption('order_placed');
  await words.getByLabel('Objet').fill('Votre commande {bill} chez {shop}');
  await words.getByLabel(/^Texte/).fill('Bonjour {prenom}');
  await words.getByRole('button', { name: 'Aperçu' }).click();
  await words.locator('[data-path="body"][aria-invalid=true]').waitFor();
  await words.getByText(/^Ce message ne connaît pas \{prenom\} ; il connaît .*\{firstname\}/).waitFor();
  await words.getByLabel(/^Texte/).fill('Bonjour {firstname},\n\nMerci pour votre commande.\n\n{bill_link}');
  await words.getByRole('button', { name: 'Aperçu' }).click();
  await words.locator('#message-preview').filter({ hasText: 'Bonjour Ada,' }).waitFor();
  await accessible(p, 'admin-settings-words-fr');
  const own = words.locator('ul.own-words li');
  assert.deepEqual(await own.allInnerTexts(), ['Aucun : chaque message a les mots par défaut.'], 'no JSON: the list of messages in the shop\'s words');
  await words.getByRole('button', { name: 'Garder ces mots (puis enregistrer)' }).click();
  assert.match(await own.first().innerText(), /^Commande passée — Français/);
  await form.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await form.getByRole('status').filter({ hasText: 'Enregistré.' }).waitFor();
  const stored = async () => (await fetch(`${stack.base}/admin/shops/demo/settings`, { headers: { authorization: 'Bearer dev-admin-token' } })).json();
  assert.equal((await stored()).messages.order_placed.fr.subject, 'Votre commande {bill} chez {shop}');
  // Back to the default words: the message leaves the list, and the shop's words once saved.
  await own.first().getByRole('button', { name: 'Revenir aux mots par défaut' }).click();
  await words.getByText('Aucun : chaque message a les mots par défaut.').waitFor();
  assert.equal(await words.getByLabel('Objet').inputValue(), '', 'the editor shows no words of the shop');
  await form.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await form.getByRole('status').filter({ hasText: 'Enregistré.' }).waitFor();
  assert.deepEqual((await stored()).messages ?? {}, {});

  // Taking away the reduced tax that items use is refused at the taxes.
  const rows = form.locator('fieldset[data-path="taxes"] .repeat');
  const count = await rows.count();
  await rows.nth(count - 1).getByRole('button', { name: 'Retirer' }).click();
  await form.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  // Said in French, naming the item by its French name.
  const taxError = form.locator('fieldset[data-path="taxes"] > .error').filter({ hasText: /^L’article « .+ » utilise une taxe retirée ici/ });
  await taxError.waitFor();
  assert.deepEqual(englishIn(await taxError.innerText()), [], await taxError.innerText());

  // A category within itself (through another: a category's own name is not among its
  // choices), and a tax rate over 100, are said in French at their fields.
  const digital = form.locator('fieldset[data-path="categories"] .repeat').filter({ has: p.locator('input.cat-id[data-was="digital"]') });
  assert.equal(await office.getByLabel('Dans', { exact: true }).locator('option', { hasText: 'Outils de bureau' }).count(), 0);
  await digital.getByLabel('Dans', { exact: true }).selectOption({ label: 'Outils de bureau' });
  await rows.nth(0).getByLabel('Taux (%)').fill('120');
  await form.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await form.locator('fieldset[data-path="categories"] .error').filter({ hasText: 'Une catégorie ne peut pas être dans elle-même, même par d’autres catégories.' }).first().waitFor();
  await rows.nth(0).locator('.error').filter({ hasText: 'Un taux de taxe est un pourcentage de 0 à 100.' }).waitFor();

  // Taking away the only manager would leave nobody to change the settings here: refused.
  const staffRows = form.locator('fieldset[data-path="staff"] .repeat');
  assert.equal(await staffRows.nth(0).locator('input.staff-name').inputValue(), 'manager');
  await staffRows.nth(0).getByRole('button', { name: 'Retirer' }).click();
  await form.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  // Said at the list, below its rows (not at the first row's field).
  await form.locator('fieldset[data-path="staff"] > .error').filter({ hasText: /^Gardez au moins un responsable/ }).waitFor();
  await accessible(p, 'admin-settings-refused-fr');
  const staffNow = (await stored()).staff.map((m) => m.username);
  assert.ok(staffNow.includes('manager'), `nothing saved: ${staffNow}`);
});

test('every back-office page in French says nothing in English', async () => {
  // A stack of its own: the notes other scenarios typed in English are not in its lists.
  const own = await startStack();
  try {
    const bill = await placedBill('transfer', 'Lovelace', { on: own, language: 'fr', customer: { firstname: 'Ada', email: 'ada@example.org', address: '1 rue de Rivoli' } });
    const p = await own.page('fr', 1280);
    await signIn(p, 'manager', 'manager-2026', own);
    await p.locator('#needs-action').waitFor();
    // The payment recorded by staff, then delivered: the bill's trace has the shop's entries.
    await p.evaluate(async (id) => fetch(`/admin/bills/${id}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: '144.00', method: 'transfer' }) }), bill);
    const pages = [
      ['/admin', '#audit table'],
      [`/admin/bill?shop=demo&bill=${bill}`, '#status[data-status="COMPLETE"]'],
      ['/admin/customers', '#customers a'],
      ['/admin/customers?email=ada%40example.org', '#identity'],
      ['/admin/products', '#products tbody tr'],
      ['/admin/items', '#items tr[data-code="EXCEL-ESS"]'],
      ['/admin/items?code=EXCEL-ESS', 'form'],
      ['/admin/settings', '.chosen:has-text("(")'],
    ];
    for (const [path, ready] of pages) {
      await p.goto(`${own.base}${path}`);
      await p.locator(ready).first().waitFor({ timeout: 20000 });
      // (a course chosen in Moodle is named as Moodle names it: Moodle's words, not the page's)
      const heading = (await p.locator('h1').first().textContent()).trim();
      assert.equal(await p.title(), `${heading} · Demo Training Academy — Back-office`, `${path}: the tab's title`);
      const text = (await pageWords(p)).replace(/^Cours choisi : .*$/gm, '');
      assert.deepEqual(englishIn(text), [], `${path}: English on a French page:\n${text}`);
      if (path.startsWith('/admin/bill') || path.startsWith('/admin/customers')) assert.match(text, /France/, `${path}: the country by its name`);
    }
  } finally {
    await own.stop();
  }
});

test('an operator sees on the dashboard, in French, the message a mail system refused, with its bill and the refusal, and sends it again to the corrected address', async () => {
  // A stack sending through SMTP (not the mail catcher) to a server that has no such address.
  const smtp = await refusingSmtp();
  const own = await startStack({ args: ['--smtp-url', smtp.url] });
  try {
    const bill = await placedBill('transfer', 'Lovelace', { on: own, language: 'fr', customer: { firstname: 'Ada', email: 'ada@refused.example' } });
    const p = await own.page('fr', 1280);
    await signIn(p, 'operator', 'operator-2026', own);
    await p.locator('#needs-action').waitFor(); // signed in: the page has reloaded on its own
    // The postman tries every 2 s; a refusal for good is listed at once, not retried.
    const section = p.locator('#failed-messages');
    const row = section.locator('tbody tr', { hasText: 'ada@refused.example' });
    for (let i = 0; i < 20 && !(await row.count()); i++) {
      await new Promise((ok) => setTimeout(ok, 1000));
      await p.reload();
      await section.waitFor();
    }
    const text = await row.innerText();
    assert.match(text, new RegExp(bill), 'the bill it was about, as a link');
    assert.match(text, /Commande passée/, 'which message, in French');
    assert.match(text, /Refusé par le système de messagerie : vérifiez l’adresse\./, 'why, in the staff’s words');
    // The sales address's copy went through: only the refused one is listed.
    assert.equal(await section.locator('tbody tr').count(), 1, 'one message not delivered');
    assert.deepEqual(englishIn(await p.locator('body').innerText()), [], 'no English word on the French dashboard');
    await row.getByText('Détails techniques').click();
    assert.match(await row.innerText(), /\(550\): 5\.1\.1 no such user here/, 'what the mail system said, as it said it, unfolded');
    await accessible(p, 'admin-dashboard-message-refused-fr');
    // On a phone too, without sideways scrolling.
    const phone = await own.page('fr', 390);
    await phone.context().addCookies(await p.context().cookies());
    await phone.goto(`${own.base}/admin?shop=demo`);
    await phone.locator('#failed-messages tbody tr').waitFor();
    assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth), 390, `at 390 px: ${await tooWide(phone, 390)}`);
    await accessible(phone, 'admin-dashboard-message-refused-fr-390');
    assert.match(await row.getByRole('link', { name: bill }).getAttribute('href'), new RegExp(`bill=${bill}`), 'the bill is a link');

    // The operator corrects the address and sends it again: it goes, and leaves the list.
    const again = row.locator('form.send-again');
    assert.equal(await again.getByLabel('Envoyer à').inputValue(), 'ada@refused.example', 'the address it went to, to correct');
    await again.getByLabel('Envoyer à').fill('ada@example.org');
    await again.getByRole('button', { name: 'Renvoyer' }).click();
    await again.getByRole('alertdialog', { name: 'Renvoyer ce message à ada@example.org ?' }).getByRole('button', { name: 'Confirmer' }).click();
    await again.getByText('Remis à l’envoi : il part dans la minute.').waitFor();
    await accessible(p, 'admin-dashboard-message-sent-again-fr');
    for (let i = 0; i < 20 && (await section.locator('tbody tr').count()); i++) {
      await new Promise((ok) => setTimeout(ok, 1000));
      await p.reload();
      await p.locator('#needs-action').waitFor();
    }
    assert.equal(await section.locator('tbody tr').count(), 0, 'sent: no longer listed');
    // The bill's history says it was sent again, and where, in French.
    await p.goto(`${own.base}/admin/bill?shop=demo&bill=${bill}`);
    await p.locator('#trace').waitFor();
    assert.match(await p.locator('#trace').innerText(), /message « Commande passée » renvoyé à ada@example\.org/);
  } finally {
    await own.stop();
    smtp.stop();
  }
});
