//! Delivering a unit: claim its intent, run the Moodle calls, mark it done with its product
//! instance; and what happens when a job is given up.

use super::*;

impl Producer {
    /// The job will not be delivered again (the queue's last receive failed): every unit not
    /// done is marked failed with the reason, so the bill shows it and an operator can retry.
    /// The intents stay: Moodle may have applied them, and a retry must repeat them.
    pub async fn give_up(&self, job: &ProductionJob, reason: &str) -> Result<(), Retry> {
        self.record_failure(job, reason).await?;
        crate::app::bills::finish_job(self.store(), job).await?;
        Ok(())
    }

    pub(super) async fn record_failure(
        &self,
        job: &ProductionJob,
        reason: &str,
    ) -> Result<(), Retry> {
        let bill = self.desk.load(&job.bill).await?.value;
        let producing = matches!(bill.status, BillStatus::Paid | BillStatus::Preprod);
        if job.kind != JobKind::Produce || !producing {
            return Ok(());
        }
        let shop = self.shop_of(&bill).await?;
        let problem = DeliveryProblem::gave_up(reason);
        for unit in plan(&bill, &shop).0 {
            let key = unit.key.record(&bill.id);
            match self.store().get(&key).await? {
                None => {
                    let failed = UnitRecord::failed(None, problem.clone(), false);
                    self.record_once(&bill.id, &unit.key, failed).await?
                }
                Some(r) => {
                    let mut record = parse_record(&r.item.body)?;
                    if record.state == UnitState::Intent {
                        record.state = UnitState::Failed;
                        record.problem = Some(problem.clone());
                        record.permanent = false;
                        self.mark(&key, r.version, &record).await?;
                    }
                }
            }
        }
        let now = self.desk.clock.now();
        crate::app::mail::alert_production_failed(self.store(), &bill, now).await?;
        Ok(())
    }

    /// One unit: its stored intent (computed and stored first if absent), the Moodle calls,
    /// then done + product instance. A refusal is recorded on the unit for an operator.
    pub(super) async fn deliver(
        &self,
        bill: &Bill,
        unit: &Unit,
        users: &mut KnownUsers,
    ) -> Result<(), Failure> {
        let key = unit.key.record(&bill.id);
        let (record, version) = match self.store().get(&key).await? {
            Some(r) => (parse_record(&r.item.body)?, r.version),
            None => self.claim(bill, unit, &key, users).await?,
        };
        match (&record.state, &record.action) {
            (UnitState::Done | UnitState::Revoked, _) => Ok(()),
            (UnitState::Failed, _) => Err(Failure::NeedsOperator(record.problem())),
            (UnitState::Intent, Some(action)) => match self.execute(action).await {
                Ok(made) => Ok(self.done(bill, unit, &key, version, record, made).await?),
                Err(e) => match Failure::from(e) {
                    Failure::NeedsOperator(problem) => {
                        let failed = UnitRecord::failed(record.action, problem.clone(), true);
                        self.mark(&key, version, &failed).await?;
                        Err(Failure::NeedsOperator(problem))
                    }
                    retry => Err(retry),
                },
            },
            (UnitState::Intent, None) => Err(Failure::NeedsOperator(DeliveryProblem::no_intent())),
        }
    }

    /// Computes the unit's intent and stores it, unless another delivery got there first.
    /// An intent Moodle refuses to let be computed is recorded as the unit's failure.
    pub(super) async fn claim(
        &self,
        bill: &Bill,
        unit: &Unit,
        key: &Key,
        users: &mut KnownUsers,
    ) -> Result<(UnitRecord, u64), Failure> {
        let record = match self.intent(bill, unit, users).await {
            Err(Failure::NeedsOperator(problem)) => {
                let failed = UnitRecord::failed(None, problem.clone(), true);
                self.record_once(&bill.id, &unit.key, failed).await?;
                return Err(Failure::NeedsOperator(problem));
            }
            other => other?,
        };
        let body = serde_json::to_string(&record).expect("serializes");
        let write = Write::Put {
            item: Item::new(key.clone(), body),
            when: PutIf::Absent,
        };
        match self.store().write(vec![write]).await {
            Ok(()) => Ok((record, 1)),
            Err(StoreError::ConditionFailed) => {
                Err(Retry("another delivery claimed this unit".into()).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs a unit's Moodle calls; the Moodle id of what was made, if anything.
    pub(super) async fn execute(&self, action: &Action) -> Result<Option<u64>, LmsError> {
        match action {
            Action::Enrol { enrol, group } => {
                self.lms.enrol(enrol).await?;
                if let Some(group) = group {
                    self.lms
                        .join_group(enrol.courseid, group, enrol.userid)
                        .await?;
                }
                Ok(None)
            }
            Action::AssignRole {
                roleid,
                userid,
                contextlevel,
                instanceid,
            } => {
                self.lms
                    .assign_role(*roleid, *userid, contextlevel, *instanceid)
                    .await?;
                Ok(None)
            }
            Action::CreateCourse { course, owner } => {
                let courseid = self.lms.ensure_course(course).await?;
                self.lms.enrol(&EnrolIntent { courseid, ..*owner }).await?;
                Ok(Some(courseid))
            }
            Action::CreateCategory {
                category,
                userid,
                roleid,
            } => {
                let id = self.lms.ensure_category(category).await?;
                self.lms
                    .assign_role(*roleid, *userid, "coursecat", id)
                    .await?;
                Ok(Some(id))
            }
            Action::Record => Ok(None),
        }
    }

    /// Marks the unit done and writes its product instance, in one transaction.
    pub(super) async fn done(
        &self,
        bill: &Bill,
        unit: &Unit,
        key: &Key,
        version: u64,
        mut record: UnitRecord,
        made: Option<u64>,
    ) -> Result<(), Retry> {
        record.state = UnitState::Done;
        let mut writes = Vec::new();
        if let Some(mut product) = record.product.clone() {
            if let Some(id) = made {
                product.instance_id = Some(id);
                if let Some(e) = product.enrolment.as_mut() {
                    e.courseid = id;
                }
            }
            let source = format!("{}/{}", bill.id, unit.key);
            let (item, when) = if record.extends {
                let Versioned {
                    value: mut current,
                    version: v,
                } = products::find(self.store(), &product.reference)
                    .await?
                    .ok_or_else(|| Retry(format!("product {} vanished", product.reference)))?;
                if !current.has_event_from(&source) {
                    current.end = product.end;
                    current.enrolment = product.enrolment;
                    let now = self.desk.clock.now();
                    current
                        .events
                        .push(event(ProductEventKind::Extended, &source, now));
                }
                (products::product_item(&current), PutIf::Version(v))
            } else {
                (products::product_item(&product), PutIf::Absent)
            };
            writes.push(Write::Put { item, when });
        }
        let body = serde_json::to_string(&record).expect("serializes");
        writes.insert(
            0,
            Write::Put {
                item: Item::new(key.clone(), body),
                when: PutIf::Version(version),
            },
        );
        match self.store().write(writes).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed) => Err(Retry("the unit changed meanwhile".into())),
            Err(e) => Err(e.into()),
        }
    }
}
