//! The bodies of the cart's step routes and how they are read: every problem is collected
//! with the path of its field.

use super::*;

pub(super) fn parse_form(
    e: &mut Errors,
    path: &str,
    item: &Item,
    form: &Map<String, Value>,
) -> Form {
    for name in form.keys() {
        if !item.required_data.iter().any(|s| &s.field == name) {
            e.add(
                format!("{path}.{name}"),
                Reason::new("unknown_field", "unknown field"),
            );
        }
    }
    let mut parsed = Form::new();
    for spec in &item.required_data {
        let field_path = format!("{path}.{}", spec.field);
        let raw = match form.get(&spec.field) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
            Some(_) => {
                e.add(
                    field_path,
                    Reason::new("invalid", "give a text, number or boolean"),
                );
                continue;
            }
        };
        if let Some(Some(value)) = e.check(field_path, spec.parse(&raw)) {
            parsed.insert(spec.field.clone(), value);
        }
    }
    parsed
}

pub(super) fn parse_participants(e: &mut Errors, input: &[ParticipantInput]) -> Vec<Participant> {
    pub(super) const MAX: usize = 1000;
    if input.len() > MAX {
        e.add(
            "participants",
            Reason::new("too_many", format!("at most {MAX} participants")).with("max", MAX),
        );
        return Vec::new();
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, p) in input.iter().enumerate() {
        let path = format!("participants[{i}]");
        let email = e.check(format!("{path}.email"), Email::from_input(&p.email));
        let firstname = name(e, &format!("{path}.firstname"), &p.firstname);
        let lastname = name(e, &format!("{path}.lastname"), &p.lastname);
        if let Some(email) = &email
            && !seen.insert(email.normalized())
        {
            e.add(
                format!("{path}.email"),
                Reason::new("listed_twice", "this participant is listed twice"),
            );
        }
        if let (Some(email), Some(firstname), Some(lastname)) = (email, firstname, lastname) {
            out.push(Participant {
                email,
                firstname,
                lastname,
            });
        }
    }
    out
}

pub(super) fn parse_assignment(
    e: &mut Errors,
    code: &str,
    item: &Item,
    quantity: Quantity,
    roles: &BTreeMap<String, Vec<String>>,
    known: &BTreeSet<String>,
) -> BTreeMap<String, Vec<Email>> {
    let mut holders = BTreeSet::new();
    let mut out = BTreeMap::new();
    for (role, emails) in roles {
        let path = format!("assignments.{code}.{role}");
        if !item.seat_roles.contains(role) {
            e.add(
                &path,
                Reason::new(
                    "not_an_option",
                    format!("role must be one of: {}", item.seat_roles.join(", ")),
                ),
            );
            continue;
        }
        let mut list = Vec::new();
        for (i, text) in emails.iter().enumerate() {
            let Some(email) = e.check(format!("{path}[{i}]"), Email::from_input(text)) else {
                continue;
            };
            if !known.contains(&email.normalized()) {
                e.add(
                    format!("{path}[{i}]"),
                    Reason::new("not_a_participant", "not among the participants"),
                );
            } else if !holders.insert(email.normalized()) {
                e.add(
                    format!("{path}[{i}]"),
                    Reason::new("seat_taken", "already holds a seat of this item"),
                );
            } else {
                list.push(email);
            }
        }
        out.insert(role.clone(), list);
    }
    let seats = item.seats_for(quantity) as usize;
    let assigned: usize = roles.values().map(Vec::len).sum();
    if assigned > seats {
        e.add(
            format!("assignments.{code}"),
            Reason::new(
                "too_many_seats",
                format!("{assigned} seats assigned, only {seats} bought"),
            )
            .with("assigned", assigned)
            .with("seats", seats),
        );
    }
    out
}

/// A person's name part: trimmed, 1 to 100 characters on one line, as Moodle takes it (a
/// participant's, a buyer's, a seat holder's).
pub fn person_name(value: &str) -> Result<String, Reason> {
    one_line(value, 100).and_then(|v| crate::domain::no_markup(&v).map(|()| v))
}

