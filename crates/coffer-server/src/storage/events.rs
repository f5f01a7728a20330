//! The security event log (logins, devices, password and second-factor changes), kept 12
//! months and shown to the user.

use super::rows;
use super::{Conn, StorageResult};
use coffer_api::{SecurityEvent, SecurityEventKind};
use uuid::Uuid;

/// Appends an event. `account` may name no account (a failed login for an unknown address
/// writes the same row as one for a known address, under an id derived from the address).
pub async fn log(
    c: &mut Conn,
    account: Uuid,
    kind: SecurityEventKind,
    device: Option<(Uuid, &str)>,
    at: i64,
) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO security_events (account_id, kind, device_id, device_name, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account.to_string())
    .bind(rows::wire_name(&kind))
    .bind(device.map(|(id, _)| id.to_string()))
    .bind(device.map(|(_, name)| name.to_owned()))
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// The newest `limit` events.
pub async fn list(c: &mut Conn, account: Uuid, limit: u32) -> StorageResult<Vec<SecurityEvent>> {
    let found = sqlx::query(
        "SELECT kind, device_id, device_name, at FROM security_events \
         WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(account.to_string())
    .bind(i64::from(limit))
    .fetch_all(c)
    .await?;
    found
        .iter()
        .map(|r| {
            Ok(SecurityEvent {
                kind: rows::parse_wire(&rows::text(r, "kind")?).unwrap_or(SecurityEventKind::Other),
                at: rows::int(r, "at")?,
                device_id: rows::opt_uuid(r, "device_id")?,
                device_name: rows::opt_text(r, "device_name")?,
            })
        })
        .collect()
}
