//! Expiry reminders, computed locally: a warranty's or contract's end, a contract's last day
//! to give notice, a document's validity. Each deadline is announced at lead times (30 and 7
//! days before by default; configurable for the vault and per document), listed by the CLI
//! and the app, and exported as iCalendar for calendar apps.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};
use ts_rs::TS;

use crate::document::{DocumentId, DocumentKind};
use crate::error::{Error, Result};
use crate::search::SearchQuery;
use crate::vault::Vault;

/// Lead times when neither the vault nor the document says otherwise.
pub const DEFAULT_LEAD_DAYS: [u32; 2] = [30, 7];
/// The settings key holding the vault's default lead times (a JSON array of days).
pub const LEAD_DAYS_SETTING: &str = "reminders.lead_days";
const MAX_LEAD_DAYS: u32 = 3650;
const MAX_LEADS: usize = 8;

/// A document's own reminder settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderPlan {
    /// Days before each deadline to remind; `None` follows the vault's default.
    #[serde(default)]
    pub lead_days: Option<Vec<u32>>,
    /// A notice period in days: the last day to give notice is this long before the expiry
    /// date (contracts that renew unless cancelled in time).
    #[serde(default)]
    pub notice_days: Option<u32>,
}

/// What happens on a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    WarrantyEnds,
    ContractEnds,
    NoticeDeadline,
    DocumentExpires,
}

impl DeadlineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WarrantyEnds => "warranty_ends",
            Self::ContractEnds => "contract_ends",
            Self::NoticeDeadline => "notice_deadline",
            Self::DocumentExpires => "document_expires",
        }
    }

    /// Words for a person: "Warranty ends".
    pub fn label(self) -> &'static str {
        match self {
            Self::WarrantyEnds => "Warranty ends",
            Self::ContractEnds => "Contract ends",
            Self::NoticeDeadline => "Last day to give notice",
            Self::DocumentExpires => "Document expires",
        }
    }

    fn for_expiry(kind: DocumentKind) -> Self {
        match kind {
            DocumentKind::Warranty => Self::WarrantyEnds,
            DocumentKind::Contract => Self::ContractEnds,
            _ => Self::DocumentExpires,
        }
    }
}

/// One dated event of one document, with the lead times at which it is announced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Deadline {
    pub document: DocumentId,
    pub title: String,
    pub document_kind: DocumentKind,
    pub kind: DeadlineKind,
    #[serde(with = "ymd")]
    #[ts(type = "string")]
    pub date: Date,
    /// Descending, e.g. `[30, 7]`.
    pub lead_days: Vec<u32>,
}

/// A deadline that is close enough to be shown now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct DueReminder {
    #[serde(flatten)]
    pub deadline: Deadline,
    /// 0 on the day itself.
    pub days_left: i64,
    /// The reminder stage reached: the smallest lead time not shorter than `days_left`
    /// (a notifier shows each stage once); `None` when listed only because of `within`.
    pub stage: Option<u32>,
}

time::serde::format_description!(ymd, Date, "[year]-[month]-[day]");

/// Checks and normalises lead times: each 0 to 3650 days, at most eight, descending, unique.
pub fn normalise_lead_days(days: &[u32]) -> Result<Vec<u32>> {
    if days.is_empty() || days.len() > MAX_LEADS || days.iter().any(|d| *d > MAX_LEAD_DAYS) {
        return Err(Error::InvalidInput(format!(
            "give 1 to {MAX_LEADS} reminder lead times between 0 and {MAX_LEAD_DAYS} days, \
             e.g. 30,7"
        )));
    }
    let mut days = days.to_vec();
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    Ok(days)
}

/// The deadlines of one document: its expiry, and the notice deadline when a notice period
/// is set. Past dates are included; callers filter.
fn deadlines_of(
    id: DocumentId,
    title: &str,
    kind: DocumentKind,
    expiry: Date,
    plan: Option<&ReminderPlan>,
    default_leads: &[u32],
) -> Vec<Deadline> {
    let lead_days = plan
        .and_then(|p| p.lead_days.clone())
        .unwrap_or_else(|| default_leads.to_vec());
    let mut out = vec![Deadline {
        document: id,
        title: title.to_string(),
        document_kind: kind,
        kind: DeadlineKind::for_expiry(kind),
        date: expiry,
        lead_days: lead_days.clone(),
    }];
    if let Some(notice) = plan.and_then(|p| p.notice_days) {
        out.push(Deadline {
            document: id,
            title: title.to_string(),
            document_kind: kind,
            kind: DeadlineKind::NoticeDeadline,
            date: expiry.saturating_sub(Duration::days(i64::from(notice))),
            lead_days,
        });
    }
    out
}

