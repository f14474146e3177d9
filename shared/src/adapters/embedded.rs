//! The embedded, file-backed store for the local stack: one redb file in the data directory.
//!
//! redb transactions are serializable (one writer at a time), so a write checks all its
//! conditions and applies all its actions inside one write transaction: the same all-or-nothing
//! semantics as DynamoDB's `TransactWriteItems`. Secondary indexes are kept as extra tables in
//! the same transaction. Expired items are hidden at once and removed when next overwritten.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::ports::{
    Expect, Index, Item, Key, PutIf, Query, Record, Store, StoreError, Write, check_writes,
    now_epoch,
};

const ITEMS: TableDefinition<(&str, &str), &str> = TableDefinition::new("items");

fn index_table(
    index: Index,
) -> TableDefinition<'static, (&'static str, &'static str, &'static str, &'static str), ()> {
    TableDefinition::new(index.name())
}

/// What is stored per item (the key is the table key).
#[derive(Serialize, Deserialize)]
struct Stored {
    version: u64,
    #[serde(default)]
    count: u64,
    body: String,
    expires_at: Option<i64>,
    indexes: BTreeMap<String, (String, String)>,
}

impl Stored {
    fn live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }

    fn into_record(self, key: Key) -> Record {
        let indexes = Index::ALL
            .into_iter()
            .filter_map(|i| {
                self.indexes
                    .get(i.name())
                    .map(|(pk, sk)| (i, Key::new(pk, sk)))
            })
            .collect();
        Record {
            version: self.version,
            count: self.count,
            item: Item {
                key,
                body: self.body,
                expires_at: self.expires_at,
                indexes,
            },
        }
    }
}

#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl EmbeddedStore {
    /// Opens (or creates) the store file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(backend)?;
        let txn = db.begin_write().map_err(backend)?;
        txn.open_table(ITEMS).map_err(backend)?;
        for index in Index::ALL {
            txn.open_table(index_table(index)).map_err(backend)?;
        }
        txn.commit().map_err(backend)?;
        Ok(Self { db: Arc::new(db) })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(backend)?
    }
}

fn read_stored(
    table: &impl ReadableTable<(&'static str, &'static str), &'static str>,
    key: &Key,
) -> Result<Option<Stored>, StoreError> {
    match table
        .get((key.pk.as_str(), key.sk.as_str()))
        .map_err(backend)?
    {
        Some(guard) => serde_json::from_str(guard.value())
            .map(Some)
            .map_err(backend),
        None => Ok(None),
    }
}

