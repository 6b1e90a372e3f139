//! Recovery codes: how they are made, read back from what users type, and hashed.
//!
//! A code is 12 characters from a 32-symbol alphabet (lowercase letters and digits without the
//! look-alikes `l`, `o`, `0` and `1`), each from its own byte of the host's CSPRNG: 60 bits of
//! entropy. Codes are stored only as unsalted SHA-256 digests. For secrets this random a fast
//! hash is enough: guessing one code offline takes about 2^59 hashes, and each code works once.
//! (Codes imported from elsewhere keep whatever entropy they had; Kratos' own are 8 characters,
//! about 41 bits.)

use latchkey_plugin_sdk::Env;
use sha2::{Digest, Sha256};

/// As many codes as Kratos issues.
pub const COUNT: usize = 12;
pub const LENGTH: usize = 12;
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// [`COUNT`] fresh codes.
pub fn generate(env: &dyn Env) -> Vec<String> {
    let bytes = env.random((COUNT * LENGTH) as u32);
    assert_eq!(
        bytes.len(),
        COUNT * LENGTH,
        "the host's random capability returned fewer bytes than asked for"
    );
    bytes
        .chunks(LENGTH)
        // 256 is a multiple of 32, so the low five bits of a uniform byte are uniform.
        .map(|chunk| {
            chunk
                .iter()
                .map(|b| ALPHABET[usize::from(b & 31)] as char)
                .collect()
        })
        .collect()
}

/// What a user typed, as it is hashed: without blanks and dashes (people group codes), in
/// lowercase.
pub fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The SHA-256 digest of the normalised code.
pub fn digest(code: &str) -> [u8; 32] {
    Sha256::digest(normalise(code).as_bytes()).into()
}

/// The digest as stored: lowercase hex.
pub fn hash(code: &str) -> String {
    to_hex(&digest(code))
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored digest back to bytes; `None` unless it is 64 hex digits.
pub fn from_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_plugin_sdk::testing::FakeEnv;

    #[test]
    fn twelve_codes_of_twelve_characters() {
        let codes = generate(&FakeEnv::at(0));
        assert_eq!(codes.len(), 12);
        assert!(codes.iter().all(|c| c.len() == 12));
        assert!(
            codes
                .iter()
                .all(|c| c.bytes().all(|b| ALPHABET.contains(&b)))
        );
        // Fake bytes 0, 1, 2… map to the alphabet in order.
        assert_eq!(codes[0], "abcdefghijkm");
        let other = generate(&FakeEnv {
            seed: 7,
            ..FakeEnv::at(0)
        });
        assert_ne!(codes, other);
    }

    #[test]
    fn the_alphabet_has_32_distinct_symbols_without_look_alikes() {
        let mut sorted = ALPHABET.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
        for confusing in b"lo01" {
            assert!(!ALPHABET.contains(confusing));
        }
    }

    #[test]
    fn typing_variants_hash_alike() {
        let h = hash("abcd2345wxyz");
        assert_eq!(hash("ABCD-2345-WXYZ"), h);
        assert_eq!(hash(" abcd 2345 wxyz\n"), h);
        assert_ne!(hash("abcd2345wxy"), h);
    }

    #[test]
    fn sha256_hex() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(from_hex(&hash("abc")), Some(digest("abc")));
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex(&"g".repeat(64)), None);
        assert_eq!(from_hex(&"é".repeat(32)), None);
    }
}
