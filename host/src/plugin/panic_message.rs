//! A Rust plugin that panics prints its message to stderr and then traps on `unreachable`, so
//! the trap alone says nothing useful. This finds the message in what the plugin printed,
//! for the error line of the failed call.

/// Longer messages are cut: an error line is for reading, not for a plugin's dump.
const MAX_CHARS: usize = 500;

/// `panicked at src/lib.rs:10:5: the message`, from the last panic report in `stderr`, on one
/// line with control characters blanked, so that it cannot start a log line of its own.
pub(crate) fn from_stderr(stderr: &str) -> Option<String> {
    let report = &stderr[stderr.rfind("panicked at ")?..];
    let mut lines = report.lines();
    // Since Rust 1.73: `panicked at FILE:LINE:COL:`, the message on the lines after it, then
    // a `note: run with RUST_BACKTRACE=1 …` hint. Older releases put it all on one line.
    let place = lines.next()?.trim_end();
    let message: Vec<&str> = lines
        .take_while(|line| !line.starts_with("note: run with `RUST_BACKTRACE"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let text = if message.is_empty() {
        place.to_string()
    } else {
        format!("{place} {}", message.join(" "))
    };
    let mut clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect();
    if text.chars().count() > MAX_CHARS {
        clean.push('…');
    }
    Some(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_after_the_place() {
        let stderr = "starting\n\nthread '<unnamed>' panicked at src/lib.rs:152:13:\nno settings\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            from_stderr(stderr).as_deref(),
            Some("panicked at src/lib.rs:152:13: no settings")
        );
    }

    #[test]
    fn a_message_of_several_lines_stays_on_one() {
        let stderr = "thread 'main' panicked at src/lib.rs:1:1:\nfirst\n\x1b[31msecond\r\n";
        assert_eq!(
            from_stderr(stderr).as_deref(),
            Some("panicked at src/lib.rs:1:1: first  [31msecond")
        );
    }

    #[test]
    fn the_older_one_line_report() {
        let stderr = "thread 'main' panicked at 'boom', src/lib.rs:3:9\n";
        assert_eq!(
            from_stderr(stderr).as_deref(),
            Some("panicked at 'boom', src/lib.rs:3:9")
        );
    }

    #[test]
    fn no_panic_no_message() {
        assert_eq!(from_stderr("just some output\n"), None);
        assert_eq!(from_stderr(""), None);
    }

    #[test]
    fn a_long_message_is_cut() {
        let stderr = format!("panicked at a.rs:1:1:\n{}\n", "x".repeat(2000));
        let message = from_stderr(&stderr).unwrap();
        assert_eq!(message.chars().count(), MAX_CHARS + 1);
        assert!(message.ends_with('…'));
    }
}
