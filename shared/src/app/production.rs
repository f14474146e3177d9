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
use super::bills::BillDesk;
use super::products::{self, ProductDesk};
use super::record::Versioned;
use super::repo;
use crate::domain::bill::{Actor, Bill, BillId, BillLine, BillStatus};
use crate::domain::catalog::Shop;
use crate::domain::handler::{self, CourseRef, HandlerSpec, Role};
use crate::domain::product::{
    ProductContext, ProductEvent, ProductEventKind, ProductInstance, ProductRef, ProductStatus,
    SeatTerms,
};
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum UnitState {
    Intent,
    Done,
    Failed,
    /// Delivered, then suspended after a refund.
    Revoked,
}

/// The Moodle calls of a unit, with every value fixed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum Action {
    Enrol {
        enrol: EnrolIntent,
        group: Option<String>,
    },
    AssignRole {
        roleid: u64,
        userid: u64,
        contextlevel: String,
        instanceid: u64,
    },
    /// Make the course (found by its short name if a previous delivery did), then enrol the
    /// owner in it.
    CreateCourse {
        course: CourseSpec,
        owner: EnrolIntent,
    },
    CreateCategory {
        category: CategorySpec,
        userid: u64,
        roleid: u64,
    },
    /// Only the shop's record (seats, credits).
    Record,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct UnitRecord {
    state: UnitState,
    action: Option<Action>,
    /// The instance to record when done (an update of an existing one for an extension).
    product: Option<ProductInstance>,
    #[serde(default)]
    extends: bool,
    error: Option<String>,
    /// Moodle refused the call (nothing was applied): a retry may compute a new intent.
    #[serde(default)]
    permanent: bool,
}

impl UnitRecord {
    fn failed(action: Option<Action>, error: String, permanent: bool) -> Self {
        Self {
            state: UnitState::Failed,
            action,
            product: None,
            extends: false,
            error: Some(error),
            permanent,
        }
    }

    fn intent(action: Action, product: Option<ProductInstance>, extends: bool) -> Self {
        Self {
            state: UnitState::Intent,
            action: Some(action),
            product,
            extends,
            error: None,
            permanent: false,
        }
    }
}

/// Who receives a unit.
#[derive(Clone, Debug)]
struct Person {
    email: String,
    firstname: String,
    lastname: String,
}

/// The Moodle users one production run has resolved, by lower-cased email: a bill's buyer and
/// participants are looked up (or created) once per bill, not once per unit.
#[derive(Default)]
struct KnownUsers(BTreeMap<String, u64>);

impl KnownUsers {
    /// The person's Moodle user id; the buyer's is linked to their customer record once.
    async fn id(&mut self, producer: &Producer, bill: &Bill, p: &Person) -> Result<u64, LmsError> {
        let known = p.email.to_lowercase();
        if let Some(id) = self.0.get(&known) {
            return Ok(*id);
        }
        let user = producer
            .lms
            .find_or_create_user(&p.email, &p.firstname, &p.lastname)
            .await?;
        let userid = user.id;
        if p.email
            .eq_ignore_ascii_case(&bill.customer.email.normalized())
        {
            let shop = bill.shop.as_str();
            let now = producer.desk.clock.now();
            super::customers::link_moodle_user(producer.store(), shop, &bill.customer, &user, now)
                .await
                .map_err(|e| LmsError {
                    retryable: true,
                    message: e.to_string(),
                })?;
        }
        self.0.insert(known, userid);
        Ok(userid)
    }
}

/// A unit's work, before any Moodle id is known.
enum Work {
    /// The buyer in the shop's customer support course: not a product, never revoked.
    Support(u64),
    Enrol {
        course: CourseRef,
        role: Role,
        duration: handler::Duration,
        group: bool,
        context: ProductContext,
    },
    Extend {
        course: CourseRef,
        role: Role,
        days: i64,
    },
    AssignRole(handler::AssignRole),
    Seat {
        courses: Vec<CourseRef>,
        role: Role,
        days: Option<u32>,
    },
    Course {
        spec: handler::NewCourse,
        fullname: String,
    },
    Category {
        spec: handler::NewCategory,
        name: String,
    },
    Credits(u32),
}

struct Unit {
    key: String,
    line: usize,
    item_code: String,
    person: Person,
    work: Work,
}

/// The Moodle `timestart` of an enrolment that begins now: 100 s in the past, because Moodle
/// lists a user's courses (`core_enrol_get_users_courses`, the dashboard) only once their
/// start is before "now" rounded down to 100 s; a buyer looking at once must see the course.
fn starts_now(now: DateTime<Utc>) -> i64 {
    now.timestamp() - 100
}

fn not_found(what: &str) -> LmsError {
    LmsError {
        retryable: false,
        message: format!("no {what} in Moodle"),
    }
}

/// When the outbox relay acts.
#[derive(Clone, Copy, Debug)]
pub struct RelayTiming {
    /// A job's outbox record older than this is sent again: the queue's visibility timeout
    /// (a job still in the queue would have come back by then).
    pub resend_after: chrono::Duration,
    /// A PAID or PREPROD bill placed longer ago than this, with no job in flight and no line
    /// waiting for an operator, is queued again (self-healing reconciliation).
    pub reconcile_after: chrono::Duration,
}

impl Default for RelayTiming {
    /// The local stack's: the in-process queue's 30 s visibility, 10 minutes.
    fn default() -> Self {
        Self {
            resend_after: chrono::Duration::seconds(30),
            reconcile_after: chrono::Duration::minutes(10),
        }
    }
}

