//! Comparing secrets without leaking, through timing, how much of a guess was right.

use subtle::ConstantTimeEq;

/// Whether `a` and `b` are equal, taking the same time wherever they first differ. Lengths are
/// not secret: slices of different lengths compare unequal at once.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn compares() {
        assert!(constant_time_eq(b"123456", b"123456"));
        assert!(!constant_time_eq(b"123456", b"123457"));
        assert!(!constant_time_eq(b"12345", b"123456"));
        assert!(constant_time_eq(b"", b""));
    }
}
