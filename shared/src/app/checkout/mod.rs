//! The checkout use cases: the ORDER step and placement, the bill views, and the payments that
//! need no gateway (`free`, `check`, `transfer`, `test`), with retry after a failure.
//!
//! Placement reads the cart and its shop, then writes in one transaction the bill (new), the
//! cart (frozen, on the version read), the stock counters (bounded adds) and, for a free order,
//! the invoice sequence and the production outbox record. A retry after a lost race re-reads:
//! a cart placed meanwhile answers its bill, so placing twice yields one bill.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppError;
use super::bills::{self, Bills};
use super::record::Versioned;
use super::repo::{self, StoredShop};
use super::retry::{Attempt, until_written};
use crate::domain::FieldError;
use crate::domain::bill::{AccessToken, Actor, Bill, BillId, BillStatus, Cause, Payment};
use crate::domain::cart::{PlacedBill, PricedLineView, TaxView, TotalsView};
use crate::domain::catalog::PaymentMethod;
use crate::domain::document::ShopDocument;
use crate::domain::ids::{CartId, ItemCode};
use crate::domain::order::{bill_from_cart, check_order, method_problem};
use crate::gateways::{DailyNumbers, Gateway, Settings, StartWith, Started, Urls, VerifyError};
use crate::ports::{GatewayApi, Write};

mod lookup;
mod views;

pub use lookup::LookupInput;

use views::placement_view;
pub use views::*;

pub struct Checkout {
    desk: Bills,
    links: PaymentLinks,
    /// The Moodle site, for the bill page's links to what was delivered.
    moodle_url: Option<String>,
}

/// A gateway method needs the shop's settings for it.
fn gateway_problem(doc: &ShopDocument, method: PaymentMethod) -> Option<AppError> {
    (Gateway::of(method).is_some() && !doc.gateways.contains_key(method.as_str())).then(|| {
        AppError::invalid(
            "payment_method",
            format!("the shop has no settings for `{}`", method.as_str()),
        )
    })
}

/// What starting a payment at a gateway needs: the API's public URL (empty: the URL the buyer
/// used, from the request) and the gateways' APIs.
#[derive(Clone)]
pub struct PaymentLinks {
    pub public_url: String,
    pub api: Arc<dyn GatewayApi>,
}

/// Puts a new bill on the way its method pays: offline methods wait (PENDING), a free order is
/// paid at once, `test` waits for its test payment.
fn open_payment(
    bill: &mut Bill,
    method: PaymentMethod,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    match method {
        PaymentMethod::Check | PaymentMethod::Transfer => bill.transition(
            BillStatus::Pending,
            &Actor::Buyer,
            Cause::AwaitingPayment { method },
            None,
            now,
        )?,
        PaymentMethod::Free => bill.transition(
            BillStatus::Paid,
            &Actor::System,
            Cause::FreeOrder,
            None,
            now,
        )?,
        _ => {}
    }
    Ok(())
}

impl Checkout {
    pub fn new(desk: Bills, links: PaymentLinks) -> Self {
        Self {
            desk,
            links,
            moodle_url: None,
        }
    }

    /// The Moodle site the bill page links delivered courses to (`MOODLE_URL`).
    pub fn with_moodle_url(mut self, url: Option<String>) -> Self {
        self.moodle_url = url;
        self
    }

    fn store(&self) -> &dyn crate::ports::Store {
        self.desk.store.as_ref()
    }

