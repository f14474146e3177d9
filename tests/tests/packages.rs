//! The Lambda packages themselves: each arm64 `bootstrap` that `infra/lambda-build.sh` built —
//! what `sam build` deploys (cargo-lambda, opt-level "z", position-dependent) — started under
//! qemu-user against the local Runtime API, DynamoDB on moto, and answering an event as the
//! native binary does. `infra/test.sh` runs it once the packages are built
//! (`ENROLSHOP_LAMBDA_PACKAGES`, with qemu-user and Debian's arm64 C library); without them this
//! test has nothing to check and says so.

use std::path::Path;
use std::time::Duration;

use enrolshop_tests::fixtures::events;
use enrolshop_tests::runtime::{
    FunctionProcess, Outcome, RuntimeApi, lambda_env, template_env, template_values,
};

/// Each function, an event of its own and the HTTP status it answers on an empty table (none:
/// not an HTTP event).
const FUNCTIONS: [(&str, &str, Option<u64>); 6] = [
    ("storefront", "get-unknown-cart.json", Some(404)),
    ("checkout", "get-bill-without-token.json", Some(404)),
    ("payment-notify", "sips-return.json", Some(303)),
    ("backoffice", "export-shop-no-token.json", Some(401)),
    ("account", "bills-without-session.json", Some(401)),
    ("production", "scheduled-relay.json", None),
];

/// A script that starts an arm64 executable under qemu-user with Debian's arm64 C library.
fn under_qemu(dir: &Path, bootstrap: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let qemu = std::env::var("ENROLSHOP_QEMU").unwrap_or_else(|_| "/usr/bin/qemu-aarch64".into());
    let script = dir.join(format!(
        "{}.sh",
        bootstrap
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
    ));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec {qemu} -L /usr/aarch64-linux-gnu {}\n",
            bootstrap.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[tokio::test]
async fn each_arm64_package_starts_and_answers_its_events() {
    let Some(packages) = std::env::var_os("ENROLSHOP_LAMBDA_PACKAGES") else {
        println!("no packages given (ENROLSHOP_LAMBDA_PACKAGES): see infra/test.sh");
        return;
    };
    let packages = Path::new(&packages);
    let sim = moodle_sim::Simulator::new("test-moodle-token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let moodle = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.serve(listener));
    let client = shop_core::adapters::dynamo::client(Some(moto_harness::endpoint()));
    let table = moto_harness::unique_name("packages");
    shop_core::adapters::dynamo::ensure_table(&client, &table)
        .await
        .unwrap();
    let scripts = tempfile::tempdir().unwrap();
    for (function, event_name, status) in FUNCTIONS {
        let bootstrap = packages.join(function).join("bootstrap");
        assert!(bootstrap.exists(), "{} is not built", bootstrap.display());
        let event = events(function)
            .into_iter()
            .find(|(n, _)| n == event_name)
            .unwrap()
            .1;
        let api = RuntimeApi::start().await;
        // The environment the template gives the function, as the deployed package gets it.
        let mut env = lambda_env(function, &api.addr);
        env.extend(template_env(function, &template_values(&table, &moodle)));
        env.push(("DYNAMODB_ENDPOINT".into(), moto_harness::endpoint().into()));
        let process = FunctionProcess::spawn(&under_qemu(scripts.path(), &bootstrap), &env);
        // Emulated, a start takes a few hundred milliseconds instead of a few.
        let answer = tokio::time::timeout(Duration::from_secs(60), api.invoke(event))
            .await
            .unwrap_or_else(|_| panic!("{function}: no answer; its log:\n{}", process.logs()));
        let Outcome::Response(answer) = answer else {
            panic!("{function}: {answer:?}; its log:\n{}", process.logs());
        };
        println!(
            "{function}: arm64 package answered {}",
            answer["statusCode"]
        );
        if let Some(status) = status {
            assert_eq!(answer["statusCode"], status, "{function}: {answer}");
        }
    }
}