/// Which of `deadlines` are due on `today`: within their largest lead time, or within
/// `within` days when given. Sorted by date.
pub fn due(deadlines: &[Deadline], today: Date, within: Option<u32>) -> Vec<DueReminder> {
    let mut out: Vec<DueReminder> = deadlines
        .iter()
        .filter_map(|d| {
            let days_left = (d.date - today).whole_days();
            if days_left < 0 {
                return None;
            }
            let stage = d
                .lead_days
                .iter()
                .copied()
                .filter(|lead| i64::from(*lead) >= days_left)
                .min();
            let window = match within {
                Some(days) => i64::from(days),
                None => i64::from(d.lead_days.iter().copied().max().unwrap_or(0)),
            };
            (days_left <= window).then(|| DueReminder {
                deadline: d.clone(),
                days_left,
                stage,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.deadline.date, a.deadline.kind, &a.deadline.title).cmp(&(
            b.deadline.date,
            b.deadline.kind,
            &b.deadline.title,
        ))
    });
    out
}

impl Vault {
    /// The vault's default lead times.
    pub fn default_lead_days(&self) -> Result<Vec<u32>> {
        match self.store().setting(LEAD_DAYS_SETTING)? {
            Some(text) => serde_json::from_str::<Vec<u32>>(&text)
                .ok()
                .and_then(|d| normalise_lead_days(&d).ok())
                .ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "the stored reminder lead times `{text}` are not valid; set them again \
                         with `coffer reminders defaults --lead-days 30,7`"
                    ))
                }),
            None => Ok(DEFAULT_LEAD_DAYS.to_vec()),
        }
    }

    pub fn set_default_lead_days(&mut self, days: &[u32]) -> Result<Vec<u32>> {
        let days = normalise_lead_days(days)?;
        let text = serde_json::to_string(&days).expect("numbers serialise");
        self.store_mut()
            .set_setting(LEAD_DAYS_SETTING, Some(&text))?;
        Ok(days)
    }

    pub fn reminder_plan(&self, id: DocumentId) -> Result<Option<ReminderPlan>> {
        self.store().reminder_plan(id)
    }

    /// Sets a document's own reminder settings; `None` (or an empty plan) returns it to the
    /// vault's defaults.
    pub fn set_reminder_plan(&mut self, id: DocumentId, plan: Option<ReminderPlan>) -> Result<()> {
        self.document(id)?;
        let plan = match plan {
            Some(ReminderPlan {
                lead_days,
                notice_days,
            }) => {
                if notice_days.is_some_and(|d| d > MAX_LEAD_DAYS) {
                    return Err(Error::InvalidInput(format!(
                        "a notice period must be at most {MAX_LEAD_DAYS} days"
                    )));
                }
                let lead_days = lead_days.map(|d| normalise_lead_days(&d)).transpose()?;
                (lead_days.is_some() || notice_days.is_some()).then_some(ReminderPlan {
                    lead_days,
                    notice_days,
                })
            }
            None => None,
        };
        self.store_mut().set_reminder_plan(id, plan.as_ref())
    }

    /// Every deadline from today on, of documents not in the trash, sorted by date.
    pub fn upcoming_deadlines(&self) -> Result<Vec<Deadline>> {
        self.deadlines_since(0)
    }

    /// Every deadline from `days_back` days ago on (those before today are overdue, or ended),
    /// of documents not in the trash, sorted by date.
    pub fn deadlines_since(&self, days_back: u32) -> Result<Vec<Deadline>> {
        let today = self.clock().today();
        let first = today.saturating_sub(Duration::days(i64::from(days_back)));
        let default_leads = self.default_lead_days()?;
        let plans: BTreeMap<DocumentId, ReminderPlan> = self.store().reminder_plans()?;
        // Every expiry from `first` on ("expiring within" the largest window there is): a
        // contract's notice deadline comes before its expiry, so expiries from `first` on
        // hold every deadline from `first` on.
        let query = SearchQuery {
            expiring_within_days: Some(u32::MAX),
            expired_within_days: Some(days_back),
            ..SearchQuery::default()
        };
        let mut out: Vec<Deadline> = self
            .search(&query)?
            .into_iter()
            .filter_map(|doc| doc.expiry.map(|expiry| (doc, expiry)))
            .flat_map(|(doc, expiry)| {
                deadlines_of(
                    doc.id,
                    &doc.title,
                    doc.kind,
                    expiry,
                    plans.get(&doc.id),
                    &default_leads,
                )
            })
            .filter(|d| d.date >= first)
            .collect();
        out.sort_by(|a, b| (a.date, a.kind, &a.title).cmp(&(b.date, b.kind, &b.title)));
        Ok(out)
    }

    /// What is due today: deadlines within their lead time, or within `within` days.
    pub fn due_reminders(&self, within: Option<u32>) -> Result<Vec<DueReminder>> {
        Ok(due(
            &self.upcoming_deadlines()?,
            self.clock().today(),
            within,
        ))
    }
}

