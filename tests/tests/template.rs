//! `template.yaml` declares the table `infra/table.json` defines (the one the adapters, the
//! local stack and the tests create), and its functions are built and secured as agreed.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

fn template() -> Yaml {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn table_json() -> Json {
    serde_json::from_str(shop_core::adapters::dynamo::TABLE_DEFINITION).unwrap()
}

/// Canonical text of a list of objects picked by `fields`, order-insensitive.
fn set_of(items: impl IntoIterator<Item = Vec<String>>) -> BTreeSet<Vec<String>> {
    items.into_iter().collect()
}

fn yaml_str(v: &Yaml, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v:?}"))
        .to_owned()
}

fn json_str(v: &Json, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
        .to_owned()
}

fn yaml_keys(schema: &Yaml) -> Vec<Vec<String>> {
    schema
        .as_sequence()
        .unwrap()
        .iter()
        .map(|k| vec![yaml_str(k, "AttributeName"), yaml_str(k, "KeyType")])
        .collect()
}

fn json_keys(schema: &Json) -> Vec<Vec<String>> {
    schema
        .as_array()
        .unwrap()
        .iter()
        .map(|k| vec![json_str(k, "AttributeName"), json_str(k, "KeyType")])
        .collect()
}

#[test]
fn the_template_declares_the_table_of_infra() {
    let t = template();
    let table = &t["Resources"]["ShopTable"]["Properties"];
    let def = table_json();
    let attrs = |y: &Yaml| {
        set_of(
            y.as_sequence()
                .unwrap()
                .iter()
                .map(|a| vec![yaml_str(a, "AttributeName"), yaml_str(a, "AttributeType")]),
        )
    };
    let json_attrs = set_of(
        def["AttributeDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| vec![json_str(a, "AttributeName"), json_str(a, "AttributeType")]),
    );
    assert_eq!(attrs(&table["AttributeDefinitions"]), json_attrs);
    assert_eq!(yaml_keys(&table["KeySchema"]), json_keys(&def["KeySchema"]));
    let yaml_indexes = set_of(
        table["GlobalSecondaryIndexes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|i| {
                let mut v = vec![
                    yaml_str(i, "IndexName"),
                    yaml_str(&i["Projection"], "ProjectionType"),
                ];
                v.extend(yaml_keys(&i["KeySchema"]).concat());
                v
            }),
    );
    let json_indexes = set_of(
        def["GlobalSecondaryIndexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let mut v = vec![
                    json_str(i, "IndexName"),
                    json_str(&i["Projection"], "ProjectionType"),
                ];
                v.extend(json_keys(&i["KeySchema"]).concat());
                v
            }),
    );
    assert_eq!(yaml_indexes, json_indexes);
    assert_eq!(
        yaml_str(&table["TimeToLiveSpecification"], "AttributeName"),
        json_str(&def, "TimeToLiveAttribute")
    );
    assert_eq!(
        table["TimeToLiveSpecification"]["Enabled"],
        Yaml::Bool(true)
    );
    assert_eq!(
        yaml_str(table, "BillingMode"),
        json_str(&def, "BillingMode")
    );
}

#[test]
fn functions_are_rust_on_arm64_with_least_privilege() {
    let t = template();
    let globals = &t["Globals"]["Function"];
    assert_eq!(yaml_str(globals, "Runtime"), "provided.al2023");
    assert_eq!(globals["Architectures"][0].as_str(), Some("arm64"));
    let functions: Vec<(&Yaml, &Yaml)> = t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .collect();
    assert!(functions.len() >= 2);
    for (name, f) in functions {
        assert_eq!(
            yaml_str(&f["Metadata"], "BuildMethod"),
            "rust-cargolambda",
            "{name:?}"
        );
        let code = yaml_str(&f["Properties"], "CodeUri");
        assert!(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
                .join(&code)
                .join("Cargo.toml")
                .exists(),
            "{code}"
        );
        let policies = strings(&f["Properties"]["Policies"]);
        assert!(!policies.is_empty(), "{name:?} has explicit policies");
        for p in &policies {
            assert!(!p.contains('*'), "{name:?} grants a wildcard: {p}");
            assert!(
                !p.contains("Policy"),
                "{name:?} uses a broad managed policy: {p}"
            );
        }
    }
}

/// Every string in a YAML tree, tagged values (`!GetAtt ...`) included.
fn strings(v: &Yaml) -> Vec<String> {
    match v {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Sequence(items) => items.iter().flat_map(strings).collect(),
        Yaml::Mapping(map) => map
            .iter()
            .flat_map(|(k, v)| strings(k).into_iter().chain(strings(v)))
            .collect(),
        Yaml::Tagged(tagged) => strings(&tagged.value),
        _ => Vec::new(),
    }
}

/// Every route the template gives API Gateway reaches a handler of the functions' routers
/// (the same routers `shopctl serve` mounts): no `no such route`, no `method_not_allowed`.
#[tokio::test]
async fn every_template_route_reaches_a_handler() {
    use axum::body::Body;
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(
        shop_core::adapters::embedded::EmbeddedStore::open(&dir.path().join("s.redb")).unwrap(),
    );
    let queue = std::sync::Arc::new(shop_core::adapters::memory_queue::InProcessQueue::default());
    let nowhere = std::sync::Arc::new(shop_core::adapters::moodle::MoodleClient::new(
        "http://127.0.0.1:9",
        "none",
        std::time::Duration::from_secs(1),
    ));
    let app = shopctl::stack(store, queue, nowhere, &shopctl::StackOptions::default());
    let t = template();
    let mut checked = 0;
    for (_, resource) in t["Resources"].as_mapping().unwrap() {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events
            .iter()
            .filter(|(_, e)| e["Type"].as_str() == Some("HttpApi"))
        {
            let props = &event["Properties"];
            let (method, path) = (yaml_str(props, "Method"), yaml_str(props, "Path"));
            let concrete = path
                .replace("{shop}", "demo")
                .replace("{cart}", "x")
                .replace("{code}", "X")
                .replace("{bill}", "X")
                .replace("{reference}", "X");
            let request = axum::http::Request::builder()
                .method(method.as_str())
                .uri(&concrete)
                .header(
                    "authorization",
                    format!("Bearer {}", shopctl::DEV_ADMIN_TOKEN),
                )
                .body(Body::from("{}"))
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let unrouted = problem["code"] == "method_not_allowed"
                || problem["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("no such route"));
            assert!(!unrouted, "{method} {path}: {problem}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} routes checked");
}
