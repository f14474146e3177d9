//! Revocation: a refunded bill's enrolments suspended in Moodle.

use super::*;

impl Producer {
    /// A refunded bill: every instance it delivered is suspended (enrolments with `suspend=1`,
    /// the same dates) and its unit marked revoked. Repeating it is harmless. An extension is
    /// not undone (its instance existed before the bill): left to an operator.
    pub(super) async fn revoke(&self, id: &BillId) -> Result<Produced, Retry> {
        let status = self.desk.load(id).await?.value.status;
        if !matches!(status, BillStatus::Refunded | BillStatus::Cancelled) {
            return Ok(Produced::Nothing);
        }
        let desk = ProductAdmin {
            store: self.desk.store.clone(),
            clock: self.desk.clock.clone(),
            lms: self.lms.clone(),
        };
        let records = self
            .store()
            .query(&Query::partition(crate::app::keys::units(id)))
            .await?;
        for r in records {
            let mut unit = parse_record(&r.item.body)?;
            let (UnitState::Done, Some(product), false) =
                (&unit.state, &unit.product, unit.extends)
            else {
                continue;
            };
            let source = Some(format!("{id}/{}", r.item.key.sk));
            let suspended = desk
                .set_status(
                    product.reference.as_str(),
                    ProductStatus::Suspended,
                    "system",
                    source,
                )
                .await;
            match suspended {
                Ok(_) => {}
                Err(AppError::State(e)) => {
                    tracing::error!(bill = %id, unit = %r.item.key.sk, error = %e, "could not suspend")
                }
                Err(e) => return Err(e.into()),
            }
            unit.state = UnitState::Revoked;
            self.mark(&r.item.key, r.version, &unit).await?;
        }
        Ok(Produced::Complete)
    }
}
