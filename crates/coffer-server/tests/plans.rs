//! Plans, payments and the downgrade grace period (SPEC §6), one test per rule, moving an
//! injected clock instead of sleeping. Payment providers are stand-ins on 127.0.0.1; e-mail
//! goes to a real SMTP sink when `scripts/with-test-services.sh` runs one. Scenarios that
//! touch storage run on SQLite and (under `make test`) on PostgreSQL.

#[macro_use]
mod support;

use axum::Router;
use axum::routing::post;
use coffer_api::*;
use coffer_server::billing::comgate::ComgateSettings;
use coffer_server::billing::stripe::StripeSettings;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use support::*;
use uuid::Uuid;

const DAY: i64 = 86_400;
const WEBHOOK_SECRET: &str = "whsec_test_secret";

on_both_databases!(
    a_commit_over_the_monthly_limit_is_refused_with_plan_limit_and_reset_date,
    concurrent_commits_at_the_monthly_limit_store_exactly_the_limit,
    a_stripe_checkout_starts_the_plan_and_an_upgrade_charges_the_pro_rata_difference,
    stripe_webhooks_are_verified_and_applied_once_per_event_id,
    cancel_keeps_the_plan_until_the_period_end_then_moves_to_start_without_refund,
    a_failed_renewal_payment_downgrades_at_once,
    after_a_downgrade_the_oldest_items_per_month_stay_and_the_rest_are_locked,
    warnings_go_out_at_least_14_and_3_days_before_the_purge,
    a_renewal_on_day_59_unlocks_everything_and_day_61_is_too_late,
    comgate_payments_are_confirmed_by_asking_comgates_status_api_and_renewed_there,
    a_comgate_upgrade_is_a_one_off_payment_of_the_difference_and_renewals_charge_the_new_price,
    renewals_are_counted_from_the_billing_anchor_so_31_january_renews_on_the_last_day_of_each_month,
    a_plan_stored_before_billing_anchors_takes_its_period_start_as_anchor,
    remote_ocr_credits_are_refused_on_start_counted_per_month_on_paid_plans_and_stop_at_downgrade,
    an_upgrade_paid_after_a_renewal_or_a_downgrade_buys_nothing,
);

