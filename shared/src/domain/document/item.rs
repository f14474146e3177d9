//! One item of the document checked: every field's problem reported with its path.

use super::*;

impl ItemDoc {
    /// The item's name in each language its `texts` give one for (besides its own `name`).
    pub fn other_names(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.texts
            .iter()
            .filter_map(|(lang, t)| Some((lang.clone(), t.name.clone()?)))
    }

    /// The item's name in each language the pages speak: its `texts`' own, else its `name`.
    pub fn names(&self) -> std::collections::BTreeMap<crate::domain::Language, String> {
        crate::domain::Language::ALL
            .iter()
            .map(|language| {
                let own = self
                    .texts
                    .get(language.as_str())
                    .and_then(|t| t.name.clone());
                (*language, own.unwrap_or_else(|| self.name.clone()))
            })
            .collect()
    }

    /// The item's kind, read from its validated text (an unknown one cannot pass
    /// [`ShopDocument::validate`]; it reads as a product).
    pub fn item_kind(&self) -> ItemKind {
        self.kind.parse().unwrap_or(ItemKind::Product)
    }

    pub(super) fn validate(
        &self,
        e: &mut Errors,
        path: &str,
        currency: Option<Currency>,
        taxes: &HashSet<&str>,
        categories: &HashSet<&str>,
    ) -> Option<Item> {
        let code = e.check(
            format!("{path}.code"),
            self.code.parse::<ItemCode>().map_err(super::identifier(40)),
        );
        let name = text(e, &format!("{path}.name"), &self.name, 200);
        let category = self.category.as_deref().and_then(|c| {
            if !categories.contains(c) {
                e.add(format!("{path}.category"), super::no_category(c));
            }
            c.parse::<CategoryId>().ok()
        });
        let kind = e.check(format!("{path}.kind"), self.kind.parse::<ItemKind>());
        let status = e.check(format!("{path}.status"), self.status.parse::<ItemStatus>());
        let visibility = e.check(
            format!("{path}.visibility"),
            self.visibility.parse::<Visibility>(),
        );
        let prices = self.prices(e, path, currency);
        let tax = e.check(format!("{path}.tax"), self.tax.parse::<TaxCode>());
        if tax.is_some() && !taxes.contains(self.tax.as_str()) {
            let text = format!("no tax code `{}`", self.tax);
            e.add(
                format!("{path}.tax"),
                Reason::new("no_tax_code", text).with("tax", self.tax.as_str()),
            );
        }
        if self.max_quantity == Some(0) {
            e.add(
                format!("{path}.max_quantity"),
                super::at_least_one("must be at least 1 (or null for no limit)"),
            );
        }
        let seat_mode = e.check(
            format!("{path}.seat_mode"),
            self.seat_mode.parse::<SeatMode>(),
        );
        let seat_roles = self.seat_roles(e, path);
        let required_data = self.required_data(e, path);
        if self.password.as_deref() == Some("") {
            e.add(
                format!("{path}.password"),
                Reason::new("required", "must not be empty (use null for none)"),
            );
        }
        let handler = self.handler.as_ref().map(|h| {
            text(e, &format!("{path}.handler.type"), &h.kind, 60);
            Handler {
                kind: h.kind.clone(),
                params: h.params.clone(),
            }
        });
        let texts = translations(
            e,
            &format!("{path}.texts"),
            &self.texts,
            required_data.as_deref().unwrap_or_default(),
        );
        Some(Item {
            code: code?,
            name: name?,
            description: self.description.clone(),
            category,
            kind: kind?,
            parts: self
                .parts
                .iter()
                .filter_map(|p| Some((p.code.parse().ok()?, p.quantity)))
                .collect(),
            status: status?,
            visibility: visibility?,
            prices: prices?,
            tax: tax?,
            max_quantity: self.max_quantity,
            stock: self.stock,
            seat_mode: seat_mode?,
            seat_roles,
            required_data: required_data?,
            password: self.password.clone(),
            eula: self.eula.clone(),
            renewable: self.renewable,
            handler,
            texts,
        })
    }

