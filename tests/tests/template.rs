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

/// Every route the template gives API Gateway: (method, path).
fn http_routes(t: &Yaml) -> Vec<(String, String)> {
    let functions = t["Resources"].as_mapping().unwrap().values();
    functions
        .filter_map(|f| f["Properties"]["Events"].as_mapping())
        .flat_map(|events| events.values())
        .filter(|e| e["Type"].as_str() == Some("HttpApi"))
        .map(|e| {
            let props = &e["Properties"];
            (yaml_str(props, "Method"), yaml_str(props, "Path"))
        })
        .collect()
}

/// The routers and pages `shopctl serve` mounts, on an empty embedded store and no Moodle.
fn local_stack() -> (tempfile::TempDir, axum::Router) {
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
    (dir, app)
}

/// Every route the template gives API Gateway reaches a handler of the functions' routers
/// (the same routers `shopctl serve` mounts): no `no such route`, no `method_not_allowed`.
#[tokio::test]
async fn every_template_route_reaches_a_handler() {
    use axum::body::Body;
    use tower::ServiceExt;
    let (_dir, app) = local_stack();
    let t = template();
    let mut checked = 0;
    for (method, path) in http_routes(&t) {
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
    assert!(checked >= 20, "{checked} routes checked");
}

/// CloudFront's path patterns: `*` any run of characters (`/` too), `?` one, the rest as is.
fn glob(pattern: &str, path: &str) -> bool {
    match (pattern.chars().next(), path.chars().next()) {
        (None, None) => true,
        (Some('*'), _) => {
            glob(&pattern[1..], path)
                || path
                    .chars()
                    .next()
                    .is_some_and(|c| glob(pattern, &path[c.len_utf8()..]))
        }
        (Some('?'), Some(c)) => glob(&pattern[1..], &path[c.len_utf8()..]),
        (Some(p), Some(c)) if p == c => glob(&pattern[p.len_utf8()..], &path[c.len_utf8()..]),
        _ => false,
    }
}

/// The pages `infra/front.js` maps: `('/checkout', 'checkout.html')`.
fn front_pages(front_js: &str) -> Vec<(String, String)> {
    front_js
        .lines()
        .filter_map(|l| {
            let (path, file) = l.trim().trim_end_matches(',').split_once(": ")?;
            let unquote = |s: &str| s.strip_prefix('\'')?.strip_suffix('\'').map(str::to_owned);
            Some((
                unquote(path)?,
                unquote(file)?.trim_start_matches('/').to_owned(),
            ))
        })
        .collect()
}

/// ShopFront puts the pages and the API on one address: every route of the HttpApi falls under
/// one of its API behaviours and no page's address does; each page address the front's function
/// maps is a file of `web/`, the one `shopctl serve` answers it with, and every page of `web/`
/// has one; the function is `infra/front.js` word for word; the API origin carries the secret
/// the HTTP functions are given, under the name they read.
#[tokio::test]
async fn shop_front_sends_api_routes_to_the_api_and_page_addresses_to_their_files() {
    use axum::body::Body;
    use tower::ServiceExt;
    let t = template();
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let front_js = std::fs::read_to_string(root.join("infra/front.js")).unwrap();
    let function = &t["Resources"]["FrontFunction"]["Properties"];
    assert_eq!(function["FunctionCode"].as_str(), Some(front_js.as_str()));

    let distribution = &t["Resources"]["ShopFront"]["Properties"]["DistributionConfig"];
    let api_patterns: Vec<String> = distribution["CacheBehaviors"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|b| {
            assert_eq!(b["TargetOriginId"].as_str(), Some("api"), "{b:?}");
            assert_eq!(
                b["FunctionAssociations"],
                distribution["DefaultCacheBehavior"]["FunctionAssociations"],
                "the front's function on every behaviour"
            );
            yaml_str(b, "PathPattern")
        })
        .collect();
    assert_eq!(
        distribution["DefaultCacheBehavior"]["TargetOriginId"].as_str(),
        Some("pages")
    );
    let routes = http_routes(&t);
    for (_, path) in &routes {
        let path = path.replace(['{', '}'], "");
        assert!(
            api_patterns.iter().any(|p| glob(p, &path)),
            "{path} would reach the pages bucket"
        );
    }
    assert!(routes.len() >= 60, "{} routes", routes.len());

    let pages = front_pages(&front_js);
    let (_dir, local) = local_stack();
    for (path, file) in &pages {
        assert!(
            !api_patterns.iter().any(|p| glob(p, path)),
            "the page {path} would reach the API"
        );
        let text = std::fs::read_to_string(root.join("web").join(file))
            .unwrap_or_else(|_| panic!("{path} maps to web/{file}, which is missing"));
        let request = axum::http::Request::get(path.as_str())
            .body(Body::empty())
            .unwrap();
        let response = local.clone().oneshot(request).await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        assert_eq!(
            body,
            text.as_bytes(),
            "shopctl serve answers {path} with web/{file}"
        );
    }
    for entry in std::fs::read_dir(root.join("web")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".html") {
            assert!(
                pages.iter().any(|(_, f)| *f == name),
                "no address for web/{name}"
            );
        }
    }

    let api_origin = distribution["Origins"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|o| o["Id"].as_str() == Some("api"))
        .unwrap();
    let header = &api_origin["OriginCustomHeaders"][0];
    assert_eq!(
        header["HeaderName"].as_str(),
        Some(shop_core::web::lambda::FRONT_SECRET_HEADER)
    );
    let secret = &t["Globals"]["Function"]["Environment"]["Variables"]["FRONT_SECRET"];
    assert_eq!(strings(&header["HeaderValue"]), strings(secret));
    assert_eq!(
        strings(secret),
        ["{{resolve:secretsmanager:${FrontSecret}}}"],
        "the generated secret"
    );
    assert!(front_js.contains(&format!(
        "request.headers['{}']",
        shop_core::web::lambda::FRONT_CLIENT_HEADER
    )));
    assert!(front_js.contains(&format!(
        "request.headers['{}']",
        shop_core::web::lambda::FRONT_HOST_HEADER
    )));
}

