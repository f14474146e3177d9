//! Production handlers (ARCHITECTURE.md, "Exactly-once production"): what a sold item delivers in Moodle, with typed,
//! validated parameters. An item's `handler` is parsed here at shop import, so a shop with an
//! unknown handler type or a bad parameter is refused before anything is sold.
//!
//! Names follow the issue; local_shop's names are in brackets. `setup_course_session` is
//! accepted as another name of `course_session`.

use std::num::NonZeroU32;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::value::MapDeserializer;
use serde_json::{Map, Value};

use crate::domain::Reason;

/// Why a shop's handler is refused: the parameter at fault and the rule broken, with a code
/// the staff's pages say in their language (`Reason`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerError {
    /// The parameter at fault as a path under `params` (`course`, `courses[1]`); `None` when
    /// the handler's type is unknown.
    pub param: Option<String>,
    pub reason: Reason,
}

impl HandlerError {
    fn at(param: &str, code: &'static str, text: impl Into<String>) -> Self {
        Self {
            param: Some(param.to_owned()),
            reason: Reason::new(code, text),
        }
    }

    fn with(mut self, name: &str, value: &str) -> Self {
        self.reason = self.reason.with(name, value);
        self
    }

    /// Sorts serde's refusal by the parameter its path names. The wording of a missing or an
    /// unknown field is serde's own (`de::Error::missing_field`, `unknown_field`).
    fn from_serde(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let text = e.inner().to_string();
        let path = e.path().to_string();
        let Some(param) = path.strip_prefix("params") else {
            return Self {
                param: None,
                reason: Reason::new("unknown_handler", text),
            };
        };
        let param = param.trim_start_matches('.');
        let quoted = |prefix: &str| {
            let rest = text.strip_prefix(prefix)?;
            Some(rest[..rest.find('`')?].to_owned())
        };
        if let Some(field) = quoted("missing field `") {
            return Self::at(&field, "required", text);
        }
        if let Some(field) = quoted("unknown field `") {
            return Self::at(param, "unknown_param", text).with("name", &field);
        }
        Self::at(param, "handler_value", text)
    }
}

/// The rule alone, for a caller that names the place itself (the support course).
impl From<HandlerError> for Reason {
    fn from(e: HandlerError) -> Self {
        e.reason
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.param {
            Some(param) => write!(f, "`{param}`: {}", self.reason.text),
            None => f.write_str(&self.reason.text),
        }
    }
}

names!(
    /// The standard Moodle roles a handler may give, with their ids on a fresh site.
    Role {
        Manager = "manager",
        Coursecreator = "coursecreator",
        Editingteacher = "editingteacher",
        Teacher = "teacher",
        Student = "student",
    }
);

impl Role {
    pub fn id(self) -> u64 {
        match self {
            Role::Manager => 1,
            Role::Coursecreator => 2,
            Role::Editingteacher => 3,
            Role::Teacher => 4,
            Role::Student => 5,
        }
    }

    /// Roles Moodle lets a web-service user give in a course (the others are refused with
    /// `wsusercannotassign`).
    pub fn assignable_in_course(self) -> bool {
        !matches!(self, Role::Coursecreator)
    }

    /// Roles that make sense on a category or the whole site.
    pub fn assignable_above_courses(self) -> bool {
        matches!(self, Role::Manager | Role::Coursecreator)
    }
}

names!(
    /// Moodle context levels a role can be assigned on.
    ContextLevel { System = "system", Coursecat = "coursecat", Course = "course" }
);

/// A Moodle course: its id, its short name, or `{"idnumber": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum CourseRef {
    Id(u64),
    Shortname(String),
    Idnumber { idnumber: String },
}

