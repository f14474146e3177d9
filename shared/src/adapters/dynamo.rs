//! The DynamoDB store: one table (`infra/table.json`), items as `pk`, `sk`, `v` (version),
//! `body` (the JSON record; `bodyz`, deflated, when it is over a kilobyte), `expires_at` (the
//! TTL attribute) and `gsiNpk`/`gsiNsk`.
//!
//! A single action is sent as `PutItem`/`DeleteItem`/`UpdateItem` with a condition expression
//! (one request, half the write capacity of a transaction); several go in one
//! `TransactWriteItems`.
//! Expired items are treated as absent in reads and conditions, since DynamoDB deletes them
//! only up to 48 h after their TTL.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put,
    ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use serde::Deserialize;

use crate::ports::{
    Expect, Index, Item, Key, MAX_BATCH_GET, PutIf, Query, Record, Store, StoreError, Write,
    check_writes, now_epoch,
};

/// The table definition shared with `template.yaml` (a test keeps them equal).
pub const TABLE_DEFINITION: &str = include_str!("../../../infra/table.json");

type Attrs = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn backend<E: std::fmt::Debug>(e: E) -> StoreError {
    StoreError::Backend(format!("{e:?}"))
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn key_attrs(key: &Key) -> Attrs {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
            ("sk".to_owned(), AttributeValue::S(key.sk.clone())),
        ])
    }
}

/// A counter's update: its count `n` and version `v` grow, an empty body on creation.
const ADD: &str = "SET n = if_not_exists(n, :zero) + :by, v = if_not_exists(v, :zero) + :one, body = if_not_exists(body, :empty)";

/// The condition expression for an expectation, with its placeholders.
fn condition(expect: Expect) -> (String, Attrs) {
    let now = AttributeValue::N(now_epoch().to_string());
    let live = "(attribute_not_exists(expires_at) OR expires_at > :now)";
    match expect {
        Expect::Absent => (
            "attribute_not_exists(pk) OR expires_at <= :now".into(),
            HashMap::from([(":now".into(), now)]),
        ),
        Expect::Present => (
            format!("attribute_exists(pk) AND {live}"),
            HashMap::from([(":now".into(), now)]),
        ),
        Expect::Version(v) => (
            format!("v = :v AND {live}"),
            HashMap::from([
                (":now".into(), now),
                (":v".into(), AttributeValue::N(v.to_string())),
            ]),
        ),
    }
}

/// An `Add`'s update expression (with its expiry when given), its condition and placeholders:
/// the count before the add is at most `at_most - by` (or the counter does not exist yet and
/// `by` alone fits), and a decrement never takes it below zero.
fn add_parts(
    by: i64,
    at_most: Option<u64>,
    expires_at: Option<i64>,
) -> (String, Option<String>, Attrs) {
    let mut values: Attrs = HashMap::from([
        (":zero".into(), AttributeValue::N("0".into())),
        (":one".into(), AttributeValue::N("1".into())),
        (":by".into(), AttributeValue::N(by.to_string())),
        (":empty".into(), AttributeValue::S(String::new())),
    ]);
    let mut conditions = Vec::new();
    if by < 0 {
        values.insert(
            ":floor".into(),
            AttributeValue::N(by.unsigned_abs().to_string()),
        );
        conditions.push("n >= :floor".to_owned());
    }
    if let Some(max) = at_most {
        let limit = i128::from(max) - i128::from(by);
        if limit >= 0 {
            values.insert(":limit".into(), AttributeValue::N(limit.to_string()));
            conditions.push("(attribute_not_exists(n) OR n <= :limit)".to_owned());
        } else {
            conditions.push("(attribute_not_exists(pk) AND attribute_exists(pk))".to_owned());
        }
    }
    let condition = (!conditions.is_empty()).then(|| conditions.join(" AND "));
    let update = match expires_at {
        Some(t) => {
            values.insert(":ttl".into(), AttributeValue::N(t.to_string()));
            format!("{ADD}, expires_at = :ttl")
        }
        None => ADD.to_owned(),
    };
    (update, condition, values)
}

