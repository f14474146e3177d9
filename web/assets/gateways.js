// The settings page's payment gateways: each gateway's settings as labelled fields (README
// "Payments" lists what each reads, shared/src/gateways/ the defaults), a secret write-only,
// the settings this page does not know kept as lines of their own.
import { field, h, lang } from './app.js';

/** A setting: a text (left empty, the gateway's default, shown as `placeholder`), a secret
 * (never shown), or a choice among what the gateway accepts (`fallback`: its default). */
const text = (name, placeholder) => ({ name, placeholder });
const secret = (name) => ({ name, secret: true });
const choice = (name, choices, fallback) => ({ name, choices, fallback });
const formUrl = text('form_url');

export const GATEWAY_SETTINGS = {
  transfer: [text('iban')],
  stripe: [secret('secret_key'), secret('webhook_secret'), text('api_base')],
  paypal: [text('business'), text('verify_url'), formUrl],
  systempay: [text('site_id'), secret('key'), choice('ctx_mode', ['TEST', 'PRODUCTION'], 'TEST'),
    choice('signature_algorithm', ['HMAC-SHA-256', 'SHA-1'], 'HMAC-SHA-256'), formUrl],
  sips: [text('merchant_id'), secret('secret_key'), text('key_version', '1'),
    choice('seal_algorithm', ['HMAC-SHA-256', 'SHA-256'], 'HMAC-SHA-256'), choice('encode', ['base64'], null),
    text('interface_version', 'HP_2.31'), formUrl],
  ogone: [text('pspid'), secret('sha_in'), secret('sha_out'), choice('sha_algorithm', ['SHA-256', 'SHA-1', 'SHA-512'], 'SHA-256'), formUrl],
};

const WORDS = {
  en: {
    iban: 'IBAN to be paid to', secret_key: 'Secret key', webhook_secret: 'Webhook signing secret',
    api_base: 'API address (empty: Stripe’s)', business: 'PayPal account (email)',
    verify_url: 'Verification address (empty: PayPal’s)', form_url: 'Payment page address (empty: the gateway’s)',
    site_id: 'Shop ID', key: 'Key (certificate)', ctx_mode: 'Mode', signature_algorithm: 'Signature algorithm',
    merchant_id: 'Merchant ID', key_version: 'Key version', seal_algorithm: 'Seal algorithm', encode: 'Data encoding',
    interface_version: 'Interface version', pspid: 'PSPID (account name)', sha_in: 'SHA-IN passphrase',
    sha_out: 'SHA-OUT passphrase', sha_algorithm: 'Hash algorithm',
    TEST: 'Test', PRODUCTION: 'Production', base64: 'Base64', byDefault: (v) => (v ? `Default (${v})` : 'Default (none)'),
  },
  fr: {
    iban: 'IBAN à créditer', secret_key: 'Clé secrète', webhook_secret: 'Secret de signature des notifications',
    api_base: 'Adresse de l’API (vide : celle de Stripe)', business: 'Compte PayPal (courriel)',
    verify_url: 'Adresse de vérification (vide : celle de PayPal)', form_url: 'Adresse de la page de paiement (vide : celle du prestataire)',
    site_id: 'Identifiant de la boutique', key: 'Clé (certificat)', ctx_mode: 'Mode', signature_algorithm: 'Algorithme de signature',
    merchant_id: 'Identifiant commerçant', key_version: 'Version de la clé', seal_algorithm: 'Algorithme du sceau', encode: 'Encodage des données',
    interface_version: 'Version d’interface', pspid: 'PSPID (nom du compte)', sha_in: 'Phrase secrète SHA-IN',
    sha_out: 'Phrase secrète SHA-OUT', sha_algorithm: 'Algorithme de hachage',
    TEST: 'Test', PRODUCTION: 'Production', base64: 'Base64', byDefault: (v) => (v ? `Par défaut (${v})` : 'Par défaut (aucun)'),
  },
};
const w = (key, ...args) => {
  const word = WORDS[lang()][key];
  return typeof word === 'function' ? word(...args) : word;
};

/** A number or yes/no as typed; other text stays text (a setting may be a string). */
export function parsedOr(text) {
  try { return JSON.parse(text); } catch { return text; }
}

/** The known settings of `method` as fields, from its stored settings (a secret as the
 * document's marker); `read(out)` writes what is set into `out` and returns the names it
 * knows, so that the others stay the shop's own lines. */
export function gatewayFields(method, stored, { marker, secretSet }) {
  const specs = GATEWAY_SETTINGS[method] || [];
  const fields = specs.map((spec) => {
    const was = stored[spec.name];
    const path = `gateways.${method}.${spec.name}`;
    if (spec.choices) {
      const select = h('select', {},
        h('option', { value: '' }, w('byDefault', spec.fallback && w(spec.fallback))),
        [...spec.choices, ...(was && !spec.choices.includes(was) ? [was] : [])].map((c) => h('option', { value: c, selected: c === was }, w(c) ?? c)));
      return { element: field(w(spec.name), select, path), read: (out) => { if (select.value) out[spec.name] = select.value; } };
    }
    const isSet = spec.secret && was === marker;
    const input = h('input', {
      type: spec.secret ? 'password' : 'text', autocomplete: spec.secret ? 'new-password' : 'off',
      value: isSet || was === undefined ? '' : String(was), placeholder: isSet ? secretSet : (spec.placeholder ?? ''),
    });
    const read = (out) => {
      const typed = input.value.trim();
      // (a number or yes/no stays one; a string stays a string)
      if (typed) out[spec.name] = typeof was === 'string' || was === undefined ? typed : parsedOr(typed);
      else if (isSet) out[spec.name] = marker;
    };
    return { element: field(w(spec.name), input, path), read };
  });
  return {
    elements: fields.map((f) => f.element),
    known: specs.map((s) => s.name),
    read: (out) => fields.forEach((f) => f.read(out)),
  };
}
