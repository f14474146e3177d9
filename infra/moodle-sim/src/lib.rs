//! A Moodle web-service simulator: the REST protocol (`/webservice/rest/server.php`,
//! `/login/token.php`) over real in-memory state, answering as a fresh Moodle 5.1 site does
//! (as the contract suite checks against a real Moodle): HTTP 200 with `{"exception","errorcode","message"}` for errors,
//! site course 1, category 1, the standard roles, manual enrolment that overwrites dates.
//!
//! For tests it can be told to fail (down, server errors, slow) for the next calls, and its
//! state can be read directly (enrolment dates have no web-service function in Moodle).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Standard role ids of a fresh site.
pub const MANAGER: u64 = 1;
pub const COURSECREATOR: u64 = 2;
pub const EDITINGTEACHER: u64 = 3;
pub const TEACHER: u64 = 4;
pub const STUDENT: u64 = 5;

const ROLES: [(u64, &str); 8] = [
    (1, "manager"),
    (2, "coursecreator"),
    (3, "editingteacher"),
    (4, "teacher"),
    (5, "student"),
    (6, "guest"),
    (7, "user"),
    (8, "frontpage"),
];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    pub idnumber: String,
    pub suspended: bool,
    #[serde(skip)]
    pub password: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Course {
    pub id: u64,
    pub shortname: String,
    pub fullname: String,
    pub categoryid: u64,
    pub idnumber: String,
    pub visible: u8,
    /// What `core_course_search_courses` also searches (a site kept before has none).
    #[serde(default)]
    pub summary: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Category {
    pub id: u64,
    pub name: String,
    pub parent: u64,
    pub idnumber: String,
}

/// One user's enrolment in one course (manual instance).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub timestart: i64,
    pub timeend: i64,
    pub suspended: bool,
    pub roles: BTreeSet<u64>,
    /// When the user last opened the course (0: never).
    pub lastaccess: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Group {
    pub id: u64,
    pub courseid: u64,
    pub name: String,
    pub members: BTreeSet<u64>,
}

/// How the next calls fail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    /// HTTP 503 with an HTML page (web server up, Moodle down).
    Down,
    /// HTTP 500 with an HTML page.
    ServerError,
    /// Answers after this many milliseconds.
    Slow(u64),
}

#[derive(Default)]
struct Site {
    /// The web-service user's capabilities; `None`: every capability (the default).
    capabilities: Option<BTreeSet<String>>,
    /// Requests to `login/token.php`.
    logins: usize,
    users: BTreeMap<u64, User>,
    courses: BTreeMap<u64, Course>,
    categories: BTreeMap<u64, Category>,
    enrolments: BTreeMap<(u64, u64), Enrolment>,
    assignments: BTreeSet<(u64, u64, String, u64)>,
    groups: BTreeMap<u64, Group>,
    next_id: BTreeMap<&'static str, u64>,
    tokens: BTreeMap<String, u64>,
    fault: Fault,
    fault_calls: u32,
    calls: Vec<String>,
    /// Functions left out of the token's service (a site set up before the shop needed them).
    withdrawn: BTreeSet<String>,
}

impl Site {
    fn can(&self, capability: &str) -> bool {
        self.capabilities
            .as_ref()
            .is_none_or(|caps| caps.contains(capability))
    }

    /// Moodle's `required_capability_exception` when the web-service user lacks it.
    fn require(&self, capability: &str, name: &str) -> Result<(), WsError> {
        if self.can(capability) {
            Ok(())
        } else {
            Err(err(
                "required_capability_exception",
                "nopermissions",
                format!("Sorry, but you do not currently have permissions to do that ({name})."),
            ))
        }
    }

    fn next(&mut self, table: &'static str) -> u64 {
        let n = self.next_id.entry(table).or_insert(1);
        *n += 1;
        *n
    }
}

/// The simulator: cheap to clone, all clones share one site.
#[derive(Clone)]
pub struct Simulator {
    site: Arc<Mutex<Site>>,
    token: Arc<str>,
    /// Where the site is saved after every change (`shopctl serve`'s data dir), if anywhere.
    file: Option<Arc<std::path::Path>>,
}

/// What a saved site holds: everything but faults and the call log (passwords included: the
/// simulator's users are test users).
#[derive(Serialize, Deserialize)]
struct Saved {
    users: Vec<(User, Option<String>)>,
    courses: Vec<Course>,
    categories: Vec<Category>,
    enrolments: Vec<((u64, u64), Enrolment)>,
    assignments: Vec<(u64, u64, String, u64)>,
    groups: Vec<Group>,
    next_id: BTreeMap<String, u64>,
    tokens: BTreeMap<String, u64>,
}

impl Saved {
    fn of(site: &Site) -> Self {
        Self {
            users: site
                .users
                .values()
                .map(|u| (u.clone(), u.password.clone()))
                .collect(),
            courses: site.courses.values().cloned().collect(),
            categories: site.categories.values().cloned().collect(),
            enrolments: site
                .enrolments
                .iter()
                .map(|(k, e)| (*k, e.clone()))
                .collect(),
            assignments: site.assignments.iter().cloned().collect(),
            groups: site.groups.values().cloned().collect(),
            next_id: site
                .next_id
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            tokens: site.tokens.clone(),
        }
    }

    fn into_site(self) -> Site {
        let table = |name: &str| -> Option<&'static str> {
            ["user", "course", "category", "group"]
                .into_iter()
                .find(|t| *t == name)
        };
        Site {
            users: self
                .users
                .into_iter()
                .map(|(mut u, password)| {
                    u.password = password;
                    (u.id, u)
                })
                .collect(),
            courses: self.courses.into_iter().map(|c| (c.id, c)).collect(),
            categories: self.categories.into_iter().map(|c| (c.id, c)).collect(),
            enrolments: self.enrolments.into_iter().collect(),
            assignments: self.assignments.into_iter().collect(),
            groups: self.groups.into_iter().map(|g| (g.id, g)).collect(),
            next_id: self
                .next_id
                .into_iter()
                .filter_map(|(k, v)| table(&k).map(|t| (t, v)))
                .collect(),
            tokens: self.tokens,
            ..Site::default()
        }
    }
}

