//! E-mail: notices are queued in the database in the unit of work of what they announce (once
//! per dedupe key) and delivered over SMTP by the jobs, with retries and back-off, in Czech or
//! English; those a person waits for (a verification code, a security alert) are also sent at
//! once after the commit. Templates carry plan names, dates, counts and codes only, never
//! anything about a document (a reminder names only a date).

use crate::app::App;
use crate::billing::{Catalog, DowngradeReason, load_state};
use crate::error::{ApiError, ApiResult};
use crate::storage::outbox::{self, MailRecord};
use crate::storage::{Conn, accounts, events};
use anyhow::Context as _;
use coffer_api::{Language, SecurityEventKind};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

const BATCH: u32 = 100;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;
/// A mail sent at once is left to the jobs for this long first, so they do not send it too.
const SEND_SOON_SECS: i64 = 120;
pub(crate) const VERIFY_EMAIL_TEMPLATE: &str = "verify_email";

/// What an e-mail says. Plan and data-loss notices are essential, so none can be switched
/// off; reminders are opt-in (the client registers them, and deletes them to opt out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Notice {
    PlanActivated {
        plan: String,
        period_end: i64,
    },
    PlanCancelled {
        plan: String,
        period_end: i64,
    },
    Downgraded {
        reason: DowngradeReason,
        locked: u32,
        purge_at: Option<i64>,
    },
    PurgeWarning {
        locked: u32,
        purge_at: i64,
    },
    Purged {
        count: u32,
    },
    /// "A document in your vault has a deadline on DATE": the server knows nothing else.
    Reminder {
        /// An instant on the deadline day (billing time zone).
        deadline: i64,
        days_left: u32,
    },
    /// The code that verifies the address.
    VerifyEmail {
        code: String,
    },
    /// Someone registered again with an address that has an account.
    RegistrationAttempt,
    /// An account change or a sign that someone else has access.
    SecurityAlert {
        event: SecurityEventKind,
        device: Option<String>,
    },
    /// The account was deleted.
    AccountDeleted,
    /// An upgrade was paid after the period it was priced for had changed: it bought nothing.
    UpgradeRefused {
        plan: String,
    },
}

