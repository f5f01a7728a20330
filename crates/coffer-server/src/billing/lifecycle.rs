//! The life of a plan: checkout (a new period, or an upgrade charged pro rata), payment
//! confirmation, one-click cancel, renewal, downgrade to the free plan with locked items and a
//! grace period, warnings and the final purge.
//!
//! Every change of a plan runs in one unit of work that first takes the account's row, so the
//! scheduler of several instances, `jobs run`, webhooks and item commits of the account run one
//! after the other; the plan state, the locks, the invoice and the e-mail commit together.
//! An upgrade is priced for one paid period of one plan and buys nothing once either changed
//! (a renewal or a downgrade came first): it is refused, not applied to another period.

use super::catalog::prorate;
use super::{load_state, plan_of};
use crate::app::App;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::mail::Notice;
use crate::storage::billing::{
    self, GracePeriod, NewInvoice, PaymentRecord, PlanState, Subscription,
};
use crate::storage::items::{self, ItemRow};
use crate::storage::{Conn, Tx, accounts};
use coffer_api::{
    BillingHistory, BillingInterval, CheckoutRequest, CheckoutResponse, KindClass, Money,
    PaymentKind, PaymentProvider, PaymentStatus, PriceCurrency, SignedEntitlement,
};
use std::collections::HashMap;
use uuid::Uuid;

const DAY: i64 = 86_400;
/// Stripe charges renewals itself and confirms with `invoice.paid`, which may arrive a little
/// after the period end; only then is a missing renewal a failed one.
const PROVIDER_RENEWAL_LEEWAY_SECS: i64 = 2 * DAY;
/// An upgrade is sold only while its payment page can expire before the period ends (Stripe
/// Checkout sessions live at least 30 minutes).
pub(crate) const MIN_UPGRADE_WINDOW_SECS: i64 = 3600;

/// Why an account moved to the free plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DowngradeReason {
    /// The cancelled plan reached its period end.
    Cancelled,
    /// A renewal payment failed (or never came).
    PaymentFailed,
    /// An operator's grant ran out or was expired.
    Expired,
}

/// What one run of the jobs did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub renewed: u32,
    pub downgraded: u32,
    pub warnings: u32,
    pub purged_items: u32,
    /// E-mail reminders queued for delivery.
    pub reminders: u32,
    pub mails_sent: u32,
    pub mails_failed: u32,
}

/// Provider references learned when a payment is confirmed.
#[derive(Debug, Default, Clone)]
pub struct ProviderRefs {
    pub payment_ref: Option<String>,
    pub subscription_ref: Option<String>,
    pub customer_ref: Option<String>,
    pub invoice_url: Option<String>,
}

/// What a confirmation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    Applied,
    /// Seen before: nothing to do.
    Already,
    /// An upgrade for a period or plan that changed since it was priced: it bought nothing.
    Refused,
}

fn default_provider(currency: PriceCurrency) -> PaymentProvider {
    match currency {
        PriceCurrency::Czk => PaymentProvider::Comgate,
        PriceCurrency::Eur => PaymentProvider::Stripe,
    }
}

impl App {
    /// A unit of work holding the account's row, and the account's plan state in it.
    pub(crate) async fn plan_unit(&self, account: Uuid) -> ApiResult<(Tx, PlanState)> {
        let mut tx = self.storage.write().await?;
        accounts::lock(&mut tx, account).await?;
        let state = load_state(&mut tx, &self.catalog, account).await?;
        Ok((tx, state))
    }

    /// Stores the state read in the same unit of work (the account's row is held, so nobody
    /// changed it meanwhile).
    pub(crate) async fn save_state(&self, c: &mut Conn, state: &PlanState) -> ApiResult<()> {
        if billing::save_plan_state(c, state, self.clock.unix()).await? {
            Ok(())
        } else {
            tracing::error!("a plan state changed under the account's lock");
            Err(ApiError::unavailable())
        }
    }