impl CourseRef {
    /// Checks the course named by the parameter `param`.
    pub(crate) fn check(&self, param: &str) -> Result<(), HandlerError> {
        match self {
            CourseRef::Id(0) => Err(HandlerError::at(
                param,
                "course_zero",
                "course 0 does not exist",
            )),
            CourseRef::Id(1) => Err(HandlerError::at(
                param,
                "front_page",
                "course 1 is the site front page: nobody enrols there",
            )),
            CourseRef::Shortname(s) | CourseRef::Idnumber { idnumber: s }
                if s.trim().is_empty() =>
            {
                Err(HandlerError::at(
                    param,
                    "required",
                    "the course must not be empty",
                ))
            }
            _ => Ok(()),
        }
    }
}

fn student() -> Role {
    Role::Student
}
fn teacher() -> Option<Role> {
    Some(Role::Teacher)
}
fn editingteacher() -> Role {
    Role::Editingteacher
}
fn manager() -> Role {
    Role::Manager
}
fn one() -> NonZeroU32 {
    NonZeroU32::MIN
}
fn default_category() -> u64 {
    1
}

/// How long an enrolment lasts: days from delivery, a fixed end date, or no end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duration {
    Unlimited,
    Days(NonZeroU32),
    Until(NaiveDate),
}

/// [std_enrolonecourse] and [std_enrolonecoursemultiple].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrol {
    #[serde(alias = "course_id")]
    pub course: CourseRef,
    #[serde(default = "student")]
    pub role: Role,
    #[serde(default)]
    pub duration_days: Option<NonZeroU32>,
    /// A fixed end date (the end of that day, UTC).
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// Puts the enrolled users in a course group named after the buying customer.
    #[serde(default)]
    pub group_per_customer: bool,
}

impl Enrol {
    pub fn duration(&self) -> Duration {
        match (self.duration_days, self.end_date) {
            (Some(d), _) => Duration::Days(d),
            (None, Some(end)) => Duration::Until(end),
            (None, None) => Duration::Unlimited,
        }
    }

    fn check(&self) -> Result<(), HandlerError> {
        self.course.check("course")?;
        days_or_end(self.duration_days, self.end_date)?;
        in_course("role", self.role)
    }
}

fn days_or_end(days: Option<NonZeroU32>, end: Option<NaiveDate>) -> Result<(), HandlerError> {
    match (days, end) {
        (Some(_), Some(_)) => Err(HandlerError::at(
            "end_date",
            "days_or_end",
            "give `duration_days` or `end_date`, not both",
        )),
        _ => Ok(()),
    }
}

/// A role given in a course (Moodle refuses the others there with `wsusercannotassign`).
fn in_course(param: &str, role: Role) -> Result<(), HandlerError> {
    if role.assignable_in_course() {
        return Ok(());
    }
    let text = format!("role `{}` cannot be given in a course", role.as_str());
    Err(HandlerError::at(param, "role_not_in_course", text).with("role", role.as_str()))
}

/// A role given on a category or the whole site.
fn above_courses(role: Role) -> Result<(), HandlerError> {
    if role.assignable_above_courses() {
        return Ok(());
    }
    let text = format!("role `{}` can only be given in a course", role.as_str());
    Err(HandlerError::at("role", "role_only_in_course", text).with("role", role.as_str()))
}

/// [std_assignroleoncontext]: a role for the buyer on a context.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRole {
    pub role: Role,
    pub context: ContextLevel,
    /// The course or category id (0 for the system context).
    #[serde(default)]
    pub instance_id: u64,
}

impl AssignRole {
    fn check(&self) -> Result<(), HandlerError> {
        let instance = |code, text: &str| Err(HandlerError::at("instance_id", code, text));
        match self.context {
            ContextLevel::System if self.instance_id != 0 => {
                instance("system_instance", "the system context has `instance_id` 0")
            }
            ContextLevel::Course | ContextLevel::Coursecat if self.instance_id == 0 => instance(
                "instance_required",
                "give the course or category `instance_id`",
            ),
            ContextLevel::Course => in_course("role", self.role),
            ContextLevel::System | ContextLevel::Coursecat => above_courses(self.role),
        }
    }
}

/// [std_extendenrolperiod / std_prorogate]: `days` × quantity more, from the current end or
/// from now when it has passed.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extend {
    #[serde(alias = "course_id")]
    pub course: CourseRef,
    #[serde(alias = "extension")]
    pub days: NonZeroU32,
    #[serde(default = "student")]
    pub role: Role,
}

