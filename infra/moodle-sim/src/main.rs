//! `moodle-sim`: the Moodle web-service simulator as a standalone server.

use clap::Parser;

#[derive(Parser)]
#[command(about = "A Moodle web-service simulator (REST protocol)")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:3001")]
    addr: std::net::SocketAddr,
    #[arg(long, default_value = "dev-moodle-token")]
    token: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    println!(
        "Moodle simulator on http://{} (token {})",
        listener.local_addr()?,
        args.token
    );
    moodle_sim::Simulator::new(&args.token)
        .serve(listener)
        .await
}