/// A web-service error, as Moodle shapes it.
struct WsError {
    exception: &'static str,
    errorcode: &'static str,
    message: String,
}

fn err(exception: &'static str, errorcode: &'static str, message: impl Into<String>) -> WsError {
    WsError {
        exception,
        errorcode,
        message: message.into(),
    }
}

fn invalid(message: impl Into<String>) -> WsError {
    err(
        "core\\exception\\invalid_parameter_exception",
        "invalidparameter",
        message,
    )
}

type WsResult = Result<Value, WsError>;

impl Simulator {
    /// A fresh site: site course 1, category 1, the web-service user (id 2) with `token`.
    pub fn new(token: &str) -> Self {
        let mut site = Site::default();
        site.courses.insert(
            1,
            Course {
                id: 1,
                shortname: "site".into(),
                fullname: "Moodle site".into(),
                categoryid: 0,
                idnumber: String::new(),
                visible: 1,
                summary: String::new(),
            },
        );
        site.categories.insert(
            1,
            Category {
                id: 1,
                name: "Category 1".into(),
                parent: 0,
                idnumber: String::new(),
            },
        );
        // The guest user every Moodle site has (id 1).
        site.users.insert(
            1,
            User {
                id: 1,
                username: "guest".into(),
                email: "root@localhost".into(),
                firstname: "Guest user".into(),
                lastname: " ".into(),
                idnumber: String::new(),
                suspended: false,
                password: None,
            },
        );
        site.users.insert(
            2,
            User {
                id: 2,
                username: "wsuser".into(),
                email: "ws@moodle.invalid".into(),
                firstname: "Web".into(),
                lastname: "Service".into(),
                idnumber: String::new(),
                suspended: false,
                password: None,
            },
        );
        site.next_id.insert("user", 2);
        site.next_id.insert("course", 1);
        site.next_id.insert("category", 1);
        site.next_id.insert("group", 0);
        Self {
            site: Arc::new(Mutex::new(site)),
            token: token.into(),
            file: None,
        }
    }

    /// The site saved in `file` (users, passwords, courses, enrolments, roles, groups), or a
    /// fresh one saved there from now on; `true` when it was fresh. Every change is saved.
    pub fn open(token: &str, file: &std::path::Path) -> std::io::Result<(Self, bool)> {
        let mut sim = Self::new(token);
        let fresh = match std::fs::read(file) {
            Ok(bytes) => {
                let saved: Saved = serde_json::from_slice(&bytes)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
                *sim.lock() = saved.into_site();
                false
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(e),
        };
        sim.file = Some(Arc::from(file));
        sim.save();
        Ok((sim, fresh))
    }

    /// Writes the site to its file (a temporary file renamed over it: never half written).
    fn save(&self) {
        let Some(file) = &self.file else { return };
        let bytes = serde_json::to_vec(&Saved::of(&self.lock())).expect("a site serializes");
        let temp = file.with_extension("tmp");
        let written = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, file));
        if let Err(e) = written {
            eprintln!("moodle-sim: could not save {}: {e}", file.display());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Site> {
        self.site.lock().expect("simulator lock")
    }

    /// Creates a course in category 1 (with its manual enrolment instance); its id.
    pub fn add_course(&self, shortname: &str, fullname: &str) -> u64 {
        let mut site = self.lock();
        let id = site.next("course");
        site.courses.insert(
            id,
            Course {
                id,
                shortname: shortname.into(),
                fullname: fullname.into(),
                categoryid: 1,
                idnumber: String::new(),
                visible: 1,
                summary: String::new(),
            },
        );
        drop(site);
        self.save();
        id
    }

    /// Creates a user who can log in with `password`; its id.
    pub fn add_user(&self, username: &str, email: &str, password: &str) -> u64 {
        let mut site = self.lock();
        let id = site.next("user");
        site.users.insert(
            id,
            User {
                id,
                username: username.into(),
                email: email.into(),
                firstname: username.into(),
                lastname: "User".into(),
                idnumber: String::new(),
                suspended: false,
                password: Some(password.into()),
            },
        );
        drop(site);
        self.save();
        id
    }

    /// The user's password from now on (as an administrator would set it).
    pub fn set_password(&self, userid: u64, password: &str) {
        if let Some(u) = self.lock().users.get_mut(&userid) {
            u.password = Some(password.into());
        }
        self.save();
    }

    /// The web-service user's role holds exactly these capabilities from now on (by default it
    /// holds them all). Modelled where a real Moodle bit the shop: searching users by email
    /// and seeing their emails (`moodle/site:viewuseridentity`), seeing usernames
    /// (`moodle/user:viewalldetails`), enrolling (`enrol/manual:enrol`), duplicating a course
    /// (`moodle/backup:backupcourse`, `moodle/restore:restorecourse`), listing participants
    /// (`moodle/course:viewparticipants`).
    pub fn set_capabilities(&self, capabilities: &[&str]) {
        self.lock().capabilities = Some(capabilities.iter().map(|c| (*c).to_owned()).collect());
    }

    /// Leaves `function` out of the token's service, as on a site set up before the shop
    /// called it: site info no longer lists it, and a call is Moodle's access exception.
    pub fn withdraw_function(&self, function: &str) {
        self.lock().withdrawn.insert(function.to_owned());
    }

    /// The web-service user holds every capability again (the default).
    pub fn allow_all_capabilities(&self) {
        self.lock().capabilities = None;
    }

    /// The next `calls` web-service calls fail this way.
    pub fn fail_next(&self, calls: u32, fault: Fault) {
        let mut site = self.lock();
        site.fault = fault;
        site.fault_calls = calls;
    }

    /// The user opens the course (as a browser would): Moodle records `lastcourseaccess`.
    pub fn open_course(&self, userid: u64, courseid: u64, at: i64) {
        if let Some(e) = self.lock().enrolments.get_mut(&(userid, courseid)) {
            e.lastaccess = at;
        }
    }

    pub fn enrolment(&self, userid: u64, courseid: u64) -> Option<Enrolment> {
        self.lock().enrolments.get(&(userid, courseid)).cloned()
    }

    pub fn user_by_email(&self, email: &str) -> Option<User> {
        self.lock()
            .users
            .values()
            .find(|u| u.email.eq_ignore_ascii_case(email))
            .cloned()
    }

    pub fn users(&self) -> Vec<User> {
        self.lock().users.values().cloned().collect()
    }

    pub fn course_by_shortname(&self, shortname: &str) -> Option<Course> {
        self.lock()
            .courses
            .values()
            .find(|c| c.shortname == shortname)
            .cloned()
    }

    pub fn category_by_idnumber(&self, idnumber: &str) -> Option<Category> {
        self.lock()
            .categories
            .values()
            .find(|c| c.idnumber == idnumber)
            .cloned()
    }

    pub fn groups(&self, courseid: u64) -> Vec<Group> {
        self.lock()
            .groups
            .values()
            .filter(|g| g.courseid == courseid)
            .cloned()
            .collect()
    }

    pub fn has_role(&self, roleid: u64, userid: u64, contextlevel: &str, instanceid: u64) -> bool {
        self.lock()
            .assignments
            .contains(&(roleid, userid, contextlevel.into(), instanceid))
    }

    /// How many requests reached `login/token.php`.
    pub fn logins(&self) -> usize {
        self.lock().logins
    }

    /// The web-service functions called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/webservice/rest/server.php", post(rest).get(rest))
            .route("/login/token.php", post(login).get(login_get))
            .route("/course/view.php", axum::routing::get(course_page))
            .route(
                "/login/forgot_password.php",
                axum::routing::get(forgot_password_page),
            )
            .route("/simulator/capabilities", axum::routing::put(capabilities))
            .route("/simulator/faults", axum::routing::put(faults))
            .with_state(self.clone())
    }

