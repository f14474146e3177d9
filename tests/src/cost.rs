//! What a run costs on AWS, as its requests show it: an SDK interceptor that turns each DynamoDB
//! request into read and write request units by DynamoDB's documented rules, and one that counts
//! SQS requests; the public on-demand prices they are charged at.
//!
//! moto answers DynamoDB's `ConsumedCapacity` with fixed figures, so the meter works the units
//! out itself: it reads each request and its answer, and keeps the image of every item the run
//! wrote (the meter sees every write from the table's creation), which gives the "larger of the
//! before and after images" a write is charged for and the index entries it changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use base64::Engine;
use serde_json::{Map, Value};

/// Public on-demand prices, US East (N. Virginia), in dollars, as AWS's pricing pages give them
/// on [`PRICES_DATE`].
pub mod prices {
    /// The day these prices were read.
    pub const PRICES_DATE: &str = "2026-12-06";
    /// DynamoDB on demand, a million write request units (since the 50 % cut of November 2024).
    pub const DYNAMODB_WRITE_MILLION: f64 = 0.625;
    /// DynamoDB on demand, a million read request units.
    pub const DYNAMODB_READ_MILLION: f64 = 0.125;
    /// Lambda, a million requests.
    pub const LAMBDA_REQUEST_MILLION: f64 = 0.20;
    /// Lambda on arm64 (Graviton), a GB-second of duration.
    pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
    /// The functions' memory (`template.yaml`, `MemorySize: 256`), in GB.
    pub const LAMBDA_MEMORY_GB: f64 = 0.25;
    /// API Gateway HTTP API, a million requests (the first 300 million a month).
    pub const HTTP_API_MILLION: f64 = 1.00;
    /// SQS FIFO queue, a million requests (each 64 KB chunk of a payload is one request).
    pub const SQS_FIFO_MILLION: f64 = 0.50;
    /// SES, a message sent (outbound e-mail, $0.10 per 1,000).
    pub const SES_MESSAGE: f64 = 0.000_1;
}

pub use prices::PRICES_DATE;

/// How long AWS and Moodle take to answer from a function in AWS's region, in milliseconds
/// (moto and the simulator answer at their own pace, which is not AWS's: a moto transaction
/// copies the whole table, hundreds of ms). Assumed, typical figures, not measured here.
pub mod latency {
    /// A DynamoDB single-item read or write, a query or a batch read.
    pub const DYNAMODB_MS: f64 = 5.0;
    /// A DynamoDB transaction (`TransactWriteItems`).
    pub const TRANSACTION_MS: f64 = 15.0;
    /// An SQS request.
    pub const SQS_MS: f64 = 10.0;
    /// A Moodle web-service call (PHP behind the internet).
    pub const MOODLE_MS: f64 = 150.0;
    /// A message handed to SES.
    pub const SES_MS: f64 = 30.0;
}

/// DynamoDB request units as the meter works them out.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Units {
    /// Read request units (an eventually consistent read of 4 KB is half a unit).
    pub read: f64,
    /// Write request units, index writes included.
    pub write: f64,
}

#[derive(Debug, Default)]
struct Ledger {
    units: Units,
    /// Time spent waiting for moto's answers.
    waited: Duration,
    requests: BTreeMap<String, usize>,
    /// The run's items by (pk, sk), as last written.
    images: HashMap<(String, String), Map<String, Value>>,
}

/// The DynamoDB interceptor: request units and requests by operation since the last reset.
#[derive(Clone, Debug, Default)]
pub struct CapacityMeter(Arc<Mutex<Ledger>>);

/// The request body and when it left, kept in the request's config bag until its answer.
#[derive(Clone, Debug)]
struct Sent(Value, Instant);

impl Storable for Sent {
    type Storer = StoreReplace<Self>;
}

impl CapacityMeter {
    /// Forgets the units and requests counted so far (the item images stay).
    pub fn reset(&self) {
        let mut ledger = self.0.lock().unwrap();
        ledger.units = Units::default();
        ledger.requests.clear();
    }

    pub fn units(&self) -> Units {
        self.0.lock().unwrap().units
    }

    pub fn requests(&self) -> BTreeMap<String, usize> {
        self.0.lock().unwrap().requests.clone()
    }

    /// Time spent waiting for DynamoDB (moto) since the meter was made.
    pub fn waited(&self) -> Duration {
        self.0.lock().unwrap().waited
    }

