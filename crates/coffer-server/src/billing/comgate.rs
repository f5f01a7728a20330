//! Comgate (payments in CZK): payment creation and recurring charges through its HTTP API
//! (`/v1.0/create`, `/v1.0/recurring`, form-encoded both ways), and status notifications. A
//! notification is not trusted as such: the server asks `/v1.0/status` for the payment's real
//! state and checks that reference, price and currency are its own.

use super::lifecycle::ProviderRefs;
use super::{Payments, StartedPayment};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::ratelimit::Bucket;
use crate::storage::billing::{self, PaymentRecord};
use coffer_api::{ErrorCode, Language, PaymentKind, PaymentProvider, PaymentStatus, Plan};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

const DEFAULT_API_BASE: &str = "https://payments.comgate.cz";

/// `[comgate]` in the config file.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComgateSettings {
    pub merchant: String,
    pub secret: String,
    /// Comgate's test mode (no money moves).
    #[serde(default)]
    pub test: bool,
    /// Only for tests and mocks.
    #[serde(default = "default_api_base")]
    pub api_base: String,
}

fn default_api_base() -> String {
    DEFAULT_API_BASE.to_owned()
}

impl std::fmt::Debug for ComgateSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComgateSettings")
            .field("merchant", &self.merchant)
            .field("test", &self.test)
            .field("api_base", &self.api_base)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The fields of a status notification the server uses (the rest is ignored).
#[derive(Debug, Deserialize)]
pub struct Notification {
    #[serde(rename = "transId")]
    pub trans_id: String,
    pub merchant: Option<String>,
}

fn provider_error(what: &str) -> ApiError {
    tracing::warn!(what, "Comgate request failed");
    ApiError::new(
        ErrorCode::Unavailable,
        "The payment provider did not answer as expected; try again in a moment.",
    )
}

