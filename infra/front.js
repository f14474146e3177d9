// The shop's front door: a CloudFront Function (cloudfront-js-2.0) on every viewer request of
// the distribution `ShopFront` (template.yaml, which holds this file's text: a test keeps the
// two the same).
//
// 1. It tells the API who the viewer is and which host they reached. CloudFront, not the
//    viewer, connects to API Gateway, whose `sourceIp` is then CloudFront's own address: the
//    per-client limits (failed sign-ins, wrong item passwords, "find my orders") would count
//    every viewer of an edge as one. A header a viewer sends under these names is replaced.
//    The API believes them only beside the secret header CloudFront adds to the requests it
//    sends to the API (`x-enrolshop-front`).
// 2. It maps a page's address to its file in the pages bucket (`/checkout` → `/checkout.html`),
//    as `shopctl serve` does.
var PAGES = {
  '/': '/index.html',
  '/checkout': '/checkout.html',
  '/bill': '/bill.html',
  '/orders': '/orders.html',
  '/account': '/account.html',
  '/admin': '/admin.html',
  '/admin/bill': '/admin-bill.html',
  '/admin/customers': '/admin-customers.html',
  '/admin/products': '/admin-products.html',
  '/admin/items': '/admin-items.html',
  '/admin/settings': '/admin-settings.html'
};

async function handler(event) {
  var request = event.request;
  request.headers['x-enrolshop-client'] = { value: event.viewer.ip };
  request.headers['x-enrolshop-host'] = { value: request.headers.host ? request.headers.host.value : '' };
  var page = PAGES[request.uri];
  if (page) {
    request.uri = page;
  }
  return request;
}