    /// Places a ready cart. `true` with a new bill, `false` when the cart was placed before.
    /// `origin` is the API's public base URL as the buyer reached it (for gateway URLs); the
    /// configured `public_url` wins when set.
    pub async fn place(
        &self,
        cart: &str,
        input: &OrderInput,
        origin: &str,
    ) -> Result<(PlacementView, bool), AppError> {
        let id: CartId = repo::parse_id("cart", cart)?;
        let id = &id;
        until_written("the shop is too busy; retry", |_| async move {
            let stored = repo::load_cart(self.store(), id).await?;
            if let Some(placed) = &stored.value.placed {
                return Ok((self.already_placed(placed, origin).await?, false));
            }
            let codes: Vec<ItemCode> = stored.value.lines.iter().map(|l| l.code.clone()).collect();
            let shop =
                repo::load_shop(self.store(), &stored.value.shop, repo::Items::Only(&codes))
                    .await?;
            let method = check_order(
                &stored.value,
                &shop.shop,
                &input.payment_method,
                input.accept_terms,
            )
            .map_err(AppError::Invalid)?;
            if let Some(problem) = gateway_problem(&shop.document, method) {
                return Err(problem.into());
            }
            let token = AccessToken::random();
            let now = self.desk.clock.now();
            let mut bill = bill_from_cart(
                &stored.value,
                &shop.shop,
                &shop.document,
                method,
                AccessToken::digest(token.as_str()),
                now,
            );
            open_payment(&mut bill, method, now)?;
            let mut cart = stored.value.clone();
            cart.placed = Some(PlacedBill {
                bill: bill.id.to_string(),
                access_token: token.as_str().to_owned(),
            });
            let mut with = vec![repo::cart_write(
                &mut cart,
                Some(stored.version),
                now,
                cart_ttl(&stored.value),
            )];
            with.extend(stock_writes(&shop, &bill));
            if let Err(lost) = self.desk.commit(&mut bill, bills::Read::New, with, now).await {
                if matches!(lost, Attempt::Raced) {
                    // Out of stock meanwhile answers at once; anything else is retried.
                    self.check_stock(&shop, &bill).await?;
                }
                return Err(lost);
            }
            tracing::info!(bill = %bill.id, cart = %crate::web::log_tag(cart.id.as_str()), status = %bill.status, "order placed");
            super::customers::remember(self.store(), &bill, now).await;
            let action = self.start(&shop, &bill, origin).await;
            let view = placement_view(&bill, action, Some(token.as_str().to_owned()));
            Ok((view, true))
        })
        .await
    }

