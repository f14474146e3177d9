//! `shopctl serve`: the whole stack on one machine, no cloud account (ARCHITECTURE.md, "Layers").

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use shop_core::adapters::dynamo::{self, DynamoStore};
use shop_core::adapters::embedded::EmbeddedStore;
use shop_core::adapters::mail::catcher::MailCatcher;
use shop_core::adapters::mail::smtp::SmtpMailer;
use shop_core::adapters::memory_queue::InProcessQueue;
use shop_core::adapters::moodle::MoodleClient;
use shop_core::app::SystemClock;
use shop_core::app::bills::Bills;
use shop_core::app::mail::postman::{MailSite, Postman};
use shop_core::app::production::{Producer, RelayTiming};
use shop_core::ports::{Mailer, Store};
use shopctl::{DEMO_COURSES, DEMO_STAFF, DEV_ADMIN_TOKEN, StackOptions, load_demo, stack};

#[derive(Parser)]
#[command(name = "shopctl", about = "enrolshop command line", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every HTTP function on one port, with the embedded store (or DynamoDB).
    Serve(Serve),
}

#[derive(Args)]
struct Serve {
    /// Address to listen on.
    #[arg(long, env = "SHOP_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Directory of the embedded store.
    #[arg(long, env = "SHOP_DATA_DIR", default_value = "./.enrolshop")]
    data_dir: PathBuf,
    /// Do not load the demo shop on first start.
    #[arg(long)]
    no_demo: bool,
    /// Use DynamoDB (or moto, DynamoDB Local) at this endpoint instead of the embedded store.
    #[arg(long, env = "SHOP_DYNAMODB_ENDPOINT", requires = "table")]
    dynamodb_endpoint: Option<String>,
    /// DynamoDB table name (created from infra/table.json when missing).
    #[arg(long, env = "SHOP_TABLE")]
    table: Option<String>,
    /// Back-office bearer token.
    #[arg(long, env = "SHOP_ADMIN_TOKEN", default_value = DEV_ADMIN_TOKEN, hide_default_value = false)]
    admin_token: String,
    /// Public base URL of the API, given to payment gateways for notifications and returns
    /// (default: the address served).
    #[arg(long, env = "SHOP_PUBLIC_URL")]
    public_url: Option<String>,
    /// A real Moodle to use instead of the simulator.
    #[arg(long, env = "SHOP_MOODLE_URL", requires = "moodle_token")]
    moodle_url: Option<String>,
    /// The web-service token for `--moodle-url`.
    #[arg(long, env = "SHOP_MOODLE_TOKEN")]
    moodle_token: Option<String>,
    /// Where the Moodle simulator listens when no `--moodle-url` is given.
    #[arg(long, env = "SHOP_MOODLE_ADDR", default_value = "127.0.0.1:3001")]
    moodle_addr: SocketAddr,
    /// Proxies (addresses or CIDR blocks, comma-separated) whose `X-Forwarded-For` is
    /// believed for the client's address; none by default (the TCP peer is the client).
    #[arg(long, env = "SHOP_TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: shop_core::web::TrustedProxies,
    /// Seconds after which a PAID bill with no production in flight is queued again.
    #[arg(long, env = "SHOP_RECONCILE_AFTER", default_value_t = 600)]
    reconcile_after: u32,
    /// Refuse the dev defaults (the dev admin token, the demo shop, the Moodle simulator,
    /// the mail catcher).
    #[arg(long)]
    production: bool,
    /// Send the shop's messages through this SMTP server (`smtp://user:pass@host:587`,
    /// `smtps://host:465`) instead of keeping them in the mail catcher (`/dev/mail`).
    #[arg(long, env = "SHOP_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender address of the shop's messages (replies go to the shop's `seller.email`).
    #[arg(
        long,
        env = "SHOP_MAIL_FROM",
        default_value = "shop@enrolshop.localhost"
    )]
    mail_from: String,
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=info".into());
    let json = std::env::var("SHOP_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// A failure to start is said in a sentence (what, where, what to do), not as a debug dump.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    init_logs();
    let outcome = match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shopctl: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The data dir, made if missing.
fn data_dir(args: &Serve) -> Result<&std::path::Path, String> {
    std::fs::create_dir_all(&args.data_dir).map_err(|e| {
        let dir = args.data_dir.display();
        format!("cannot make the data dir {dir}: {e} (choose another with --data-dir)")
    })?;
    Ok(&args.data_dir)
}

/// Why an address cannot be listened on, and what to do: usually another `shopctl serve`.
fn cannot_listen(what: &str, addr: std::net::SocketAddr, flag: &str, e: std::io::Error) -> String {
    let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
        format!(" (another `shopctl serve`? stop it, or choose another address with {flag})")
    } else {
        format!(" (choose another address with {flag})")
    };
    format!("{what} cannot listen on {addr}: {e}{hint}")
}

