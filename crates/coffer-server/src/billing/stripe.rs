//! Stripe: Checkout sessions through the REST API, and webhook events verified with the
//! `Stripe-Signature` header (HMAC-SHA256 over `"{t}.{body}"`, timestamp within five minutes
//! of the server's clock), processed once per event id: the event id is recorded in the unit
//! of work that applies the event, so a crash between the two neither loses nor doubles it.

use super::lifecycle::{DowngradeReason, ProviderRefs};
use super::{Payments, StartedPayment};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::storage::Conn;
use crate::storage::billing::{self, PaymentRecord, PlanState};
use coffer_api::{
    BillingInterval, ErrorCode, Language, Money, PaymentKind, PaymentProvider, PaymentStatus, Plan,
};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use uuid::Uuid;

/// How far a webhook's signed timestamp may be from the server's clock.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;
const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// `[stripe]` in the config file.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeSettings {
    pub secret_key: String,
    pub webhook_secret: String,
    /// Where the browser returns after paying or giving up.
    pub success_url: String,
    pub cancel_url: String,
    /// Only for tests and mocks.
    #[serde(default = "default_api_base")]
    pub api_base: String,
}

fn default_api_base() -> String {
    DEFAULT_API_BASE.to_owned()
}

impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSettings")
            .field("api_base", &self.api_base)
            .field("secret_key", &"<redacted>")
            .field("webhook_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

fn provider_error(what: &str) -> ApiError {
    tracing::warn!(what, "Stripe request failed");
    ApiError::new(
        ErrorCode::Unavailable,
        "The payment provider did not answer as expected; try again in a moment.",
    )
}

/// An upgrade applied to a Stripe subscription: the proration invoice Stripe issued.
pub(crate) struct SubscriptionUpgrade {
    pub invoice_ref: String,
    /// False while the payment needs the customer (3-D Secure, a failed card): the change
    /// waits for them at `invoice_url`, and `invoice.paid` applies it.
    pub paid: bool,
    pub invoice_url: Option<String>,
}

fn check_subscription_id(subscription: &str) -> ApiResult<()> {
    if subscription
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(())
    } else {
        Err(provider_error("subscription id"))
    }
}

fn interval_name(interval: BillingInterval) -> &'static str {
    match interval {
        BillingInterval::Month => "month",
        BillingInterval::Year => "year",
    }
}

impl StripeSettings {
    async fn get(&self, http: &reqwest::Client, path: &str) -> ApiResult<Value> {
        let response = http
            .get(format!("{}{path}", self.api_base.trim_end_matches('/')))
            .bearer_auth(&self.secret_key)
            .send()
            .await
            .map_err(|_| provider_error("connect"))?;
        Self::json(response).await
    }

    async fn json(response: reqwest::Response) -> ApiResult<Value> {
        if !response.status().is_success() {
            return Err(provider_error("status"));
        }
        let body = response.bytes().await.map_err(|_| provider_error("body"))?;
        serde_json::from_slice(&body).map_err(|_| provider_error("body"))
    }

    async fn post(
        &self,
        http: &reqwest::Client,
        path: &str,
        form: &[(String, String)],
    ) -> ApiResult<Value> {
        let response = http
            .post(format!("{}{path}", self.api_base.trim_end_matches('/')))
            .bearer_auth(&self.secret_key)
            .form(form)
            .send()
            .await
            .map_err(|_| provider_error("connect"))?;
        Self::json(response).await
    }

