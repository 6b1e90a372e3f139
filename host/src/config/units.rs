//! Durations and byte sizes written the way Kratos (Go) configuration writes them.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Parses a Go `time.ParseDuration` string: "1h", "30m", "500ms", "1h30m", "1.5h".
///
/// Negative durations are rejected: every duration in the config is a lifespan or a limit.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = |why: &str| {
        format!(
            "invalid duration {text:?}: {why} (expected a number and a unit such as \"1h30m\", \"10s\" or \"500ms\")"
        )
    };
    let s = text.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.starts_with('-') {
        return Err(invalid("negative durations are not allowed"));
    }
    // Go accepts a bare zero, and only zero, without a unit.
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(invalid("it is empty"));
    }

    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid("a number is missing"));
        }
        if fraction.contains('.') {
            return Err(invalid("a number has two decimal points"));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => NANOS_PER_SEC,
            "m" => 60 * NANOS_PER_SEC,
            "h" => 3_600 * NANOS_PER_SEC,
            "" => return Err(invalid("a unit is missing")),
            _ => return Err(invalid(&format!("unknown unit {unit:?}"))),
        };
        let part = scaled(whole, fraction, unit_nanos).ok_or_else(|| invalid("it is too large"))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| invalid("it is too large"))?;
        rest = next;
    }

    let secs = u64::try_from(total / NANOS_PER_SEC).map_err(|_| invalid("it is too large"))?;
    Ok(Duration::new(secs, (total % NANOS_PER_SEC) as u32))
}

/// `whole.fraction × unit`, in integers so "0.1s" is exactly 100ms. Digits past the unit's
/// resolution are truncated, as Go does.
fn scaled(whole: &str, fraction: &str, unit: u128) -> Option<u128> {
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut value = whole.checked_mul(unit)?;
    let mut scale = unit;
    for digit in fraction.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        value = value.checked_add(u128::from(digit - b'0') * scale)?;
    }
    Some(value)
}

/// `deserialize_with` for `std::time::Duration` fields.
pub fn deserialize_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    struct DurationVisitor;

    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a duration such as \"1h\", \"30m\" or \"500ms\"")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            parse_duration(v).map_err(E::custom)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
            parse_duration(&v.to_string()).map_err(E::custom)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
            parse_duration(&v.to_string()).map_err(E::custom)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
            parse_duration(&v.to_string()).map_err(E::custom)
        }
    }

    deserializer.deserialize_any(DurationVisitor)
}

/// A quantity of memory.
///
/// Units follow Kratos (which parses them with go-bytesize): `KB`, `MB`, `GB` are powers of
/// 1024 exactly like `KiB`, `MiB`, `GiB`, so a `memory: 128MB` copied from a kratos.yml means
/// the same number of argon2 KiB here as it did there.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(u64);

impl ByteSize {
    pub const fn from_bytes(bytes: u64) -> Self {
        Self(bytes)
    }

    pub const fn from_kib(kib: u64) -> Self {
        Self(kib * 1024)
    }

    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// Whole KiB, rounded down: the unit argon2 takes its memory cost in.
    pub const fn kib(self) -> u64 {
        self.0 / 1024
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = |why: &str| {
            format!(
                "invalid byte size {text:?}: {why} (expected bytes or a number and a unit such as \"64MiB\", \"128MB\" or \"19456KiB\")"
            )
        };
        let s = text.trim();
        let number_len = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, unit) = s.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid("a number is missing"));
        }
        if fraction.contains('.') {
            return Err(invalid("the number has two decimal points"));
        }
        let unit_bytes: u128 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" | "kib" => 1 << 10,
            "m" | "mb" | "mib" => 1 << 20,
            "g" | "gb" | "gib" => 1 << 30,
            "t" | "tb" | "tib" => 1 << 40,
            _ => return Err(invalid(&format!("unknown unit {:?}", unit.trim()))),
        };
        let bytes = scaled_bytes(whole, fraction, unit_bytes)
            .and_then(|b| u64::try_from(b).ok())
            .ok_or_else(|| invalid("it is too large"))?;
        Ok(Self(bytes))
    }
}

/// Like [`scaled`], but binary units are not powers of ten, so the fraction is computed from
/// its decimal value instead of by shifting digits.
fn scaled_bytes(whole: &str, fraction: &str, unit: u128) -> Option<u128> {
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut value = whole.checked_mul(unit)?;
    if !fraction.is_empty() {
        let digits = fraction.get(..18).unwrap_or(fraction);
        let numerator: u128 = digits.parse().ok()?;
        value =
            value.checked_add(numerator.checked_mul(unit)? / 10u128.pow(digits.len() as u32))?;
    }
    Some(value)
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        const UNITS: [(&str, u64); 4] = [
            ("TiB", 1 << 40),
            ("GiB", 1 << 30),
            ("MiB", 1 << 20),
            ("KiB", 1 << 10),
        ];
        for (name, size) in UNITS {
            if self.0 != 0 && self.0.is_multiple_of(size) {
                return write!(f, "{}{name}", self.0 / size);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl fmt::Debug for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "ByteSize({self})")
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ByteSizeVisitor;

        impl Visitor<'_> for ByteSizeVisitor {
            type Value = ByteSize;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a byte size such as \"64MiB\" or a number of bytes")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                ByteSize::parse(v).map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
        }

        deserializer.deserialize_any(ByteSizeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let cases = [
            ("1h", 3_600_000),
            ("30m", 1_800_000),
            ("10s", 10_000),
            ("500ms", 500),
            ("1h30m", 5_400_000),
            ("2h45m10s", 9_910_000),
            ("1.5h", 5_400_000),
            ("0.1s", 100),
            ("0", 0),
            ("+15m", 900_000),
        ];
        for (text, millis) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(millis)),
                "{text}"
            );
        }
        assert_eq!(parse_duration("1500us"), Ok(Duration::from_micros(1500)));
        assert_eq!(parse_duration("7ns"), Ok(Duration::from_nanos(7)));
    }

    #[test]
    fn duration_garbage_is_rejected() {
        for text in [
            "", "abc", "10", "1x", "h", "1h-5m", "-1h", "1..5s", "3 s", "1hh",
        ] {
            let err = parse_duration(text).expect_err(text);
            assert!(err.contains(&format!("{text:?}")), "{err}");
        }
    }

    #[test]
    fn byte_sizes() {
        let cases = [
            ("128MB", 128 << 20),
            ("64MiB", 64 << 20),
            ("19456KiB", 19456 << 10),
            ("1GB", 1 << 30),
            ("1048576", 1 << 20),
            ("512 kb", 512 << 10),
            ("1.5KiB", 1536),
        ];
        for (text, bytes) in cases {
            assert_eq!(
                ByteSize::parse(text).map(ByteSize::bytes),
                Ok(bytes),
                "{text}"
            );
        }
        assert_eq!(ByteSize::parse("19456KiB").unwrap().kib(), 19456);
        for text in ["", "MB", "12 parsecs", "1.2.3MB", "99999999999TB"] {
            assert!(ByteSize::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn byte_size_display_round_trips() {
        for text in ["19455KiB", "64MiB", "1GiB", "1000B", "0B"] {
            assert_eq!(ByteSize::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(ByteSize::from_kib(19456).to_string(), "19MiB");
    }
}
