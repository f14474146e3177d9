//! One conformance suite for every `Store` adapter: the embedded redb store and DynamoDB
//! (through the AWS SDK against a real moto server, with a fresh table per test).

use std::sync::Arc;

use shop_core::adapters::dynamo::{self, DynamoStore};
use shop_core::adapters::embedded::EmbeddedStore;
use shop_core::ports::{Expect, Index, Item, Key, PutIf, Query, Store, StoreError, Write};

fn item(pk: &str, sk: &str, body: &str) -> Item {
    Item::new(Key::new(pk, sk), body.to_owned())
}

fn put(item: Item, when: PutIf) -> Write {
    Write::Put { item, when }
}

async fn body(store: &dyn Store, pk: &str, sk: &str) -> Option<(String, u64)> {
    store
        .get(&Key::new(pk, sk))
        .await
        .unwrap()
        .map(|r| (r.item.body, r.version))
}

async fn creates_once_and_versions_each_put(store: Arc<dyn Store>) {
    let s = store.as_ref();
    assert_eq!(body(s, "A", "1").await, None);
    s.write(vec![put(item("A", "1", "one"), PutIf::Absent)])
        .await
        .unwrap();
    assert_eq!(body(s, "A", "1").await, Some(("one".into(), 1)));
    let again = s
        .write(vec![put(item("A", "1", "other"), PutIf::Absent)])
        .await;
    assert!(matches!(again, Err(StoreError::ConditionFailed)));
    s.write(vec![put(item("A", "1", "two"), PutIf::Version(1))])
        .await
        .unwrap();
    assert_eq!(body(s, "A", "1").await, Some(("two".into(), 2)));
}

async fn stale_versions_lose(store: Arc<dyn Store>) {
    let s = store.as_ref();
    s.write(vec![put(item("B", "1", "v1"), PutIf::Absent)])
        .await
        .unwrap();
    s.write(vec![put(item("B", "1", "v2"), PutIf::Version(1))])
        .await
        .unwrap();
    let stale = s
        .write(vec![put(item("B", "1", "lost"), PutIf::Version(1))])
        .await;
    assert!(matches!(stale, Err(StoreError::ConditionFailed)));
    assert_eq!(body(s, "B", "1").await, Some(("v2".into(), 2)));
    let missing = s
        .write(vec![put(item("B", "2", "x"), PutIf::Version(1))])
        .await;
    assert!(matches!(missing, Err(StoreError::ConditionFailed)));
}

async fn concurrent_writers_from_one_version_only_one_wins(store: Arc<dyn Store>) {
    store
        .write(vec![put(item("C", "1", "start"), PutIf::Absent)])
        .await
        .unwrap();
    let attempts = (0..8).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write(vec![put(
                    item("C", "1", &format!("writer {n}")),
                    PutIf::Version(1),
                )])
                .await
        })
    });
    let mut wins = 0;
    for a in attempts {
        match a.await.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(body(store.as_ref(), "C", "1").await.unwrap().1, 2);
}

async fn multi_item_writes_are_all_or_nothing(store: Arc<dyn Store>) {
    let s = store.as_ref();
    s.write(vec![put(item("D", "taken", "x"), PutIf::Absent)])
        .await
        .unwrap();
    let failing = s
        .write(vec![
            put(item("D", "new", "should not appear"), PutIf::Absent),
            put(item("D", "taken", "should not change"), PutIf::Absent),
        ])
        .await;
    assert!(matches!(failing, Err(StoreError::ConditionFailed)));
    assert_eq!(body(s, "D", "new").await, None);
    assert_eq!(body(s, "D", "taken").await, Some(("x".into(), 1)));
    s.write(vec![
        put(item("D", "new", "a"), PutIf::Absent),
        put(item("D", "taken", "b"), PutIf::Version(1)),
        Write::Check {
            key: Key::new("D", "nothing"),
            when: Expect::Absent,
        },
    ])
    .await
    .unwrap();
    assert_eq!(body(s, "D", "new").await, Some(("a".into(), 1)));
    assert_eq!(body(s, "D", "taken").await, Some(("b".into(), 2)));
}

