//! The baseline of row 3: an axum 0.8 server whose whoami handler only serialises a JSON body
//! of the same shape and size as Latchkey's answer — no token lookup, no database.
//!
//! It runs as a child process of this benchmark (the same executable, `bare-axum PORT BODY`)
//! with the same tokio runtime Latchkey uses, so both servers get the same process model and
//! neither shares a runtime with the load generator.

use crate::server_proc::free_port;
use anyhow::{Context, bail};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const SUBCOMMAND: &str = "bare-axum";
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// The child's entry point; serves until killed.
pub fn serve(port: &str, body: &str) -> anyhow::Result<()> {
    let body: Arc<Value> = Arc::new(serde_json::from_str(body).context("body is not JSON")?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Router::new()
            .route("/sessions/whoami", get(whoami))
            .with_state(body);
        let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// Builds and serialises the body per request, as a handler returning fresh data would.
async fn whoami(State(body): State<Arc<Value>>) -> Json<Value> {
    Json(body.as_ref().clone())
}

pub struct BareAxum {
    child: Child,
    pub addr: SocketAddr,
}

impl BareAxum {
    pub fn start(body: &str) -> anyhow::Result<BareAxum> {
        let port = free_port()?;
        let child = Command::new(std::env::current_exe()?)
            .args([SUBCOMMAND, &port.to_string(), body])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting the bare axum server")?;
        let mut server = BareAxum {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let url = format!("http://{}/sessions/whoami", server.addr);
        let started = Instant::now();
        while started.elapsed() < READY_TIMEOUT {
            if let Some(status) = server.child.try_wait()? {
                bail!("the bare axum server exited with {status}");
            }
            if ureq::get(&url).call().is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        bail!("the bare axum server was not ready after {READY_TIMEOUT:?}")
    }
}

impl Drop for BareAxum {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
