//! E-mail: notices are queued in the database (once per dedupe key) and delivered over SMTP
//! by the jobs, with retries and back-off, in Czech or English. Templates carry plan names,
//! dates and counts only, never anything about a document (a reminder names only a date).

use crate::app::App;
use crate::billing::{Catalog, DowngradeReason};
use crate::error::{ApiError, ApiResult};
use crate::storage::billing::MailRecord;
use anyhow::Context as _;
use coffer_api::Language;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const BATCH: u32 = 100;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;

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
        }
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
        }
    }
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
    /// Queues `notice` for the account's address (once per `dedupe_key`); true if queued now.
    pub(crate) async fn notify(
        &self,
        account: Uuid,
        language: Language,
        dedupe_key: &str,
        notice: Notice,
    ) -> ApiResult<bool> {
        let Some(record) = self.storage.account(account).await? else {
            return Ok(false);
        };
        let params = serde_json::to_string(&notice).map_err(|_| ApiError::internal())?;
        Ok(self
            .storage
            .queue_mail(
                &MailRecord {
                    id: Uuid::new_v4(),
                    account_id: account,
                    dedupe_key: dedupe_key.to_owned(),
                    to_email: record.email,
                    template: notice.template().to_owned(),
                    language,
                    params,
                    attempts: 0,
                    next_attempt_at: self.clock.unix(),
                },
                self.clock.unix(),
            )
            .await?)
    }

    /// Sends what is due; a failure is retried later with exponential back-off.
    pub async fn deliver_mail(&self) -> anyhow::Result<(u32, u32)> {
        let Some(mailer) = &self.mailer else {
            return Ok((0, 0));
        };
        let now = self.clock.unix();
        let (mut sent, mut failed) = (0, 0);
        for mail in self.storage.due_mail(now, BATCH).await? {
            let notice: Notice = match serde_json::from_str(&mail.params) {
                Ok(n) => n,
                Err(_) => {
                    tracing::error!(template = mail.template, "a queued e-mail is unreadable");
                    self.storage.mail_sent(mail.id, now).await?;
                    continue;
                }
            };
            // Paid-only: a reminder still queued when the plan lost e-mail reminders is dropped.
            if matches!(notice, Notice::Reminder { .. })
                && !self.reminders_allowed(mail.account_id).await?
            {
                self.storage.mail_sent(mail.id, now).await?;
                continue;
            }
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
                    self.storage.mail_sent(mail.id, now).await?;
                    sent += 1;
                }
                Err(error) => {
                    tracing::warn!(template = mail.template, %error, "e-mail not sent; will retry");
                    let backoff = (60_i64 << mail.attempts.min(20)).min(MAX_BACKOFF_SECS);
                    self.storage.mail_failed(mail.id, now + backoff).await?;
                    failed += 1;
                }
            }
        }
        Ok((sent, failed))
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