async fn checks_and_deletes_are_conditional(store: Arc<dyn Store>) {
    let s = store.as_ref();
    s.write(vec![put(item("E", "1", "x"), PutIf::Absent)])
        .await
        .unwrap();
    let check_fails = s
        .write(vec![
            Write::Check {
                key: Key::new("E", "1"),
                when: Expect::Version(7),
            },
            put(item("E", "2", "y"), PutIf::Absent),
        ])
        .await;
    assert!(matches!(check_fails, Err(StoreError::ConditionFailed)));
    assert_eq!(body(s, "E", "2").await, None);
    let wrong = s
        .write(vec![Write::Delete {
            key: Key::new("E", "1"),
            when: Expect::Version(2),
        }])
        .await;
    assert!(matches!(wrong, Err(StoreError::ConditionFailed)));
    s.write(vec![Write::Delete {
        key: Key::new("E", "1"),
        when: Expect::Present,
    }])
    .await
    .unwrap();
    assert_eq!(body(s, "E", "1").await, None);
    let gone = s
        .write(vec![Write::Delete {
            key: Key::new("E", "1"),
            when: Expect::Present,
        }])
        .await;
    assert!(matches!(gone, Err(StoreError::ConditionFailed)));
}

async fn queries_read_a_partition_by_prefix_in_order(store: Arc<dyn Store>) {
    let s = store.as_ref();
    for sk in ["ITEM#b", "ITEM#a", "META", "ITEM#c"] {
        s.write(vec![put(item("F", sk, sk), PutIf::Absent)])
            .await
            .unwrap();
    }
    s.write(vec![put(
        item("F2", "ITEM#z", "other partition"),
        PutIf::Absent,
    )])
    .await
    .unwrap();
    let q = Query {
        index: None,
        pk: "F".into(),
        sk_prefix: "ITEM#".into(),
        ..Query::default()
    };
    let found: Vec<String> = s
        .query(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.item.body)
        .collect();
    assert_eq!(found, ["ITEM#a", "ITEM#b", "ITEM#c"]);
    let all = Query {
        index: None,
        pk: "F".into(),
        sk_prefix: String::new(),
        ..Query::default()
    };
    assert_eq!(s.query(&all).await.unwrap().len(), 4);
}

async fn queries_page_both_ways_with_a_bound_and_a_limit(store: Arc<dyn Store>) {
    let s = store.as_ref();
    for n in 1..=7 {
        let b = item(&format!("BILL#{n}"), "BILL", &n.to_string()).indexed(
            Index::Gsi3,
            Key::new("BILLS#demo", format!("2026-11-0{n}#{n}")),
        );
        s.write(vec![put(b, PutIf::Absent)]).await.unwrap();
    }
    let page = |before: Option<String>| Query {
        index: Some(Index::Gsi3),
        pk: "BILLS#demo".into(),
        descending: true,
        before,
        limit: Some(3),
        ..Query::default()
    };
    let bodies = |rs: &[shop_core::ports::Record]| {
        rs.iter().map(|r| r.item.body.clone()).collect::<Vec<_>>()
    };
    let first = s.query(&page(None)).await.unwrap();
    assert_eq!(bodies(&first), ["7", "6", "5"]);
    let cursor = first.last().unwrap().item.indexes[&Index::Gsi3].sk.clone();
    let second = s.query(&page(Some(cursor))).await.unwrap();
    assert_eq!(bodies(&second), ["4", "3", "2"]);
    let cursor = second.last().unwrap().item.indexes[&Index::Gsi3].sk.clone();
    assert_eq!(bodies(&s.query(&page(Some(cursor))).await.unwrap()), ["1"]);
    let forwards = |after: Option<String>| Query {
        index: Some(Index::Gsi3),
        pk: "BILLS#demo".into(),
        after,
        limit: Some(3),
        ..Query::default()
    };
    let first = s.query(&forwards(None)).await.unwrap();
    assert_eq!(bodies(&first), ["1", "2", "3"]);
    let cursor = first.last().unwrap().item.indexes[&Index::Gsi3].sk.clone();
    assert_eq!(
        bodies(&s.query(&forwards(Some(cursor))).await.unwrap()),
        ["4", "5", "6"]
    );
    let within = Query {
        sk_prefix: "2026-11-0".into(),
        ..forwards(Some("2026-11-06#6".into()))
    };
    assert_eq!(bodies(&s.query(&within).await.unwrap()), ["7"]);
    let table = Query {
        pk: "F3".into(),
        ..Query::default()
    };
    assert!(s.query(&table).await.unwrap().is_empty());
}

