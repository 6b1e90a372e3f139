//! A closed-loop HTTP/1.1 load generator over keep-alive connections: `wrk` when it is
//! installed, otherwise a small tokio client in this process. Both servers of a comparison are
//! driven by the same generator with the same settings.

use anyhow::{Context, bail};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct LoadSpec {
    pub addr: SocketAddr,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub connections: usize,
    pub duration: Duration,
    /// When not empty, the requests take turns with these session tokens (`X-Session-Token`),
    /// as the users of a real deployment do.
    pub tokens: Vec<String>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct LoadResult {
    pub ok: u64,
    /// Responses other than 2xx, and transport errors: a run with any is not a clean figure.
    pub failed: u64,
    pub elapsed: Duration,
}

impl LoadResult {
    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

pub enum Generator {
    Wrk(PathBuf),
    InProcess,
}

/// The generator's threads. On a small machine it competes with the server for cores either
/// way; one thread per core keeps it from being the bottleneck.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl Generator {
    pub fn detect() -> Generator {
        let found = std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("wrk"))
                .find(|p| p.is_file())
        });
        match found {
            Some(wrk) => Generator::Wrk(wrk),
            None => Generator::InProcess,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Generator::Wrk(_) => "wrk",
            Generator::InProcess => "tokio client",
        }
    }

    pub fn run(&self, spec: &LoadSpec) -> anyhow::Result<LoadResult> {
        match self {
            Generator::Wrk(wrk) => run_wrk(wrk, spec),
            Generator::InProcess => run_in_process(spec),
        }
    }
}

