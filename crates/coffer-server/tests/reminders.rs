//! Opt-in e-mail reminders (SPEC §7): registered with ids and dates only, on paid plans only,
//! mailed once on their date through the outbox, paused by a downgrade. Time moves on an
//! injected clock (in process) or with `jobs run --now` (real processes); e-mail goes to the
//! real SMTP sink when `scripts/with-test-services.sh` runs one.

#[macro_use]
mod support;

use coffer_api::*;
use reqwest::{Method, StatusCode};
use sqlx::{Column, Row};
use std::path::Path;
use support::*;
use uuid::Uuid;

on_both_databases!(
    registration_is_refused_on_start_with_a_structured_error,
    registration_is_accepted_on_plus_and_repeating_the_set_changes_nothing,
    a_reminder_is_mailed_to_the_sink_on_its_date_and_only_once,
    the_server_stores_only_ids_and_dates_never_what_the_document_is,
    reminders_stop_at_once_after_a_downgrade_and_resume_after_a_renewal,
    another_account_can_neither_list_nor_delete_them,
    account_deletion_removes_reminders_and_the_export_lists_them,
);

const DAY: i64 = 86_400;
/// What the client knows about the document and must never reach the server.
const SECRETS: [&str; 3] = ["Kettle warranty", "warranty", "Alza"];

fn at(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

fn date(s: &str) -> time::Date {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
}

fn reminder(deadline: &str, days_before: u32, language: Language) -> ReminderWrite {
    ReminderWrite {
        id: Uuid::new_v4(),
        date: date(deadline),
        days_before,
        language,
    }
}

async fn put(client: &Client, reminders: &[ReminderWrite]) -> Answer {
    let set = ReminderSet {
        reminders: reminders.to_vec(),
    };
    client
        .send_json(Method::PUT, routes::REMINDERS, &[], &set)
        .await
}

async fn list(client: &Client) -> ReminderList {
    client.get(routes::REMINDERS).await.ok()
}

struct Stand {
    server: InProcessServer,
    anon: Client,
    db: Option<String>,
    dir: std::path::PathBuf,
}

/// An in-process server enforcing the default plans, its clock at `now`.
async fn stand(db: Option<String>, dir: &Path, now: &str) -> Stand {
    let server = InProcessServer::start_with(
        dir,
        InProcessOptions {
            plans: true,
            database_url: db.clone(),
            smtp_url: std::env::var("COFFER_TEST_SMTP_URL").ok(),
            ..Default::default()
        },
    )
    .await;
    server.clock.set(at(now));
    Stand {
        anon: Client::new(&server.url),
        server,
        db,
        dir: dir.to_owned(),
    }
}

impl Stand {
    fn now(&self) -> i64 {
        use coffer_server::clock::Clock;
        self.server.clock.unix()
    }

    fn advance_to(&self, now: &str) {
        self.server.clock.set(at(now));
    }

    async fn jobs(&self) -> coffer_server::billing::JobReport {
        self.server.app.run_jobs().await.unwrap()
    }

    /// A new account on `start`: its session, id and address.
    async fn account(&self) -> (Client, Uuid, String) {
        let (client, session, email) = self.anon.new_unverified_account("laptop").await;
        // Delivery fails in some of these tests: support verifies the address by hand.
        self.server.app.admin_verify_email(&email).await.unwrap();
        (client, session.account_id, email)
    }

    /// A new account on `plus` for 90 days.
    async fn plus_account(&self) -> (Client, Uuid, String) {
        let (client, account, email) = self.account().await;
        self.grant_plus(account).await;
        (client, account, email)
    }

    async fn grant_plus(&self, account: Uuid) {
        self.server
            .app
            .grant_plan(account, "plus", self.now() + 90 * DAY)
            .await
            .unwrap();
    }

    /// A fresh session (moving the clock expires access tokens).
    async fn login(&self, email: &str) -> Client {
        self.anon.login(email, PASSWORD, "laptop").await.0
    }

    /// Every row of `table` as `column=value` pairs, straight from the database.
    async fn rows(&self, table: &str) -> Vec<Vec<(String, String)>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT * FROM {table}"));
        match &self.db {
            Some(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                named_cells(&sqlx::query(sql).fetch_all(&pool).await.unwrap())
            }
            None => {
                let url = format!("sqlite://{}", self.dir.join("coffer.db").display());
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                named_cells(&sqlx::query(sql).fetch_all(&pool).await.unwrap())
            }
        }
    }
}