/// [std_generateseats]: quantity × `pack_size` unassigned seats, each usable in one of the
/// allowed courses; assigned later from the customer area.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seats {
    pub courses: Vec<CourseRef>,
    #[serde(default = "one")]
    pub pack_size: NonZeroU32,
    #[serde(default = "student")]
    pub role: Role,
    #[serde(default)]
    pub duration_days: Option<NonZeroU32>,
}

/// [std_setuponecoursesession]: every participant of the line enrolled with their seat role,
/// and the buyer (the company contact) enrolled as the session's supervisor with
/// `supervisor_role` (`teacher` by default; `null` leaves the buyer out), as local_shop does.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    #[serde(default = "teacher")]
    pub supervisor_role: Option<Role>,
    #[serde(alias = "course_id")]
    pub course: CourseRef,
    #[serde(default)]
    pub duration_days: Option<NonZeroU32>,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub group_per_customer: bool,
}

/// [std_createcourse]: a new course, copied from a template course or empty; the buyer gets
/// `role` in it. Its full name is the unit's `course_name` required field when the item asks
/// for one, else the item's name and the buyer's name.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCourse {
    #[serde(default)]
    pub template: Option<CourseRef>,
    #[serde(default = "default_category")]
    pub category_id: u64,
    #[serde(default = "editingteacher")]
    pub role: Role,
}

/// [std_createcategory]: a new category (named by the unit's `category_name` field, else after
/// the buyer) under `parent` (0: top level); the buyer gets `role` on it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    #[serde(default)]
    pub parent: u64,
    #[serde(default = "manager")]
    pub role: Role,
}

/// [std_unlockpdcertificate]: Moodle has no web-service function to issue a certificate, so the
/// candidate is enrolled in the course that holds the certificate activity and the unlock is
/// recorded as a `certificate` product.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    #[serde(alias = "course_id")]
    pub course: CourseRef,
}

/// [std_addtrainingcredits]: `credits` × quantity training credits, kept in the shop's own
/// records (Moodle has no notion of them).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credits {
    pub credits: NonZeroU32,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", content = "params", rename_all = "snake_case")]
pub enum HandlerSpec {
    EnrolOneCourse(Enrol),
    EnrolMultiple(Enrol),
    AssignRole(AssignRole),
    ExtendEnrolment(Extend),
    GenerateSeats(Seats),
    #[serde(alias = "setup_course_session")]
    CourseSession(Session),
    CreateCourse(NewCourse),
    CreateCategory(NewCategory),
    UnlockCertificate(Certificate),
    AddTrainingCredits(Credits),
}

impl HandlerSpec {
    /// Parses and checks a handler as written in a shop document.
    pub fn parse(kind: &str, params: &Map<String, Value>) -> Result<Self, HandlerError> {
        // The type before the parameters, so that serde reads them knowing the variant and the
        // path of a refusal names the parameter (buffered parameters would lose it).
        let fields = [
            ("type", Value::from(kind)),
            ("params", Value::Object(params.clone())),
        ];
        let de = MapDeserializer::<_, serde_json::Error>::new(fields.into_iter());
        let spec: HandlerSpec =
            serde_path_to_error::deserialize(de).map_err(HandlerError::from_serde)?;
        spec.check()?;
        Ok(spec)
    }

