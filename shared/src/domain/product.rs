//! Product instances: what a bill line delivered, kept by the shop (local_shop's
//! `local_shop_product`). A reference names each one on the customer's papers; its state
//! (running, expiring, expired, suspended) follows from its status and end date.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Characters of a reference: Crockford's base 32 (no I, L, O, U: nothing to misread).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The check number is a weighted sum modulo this prime (< 32²), written as two characters.
const CHECK_MODULUS: u32 = 1021;
const BODY: usize = 14;

/// `XXXX-XXXX-XXXX-XXCC`: 14 random characters (70 bits) and 2 check characters, which catch
/// any single mistyped character and any swap of two neighbours.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductRef(String);

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

fn check_chars(body: &[u8]) -> [u8; 2] {
    let sum: u32 = body
        .iter()
        .enumerate()
        .map(|(i, &c)| value(c).expect("alphabet") * (i as u32 + 1))
        .sum::<u32>()
        % CHECK_MODULUS;
    [ALPHABET[(sum / 32) as usize], ALPHABET[(sum % 32) as usize]]
}

fn format_ref(chars: &[u8]) -> String {
    let text = std::str::from_utf8(chars).expect("ascii");
    format!(
        "{}-{}-{}-{}",
        &text[0..4],
        &text[4..8],
        &text[8..12],
        &text[12..16]
    )
}

