//! The Moodle REST client (Moodle's rules as the contract suite, `tests/tests/moodle_contract.rs`, checks them): form-encoded calls with PHP bracket
//! parameters, both error shapes parsed into [`MoodleError`], which tells retryable failures
//! (network, HTTP 5xx, timeouts, a non-JSON page) from permanent ones (`invalidparameter`, ...).

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

mod calls;
mod lms;

/// The functions the shop calls; the start-up health check names any the token lacks.
pub const REQUIRED_FUNCTIONS: [&str; 17] = [
    "core_webservice_get_site_info",
    "core_user_get_users_by_field",
    "core_user_get_users",
    "core_user_create_users",
    "enrol_manual_enrol_users",
    "core_enrol_get_users_courses",
    "core_role_assign_roles",
    "core_course_create_courses",
    "core_course_create_categories",
    "core_course_get_courses_by_field",
    "core_course_search_courses",
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
            super::https::builder()
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
    let allowed = crate::ports::moodle_username_char;
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

#[cfg(test)]
mod tests;
