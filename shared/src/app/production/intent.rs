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
    ) -> Result<u64, LmsError> {
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

/// The Moodle `timestart` of an enrolment that begins now: 100 s in the past, because Moodle
/// lists a user's courses (`core_enrol_get_users_courses`, the dashboard) only once their
/// start is before "now" rounded down to 100 s; a buyer looking at once must see the course.
pub(super) fn starts_now(now: DateTime<Utc>) -> i64 {
    now.timestamp() - 100
}

pub(super) fn not_found(what: &str) -> LmsError {
    LmsError {
        retryable: false,
        message: format!("no {what} in Moodle"),
    }
}

impl Producer {
    /// The unit's intent: Moodle ids looked up now, dates and names fixed now.
    pub(super) async fn intent(
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

    pub(super) async fn course(&self, course: &CourseRef) -> Result<u64, LmsError> {
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
