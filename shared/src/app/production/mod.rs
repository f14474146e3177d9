//! Production (ARCHITECTURE.md, "Exactly-once production"): a paid bill's lines delivered in Moodle, exactly once in effect
//! although the queue delivers at least once.
//!
//! A bill's lines are planned into units (`{line}#{n}`, plus `support#0` for the buyer's
//! enrolment in the shop's customer support course); each has a production record
//! (`PROD#{bill}` / unit). The first delivery computes the unit's *intent* — Moodle user id,
//! course id, role, absolute dates, the names of anything to create, the product instance to
//! record — and stores it with a conditional create *before* calling Moodle. Every later
//! delivery finds the record and repeats the identical call (enrolments and role assignments
//! are idempotent for identical values; courses and categories are found by the unique short
//! name or idnumber chosen in the intent). Marking the unit done and writing its product
//! instance is one transaction. When every unit is done the bill becomes COMPLETE
//! (conditional). Users are looked up by email before creation and again after a creation
//! error (in the Moodle adapter).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppError;
use super::bills::Bills;
use super::products::{self, ProductAdmin};
use super::record::Versioned;
use super::repo;
use crate::domain::bill::{Bill, BillId, BillLine, BillStatus};
use crate::domain::catalog::{ItemKind, Shop};
use crate::domain::handler::{self, CourseRef, HandlerSpec, Role};
use crate::domain::ids::ItemCode;
use crate::domain::problem::DeliveryProblem;
use crate::domain::product::{
    ProductContext, ProductEvent, ProductEventKind, ProductInstance, ProductRef, ProductStatus,
    SeatTerms,
};
mod deliver;
mod intent;
mod plan;
mod relay;
mod revoke;
mod seats;
mod units;

use intent::*;
use plan::*;
use units::*;

pub use relay::{RelayTiming, Relayed};
pub use units::{LineProgress, progress, reset_failed, support_progress};

use crate::ports::{
    CategorySpec, CourseSpec, EnrolIntent, Expect, Item, JobKind, Key, Lms, LmsError,
    ProductionJob, PutIf, Query, Store, StoreError, Write,
};

/// What a production job came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Produced {
    /// Every unit delivered; the bill is COMPLETE.
    Complete,
    /// Nothing to do (already complete, not paid, a revoke of a bill not refunded).
    Nothing,
    /// Some units cannot be delivered as they are (recorded on their production records).
    Incomplete(Vec<String>),
}

/// A failure worth a redelivery (Moodle unreachable, store unavailable).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Retry(pub String);

impl From<AppError> for Retry {
    fn from(e: AppError) -> Self {
        Retry(e.to_string())
    }
}

impl From<StoreError> for Retry {
    fn from(e: StoreError) -> Self {
        Retry(e.to_string())
    }
}

/// Why one unit of work (a bill's unit, a seat) did not go through. `?` on a Moodle error
/// sorts it: retryable ones ask for a redelivery, the others wait for an operator.
#[derive(Debug)]
enum Failure {
    /// Worth a redelivery of the whole job (Moodle unreachable, store unavailable, a race).
    Retry(Retry),
    /// Moodle refused as things are: recorded for an operator, the job goes on.
    NeedsOperator(DeliveryProblem),
}

impl From<LmsError> for Failure {
    fn from(e: LmsError) -> Self {
        if e.retryable {
            return Failure::Retry(Retry(e.to_string()));
        }
        Failure::NeedsOperator(match e.code {
            Some(code) => DeliveryProblem::moodle_refused(code, e.message),
            None => DeliveryProblem::moodle_unexpected(e.message),
        })
    }
}

impl From<Retry> for Failure {
    fn from(e: Retry) -> Self {
        Failure::Retry(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Retry(e.into())
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::Retry(e.into())
    }
}

/// A unit's outcome for its job: a failure for an operator joins `problems` (named by
/// `what`), one worth a redelivery ends the job.
fn collect(
    outcome: Result<(), Failure>,
    what: impl std::fmt::Display,
    problems: &mut Vec<String>,
) -> Result<(), Retry> {
    match outcome {
        Ok(()) => Ok(()),
        Err(Failure::NeedsOperator(problem)) => {
            problems.push(format!("{what}: {}", problem.english()));
            Ok(())
        }
        Err(Failure::Retry(retry)) => Err(retry),
    }
}

pub struct Producer {
    desk: Bills,
    lms: Arc<dyn Lms>,
    timing: RelayTiming,
}

impl Producer {
    pub fn new(desk: Bills, lms: Arc<dyn Lms>) -> Self {
        Self {
            desk,
            lms,
            timing: RelayTiming::default(),
        }
    }

    pub fn with_timing(mut self, timing: RelayTiming) -> Self {
        self.timing = timing;
        self
    }

    fn store(&self) -> &dyn Store {
        self.desk.store.as_ref()
    }

    /// Handles one job. `Err` asks for a redelivery; `Ok` may still report units that need an
    /// operator (permanent Moodle errors). Once handled, the job's outbox record goes.
    pub async fn handle(&self, job: &ProductionJob) -> Result<Produced, Retry> {
        let produced = self.produce(job).await?;
        super::bills::finish_job(self.store(), job).await?;
        Ok(produced)
    }

    async fn produce(&self, job: &ProductionJob) -> Result<Produced, Retry> {
        let id = job.bill.clone();
        match job.kind {
            JobKind::Revoke => return self.revoke(&id).await,
            JobKind::Seats => return self.reconcile_seats(&id).await,
            JobKind::Produce => {}
        }
        let bill = self.desk.load(&id).await?.value;
        if !matches!(bill.status, BillStatus::Paid | BillStatus::Preprod) {
            return Ok(Produced::Nothing);
        }
        let shop = self.shop_of(&bill).await?;
        let (units, unplannable) = plan(&bill, &shop);
        let mut problems = Vec::new();
        // The support course is the shop's extra, not what was bought: its failure is told to
        // the staff but does not hold back the buyer's delivery.
        let mut support = Vec::new();
        let mut users = KnownUsers::default();
        for (key, problem) in unplannable {
            problems.push(format!("{key}: {}", problem.english()));
            let failed = UnitRecord::failed(None, problem, true);
            self.record_once(&bill.id, &key, failed).await?;
        }
        for unit in &units {
            let outcome = self.deliver(&bill, unit, &mut users).await;
            let into = if unit.key == UnitKey::SUPPORT {
                &mut support
            } else {
                &mut problems
            };
            collect(outcome, unit.key, into)?;
        }
        if !users.0.contains_key(&bill.customer.email.normalized()) {
            let now = self.desk.clock.now();
            crate::app::customers::mark_bought(
                self.store(),
                bill.shop.as_str(),
                &bill.customer,
                now,
            )
            .await?;
        }
        if !problems.is_empty() || !support.is_empty() {
            let now = self.desk.clock.now();
            crate::app::mail::alert_production_failed(self.store(), &bill, now).await?;
        }
        if !problems.is_empty() {
            return Ok(Produced::Incomplete(problems));
        }
        if !support.is_empty() {
            tracing::warn!(bill = %bill.id, problems = ?support, "delivered; the support course was not");
        }
        self.desk
            .change(&bill.id, |b, now| Ok(b.delivered(now)?))
            .await?;
        Ok(Produced::Complete)
    }
}
