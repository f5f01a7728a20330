//! Server secrets every instance on one database shares (the OPAQUE server setup, the
//! entitlement signing key): the first instance to start creates them.

use super::rows;
use super::{Conn, StorageResult};

/// The value stored under `name`, storing `fresh` first if there is none.
pub async fn get_or_init(c: &mut Conn, name: &str, fresh: &[u8]) -> StorageResult<Vec<u8>> {
    sqlx::query(
        "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(fresh)
    .execute(&mut *c)
    .await?;
    let row = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *c)
        .await?;
    rows::bytes(&row, "value")
}
