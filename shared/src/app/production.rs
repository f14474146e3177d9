//! Production (DESIGN §7): a paid bill's lines delivered in Moodle, exactly once in effect
//! although the queue delivers at least once.
//!
//! Each unit to deliver has a production record (`PROD#{bill}` / `{line}#{unit}`). The first
//! delivery computes the unit's intent (Moodle user id, course id, role, absolute dates) and
//! stores it with a conditional create *before* calling Moodle; every later delivery finds the
//! record and repeats the identical call (Moodle's enrolment is idempotent for identical
//! values), then marks it done. Users are looked up by email before creation and again after a
//! creation error. When every unit is done the bill becomes COMPLETE (conditional).
//!
//! Handlers so far: `enrol_one_course` (the buyer, `course_id` or `course` shortname, `role`,
//! `duration_days`) and `setup_course_session` (every participant with their seat's role), plus
//! the buyer's enrolment in the shop's customer support course. Lines of other handler types
//! wait, recorded as `unsupported`, and keep the bill PAID.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppError;
use super::bills::BillDesk;
use super::repo;
use crate::domain::bill::{Actor, Bill, BillId, BillStatus};
use crate::ports::{
    EnrolIntent, Item, JobKind, Key, Lms, LmsError, ProductionJob, PutIf, Store, StoreError, Write,
};

/// What a production job came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Produced {
    /// Every unit delivered; the bill is COMPLETE.
    Complete,
    /// Nothing to do (already complete, not paid, a revoke not handled yet).
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
    Unsupported,
    /// Delivered, then suspended after a refund (never unenrolled: grades stay).
    Revoked,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct UnitRecord {
    state: UnitState,
    intent: Option<EnrolIntent>,
    error: Option<String>,
}

/// Who a unit delivers to, and where.
struct Unit {
    key: String,
    person: Person,
    course: CourseRef,
    role: u64,
    days: Option<i64>,
}

struct Person {
    email: String,
    firstname: String,
    lastname: String,
}

enum CourseRef {
    Id(u64),
    Shortname(String),
}

fn role_id(name: &str) -> Option<u64> {
    match name {
        "manager" => Some(1),
        "coursecreator" => Some(2),
        "editingteacher" => Some(3),
        "teacher" => Some(4),
        "student" => Some(5),
        _ => None,
    }
}

fn unit_key(bill: &BillId, unit: &str) -> Key {
    Key::new(format!("PROD#{bill}"), unit.to_owned())
}

pub struct Producer {
    desk: BillDesk,
    lms: Arc<dyn Lms>,
}

impl Producer {
    pub fn new(desk: BillDesk, lms: Arc<dyn Lms>) -> Self {
        Self { desk, lms }
    }

    fn store(&self) -> &dyn Store {
        self.desk.store.as_ref()
    }

    /// Handles one job. `Err` asks for a redelivery; `Ok` may still report units that need an
    /// operator (permanent Moodle errors, unsupported handlers).
    pub async fn handle(&self, job: &ProductionJob) -> Result<Produced, Retry> {
        if job.kind == JobKind::Revoke {
            return self.revoke(job).await;
        }
        let id: BillId = job
            .bill
            .parse()
            .map_err(|_| Retry(format!("bad bill id {}", job.bill)))?;
        let bill = self.desk.load(&id).await?.bill;
        if !matches!(bill.status, BillStatus::Paid | BillStatus::Preprod) {
            return Ok(Produced::Nothing);
        }
        let shop = repo::load_shop(self.store(), &bill.shop).await?;
        let (units, unsupported) = units(&bill, shop.shop.customer_support_course);
        let mut problems = Vec::new();
        for key in unsupported {
            self.record_once(&bill.id, &key, UnitState::Unsupported, None)
                .await?;
            problems.push(format!("{key}: handler not supported yet"));
        }
        let now = self.desk.clock.now();
        for unit in units {
            if let Err(problem) = self.deliver(&bill.id, &unit, now).await? {
                problems.push(format!("{}: {problem}", unit.key));
            }
        }
        if !problems.is_empty() {
            return Ok(Produced::Incomplete(problems));
        }
        let complete = self
            .desk
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
            .await;
        match complete {
            Ok(_) => Ok(Produced::Complete),
            Err(e) => Err(e.into()),
        }
    }

