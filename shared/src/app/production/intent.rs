//! A unit's intent: the Moodle ids looked up and the dates and names fixed at the first
//! delivery, so that every later delivery repeats the identical calls.

use super::*;

/// The Moodle users one production run has resolved, by lower-cased email: a bill's buyer and
/// participants are looked up (or created) once per bill, not once per unit.
#[derive(Default)]
pub(super) struct KnownUsers(pub(super) BTreeMap<String, u64>);

impl KnownUsers {
    /// The person's Moodle user id; the buyer's is linked to their customer record once.
    pub(super) async fn id(
        &mut self,
        producer: &Producer,
        bill: &Bill,
        p: &Person,
    ) -> Result<u64, Failure> {
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
            crate::app::customers::link_moodle_user(
                producer.store(),
                shop,
                &bill.customer,
                &user,
                now,
            )
            .await?;
        }
        self.0.insert(known, userid);
        Ok(userid)
    }
}

/// The Moodle `timestart` of an enrolment that begins now: 100 s in the past, because Moodle
/// lists a user's courses (`core_enrol_get_users_courses`, the dashboard) only once their
/// start is before "now" rounded down to 100 s; a buyer looking at once must see the course.
pub(super) fn starts_now(now: DateTime<Utc>) -> i64 {
    now.timestamp() - 100
}

/// A unit's intent in the making: what every kind of work starts from.
struct Draft<'a> {
    bill: &'a Bill,
    unit: &'a Unit,
    userid: u64,
    now: DateTime<Utc>,
    product: ProductInstance,
    /// The product is an instance already held, extended.
    extends: bool,
}

/// The product instance a unit will leave, before its kind of work fills it in.
fn new_product(bill: &Bill, unit: &Unit, now: DateTime<Utc>) -> ProductInstance {
    ProductInstance {
        reference: ProductRef::random(),
        shop: bill.shop.clone(),
        item_code: unit.item_code.clone(),
        bill: bill.id.clone(),
        line: unit.line,
        customer_email: bill.customer.email.normalized(),
        user_email: unit.person.email.to_lowercase(),
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
    }
}

/// A new course category, its buyer given the handler's role in it.
fn new_category(d: &mut Draft<'_>, spec: &handler::NewCategory, name: &str) -> Action {
    d.product.context = ProductContext::Coursecat;
    Action::CreateCategory {
        category: CategorySpec {
            name: name.to_owned(),
            parent: spec.parent,
            idnumber: format!("shop-{}", d.product.reference),
        },
        userid: d.userid,
        roleid: spec.role.id(),
    }
}

impl Producer {
    /// The unit's intent: Moodle ids looked up now, dates and names fixed now.
    pub(super) async fn intent(
        &self,
        bill: &Bill,
        unit: &Unit,
        users: &mut KnownUsers,
    ) -> Result<UnitRecord, Failure> {
        let now = self.desk.clock.now();
        let userid = users.id(self, bill, &unit.person).await?;
        if let Work::Support(course) = &unit.work {
            let courseid = self.course(course).await?;
            let enrol = EnrolIntent {
                roleid: Role::Student.id(),
                userid,
                courseid,
                timestart: 0,
                timeend: 0,
                suspend: false,
            };
            let action = Action::Enrol { enrol, group: None };
            return Ok(UnitRecord::intent(action, None, false));
        }
        let mut d = Draft {
            bill,
            unit,
            userid,
            now,
            product: new_product(bill, unit, now),
            extends: false,
        };
        let action = match &unit.work {
            Work::Support(_) => unreachable!("handled above"),
            Work::Enrol {
                course,
                role,
                duration,
                group,
                context,
            } => {
                let enrol = self.enrolment(&mut d, course, *role, *duration).await?;
                d.product.context = *context;
                Action::Enrol {
                    enrol,
                    group: group.then(|| bill.customer.email.normalized()),
                }
            }
            Work::Extend { course, role, days } => {
                let enrol = self.extension(&mut d, course, *role, *days).await?;
                Action::Enrol { enrol, group: None }
            }
            Work::AssignRole(a) => {
                d.product.context = ProductContext::RoleAssignment;
                d.product.instance_id = Some(a.instance_id);
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
            } => self.seat(&mut d, courses, *role, *days).await?,
            Work::Course { spec, fullname } => self.new_course(&mut d, spec, fullname).await?,
            Work::Category { spec, name } => new_category(&mut d, spec, name),
            Work::Credits(credits) => {
                d.product.context = ProductContext::Credits;
                d.product.credits = Some(*credits);
                Action::Record
            }
        };
        Ok(UnitRecord::intent(action, Some(d.product), d.extends))
    }

