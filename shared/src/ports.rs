//! Ports: what the use cases need from the outside world.
//!
//! The [`Store`] is a small key-value port shaped after DynamoDB's single-table design: items
//! under a partition key `pk` and sort key `sk`, up to three secondary indexes, a TTL, and
//! writes that are *all conditional* and *atomic across items*. Every adapter passes the same
//! conformance suite (`shared/tests/store_conformance.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// The secondary indexes of the table (see `infra/table.json` for what each one serves).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Index {
    Gsi1,
    Gsi2,
    Gsi3,
}

impl Index {
    pub const ALL: [Index; 3] = [Index::Gsi1, Index::Gsi2, Index::Gsi3];

    /// The index name, which is also the prefix of its key attributes (`gsi1pk`, `gsi1sk`).
    pub fn name(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1",
            Index::Gsi2 => "gsi2",
            Index::Gsi3 => "gsi3",
        }
    }
}

/// What an item is written with. `body` is the serialized domain record (JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub key: Key,
    pub body: String,
    /// Epoch seconds after which the item no longer exists (DynamoDB TTL semantics, but
    /// exact: stores hide expired items at once instead of up to 48 h later).
    pub expires_at: Option<i64>,
    pub indexes: BTreeMap<Index, Key>,
}

impl Item {
    pub fn new(key: Key, body: String) -> Self {
        Self {
            key,
            body,
            expires_at: None,
            indexes: BTreeMap::new(),
        }
    }

    pub fn expiring_at(mut self, at: DateTime<Utc>) -> Self {
        self.expires_at = Some(at.timestamp());
        self
    }

    pub fn indexed(mut self, index: Index, key: Key) -> Self {
        self.indexes.insert(index, key);
        self
    }
}

/// An item as read, with the version the store gave it (1 on creation, +1 on each put or add)
/// and its counter (0 unless the item is a counter, see [`Write::Add`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub item: Item,
    pub version: u64,
    pub count: u64,
}

/// Condition of a put: the item is new, or still at the version that was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutIf {
    Absent,
    Version(u64),
}

/// Condition of a delete or a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Absent,
    Present,
    Version(u64),
}

/// One action of an atomic write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    Put {
        item: Item,
        when: PutIf,
    },
    Delete {
        key: Key,
        when: Expect,
    },
    /// Writes nothing; fails the whole write when its condition does not hold.
    Check {
        key: Key,
        when: Expect,
    },
    /// Adds `by` to the item's counter, creating a counter item (empty body) at 0 when absent.
    /// With `at_most`, fails when the new count would exceed it: stock that never goes below
    /// zero, a sequence number that must follow the one read, an attempt reserved within a
    /// limit. A negative `by` (releasing a reservation) fails rather than go below zero.
    /// No read is needed. A counter
    /// item is only ever changed by `Add` (a put would replace it whole).
    Add {
        key: Key,
        by: i64,
        at_most: Option<u64>,
        /// When the counter goes (epoch seconds, as [`Item::expires_at`]): a counter of a time
        /// window (failed guesses, lookups) is dropped after it, so that what strangers' requests
        /// make does not stay for ever. Set it after the counter's last use: an add to an
        /// expired counter is not defined.
        expires_at: Option<i64>,
    },
}

impl Write {
    pub fn key(&self) -> &Key {
        match self {
            Write::Put { item, .. } => &item.key,
            Write::Delete { key, .. } | Write::Check { key, .. } | Write::Add { key, .. } => key,
        }
    }
}

/// Items of one partition (of the table or of an index) whose sort key starts with a prefix,
/// in sort-key order (descending on demand), optionally only those whose sort key is below
/// `before` (exclusive: the cursor of the next page) and at most `limit` of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub index: Option<Index>,
    pub pk: String,
    pub sk_prefix: String,
    pub descending: bool,
    /// Sort keys strictly below this one only (paging backwards).
    pub before: Option<String>,
    /// Sort keys strictly above this one only (paging forwards).
    pub after: Option<String>,
    pub limit: Option<usize>,
}