fn put_parts(item: Item, when: PutIf) -> (Attrs, String, Attrs) {
    let (expect, version) = match when {
        PutIf::Absent => (Expect::Absent, 1),
        PutIf::Version(v) => (Expect::Version(v), v + 1),
    };
    let mut attrs = DynamoStore::key_attrs(&item.key);
    attrs.insert("v".into(), AttributeValue::N(version.to_string()));
    let (name, body) = stored_body(item.body);
    attrs.insert(name.into(), body);
    if let Some(t) = item.expires_at {
        attrs.insert("expires_at".into(), AttributeValue::N(t.to_string()));
    }
    for (index, key) in item.indexes {
        attrs.insert(format!("{}pk", index.name()), AttributeValue::S(key.pk));
        attrs.insert(format!("{}sk", index.name()), AttributeValue::S(key.sk));
    }
    let (expr, values) = condition(expect);
    (attrs, expr, values)
}

/// Bodies longer than this are stored deflated. DynamoDB bills a write by the kilobyte of the
/// whole item, again for each copy in an index that projects it (gsi3): a bill's 2-3 KB of
/// JSON deflates to about 1.2 KB, a write unit less each time it is written.
const DEFLATE_ABOVE: usize = 1024;

/// The largest body inflated: DynamoDB's item limit (400 KB) with room to spare.
const INFLATE_LIMIT: usize = 1 << 20;

/// A body as it is stored: `body` as text, or `bodyz` as raw deflate when that is smaller.
fn stored_body(body: String) -> (&'static str, AttributeValue) {
    if body.len() > DEFLATE_ABOVE {
        let deflated = miniz_oxide::deflate::compress_to_vec(body.as_bytes(), 6);
        if deflated.len() < body.len() {
            return ("bodyz", AttributeValue::B(deflated.into()));
        }
    }
    ("body", AttributeValue::S(body))
}

/// A stored body as text: `bodyz` inflated when there is one (a counter's update may have
/// added an empty `body` beside it), else `body`.
fn body(attrs: &Attrs) -> Result<String, StoreError> {
    let Some(AttributeValue::B(deflated)) = attrs.get("bodyz") else {
        return text(attrs, "body");
    };
    let bytes =
        miniz_oxide::inflate::decompress_to_vec_with_limit(deflated.as_ref(), INFLATE_LIMIT)
            .map_err(|e| StoreError::Backend(format!("bodyz does not inflate: {e}")))?;
    String::from_utf8(bytes).map_err(backend)
}

fn text(attrs: &Attrs, name: &str) -> Result<String, StoreError> {
    match attrs.get(name) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        other => Err(StoreError::Backend(format!(
            "attribute {name} is {other:?}"
        ))),
    }
}

fn number(attrs: &Attrs, name: &str) -> Result<Option<i64>, StoreError> {
    match attrs.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(n)) => n.parse().map(Some).map_err(backend),
        other => Err(StoreError::Backend(format!(
            "attribute {name} is {other:?}"
        ))),
    }
}

/// Turns a stored item into a record, or `None` when it has expired.
fn record(attrs: &Attrs, now: i64) -> Result<Option<Record>, StoreError> {
    let expires_at = number(attrs, "expires_at")?;
    if expires_at.is_some_and(|t| t <= now) {
        return Ok(None);
    }
    let mut indexes = std::collections::BTreeMap::new();
    for index in Index::ALL {
        let (pk, sk) = (format!("{}pk", index.name()), format!("{}sk", index.name()));
        if attrs.contains_key(&pk) {
            indexes.insert(index, Key::new(text(attrs, &pk)?, text(attrs, &sk)?));
        }
    }
    let version = number(attrs, "v")?.ok_or_else(|| StoreError::Backend("no version".into()))?;
    let count = number(attrs, "n")?.unwrap_or(0);
    Ok(Some(Record {
        version: u64::try_from(version).map_err(backend)?,
        count: u64::try_from(count).map_err(backend)?,
        item: Item {
            key: Key::new(text(attrs, "pk")?, text(attrs, "sk")?),
            body: body(attrs)?,
            expires_at,
            indexes,
        },
    }))
}