/// What one round of the relay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Relayed {
    /// Jobs sent again from their outbox records.
    pub resent: usize,
    /// Stuck bills queued again by the reconciliation.
    pub requeued: usize,
}

pub struct Producer {
    desk: BillDesk,
    lms: Arc<dyn Lms>,
    timing: RelayTiming,
}

impl Producer {
    pub fn new(desk: BillDesk, lms: Arc<dyn Lms>) -> Self {
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
        let id = job_bill(job)?;
        match job.kind {
            JobKind::Revoke => return self.revoke(&id).await,
            JobKind::Seats => return self.reconcile_seats(&id).await,
            JobKind::Produce => {}
        }
        let bill = self.desk.load(&id).await?.value;
        if !matches!(bill.status, BillStatus::Paid | BillStatus::Preprod) {
            return Ok(Produced::Nothing);
        }
        let shop = repo::load_shop(self.store(), &bill.shop).await?.shop;
        let (units, unplannable) = plan(&bill, &shop);
        let mut problems = Vec::new();
        let mut users = KnownUsers::default();
        for (key, problem) in unplannable {
            let failed = UnitRecord::failed(None, problem.clone(), true);
            self.record_once(&bill.id, &key, failed).await?;
            problems.push(format!("{key}: {problem}"));
        }
        for unit in &units {
            if let Err(problem) = self.deliver(&bill, unit, &mut users).await? {
                problems.push(format!("{}: {problem}", unit.key));
            }
        }
        if !problems.is_empty() {
            return Ok(Produced::Incomplete(problems));
        }
        self.desk
            .change(&bill.id, |b, now| match b.status {
                BillStatus::Paid | BillStatus::Preprod => Ok(b.transition(
                    BillStatus::Complete,
                    &Actor::System,
                    "every line produced",
                    None,
                    now,
                )?),
                _ => Ok(()),
            })
            .await?;
        Ok(Produced::Complete)
    }

    /// One round of the outbox relay: the jobs whose records are older than the visibility
    /// timeout are sent again (see [`super::bills::relay_outbox`]), then stuck bills are
    /// queued again ([`Producer::reconcile`]).
    pub async fn relay_outbox(&self) -> Result<Relayed, AppError> {
        self.relay(self.timing.resend_after).await
    }

    /// The relay's round at start of a process whose queue starts empty (the local stack):
    /// every job of the outbox is sent again, whatever its age.
    pub async fn relay_at_start(&self) -> Result<Relayed, AppError> {
        self.relay(chrono::Duration::zero()).await
    }

    async fn relay(&self, resend_after: chrono::Duration) -> Result<Relayed, AppError> {
        let now = self.desk.clock.now();
        let queue = self.desk.queue.as_ref();
        let resent = super::bills::relay_outbox(self.store(), queue, now, resend_after).await?;
        let requeued = self.reconcile(now).await?;
        Ok(Relayed { resent, requeued })
    }

    /// Self-healing reconciliation: every PAID or PREPROD bill of every shop placed before
    /// `now - reconcile_after` that has no job in flight (no outbox record) and no line
    /// waiting for an operator (a failed unit) gets its production job again, through the
    /// outbox. Such a bill should not exist; this is the net under every other guarantee.
    pub async fn reconcile(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let before = (now - self.timing.reconcile_after)
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let mut requeued = 0;
        for shop in repo::list_shops(self.store()).await? {
            for status in [BillStatus::Paid, BillStatus::Preprod] {
                let query = Query {
                    index: Some(crate::ports::Index::Gsi1),
                    pk: super::keys::bills_in_status(&shop, status),
                    before: Some(before.clone()),
                    limit: Some(100),
                    ..Query::default()
                };
                for record in self.store().query(&query).await? {
                    let Ok(bill) = serde_json::from_str::<Bill>(&record.item.body) else {
                        continue;
                    };
                    if self.requeue_if_stuck(&bill, now).await? {
                        requeued += 1;
                    }
                }
            }
        }
        Ok(requeued)
    }