fn named_cells<R: Row>(rows: &[R]) -> Vec<Vec<(String, String)>>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter()
        .map(|row| {
            row.columns()
                .iter()
                .map(|c| (c.name().to_owned(), cell(row, c.ordinal())))
                .collect()
        })
        .collect()
}

/// One database cell as text, whatever its type.
fn cell<R: Row>(row: &R, i: usize) -> String
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return v.unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    panic!("column {i} is of an unexpected type")
}

/// The mail the sink received for `email`, bodies decoded from quoted-printable.
fn mail_for(email: &str) -> Option<Vec<String>> {
    Some(
        coffer_testkit::maildir::messages()?
            .into_iter()
            .filter(|m| m.contains(email))
            .map(|m| decode_quoted_printable(&m))
            .collect(),
    )
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn no_sink() {
    eprintln!("note: no SMTP sink (run through scripts/with-test-services.sh); mail not read");
}

// ---------------------------------------------------------------------------------------

async fn registration_is_refused_on_start_with_a_structured_error(db: Option<String>, dir: &Path) {
    let s = stand(db, dir, "2026-11-02T10:00:00Z").await;
    let (client, _, _) = s.account().await;
    let answer = put(&client, &[reminder("2026-12-10", 30, Language::En)]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let error = answer.error();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(error.message.contains("Start"), "{}", error.message);
    let listed = list(&client).await;
    assert!(listed.reminders.is_empty() && !listed.active);
    // Opting out (an empty set, or DELETE) works on every plan.
    let _: ReminderList = put(&client, &[]).await.ok();
    let gone = client.delete(routes::REMINDERS).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
}

async fn registration_is_accepted_on_plus_and_repeating_the_set_changes_nothing(
    db: Option<String>,
    dir: &Path,
) {
    let s = stand(db, dir, "2026-11-02T10:00:00Z").await;
    let (client, _, email) = s.plus_account().await;
    let a = reminder("2026-12-10", 30, Language::En);
    let b = reminder("2027-06-30", 7, Language::Cs);
    let stored: ReminderList = put(&client, &[a, b]).await.ok();
    assert!(stored.active);
    assert_eq!(stored.max_reminders as usize, MAX_REMINDERS);
    assert_eq!(
        stored.reminders.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![a.id, b.id]
    );
    // 08:00 on the send date in Prague: 07:00 UTC in winter, 06:00 UTC in summer.
    assert_eq!(
        stored.reminders[0].send_at,
        at("2026-11-10T07:00:00Z").unix_timestamp()
    );
    assert_eq!(
        stored.reminders[1].send_at,
        at("2027-06-23T06:00:00Z").unix_timestamp()
    );
    assert!(stored.reminders.iter().all(|r| r.sent_at.is_none()));
    // The same set again: nothing changes (re-sync from any device is safe).
    let again: ReminderList = put(&client, &[a, b]).await.ok();
    assert_eq!(again, stored);
    assert_eq!(list(&client).await, stored);

    // After `a` was sent and its send date passed, repeating it is still fine and it stays
    // sent; moving it to a past send date is refused.
    s.advance_to("2026-11-10T08:00:00Z");
    assert_eq!(s.jobs().await.reminders, 1);
    s.advance_to("2026-11-20T08:00:00Z");
    let client = s.login(&email).await;
    let again: ReminderList = put(&client, &[a, b]).await.ok();
    assert!(again.reminders[0].sent_at.is_some());
    assert_eq!(s.jobs().await.reminders, 0);
    let moved = ReminderWrite {
        days_before: 29,
        ..a
    };
    let refused = put(&client, &[moved, b]).await.error();
    assert_eq!(
        (refused.code, refused.reminder_id),
        (ErrorCode::InvalidField, Some(a.id))
    );
    // Leaving one out of the set deletes it.
    let fewer: ReminderList = put(&client, &[b]).await.ok();
    assert_eq!(fewer.reminders.len(), 1);
    assert_eq!(fewer.reminders[0].id, b.id);
}

async fn a_reminder_is_mailed_to_the_sink_on_its_date_and_only_once(
    db: Option<String>,
    dir: &Path,
) {
    let s = stand(db, dir, "2026-11-02T10:00:00Z").await;
    let (client, _, email) = s.plus_account().await;
    let en = reminder("2026-12-10", 30, Language::En);
    let cs = reminder("2026-12-10", 7, Language::Cs);
    let _: ReminderList = put(&client, &[en, cs]).await.ok();
    let sink = std::env::var("COFFER_TEST_SMTP_URL").is_ok();

    // Not before 08:00 Prague time on the send date.
    s.advance_to("2026-11-10T06:59:00Z");
    assert_eq!(s.jobs().await.reminders, 0);
    s.advance_to("2026-11-10T07:10:00Z");
    let report = s.jobs().await;
    assert_eq!(report.reminders, 1);
    if sink {
        assert_eq!(report.mails_sent, 1, "{report:?}");
    }
    // Once: later runs, and a re-sync of the same set, send nothing more.
    assert_eq!(s.jobs().await.reminders, 0);
    let client = s.login(&email).await;
    let listed: ReminderList = put(&client, &[en, cs]).await.ok();
    let sent = listed.reminders.iter().find(|r| r.id == en.id).unwrap();
    assert!(sent.sent_at.is_some());
    s.advance_to("2026-11-11T07:10:00Z");
    let report = s.jobs().await;
    assert_eq!((report.reminders, report.mails_sent), (0, 0));

    s.advance_to("2026-12-03T07:10:00Z");
    assert_eq!(s.jobs().await.reminders, 1);
    assert_eq!(s.jobs().await.reminders, 0);

    let Some(mail) = mail_for(&email) else {
        return no_sink();
    };
    let count = |text: &str| mail.iter().filter(|m| m.contains(text)).count();
    let english = "A document in your Coffer vault has a deadline on 2026-12-10 (in 30 days).";
    let czech = "Dokument ve vašem trezoru Coffer má termín 10. 12. 2026 (za 7 dní).";
    assert_eq!((count(english), count(czech)), (1, 1), "{mail:#?}");
}

async fn the_server_stores_only_ids_and_dates_never_what_the_document_is(
    db: Option<String>,
    dir: &Path,
) {
    let s = stand(db, dir, "2026-11-02T10:00:00Z").await;
    let (client, account, email) = s.plus_account().await;
    // A client that tries to say what the document is gets refused, and nothing is stored.
    let leaky = serde_json::json!({"reminders": [{
        "id": Uuid::new_v4(), "date": "2026-12-10", "days_before": 30, "language": "en",
        "title": SECRETS[0], "kind": SECRETS[1], "merchant": SECRETS[2], "amount": 1299}]});
    let refused = client
        .send_json(Method::PUT, routes::REMINDERS, &[], &leaky)
        .await;
    assert_eq!(refused.error().code, ErrorCode::MalformedRequest);
    assert!(list(&client).await.reminders.is_empty());

    let r = reminder("2026-12-10", 30, Language::En);
    let _: ReminderList = put(&client, &[r]).await.ok();
    s.advance_to("2026-11-10T07:10:00Z");
    assert_eq!(s.jobs().await.reminders, 1);

    let rows = s.rows("reminders").await;
    assert_eq!(rows.len(), 1);
    let columns: Vec<&str> = rows[0].iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        columns,
        [
            "account_id",
            "id",
            "deadline",
            "days_before",
            "language",
            "send_at",
            "until_at",
            "sent_at",
            "batch",
            "updated_at"
        ]
    );
    let value = |c: &str| rows[0].iter().find(|(n, _)| n == c).unwrap().1.clone();
    assert_eq!(value("account_id"), account.to_string());
    assert_eq!(value("id"), r.id.to_string());
    assert_eq!(value("deadline"), "2026-12-10");
    assert_eq!(value("days_before"), "30");
    // The queued e-mail holds the template, the date and the days left.
    let outbox: Vec<_> = s
        .rows("mail_outbox")
        .await
        .into_iter()
        .filter(|row| row.iter().any(|(c, v)| c == "template" && v == "reminder"))
        .collect();
    assert_eq!(outbox.len(), 1);
    let params = &outbox[0].iter().find(|(c, _)| c == "params").unwrap().1;
    let params: serde_json::Value = serde_json::from_str(params).unwrap();
    let mut keys: Vec<_> = params.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["days_left", "deadline", "template"]);
    for row in s.rows("reminders").await.iter().chain(&outbox) {
        for (_, v) in row {
            for secret in SECRETS {
                assert!(!v.contains(secret), "{secret:?} stored in {row:?}");
            }
        }
    }
    if let Some(mail) = mail_for(&email) {
        assert!(mail.iter().all(|m| SECRETS.iter().all(|x| !m.contains(x))));
    }
}