    fn check(&self) -> Result<(), HandlerError> {
        match self {
            HandlerSpec::EnrolOneCourse(e) | HandlerSpec::EnrolMultiple(e) => e.check(),
            HandlerSpec::AssignRole(a) => a.check(),
            HandlerSpec::ExtendEnrolment(x) => {
                x.course.check("course")?;
                in_course("role", x.role)
            }
            HandlerSpec::GenerateSeats(s) => {
                if s.courses.is_empty() {
                    let text = "give at least one course in `courses`";
                    return Err(HandlerError::at("courses", "at_least_one_course", text));
                }
                for (i, course) in s.courses.iter().enumerate() {
                    course.check(&format!("courses[{i}]"))?;
                }
                in_course("role", s.role)
            }
            HandlerSpec::CourseSession(s) => {
                s.course.check("course")?;
                days_or_end(s.duration_days, s.end_date)?;
                s.supervisor_role
                    .map_or(Ok(()), |r| in_course("supervisor_role", r))
            }
            HandlerSpec::CreateCourse(c) => {
                if let Some(template) = &c.template {
                    template.check("template")?;
                }
                in_course("role", c.role)
            }
            HandlerSpec::CreateCategory(c) => above_courses(c.role),
            HandlerSpec::UnlockCertificate(c) => c.course.check("course"),
            HandlerSpec::AddTrainingCredits(_) => Ok(()),
        }
    }

    /// The Moodle courses the handler names, each with the parameter naming it (a path under
    /// `params`), for a check that Moodle has them.
    pub fn courses(&self) -> Vec<(String, CourseRef)> {
        let one = |course: &CourseRef| vec![("course".to_owned(), course.clone())];
        match self {
            HandlerSpec::EnrolOneCourse(e) | HandlerSpec::EnrolMultiple(e) => one(&e.course),
            HandlerSpec::CourseSession(s) => one(&s.course),
            HandlerSpec::ExtendEnrolment(x) => one(&x.course),
            HandlerSpec::UnlockCertificate(c) => one(&c.course),
            HandlerSpec::GenerateSeats(s) => (s.courses.iter().enumerate())
                .map(|(i, c)| (format!("courses[{i}]"), c.clone()))
                .collect(),
            HandlerSpec::CreateCourse(c) => (c.template.iter())
                .map(|t| ("template".to_owned(), t.clone()))
                .collect(),
            HandlerSpec::AssignRole(a) if a.context == ContextLevel::Course => {
                vec![("instance_id".to_owned(), CourseRef::Id(a.instance_id))]
            }
            HandlerSpec::AssignRole(_)
            | HandlerSpec::CreateCategory(_)
            | HandlerSpec::AddTrainingCredits(_) => Vec::new(),
        }
    }

