//! Production records (`PROD#{bill}` / unit): a unit's state and stored intent, how they are
//! written and read back, and what the bill views show of them.

use super::*;

/// A unit's name within its bill, the sort key of its production record: `{line}#{n}` for the
/// n-th unit of a line, `{line}#{part}.{n}` within a bundle's part, `support#0` for the buyer's
/// enrolment in the support course. The one place that spells and reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct UnitKey {
    /// The bill line's index; `None` for the support-course unit.
    pub(super) line: Option<usize>,
    /// The bundle part's index, for a bundle's line.
    pub(super) part: Option<usize>,
    pub(super) n: usize,
}

impl UnitKey {
    pub(super) const SUPPORT: UnitKey = UnitKey {
        line: None,
        part: None,
        n: 0,
    };

    /// The production record's key in the table.
    pub(super) fn record(&self, bill: &BillId) -> Key {
        crate::app::keys::unit(bill, &self.to_string())
    }

    /// Reads a record's sort key back; `None` for anything this module did not write.
    pub(super) fn parse(sk: &str) -> Option<UnitKey> {
        let (line, rest) = sk.split_once('#')?;
        if line == "support" {
            return (rest == "0").then_some(UnitKey::SUPPORT);
        }
        let line = Some(line.parse().ok()?);
        let (part, n) = match rest.split_once('.') {
            Some((part, n)) => (Some(part.parse().ok()?), n.parse().ok()?),
            None => (None, rest.parse().ok()?),
        };
        Some(UnitKey { line, part, n })
    }
}

impl std::fmt::Display for UnitKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.part) {
            (None, _) => write!(f, "support#{}", self.n),
            (Some(line), None) => write!(f, "{line}#{}", self.n),
            (Some(line), Some(part)) => write!(f, "{line}#{part}.{}", self.n),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum UnitState {
    Intent,
    Done,
    Failed,
    /// Delivered, then suspended after a refund.
    Revoked,
}

/// The Moodle calls of a unit, with every value fixed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(super) enum Action {
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
pub(super) struct UnitRecord {
    pub(super) state: UnitState,
    pub(super) action: Option<Action>,
    /// The instance to record when done (an update of an existing one for an extension).
    pub(super) product: Option<ProductInstance>,
    #[serde(default)]
    pub(super) extends: bool,
    /// Why the unit failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) problem: Option<DeliveryProblem>,
    /// Why it failed, in English only: records written before `problem` was.
    #[serde(default, skip_serializing)]
    pub(super) error: Option<String>,
    /// Moodle refused the call (nothing was applied): a retry may compute a new intent.
    #[serde(default)]
    pub(super) permanent: bool,
}

impl UnitRecord {
    pub(super) fn failed(
        action: Option<Action>,
        problem: DeliveryProblem,
        permanent: bool,
    ) -> Self {
        Self {
            state: UnitState::Failed,
            action,
            product: None,
            extends: false,
            problem: Some(problem),
            error: None,
            permanent,
        }
    }

    /// Why the unit failed, also for a record written before problems had codes.
    pub(super) fn problem(&self) -> DeliveryProblem {
        match (&self.problem, &self.error) {
            (Some(p), _) => p.clone(),
            (None, error) => DeliveryProblem::moodle_unexpected(error.clone().unwrap_or_default()),
        }
    }

