//! Search: full text over titles, merchants, tags, notes and OCR text (FTS5, diacritics
//! folded so `uctenka` finds `účtenka`), combined with structured filters.

use rusqlite::types::Value;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};
use ts_rs::TS;

use crate::document::DocumentKind;

/// Whether trashed documents take part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrashFilter {
    #[default]
    Exclude,
    Only,
    Include,
}

/// What a listing is ordered by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// The issue date, or the import date when it is unknown.
    #[default]
    Date,
    /// The total, in minor units of the document's own currency; documents without one last.
    Total,
    /// The merchant, or the title when there is none; case and diacritics folded, so that
    /// `Čedok` sorts beside `Cedok` and not after `Zara`.
    Name,
}

/// A listing's order: a key and its direction. Ties go newest first, then by insertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Sort {
    pub key: SortKey,
    pub ascending: bool,
}

impl Default for Sort {
    /// Newest first.
    fn default() -> Self {
        Self {
            key: SortKey::Date,
            ascending: false,
        }
    }
}

impl Sort {
    /// The ORDER BY terms over `documents d`.
    fn order_by(self) -> String {
        let dir = if self.ascending { "ASC" } else { "DESC" };
        match self.key {
            SortKey::Date => format!("d.sort_date {dir}, d.rowid {dir}"),
            SortKey::Total => {
                format!("d.total_minor {dir} NULLS LAST, d.sort_date DESC, d.rowid DESC")
            }
            // A document not read yet is shown as "Kind · import day", not by its file
            // name: it has no name to sort by and goes last, in either direction. Each
            // direction has an index on exactly this expression (read backwards, so that
            // ties go newest first), and a window at any offset is read from it.
            SortKey::Name if self.ascending => format!(
                "{} ASC, d.sort_date DESC, d.rowid DESC",
                name_key_sql!("d.", "X'FF'")
            ),
            SortKey::Name => format!(
                "{} DESC, d.sort_date DESC, d.rowid DESC",
                name_key_sql!("d.", "X''")
            ),
        }
    }
}

/// Whether the document (its columns prefixed with `$p`, such as `"d."`) has nothing to be
/// called by yet: not read, no merchant, no title a person gave it (its title is still the
/// file name).
macro_rules! untitled_sql {
    ($p:literal) => {
        concat!(
            "(",
            $p,
            "ocr_text IS NULL AND ",
            $p,
            "merchant IS NULL AND json_extract(",
            $p,
            "field_states, '$.title') IS NULL)"
        )
    };
}
pub(crate) use untitled_sql;

/// What [`SortKey::Name`] orders by: the [`name_key`] of the merchant or title, or `$none`
/// for a document with nothing to be called by yet (`X'FF'` sorts after every key, `X''`
/// before). The store's indexes for the name order are on exactly these expressions.
macro_rules! name_key_sql {
    ($p:literal, $none:literal) => {
        concat!(
            "coalesce(",
            crate::search::name_key_function!(),
            "(CASE WHEN ",
            crate::search::untitled_sql!($p),
            " THEN NULL ELSE coalesce(",
            $p,
            "merchant, ",
            $p,
            "title) END), ",
            $none,
            ")"
        )
    };
}
pub(crate) use name_key_sql;

/// The SQL function that computes [`name_key`], registered on every connection of the
/// store: the name indexes are built with it, so a connection that writes documents needs
/// it. A macro, so that [`name_key_sql`] spells it the same.
macro_rules! name_key_function {
    () => {
        "coffer_name_key"
    };
}
pub(crate) use name_key_function;
pub(crate) const NAME_KEY_FUNCTION: &str = name_key_function!();

/// The SQL function that tells whether a document's field states (the JSON of
/// `documents.field_states`) hold a guess nobody confirmed, registered on every connection
/// like [`name_key_function`]: the review queue's partial index is built with it, and a
/// query uses that index only when it spells the term the same ([`unconfirmed_sql`]).
macro_rules! unconfirmed_function {
    () => {
        "coffer_unconfirmed"
    };
}
pub(crate) const UNCONFIRMED_FUNCTION: &str = unconfirmed_function!();

/// The term that selects documents waiting for review, over the columns prefixed `$p`.
macro_rules! unconfirmed_sql {
    ($p:literal) => {
        concat!(
            crate::search::unconfirmed_function!(),
            "(",
            $p,
            "field_states)"
        )
    };
}
pub(crate) use unconfirmed_function;
pub(crate) use unconfirmed_sql;