    async fn requeue_if_stuck(&self, bill: &Bill, now: DateTime<Utc>) -> Result<bool, AppError> {
        let job = ProductionJob {
            shop: bill.shop.to_string(),
            bill: bill.id.to_string(),
            kind: JobKind::Produce,
            generation: bill.production_generation,
        };
        if self.store().get(&super::keys::job(&job)).await?.is_some() {
            return Ok(false);
        }
        let units = self
            .store()
            .query(&Query::partition(super::keys::units(&bill.id)))
            .await?;
        let waits_for_operator = units.iter().any(|r| {
            serde_json::from_str::<UnitRecord>(&r.item.body)
                .is_ok_and(|u| u.state == UnitState::Failed)
        });
        if waits_for_operator {
            return Ok(false);
        }
        let write = Write::Put {
            item: super::bills::outbox_item(&job, now),
            when: PutIf::Absent,
        };
        match self.store().write(vec![write]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        tracing::warn!(bill = %bill.id, "paid bill with no production in flight: queued again");
        super::bills::send_jobs(self.desk.queue.as_ref(), vec![job]).await;
        Ok(true)
    }

    /// The job will not be delivered again (the queue's last receive failed): every unit not
    /// done is marked failed with the reason, so the bill shows it and an operator can retry.
    /// The intents stay: Moodle may have applied them, and a retry must repeat them.
    pub async fn give_up(&self, job: &ProductionJob, reason: &str) -> Result<(), Retry> {
        self.record_failure(job, reason).await?;
        super::bills::finish_job(self.store(), job).await?;
        Ok(())
    }

    async fn record_failure(&self, job: &ProductionJob, reason: &str) -> Result<(), Retry> {
        let bill = self.desk.load(&job_bill(job)?).await?.value;
        let producing = matches!(bill.status, BillStatus::Paid | BillStatus::Preprod);
        if job.kind != JobKind::Produce || !producing {
            return Ok(());
        }
        let shop = repo::load_shop(self.store(), &bill.shop).await?.shop;
        let error = format!("gave up after repeated failures: {reason}");
        for unit in plan(&bill, &shop).0 {
            let key = super::keys::unit(&bill.id, &unit.key);
            match self.store().get(&key).await? {
                None => {
                    let failed = UnitRecord::failed(None, error.clone(), false);
                    self.record_once(&bill.id, &unit.key, failed).await?
                }
                Some(r) => {
                    let mut record = parse_record(&r.item.body)?;
                    if record.state == UnitState::Intent {
                        record.state = UnitState::Failed;
                        record.error = Some(error.clone());
                        record.permanent = false;
                        self.mark(&key, r.version, &record).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn record_once(
        &self,
        bill: &BillId,
        unit: &str,
        record: UnitRecord,
    ) -> Result<(), Retry> {
        let body = serde_json::to_string(&record).expect("serializes");
        let write = Write::Put {
            item: Item::new(super::keys::unit(bill, unit), body),
            when: PutIf::Absent,
        };
        match self.store().write(vec![write]).await {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// One unit: its stored intent (computed and stored first if absent), the Moodle calls,
    /// then done + product instance. `Ok(Err(problem))` is a failure recorded for an operator.
    async fn deliver(
        &self,
        bill: &Bill,
        unit: &Unit,
        users: &mut KnownUsers,
    ) -> Result<Result<(), String>, Retry> {
        let key = super::keys::unit(&bill.id, &unit.key);
        let (record, version) = match self.store().get(&key).await? {
            Some(r) => (parse_record(&r.item.body)?, r.version),
            None => match self.claim(bill, unit, &key, users).await? {
                Ok(claimed) => claimed,
                Err(problem) => return Ok(Err(problem)),
            },
        };
        match (&record.state, &record.action) {
            (UnitState::Done | UnitState::Revoked, _) => Ok(Ok(())),
            (UnitState::Failed, _) => Ok(Err(record.error.unwrap_or_else(|| "failed".into()))),
            (UnitState::Intent, Some(action)) => match self.execute(action).await {
                Ok(made) => {
                    self.done(bill, unit, &key, version, record, made).await?;
                    Ok(Ok(()))
                }
                Err(e) if e.retryable => Err(Retry(e.message)),
                Err(e) => {
                    let failed = UnitRecord::failed(record.action, e.message.clone(), true);
                    self.mark(&key, version, &failed).await?;
                    Ok(Err(e.message))
                }
            },
            (UnitState::Intent, None) => Ok(Err("no intent recorded".into())),
        }
    }

    /// Computes the unit's intent and stores it, unless another delivery got there first.
    async fn claim(
        &self,
        bill: &Bill,
        unit: &Unit,
        key: &Key,
        users: &mut KnownUsers,
    ) -> Result<Result<(UnitRecord, u64), String>, Retry> {
        let record = match self.intent(bill, unit, users).await {
            Ok(record) => record,
            Err(e) if e.retryable => return Err(Retry(e.message)),
            Err(e) => {
                let failed = UnitRecord::failed(None, e.message.clone(), true);
                self.record_once(&bill.id, &unit.key, failed).await?;
                return Ok(Err(e.message));
            }
        };
        let body = serde_json::to_string(&record).expect("serializes");
        let write = Write::Put {
            item: Item::new(key.clone(), body),
            when: PutIf::Absent,
        };
        match self.store().write(vec![write]).await {
            Ok(()) => Ok(Ok((record, 1))),
            Err(StoreError::ConditionFailed) => {
                Err(Retry("another delivery claimed this unit".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs a unit's Moodle calls; the Moodle id of what was made, if anything.
    async fn execute(&self, action: &Action) -> Result<Option<u64>, LmsError> {
        match action {
            Action::Enrol { enrol, group } => {
                self.lms.enrol(enrol).await?;
                if let Some(group) = group {
                    self.lms
                        .join_group(enrol.courseid, group, enrol.userid)
                        .await?;
                }
                Ok(None)
            }
            Action::AssignRole {
                roleid,
                userid,
                contextlevel,
                instanceid,
            } => {
                self.lms
                    .assign_role(*roleid, *userid, contextlevel, *instanceid)
                    .await?;
                Ok(None)
            }
            Action::CreateCourse { course, owner } => {
                let courseid = self.lms.ensure_course(course).await?;
                self.lms.enrol(&EnrolIntent { courseid, ..*owner }).await?;
                Ok(Some(courseid))
            }
            Action::CreateCategory {
                category,
                userid,
                roleid,
            } => {
                let id = self.lms.ensure_category(category).await?;
                self.lms
                    .assign_role(*roleid, *userid, "coursecat", id)
                    .await?;
                Ok(Some(id))
            }
            Action::Record => Ok(None),
        }
    }

    /// Marks the unit done and writes its product instance, in one transaction.
    async fn done(
        &self,
        bill: &Bill,
        unit: &Unit,
        key: &Key,
        version: u64,
        mut record: UnitRecord,
        made: Option<u64>,
    ) -> Result<(), Retry> {
        record.state = UnitState::Done;
        let mut writes = Vec::new();
        if let Some(mut product) = record.product.clone() {
            if let Some(id) = made {
                product.instance_id = Some(id);
                if let Some(e) = product.enrolment.as_mut() {
                    e.courseid = id;
                }
            }
            let source = format!("{}/{}", bill.id, unit.key);
            let (item, when) = if record.extends {
                let Versioned {
                    value: mut current,
                    version: v,
                } = products::find(self.store(), &product.reference)
                    .await?
                    .ok_or_else(|| Retry(format!("product {} vanished", product.reference)))?;
                if !current.has_event_from(&source) {
                    current.end = product.end;
                    current.enrolment = product.enrolment;
                    let now = self.desk.clock.now();
                    current
                        .events
                        .push(event(ProductEventKind::Extended, &source, now));
                }
                (products::product_item(&current), PutIf::Version(v))
            } else {
                (products::product_item(&product), PutIf::Absent)
            };
            writes.push(Write::Put { item, when });
        }
        let body = serde_json::to_string(&record).expect("serializes");
        writes.insert(
            0,
            Write::Put {
                item: Item::new(key.clone(), body),
                when: PutIf::Version(version),
            },
        );
        match self.store().write(writes).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed) => Err(Retry("the unit changed meanwhile".into())),
            Err(e) => Err(e.into()),
        }
    }

    async fn mark(&self, key: &Key, version: u64, record: &UnitRecord) -> Result<(), Retry> {
        let body = serde_json::to_string(record).expect("serializes");
        let write = Write::Put {
            item: Item::new(key.clone(), body),
            when: PutIf::Version(version),
        };
        match self.store().write(vec![write]).await {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A refunded bill: every instance it delivered is suspended (enrolments with `suspend=1`,
    /// the same dates) and its unit marked revoked. Repeating it is harmless. An extension is
    /// not undone (its instance existed before the bill): left to an operator.
    async fn revoke(&self, id: &BillId) -> Result<Produced, Retry> {
        if self.desk.load(id).await?.value.status != BillStatus::Refunded {
            return Ok(Produced::Nothing);
        }
        let desk = ProductDesk {
            store: self.desk.store.clone(),
            clock: self.desk.clock.clone(),
            lms: self.lms.clone(),
        };
        let records = self
            .store()
            .query(&Query::partition(super::keys::units(id)))
            .await?;
        for r in records {
            let mut unit = parse_record(&r.item.body)?;
            let (UnitState::Done, Some(product), false) =
                (&unit.state, &unit.product, unit.extends)
            else {
                continue;
            };
            let source = Some(format!("{id}/{}", r.item.key.sk));
            let suspended = desk
                .set_status(
                    product.reference.as_str(),
                    ProductStatus::Suspended,
                    "system",
                    source,
                )
                .await;
            match suspended {
                Ok(_) => {}
                Err(AppError::State(e)) => {
                    tracing::error!(bill = %id, unit = %r.item.key.sk, error = %e, "could not suspend")
                }
                Err(e) => return Err(e.into()),
            }
            unit.state = UnitState::Revoked;
            self.mark(&r.item.key, r.version, &unit).await?;
        }
        Ok(Produced::Complete)
    }

    /// Brings Moodle in line with the bill's seats as their customer assigned them: a holder
    /// without an active enrolment is enrolled (dates fixed at assignment), a seat given back
    /// has its enrolment suspended. Every call is idempotent, so a redelivery is harmless.
    async fn reconcile_seats(&self, bill: &BillId) -> Result<Produced, Retry> {
        let records = self
            .store()
            .query(&Query::partition(super::keys::units(bill)))
            .await?;
        let references = records.iter().filter_map(|r| {
            let unit = parse_record(&r.item.body).ok()?;
            let product = unit.product?;
            (product.context == ProductContext::Seat).then_some(product.reference)
        });
        let mut problems = Vec::new();
        for reference in references {
            if let Err(problem) = self.reconcile_seat(&reference).await? {
                problems.push(format!("{reference}: {problem}"));
            }
        }
        Ok(if problems.is_empty() {
            Produced::Complete
        } else {
            Produced::Incomplete(problems)
        })
    }

    async fn reconcile_seat(&self, reference: &ProductRef) -> Result<Result<(), String>, Retry> {
        let Some(Versioned {
            value: mut seat,
            version,
        }) = products::find(self.store(), reference).await?
        else {
            return Ok(Ok(()));
        };
        let Some(terms) = seat.seat.clone() else {
            return Ok(Ok(()));
        };
        let wanted = match &terms.holder {
            Some(h) => {
                let userid = match self
                    .lms
                    .find_or_create_user(&h.email, &h.firstname, &h.lastname)
                    .await
                {
                    Ok(user) => user.id,
                    Err(e) if e.retryable => return Err(Retry(e.message)),
                    Err(e) => return Ok(Err(e.message)),
                };
                let end = terms.duration_days.map_or(0, |d| {
                    (h.assigned_at + chrono::Duration::days(i64::from(d))).timestamp()
                });
                Some(EnrolIntent {
                    roleid: terms.roleid,
                    userid,
                    courseid: h.course,
                    timestart: starts_now(h.assigned_at),
                    timeend: end,
                    suspend: seat.status == ProductStatus::Suspended,
                })
            }
            None => seat.enrolment.map(|e| EnrolIntent { suspend: true, ..e }),
        };
        let Some(wanted) = wanted else {
            return Ok(Ok(()));
        };
        if seat.enrolment == Some(wanted) {
            return Ok(Ok(()));
        }
        // A seat moved to someone else: the previous holder's enrolment is suspended first.
        if let Some(old) = seat.enrolment
            && (old.userid != wanted.userid || old.courseid != wanted.courseid)
            && !old.suspend
        {
            match self
                .lms
                .enrol(&EnrolIntent {
                    suspend: true,
                    ..old
                })
                .await
            {
                Ok(()) => {}
                Err(e) if e.retryable => return Err(Retry(e.message)),
                Err(e) => return Ok(Err(e.message)),
            }
        }
        match self.lms.enrol(&wanted).await {
            Ok(()) => {}
            Err(e) if e.retryable => return Err(Retry(e.message)),
            Err(e) => return Ok(Err(e.message)),
        }
        seat.enrolment = Some(wanted);
        seat.instance_id = terms.holder.as_ref().map(|h| h.course);
        if let Some(h) = &terms.holder {
            seat.user_email = h.email.to_lowercase();
            seat.end = (wanted.timeend > 0)
                .then(|| DateTime::from_timestamp(wanted.timeend, 0))
                .flatten();
        }
        let write = Write::Put {
            item: products::product_item(&seat),
            when: PutIf::Version(version),
        };
        match self.store().write(vec![write]).await {
            Ok(()) => Ok(Ok(())),
            Err(StoreError::ConditionFailed) => Err(Retry("the seat changed meanwhile".into())),
            Err(e) => Err(e.into()),
        }
    }

    /// The unit's intent: Moodle ids looked up now, dates and names fixed now.
    async fn intent(
        &self,
        bill: &Bill,
        unit: &Unit,
        users: &mut KnownUsers,
    ) -> Result<UnitRecord, LmsError> {
        let now = self.desk.clock.now();
        let p = &unit.person;
        let userid = users.id(self, bill, p).await?;
        if let Work::Support(courseid) = unit.work {
            let enrol = EnrolIntent {
                roleid: Role::Student.id(),
                userid,
                courseid,
                timestart: 0,
                timeend: 0,
                suspend: false,
            };
            return Ok(UnitRecord::intent(
                Action::Enrol { enrol, group: None },
                None,
                false,
            ));
        }
        let reference = ProductRef::random();
        let mut product = ProductInstance {
            reference: reference.clone(),
            shop: bill.shop.to_string(),
            item_code: unit.item_code.clone(),
            bill: bill.id.to_string(),
            line: unit.line,
            customer_email: bill.customer.email.normalized(),
            user_email: p.email.to_lowercase(),
            context: ProductContext::UserEnrolment,
            instance_id: None,
            start: now,
            end: None,
            status: ProductStatus::Running,
            enrolment: None,
            allowed_courses: Vec::new(),
            credits: None,
            seat: None,
            events: vec![event(
                ProductEventKind::Created,
                &format!("{}/{}", bill.id, unit.key),
                now,
            )],
        };
        let mut extends = false;
        let action = match &unit.work {
            Work::Support(_) => unreachable!("handled above"),
            Work::Enrol {
                course,
                role,
                duration,
                group,
                context,
            } => {
                let courseid = self.course(course).await?;
                // Moodle overwrites an enrolment's dates: buying a course already held must
                // never cut what was paid, so the new period runs on from the current end.
                let held = self
                    .enrolment_product(bill, &p.email, courseid)
                    .await
                    .map_err(|e| LmsError {
                        retryable: true,
                        message: e.to_string(),
                    })?
                    // Held from an earlier bill: units of this bill are one purchase.
                    .filter(|h| {
                        h.bill != bill.id.as_str()
                            && h.status != ProductStatus::Suspended
                            && h.enrolment.is_some()
                    });
                let timeend = match &held {
                    Some(h) => renewed_end(h.end, *duration, now),
                    None => end_of(*duration, now),
                };
                let timestart = held
                    .and_then(|h| h.enrolment)
                    .map_or(starts_now(now), |e| e.timestart.min(starts_now(now)));
                let enrol = EnrolIntent {
                    roleid: role.id(),
                    userid,
                    courseid,
                    timestart,
                    timeend: timeend.map_or(0, |e| e.timestamp()),
                    suspend: false,
                };
                product.context = *context;
                product.instance_id = Some(courseid);
                product.end = timeend;
                product.enrolment = Some(enrol);
                Action::Enrol {
                    enrol,
                    group: group.then(|| bill.customer.email.normalized()),
                }
            }
            Work::Extend { course, role, days } => {
                let courseid = self.course(course).await?;
                let current = self
                    .enrolment_product(bill, &p.email, courseid)
                    .await
                    .map_err(|e| LmsError {
                        retryable: true,
                        message: e.to_string(),
                    })?;
                // From the current end, or from now when it has passed.
                let base = current
                    .as_ref()
                    .and_then(|c| c.end)
                    .map_or(now, |end| end.max(now));
                let end = base + chrono::Duration::days(*days);
                let timestart = current
                    .as_ref()
                    .and_then(|c| c.enrolment)
                    .map_or(starts_now(now), |e| e.timestart);
                let enrol = EnrolIntent {
                    roleid: role.id(),
                    userid,
                    courseid,
                    timestart,
                    timeend: end.timestamp(),
                    suspend: false,
                };
                if let Some(current) = current {
                    product.reference = current.reference;
                    extends = true;
                }
                product.instance_id = Some(courseid);
                product.end = Some(end);
                product.enrolment = Some(enrol);
                Action::Enrol { enrol, group: None }
            }
            Work::AssignRole(a) => {
                product.context = ProductContext::RoleAssignment;
                product.instance_id = Some(a.instance_id);
                Action::AssignRole {
                    roleid: a.role.id(),
                    userid,
                    contextlevel: a.context.as_str().to_owned(),
                    instanceid: a.instance_id,
                }
            }
            Work::Seat {
                courses,
                role,
                days,
            } => {
                let mut ids = Vec::new();
                for c in courses {
                    ids.push(self.course(c).await?);
                }
                product.context = ProductContext::Seat;
                product.allowed_courses = ids;
                product.seat = Some(SeatTerms {
                    roleid: role.id(),
                    duration_days: *days,
                    holder: None,
                });
                Action::Record
            }
            Work::Course { spec, fullname } => {
                let template = match &spec.template {
                    Some(t) => Some(self.course(t).await?),
                    None => None,
                };
                let owner = EnrolIntent {
                    roleid: spec.role.id(),
                    userid,
                    courseid: 0,
                    timestart: starts_now(now),
                    timeend: 0,
                    suspend: false,
                };
                product.context = ProductContext::Course;
                product.enrolment = Some(owner);
                Action::CreateCourse {
                    course: CourseSpec {
                        // Unique, and the same on every delivery: found instead of made twice.
                        shortname: format!("{}-{}", unit.item_code, &reference.as_str()[..9]),
                        fullname: fullname.clone(),
                        categoryid: spec.category_id,
                        template,
                    },
                    owner,
                }
            }
            Work::Category { spec, name } => {
                product.context = ProductContext::Coursecat;
                Action::CreateCategory {
                    category: CategorySpec {
                        name: name.clone(),
                        parent: spec.parent,
                        idnumber: format!("shop-{reference}"),
                    },
                    userid,
                    roleid: spec.role.id(),
                }
            }
            Work::Credits(credits) => {
                product.context = ProductContext::Credits;
                product.credits = Some(*credits);
                Action::Record
            }
        };
        Ok(UnitRecord::intent(action, Some(product), extends))
    }

    async fn course(&self, course: &CourseRef) -> Result<u64, LmsError> {
        let (field, value) = match course {
            CourseRef::Id(id) => return Ok(*id),
            CourseRef::Shortname(s) => ("shortname", s),
            CourseRef::Idnumber { idnumber } => ("idnumber", idnumber),
        };
        self.lms
            .course_id(field, value)
            .await?
            .ok_or_else(|| not_found(&format!("course with {field} `{value}`")))
    }

    /// The customer's enrolment instance for this user and course with the latest end (an
    /// unlimited one first), to extend it.
    async fn enrolment_product(
        &self,
        bill: &Bill,
        user_email: &str,
        courseid: u64,
    ) -> Result<Option<ProductInstance>, AppError> {
        let held = products::of_customer(
            self.store(),
            bill.shop.as_str(),
            &bill.customer.email.normalized(),
        )
        .await?;
        Ok(held
            .into_iter()
            .filter(|p| {
                p.context == ProductContext::UserEnrolment
                    && p.instance_id == Some(courseid)
                    && p.user_email == user_email.to_lowercase()
            })
            .max_by_key(|p| p.end.map_or(i64::MAX, |e| e.timestamp())))
    }
}

fn job_bill(job: &ProductionJob) -> Result<BillId, Retry> {
    job.bill
        .parse()
        .map_err(|_| Retry(format!("bad bill id {}", job.bill)))
}

fn event(kind: ProductEventKind, source: &str, at: DateTime<Utc>) -> ProductEvent {
    ProductEvent {
        at,
        kind,
        actor: "system".into(),
        source: Some(source.to_owned()),
        note: None,
    }
}

fn end_of(duration: handler::Duration, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match duration {
        handler::Duration::Unlimited => None,
        handler::Duration::Days(d) => Some(now + chrono::Duration::days(i64::from(d.get()))),
        handler::Duration::Until(date) => Some(
            date.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid"))
                .and_utc(),
        ),
    }
}

/// The end of a new purchase of an enrolment still held until `held_end` (`None`: no end):
/// never earlier than the end already paid for. A number of days runs on from the later of
/// the current end and now; a fixed end date or no end is kept if later.
fn renewed_end(
    held_end: Option<DateTime<Utc>>,
    duration: handler::Duration,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let held_end = held_end?;
    let base = held_end.max(now);
    let new = match duration {
        handler::Duration::Days(_) => end_of(duration, base),
        other => end_of(other, now),
    }?;
    Some(new.max(held_end))
}

fn parse_record(body: &str) -> Result<UnitRecord, Retry> {
    serde_json::from_str(body).map_err(|e| Retry(format!("stored production record: {e}")))
}

/// A handler as written in the shop document: type and params.
type RawHandler = (String, serde_json::Map<String, serde_json::Value>);

/// The units a bill makes, and the lines that cannot be planned (with why).
fn plan(bill: &Bill, shop: &Shop) -> (Vec<Unit>, Vec<(String, String)>) {
    let c = &bill.customer;
    let buyer = Person {
        email: c.email.to_string(),
        firstname: c.firstname.clone(),
        lastname: c.lastname.clone(),
    };
    let mut units = Vec::new();
    let mut problems = Vec::new();
    if let Some(course) = shop.customer_support_course {
        units.push(Unit {
            key: "support#0".into(),
            line: usize::MAX,
            item_code: String::new(),
            person: buyer.clone(),
            work: Work::Support(course),
        });
    }
    for (i, line) in bill.lines.iter().enumerate() {
        let bundle = line.item.kind == "bundle";
        for (part, (code, quantity, handler)) in parts(line, shop).into_iter().enumerate() {
            let Some((kind, params)) = handler else {
                continue;
            };
            let prefix = if bundle {
                format!("{i}#{part}.")
            } else {
                format!("{i}#")
            };
            let line = LineRef {
                bill,
                line,
                index: i,
                prefix: &prefix,
                code: &code,
                quantity,
            };
            match HandlerSpec::parse(&kind, &params) {
                Ok(spec) => units.extend(line_units(&line, &spec, &buyer)),
                Err(e) => problems.push((format!("{prefix}0"), format!("handler: {e}"))),
            }
        }
    }
    (units, problems)
}

/// What a line delivers: itself, or for a bundle each part (with its handler as the shop has
/// it now) times the line's quantity.
fn parts(line: &BillLine, shop: &Shop) -> Vec<(String, u32, Option<RawHandler>)> {
    if line.item.kind != "bundle" {
        let handler = line.item.handler.clone().map(|h| (h.kind, h.params));
        return vec![(line.item.code.clone(), line.quantity, handler)];
    }
    line.item
        .parts
        .iter()
        .map(|p| {
            let handler = p
                .code
                .parse()
                .ok()
                .and_then(|code| shop.item(&code))
                .and_then(|item| item.handler.clone())
                .map(|h| (h.kind, h.params));
            (p.code.clone(), p.quantity * line.quantity, handler)
        })
        .collect()
}

/// The participants named for a line, in seat order, with their seat's role.
fn participants(bill: &Bill, line: &BillLine) -> Vec<(Person, Option<Role>)> {
    line.seats
        .iter()
        .flat_map(|(role, emails)| emails.iter().map(move |e| (role, e)))
        .filter_map(|(role, email)| {
            let p = bill
                .participants
                .iter()
                .find(|p| p.email.normalized() == email.normalized())?;
            Some((
                Person {
                    email: p.email.to_string(),
                    firstname: p.firstname.clone(),
                    lastname: p.lastname.clone(),
                },
                role.parse().ok(),
            ))
        })
        .collect()
}

/// A line (or a bundle's part) being planned.
struct LineRef<'a> {
    bill: &'a Bill,
    line: &'a BillLine,
    index: usize,
    prefix: &'a str,
    code: &'a str,
    quantity: u32,
}

impl LineRef<'_> {
    fn unit(&self, n: usize, person: Person, work: Work) -> Unit {
        Unit {
            key: format!("{}{n}", self.prefix),
            line: self.index,
            item_code: self.code.to_owned(),
            person,
            work,
        }
    }

    /// A required-data value of unit `n`, when filled.
    fn form(&self, n: usize, field: &str) -> Option<String> {
        self.line
            .required_data
            .get(n)
            .and_then(|f| f.get(field))
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }
}

fn line_units(l: &LineRef<'_>, spec: &HandlerSpec, buyer: &Person) -> Vec<Unit> {
    let named = participants(l.bill, l.line);
    let count = l.quantity as usize;
    let for_buyer = |n: usize, work: Work| l.unit(n, buyer.clone(), work);
    match spec {
        // The participants named for the line, else the buyer.
        HandlerSpec::EnrolOneCourse(e) if !named.is_empty() => named
            .iter()
            .enumerate()
            .map(|(n, (person, _))| l.unit(n, person.clone(), enrol_work(e)))
            .collect(),
        HandlerSpec::EnrolOneCourse(e) => vec![for_buyer(0, enrol_work(e))],
        // One unit per quantity: its participant, else the buyer.
        HandlerSpec::EnrolMultiple(e) => (0..count)
            .map(|n| {
                let person = named
                    .get(n)
                    .map_or_else(|| buyer.clone(), |(p, _)| p.clone());
                l.unit(n, person, enrol_work(e))
            })
            .collect(),
        HandlerSpec::CourseSession(s) => {
            let duration = match (s.duration_days, s.end_date) {
                (Some(d), _) => handler::Duration::Days(d),
                (None, Some(end)) => handler::Duration::Until(end),
                _ => handler::Duration::Unlimited,
            };
            let work = |role| Work::Enrol {
                course: s.course.clone(),
                role,
                duration,
                group: s.group_per_customer,
                context: ProductContext::UserEnrolment,
            };
            let mut units: Vec<Unit> = named
                .iter()
                .enumerate()
                .map(|(n, (person, role))| {
                    l.unit(n, person.clone(), work(role.unwrap_or(Role::Student)))
                })
                .collect();
            // The buyer supervises the session, unless already one of its participants.
            let takes_part = named
                .iter()
                .any(|(p, _)| p.email.eq_ignore_ascii_case(&buyer.email));
            if let Some(role) = s.supervisor_role.filter(|_| !takes_part) {
                units.push(l.unit(named.len(), buyer.clone(), work(role)));
            }
            units
        }
        HandlerSpec::AssignRole(a) => vec![for_buyer(0, Work::AssignRole(a.clone()))],
        HandlerSpec::ExtendEnrolment(x) => vec![for_buyer(
            0,
            Work::Extend {
                course: x.course.clone(),
                role: x.role,
                days: i64::from(x.days.get()) * i64::from(l.quantity),
            },
        )],
        HandlerSpec::GenerateSeats(s) => (0..count * s.pack_size.get() as usize)
            .map(|n| {
                let work = Work::Seat {
                    courses: s.courses.clone(),
                    role: s.role,
                    days: s.duration_days.map(|d| d.get()),
                };
                for_buyer(n, work)
            })
            .collect(),
        HandlerSpec::CreateCourse(spec) => (0..count)
            .map(|n| {
                let fullname = l.form(n, "course_name").unwrap_or_else(|| {
                    format!("{} – {} {}", l.line.name, buyer.firstname, buyer.lastname)
                });
                let spec = spec.clone();
                for_buyer(n, Work::Course { spec, fullname })
            })
            .collect(),
        HandlerSpec::CreateCategory(spec) => (0..count)
            .map(|n| {
                let name = l
                    .form(n, "category_name")
                    .unwrap_or_else(|| format!("{} {}", buyer.firstname, buyer.lastname));
                let spec = spec.clone();
                for_buyer(n, Work::Category { spec, name })
            })
            .collect(),
        HandlerSpec::UnlockCertificate(cert) => (0..count)
            .map(|n| {
                let work = Work::Enrol {
                    course: cert.course.clone(),
                    role: Role::Student,
                    duration: handler::Duration::Unlimited,
                    group: false,
                    context: ProductContext::Certificate,
                };
                for_buyer(n, work)
            })
            .collect(),
        HandlerSpec::AddTrainingCredits(c) => {
            vec![for_buyer(0, Work::Credits(c.credits.get() * l.quantity))]
        }
    }
}

fn enrol_work(e: &handler::Enrol) -> Work {
    Work::Enrol {
        course: e.course.clone(),
        role: e.role,
        duration: e.duration(),
        group: e.group_per_customer,
        context: ProductContext::UserEnrolment,
    }
}

/// Lets an operator's retry deliver a bill's failed units again: a unit refused by Moodle
/// (nothing applied) is forgotten, so its intent is computed afresh from the shop as it is now;
/// a unit that gave up on an unreachable Moodle keeps its intent (Moodle may have applied it)
/// and will repeat it. Done units stay done. How many were reset.
pub async fn reset_failed(store: &dyn Store, bill: &BillId) -> Result<usize, AppError> {
    let records = store
        .query(&Query::partition(super::keys::units(bill)))
        .await?;
    let mut reset = 0;
    for r in records {
        let Ok(mut unit) = serde_json::from_str::<UnitRecord>(&r.item.body) else {
            continue;
        };
        if unit.state != UnitState::Failed {
            continue;
        }
        let write = if unit.permanent || unit.action.is_none() {
            Write::Delete {
                key: r.item.key.clone(),
                when: Expect::Version(r.version),
            }
        } else {
            unit.state = UnitState::Intent;
            unit.error = None;
            let body = serde_json::to_string(&unit).expect("serializes");
            Write::Put {
                item: Item::new(r.item.key.clone(), body),
                when: PutIf::Version(r.version),
            }
        };
        match store.write(vec![write]).await {
            Ok(()) => reset += 1,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(reset)
}

/// A line's production, summed up from its units' records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProgress {
    pub state: &'static str,
    pub error: Option<String>,
    /// The product instances the line made so far.
    pub products: Vec<String>,
}

/// Each line's production state, by line index (lines without records are absent).
pub async fn progress(
    store: &dyn Store,
    bill: &BillId,
) -> Result<BTreeMap<usize, LineProgress>, AppError> {
    let records = store
        .query(&Query::partition(super::keys::units(bill)))
        .await?;
    let mut lines: BTreeMap<usize, Vec<UnitRecord>> = BTreeMap::new();
    for r in records {
        let Some(line) = r
            .item
            .key
            .sk
            .split('#')
            .next()
            .and_then(|l| l.parse::<usize>().ok())
        else {
            continue;
        };
        if let Ok(unit) = serde_json::from_str::<UnitRecord>(&r.item.body) {
            lines.entry(line).or_default().push(unit);
        }
    }
    Ok(lines
        .into_iter()
        .map(|(line, units)| (line, summary(&units)))
        .collect())
}

fn summary(units: &[UnitRecord]) -> LineProgress {
    let products = units
        .iter()
        .filter(|u| matches!(u.state, UnitState::Done | UnitState::Revoked))
        .filter_map(|u| u.product.as_ref().map(|p| p.reference.to_string()))
        .collect();
    let failed = units.iter().find(|u| u.state == UnitState::Failed);
    let (state, error) = match failed {
        Some(u) => ("failed", u.error.clone()),
        None if units.iter().all(|u| u.state == UnitState::Revoked) => ("revoked", None),
        None if units.iter().all(|u| u.state == UnitState::Done) => ("done", None),
        None => ("in_progress", None),
    };
    LineProgress {
        state,
        error,
        products,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    fn at(date: &str) -> DateTime<Utc> {
        format!("{date}T12:00:00Z").parse().unwrap()
    }

    #[test]
    fn buying_a_held_enrolment_again_never_shortens_it() {
        let now = at("2026-12-02");
        let year = handler::Duration::Days(NonZeroU32::new(365).unwrap());
        // Held until 2028-08-28: the new year runs on from there.
        assert_eq!(
            renewed_end(Some(at("2028-08-28")), year, now),
            Some(at("2029-08-28"))
        );
        // Held, but ended: from now.
        assert_eq!(
            renewed_end(Some(at("2026-01-01")), year, now),
            Some(at("2027-12-02"))
        );
        // Held without an end: still without.
        assert_eq!(renewed_end(None, year, now), None);
        // A fixed end earlier than the one held keeps the later.
        let until = handler::Duration::Until("2027-06-30".parse().unwrap());
        assert_eq!(
            renewed_end(Some(at("2028-08-28")), until, now),
            Some(at("2028-08-28"))
        );
    }
}