/// A single conditional request's outcome: `ConditionFailed` when `refused` says DynamoDB
/// refused it on its condition.
fn conditional<T, E: std::fmt::Debug, R: std::fmt::Debug>(
    sent: Result<T, SdkError<E, R>>,
    refused: impl Fn(&E) -> bool,
) -> Result<(), StoreError> {
    match sent {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(e)) if refused(e.err()) => Err(StoreError::ConditionFailed),
        Err(e) => Err(backend(e)),
    }
}

/// Whether a record read for `query` belongs to its answer: its key in the queried range, and,
/// for an index, still in the queried partition (an item read after a keys-only index listed it
/// may have moved since, a bill changing status).
fn answers(query: &Query, r: &Record) -> bool {
    let key = match query.index {
        None => Some(&r.item.key),
        Some(index) => r.item.indexes.get(&index),
    };
    key.is_some_and(|k| k.pk == query.pk && query.admits(&k.sk))
}

impl DynamoStore {
    /// The items a keys-only index page lists, read from the table in the page's order (one
    /// batch read; an item deleted since is left out).
    async fn items_listed(&self, entries: &[Attrs]) -> Result<Vec<Record>, StoreError> {
        let keys = entries
            .iter()
            .map(|attrs| Ok(Key::new(text(attrs, "pk")?, text(attrs, "sk")?)))
            .collect::<Result<Vec<Key>, StoreError>>()?;
        let mut found: HashMap<Key, Record> = self
            .get_many(&keys)
            .await?
            .into_iter()
            .map(|r| (r.item.key.clone(), r))
            .collect();
        Ok(keys.iter().filter_map(|k| found.remove(k)).collect())
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Record>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        match out.item {
            Some(attrs) => record(&attrs, now_epoch()),
            None => Ok(None),
        }
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Record>, StoreError> {
        // BatchGetItem refuses a key listed twice.
        let keys: std::collections::BTreeSet<&Key> = keys.iter().collect();
        let keys: Vec<&Key> = keys.into_iter().collect();
        let mut out = Vec::with_capacity(keys.len());
        let now = now_epoch();
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let mut wanted = KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(|k| Self::key_attrs(k)).collect()))
                .consistent_read(true)
                .build()
                .map_err(backend)?;
            // Keys DynamoDB leaves unprocessed (throttling) are asked again, after a pause.
            for attempt in 0u32.. {
                let page = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, wanted)
                    .send()
                    .await
                    .map_err(backend)?;
                for attrs in page
                    .responses()
                    .and_then(|r| r.get(&self.table))
                    .into_iter()
                    .flatten()
                {
                    out.extend(record(attrs, now)?);
                }
                match page
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                {
                    Some(left) if !left.keys().is_empty() && attempt < 10 => {
                        tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                        wanted = left;
                    }
                    Some(left) if !left.keys().is_empty() => {
                        return Err(StoreError::Backend("batch read throttled".into()));
                    }
                    _ => break,
                }
            }
        }
        Ok(out)
    }

    async fn query(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        let (pk, sk) = match query.index {
            None => ("pk".to_owned(), "sk".to_owned()),
            Some(i) => (format!("{}pk", i.name()), format!("{}sk", i.name())),
        };
        let mut expr = "#pk = :pk".to_owned();
        let mut values = HashMap::from([(":pk".to_owned(), AttributeValue::S(query.pk.clone()))]);
        let mut names = HashMap::from([("#pk".to_owned(), pk)]);
        // One condition on the sort key per query: a bound when there is one (the prefix and
        // any other bound are then checked here), the prefix otherwise.
        if let Some(before) = &query.before {
            expr.push_str(" AND #sk < :before");
            values.insert(":before".into(), AttributeValue::S(before.clone()));
            names.insert("#sk".into(), sk);
        } else if let Some(after) = &query.after {
            expr.push_str(" AND #sk > :after");
            values.insert(":after".into(), AttributeValue::S(after.clone()));
            names.insert("#sk".into(), sk);
        } else if !query.sk_prefix.is_empty() {
            expr.push_str(" AND begins_with(#sk, :prefix)");
            values.insert(":prefix".into(), AttributeValue::S(query.sk_prefix.clone()));
            names.insert("#sk".into(), sk);
        }
        let limit = query.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.map(|i| i.name().to_owned()))
                .consistent_read(query.index.is_none())
                .scan_index_forward(!query.descending)
                .set_limit(query.limit.and_then(|l| i32::try_from(l.max(1)).ok()))
                .key_condition_expression(&expr)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(backend)?;
            let records = match query.index {
                Some(index) if keys_only(index) => self.items_listed(page.items()).await?,
                _ => {
                    let now = now_epoch();
                    let mut records = Vec::with_capacity(page.items().len());
                    for attrs in page.items() {
                        records.extend(record(attrs, now)?);
                    }
                    records
                }
            };
            for r in records {
                if answers(query, &r) {
                    out.push(r);
                    if out.len() == limit {
                        return Ok(out);
                    }
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }

    async fn write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_writes(&writes)?;
        if writes.len() == 1 {
            return self
                .write_one(writes.into_iter().next().expect("one"))
                .await;
        }
        let items = writes
            .into_iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => match e.into_err() {
                TransactWriteItemsError::TransactionCanceledException(c)
                    if c.cancellation_reasons()
                        .iter()
                        .any(|r| r.code() == Some("ConditionalCheckFailed")) =>
                {
                    Err(StoreError::ConditionFailed)
                }
                other => Err(backend(other)),
            },
            Err(e) => Err(backend(e)),
        }
    }
}