async fn reminders_stop_at_once_after_a_downgrade_and_resume_after_a_renewal(
    db: Option<String>,
    dir: &Path,
) {
    let s = stand(db, dir, "2026-11-02T10:00:00Z").await;
    let (client, account, email) = s.plus_account().await;
    // Send dates 2026-11-10, 2026-11-25 and 2026-12-20.
    let first = reminder("2026-11-17", 7, Language::En);
    let second = reminder("2026-12-25", 30, Language::En);
    let third = reminder("2026-12-27", 7, Language::En);
    let _: ReminderList = put(&client, &[first, second, third]).await.ok();

    s.advance_to("2026-11-03T10:00:00Z");
    s.server
        .app
        .downgrade(
            account,
            coffer_server::billing::DowngradeReason::PaymentFailed,
        )
        .await
        .unwrap();
    s.advance_to("2026-11-10T09:00:00Z");
    assert_eq!(s.jobs().await.reminders, 0);
    let client = s.login(&email).await;
    let paused = list(&client).await;
    assert!(!paused.active);
    assert_eq!(paused.reminders.len(), 3);
    assert!(paused.reminders.iter().all(|r| r.sent_at.is_none()));
    // No new registrations, not even the same set; opting out still works.
    let refused = put(&client, &[first, second, third]).await.error();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    let gone = client.delete(&routes::reminder(third.id)).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);

    // Renewed while the first deadline is still ahead: it goes out late, once; the second
    // at its own date.
    s.advance_to("2026-11-12T10:00:00Z");
    s.grant_plus(account).await;
    assert_eq!(s.jobs().await.reminders, 1);
    s.advance_to("2026-11-25T07:10:00Z");
    assert_eq!(s.jobs().await.reminders, 1);
    let client = s.login(&email).await;
    let resumed = list(&client).await;
    assert!(resumed.active);
    assert!(resumed.reminders.iter().all(|r| r.sent_at.is_some()));
    if let Some(mail) = mail_for(&email) {
        let reminders = mail.iter().filter(|m| m.contains("has a deadline on"));
        assert_eq!(reminders.count(), 2, "{mail:#?}");
        assert!(mail.iter().any(|m| m.contains("2026-11-17 (in 5 days)")));
    }
}