impl ProductRef {
    pub fn random() -> Self {
        let mut random = [0u8; BODY];
        getrandom::fill(&mut random).expect("the operating system's random source is available");
        let mut chars: Vec<u8> = random.iter().map(|b| ALPHABET[(b % 32) as usize]).collect();
        let check = check_chars(&chars);
        chars.extend_from_slice(&check);
        Self(format_ref(&chars))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ProductRef {
    type Err = String;

    /// Accepts lower case and missing dashes (as typed by a person).
    fn from_str(s: &str) -> Result<Self, String> {
        let chars: Vec<u8> = s
            .bytes()
            .filter(|&b| b != b'-')
            .map(|b| b.to_ascii_uppercase())
            .collect();
        let bad = || format!("`{s}` is not a product reference such as ABCD-EFGH-JKMN-PQ7Z");
        if chars.len() != BODY + 2 || chars.iter().any(|&c| value(c).is_none()) {
            return Err(bad());
        }
        if check_chars(&chars[..BODY]) != chars[BODY..] {
            return Err(format!(
                "`{s}`: the check characters do not match (a typo?)"
            ));
        }
        Ok(Self(format_ref(&chars)))
    }
}

impl TryFrom<String> for ProductRef {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<ProductRef> for String {
    fn from(r: ProductRef) -> String {
        r.0
    }
}

impl fmt::Display for ProductRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

names!(
    /// What a product instance stands for in Moodle (local_shop's context types).
    ProductContext {
        UserEnrolment = "user_enrolment",
        RoleAssignment = "role_assignment",
        Seat = "seat",
        Course = "course",
        Coursecat = "coursecat",
        Certificate = "certificate",
        Credits = "credits",
    }
);

names!(
    /// The stored status; `expiring` and `expired` are derived from the end date.
    ProductStatus { Running = "running", Suspended = "suspended" }
);

names!(
    /// What an operator or a customer sees (`?state=` filter).
    ProductState {
        Running = "running",
        Expiring = "expiring",
        Expired = "expired",
        Suspended = "suspended",
    }
);

names!(
    ProductEventKind {
        Created = "created",
        Extended = "extended",
        Suspended = "suspended",
        Restored = "restored",
    }
);

/// A product is `expiring` this long before its end.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductEvent {
    pub at: DateTime<Utc>,
    pub kind: ProductEventKind,
    pub actor: String,
    /// The bill unit (`{bill}/{unit}`) that caused it, so that a repeated delivery adds nothing.
    pub source: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductInstance {
    pub reference: ProductRef,
    pub shop: crate::domain::ids::ShopId,
    pub item_code: String,
    pub bill: crate::domain::bill::BillId,
    pub line: usize,
    pub customer_email: String,
    /// The person it was delivered to (a participant, or the customer).
    pub user_email: String,
    pub context: ProductContext,
    /// The Moodle id of the course, category or context (none for unassigned seats, credits).
    pub instance_id: Option<u64>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub status: ProductStatus,
    /// The enrolment as last sent, to suspend or restore it with the same dates.
    pub enrolment: Option<EnrolIntent>,
    /// Courses a seat may be used in; training credits held.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_courses: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<u32>,
    /// For a seat: its terms and who holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat: Option<SeatTerms>,
    pub events: Vec<ProductEvent>,
}

/// A seat's terms (from the handler) and its holder, once the customer assigned it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatTerms {
    pub roleid: u64,
    pub duration_days: Option<u32>,
    pub holder: Option<SeatHolder>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatHolder {
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    pub course: u64,
    /// Fixes the enrolment's dates, so that a repeated delivery sends the same ones.
    pub assigned_at: DateTime<Utc>,
}

impl ProductInstance {
    pub fn state(&self, now: DateTime<Utc>) -> ProductState {
        match (self.status, self.end) {
            (ProductStatus::Suspended, _) => ProductState::Suspended,
            (_, Some(end)) if end <= now => ProductState::Expired,
            (_, Some(end)) if end <= now + Duration::days(EXPIRING_WITHIN_DAYS) => {
                ProductState::Expiring
            }
            _ => ProductState::Running,
        }
    }

    /// Whether a bill unit already left its mark (its event is recorded).
    pub fn has_event_from(&self, source: &str) -> bool {
        self.events
            .iter()
            .any(|e| e.source.as_deref() == Some(source))
    }
}

/// One enrolment, with absolute dates (0 = none). Moodle overwrites, never extends: the dates
/// are computed once, stored, and sent identically on every retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolIntent {
    pub roleid: u64,
    pub userid: u64,
    pub courseid: u64,
    pub timestart: i64,
    pub timeend: i64,
    pub suspend: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_carry_check_characters() {
        for _ in 0..200 {
            let r = ProductRef::random();
            assert_eq!(r.as_str().len(), 19);
            assert_eq!(r.as_str().parse::<ProductRef>().unwrap(), r);
            assert_eq!(
                r.as_str()
                    .to_lowercase()
                    .replace('-', "")
                    .parse::<ProductRef>()
                    .unwrap(),
                r
            );
        }
    }

    #[test]
    fn typos_and_swaps_are_caught() {
        let r = ProductRef::random();
        let chars: Vec<char> = r.as_str().replace('-', "").chars().collect();
        for i in 0..chars.len() {
            for &c in ALPHABET {
                let mut typo = chars.clone();
                if typo[i] == c as char {
                    continue;
                }
                typo[i] = c as char;
                let text: String = typo.iter().collect();
                assert!(text.parse::<ProductRef>().is_err(), "{text} from {r}");
            }
            if i + 1 < chars.len() && chars[i] != chars[i + 1] {
                let mut swap = chars.clone();
                swap.swap(i, i + 1);
                let text: String = swap.iter().collect();
                assert!(text.parse::<ProductRef>().is_err(), "{text} from {r}");
            }
        }
        assert!("ABCD".parse::<ProductRef>().is_err());
    }

    #[test]
    fn the_state_follows_the_end_date() {
        let now = Utc::now();
        let mut p = ProductInstance {
            reference: ProductRef::random(),
            shop: "demo".parse().unwrap(),
            item_code: "X".into(),
            bill: crate::domain::bill::BillId::new(now),
            line: 0,
            customer_email: "a@b.c".into(),
            user_email: "a@b.c".into(),
            context: ProductContext::UserEnrolment,
            instance_id: Some(3),
            start: now,
            end: None,
            status: ProductStatus::Running,
            enrolment: None,
            allowed_courses: vec![],
            credits: None,
            seat: None,
            events: vec![],
        };
        assert_eq!(p.state(now), ProductState::Running);
        p.end = Some(now + Duration::days(31));
        assert_eq!(p.state(now), ProductState::Running);
        p.end = Some(now + Duration::days(29));
        assert_eq!(p.state(now), ProductState::Expiring);
        p.end = Some(now - Duration::seconds(1));
        assert_eq!(p.state(now), ProductState::Expired);
        p.status = ProductStatus::Suspended;
        assert_eq!(p.state(now), ProductState::Suspended);
    }
}
