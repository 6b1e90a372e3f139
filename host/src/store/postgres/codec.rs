//! Reading columns into model values: a value the column cannot hold as the model's type is
//! [`StoreError::Corrupt`], named by its column, never quoted.

use crate::store::StoreError;
use deadpool_postgres::GenericClient;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};

pub(super) fn corrupt(column: &str, problem: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{column} {problem}"))
}

/// Column `index` of `row`, which the caller names `column` in errors.
pub(super) fn get<'a, T: FromSql<'a>>(
    row: &'a Row,
    index: usize,
    column: &str,
) -> Result<T, StoreError> {
    row.try_get(index)
        .map_err(|_| corrupt(column, "does not hold a value of its type"))
}

pub(super) fn parse_enum<T>(
    column: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| corrupt(column, format!("has unknown value {text:?}")))
}

/// A JSON column into the model's type. The serde message is left out because it may quote
/// the stored value.
pub(super) fn from_json<T: DeserializeOwned>(
    column: &str,
    value: serde_json::Value,
) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|_| corrupt(column, "is not valid JSON for its type"))
}

pub(super) fn to_json<T: Serialize + ?Sized>(
    column: &str,
    value: &T,
) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|_| StoreError::Encode(column.to_string()))
}

pub(super) fn version(column: &str, stored: i64) -> Result<u32, StoreError> {
    u32::try_from(stored).map_err(|_| corrupt(column, "is out of range"))
}

/// One statement through the connection's statement cache: each statement is parsed and
/// planned once per connection.
pub(super) async fn query_opt(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query_opt(&statement, params).await?)
}

pub(super) async fn query(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query(&statement, params).await?)
}

/// Returns how many rows the statement changed.
pub(super) async fn execute(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, StoreError> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.execute(&statement, params).await?)
}
