//! Conversions between model values and column values, and the query functions that turn
//! undecodable columns into `StoreError::Corrupt`.

use super::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Params, Row};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use uuid::Uuid;

pub(super) fn corrupt(column: &str, problem: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{column} {problem}"))
}

/// Always nine fractional digits and `Z`, so the text sorts chronologically and SQL can
/// compare timestamps as strings (`delete_expired_flows` relies on it).
pub(super) fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub(super) fn parse_timestamp(column: &str, text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| corrupt(column, "is not an RFC 3339 timestamp"))
}

/// Lower-case hyphenated text, whose byte order matches the UUID's, so `ORDER BY id` pages
/// identities in UUID order.
pub(super) fn uuid_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

pub(super) fn parse_uuid(column: &str, text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| corrupt(column, "is not a UUID"))
}

pub(super) fn parse_optional_uuid(
    column: &str,
    text: Option<&str>,
) -> Result<Option<Uuid>, StoreError> {
    text.map(|t| parse_uuid(column, t)).transpose()
}

pub(super) fn to_json<T: Serialize + ?Sized>(
    column: &str,
    value: &T,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::Encode(column.to_string()))
}

/// The serde message is left out because it may quote the stored value.
pub(super) fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        corrupt(
            column,
            format!(
                "is not valid JSON for its type ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })
}

pub(super) fn parse_bool(column: &str, value: i64) -> Result<bool, StoreError> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(corrupt(column, "is not 0 or 1")),
    }
}

pub(super) fn parse_enum<T>(
    column: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| corrupt(column, format!("has unknown value {text:?}")))
}

/// Column type mismatches are a property of the stored data, not of the query.
fn classify(err: rusqlite::Error) -> StoreError {
    match err {
        rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => StoreError::Corrupt(err.to_string()),
        other => StoreError::from(other),
    }
}

pub(super) fn query_optional<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    read: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    stmt.query_row(params, read).optional().map_err(classify)
}

pub(super) fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    read: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, read).map_err(classify)?;
    rows.collect::<rusqlite::Result<Vec<T>>>().map_err(classify)
}

/// The extended result code tells which kind of constraint a statement broke.
pub(super) fn is_constraint(err: &rusqlite::Error, extended_code: i32) -> bool {
    err.sqlite_extended_error_code() == Some(extended_code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_keep_nanoseconds_and_sort_as_text() {
        let early = Utc.timestamp_opt(1_700_000_000, 5).unwrap();
        let late = Utc.timestamp_opt(1_700_000_000, 400_000_000).unwrap();
        assert_eq!(timestamp(&early), "2023-11-14T22:13:20.000000005Z");
        assert!(timestamp(&early) < timestamp(&late));
        assert_eq!(parse_timestamp("t", &timestamp(&early)).unwrap(), early);
    }

    #[test]
    fn bad_values_are_corrupt_and_not_quoted_from_json() {
        assert!(matches!(
            parse_timestamp("t", "yesterday"),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(parse_bool("b", 2), Err(StoreError::Corrupt(_))));
        let err = from_json::<Vec<String>>("c", r#"["a", 42]"#).unwrap_err();
        assert!(!err.to_string().contains("42"), "{err}");
    }
}
