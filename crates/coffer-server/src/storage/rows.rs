//! Reading values out of rows the same way on both databases: ids as text, counters as
//! BIGINT/INTEGER, flags as BOOLEAN (PostgreSQL) or INTEGER (SQLite), enums as wire names.

use super::{Conn, StorageError, StorageResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

/// The rows of `select` (a query ending in `account_id = $1 AND column IN`) for `values`, the
/// list bound as `$2, $3, …`; none for an empty list.
pub(super) async fn fetch_in(
    c: &mut Conn,
    select: &str,
    account: Uuid,
    values: impl ExactSizeIterator<Item = String>,
) -> StorageResult<Vec<AnyRow>> {
    if values.len() == 0 {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (2..2 + values.len()).map(|n| format!("${n}")).collect();
    // Only numbered parameters are spliced in; every value is bound.
    let sql = format!("{select} ({})", list.join(", "));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(account.to_string());
    for value in values {
        query = query.bind(value);
    }
    Ok(query.fetch_all(c).await?)
}

pub(super) fn text(row: &AnyRow, column: &str) -> StorageResult<String> {
    Ok(row.try_get(column)?)
}

pub(super) fn opt_text(row: &AnyRow, column: &str) -> StorageResult<Option<String>> {
    Ok(row.try_get(column)?)
}

pub(super) fn int(row: &AnyRow, column: &str) -> StorageResult<i64> {
    Ok(row.try_get(column)?)
}

pub(super) fn opt_int(row: &AnyRow, column: &str) -> StorageResult<Option<i64>> {
    Ok(row.try_get(column)?)
}

pub(super) fn bytes(row: &AnyRow, column: &str) -> StorageResult<Vec<u8>> {
    Ok(row.try_get(column)?)
}

pub(super) fn opt_bytes(row: &AnyRow, column: &str) -> StorageResult<Option<Vec<u8>>> {
    Ok(row.try_get(column)?)
}

/// A non-negative counter (sizes, revisions, sequence numbers).
pub(super) fn count(row: &AnyRow, column: &str) -> StorageResult<u64> {
    Ok(u64::try_from(int(row, column)?).unwrap_or(0))
}

pub(super) fn small(row: &AnyRow, column: &str) -> StorageResult<u32> {
    Ok(u32::try_from(int(row, column)?).unwrap_or(u32::MAX))
}

/// BOOLEAN on PostgreSQL, 0/1 on SQLite.
pub(super) fn flag(row: &AnyRow, column: &str) -> StorageResult<bool> {
    match row.try_get::<bool, _>(column) {
        Ok(b) => Ok(b),
        Err(_) => Ok(int(row, column)? != 0),
    }
}

pub(super) fn uuid(row: &AnyRow, column: &str) -> StorageResult<Uuid> {
    parse_uuid(&text(row, column)?)
}

pub(super) fn opt_uuid(row: &AnyRow, column: &str) -> StorageResult<Option<Uuid>> {
    opt_text(row, column)?
        .as_deref()
        .map(parse_uuid)
        .transpose()
}

pub(super) fn parse_uuid(s: &str) -> StorageResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| StorageError::Corrupt("id is not a UUID".into()))
}

/// A stored wire enum (`"plus"`, `"CZK"`, `"month"`).
pub(super) fn wire<T: DeserializeOwned>(row: &AnyRow, column: &str) -> StorageResult<T> {
    parse_wire(&text(row, column)?)
}

pub(super) fn opt_wire<T: DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> StorageResult<Option<T>> {
    opt_text(row, column)?
        .as_deref()
        .map(parse_wire)
        .transpose()
}

pub(super) fn parse_wire<T: DeserializeOwned>(s: &str) -> StorageResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StorageError::Corrupt(format!("unknown value {s:?}")))
}

/// The wire name of an enum value, as stored.
pub(super) fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub(super) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
