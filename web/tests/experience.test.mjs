// The buyer's experience, as a buyer meets it in Chromium: a purchase walked in French with no
// English word on any page, message or document; the guided checkout; the page after payment;
// the invoice PDF read back (names whole, amounts right-aligned, header on every page);
// axe-core on every buyer page in both languages at 1280 px and 390 px.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { englishIn, pageWords, seriousViolations, startStack, shot } from './harness.mjs';

let stack; let base; let page; let apiCall;

before(async () => {
  stack = await startStack();
  ({ base, page, api: apiCall } = stack);
});

after(async () => { await stack?.stop(); });

async function assertFrench(p, where) {
  // The tab says which page it is, in French: the page's heading (then the shop, but on the
  // invoice, whose title names the document printed).
  const heading = (await p.locator('h1').first().textContent()).trim();
  assert.ok([heading, `${heading} · Demo Training Academy`].includes(await p.title()), `${where}: the tab's title is ${await p.title()}`);
  const text = await pageWords(p);
  assert.deepEqual(englishIn(text), [], `${where}: English on a French page:\n${text}`);
}

/** A PDF's text items with their positions (x, y, right edge), page by page. */
async function pdfPages(bytes) {
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, disableFontFace: true }).promise;
  const pages = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const content = await (await pdf.getPage(n)).getTextContent();
    pages.push(content.items.filter((i) => i.str.trim()).map((i) => ({ str: i.str, x: i.transform[4], y: i.transform[5], right: i.transform[4] + i.width })));
  }
  return pages;
}

/** The lines of a page, top to bottom, each its items' text joined left to right. */
const pageLines = (items) => {
  const rows = new Map();
  for (const i of items) {
    const y = Math.round(i.y);
    rows.set(y, [...(rows.get(y) || []), i]);
  }
  return [...rows.entries()].sort((a, b) => b[0] - a[0]).map(([, row]) => row.sort((a, b) => a.x - b.x).map((i) => i.str).join(' '));
};

const ada = { firstname: 'Ada', lastname: 'Lovelace', email: 'ada-fr@example.org', address: '1 rue des Écoles', zip: '75005', city: 'Paris', country: 'FR' };

/** The messages at /dev/mail to `address` in full, once `done(summaries)` (or after 20 s). */
async function mailTo(address, done) {
  const mine = await stack.mailTo(address, done);
  return Promise.all(mine.map(async (m) => (await fetch(`${base}/dev/mail/${m.id}`, { headers: { accept: 'application/json' } })).json()));
}