async fn secondary_indexes_follow_puts_and_deletes(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let bill = |id: &str, status: &str, date: &str| {
        item(&format!("BILL#{id}"), "BILL", id).indexed(
            Index::Gsi1,
            Key::new(format!("BILLS#demo#{status}"), format!("{date}#{id}")),
        )
    };
    s.write(vec![put(bill("b2", "PLACED", "2026-11-02"), PutIf::Absent)])
        .await
        .unwrap();
    s.write(vec![put(bill("b1", "PLACED", "2026-11-01"), PutIf::Absent)])
        .await
        .unwrap();
    s.write(vec![put(bill("b3", "PAID", "2026-11-03"), PutIf::Absent)])
        .await
        .unwrap();
    let placed = Query {
        index: Some(Index::Gsi1),
        pk: "BILLS#demo#PLACED".into(),
        sk_prefix: "2026-11".into(),
        ..Query::default()
    };
    let ids =
        |rs: Vec<shop_core::ports::Record>| rs.into_iter().map(|r| r.item.body).collect::<Vec<_>>();
    assert_eq!(ids(s.query(&placed).await.unwrap()), ["b1", "b2"]);
    // Moving b1 to PAID moves it between index partitions.
    s.write(vec![put(
        bill("b1", "PAID", "2026-11-01"),
        PutIf::Version(1),
    )])
    .await
    .unwrap();
    assert_eq!(ids(s.query(&placed).await.unwrap()), ["b2"]);
    let paid = Query {
        index: Some(Index::Gsi1),
        pk: "BILLS#demo#PAID".into(),
        sk_prefix: String::new(),
        ..Query::default()
    };
    assert_eq!(ids(s.query(&paid).await.unwrap()), ["b1", "b3"]);
    // An index answers with the items as they are now (a keys-only index reads them from the
    // table), a limit counting what it answers.
    let mut b3 = bill("b3", "PAID", "2026-11-03");
    b3.body = "b3 refunded in part".into();
    s.write(vec![put(b3, PutIf::Version(1))]).await.unwrap();
    let last_paid = Query {
        descending: true,
        limit: Some(1),
        ..paid.clone()
    };
    assert_eq!(
        ids(s.query(&last_paid).await.unwrap()),
        ["b3 refunded in part"]
    );
    s.write(vec![Write::Delete {
        key: Key::new("BILL#b3", "BILL"),
        when: Expect::Present,
    }])
    .await
    .unwrap();
    assert_eq!(ids(s.query(&paid).await.unwrap()), ["b1"]);
    let by_customer = Query {
        index: Some(Index::Gsi2),
        pk: "BILLS#demo#PAID".into(),
        sk_prefix: String::new(),
        ..Query::default()
    };
    assert!(
        s.query(&by_customer).await.unwrap().is_empty(),
        "indexes are separate"
    );
}

async fn expired_items_are_gone_at_once(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    let future = chrono::Utc::now() + chrono::Duration::days(7);
    s.write(vec![put(
        item("G", "old", "x").expiring_at(past),
        PutIf::Absent,
    )])
    .await
    .unwrap();
    s.write(vec![put(
        item("G", "new", "y").expiring_at(future),
        PutIf::Absent,
    )])
    .await
    .unwrap();
    assert_eq!(body(s, "G", "old").await, None);
    assert_eq!(body(s, "G", "new").await.unwrap().0, "y");
    let q = Query {
        index: None,
        pk: "G".into(),
        sk_prefix: String::new(),
        ..Query::default()
    };
    assert_eq!(s.query(&q).await.unwrap().len(), 1);
    // An expired item counts as absent: it can be created again, and not updated.
    let stale = s
        .write(vec![put(item("G", "old", "z"), PutIf::Version(1))])
        .await;
    assert!(matches!(stale, Err(StoreError::ConditionFailed)));
    s.write(vec![put(item("G", "old", "z"), PutIf::Absent)])
        .await
        .unwrap();
    assert_eq!(body(s, "G", "old").await, Some(("z".into(), 1)));
    let r = s.get(&Key::new("G", "new")).await.unwrap().unwrap();
    assert_eq!(r.item.expires_at, Some(future.timestamp()));
}

