//! Whether a password is known from data breaches: an offline list of the most common ones,
//! always consulted, then Have I Been Pwned's range API (Kratos' `haveibeenpwned_*` options).
//!
//! The range API is asked with the first five hex digits of the password's SHA-1 and answers
//! with every known suffix under that prefix (`SUFFIX:COUNT` lines), so neither the password
//! nor its hash leaves the server.

use crate::settings::BreachCheck;
use latchkey_plugin_sdk::env::{HttpError, HttpRequest};
use latchkey_plugin_sdk::{Env, Level};
use sha1::{Digest, Sha1};

/// The 10,000 most common passwords of zxcvbn's list (from the Xato corpus of ten million
/// leaked passwords), lower case, most common first; MIT licence, see LICENSE-zxcvbn.txt.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

#[derive(Debug, PartialEq, Eq)]
pub enum Finding {
    Clean,
    /// In the offline list: it is among the most used passwords, so its count is unknown but
    /// far beyond anything `max_breaches` allows.
    Common,
    /// Seen this many times in Have I Been Pwned's corpus, more than `max_breaches`.
    Breached(u64),
    /// The range API could not be asked or gave no usable answer, and `ignore_network_errors`
    /// is off.
    Unchecked,
}

pub fn check(password: &str, policy: &BreachCheck, env: &dyn Env) -> Finding {
    if is_common(password) {
        return Finding::Common;
    }
    let Some(origin) = policy.haveibeenpwned_origin.as_deref() else {
        return Finding::Clean;
    };
    match times_seen(password, origin, env) {
        Ok(count) if count > policy.max_breaches => Finding::Breached(count),
        Ok(_) => Finding::Clean,
        Err(reason) => {
            env.log(
                Level::Warn,
                "breached-password lookup failed",
                &[
                    ("origin", origin),
                    ("reason", &reason),
                    (
                        "outcome",
                        if policy.ignore_network_errors {
                            "accepted (ignore_network_errors)"
                        } else {
                            "refused (ignore_network_errors is off)"
                        },
                    ),
                ],
            );
            if policy.ignore_network_errors {
                Finding::Clean
            } else {
                Finding::Unchecked
            }
        }
    }
}

/// Case-insensitive, as the list is lower case: `Password` is as guessable as `password`.
fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMMON_PASSWORDS.lines().any(|line| line == lower)
}

/// The upper-case hex SHA-1 of the password, as the range API spells it.
fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn times_seen(password: &str, origin: &str, env: &dyn Env) -> Result<u64, String> {
    let hash = sha1_hex(password);
    let (prefix, suffix) = hash.split_at(5);
    let answer = env
        .http(HttpRequest {
            method: "GET".into(),
            url: format!("{origin}/range/{prefix}"),
            headers: vec![("accept".into(), "text/plain".into())],
            body: Vec::new(),
        })
        .map_err(describe)?;
    if answer.status != 200 {
        return Err(format!("the range API answered {}", answer.status));
    }
    let body = String::from_utf8(answer.body).map_err(|_| "the answer is not text")?;
    count_for(&body, suffix)
}

/// The count on the line for `suffix`, zero when there is none. As Kratos does, a line without
/// a count counts once and thousands separators are ignored.
fn count_for(body: &str, suffix: &str) -> Result<u64, String> {
    for line in body.lines() {
        let mut parts = line.trim().splitn(2, ':');
        let line_suffix = parts.next().unwrap_or_default();
        if !line_suffix.eq_ignore_ascii_case(suffix) {
            continue;
        }
        return match parts.next() {
            None => Ok(1),
            Some(count) => count
                .trim()
                .replace(',', "")
                .parse()
                .map_err(|_| format!("the count {count:?} is not a number")),
        };
    }
    Ok(0)
}

