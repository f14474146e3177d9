//! `shopctl serve`: the whole stack on one machine, no cloud account (DESIGN §10).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use shop_core::adapters::dynamo::{self, DynamoStore};
use shop_core::adapters::embedded::EmbeddedStore;
use shop_core::adapters::memory_queue::InProcessQueue;
use shop_core::ports::Store;
use shopctl::{DEV_ADMIN_TOKEN, StackOptions, load_demo, stack};

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
    /// Refuse the dev defaults (the dev admin token, the demo shop).
    #[arg(long)]
    production: bool,
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logs();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
    }
}

async fn open_store(args: &Serve) -> Result<(Arc<dyn Store>, String), Box<dyn std::error::Error>> {
    if let (Some(endpoint), Some(table)) = (&args.dynamodb_endpoint, &args.table) {
        let client = dynamo::client(Some(endpoint)).await;
        dynamo::ensure_table(&client, table).await?;
        return Ok((
            Arc::new(DynamoStore::new(client, table)),
            format!("DynamoDB at {endpoint}, table {table}"),
        ));
    }
    std::fs::create_dir_all(&args.data_dir)?;
    let path = args.data_dir.join("store.redb");
    let store = EmbeddedStore::open(&path)?;
    Ok((Arc::new(store), format!("embedded, {}", path.display())))
}

async fn serve(args: Serve) -> Result<(), Box<dyn std::error::Error>> {
    if args.production && args.admin_token == DEV_ADMIN_TOKEN {
        return Err(
            "--production refuses the dev admin token: set --admin-token or SHOP_ADMIN_TOKEN"
                .into(),
        );
    }
    let (store, store_text) = open_store(&args).await?;
    let demo = !args.no_demo && !args.production;
    let loaded = if demo {
        load_demo(store.clone()).await?
    } else {
        false
    };
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let options = StackOptions {
        admin_token: args.admin_token.clone(),
        public_url: args.public_url.clone().unwrap_or_else(|| base.clone()),
        ..StackOptions::default()
    };
    println!(
        "enrolshop local stack{}",
        if args.production { "" } else { " (dev mode)" }
    );
    println!("  API          {base}");
    println!("  store        {store_text}");
    if demo {
        let when = if loaded {
            "loaded now"
        } else {
            "already there"
        };
        println!("  demo shop    {base}/shops/demo/catalog (test mode, {when})");
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
    axum::serve(listener, stack(store, queue, &options))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