fn run_wrk(wrk: &PathBuf, spec: &LoadSpec) -> anyhow::Result<LoadResult> {
    let mut cmd = Command::new(wrk);
    cmd.arg(format!("-t{}", threads().min(spec.connections)))
        .arg(format!("-c{}", spec.connections))
        .arg(format!("-d{}s", spec.duration.as_secs().max(1)))
        .arg("--timeout")
        .arg("2s");
    for (k, v) in &spec.headers {
        cmd.arg("-H").arg(format!("{k}: {v}"));
    }
    // wrk takes turns through the tokens with a Lua script reading them from a file.
    let scripts = tempfile::tempdir()?;
    if !spec.tokens.is_empty() {
        let tokens = scripts.path().join("tokens");
        std::fs::write(&tokens, spec.tokens.join("\n"))?;
        let script = scripts.path().join("tokens.lua");
        std::fs::write(&script, rotate_script(&tokens))?;
        cmd.arg("-s").arg(script);
    }
    cmd.arg(format!("http://{}{}", spec.addr, spec.path));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting wrk")?;
    let deadline = Instant::now() + spec.duration + Duration::from_secs(15);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("wrk did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    parse_wrk(&text).with_context(|| format!("unexpected wrk output:\n{text}"))
}

fn rotate_script(tokens: &std::path::Path) -> String {
    format!(
        r#"local tokens = {{}}
for line in io.lines("{}") do tokens[#tokens + 1] = line end
local n = math.random(#tokens)
request = function()
  n = n % #tokens + 1
  wrk.headers["X-Session-Token"] = tokens[n]
  return wrk.format()
end
"#,
        tokens.display()
    )
}

/// Reads `N requests in 5.00s`, `Non-2xx or 3xx responses: N` and `Socket errors: …`.
fn parse_wrk(text: &str) -> Option<LoadResult> {
    let (total, elapsed) = text.lines().find_map(|l| {
        let (n, rest) = l.trim().split_once(" requests in ")?;
        let secs = rest.split(',').next()?;
        Some((n.parse::<u64>().ok()?, parse_wrk_duration(secs)?))
    })?;
    let non_2xx: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let socket_errors: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Socket errors:"))
        .map(|rest| {
            rest.split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Some(LoadResult {
        ok: total.saturating_sub(non_2xx),
        failed: non_2xx + socket_errors,
        elapsed,
    })
}

fn parse_wrk_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        return None;
    };
    Some(Duration::from_secs_f64(num.parse::<f64>().ok()? * scale))
}

fn run_in_process(spec: &LoadSpec) -> anyhow::Result<LoadResult> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads())
        .enable_all()
        .build()?;
    let request = |token: Option<&str>| -> Arc<[u8]> {
        let mut request = format!("GET {} HTTP/1.1\r\nHost: {}\r\n", spec.path, spec.addr);
        for (k, v) in &spec.headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(token) = token {
            request.push_str(&format!("X-Session-Token: {token}\r\n"));
        }
        request.push_str("\r\n");
        request.into_bytes().into()
    };
    let requests: Arc<[Arc<[u8]>]> = if spec.tokens.is_empty() {
        vec![request(None)].into()
    } else {
        spec.tokens.iter().map(|t| request(Some(t))).collect()
    };
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + spec.duration;
    let totals = runtime.block_on(async {
        let tasks: Vec<_> = (0..spec.connections)
            .map(|c| {
                let requests = requests.clone();
                tokio::spawn(connection_loop(spec.addr, requests, c, deadline))
            })
            .collect();
        let mut totals = LoadResult::default();
        for task in tasks {
            let r = task.await.unwrap_or(LoadResult {
                failed: 1,
                ..LoadResult::default()
            });
            totals.ok += r.ok;
            totals.failed += r.failed;
        }
        totals
    });
    Ok(LoadResult {
        elapsed: started.elapsed(),
        ..totals
    })
}

/// One keep-alive connection sending requests back to back until the deadline; reconnects
/// after an error. The request count is bounded by the deadline alone, since each request
/// waits for its answer.
async fn connection_loop(
    addr: SocketAddr,
    requests: Arc<[Arc<[u8]>]>,
    first: usize,
    deadline: tokio::time::Instant,
) -> LoadResult {
    let mut next = first;
    let mut result = LoadResult::default();
    let mut buf = Vec::with_capacity(16 * 1024);
    while tokio::time::Instant::now() < deadline {
        let Ok(Ok(mut stream)) =
            tokio::time::timeout_at(deadline, tokio::net::TcpStream::connect(addr)).await
        else {
            result.failed += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        while tokio::time::Instant::now() < deadline {
            next = (next + 1) % requests.len();
            let request = &requests[next];
            let exchange = async {
                stream.write_all(request).await?;
                read_response(&mut stream, &mut buf).await
            };
            match tokio::time::timeout_at(deadline, exchange).await {
                Ok(Ok(status)) if (200..300).contains(&status) => result.ok += 1,
                Ok(Ok(_)) => result.failed += 1,
                Ok(Err(_)) => {
                    result.failed += 1;
                    break;
                }
                // The deadline fell mid-request: not counted either way.
                Err(_) => break,
            }
        }
    }
    result
}

/// Reads one response with a `Content-Length` body and returns its status.
async fn read_response(
    stream: &mut tokio::net::TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]);
    let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad response head");
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(invalid)?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .ok_or_else(invalid)?;
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_summary() {
        let out = "Running 5s test @ http://127.0.0.1:1/x\n  2 threads and 48 connections\n\
                   \x20 61234 requests in 5.01s, 70.12MB read\n\
                   \x20 Non-2xx or 3xx responses: 4\n\
                   Requests/sec:  12222.40\nTransfer/sec:     14.00MB\n";
        let r = parse_wrk(out).unwrap();
        assert_eq!(r.ok, 61230);
        assert_eq!(r.failed, 4);
        assert_eq!(r.elapsed, Duration::from_secs_f64(5.01));
    }

    #[test]
    fn counts_socket_errors_as_failures() {
        let out = "  100 requests in 1.00s, 1MB read\n  Socket errors: connect 1, read 2, write 0, timeout 3\n";
        assert_eq!(parse_wrk(out).unwrap().failed, 6);
    }
}
