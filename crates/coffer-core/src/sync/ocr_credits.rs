//! Remote OCR on a vault connected to an account is a paid feature (SPEC §6): each remote OCR
//! call first uses one of the plan's monthly credits on the server, which learns a count and
//! never the document. A vault never connected to an account is the user's own (their own API
//! key): no limits. Offline, the cached entitlement still refuses it once the plan has none,
//! so paid features stop at once on a downgrade.

use coffer_api::{ErrorCode, OcrCredits, routes};

use super::account::{connection, open};
use super::error::{SyncError, SyncResult};
use super::plan;
use crate::vault::Vault;

/// What allows a remote OCR call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteOcrCredit {
    /// The vault is not connected to an account (or its server does not meter remote OCR).
    Unmetered,
    /// One credit was used; the month's credits after it.
    Used(OcrCredits),
}

/// Uses one remote OCR credit of the account before a remote OCR call, or refuses:
/// [`SyncError::RemoteOcrNotOnPlan`] when the plan (as the server or, offline, the cached
/// entitlement says) has no credits, [`SyncError::Refused`] with
/// [`ErrorCode::OcrCreditsUsedUp`] when this month's are used.
pub fn use_remote_ocr_credit(vault: &mut Vault) -> SyncResult<RemoteOcrCredit> {
    if connection(vault)?.is_none() {
        return Ok(RemoteOcrCredit::Unmetered);
    }
    let answer = open(vault, None).and_then(|server| {
        let answer = server.post::<_, OcrCredits>(routes::OCR_CREDITS, &());
        if answer.as_ref().err().and_then(SyncError::code) == Some(ErrorCode::OcrCreditsUsedUp) {
            // The plan changed (or the month's credits ran out): show it in `account status`.
            plan::refresh(vault, &server)?;
        }
        answer
    });
    match answer {
        Ok(credits) => Ok(RemoteOcrCredit::Used(credits)),
        Err(e) if e.code() == Some(ErrorCode::NotFound) => Ok(RemoteOcrCredit::Unmetered),
        Err(e) => {
            let refused_or_offline = e.code() == Some(ErrorCode::OcrCreditsUsedUp)
                || matches!(e, SyncError::Unreachable { .. } | SyncError::SignedOut(_));
            match plan::cached(vault)? {
                Some(entitlement)
                    if refused_or_offline
                        && entitlement.limits.remote_ocr_credits_per_month == 0 =>
                {
                    Err(SyncError::RemoteOcrNotOnPlan {
                        plan: entitlement.plan,
                    })
                }
                _ => Err(e),
            }
        }
    }
}