/// A batch read finds what exists among any number of keys (more than one request's 100),
/// leaves out absent and expired ones, tolerates a key listed twice, and reads counters.
async fn batch_reads_find_what_exists_among_many_keys(store: Arc<dyn Store>) {
    let s = store.as_ref();
    for chunk in (0..150).collect::<Vec<_>>().chunks(50) {
        let writes = chunk
            .iter()
            .map(|n| {
                put(
                    item("M", &format!("{n:03}"), &format!("body {n}")),
                    PutIf::Absent,
                )
            })
            .collect();
        s.write(writes).await.unwrap();
    }
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    s.write(vec![
        put(item("M", "gone", "x").expiring_at(past), PutIf::Absent),
        add("M", "counter", 7, None),
    ])
    .await
    .unwrap();
    let mut keys: Vec<Key> = (0..300).map(|n| Key::new("M", format!("{n:03}"))).collect();
    keys.extend([
        Key::new("M", "gone"),
        Key::new("M", "counter"),
        Key::new("M", "010"),
    ]);
    let mut found = s.get_many(&keys).await.unwrap();
    found.sort_by(|a, b| a.item.key.cmp(&b.item.key));
    assert_eq!(found.len(), 151, "150 items and the counter, once each");
    assert_eq!(found[0].item.key, Key::new("M", "000"));
    assert_eq!(found[0].item.body, "body 0");
    assert_eq!(found[149].item.body, "body 149");
    assert_eq!(found[150].item.key.sk, "counter");
    assert_eq!(found[150].count, 7);
    assert!(s.get_many(&[]).await.unwrap().is_empty());
}

