//! Use cases: every business rule that needs the store, behind plain async methods that the
//! HTTP functions call. They know ports, never AWS or HTTP.

pub mod account;
pub mod admin;
pub(crate) mod attempts;
pub mod audit;
pub mod bill_admin;
pub mod bills;
pub mod checkout;
pub mod customer_admin;
pub mod customers;
pub mod error;
pub mod exports;
pub mod items;
pub mod keys;
pub mod mail;
pub mod notify;
pub mod production;
pub mod products;
pub mod record;
pub mod repo;
pub mod retry;
pub mod settings;
pub mod staff;
pub mod stats;
pub mod storefront;

pub use error::AppError;

use chrono::{DateTime, Utc};

/// The clock port, so that tests can fix "now".
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
