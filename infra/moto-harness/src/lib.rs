//! Starts one real `moto` server (DynamoDB + SQS protocols) per test process, on a free
//! loopback port, installing `moto[server]` with pip when it is missing.
//!
//! The server runs in a Python child whose standard input is a pipe from this process: when
//! the test process ends, for any reason, the pipe closes and the server stops. Nothing is
//! left running after a test run.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

struct Server {
    endpoint: String,
    _child: Child,
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// Serves moto's WSGI app one request at a time. moto's DynamoDB is not safe under concurrent
/// requests: a failed transaction restores a copy of the whole table taken when it began,
/// undoing writes that other requests committed meanwhile. Served serially, every request is
/// atomic as in DynamoDB, while clients still race each other as they would on AWS.
const SERVE: &str = r#"
import sys, threading
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server
app = DomainDispatcherApplication(create_backend_app)
server = make_server("127.0.0.1", int(sys.argv[1]), app, threaded=False)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
server.shutdown()
"#;

/// The endpoint URL (`http://127.0.0.1:PORT`) of this process's moto server.
pub fn endpoint() -> &'static str {
    &SERVER.get_or_init(start).endpoint
}

/// A name no other test of this run uses (for tables and queues).
pub fn unique_name(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

fn ensure_installed() {
    let ok = |cmd: &mut Command| cmd.status().is_ok_and(|s| s.success());
    if ok(Command::new(python()).args(["-c", "import moto.server, flask"])) {
        return;
    }
    eprintln!("moto_harness: installing moto[server] with pip");
    let installed =
        ok(Command::new(python()).args(["-m", "pip", "install", "--quiet", "moto[server]"]));
    assert!(installed, "could not install moto[server] with pip");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn start() -> Server {
    ensure_installed();
    let port = free_port();
    let mut child = Command::new(python())
        .args(["-c", SERVE, &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let stdout = child.stdout.take().expect("piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("moto answers");
    assert_eq!(line.trim(), "ready", "moto server did not start");
    Server {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: child,
    }
}