impl Query {
    /// The whole partition `pk` of the table, ascending.
    pub fn partition(pk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            ..Self::default()
        }
    }

    /// Whether a sort key belongs to the answer (prefix and bound).
    pub fn admits(&self, sk: &str) -> bool {
        sk.starts_with(&self.sk_prefix)
            && self.before.as_deref().is_none_or(|b| sk < b)
            && self.after.as_deref().is_none_or(|a| sk > a)
    }
}

/// The most actions in one atomic write (DynamoDB's transaction limit).
pub const MAX_WRITES: usize = 100;

/// The most keys one `get_many` request reads (DynamoDB's `BatchGetItem` limit); adapters split
/// a longer list.
pub const MAX_BATCH_GET: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold; nothing was written.
    #[error("a write condition did not hold")]
    ConditionFailed,
    /// The request itself is not allowed (too many actions, one key twice).
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// The backend failed or is unreachable; the write may be retried.
    #[error("store unavailable: {0}")]
    Backend(String),
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Strongly consistent read of one item.
    async fn get(&self, key: &Key) -> Result<Option<Record>, StoreError>;
    /// Strongly consistent read of several items (DynamoDB's `BatchGetItem`, 100 keys a
    /// request): the records found, in no particular order; absent or expired keys are left
    /// out. For a cart's items among thousands, without reading the others.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Record>, StoreError>;
    async fn query(&self, query: &Query) -> Result<Vec<Record>, StoreError>;
    /// Applies every action or none of them.
    async fn write(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}

/// Checks what every adapter refuses before touching its backend.
pub fn check_writes(writes: &[Write]) -> Result<(), StoreError> {
    if writes.is_empty() || writes.len() > MAX_WRITES {
        return Err(StoreError::Invalid(format!(
            "give 1 to {MAX_WRITES} actions"
        )));
    }
    let mut keys: Vec<&Key> = writes.iter().map(Write::key).collect();
    keys.sort();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(StoreError::Invalid(
            "one key appears twice in one write".into(),
        ));
    }
    Ok(())
}

/// Current time in epoch seconds, for TTL checks.
pub fn now_epoch() -> i64 {
    Utc::now().timestamp()
}

/// A production job: produce every line of a paid (or PREPROD) bill, or revoke what a refunded
/// bill delivered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProductionJob {
    pub shop: crate::domain::ids::ShopId,
    pub bill: crate::domain::bill::BillId,
    #[serde(default)]
    pub kind: JobKind,
    /// Bumped by an operator's retry, so that the queue's deduplication lets it through.
    #[serde(default)]
    pub generation: u32,
}

impl ProductionJob {
    /// The FIFO deduplication id: one message per bill, job kind and generation.
    pub fn dedup_id(&self) -> String {
        let kind = match self.kind {
            JobKind::Produce => "produce",
            JobKind::Revoke => "revoke",
            JobKind::Seats => "seats",
        };
        format!("{}-{kind}-{}", self.bill, self.generation)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    #[default]
    Produce,
    Revoke,
    /// The customer assigned or gave back seats of this bill: bring Moodle in line.
    Seats,
}

#[derive(Debug, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

/// The production queue (SQS in AWS, in-process locally). Delivery is at least once: the
/// consumer must be idempotent, and senders dedupe by bill.
#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, job: ProductionJob) -> Result<(), QueueError>;
}

/// A failure of the learning platform, retryable (unreachable, overloaded) or not (the
/// request is wrong: unknown course, role not assignable).
#[derive(Debug)]
pub struct LmsError {
    pub retryable: bool,
    /// Moodle's error code when Moodle refused the call (`nopermissions`); `None` when it
    /// could not be asked or its answer could not be read.
    pub code: Option<String>,
    /// Moodle's own message when it refused; otherwise what went wrong.
    pub message: String,
}

impl std::fmt::Display for LmsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "Moodle error {code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for LmsError {}

pub use crate::domain::product::EnrolIntent;

/// A character Moodle keeps in a username (`PARAM_USERNAME`, without extended characters):
/// `a-z 0-9 - . _ @`. The usernames the shop makes, and a typed one as Moodle reads it.
pub fn moodle_username_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || "-._@".contains(c)
}

