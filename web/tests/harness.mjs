// What every browser test file needs: `shopctl serve` (embedded store, Moodle simulator) on
// free ports in a fresh data dir, Debian's Chromium, pages in a language and a width,
// screenshots in tests/artifacts/, the simulator's web services, and axe-core.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const SHOPCTL = process.env.SHOPCTL || join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug/shopctl');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const MOODLE_TOKEN = 'dev-moodle-token';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const freePort = () => new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

/** The local stack and a browser; `stop()` ends both and removes the data dir. `args` are
 * more flags for `shopctl serve` (`--smtp-url`...). */
export async function startStack({ args = [] } = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'enrolshop-browser-'));
  const [apiPort, sim] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${apiPort}`;
  const moodle = `http://127.0.0.1:${sim}`;
  const server = spawn(SHOPCTL, ['serve', '--addr', `127.0.0.1:${apiPort}`, '--moodle-addr', `127.0.0.1:${sim}`, '--data-dir', dataDir, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, RUST_LOG: 'warn' } });
  await waitFor(`${base}/shops/demo/catalog`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });

  /** Calls a web-service function of the Moodle simulator (bracket-encoded parameters). */
  const ws = async (fn, params) => {
    const form = new URLSearchParams({ wstoken: MOODLE_TOKEN, wsfunction: fn, moodlewsrestformat: 'json' });
    const flat = (prefix, v) => {
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) flat(prefix ? `${prefix}[${k}]` : k, x);
      else form.append(prefix, String(v));
    };
    flat('', params);
    const r = await fetch(`${moodle}/webservice/rest/server.php`, { method: 'POST', body: form });
    return r.json();
  };

  /** Calls the shop's API as a script would (JSON in, JSON out). */
  const api = async (method, path, body) => {
    const r = await fetch(`${base}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return r.json();
  };

  /** A page in a fresh context (its own cookies), at 390 px unless a width is given. */
  const page = async (lang = 'en', width = 390) => {
    const context = await browser.newContext({ locale: lang === 'fr' ? 'fr-FR' : 'en-GB', viewport: { width, height: 844 } });
    const p = await context.newPage();
    p.on('pageerror', (e) => { throw e; });
    return p;
  };

  /** The messages at /dev/mail to `address` (summaries), once `done(messages)` (or after 20 s). */
  const mailTo = async (address, done) => {
    let mine = [];
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${base}/dev/mail`, { headers: { accept: 'application/json' } });
      mine = (await r.json()).messages.filter((m) => m.to === address);
      if (done(mine)) break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    return mine;
  };

  const stop = async () => {
    await browser?.close();
    server?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, moodle, browser, ws, api, page, mailTo, stop };
}

/** An SMTP server refusing every address at refused.example for good (550), taking the rest:
 * `refusing_smtp.py` on a free port. `stop()` ends it. */
export async function refusingSmtp() {
  const port = await freePort();
  const server = spawn('python3', [join(import.meta.dirname, 'refusing_smtp.py'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((ok, fail) => {
    server.stdout.once('data', ok);
    server.once('exit', (code) => fail(new Error(`refusing_smtp.py ended (${code}): python3 -m pip install aiosmtpd`)));
  });
  return { url: `smtp://127.0.0.1:${port}`, stop: () => server.kill() };
}

export async function shot(p, name) {
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** axe-core's violations of impact serious or critical on the page as it is now. */
export async function seriousViolations(p) {
  await p.evaluate(AXE);
  const result = await p.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// Words the pages, messages and documents use in English that French never does (the shop's
// name, a proper noun, is left out).
export const ENGLISH = ['the', 'your', 'and', 'with', 'cart', 'checkout', 'continue', 'remove', 'quantity', 'price', 'payment',
  'status', 'invoice', 'order', 'email', 'country', 'please', 'add', 'save', 'log', 'step', 'back', 'keep', 'link', 'find',
  'orders', 'card', 'bank', 'transfer', 'cheque', 'delivery', 'delivered', 'required', 'choose', 'seat', 'unit', 'reach',
  'username', 'password', 'learning', 'site', 'open', 'paid', 'placed', 'excl', 'incl', 'tax', 'customer', 'seller',
  'item', 'reference', 'what', 'next', 'ready', 'copy', 'terms', 'accept', 'first', 'last', 'name', 'address',
  'city', 'phone', 'postcode', 'number', 'receipt', 'late', 'fee', 'days', 'complete', 'everything', 'sold',
  'by', 'every', 'awaiting', 'recorded', 'confirmed', 'gateway', 'pending', 'refused', 'produced', 'reduced'];
const SHOP_NAME = /Demo Training Academy( SAS)?/g;

/** All a reader or a screen reader meets on a page: its text, its title, the choices of its
 * lists (closed or open), and the words its elements carry in attributes (a field's
 * placeholder, a button's label, a picture's text). */
export async function pageWords(p) {
  return p.evaluate(() => {
    const attributes = ['placeholder', 'aria-label', 'title', 'alt'];
    return [
      document.title,
      document.body.innerText,
      ...[...document.querySelectorAll('option')].map((o) => o.textContent),
      ...[...document.querySelectorAll('*')].flatMap((e) => attributes.map((a) => e.getAttribute(a))).filter(Boolean),
      ...[...document.querySelectorAll('input[type=submit], input[type=button]')].map((e) => e.value),
    ].join('\n');
  });
}

/** The English words in a text (whole words, any case), besides e-mail addresses and links. */
export function englishIn(text) {
  const words = text.replace(SHOP_NAME, ' ').replace(/\S+@\S+|https?:\/\/\S+/g, ' ').toLowerCase().split(/[^a-zà-ÿœ’'-]+/);
  return [...new Set(words.filter((w) => ENGLISH.includes(w)))];
}