    /// After a lost race: is there still stock for every line? (Otherwise the race is retried.)
    async fn check_stock(&self, shop: &StoredShop, bill: &Bill) -> Result<(), AppError> {
        let codes: Vec<ItemCode> = bill.lines.iter().map(|l| l.code.clone()).collect();
        let fresh = repo::load_shop(self.store(), &shop.shop.id, repo::Items::Only(&codes)).await?;
        let short: Vec<FieldError> = bill
            .lines
            .iter()
            .filter_map(|line| {
                let left = fresh.shop.item(&line.code)?.stock?;
                (line.quantity > left).then(|| {
                    FieldError::new(
                        format!("lines.{}", line.code),
                        crate::domain::Reason::new(
                            "out_of_stock",
                            format!("only {left} left in stock"),
                        )
                        .with("max", left),
                    )
                })
            })
            .collect();
        if short.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(short))
        }
    }

    async fn already_placed(
        &self,
        placed: &PlacedBill,
        origin: &str,
    ) -> Result<PlacementView, AppError> {
        let id: BillId = repo::parse_id("bill", &placed.bill)?;
        let bill = self.desk.load(&id).await?.value;
        let shop = repo::load_shop(self.store(), &bill.shop, repo::Items::None).await?;
        let action = self.start(&shop, &bill, origin).await;
        Ok(placement_view(
            &bill,
            action,
            Some(placed.access_token.clone()),
        ))
    }

    /// A bill for the holder of its access token; anyone else is told it does not exist.
    pub async fn open(&self, bill: &str, token: &str) -> Result<Versioned<Bill>, AppError> {
        let id: BillId = repo::parse_id("bill", bill)?;
        match bills::find_bill(self.store(), &id).await? {
            Some(stored) if stored.value.opens_with(token) => Ok(stored),
            _ => Err(AppError::not_found("bill", bill)),
        }
    }

    /// The bill for its page: with the payment instructions while an offline payment is
    /// awaited, and the links to the courses once something is delivered.
    pub async fn view(&self, bill: &str, token: &str) -> Result<BillView, AppError> {
        let bill = self.open(bill, token).await?.value;
        let progress = super::production::progress(self.store(), &bill.id).await?;
        let mut view = BillView::new(&bill).with_production(&progress);
        let offline = matches!(
            bill.payment_method,
            PaymentMethod::Check | PaymentMethod::Transfer
        );
        let awaited = [
            BillStatus::Placed,
            BillStatus::Pending,
            BillStatus::Partial,
            BillStatus::Preprod,
        ];
        if offline && awaited.contains(&bill.status) {
            let shop = repo::load_shop(self.store(), &bill.shop, repo::Items::None).await?;
            view.instructions = Some(instructions(&shop.document, &bill));
        }
        let delivered = progress.values().any(|p| !p.products.is_empty());
        if delivered && self.moodle_url.is_some() {
            let reached = super::products::reached(self.store(), &bill, &progress).await?;
            let email = bill.customer.email.normalized();
            let record = super::customers::find(self.store(), bill.shop.as_str(), &email).await?;
            let username = record.and_then(|r| r.value.moodle_username);
            view.access = AccessView::new(self.moodle_url.as_deref(), &reached, username);
        }
        Ok(view)
    }

    /// The bill as a document: the order before payment, the invoice once paid, or the
    /// credit note that cancelled it.
    pub async fn document(
        &self,
        bill: &str,
        token: &str,
        which: super::bills::BillDocument,
    ) -> Result<crate::invoice::InvoiceDocument, AppError> {
        let stored = self.open(bill, token).await?;
        let shop = repo::load_shop(self.store(), &stored.value.shop, repo::Items::None).await?;
        which.of(&stored.value, &shop.document)
    }

    /// `POST /bills/{bill}/test-payment`: the `test` method's stand-in for a gateway.
    pub async fn test_payment(
        &self,
        bill: &str,
        token: &str,
        input: &TestPaymentInput,
    ) -> Result<BillView, AppError> {
        let stored = self.open(bill, token).await?;
        let shop = repo::load_shop(self.store(), &stored.value.shop, repo::Items::None).await?;
        if !shop.shop.test_mode || stored.value.payment_method != PaymentMethod::Test {
            return Err(AppError::State(
                "test payments are only for bills paid with `test` in a shop in test mode".into(),
            ));
        }
        let gateway = Actor::Gateway("test".into());
        let changed = match input.outcome.as_str() {
            "paid" => {
                self.desk
                    .change_from(stored, |b, now| {
                        let payment = Payment {
                            at: now,
                            amount: b.remaining(),
                            method: PaymentMethod::Test,
                            reference: Some(format!("TEST-{}", b.id)),
                            actor: gateway.clone(),
                        };
                        Ok(b.record_payment(payment, Cause::TestPaymentAccepted)?)
                    })
                    .await?
            }
            "pending" => {
                self.desk
                    .change_from(stored, |b, now| {
                        Ok(b.transition(
                            BillStatus::Pending,
                            &gateway,
                            Cause::TestPaymentPending,
                            None,
                            now,
                        )?)
                    })
                    .await?
            }
            "failed" => {
                self.desk
                    .change_from(stored, |b, now| {
                        Ok(b.transition(
                            BillStatus::Failed,
                            &gateway,
                            Cause::TestPaymentRefused,
                            None,
                            now,
                        )?)
                    })
                    .await?
            }
            other => {
                return Err(AppError::invalid(
                    "outcome",
                    format!("`{other}` is not one of: paid, pending, failed"),
                ));
            }
        };
        Ok(BillView::new(&changed))
    }

    /// `POST /bills/{bill}/payment`: pay a PLACED or FAILED bill with another method.
    pub async fn retry_payment(
        &self,
        bill: &str,
        token: &str,
        input: &RetryInput,
        origin: &str,
    ) -> Result<PlacementView, AppError> {
        let stored = self.open(bill, token).await?;
        let shop = repo::load_shop(self.store(), &stored.value.shop, repo::Items::None).await?;
        let method: PaymentMethod = input
            .payment_method
            .parse()
            .map_err(|e: String| AppError::invalid("payment_method", e))?;
        if let Some(problem) = method_problem(&shop.shop, method, stored.value.total()) {
            return Err(AppError::invalid("payment_method", problem));
        }
        if let Some(problem) = gateway_problem(&shop.document, method) {
            return Err(problem);
        }
        let changed = self
            .desk
            .change_from(stored, |b, now| {
                if !matches!(b.status, BillStatus::Placed | BillStatus::Failed) {
                    return Err(AppError::State(format!(
                        "a {} bill cannot change its payment method",
                        b.status
                    )));
                }
                if b.status == BillStatus::Failed {
                    let cause = Cause::PaymentRetried { method };
                    b.transition(BillStatus::Placed, &Actor::Buyer, cause, None, now)?;
                }
                b.payment_method = method;
                open_payment(b, method, now)
            })
            .await?;
        let action = self.start(&shop, &changed, origin).await;
        Ok(placement_view(&changed, action, None))
    }

    /// The buyer's payment action for a bill: instructions for offline methods, a signed form
    /// or a redirect for gateways. A gateway that cannot be reached leaves the bill as it is
    /// (PLACED) and tells the buyer to retry.
    async fn start(&self, shop: &StoredShop, bill: &Bill, origin: &str) -> Action {
        let method = bill.payment_method;
        let settings = shop.document.gateways.get(method.as_str());
        let (Some(gateway), Some(settings), true) =
            (Gateway::of(method), settings, bill.status.awaits_payment())
        else {
            return payment_action(&shop.document, bill);
        };
        let public = if self.links.public_url.is_empty() {
            origin
        } else {
            &self.links.public_url
        };
        let base = format!("{}/shops/{}", public.trim_end_matches('/'), bill.shop);
        let urls = Urls {
            notify: format!("{base}/notify/{}", method.as_str()),
            back: format!("{base}/return/{}?bill={}", method.as_str(), bill.id),
        };
        let numbers = LyraNumbers {
            checkout: self,
            shop: &shop.shop.id,
        };
        let with = StartWith {
            api: self.links.api.as_ref(),
            numbers: &numbers,
            now: self.desk.clock.now(),
        };
        match gateway.start(&Settings(settings), bill, &urls, &with).await {
            Ok(Started::Form { url, fields }) => Action::Form { url, fields },
            Ok(Started::Redirect { url }) => Action::Redirect { url },
            Err(e) => {
                tracing::error!(bill = %bill.id, gateway = method.as_str(), error = %e, "payment could not start");
                Action::Instructions {
                    text: format!(
                        "The payment page could not be prepared ({e}). Try again in a moment with POST /bills/{}/payment.",
                        bill.id
                    ),
                }
            }
        }
    }

    /// Lyra's `vads_trans_id`: unique per site and day, from a daily counter (a number taken by
    /// a placement that then fails is simply never used).
    async fn lyra_trans_id(
        &self,
        shop: &crate::domain::ids::ShopId,
        site: &str,
    ) -> Result<u32, AppError> {
        let day = self.desk.clock.now().format("%Y%m%d");
        let key = super::keys::lyra_counter(shop, site, &day.to_string());
        let key = &key;
        until_written("too many payments at once; retry", |_| async move {
            let current = self.store().get(key).await?.map_or(0, |r| r.count);
            let next = current + 1;
            let take = Write::Add {
                key: key.clone(),
                by: 1,
                at_most: Some(next),
                expires_at: None,
            };
            self.store().write(vec![take]).await?;
            Ok(u32::try_from(next % 900_000).unwrap_or(0))
        })
        .await
    }
}

