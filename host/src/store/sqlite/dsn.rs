//! Kratos-style DSNs: `sqlite://PATH?mode=rwc&...` and `memory`.

use super::StoreError;
use std::path::PathBuf;

/// Where the database lives, as a DSN describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Location {
    Memory,
    File { path: PathBuf, create: bool },
}

pub(super) fn parse(dsn: &str) -> Result<Location, StoreError> {
    let dsn = dsn.trim();
    if dsn == "memory" {
        return Ok(Location::Memory);
    }
    let Some((scheme, rest)) = dsn.split_once("://") else {
        // Echoing the input could print a password from a mistyped DSN.
        return Err(StoreError::InvalidDsn(
            "expected a DSN like \"sqlite://latchkey.db?mode=rwc\" or \"memory\"".into(),
        ));
    };
    if !is_sqlite_scheme(scheme) {
        return Err(StoreError::InvalidDsn(format!(
            "unsupported database {:?}: use sqlite://… (or memory) or postgres://…",
            format!("{}://…", displayable_scheme(scheme))
        )));
    }
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mode = parse_mode(query)?;
    location(path, mode)
}

fn is_sqlite_scheme(scheme: &str) -> bool {
    scheme.eq_ignore_ascii_case("sqlite") || scheme.eq_ignore_ascii_case("sqlite3")
}

/// Only a plain scheme name is shown: anything else might be part of a credential.
fn displayable_scheme(scheme: &str) -> &str {
    let plain = !scheme.is_empty()
        && scheme.len() <= 32
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if plain { scheme } else { "…" }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    ReadWriteCreate,
    ReadWrite,
    Memory,
}

/// Kratos DSNs carry driver options (`_fk`, `cache`, `_journal_mode`…) that this store sets
/// itself, so only `mode` matters and everything else is ignored.
fn parse_mode(query: &str) -> Result<Mode, StoreError> {
    let mut mode = Mode::ReadWriteCreate;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "mode" {
            mode = match value {
                "rwc" => Mode::ReadWriteCreate,
                "rw" => Mode::ReadWrite,
                "memory" => Mode::Memory,
                _ => {
                    return Err(StoreError::InvalidDsn(format!(
                        "unsupported sqlite mode {value:?}; use rwc, rw or memory"
                    )));
                }
            };
        }
    }
    Ok(mode)
}

fn location(path: &str, mode: Mode) -> Result<Location, StoreError> {
    let path = path.strip_prefix("file:").unwrap_or(path);
    if mode == Mode::Memory || path == ":memory:" {
        return Ok(Location::Memory);
    }
    if path.is_empty() {
        return Err(StoreError::InvalidDsn(
            "the sqlite DSN has no database path".into(),
        ));
    }
    Ok(Location::File {
        path: PathBuf::from(path),
        create: mode == Mode::ReadWriteCreate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, create: bool) -> Location {
        Location::File {
            path: PathBuf::from(path),
            create,
        }
    }

    fn message(dsn: &str) -> String {
        match parse(dsn) {
            Err(StoreError::InvalidDsn(msg)) => msg,
            other => panic!("expected InvalidDsn for {dsn:?}, got {other:?}"),
        }
    }

    #[test]
    fn relative_path_with_mode() {
        assert_eq!(
            parse("sqlite://latchkey.db?mode=rwc").unwrap(),
            file("latchkey.db", true)
        );
    }

    #[test]
    fn absolute_path_ignores_unknown_parameters() {
        assert_eq!(
            parse("sqlite:///abs/path.db?_fk=true&mode=rwc").unwrap(),
            file("/abs/path.db", true)
        );
        assert_eq!(
            parse("sqlite:///abs/path.db?_fk=true&cache=shared&x").unwrap(),
            file("/abs/path.db", true)
        );
    }

    #[test]
    fn dot_relative_path_without_query() {
        assert_eq!(parse("sqlite://./rel.db").unwrap(), file("./rel.db", true));
    }

    #[test]
    fn mode_rw_does_not_create() {
        assert_eq!(
            parse("sqlite://./rel.db?mode=rw").unwrap(),
            file("./rel.db", false)
        );
    }

    #[test]
    fn file_prefix_is_stripped() {
        assert_eq!(
            parse("sqlite3://file:data/k.db?_fk=true").unwrap(),
            file("data/k.db", true)
        );
    }

    #[test]
    fn memory_forms() {
        for dsn in [
            "memory",
            " memory ",
            "sqlite://file::memory:?cache=shared",
            "sqlite://:memory:",
            "sqlite://whatever?mode=memory",
        ] {
            assert_eq!(parse(dsn).unwrap(), Location::Memory, "{dsn}");
        }
    }

    #[test]
    fn non_sqlite_dsn_is_rejected_without_the_password() {
        let msg = message("cockroach://kratos:s3cret@db:26257/kratos?sslmode=disable");
        assert_eq!(
            msg,
            "unsupported database \"cockroach://…\": use sqlite://… (or memory) or postgres://…"
        );
        assert!(!msg.contains("s3cret"));
    }

    #[test]
    fn odd_scheme_is_not_echoed() {
        let msg = message("user:s3cret@mysql://host/db");
        assert!(msg.contains("unsupported database \"…://…\""), "{msg}");
        assert!(!msg.contains("s3cret"), "{msg}");
    }

    #[test]
    fn dsn_without_scheme_is_not_echoed() {
        let msg = message("kratos:s3cret@tcp(db)/kratos");
        assert!(!msg.contains("s3cret"), "{msg}");
    }

    #[test]
    fn empty_path_and_bad_mode_are_rejected() {
        assert!(message("sqlite://?mode=rwc").contains("no database path"));
        assert!(message("sqlite://x.db?mode=ro").contains("unsupported sqlite mode"));
    }
}