    /// Serves on `listener` until the process ends.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// The fault to apply to this call, consuming one.
    fn take_fault(&self) -> Fault {
        let mut site = self.lock();
        if site.fault_calls == 0 {
            return Fault::None;
        }
        site.fault_calls -= 1;
        site.fault
    }

    fn call(&self, function: &str, p: &Value) -> WsResult {
        let mut site = self.lock();
        site.calls.push(function.to_owned());
        if site.withdrawn.contains(function) {
            return Err(err(
                "webservice_access_exception",
                "accessexception",
                format!(
                    "Access control exception (Access to the function {function}() is not allowed.)"
                ),
            ));
        }
        match function {
            "core_webservice_get_site_info" => Ok(site_info(&site.withdrawn)),
            "core_user_get_users_by_field" => {
                get_users(&site, p).map(|users| hide_fields(&site, users))
            }
            "core_user_get_users" => search_users(&site, p),
            "core_user_create_users" => create_users(&mut site, p),
            "enrol_manual_enrol_users" => site
                .require("enrol/manual:enrol", "Enrol users")
                .and_then(|()| enrol(&mut site, p)),
            "enrol_manual_unenrol_users" => unenrol(&mut site, p),
            "core_enrol_get_users_courses" => users_courses(&site, p),
            "core_enrol_get_enrolled_users" => site
                .require("moodle/course:viewparticipants", "View participants")
                .and_then(|()| enrolled_users(&site, p))
                .map(|users| hide_fields(&site, users)),
            "core_role_assign_roles" => assign_roles(&mut site, p),
            "core_course_create_courses" => create_courses(&mut site, p),
            "core_course_create_categories" => create_categories(&mut site, p),
            "core_course_get_courses_by_field" => courses_by_field(&site, p),
            "core_course_search_courses" => search_courses(&site, p),
            "core_course_duplicate_course" => site
                .require("moodle/backup:backupcourse", "Backup courses")
                .and_then(|()| site.require("moodle/restore:restorecourse", "Restore courses"))
                .and_then(|()| duplicate_course(&mut site, p)),
            "core_group_create_groups" => create_groups(&mut site, p),
            "core_group_add_group_members" => add_members(&mut site, p),
            "core_course_get_categories" => categories(&site, p),
            "core_group_get_course_groups" => course_groups(&site, p),
            _ => Err(err(
                "dml_missing_record_exception",
                "invalidrecordunknown",
                "Can't find data record in database.",
            )),
        }
    }
}

/// The functions the simulator implements (all in the token's service).
pub const FUNCTIONS: [&str; 18] = [
    "core_webservice_get_site_info",
    "core_user_get_users_by_field",
    "core_user_get_users",
    "core_user_create_users",
    "enrol_manual_enrol_users",
    "enrol_manual_unenrol_users",
    "core_enrol_get_users_courses",
    "core_enrol_get_enrolled_users",
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
];

fn site_info(withdrawn: &BTreeSet<String>) -> Value {
    let functions = FUNCTIONS.iter().filter(|f| !withdrawn.contains(**f));
    json!({
        "sitename": "Moodle simulator", "username": "wsuser", "userid": 2, "siteurl": "http://moodle-sim",
        "release": "5.1 (simulator)", "version": "2025100600",
        "functions": functions.map(|f| json!({"name": f, "version": "2025100600"})).collect::<Vec<_>>()
    })
}

