//! Production handlers (ARCHITECTURE.md, "Exactly-once production"): what a sold item delivers in Moodle, with typed,
//! validated parameters. An item's `handler` is parsed here at shop import, so a shop with an
//! unknown handler type or a bad parameter is refused before anything is sold.
//!
//! Names follow the issue; local_shop's names are in brackets. `setup_course_session` is
//! accepted as another name of `course_session`.

use std::num::NonZeroU32;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value, json};

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
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            CourseRef::Id(0) => Err("course 0 does not exist".into()),
            CourseRef::Id(1) => Err("course 1 is the site front page: nobody enrols there".into()),
            CourseRef::Shortname(s) | CourseRef::Idnumber { idnumber: s }
                if s.trim().is_empty() =>
            {
                Err("the course must not be empty".into())
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

    fn check(&self) -> Result<(), String> {
        self.course.check()?;
        if self.duration_days.is_some() && self.end_date.is_some() {
            return Err("give `duration_days` or `end_date`, not both".into());
        }
        if !self.role.assignable_in_course() {
            return Err(format!(
                "role `{}` cannot be given in a course",
                self.role.as_str()
            ));
        }
        Ok(())
    }
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
    pub fn parse(kind: &str, params: &Map<String, Value>) -> Result<Self, String> {
        let spec: HandlerSpec = serde_json::from_value(json!({"type": kind, "params": params}))
            .map_err(|e| e.to_string())?;
        spec.check()?;
        Ok(spec)
    }

    fn check(&self) -> Result<(), String> {
        match self {
            HandlerSpec::EnrolOneCourse(e) | HandlerSpec::EnrolMultiple(e) => e.check(),
            HandlerSpec::AssignRole(a) => match a.context {
                ContextLevel::System if a.instance_id != 0 => {
                    Err("the system context has `instance_id` 0".into())
                }
                ContextLevel::Course | ContextLevel::Coursecat if a.instance_id == 0 => {
                    Err("give the course or category `instance_id`".into())
                }
                ContextLevel::Course if !a.role.assignable_in_course() => Err(format!(
                    "role `{}` cannot be given in a course",
                    a.role.as_str()
                )),
                ContextLevel::System | ContextLevel::Coursecat
                    if !a.role.assignable_above_courses() =>
                {
                    Err(format!(
                        "role `{}` can only be given in a course",
                        a.role.as_str()
                    ))
                }
                _ => Ok(()),
            },
            HandlerSpec::ExtendEnrolment(x) => x.course.check(),
            HandlerSpec::GenerateSeats(s) => {
                if s.courses.is_empty() {
                    return Err("give at least one course in `courses`".into());
                }
                s.courses.iter().try_for_each(CourseRef::check)
            }
            HandlerSpec::CourseSession(s) => {
                if s.duration_days.is_some() && s.end_date.is_some() {
                    return Err("give `duration_days` or `end_date`, not both".into());
                }
                s.course.check()
            }
            HandlerSpec::CreateCourse(c) => {
                if !c.role.assignable_in_course() {
                    return Err(format!(
                        "role `{}` cannot be given in a course",
                        c.role.as_str()
                    ));
                }
                c.template.as_ref().map_or(Ok(()), CourseRef::check)
            }
            HandlerSpec::CreateCategory(c) if !c.role.assignable_above_courses() => Err(format!(
                "role `{}` cannot be given on a category",
                c.role.as_str()
            )),
            HandlerSpec::UnlockCertificate(c) => c.course.check(),
            HandlerSpec::CreateCategory(_) | HandlerSpec::AddTrainingCredits(_) => Ok(()),
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

    fn parse(kind: &str, params: Value) -> Result<HandlerSpec, String> {
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

    #[test]
    fn bad_handlers_are_refused_with_the_reason() {
        let refused = |kind: &str, params: Value, why: &str| {
            let e = parse(kind, params).unwrap_err();
            assert!(e.contains(why), "{kind}: {e}");
        };
        refused("teleport", json!({}), "unknown variant `teleport`");
        refused("enrol_one_course", json!({}), "missing field `course`");
        refused(
            "enrol_one_course",
            json!({"course": 3, "colour": 1}),
            "unknown field `colour`",
        );
        refused("enrol_one_course", json!({"course": 1}), "front page");
        refused(
            "enrol_one_course",
            json!({"course": 3, "role": "boss"}),
            "unknown variant `boss`",
        );
        refused(
            "enrol_one_course",
            json!({"course": 3, "duration_days": 0}),
            "nonzero",
        );
        refused(
            "enrol_one_course",
            json!({"course": 3, "duration_days": 5, "end_date": "2027-01-01"}),
            "not both",
        );
        refused(
            "generate_seats",
            json!({"courses": []}),
            "at least one course",
        );
        refused("create_category", json!({"role": "student"}), "category");
        refused(
            "assign_role",
            json!({"role": "student", "context": "system"}),
            "only be given in a course",
        );
        refused(
            "assign_role",
            json!({"role": "teacher", "context": "course"}),
            "instance_id",
        );
        refused(
            "add_training_credits",
            json!({"credits": -1}),
            "invalid value",
        );
    }
}
