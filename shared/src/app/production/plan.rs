//! Planning: a paid bill's lines as units of work (`{line}#{n}`, `support#0`), each for one
//! person, with the dates a purchase gives. Pure: no store, no Moodle.

use super::*;

/// Who receives a unit.
#[derive(Clone, Debug)]
pub(super) struct Person {
    pub(super) email: String,
    pub(super) firstname: String,
    pub(super) lastname: String,
}

/// A unit's work, before any Moodle id is known.
pub(super) enum Work {
    /// The buyer in the shop's customer support course: not a product, never revoked.
    Support(CourseRef),
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

pub(super) struct Unit {
    pub(super) key: UnitKey,
    pub(super) line: usize,
    pub(super) item_code: String,
    pub(super) person: Person,
    pub(super) work: Work,
}

pub(super) fn event(kind: ProductEventKind, source: &str, at: DateTime<Utc>) -> ProductEvent {
    ProductEvent {
        at,
        kind,
        actor: "system".into(),
        source: Some(source.to_owned()),
        note: None,
    }
}

pub(super) fn end_of(duration: handler::Duration, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
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
pub(super) fn renewed_end(
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

/// A handler as written in the shop document: type and params.
pub(super) type RawHandler = (String, serde_json::Map<String, serde_json::Value>);

/// The units a bill makes, and the lines that cannot be planned (with why).
pub(super) fn plan(bill: &Bill, shop: &Shop) -> (Vec<Unit>, Vec<(UnitKey, DeliveryProblem)>) {
    let c = &bill.customer;
    let buyer = Person {
        email: c.email.to_string(),
        firstname: c.firstname.clone(),
        lastname: c.lastname.clone(),
    };
    let mut units = Vec::new();
    let mut problems = Vec::new();
    if let Some(course) = shop.customer_support_course.clone() {
        units.push(Unit {
            key: UnitKey::SUPPORT,
            line: usize::MAX,
            item_code: String::new(),
            person: buyer.clone(),
            work: Work::Support(course),
        });
    }
    for (i, line) in bill.lines.iter().enumerate() {
        let bundle = line.item.item_kind() == ItemKind::Bundle;
        for (part, (code, quantity, handler)) in parts(line, shop).into_iter().enumerate() {
            let Some((kind, params)) = handler else {
                continue;
            };
            let line = LineRef {
                bill,
                line,
                index: i,
                part: bundle.then_some(part),
                code: &code,
                quantity,
            };
            match HandlerSpec::parse(&kind, &params) {
                Ok(spec) => units.extend(line_units(&line, &spec, &buyer)),
                Err(e) => problems.push((line.key(0), DeliveryProblem::bad_handler(e.to_string()))),
            }
        }
    }
    (units, problems)
}

impl Producer {
    /// The shop a bill is produced for, with the items its plan reads: its bundles' parts (a
    /// line's own handler is in the bill's snapshot of the item), never the whole catalogue.
    pub(super) async fn shop_of(&self, bill: &Bill) -> Result<Shop, AppError> {
        let parts = part_codes(bill);
        let shop = repo::load_shop(self.store(), &bill.shop, repo::Items::Only(&parts)).await?;
        Ok(shop.shop)
    }
}

fn part_codes(bill: &Bill) -> Vec<ItemCode> {
    bill.lines
        .iter()
        .filter(|l| l.item.item_kind() == ItemKind::Bundle)
        .flat_map(|l| l.item.parts.iter().filter_map(|p| p.code.parse().ok()))
        .collect()
}

/// What a line delivers: itself, or for a bundle each part (with its handler as the shop has
/// it now) times the line's quantity.
pub(super) fn parts(line: &BillLine, shop: &Shop) -> Vec<(String, u32, Option<RawHandler>)> {
    if line.item.item_kind() != ItemKind::Bundle {
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
pub(super) fn participants(bill: &Bill, line: &BillLine) -> Vec<(Person, Option<Role>)> {
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
pub(super) struct LineRef<'a> {
    pub(super) bill: &'a Bill,
    pub(super) line: &'a BillLine,
    pub(super) index: usize,
    /// The bundle part being planned, for a bundle's line.
    pub(super) part: Option<usize>,
    pub(super) code: &'a str,
    pub(super) quantity: u32,
}

impl LineRef<'_> {
    pub(super) fn key(&self, n: usize) -> UnitKey {
        UnitKey {
            line: Some(self.index),
            part: self.part,
            n,
        }
    }

    pub(super) fn unit(&self, n: usize, person: Person, work: Work) -> Unit {
        Unit {
            key: self.key(n),
            line: self.index,
            item_code: self.code.to_owned(),
            person,
            work,
        }
    }

    /// A required-data value of unit `n`, when filled.
    pub(super) fn form(&self, n: usize, field: &str) -> Option<String> {
        self.line
            .required_data
            .get(n)
            .and_then(|f| f.get(field))
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }
}

pub(super) fn line_units(l: &LineRef<'_>, spec: &HandlerSpec, buyer: &Person) -> Vec<Unit> {
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
        HandlerSpec::CourseSession(s) => session_units(l, s, &named, buyer),
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
                // Moodle refuses a category name over 255 characters (`categorytoolong`);
                // a text field takes 1,000: the name is cut rather than the delivery failed.
                let name = l
                    .form(n, "category_name")
                    .unwrap_or_else(|| format!("{} {}", buyer.firstname, buyer.lastname))
                    .chars()
                    .take(255)
                    .collect();
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

/// A session's units: one per participant named (with the role chosen for them), and one
/// for the buyer as supervisor unless they take part themselves.
fn session_units(
    l: &LineRef<'_>,
    s: &handler::Session,
    named: &[(Person, Option<Role>)],
    buyer: &Person,
) -> Vec<Unit> {
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
        .map(|(n, (person, role))| l.unit(n, person.clone(), work(role.unwrap_or(Role::Student))))
        .collect();
    let takes_part = named
        .iter()
        .any(|(p, _)| p.email.eq_ignore_ascii_case(&buyer.email));
    if let Some(role) = s.supervisor_role.filter(|_| !takes_part) {
        units.push(l.unit(named.len(), buyer.clone(), work(role)));
    }
    units
}

pub(super) fn enrol_work(e: &handler::Enrol) -> Work {
    Work::Enrol {
        course: e.course.clone(),
        role: e.role,
        duration: e.duration(),
        group: e.group_per_customer,
        context: ProductContext::UserEnrolment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    pub(super) fn at(date: &str) -> DateTime<Utc> {
        format!("{date}T12:00:00Z").parse().unwrap()
    }

    #[test]
    pub(super) fn buying_a_held_enrolment_again_never_shortens_it() {
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