/// The bytes a name sorts by, so that names sort as a person reads them (letters compared
/// without case and diacritics first, `č` as `c`, `ß` as `ss`, then the exact text): its folded letters (see [`folded`]), a zero byte, then the
/// exact text. Compared bytewise, keys order names by their folded letters first (UTF-8
/// keeps code point order, and the zero byte puts a name before its longer continuations)
/// and by the exact text between names that fold alike. Never empty, and never starting
/// with `0xFF`, which no UTF-8 text holds.
pub(crate) fn name_key(name: &str) -> Vec<u8> {
    let mut key = String::with_capacity(name.len() * 2 + 1);
    key.extend(folded(name));
    key.push('\0');
    key.push_str(name);
    key.into_bytes()
}

/// The characters of a name with case and (Latin) diacritics folded.
fn folded(text: &str) -> impl Iterator<Item = char> + '_ {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .flat_map(|c| match c {
            'ß' => ['s', 's'].into_iter().take(2),
            'ł' => ['l', 'l'].into_iter().take(1),
            'ø' => ['o', 'o'].into_iter().take(1),
            'đ' => ['d', 'd'].into_iter().take(1),
            other => [other, other].into_iter().take(1),
        })
}

/// All filters are optional and combine with AND.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    /// Words to find; each matches as a prefix (`kett` finds `kettle`).
    pub text: Option<String>,
    /// Any of these kinds (none: all kinds).
    pub kinds: Vec<DocumentKind>,
    /// Issue date (or import date when unknown) on or after.
    pub from: Option<Date>,
    /// Issue date (or import date when unknown) on or before.
    pub to: Option<Date>,
    /// Total at least, in minor units of the document's own currency.
    pub min_total_minor: Option<i64>,
    /// Total at most, in minor units of the document's own currency.
    pub max_total_minor: Option<i64>,
    /// Merchant name contains (case-insensitive).
    pub merchant: Option<String>,
    /// Carries every one of these tags.
    pub tags: Vec<String>,
    /// Expires between today and this many days from today.
    pub expiring_within_days: Option<u32>,
    /// Expired at most this many days ago (before today); with `expiring_within_days`, the
    /// window reaches this far back.
    pub expired_within_days: Option<u32>,
    /// Has at least one field awaiting confirmation.
    pub unconfirmed_only: bool,
    pub trash: TrashFilter,
    pub sort: Sort,
    /// Leaves out this many documents of the ordered result before the first one returned.
    pub offset: u32,
    pub limit: Option<u32>,
}

