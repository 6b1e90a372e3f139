//! The login throttle: failed first-factor sign-ins slow down further attempts, counted per
//! identifier (a patient guesser of one account) and per client address (one client trying
//! many accounts). After `after_failures` failures under one count, each attempt must wait
//! `first_delay`, doubled with every further failure up to `max_delay`; a count starts over
//! once `forget_after` passes without a failure, and a correct password starts its
//! identifier's count over. An attempt made too early is answered 429 with `Retry-After`
//! before any password is checked, and is not counted, so waiting is always enough.
//!
//! The cap keeps what an attacker can do to a victim short: at worst, a victim who signs in
//! while someone guesses at their account waits `max_delay`. A browser the identity already
//! signed in with carries a signed known-device cookie and skips its identifier's wait
//! (never the address's), so the victim's own browser is not locked out at all.
//!
//! Counts live in the database, so they hold across restarts and across nodes sharing it.

use crate::app::App;
use crate::config::{Backoff, Throttle};
use crate::domain_error::DomainError;
use crate::error::ApiError;
use crate::sessions::ClientInfo;
use crate::store::FailureCount;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use uuid::Uuid;

/// What one sign-in attempt is counted under.
pub struct Counts {
    address: Option<String>,
    identifier: Option<String>,
}

impl Counts {
    /// The attempt's address count, before the identifier is known.
    pub fn of(client: &ClientInfo) -> Counts {
        Counts {
            address: client.ip.map(address_key),
            identifier: None,
        }
    }

    /// Adds the identifier the plugin looked up, hashed: what people type as an identifier
    /// is sometimes their password.
    pub fn add_identifier(&mut self, method: &str, identifier: &str) {
        self.identifier = Some(identifier_key(method, identifier));
    }

    /// Whether the attempt named an identifier, which makes a wrong answer a failure to
    /// count.
    pub fn names_identifier(&self) -> bool {
        self.identifier.is_some()
    }
}

fn address_key(ip: IpAddr) -> String {
    // One IPv6 client usually holds a whole /64; an IPv4 client seen through an IPv6 socket
    // is still that IPv4 client.
    let ip = match ip.to_canonical() {
        IpAddr::V6(v6) => match ipnet::Ipv6Net::new(v6, 64) {
            Ok(net) => IpAddr::V6(net.network()),
            Err(_) => IpAddr::V6(v6),
        },
        v4 => v4,
    };
    format!("address:{ip}")
}

fn identifier_key(method: &str, identifier: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update([0]);
    hash.update(identifier.as_bytes());
    format!("identifier:{}", hex::encode(hash.finalize()))
}

/// When a count lets the next attempt in: `None` while it is under the free failures.
pub fn next_attempt_at(rule: &Backoff, count: FailureCount) -> Option<DateTime<Utc>> {
    let beyond = count.failures.checked_sub(rule.after_failures.max(1))?;
    let factor = 1_u32.checked_shl(beyond.min(31)).unwrap_or(u32::MAX);
    let delay = rule
        .first_delay
        .checked_mul(factor)
        .unwrap_or(rule.max_delay)
        .min(rule.max_delay);
    Some(count.last_failure_at + chrono::Duration::from_std(delay).ok()?)
}

fn settings(app: &App) -> Option<&Throttle> {
    let throttle = &app.config.selfservice.flows.login.throttle;
    throttle.enabled.then_some(throttle)
}

async fn wait_for(
    app: &App,
    key: &str,
    rule: &Backoff,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    let Some(count) = app.store.failure_count(key).await? else {
        return Ok(None);
    };
    Ok(next_attempt_at(rule, count).filter(|at| *at > now))
}

/// Refuses an attempt from an address that must wait.
pub async fn check_address(app: &App, counts: &Counts) -> Result<(), DomainError> {
    let (Some(throttle), Some(key)) = (settings(app), &counts.address) else {
        return Ok(());
    };
    let now = app.now();
    match wait_for(app, key, &throttle.per_address, now).await? {
        Some(until) => Err(too_many("this network address", until, now).into()),
        None => Ok(()),
    }
}

