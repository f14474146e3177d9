// Every refusal the server can give a page has the page's words, in English and in French: a
// code without them would put the server's English sentence on a French staff page; and so has
// every name the staff's pages say of the shop's own lists (a message, a bill's history entry, a
// delivery problem, an export). The codes are read from the Rust sources (no browser needed).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { knows } from '../assets/app.js';
import { staffKnows } from '../assets/desk.js';

const SRC = resolve(import.meta.dirname, '../../shared/src');
const rustFiles = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  if (statSync(path).isDirectory()) return rustFiles(path);
  return path.endsWith('.rs') ? [path] : [];
});
// The forms a refusal's code is written in: a field error's `Reason`, a delivery's refusal at a
// parameter (`HandlerError::at(param, code, ..)`, `instance(code, ..)`), the settings' table of a
// rule broken by an item (`"tax" => ("taxes", "tax_in_use")`); a problem's code.
const CODE = '"([a-z][a-z0-9_]*)"';
const FIELD_FORMS = [
  new RegExp(`Reason::(?:new|coded)\\(\\s*${CODE}`, 'g'),
  new RegExp(`(?:HandlerError|Self)::at\\(\\s*(?:"[^"]*"|[\\w&]+),\\s*${CODE}`, 'g'),
  new RegExp(`\\binstance\\(\\s*${CODE}`, 'g'),
  new RegExp(`=>\\s*\\("[a-z_]*",\\s*${CODE}\\)`, 'g'),
];
const PROBLEM_FORM = new RegExp(`Problem::new\\(\\s*StatusCode::\\w+,\\s*${CODE}`, 'g');
// A gateway's notification refused (no page sends one) and a refusal always listing its field
// errors (said one by one).
const NO_PAGE_MEETS = new Set(['invalid_signature', 'validation_failed']);

function codes() {
  const field = new Set();
  const problem = new Set();
  for (const path of rustFiles(SRC)) {
    const code = readFileSync(path, 'utf8').split('#[cfg(test)]')[0];
    for (const form of FIELD_FORMS) for (const m of code.matchAll(form)) field.add(m[1]);
    for (const m of code.matchAll(PROBLEM_FORM)) problem.add(m[1]);
  }
  return { field, problem };
}

const missing = (keys) => ['en', 'fr'].flatMap((lang) => keys.filter((k) => !knows(lang, k)).map((k) => `${lang}: ${k}`));

test('every field error the server gives has words in English and in French', () => {
  const { field } = codes();
  // The scan must see the refusals it is about (71 codes on 2026-12-07): a form it stopped
  // recognising would leave it checking nothing.
  assert.ok(field.size >= 60, `only ${field.size} codes found: has a refusal's form changed?`);
  for (const seen of ['required', 'course_zero', 'unknown_param', 'system_instance', 'tax_in_use']) assert.ok(field.has(seen), seen);
  assert.deepEqual(missing([...field].map((c) => `e_${c}`)), []);
});

test('every problem a page can meet has words in English and in French', () => {
  const { problem } = codes();
  assert.ok(problem.size >= 15, `only ${problem.size} problem codes found`);
  const pages = [...problem].filter((c) => !NO_PAGE_MEETS.has(c));
  assert.deepEqual(missing(pages.map((c) => `p_${c}`)), []);
});

/** The values of a `names!` enum (`Variant = "value",`), read from its source file. */
function namesOf(file, name) {
  const code = readFileSync(join(SRC, file), 'utf8');
  const block = code.match(new RegExp(`\\b${name} \\{([^}]*)\\}`));
  assert.ok(block, `${name} in ${file}`);
  return [...block[1].matchAll(/=\s*"([a-z_]+)"/g)].map((m) => m[1]);
}

/** The variants of a plain enum serialized in snake_case (`pub enum Action { Bill, ... }`). */
function variantsOf(file, name) {
  const code = readFileSync(join(SRC, file), 'utf8');
  const block = code.match(new RegExp(`pub enum ${name} \\{([^}]*)\\}`));
  assert.ok(block, `${name} in ${file}`);
  return block[1].split('\n').map((l) => l.trim()).filter((l) => /^[A-Z]\w*,$/.test(l))
    .map((l) => l.slice(0, -1).replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase()));
}