    /// Charges one answered request: `op` sent `sent`, got `answer` (`ok` when it succeeded).
    fn charge(&self, op: &str, sent: &Value, answer: &Value, ok: bool) {
        let mut ledger = self.0.lock().unwrap();
        *ledger.requests.entry(op.to_owned()).or_default() += 1;
        let units = match op {
            "GetItem" => Units {
                read: read_units(answer.get("Item").map_or(0, item_size), consistent(sent)),
                write: 0.0,
            },
            "BatchGetItem" => batch_get(sent, answer),
            "Query" | "Scan" => query(sent, answer),
            "PutItem" => ledger.put(&sent["Item"], ok, 1.0),
            "DeleteItem" => ledger.delete(&sent["Key"], ok, 1.0),
            "UpdateItem" => ledger.update(&sent["Key"], 1.0),
            "TransactWriteItems" => ledger.transaction(sent, ok),
            _ => Units::default(),
        };
        ledger.units.read += units.read;
        ledger.units.write += units.write;
        if std::env::var_os("COST_TRACE").is_some() {
            eprintln!(
                "{op:<20} {:>5.1} read {:>5.1} write  {}",
                units.read,
                units.write,
                what(sent)
            );
        }
    }
}

/// The keys a request names, for `COST_TRACE`: the kinds of item it touches and their sizes.
fn what(sent: &Value) -> String {
    let mut keys = Vec::new();
    let mut walk = vec![sent];
    while let Some(v) = walk.pop() {
        match v {
            Value::Object(m) => {
                if let Some(pk) = m.get("pk").and_then(|p| p["S"].as_str()) {
                    let kind = pk.split('#').next().unwrap_or(pk);
                    let sk = m.get("sk").and_then(|p| p["S"].as_str()).unwrap_or("");
                    let sk = sk.split('#').next().unwrap_or(sk);
                    keys.push(format!("{kind}/{sk}:{}", map_size(m)));
                } else {
                    walk.extend(m.values());
                }
            }
            Value::Array(a) => walk.extend(a),
            _ => {}
        }
    }
    if let Some(index) = sent["IndexName"].as_str() {
        keys.push(format!("index {index}"));
    }
    keys.join(" ")
}

fn consistent(sent: &Value) -> bool {
    sent["ConsistentRead"].as_bool().unwrap_or(false)
}

/// Units of a read of `size` bytes: 4 KB a unit, rounded up, at least one; half for an
/// eventually consistent read.
fn read_units(size: usize, consistent: bool) -> f64 {
    let units = size.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Units of a write of `size` bytes: 1 KB a unit, rounded up, at least one.
fn write_units(size: usize) -> f64 {
    size.div_ceil(1024).max(1) as f64
}

/// Each item read is rounded up on its own; a key not found costs the minimum.
fn batch_get(sent: &Value, answer: &Value) -> Units {
    let mut read = 0.0;
    for (table, request) in sent["RequestItems"].as_object().into_iter().flatten() {
        let asked = request["Keys"].as_array().map_or(0, Vec::len);
        let found = answer["Responses"][table]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let c = consistent(request);
        read += found
            .iter()
            .map(|item| read_units(item_size(item), c))
            .sum::<f64>();
        read += asked.saturating_sub(found.len()) as f64 * read_units(0, c);
    }
    Units { read, write: 0.0 }
}

/// A query is charged for the items it read (a filter's dropped items included, counted at the
/// returned items' mean size), summed and then rounded up.
fn query(sent: &Value, answer: &Value) -> Units {
    let items = answer["Items"].as_array().cloned().unwrap_or_default();
    let returned: usize = items.iter().map(item_size).sum();
    let scanned = answer["ScannedCount"].as_u64().unwrap_or(0) as usize;
    let dropped = scanned.saturating_sub(items.len());
    let mean = if items.is_empty() {
        0
    } else {
        returned / items.len()
    };
    Units {
        read: read_units(returned + dropped * mean, consistent(sent)),
        write: 0.0,
    }
}

fn key_of(item: &Value) -> Option<(String, String)> {
    Some((
        item["pk"]["S"].as_str()?.to_owned(),
        item["sk"]["S"].as_str()?.to_owned(),
    ))
}

/// The table's global secondary indexes (`infra/table.json`): key attributes, and whether the
/// index keeps only keys (`KEYS_ONLY`) or whole items (`ALL`).
/// Read once: the meter charges every write of a run.
fn indexes() -> &'static [(String, String, bool)] {
    static INDEXES: std::sync::OnceLock<Vec<(String, String, bool)>> = std::sync::OnceLock::new();
    INDEXES.get_or_init(|| {
        let def = shop_core::adapters::dynamo::TableDefinition::load();
        shop_core::ports::Index::ALL
            .iter()
            .map(|&i| {
                let name = i.name();
                (format!("{name}pk"), format!("{name}sk"), def.keys_only(i))
            })
            .collect()
    })
}