    /// An enrolment for a period: buying a course already held never cuts what was paid
    /// (Moodle overwrites an enrolment's dates), so the new period runs on from the current end.
    async fn enrolment(
        &self,
        d: &mut Draft<'_>,
        course: &CourseRef,
        role: Role,
        duration: handler::Duration,
    ) -> Result<EnrolIntent, Failure> {
        let courseid = self.course(course).await?;
        let held = self
            .enrolment_product(d.bill, &d.unit.person.email, courseid)
            .await?
            // Held from an earlier bill: units of this bill are one purchase.
            .filter(|h| {
                h.bill != d.bill.id && h.status != ProductStatus::Suspended && h.enrolment.is_some()
            });
        let timeend = match &held {
            Some(h) => renewed_end(h.end, duration, d.now),
            None => end_of(duration, d.now),
        };
        let timestart = held
            .and_then(|h| h.enrolment)
            .map_or(starts_now(d.now), |e| e.timestart.min(starts_now(d.now)));
        let enrol = EnrolIntent {
            roleid: role.id(),
            userid: d.userid,
            courseid,
            timestart,
            timeend: timeend.map_or(0, |e| e.timestamp()),
            suspend: false,
        };
        d.product.instance_id = Some(courseid);
        d.product.end = timeend;
        d.product.enrolment = Some(enrol);
        Ok(enrol)
    }

    /// An extension: the held enrolment runs `days` more from its end (or from now when it
    /// has passed), recorded on the held product instance.
    async fn extension(
        &self,
        d: &mut Draft<'_>,
        course: &CourseRef,
        role: Role,
        days: i64,
    ) -> Result<EnrolIntent, Failure> {
        let courseid = self.course(course).await?;
        let current = self
            .enrolment_product(d.bill, &d.unit.person.email, courseid)
            .await?;
        let base = current
            .as_ref()
            .and_then(|c| c.end)
            .map_or(d.now, |end| end.max(d.now));
        let end = base + chrono::Duration::days(days);
        let timestart = current
            .as_ref()
            .and_then(|c| c.enrolment)
            .map_or(starts_now(d.now), |e| e.timestart);
        let enrol = EnrolIntent {
            roleid: role.id(),
            userid: d.userid,
            courseid,
            timestart,
            timeend: end.timestamp(),
            suspend: false,
        };
        if let Some(current) = current {
            d.product.reference = current.reference;
            d.extends = true;
        }
        d.product.instance_id = Some(courseid);
        d.product.end = Some(end);
        d.product.enrolment = Some(enrol);
        Ok(enrol)
    }

    /// A seat: the courses it may be used in, recorded for its customer to assign.
    async fn seat(
        &self,
        d: &mut Draft<'_>,
        courses: &[CourseRef],
        role: Role,
        days: Option<u32>,
    ) -> Result<Action, Failure> {
        let mut ids = Vec::new();
        for c in courses {
            ids.push(self.course(c).await?);
        }
        d.product.context = ProductContext::Seat;
        d.product.allowed_courses = ids;
        d.product.seat = Some(SeatTerms {
            roleid: role.id(),
            duration_days: days,
            holder: None,
        });
        Ok(Action::Record)
    }

    /// A new course, its buyer enrolled with the handler's role once it exists.
    async fn new_course(
        &self,
        d: &mut Draft<'_>,
        spec: &handler::NewCourse,
        fullname: &str,
    ) -> Result<Action, Failure> {
        let template = match &spec.template {
            Some(t) => Some(self.course(t).await?),
            None => None,
        };
        let owner = EnrolIntent {
            roleid: spec.role.id(),
            userid: d.userid,
            courseid: 0,
            timestart: starts_now(d.now),
            timeend: 0,
            suspend: false,
        };
        d.product.context = ProductContext::Course;
        d.product.enrolment = Some(owner);
        Ok(Action::CreateCourse {
            course: CourseSpec {
                // Unique, and the same on every delivery: found instead of made twice.
                shortname: format!(
                    "{}-{}",
                    d.unit.item_code,
                    &d.product.reference.as_str()[..9]
                ),
                fullname: fullname.to_owned(),
                categoryid: spec.category_id,
                template,
            },
            owner,
        })
    }

    pub(super) async fn course(&self, course: &CourseRef) -> Result<u64, Failure> {
        let (field, value) = match course {
            CourseRef::Id(id) => return Ok(*id),
            CourseRef::Shortname(s) => ("shortname", s),
            CourseRef::Idnumber { idnumber } => ("idnumber", idnumber),
        };
        self.lms
            .course_id(field, value)
            .await?
            .ok_or_else(|| Failure::NeedsOperator(DeliveryProblem::course_not_found(field, value)))
    }

    /// The customer's enrolment instance for this user and course with the latest end (an
    /// unlimited one first), to extend it.
    pub(super) async fn enrolment_product(
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