async fn open_store(args: &Serve) -> Result<(Arc<dyn Store>, String), Box<dyn std::error::Error>> {
    if let (Some(endpoint), Some(table)) = (&args.dynamodb_endpoint, &args.table) {
        let client = dynamo::client(Some(endpoint));
        dynamo::ensure_table(&client, table).await?;
        return Ok((
            Arc::new(DynamoStore::new(client, table)),
            format!("DynamoDB at {endpoint}, table {table}"),
        ));
    }
    let path = data_dir(args)?.join("store.redb");
    let store = EmbeddedStore::open(&path).map_err(|e| {
        format!(
            "cannot open the store {}: {e} (open in another `shopctl serve`? stop it, or choose \
             another --data-dir)",
            path.display()
        )
    })?;
    Ok((Arc::new(store), format!("embedded, {}", path.display())))
}

/// Starts the Moodle simulator (seeded with the demo courses) unless a real Moodle is given, in
/// which case its health is checked: a function the token may not call is named.
/// Returns the banner text, the client production uses and the site's URL.
async fn start_moodle(
    args: &Serve,
) -> Result<(String, MoodleClient, String), Box<dyn std::error::Error>> {
    use shop_core::adapters::moodle::REQUIRED_FUNCTIONS;
    if let (Some(url), Some(token)) = (&args.moodle_url, &args.moodle_token) {
        let client = MoodleClient::new(url, token, std::time::Duration::from_secs(10));
        let functions = client.missing_functions(&REQUIRED_FUNCTIONS).await;
        let capabilities = client.missing_capabilities().await;
        let status = match (functions, capabilities) {
            (Err(e), _) | (_, Err(e)) => format!("NOT REACHABLE: {e}"),
            (Ok(f), Ok(c)) if f.is_empty() && c.is_empty() => {
                "all web-service functions available".to_owned()
            }
            (Ok(f), Ok(c)) => {
                let mut problems = Vec::new();
                if !f.is_empty() {
                    problems.push(format!("MISSING web-service functions: {}", f.join(", ")));
                }
                if !c.is_empty() {
                    problems.push(format!("MISSING capabilities: {}", c.join(", ")));
                }
                problems.join("; ")
            }
        };
        return Ok((format!("{url} ({status})"), client, url.clone()));
    }
    if args.production {
        return Err("--production needs a real Moodle: set --moodle-url and --moodle-token".into());
    }
    // The simulator's site lives in the data dir beside the store, so that a restart keeps
    // the accounts, passwords and enrolments the store points at.
    let file = data_dir(args)?.join("moodle-sim.json");
    let (sim, fresh) = moodle_sim::Simulator::open(DEV_MOODLE_TOKEN, &file)
        .map_err(|e| format!("the Moodle simulator's state {}: {e}", file.display()))?;
    if fresh {
        for (shortname, fullname) in DEMO_COURSES {
            sim.add_course(shortname, fullname);
        }
        for (username, password, _) in DEMO_STAFF {
            sim.add_user(
                username,
                &format!("{username}@demo-academy.example"),
                password,
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(args.moodle_addr)
        .await
        .map_err(|e| cannot_listen("the Moodle simulator", args.moodle_addr, "--moodle-addr", e))?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(sim.serve(listener));
    let client = MoodleClient::new(&url, DEV_MOODLE_TOKEN, std::time::Duration::from_secs(10));
    Ok((
        format!(
            "simulator {url}  token `{DEV_MOODLE_TOKEN}` (dev default), {} {}",
            if fresh { "new site in" } else { "site kept in" },
            file.display()
        ),
        client,
        url,
    ))
}

/// Where the shop's messages go: an SMTP server, else the mail catcher (never with
/// `--production`, where messages then wait in the store's mailbox until a server is given).
type MailSetup = (Option<Arc<dyn Mailer>>, String, Option<MailCatcher>);

fn open_mailer(args: &Serve, base: &str) -> Result<MailSetup, Box<dyn std::error::Error>> {
    if let Some(url) = &args.smtp_url {
        let smtp = SmtpMailer::from_url(url)?;
        let shown = url.split('@').next_back().unwrap_or(url);
        return Ok((
            Some(Arc::new(smtp)),
            format!("SMTP {shown}, from {}", args.mail_from),
            None,
        ));
    }
    if args.production {
        return Ok((
            None,
            "NONE: messages wait in the store until --smtp-url is given".into(),
            None,
        ));
    }
    let catcher = MailCatcher::new(&args.data_dir)?;
    let text = format!("caught, not sent: {base}/dev/mail (dev only, refused with --production)");
    Ok((Some(Arc::new(catcher.clone())), text, Some(catcher)))
}

/// The Moodle simulator's dev token.
const DEV_MOODLE_TOKEN: &str = "dev-moodle-token";

async fn serve(args: Serve) -> Result<(), Box<dyn std::error::Error>> {
    if args.production && args.admin_token == DEV_ADMIN_TOKEN {
        return Err(
            "--production refuses the dev admin token: set --admin-token or SHOP_ADMIN_TOKEN"
                .into(),
        );
    }
    // The store first: a second `shopctl serve` on the same data dir is told so.
    let (store, store_text) = open_store(&args).await?;
    let (moodle_text, moodle, moodle_url) = start_moodle(&args).await?;
    let demo = !args.no_demo && !args.production;
    let loaded = if demo {
        load_demo(store.clone()).await?
    } else {
        false
    };
    let listener = (tokio::net::TcpListener::bind(args.addr).await)
        .map_err(|e| cannot_listen("the API", args.addr, "--addr", e))?;
    let base = format!("http://{}", listener.local_addr()?);
    let (mailer, mail_text, mail_catcher) = open_mailer(&args, &base)?;
    let options = StackOptions {
        admin_token: args.admin_token.clone(),
        public_url: args.public_url.clone().unwrap_or_else(|| base.clone()),
        trusted_proxies: args.trusted_proxies.clone(),
        mail_catcher,
        moodle_url: Some(moodle_url.clone()),
        ..StackOptions::default()
    };
    println!(
        "enrolshop local stack{}",
        if args.production { "" } else { " (dev mode)" }
    );
    println!("  API          {base}");
    println!("  store        {store_text}");
    println!("  moodle       {moodle_text}");
    println!("  mail         {mail_text}");
    if demo {
        let when = if loaded {
            "loaded now"
        } else {
            "already there"
        };
        println!("  demo shop    {base}/shops/demo/catalog (test mode, {when})");
    }
    if demo && args.moodle_url.is_none() {
        let who: Vec<String> = DEMO_STAFF
            .iter()
            .map(|(user, password, role)| format!("{user} / {password} ({role})"))
            .collect();
        println!("  staff        {base}/admin  sign in as {}", who.join(", "));
    } else if demo {
        let who: Vec<&str> = DEMO_STAFF.iter().map(|(user, _, _)| *user).collect();
        println!(
            "  staff        {base}/admin  the demo shop's staff are the Moodle users {}: create them on your Moodle, or add yours to the shop's staff (README \"Trying the demo shop on a real Moodle\")",
            who.join(" and ")
        );
    }
    if args.admin_token == DEV_ADMIN_TOKEN {
        println!(
            "  back office  {base}/admin/shops/demo  token `{DEV_ADMIN_TOKEN}` (dev default, refused with --production)"
        );
    } else {
        println!("  back office  {base}/admin/shops/{{shop}}  token from --admin-token");
    }
    tracing::info!(addr = %base, "serving");
    let queue = Arc::new(InProcessQueue::default());
    let desk = Bills {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        queue: queue.clone(),
    };
    let moodle = Arc::new(moodle);
    let timing = RelayTiming {
        reconcile_after: chrono::Duration::seconds(i64::from(args.reconcile_after)),
        ..RelayTiming::default()
    };
    if let Some(mailer) = mailer {
        let postman = Postman {
            bills: desk.clone(),
            mailer,
            site: MailSite {
                from: args.mail_from.clone(),
                pages_url: options.public_url.clone(),
                bill_path: payment_notify::DEFAULT_BILL_PATH.into(),
                moodle_url: Some(moodle_url),
                api_url: options.public_url.clone(),
            },
        };
        tokio::spawn(shopctl::run_postman(Arc::new(postman)));
    }
    let producer = Arc::new(Producer::new(desk, moodle.clone()).with_timing(timing));
    tokio::spawn(shopctl::run_relay(producer.clone()));
    tokio::spawn(shopctl::run_consumer(queue.clone(), producer));
    let app = stack(store, queue, moodle, &options);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