const admin = (method, path, body) => fetch(`${base}${path}`, {
  method, headers: { authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' }, body: body && JSON.stringify(body),
});

test('a French buyer walks a purchase in French: no English word on any page, message or document', async () => {
  const p = await page('fr');
  await p.goto(`${base}/?shop=demo&lang=fr`);
  const exam = p.locator('article[data-code="CERT-EXAM"]');
  await exam.getByText('Bon pour l’examen de certification').waitFor();
  await assertFrench(p, 'catalogue');
  assert.deepEqual(await seriousViolations(p), []);
  await exam.getByLabel('Quantité').fill('1');
  await exam.getByRole('button', { name: 'Ajouter au panier' }).click();
  await p.locator('#nav-cart').getByText(/1 article\(s\) · [\d\s]+,\d\d\s€/).waitFor();
  const excel = p.locator('article[data-code="EXCEL-ESS"]');
  await excel.getByRole('button', { name: 'Ajouter au panier' }).click();
  await p.locator('#nav-cart').getByText(/2 article\(s\)/).waitFor();
  await excel.getByRole('link', { name: 'Passer commande' }).click();
  await p.getByRole('heading', { name: 'Votre panier' }).waitFor();
  await assertFrench(p, 'cart');
  await p.locator('#lines-continue').click();

  const req = p.locator('#requirements');
  await req.getByLabel('Nom complet du candidat').fill('Ada Lovelace');
  await req.getByLabel('Date de naissance').fill('1990-12-10');
  await req.getByLabel('Session d’examen').selectOption({ label: 'Janvier 2027' });
  await assertFrench(p, 'required information');
  await req.getByRole('button', { name: 'Continuer' }).click();

  const form = p.locator('#customer');
  await form.waitFor();
  await form.getByRole('button', { name: 'Continuer' }).click(); // empty: every error in French, at its field
  await form.locator('[aria-invalid="true"]').first().waitFor();
  await assertFrench(p, 'customer errors');
  const email = form.locator('[data-name="email"]');
  const describedBy = await email.getAttribute('aria-describedby');
  assert.match(await p.locator(`[id="${describedBy}"]`).innerText(), /Veuillez remplir ce champ/, 'the error is tied to its field');
  assert.deepEqual(await seriousViolations(p), []);
  await shot(p, 'checkout-errors-fr');
  for (const [name, value] of Object.entries(ada)) {
    const el = form.locator(`[data-name="${name}"]`);
    if (name === 'country') await el.selectOption(value); else await el.fill(value);
  }
  await form.getByRole('button', { name: 'Continuer' }).click();

  const order = p.locator('#order');
  await order.waitFor();
  await p.getByRole('complementary').getByText('Bon pour l’examen de certification').waitFor();
  await assertFrench(p, 'order');
  assert.deepEqual(await seriousViolations(p), []);
  await shot(p, 'checkout-order-fr');
  await order.getByLabel('J’accepte les conditions de vente').check();
  await order.getByLabel('Virement').check();
  await order.getByRole('button', { name: 'Passer la commande' }).click();
  await p.waitForURL(/\/bill\?.*#token=/);
  await p.locator('#instructions').getByText(/^Virez [\d\s]+,\d\d\s€ à Demo Training Academy SAS/).waitFor();
  await assertFrench(p, 'bill awaiting a transfer');
  assert.deepEqual(await seriousViolations(p), []);
  await shot(p, 'bill-transfer-fr');

  // The shop records the transfer; the page follows the bill to its delivery.
  const bill = new URL(p.url()).searchParams.get('bill');
  const total = (await (await admin('GET', `/admin/bills/${bill}`)).json()).total;
  assert.equal((await admin('POST', `/admin/bills/${bill}/payments`, { amount: total, method: 'transfer' })).status, 200);
  await p.locator('#status[data-status="COMPLETE"]').waitFor({ timeout: 30000 });
  await p.getByRole('heading', { name: 'Accéder à votre formation' }).waitFor();
  await p.getByRole('link', { name: 'Excel, les essentiels (formation en ligne, 12 mois)' }).waitFor();
  await assertFrench(p, 'bill delivered');
  assert.deepEqual(await seriousViolations(p), []);
  await shot(p, 'bill-complete-fr');

  // The invoice, in HTML and PDF.
  await p.goto(`${base}${await p.locator('#invoice').getAttribute('href')}`);
  await p.getByRole('heading', { name: /^Facture n° DEMO-TEST-\d{4}-\d{6}$/ }).waitFor();
  await assertFrench(p, 'invoice');
  await shot(p, 'invoice-fr');
  await p.goBack();
  const pdf = await (await p.request.get(`${base}${await p.locator('#invoice-pdf').getAttribute('href')}`)).body();
  const text = (await pdfPages(pdf)).flat().map((i) => i.str).join('\n');
  assert.match(text, /Facture n° DEMO-/);
  assert.match(text, /Facture payable à réception/, 'the payment terms');
  assert.match(text, /indemnité forfaitaire de 40 €/, 'the late-payment mentions');
  assert.deepEqual(englishIn(text), [], `English in the PDF:\n${text}`);

  // Every message of the purchase, in French.
  const mails = await mailTo(ada.email, (m) => m.some((x) => x.subject.startsWith('Votre formation est prête')));
  assert.ok(mails.length >= 3, mails.map((m) => m.subject).join(' | '));
  for (const m of mails) assert.deepEqual(englishIn(`${m.subject}\n${m.text}`), [], `English in "${m.subject}":\n${m.text}`);
});

test('a cancelled and a refunded order tell their French buyer so: nothing due, no way into a closed course', async () => {
  const order = async (email) => {
    const cart = await apiCall('POST', '/shops/demo/carts', { language: 'fr' });
    await apiCall('PUT', `/carts/${cart.id}/lines/EXCEL-ESS`, { quantity: 1 });
    await apiCall('PUT', `/carts/${cart.id}/customer`, { customer: { firstname: 'Ada', lastname: 'Lovelace', email, address: '1 rue de Rivoli', zip: '75001', city: 'Paris', country: 'FR' } });
    return apiCall('POST', `/carts/${cart.id}/order`, { payment_method: 'transfer', accept_terms: true });
  };
  const staff = (path, body) => fetch(`${base}${path}`, { method: 'POST', headers: { authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const look = async (bill, status) => {
    const p = await page('fr', 390);
    await p.goto(`${base}/bill?shop=demo&bill=${bill.bill_id}#token=${bill.access_token}`);
    await p.locator(`#status[data-status="${status}"]`).waitFor({ timeout: 20000 });
    await assertFrench(p, `bill ${status}`);
    return p;
  };
  const cancelled = await order('annulee@example.org');
  await staff(`/admin/bills/${cancelled.bill_id}/transitions`, { to: 'CANCELLED', note: 'doublon' });
  let p = await look(cancelled, 'CANCELLED');
  await p.getByText('Cette commande a été annulée : rien n’est dû.').waitFor();
  assert.match(await p.locator('main').innerText(), /annulé/, 'its lines are cancelled, not awaiting payment');

  await stack.ws('core_user_create_users', { users: [{ username: 'remboursee', password: 'Secret-1', email: 'remboursee@example.org', firstname: 'Ada', lastname: 'Lovelace' }] });
  const refunded = await order('remboursee@example.org');
  await staff(`/admin/bills/${refunded.bill_id}/payments`, { amount: '144.00', method: 'transfer' });
  p = await look(refunded, 'COMPLETE');
  await p.locator('.access').waitFor();
  for (const to of ['PAYBACK', 'REFUNDED']) await staff(`/admin/bills/${refunded.bill_id}/transitions`, { to, note: 'rétractation' });
  p = await look(refunded, 'REFUNDED');
  await p.getByText('Cette commande a été remboursée : l’accès à la formation est fermé.').waitFor();
  await p.getByText('révoqué').first().waitFor({ timeout: 20000 });
  await p.reload();
  await p.locator('#status[data-status="REFUNDED"]').waitFor();
  assert.equal(await p.locator('.access').count(), 0, 'no link into the course the refund closed');
  await shot(p, 'bill-refunded-fr');

  // The customer area lists the product as suspended, without a link to its course.
  await p.goto(`${base}/account?shop=demo`);
  await p.getByLabel(/utilisateur/i).first().fill('remboursee');
  await p.getByLabel(/Mot de passe/).fill('Secret-1');
  await p.getByRole('button', { name: /connecter/i }).first().click();
  const product = p.locator('#products li');
  await product.first().waitFor();
  assert.match(await product.first().innerText(), /suspendu/);
  assert.equal(await product.getByRole('link', { name: 'Ouvrir le cours' }).count(), 0, 'no way into a suspended course');
  await assertFrench(p, 'customer area');
});

test('the invoice PDF keeps names whole, aligns amounts right and repeats its header on every page', async () => {
  const items = Array.from({ length: 45 }, (_, i) => ({
    code: `LONG-${String(i).padStart(2, '0')}`,
    name: `Formation approfondie numéro ${i} : gestion de projet, communication interpersonnelle et leadership`,
    tax: 'std', prices: [{ up_to: null, unit_price: `${1000 + i}.50` }],
  }));
  const doc = {
    name: 'Longue facture', currency: 'EUR', test_mode: true, payment_methods: ['test'], seller: { email: 'ventes@longue.example', name: 'Longue SARL' },
    taxes: [{ code: 'std', rate: '20' }], items,
  };
  assert.equal((await admin('PUT', '/admin/shops/longue', doc)).status, 201);
  const cart = await apiCall('POST', '/shops/longue/carts', { language: 'fr' });
  for (const i of items) await apiCall('PUT', `/carts/${cart.id}/lines/${i.code}`, { quantity: 12 });
  await apiCall('PUT', `/carts/${cart.id}/customer`, { customer: ada });
  const placed = await apiCall('POST', `/carts/${cart.id}/order`, { payment_method: 'test', accept_terms: true });
  const r = await fetch(`${base}/bills/${placed.bill_id}/invoice?format=pdf`, { headers: { authorization: `Bearer ${placed.access_token}` } });
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  const pages = await pdfPages(await r.arrayBuffer());
  assert.ok(pages.length >= 3, `${pages.length} pages`);

  const names = [];
  for (const [n, items] of pages.entries()) {
    const lines = pageLines(items);
    assert.ok(lines[0].startsWith(`Bon de commande ${placed.bill_id}`) && lines[0].endsWith(`Page ${n + 1}`), `page ${n + 1} header: ${lines[0]}`);
    const head = items.find((i) => i.str === 'Article');
    assert.ok(head, `page ${n + 1} repeats the table's header`);
    // The item column, top to bottom, under the header.
    names.push(...items.filter((i) => Math.abs(i.x - 50) < 0.5 && i.y < head.y && !i.str.startsWith('Montant')).sort((a, b) => b.y - a.y).map((i) => i.str));
    // Amounts end on their column's right edge.
    const amounts = items.filter((i) => /€$/.test(i.str) && i.x > 100);
    assert.ok(amounts.length >= 3, `page ${n + 1}: amounts found`);
    const edges = [...new Set(amounts.map((i) => Math.round(i.right * 2) / 2))];
    assert.ok(edges.length <= 3 && edges.every((e) => [370, 446, 545].some((c) => Math.abs(c - e) <= 0.5)), `page ${n + 1}: right edges ${edges}`);
  }
  assert.equal(names.join(' '), items.map((i) => i.name).join(' '), 'every name whole, wrapped between words, in order');
  assert.ok(pageLines(pages.at(-1)).some((l) => /^Total TTC .*€$/.test(l)));
});

test('every buyer page passes axe-core and fits 1280 px and 390 px without sideways scrolling, in English and French', async () => {
  await stack.ws('core_user_create_users', { users: [{ username: 'grace', password: 'Compiler-1952', email: 'grace@example.org', firstname: 'Grace', lastname: 'Hopper', auth: 'manual' }] });
  const grace = { ...ada, firstname: 'Grace', lastname: 'Hopper', email: 'grace@example.org' };
  let language = 'en';
  const fresh = async (code, customer) => {
    const cart = await apiCall('POST', '/shops/demo/carts', { language });
    await apiCall('PUT', `/carts/${cart.id}/lines/${code}`, { quantity: 2 });
    if (customer) await apiCall('PUT', `/carts/${cart.id}/customer`, { customer });
    return cart.id;
  };
  const placed = async (method) => apiCall('POST', `/carts/${await fresh('EXCEL-ESS', grace)}/order`, { payment_method: method, accept_terms: true });
  let awaiting; let done;
  const billPage = (b) => `/bill?shop=demo&bill=${b.bill_id}#token=${b.access_token}`;
  const pages = [
    ['catalogue', () => '/?shop=demo', 'article.card'],
    ['cart', async () => `/checkout?shop=demo&cart=${await fresh('SAFETY-TEAM')}`, '#lines-continue'],
    ['order step', async () => `/checkout?shop=demo&cart=${await fresh('EXCEL-ESS', grace)}`, '#order'],
    ['bill awaiting a transfer', () => billPage(awaiting), '#instructions'],
    ['bill delivered', () => billPage(done), '.access'],
    ['find my orders', () => '/orders?shop=demo', 'form'],
    ['customer area sign-in', () => '/account?shop=demo', '#login'],
    ['invoice', () => `/bills/${done.bill_id}/invoice?token=${done.access_token}`, 'h1'],
  ];
  for (const lang of ['en', 'fr']) {
    // A bill in the page's language: one awaiting a transfer, one paid and delivered.
    language = lang;
    awaiting = await placed('transfer');
    done = await placed('test');
    await fetch(`${base}/bills/${done.bill_id}/test-payment`, { method: 'POST', headers: { authorization: `Bearer ${done.access_token}`, 'content-type': 'application/json' }, body: '{"outcome":"paid"}' });
    for (const width of [1280, 390]) {
      const p = await page(lang, width);
      for (const [name, path, ready] of pages) {
        const where = `${name} (${lang}, ${width} px)`;
        await p.goto(`${base}${await path()}`);
        if (name === 'bill delivered') await p.locator('#status[data-status="COMPLETE"]').waitFor({ timeout: 20000 });
        await p.locator(ready).first().waitFor();
        assert.deepEqual(await seriousViolations(p), [], where);
        const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        assert.ok(scroll <= inner, `${where}: ${scroll} px wide in ${inner} px`);
        if (lang === 'fr') await assertFrench(p, where);
        await shot(p, `page-${name.replaceAll(' ', '-')}-${lang}-${width}`);
      }
      // The customer area, signed in: the buyer's bills and products by name.
      await p.goto(`${base}/account?shop=demo`);
      await p.locator('#login').getByLabel(lang === 'fr' ? 'Nom d’utilisateur' : 'Username').fill('grace');
      await p.locator('#login').getByLabel(lang === 'fr' ? 'Mot de passe' : 'Password').fill('Compiler-1952');
      await p.locator('#login button[type=submit]').click();
      const excel = lang === 'fr' ? 'Excel, les essentiels (formation en ligne, 12 mois)' : 'Excel essentials (e-learning, 12 months)';
      await p.locator('#products').getByRole('heading', { name: excel }).first().waitFor();
      const course = p.locator('#products').getByRole('link', { name: lang === 'fr' ? 'Ouvrir le cours' : 'Open the course' }).first();
      assert.match(await course.getAttribute('href'), /\/course\/view\.php\?id=3$/, 'the course the enrolment is in');
      assert.deepEqual(await seriousViolations(p), [], `customer area (${lang}, ${width} px)`);
      const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      assert.ok(scroll <= inner, `customer area (${lang}, ${width} px): ${scroll} px wide`);
      if (lang === 'fr') await assertFrench(p, 'customer area');
      await shot(p, `page-customer-area-${lang}-${width}`);
      await p.context().close();
    }
  }
});

test('the catalogue, the header cart, a partly wrong cart link and the checkout choices speak to the buyer', async () => {
  const p = await page('en');
  await p.goto(`${base}/?shop=demo&lang=en`);
  const card = p.locator('article[data-code="GUIDE-BOOK"]');
  await card.getByLabel('Quantity').fill('0');
  await card.getByRole('button', { name: 'Add to cart' }).click();
  await card.getByText('Please enter a quantity of at least 1.').waitFor();
  assert.equal(await card.getByText('Added to your cart.').count(), 0, 'nothing said added for 0');
  await card.getByLabel('Quantity').fill('2');
  await card.getByRole('button', { name: 'Add to cart' }).click();
  await p.locator('#nav-cart').getByText('2 item(s) · €52.54').waitFor();

  // A link naming an unknown item and one not for sale lands on the checkout with the rest.
  await p.goto(`${base}/shops/demo/cart-import?EXCEL-ESS=1&NOPE=2&AI-TRAINERS=1`);
  await p.waitForURL(/\/checkout\?shop=demo&cart=.*&refused=/);
  await p.getByRole('status').getByText('Some items of your link could not be added to your cart: NOPE, AI-TRAINERS.').waitFor();
  await p.getByText('Excel essentials (e-learning, 12 months)').waitFor();
  assert.equal(await p.locator('pre').count(), 0, 'no JSON shown');
  await shot(p, 'cart-import-refused');
  // A link that leads nowhere (no pair; an unknown shop) still lands on a page, in words.
  await p.goto(`${base}/shops/demo/cart-import`);
  await p.waitForURL(/\/checkout\?shop=demo&link=invalid/);
  await p.getByRole('status').getByText('This link names no item this shop sells: it may be out of date.').waitFor();
  await p.goto(`${base}/shops/nope/cart-import?EXCEL-ESS=1`);
  await p.waitForURL(/\/checkout\?shop=nope&link=invalid/);
  await p.getByText('Not found: the link may be out of date.').waitFor();

  // One seat role: no role to choose. Cards are "Card", the provider a detail.
  const cart = await apiCall('POST', '/shops/demo/carts');
  await apiCall('PUT', `/carts/${cart.id}/lines/SAFETY-TEAM`, { quantity: 2 });
  await p.goto(`${base}/checkout?shop=demo&cart=${cart.id}`);
  await p.locator('#lines-continue').click();
  await p.locator('#participants').waitFor();
  assert.equal(await p.locator('#participants select.seat-role').count(), 0, 'no role select when there is one role');
  assert.equal(await p.getByLabel('Role').count(), 0);
  // Two roles offered: each seat asks which, in the buyer's words.
  const roles = {
    name: 'Rôles', currency: 'EUR', test_mode: true, payment_methods: ['test'], seller: { email: 'ventes@roles.example' },
    taxes: [{ code: 'std', rate: '20' }],
    items: [{ code: 'TEAM', name: 'Team session', tax: 'std', prices: [{ up_to: null, unit_price: '10.00' }], seat_mode: 'per_unit', seat_roles: ['student', 'editingteacher'] }],
  };
  assert.equal((await admin('PUT', '/admin/shops/roles', roles)).status, 201);
  const teamCart = await apiCall('POST', '/shops/roles/carts');
  await apiCall('PUT', `/carts/${teamCart.id}/lines/TEAM`, { quantity: 2 });
  await p.goto(`${base}/checkout?shop=roles&cart=${teamCart.id}`);
  await p.locator('#lines-continue').click();
  const role = p.locator('#participants select.seat-role').first();
  await role.waitFor();
  assert.equal(await p.locator('#participants select.seat-role').count(), 2, 'one role choice per seat');
  assert.deepEqual(await role.locator('option').allInnerTexts(), ['Learner', 'Trainer']);
  await p.goto(`${base}/checkout?shop=demo&cart=${cart.id}`);

  await apiCall('PUT', `/carts/${cart.id}/participants`, {
    participants: [{ email: 'a@example.org', firstname: 'A', lastname: 'A' }, { email: 'b@example.org', firstname: 'B', lastname: 'B' }],
    assignments: { 'SAFETY-TEAM': { student: ['a@example.org', 'b@example.org'] } },
  });
  await apiCall('PUT', `/carts/${cart.id}/customer`, { customer: ada });
  await p.goto(`${base}/checkout?shop=demo&cart=${cart.id}`);
  await p.locator('#order label.method').first().waitFor();
  const methods = await p.locator('#order label.method').allInnerTexts();
  assert.deepEqual(methods.map((m) => m.trim()), ['Test payment', 'Cheque', 'Bank transfer', 'Card (via Systempay)', 'Card (via Sips)', 'Card (via Ogone)']);
  // Progress: every step named, the done ones can be opened again.
  const steps = await p.getByRole('navigation', { name: 'Checkout steps' }).locator('li').allInnerTexts();
  assert.deepEqual(steps.map((s) => s.replace(/\s+/g, ' ').trim()), ['✓ Your cart', '✓ Participants', '✓ Your details', '4 Order']);
  await p.getByRole('button', { name: /Your details/ }).click();
  await p.locator('#customer [data-name="city"]').waitFor();
  assert.equal(await p.locator('#customer [data-name="city"]').inputValue(), 'Paris');
  await shot(p, 'checkout-back-to-details');
});
