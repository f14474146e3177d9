//! The customer's side (ARCHITECTURE.md): login with Moodle credentials, a session, and the
//! customer area — bills, products, seats.
//!
//! A session is an opaque 256-bit token; the store keeps only its SHA-256 (`SESSION#{digest}`)
//! with an expiry (TTL), so a logout revokes it at once and a leaked table gives no session.
//! Login attempts are counted per username and per client address in 15-minute windows,
//! reserved before Moodle is asked and given back unless the password was wrong; past the
//! limit the login answers 429 without asking Moodle.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::attempts::Attempt;
use super::bills::find_bill;
use super::checkout::BillView;
use super::products::{self, ProductView};
use super::record::Versioned;
use super::storefront::Storefront;
use super::{AppError, Clock, customers, repo};
use crate::domain::bill::BillId;
use crate::domain::cart::{CartAccount, CartView, Identity, person_name};
use crate::domain::ids::{Email, ShopId, random_hex};
use crate::domain::product::{ProductContext, ProductRef, ProductStatus, SeatHolder};
use crate::domain::{FieldError, Reason};
use crate::ports::{
    Index, Item, JobKind, JobQueue, Key, Lms, LmsUser, ProductionJob, PutIf, Query, Store,
    StoreError, Write,
};
use crate::web::ClientAddr;

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 8;
/// Failed logins allowed per username, and per client, in one window.
pub const FAILURES_PER_USERNAME: u64 = 5;
pub const FAILURES_PER_CLIENT: u64 = 20;

/// Who is logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub shop: String,
    pub email: String,
    pub moodle_user_id: u64,
    pub firstname: String,
    pub lastname: String,
    pub expires_at: DateTime<Utc>,
}

/// The answer to a login: the token (shown once) and what the pages pre-fill.
#[derive(Debug, Serialize)]
pub struct LoggedIn {
    pub session: String,
    pub expires_at: DateTime<Utc>,
    pub customer: SessionView,
    /// The customer record, when this person bought here before.
    pub profile: Option<Identity>,
    /// An order of theirs was delivered here (what items shown to `customers` ask).
    #[serde(skip)]
    pub has_bought: bool,
}

#[derive(Debug, Serialize)]
pub struct SessionView {
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    pub moodle_user_id: u64,
}