/// Turns PHP bracket notation (`a[0][b]=x`) into nested JSON (arrays for numeric keys).
pub fn parse_brackets(pairs: &[(String, String)]) -> Value {
    let mut root = Map::new();
    for (key, value) in pairs {
        let mut parts: Vec<&str> = Vec::new();
        let (head, rest) = key
            .split_once('[')
            .map_or((key.as_str(), ""), |(h, r)| (h, r));
        parts.push(head);
        for segment in rest.split('[') {
            if let Some(s) = segment.strip_suffix(']') {
                parts.push(s);
            }
        }
        let mut node = &mut root;
        for (i, part) in parts.iter().enumerate() {
            if i + 1 == parts.len() {
                node.insert((*part).to_owned(), Value::String(value.clone()));
            } else {
                let child = node
                    .entry((*part).to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !child.is_object() {
                    *child = Value::Object(Map::new());
                }
                node = child.as_object_mut().expect("an object");
            }
        }
    }
    arrays(Value::Object(root))
}

fn arrays(value: Value) -> Value {
    match value {
        Value::Object(map) if !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok()) => {
            let mut items: Vec<(usize, Value)> = map
                .into_iter()
                .map(|(k, v)| (k.parse().expect("numeric"), arrays(v)))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            Value::Array(items.into_iter().map(|(_, v)| v).collect())
        }
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, arrays(v))).collect()),
        other => other,
    }
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn number(v: &Value, name: &str) -> Result<u64, WsError> {
    text(v, name)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| invalid(format!("Invalid parameter value detected ({name})")))
}

fn int_or_zero(v: &Value, name: &str) -> i64 {
    text(v, name).and_then(|t| t.parse().ok()).unwrap_or(0)
}

fn list<'a>(p: &'a Value, name: &str) -> Result<&'a Vec<Value>, WsError> {
    p.get(name)
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(format!("Invalid parameter value detected ({name})")))
}

/// What Moodle leaves out of a user without the capabilities to see it.
fn hide_fields(site: &Site, users: Value) -> Value {
    let Value::Array(mut users) = users else {
        return users;
    };
    // The web-service user (id 2) always sees itself whole.
    let others = users
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .filter(|u| u.get("id") != Some(&json!(2)));
    for user in others {
        if !site.can("moodle/site:viewuseridentity") {
            user.remove("email");
        }
        if !site.can("moodle/user:viewalldetails") {
            user.remove("username");
        }
    }
    Value::Array(users)
}

fn user_json(u: &User) -> Value {
    json!({"id": u.id, "username": u.username, "email": u.email, "firstname": u.firstname, "lastname": u.lastname,
           "fullname": format!("{} {}", u.firstname, u.lastname), "idnumber": u.idnumber, "suspended": u.suspended, "auth": "manual"})
}

/// `core_user_get_users` by `email`: Moodle's case-insensitive SQL `LIKE` (`_` one character,
/// `%` any, `\` escaping either), users whose email the caller may not see left out (Moodle
/// lists only users whose searched fields it returns).
fn search_users(site: &Site, p: &Value) -> WsResult {
    let mut users: Vec<&User> = site.users.values().collect();
    for c in list(p, "criteria")? {
        let value = text(c, "value").unwrap_or_default().to_lowercase();
        match text(c, "key").as_deref() {
            Some("email") => users.retain(|u| {
                (u.id == 2 || site.can("moodle/site:viewuseridentity"))
                    && like(&u.email.to_lowercase(), &value)
            }),
            _ => return Err(invalid("Invalid parameter value detected (criteria)")),
        }
    }
    let users = Value::Array(users.into_iter().map(user_json).collect());
    Ok(json!({"users": hide_fields(site, users), "warnings": []}))
}

/// SQL `LIKE` with `\` as the escape character.
fn like(text: &str, pattern: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    fn at(t: &[char], p: &[char]) -> bool {
        match p {
            [] => t.is_empty(),
            ['%', rest @ ..] => (0..=t.len()).any(|i| at(&t[i..], rest)),
            ['_', rest @ ..] => !t.is_empty() && at(&t[1..], rest),
            ['\\', c, rest @ ..] | [c, rest @ ..] => t.first() == Some(c) && at(&t[1..], rest),
        }
    }
    at(&t, &p)
}

fn get_users(site: &Site, p: &Value) -> WsResult {
    let field = text(p, "field").unwrap_or_default();
    let values: Vec<String> = list(p, "values")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let found: Vec<Value> = site
        .users
        .values()
        .filter(|u| {
            values.iter().any(|v| match field.as_str() {
                "id" => u.id.to_string() == *v,
                // Exact, as Moodle on PostgreSQL matches it; a search by a field the caller
                // may not see finds nobody.
                "email" => (u.id == 2 || site.can("moodle/site:viewuseridentity")) && u.email == *v,
                "username" => {
                    (u.id == 2 || site.can("moodle/user:viewalldetails"))
                        && u.username == v.to_lowercase()
                }
                "idnumber" => !u.idnumber.is_empty() && u.idnumber == *v,
                _ => false,
            })
        })
        .map(user_json)
        .collect();
    if !["id", "email", "username", "idnumber"].contains(&field.as_str()) {
        return Err(invalid("Invalid parameter value detected (field)"));
    }
    Ok(Value::Array(found))
}

/// Whether PHP's `strip_tags` would change a name (PARAM_NOTAGS): Moodle refuses such a value
/// (`Ada <3`) rather than store it changed. A `<` before a space is kept (`a < b`).
fn strips_tags(name: &str) -> bool {
    name.match_indices('<')
        .any(|(i, _)| !name[i + 1..].starts_with(char::is_whitespace))
}