impl Notice {
    fn template(&self) -> &'static str {
        match self {
            Notice::PlanActivated { .. } => "plan_activated",
            Notice::PlanCancelled { .. } => "plan_cancelled",
            Notice::Downgraded { .. } => "downgraded",
            Notice::PurgeWarning { .. } => "purge_warning",
            Notice::Purged { .. } => "purged",
            Notice::Reminder { .. } => "reminder",
            Notice::VerifyEmail { .. } => VERIFY_EMAIL_TEMPLATE,
            Notice::RegistrationAttempt => "registration_attempt",
            Notice::SecurityAlert { .. } => "security_alert",
            Notice::AccountDeleted => "account_deleted",
            Notice::UpgradeRefused { .. } => "upgrade_refused",
        }
    }

    /// Sent at once as well as by the jobs: a person is waiting for it, or should know now.
    fn urgent(&self) -> bool {
        matches!(
            self,
            Notice::VerifyEmail { .. }
                | Notice::RegistrationAttempt
                | Notice::SecurityAlert { .. }
                | Notice::AccountDeleted
        )
    }

    /// Subject and plain-text body.
    pub fn render(&self, catalog: &Catalog, language: Language) -> (String, String) {
        let date = |t: i64| catalog.calendar.date_text(t, language);
        let cs = language == Language::Cs;
        match self {
            Notice::PlanActivated { plan, period_end } => {
                if cs {
                    (
                        format!("Coffer: tarif {plan} je aktivní"),
                        format!(
                            "Děkujeme za platbu. Tarif {plan} platí do {}.\n\
                             Uzamčené dokumenty, které ještě nebyly smazány, jsou opět dostupné.",
                            date(*period_end)
                        ),
                    )
                } else {
                    (
                        format!("Coffer: your {plan} plan is active"),
                        format!(
                            "Thank you for your payment. Your {plan} plan runs until {}.\n\
                             Locked documents that were not deleted yet are available again.",
                            date(*period_end)
                        ),
                    )
                }
            }
            Notice::PlanCancelled { plan, period_end } => {
                if cs {
                    (
                        format!("Coffer: tarif {plan} byl zrušen"),
                        format!(
                            "Tarif {plan} zůstává aktivní do {}, poté účet přejde na tarif Start. \
                             Za běžící období se nevrací platba.",
                            date(*period_end)
                        ),
                    )
                } else {
                    (
                        format!("Coffer: your {plan} plan was cancelled"),
                        format!(
                            "Your {plan} plan stays active until {}; then the account moves to \
                             Start. The current period is not refunded.",
                            date(*period_end)
                        ),
                    )
                }
            }
            Notice::Downgraded {
                reason,
                locked,
                purge_at,
            } => {
                let why_cs = match reason {
                    DowngradeReason::Cancelled => "zrušený tarif skončil",
                    DowngradeReason::PaymentFailed => "platba za prodloužení se nezdařila",
                    DowngradeReason::Expired => "tarif vypršel",
                };
                let why_en = match reason {
                    DowngradeReason::Cancelled => "your cancelled plan ended",
                    DowngradeReason::PaymentFailed => "the renewal payment failed",
                    DowngradeReason::Expired => "your plan expired",
                };
                let lock_cs = match purge_at {
                    Some(t) => format!(
                        "{locked} dokumentů nad limit tarifu Start je uzamčeno a {} bude trvale \
                         smazáno. Obnovením placeného tarifu do té doby je odemknete.",
                        date(*t)
                    ),
                    None => "Žádný dokument nebyl uzamčen.".into(),
                };
                let lock_en = match purge_at {
                    Some(t) => format!(
                        "{locked} documents beyond the Start plan's limits are locked and will \
                         be deleted permanently on {}. Renew a paid plan before then to unlock \
                         them.",
                        date(*t)
                    ),
                    None => "No document was locked.".into(),
                };
                if cs {
                    (
                        "Coffer: účet přešel na tarif Start".into(),
                        format!(
                            "Účet přešel na tarif Start, protože {why_cs}. Vzdálené OCR a \
                             e-mailové připomínky jsou vypnuté.\n{lock_cs}"
                        ),
                    )
                } else {
                    (
                        "Coffer: your account moved to the Start plan".into(),
                        format!(
                            "Your account moved to the Start plan because {why_en}. Remote OCR \
                             and e-mail reminders are off.\n{lock_en}"
                        ),
                    )
                }
            }
            Notice::PurgeWarning { locked, purge_at } => {
                if cs {
                    (
                        format!(
                            "Coffer: uzamčené dokumenty budou smazány {}",
                            date(*purge_at)
                        ),
                        format!(
                            "{locked} uzamčených dokumentů bude {} trvale smazáno ze serveru i \
                             ze všech zařízení. Obnovte placený tarif, chcete-li je zachovat.",
                            date(*purge_at)
                        ),
                    )
                } else {
                    (
                        format!(
                            "Coffer: locked documents will be deleted on {}",
                            date(*purge_at)
                        ),
                        format!(
                            "{locked} locked documents will be deleted permanently from the \
                             server and every device on {}. Renew a paid plan to keep them.",
                            date(*purge_at)
                        ),
                    )
                }
            }
            Notice::Purged { count } => {
                if cs {
                    (
                        "Coffer: uzamčené dokumenty byly smazány".into(),
                        format!("{count} uzamčených dokumentů bylo trvale smazáno."),
                    )
                } else {
                    (
                        "Coffer: locked documents were deleted".into(),
                        format!("{count} locked documents were deleted permanently."),
                    )
                }
            }
            Notice::Reminder {
                deadline,
                days_left,
            } => {
                let on = date(*deadline);
                if cs {
                    let when = match days_left {
                        0 => "dnes".to_owned(),
                        1 => "zítra".to_owned(),
                        2..=4 => format!("za {days_left} dny"),
                        _ => format!("za {days_left} dní"),
                    };
                    (
                        format!("Coffer: dokument má termín {on}"),
                        format!(
                            "Dokument ve vašem trezoru Coffer má termín {on} ({when}). Otevřete \
                             Coffer a uvidíte, o který jde.\n\nTento e-mail dostáváte, protože \
                             máte zapnuté e-mailové připomínky; vypnete je v nastavení Cofferu."
                        ),
                    )
                } else {
                    let when = match days_left {
                        0 => "today".to_owned(),
                        1 => "tomorrow".to_owned(),
                        _ => format!("in {days_left} days"),
                    };
                    (
                        format!("Coffer: a document has a deadline on {on}"),
                        format!(
                            "A document in your Coffer vault has a deadline on {on} ({when}). \
                             Open Coffer to see which one.\n\nYou get this e-mail because you \
                             turned on e-mail reminders; turn them off in Coffer's settings."
                        ),
                    )
                }
            }
            Notice::VerifyEmail { code } => {
                if cs {
                    (
                        format!("Coffer: ověřovací kód {code}"),
                        format!(
                            "Váš ověřovací kód pro účet Coffer je {code}.\nZadejte ho v aplikaci \
                             (nebo `coffer account verify-email {code}`). Platí 24 hodin.\n\
                             Pokud jste si účet nezakládali, tento e-mail ignorujte."
                        ),
                    )
                } else {
                    (
                        format!("Coffer: your verification code is {code}"),
                        format!(
                            "Your Coffer verification code is {code}.\nEnter it in the app (or \
                             run `coffer account verify-email {code}`). It is valid for 24 \
                             hours.\nIf you did not create an account, ignore this e-mail."
                        ),
                    )
                }
            }
            Notice::RegistrationAttempt => {
                if cs {
                    (
                        "Coffer: pokus o registraci vaší adresou".into(),
                        "Někdo se pokusil založit účet Coffer s vaší adresou, ale účet už \
                         máte; nic se nezměnilo. Pokud jste to byli vy, přihlaste se svým \
                         heslem."
                            .into(),
                    )
                } else {
                    (
                        "Coffer: someone tried to register with your address".into(),
                        "Someone tried to create a Coffer account with your address, but you \
                         have one already; nothing was changed. If it was you, log in with your \
                         password."
                            .into(),
                    )
                }
            }
            Notice::SecurityAlert { event, device } => {
                let (what_cs, what_en) = alert_text(*event);
                let from = device.as_deref().unwrap_or("-");
                if cs {
                    (
                        format!("Coffer: {what_cs}"),
                        format!(
                            "Na vašem účtu Coffer: {what_cs} (zařízení: {from}).\nPokud jste to \
                             nebyli vy, změňte heslo a odhlaste ostatní zařízení."
                        ),
                    )
                } else {
                    (
                        format!("Coffer: {what_en}"),
                        format!(
                            "On your Coffer account: {what_en} (device: {from}).\nIf this was \
                             not you, change your password and sign the other devices out."
                        ),
                    )
                }
            }
            Notice::AccountDeleted => {
                if cs {
                    (
                        "Coffer: účet byl smazán".into(),
                        "Váš účet Coffer a vše, co pro něj server uchovával, bylo smazáno. \
                         Dokumenty v zařízeních zůstávají."
                            .into(),
                    )
                } else {
                    (
                        "Coffer: your account was deleted".into(),
                        "Your Coffer account and everything the server kept for it were \
                         deleted. The documents on your devices stay."
                            .into(),
                    )
                }
            }
            Notice::UpgradeRefused { plan } => {
                if cs {
                    (
                        format!("Coffer: platba za tarif {plan} nebyla použita"),
                        format!(
                            "Platba za přechod na tarif {plan} dorazila až po změně placeného \
                             období, pro které byla spočtena, a proto nic nezakoupila; bude \
                             vrácena. Přechod na vyšší tarif zahajte znovu."
                        ),
                    )
                } else {
                    (
                        format!("Coffer: the payment for {plan} was not applied"),
                        format!(
                            "The payment for the upgrade to {plan} arrived after the paid \
                             period it was priced for had changed, so it bought nothing and will \
                             be refunded. Start the upgrade again."
                        ),
                    )
                }
            }
        }
    }
}

