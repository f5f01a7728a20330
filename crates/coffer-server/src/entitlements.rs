//! The seam where plans plug in: every item write, item read, blob read, export and e-mail
//! reminder asks the [`Entitlements`] first, and the change feed leaves out the content of locked items.
//! [`crate::billing::PlanEnforcer`] enforces the plan catalog (monthly limits, locked items
//! after a downgrade); [`Unlimited`] lets every account do everything.

use crate::error::ApiResult;
use async_trait::async_trait;
use coffer_api::ItemMeta;
use std::collections::HashSet;
use uuid::Uuid;

/// What an account is about to do.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Create (`existing == false`) or overwrite an item.
    WriteItem {
        item_id: Uuid,
        meta: &'a ItemMeta,
        existing: bool,
    },
    DeleteItem {
        item_id: Uuid,
    },
    ReadItem {
        item_id: Uuid,
    },
    ReadBlob {
        sha256: &'a str,
    },
    Export,
    /// Register e-mail reminders, or have one sent.
    EmailReminders,
}

#[async_trait]
pub trait Entitlements: Send + Sync + 'static {
    /// `Ok` to go ahead, or an `ApiError` (e.g. `403 forbidden`) to refuse.
    async fn authorize(&self, account: Uuid, action: Action<'_>) -> ApiResult<()>;

    /// The account's locked items, whose envelope and blobs the change feed leaves out.
    async fn locked(&self, _account: Uuid) -> ApiResult<HashSet<Uuid>> {
        Ok(HashSet::new())
    }
}

/// No limits: a self-hosted server, and the default until plans exist.
#[derive(Debug, Default, Clone, Copy)]
pub struct Unlimited;

#[async_trait]
impl Entitlements for Unlimited {
    async fn authorize(&self, _account: Uuid, _action: Action<'_>) -> ApiResult<()> {
        Ok(())
    }
}