/// Lyra's daily transaction numbers, from the shop's counter.
struct LyraNumbers<'a> {
    checkout: &'a Checkout,
    shop: &'a crate::domain::ids::ShopId,
}

#[async_trait::async_trait]
impl DailyNumbers for LyraNumbers<'_> {
    async fn next(&self, site: &str) -> Result<u32, VerifyError> {
        self.checkout
            .lyra_trans_id(self.shop, site)
            .await
            .map_err(|e| VerifyError::Unavailable(e.to_string()))
    }
}

/// How long a placed cart stays: its original lifetime (it only answers repeated placements).
fn cart_ttl(cart: &crate::domain::cart::Cart) -> chrono::Duration {
    cart.expires_at - cart.created_at
}

/// Bounded adds on the stock counters: placement fails rather than sell what is not there.
fn stock_writes(shop: &StoredShop, bill: &Bill) -> Vec<Write> {
    bill.lines
        .iter()
        .filter_map(|line| {
            let doc = shop
                .document
                .items
                .iter()
                .find(|d| d.code == line.code.as_str())?;
            let capacity = u64::from(doc.stock?);
            Some(Write::Add {
                key: super::keys::sold(&shop.shop.id, line.code.as_str()),
                by: i64::from(line.quantity),
                at_most: Some(capacity),
                expires_at: None,
            })
        })
        .collect()
}