impl ComgateSettings {
    async fn call(
        &self,
        http: &reqwest::Client,
        method: &str,
        mut form: Vec<(&'static str, String)>,
    ) -> ApiResult<HashMap<String, String>> {
        form.push(("merchant", self.merchant.clone()));
        form.push(("secret", self.secret.clone()));
        form.push(("test", self.test.to_string()));
        let response = http
            .post(format!(
                "{}/v1.0/{method}",
                self.api_base.trim_end_matches('/')
            ))
            .form(&form)
            .send()
            .await
            .map_err(|_| provider_error("connect"))?;
        if !response.status().is_success() {
            return Err(provider_error("status"));
        }
        let body = response.bytes().await.map_err(|_| provider_error("body"))?;
        let answer: HashMap<String, String> =
            serde_urlencoded::from_bytes(&body).map_err(|_| provider_error("body"))?;
        if answer.get("code").map(String::as_str) != Some("0") {
            tracing::warn!(
                method,
                code = answer.get("code").map(String::as_str).unwrap_or("-"),
                "Comgate refused a request"
            );
            // Comgate answered: the payment or request is not one it accepts (unlike a
            // connection failure, retrying will not help).
            return Err(ApiError::new(
                ErrorCode::InvalidSignature,
                "The payment provider refused the request or does not know the payment.",
            ));
        }
        Ok(answer)
    }

    fn payment_form(payment: &PaymentRecord, plan: &Plan) -> Vec<(&'static str, String)> {
        vec![
            ("price", payment.amount.amount_minor.to_string()),
            ("curr", payment.amount.currency.code().to_owned()),
            ("label", format!("Coffer {}", plan.name)),
            ("refId", payment.id.to_string()),
            ("prepareOnly", "true".into()),
        ]
    }

    /// Creates a payment; new periods also set up recurring charges for the renewals.
    pub(crate) async fn create_payment(
        &self,
        http: &reqwest::Client,
        payment: &PaymentRecord,
        plan: &Plan,
        email: &str,
        language: Language,
    ) -> ApiResult<StartedPayment> {
        let mut form = Self::payment_form(payment, plan);
        form.extend([
            ("method", "ALL".to_owned()),
            ("email", email.to_owned()),
            ("country", "CZ".to_owned()),
            (
                "lang",
                match language {
                    Language::Cs => "cs",
                    Language::En => "en",
                }
                .to_owned(),
            ),
        ]);
        if payment.kind == PaymentKind::NewPeriod {
            form.push(("initRecurring", "true".into()));
        }
        if let Some((_, period_end)) = payment.priced_for {
            // The payment page must not outlive the period the upgrade was priced for.
            let minutes = ((period_end - payment.created_at) / 60).clamp(30, 7 * 24 * 60);
            form.push(("expirationTime", format!("{minutes}m")));
        }
        let answer = self.call(http, "create", form).await?;
        match (answer.get("transId"), answer.get("redirect")) {
            (Some(trans), Some(redirect)) => Ok(StartedPayment {
                provider_ref: trans.clone(),
                redirect_url: redirect.clone(),
            }),
            _ => Err(provider_error("create answer")),
        }
    }

    /// Charges a renewal against the first payment; the new `transId` once Comgate reports
    /// it paid.
    pub(crate) async fn charge_recurring(
        &self,
        http: &reqwest::Client,
        payment: &PaymentRecord,
        plan: &Plan,
        init_trans_id: &str,
    ) -> ApiResult<String> {
        let mut form = Self::payment_form(payment, plan);
        form.push(("initRecurringId", init_trans_id.to_owned()));
        let answer = self.call(http, "recurring", form).await?;
        let trans = answer
            .get("transId")
            .cloned()
            .ok_or_else(|| provider_error("recurring answer"))?;
        let status = self.status(http, &trans).await?;
        if status.get("status").map(String::as_str) == Some("PAID") {
            Ok(trans)
        } else {
            Err(provider_error("recurring not paid"))
        }
    }

    async fn status(
        &self,
        http: &reqwest::Client,
        trans_id: &str,
    ) -> ApiResult<HashMap<String, String>> {
        self.call(http, "status", vec![("transId", trans_id.to_owned())])
            .await
    }
}

impl App {
    /// `POST /v1/billing/comgate/notify`: asks Comgate for the payment's state and applies it
    /// (once: the payment's own state is the de-duplication). Rate limited per client address,
    /// since each notification costs a request to Comgate.
    pub async fn comgate_notification(
        &self,
        notification: Notification,
        client: std::net::IpAddr,
    ) -> ApiResult<()> {
        self.limiter
            .check(Bucket::PaymentNotification, &client.to_string())
            .await
            .map_err(crate::auth::too_many)?;
        let settings = self.payments.comgate()?;
        if notification
            .merchant
            .as_deref()
            .is_some_and(|m| m != settings.merchant)
        {
            return Err(not_ours());
        }
        let status = settings
            .status(&self.payments.http, &notification.trans_id)
            .await?;
        let mut tx = self.storage.write().await?;
        let payment = match status.get("refId").and_then(|r| Uuid::parse_str(r).ok()) {
            Some(id) => billing::payment(&mut tx, id).await?,
            None => None,
        }
        .filter(|p| {
            p.provider == PaymentProvider::Comgate
                && p.provider_ref.as_deref() == Some(notification.trans_id.as_str())
                && status.get("price") == Some(&p.amount.amount_minor.to_string())
                && status.get("curr").map(String::as_str) == Some(p.amount.currency.code())
        })
        .ok_or_else(not_ours)?;
        match status.get("status").map(String::as_str) {
            Some("PAID") => {
                self.confirm_payment(
                    &mut tx,
                    &payment,
                    ProviderRefs {
                        payment_ref: Some(notification.trans_id.clone()),
                        subscription_ref: (payment.kind == PaymentKind::NewPeriod)
                            .then(|| notification.trans_id.clone()),
                        ..Default::default()
                    },
                )
                .await?;
            }
            Some("CANCELLED") => {
                billing::settle_payment(
                    &mut tx,
                    payment.id,
                    PaymentStatus::Cancelled,
                    None,
                    self.clock.unix(),
                )
                .await?;
            }
            _ => {}
        }
        tx.commit().await?;
        Ok(())
    }
}

fn not_ours() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidSignature,
        "The notification does not match a payment of this server.",
    )
}

impl Payments {
    pub(crate) fn comgate(&self) -> ApiResult<&ComgateSettings> {
        self.comgate.as_ref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::PaymentsUnavailable,
                "Czech payments (Comgate) are not configured on this server; pay in EUR or ask \
                 the operator.",
            )
        })
    }
}