fn at(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

fn unix(s: &str) -> i64 {
    at(s).unix_timestamp()
}

/// The entitlement, verified against the server's published key.
/// `POST /v1/billing/checkout` of `plan` (the server picks the provider by currency).
async fn checkout(
    client: &Client,
    plan: &str,
    interval: BillingInterval,
    currency: PriceCurrency,
) -> Answer {
    client
        .post(
            routes::BILLING_CHECKOUT,
            &CheckoutRequest {
                plan: plan.into(),
                interval,
                currency,
                provider: None,
                language: None,
            },
        )
        .await
}

async fn entitlement(client: &Client) -> Entitlement {
    let key: EntitlementKey = client.get(routes::ENTITLEMENT_KEY).await.ok();
    let signed: SignedEntitlement = client.get(routes::ENTITLEMENT).await.ok();
    signed.verify(&key).expect("the entitlement verifies")
}

/// What the Stripe stand-in was asked: (what, form fields).
type StripeCalls = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

struct Stand {
    server: InProcessServer,
    anon: Client,
    stripe: StripeCalls,
    comgate: Arc<Mutex<ComgateState>>,
    _dir: tempfile::TempDir,
}

#[derive(Default)]
struct ComgateState {
    calls: Vec<(String, Vec<(String, String)>)>,
    /// transId → (refId, price, curr, status).
    payments: Vec<(String, String, String, String, String)>,
    /// What recurring charges end as.
    recurring_status: String,
}

/// A stand-in for Stripe's and Comgate's APIs on 127.0.0.1.
async fn provider_stand_in() -> (String, StripeCalls, Arc<Mutex<ComgateState>>) {
    let stripe: StripeCalls = Default::default();
    let comgate: Arc<Mutex<ComgateState>> = Arc::new(Mutex::new(ComgateState {
        recurring_status: "PAID".into(),
        ..Default::default()
    }));
    let (s1, s2, c1, c2, c3) = (
        stripe.clone(),
        stripe.clone(),
        comgate.clone(),
        comgate.clone(),
        comgate.clone(),
    );
    let form = |body: &str| -> Vec<(String, String)> { serde_urlencoded::from_str(body).unwrap() };
    let get = |f: &[(String, String)], k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let router = Router::new()
        .route(
            "/v1/checkout/sessions",
            post(move |body: String| async move {
                let mut calls = s1.lock().unwrap();
                let id = format!("cs_test_{}", calls.len() + 1);
                calls.push(("checkout".into(), form(&body)));
                axum::Json(serde_json::json!({
                    "id": id, "url": format!("https://checkout.stripe.test/{id}")}))
            }),
        )
        .route(
            "/v1/subscriptions/{id}",
            axum::routing::get(|axum::extract::Path(id): axum::extract::Path<String>| async move {
                axum::Json(serde_json::json!({"id": id, "items": {"data": [
                    {"id": format!("si_{id}"), "price": {"id": "price_1", "product": "prod_coffer"}}
                ]}}))
            })
            .post(
                move |axum::extract::Path(id): axum::extract::Path<String>, body: String| async move {
                    let mut calls = s2.lock().unwrap();
                    calls.push((format!("subscription {id}"), form(&body)));
                    // Subscriptions named `sub_sca…` need the customer to confirm the payment.
                    let invoice = format!("in_update_{}", calls.len());
                    let pending = id.starts_with("sub_sca");
                    axum::Json(serde_json::json!({
                        "id": id,
                        "pending_update": if pending { serde_json::json!({"expires_at": 1}) } else { serde_json::Value::Null },
                        "latest_invoice": {
                            "id": invoice,
                            "status": if pending { "open" } else { "paid" },
                            "hosted_invoice_url": format!("https://invoice.stripe.test/{invoice}"),
                        }
                    }))
                },
            ),
        )
        .route(
            "/v1.0/create",
            post(move |body: String| async move {
                let f = form(&body);
                let mut state = c1.lock().unwrap();
                let trans = format!("AB12-CD34-{:04}", state.payments.len() + 1);
                state.payments.push((
                    trans.clone(),
                    get(&f, "refId"),
                    get(&f, "price"),
                    get(&f, "curr"),
                    "PENDING".into(),
                ));
                state.calls.push(("create".into(), f));
                format!(
                    "code=0&message=OK&transId={trans}&redirect=https%3A%2F%2Fpay.comgate.test%2F{trans}"
                )
            }),
        )
        .route(
            "/v1.0/recurring",
            post(move |body: String| async move {
                let f = form(&body);
                let mut state = c2.lock().unwrap();
                let trans = format!("RE12-CD34-{:04}", state.payments.len() + 1);
                let status = state.recurring_status.clone();
                state.payments.push((
                    trans.clone(),
                    get(&f, "refId"),
                    get(&f, "price"),
                    get(&f, "curr"),
                    status,
                ));
                state.calls.push(("recurring".into(), f));
                format!("code=0&message=OK&transId={trans}")
            }),
        )
        .route(
            "/v1.0/status",
            post(move |body: String| async move {
                let f = form(&body);
                let state = c3.lock().unwrap();
                assert_eq!(get(&f, "secret"), "comgate-secret");
                match state.payments.iter().find(|p| p.0 == get(&f, "transId")) {
                    Some((trans, ref_id, price, curr, status)) => format!(
                        "code=0&message=OK&transId={trans}&refId={ref_id}&price={price}&curr={curr}&status={status}"
                    ),
                    None => "code=1400&message=Payment+not+found".into(),
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, stripe, comgate)
}

async fn stand(db: Option<String>, now: &str) -> Stand {
    let dir = tempfile::tempdir().unwrap();
    let (providers, stripe, comgate) = provider_stand_in().await;
    let server = InProcessServer::start_with(
        dir.path(),
        InProcessOptions {
            plans: true,
            database_url: db,
            stripe: Some(StripeSettings {
                secret_key: "sk_test_123".into(),
                webhook_secret: WEBHOOK_SECRET.into(),
                success_url: "https://coffer.test/paid".into(),
                cancel_url: "https://coffer.test/cancelled".into(),
                api_base: providers.clone(),
            }),
            comgate: Some(ComgateSettings {
                merchant: "123456".into(),
                secret: "comgate-secret".into(),
                test: true,
                api_base: providers,
            }),
            smtp_url: std::env::var("COFFER_TEST_SMTP_URL").ok(),
            ..Default::default()
        },
    )
    .await;
    server.clock.set(at(now));
    let anon = Client::new(&server.url);
    Stand {
        server,
        anon,
        stripe,
        comgate,
        _dir: dir,
    }
}

impl Stand {
    fn now(&self) -> i64 {
        use coffer_server::clock::Clock;
        self.server.clock.unix()
    }

    fn advance_to(&self, unix: i64) {
        self.server
            .clock
            .set(time::OffsetDateTime::from_unix_timestamp(unix).unwrap());
    }

    async fn jobs(&self) -> coffer_server::billing::JobReport {
        self.server.app.run_jobs().await.unwrap()
    }

    /// Signs and posts a Stripe event.
    async fn stripe_event(&self, event: &serde_json::Value) -> Answer {
        let body = serde_json::to_vec(event).unwrap();
        let header = stripe_signature(WEBHOOK_SECRET, self.now(), &body);
        self.anon
            .request(
                reqwest::Method::POST,
                routes::STRIPE_WEBHOOK,
                &[("stripe-signature", header.as_str())],
                Some(body),
                "application/json",
            )
            .await
    }

    /// Checkout of `plan` (monthly, EUR) through Stripe, completed by its webhook.
    async fn buy_with_stripe(&self, client: &Client, plan: &str, subscription: &str) {
        let checkout: CheckoutResponse =
            checkout(client, plan, BillingInterval::Month, PriceCurrency::Eur)
                .await
                .ok();
        let session = checkout.redirect_url.rsplit('/').next().unwrap().to_owned();
        let answer = self
            .stripe_event(&serde_json::json!({
                "id": format!("evt_{}", Uuid::new_v4().simple()),
                "type": "checkout.session.completed",
                "data": {"object": {
                    "id": session, "client_reference_id": checkout.payment_id.to_string(),
                    "payment_status": "paid", "subscription": subscription,
                    "customer": "cus_1"}}
            }))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    }

    /// Checkout of `plan` in CZK through Comgate, paid and notified.
    async fn buy_with_comgate(&self, client: &Client, plan: &str, interval: BillingInterval) {
        let checkout: CheckoutResponse = checkout(client, plan, interval, PriceCurrency::Czk)
            .await
            .ok();
        self.pay_with_comgate(&checkout).await;
    }

    /// Comgate says the checkout is paid, and notifies the server.
    async fn pay_with_comgate(&self, checkout: &CheckoutResponse) {
        let trans = checkout.redirect_url.rsplit('/').next().unwrap().to_owned();
        if let Some(p) = self
            .comgate
            .lock()
            .unwrap()
            .payments
            .iter_mut()
            .find(|p| p.0 == trans)
        {
            p.4 = "PAID".into();
        }
        let answer = self
            .anon
            .request(
                reqwest::Method::POST,
                routes::COMGATE_NOTIFY,
                &[],
                Some(format!("merchant=123456&transId={trans}").into_bytes()),
                "application/x-www-form-urlencoded",
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    }

    /// A fresh session (access tokens expire after 15 minutes of moved time).
    async fn login(&self, email: &str) -> Client {
        self.anon.login(email, PASSWORD, "laptop").await.0
    }

    async fn account(&self) -> (Client, Uuid, String) {
        let (client, session, email) = self.anon.new_account("laptop").await;
        (client, session.account_id, email)
    }
}

fn stripe_signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

// ---------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------

async fn a_commit_over_the_monthly_limit_is_refused_with_plan_limit_and_reset_date(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-11-15T12:00:00Z").await;
    let (client, _, email) = s.account().await;
    for _ in 0..5 {
        client.push_ok(KindClass::Receipt, "2026-11").await;
    }
    let (_, refused) = client.push(KindClass::Receipt, "2026-11").await;
    assert_eq!(refused.status, StatusCode::PAYMENT_REQUIRED);
    let error = refused.error();
    assert_eq!(error.code, ErrorCode::PlanLimitReached);
    let detail = error.plan_limit.unwrap();
    assert_eq!(detail.plan, "start");
    assert_eq!(detail.kind_class, KindClass::Receipt);
    assert_eq!((detail.limit, detail.usage), (5, 5));
    assert_eq!(detail.month, "2026-11");
    // Midnight of 1 December in Prague (UTC+1).
    assert_eq!(detail.reset_at, unix("2026-11-30T23:00:00Z"));

    for _ in 0..3 {
        client.push_ok(KindClass::Document, "2026-11").await;
    }
    let (_, refused) = client.push(KindClass::Document, "2026-11").await;
    assert_eq!(refused.error().plan_limit.unwrap().limit, 3);

    // The month the client names counts for nothing: a receipt "from October" or "from next
    // year" is one more receipt of November, the server's month.
    for claimed in ["2026-10", "2027-01", "1999-12"] {
        let (_, refused) = client.push(KindClass::Receipt, claimed).await;
        assert_eq!(refused.error().plan_limit.unwrap().month, "2026-11");
    }

    // 23:30 UTC on 30 November is already December in Prague: a new receipt counts against
    // December (whatever month it names) and the entitlement shows December's usage.
    s.advance_to(unix("2026-11-30T23:30:00Z"));
    let client = s.login(&email).await;
    client.push_ok(KindClass::Receipt, "2026-11").await;
    let e = entitlement(&client).await;
    assert_eq!(e.usage.month, "2026-12");
    assert_eq!(e.usage.receipts, 1);
    assert_eq!(e.usage.reset_at, unix("2026-12-31T23:00:00Z"));
}

async fn concurrent_commits_at_the_monthly_limit_store_exactly_the_limit(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-11-15T12:00:00Z").await;
    let (client, _, _) = s.account().await;
    client.push_ok(KindClass::Receipt, "2026-11").await;
    // 4 of START's 5 receipts are left; 16 devices race for them, in two rounds.
    for _ in 0..2 {
        let answers =
            futures::future::join_all((0..8).map(|_| client.push(KindClass::Receipt, "2026-11")))
                .await;
        for (_, answer) in &answers {
            assert!(
                answer.status == StatusCode::OK || answer.status == StatusCode::PAYMENT_REQUIRED,
                "{answer:?}"
            );
        }
        let refused: Vec<_> = answers
            .iter()
            .filter(|(_, a)| a.status == StatusCode::PAYMENT_REQUIRED)
            .map(|(_, a)| a.error().plan_limit.unwrap())
            .collect();
        assert!(refused.iter().all(|d| d.limit == 5 && d.usage == 5));
    }
    let e = entitlement(&client).await;
    assert_eq!(e.usage.receipts, 5);
    let page: ChangesPage = client
        .get(&format!("{}?since=0", routes::CHANGES))
        .await
        .ok();
    assert_eq!(page.changes.iter().filter(|i| !i.deleted).count(), 5);
}

// ---------------------------------------------------------------------------------------
// Payments and billing rules
// ---------------------------------------------------------------------------------------

async fn a_stripe_checkout_starts_the_plan_and_an_upgrade_charges_the_pro_rata_difference(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    // 31 January of a leap year: a month later is 29 February.
    let s = stand(db, "2028-01-31T09:00:00Z").await;
    let (client, _, email) = s.account().await;
    s.buy_with_stripe(&client, "plus", "sub_1").await;
    {
        let calls = s.stripe.lock().unwrap();
        let form = &calls[0].1;
        let has = |k: &str, v: &str| form.iter().any(|(a, b)| a == k && b == v);
        assert!(has("mode", "subscription"), "{form:?}");
        assert!(has("line_items[0][price_data][unit_amount]", "399"));
        assert!(has("line_items[0][price_data][currency]", "eur"));
        assert!(has(
            "line_items[0][price_data][recurring][interval]",
            "month"
        ));
    }
    let e = entitlement(&client).await;
    assert_eq!(e.plan, "plus");
    assert!(e.limits.email_reminders && e.limits.remote_ocr_credits_per_month > 0);
    assert_eq!(e.period_end, Some(unix("2028-02-29T09:00:00Z")));

    // Halfway through the 29-day period, an upgrade costs half the difference.
    s.advance_to(unix("2028-01-31T09:00:00Z") + 29 * DAY / 2);
    let client = s.login(&email).await;
    let upgrade: CheckoutResponse = checkout(
        &client,
        "business",
        BillingInterval::Month,
        PriceCurrency::Eur,
    )
    .await
    .ok();
    assert_eq!(upgrade.kind, PaymentKind::Upgrade);
    assert_eq!(upgrade.amount.amount_minor, (1199 - 399) / 2);
    // The subscription itself moves to the new price, prorated as of the server's clock, so
    // Stripe charges the difference for the rest of the period now and the new price from
    // the next renewal.
    {
        let calls = s.stripe.lock().unwrap();
        let (what, form) = &calls[1];
        assert_eq!(what, "subscription sub_1");
        let has = |k: &str, v: &str| form.iter().any(|(a, b)| a == k && b == v);
        assert!(has("items[0][id]", "si_sub_1"), "{form:?}");
        assert!(has("items[0][price_data][product]", "prod_coffer"));
        assert!(has("items[0][price_data][unit_amount]", "1199"));
        assert!(has("items[0][price_data][currency]", "eur"));
        assert!(has("items[0][price_data][recurring][interval]", "month"));
        assert!(has("proration_behavior", "always_invoice"));
        assert!(has("proration_date", &s.now().to_string()));
        assert!(has("payment_behavior", "pending_if_incomplete"));
        assert!(has("metadata[payment_id]", &upgrade.payment_id.to_string()));
        assert_eq!(calls.len(), 2, "no second Checkout session");
    }
    // The proration invoice was paid with the saved card: the plan changed at once.
    assert_eq!(upgrade.redirect_url, "https://coffer.test/paid");
    let e = entitlement(&client).await;
    assert_eq!(e.plan, "business");
    assert_eq!(e.period_end, Some(unix("2028-02-29T09:00:00Z")));
    // Stripe's own invoice.paid for that invoice changes nothing more.
    s.stripe_event(&serde_json::json!({
        "id": "evt_upgrade_invoice", "type": "invoice.paid",
        "data": {"object": {"id": "in_update_2", "billing_reason": "subscription_update",
            "subscription": "sub_1", "amount_paid": 400}}
    }))
    .await;

    // A downgrade between paid plans mid-period is not a checkout.
    let cheaper = checkout(&client, "plus", BillingInterval::Month, PriceCurrency::Eur).await;
    assert_eq!(cheaper.error().code, ErrorCode::InvalidField);

    let history: BillingHistory = client.get(routes::BILLING_HISTORY).await.ok();
    let paid: Vec<_> = history
        .payments
        .iter()
        .filter(|p| p.status == PaymentStatus::Paid)
        .collect();
    assert_eq!(paid.len(), 2);
    assert_eq!(history.invoices.len(), 2);
    assert!(
        history
            .invoices
            .iter()
            .all(|i| i.number.starts_with("2028-"))
    );

    // A card that needs the customer (3-D Secure): the price changes only once they pay the
    // proration invoice on Stripe's page and invoice.paid arrives.
    let (client, _, _) = s.account().await;
    s.buy_with_stripe(&client, "plus", "sub_sca_2").await;
    let upgrade: CheckoutResponse = checkout(
        &client,
        "business",
        BillingInterval::Month,
        PriceCurrency::Eur,
    )
    .await
    .ok();
    let invoice = upgrade.redirect_url.rsplit('/').next().unwrap().to_owned();
    assert!(invoice.starts_with("in_update_"), "{upgrade:?}");
    assert_eq!(entitlement(&client).await.plan, "plus");
    s.stripe_event(&serde_json::json!({
        "id": "evt_sca_paid", "type": "invoice.paid",
        "data": {"object": {"id": invoice, "billing_reason": "subscription_update",
            "subscription": "sub_sca_2", "amount_paid": upgrade.amount.amount_minor}}
    }))
    .await;
    assert_eq!(entitlement(&client).await.plan, "business");
}

async fn stripe_webhooks_are_verified_and_applied_once_per_event_id(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-05-10T10:00:00Z").await;
    let (client, _, _) = s.account().await;
    s.buy_with_stripe(&client, "plus", "sub_9").await;
    let period_end = entitlement(&client).await.period_end.unwrap();

    let renewal = serde_json::json!({
        "id": "evt_renewal_1", "type": "invoice.paid",
        "data": {"object": {"id": "in_1", "subscription": "sub_9",
            "billing_reason": "subscription_cycle", "amount_paid": 399, "currency": "eur",
            "hosted_invoice_url": "https://invoice.stripe.test/in_1"}}
    });
    let body = serde_json::to_vec(&renewal).unwrap();
    let post = |header: Option<String>| {
        let body = body.clone();
        let anon = s.anon.clone();
        async move {
            let headers: Vec<(&str, &str)> = match &header {
                Some(h) => vec![("stripe-signature", h.as_str())],
                None => vec![],
            };
            anon.request(
                reqwest::Method::POST,
                routes::STRIPE_WEBHOOK,
                &headers,
                Some(body),
                "application/json",
            )
            .await
        }
    };
    // Wrong secret, stale timestamp, no header, tampered body: refused, nothing applied.
    for header in [
        Some(stripe_signature("whsec_wrong", s.now(), &body)),
        Some(stripe_signature(WEBHOOK_SECRET, s.now() - 600, &body)),
        None,
    ] {
        let answer = post(header).await;
        assert_eq!(answer.error().code, ErrorCode::InvalidSignature);
    }
    let good = stripe_signature(WEBHOOK_SECRET, s.now(), &body);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let answer = s
        .anon
        .request(
            reqwest::Method::POST,
            routes::STRIPE_WEBHOOK,
            &[("stripe-signature", good.as_str())],
            Some(tampered),
            "application/json",
        )
        .await;
    assert_eq!(answer.error().code, ErrorCode::InvalidSignature);
    assert_eq!(entitlement(&client).await.period_end, Some(period_end));

    // Correctly signed, delivered twice: applied once.
    for _ in 0..2 {
        let answer = post(Some(good.clone())).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let e = entitlement(&client).await;
    assert!(e.period_end.unwrap() > period_end + 27 * DAY);
    let history: BillingHistory = client.get(routes::BILLING_HISTORY).await.ok();
    let renewals: Vec<_> = history
        .payments
        .iter()
        .filter(|p| p.kind == PaymentKind::Renewal)
        .collect();
    assert_eq!(renewals.len(), 1);
    assert!(
        history
            .invoices
            .iter()
            .any(|i| i.provider_url.as_deref() == Some("https://invoice.stripe.test/in_1"))
    );
}

async fn cancel_keeps_the_plan_until_the_period_end_then_moves_to_start_without_refund(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-03-20T10:00:00Z").await;
    let (client, _, email) = s.account().await;
    s.buy_with_stripe(&client, "plus", "sub_c").await;
    let signed: SignedEntitlement = client.post(routes::BILLING_CANCEL, &()).await.ok();
    let key: EntitlementKey = client.get(routes::ENTITLEMENT_KEY).await.ok();
    let e = signed.verify(&key).unwrap();
    assert_eq!(e.plan, "plus");
    assert!(!e.renews);
    let end = e.period_end.unwrap();
    assert!(
        s.stripe
            .lock()
            .unwrap()
            .iter()
            .any(|(what, form)| what == "subscription sub_c"
                && form.contains(&("cancel_at_period_end".into(), "true".into())))
    );

    s.advance_to(end - 1);
    let client = s.login(&email).await;
    s.jobs().await;
    assert_eq!(entitlement(&client).await.plan, "plus");
    s.advance_to(end);
    let client = s.login(&email).await;
    assert_eq!(s.jobs().await.downgraded, 1);
    let e = entitlement(&client).await;
    assert_eq!(e.plan, "start");
    assert_eq!(e.period_end, None);
    assert!(!e.limits.email_reminders);
    assert_eq!(e.limits.remote_ocr_credits_per_month, 0);
    // No refund: the only payment is the one made, still paid.
    let history: BillingHistory = client.get(routes::BILLING_HISTORY).await.ok();
    assert_eq!(history.payments.len(), 1);
    assert_eq!(history.payments[0].status, PaymentStatus::Paid);
}

async fn a_failed_renewal_payment_downgrades_at_once(db: Option<String>, _dir: &std::path::Path) {
    let s = stand(db, "2026-06-01T10:00:00Z").await;
    let (client, _, email) = s.account().await;
    s.buy_with_stripe(&client, "plus", "sub_f").await;
    for _ in 0..7 {
        client.push_ok(KindClass::Receipt, "2026-06").await;
    }
    s.advance_to(unix("2026-07-01T10:00:00Z"));
    let client = s.login(&email).await;
    let answer = s
        .stripe_event(&serde_json::json!({
            "id": "evt_failed", "type": "invoice.payment_failed",
            "data": {"object": {"id": "in_f", "billing_reason": "subscription_cycle",
                "parent": {"subscription_details": {"subscription": "sub_f"}}}}
        }))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let e = entitlement(&client).await;
    assert_eq!(e.plan, "start");
    assert_eq!(e.locked.len(), 2);
    assert_eq!(
        e.purge_at,
        Some(unix("2026-07-01T10:00:00Z") + 60 * DAY),
        "60 days, no daylight-saving change in July/August"
    );
}

// ---------------------------------------------------------------------------------------
// Downgrade, grace period, purge
// ---------------------------------------------------------------------------------------

async fn after_a_downgrade_the_oldest_items_per_month_stay_and_the_rest_are_locked(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-10-20T10:00:00Z").await;
    let (client, account, email) = s.account().await;
    s.server
        .app
        .grant_plan(account, "plus", s.now() + 60 * DAY)
        .await
        .unwrap();
    // Items count against the month of their first commit on the server.
    let mut october_receipts = vec![];
    for _ in 0..6 {
        october_receipts.push(client.push_ok(KindClass::Receipt, "2026-10").await);
    }
    s.advance_to(unix("2026-11-20T10:00:00Z"));
    let client = s.login(&email).await;
    let mut november_receipts = vec![];
    for _ in 0..7 {
        november_receipts.push(client.push_ok(KindClass::Receipt, "2026-11").await);
    }
    let mut november_documents = vec![];
    for _ in 0..4 {
        november_documents.push(client.push_ok(KindClass::Document, "2026-11").await);
    }
    // The last locked receipt carries a blob; an active one shares another blob with it.
    let key = VaultKey::random();
    let only_locked = client.upload_blob(&key.seal(b"only locked"), 1024).await;
    let shared = client.upload_blob(&key.seal(b"shared"), 1024).await;
    let locked_with_blob = october_receipts[5];
    let mut w = item_write(KindClass::Receipt, "2026-10");
    w.blobs = vec![only_locked.clone(), shared.clone()];
    let item: Item = client
        .put_item(locked_with_blob, Some(1), &w, None)
        .await
        .ok();
    let mut w = item_write(KindClass::Receipt, "2026-10");
    w.blobs = vec![shared.clone()];
    let _: Item = client
        .put_item(october_receipts[0], Some(1), &w, None)
        .await
        .ok();

    assert!(
        s.server
            .app
            .downgrade(account, coffer_server::billing::DowngradeReason::Expired)
            .await
            .unwrap()
    );
    let e = entitlement(&client).await;
    assert_eq!(e.plan, "start");
    let mut expected: Vec<Uuid> = vec![october_receipts[5]];
    expected.extend(&november_documents[3..]);
    expected.extend(&november_receipts[5..]);
    let mut locked = e.locked.clone();
    locked.sort();
    expected.sort();
    assert_eq!(locked, expected);
    assert_eq!(e.purge_at, Some(s.now() + 60 * DAY));

    // Not downloadable, not editable, not exportable.
    let read = client.get(&routes::item(locked_with_blob)).await;
    assert_eq!(read.status.as_u16(), 423);
    let error = read.error();
    assert_eq!(error.code, ErrorCode::ItemLocked);
    assert_eq!(error.purge_at, e.purge_at);
    let edit = client
        .put_item(
            locked_with_blob,
            Some(item.revision),
            &item_write(KindClass::Receipt, "2026-10"),
            None,
        )
        .await;
    assert_eq!(edit.error().code, ErrorCode::ItemLocked);
    let blob = client.get(&routes::blob(&only_locked.sha256)).await;
    assert_eq!(blob.error().code, ErrorCode::ItemLocked);
    let export = client
        .stepped_up(PASSWORD, None)
        .await
        .get(routes::ACCOUNT_EXPORT)
        .await;
    assert_eq!(export.error().code, ErrorCode::ItemLocked);
    // The change feed carries no content of locked items.
    let (items, _) = client.pull_all(0).await;
    let feed_locked = items.iter().find(|i| i.id == locked_with_blob).unwrap();
    assert!(feed_locked.envelope.is_none() && feed_locked.blobs.is_empty());
    // What stays active stays usable, shared blobs included.
    let _: Item = client.get(&routes::item(october_receipts[0])).await.ok();
    let shared_read = client.get(&routes::blob(&shared.sha256)).await;
    assert_eq!(shared_read.status, StatusCode::OK);
    // START's limit now applies to new commits.
    let (_, refused) = client.push(KindClass::Receipt, "2026-11").await;
    assert_eq!(refused.error().code, ErrorCode::PlanLimitReached);
}

/// Plus plan, 6 receipts in one month, then the plan expires at `s.now()`: one locked item.
async fn downgraded_account(s: &Stand) -> (Client, Uuid, Uuid, String) {
    let (client, account, email) = s.account().await;
    s.server
        .app
        .grant_plan(account, "plus", s.now() + DAY)
        .await
        .unwrap();
    let mut ids = vec![];
    for _ in 0..6 {
        ids.push(client.push_ok(KindClass::Receipt, "2026-03").await);
    }
    s.server
        .app
        .downgrade(account, coffer_server::billing::DowngradeReason::Expired)
        .await
        .unwrap();
    (client, account, ids[5], email)
}

async fn warnings_go_out_at_least_14_and_3_days_before_the_purge(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-03-10T10:00:00Z").await;
    let (client, _, _, email) = downgraded_account(&s).await;
    let purge_at = entitlement(&client).await.purge_at.unwrap();
    // More than 15 days left: nothing yet.
    s.advance_to(purge_at - 15 * DAY - 3600);
    assert_eq!(s.jobs().await.warnings, 0);
    // Within the last day before 14 days remain: the first warning, once.
    s.advance_to(purge_at - 15 * DAY + 3600);
    assert_eq!(s.jobs().await.warnings, 1);
    assert_eq!(s.jobs().await.warnings, 0);
    s.advance_to(purge_at - 4 * DAY + 3600);
    assert_eq!(s.jobs().await.warnings, 1);
    s.advance_to(purge_at - 3 * DAY);
    let client = s.login(&email).await;
    assert_eq!(s.jobs().await.warnings, 0);
    // In the app: the entitlement names the purge date all along.
    assert_eq!(entitlement(&client).await.purge_at, Some(purge_at));

    if let Some(messages) = coffer_testkit::maildir::messages() {
        let mine: Vec<_> = messages.iter().filter(|m| m.contains(&email)).collect();
        let warnings = mine
            .iter()
            .filter(|m| m.contains("locked documents will be deleted on"))
            .count();
        assert_eq!(warnings, 2, "{mine:#?}");
        assert!(mine.iter().any(|m| m.contains("moved to the Start plan")));
    } else {
        eprintln!("note: no SMTP sink (run through scripts/with-test-services.sh); mail not read");
    }
}

async fn a_renewal_on_day_59_unlocks_everything_and_day_61_is_too_late(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-03-10T10:00:00Z").await;
    let start = s.now();
    let (_, early_account, early_locked, early_email) = downgraded_account(&s).await;
    let (_, late_account, late_locked, late_email) = downgraded_account(&s).await;

    s.advance_to(start + 59 * DAY);
    let early = s.login(&early_email).await;
    assert_eq!(s.jobs().await.purged_items, 0);
    s.server
        .app
        .grant_plan(early_account, "plus", s.now() + 30 * DAY)
        .await
        .unwrap();
    let e = entitlement(&early).await;
    assert!(e.locked.is_empty() && e.purge_at.is_none());
    let _: Item = early.get(&routes::item(early_locked)).await.ok();

    s.advance_to(start + 61 * DAY);
    assert_eq!(s.jobs().await.purged_items, 1);
    let late = s.login(&late_email).await;
    let early = s.login(&early_email).await;
    // The purge reaches every device as a tombstone in the change feed.
    let (items, _) = late.pull_all(0).await;
    let gone = items.iter().find(|i| i.id == late_locked).unwrap();
    assert!(gone.deleted);
    assert_eq!(items.iter().filter(|i| !i.deleted).count(), 5);
    s.server
        .app
        .grant_plan(late_account, "plus", s.now() + 30 * DAY)
        .await
        .unwrap();
    let read = late.get(&routes::item(late_locked)).await;
    assert!(read.json::<Item>().deleted);
    assert!(entitlement(&late).await.locked.is_empty());
    // The renewed account kept everything.
    let (items, _) = early.pull_all(0).await;
    assert_eq!(items.iter().filter(|i| !i.deleted).count(), 6);
}

async fn comgate_payments_are_confirmed_by_asking_comgates_status_api_and_renewed_there(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-04-15T10:00:00Z").await;
    let (client, _, email) = s.account().await;
    let checkout: CheckoutResponse = client
        .post(
            routes::BILLING_CHECKOUT,
            &CheckoutRequest {
                plan: "plus".into(),
                interval: BillingInterval::Month,
                currency: PriceCurrency::Czk,
                provider: None,
                language: Some(Language::Cs),
            },
        )
        .await
        .ok();
    assert_eq!(checkout.amount.amount_minor, 9900);
    assert!(
        checkout
            .redirect_url
            .starts_with("https://pay.comgate.test/")
    );
    let trans = checkout.redirect_url.rsplit('/').next().unwrap().to_owned();
    let notify = |trans: String| {
        let anon = s.anon.clone();
        async move {
            let body = format!(
                "merchant=123456&test=true&price=9900&curr=CZK&label=x&refId=x&transId={trans}&status=PAID"
            );
            anon.request(
                reqwest::Method::POST,
                routes::COMGATE_NOTIFY,
                &[],
                Some(body.into_bytes()),
                "application/x-www-form-urlencoded",
            )
            .await
        }
    };
    // The notification claims PAID, Comgate's status API says PENDING: nothing changes.
    let answer = notify(trans.clone()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(entitlement(&client).await.plan, "start");
    // A made-up transaction is refused.
    let answer = notify("FAKE-0000-0000".into()).await;
    assert_eq!(answer.error().code, ErrorCode::InvalidSignature);
    // Paid for real.
    s.comgate.lock().unwrap().payments[0].4 = "PAID".into();
    let answer = notify(trans.clone()).await;
    assert_eq!(String::from_utf8_lossy(&answer.body), "code=0&message=OK");
    let e = entitlement(&client).await;
    assert_eq!(e.plan, "plus");
    let end = e.period_end.unwrap();
    assert_eq!(end, unix("2026-05-15T10:00:00Z"));
    assert!(
        s.comgate.lock().unwrap().calls[0]
            .1
            .contains(&("initRecurring".into(), "true".into()))
    );

    // At the period end the jobs charge the next period against the first payment.
    s.advance_to(end);
    let client = s.login(&email).await;
    let report = s.jobs().await;
    assert_eq!((report.renewed, report.downgraded), (1, 0));
    assert_eq!(
        entitlement(&client).await.period_end,
        Some(unix("2026-06-15T10:00:00Z"))
    );
    assert!(
        s.comgate
            .lock()
            .unwrap()
            .calls
            .iter()
            .any(|(what, form)| what == "recurring"
                && form.contains(&("initRecurringId".into(), trans.clone())))
    );
    // A refused recurring charge downgrades.
    s.comgate.lock().unwrap().recurring_status = "CANCELLED".into();
    s.advance_to(unix("2026-06-15T10:00:00Z"));
    let client = s.login(&email).await;
    assert_eq!(s.jobs().await.downgraded, 1);
    assert_eq!(entitlement(&client).await.plan, "start");
}

async fn a_comgate_upgrade_is_a_one_off_payment_of_the_difference_and_renewals_charge_the_new_price(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    // Comgate has no subscriptions: renewals are charged against the first payment.
    let s = stand(db, "2026-04-01T08:00:00Z").await;
    let (client, _, email) = s.account().await;
    s.buy_with_comgate(&client, "plus", BillingInterval::Month)
        .await;
    let end = entitlement(&client).await.period_end.unwrap();
    assert_eq!(end, unix("2026-05-01T08:00:00Z"));

    // A third of April left: a third of (299 − 99) CZK, once, without recurring charges.
    s.advance_to(unix("2026-04-21T08:00:00Z"));
    let client = s.login(&email).await;
    s.buy_with_comgate(&client, "business", BillingInterval::Month)
        .await;
    {
        let state = s.comgate.lock().unwrap();
        let (_, upgrade) = state.calls.last().unwrap();
        assert!(
            upgrade.contains(&("price".into(), "6667".into())),
            "{upgrade:?}"
        );
        assert!(
            !upgrade.iter().any(|(k, _)| k == "initRecurring"),
            "{upgrade:?}"
        );
    }
    let e = entitlement(&client).await;
    assert_eq!((e.plan.as_str(), e.period_end), ("business", Some(end)));

    // The renewal charges the new plan's full price against the first payment.
    s.advance_to(end);
    assert_eq!(s.jobs().await.renewed, 1);
    let state = s.comgate.lock().unwrap();
    let first = state.payments[0].0.clone();
    let (_, renewal) = state
        .calls
        .iter()
        .find(|(what, _)| what == "recurring")
        .unwrap();
    assert!(
        renewal.contains(&("price".into(), "29900".into())),
        "{renewal:?}"
    );
    assert!(
        renewal.contains(&("initRecurringId".into(), first)),
        "{renewal:?}"
    );
}

async fn a_plan_stored_before_billing_anchors_takes_its_period_start_as_anchor(
    db: Option<String>,
    dir: &std::path::Path,
) {
    // A plan row written by a server before migration 0004.
    const OLD_ROW: &str = "INSERT INTO account_plans (account_id, plan, billing_interval, \
        currency, provider, subscription_ref, period_start, period_end, renews, language, version, \
        updated_at) VALUES ($1, 'plus', 'month', 'CZK', 'comgate', 'AB12-CD34-0001', $2, $3, $4, \
        'en', 1, $2)";
    let account = Uuid::new_v4();
    let (start, end) = (unix("2028-01-31T09:00:00Z"), unix("2028-02-29T09:00:00Z"));
    // The same steps on either backend: migrate to 0003, write the old row, then open the
    // storage (which runs the later migrations) and read the plan back.
    macro_rules! migrated_state {
        ($pool:expr, $backend:literal, $url:expr) => {{
            let pool = $pool;
            let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join($backend);
            let migrator = sqlx::migrate::Migrator::new(dir).await.unwrap();
            migrator.run_to(3, &pool).await.unwrap();
            sqlx::query(OLD_ROW)
                .bind(account.to_string())
                .bind(start)
                .bind(end)
                .bind(true)
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            let storage = coffer_server::storage::Storage::connect($url)
                .await
                .unwrap();
            let mut db = storage.read().await.unwrap();
            coffer_server::storage::billing::plan_state(&mut db, account)
                .await
                .unwrap()
        }};
    }
    let state = match db {
        None => {
            let url = format!("sqlite://{}", dir.join("coffer.db").display());
            let options = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()
                .unwrap()
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            migrated_state!(pool, "sqlite", &url)
        }
        Some(url) => {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            migrated_state!(pool, "postgres", &url)
        }
    };
    let sub = state.unwrap().subscription.unwrap();
    assert_eq!(
        (sub.period_start, sub.period_end, sub.anchor),
        (start, end, start)
    );
    // So its next renewal lands on 31 March, not 29 March.
    let calendar = coffer_server::billing::Catalog::default_catalog().calendar;
    assert_eq!(
        calendar.period_end(sub.anchor, BillingInterval::Month, sub.period_end),
        unix("2028-03-31T08:00:00Z")
    );
}

async fn renewals_are_counted_from_the_billing_anchor_so_31_january_renews_on_the_last_day_of_each_month(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    // 10:00 in Prague on 31 January of a leap year.
    let s = stand(db, "2028-01-31T09:00:00Z").await;
    let (client, _, monthly) = s.account().await;
    s.buy_with_comgate(&client, "plus", BillingInterval::Month)
        .await;
    let mut ends = vec![entitlement(&client).await.period_end.unwrap()];
    // Each renewal runs at the period end; 10:00 Prague time is 08:00 UTC in summer.
    let mut yearly = None;
    for _ in 0..4 {
        s.advance_to(*ends.last().unwrap());
        assert_eq!(s.jobs().await.renewed, 1);
        let client = s.login(&monthly).await;
        ends.push(entitlement(&client).await.period_end.unwrap());
        // Someone else buys a yearly plan on the leap day.
        if yearly.is_none() {
            let (client, _, email) = s.account().await;
            s.buy_with_comgate(&client, "plus", BillingInterval::Year)
                .await;
            yearly = Some(email);
        }
    }
    assert_eq!(
        ends,
        [
            unix("2028-02-29T09:00:00Z"),
            unix("2028-03-31T08:00:00Z"),
            unix("2028-04-30T08:00:00Z"),
            unix("2028-05-31T08:00:00Z"),
            unix("2028-06-30T08:00:00Z"),
        ]
    );
    // The invoices name the same periods.
    let client = s.login(&monthly).await;
    let history: BillingHistory = client.get(routes::BILLING_HISTORY).await.ok();
    let mut periods: Vec<_> = history
        .invoices
        .iter()
        .map(|i| (i.period_start, i.period_end))
        .collect();
    periods.sort_unstable();
    let expected: Vec<_> = std::iter::once(unix("2028-01-31T09:00:00Z"))
        .chain(ends[..4].iter().copied())
        .zip(ends.iter().copied())
        .collect();
    assert_eq!(periods, expected);
    let _: SignedEntitlement = client.post(routes::BILLING_CANCEL, &()).await.ok();

    // The yearly plan from 29 February ends on 28 February in ordinary years and on
    // 29 February again in 2032.
    let yearly = yearly.unwrap();
    let client = s.login(&yearly).await;
    let mut ends = vec![entitlement(&client).await.period_end.unwrap()];
    for _ in 0..3 {
        s.advance_to(*ends.last().unwrap());
        assert_eq!(s.jobs().await.renewed, 1);
        let client = s.login(&yearly).await;
        ends.push(entitlement(&client).await.period_end.unwrap());
    }
    assert_eq!(
        ends,
        [
            unix("2029-02-28T09:00:00Z"),
            unix("2030-02-28T09:00:00Z"),
            unix("2031-02-28T09:00:00Z"),
            unix("2032-02-29T09:00:00Z"),
        ]
    );
}

async fn remote_ocr_credits_are_refused_on_start_counted_per_month_on_paid_plans_and_stop_at_downgrade(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-05-20T10:00:00Z").await;
    let (client, account, email) = s.account().await;
    let refused = client.post(routes::OCR_CREDITS, &()).await;
    assert_eq!(refused.status, StatusCode::PAYMENT_REQUIRED);
    let error = refused.error();
    assert_eq!(error.code, ErrorCode::OcrCreditsUsedUp);
    let detail = error.ocr_credits.unwrap();
    assert_eq!(
        (detail.plan.as_str(), detail.limit, detail.used),
        ("start", 0, 0)
    );
    assert_eq!(detail.month, "2026-05");
    assert_eq!(detail.reset_at, unix("2026-05-31T22:00:00Z"));

    s.buy_with_stripe(&client, "plus", "sub_ocr").await;
    // Plus has 100 credits a month; 110 calls at once use exactly 100.
    let answers =
        futures::future::join_all((0..110).map(|_| client.post(routes::OCR_CREDITS, &()))).await;
    let mut used: Vec<u32> = answers
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .map(|a| serde_json::from_slice::<OcrCredits>(&a.body).unwrap().used)
        .collect();
    used.sort_unstable();
    assert_eq!(used, (1..=100).collect::<Vec<_>>());
    for refused in answers.iter().filter(|a| a.status != StatusCode::OK) {
        let detail = refused.error().ocr_credits.unwrap();
        assert_eq!(
            (detail.plan.as_str(), detail.limit, detail.used),
            ("plus", 100, 100)
        );
    }
    let e = entitlement(&client).await;
    assert_eq!(
        (e.usage.remote_ocr, e.limits.remote_ocr_credits_per_month),
        (100, 100)
    );

    // A new calendar month (midnight in Prague) has new credits.
    s.advance_to(unix("2026-05-31T22:00:00Z"));
    let client = s.login(&email).await;
    let credits: OcrCredits = client.post(routes::OCR_CREDITS, &()).await.ok();
    assert_eq!((credits.month.as_str(), credits.used), ("2026-06", 1));

    // A downgrade stops remote OCR at once.
    s.server
        .app
        .downgrade(
            account,
            coffer_server::billing::DowngradeReason::PaymentFailed,
        )
        .await
        .unwrap();
    let refused = client.post(routes::OCR_CREDITS, &()).await;
    let detail = refused.error().ocr_credits.unwrap();
    assert_eq!(
        (detail.plan.as_str(), detail.limit, detail.used),
        ("start", 0, 1)
    );
    assert_eq!(entitlement(&client).await.usage.remote_ocr, 1);
}

// ---------------------------------------------------------------------------------------
// The entitlement key and the operator commands, with real processes
// ---------------------------------------------------------------------------------------

fn prague_month(unix: i64) -> String {
    coffer_server::billing::Catalog::default_catalog()
        .calendar
        .month_of(unix)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_grant_show_and_expire_plans_and_run_jobs_while_serve_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve_with(&Backend::Local, dir.path(), &[("COFFER_PLANS_FILE", "")]);
    let anon = Client::new(&server.url);
    let key: EntitlementKey = anon.get(routes::ENTITLEMENT_KEY).await.ok();
    let (client, _, email) = anon.new_account("laptop").await;
    let month = prague_month(time::OffsetDateTime::now_utc().unix_timestamp());
    for _ in 0..5 {
        client.push_ok(KindClass::Receipt, &month).await;
    }
    let (_, refused) = client.push(KindClass::Receipt, &month).await;
    assert_eq!(refused.error().code, ErrorCode::PlanLimitReached);

    let granted = grant_plus(dir.path(), &email, &[]);
    assert!(granted.contains("granted plus"), "{granted}");
    let sixth = client.push_ok(KindClass::Receipt, &month).await;
    // The grant is in the payment history, paid by nobody; it takes no invoice number.
    let history: BillingHistory = client.get(routes::BILLING_HISTORY).await.ok();
    assert_eq!(history.payments.len(), 1, "{history:?}");
    assert_eq!(
        (
            history.payments[0].provider,
            history.payments[0].amount.amount_minor
        ),
        (PaymentProvider::Admin, 0)
    );
    assert!(history.invoices.is_empty(), "{history:?}");
    let shown = cli(dir.path(), &["admin", "account", "show", &email], &[]);
    assert!(shown.contains("plan: plus"), "{shown}");
    assert!(
        shown.contains("period_end: 2099-12-31T23:00:00Z"),
        "{shown}"
    );

    cli(dir.path(), &["admin", "plan", "expire", &email], &[]);
    let shown = cli(dir.path(), &["admin", "account", "show", &email], &[]);
    assert!(shown.contains("plan: start"), "{shown}");
    assert!(shown.contains(&format!("locked_item: {sixth}")), "{shown}");
    let read = client.get(&routes::item(sixth)).await;
    assert_eq!(read.error().code, ErrorCode::ItemLocked);

    // The signing key is stable across a restart.
    server.restart();
    let anon = Client::new(&server.url);
    let again: EntitlementKey = anon.get(routes::ENTITLEMENT_KEY).await.ok();
    assert_eq!(again, key);
    let (client, _) = anon.login(&email, PASSWORD, "laptop").await;
    let e = entitlement(&client).await;
    assert_eq!(e.locked, vec![sixth]);

    // Nothing is purged before 60 days, all of it after.
    let now = time::OffsetDateTime::now_utc();
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let early = cli(
        dir.path(),
        &["jobs", "run", "--now", &fmt(now + time::Duration::days(59))],
        &[],
    );
    assert!(early.contains("purged_items: 0"), "{early}");
    let late = cli(
        dir.path(),
        &["jobs", "run", "--now", &fmt(now + time::Duration::days(61))],
        &[],
    );
    assert!(late.contains("purged_items: 1"), "{late}");
    // The fake time also expired the session: log in again.
    let (client, _) = anon.login(&email, PASSWORD, "laptop").await;
    let (items, _) = client.pull_all(0).await;
    assert!(items.iter().find(|i| i.id == sixth).unwrap().deleted);
    assert!(entitlement(&client).await.locked.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entitlement_signed_by_another_server_is_rejected() {
    let s = stand(None, "2026-02-01T10:00:00Z").await;
    let other = stand(None, "2026-02-01T10:00:00Z").await;
    let (client, _, _) = s.account().await;
    let signed: SignedEntitlement = client.get(routes::ENTITLEMENT).await.ok();
    let other_key: EntitlementKey = other.anon.get(routes::ENTITLEMENT_KEY).await.ok();
    assert_eq!(signed.verify(&other_key), Err(EntitlementError::UnknownKey));
    let catalog: PlanCatalog = s.anon.get(routes::PLANS).await.ok();
    assert_eq!(catalog.free_plan, "start");
    assert_eq!(catalog.time_zone, "Europe/Prague");
    assert_eq!(catalog.grace_days, 60);
}

async fn an_upgrade_paid_after_a_renewal_or_a_downgrade_buys_nothing(
    db: Option<String>,
    _dir: &std::path::Path,
) {
    let s = stand(db, "2026-04-01T08:00:00Z").await;
    let (client, _, email) = s.account().await;
    s.buy_with_comgate(&client, "plus", BillingInterval::Month)
        .await;
    // Priced on 21 April for the rest of April; its payment page expires with April.
    s.advance_to(unix("2026-04-21T08:00:00Z"));
    let client = s.login(&email).await;
    let late: CheckoutResponse = checkout(
        &client,
        "business",
        BillingInterval::Month,
        PriceCurrency::Czk,
    )
    .await
    .ok();
    assert_eq!(late.kind, PaymentKind::Upgrade);
    {
        let state = s.comgate.lock().unwrap();
        let (_, form) = state.calls.last().unwrap();
        let (_, expires) = form.iter().find(|(k, _)| k == "expirationTime").unwrap();
        let minutes: i64 = expires.trim_end_matches('m').parse().unwrap();
        assert!(
            minutes <= 10 * DAY / 60,
            "not past the period end: {form:?}"
        );
    }
    // The period renews first (charged against the first payment) ...
    s.advance_to(unix("2026-05-01T08:00:00Z"));
    assert_eq!(s.jobs().await.renewed, 1);
    // ... then the upgrade's payment is confirmed: it bought the rest of April, which is over.
    s.pay_with_comgate(&late).await;
    let client = s.login(&email).await;
    let e = entitlement(&client).await;
    assert_eq!(
        e.plan, "plus",
        "no business month for a third of the difference"
    );
    assert_eq!(e.period_end, Some(unix("2026-06-01T08:00:00Z")));
    let history: BillingHistory = client.get(routes::BILLING_HISTORY).await.ok();
    let refused = history
        .payments
        .iter()
        .find(|p| p.id == late.payment_id)
        .unwrap();
    assert_eq!(refused.status, PaymentStatus::Refused);
    assert!(
        history
            .invoices
            .iter()
            .all(|i| i.payment_id != late.payment_id)
    );
    // Confirmed again, still nothing.
    s.pay_with_comgate(&late).await;
    assert_eq!(entitlement(&client).await.plan, "plus");

    // After a downgrade the same: a late payment does not start a whole new period.
    let late: CheckoutResponse = checkout(
        &client,
        "business",
        BillingInterval::Month,
        PriceCurrency::Czk,
    )
    .await
    .ok();
    s.server
        .app
        .downgrade(
            e.account_id,
            coffer_server::billing::DowngradeReason::PaymentFailed,
        )
        .await
        .unwrap();
    s.pay_with_comgate(&late).await;
    let e = entitlement(&client).await;
    assert_eq!((e.plan.as_str(), e.period_end), ("start", None));
    // An upgrade within its period still works.
    s.buy_with_comgate(&client, "plus", BillingInterval::Month)
        .await;
    s.advance_to(s.now() + 5 * DAY);
    let client = s.login(&email).await;
    s.buy_with_comgate(&client, "business", BillingInterval::Month)
        .await;
    assert_eq!(entitlement(&client).await.plan, "business");
}

/// A real `coffer-server serve` whose Stripe is the stand-in, crashing (abort) at `crash_at`.
fn stripe_server(
    backend: &Backend,
    dir: &std::path::Path,
    providers: &str,
    crash_at: Option<&str>,
) -> ServerProcess {
    let mut env = vec![
        ("COFFER_STRIPE_SECRET_KEY", "sk_test_123"),
        ("COFFER_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("COFFER_STRIPE_API_BASE", providers),
        ("COFFER_PLANS_FILE", ""),
    ];
    if let Some(point) = crash_at {
        env.push(("COFFER_CRASH_AT", point));
    }
    serve_with(backend, dir, &env)
}

/// Kills the server in the unit of work of a webhook, after its effect and the event's
/// de-duplication row were written but before they committed: after the restart the
/// provider's retry is applied, once, and a third delivery changes nothing.
async fn a_crash_between_a_webhooks_effect_and_its_commit_neither_loses_nor_doubles_it(
    backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let (providers, _, _) = provider_stand_in().await;
    let mut server = stripe_server(
        &backend,
        dir.path(),
        &providers,
        Some("stripe-webhook-before-commit"),
    );
    let anon = Client::new(&server.url);
    let (client, _, email) = anon.new_account("laptop").await;
    let checkout: CheckoutResponse =
        checkout(&client, "plus", BillingInterval::Month, PriceCurrency::Eur)
            .await
            .ok();
    let session = checkout.redirect_url.rsplit('/').next().unwrap().to_owned();
    let event = serde_json::to_vec(&serde_json::json!({
        "id": "evt_crash_1", "type": "checkout.session.completed",
        "data": {"object": {"id": session, "client_reference_id": checkout.payment_id.to_string(),
            "payment_status": "paid", "subscription": "sub_crash", "customer": "cus_1"}}
    }))
    .unwrap();
    let deliver = |url: String, event: Vec<u8>| async move {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        reqwest::Client::new()
            .post(format!("{url}{}", routes::STRIPE_WEBHOOK))
            .header(
                "stripe-signature",
                stripe_signature(WEBHOOK_SECRET, now, &event),
            )
            .header("content-type", "application/json")
            .body(event)
            .send()
            .await
    };
    assert!(
        deliver(server.url.clone(), event.clone()).await.is_err(),
        "the server died in the webhook"
    );
    server.without_env("COFFER_CRASH_AT");
    server.restart();
    let anon = Client::new(&server.url);
    let client = anon.login(&email, PASSWORD, "laptop").await.0;
    // Neither the effect nor the event id survived the crash.
    assert_eq!(entitlement(&client).await.plan, "start");
    let history: BillingHistory = client.get(routes::BILLING_HISTORY).await.ok();
    assert_eq!(history.payments[0].status, PaymentStatus::Pending);
    // Stripe retries: applied now, and once.
    for _ in 0..2 {
        let answer = deliver(server.url.clone(), event.clone()).await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }
    assert_eq!(entitlement(&client).await.plan, "plus");
    let history: BillingHistory = client.get(routes::BILLING_HISTORY).await.ok();
    assert_eq!(history.payments.len(), 1);
    assert_eq!(history.payments[0].status, PaymentStatus::Paid);
    assert_eq!(history.invoices.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_a_webhooks_effect_and_its_commit_on_sqlite() {
    a_crash_between_a_webhooks_effect_and_its_commit_neither_loses_nor_doubles_it(Backend::Local)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_a_webhooks_effect_and_its_commit_on_postgres() {
    let Some(backend) = Backend::postgres_s3("webhook_crash").await else {
        return;
    };
    a_crash_between_a_webhooks_effect_and_its_commit_neither_loses_nor_doubles_it(backend).await;
}