impl From<&Session> for SessionView {
    fn from(s: &Session) -> Self {
        Self {
            email: s.email.clone(),
            firstname: s.firstname.clone(),
            lastname: s.lastname.clone(),
            moodle_user_id: s.moodle_user_id,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    /// One of the seat's allowed courses; optional when it allows only one.
    #[serde(default)]
    pub course: Option<u64>,
}

/// A bill in the customer area, with its links.
#[derive(Debug, Serialize)]
pub struct AccountBill {
    pub id: String,
    pub status: String,
    pub placed_at: DateTime<Utc>,
    pub invoice_number: Option<String>,
    pub credit_note_number: Option<String>,
    pub total: String,
    pub currency: String,
    /// What it bought, by the names on the bill.
    pub items: Vec<String>,
    /// Money given back while it stands, each with its credit note's link.
    pub refunds: Vec<AccountRefund>,
    pub links: BillLinks,
}

/// A part refund in the customer area: as on the bill, with its credit note's link.
#[derive(Debug, Serialize)]
pub struct AccountRefund {
    #[serde(flatten)]
    pub refund: super::checkout::RefundView,
    /// Its credit note (`?format=pdf` for the PDF).
    pub credit_note: Option<String>,
}

/// A product in the customer area: named as its bill names the item.
#[derive(Debug, Serialize)]
pub struct AccountProduct {
    #[serde(flatten)]
    pub product: ProductView,
    pub item_name: String,
    /// The course's page on the Moodle site, for an enrolment or a course made for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BillLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub invoice: String,
    /// Once the bill has a credit note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_note: Option<String>,
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn session_key(token: &str) -> Key {
    super::keys::session(&digest(token))
}

pub struct Accounts {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub lms: Arc<dyn Lms>,
    pub jobs: Arc<dyn JobQueue>,
    pub storefront: Arc<Storefront>,
    /// The Moodle site, for links to the courses a customer's products are in.
    pub moodle_url: Option<String>,
}

impl Accounts {
    fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Checks the credentials against Moodle and opens a session.
    pub async fn login(
        &self,
        shop: &str,
        input: &LoginInput,
        client: Option<ClientAddr>,
    ) -> Result<LoggedIn, AppError> {
        let shop: ShopId = repo::parse_id("shop", shop)?;
        repo::load_shop(self.store(), &shop, repo::Items::None).await?;
        let user = self.check_credentials(shop.as_str(), input, client).await?;
        self.open_session(shop.as_str(), user).await
    }

    /// A login inside the checkout: the session, and the cart remembering the account (its
    /// customer step pre-filled from the customer record when still empty).
    pub async fn login_on_cart(
        &self,
        cart: &str,
        input: &LoginInput,
        client: Option<ClientAddr>,
    ) -> Result<(LoggedIn, CartView), AppError> {
        let shop = self.storefront.cart_shop(cart).await?;
        let user = self.check_credentials(shop.as_str(), input, client).await?;
        let logged = self.open_session(shop.as_str(), user).await?;
        let email: Email = logged
            .customer
            .email
            .parse()
            .map_err(|_| AppError::State("the Moodle account has no valid email".into()))?;
        let account = CartAccount {
            email,
            moodle_user_id: logged.customer.moodle_user_id,
            firstname: logged.customer.firstname.clone(),
            lastname: logged.customer.lastname.clone(),
            has_bought: logged.has_bought,
        };
        let cart = self
            .storefront
            .log_in(cart, account, logged.profile.clone())
            .await?;
        Ok((logged, cart))
    }

    async fn check_credentials(
        &self,
        shop: &str,
        input: &LoginInput,
        client: Option<ClientAddr>,
    ) -> Result<LmsUser, AppError> {
        let input = LoginInput {
            username: self.username_of(shop, &input.username).await?,
            password: input.password.clone(),
        };
        check_credentials(
            self.store(),
            self.clock.as_ref(),
            self.lms.as_ref(),
            shop,
            &input,
            client,
        )
        .await
    }

    /// The Moodle username a customer typed, or the one the shop delivered to for the address
    /// they typed: buyers know their address, not always the username (`ada_shop@…-1a2b3c4d`
    /// made for `ada+shop@…`, or an account of theirs from before the shop). Anything else is
    /// Moodle's to read.
    async fn username_of(&self, shop: &str, typed: &str) -> Result<String, AppError> {
        let Ok(email) = typed.trim().parse::<Email>() else {
            return Ok(typed.to_owned());
        };
        let record = customers::find(self.store(), shop, &email.normalized()).await?;
        Ok(record
            .and_then(|r| r.value.moodle_username)
            .unwrap_or_else(|| typed.to_owned()))
    }

    async fn open_session(&self, shop: &str, user: LmsUser) -> Result<LoggedIn, AppError> {
        let now = self.clock.now();
        let session = Session {
            shop: shop.to_owned(),
            email: user.email.to_lowercase(),
            moodle_user_id: user.id,
            firstname: user.firstname,
            lastname: user.lastname,
            expires_at: now + Duration::hours(SESSION_HOURS),
        };
        let token = random_hex(32);
        let body = serde_json::to_string(&session).expect("a session serializes");
        let item = Item::new(session_key(&token), body).expiring_at(session.expires_at);
        self.store()
            .write(vec![Write::Put {
                item,
                when: PutIf::Absent,
            }])
            .await?;
        let record = customers::find(self.store(), shop, &session.email).await?;
        Ok(LoggedIn {
            session: token,
            expires_at: session.expires_at,
            customer: SessionView::from(&session),
            has_bought: record.as_ref().is_some_and(|r| r.value.has_bought()),
            profile: record.map(|r| r.value.identity),
        })
    }

    /// The session a token opens; 401 when missing, unknown or expired.
    pub async fn session(&self, token: &str) -> Result<Session, AppError> {
        find_session(self.store(), self.clock.as_ref(), token)
            .await?
            .ok_or_else(|| AppError::Unauthorized("log in first (customer session)".into()))
    }

    /// Revokes the session (harmless when it is already gone).
    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        if token.is_empty() {
            return Ok(());
        }
        let write = Write::Delete {
            key: session_key(token),
            when: crate::ports::Expect::Present,
        };
        match self.store().write(vec![write]).await {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The customer's bills as stored, newest first (the last 100).
    async fn customer_bills(
        &self,
        session: &Session,
    ) -> Result<Vec<crate::domain::bill::Bill>, AppError> {
        let query = Query {
            index: Some(Index::Gsi2),
            pk: super::keys::customer(&session.shop, &session.email),
            sk_prefix: super::keys::CUSTOMER_BILL.into(),
            descending: true,
            limit: Some(100),
            ..Query::default()
        };
        let found = self.store().query(&query).await?;
        found
            .iter()
            .map(|r| super::record::decode("bill", r))
            .collect()
    }

    /// The customer's bills, newest first, each with the names of what it bought.
    pub async fn bills(&self, session: &Session) -> Result<Vec<AccountBill>, AppError> {
        Ok(self
            .customer_bills(session)
            .await?
            .iter()
            .map(|bill| {
                let id = bill.id.to_string();
                let credit_note = bill.credit_note.as_ref().map(|c| c.number.clone());
                AccountBill {
                    links: BillLinks {
                        this: format!("/account/bills/{id}"),
                        invoice: format!("/account/bills/{id}/invoice"),
                        credit_note: credit_note
                            .is_some()
                            .then(|| format!("/account/bills/{id}/credit-note")),
                    },
                    id,
                    status: bill.status.to_string(),
                    placed_at: bill.placed_at,
                    invoice_number: bill.invoice_number.clone(),
                    credit_note_number: credit_note,
                    total: bill.totals.incl_tax.to_string(),
                    currency: bill.currency.code().to_owned(),
                    items: bill.lines.iter().map(|l| l.name.clone()).collect(),
                    refunds: bill
                        .refunds
                        .iter()
                        .map(|r| {
                            let refund = super::checkout::RefundView::new(bill, r);
                            let link = |n: &String| {
                                format!("/account/bills/{}/credit-note?number={n}", bill.id)
                            };
                            AccountRefund {
                                credit_note: refund.credit_note_number.as_ref().map(link),
                                refund,
                            }
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// One of the customer's bills (another's is 404, as if it did not exist).
    pub async fn bill(&self, session: &Session, id: &str) -> Result<BillView, AppError> {
        let bill = self.own_bill(session, id).await?;
        let progress = super::production::progress(self.store(), &bill.id).await?;
        Ok(BillView::new(&bill).with_production(&progress))
    }

    /// A document of one of the customer's bills: its invoice (or order), or credit note.
    pub async fn invoice(
        &self,
        session: &Session,
        id: &str,
        which: super::bills::BillDocument,
    ) -> Result<crate::invoice::InvoiceDocument, AppError> {
        let bill = self.own_bill(session, id).await?;
        let shop = repo::load_shop(self.store(), &bill.shop, repo::Items::None).await?;
        which.of(&bill, &shop.document)
    }

    async fn own_bill(
        &self,
        session: &Session,
        id: &str,
    ) -> Result<crate::domain::bill::Bill, AppError> {
        let not_found = || AppError::not_found("bill", id);
        let bill_id: BillId = id.parse().map_err(|_| not_found())?;
        let stored = find_bill(self.store(), &bill_id)
            .await?
            .ok_or_else(not_found)?;
        let bill = stored.value;
        if bill.shop.as_str() != session.shop || bill.customer.email.normalized() != session.email {
            return Err(not_found());
        }
        Ok(bill)
    }

    /// The customer's product instances (seats included).
    pub async fn products(&self, session: &Session) -> Result<Vec<AccountProduct>, AppError> {
        let now = self.clock.now();
        let names: std::collections::HashMap<(String, String), String> = self
            .customer_bills(session)
            .await?
            .into_iter()
            .flat_map(|b| {
                let id = b.id.to_string();
                b.lines
                    .into_iter()
                    .map(move |l| ((id.clone(), l.code.to_string()), l.name))
            })
            .collect();
        Ok(
            products::of_customer(self.store(), &session.shop, &session.email)
                .await?
                .into_iter()
                .map(|p| {
                    let key = (p.bill.to_string(), p.item_code.clone());
                    let item_name = names
                        .get(&key)
                        .cloned()
                        .unwrap_or_else(|| p.item_code.clone());
                    let course_url = self
                        .moodle_url
                        .as_deref()
                        .zip(p.instance_id)
                        .filter(|_| {
                            matches!(
                                p.context,
                                ProductContext::UserEnrolment | ProductContext::Course
                            )
                        })
                        .map(|(site, id)| products::course_url(site, id));
                    AccountProduct {
                        product: ProductView::new(p, now),
                        item_name,
                        course_url,
                    }
                })
                .collect(),
        )
    }

    /// The customer's seats.
    pub async fn seats(&self, session: &Session) -> Result<Vec<AccountProduct>, AppError> {
        let mut all = self.products(session).await?;
        all.retain(|p| p.product.context == ProductContext::Seat.as_str());
        Ok(all)
    }

    /// Gives a seat to a participant; production enrols them (through the queue).
    pub async fn assign(
        &self,
        session: &Session,
        reference: &str,
        input: &AssignInput,
    ) -> Result<ProductView, AppError> {
        let email = Email::from_input(&input.email).map_err(|e| AppError::invalid("email", e))?;
        let (firstname, lastname) =
            match (person_name(&input.firstname), person_name(&input.lastname)) {
                (Ok(first), Ok(last)) => (first, last),
                (first, last) => {
                    let problems = [("firstname", first), ("lastname", last)]
                        .into_iter()
                        .filter_map(|(field, r)| Some(FieldError::new(field, r.err()?)))
                        .collect();
                    return Err(AppError::Invalid(problems));
                }
            };
        let holding = self.seats_held(session, &email).await?;
        self.change_seat(session, reference, |seat, now| {
            let terms = seat.seat.as_mut().expect("a seat");
            if terms.holder.is_some() {
                return Err(AppError::State(
                    "this seat is assigned; unassign it first".into(),
                ));
            }
            let course = match (input.course, seat.allowed_courses.as_slice()) {
                (Some(c), allowed) if allowed.contains(&c) => c,
                (None, [only]) => *only,
                _ => {
                    return Err(AppError::invalid(
                        "course",
                        Reason::new(
                            "not_an_option",
                            format!(
                                "choose one of the seat's courses: {:?}",
                                seat.allowed_courses
                            ),
                        ),
                    ));
                }
            };
            if holding.contains(&course) {
                let why = "already holds one of your seats in this course";
                return Err(AppError::invalid(
                    "email",
                    Reason::new("seat_in_course", why),
                ));
            }
            terms.holder = Some(SeatHolder {
                email: email.normalized(),
                firstname: firstname.clone(),
                lastname: lastname.clone(),
                course,
                assigned_at: now,
            });
            Ok(())
        })
        .await
    }

    /// The courses in which `email` holds one of the customer's running seats: Moodle
    /// keeps one enrolment per person and course, so a second seat there would be lost, and
    /// giving either back would suspend the course for the one still held.
    async fn seats_held(&self, session: &Session, email: &Email) -> Result<Vec<u64>, AppError> {
        let mine = products::of_customer(self.store(), &session.shop, &session.email).await?;
        let running = mine.iter().filter(|p| p.status != ProductStatus::Suspended);
        Ok(running
            .filter_map(|p| p.seat.as_ref()?.holder.as_ref())
            .filter(|h| h.email.eq_ignore_ascii_case(&email.normalized()))
            .map(|h| h.course)
            .collect())
    }

    /// Takes a seat back, unless its participant has started the course.
    pub async fn unassign(
        &self,
        session: &Session,
        reference: &str,
    ) -> Result<ProductView, AppError> {
        let seat = self.own_seat(session, reference).await?.value;
        if let (Some(e), Some(_)) = (
            seat.enrolment,
            seat.seat.as_ref().and_then(|s| s.holder.as_ref()),
        ) {
            let started = self
                .lms
                .has_started(e.userid, e.courseid)
                .await
                .map_err(|e| AppError::Unavailable(format!("Moodle: {}", e.message)))?;
            if started {
                return Err(AppError::State(
                    "the participant has started the course: this seat can no longer be unassigned"
                        .into(),
                ));
            }
        }
        self.change_seat(session, reference, |seat, _| {
            let terms = seat.seat.as_mut().expect("a seat");
            if terms.holder.take().is_none() {
                return Err(AppError::State("this seat is not assigned".into()));
            }
            Ok(())
        })
        .await
    }

    async fn own_seat(
        &self,
        session: &Session,
        reference: &str,
    ) -> Result<Versioned<crate::domain::product::ProductInstance>, AppError> {
        let not_found = || AppError::not_found("seat", reference);
        let r: ProductRef = reference.parse().map_err(|_| not_found())?;
        let found = products::find(self.store(), &r)
            .await?
            .ok_or_else(not_found)?;
        let seat = &found.value;
        if seat.shop.as_str() != session.shop
            || seat.customer_email != session.email
            || seat.context != ProductContext::Seat
            || seat.seat.is_none()
        {
            return Err(not_found());
        }
        if seat.status == ProductStatus::Suspended {
            return Err(AppError::State("this seat is suspended".into()));
        }
        Ok(found)
    }

    /// Changes a seat on the version read, then asks production to bring Moodle in line.
    async fn change_seat(
        &self,
        session: &Session,
        reference: &str,
        change: impl Fn(
            &mut crate::domain::product::ProductInstance,
            DateTime<Utc>,
        ) -> Result<(), AppError>,
    ) -> Result<ProductView, AppError> {
        let Versioned {
            value: mut seat,
            version,
        } = self.own_seat(session, reference).await?;
        let now = self.clock.now();
        change(&mut seat, now)?;
        let mut generation = [0u8; 4];
        getrandom::fill(&mut generation).expect("random source");
        let job = ProductionJob {
            shop: seat.shop.clone(),
            bill: seat.bill.clone(),
            kind: JobKind::Seats,
            // Each change is its own message (the queue dedupes by bill, kind and generation).
            generation: u32::from_le_bytes(generation),
        };
        // The seat and its job's outbox record in one write: the relay sends a job whose
        // send below fails or is lost.
        let writes = vec![
            Write::Put {
                item: products::product_item(&seat),
                when: PutIf::Version(version),
            },
            Write::Put {
                item: super::bills::outbox_item(&job, now),
                when: PutIf::Absent,
            },
        ];
        self.store().write(writes).await?;
        super::bills::send_jobs(self.jobs.as_ref(), vec![job]).await;
        Ok(ProductView::new(seat, now))
    }
}

/// The session a customer token opens: none when the token is empty, unknown or expired.
pub async fn find_session(
    store: &dyn Store,
    clock: &dyn Clock,
    token: &str,
) -> Result<Option<Session>, AppError> {
    if token.is_empty() {
        return Ok(None);
    }
    let Some(record) = store.get(&session_key(token)).await? else {
        return Ok(None);
    };
    let session: Session = super::record::decode("session", &record)?;
    Ok((session.expires_at > clock.now()).then_some(session))
}

/// A typed username as Moodle's `login/token.php` reads it (`PARAM_USERNAME`): trimmed,
/// lower-cased, without spaces or characters other than `a-z 0-9 - . _ @`. `Ada`, ` ada ` and
/// `a d!a` sign in one account, so they are one name for the failed-login limit (counted as
/// typed, each spelling had 5 guesses of its own).
fn as_moodle_reads(typed: &str) -> String {
    let allowed = |c: &char| crate::ports::moodle_username_char(*c);
    typed
        .trim()
        .to_lowercase()
        .chars()
        .filter(allowed)
        .collect()
}

/// Checks Moodle credentials for a login to `shop`, within the failed-login limits (per
/// username and per client, reserved before Moodle is asked): the customers' and the staff's.
pub(crate) async fn check_credentials(
    store: &dyn Store,
    clock: &dyn Clock,
    lms: &dyn Lms,
    shop: &str,
    input: &LoginInput,
    client: Option<ClientAddr>,
) -> Result<LmsUser, AppError> {
    let username = &as_moodle_reads(&input.username);
    let mut problems = Vec::new();
    if username.is_empty() || username.len() > 100 {
        problems.push(crate::domain::FieldError::new(
            "username",
            Reason::new(
                "required",
                "give your Moodle username (at most 100 characters)",
            ),
        ));
    }
    if input.password.is_empty() || input.password.len() > 1000 {
        problems.push(crate::domain::FieldError::new(
            "password",
            Reason::new("required", "give your password"),
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let now = clock.now();
    let client = super::attempts::client_key(client);
    let attempt = Attempt::new(
        shop,
        now,
        &[
            ("user", username, FAILURES_PER_USERNAME),
            ("client", &client, FAILURES_PER_CLIENT),
        ],
    );
    attempt.reserve(store).await?;
    let answer = lms.login(username, &input.password).await;
    if !matches!(answer, Ok(None)) {
        // Not a failed login: the right password, or Moodle did not answer.
        attempt.give_back(store).await;
    }
    match answer {
        Ok(Some(user)) => Ok(user),
        Ok(None) => {
            tracing::info!(%shop, "failed login");
            Err(AppError::Unauthorized("wrong username or password".into()))
        }
        Err(e) => Err(AppError::Unavailable(format!("Moodle: {}", e.message))),
    }
}