    /// A Checkout session: a subscription for a new period (Stripe renews it), a one-time
    /// payment for an upgrade's pro-rata difference.
    pub(crate) async fn create_checkout(
        &self,
        http: &reqwest::Client,
        payment: &PaymentRecord,
        plan: &Plan,
        email: &str,
        language: Language,
    ) -> ApiResult<StartedPayment> {
        let currency = payment.amount.currency.code().to_ascii_lowercase();
        let mut form: Vec<(String, String)> = vec![
            ("client_reference_id".into(), payment.id.to_string()),
            ("customer_email".into(), email.to_owned()),
            ("success_url".into(), self.success_url.clone()),
            ("cancel_url".into(), self.cancel_url.clone()),
            ("locale".into(), locale(language).into()),
            ("metadata[payment_id]".into(), payment.id.to_string()),
            ("line_items[0][quantity]".into(), "1".into()),
            ("line_items[0][price_data][currency]".into(), currency),
            (
                "line_items[0][price_data][unit_amount]".into(),
                payment.amount.amount_minor.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]".into(),
                format!("Coffer {}", plan.name),
            ),
        ];
        if let Some((_, period_end)) = payment.priced_for {
            // The session must not outlive the period the upgrade was priced for (Stripe keeps
            // a session 30 minutes to 24 hours).
            let expires_at = period_end.min(payment.created_at + 24 * 3600);
            form.push(("expires_at".into(), expires_at.to_string()));
        }
        if payment.kind == PaymentKind::Upgrade {
            form.push(("mode".into(), "payment".into()));
        } else {
            form.push(("mode".into(), "subscription".into()));
            form.push((
                "line_items[0][price_data][recurring][interval]".into(),
                interval_name(payment.interval).into(),
            ));
            form.push((
                "subscription_data[metadata][account_id]".into(),
                payment.account_id.to_string(),
            ));
        }
        let session = self.post(http, "/v1/checkout/sessions", &form).await?;
        match (session["id"].as_str(), session["url"].as_str()) {
            (Some(id), Some(url)) => Ok(StartedPayment {
                provider_ref: id.to_owned(),
                redirect_url: url.to_owned(),
            }),
            _ => Err(provider_error("session")),
        }
    }

    /// Moves the subscription to `new_price` from `now` on: Stripe invoices the prorated
    /// difference for the rest of the paid period at once (`always_invoice`, prorated as of
    /// the server's `now`), and with `pending_if_incomplete` the price only changes once that
    /// invoice is paid. Renewals then charge the new price.
    pub(crate) async fn upgrade_subscription(
        &self,
        http: &reqwest::Client,
        subscription: &str,
        payment: &PaymentRecord,
        new_price: Money,
        now: i64,
    ) -> ApiResult<SubscriptionUpgrade> {
        check_subscription_id(subscription)?;
        let path = format!("/v1/subscriptions/{subscription}");
        let current = self.get(http, &path).await?;
        let item = &current["items"]["data"][0];
        let (Some(item_id), Some(product)) = (id_of(&item["id"]), id_of(&item["price"]["product"]))
        else {
            return Err(provider_error("subscription items"));
        };
        let form: Vec<(String, String)> = vec![
            ("items[0][id]".into(), item_id),
            ("items[0][price_data][product]".into(), product),
            (
                "items[0][price_data][currency]".into(),
                new_price.currency.code().to_ascii_lowercase(),
            ),
            (
                "items[0][price_data][unit_amount]".into(),
                new_price.amount_minor.to_string(),
            ),
            (
                "items[0][price_data][recurring][interval]".into(),
                interval_name(payment.interval).into(),
            ),
            ("proration_behavior".into(), "always_invoice".into()),
            ("proration_date".into(), now.to_string()),
            ("payment_behavior".into(), "pending_if_incomplete".into()),
            ("metadata[payment_id]".into(), payment.id.to_string()),
            ("expand[0]".into(), "latest_invoice".into()),
        ];
        let updated = self.post(http, &path, &form).await?;
        let invoice = &updated["latest_invoice"];
        let invoice_ref = id_of(invoice).ok_or_else(|| provider_error("proration invoice"))?;
        Ok(SubscriptionUpgrade {
            invoice_ref,
            paid: updated["pending_update"].is_null() && invoice["status"].as_str() == Some("paid"),
            invoice_url: invoice["hosted_invoice_url"].as_str().map(str::to_owned),
        })
    }

    pub(crate) async fn cancel_at_period_end(
        &self,
        http: &reqwest::Client,
        subscription: &str,
    ) -> ApiResult<()> {
        check_subscription_id(subscription)?;
        self.post(
            http,
            &format!("/v1/subscriptions/{subscription}"),
            &[("cancel_at_period_end".into(), "true".into())],
        )
        .await
        .map(|_| ())
    }
}

fn locale(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Cs => "cs",
    }
}

/// Checks a `Stripe-Signature` header (`t=...,v1=...[,v1=...]`) for `body`.
pub fn verify_signature(header: &str, body: &[u8], secret: &str, now: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = timestamp else { return false };
    if (now - t).abs() > SIGNATURE_TOLERANCE_SECS {
        return false;
    }
    signatures.iter().any(|sig| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.verify_slice(sig).is_ok()
    })
}