    pub(super) fn intent(action: Action, product: Option<ProductInstance>, extends: bool) -> Self {
        Self {
            state: UnitState::Intent,
            action: Some(action),
            product,
            extends,
            problem: None,
            error: None,
            permanent: false,
        }
    }
}

pub(super) fn parse_record(body: &str) -> Result<UnitRecord, Retry> {
    serde_json::from_str(body).map_err(|e| Retry(format!("stored production record: {e}")))
}

/// Lets an operator's retry deliver a bill's failed units again: a unit refused by Moodle
/// (nothing applied) is forgotten, so its intent is computed afresh from the shop as it is now;
/// a unit that gave up on an unreachable Moodle keeps its intent (Moodle may have applied it)
/// and will repeat it. Done units stay done. How many were reset.
pub async fn reset_failed(store: &dyn Store, bill: &BillId) -> Result<usize, AppError> {
    let records = store
        .query(&Query::partition(crate::app::keys::units(bill)))
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
            (unit.problem, unit.error) = (None, None);
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
    pub problem: Option<DeliveryProblem>,
    /// The product instances the line made so far.
    pub products: Vec<String>,
}

/// Each line's production state, by line index (lines without records are absent).
pub async fn progress(
    store: &dyn Store,
    bill: &BillId,
) -> Result<BTreeMap<usize, LineProgress>, AppError> {
    let records = store
        .query(&Query::partition(crate::app::keys::units(bill)))
        .await?;
    let mut lines: BTreeMap<usize, Vec<UnitRecord>> = BTreeMap::new();
    for r in records {
        let Some(line) = UnitKey::parse(&r.item.key.sk).and_then(|k| k.line) else {
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

/// The buyer's enrolment in the shop's support course, for a bill that has one: it is the
/// shop's, not a line of the bill, so the lines' [`progress`] leaves it out.
pub async fn support_progress(
    store: &dyn Store,
    bill: &BillId,
) -> Result<Option<LineProgress>, AppError> {
    let found = store.get(&UnitKey::SUPPORT.record(bill)).await?;
    Ok(found
        .and_then(|r| serde_json::from_str::<UnitRecord>(&r.item.body).ok())
        .map(|unit| summary(std::slice::from_ref(&unit))))
}

pub(super) fn summary(units: &[UnitRecord]) -> LineProgress {
    let products = units
        .iter()
        .filter(|u| matches!(u.state, UnitState::Done | UnitState::Revoked))
        .filter_map(|u| u.product.as_ref().map(|p| p.reference.to_string()))
        .collect();
    let failed = units.iter().find(|u| u.state == UnitState::Failed);
    let (state, problem) = match failed {
        Some(u) => ("failed", Some(u.problem())),
        None if units.iter().all(|u| u.state == UnitState::Revoked) => ("revoked", None),
        None if units.iter().all(|u| u.state == UnitState::Done) => ("done", None),
        None => ("in_progress", None),
    };
    LineProgress {
        state,
        problem,
        products,
    }
}

impl Producer {
    pub(super) async fn record_once(
        &self,
        bill: &BillId,
        unit: &UnitKey,
        record: UnitRecord,
    ) -> Result<(), Retry> {
        let body = serde_json::to_string(&record).expect("serializes");
        let write = Write::Put {
            item: Item::new(unit.record(bill), body),
            when: PutIf::Absent,
        };
        match self.store().write(vec![write]).await {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn mark(
        &self,
        key: &Key,
        version: u64,
        record: &UnitRecord,
    ) -> Result<(), Retry> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_key_reads_back_as_written() {
        let keys = [
            UnitKey::SUPPORT,
            UnitKey {
                line: Some(0),
                part: None,
                n: 3,
            },
            UnitKey {
                line: Some(12),
                part: Some(1),
                n: 0,
            },
        ];
        let written: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(written, ["support#0", "0#3", "12#1.0"]);
        for (key, text) in keys.iter().zip(&written) {
            assert_eq!(UnitKey::parse(text), Some(*key));
        }
    }

    #[test]
    fn keys_this_module_did_not_write_are_not_units() {
        for sk in ["", "PRODUCE", "support#1", "x#0", "1#", "1#a.2", "1#2.b"] {
            assert_eq!(UnitKey::parse(sk), None, "{sk}");
        }
    }

    /// A unit that failed before problems had codes still says why, and a new failure is
    /// stored with its code only.
    #[test]
    fn a_failure_reads_back_with_its_problem_old_or_new() {
        let old = r#"{"state":"failed","action":null,"product":null,"error":"Moodle error x: y"}"#;
        let old = parse_record(old).unwrap();
        assert_eq!(
            old.problem().english(),
            "unexpected answer from Moodle: Moodle error x: y"
        );
        let refused = DeliveryProblem::moodle_refused("x".into(), "y".into());
        let new = serde_json::to_string(&UnitRecord::failed(None, refused.clone(), true)).unwrap();
        assert!(!new.contains("\"error\""), "{new}");
        assert_eq!(parse_record(&new).unwrap().problem(), refused);
    }
}
