//! Cookies signed with `secrets.cookie`: the first secret signs, every secret verifies, so
//! secrets can be rotated without logging everyone out.

use hmac::{Hmac, Mac};
use rand::distr::{Alphanumeric, SampleString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct CookieSigner {
    keys: Vec<Vec<u8>>,
}

impl CookieSigner {
    /// With no configured secrets a random one is made: cookies then stop working at the next
    /// restart, which the server warns about.
    pub fn new(secrets: &[&str]) -> CookieSigner {
        let keys = if secrets.is_empty() {
            vec![
                Alphanumeric
                    .sample_string(&mut rand::rng(), 32)
                    .into_bytes(),
            ]
        } else {
            secrets.iter().map(|s| s.as_bytes().to_vec()).collect()
        };
        CookieSigner { keys }
    }

    fn mac(key: &[u8], purpose: &str, value: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
        // The purpose is bound into the MAC so that a value signed for one cookie (or a logout
        // token) is never accepted as another.
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac
    }

    pub fn sign(&self, purpose: &str, value: &str) -> String {
        let tag = Self::mac(&self.keys[0], purpose, value)
            .finalize()
            .into_bytes();
        format!("{value}.{}", hex::encode(tag))
    }

    /// The value, if its signature verifies under any configured secret (compared in constant
    /// time by `verify_slice`).
    pub fn verify(&self, purpose: &str, signed: &str) -> Option<String> {
        let (value, tag) = signed.rsplit_once('.')?;
        let tag = hex::decode(tag).ok()?;
        self.keys
            .iter()
            .any(|key| Self::mac(key, purpose, value).verify_slice(&tag).is_ok())
            .then(|| value.to_string())
    }
}

/// Reads one cookie from the request's `Cookie` headers.
pub fn read(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub struct CookieSpec<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub domain: Option<&'a str>,
    pub same_site: &'a str,
    pub secure: bool,
    pub max_age: Option<i64>,
}

impl CookieSpec<'_> {
    pub fn set(&self, value: &str) -> String {
        let mut c = format!(
            "{}={value}; Path={}; HttpOnly; SameSite={}",
            self.name, self.path, self.same_site
        );
        if let Some(d) = self.domain {
            c.push_str(&format!("; Domain={d}"));
        }
        if let Some(age) = self.max_age {
            c.push_str(&format!("; Max-Age={age}"));
        }
        if self.secure {
            c.push_str("; Secure");
        }
        c
    }

    pub fn clear(&self) -> String {
        let mut c = format!(
            "{}=; Path={}; HttpOnly; SameSite={}; Max-Age=0",
            self.name, self.path, self.same_site
        );
        if let Some(d) = self.domain {
            c.push_str(&format!("; Domain={d}"));
        }
        if self.secure {
            c.push_str("; Secure");
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_secret_signs_and_every_secret_verifies() {
        let old = CookieSigner::new(&["old-secret-old-secret"]);
        let rotated = CookieSigner::new(&["new-secret-new-secret", "old-secret-old-secret"]);
        let by_old = old.sign("session", "tok");
        assert_eq!(rotated.verify("session", &by_old).as_deref(), Some("tok"));
        let by_new = rotated.sign("session", "tok");
        assert_eq!(old.verify("session", &by_new), None);
    }

    #[test]
    fn tampering_or_another_purpose_fails() {
        let s = CookieSigner::new(&["a-secret-a-secret-a"]);
        let signed = s.sign("session", "tok");
        assert_eq!(s.verify("csrf", &signed), None);
        assert_eq!(s.verify("session", &signed.replace("tok", "tak")), None);
        assert_eq!(s.verify("session", "tok"), None);
    }
}