    async fn record_once(
        &self,
        bill: &BillId,
        unit: &str,
        state: UnitState,
        error: Option<String>,
    ) -> Result<(), Retry> {
        let body = serde_json::to_string(&UnitRecord {
            state,
            intent: None,
            error,
        })
        .expect("serializes");
        match self
            .store()
            .write(vec![Write::Put {
                item: Item::new(unit_key(bill, unit), body),
                when: PutIf::Absent,
            }])
            .await
        {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// One unit: its stored intent (computed and stored first if absent), the Moodle call, done.
    /// `Ok(Err(problem))` is a permanent failure, recorded.
    async fn deliver(
        &self,
        bill: &BillId,
        unit: &Unit,
        now: DateTime<Utc>,
    ) -> Result<Result<(), String>, Retry> {
        let key = unit_key(bill, &unit.key);
        let (record, version) = match self.store().get(&key).await? {
            Some(r) => (
                serde_json::from_str::<UnitRecord>(&r.item.body)
                    .map_err(|e| Retry(e.to_string()))?,
                r.version,
            ),
            None => {
                let intent = match self.intent(unit, now).await {
                    Ok(intent) => intent,
                    Err(e) if e.retryable => return Err(Retry(e.message)),
                    Err(e) => {
                        self.record_once(
                            bill,
                            &unit.key,
                            UnitState::Failed,
                            Some(e.message.clone()),
                        )
                        .await?;
                        return Ok(Err(e.message));
                    }
                };
                let record = UnitRecord {
                    state: UnitState::Intent,
                    intent: Some(intent),
                    error: None,
                };
                let body = serde_json::to_string(&record).expect("serializes");
                match self
                    .store()
                    .write(vec![Write::Put {
                        item: Item::new(key.clone(), body),
                        when: PutIf::Absent,
                    }])
                    .await
                {
                    Ok(()) => (record, 1),
                    Err(StoreError::ConditionFailed) => {
                        return Err(Retry("another delivery claimed this unit".into()));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        match (record.state, record.intent) {
            (UnitState::Done | UnitState::Revoked, _) => Ok(Ok(())),
            (UnitState::Failed | UnitState::Unsupported, _) => {
                Ok(Err(record.error.unwrap_or_else(|| "failed".into())))
            }
            (UnitState::Intent, Some(intent)) => match self.lms.enrol(&intent).await {
                Ok(()) => {
                    self.mark(
                        &key,
                        version,
                        UnitRecord {
                            state: UnitState::Done,
                            intent: Some(intent),
                            error: None,
                        },
                    )
                    .await?;
                    Ok(Ok(()))
                }
                Err(e) if e.retryable => Err(Retry(e.message)),
                Err(e) => {
                    let failed = UnitRecord {
                        state: UnitState::Failed,
                        intent: Some(intent),
                        error: Some(e.message.clone()),
                    };
                    self.mark(&key, version, failed).await?;
                    Ok(Err(e.message))
                }
            },
            (UnitState::Intent, None) => Ok(Err("no intent recorded".into())),
        }
    }

    /// A refunded bill: every delivered enrolment is suspended (`suspend=1`, the same dates),
    /// and its unit marked revoked. Repeating it is harmless.
    async fn revoke(&self, job: &ProductionJob) -> Result<Produced, Retry> {
        let id: BillId = job
            .bill
            .parse()
            .map_err(|_| Retry(format!("bad bill id {}", job.bill)))?;
        if self.desk.load(&id).await?.bill.status != BillStatus::Refunded {
            return Ok(Produced::Nothing);
        }
        let records = self
            .store()
            .query(&crate::ports::Query::partition(format!("PROD#{id}")))
            .await?;
        for r in records {
            // The support course serves every purchase of the customer: it stays.
            if r.item.key.sk.starts_with("support") {
                continue;
            }
            let Ok(unit) = serde_json::from_str::<UnitRecord>(&r.item.body) else {
                continue;
            };
            let (UnitState::Done, Some(intent)) = (&unit.state, unit.intent) else {
                continue;
            };
            let suspended = EnrolIntent {
                suspend: true,
                ..intent
            };
            match self.lms.enrol(&suspended).await {
                Ok(()) => {}
                Err(e) if e.retryable => return Err(Retry(e.message)),
                Err(e) => {
                    tracing::error!(bill = %id, unit = %r.item.key.sk, error = %e, "could not suspend")
                }
            }
            let revoked = UnitRecord {
                state: UnitState::Revoked,
                intent: Some(intent),
                error: None,
            };
            self.mark(&r.item.key, r.version, revoked).await?;
        }
        Ok(Produced::Complete)
    }

    async fn mark(&self, key: &Key, version: u64, record: UnitRecord) -> Result<(), Retry> {
        let body = serde_json::to_string(&record).expect("serializes");
        match self
            .store()
            .write(vec![Write::Put {
                item: Item::new(key.clone(), body),
                when: PutIf::Version(version),
            }])
            .await
        {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The absolute intent of a unit: Moodle ids looked up now, dates fixed now.
    async fn intent(&self, unit: &Unit, now: DateTime<Utc>) -> Result<EnrolIntent, LmsError> {
        let p = &unit.person;
        let userid = self
            .lms
            .find_or_create_user(&p.email, &p.firstname, &p.lastname)
            .await?;
        let courseid = match &unit.course {
            CourseRef::Id(id) => *id,
            CourseRef::Shortname(name) => {
                self.lms
                    .course_id("shortname", name)
                    .await?
                    .ok_or_else(|| LmsError {
                        retryable: false,
                        message: format!("no course `{name}` in Moodle"),
                    })?
            }
        };
        let timestart = now.timestamp();
        let timeend = unit.days.map_or(0, |d| timestart + d * 86_400);
        Ok(EnrolIntent {
            roleid: unit.role,
            userid,
            courseid,
            timestart,
            timeend,
            suspend: false,
        })
    }
}

/// The units a bill's lines make, and the keys of lines whose handler is not supported yet.
fn units(bill: &Bill, support_course: Option<u64>) -> (Vec<Unit>, Vec<String>) {
    let c = &bill.customer;
    let buyer = || Person {
        email: c.email.to_string(),
        firstname: c.firstname.clone(),
        lastname: c.lastname.clone(),
    };
    let mut units = Vec::new();
    let mut unsupported = Vec::new();
    if let Some(course) = support_course {
        units.push(Unit {
            key: "support#0".into(),
            person: buyer(),
            course: CourseRef::Id(course),
            role: 5,
            days: None,
        });
    }
    for (i, line) in bill.lines.iter().enumerate() {
        let Some(handler) = &line.item.handler else {
            continue;
        };
        let params = &handler.params;
        let course = match (
            params.get("course_id").and_then(|v| v.as_u64()),
            params.get("course").and_then(|v| v.as_str()),
        ) {
            (Some(id), _) => Some(CourseRef::Id(id)),
            (None, Some(name)) => Some(CourseRef::Shortname(name.to_owned())),
            _ => None,
        };
        let role = params
            .get("role")
            .and_then(|v| v.as_str())
            .and_then(role_id)
            .unwrap_or(5);
        let days = params.get("duration_days").and_then(|v| v.as_i64());
        match (handler.kind.as_str(), course) {
            ("enrol_one_course", Some(course)) => units.push(Unit {
                key: format!("{i}#0"),
                person: buyer(),
                course,
                role,
                days,
            }),
            ("setup_course_session", Some(course)) => {
                let id = match course {
                    CourseRef::Id(id) => Some(id),
                    CourseRef::Shortname(_) => None,
                };
                for (seat, (role_name, email)) in line
                    .seats
                    .iter()
                    .flat_map(|(r, emails)| emails.iter().map(move |e| (r, e)))
                    .enumerate()
                {
                    let Some(p) = bill
                        .participants
                        .iter()
                        .find(|p| p.email.normalized() == email.normalized())
                    else {
                        continue;
                    };
                    let person = Person {
                        email: p.email.to_string(),
                        firstname: p.firstname.clone(),
                        lastname: p.lastname.clone(),
                    };
                    let course = id.map_or_else(
                        || CourseRef::Shortname(params["course"].as_str().unwrap_or("").to_owned()),
                        CourseRef::Id,
                    );
                    units.push(Unit {
                        key: format!("{i}#{seat}"),
                        person,
                        course,
                        role: role_id(role_name).unwrap_or(5),
                        days,
                    });
                }
            }
            _ => unsupported.push(format!("{i}#0")),
        }
    }
    (units, unsupported)
}

/// Forgets the failed and unsupported units of a bill, so that the next delivery computes them
/// afresh (an operator fixed the cause); done units stay done. How many were reset.
pub async fn reset_failed(store: &dyn Store, bill: &BillId) -> Result<usize, AppError> {
    let records = store
        .query(&crate::ports::Query::partition(format!("PROD#{bill}")))
        .await?;
    let mut reset = 0;
    for r in records {
        let Ok(unit) = serde_json::from_str::<UnitRecord>(&r.item.body) else {
            continue;
        };
        if matches!(unit.state, UnitState::Failed | UnitState::Unsupported) {
            let write = Write::Delete {
                key: r.item.key.clone(),
                when: crate::ports::Expect::Version(r.version),
            };
            match store.write(vec![write]).await {
                Ok(()) => reset += 1,
                Err(StoreError::ConditionFailed) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(reset)
}

/// A line's production, summed up from its units' records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProgress {
    pub state: &'static str,
    pub error: Option<String>,
}

/// Each line's production state, by line index (lines without records are absent).
pub async fn progress(
    store: &dyn Store,
    bill: &BillId,
) -> Result<std::collections::BTreeMap<usize, LineProgress>, AppError> {
    let records = store
        .query(&crate::ports::Query::partition(format!("PROD#{bill}")))
        .await?;
    let mut lines: std::collections::BTreeMap<usize, Vec<UnitRecord>> =
        std::collections::BTreeMap::new();
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
        .map(|(line, units)| {
            let failed = units
                .iter()
                .find(|u| matches!(u.state, UnitState::Failed | UnitState::Unsupported));
            let progress = match failed {
                Some(u) if u.state == UnitState::Unsupported => LineProgress {
                    state: "unsupported",
                    error: Some("handler not supported yet".into()),
                },
                Some(u) => LineProgress {
                    state: "failed",
                    error: u.error.clone(),
                },
                None if units.iter().all(|u| u.state == UnitState::Revoked) => LineProgress {
                    state: "revoked",
                    error: None,
                },
                None if units.iter().all(|u| u.state == UnitState::Done) => LineProgress {
                    state: "done",
                    error: None,
                },
                None => LineProgress {
                    state: "in_progress",
                    error: None,
                },
            };
            (line, progress)
        })
        .collect())
}