fn describe(e: HttpError) -> String {
    match e {
        HttpError::NotAllowed(origin) => format!("{origin} is not granted to this plugin"),
        HttpError::Timeout => "no answer in time".into(),
        HttpError::TooLarge => "the answer was too large".into(),
        HttpError::Transport(reason) => reason,
        HttpError::InvalidRequest(reason) => format!("invalid request: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::env::HttpResponse;
    use latchkey_plugin_sdk::testing::FakeEnv;

    const ORIGIN: &str = "https://api.pwnedpasswords.com";

    fn policy() -> BreachCheck {
        BreachCheck {
            haveibeenpwned_origin: Some(ORIGIN.into()),
            max_breaches: 0,
            ignore_network_errors: true,
        }
    }

    fn range(body: &str) -> Result<HttpResponse, HttpError> {
        Ok(HttpResponse {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn hashes_as_the_range_api_expects() {
        assert_eq!(
            sha1_hex("password"),
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
        );
    }

    #[test]
    fn the_most_common_passwords_are_refused_offline() {
        let env = FakeEnv::default();
        let off = BreachCheck {
            haveibeenpwned_origin: None,
            ..policy()
        };
        for common in ["password", "12345678", "Password", "qwertyuiop", "iloveyou"] {
            assert_eq!(check(common, &off, &env), Finding::Common, "{common}");
        }
        assert_eq!(check("a calm password", &off, &env), Finding::Clean);
        assert!(env.http_requests.borrow().is_empty());
        assert_eq!(COMMON_PASSWORDS.lines().count(), 10_000);
    }

    #[test]
    fn only_the_prefix_is_sent_and_the_count_decides() {
        let env = FakeEnv::default();
        let hash = sha1_hex("a calm password");
        let (prefix, suffix) = hash.split_at(5);
        let url = format!("{ORIGIN}/range/{prefix}");
        env.respond(
            "GET",
            &url,
            range(&format!(
                "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n{suffix}:3\r\n"
            )),
        );
        assert_eq!(
            check("a calm password", &policy(), &env),
            Finding::Breached(3)
        );
        let allowing_three = BreachCheck {
            max_breaches: 3,
            ..policy()
        };
        assert_eq!(
            check("a calm password", &allowing_three, &env),
            Finding::Clean
        );
        let sent = env.http_requests.borrow();
        assert_eq!(sent[0].url, url);
        assert!(!sent[0].url.contains(suffix));
        assert!(sent[0].body.is_empty());
    }

    #[test]
    fn range_answers_as_the_api_writes_them() {
        assert_eq!(count_for("ABC:12\r\nDEF:3\r\n", "DEF"), Ok(3));
        assert_eq!(count_for("ABC:12\r\nDEF:3\r\n", "def"), Ok(3));
        assert_eq!(count_for("ABC:1,234\r\n", "ABC"), Ok(1234));
        assert_eq!(count_for("ABC\r\n", "ABC"), Ok(1));
        assert_eq!(count_for("ABC:0\r\n", "ABC"), Ok(0));
        assert_eq!(count_for("ABC:12\r\n", "XYZ"), Ok(0));
        assert!(count_for("ABC:many\r\n", "ABC").is_err());
    }

    #[test]
    fn failures_follow_ignore_network_errors() {
        let env = FakeEnv::default();
        // Nothing scripted: every request fails as a transport error.
        assert_eq!(check("a calm password", &policy(), &env), Finding::Clean);
        let strict = BreachCheck {
            ignore_network_errors: false,
            ..policy()
        };
        assert_eq!(check("a calm password", &strict, &env), Finding::Unchecked);
        assert!(
            env.events
                .borrow()
                .iter()
                .any(|e| e.contains("breached-password lookup failed"))
        );

        let hash = sha1_hex("a calm password");
        env.respond(
            "GET",
            &format!("{ORIGIN}/range/{}", &hash[..5]),
            Ok(HttpResponse {
                status: 503,
                headers: vec![],
                body: vec![],
            }),
        );
        assert_eq!(check("a calm password", &strict, &env), Finding::Unchecked);
    }
}
