//! The Moodle REST client (Moodle's rules as the contract suite, `tests/tests/moodle_contract.rs`, checks them): form-encoded calls with PHP bracket
//! parameters, both error shapes parsed into [`MoodleError`], which tells retryable failures
//! (network, HTTP 5xx, timeouts, a non-JSON page) from permanent ones (`invalidparameter`, ...).

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

/// The functions the shop calls; the start-up health check names any the token lacks.
pub const REQUIRED_FUNCTIONS: [&str; 15] = [
    "core_webservice_get_site_info",
    "core_user_get_users_by_field",
    "core_user_create_users",
    "enrol_manual_enrol_users",
    "core_enrol_get_users_courses",
    "core_role_assign_roles",
    "core_course_create_courses",
    "core_course_create_categories",
    "core_course_get_courses_by_field",
    "core_course_duplicate_course",
    "core_group_create_groups",
    "core_group_add_group_members",
    "core_course_get_categories",
    "core_group_get_course_groups",
    "core_enrol_get_enrolled_users",
];

#[derive(Debug, thiserror::Error)]
pub enum MoodleError {
    /// No answer (connection refused, timeout).
    #[error("Moodle did not answer: {0}")]
    Transport(String),
    /// An HTTP status other than 200 (Moodle answers 200 even for its errors).
    #[error("Moodle answered HTTP {0}")]
    Http(u16),
    /// A body that is not JSON (an HTML error page).
    #[error("Moodle answered something that is not JSON")]
    NotJson,
    /// A web-service error (`{"exception","errorcode","message"}` or login's `{"error","errorcode"}`).
    #[error("Moodle error {errorcode}: {message}")]
    Ws { errorcode: String, message: String },
    /// JSON of an unexpected shape.
    #[error("unexpected answer from Moodle: {0}")]
    Unexpected(String),
}

impl MoodleError {
    /// Worth retrying later (the queue redelivers): the site was unreachable or broken, not
    /// the request wrong.
    pub fn is_retryable(&self) -> bool {
        match self {
            MoodleError::Transport(_) | MoodleError::NotJson => true,
            MoodleError::Http(status) => *status >= 500 || *status == 429,
            MoodleError::Ws { errorcode, .. } => matches!(
                errorcode.as_str(),
                "servicenotavailable" | "dmlwriteexception" | "dmlreadexception"
            ),
            MoodleError::Unexpected(_) => false,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            MoodleError::Ws { errorcode, .. } => Some(errorcode),
            _ => None,
        }
    }
}