impl DynamoStore {
    /// A lone put, delete or add as one conditional request; a lone check as a one-action
    /// transaction.
    async fn write_one(&self, write: Write) -> Result<(), StoreError> {
        match write {
            Write::Put { item, when } => {
                let (attrs, expr, values) = put_parts(item, when);
                let sent = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(attrs))
                    .condition_expression(expr)
                    .set_expression_attribute_values(Some(values))
                    .send()
                    .await;
                conditional(sent, |e| {
                    matches!(e, PutItemError::ConditionalCheckFailedException(_))
                })
            }
            Write::Delete { key, when } => {
                let (expr, values) = condition(when);
                let sent = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(Self::key_attrs(&key)))
                    .condition_expression(expr)
                    .set_expression_attribute_values(Some(values))
                    .send()
                    .await;
                conditional(sent, |e| {
                    matches!(e, DeleteItemError::ConditionalCheckFailedException(_))
                })
            }
            Write::Add {
                key,
                by,
                at_most,
                expires_at,
            } => {
                let (update, expr, values) = add_parts(by, at_most, expires_at);
                let sent = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(Self::key_attrs(&key)))
                    .update_expression(update)
                    .set_condition_expression(expr)
                    .set_expression_attribute_values(Some(values))
                    .send()
                    .await;
                conditional(sent, |e| {
                    matches!(e, UpdateItemError::ConditionalCheckFailedException(_))
                })
            }
            other @ Write::Check { .. } => {
                let item = self.transact_item(other)?;
                self.client
                    .transact_write_items()
                    .transact_items(item)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| match e.as_service_error() {
                        Some(TransactWriteItemsError::TransactionCanceledException(_)) => {
                            StoreError::ConditionFailed
                        }
                        _ => backend(e),
                    })
            }
        }
    }

    fn transact_item(&self, write: Write) -> Result<TransactWriteItem, StoreError> {
        let item = match write {
            Write::Put { item, when } => {
                let (attrs, expr, values) = put_parts(item, when);
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(attrs))
                    .condition_expression(expr)
                    .set_expression_attribute_values(Some(values))
                    .build()
                    .map_err(backend)?;
                TransactWriteItem::builder().put(put).build()
            }
            Write::Delete { key, when } => {
                let (expr, values) = condition(when);
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(Self::key_attrs(&key)))
                    .condition_expression(expr)
                    .set_expression_attribute_values(Some(values))
                    .build()
                    .map_err(backend)?;
                TransactWriteItem::builder().delete(delete).build()
            }
            Write::Check { key, when } => {
                let (expr, values) = condition(when);
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(Self::key_attrs(&key)))
                    .condition_expression(expr)
                    .set_expression_attribute_values(Some(values))
                    .build()
                    .map_err(backend)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
            Write::Add {
                key,
                by,
                at_most,
                expires_at,
            } => {
                let (update, expr, values) = add_parts(by, at_most, expires_at);
                let update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(Self::key_attrs(&key)))
                    .update_expression(update)
                    .set_condition_expression(expr)
                    .set_expression_attribute_values(Some(values))
                    .build()
                    .map_err(backend)?;
                TransactWriteItem::builder().update(update).build()
            }
        };
        Ok(item)
    }
}