/// What a security alert says happened (Czech, English).
fn alert_text(event: SecurityEventKind) -> (&'static str, &'static str) {
    use SecurityEventKind::*;
    match event {
        PasswordChanged => ("heslo bylo změněno", "the password was changed"),
        TotpEnabled => (
            "dvoufázové ověření bylo zapnuto",
            "two-factor authentication was turned on",
        ),
        TotpDisabled => (
            "dvoufázové ověření bylo vypnuto",
            "two-factor authentication was turned off",
        ),
        TotpReplaced => (
            "klíč dvoufázového ověření byl nahrazen",
            "the two-factor key was replaced",
        ),
        RecoveryCodesReplaced => (
            "byly vytvořeny nové záchranné kódy",
            "new recovery codes were made",
        ),
        KeysReplaced => (
            "zašifrovaný klíč trezoru byl nahrazen",
            "the wrapped vault key was replaced",
        ),
        AccountExported => (
            "byl stažen export účtu",
            "the account export was downloaded",
        ),
        RefreshTokenReused => (
            "přihlašovací token byl použit podruhé; zařízení bylo odhlášeno",
            "a sign-in token was used twice; the device was signed out",
        ),
        _ => ("změna zabezpečení", "a security change"),
    }
}

impl App {
    /// Logs an account change and queues the alert about it (in the caller's unit of work);
    /// the alert is to be sent with [`App::send_soon`] after the commit.
    pub(crate) async fn account_changed(
        &self,
        c: &mut Conn,
        account: Uuid,
        device: Option<(Uuid, &str)>,
        event: SecurityEventKind,
    ) -> ApiResult<Vec<MailRecord>> {
        let now = self.clock.unix();
        events::log(c, account, event, device, now).await?;
        Ok(self
            .notify(
                c,
                account,
                &format!("security:{account}:{}", Uuid::new_v4()),
                Notice::SecurityAlert {
                    event,
                    device: device.map(|(_, name)| name.to_owned()),
                },
            )
            .await?
            .into_iter()
            .collect())
    }
}