fn holds(expect: Expect, current: Option<&Stored>) -> bool {
    match (expect, current) {
        (Expect::Absent, current) => current.is_none(),
        (Expect::Present, current) => current.is_some(),
        (Expect::Version(v), Some(s)) => s.version == v,
        (Expect::Version(_), None) => false,
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, key: &Key) -> Result<Option<Record>, StoreError> {
        let key = key.clone();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(ITEMS).map_err(backend)?;
            let now = now_epoch();
            Ok(read_stored(&table, &key)?
                .filter(|s| s.live(now))
                .map(|s| s.into_record(key)))
        })
        .await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Record>, StoreError> {
        let keys: std::collections::BTreeSet<Key> = keys.iter().cloned().collect();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(ITEMS).map_err(backend)?;
            let now = now_epoch();
            let mut out = Vec::new();
            for key in keys {
                if let Some(s) = read_stored(&table, &key)?.filter(|s| s.live(now)) {
                    out.push(s.into_record(key));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        let query = query.clone();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let items = txn.open_table(ITEMS).map_err(backend)?;
            let now = now_epoch();
            // Ranges start at the prefix, or past it at the lower bound.
            let from = match query.after.as_deref() {
                Some(a) if a > query.sk_prefix.as_str() => a,
                _ => query.sk_prefix.as_str(),
            };
            // Below the bound, or past every key with the prefix.
            let prefix_end = format!("{}\u{10FFFF}", query.sk_prefix);
            let upper = match query.before.as_deref() {
                Some(b) if b < prefix_end.as_str() => b,
                _ => prefix_end.as_str(),
            };
            let limit = query.limit.unwrap_or(usize::MAX);
            let mut out = Vec::new();
            if from >= upper {
                return Ok(out);
            }
            // Read in the asked order and stop at the limit.
            let mut take = |key: Key| -> Result<bool, StoreError> {
                if let Some(s) = read_stored(&items, &key)?.filter(|s| s.live(now)) {
                    out.push(s.into_record(key));
                }
                Ok(out.len() < limit)
            };
            let pk = query.pk.as_str();
            match query.index {
                None => {
                    let range = items.range((pk, from)..(pk, upper)).map_err(backend)?;
                    let entries: Box<dyn Iterator<Item = _>> = if query.descending {
                        Box::new(range.rev())
                    } else {
                        Box::new(range)
                    };
                    for entry in entries {
                        let (k, _) = entry.map_err(backend)?;
                        let (pk, sk) = k.value();
                        if query.admits(sk) && !take(Key::new(pk, sk))? {
                            break;
                        }
                    }
                }
                Some(index) => {
                    let table = txn.open_table(index_table(index)).map_err(backend)?;
                    let range = table
                        .range((pk, from, "", "")..(pk, upper, "", ""))
                        .map_err(backend)?;
                    let entries: Box<dyn Iterator<Item = _>> = if query.descending {
                        Box::new(range.rev())
                    } else {
                        Box::new(range)
                    };
                    for entry in entries {
                        let (k, _) = entry.map_err(backend)?;
                        let (_, isk, pk, sk) = k.value();
                        if query.admits(isk) && !take(Key::new(pk, sk))? {
                            break;
                        }
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    async fn write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_writes(&writes)?;
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(backend)?;
            {
                let mut items = txn.open_table(ITEMS).map_err(backend)?;
                let now = now_epoch();
                let mut current = Vec::with_capacity(writes.len());
                for w in &writes {
                    let stored = read_stored(&items, w.key())?;
                    let live = stored.as_ref().filter(|s| s.live(now));
                    let ok = match w {
                        Write::Put {
                            when: PutIf::Absent,
                            ..
                        } => live.is_none(),
                        Write::Put {
                            when: PutIf::Version(v),
                            ..
                        } => holds(Expect::Version(*v), live),
                        Write::Delete { when, .. } | Write::Check { when, .. } => {
                            holds(*when, live)
                        }
                        Write::Add { by, at_most, .. } => {
                            let count = live.map_or(0, |s| s.count);
                            count
                                .checked_add_signed(*by)
                                .is_some_and(|n| at_most.is_none_or(|max| n <= max))
                        }
                    };
                    if !ok {
                        return Err(StoreError::ConditionFailed); // dropping `txn` aborts it
                    }
                    current.push(stored);
                }
                for (w, old) in writes.into_iter().zip(current) {
                    apply(&txn, &mut items, w, old)?;
                }
            }
            txn.commit().map_err(backend)
        })
        .await
    }
}

/// Applies one action whose condition held; `old` is the item as stored (live or expired).
fn apply(
    txn: &redb::WriteTransaction,
    items: &mut redb::Table<(&str, &str), &str>,
    write: Write,
    old: Option<Stored>,
) -> Result<(), StoreError> {
    let (key, new) = match write {
        Write::Check { .. } => return Ok(()),
        Write::Delete { key, .. } => (key, None),
        Write::Add {
            key,
            by,
            expires_at,
            ..
        } => {
            let live = old.as_ref().filter(|s| s.live(now_epoch()));
            let stored = Stored {
                version: live.map_or(0, |s| s.version) + 1,
                count: live
                    .map_or(0, |s| s.count)
                    .checked_add_signed(by)
                    .expect("checked with the condition"),
                body: live.map_or_else(String::new, |s| s.body.clone()),
                expires_at: expires_at.or(live.and_then(|s| s.expires_at)),
                indexes: live.map(|s| s.indexes.clone()).unwrap_or_default(),
            };
            (key, Some(stored))
        }
        Write::Put { item, when } => {
            let version = match when {
                PutIf::Absent => 1,
                PutIf::Version(v) => v + 1,
            };
            let stored = Stored {
                version,
                count: 0,
                body: item.body,
                expires_at: item.expires_at,
                indexes: item
                    .indexes
                    .into_iter()
                    .map(|(i, k)| (i.name().to_owned(), (k.pk, k.sk)))
                    .collect(),
            };
            (item.key, Some(stored))
        }
    };
    let k = (key.pk.as_str(), key.sk.as_str());
    if let Some(old) = &old {
        for (name, (ipk, isk)) in &old.indexes {
            let index = Index::ALL
                .into_iter()
                .find(|i| i.name() == name)
                .expect("known index");
            let mut table = txn.open_table(index_table(index)).map_err(backend)?;
            table
                .remove((ipk.as_str(), isk.as_str(), k.0, k.1))
                .map_err(backend)?;
        }
    }
    match new {
        None => {
            items.remove(k).map_err(backend)?;
        }
        Some(stored) => {
            for index in Index::ALL {
                if let Some((ipk, isk)) = stored.indexes.get(index.name()) {
                    let mut table = txn.open_table(index_table(index)).map_err(backend)?;
                    table
                        .insert((ipk.as_str(), isk.as_str(), k.0, k.1), ())
                        .map_err(backend)?;
                }
            }
            let json = serde_json::to_string(&stored).map_err(backend)?;
            items.insert(k, json.as_str()).map_err(backend)?;
        }
    }
    Ok(())
}