    /// Price tiers; amounts are checked against the currency's minor unit when the currency
    /// is valid, as plain non-negative decimals otherwise.
    pub(super) fn prices(
        &self,
        e: &mut Errors,
        path: &str,
        currency: Option<Currency>,
    ) -> Option<PriceTiers> {
        let amount = |text: &str| {
            match currency {
                Some(c) => c.parse_amount(text),
                None => parse_decimal(text).and_then(|d| {
                    if d.is_sign_negative() {
                        Err("must not be negative".into())
                    } else {
                        Ok(d)
                    }
                }),
            }
            .and_then(|d| {
                if d > MAX_UNIT_PRICE {
                    Err(format!("must be at most {MAX_UNIT_PRICE}"))
                } else {
                    Ok(d)
                }
            })
        };
        let tiers: Vec<Option<PriceTier>> = self
            .prices
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let unit_price = e.check(
                    format!("{path}.prices[{j}].unit_price"),
                    amount(&p.unit_price).map_err(Reason::coded("invalid_amount")),
                )?;
                Some(PriceTier {
                    up_to: p.up_to,
                    unit_price,
                })
            })
            .collect();
        let tiers: Vec<PriceTier> = tiers.into_iter().collect::<Option<_>>()?;
        e.check(format!("{path}.prices"), PriceTiers::new(tiers))
    }

    /// The rules checked when a document is imported or an item saved, not when a stored shop
    /// is read: a rule added later must not stop a shop that holds an item it would refuse.
    pub(super) fn check_on_save(&self, e: &mut Errors, path: &str) {
        self.check_handler(e, path);
        self.check_labels(e, path);
    }

    /// Each required-data field has a label: the buyer reads it above the field, and a
    /// screen reader names the field by it.
    fn check_labels(&self, e: &mut Errors, path: &str) {
        for (j, f) in self.required_data.iter().enumerate() {
            text(
                e,
                &format!("{path}.required_data[{j}].label"),
                &f.label,
                200,
            );
        }
    }

    /// The delivery's rules (`HandlerSpec`); production says a line it refuses is
    /// undeliverable.
    fn check_handler(&self, e: &mut Errors, path: &str) {
        let Some(h) = &self.handler else {
            return;
        };
        match crate::domain::handler::HandlerSpec::parse(&h.kind, &h.params) {
            Err(problem) => {
                let at = match &problem.param {
                    Some(param) => format!("{path}.handler.params.{param}"),
                    None => format!("{path}.handler.type"),
                };
                e.add(at, problem.reason);
            }
            // A session enrols the participants the buyer names: without any, the team paid
            // for would reach nothing.
            Ok(spec) if spec.uses_participants() && self.seat_mode == SeatMode::None.as_str() => {
                let text = "a course session enrols the participants the buyer names: \
                            name one participant, or one per unit";
                e.add(
                    format!("{path}.seat_mode"),
                    Reason::new("session_needs_participants", text),
                );
            }
            Ok(_) => {}
        }
    }

    pub(super) fn seat_roles(&self, e: &mut Errors, path: &str) -> Vec<String> {
        if self.seat_roles.is_empty() {
            return vec!["student".into()];
        }
        for (j, role) in self.seat_roles.iter().enumerate() {
            if role.is_empty() || !role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                e.add(
                    format!("{path}.seat_roles[{j}]"),
                    "a Moodle role short name such as `student`",
                );
            }
        }
        self.seat_roles.clone()
    }

    pub(super) fn required_data(&self, e: &mut Errors, path: &str) -> Option<Vec<FieldSpec>> {
        let mut names = HashSet::new();
        let specs: Vec<Option<FieldSpec>> = self
            .required_data
            .iter()
            .enumerate()
            .map(|(j, f)| {
                let p = format!("{path}.required_data[{j}]");
                let field_ok = !f.field.is_empty()
                    && f.field.len() <= 40
                    && f.field
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !field_ok {
                    let text = "1 to 40 letters, digits or `_`";
                    e.add(
                        format!("{p}.field"),
                        Reason::new("identifier", text).with("max", 40),
                    );
                }
                if !names.insert(f.field.as_str()) {
                    e.add(format!("{p}.field"), super::twice("defined twice"));
                }
                let kind = e.check(format!("{p}.type"), f.kind.parse::<FieldType>())?;
                if (kind == FieldType::Select) == f.options.is_empty() {
                    e.add(
                        format!("{p}.options"),
                        Reason::new(
                            "choice_options",
                            "a select field lists options; other types have none",
                        ),
                    );
                }
                Some(FieldSpec {
                    field: f.field.clone(),
                    label: f.label.clone(),
                    kind,
                    required: f.required,
                    options: f.options.clone(),
                    option_labels: f.options.clone(),
                })
            })
            .collect();
        specs.into_iter().collect()
    }
}

/// A required, trimmed, bounded text; records an error and gives `None` otherwise.
pub(super) fn text(e: &mut Errors, path: &str, value: &str, max: usize) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        e.add(path, Reason::new("required", "must not be empty"));
        None
    } else if value.chars().count() > max {
        e.add(path, Reason::too_long(max));
        None
    } else {
        Some(value.to_owned())
    }
}