async fn another_account_can_neither_list_nor_delete_them(db: Option<String>, dir: &Path) {
    let s = stand(db, dir, "2026-11-02T10:00:00Z").await;
    let (alice, _, _) = s.plus_account().await;
    let (mallory, _, _) = s.plus_account().await;
    let r = reminder("2026-12-10", 30, Language::En);
    let _: ReminderList = put(&alice, &[r]).await.ok();

    assert!(list(&mallory).await.reminders.is_empty());
    let answer = mallory.delete(&routes::reminder(r.id)).await;
    assert_eq!(answer.error().code, ErrorCode::NotFound);
    // The same id in another account is that account's own reminder.
    let other = ReminderWrite {
        date: date("2027-01-31"),
        ..r
    };
    let _: ReminderList = put(&mallory, &[other]).await.ok();
    let cleared = mallory.delete(routes::REMINDERS).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    let mine = list(&alice).await;
    assert_eq!(mine.reminders.len(), 1);
    assert_eq!(mine.reminders[0].date, r.date);
    let anonymous = s.anon.get(routes::REMINDERS).await;
    assert_eq!(anonymous.error().code, ErrorCode::InvalidToken);
}

async fn account_deletion_removes_reminders_and_the_export_lists_them(
    db: Option<String>,
    dir: &Path,
) {
    let s = stand(db, dir, "2026-11-02T10:00:00Z").await;
    let (client, account, email) = s.plus_account().await;
    let (other, _, _) = s.plus_account().await;
    let mine = [
        reminder("2026-12-10", 30, Language::En),
        reminder("2027-03-01", 7, Language::Cs),
    ];
    let _: ReminderList = put(&client, &mine).await.ok();
    let _: ReminderList = put(&other, &[reminder("2026-12-10", 0, Language::En)])
        .await
        .ok();

    let client = client.stepped_up(PASSWORD, None).await;
    let export = client.get(routes::ACCOUNT_EXPORT).await;
    assert_eq!(export.status, StatusCode::OK);
    let mut archive = tar::Archive::new(export.body.as_slice());
    let manifest: serde_json::Value = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.path().unwrap().to_str() == Some("manifest.json"))
        .map(|e| serde_json::from_reader(e).unwrap())
        .unwrap();
    let exported: Vec<Reminder> = serde_json::from_value(manifest["reminders"].clone()).unwrap();
    assert_eq!(
        exported.iter().map(|r| r.id).collect::<Vec<_>>(),
        mine.iter().map(|r| r.id).collect::<Vec<_>>()
    );

    let deleted = client.delete_account(&email).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let rows = s.rows("reminders").await;
    assert_eq!(rows.len(), 1, "only the other account's reminder is left");
    assert!(
        rows[0]
            .iter()
            .all(|(c, v)| c != "account_id" || *v != account.to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_past_far_and_too_many_reminders_get_structured_4xx_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = stand(None, dir.path(), "2026-11-02T10:00:00Z").await;
    let (client, _, _) = s.plus_account().await;
    let kept = reminder("2026-12-10", 30, Language::En);
    let _: ReminderList = put(&client, &[kept]).await.ok();

    let raw = |body: &'static str| {
        let client = client.clone();
        async move {
            client
                .request(
                    Method::PUT,
                    routes::REMINDERS,
                    &[],
                    Some(body.as_bytes().to_vec()),
                    "application/json",
                )
                .await
        }
    };
    for body in [
        "{not json",
        r#"{"reminders": [{"id": "not-a-uuid", "date": "2026-12-10", "days_before": 1, "language": "en"}]}"#,
        r#"{"reminders": [{"id": "6f1c1b3e-8d2a-4c1e-9f57-0a1b2c3d4e5f", "date": "2026-02-30", "days_before": 1, "language": "en"}]}"#,
        r#"{"reminders": [{"id": "6f1c1b3e-8d2a-4c1e-9f57-0a1b2c3d4e5f", "date": "10.12.2026", "days_before": 1, "language": "en"}]}"#,
        r#"{"reminders": [{"id": "6f1c1b3e-8d2a-4c1e-9f57-0a1b2c3d4e5f", "date": "2026-12-10", "days_before": -1, "language": "en"}]}"#,
        r#"{"reminders": [{"id": "6f1c1b3e-8d2a-4c1e-9f57-0a1b2c3d4e5f", "date": "2026-12-10", "days_before": 1, "language": "de"}]}"#,
        r#"{"reminders": [{"id": "6f1c1b3e-8d2a-4c1e-9f57-0a1b2c3d4e5f", "date": "2026-12-10", "days_before": 1}]}"#,
    ] {
        let answer = raw(body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.error().code, ErrorCode::MalformedRequest, "{body}");
    }

    let past = reminder("2026-11-05", 7, Language::En);
    let far = reminder("2036-12-31", 0, Language::En);
    let long_lead = reminder("2027-01-01", MAX_REMINDER_LEAD_DAYS + 1, Language::En);
    for bad in [past, far, long_lead] {
        let error = put(&client, &[kept, bad]).await.error();
        assert_eq!(error.code, ErrorCode::InvalidField, "{}", error.message);
        assert_eq!(error.reminder_id, Some(bad.id), "{}", error.message);
    }
    // Yesterday's send date is still taken (a client west of Prague may be a day behind).
    let yesterday = reminder("2026-11-08", 7, Language::En);
    let _: ReminderList = put(&client, &[kept, yesterday]).await.ok();
    let twice = put(&client, &[kept, kept]).await.error();
    assert_eq!(
        (twice.code, twice.reminder_id),
        (ErrorCode::InvalidField, Some(kept.id))
    );
    let many: Vec<_> = (0..=MAX_REMINDERS)
        .map(|_| reminder("2026-12-10", 30, Language::En))
        .collect();
    let answer = put(&client, &many).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error().code, ErrorCode::TooManyReminders);
    // A refused set stores nothing.
    let listed = list(&client).await;
    assert_eq!(
        listed.reminders.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![yesterday.id, kept.id]
    );
    let not_an_id = client.delete("/v1/reminders/xyz").await;
    assert_eq!(not_an_id.error().code, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_still_in_the_outbox_when_the_plan_ends_is_dropped_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: every delivery fails and stays queued for a retry.
    let server = InProcessServer::start_with(
        dir.path(),
        InProcessOptions {
            plans: true,
            smtp_url: Some("smtp://127.0.0.1:1".into()),
            ..Default::default()
        },
    )
    .await;
    server.clock.set(at("2026-11-02T10:00:00Z"));
    let s = Stand {
        anon: Client::new(&server.url),
        server,
        db: None,
        dir: dir.path().to_owned(),
    };
    let (client, account, _) = s.plus_account().await;
    let _: ReminderList = put(&client, &[reminder("2026-12-10", 30, Language::En)])
        .await
        .ok();
    s.advance_to("2026-11-10T07:10:00Z");
    let report = s.jobs().await;
    // The plan-activated notice and the reminder.
    assert_eq!((report.reminders, report.mails_failed), (1, 2));
    s.server
        .app
        .downgrade(account, coffer_server::billing::DowngradeReason::Expired)
        .await
        .unwrap();
    s.advance_to("2026-11-10T09:00:00Z");
    let report = s.jobs().await;
    // The two plan notices are tried again; the reminder is not.
    assert_eq!((report.mails_sent, report.mails_failed), (0, 2));
}

