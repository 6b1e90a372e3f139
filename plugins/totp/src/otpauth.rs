//! TOTP keys and their `otpauth://` URLs (Google's Key URI format), written the way Kratos
//! writes them (`otpauth://totp/Issuer:account?algorithm=SHA1&digits=6&issuer=Issuer&period=30&secret=…`)
//! so that credentials move between Kratos and Latchkey unchanged.

use crate::settings::Settings;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The shortest secret a stored or imported URL may carry: 80 bits, what many services issued
/// for years. New keys get 160 bits ([`SECRET_BYTES`]).
const MIN_SECRET_BYTES: usize = 10;

/// RFC 4226 recommends a 160-bit shared secret.
pub const SECRET_BYTES: u32 = 20;

pub struct Key {
    totp: Totp,
}

impl Key {
    /// A SHA-1 key with the operator's period and digits.
    pub fn new(secret: Vec<u8>, issuer: &str, account_name: &str, settings: &Settings) -> Key {
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(settings.digits)
            .with_step_duration(settings.period)
            // The window is applied by `verify`, which also refuses replays.
            .with_skew(0)
            .with_secret(secret)
            .with_issuer(Some(issuer))
            .with_account_name(account_name)
            // Account names are whatever the identity's trait holds, colons included; the URL
            // escapes them, so the RFC checks on names do not apply.
            .build_noncompliant();
        Key { totp }
    }

    /// Reads an `otpauth://totp/…` URL. Lowercase or padded base32 secrets are accepted, as
    /// Kratos accepts them.
    pub fn parse(url: &str) -> Result<Key, String> {
        // totp-rs words this case for its own users ("enable gen_secret"), not for ours.
        if !url.contains("secret=") {
            return Err("the otpauth URL has no secret parameter".into());
        }
        let totp = Totp::from_url_unchecked(normalise_secret(url))
            .map_err(|e| format!("not a usable otpauth URL: {e}"))?;
        if !(6..=8).contains(&totp.digits()) {
            return Err(format!("digits must be 6 to 8, not {}", totp.digits()));
        }
        if totp.step() == 0 {
            return Err("period must be at least 1 second".into());
        }
        if totp.secret().as_bytes().len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the secret must be at least {} bits long",
                MIN_SECRET_BYTES * 8
            ));
        }
        Ok(Key { totp })
    }

    /// The URL authenticator apps read from the QR code, and the credential stores.
    pub fn url(&self) -> String {
        let account = path_escape(self.totp.account_name());
        let label = match self.totp.issuer() {
            Some(issuer) => format!("{}:{account}", path_escape(issuer)),
            None => account,
        };
        // Go's `url.Values.Encode` (Kratos) sorts the parameters by name.
        let mut query = vec![
            format!("algorithm={}", self.totp.algorithm()),
            format!("digits={}", self.totp.digits()),
        ];
        if let Some(issuer) = self.totp.issuer() {
            query.push(format!("issuer={}", query_escape(issuer)));
        }
        query.push(format!("period={}", self.totp.step()));
        query.push(format!("secret={}", self.secret_base32()));
        format!("otpauth://totp/{label}?{}", query.join("&"))
    }

    /// The secret as unpadded uppercase base32, for typing into an app by hand.
    pub fn secret_base32(&self) -> String {
        self.totp.secret().to_base32()
    }

    /// Seconds per step.
    pub fn period(&self) -> u64 {
        self.totp.step()
    }

    pub fn digits(&self) -> u8 {
        self.totp.digits()
    }

    /// The code of time step `step` (`unix time / period`), zero-padded to [`Self::digits`].
    pub fn code(&self, step: u64) -> String {
        self.totp
            .generate(step.saturating_mul(self.period()))
            .to_string()
    }
}

/// Decodes an unpadded or padded, upper- or lowercase base32 secret.
pub fn decode_secret(base32: &str) -> Option<Vec<u8>> {
    let clean: String = base32
        .trim_end_matches('=')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    Secret::try_from_base32(clean)
        .ok()
        .map(|s| s.as_bytes().to_vec())
}