/// What DynamoDB adds to the size of each index entry, in bytes.
const INDEX_ENTRY_OVERHEAD: usize = 100;

/// The write units the indexes charge when an item goes from `old` to `new`: an entry added or
/// removed is one write of its size; an entry whose key changed is a delete and a put; an entry
/// whose key stayed is rewritten (one write) in an index of whole items, and not written at all
/// in a keys-only index. An entry's size is the item's (a keys-only entry: its keys', the
/// table's and the index's) plus 100 bytes.
fn index_units(old: Option<&Map<String, Value>>, new: Option<&Map<String, Value>>) -> f64 {
    indexes()
        .iter()
        .map(|(pk, sk, keys_only)| {
            let entry = |m: Option<&Map<String, Value>>| {
                let m = m?;
                let key = (m.get(pk)?.clone(), m.get(sk)?.clone());
                let size = INDEX_ENTRY_OVERHEAD
                    + if *keys_only {
                        ["pk", "sk", pk, sk]
                            .iter()
                            .filter_map(|&a| m.get(a).map(|v| a.len() + value_size(v)))
                            .sum()
                    } else {
                        map_size(m)
                    };
                Some((key, size))
            };
            match (entry(old), entry(new)) {
                (None, None) => 0.0,
                (None, Some((_, size))) | (Some((_, size)), None) => write_units(size),
                (Some((a, _)), Some((b, _))) if a == b && *keys_only => 0.0,
                (Some((a, before)), Some((b, after))) if a == b => write_units(before.max(after)),
                (Some((_, before)), Some((_, after))) => write_units(before) + write_units(after),
            }
        })
        .sum()
}

impl Ledger {
    /// A put of `item` (a transaction's is charged `factor` = 2 on the table); the image is
    /// kept when it was written.
    fn put(&mut self, item: &Value, ok: bool, factor: f64) -> Units {
        let Some(new) = item.as_object() else {
            return Units::default();
        };
        let key = key_of(item);
        let old = key.as_ref().and_then(|k| self.images.get(k));
        let table = write_units(map_size(new).max(old.map_or(0, map_size))) * factor;
        let index = if ok { index_units(old, Some(new)) } else { 0.0 };
        if ok && let Some(key) = key {
            self.images.insert(key, new.clone());
        }
        Units {
            read: 0.0,
            write: table + index,
        }
    }

    fn delete(&mut self, key: &Value, ok: bool, factor: f64) -> Units {
        let key = key_of(key);
        let old = key.as_ref().and_then(|k| self.images.get(k)).cloned();
        let table = write_units(old.as_ref().map_or(0, map_size)) * factor;
        let index = if ok {
            index_units(old.as_ref(), None)
        } else {
            0.0
        };
        if ok && let Some(key) = key {
            self.images.remove(&key);
        }
        Units {
            read: 0.0,
            write: table + index,
        }
    }

    /// An update (the counters) or a condition check of the item at `key`: charged at the size
    /// of the item it names (`factor` = 2 in a transaction); counters are in no index.
    fn update(&self, key: &Value, factor: f64) -> Units {
        let size = key_of(key)
            .and_then(|k| self.images.get(&k))
            .map_or(0, map_size);
        Units {
            read: 0.0,
            write: factor * write_units(size),
        }
    }

    /// Every action of a transaction is charged twice its size on the table (the condition
    /// checks too); the changes to the indexes as standard writes. An update (the stock
    /// counters) is charged at the size of the item it changes.
    fn transaction(&mut self, sent: &Value, ok: bool) -> Units {
        let mut total = Units::default();
        for action in sent["TransactItems"].as_array().into_iter().flatten() {
            let units = if let Some(put) = action.get("Put") {
                self.put(&put["Item"], ok, 2.0)
            } else if let Some(delete) = action.get("Delete") {
                self.delete(&delete["Key"], ok, 2.0)
            } else {
                let target = action
                    .get("Update")
                    .or_else(|| action.get("ConditionCheck"));
                target.map_or_else(Units::default, |t| self.update(&t["Key"], 2.0))
            };
            total.write += units.write;
        }
        total
    }
}