/// What became of a queued mail.
enum Delivery {
    Sent,
    /// Not to be sent any more (unreadable, or a reminder of a plan without them).
    Dropped,
    /// To be tried again later.
    Failed,
}

/// SMTP delivery.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `smtp://host:port` (plain, for a local relay), `smtp://...?tls=required` or
    /// `smtps://user:pass@host`.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        Ok(Mailer {
            transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .context("the SMTP URL is not valid")?
                .build(),
            from: from.parse().context("mail_from is not a valid address")?,
        })
    }
}

impl App {
    /// Queues `notice` for the account's address in its language (once per `dedupe_key`, in
    /// the caller's unit of work): the mail if queued now.
    pub(crate) async fn notify(
        &self,
        c: &mut Conn,
        account: Uuid,
        dedupe_key: &str,
        notice: Notice,
    ) -> ApiResult<Option<MailRecord>> {
        let Some(record) = accounts::by_id(c, account).await? else {
            return Ok(None);
        };
        let language = load_state(c, &self.catalog, account).await?.language;
        self.queue_notice(c, account, &record.email, language, dedupe_key, notice)
            .await
    }

    /// Queues `notice` for `to_email` (also for an account that is being deleted).
    pub(crate) async fn queue_notice(
        &self,
        c: &mut Conn,
        account: Uuid,
        to_email: &str,
        language: Language,
        dedupe_key: &str,
        notice: Notice,
    ) -> ApiResult<Option<MailRecord>> {
        let now = self.clock.unix();
        let mail = MailRecord {
            id: Uuid::new_v4(),
            account_id: account,
            dedupe_key: dedupe_key.to_owned(),
            to_email: to_email.to_owned(),
            template: notice.template().to_owned(),
            language,
            params: serde_json::to_string(&notice).map_err(|_| ApiError::internal())?,
            attempts: 0,
            next_attempt_at: if notice.urgent() {
                now + SEND_SOON_SECS
            } else {
                now
            },
        };
        Ok(outbox::queue(c, &mail, now).await?.then_some(mail))
    }

    /// Sends urgent mails that were just committed, without waiting for the jobs (which send
    /// them later should this fail).
    pub(crate) fn send_soon(self: &Arc<Self>, mails: impl IntoIterator<Item = MailRecord>) {
        let mails: Vec<MailRecord> = mails.into_iter().collect();
        if mails.is_empty() || self.mailer.is_none() {
            return;
        }
        let app = self.clone();
        tokio::spawn(async move {
            for mail in mails {
                if let Err(e) = app.deliver(mail).await {
                    tracing::warn!(error = %e, "an urgent e-mail waits for the jobs");
                }
            }
        });
    }