/// In AWS the pages come from a bucket, which sends no security header: ShopFront's pages
/// behaviour adds those `shopctl serve` sends with a page (never framed, no referrer, its
/// content policy), so that a staff page cannot be framed to click its refund button.
#[tokio::test]
async fn the_pages_carry_in_aws_the_headers_they_carry_locally() {
    use axum::body::Body;
    use tower::ServiceExt;
    let t = template();
    let behaviour =
        &t["Resources"]["ShopFront"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"];
    assert_eq!(
        strings(&behaviour["ResponseHeadersPolicyId"]),
        ["PagesHeaders"],
        "{behaviour:?}"
    );
    let config = &t["Resources"]["PagesHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
    let (_dir, local) = local_stack();
    let request = axum::http::Request::get("/admin/bill?shop=demo")
        .body(Body::empty())
        .unwrap();
    let page = local.oneshot(request).await.unwrap();
    assert_eq!(page.status(), 200);
    let local = |name: &str| page.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(
        yaml_str(&config["ContentSecurityPolicy"], "ContentSecurityPolicy"),
        local("content-security-policy")
    );
    assert_eq!(
        yaml_str(&config["FrameOptions"], "FrameOption"),
        local("x-frame-options")
    );
    assert_eq!(
        yaml_str(&config["ReferrerPolicy"], "ReferrerPolicy"),
        local("referrer-policy")
    );
    assert_eq!(local("x-content-type-options"), "nosniff");
    for header in [
        "ContentSecurityPolicy",
        "ContentTypeOptions",
        "FrameOptions",
        "ReferrerPolicy",
        "StrictTransportSecurity",
    ] {
        assert_eq!(
            config[header]["Override"].as_bool(),
            Some(true),
            "{header} replaces what the bucket may send"
        );
    }
}

/// Each API route has its own rate limit (API Gateway's, set by the stack's parameters), so a
/// flood of one route neither bills without end nor starves the others.
#[test]
fn every_api_route_is_rate_limited() {
    let t = template();
    let settings = &t["Resources"]["ShopApi"]["Properties"]["DefaultRouteSettings"];
    for (setting, parameter, default) in [
        ("ThrottlingRateLimit", "ApiRateLimit", 100),
        ("ThrottlingBurstLimit", "ApiBurstLimit", 200),
    ] {
        assert_eq!(strings(&settings[setting]), [parameter], "{settings:?}");
        let declared = &t["Parameters"][parameter];
        assert_eq!(declared["Type"].as_str(), Some("Number"));
        assert_eq!(declared["Default"].as_u64(), Some(default));
    }
    let apis: Vec<&Yaml> = t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::Serverless::HttpApi"))
        .collect();
    assert_eq!(apis.len(), 1, "one HttpApi, the limited one");
    let events = t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter_map(|f| f["Properties"]["Events"].as_mapping())
        .flat_map(|events| events.values())
        .filter(|e| e["Type"].as_str() == Some("HttpApi"));
    for event in events {
        assert_eq!(
            strings(&event["Properties"]["ApiId"]),
            ["ShopApi"],
            "a route without it would be on an API SAM makes, unlimited: {event:?}"
        );
    }
}

#[test]
fn the_glob_reads_cloudfront_patterns() {
    assert!(glob("/shops/*", "/shops/demo/catalog"));
    assert!(glob("/admin/login", "/admin/login"));
    assert!(!glob("/admin/products/*", "/admin/products"));
    assert!(!glob("/bills/*", "/bill"));
    assert!(glob("/a?c", "/abc") && !glob("/a?c", "/ac"));
}