/// An item's size by DynamoDB's rule: each attribute's name plus its value.
pub fn item_size(item: &Value) -> usize {
    item.as_object().map_or(0, map_size)
}

fn map_size(map: &Map<String, Value>) -> usize {
    map.iter().map(|(name, v)| name.len() + value_size(v)).sum()
}

/// A value's size: strings and binaries their bytes, a number about one byte per two
/// significant digits plus one, a boolean or null one byte, a list or map 3 bytes plus one
/// byte an element plus the elements (a map's with their names).
fn value_size(value: &Value) -> usize {
    let Some((kind, v)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    let number = |n: &str| {
        let digits = n
            .trim_start_matches('-')
            .replace('.', "")
            .trim_matches('0')
            .len();
        digits.div_ceil(2) + 1
    };
    let binary = |b: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_or(b.len(), |d| d.len())
    };
    let strings = |f: &dyn Fn(&str) -> usize| {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(f)
            .sum::<usize>()
    };
    match kind.as_str() {
        "S" => v.as_str().map_or(0, str::len),
        "N" => v.as_str().map_or(0, number),
        "B" => v.as_str().map_or(0, binary),
        "BOOL" | "NULL" => 1,
        "SS" => strings(&str::len),
        "NS" => strings(&number),
        "BS" => strings(&binary),
        "L" => {
            3 + v
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| 1 + value_size(e))
                .sum::<usize>()
        }
        "M" => {
            3 + v
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, e)| 1 + name.len() + value_size(e))
                .sum::<usize>()
        }
        _ => 0,
    }
}

impl Intercept for CapacityMeter {
    fn name(&self) -> &'static str {
        "CapacityMeter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.request().body().bytes().unwrap_or_default();
        let sent = serde_json::from_slice(body).unwrap_or(Value::Null);
        cfg.interceptor_state()
            .store_put(Sent(sent, Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg.load::<Metadata>().map_or("unknown", |m| m.name());
        let Some(Sent(sent, at)) = cfg.load::<Sent>() else {
            return Ok(());
        };
        self.0.lock().unwrap().waited += at.elapsed();
        let Some(response) = context.response() else {
            return Ok(());
        };
        let ok = response.status().is_success();
        let answer = response
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        self.charge(op, sent, &answer, ok);
        Ok(())
    }
}

/// Counts SQS requests by operation, and the time spent waiting for them.
#[derive(Clone, Debug, Default)]
pub struct SqsMeter(Arc<Mutex<(BTreeMap<String, usize>, Duration)>>);

impl SqsMeter {
    pub fn requests(&self) -> BTreeMap<String, usize> {
        self.0.lock().unwrap().0.clone()
    }

    pub fn waited(&self) -> Duration {
        self.0.lock().unwrap().1
    }

