//! Plans and payments as the apps offer them: the server's plan catalog, a checkout (the
//! payment provider's page to open in a browser), the one-click cancel, and the account's
//! payments and invoices.

use coffer_api::{
    BillingHistory, CheckoutRequest, CheckoutResponse, PlanCatalog, SignedEntitlement, routes,
};

use super::account::open;
use super::error::SyncResult;
use crate::vault::Vault;

/// The plans the account's server sells.
pub fn plans(vault: &Vault) -> SyncResult<PlanCatalog> {
    open(vault, None)?.get(routes::PLANS)
}

/// Starts paying for `request.plan` (or upgrading to it): the answer names the provider's page
/// to open. The plan changes once the provider confirms the payment, not before.
pub fn checkout(vault: &Vault, request: &CheckoutRequest) -> SyncResult<CheckoutResponse> {
    open(vault, None)?.post(routes::BILLING_CHECKOUT, request)
}

/// Cancels the paid plan: it stays to the end of the paid period, then the account moves to
/// the free plan (`status` then shows the entitlement that says so).
pub fn cancel_plan(vault: &Vault) -> SyncResult<()> {
    let _: SignedEntitlement = open(vault, None)?.post(routes::BILLING_CANCEL, &())?;
    Ok(())
}

/// The account's payments and invoices, newest first.
pub fn billing_history(vault: &Vault) -> SyncResult<BillingHistory> {
    open(vault, None)?.get(routes::BILLING_HISTORY)
}