/// The learning platform (Moodle) as production needs it.
#[async_trait]
pub trait Lms: Send + Sync {
    /// The user with this email, created when there is none.
    async fn find_or_create_user(
        &self,
        email: &str,
        firstname: &str,
        lastname: &str,
    ) -> Result<LmsUser, LmsError>;
    /// A course id by `id`, `shortname` or `idnumber`.
    async fn course_id(&self, field: &str, value: &str) -> Result<Option<u64>, LmsError>;
    async fn enrol(&self, intent: &EnrolIntent) -> Result<(), LmsError>;
    /// A role on a context (`system`, `coursecat`, `course`); idempotent in Moodle.
    async fn assign_role(
        &self,
        roleid: u64,
        userid: u64,
        contextlevel: &str,
        instanceid: u64,
    ) -> Result<(), LmsError>;
    /// The course with this short name, made now if absent (copied from the template, or
    /// empty): safe to repeat, as the short name is unique.
    async fn ensure_course(&self, course: &CourseSpec) -> Result<u64, LmsError>;
    /// The category with this idnumber, made now if absent: safe to repeat.
    async fn ensure_category(&self, category: &CategorySpec) -> Result<u64, LmsError>;
    /// Puts an enrolled user in the course group of this name, made now if absent.
    async fn join_group(&self, courseid: u64, group: &str, userid: u64) -> Result<(), LmsError>;
    /// Checks a person's Moodle credentials: their account, or `None` when they are wrong.
    async fn login(&self, username: &str, password: &str) -> Result<Option<LmsUser>, LmsError>;
    /// Whether the user has opened the course (Moodle's `lastcourseaccess`).
    async fn has_started(&self, userid: u64, courseid: u64) -> Result<bool, LmsError>;
    /// At most `limit` of the site's courses (not its front page) holding every word of `q`,
    /// the one whose id `q` is first: the catalogue editor's course picker.
    async fn find_courses(&self, q: &str, limit: usize) -> Result<Vec<LmsCourse>, LmsError>;
    /// The site's course categories, for the category picker.
    async fn categories(&self) -> Result<Vec<LmsCategory>, LmsError>;
}

/// A Moodle course as the catalogue editor shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LmsCourse {
    pub id: u64,
    pub shortname: String,
    pub fullname: String,
    pub idnumber: String,
}

/// A Moodle course category as the catalogue editor shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LmsCategory {
    pub id: u64,
    pub name: String,
    pub parent: u64,
}

/// A Moodle account as the shop needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LmsUser {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
}

/// A course to make, named so that a repeated delivery finds it instead of making another.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CourseSpec {
    pub shortname: String,
    pub fullname: String,
    pub categoryid: u64,
    pub template: Option<u64>,
}

/// A category to make; `idnumber` (unique in Moodle) makes a repeated delivery find it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CategorySpec {
    pub name: String,
    pub parent: u64,
    pub idnumber: String,
}

/// The gateways' own APIs, for the two protocols that call out: Stripe's Checkout Sessions and
/// PayPal's IPN postback. Use cases reach a gateway's network only through this port
/// (`adapters::gateway_api` in the functions and the local stack; a fake in tests).
#[async_trait]
pub trait GatewayApi: Send + Sync {
    /// Creates a Checkout Session from its form fields; answers the session's `url`.
    async fn stripe_session(
        &self,
        api_base: &str,
        secret_key: &str,
        form: Vec<(String, String)>,
    ) -> Result<String, crate::gateways::VerifyError>;
    /// Posts `body` to PayPal's verifier; answers PayPal's words (`VERIFIED`, `INVALID`).
    async fn paypal_postback(
        &self,
        verify_url: &str,
        body: Vec<u8>,
    ) -> Result<String, crate::gateways::VerifyError>;
}

/// A message ready to send: multipart text + HTML, with its attachments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// Unique per message and stable across retries: the `Message-ID` is built from it, so
    /// that a receiving system can tell a resend from a new message.
    pub id: String,
    pub from: String,
    pub to: String,
    /// The shop's sales address, where a buyer's answer goes.
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
    pub language: crate::domain::Language,
    pub sent_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A message the mail system did not take. `permanent`: it never will (a refused recipient,
/// a refused sender); otherwise the message is tried again later.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct MailError {
    pub permanent: bool,
    pub message: String,
}

/// Sends messages: Amazon SES in AWS, an SMTP server, or the local stack's mail catcher.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}
