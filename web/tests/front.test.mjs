// ShopFront's viewer-request function (infra/front.js, run as CloudFront runs it: the file's
// text, its `handler` called with a CloudFront Functions event). No browser needed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
// cloudfront-js-2.0 has no modules: the file declares `handler` at its top level.
const handler = new Function(`${readFileSync(resolve(ROOT, 'infra/front.js'), 'utf8')}\nreturn handler;`)();

const event = (uri, headers = {}) => ({
  version: '1.0',
  context: { eventType: 'viewer-request' },
  viewer: { ip: '198.51.100.7' },
  request: { method: 'GET', uri, querystring: {}, headers: { host: { value: 'shop.example' }, ...headers }, cookies: {} },
});

test('a page address is served by its file of web/, whatever its query', async () => {
  for (const [uri, file] of [['/', 'index.html'], ['/checkout', 'checkout.html'], ['/bill', 'bill.html'], ['/admin', 'admin.html'], ['/admin/bill', 'admin-bill.html'], ['/admin/products', 'admin-products.html']]) {
    const request = await handler(event(uri));
    assert.equal(request.uri, `/${file}`, uri);
    assert.ok(existsSync(resolve(ROOT, 'web', file)), file);
  }
});

test('assets and API routes go as they came', async () => {
  for (const uri of ['/assets/app.js', '/carts/abc/lines/EXCEL', '/admin/products/P1/suspend', '/shops/demo/catalog', '/bills/X']) {
    assert.equal((await handler(event(uri))).uri, uri);
  }
});

test('the API is told the viewer and the host they reached, never what the viewer wrote', async () => {
  const forged = { 'x-enrolshop-client': { value: '10.0.0.1' }, 'x-enrolshop-host': { value: 'evil.example' } };
  const request = await handler(event('/admin/login', forged));
  assert.equal(request.headers['x-enrolshop-client'].value, '198.51.100.7');
  assert.equal(request.headers['x-enrolshop-host'].value, 'shop.example');
  // The secret is CloudFront's origin header, never the function's: it holds none.
  assert.equal(request.headers['x-enrolshop-front'], undefined);
});
