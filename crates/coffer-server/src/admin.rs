//! Operator commands (`coffer-server admin ...`): look at an account's plan and change it by
//! hand. They work on the same storage as a running server, through the same services.

use crate::app::App;
use crate::billing::DowngradeReason;
use crate::storage::{accounts, billing};
use anyhow::Context as _;
use std::fmt::Write as _;
use uuid::Uuid;

/// When a grant given as `--until` ends: the end of that day in the billing time zone for
/// `YYYY-MM-DD`, or the instant for an RFC 3339 timestamp.
pub fn parse_until(app: &App, until: &str) -> anyhow::Result<i64> {
    if let Ok(date) = until.parse::<jiff::civil::Date>() {
        return Ok(app.catalog.calendar.end_of_date(date));
    }
    let instant =
        time::OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339)
            .with_context(|| format!("--until {until} is neither YYYY-MM-DD nor RFC 3339"))?;
    Ok(instant.unix_timestamp())
}

fn timestamp(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

impl App {
    async fn account_by_email(&self, email: &str) -> anyhow::Result<Uuid> {
        let email = crate::auth::normalize_email(email).context("not an e-mail address")?;
        Ok(accounts::by_email(&mut *self.storage.read().await?, &email)
            .await?
            .with_context(|| format!("no account {email}"))?
            .id)
    }

    /// `admin account show EMAIL`: one `key: value` line each.
    pub async fn admin_account_show(&self, email: &str) -> anyhow::Result<String> {
        let id = self.account_by_email(email).await?;
        let e = self.entitlement(id).await?;
        let mut db = self.storage.read().await?;
        let account = accounts::by_id(&mut db, id)
            .await?
            .context("no such account")?;
        let history = billing::payments(&mut db, id).await?;
        let mut out = String::new();
        writeln!(out, "account: {id}")?;
        writeln!(out, "email: {}", account.email)?;
        writeln!(out, "created: {}", timestamp(account.created_at))?;
        writeln!(
            out,
            "email_verified: {}",
            account.email_verified_at.map_or("no".into(), timestamp)
        )?;
        writeln!(out, "plan: {}", e.plan)?;
        match e.period_end {
            Some(end) => writeln!(out, "period_end: {}", timestamp(end))?,
            None => writeln!(out, "period_end: -")?,
        }
        writeln!(out, "renews: {}", e.renews)?;
        writeln!(
            out,
            "usage: {} receipts/{}, {} documents/{} in {}",
            e.usage.receipts,
            e.limits.receipts_per_month,
            e.usage.documents,
            e.limits.documents_per_month,
            e.usage.month
        )?;
        writeln!(out, "locked: {}", e.locked.len())?;
        for item in &e.locked {
            writeln!(out, "locked_item: {item}")?;
        }
        match e.purge_at {
            Some(t) => writeln!(out, "purge_at: {}", timestamp(t))?,
            None => writeln!(out, "purge_at: -")?,
        }
        for p in &history {
            writeln!(
                out,
                "payment: {} {:?} {} {} {:?} {:?} {}",
                p.id,
                p.kind,
                p.plan,
                p.amount.amount_minor,
                p.amount.currency,
                p.status,
                timestamp(p.created_at)
            )?;
        }
        Ok(out)
    }

    /// `admin account verify EMAIL`: support confirmed by other means that the address is the
    /// account owner's.
    pub async fn admin_verify_email(&self, email: &str) -> anyhow::Result<()> {
        let id = self.account_by_email(email).await?;
        let mut tx = self.storage.write().await?;
        self.mark_verified(&mut tx, id)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        tx.commit().await?;
        Ok(())
    }

    /// `admin plan grant EMAIL PLAN --until DATE`.
    pub async fn admin_plan_grant(
        &self,
        email: &str,
        plan: &str,
        until: &str,
    ) -> anyhow::Result<i64> {
        let id = self.account_by_email(email).await?;
        let end = parse_until(self, until)?;
        self.grant_plan(id, plan, end)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        Ok(end)
    }

    /// `admin plan expire EMAIL`: the paid plan ends now (downgrade, locks, grace period).
    pub async fn admin_plan_expire(&self, email: &str) -> anyhow::Result<bool> {
        let id = self.account_by_email(email).await?;
        let done = self
            .downgrade(id, DowngradeReason::Expired)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        self.deliver_mail().await?;
        Ok(done)
    }
}
