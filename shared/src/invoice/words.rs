//! The document's words in English and French, and how each language writes a date, a rate
//! and a country.

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;

use crate::domain::Language;
use crate::domain::bill::BillStatus;
use crate::domain::catalog::PaymentMethod;

pub struct Words {
    pub invoice: &'static str,
    pub order: &'static str,
    pub credit_note: &'static str,
    pub credit_note_number: &'static str,
    pub credit_note_date: &'static str,
    pub cancels_invoice: &'static str,
    pub cancelled_by: &'static str,
    /// Before the invoice's number: what the credit note does.
    pub cancels_in_full: &'static str,
    /// A part refund's credit note: the invoice it refers to, its lines, what it does.
    pub refers_to_invoice: &'static str,
    pub refund_on_invoice: &'static str,
    pub refunds_part_of: &'static str,
    /// The bill's own credit note after part refunds: it cancels what they left.
    pub cancels_the_rest_of: &'static str,
    pub after_credit_notes: &'static str,
    /// On the invoice: a credit note of a part refund.
    pub refunded_in_part_by: &'static str,
    pub invoice_number: &'static str,
    pub invoice_date: &'static str,
    pub order_reference: &'static str,
    pub order_date: &'static str,
    pub status: &'static str,
    pub payment_method: &'static str,
    pub seller: &'static str,
    pub customer: &'static str,
    pub invoiced_to: &'static str,
    pub item: &'static str,
    pub quantity: &'static str,
    pub unit_price: &'static str,
    pub excl_tax: &'static str,
    pub vat: &'static str,
    pub incl_tax: &'static str,
    pub tax_base: &'static str,
    pub total_excl_tax: &'static str,
    pub total_tax: &'static str,
    pub total_incl_tax: &'static str,
    pub paid_on: &'static str,
    pub amount_due: &'static str,
    pub vat_number: &'static str,
    pub test_mode: &'static str,
    pub page: &'static str,
    /// `: ` in English, ` : ` in French.
    pub colon: &'static str,
    months: [&'static str; 12],
    statuses: [&'static str; 10],
    methods: [(&'static str, &'static str); 9],
    seller_fields: [(&'static str, &'static str); 8],
    countries: [(&'static str, &'static str); 40],
}

const EN: Words = Words {
    invoice: "Invoice",
    order: "Order form",
    credit_note: "Credit note",
    credit_note_number: "Credit note number",
    credit_note_date: "Credit note date",
    cancels_invoice: "Cancels invoice",
    cancelled_by: "Cancelled by credit note",
    cancels_in_full: "This credit note cancels in full invoice",
    refers_to_invoice: "Refers to invoice",
    refund_on_invoice: "Refund on invoice",
    refunds_part_of: "This credit note refunds part of invoice",
    cancels_the_rest_of: "This credit note cancels what remained of invoice",
    after_credit_notes: "after credit notes",
    refunded_in_part_by: "Refunded in part by credit note",
    invoice_number: "Invoice number",
    invoice_date: "Invoice date",
    order_reference: "Order reference",
    order_date: "Order date",
    status: "Status",
    payment_method: "Payment method",
    seller: "Seller",
    customer: "Customer",
    invoiced_to: "Invoiced to",
    item: "Item",
    quantity: "Qty",
    unit_price: "Unit price excl. VAT",
    excl_tax: "Total excl. VAT",
    vat: "VAT",
    incl_tax: "Total incl. VAT",
    tax_base: "Base",
    total_excl_tax: "Total excl. VAT",
    total_tax: "Total VAT",
    total_incl_tax: "Total incl. VAT",
    paid_on: "Paid on",
    amount_due: "Amount due:",
    vat_number: "VAT number",
    test_mode: "Test mode: nothing was really sold.",
    page: "Page",
    colon: ": ",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    statuses: [
        "Placed",
        "Awaiting payment",
        "Partly paid",
        "Paid",
        "Delivering before payment",
        "Complete",
        "Payment failed",
        "Cancelled",
        "Refund in progress",
        "Refunded",
    ],
    methods: [
        ("test", "Test payment"),
        ("free", "Free"),
        ("check", "Cheque"),
        ("transfer", "Bank transfer"),
        ("paypal", "PayPal"),
        ("stripe", "Card (Stripe)"),
        ("systempay", "Card (Systempay)"),
        ("sips", "Card (Sips)"),
        ("ogone", "Card (Ogone)"),
    ],
    seller_fields: [
        ("vat_number", "VAT number"),
        ("siret", "SIRET"),
        ("siren", "SIREN"),
        ("rcs", "Registered in"),
        ("legal_form", "Legal form"),
        ("capital", "Share capital"),
        ("phone", "Phone"),
        ("nda", "Training provider number"),
    ],
    countries: COUNTRIES_EN,
};

const FR: Words = Words {
    invoice: "Facture n°",
    order: "Bon de commande",
    credit_note: "Avoir n°",
    credit_note_number: "Numéro d’avoir",
    credit_note_date: "Date de l’avoir",
    cancels_invoice: "Annule la facture",
    cancelled_by: "Annulée par l’avoir",
    cancels_in_full: "Le présent avoir annule intégralement la facture",
    refers_to_invoice: "Se rapporte à la facture",
    refund_on_invoice: "Remboursement sur la facture",
    refunds_part_of: "Le présent avoir rembourse une partie de la facture",
    cancels_the_rest_of: "Le présent avoir annule ce qui restait de la facture",
    after_credit_notes: "après les avoirs",
    refunded_in_part_by: "Remboursée en partie par l’avoir",
    invoice_number: "Numéro de facture",
    invoice_date: "Date de facture",
    order_reference: "Référence de commande",
    order_date: "Date de commande",
    status: "État",
    payment_method: "Moyen de paiement",
    seller: "Vendeur",
    customer: "Client",
    invoiced_to: "Facturé à",
    item: "Article",
    quantity: "Qté",
    unit_price: "Prix unitaire HT",
    excl_tax: "Total HT",
    vat: "TVA",
    incl_tax: "Total TTC",
    tax_base: "Base",
    total_excl_tax: "Total HT",
    total_tax: "Total TVA",
    total_incl_tax: "Total TTC",
    paid_on: "Payée le",
    amount_due: "Montant à régler :",
    vat_number: "N° de TVA intracommunautaire",
    test_mode: "Mode test : rien n’a réellement été vendu.",
    page: "Page",
    colon: " : ",
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    statuses: [
        "Enregistrée",
        "En attente de paiement",
        "Payée en partie",
        "Payée",
        "Livraison avant paiement",
        "Terminée",
        "Paiement refusé",
        "Annulée",
        "Remboursement en cours",
        "Remboursée",
    ],
    methods: [
        ("test", "Paiement de test"),
        ("free", "Gratuit"),
        ("check", "Chèque"),
        ("transfer", "Virement"),
        ("paypal", "PayPal"),
        ("stripe", "Carte bancaire (Stripe)"),
        ("systempay", "Carte bancaire (Systempay)"),
        ("sips", "Carte bancaire (Sips)"),
        ("ogone", "Carte bancaire (Ogone)"),
    ],
    seller_fields: [
        ("vat_number", "N° de TVA intracommunautaire"),
        ("siret", "SIRET"),
        ("siren", "SIREN"),
        ("rcs", "RCS"),
        ("legal_form", "Forme juridique"),
        ("capital", "Capital social"),
        ("phone", "Téléphone"),
        ("nda", "N° de déclaration d’activité"),
    ],
    countries: COUNTRIES_FR,
};

impl Words {
    pub fn of(language: Language) -> &'static Words {
        match language {
            Language::En => &EN,
            Language::Fr => &FR,
        }
    }

    fn fr(&self) -> bool {
        std::ptr::eq(self, &FR)
    }

    /// `6 December 2026`, `6 décembre 2026`.
    pub fn date(&self, at: DateTime<Utc>) -> String {
        let month = self.months[at.month0() as usize];
        format!("{} {month} {}", at.day(), at.year())
    }

    /// `5.5%`, `5,5 %`.
    pub fn percent(&self, rate: Decimal) -> String {
        let rate = rate.normalize().to_string();
        if self.fr() {
            format!("{}\u{a0}%", rate.replace('.', ","))
        } else {
            format!("{rate}%")
        }
    }

    pub fn status_name(&self, status: BillStatus) -> &'static str {
        let i = BillStatus::ALL
            .iter()
            .position(|s| *s == status)
            .expect("every status is listed");
        self.statuses[i]
    }

