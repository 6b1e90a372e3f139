//! Checking a submitted code: any step within the skew window around "now", compared in
//! constant time, and never a step at or before the last one accepted (RFC 6238 §5.2: a code
//! is accepted once). Kratos accepts a code again within its window; this plugin does not.

use crate::otpauth::Key;
use latchkey_plugin_sdk::compare::constant_time_eq;

#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    /// The code is that of `step`, a step after the last one used.
    Accepted {
        step: u64,
    },
    /// The code is right but its step was used already (or an earlier one was).
    Replayed,
    Invalid,
}

/// What users type: digits, maybe grouped with blanks (`123 456`).
pub fn normalise(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Checks `submitted` at `now` (Unix seconds from the host's clock) against every step in
/// `now / period ± skew`. Every step in the window is computed and compared, whatever matches,
/// so that timing tells nothing about which step (if any) a code belongs to.
pub fn check(key: &Key, submitted: &str, now: i64, skew: u8, last_used_step: Option<u64>) -> Check {
    let code = normalise(submitted);
    // Length and alphabet are not secret: a code of the wrong shape is simply wrong.
    if code.len() != usize::from(key.digits()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Check::Invalid;
    }
    let current = u64::try_from(now).unwrap_or(0) / key.period();
    let skew = u64::from(skew);
    let mut accepted = None;
    let mut replayed = false;
    for step in current.saturating_sub(skew)..=current.saturating_add(skew) {
        let expected = key.code(step);
        let matches = constant_time_eq(expected.as_bytes(), code.as_bytes());
        let fresh = last_used_step.is_none_or(|last| step > last);
        // Ascending steps: a later matching step (a rare collision) wins.
        accepted = if matches && fresh {
            Some(step)
        } else {
            accepted
        };
        replayed |= matches && !fresh;
    }
    match (accepted, replayed) {
        (Some(step), _) => Check::Accepted { step },
        (None, true) => Check::Replayed,
        (None, false) => Check::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    fn key() -> Key {
        Key::new(
            b"12345678901234567890".to_vec(),
            "Latchkey",
            "a@b.c",
            &Settings::default(),
        )
    }

    const NOW: i64 = 1_111_111_111; // step 37_037_037, 1 s into it
    const STEP: u64 = 37_037_037;

    #[test]
    fn current_and_neighbouring_steps_pass() {
        let k = key();
        for (offset, step) in [(0i64, STEP), (-1, STEP - 1), (1, STEP + 1)] {
            let code = k.code(step);
            assert_eq!(
                check(&k, &code, NOW, 1, None),
                Check::Accepted { step },
                "offset {offset}"
            );
        }
        // Outside the window.
        assert_eq!(check(&k, &k.code(STEP - 2), NOW, 1, None), Check::Invalid);
        assert_eq!(check(&k, &k.code(STEP + 2), NOW, 1, None), Check::Invalid);
        // A wider window lets them in, a zero skew only the current step.
        assert_eq!(
            check(&k, &k.code(STEP - 2), NOW, 2, None),
            Check::Accepted { step: STEP - 2 }
        );
        assert_eq!(check(&k, &k.code(STEP - 1), NOW, 0, None), Check::Invalid);
    }

    #[test]
    fn rfc_vector_through_check() {
        let k = Key::new(
            b"12345678901234567890".to_vec(),
            "L",
            "a",
            &Settings {
                digits: 8,
                ..Settings::default()
            },
        );
        assert_eq!(
            check(&k, "14050471", NOW, 1, None),
            Check::Accepted { step: STEP }
        );
        assert_eq!(
            check(&k, "1405 0471", NOW, 1, None),
            Check::Accepted { step: STEP }
        );
    }

    #[test]
    fn used_steps_are_refused() {
        let k = key();
        let code = k.code(STEP);
        assert_eq!(check(&k, &code, NOW, 1, Some(STEP)), Check::Replayed);
        assert_eq!(check(&k, &code, NOW, 1, Some(STEP + 1)), Check::Replayed);
        assert_eq!(
            check(&k, &code, NOW, 1, Some(STEP - 1)),
            Check::Accepted { step: STEP }
        );
        // After using the next step's code, the current one is stale too.
        let next = k.code(STEP + 1);
        assert_eq!(
            check(&k, &next, NOW, 1, Some(STEP)),
            Check::Accepted { step: STEP + 1 }
        );
        assert_eq!(check(&k, &code, NOW, 1, Some(STEP + 1)), Check::Replayed);
    }

    #[test]
    fn malformed_codes_are_invalid() {
        let k = key();
        let code = k.code(STEP);
        for bad in [
            "",
            "12345",
            "1234567",
            "abcdef",
            "+12345",
            &code[..5],
            "１２３４５６",
        ] {
            assert_eq!(check(&k, bad, NOW, 1, None), Check::Invalid, "{bad:?}");
        }
    }

    #[test]
    fn clocks_before_the_epoch_do_not_panic() {
        let k = key();
        assert_eq!(
            check(&k, &k.code(0), -5, 1, None),
            Check::Accepted { step: 0 }
        );
    }
}