/// Rewrites the `secret` parameter to the unpadded uppercase form totp-rs reads.
fn normalise_secret(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("secret", value)) => {
                let value = value.replace("%3D", "").replace("%3d", "");
                format!(
                    "secret={}",
                    value.trim_end_matches('=').to_ascii_uppercase()
                )
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// Escapes a label part as Go escapes URL paths, except that `:` is escaped too: it separates
/// the issuer from the account name.
fn path_escape(s: &str) -> String {
    escape(
        s,
        |b| b.is_ascii_alphanumeric() || b"-._~@".contains(&b),
        false,
    )
}

/// Escapes a query value as Go's `url.QueryEscape` does.
fn query_escape(s: &str) -> String {
    escape(
        s,
        |b| b.is_ascii_alphanumeric() || b"-._~".contains(&b),
        true,
    )
}

fn escape(s: &str, keep: impl Fn(u8) -> bool, space_as_plus: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if keep(b) {
            out.push(b as char);
        } else if b == b' ' && space_as_plus {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(digits: u8) -> Settings {
        Settings {
            digits,
            ..Settings::default()
        }
    }

    /// RFC 6238, appendix B: the SHA-1 key "12345678901234567890", 8 digits, 30 seconds.
    #[test]
    fn rfc_6238_test_vectors() {
        let key = Key::new(
            b"12345678901234567890".to_vec(),
            "Latchkey",
            "a@b.c",
            &settings(8),
        );
        for (time, code) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(key.code(time / 30), code, "T = {time}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_of_eight() {
        let key = Key::new(b"12345678901234567890".to_vec(), "L", "a", &settings(6));
        assert_eq!(key.code(59 / 30), "287082");
        assert_eq!(key.code(1_111_111_109 / 30), "081804");
    }

    #[test]
    fn url_in_kratos_format() {
        let key = Key::new(
            b"12345678901234567890".to_vec(),
            "Latchkey",
            "a@b.c",
            &Settings::default(),
        );
        assert_eq!(
            key.url(),
            "otpauth://totp/Latchkey:a@b.c?algorithm=SHA1&digits=6&issuer=Latchkey&period=30\
             &secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(key.secret_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn urls_round_trip_with_awkward_names() {
        let s = Settings {
            period: 60,
            digits: 8,
            ..Settings::default()
        };
        let key = Key::new(vec![7; 20], "My App & Co", "x:y/z ?#%+é", &s);
        let url = key.url();
        assert!(
            url.starts_with("otpauth://totp/My%20App%20%26%20Co:x%3Ay%2Fz%20%3F%23%25%2B%C3%A9?")
        );
        assert!(url.contains("issuer=My+App+%26+Co"));
        let parsed = Key::parse(&url).unwrap();
        assert_eq!(parsed.url(), url);
        assert_eq!((parsed.period(), parsed.digits()), (60, 8));
        assert_eq!(parsed.code(1234), key.code(1234));
    }

    #[test]
    fn parses_urls_written_elsewhere() {
        // Kratos (pquerna/otp), with defaults spelled out.
        let kratos = "otpauth://totp/Kratos:a@b.c?algorithm=SHA1&digits=6&issuer=Kratos&period=30\
                      &secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let key = Key::parse(kratos).unwrap();
        assert_eq!(key.url(), kratos);
        // Minimal, lowercase and padded secrets, as other tools write them.
        let minimal = "otpauth://totp/a@b.c?secret=gezdgnbvgy3tqojqgezdgnbvgy3tqojq";
        let key = Key::parse(minimal).unwrap();
        assert_eq!((key.period(), key.digits()), (30, 6));
        assert_eq!(key.code(1), Key::parse(kratos).unwrap().code(1));
        let eighty_bits = "otpauth://totp/L:a?secret=GEZDGNBVGY3TQOJQ&issuer=L";
        assert!(Key::parse(eighty_bits).is_ok());
        let padded = "otpauth://totp/L:a?secret=MFRGGZDFMZTWQ2LKNM======&issuer=L";
        assert!(Key::parse(padded).is_ok(), "{padded}");
        let padded = "otpauth://totp/L:a?secret=MFRGGZDFMZTWQ2LKNM%3D%3D%3D%3D%3D%3D&issuer=L";
        assert!(Key::parse(padded).is_ok(), "{padded}");
    }

    #[test]
    fn bad_urls_are_refused() {
        for bad in [
            "",
            "https://example.com/?secret=GEZDGNBVGY3TQOJQ",
            "otpauth://hotp/L:a?secret=GEZDGNBVGY3TQOJQ",
            "otpauth://totp/L:a",
            "otpauth://totp/L:a?secret=not*base32",
            "otpauth://totp/L:a?secret=GEZDGNBV",
            "otpauth://totp/L:a?secret=GEZDGNBVGY3TQOJQ&digits=5",
            "otpauth://totp/L:a?secret=GEZDGNBVGY3TQOJQ&digits=10",
            "otpauth://totp/L:a?secret=GEZDGNBVGY3TQOJQ&period=0",
            "otpauth://totp/L:a?secret=GEZDGNBVGY3TQOJQ&algorithm=MD5",
            "otpauth://totp/L:a?secret=GEZDGNBVGY3TQOJQ&issuer=Other",
        ] {
            assert!(Key::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn secrets_decode_leniently() {
        assert_eq!(decode_secret("GEZDGNBVGY3TQOJQ").unwrap(), b"1234567890");
        assert_eq!(decode_secret("gezdgnbv gy3tqojq").unwrap(), b"1234567890");
        assert_eq!(
            decode_secret("MFRGGZDFMZTWQ2LKNM======").unwrap(),
            b"abcdefghijk"
        );
        assert!(decode_secret("1!").is_none());
    }
}
