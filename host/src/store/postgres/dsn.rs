//! Kratos-style PostgreSQL DSNs: `postgres://user:pass@host:5432/db?sslmode=disable&max_conns=20`.
//!
//! The query carries two kinds of parameters: the pool's, which Kratos defines (`max_conns`,
//! `max_idle_conns`, `max_conn_lifetime`, `max_conn_idle_time`), and libpq's connection
//! parameters (`sslmode`, `host` for a Unix socket directory, `application_name`,
//! `connect_timeout`…), which go to the client as they are. Errors never echo the DSN: it may
//! hold a password.

use crate::store::StoreError;
use std::time::Duration;

/// What a DSN asks for: where to connect, and how big the pool may grow.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) config: tokio_postgres::Config,
    pub(super) pool: PoolSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PoolSettings {
    pub(super) max_conns: usize,
    pub(super) max_idle_conns: Option<usize>,
    pub(super) max_conn_lifetime: Option<Duration>,
    pub(super) max_conn_idle_time: Option<Duration>,
}

impl Default for PoolSettings {
    /// Kratos' default is the Go driver's: twice the number of cores.
    fn default() -> PoolSettings {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PoolSettings {
            max_conns: (cores * 2).max(4),
            max_idle_conns: None,
            max_conn_lifetime: None,
            max_conn_idle_time: None,
        }
    }
}

pub(crate) fn is_postgres(dsn: &str) -> bool {
    let scheme = dsn.trim().split_once("://").map_or("", |(s, _)| s);
    scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql")
}

pub(super) fn parse(dsn: &str) -> Result<Target, StoreError> {
    let dsn = dsn.trim();
    let (base, query) = dsn.split_once('?').unwrap_or((dsn, ""));
    let mut pool = PoolSettings::default();
    let mut passed = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "max_conns" => pool.max_conns = count(key, value)?.max(1),
            "max_idle_conns" => pool.max_idle_conns = Some(count(key, value)?),
            "max_conn_lifetime" => pool.max_conn_lifetime = Some(duration(key, value)?),
            "max_conn_idle_time" => pool.max_conn_idle_time = Some(duration(key, value)?),
            "sslmode" => {
                sslmode(value)?;
                passed.push(pair);
            }
            _ => passed.push(pair),
        }
    }
    // As in libpq, a `host` parameter replaces the host of the address (`localhost` in
    // `postgres://user@localhost/db?host=/run/postgresql`) rather than adding a second one.
    let base = if passed.iter().any(|p| p.starts_with("host=")) {
        without_host(base)
    } else {
        base.to_string()
    };
    let url = if passed.is_empty() {
        base
    } else {
        format!("{base}?{}", passed.join("&"))
    };
    // The client's own message names the offending parameter, never the password.
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::InvalidDsn(format!("the PostgreSQL DSN is invalid: {e}")))?;
    if config.get_dbname().is_none() {
        return Err(StoreError::InvalidDsn(
            "the PostgreSQL DSN names no database (postgres://user:password@host:5432/DATABASE)"
                .into(),
        ));
    }
    Ok(Target { config, pool })
}

/// `scheme://user:password@host:port/db` without `host`, keeping the port (which names the
/// socket file in a socket directory).
fn without_host(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else {
        return base.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (format!("{userinfo}@"), hostport),
        None => (String::new(), authority),
    };
    let port = hostport
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(String::new(), |(_, port)| format!(":{port}"));
    format!("{scheme}://{userinfo}{port}{path}")
}

/// Connections go unencrypted: `disable`, and `prefer` or `allow` against a server without
/// TLS. A DSN that demands TLS is refused rather than silently downgraded.
fn sslmode(value: &str) -> Result<(), StoreError> {
    match value {
        "disable" | "allow" | "prefer" => Ok(()),
        "require" | "verify-ca" | "verify-full" => Err(StoreError::InvalidDsn(format!(
            "sslmode={value} asks for TLS to PostgreSQL, which latchkey does not speak yet; \
             use sslmode=disable on a trusted network or a Unix socket (host=/var/run/postgresql)"
        ))),
        _ => Err(StoreError::InvalidDsn(format!(
            "unknown sslmode {value:?}; use disable, allow, prefer, require, verify-ca or verify-full"
        ))),
    }
}

fn count(key: &str, value: &str) -> Result<usize, StoreError> {
    value
        .parse()
        .map_err(|_| StoreError::InvalidDsn(format!("{key} must be a whole number, got {value:?}")))
}

/// Go durations as Kratos writes them: `30s`, `5m`, `1h`, `1h30m`, `500ms`.
fn duration(key: &str, value: &str) -> Result<Duration, StoreError> {
    let invalid = || {
        StoreError::InvalidDsn(format!(
            "{key} must be a duration like 30s or 5m, got {value:?}"
        ))
    };
    let mut total = Duration::ZERO;
    let mut rest = value;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(invalid)?;
        let amount: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(amount),
            "s" => Duration::from_secs(amount),
            "m" => Duration::from_secs(amount * 60),
            "h" => Duration::from_secs(amount * 3600),
            _ => return Err(invalid()),
        };
        total += unit;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(dsn: &str) -> String {
        match parse(dsn) {
            Err(StoreError::InvalidDsn(msg)) => msg,
            other => panic!("expected InvalidDsn for {dsn:?}, got {other:?}"),
        }
    }

    #[test]
    fn kratos_dsn_with_pool_parameters() {
        let target = parse(
            "postgres://kratos:secret@db.example:5433/kratos?sslmode=disable&max_conns=20\
             &max_idle_conns=4&max_conn_lifetime=1h30m&max_conn_idle_time=30s",
        )
        .unwrap();
        assert_eq!(target.config.get_dbname(), Some("kratos"));
        assert_eq!(target.config.get_user(), Some("kratos"));
        assert_eq!(target.config.get_ports(), &[5433]);
        assert_eq!(
            target.pool,
            PoolSettings {
                max_conns: 20,
                max_idle_conns: Some(4),
                max_conn_lifetime: Some(Duration::from_secs(5400)),
                max_conn_idle_time: Some(Duration::from_secs(30)),
            }
        );
    }

    #[test]
    fn both_schemes_and_a_unix_socket() {
        assert!(is_postgres("postgresql://u@h/db") && is_postgres("POSTGRES://u@h/db"));
        assert!(!is_postgres("sqlite://latchkey.db") && !is_postgres("cockroach://u@h/db"));
        let target = parse("postgresql://postgres@localhost/app?host=/var/run/postgresql").unwrap();
        assert_eq!(
            target.config.get_hosts(),
            &[tokio_postgres::config::Host::Unix(
                "/var/run/postgresql".into()
            )]
        );
    }

    #[test]
    fn refusals_name_the_problem_and_not_the_password() {
        for (dsn, expected) in [
            (
                "postgres://u:hunter2@h/db?sslmode=require",
                "sslmode=require asks for TLS",
            ),
            (
                "postgres://u:hunter2@h/db?max_conns=many",
                "max_conns must be a whole number",
            ),
            (
                "postgres://u:hunter2@h/db?max_conn_lifetime=soon",
                "max_conn_lifetime must be a duration",
            ),
            (
                "postgres://u:hunter2@h/db?no_such_option=1",
                "the PostgreSQL DSN is invalid",
            ),
            ("postgres://u:hunter2@h", "names no database"),
        ] {
            let msg = message(dsn);
            assert!(msg.contains(expected), "{dsn}: {msg}");
            assert!(!msg.contains("hunter2"), "{msg}");
        }
    }
}
