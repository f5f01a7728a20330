//! Remote OCR credits (a paid feature, SPEC §6): a client connected to an account asks for one
//! credit before each remote OCR call. The server counts credits per calendar month and learns
//! nothing about the document.

use super::{load_state, plan_of};
use crate::app::App;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, LimitDetail};
use crate::storage::billing;
use coffer_api::{ErrorCode, OcrCredits};

impl App {
    /// Uses one remote OCR credit of this month, or refuses with `402 ocr_credits_used_up`
    /// when the plan has none (the free plan, at once after a downgrade) or they are used.
    pub async fn use_ocr_credit(&self, caller: &Caller) -> ApiResult<OcrCredits> {
        let account = caller.account_id;
        let mut tx = self.storage.write().await?;
        let state = load_state(&mut tx, &self.catalog, account).await?;
        let plan = plan_of(&self.catalog, &state);
        let calendar = &self.catalog.calendar;
        let month = calendar.month_of(self.clock.unix());
        let limit = plan.limits.remote_ocr_credits_per_month;
        let credits = |used| OcrCredits {
            plan: plan.id.clone(),
            month: month.clone(),
            limit,
            used,
            reset_at: calendar.next_month_start(&month).unwrap_or(i64::MAX),
        };
        if let Some(used) = billing::use_ocr_credit(&mut tx, account, &month, limit).await? {
            tx.commit().await?;
            return Ok(credits(used));
        }
        let message = if limit == 0 {
            format!(
                "Remote OCR is part of the paid plans; the {} plan does not include it. Read the \
                 document on this device (`coffer ocr ID` without --remote) or upgrade.",
                plan.name
            )
        } else {
            format!(
                "The {} plan includes {limit} remote OCR credits per month and {month}'s are \
                 used; read documents on this device until the reset, or upgrade.",
                plan.name
            )
        };
        let mut e = ApiError::new(ErrorCode::OcrCreditsUsedUp, message);
        let used = billing::ocr_credits_used(&mut tx, account, &month).await?;
        e.limit = Some(Box::new(LimitDetail::OcrCredits(credits(used))));
        Err(e)
    }
}