    /// Starts paying for `req.plan`: a new period, or the pro-rata difference of an upgrade.
    pub async fn checkout(
        &self,
        caller: &Caller,
        req: CheckoutRequest,
    ) -> ApiResult<CheckoutResponse> {
        let account = caller.account_id;
        let plan = self
            .catalog
            .plan(&req.plan)
            .ok_or_else(|| ApiError::invalid("There is no such plan; see GET /v1/plans."))?;
        if plan.prices.is_empty() {
            return Err(ApiError::invalid(
                "The free plan needs no payment; cancel the paid plan instead.",
            ));
        }
        let (mut tx, mut state) = self.plan_unit(account).await?;
        let now = self.clock.unix();
        // An upgrade of a Stripe subscription changes its price there (the new full price).
        let mut stripe_upgrade = None;
        let mut priced_for = None;
        let (kind, interval, currency, amount, provider) = match &state.subscription {
            Some(sub) if sub.period_end > now => {
                let price = |id: &str| self.catalog.price(id, sub.interval, sub.currency);
                let (Some(old), Some(new)) = (price(&state.plan), price(&plan.id)) else {
                    return Err(ApiError::invalid(
                        "This plan has no price in the current plan's currency and interval.",
                    ));
                };
                if new.amount_minor <= old.amount_minor {
                    return Err(ApiError::invalid(
                        "This plan is not an upgrade of the current one. Cancel, and choose it \
                         when the paid period ends.",
                    ));
                }
                if sub.period_end - now < MIN_UPGRADE_WINDOW_SECS {
                    return Err(ApiError::invalid(
                        "The paid period ends within the hour; choose the plan again once it \
                         has renewed.",
                    ));
                }
                priced_for = Some((state.plan.clone(), sub.period_end));
                let amount = prorate(
                    new.amount_minor,
                    old.amount_minor,
                    now,
                    sub.period_start,
                    sub.period_end,
                );
                let provider = match sub.provider {
                    PaymentProvider::Admin => default_provider(sub.currency),
                    other => other,
                };
                if let (PaymentProvider::Stripe, Some(sub_ref)) = (provider, &sub.subscription_ref)
                {
                    stripe_upgrade = Some((sub_ref.clone(), new));
                }
                (
                    PaymentKind::Upgrade,
                    sub.interval,
                    sub.currency,
                    amount,
                    provider,
                )
            }
            _ => {
                let price = self
                    .catalog
                    .price(&plan.id, req.interval, req.currency)
                    .ok_or_else(|| {
                        ApiError::invalid("This plan has no price in that currency and interval.")
                    })?;
                (
                    PaymentKind::NewPeriod,
                    req.interval,
                    req.currency,
                    price.amount_minor,
                    req.provider
                        .unwrap_or_else(|| default_provider(req.currency)),
                )
            }
        };
        if amount <= 0 {
            return Err(ApiError::invalid(
                "The paid period is ending; choose the plan again once it has ended.",
            ));
        }
        if let Some(language) = req.language
            && language != state.language
        {
            state.language = language;
            self.save_state(&mut tx, &state).await?;
        }
        let email = accounts::by_id(&mut tx, account)
            .await?
            .ok_or_else(ApiError::invalid_token)?
            .email;
        // The provider is asked outside the unit of work.
        tx.commit().await?;
        let payment = PaymentRecord {
            id: Uuid::new_v4(),
            account_id: account,
            kind,
            plan: plan.id.clone(),
            interval,
            amount: Money {
                amount_minor: amount,
                currency,
            },
            provider,
            provider_ref: None,
            status: PaymentStatus::Pending,
            created_at: now,
            paid_at: None,
            priced_for,
        };
        if let Some((subscription, new_price)) = stripe_upgrade {
            return self
                .upgrade_stripe_subscription(payment, &subscription, new_price)
                .await;
        }
        let started = match provider {
            PaymentProvider::Stripe => {
                self.payments
                    .stripe()?
                    .create_checkout(&self.payments.http, &payment, plan, &email, state.language)
                    .await?
            }
            PaymentProvider::Comgate => {
                self.payments
                    .comgate()?
                    .create_payment(&self.payments.http, &payment, plan, &email, state.language)
                    .await?
            }
            PaymentProvider::Admin => {
                return Err(ApiError::invalid(
                    "Plans are granted by an operator with `coffer-server admin plan grant`.",
                ));
            }
        };
        let mut tx = self.storage.write().await?;
        billing::create_payment(
            &mut tx,
            &PaymentRecord {
                provider_ref: Some(started.provider_ref),
                ..payment.clone()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(CheckoutResponse {
            payment_id: payment.id,
            redirect_url: started.redirect_url,
            amount: payment.amount,
            kind,
        })
    }

    /// Changes the price of the Stripe subscription; the plan changes as soon as Stripe's
    /// proration invoice is paid (at once with a saved card, else after the customer pays it
    /// at its hosted page and `invoice.paid` arrives).
    async fn upgrade_stripe_subscription(
        &self,
        payment: PaymentRecord,
        subscription: &str,
        new_price: Money,
    ) -> ApiResult<CheckoutResponse> {
        let stripe = self.payments.stripe()?;
        let upgrade = stripe
            .upgrade_subscription(
                &self.payments.http,
                subscription,
                &payment,
                new_price,
                payment.created_at,
            )
            .await?;
        let payment = PaymentRecord {
            provider_ref: Some(upgrade.invoice_ref),
            ..payment
        };
        let mut tx = self.storage.write().await?;
        billing::create_payment(&mut tx, &payment).await?;
        let redirect_url = if upgrade.paid {
            self.confirm_payment(
                &mut tx,
                &payment,
                ProviderRefs {
                    invoice_url: upgrade.invoice_url,
                    ..Default::default()
                },
            )
            .await?;
            stripe.success_url.clone()
        } else {
            upgrade
                .invoice_url
                .unwrap_or_else(|| stripe.success_url.clone())
        };
        tx.commit().await?;
        Ok(CheckoutResponse {
            payment_id: payment.id,
            redirect_url,
            amount: payment.amount,
            kind: payment.kind,
        })
    }

    /// A provider confirmed `payment`, in the caller's unit of work: the plan starts, is
    /// upgraded or renewed, anything locked is unlocked, and an invoice is issued (not for an
    /// operator's grant). A payment confirmed twice is applied once; an upgrade whose period
    /// or plan changed since it was priced is refused.
    pub(crate) async fn confirm_payment(
        &self,
        c: &mut Conn,
        payment: &PaymentRecord,
        refs: ProviderRefs,
    ) -> ApiResult<Confirmed> {
        let now = self.clock.unix();
        accounts::lock(c, payment.account_id).await?;
        let mut state = load_state(c, &self.catalog, payment.account_id).await?;
        let current = state.subscription.clone();
        if let Some((plan, period_end)) = &payment.priced_for {
            let unchanged = current
                .as_ref()
                .is_some_and(|s| s.period_end == *period_end && s.period_end > now)
                && state.plan == *plan;
            if !unchanged {
                if billing::settle_payment(
                    c,
                    payment.id,
                    PaymentStatus::Refused,
                    refs.payment_ref.as_deref(),
                    now,
                )
                .await?
                {
                    tracing::warn!(
                        payment = %payment.id,
                        "an upgrade was paid after its period changed; refund it"
                    );
                    self.notify(
                        c,
                        payment.account_id,
                        &format!("refused:{}", payment.id),
                        Notice::UpgradeRefused {
                            plan: plan_name(&self.catalog, &payment.plan),
                        },
                    )
                    .await?;
                    return Ok(Confirmed::Refused);
                }
                return Ok(Confirmed::Already);
            }
        }
        if !billing::settle_payment(
            c,
            payment.id,
            PaymentStatus::Paid,
            refs.payment_ref.as_deref(),
            now,
        )
        .await?
        {
            return Ok(Confirmed::Already);
        }
        let calendar = &self.catalog.calendar;
        let (start, end, anchor) = match (payment.kind, &current) {
            (PaymentKind::Upgrade, Some(sub)) => (sub.period_start, sub.period_end, sub.anchor),
            (PaymentKind::Renewal, Some(sub)) => (
                sub.period_end,
                calendar.period_end(sub.anchor, payment.interval, sub.period_end),
                sub.anchor,
            ),
            _ => (now, calendar.period_end(now, payment.interval, now), now),
        };
        if state.grace.take().is_some() {
            items::unlock_all(c, payment.account_id).await?;
        }
        state.plan = payment.plan.clone();
        state.subscription = Some(Subscription {
            interval: payment.interval,
            currency: payment.amount.currency,
            provider: payment.provider,
            subscription_ref: refs
                .subscription_ref
                .clone()
                .or_else(|| current.as_ref().and_then(|s| s.subscription_ref.clone())),
            customer_ref: refs
                .customer_ref
                .clone()
                .or_else(|| current.as_ref().and_then(|s| s.customer_ref.clone())),
            period_start: start,
            period_end: end,
            anchor,
            renews: payment.provider != PaymentProvider::Admin,
        });
        self.save_state(c, &state).await?;
        // An operator's grant sells nothing: it takes no number of the invoice series.
        if payment.provider != PaymentProvider::Admin {
            billing::add_invoice(
                c,
                &NewInvoice {
                    account_id: payment.account_id,
                    payment,
                    year: calendar.year_of(now),
                    period_start: start,
                    period_end: end,
                    provider_url: refs.invoice_url,
                    issued_at: now,
                },
            )
            .await?;
        }
        self.notify(
            c,
            payment.account_id,
            &format!("paid:{}", payment.id),
            Notice::PlanActivated {
                plan: plan_name(&self.catalog, &payment.plan),
                period_end: end,
            },
        )
        .await?;
        self.nudge(payment.account_id);
        Ok(Confirmed::Applied)
    }

    /// One-click cancel: the plan stays to the period end, then the free plan; no refund.
    pub async fn cancel_plan(&self, caller: &Caller) -> ApiResult<SignedEntitlement> {
        let account = caller.account_id;
        let (mut tx, mut state) = self.plan_unit(account).await?;
        let Some(sub) = state.subscription.as_mut() else {
            return Err(ApiError::invalid("The account has no paid plan to cancel."));
        };
        if sub.renews {
            sub.renews = false;
            let (provider, sub_ref, end) =
                (sub.provider, sub.subscription_ref.clone(), sub.period_end);
            self.save_state(&mut tx, &state).await?;
            self.notify(
                &mut tx,
                account,
                &format!("cancel:{account}:{end}"),
                Notice::PlanCancelled {
                    plan: plan_name(&self.catalog, &state.plan),
                    period_end: end,
                },
            )
            .await?;
            tx.commit().await?;
            if let (PaymentProvider::Stripe, Some(sub_ref)) = (provider, sub_ref) {
                self.payments
                    .stripe()?
                    .cancel_at_period_end(&self.payments.http, &sub_ref)
                    .await?;
            }
        }
        self.signed_entitlement(account).await
    }

    pub async fn billing_history(&self, caller: &Caller) -> ApiResult<BillingHistory> {
        let mut db = self.storage.read().await?;
        Ok(BillingHistory {
            payments: billing::payments(&mut db, caller.account_id)
                .await?
                .iter()
                .map(PaymentRecord::to_api)
                .collect(),
            invoices: billing::invoices(&mut db, caller.account_id).await?,
        })
    }

    /// Moves the account to the free plan: paid-only features stop at once, items beyond the
    /// free plan's monthly limits are locked until the purge date (per month, those first
    /// committed earliest stay; the newest are locked). False if the account had no paid plan.
    pub async fn downgrade(&self, account: Uuid, reason: DowngradeReason) -> ApiResult<bool> {
        let mut tx = self.storage.write().await?;
        let done = self.downgrade_in(&mut tx, account, reason).await?;
        tx.commit().await?;
        if done {
            self.nudge(account);
        }
        Ok(done)
    }

    /// [`App::downgrade`] in the caller's unit of work.
    pub(crate) async fn downgrade_in(
        &self,
        c: &mut Conn,
        account: Uuid,
        reason: DowngradeReason,
    ) -> ApiResult<bool> {
        accounts::lock(c, account).await?;
        let mut state = load_state(c, &self.catalog, account).await?;
        if state.subscription.is_none() {
            return Ok(false);
        }
        let free = self.catalog.free_plan();
        let mut kept: HashMap<(String, KindClass), u32> = HashMap::new();
        let mut lock = Vec::new();
        for item in items::live_items(c, account).await? {
            let limit = match item.counted.kind {
                KindClass::Receipt => free.limits.receipts_per_month,
                KindClass::Document => free.limits.documents_per_month,
            };
            let n = kept
                .entry((item.counted.month, item.counted.kind))
                .or_default();
            if *n < limit {
                *n += 1;
            } else {
                lock.push(item.id);
            }
        }
        let now = self.clock.unix();
        let grace = (!lock.is_empty()).then(|| GracePeriod {
            started_at: now,
            purge_at: self
                .catalog
                .calendar
                .add_days(now, i64::from(self.catalog.public.grace_days)),
        });
        state.plan = free.id.clone();
        state.subscription = None;
        state.grace = grace;
        self.save_state(c, &state).await?;
        items::lock(c, account, &lock, now).await?;
        self.notify(
            c,
            account,
            &format!("downgrade:{account}:{now}"),
            Notice::Downgraded {
                reason,
                locked: lock.len() as u32,
                purge_at: grace.map(|g| g.purge_at),
            },
        )
        .await?;
        Ok(true)
    }

    /// Deletes the locked items for good: tombstones in the change feed remove them from
    /// every device; their blobs go with the next maintenance.
    async fn purge_locked(&self, account: Uuid) -> ApiResult<u32> {
        let (mut tx, mut state) = self.plan_unit(account).await?;
        if state.grace.is_none() {
            return Ok(0);
        }
        let now = self.clock.unix();
        let mut purged = 0;
        for id in items::locked(&mut tx, account).await? {
            let Some(item) = items::state(&mut tx, account, id).await? else {
                continue;
            };
            let Some(seq) = accounts::next_seq(&mut tx, account).await? else {
                return Ok(0);
            };
            items::write(
                &mut tx,
                account,
                &ItemRow {
                    id,
                    revision: item.revision + 1,
                    seq,
                    content: None,
                    counted: None,
                    now,
                    replaces: true,
                },
            )
            .await?;
            purged += 1;
        }
        state.grace = None;
        self.save_state(&mut tx, &state).await?;
        self.notify(
            &mut tx,
            account,
            &format!("purged:{account}:{now}"),
            Notice::Purged { count: purged },
        )
        .await?;
        tx.commit().await?;
        self.nudge(account);
        Ok(purged)
    }

    /// Grants `plan` until `period_end` without payment (support, tests).
    pub async fn grant_plan(&self, account: Uuid, plan: &str, period_end: i64) -> ApiResult<()> {
        let plan = self
            .catalog
            .plan(plan)
            .ok_or_else(|| ApiError::invalid("There is no such plan in the catalog."))?;
        let now = self.clock.unix();
        if period_end <= now {
            return Err(ApiError::invalid("The grant must end in the future."));
        }
        let payment = PaymentRecord {
            id: Uuid::new_v4(),
            account_id: account,
            kind: PaymentKind::NewPeriod,
            plan: plan.id.clone(),
            interval: BillingInterval::Month,
            amount: Money {
                amount_minor: 0,
                currency: PriceCurrency::Czk,
            },
            provider: PaymentProvider::Admin,
            provider_ref: None,
            status: PaymentStatus::Pending,
            created_at: now,
            paid_at: None,
            priced_for: None,
        };
        let mut tx = self.storage.write().await?;
        billing::create_payment(&mut tx, &payment).await?;
        self.confirm_payment(&mut tx, &payment, ProviderRefs::default())
            .await?;
        // The grant's own end, not a month.
        let mut state = load_state(&mut tx, &self.catalog, account).await?;
        if let Some(sub) = state.subscription.as_mut() {
            sub.period_end = period_end;
        }
        self.save_state(&mut tx, &state).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs the plan jobs once at the clock's now: renewals and expiries (downgrades),
    /// warnings before the purge, purges, due e-mail reminders, then e-mail delivery and
    /// maintenance.
    pub async fn run_jobs(&self) -> anyhow::Result<JobReport> {
        let mut report = JobReport::default();
        let now = self.clock.unix();
        let due = billing::plan_states_due(&mut *self.storage.read().await?, now).await?;
        for state in due {
            let Some(sub) = state.subscription.clone() else {
                continue;
            };
            if sub.period_end > now {
                continue;
            }
            let account = state.account_id;
            let reason = match (sub.renews, sub.provider) {
                (false, PaymentProvider::Admin) => Some(DowngradeReason::Expired),
                (false, _) => Some(DowngradeReason::Cancelled),
                (true, PaymentProvider::Comgate) => {
                    if self.renew_with_comgate(&state, &sub).await? {
                        report.renewed += 1;
                        None
                    } else {
                        Some(DowngradeReason::PaymentFailed)
                    }
                }
                (true, _) if now >= sub.period_end + PROVIDER_RENEWAL_LEEWAY_SECS => {
                    Some(DowngradeReason::PaymentFailed)
                }
                (true, _) => None,
            };
            if let Some(reason) = reason
                && self.downgrade(account, reason).await?
            {
                report.downgraded += 1;
            }
        }
        let due = billing::plan_states_due(&mut *self.storage.read().await?, now).await?;
        for state in due {
            let Some(grace) = state.grace else { continue };
            if grace.purge_at <= now {
                report.purged_items += self.purge_locked(state.account_id).await?;
            } else if self.warn_before_purge(&state, grace).await? {
                report.warnings += 1;
            }
        }
        report.reminders = self.queue_due_reminders().await?;
        let (sent, failed) = self.deliver_mail().await?;
        report.mails_sent = sent;
        report.mails_failed = failed;
        self.run_maintenance().await?;
        Ok(report)
    }

    /// Queues the most urgent warning whose window has come (each at most once). A warning
    /// for N days goes out during the last day before N days remain, so the user has at least
    /// N days even if the scheduler only runs daily.
    async fn warn_before_purge(&self, state: &PlanState, grace: GracePeriod) -> ApiResult<bool> {
        let now = self.clock.unix();
        let remaining = grace.purge_at - now;
        let Some(days) = self
            .catalog
            .warning_days
            .iter()
            .rev()
            .find(|d| remaining <= (i64::from(**d) + 1) * DAY)
        else {
            return Ok(false);
        };
        let mut tx = self.storage.write().await?;
        let locked = items::locked(&mut tx, state.account_id).await?.len() as u32;
        let queued = self
            .notify(
                &mut tx,
                state.account_id,
                &format!("warn:{}:{}:{days}", state.account_id, grace.purge_at),
                Notice::PurgeWarning {
                    locked,
                    purge_at: grace.purge_at,
                },
            )
            .await?
            .is_some();
        tx.commit().await?;
        Ok(queued)
    }

    /// Charges the next period of a Comgate plan against its first (recurring) payment.
    async fn renew_with_comgate(&self, state: &PlanState, sub: &Subscription) -> ApiResult<bool> {
        let (Some(init), Ok(comgate)) = (&sub.subscription_ref, self.payments.comgate()) else {
            return Ok(false);
        };
        let Some(price) = self.catalog.price(&state.plan, sub.interval, sub.currency) else {
            return Ok(false);
        };
        let plan = plan_of(&self.catalog, state);
        let payment = PaymentRecord {
            id: Uuid::new_v4(),
            account_id: state.account_id,
            kind: PaymentKind::Renewal,
            plan: plan.id.clone(),
            interval: sub.interval,
            amount: price,
            provider: PaymentProvider::Comgate,
            provider_ref: None,
            status: PaymentStatus::Pending,
            created_at: self.clock.unix(),
            paid_at: None,
            priced_for: None,
        };
        let mut tx = self.storage.write().await?;
        billing::create_payment(&mut tx, &payment).await?;
        tx.commit().await?;
        let charged = comgate
            .charge_recurring(&self.payments.http, &payment, plan, init)
            .await;
        let mut tx = self.storage.write().await?;
        let renewed = match charged {
            Ok(trans_id) => {
                self.confirm_payment(
                    &mut tx,
                    &payment,
                    ProviderRefs {
                        payment_ref: Some(trans_id),
                        ..Default::default()
                    },
                )
                .await?;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e.message, "a Comgate renewal was not paid");
                billing::settle_payment(
                    &mut tx,
                    payment.id,
                    PaymentStatus::Failed,
                    None,
                    self.clock.unix(),
                )
                .await?;
                false
            }
        };
        tx.commit().await?;
        Ok(renewed)
    }
}

pub(crate) fn plan_name(catalog: &super::Catalog, id: &str) -> String {
    catalog
        .plan(id)
        .map_or_else(|| id.to_owned(), |p| p.name.clone())
}