/// The parts of `infra/table.json` that CreateTable needs.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    pub attribute_definitions: Vec<NameType>,
    pub key_schema: Vec<NameKeyType>,
    pub global_secondary_indexes: Vec<IndexDefinition>,
    pub time_to_live_attribute: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameType {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameKeyType {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexDefinition {
    pub index_name: String,
    pub key_schema: Vec<NameKeyType>,
    pub projection: ProjectionDefinition,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionDefinition {
    /// `ALL` or `KEYS_ONLY`.
    pub projection_type: String,
}

impl TableDefinition {
    pub fn load() -> Self {
        serde_json::from_str(TABLE_DEFINITION).expect("infra/table.json is valid")
    }

    /// Whether `index` keeps only the items' keys: a query of it then reads the items
    /// themselves. Such an index is written only when an item enters it, leaves it or moves in
    /// it, never when the rest of the item changes (README "What an order costs on AWS").
    pub fn keys_only(&self, index: Index) -> bool {
        self.global_secondary_indexes
            .iter()
            .any(|i| i.index_name == index.name() && i.projection.projection_type == "KEYS_ONLY")
    }
}

/// Whether `index` keeps only keys, by `infra/table.json` (read once a process).
fn keys_only(index: Index) -> bool {
    static KEYS_ONLY: std::sync::OnceLock<[bool; 3]> = std::sync::OnceLock::new();
    let flags = KEYS_ONLY.get_or_init(|| {
        let def = TableDefinition::load();
        Index::ALL.map(|i| def.keys_only(i))
    });
    flags[index as usize]
}

fn key_schema(keys: &[NameKeyType]) -> Result<Vec<KeySchemaElement>, StoreError> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(backend)
        })
        .collect()
}

/// Creates the table from `infra/table.json` (local development and tests; production
/// tables come from `template.yaml`). Does nothing when the table already exists.
pub async fn ensure_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let exists = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .is_ok();
    if exists {
        return Ok(());
    }
    let def = TableDefinition::load();
    let mut create = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&def.key_schema)?));
    for a in &def.attribute_definitions {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .map_err(backend)?,
        );
    }
    for i in &def.global_secondary_indexes {
        create = create.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&i.index_name)
                .set_key_schema(Some(key_schema(&i.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(
                            i.projection.projection_type.as_str(),
                        ))
                        .build(),
                )
                .build()
                .map_err(backend)?,
        );
    }
    create.send().await.map_err(backend)?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(&def.time_to_live_attribute)
                .enabled(true)
                .build()
                .map_err(backend)?,
        )
        .send()
        .await
        .map_err(backend)?;
    Ok(())
}

/// A DynamoDB client for an endpoint (moto, DynamoDB Local) or, with `None`, AWS's
/// (configuration: [`super::aws::sdk_config`]).
pub fn client(endpoint: Option<&str>) -> Client {
    Client::new(&super::aws::sdk_config(endpoint))
}