/// Refuses an attempt on an identifier that must wait, unless the browser is one `identity`
/// signed in with before.
pub async fn check_identifier(
    app: &App,
    counts: &Counts,
    identity: Option<Uuid>,
    client: &ClientInfo,
) -> Result<(), DomainError> {
    let (Some(throttle), Some(key)) = (settings(app), &counts.identifier) else {
        return Ok(());
    };
    if identity.is_some() && client.known_device == identity {
        return Ok(());
    }
    let now = app.now();
    match wait_for(app, key, &throttle.per_identifier, now).await? {
        Some(until) => Err(too_many("this account", until, now).into()),
        None => Ok(()),
    }
}

/// Counts a wrong answer under every key of the attempt.
pub async fn failed(app: &App, counts: &Counts) -> Result<(), DomainError> {
    let Some(throttle) = settings(app) else {
        return Ok(());
    };
    let now = app.now();
    let forget = chrono::Duration::from_std(throttle.forget_after)
        .unwrap_or_else(|_| chrono::Duration::hours(1));
    for key in [&counts.address, &counts.identifier].into_iter().flatten() {
        app.store.record_failure(key, now, now - forget).await?;
    }
    Ok(())
}

/// A correct answer starts the identifier's count over. The address's count stays: one
/// account of the attacker's own must not reset the count of its guesses at others.
pub async fn succeeded(app: &App, counts: &Counts) -> Result<(), DomainError> {
    if let (Some(_), Some(key)) = (settings(app), &counts.identifier)
        // A point read first: most sign-ins have nothing to forget, and need not write.
        && app.store.failure_count(key).await?.is_some()
    {
        app.store.forget_failures(key).await?;
    }
    Ok(())
}

fn too_many(what: &str, until: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let seconds = ((until - now).num_milliseconds().max(0) as u64)
        .div_ceil(1000)
        .max(1);
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests")
        .with_id("too_many_requests")
        .with_reason(format!(
            "Too many failed sign-in attempts for {what}. Try again in {seconds} seconds."
        ))
        .with_details(serde_json::json!({
            "retry_after_seconds": seconds,
            "retry_at": until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }))
        .with_retry_after(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rule() -> Backoff {
        Backoff {
            after_failures: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
        }
    }

    fn wait(failures: u32) -> Option<i64> {
        let last_failure_at = DateTime::<Utc>::UNIX_EPOCH;
        let count = FailureCount {
            failures,
            last_failure_at,
        };
        next_attempt_at(&rule(), count).map(|at| (at - last_failure_at).num_seconds())
    }

    #[test]
    fn free_failures_then_doubling_waits_up_to_the_cap() {
        let waits: Vec<_> = (1..=16).map(wait).collect();
        assert_eq!(
            waits,
            [
                None,
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(32),
                Some(64),
                Some(128),
                Some(256),
                Some(300),
                Some(300),
                Some(300)
            ]
        );
        assert_eq!(wait(u32::MAX), Some(300), "no overflow");
    }

    #[test]
    fn keys_hide_identifiers_and_group_ipv6_networks() {
        let key = identifier_key("password", "hunter2@example.com");
        assert!(!key.contains("hunter2"));
        assert_ne!(key, identifier_key("pin", "hunter2@example.com"));
        let a = address_key("2001:db8::1".parse().unwrap());
        let b = address_key("2001:db8::ffff:1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, address_key("2001:db8:0:1::1".parse().unwrap()));
        assert_eq!(
            address_key("::ffff:192.0.2.1".parse().unwrap()),
            address_key("192.0.2.1".parse().unwrap())
        );
        assert_ne!(
            address_key("::ffff:192.0.2.1".parse().unwrap()),
            address_key("::ffff:192.0.2.2".parse().unwrap())
        );
    }
}