/// Moodle's `validate_email` (PHP's `FILTER_VALIDATE_EMAIL`), which `core_user_create_users`
/// applies to `email` (PARAM_EMAIL): ASCII dot-atoms, then letter-digit-hyphen labels ending in
/// letters; no accent anywhere (`élodie@example.org` is `invalidparameter`). PHP also takes a
/// quoted local part or an address literal, which nobody types into a shop: refused here.
fn validate_email(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let atom = |a: &str| {
        !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b))
    };
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    address.len() <= 254
        && local.len() <= 64
        && local.split('.').all(atom)
        && domain.split('.').all(label)
        && domain.contains('.')
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// A name as Moodle's listings give it (`format_string` on a site with its default settings):
/// `&` not starting an entity as `&amp;`, `<` and `>` as `&lt;` and `&gt;`. What was stored is
/// what was typed; only the answer is formatted.
fn formatted(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, c) in name.char_indices() {
        match c {
            '&' if !starts_entity(&name[i + 1..]) => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Moodle's `replace_ampersands_not_followed_by_entity`: `[a-zA-Z0-9#]{1,8};` after the `&`.
fn starts_entity(after: &str) -> bool {
    let code = after
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'#')
        .count();
    (1..=8).contains(&code) && after.as_bytes().get(code) == Some(&b';')
}

fn create_users(site: &mut Site, p: &Value) -> WsResult {
    let wanted = list(p, "users")?;
    let mut taken_names: BTreeSet<String> =
        site.users.values().map(|u| u.username.clone()).collect();
    let mut taken_emails: BTreeSet<String> = site
        .users
        .values()
        .map(|u| u.email.to_lowercase())
        .collect();
    let mut new = Vec::new();
    for u in wanted {
        let username = text(u, "username").unwrap_or_default();
        let email = text(u, "email").unwrap_or_default();
        let (first, last) = (
            text(u, "firstname").unwrap_or_default(),
            text(u, "lastname").unwrap_or_default(),
        );
        let param_username = username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.@".contains(c));
        if !param_username {
            // Moodle's PARAM_USERNAME (without extendedusernamechars): a-z 0-9 _ - . @.
            return Err(invalid(format!(
                "Invalid parameter value detected (users => Invalid parameter value detected (username => Invalid parameter value detected: {username} is not of the \"username\" type))"
            )));
        }
        if username.is_empty()
            || first.is_empty()
            || last.is_empty()
            || !validate_email(&email)
            || strips_tags(&first)
            || strips_tags(&last)
        {
            return Err(invalid("Invalid parameter value detected"));
        }
        if email.len() > 100 || username.len() > 100 {
            // mdl_user.email and .username are varchar(100).
            return Err(err(
                "dml_write_exception",
                "dmlwriteexception",
                "Error writing to database",
            ));
        }
        if !taken_names.insert(username.clone()) {
            return Err(invalid(format!("Username already exists: {username}")));
        }
        if !taken_emails.insert(email.to_lowercase()) {
            return Err(invalid(format!("Email address already exists: {email}")));
        }
        new.push(User {
            id: 0,
            username,
            email,
            firstname: first,
            lastname: last,
            idnumber: text(u, "idnumber").unwrap_or_default(),
            suspended: false,
            password: text(u, "password"),
        });
    }
    let mut out = Vec::new();
    for mut user in new {
        user.id = site.next("user");
        out.push(json!({"id": user.id, "username": user.username}));
        site.users.insert(user.id, user);
    }
    Ok(Value::Array(out))
}

fn assignable_in_course(role: u64) -> bool {
    matches!(role, EDITINGTEACHER | TEACHER | STUDENT | MANAGER)
}

fn enrol(site: &mut Site, p: &Value) -> WsResult {
    let mut checked = Vec::new();
    for e in list(p, "enrolments")? {
        let (role, user, course) = (
            number(e, "roleid")?,
            number(e, "userid")?,
            number(e, "courseid")?,
        );
        if course == 1 {
            return Err(err(
                "moodle_exception",
                "wsnoinstance",
                "Manual enrolment plugin instance doesn't exist or is disabled for the course",
            ));
        }
        if !site.courses.contains_key(&course) {
            return Err(invalid("Invalid parameter value detected"));
        }
        if !site.users.contains_key(&user) {
            return Err(err(
                "dml_missing_record_exception",
                "invalidrecordunknown",
                "Can't find data record in database.",
            ));
        }
        if !assignable_in_course(role) {
            return Err(err(
                "core\\exception\\moodle_exception",
                "wsusercannotassign",
                "You don't have the permission to assign this role to this user in this course.",
            ));
        }
        let suspended = int_or_zero(e, "suspend") == 1;
        checked.push((
            role,
            user,
            course,
            int_or_zero(e, "timestart"),
            int_or_zero(e, "timeend"),
            suspended,
        ));
    }
    for (role, user, course, timestart, timeend, suspended) in checked {
        let entry = site
            .enrolments
            .entry((user, course))
            .or_insert_with(|| Enrolment {
                timestart,
                timeend,
                suspended,
                roles: BTreeSet::new(),
                lastaccess: 0,
            });
        entry.timestart = timestart;
        entry.timeend = timeend;
        entry.suspended = suspended;
        entry.roles.insert(role);
        site.assignments
            .insert((role, user, "course".into(), course));
    }
    Ok(Value::Null)
}

fn unenrol(site: &mut Site, p: &Value) -> WsResult {
    for e in list(p, "enrolments")? {
        let (user, course) = (number(e, "userid")?, number(e, "courseid")?);
        site.enrolments.remove(&(user, course));
        for g in site.groups.values_mut().filter(|g| g.courseid == course) {
            g.members.remove(&user);
        }
    }
    Ok(Value::Null)
}

/// Moodle's `enrol_get_users_courses` (only active enrolments): started strictly before "now"
/// rounded down to 100 s (Moodle rounds it for its query cache), and not ended.
fn users_courses(site: &Site, p: &Value) -> WsResult {
    let user = number(p, "userid")?;
    let exact = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let now = exact - exact % 100;
    let courses: Vec<Value> = site
        .enrolments
        .iter()
        .filter(|((u, _), e)| *u == user && !e.suspended)
        .filter(|(_, e)| e.timestart < now && (e.timeend == 0 || e.timeend > exact))
        .filter_map(|((_, c), _)| site.courses.get(c))
        .map(|c| json!({"id": c.id, "shortname": formatted(&c.shortname), "fullname": formatted(&c.fullname), "category": c.categoryid}))
        .collect();
    Ok(Value::Array(courses))
}

fn enrolled_users(site: &Site, p: &Value) -> WsResult {
    let course = number(p, "courseid")?;
    let users: Vec<Value> = site
        .enrolments
        .iter()
        .filter(|((_, c), _)| *c == course)
        .filter_map(|((u, _), e)| site.users.get(u).map(|user| (user, e)))
        .map(|(u, e)| {
            let mut v = user_json(u);
            v["lastcourseaccess"] = json!(e.lastaccess);
            v["roles"] = e.roles.iter().map(|r| json!({"roleid": r, "shortname": ROLES.iter().find(|(id, _)| id == r).map_or("", |(_, n)| *n)})).collect();
            v
        })
        .collect();
    Ok(Value::Array(users))
}

fn assign_roles(site: &mut Site, p: &Value) -> WsResult {
    let mut checked = Vec::new();
    for a in list(p, "assignments")? {
        let (role, user) = (number(a, "roleid")?, number(a, "userid")?);
        let level = text(a, "contextlevel").unwrap_or_else(|| "system".into());
        let instance = text(a, "instanceid")
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        if !site.users.contains_key(&user) {
            return Err(err(
                "dml_missing_record_exception",
                "invalidrecordunknown",
                "Can't find data record in database.",
            ));
        }
        let exists = match level.as_str() {
            "course" => site.courses.contains_key(&instance),
            "coursecat" => site.categories.contains_key(&instance),
            "system" => true,
            "user" => site.users.contains_key(&instance),
            _ => false,
        };
        if !exists {
            return Err(invalid("Invalid parameter value detected (context)"));
        }
        let assignable = match level.as_str() {
            "course" => assignable_in_course(role),
            "coursecat" | "system" => matches!(role, MANAGER | COURSECREATOR),
            _ => false,
        };
        if !assignable {
            return Err(err(
                "core\\exception\\moodle_exception",
                "wsusercannotassign",
                "You don't have the permission to assign this role to this user in this context.",
            ));
        }
        checked.push((role, user, level, instance));
    }
    site.assignments.extend(checked);
    Ok(Value::Null)
}

fn new_course(
    site: &mut Site,
    shortname: String,
    fullname: String,
    category: u64,
    idnumber: String,
) -> Result<Course, WsError> {
    if site.courses.values().any(|c| c.shortname == shortname) {
        return Err(err(
            "core\\exception\\moodle_exception",
            "shortnametaken",
            format!("Short name is already used for another course ({shortname})"),
        ));
    }
    if !idnumber.is_empty() && site.courses.values().any(|c| c.idnumber == idnumber) {
        return Err(err(
            "core\\exception\\moodle_exception",
            "courseidnumbertaken",
            "ID number is already used for another course",
        ));
    }
    if !site.categories.contains_key(&category) {
        return Err(err(
            "core\\exception\\moodle_exception",
            "errorcatcontextnotvalid",
            "You cannot execute functions in the category context",
        ));
    }
    Ok(Course {
        id: 0,
        shortname,
        fullname,
        categoryid: category,
        idnumber,
        visible: 1,
        summary: String::new(),
    })
}

fn create_courses(site: &mut Site, p: &Value) -> WsResult {
    let mut made = Vec::new();
    for c in list(p, "courses")? {
        let mut course = new_course(
            site,
            text(c, "shortname").unwrap_or_default(),
            text(c, "fullname").unwrap_or_default(),
            number(c, "categoryid")?,
            text(c, "idnumber").unwrap_or_default(),
        )?;
        course.summary = text(c, "summary").unwrap_or_default();
        made.push(course);
    }
    let mut out = Vec::new();
    for mut course in made {
        course.id = site.next("course");
        out.push(json!({"id": course.id, "shortname": course.shortname}));
        site.courses.insert(course.id, course);
    }
    Ok(Value::Array(out))
}

fn duplicate_course(site: &mut Site, p: &Value) -> WsResult {
    let source = number(p, "courseid")?;
    if !site.courses.contains_key(&source) {
        return Err(invalid("Invalid parameter value detected"));
    }
    let mut course = new_course(
        site,
        text(p, "shortname").unwrap_or_default(),
        text(p, "fullname").unwrap_or_default(),
        number(p, "categoryid")?,
        String::new(),
    )?;
    course.id = site.next("course");
    let out = json!({"id": course.id, "shortname": course.shortname});
    site.courses.insert(course.id, course);
    Ok(out)
}

fn create_categories(site: &mut Site, p: &Value) -> WsResult {
    let mut out = Vec::new();
    for c in list(p, "categories")? {
        let idnumber = text(c, "idnumber").unwrap_or_default();
        if !idnumber.is_empty() && site.categories.values().any(|k| k.idnumber == idnumber) {
            return Err(err(
                "core\\exception\\moodle_exception",
                "categoryidnumbertaken",
                "ID number is already used for another category",
            ));
        }
        let parent = text(c, "parent").and_then(|t| t.parse().ok()).unwrap_or(0);
        if parent != 0 && !site.categories.contains_key(&parent) {
            return Err(invalid("Invalid parameter value detected (parent)"));
        }
        let name = text(c, "name").unwrap_or_default();
        if name.chars().count() > 255 {
            return Err(err(
                "core\\exception\\moodle_exception",
                "categorytoolong",
                "Category name too long",
            ));
        }
        let id = site.next("category");
        out.push(json!({"id": id, "name": formatted(&name)}));
        site.categories.insert(
            id,
            Category {
                id,
                name,
                parent,
                idnumber,
            },
        );
    }
    Ok(Value::Array(out))
}

fn courses_by_field(site: &Site, p: &Value) -> WsResult {
    let field = text(p, "field").unwrap_or_default();
    let value = text(p, "value").unwrap_or_default();
    let courses: Vec<Value> = site
        .courses
        .values()
        .filter(|c| match field.as_str() {
            "id" => c.id.to_string() == value,
            "ids" => value.split(',').any(|v| v.trim() == c.id.to_string()),
            "shortname" => c.shortname == value,
            "idnumber" => !c.idnumber.is_empty() && c.idnumber == value,
            "category" => c.categoryid.to_string() == value,
            "" => true,
            _ => false,
        })
        .map(|c| json!({"id": c.id, "shortname": formatted(&c.shortname), "fullname": formatted(&c.fullname), "categoryid": c.categoryid, "idnumber": c.idnumber, "visible": c.visible}))
        .collect();
    Ok(json!({"courses": courses, "warnings": []}))
}

/// `criterianame=search` as Moodle runs it (`get_courses_search`): every word of the value, in
/// any case, somewhere in the summary, full name, idnumber or short name; the front page never;
/// `perpage` of them from `page` (0: all), and how many there are.
fn search_courses(site: &Site, p: &Value) -> WsResult {
    if text(p, "criterianame").as_deref() != Some("search") {
        return Err(invalid("Invalid value for criterianame parameter"));
    }
    let value = text(p, "criteriavalue").unwrap_or_default().to_lowercase();
    let words: Vec<&str> = value.split_whitespace().collect();
    let found: Vec<&Course> = (site.courses.values())
        .filter(|c| c.id > 1)
        .filter(|c| {
            let all = [&c.summary, &c.fullname, &c.idnumber, &c.shortname]
                .map(|t| t.as_str())
                .join(" ")
                .to_lowercase();
            words.iter().all(|w| all.contains(w))
        })
        .collect();
    let (page, perpage) = (
        number(p, "page").unwrap_or(0),
        number(p, "perpage").unwrap_or(0),
    );
    let shown = found.iter().skip((page * perpage) as usize);
    let shown: Vec<Value> = shown
        .take(if perpage == 0 { usize::MAX } else { perpage as usize })
        .map(|c| json!({"id": c.id, "shortname": formatted(&c.shortname), "fullname": formatted(&c.fullname),
            "displayname": formatted(&c.fullname), "categoryid": c.categoryid, "summary": c.summary}))
        .collect();
    Ok(json!({"total": found.len(), "courses": shown, "warnings": []}))
}

fn create_groups(site: &mut Site, p: &Value) -> WsResult {
    let mut out = Vec::new();
    for g in list(p, "groups")? {
        let course = number(g, "courseid")?;
        let name = text(g, "name").unwrap_or_default();
        if !site.courses.contains_key(&course)
            || name.is_empty()
            || site
                .groups
                .values()
                .any(|x| x.courseid == course && x.name == name)
        {
            return Err(invalid("Invalid parameter value detected"));
        }
        let id = site.next("group");
        out.push(json!({"id": id, "courseid": course, "name": name}));
        site.groups.insert(
            id,
            Group {
                id,
                courseid: course,
                name,
                members: BTreeSet::new(),
            },
        );
    }
    Ok(Value::Array(out))
}

fn add_members(site: &mut Site, p: &Value) -> WsResult {
    let mut checked = Vec::new();
    for m in list(p, "members")? {
        let (group, user) = (number(m, "groupid")?, number(m, "userid")?);
        let course = site
            .groups
            .get(&group)
            .map(|g| g.courseid)
            .ok_or_else(|| invalid("Invalid parameter value detected"))?;
        if !site.enrolments.contains_key(&(user, course)) {
            return Err(invalid("Only enrolled users may be members of groups"));
        }
        checked.push((group, user));
    }
    for (group, user) in checked {
        site.groups
            .get_mut(&group)
            .expect("checked")
            .members
            .insert(user);
    }
    Ok(Value::Null)
}

/// `criteria[]: {key: id|name|idnumber|parent, value}`, all to match; none lists every category.
fn categories(site: &Site, p: &Value) -> WsResult {
    let criteria: Vec<(String, String)> = p["criteria"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| {
                    (
                        text(c, "key").unwrap_or_default(),
                        text(c, "value").unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let found: Vec<Value> = site
        .categories
        .values()
        .filter(|k| {
            criteria.iter().all(|(key, value)| match key.as_str() {
                "id" => k.id.to_string() == *value,
                "name" => k.name == *value,
                "idnumber" => !k.idnumber.is_empty() && k.idnumber == *value,
                "parent" => k.parent.to_string() == *value,
                _ => false,
            })
        })
        .map(|k| json!({"id": k.id, "name": formatted(&k.name), "idnumber": k.idnumber, "parent": k.parent}))
        .collect();
    Ok(Value::Array(found))
}

fn course_groups(site: &Site, p: &Value) -> WsResult {
    let course = number(p, "courseid")?;
    let groups: Vec<Value> = site
        .groups
        .values()
        .filter(|g| g.courseid == course)
        .map(|g| json!({"id": g.id, "courseid": g.courseid, "name": formatted(&g.name), "description": ""}))
        .collect();
    Ok(Value::Array(groups))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn html(status: StatusCode) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html")],
        "<html><body>Site unavailable</body></html>",
    )
        .into_response()
}

async fn apply_fault(sim: &Simulator) -> Option<Response> {
    match sim.take_fault() {
        Fault::None => None,
        Fault::Down => Some(html(StatusCode::SERVICE_UNAVAILABLE)),
        Fault::ServerError => Some(html(StatusCode::INTERNAL_SERVER_ERROR)),
        Fault::Slow(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            None
        }
    }
}

async fn rest(
    State(sim): State<Simulator>,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> Response {
    if let Some(failed) = apply_fault(&sim).await {
        return failed;
    }
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    pairs.extend(serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body).unwrap_or_default());
    let params = parse_brackets(&pairs);
    let token = text(&params, "wstoken").unwrap_or_default();
    let valid = token == *sim.token || sim.lock().tokens.contains_key(&token);
    let answer = if !valid {
        Err(err(
            "core\\exception\\moodle_exception",
            "invalidtoken",
            "Invalid token - token not found",
        ))
    } else {
        let function = text(&params, "wsfunction").unwrap_or_default();
        let answer = sim.call(&function, &params);
        sim.save();
        answer
    };
    match answer {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(e) => json_response(
            StatusCode::OK,
            &json!({"exception": e.exception, "errorcode": e.errorcode, "message": e.message}),
        ),
    }
}

#[derive(Deserialize)]
struct CapabilitiesInput {
    capabilities: Option<Vec<String>>,
}

/// `PUT /simulator/capabilities` `{"capabilities": [...]}`, or `null` for all: a test takes a
/// capability from the web-service user and gives it back, as a Moodle administrator would.
/// The simulator's own control route; a real Moodle has none.
async fn capabilities(
    State(sim): State<Simulator>,
    axum::Json(input): axum::Json<CapabilitiesInput>,
) -> StatusCode {
    match input.capabilities {
        Some(caps) => sim.set_capabilities(&caps.iter().map(String::as_str).collect::<Vec<_>>()),
        None => sim.allow_all_capabilities(),
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsInput {
    calls: u32,
    fault: FaultName,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FaultName {
    None,
    Down,
    ServerError,
}

/// `PUT /simulator/faults` `{"calls": n, "fault": "down" | "server_error" | "none"}`: the next
/// `n` web-service calls fail so (a test that drives the pages, not this crate, makes Moodle
/// go down and come back).
async fn faults(
    State(sim): State<Simulator>,
    axum::Json(input): axum::Json<FaultsInput>,
) -> StatusCode {
    let fault = match input.fault {
        FaultName::None => Fault::None,
        FaultName::Down => Fault::Down,
        FaultName::ServerError => Fault::ServerError,
    };
    sim.fail_next(input.calls, fault);
    StatusCode::NO_CONTENT
}

/// The page a course link of a message opens: the course's full name, as Moodle titles it
/// (a simulator's stand-in for the course page; 404 for an unknown id).
async fn course_page(
    State(sim): State<Simulator>,
    axum::extract::Query(q): axum::extract::Query<BTreeMap<String, String>>,
) -> Response {
    let id = q.get("id").and_then(|i| i.parse::<u64>().ok());
    let site = sim.lock();
    let Some(course) = id.and_then(|id| site.courses.get(&id)) else {
        return (
            StatusCode::NOT_FOUND,
            "Can't find data record in database table course.",
        )
            .into_response();
    };
    let name: String = course
        .fullname
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | '&' | '"'))
        .collect();
    page(&format!("Course: {name}"))
}

async fn forgot_password_page() -> Response {
    page("Forgotten password")
}

fn page(title: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><main><h1>{title}</h1></main></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

async fn login_get() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"error": "A required parameter (username) was missing", "errorcode": "missingparam"}),
    )
}

async fn login(State(sim): State<Simulator>, body: axum::body::Bytes) -> Response {
    sim.lock().logins += 1;
    if let Some(failed) = apply_fault(&sim).await {
        return failed;
    }
    let params = parse_brackets(
        &serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body).unwrap_or_default(),
    );
    // PARAM_USERNAME, as login/token.php reads it: trimmed, lower-cased, spaces and characters
    // other than a-z 0-9 - . _ @ dropped (` A d!a ` signs in `ada`).
    let username: String = text(&params, "username")
        .unwrap_or_default()
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._@".contains(*c))
        .collect();
    let password = text(&params, "password").unwrap_or_default();
    if text(&params, "service").is_none() || username.is_empty() {
        return json_response(
            StatusCode::OK,
            &json!({"error": "A required parameter was missing", "errorcode": "missingparam"}),
        );
    }
    let mut site = sim.lock();
    let user = site
        .users
        .values()
        .find(|u| {
            u.username == username
                && u.password.as_deref() == Some(password.as_str())
                && !u.suspended
        })
        .map(|u| u.id);
    match user {
        Some(id) => {
            let token = format!("usertoken{id:08}");
            site.tokens.insert(token.clone(), id);
            drop(site);
            sim.save();
            json_response(
                StatusCode::OK,
                &json!({"token": token, "privatetoken": null}),
            )
        }
        None => json_response(
            StatusCode::OK,
            &json!({"error": "Invalid login, please try again", "errorcode": "invalidlogin", "stacktrace": null, "debuginfo": null, "reproductionlink": null}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQL `LIKE` as PostgreSQL reads it, `\` its default escape character.
    #[test]
    fn like_takes_wildcards_unless_escaped() {
        assert!(like("mary_s@x.org", "mary\\_s@x.org"));
        assert!(!like("mary.s@x.org", "mary\\_s@x.org"));
        assert!(like("mary.s@x.org", "mary_s@x.org"));
        assert!(like("mary.s@x.org", "m%@x.org"));
        assert!(!like("mary.s@x.org", "m%@x.com"));
        assert!(like("100%@x.org", "100\\%@x.org"));
        assert!(!like("1000@x.org", "100\\%@x.org"));
    }

    #[test]
    fn brackets_become_nested_values() {
        let pairs: Vec<(String, String)> = [
            ("enrolments[0][roleid]", "5"),
            ("enrolments[0][userid]", "7"),
            ("enrolments[1][roleid]", "3"),
            ("values[0]", "a@b.c"),
            ("field", "email"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let v = parse_brackets(&pairs);
        assert_eq!(v["enrolments"][0]["userid"], "7");
        assert_eq!(v["enrolments"][1]["roleid"], "3");
        assert_eq!(v["values"][0], "a@b.c");
        assert_eq!(v["field"], "email");
    }
}
