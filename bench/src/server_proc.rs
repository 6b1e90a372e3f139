//! The real `latchkey serve --dev` process on free loopback ports and a private data directory.

use crate::paths::Paths;
use anyhow::{Context, bail};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Short enough not to blur a start-up measured in tens of milliseconds.
const READY_POLL: Duration = Duration::from_millis(2);
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

pub struct ServerProc {
    child: Child,
    pub public: String,
    admin: String,
    log: PathBuf,
    spawned_at: Instant,
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl ServerProc {
    /// Starts the server without waiting for it. Its database, compile cache and log live in
    /// `data`, so a later start on the same directory finds a warm cache.
    pub fn spawn(paths: &Paths, data: &Path) -> anyhow::Result<ServerProc> {
        Self::spawn_with(paths, data, None)
    }

    /// Like [`ServerProc::spawn`], with a config file.
    pub fn spawn_with(
        paths: &Paths,
        data: &Path,
        config: Option<&Path>,
    ) -> anyhow::Result<ServerProc> {
        let sqlite = format!("sqlite://{}/latchkey.db?mode=rwc", data.display());
        Self::spawn_on(paths, data, config, &sqlite)
    }

    /// Like [`ServerProc::spawn_with`], on the database `dsn` names.
    pub fn spawn_on(
        paths: &Paths,
        data: &Path,
        config: Option<&Path>,
        dsn: &str,
    ) -> anyhow::Result<ServerProc> {
        let (public_port, admin_port) = (free_port()?, free_port()?);
        let log = data.join("server.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let spawned_at = Instant::now();
        let mut command = Command::new(&paths.binary);
        command.args(["serve", "--dev"]);
        if let Some(config) = config {
            command.arg("-c").arg(config);
        }
        let child = command
            .current_dir(data)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LATCHKEY_PLUGIN_DIR", &paths.plugin_dir)
            .env("LATCHKEY_CACHE_DIR", data.join("cache"))
            .env("DSN", dsn)
            .env("SERVE_PUBLIC_PORT", public_port.to_string())
            .env("SERVE_ADMIN_PORT", admin_port.to_string())
            // The throttle runs (its cost is measured) but never makes a row wait: the
            // rejection-latency row sends forty wrong sign-ins from one address.
            .env(
                "SELFSERVICE_FLOWS_LOGIN_THROTTLE_PER_IDENTIFIER_AFTER_FAILURES",
                "1000000",
            )
            .env(
                "SELFSERVICE_FLOWS_LOGIN_THROTTLE_PER_ADDRESS_AFTER_FAILURES",
                "1000000",
            )
            // Registrations must not depend on reaching api.pwnedpasswords.com.
            .env(
                "SELFSERVICE_METHODS_PASSWORD_CONFIG",
                r#"{"haveibeenpwned_enabled": false}"#,
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", paths.binary.display()))?;
        Ok(ServerProc {
            child,
            public: format!("http://127.0.0.1:{public_port}"),
            admin: format!("http://127.0.0.1:{admin_port}"),
            log,
            spawned_at,
        })
    }

    pub fn start(paths: &Paths, data: &Path) -> anyhow::Result<ServerProc> {
        Self::start_with(paths, data, None)
    }

    pub fn start_with(
        paths: &Paths,
        data: &Path,
        config: Option<&Path>,
    ) -> anyhow::Result<ServerProc> {
        let mut server = ServerProc::spawn_with(paths, data, config)?;
        server.wait_ready()?;
        Ok(server)
    }

    /// Waits until `/health/ready` answers 200 and returns the time since the spawn.
    pub fn wait_ready(&mut self) -> anyhow::Result<Duration> {
        let url = format!("{}/health/ready", self.public);
        while self.spawned_at.elapsed() < READY_TIMEOUT {
            if let Some(status) = self.child.try_wait()? {
                bail!("latchkey exited with {status}:\n{}", self.log_tail());
            }
            if let Ok(resp) = ureq::get(&url).timeout(Duration::from_secs(1)).call()
                && resp.status() == 200
            {
                return Ok(self.spawned_at.elapsed());
            }
            std::thread::sleep(READY_POLL);
        }
        bail!(
            "latchkey was not ready after {READY_TIMEOUT:?}:\n{}",
            self.log_tail()
        )
    }

    pub fn public_addr(&self) -> std::net::SocketAddr {
        self.public
            .trim_start_matches("http://")
            .parse()
            .expect("the public URL is an address")
    }

    /// A `kB` field of `/proc/<pid>/status`.
    fn status_kib(&self, name: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {name} in /proc/<pid>/status"))
    }

    /// Resident set size in KiB.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        self.status_kib("VmRSS")
    }

    /// Resident memory by kind in KiB: anonymous (heaps) and file-backed (the binary, mapped
    /// plugin code).
    pub fn rss_kinds_kib(&self) -> (u64, u64) {
        let kib = |name| self.status_kib(name).unwrap_or(0);
        (kib("RssAnon"), kib("RssFile"))
    }

    /// The highest resident set size so far, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM").unwrap_or(0)
    }

    pub fn admin_url(&self) -> &str {
        &self.admin
    }

    /// CPU seconds (user and system) the server has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        crate::cpu::of(&self.child.id().to_string())
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Asks for a graceful shutdown (SIGTERM), so that SQLite closes cleanly and the next start
    /// on the same directory does not pay for WAL recovery; kills after a grace period.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