/// A setting of an offline method in the shop document (`gateways.transfer.iban`, ...).
fn setting(doc: &ShopDocument, method: PaymentMethod, name: &str) -> Option<String> {
    let value = doc.gateways.get(method.as_str())?.get(name)?;
    Some(
        value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned),
    )
}

/// The buyer's next move for a bill's payment method, in the bill's language.
pub fn payment_action(doc: &ShopDocument, bill: &Bill) -> Action {
    if bill.payment_method == PaymentMethod::Test {
        return Action::Form {
            url: format!("/bills/{}/test-payment", bill.id),
            fields: BTreeMap::from([("outcome".into(), "paid".into())]),
        };
    }
    Action::Instructions {
        text: instructions(doc, bill),
    }
}

/// What the buyer does to pay an offline method: the shop's own words for it
/// (`gateways.<method>.instructions_<language>`, else `instructions`), or ours, with `{total}`,
/// `{currency}` and `{reference}` filled in.
pub fn instructions(doc: &ShopDocument, bill: &Bill) -> String {
    let fr = bill.language == crate::domain::Language::Fr;
    let total = bill.currency.display(bill.remaining(), bill.language);
    let seller = doc
        .seller
        .get("name")
        .cloned()
        .unwrap_or_else(|| doc.name.clone());
    let method = bill.payment_method;
    let own = setting(
        doc,
        method,
        &format!("instructions_{}", bill.language.as_str()),
    )
    .or_else(|| setting(doc, method, "instructions"));
    let text = match method {
        PaymentMethod::Check => own.unwrap_or_else(|| if fr {
            format!("Envoyez un chèque de {{total}} à l’ordre de {seller}, avec la référence {{reference}} au dos. Votre commande est confirmée à sa réception.")
        } else {
            format!("Send a cheque of {{total}} payable to {seller}, with the reference {{reference}} on its back. Your order is confirmed when it is received.")
        }),
        PaymentMethod::Transfer => {
            let account = setting(doc, PaymentMethod::Transfer, "iban").map(|iban| format!(" (IBAN {iban})")).unwrap_or_default();
            own.unwrap_or_else(|| if fr {
                format!("Virez {{total}} à {seller}{account} avec la référence {{reference}}. Votre commande est confirmée à réception du virement.")
            } else {
                format!("Transfer {{total}} to {seller}{account} with the reference {{reference}}. Your order is confirmed when the transfer is received.")
            })
        }
        PaymentMethod::Free if fr => "Rien à payer : votre commande est confirmée.".into(),
        PaymentMethod::Free => "Nothing to pay: your order is confirmed.".into(),
        other if fr => format!("Le paiement par {} n’est pas encore disponible.", other.as_str()),
        other => format!("Payment by {} is not available yet.", other.as_str()),
    };
    text.replace("{total}", &total)
        .replace("{currency}", bill.currency.code())
        .replace("{reference}", bill.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::mail::preview::sample_bill;
    use crate::domain::Language;

    fn demo() -> ShopDocument {
        serde_json::from_str(include_str!("../../../../infra/demo-shop.json")).unwrap()
    }

    #[test]
    fn transfer_instructions_speak_the_bills_language_in_the_shops_words_when_it_has_them() {
        let mut doc = demo();
        let shop = doc.validate(&"demo".parse().unwrap()).unwrap();
        let fr = sample_bill(&shop, Language::Fr);
        let ours = instructions(&doc, &fr);
        assert!(
            ours.starts_with("Virez 100,00\u{a0}€ à Demo Training Academy SAS (IBAN FR76"),
            "{ours}"
        );
        assert!(ours.contains(fr.id.as_str()));
        let transfer = doc.gateways.get_mut("transfer").unwrap();
        transfer.insert(
            "instructions".into(),
            "Pay {total} quoting {reference}.".into(),
        );
        transfer.insert(
            "instructions_fr".into(),
            "Réglez {total} avec la référence {reference}.".into(),
        );
        let id = fr.id.to_string();
        assert_eq!(
            instructions(&doc, &fr),
            format!("Réglez 100,00\u{a0}€ avec la référence {id}.")
        );
        let en = sample_bill(&shop, Language::En);
        let id = en.id.to_string();
        assert_eq!(
            instructions(&doc, &en),
            format!("Pay €100.00 quoting {id}."),
            "no English words of its own: the document's"
        );
    }
}