/// `jobs run --now` against the storage of a running `serve`, as operators and cron do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_now_mails_a_due_reminder_once_while_serve_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(&Backend::Local, dir.path(), &[("COFFER_PLANS_FILE", "")]);
    let anon = Client::new(&server.url);
    let (client, _, email) = anon.new_account("laptop").await;
    let smtp = std::env::var("COFFER_TEST_SMTP_URL").ok();
    let env: Vec<(&str, &str)> = smtp
        .as_deref()
        .map(|u| vec![("COFFER_SMTP_URL", u), ("COFFER_PLANS_FILE", "")])
        .unwrap_or_else(|| vec![("COFFER_PLANS_FILE", "")]);
    let refused = put(&client, &[reminder("2099-01-01", 0, Language::En)]).await;
    assert_eq!(refused.error().code, ErrorCode::Forbidden);
    grant_plus(dir.path(), &email, &env);
    let calendar = coffer_server::billing::Catalog::default_catalog().calendar;
    let today = calendar.date_of(time::OffsetDateTime::now_utc().unix_timestamp());
    let deadline = today.checked_add(jiff::ToSpan::days(40)).unwrap();
    let r = reminder(&deadline.to_string(), 30, Language::En);
    let _: ReminderList = put(&client, &[r]).await.ok();

    let send_on = today.checked_add(jiff::ToSpan::days(10)).unwrap();
    let when = |hour: i8| {
        let t = calendar.at_hour(send_on, hour);
        time::OffsetDateTime::from_unix_timestamp(t)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let early = cli(dir.path(), &["jobs", "run", "--now", &when(7)], &env);
    assert!(early.contains("reminders: 0"), "{early}");
    let due = cli(dir.path(), &["jobs", "run", "--now", &when(9)], &env);
    assert!(due.contains("reminders: 1"), "{due}");
    let again = cli(dir.path(), &["jobs", "run", "--now", &when(10)], &env);
    assert!(again.contains("reminders: 0"), "{again}");
    match mail_for(&email) {
        Some(mail) => {
            assert!(due.contains("mails_sent: 1"), "{due}");
            let text = format!("has a deadline on {deadline} (in 30 days)");
            assert_eq!(mail.iter().filter(|m| m.contains(&text)).count(), 1);
        }
        None => no_sink(),
    }
}