    pub fn reset(&self) {
        self.0.lock().unwrap().0.clear();
    }
}

impl aws_sdk_sqs::config::Intercept for SqsMeter {
    fn name(&self) -> &'static str {
        "SqsMeter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state()
            .store_put(Sent(Value::Null, Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg.load::<Metadata>().map_or("unknown", |m| m.name());
        let waited = cfg.load::<Sent>().map(|Sent(_, at)| at.elapsed());
        let mut meter = self.0.lock().unwrap();
        *meter.0.entry(op.to_owned()).or_default() += 1;
        meter.1 += waited.unwrap_or_default();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `{"shirtColor": "R", "shirtSize": "M"}` is its names (10 + 9 bytes) and values (1 + 1);
    /// a number takes one byte per two significant digits plus one; a map or list 3 bytes, one
    /// an element, and the elements.
    #[test]
    fn item_sizes_follow_dynamodbs_rule() {
        let shirt = json!({"shirtColor": {"S": "R"}, "shirtSize": {"S": "M"}});
        assert_eq!(item_size(&shirt), 21);
        assert_eq!(value_size(&json!({"N": "12345"})), 4);
        assert_eq!(value_size(&json!({"N": "-0.0100"})), 2);
        assert_eq!(
            value_size(&json!({"M": {"a": {"S": "xy"}, "b": {"BOOL": true}}})),
            3 + (1 + 1 + 2) + (1 + 1 + 1)
        );
        assert_eq!(
            value_size(&json!({"L": [{"S": "abc"}, {"NULL": true}]})),
            3 + 4 + 2
        );
    }

    /// An item of about `size` bytes, listed in `index` under `entry` when there is one.
    fn listed(pk: &str, size: usize, index: &str, entry: Option<&str>) -> Value {
        let mut item = json!({"pk": {"S": pk}, "sk": {"S": "#"}, "pad": {"S": "x".repeat(size)}});
        if let Some(g) = entry {
            item[format!("{index}pk")] = json!({"S": g});
            item[format!("{index}sk")] = json!({"S": "1"});
        }
        item
    }

    /// An item listed in gsi3, which keeps whole items (`infra/table.json`).
    fn item(pk: &str, size: usize, gsi3: Option<&str>) -> Value {
        listed(pk, size, "gsi3", gsi3)
    }

    /// A new 2.9 KB item with one index entry costs 3 (table) + 3 (index, 100 bytes more);
    /// rewriting it under another index key costs 3 + a delete and a put on the index; a failed
    /// condition costs the table's units only; a counter's update one unit alone, two in a
    /// transaction; a consistent read one unit, an eventual one half.
    #[test]
    fn writes_are_charged_by_size_with_their_index_entries() {
        let meter = CapacityMeter::default();
        let new = item("a", 2900, Some("PAID"));
        meter.charge("PutItem", &json!({"Item": new}), &json!({}), true);
        assert_eq!(meter.units().write, 6.0);
        meter.reset();
        let moved = item("a", 2900, Some("COMPLETE"));
        meter.charge("PutItem", &json!({"Item": moved}), &json!({}), true);
        assert_eq!(meter.units().write, 3.0 + 3.0 + 3.0);
        meter.reset();
        meter.charge(
            "PutItem",
            &json!({"Item": item("a", 10, None)}),
            &json!({}),
            false,
        );
        assert_eq!(
            meter.units().write,
            3.0,
            "the larger image, no index change"
        );
        meter.reset();
        let txn = json!({"TransactItems": [{"Put": {"Item": item("b", 100, None)}},
                                           {"ConditionCheck": {"Key": {"pk": {"S": "a"}, "sk": {"S": "#"}}}}]});
        meter.charge("TransactWriteItems", &txn, &json!({}), true);
        assert_eq!(meter.units().write, 2.0 + 6.0);
        meter.reset();
        let near_two_kb = item("c", 1990, Some("X")); // 2,013 bytes: 2 units, its entry 3
        meter.charge("PutItem", &json!({"Item": near_two_kb}), &json!({}), true);
        assert_eq!(meter.units().write, 2.0 + 3.0, "an entry is 100 bytes more");
        meter.reset();
        let counter = json!({"pk": {"S": "n"}, "sk": {"S": "#"}});
        meter.charge("UpdateItem", &json!({"Key": counter}), &json!({}), true);
        assert_eq!(
            meter.units().write,
            1.0,
            "a counter alone: half a transaction's"
        );
        meter.reset();
        let got = json!({"Item": moved});
        meter.charge("GetItem", &json!({"ConsistentRead": true}), &got, true);
        meter.charge("GetItem", &json!({}), &got, true);
        meter.charge(
            "GetItem",
            &json!({"ConsistentRead": true}),
            &json!({}),
            true,
        );
        assert_eq!(meter.units().read, 1.0 + 0.5 + 1.0);
        assert_eq!(meter.requests()["GetItem"], 3);
    }

    /// In gsi1, which keeps only keys, a 3 KB item's entry is a write of its keys' size (one
    /// unit) when it enters, nothing when the item changes but not its index key, a delete and
    /// a put of one unit each when the key moves, one unit when it leaves.
    #[test]
    fn a_keys_only_index_is_written_only_when_its_entry_moves() {
        let meter = CapacityMeter::default();
        let put = |meter: &CapacityMeter, item: Value| {
            meter.reset();
            meter.charge("PutItem", &json!({"Item": item}), &json!({}), true);
            meter.units().write
        };
        assert_eq!(
            put(&meter, listed("a", 3000, "gsi1", Some("AWAITING"))),
            3.0 + 1.0
        );
        assert_eq!(
            put(&meter, listed("a", 3100, "gsi1", Some("AWAITING"))),
            4.0
        );
        assert_eq!(
            put(&meter, listed("a", 3100, "gsi1", Some("PAID"))),
            4.0 + 2.0
        );
        assert_eq!(put(&meter, listed("a", 3100, "gsi1", None)), 4.0 + 1.0);
    }
}