/// Appends `value` in PHP bracket notation under `prefix` (`users[0][email]=...`).
pub fn encode(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}[{k}]")
                };
                encode(&key, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                encode(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::Null => {}
        Value::Bool(b) => out.push((prefix.to_owned(), if *b { "1".into() } else { "0".into() })),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        Value::Number(n) => out.push((prefix.to_owned(), n.to_string())),
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct MoodleUser {
    pub id: u64,
    /// Absent without `moodle/user:viewalldetails` (the start-up check names it).
    #[serde(default)]
    pub username: String,
    /// Absent without `moodle/site:viewuseridentity` (the start-up check names it).
    #[serde(default)]
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    #[serde(default)]
    pub suspended: bool,
}

impl From<MoodleUser> for crate::ports::LmsUser {
    fn from(u: MoodleUser) -> Self {
        Self {
            id: u.id,
            username: u.username,
            email: u.email,
            firstname: u.firstname,
            lastname: u.lastname,
        }
    }
}

/// A user to create (password generated and mailed by Moodle: `createpassword=1`).
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub firstname: &'a str,
    pub lastname: &'a str,
}

pub use crate::ports::{CategorySpec, CourseSpec, EnrolIntent};

/// The web service `login/token.php` is asked a token for: Moodle's mobile app service, enabled
/// on most sites; the token itself is not kept (the login only proves the password).
pub const LOGIN_SERVICE: &str = "moodle_mobile_app";

#[derive(Clone)]
pub struct MoodleClient {
    base: String,
    token: String,
    timeout: Duration,
    /// Built on first use: loading the TLS trust store costs milliseconds of cold start, and
    /// most invocations of the functions that hold a client never call Moodle.
    http: std::sync::Arc<std::sync::OnceLock<reqwest::Client>>,
}

impl MoodleClient {
    pub fn new(base: &str, token: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            timeout,
            http: Default::default(),
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(self.timeout)
                .build()
                .expect("the HTTP client builds")
        })
    }

    async fn post(&self, path: &str, form: &[(String, String)]) -> Result<Value, MoodleError> {
        let response = self
            .http()
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .map_err(|e| MoodleError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(MoodleError::Http(status));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| MoodleError::Transport(e.to_string()))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| MoodleError::NotJson)?;
        let code = value.get("errorcode").and_then(Value::as_str);
        let is_error = value.get("exception").is_some() || value.get("error").is_some();
        match (is_error, code) {
            (true, Some(code)) => {
                let message = value
                    .get("message")
                    .or_else(|| value.get("error"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                Err(MoodleError::Ws {
                    errorcode: code.to_owned(),
                    message: message.to_owned(),
                })
            }
            _ => Ok(value),
        }
    }

    /// Calls a web-service function with its parameters (a JSON object, bracket-encoded).
    pub async fn call(&self, function: &str, params: Value) -> Result<Value, MoodleError> {
        let mut form = vec![
            ("wstoken".to_owned(), self.token.clone()),
            ("wsfunction".to_owned(), function.to_owned()),
            ("moodlewsrestformat".to_owned(), "json".to_owned()),
        ];
        encode("", &params, &mut form);
        self.post("/webservice/rest/server.php", &form).await
    }

    fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, MoodleError> {
        serde_json::from_value(value).map_err(|e| MoodleError::Unexpected(e.to_string()))
    }

    /// The start-up health check: the site answers and the token may call every function
    /// needed; the missing ones are named.
    pub async fn missing_functions(&self, needed: &[&str]) -> Result<Vec<String>, MoodleError> {
        let info = self
            .call("core_webservice_get_site_info", json!({}))
            .await?;
        let have: Vec<&str> = info["functions"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["name"].as_str()).collect())
            .unwrap_or_default();
        Ok(needed
            .iter()
            .filter(|f| !have.contains(f))
            .map(|f| (*f).to_owned())
            .collect())
    }

    /// The user with this email. Moodle matches emails exactly (case-sensitively on
    /// PostgreSQL), so the address is asked for as typed and lower-cased, in one call; the
    /// lower-cased spelling (how the shop creates users) wins when both exist.
    /// The capabilities the token's role lacks, as far as they can be told without changing
    /// anything: Moodle's guest user (id 1, on every site) is looked up, and its username and
    /// email must come back. (The token's own user would not tell: Moodle always shows a user
    /// to itself.)
    pub async fn missing_capabilities(&self) -> Result<Vec<&'static str>, MoodleError> {
        let found = self
            .call(
                "core_user_get_users_by_field",
                json!({"field": "id", "values": [1]}),
            )
            .await?;
        let Some(guest) = Self::parse::<Vec<MoodleUser>>(found)?.into_iter().next() else {
            return Ok(vec!["moodle/user:viewdetails"]);
        };
        let mut missing = Vec::new();
        if guest.username.is_empty() {
            missing.push("moodle/user:viewalldetails");
        }
        if guest.email.is_empty() {
            missing.push("moodle/site:viewuseridentity");
        }
        Ok(missing)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<MoodleUser>, MoodleError> {
        let lower = email.trim().to_lowercase();
        let mut values = vec![lower.clone()];
        if email.trim() != lower {
            values.push(email.trim().to_owned());
        }
        let found = self
            .call(
                "core_user_get_users_by_field",
                json!({"field": "email", "values": values}),
            )
            .await?;
        let mut users = Self::parse::<Vec<MoodleUser>>(found)?;
        users.sort_by_key(|u| u.email != lower);
        Ok(users.into_iter().next())
    }

    /// The user with this username (Moodle usernames are lower case).
    pub async fn user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<MoodleUser>, MoodleError> {
        let found = self
            .call(
                "core_user_get_users_by_field",
                json!({"field": "username", "values": [username.to_lowercase()]}),
            )
            .await?;
        Ok(Self::parse::<Vec<MoodleUser>>(found)?.into_iter().next())
    }

    /// Creates a user (not idempotent: look up by email first, and again after an error).
    pub async fn create_user(&self, user: &NewUser<'_>) -> Result<u64, MoodleError> {
        let users = json!({"users": [{"username": user.username, "email": user.email, "firstname": user.firstname,
            "lastname": user.lastname, "auth": "manual", "createpassword": 1}]});
        let created = self.call("core_user_create_users", users).await?;
        created[0]["id"]
            .as_u64()
            .ok_or_else(|| MoodleError::Unexpected(created.to_string()))
    }

    /// Finds the user by email, or creates it; after a creation error, looks again (another
    /// delivery may have created it meanwhile) before failing.
    pub async fn find_or_create_user(
        &self,
        user: &NewUser<'_>,
    ) -> Result<crate::ports::LmsUser, MoodleError> {
        let account = crate::ports::LmsUser::from;
        if let Some(found) = self.user_by_email(user.email).await? {
            return Ok(account(found));
        }
        match self.create_user(user).await {
            Ok(id) => Ok(crate::ports::LmsUser {
                id,
                username: user.username.to_owned(),
                email: user.email.to_owned(),
                firstname: user.firstname.to_owned(),
                lastname: user.lastname.to_owned(),
            }),
            Err(e) => match self.user_by_email(user.email).await? {
                Some(found) => Ok(account(found)),
                // The username the shop derives from this email is taken: by the account the
                // shop made for it earlier (its email since changed in Moodle) or by a twin.
                None => match self.user_by_username(user.username).await? {
                    Some(found) => Ok(account(found)),
                    None => Err(e),
                },
            },
        }
    }

    pub async fn enrol(&self, e: &EnrolIntent) -> Result<(), MoodleError> {
        let mut enrolment = json!({"roleid": e.roleid, "userid": e.userid, "courseid": e.courseid});
        if e.timestart > 0 {
            enrolment["timestart"] = json!(e.timestart);
        }
        if e.timeend > 0 {
            enrolment["timeend"] = json!(e.timeend);
        }
        if e.suspend {
            enrolment["suspend"] = json!(1);
        }
        self.call(
            "enrol_manual_enrol_users",
            json!({"enrolments": [enrolment]}),
        )
        .await
        .map(|_| ())
    }

    /// Course ids whose active enrolments the user has.
    pub async fn user_courses(&self, userid: u64) -> Result<Vec<u64>, MoodleError> {
        let courses = self
            .call("core_enrol_get_users_courses", json!({"userid": userid}))
            .await?;
        Ok(courses
            .as_array()
            .map(|c| c.iter().filter_map(|c| c["id"].as_u64()).collect())
            .unwrap_or_default())
    }

    /// A course id by `id`, `shortname` or `idnumber`.
    pub async fn course_id(&self, field: &str, value: &str) -> Result<Option<u64>, MoodleError> {
        let found = self
            .call(
                "core_course_get_courses_by_field",
                json!({"field": field, "value": value}),
            )
            .await?;
        Ok(found["courses"]
            .as_array()
            .and_then(|c| c.first())
            .and_then(|c| c["id"].as_u64()))
    }

    pub async fn assign_role(
        &self,
        roleid: u64,
        userid: u64,
        contextlevel: &str,
        instanceid: u64,
    ) -> Result<(), MoodleError> {
        let a = json!({"assignments": [{"roleid": roleid, "userid": userid, "contextlevel": contextlevel, "instanceid": instanceid}]});
        self.call("core_role_assign_roles", a).await.map(|_| ())
    }

    /// The course with `spec`'s short name, made if absent; after a creation error, looked up
    /// again (a previous delivery may have made it) before failing.
    pub async fn ensure_course(&self, spec: &CourseSpec) -> Result<u64, MoodleError> {
        if let Some(id) = self.course_id("shortname", &spec.shortname).await? {
            return Ok(id);
        }
        let made = match spec.template {
            Some(template) => self
                .call(
                    "core_course_duplicate_course",
                    json!({"courseid": template, "fullname": spec.fullname, "shortname": spec.shortname,
                        "categoryid": spec.categoryid, "visible": 1}),
                )
                .await
                .map(|v| v["id"].as_u64()),
            None => self
                .call(
                    "core_course_create_courses",
                    json!({"courses": [{"fullname": spec.fullname, "shortname": spec.shortname,
                        "categoryid": spec.categoryid}]}),
                )
                .await
                .map(|v| v[0]["id"].as_u64()),
        };
        match made {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(MoodleError::Unexpected("no course id".into())),
            Err(e) => match self.course_id("shortname", &spec.shortname).await? {
                Some(id) => Ok(id),
                None => Err(e),
            },
        }
    }

    async fn category_by_idnumber(&self, idnumber: &str) -> Result<Option<u64>, MoodleError> {
        let found = self
            .call(
                "core_course_get_categories",
                json!({"criteria": [{"key": "idnumber", "value": idnumber}]}),
            )
            .await?;
        Ok(found
            .as_array()
            .and_then(|c| c.first())
            .and_then(|c| c["id"].as_u64()))
    }

    /// The category with `spec`'s idnumber, made if absent (looked up again after an error).
    pub async fn ensure_category(&self, spec: &CategorySpec) -> Result<u64, MoodleError> {
        if let Some(id) = self.category_by_idnumber(&spec.idnumber).await? {
            return Ok(id);
        }
        let made = self
            .call(
                "core_course_create_categories",
                json!({"categories": [{"name": spec.name, "parent": spec.parent, "idnumber": spec.idnumber}]}),
            )
            .await;
        match made.map(|v| v[0]["id"].as_u64()) {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(MoodleError::Unexpected("no category id".into())),
            Err(e) => match self.category_by_idnumber(&spec.idnumber).await? {
                Some(id) => Ok(id),
                None => Err(e),
            },
        }
    }

    async fn group_id(&self, courseid: u64, name: &str) -> Result<Option<u64>, MoodleError> {
        let groups = self
            .call(
                "core_group_get_course_groups",
                json!({"courseid": courseid}),
            )
            .await?;
        Ok(groups.as_array().and_then(|g| {
            g.iter()
                .find(|g| g["name"].as_str() == Some(name))
                .and_then(|g| g["id"].as_u64())
        }))
    }

    /// Adds an enrolled user to the course group `name`, made if absent.
    pub async fn join_group(
        &self,
        courseid: u64,
        name: &str,
        userid: u64,
    ) -> Result<(), MoodleError> {
        let groupid = match self.group_id(courseid, name).await? {
            Some(id) => id,
            None => {
                let made = self
                    .call(
                        "core_group_create_groups",
                        json!({"groups": [{"courseid": courseid, "name": name, "description": ""}]}),
                    )
                    .await;
                match made.map(|v| v[0]["id"].as_u64()) {
                    Ok(Some(id)) => id,
                    Ok(None) => return Err(MoodleError::Unexpected("no group id".into())),
                    Err(e) => self.group_id(courseid, name).await?.ok_or(e)?,
                }
            }
        };
        self.call(
            "core_group_add_group_members",
            json!({"members": [{"groupid": groupid, "userid": userid}]}),
        )
        .await
        .map(|_| ())
    }

    /// A buyer's login (`login/token.php`): their token, or `invalidlogin`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        service: &str,
    ) -> Result<String, MoodleError> {
        let form = [
            ("username", username),
            ("password", password),
            ("service", service),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let answer = self.post("/login/token.php", &form).await?;
        answer["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| MoodleError::Unexpected(answer.to_string()))
    }
}

/// The Moodle username the shop gives the account it creates for an email: the lower-cased
/// address itself when Moodle's `PARAM_USERNAME` accepts it (`a-z 0-9 _ - . @`, at most 100
/// characters); otherwise the address with every other character replaced by `_`, shortened,
/// and followed by `-` and 8 hex digits of the address's SHA-256, so that two addresses never
/// share one (`ada+shop@example.org` → `ada_shop@example.org-1f0c…`). The same email always
/// gives the same username.
pub fn username_for(email: &str) -> String {
    let lower = email.trim().to_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.@".contains(c);
    if !lower.is_empty() && lower.len() <= 100 && lower.chars().all(allowed) {
        return lower;
    }
    use sha2::{Digest, Sha256};
    let tag = hex::encode(&Sha256::digest(lower.as_bytes())[..4]);
    let cleaned: String = lower
        .chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .take(90)
        .collect();
    format!("{cleaned}-{tag}")
}

impl From<MoodleError> for crate::ports::LmsError {
    fn from(e: MoodleError) -> Self {
        Self {
            retryable: e.is_retryable(),
            message: e.to_string(),
        }
    }
}

#[async_trait::async_trait]
impl crate::ports::Lms for MoodleClient {
    async fn find_or_create_user(
        &self,
        email: &str,
        firstname: &str,
        lastname: &str,
    ) -> Result<crate::ports::LmsUser, crate::ports::LmsError> {
        let username = username_for(email);
        let email = email.trim().to_lowercase();
        let user = NewUser {
            username: &username,
            email: &email,
            firstname,
            lastname,
        };
        Ok(MoodleClient::find_or_create_user(self, &user).await?)
    }

    async fn course_id(
        &self,
        field: &str,
        value: &str,
    ) -> Result<Option<u64>, crate::ports::LmsError> {
        Ok(MoodleClient::course_id(self, field, value).await?)
    }

    async fn enrol(&self, intent: &EnrolIntent) -> Result<(), crate::ports::LmsError> {
        Ok(MoodleClient::enrol(self, intent).await?)
    }

    async fn assign_role(
        &self,
        roleid: u64,
        userid: u64,
        contextlevel: &str,
        instanceid: u64,
    ) -> Result<(), crate::ports::LmsError> {
        Ok(MoodleClient::assign_role(self, roleid, userid, contextlevel, instanceid).await?)
    }

    async fn ensure_course(&self, course: &CourseSpec) -> Result<u64, crate::ports::LmsError> {
        Ok(MoodleClient::ensure_course(self, course).await?)
    }

    async fn ensure_category(
        &self,
        category: &CategorySpec,
    ) -> Result<u64, crate::ports::LmsError> {
        Ok(MoodleClient::ensure_category(self, category).await?)
    }

    async fn join_group(
        &self,
        courseid: u64,
        group: &str,
        userid: u64,
    ) -> Result<(), crate::ports::LmsError> {
        Ok(MoodleClient::join_group(self, courseid, group, userid).await?)
    }

    async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<crate::ports::LmsUser>, crate::ports::LmsError> {
        match MoodleClient::login(self, username, password, LOGIN_SERVICE).await {
            Ok(_) => {}
            Err(MoodleError::Ws { errorcode, .. }) if errorcode == "invalidlogin" => {
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
        let found = self
            .call(
                "core_user_get_users_by_field",
                json!({"field": "username", "values": [username.to_lowercase()]}),
            )
            .await?;
        let user = Self::parse::<Vec<MoodleUser>>(found)?.into_iter().next();
        Ok(user.map(crate::ports::LmsUser::from))
    }

    async fn has_started(
        &self,
        userid: u64,
        courseid: u64,
    ) -> Result<bool, crate::ports::LmsError> {
        let users = self
            .call(
                "core_enrol_get_enrolled_users",
                json!({"courseid": courseid}),
            )
            .await?;
        Ok(users.as_array().is_some_and(|users| {
            users.iter().any(|u| {
                u["id"].as_u64() == Some(userid) && u["lastcourseaccess"].as_i64().unwrap_or(0) > 0
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn valid_username(u: &str) -> bool {
        !u.is_empty()
            && u.len() <= 100
            && u.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.@".contains(c))
    }

    #[test]
    fn plain_emails_are_their_own_usernames() {
        assert_eq!(username_for(" Ada@Example.org "), "ada@example.org");
        let plus = username_for("ada+shop@example.org");
        assert!(plus.starts_with("ada_shop@example.org-"), "{plus}");
        assert_ne!(plus, username_for("ada_shop@example.org"));
        assert_eq!(
            plus,
            username_for("ADA+shop@example.org"),
            "stable, case-blind"
        );
        assert!(valid_username(&username_for("o'brien@example.org")));
    }

    proptest! {
        /// Every email gives a username Moodle accepts, always the same one, and two emails
        /// that differ (other than by case) never share one.
        #[test]
        fn every_email_gives_a_valid_unique_stable_username(
            a in "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9-]{1,20}\\.[a-z]{2,6}",
            b in "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9-]{1,20}\\.[a-z]{2,6}",
        ) {
            let ua = username_for(&a);
            prop_assert!(valid_username(&ua), "{} -> {}", a, ua);
            prop_assert_eq!(&ua, &username_for(&a));
            if a.to_lowercase() != b.to_lowercase() {
                prop_assert_ne!(ua, username_for(&b));
            }
        }
    }

    #[test]
    fn parameters_are_bracket_encoded() {
        let mut out = Vec::new();
        encode(
            "",
            &json!({"enrolments": [{"roleid": 5, "userid": 7}], "values": ["a@b.c"], "field": "email"}),
            &mut out,
        );
        let text: Vec<String> = out.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert!(
            text.contains(&"enrolments[0][roleid]=5".to_owned()),
            "{text:?}"
        );
        assert!(text.contains(&"enrolments[0][userid]=7".to_owned()));
        assert!(text.contains(&"values[0]=a@b.c".to_owned()));
        assert!(text.contains(&"field=email".to_owned()));
    }

    #[test]
    fn retryable_failures_are_told_apart() {
        assert!(MoodleError::Transport("refused".into()).is_retryable());
        assert!(MoodleError::Http(503).is_retryable());
        assert!(MoodleError::NotJson.is_retryable());
        assert!(!MoodleError::Http(404).is_retryable());
        let ws = |c: &str| MoodleError::Ws {
            errorcode: c.into(),
            message: String::new(),
        };
        assert!(!ws("invalidparameter").is_retryable());
        assert!(!ws("wsusercannotassign").is_retryable());
        assert!(ws("servicenotavailable").is_retryable());
    }
}