    /// Whether the handler delivers one unit per participant (their seats), not per unit bought.
    pub fn uses_participants(&self) -> bool {
        matches!(self, HandlerSpec::CourseSession(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(kind: &str, params: Value) -> Result<HandlerSpec, HandlerError> {
        HandlerSpec::parse(kind, params.as_object().unwrap())
    }

    #[test]
    fn a_session_is_supervised_by_the_buyer_as_teacher_unless_told_otherwise() {
        let supervisor = |params| match parse("course_session", params) {
            Ok(HandlerSpec::CourseSession(s)) => s.supervisor_role,
            other => panic!("{other:?}"),
        };
        assert_eq!(supervisor(json!({"course_id": 4})), Some(Role::Teacher));
        assert_eq!(
            supervisor(json!({"course_id": 4, "supervisor_role": "editingteacher"})),
            Some(Role::Editingteacher)
        );
        assert_eq!(
            supervisor(json!({"course_id": 4, "supervisor_role": null})),
            None
        );
    }

    #[test]
    fn every_handler_parses_with_its_defaults() {
        let e = parse(
            "enrol_one_course",
            json!({"course_id": 3, "duration_days": 365}),
        )
        .unwrap();
        let HandlerSpec::EnrolOneCourse(e) = e else {
            panic!("{e:?}")
        };
        assert_eq!(e.course, CourseRef::Id(3));
        assert_eq!(e.role, Role::Student);
        assert_eq!(e.duration(), Duration::Days(NonZeroU32::new(365).unwrap()));
        assert!(matches!(
            parse("setup_course_session", json!({"course": "SAFETY"})),
            Ok(HandlerSpec::CourseSession(_))
        ));
        assert!(matches!(
            parse("extend_enrolment", json!({"course": {"idnumber": "X1"}, "extension": 30})),
            Ok(HandlerSpec::ExtendEnrolment(Extend { days, .. })) if days.get() == 30
        ));
        assert!(
            parse(
                "generate_seats",
                json!({"courses": [3, "EXCEL"], "pack_size": 5})
            )
            .is_ok()
        );
        assert!(parse("create_course", json!({"template": 3})).is_ok());
        assert!(parse("create_category", json!({})).is_ok());
        assert!(
            parse(
                "assign_role",
                json!({"role": "coursecreator", "context": "system"})
            )
            .is_ok()
        );
        assert!(parse("unlock_certificate", json!({"course_id": 6})).is_ok());
        assert!(parse("add_training_credits", json!({"credits": 2})).is_ok());
    }

    /// Each refusal names the parameter at fault and a code the staff's pages translate.
    #[test]
    fn bad_handlers_are_refused_at_their_parameter_with_a_code() {
        let refused = |kind: &str, params: Value, param: Option<&str>, code: &str, why: &str| {
            let e = parse(kind, params).unwrap_err();
            assert_eq!(
                (e.param.as_deref(), e.reason.code),
                (param, code),
                "{kind}: {e}"
            );
            assert!(e.to_string().contains(why), "{kind}: {e}");
            e
        };
        refused(
            "teleport",
            json!({}),
            None,
            "unknown_handler",
            "unknown variant `teleport`",
        );
        refused(
            "enrol_one_course",
            json!({}),
            Some("course"),
            "required",
            "missing field `course`",
        );
        let unknown = refused(
            "enrol_one_course",
            json!({"course": 3, "colour": 1}),
            Some("colour"),
            "unknown_param",
            "unknown field `colour`",
        );
        assert_eq!(unknown.reason.params["name"], "colour");
        refused(
            "enrol_one_course",
            json!({"course": 1}),
            Some("course"),
            "front_page",
            "front page",
        );
        refused(
            "unlock_certificate",
            json!({"course": 0}),
            Some("course"),
            "course_zero",
            "course 0",
        );
        refused(
            "enrol_one_course",
            json!({"course": " "}),
            Some("course"),
            "required",
            "empty",
        );
        refused(
            "enrol_one_course",
            json!({"course": 3, "role": "boss"}),
            Some("role"),
            "handler_value",
            "unknown variant `boss`",
        );
        refused(
            "enrol_one_course",
            json!({"course": 3, "duration_days": 0}),
            Some("duration_days"),
            "handler_value",
            "nonzero",
        );
        refused(
            "course_session",
            json!({"course": 3, "duration_days": 5, "end_date": "2027-01-01"}),
            Some("end_date"),
            "days_or_end",
            "not both",
        );
        refused(
            "generate_seats",
            json!({"courses": []}),
            Some("courses"),
            "at_least_one_course",
            "at least one course",
        );
        refused(
            "generate_seats",
            json!({"courses": [3, 1]}),
            Some("courses[1]"),
            "front_page",
            "front page",
        );
        refused(
            "generate_seats",
            json!({"courses": [3, 0.5]}),
            Some("courses[1]"),
            "handler_value",
            "",
        );
        let role = refused(
            "create_category",
            json!({"role": "student"}),
            Some("role"),
            "role_only_in_course",
            "only be given in a course",
        );
        assert_eq!(role.reason.params["role"], "student");
        refused(
            "course_session",
            json!({"course": 3, "supervisor_role": "coursecreator"}),
            Some("supervisor_role"),
            "role_not_in_course",
            "cannot be given in a course",
        );
        refused(
            "assign_role",
            json!({"role": "student", "context": "system"}),
            Some("role"),
            "role_only_in_course",
            "only be given in a course",
        );
        refused(
            "assign_role",
            json!({"role": "manager", "context": "system", "instance_id": 4}),
            Some("instance_id"),
            "system_instance",
            "instance_id",
        );
        refused(
            "assign_role",
            json!({"role": "teacher", "context": "course"}),
            Some("instance_id"),
            "instance_required",
            "instance_id",
        );
        refused(
            "add_training_credits",
            json!({"credits": -1}),
            Some("credits"),
            "handler_value",
            "invalid value",
        );
    }
}