test('every message, history entry, delivery problem, export and staff action the staff meet has words in English and in French', () => {
  const lists = [
    ['domain/message.rs', 'MessageKind', 'msg_'],
    ['domain/bill.rs', 'CauseCode', 'cause_'],
    ['domain/problem.rs', 'ProblemCode', 'problem_'],
    ['app/exports.rs', 'Export', 'export_'],
  ];
  const audit = ['app/audit.rs', 'Action', 'audit_', variantsOf];
  for (const [file, name, prefix, read = namesOf] of [...lists, audit]) {
    const values = read(file, name);
    assert.ok(values.length >= 4, `${name}: ${values}`);
    const lacking = ['en', 'fr'].flatMap((lang) => values.filter((v) => !staffKnows(lang, `${prefix}${v}`)).map((v) => `${lang}: ${prefix}${v}`));
    assert.deepEqual(lacking, [], name);
  }
});

/** The JSON names of a struct's fields (`pub name: Type,`), read from its source file. */
function fieldsOf(file, name) {
  const code = readFileSync(join(SRC, file), 'utf8');
  const block = code.match(new RegExp(`pub struct ${name} \\{([\\s\\S]*?)\\n\\}`));
  assert.ok(block, `${name} in ${file}`);
  return [...block[1].matchAll(/^\s*pub (\w+):/gm)].map((m) => m[1]);
}

test('every field of an item or of the settings a change lists has the staff\'s words in English and in French', () => {
  // The item's history and the staff actions list the document's fields a change touched.
  const lists = [
    [fieldsOf('domain/document/mod.rs', 'ItemDoc'), 'itemField_'],
    [fieldsOf('domain/document/mod.rs', 'ShopDocument').filter((f) => !['id', 'items'].includes(f)), 'settingsField_'],
  ];
  for (const [fields, prefix] of lists) {
    assert.ok(fields.length >= 15, `${prefix}: ${fields}`);
    const lacking = ['en', 'fr'].flatMap((lang) => fields.filter((f) => !staffKnows(lang, `${prefix}${f}`)).map((f) => `${lang}: ${prefix}${f}`));
    assert.deepEqual(lacking, [], prefix);
  }
});

test('every status, payment method, item kind, visibility and product state the pages show has words in English and in French', () => {
  const bill = readFileSync(join(SRC, 'domain/bill.rs'), 'utf8');
  const statuses = [...bill.match(/pub fn as_str\(self\) -> &'static str \{([\s\S]*?)\n {4}\}/)[1].matchAll(/=> "([A-Z]+)"/g)].map((m) => m[1]);
  assert.equal(statuses.length, 10, `bill statuses: ${statuses}`);
  // The buyer's and staff's shared words (app.js), then the staff's own (desk.js).
  const buyers = [
    [statuses, 'status_'],
    [namesOf('domain/catalog.rs', 'PaymentMethod'), 'method_'],
    [namesOf('domain/product.rs', 'ProductState'), 'state_'],
  ];
  const staff = [[namesOf('domain/product.rs', 'ProductState'), 'state_']];
  const lacking = (lists, has) => lists.flatMap(([values, prefix]) => ['en', 'fr']
    .flatMap((lang) => values.filter((v) => !has(lang, `${prefix}${v}`)).map((v) => `${lang}: ${prefix}${v}`)));
  assert.deepEqual(lacking(buyers, knows), [], 'app.js');
  assert.deepEqual(lacking(staff, staffKnows), [], 'desk.js');
  // The catalogue editor's own words (a page script: read as text, once per language).
  const editor = readFileSync(resolve(import.meta.dirname, '../assets/admin-items.js'), 'utf8');
  const twice = (key) => (editor.match(new RegExp(`\\b${key}:`, 'g')) || []).length >= 2;
  const lists = [
    [namesOf('domain/catalog.rs', 'ItemKind'), 'kind_'],
    [namesOf('domain/catalog.rs', 'ItemStatus'), 'status_'],
    [namesOf('domain/catalog.rs', 'Visibility'), 'visibility_'],
  ];
  assert.deepEqual(lists.flatMap(([values, prefix]) => values.map((v) => `${prefix}${v}`).filter((k) => !twice(k))), [], 'admin-items.js');
});