pub(super) fn name(e: &mut Errors, path: &str, value: &str) -> Option<String> {
    e.check(path, person_name(value))
}

/// A single-line text: trimmed, 1 to `max` characters, no control character (not even a
/// line break: names and addresses end up in Moodle, invoices and gateway forms).
pub(super) fn one_line(value: &str, max: usize) -> Result<String, Reason> {
    let v = value.trim();
    if v.chars().any(char::is_control) {
        Err(Reason::new(
            "one_line",
            "must be one line without control characters",
        ))
    } else if v.is_empty() {
        Err(Reason::new("required", "is required"))
    } else if v.chars().count() > max {
        Err(Reason::too_long(max))
    } else {
        Ok(v.to_owned())
    }
}

/// Body of `PUT /carts/{cart}/participants`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsInput {
    pub participants: Vec<ParticipantInput>,
    #[serde(default)]
    pub assignments: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInput {
    pub email: String,
    pub firstname: String,
    pub lastname: String,
}

/// Body of `PUT /carts/{cart}/customer`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub customer: IdentityInput,
    #[serde(default)]
    pub invoicing: Option<IdentityInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityInput {
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub address: String,
    pub zip: String,
    pub city: String,
    pub country: String,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub vat_number: Option<String>,
}

impl IdentityInput {
    /// The identity, or every problem under `path` (`customer.city`, ...).
    pub fn parsed(&self, path: &str) -> Result<Identity, Vec<crate::domain::FieldError>> {
        let mut e = Errors::default();
        let identity = self.parse(&mut e, path);
        e.finish(|| identity.expect("no error, so parsed"))
    }

    pub(super) fn parse(&self, e: &mut Errors, path: &str) -> Option<Identity> {
        let firstname = name(e, &format!("{path}.firstname"), &self.firstname);
        let lastname = name(e, &format!("{path}.lastname"), &self.lastname);
        let email = e.check(format!("{path}.email"), Email::from_input(&self.email));
        let mut line = |field: &str, value: &str, max: usize| {
            e.check(format!("{path}.{field}"), one_line(value, max))
        };
        let address = line("address", &self.address, 300);
        let zip = line("zip", &self.zip, 20);
        let city = line("city", &self.city, 100);
        let country = e.check(format!("{path}.country"), country(&self.country));
        let optional = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let organisation = optional(&self.organisation);
        let phone = optional(&self.phone);
        if organisation
            .as_ref()
            .is_some_and(|o| o.chars().count() > 200)
        {
            e.add(format!("{path}.organisation"), Reason::too_long(200));
        }
        if phone.as_ref().is_some_and(|p| {
            p.len() > 30
                || !p
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
        }) {
            e.add(
                format!("{path}.phone"),
                Reason::new(
                    "invalid_phone",
                    "digits, spaces and + - . ( ) only, at most 30",
                )
                .with("max", 30),
            );
        }
        let vat_number = optional(&self.vat_number);
        if vat_number.as_ref().is_some_and(|v| {
            v.len() > 20 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
        }) {
            e.add(
                format!("{path}.vat_number"),
                Reason::new("invalid_vat_number", "letters and digits only, at most 20")
                    .with("max", 20),
            );
        }
        Some(Identity {
            firstname: firstname?,
            lastname: lastname?,
            email: email?,
            address: address?,
            zip: zip?,
            city: city?,
            country: country?,
            organisation,
            phone,
            vat_number: vat_number.map(|v| v.to_ascii_uppercase()),
        })
    }
}

/// An ISO 3166-1 alpha-2 country code, upper-cased.
pub(super) fn country(text: &str) -> Result<String, Reason> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 2 && iso_currency::Country::from_str(&code).is_ok() {
        Ok(code)
    } else {
        Err(Reason::new(
            "invalid_country",
            format!("`{text}` is not an ISO 3166 two-letter country code such as FR"),
        ))
    }
}