    pub fn method_name(&self, method: PaymentMethod) -> String {
        self.methods
            .iter()
            .find(|(code, _)| *code == method.as_str())
            .map_or_else(
                || method.as_str().to_owned(),
                |(_, name)| (*name).to_owned(),
            )
    }

    /// A seller field's label: the known legal ones worded, others as the shop named them.
    pub fn seller_field(&self, key: &str) -> String {
        self.seller_fields
            .iter()
            .find(|(k, _)| *k == key)
            .map_or_else(|| key.replace('_', " "), |(_, label)| (*label).to_owned())
    }

    /// A country's name, or its code for one outside the list.
    pub fn country(&self, code: &str) -> String {
        self.countries
            .iter()
            .find(|(c, _)| *c == code)
            .map_or_else(|| code.to_owned(), |(_, name)| (*name).to_owned())
    }
}

/// The countries a training organisation in Europe most often invoices.
const COUNTRIES_EN: [(&str, &str); 40] = [
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("BG", "Bulgaria"),
    ("CA", "Canada"),
    ("CH", "Switzerland"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("DZ", "Algeria"),
    ("EE", "Estonia"),
    ("ES", "Spain"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("GR", "Greece"),
    ("HR", "Croatia"),
    ("HU", "Hungary"),
    ("IE", "Ireland"),
    ("IT", "Italy"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("MA", "Morocco"),
    ("MC", "Monaco"),
    ("MT", "Malta"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("RE", "Réunion"),
    ("RO", "Romania"),
    ("SE", "Sweden"),
    ("SI", "Slovenia"),
    ("SK", "Slovakia"),
    ("SN", "Senegal"),
    ("TN", "Tunisia"),
    ("US", "United States"),
    ("CI", "Côte d’Ivoire"),
    ("CM", "Cameroon"),
];

const COUNTRIES_FR: [(&str, &str); 40] = [
    ("AT", "Autriche"),
    ("BE", "Belgique"),
    ("BG", "Bulgarie"),
    ("CA", "Canada"),
    ("CH", "Suisse"),
    ("CY", "Chypre"),
    ("CZ", "Tchéquie"),
    ("DE", "Allemagne"),
    ("DK", "Danemark"),
    ("DZ", "Algérie"),
    ("EE", "Estonie"),
    ("ES", "Espagne"),
    ("FI", "Finlande"),
    ("FR", "France"),
    ("GB", "Royaume-Uni"),
    ("GR", "Grèce"),
    ("HR", "Croatie"),
    ("HU", "Hongrie"),
    ("IE", "Irlande"),
    ("IT", "Italie"),
    ("LT", "Lituanie"),
    ("LU", "Luxembourg"),
    ("LV", "Lettonie"),
    ("MA", "Maroc"),
    ("MC", "Monaco"),
    ("MT", "Malte"),
    ("NL", "Pays-Bas"),
    ("NO", "Norvège"),
    ("PL", "Pologne"),
    ("PT", "Portugal"),
    ("RE", "La Réunion"),
    ("RO", "Roumanie"),
    ("SE", "Suède"),
    ("SI", "Slovénie"),
    ("SK", "Slovaquie"),
    ("SN", "Sénégal"),
    ("TN", "Tunisie"),
    ("US", "États-Unis"),
    ("CI", "Côte d’Ivoire"),
    ("CM", "Cameroun"),
];
