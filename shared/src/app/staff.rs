//! The back office's callers: staff signed in with their Moodle credentials (a session, as
//! customers have, kept apart from theirs), or automation with the bearer token.
//!
//! A staff session belongs to one shop and one role: what it may reach is checked by the use
//! cases through [`Caller`] (a bill or product of another shop is "not found"; the shop
//! document needs a manager). Sessions are random tokens stored only as their SHA-256
//! (`STAFFSESSION#{digest}`) with an expiry, revoked by a logout.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::account::{LoginInput, check_credentials};
use super::{AppError, Clock, repo};
use crate::domain::bill::Actor;
use crate::domain::catalog::StaffRole;
use crate::domain::ids::{ShopId, random_hex};
use crate::ports::{Expect, Item, Key, Lms, PutIf, Store, StoreError, Write};
use crate::web::ClientAddr;

/// How long a staff session lasts (a working day).
pub const STAFF_SESSION_HOURS: i64 = 10;

/// A signed-in member of staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSession {
    pub shop: ShopId,
    pub username: String,
    pub role: StaffRole,
    pub firstname: String,
    pub lastname: String,
    pub expires_at: DateTime<Utc>,
}

/// The name written for what the bearer token changes. Upper case: Moodle lower-cases every
/// username, so no member of staff can bear it (the token once wrote `admin`, the usual name of
/// Moodle's own administrator, whom a shop may well put on its staff).
pub const TOKEN_NAME: &str = "API-TOKEN";

/// Who calls the back office.
#[derive(Clone, Debug)]
pub enum Caller {
    /// The bearer token: every shop, every right (scripts, the accountant's exports).
    Automation,
    Staff(StaffSession),
}

impl Caller {
    /// The author written on what the caller changes (`operator:<username>`).
    pub fn actor(&self) -> Actor {
        Actor::Operator(match self {
            Caller::Automation => TOKEN_NAME.to_owned(),
            Caller::Staff(s) => s.username.clone(),
        })
    }

    /// The caller's name as staff read it: the Moodle username, or [`TOKEN_NAME`].
    pub fn name(&self) -> &str {
        match self {
            Caller::Automation => TOKEN_NAME,
            Caller::Staff(s) => &s.username,
        }
    }

    /// Whether the caller may see the shop `shop`: what they may not is "not found".
    pub fn reaches(&self, shop: &ShopId) -> bool {
        match self {
            Caller::Automation => true,
            Caller::Staff(s) => &s.shop == shop,
        }
    }

    /// The shop's own records, or 404 for another shop's (`what` `id`).
    pub fn check_shop(&self, shop: &ShopId, what: &'static str, id: &str) -> Result<(), AppError> {
        if self.reaches(shop) {
            Ok(())
        } else {
            Err(AppError::not_found(what, id))
        }
    }

    /// A manager's right (the shop document, settings), on this shop.
    pub fn check_manager(&self, shop: &ShopId) -> Result<(), AppError> {
        self.check_shop(shop, "shop", shop.as_str())?;
        match self {
            Caller::Staff(s) if s.role != StaffRole::Manager => Err(AppError::Forbidden(
                "only a manager of the shop may do this".into(),
            )),
            _ => Ok(()),
        }
    }
}

/// The sign-in answer: the session token (for the cookie, never in the body) and who it is.
pub struct SignedIn {
    pub token: String,
    pub session: StaffSession,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffLoginInput {
    pub shop: String,
    pub username: String,
    pub password: String,
}

fn session_key(token: &str) -> Key {
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    Key::new(format!("STAFFSESSION#{digest}"), "STAFFSESSION")
}

/// Staff sign-in, sessions and sign-out.
pub struct StaffDesk {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub lms: Arc<dyn Lms>,
}

impl StaffDesk {
    /// Checks the credentials against Moodle (within the failed-login limits), then that the
    /// account is on the shop's staff, and opens a session with its role.
    pub async fn login(
        &self,
        input: &StaffLoginInput,
        client: Option<ClientAddr>,
    ) -> Result<SignedIn, AppError> {
        let id: ShopId = repo::parse_id("shop", &input.shop)?;
        let shop = repo::load_shop(self.store.as_ref(), &id, repo::Items::None)
            .await?
            .shop;
        let credentials = LoginInput {
            username: input.username.clone(),
            password: input.password.clone(),
        };
        let user = check_credentials(
            self.store.as_ref(),
            self.clock.as_ref(),
            self.lms.as_ref(),
            id.as_str(),
            &credentials,
            client,
        )
        .await?;
        let member = shop
            .staff_member(&input.username)
            .or_else(|| shop.staff_member(&user.username))
            .ok_or_else(|| {
                tracing::info!(shop = %id, "sign-in of an account not on the staff");
                AppError::Forbidden(
                    "this Moodle account is not on the shop's staff: ask a manager to add it"
                        .into(),
                )
            })?;
        let session = StaffSession {
            shop: id,
            username: member.username.clone(),
            role: member.role,
            firstname: user.firstname,
            lastname: user.lastname,
            expires_at: self.clock.now() + Duration::hours(STAFF_SESSION_HOURS),
        };
        let token = random_hex(32);
        let body = serde_json::to_string(&session).expect("a session serializes");
        let item = Item::new(session_key(&token), body).expiring_at(session.expires_at);
        self.store
            .write(vec![Write::Put {
                item,
                when: PutIf::Absent,
            }])
            .await?;
        tracing::info!(shop = %session.shop, role = session.role.as_str(), "staff signed in");
        Ok(SignedIn { token, session })
    }

    /// The session a token opens, while it lasts and while its member is still on the staff
    /// with that role (removing someone from the staff list ends their sessions).
    pub async fn session(&self, token: &str) -> Result<StaffSession, AppError> {
        let unauthorized = || AppError::Unauthorized("sign in to the back office".into());
        if token.is_empty() {
            return Err(unauthorized());
        }
        let record = self
            .store
            .get(&session_key(token))
            .await?
            .ok_or_else(unauthorized)?;
        let session: StaffSession = super::record::decode("staff session", &record)?;
        if session.expires_at <= self.clock.now() {
            return Err(unauthorized());
        }
        let shop = repo::load_shop(self.store.as_ref(), &session.shop, repo::Items::None)
            .await?
            .shop;
        match shop.staff_member(&session.username) {
            Some(m) if m.role == session.role => Ok(session),
            _ => Err(unauthorized()),
        }
    }

    /// Ends the session now.
    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        if token.is_empty() {
            return Ok(());
        }
        let write = Write::Delete {
            key: session_key(token),
            when: Expect::Present,
        };
        match self.store.write(vec![write]).await {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