    /// Sends what is due; a failure is retried later with exponential back-off.
    pub async fn deliver_mail(&self) -> anyhow::Result<(u32, u32)> {
        if self.mailer.is_none() {
            return Ok((0, 0));
        }
        let due = outbox::due(&mut *self.storage.read().await?, self.clock.unix(), BATCH).await?;
        let (mut sent, mut failed) = (0, 0);
        for mail in due {
            match self.deliver(mail).await? {
                Delivery::Sent => sent += 1,
                Delivery::Failed => failed += 1,
                Delivery::Dropped => {}
            }
        }
        Ok((sent, failed))
    }

    /// Sends one queued mail and records the outcome.
    async fn deliver(&self, mail: MailRecord) -> anyhow::Result<Delivery> {
        let Some(mailer) = &self.mailer else {
            return Ok(Delivery::Failed);
        };
        let now = self.clock.unix();
        let notice: Notice = match serde_json::from_str(&mail.params) {
            Ok(n) => n,
            Err(_) => {
                tracing::error!(template = mail.template, "a queued e-mail is unreadable");
                self.mail_outcome(mail.id, None).await?;
                return Ok(Delivery::Dropped);
            }
        };
        // Paid-only: a reminder still queued when the plan lost e-mail reminders is dropped.
        if matches!(notice, Notice::Reminder { .. })
            && !self
                .reminders_allowed(&mut *self.storage.read().await?, mail.account_id)
                .await?
        {
            self.mail_outcome(mail.id, None).await?;
            return Ok(Delivery::Dropped);
        }
        {
            let (subject, body) = notice.render(&self.catalog, mail.language);
            let outcome = match mail.to_email.parse::<Mailbox>() {
                Ok(to) => match Message::builder()
                    .from(mailer.from.clone())
                    .to(to)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(body)
                {
                    Ok(message) => mailer
                        .transport
                        .send(message)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e.to_string()),
            };
            match outcome {
                Ok(()) => {
                    self.mail_outcome(mail.id, None).await?;
                    Ok(Delivery::Sent)
                }
                Err(error) => {
                    tracing::warn!(template = mail.template, %error, "e-mail not sent; will retry");
                    let backoff = (60_i64 << mail.attempts.min(20)).min(MAX_BACKOFF_SECS);
                    self.mail_outcome(mail.id, Some(now + backoff)).await?;
                    Ok(Delivery::Failed)
                }
            }
        }
    }

    /// Records a mail as done (`None`) or to be tried again then.
    async fn mail_outcome(&self, id: Uuid, retry_at: Option<i64>) -> anyhow::Result<()> {
        let mut tx = self.storage.write().await?;
        match retry_at {
            None => outbox::sent(&mut tx, id, self.clock.unix()).await?,
            Some(at) => outbox::failed(&mut tx, id, at).await?,
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_name_the_purge_date_in_the_users_language() {
        let catalog = Catalog::default_catalog();
        // 2026-05-01 10:00 UTC is noon in Prague.
        let notice = Notice::PurgeWarning {
            locked: 3,
            purge_at: 1_777_629_600,
        };
        let (subject, body) = notice.render(&catalog, Language::Cs);
        assert!(subject.contains("1. 5. 2026"), "{subject}");
        assert!(body.contains("3 uzamčených"), "{body}");
        let (subject, _) = notice.render(&catalog, Language::En);
        assert!(subject.contains("2026-05-01"), "{subject}");
    }

    #[test]
    fn a_reminder_names_only_the_date_and_how_far_off_it_is() {
        let catalog = Catalog::default_catalog();
        let notice = |days_left| Notice::Reminder {
            deadline: 1_777_629_600,
            days_left,
        };
        let (subject, body) = notice(3).render(&catalog, Language::Cs);
        assert_eq!(subject, "Coffer: dokument má termín 1. 5. 2026");
        assert!(body.contains("má termín 1. 5. 2026 (za 3 dny)"), "{body}");
        let (subject, body) = notice(30).render(&catalog, Language::En);
        assert_eq!(subject, "Coffer: a document has a deadline on 2026-05-01");
        assert!(
            body.contains("deadline on 2026-05-01 (in 30 days)"),
            "{body}"
        );
    }
}