fn bad_signature() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidSignature,
        "The Stripe-Signature header does not verify (wrong secret, altered body or stale timestamp).",
    )
}

/// An id field that may be a string or an expanded object.
fn id_of(v: &Value) -> Option<String> {
    v.as_str().or_else(|| v["id"].as_str()).map(str::to_owned)
}

/// The subscription an invoice belongs to (top level before API version 2025-03, under
/// `parent.subscription_details` after).
fn invoice_subscription(invoice: &Value) -> Option<String> {
    id_of(&invoice["subscription"])
        .or_else(|| id_of(&invoice["parent"]["subscription_details"]["subscription"]))
}

impl App {
    /// `POST /v1/billing/stripe/webhook`.
    pub async fn stripe_webhook(&self, signature: Option<&str>, body: &[u8]) -> ApiResult<()> {
        let settings = self.payments.stripe()?;
        let header = signature.ok_or_else(bad_signature)?;
        if !verify_signature(header, body, &settings.webhook_secret, self.clock.unix()) {
            return Err(bad_signature());
        }
        let event: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::malformed("The event is not JSON."))?;
        let id = event["id"]
            .as_str()
            .ok_or_else(|| ApiError::malformed("The event has no id."))?;
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        if !billing::record_webhook_event(&mut tx, PaymentProvider::Stripe, id, now).await? {
            return Ok(());
        }
        // An error rolls the event id back with the effect: Stripe's retry gets another go.
        let touched = self.apply_stripe_event(&mut tx, &event).await?;
        crate::failpoint::hit("stripe-webhook-before-commit");
        tx.commit().await?;
        if let Some(account) = touched {
            self.nudge(account);
        }
        Ok(())
    }

    /// Applies the event; the account whose plan it changed.
    async fn apply_stripe_event(&self, c: &mut Conn, event: &Value) -> ApiResult<Option<Uuid>> {
        let object = &event["data"]["object"];
        match event["type"].as_str().unwrap_or_default() {
            "checkout.session.completed" => {
                let paid = matches!(
                    object["payment_status"].as_str(),
                    Some("paid" | "no_payment_required")
                );
                let Some(payment) = self.payment_of_session(c, object).await? else {
                    return Ok(None);
                };
                if paid {
                    self.confirm_payment(
                        c,
                        &payment,
                        ProviderRefs {
                            payment_ref: id_of(&object["id"]),
                            subscription_ref: id_of(&object["subscription"]),
                            customer_ref: id_of(&object["customer"]),
                            invoice_url: None,
                        },
                    )
                    .await?;
                    return Ok(Some(payment.account_id));
                }
            }
            "invoice.paid" => {
                let Some(invoice_id) = id_of(&object["id"]) else {
                    return Ok(None);
                };
                let invoice_url = object["hosted_invoice_url"].as_str().map(str::to_owned);
                // An invoice the server knows: an upgrade's proration the customer paid later.
                if let Some(payment) =
                    billing::payment_by_ref(c, PaymentProvider::Stripe, &invoice_id).await?
                {
                    let refs = ProviderRefs {
                        invoice_url,
                        ..Default::default()
                    };
                    self.confirm_payment(c, &payment, refs).await?;
                    return Ok(Some(payment.account_id));
                }
                let (Some(sub), Some("subscription_cycle")) = (
                    invoice_subscription(object),
                    object["billing_reason"].as_str(),
                ) else {
                    return Ok(None);
                };
                let Some(state) =
                    billing::plan_state_by_subscription(c, PaymentProvider::Stripe, &sub).await?
                else {
                    return Ok(None);
                };
                let Some(current) = state.subscription.as_ref() else {
                    return Ok(None);
                };
                let payment = PaymentRecord {
                    id: Uuid::new_v4(),
                    account_id: state.account_id,
                    kind: PaymentKind::Renewal,
                    plan: state.plan.clone(),
                    interval: current.interval,
                    amount: Money {
                        amount_minor: object["amount_paid"].as_i64().unwrap_or(0),
                        currency: current.currency,
                    },
                    provider: PaymentProvider::Stripe,
                    provider_ref: Some(invoice_id),
                    status: PaymentStatus::Pending,
                    created_at: self.clock.unix(),
                    paid_at: None,
                    priced_for: None,
                };
                billing::create_payment(c, &payment).await?;
                self.confirm_payment(
                    c,
                    &payment,
                    ProviderRefs {
                        invoice_url,
                        ..Default::default()
                    },
                )
                .await?;
                return Ok(Some(state.account_id));
            }
            "invoice.payment_failed"
                if object["billing_reason"].as_str() == Some("subscription_cycle") =>
            {
                if let Some(state) = self.stripe_plan(c, invoice_subscription(object)).await? {
                    self.downgrade_in(c, state.account_id, DowngradeReason::PaymentFailed)
                        .await?;
                    return Ok(Some(state.account_id));
                }
            }
            "customer.subscription.updated" => {
                let Some(state) = self.stripe_plan(c, id_of(&object["id"])).await? else {
                    return Ok(None);
                };
                if matches!(
                    object["status"].as_str(),
                    Some("canceled" | "unpaid" | "incomplete_expired")
                ) {
                    self.downgrade_in(c, state.account_id, DowngradeReason::PaymentFailed)
                        .await?;
                    return Ok(Some(state.account_id));
                }
                if let Some(cancel) = object["cancel_at_period_end"].as_bool() {
                    crate::storage::accounts::lock(c, state.account_id).await?;
                    let mut state = super::load_state(c, &self.catalog, state.account_id).await?;
                    if let Some(sub) = state.subscription.as_mut()
                        && sub.renews == cancel
                    {
                        sub.renews = !cancel;
                        self.save_state(c, &state).await?;
                        return Ok(Some(state.account_id));
                    }
                }
            }
            "customer.subscription.deleted" => {
                if let Some(state) = self.stripe_plan(c, id_of(&object["id"])).await? {
                    let reason = match state.subscription.as_ref().is_some_and(|s| s.renews) {
                        true => DowngradeReason::PaymentFailed,
                        false => DowngradeReason::Cancelled,
                    };
                    self.downgrade_in(c, state.account_id, reason).await?;
                    return Ok(Some(state.account_id));
                }
            }
            _ => {}
        }
        Ok(None)
    }

    async fn payment_of_session(
        &self,
        c: &mut Conn,
        session: &Value,
    ) -> ApiResult<Option<PaymentRecord>> {
        let Some(id) = session["client_reference_id"]
            .as_str()
            .or_else(|| session["metadata"]["payment_id"].as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
        else {
            return Ok(None);
        };
        Ok(billing::payment(c, id)
            .await?
            .filter(|p| p.provider == PaymentProvider::Stripe))
    }

    async fn stripe_plan(
        &self,
        c: &mut Conn,
        subscription: Option<String>,
    ) -> ApiResult<Option<PlanState>> {
        match subscription {
            Some(sub) => {
                Ok(billing::plan_state_by_subscription(c, PaymentProvider::Stripe, &sub).await?)
            }
            None => Ok(None),
        }
    }
}

impl Payments {
    pub(crate) fn stripe(&self) -> ApiResult<&StripeSettings> {
        self.stripe.as_ref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::PaymentsUnavailable,
                "Card payments (Stripe) are not configured on this server; pay in CZK or ask \
                 the operator.",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_correctly_signed_fresh_payload_verifies() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign("whsec_test", 1_000, body);
        assert!(verify_signature(&header, body, "whsec_test", 1_100));
        // Several v1 signatures (during a secret rotation): one matching is enough.
        let good = header.split("v1=").nth(1).unwrap();
        let rotated = format!("{},v1={good}", sign("other", 1_000, body));
        assert!(verify_signature(&rotated, body, "whsec_test", 1_000));
    }

    #[test]
    fn a_wrong_secret_an_altered_body_or_a_stale_timestamp_is_refused() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign("whsec_test", 1_000, body);
        assert!(!verify_signature(&header, body, "whsec_other", 1_000));
        assert!(!verify_signature(
            &header,
            br#"{"id":"evt_2"}"#,
            "whsec_test",
            1_000
        ));
        assert!(!verify_signature(&header, body, "whsec_test", 1_000 + 301));
        assert!(!verify_signature("v1=00", body, "whsec_test", 1_000));
    }
}