/// A body of several kilobytes (a bill's) reads back whole through every read, written alone or
/// in a transaction, listed in a whole-item index (gsi3) and a keys-only one (gsi1), and a
/// smaller body put over it replaces it.
async fn large_bodies_read_back_whole_everywhere(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let large = |n: u32| {
        let lines: Vec<String> = (0..80)
            .map(|i| format!(r#"{{"line":{i},"name":"Cours n° {n}-{i}, réservé"}}"#))
            .collect();
        format!("[{}]", lines.join(","))
    };
    let bill = |id: &str, body: String| {
        Item::new(Key::new(format!("BILL#{id}"), "BILL"), body)
            .indexed(
                Index::Gsi1,
                Key::new("BILLS#big#PAID", format!("2026-12-06#{id}")),
            )
            .indexed(
                Index::Gsi3,
                Key::new("BILLS#big", format!("2026-12-06#{id}")),
            )
    };
    assert!(large(1).len() > 2000);
    s.write(vec![put(bill("b1", large(1)), PutIf::Absent)])
        .await
        .unwrap();
    s.write(vec![
        put(bill("b2", large(2)), PutIf::Absent),
        put(item("BIG", "small", "small"), PutIf::Absent),
    ])
    .await
    .unwrap();
    assert_eq!(body(s, "BILL#b1", "BILL").await, Some((large(1), 1)));
    assert_eq!(body(s, "BILL#b2", "BILL").await, Some((large(2), 1)));
    let bodies =
        |rs: Vec<shop_core::ports::Record>| rs.into_iter().map(|r| r.item.body).collect::<Vec<_>>();
    for index in [Index::Gsi1, Index::Gsi3] {
        let pk = if index == Index::Gsi1 {
            "BILLS#big#PAID"
        } else {
            "BILLS#big"
        };
        let listed = Query {
            index: Some(index),
            pk: pk.into(),
            sk_prefix: String::new(),
            ..Query::default()
        };
        assert_eq!(
            bodies(s.query(&listed).await.unwrap()),
            [large(1), large(2)]
        );
    }
    let keys = [Key::new("BILL#b1", "BILL"), Key::new("BILL#b2", "BILL")];
    let mut many = bodies(s.get_many(&keys).await.unwrap());
    many.sort();
    assert_eq!(many, [large(1), large(2)]);
    assert_eq!(
        bodies(s.query(&Query::partition("BILL#b1")).await.unwrap()),
        [large(1)]
    );
    s.write(vec![put(bill("b1", "now small".into()), PutIf::Version(1))])
        .await
        .unwrap();
    assert_eq!(
        body(s, "BILL#b1", "BILL").await,
        Some(("now small".into(), 2))
    );
    s.write(vec![put(bill("b1", large(3)), PutIf::Version(2))])
        .await
        .unwrap();
    assert_eq!(body(s, "BILL#b1", "BILL").await, Some((large(3), 3)));
}

async fn bad_requests_are_refused(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let twice = s
        .write(vec![
            put(item("H", "1", "a"), PutIf::Absent),
            put(item("H", "1", "b"), PutIf::Absent),
        ])
        .await;
    assert!(matches!(twice, Err(StoreError::Invalid(_))));
    assert!(matches!(s.write(vec![]).await, Err(StoreError::Invalid(_))));
    let too_many = (0..101)
        .map(|n| put(item("H", &n.to_string(), "x"), PutIf::Absent))
        .collect();
    assert!(matches!(
        s.write(too_many).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(body(s, "H", "1").await, None);
}

async fn count(store: &dyn Store, pk: &str, sk: &str) -> Option<u64> {
    store.get(&Key::new(pk, sk)).await.unwrap().map(|r| r.count)
}

fn add(pk: &str, sk: &str, by: i64, at_most: Option<u64>) -> Write {
    Write::Add {
        key: Key::new(pk, sk),
        by,
        at_most,
        expires_at: None,
    }
}

async fn counters_add_without_reading_and_respect_their_bound(store: Arc<dyn Store>) {
    let s = store.as_ref();
    assert_eq!(count(s, "I", "sold").await, None);
    s.write(vec![add("I", "sold", 3, Some(5))]).await.unwrap();
    assert_eq!(count(s, "I", "sold").await, Some(3));
    let over = s.write(vec![add("I", "sold", 3, Some(5))]).await;
    assert!(
        matches!(over, Err(StoreError::ConditionFailed)),
        "3 + 3 > 5"
    );
    s.write(vec![add("I", "sold", 2, Some(5))]).await.unwrap();
    assert_eq!(count(s, "I", "sold").await, Some(5));
    s.write(vec![add("I", "sold", 10, None)]).await.unwrap();
    assert_eq!(count(s, "I", "sold").await, Some(15));
    let too_big = s.write(vec![add("I", "new", 4, Some(3))]).await;
    assert!(
        matches!(too_big, Err(StoreError::ConditionFailed)),
        "even a new counter respects its bound"
    );
    assert_eq!(count(s, "I", "new").await, None);
    // An add is atomic with the rest of a write.
    let failing = s
        .write(vec![
            add("I", "sold", 1, None),
            put(item("I", "sold-marker", "x"), PutIf::Version(9)),
        ])
        .await;
    assert!(matches!(failing, Err(StoreError::ConditionFailed)));
    assert_eq!(count(s, "I", "sold").await, Some(15));
}

async fn a_release_gives_back_what_was_reserved_and_never_goes_below_zero(store: Arc<dyn Store>) {
    let s = store.as_ref();
    for _ in 0..2 {
        s.write(vec![add("L", "tries", 1, Some(2))]).await.unwrap();
    }
    let full = s.write(vec![add("L", "tries", 1, Some(2))]).await;
    assert!(
        matches!(full, Err(StoreError::ConditionFailed)),
        "2 reserved"
    );
    s.write(vec![add("L", "tries", -1, None)]).await.unwrap();
    assert_eq!(count(s, "L", "tries").await, Some(1));
    s.write(vec![add("L", "tries", 1, Some(2))]).await.unwrap();
    let below = s.write(vec![add("L", "tries", -3, None)]).await;
    assert!(matches!(below, Err(StoreError::ConditionFailed)), "2 - 3");
    let absent = s.write(vec![add("L", "none", -1, None)]).await;
    assert!(matches!(absent, Err(StoreError::ConditionFailed)));
    assert_eq!(count(s, "L", "tries").await, Some(2));
    assert_eq!(count(s, "L", "none").await, None);
}

/// A counter of a time window carries its expiry: it counts (and keeps the expiry the last
/// add gave) until then, and is gone after it, in reads and batch reads alike.
async fn an_expiring_counter_counts_then_is_gone(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let at = |expires: chrono::DateTime<chrono::Utc>, by: i64| Write::Add {
        key: Key::new("W", "window"),
        by,
        at_most: Some(5),
        expires_at: Some(expires.timestamp()),
    };
    let later = chrono::Utc::now() + chrono::Duration::days(1);
    s.write(vec![at(later, 1)]).await.unwrap();
    s.write(vec![at(later, 1)]).await.unwrap();
    let r = s.get(&Key::new("W", "window")).await.unwrap().unwrap();
    assert_eq!((r.count, r.item.expires_at), (2, Some(later.timestamp())));
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    let gone = |pk: &'static str| Write::Add {
        key: Key::new(pk, "window"),
        by: 1,
        at_most: None,
        expires_at: Some(past.timestamp()),
    };
    s.write(vec![gone("W-old")]).await.unwrap();
    assert_eq!(count(s, "W-old", "window").await, None, "expired: gone");
    let many = s
        .get_many(&[Key::new("W", "window"), Key::new("W-old", "window")])
        .await
        .unwrap();
    assert_eq!(many.len(), 1, "the expired counter is not read");
    // One without an expiry keeps none.
    s.write(vec![add("W", "forever", 1, None)]).await.unwrap();
    let r = s.get(&Key::new("W", "forever")).await.unwrap().unwrap();
    assert_eq!(r.item.expires_at, None);
}

async fn concurrent_adds_never_pass_the_bound(store: Arc<dyn Store>) {
    let tasks = (0..12).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.write(vec![add("J", "stock", 1, Some(5))]).await })
    });
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(ok, 5);
    assert_eq!(count(store.as_ref(), "J", "stock").await, Some(5));
}

