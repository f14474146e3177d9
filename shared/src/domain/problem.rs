//! Why a unit of a bill was not delivered, in a form every page and message can say in its
//! own language: a code, the parameters it needs, and what the other side said as it said it.

use serde::{Deserialize, Serialize};

super::names! {
    /// A [`DeliveryProblem`]'s code.
    ProblemCode {
        MoodleRefused = "moodle_refused",
        MoodleUnexpected = "moodle_unexpected",
        CourseNotFound = "course_not_found",
        GaveUp = "gave_up",
        BadHandler = "bad_handler",
        NoIntent = "no_intent",
    }
}

/// Why a unit was not delivered. Built only by its constructors, which set the fields its code
/// needs; stored on the unit's production record and sent as is (a flat struct: a tagged enum
/// costs every function that reads bills tens of KB, see `CauseWire`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryProblem {
    code: ProblemCode,
    /// Moodle's error code (`nopermissions`), when Moodle refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    moodle_code: Option<String>,
    /// The course field looked up (`shortname`, `idnumber`), when no course matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// The value looked up in that field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    /// What the other side said, as it said it (Moodle's message, the network's error):
    /// never translated, for the operator who must find the cause.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    detail: String,
}

impl DeliveryProblem {
    fn new(code: ProblemCode, detail: String) -> Self {
        Self {
            code,
            moodle_code: None,
            field: None,
            value: None,
            detail,
        }
    }

    /// Moodle answered the call with one of its errors.
    pub fn moodle_refused(moodle_code: String, message: String) -> Self {
        Self {
            moodle_code: Some(moodle_code),
            ..Self::new(ProblemCode::MoodleRefused, message)
        }
    }

    /// Moodle answered, but not with anything the shop can read (an HTTP error, a broken body).
    pub fn moodle_unexpected(detail: String) -> Self {
        Self::new(ProblemCode::MoodleUnexpected, detail)
    }

    /// No Moodle course has this value in this field (the item names a course that is gone).
    pub fn course_not_found(field: &str, value: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            value: Some(value.to_owned()),
            ..Self::new(ProblemCode::CourseNotFound, String::new())
        }
    }

    /// The queue's last delivery failed too (Moodle or the store unavailable all along).
    pub fn gave_up(reason: &str) -> Self {
        Self::new(ProblemCode::GaveUp, reason.to_owned())
    }

    /// The item's handler cannot be read as one the shop knows.
    pub fn bad_handler(error: String) -> Self {
        Self::new(ProblemCode::BadHandler, error)
    }

    /// A unit whose record has no intent to repeat.
    pub fn no_intent() -> Self {
        Self::new(ProblemCode::NoIntent, String::new())
    }

    pub fn code(&self) -> ProblemCode {
        self.code
    }

    pub fn moodle_code(&self) -> Option<&str> {
        self.moodle_code.as_deref()
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The course looked up: its field and value.
    pub fn course(&self) -> Option<(&str, &str)> {
        Some((self.field.as_deref()?, self.value.as_deref()?))
    }

    /// The problem in English, for the API's `error`, logs and older readers.
    pub fn english(&self) -> String {
        let detail = &self.detail;
        match self.code {
            ProblemCode::MoodleRefused => {
                let code = self.moodle_code.as_deref().unwrap_or_default();
                format!("Moodle error {code}: {detail}")
            }
            ProblemCode::MoodleUnexpected => format!("unexpected answer from Moodle: {detail}"),
            ProblemCode::CourseNotFound => {
                let (field, value) = self.course().unwrap_or_default();
                format!("no course with {field} `{value}` in Moodle")
            }
            ProblemCode::GaveUp => format!("gave up after repeated failures: {detail}"),
            ProblemCode::BadHandler => format!("handler: {detail}"),
            ProblemCode::NoIntent => "no intent recorded".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_keeps_moodles_code_and_words_apart_and_says_both_in_english() {
        let p =
            DeliveryProblem::moodle_refused("nopermissions".into(), "Sorry (Enrol users)".into());
        let wire = serde_json::to_value(&p).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({"code": "moodle_refused", "moodle_code": "nopermissions", "detail": "Sorry (Enrol users)"})
        );
        assert_eq!(serde_json::from_value::<DeliveryProblem>(wire).unwrap(), p);
        assert_eq!(
            p.english(),
            "Moodle error nopermissions: Sorry (Enrol users)"
        );
    }

    #[test]
    fn a_missing_course_names_the_field_and_value_looked_up() {
        let p = DeliveryProblem::course_not_found("shortname", "SOON-101");
        assert_eq!(p.course(), Some(("shortname", "SOON-101")));
        assert_eq!(p.english(), "no course with shortname `SOON-101` in Moodle");
        let wire = serde_json::to_value(&p).unwrap();
        assert_eq!(wire["code"], "course_not_found");
        assert!(wire.get("detail").is_none() && wire.get("moodle_code").is_none());
    }
}