/// Turns what a user typed into an FTS5 expression of quoted prefix terms, so no input can
/// be read as FTS syntax.
fn fts_expression(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| format!("\"{}\"*", t.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// With at least this many full-text matches, walking the date index and probing each row
/// against the matches finds the newest page sooner than sorting every match (each sorted match
/// costs a row read, and rows live in encrypted pages).
pub(crate) const DATE_WALK_MIN_MATCHES: i64 = 1000;

/// Appends a bound argument and returns its placeholder.
fn arg(value: Value, args: &mut Vec<Value>) -> String {
    args.push(value);
    format!("?{}", args.len())
}

fn ymd(date: Date) -> Value {
    Value::Text(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

impl SearchQuery {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// The FTS5 expression for the text, if any.
    pub(crate) fn text_match(&self) -> Option<String> {
        self.text.as_deref().and_then(fts_expression)
    }

    /// Whether the first page is best found by walking the date index newest first and testing
    /// every filter per row, rather than leaving the plan to SQLite, which (without statistics)
    /// tends to scan the whole table, or collect every text match, and sort. It pays off when the
    /// page fills early: a limit, no filter with an index of its own (expiry, amount), and no
    /// text or a text with many matches (`common_text` says whether it has at least
    /// [`DATE_WALK_MIN_MATCHES`]; only asked when there is text).
    pub(crate) fn walks_dates<E>(
        &self,
        common_text: impl FnOnce(&str) -> Result<bool, E>,
    ) -> Result<bool, E> {
        if self.limit.is_none()
            || self.sort.key != SortKey::Date
            || self.expiring_within_days.is_some()
            || self.expired_within_days.is_some()
            || self.min_total_minor.is_some()
            || self.max_total_minor.is_some()
        {
            return Ok(false);
        }
        self.text_match()
            .map_or(Ok(true), |expr| common_text(&expr))
    }

    /// The SQL and its arguments; `columns` is the select list over `documents d`, and
    /// `walk_dates` forces the date index (see [`Self::walks_dates`]).
    pub(crate) fn to_sql(
        &self,
        columns: &str,
        today: Date,
        walk_dates: bool,
    ) -> (String, Vec<Value>) {
        let (clauses, args) = self.clauses(today);
        // Order and cut on rowids first, then build the result columns for those rows only:
        // otherwise SQLite computes every column (tags, JSON) for every match before sorting.
        let mut page = String::from("SELECT d.rowid FROM documents d");
        if walk_dates {
            // The live documents have a date index of their own, which also counts them.
            page.push_str(match self.trash {
                TrashFilter::Exclude if self.unconfirmed_only => {
                    " INDEXED BY documents_live_unconfirmed"
                }
                TrashFilter::Exclude => " INDEXED BY documents_live_by_date",
                TrashFilter::Only | TrashFilter::Include => " INDEXED BY documents_by_date",
            });
        }
        push_where(&mut page, &clauses);
        let order = self.sort.order_by();
        page.push_str(&format!(" ORDER BY {order}"));
        match (self.limit, self.offset) {
            (Some(limit), offset) => page.push_str(&format!(" LIMIT {limit} OFFSET {offset}")),
            (None, 0) => {}
            (None, offset) => page.push_str(&format!(" LIMIT -1 OFFSET {offset}")),
        }
        let sql =
            format!("SELECT {columns} FROM documents d WHERE d.rowid IN ({page}) ORDER BY {order}");
        (sql, args)
    }

    /// The SQL that counts every match (limit, offset and sort aside), and its arguments.
    pub(crate) fn count_sql(&self, today: Date) -> (String, Vec<Value>) {
        let (clauses, args) = self.clauses(today);
        let mut sql = String::from("SELECT count(*) FROM documents d");
        push_where(&mut sql, &clauses);
        (sql, args)
    }

    /// The filters as SQL terms over `documents d`, and their arguments.
    fn clauses(&self, today: Date) -> (Vec<String>, Vec<Value>) {
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        if let Some(expr) = self.text_match() {
            let p = arg(Value::Text(expr), &mut args);
            clauses.push(format!(
                "d.rowid IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH {p})"
            ));
        }
        if !self.kinds.is_empty() {
            let list: Vec<String> = self
                .kinds
                .iter()
                .map(|k| arg(Value::Text(k.as_str().into()), &mut args))
                .collect();
            clauses.push(format!("d.kind IN ({})", list.join(", ")));
        }
        if let Some(from) = self.from {
            clauses.push(format!("d.sort_date >= {}", arg(ymd(from), &mut args)));
        }
        if let Some(to) = self.to {
            clauses.push(format!("d.sort_date <= {}", arg(ymd(to), &mut args)));
        }
        if let Some(min) = self.min_total_minor {
            clauses.push(format!(
                "d.total_minor >= {}",
                arg(Value::Integer(min), &mut args)
            ));
        }
        if let Some(max) = self.max_total_minor {
            clauses.push(format!(
                "d.total_minor <= {}",
                arg(Value::Integer(max), &mut args)
            ));
        }
        if let Some(merchant) = self.merchant.as_deref().filter(|m| !m.trim().is_empty()) {
            let p = arg(Value::Text(merchant.trim().to_lowercase()), &mut args);
            clauses.push(format!("instr(lower(d.merchant), {p}) > 0"));
        }
        for tag in &self.tags {
            let p = arg(Value::Text(tag.clone()), &mut args);
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM tags t WHERE t.document = d.rowid AND t.tag = {p})"
            ));
        }
        let back = |days: u32| today.saturating_sub(Duration::days(i64::from(days)));
        let window = match (self.expired_within_days, self.expiring_within_days) {
            (None, None) => None,
            (past, Some(ahead)) => Some((
                back(past.unwrap_or(0)),
                today.saturating_add(Duration::days(i64::from(ahead))),
            )),
            (Some(past), None) => Some((back(past), back(1))),
        };
        if let Some((first, last)) = window {
            let a = arg(ymd(first), &mut args);
            let b = arg(ymd(last), &mut args);
            clauses.push(format!("d.expiry BETWEEN {a} AND {b}"));
        }
        if self.unconfirmed_only {
            clauses.push(unconfirmed_sql!("d.").into());
        }
        match self.trash {
            TrashFilter::Exclude => clauses.push("d.trashed_at IS NULL".into()),
            TrashFilter::Only => clauses.push("d.trashed_at IS NOT NULL".into()),
            TrashFilter::Include => {}
        }
        (clauses, args)
    }
}

fn push_where(sql: &mut String, clauses: &[String]) {
    if !clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_becomes_quoted_prefix_terms_with_no_fts_syntax() {
        assert_eq!(
            fts_expression("Kettle  warranty").as_deref(),
            Some("\"kettle\"* \"warranty\"*")
        );
        assert_eq!(
            fts_expression("a\" OR title:x*").as_deref(),
            Some("\"a\"* \"or\"* \"title\"* \"x\"*")
        );
        assert_eq!(fts_expression(" -*- "), None);
    }

    #[test]
    fn names_sort_without_case_and_diacritics_then_by_their_exact_text() {
        let mut names = vec![
            "Zara", "čedok", "Cedok", "Ábel", "abel", "Straße", "Strasse", "Lidl",
        ];
        names.sort_by_key(|name| name_key(name));
        assert_eq!(
            names,
            [
                "abel", "Ábel", "Cedok", "čedok", "Lidl", "Strasse", "Straße", "Zara"
            ]
        );
    }
}