async fn embedded() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("store.redb")).unwrap();
    (Arc::new(store), dir)
}

async fn dynamodb() -> (Arc<dyn Store>, ()) {
    let client = dynamo::client(Some(moto_harness::endpoint()));
    let table = moto_harness::unique_name("conformance");
    dynamo::ensure_table(&client, &table).await.unwrap();
    (Arc::new(DynamoStore::new(client, table)), ())
}

macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        mod embedded_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = super::embedded().await;
                    super::$case(store).await;
                }
            )+
        }
        mod dynamodb_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _) = super::dynamodb().await;
                    super::$case(store).await;
                }
            )+
        }
    };
}

conformance!(
    creates_once_and_versions_each_put,
    stale_versions_lose,
    concurrent_writers_from_one_version_only_one_wins,
    multi_item_writes_are_all_or_nothing,
    checks_and_deletes_are_conditional,
    queries_read_a_partition_by_prefix_in_order,
    secondary_indexes_follow_puts_and_deletes,
    expired_items_are_gone_at_once,
    bad_requests_are_refused,
    counters_add_without_reading_and_respect_their_bound,
    queries_page_both_ways_with_a_bound_and_a_limit,
    concurrent_adds_never_pass_the_bound,
    a_release_gives_back_what_was_reserved_and_never_goes_below_zero,
    an_expiring_counter_counts_then_is_gone,
    batch_reads_find_what_exists_among_many_keys,
    large_bodies_read_back_whole_everywhere,
);

/// DynamoDB keeps a body over a kilobyte deflated (`bodyz`, binary, no `body`): fewer write
/// units for each write of a bill and of its whole copy in gsi3. A short body stays text.
#[tokio::test]
async fn dynamodb_stores_large_bodies_deflated() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let client = dynamo::client(Some(moto_harness::endpoint()));
    let table = moto_harness::unique_name("deflate");
    dynamo::ensure_table(&client, &table).await.unwrap();
    let store = DynamoStore::new(client.clone(), table.clone());
    let text: String = (0..60)
        .map(|i| format!(r#"{{"code":"C{i:05}","unit_price":"120.00","tax":"24.00"}}"#))
        .collect();
    store
        .write(vec![
            put(item("Z", "large", &text), PutIf::Absent),
            put(item("Z", "short", "short"), PutIf::Absent),
        ])
        .await
        .unwrap();
    let raw = |sk: &'static str| {
        let (client, table) = (client.clone(), table.clone());
        async move {
            client
                .get_item()
                .table_name(table)
                .key("pk", AttributeValue::S("Z".into()))
                .key("sk", AttributeValue::S(sk.into()))
                .send()
                .await
                .unwrap()
                .item
                .unwrap()
        }
    };
    let large = raw("large").await;
    assert!(!large.contains_key("body"));
    let deflated = large["bodyz"].as_b().unwrap().as_ref().len();
    assert!(
        deflated * 4 < text.len(),
        "{deflated} of {} bytes",
        text.len()
    );
    assert_eq!(raw("short").await["body"].as_s().unwrap(), "short");
}