impl Vault {
    /// Writes the upcoming deadlines to `path` as an iCalendar file (replacing it whole, never
    /// leaving half a file); returns how many there were.
    pub fn save_ics(&self, path: &Path) -> Result<usize> {
        let deadlines = self.upcoming_deadlines()?;
        crate::files::write_replacing(path, ".coffer-ics-", |file| {
            write_ics(&deadlines, self.clock().now(), file)
        })?;
        Ok(deadlines.len())
    }
}

/// Escapes iCalendar TEXT (RFC 5545 §3.3.11).
fn ics_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded at 75 octets without splitting a UTF-8 character.
fn ics_line(out: &mut impl Write, line: &str) -> io::Result<()> {
    let mut start = 0;
    let mut first = true;
    while start < line.len() {
        let limit = if first { 75 } else { 74 };
        let mut end = (start + limit).min(line.len());
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        if !first {
            out.write_all(b" ")?;
        }
        out.write_all(&line.as_bytes()[start..end])?;
        out.write_all(b"\r\n")?;
        start = end;
        first = false;
    }
    if line.is_empty() {
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

fn ics_date(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// An alarm `lead` days before an all-day event, at 09:00 local time.
fn ics_trigger(lead: u32) -> String {
    match lead {
        0 => "PT9H".to_string(),
        lead => format!("-P{}DT15H", lead - 1),
    }
}

/// Writes `deadlines` as an iCalendar file (RFC 5545): one all-day event per deadline with a
/// display alarm per lead time. UIDs are stable, so importing again updates the events.
/// The file holds document titles in the clear: it is meant for the user's own calendar.
pub fn write_ics(deadlines: &[Deadline], now: OffsetDateTime, out: impl Write) -> Result<()> {
    let mut out = io::BufWriter::new(out);
    let now = now.to_offset(time::UtcOffset::UTC);
    let stamp = format!(
        "{}T{:02}{:02}{:02}Z",
        ics_date(now.date()),
        now.hour(),
        now.minute(),
        now.second()
    );
    let write = |out: &mut io::BufWriter<_>| -> io::Result<()> {
        for line in [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Coffer//Coffer reminders//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:Coffer reminders",
        ] {
            ics_line(out, line)?;
        }
        for d in deadlines {
            let summary = ics_text(&format!("{}: {}", d.kind.label(), d.title));
            ics_line(out, "BEGIN:VEVENT")?;
            ics_line(
                out,
                &format!("UID:{}-{}@coffer.invalid", d.document, d.kind.as_str()),
            )?;
            ics_line(out, &format!("DTSTAMP:{stamp}"))?;
            ics_line(out, &format!("DTSTART;VALUE=DATE:{}", ics_date(d.date)))?;
            ics_line(
                out,
                &format!(
                    "DTEND;VALUE=DATE:{}",
                    ics_date(d.date.next_day().unwrap_or(d.date))
                ),
            )?;
            ics_line(out, &format!("SUMMARY:{summary}"))?;
            ics_line(
                out,
                &format!(
                    "DESCRIPTION:{}",
                    ics_text(&format!("Coffer document {}", d.document))
                ),
            )?;
            ics_line(out, "TRANSP:TRANSPARENT")?;
            for lead in &d.lead_days {
                ics_line(out, "BEGIN:VALARM")?;
                ics_line(out, "ACTION:DISPLAY")?;
                ics_line(out, &format!("DESCRIPTION:{summary}"))?;
                ics_line(out, &format!("TRIGGER:{}", ics_trigger(*lead)))?;
                ics_line(out, "END:VALARM")?;
            }
            ics_line(out, "END:VEVENT")?;
        }
        ics_line(out, "END:VCALENDAR")?;
        out.flush()
    };
    write(&mut out).map_err(|e| Error::io("writing the calendar file", e))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::{date, datetime};

    /// A warranty deadline of a new document.
    pub(crate) fn deadline(kind: DeadlineKind, date: Date, leads: &[u32]) -> Deadline {
        Deadline {
            document: DocumentId::random(),
            title: "Kettle".into(),
            document_kind: DocumentKind::Warranty,
            kind,
            date,
            lead_days: leads.to_vec(),
        }
    }

    #[test]
    fn a_deadline_is_due_from_its_largest_lead_time_until_the_day_itself() {
        let d = [deadline(
            DeadlineKind::WarrantyEnds,
            date!(2025 - 01 - 10),
            &[30, 7],
        )];
        assert!(due(&d, date!(2024 - 12 - 10), None).is_empty());
        let first = due(&d, date!(2024 - 12 - 11), None);
        assert_eq!((first[0].days_left, first[0].stage), (30, Some(30)));
        let second = due(&d, date!(2025 - 01 - 03), None);
        assert_eq!((second[0].days_left, second[0].stage), (7, Some(7)));
        assert_eq!(due(&d, date!(2025 - 01 - 10), None)[0].days_left, 0);
        assert!(due(&d, date!(2025 - 01 - 11), None).is_empty());
    }

    #[test]
    fn within_overrides_the_lead_time_window_across_a_year_boundary() {
        let d = [deadline(
            DeadlineKind::ContractEnds,
            date!(2025 - 02 - 28),
            &[7],
        )];
        let listed = due(&d, date!(2024 - 12 - 31), Some(60));
        assert_eq!(listed[0].days_left, 59);
        assert_eq!(listed[0].stage, None);
        assert!(due(&d, date!(2024 - 12 - 31), Some(58)).is_empty());
    }

    #[test]
    fn a_notice_period_adds_a_deadline_before_the_contract_end() {
        let plan = ReminderPlan {
            lead_days: Some(vec![14]),
            notice_days: Some(90),
        };
        let list = deadlines_of(
            DocumentId::random(),
            "Gym",
            DocumentKind::Contract,
            date!(2025 - 03 - 31),
            Some(&plan),
            &DEFAULT_LEAD_DAYS,
        );
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].kind, DeadlineKind::ContractEnds);
        assert_eq!(list[1].kind, DeadlineKind::NoticeDeadline);
        assert_eq!(list[1].date, date!(2024 - 12 - 31));
        assert_eq!(list[1].lead_days, vec![14]);
    }

    #[test]
    fn lead_times_are_sorted_unique_and_bounded() {
        assert_eq!(normalise_lead_days(&[7, 30, 7]).unwrap(), vec![30, 7]);
        assert!(normalise_lead_days(&[]).is_err());
        assert!(normalise_lead_days(&[5000]).is_err());
    }

    #[test]
    fn calendar_lines_are_escaped_folded_and_crlf_terminated() {
        let mut d = deadline(DeadlineKind::WarrantyEnds, date!(2025 - 01 - 10), &[30, 0]);
        d.title = "Rychlovarná konvice, nerez; 1,7 l ".repeat(4);
        let mut out = Vec::new();
        write_ics(&[d], datetime!(2024-12-01 08:30:00 UTC), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(text.contains("DTSTART;VALUE=DATE:20250110\r\n"));
        assert!(text.contains("DTEND;VALUE=DATE:20250111\r\n"));
        assert!(text.contains("TRIGGER:-P29DT15H\r\n"));
        assert!(text.contains("TRIGGER:PT9H\r\n"));
        assert!(text.contains("DTSTAMP:20241201T083000Z\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
            assert!(!line.contains('\n'));
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(
            unfolded.contains("SUMMARY:Warranty ends: Rychlovarná konvice\\, nerez\\; 1\\,7 l")
        );
    }
}
