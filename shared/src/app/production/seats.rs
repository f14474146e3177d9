//! Seats: Moodle brought in line with the seats as their customer assigned them.

use super::*;

impl Producer {
    /// Brings Moodle in line with the bill's seats as their customer assigned them: a holder
    /// without an active enrolment is enrolled (dates fixed at assignment), a seat given back
    /// has its enrolment suspended. Every call is idempotent, so a redelivery is harmless.
    pub(super) async fn reconcile_seats(&self, bill: &BillId) -> Result<Produced, Retry> {
        let records = self
            .store()
            .query(&Query::partition(crate::app::keys::units(bill)))
            .await?;
        let references = records.iter().filter_map(|r| {
            let unit = parse_record(&r.item.body).ok()?;
            let product = unit.product?;
            (product.context == ProductContext::Seat).then_some(product.reference)
        });
        let mut problems = Vec::new();
        for reference in references {
            let outcome = self.reconcile_seat(&reference).await;
            collect(outcome, &reference, &mut problems)?;
        }
        Ok(if problems.is_empty() {
            Produced::Complete
        } else {
            Produced::Incomplete(problems)
        })
    }

    /// The messages of a seat just given: its holder's, and the buyer's copy.
    async fn seat_letters(
        &self,
        seat: &ProductInstance,
        holder: &crate::domain::product::SeatHolder,
        username: String,
    ) -> Result<Vec<Write>, Failure> {
        let bill = self.desk.load(&seat.bill).await?.value;
        let note = crate::app::mail::SeatNote {
            holder_email: holder.email.clone(),
            holder_name: format!("{} {}", holder.firstname, holder.lastname),
            username,
            course_id: holder.course,
            line: seat.line,
            start: holder.assigned_at,
            end: seat.end,
        };
        let now = self.desk.clock.now();
        let reference = seat.reference.to_string();
        Ok(crate::app::mail::seat_letters(
            &bill, &reference, &note, now,
        ))
    }

    pub(super) async fn reconcile_seat(&self, reference: &ProductRef) -> Result<(), Failure> {
        let Some(Versioned {
            value: mut seat,
            version,
        }) = products::find(self.store(), reference).await?
        else {
            return Ok(());
        };
        let Some(terms) = seat.seat.clone() else {
            return Ok(());
        };
        let mut username = None;
        let wanted = match &terms.holder {
            Some(h) => {
                let user = self
                    .lms
                    .find_or_create_user(&h.email, &h.firstname, &h.lastname)
                    .await?;
                let userid = user.id;
                username = Some(user.username);
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
            return Ok(());
        };
        if seat.enrolment == Some(wanted) {
            return Ok(());
        }
        // A seat moved to someone else: the previous holder's enrolment is suspended first.
        if let Some(old) = seat.enrolment
            && (old.userid != wanted.userid || old.courseid != wanted.courseid)
            && !old.suspend
        {
            let suspended = EnrolIntent {
                suspend: true,
                ..old
            };
            self.lms.enrol(&suspended).await?;
        }
        self.lms.enrol(&wanted).await?;
        seat.enrolment = Some(wanted);
        seat.instance_id = terms.holder.as_ref().map(|h| h.course);
        if let Some(h) = &terms.holder {
            seat.user_email = h.email.to_lowercase();
            seat.end = (wanted.timeend > 0)
                .then(|| DateTime::from_timestamp(wanted.timeend, 0))
                .flatten();
        }
        let mut writes = vec![Write::Put {
            item: products::product_item(&seat),
            when: PutIf::Version(version),
        }];
        if let (Some(h), Some(username), false) = (&terms.holder, username, wanted.suspend) {
            writes.extend(self.seat_letters(&seat, h, username).await?);
        }
        match self.store().write(writes).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed) => {
                Err(Retry("the seat changed meanwhile".into()).into())
            }
            Err(e) => Err(e.into()),
        }
    }
}
