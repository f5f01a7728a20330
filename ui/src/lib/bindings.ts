// Generated from the Rust types by src-tauri/src/bindings.rs (`make bindings`); do not
// edit. Field names are the engine's (snake_case), as the CLI's --json prints them.

/**
 * Client-generated, so ids stay stable across devices and retries.
 */
export type DocumentId = string;

export type DocumentKind = "receipt" | "invoice" | "contract" | "warranty" | "other";

/**
 * An ISO 4217 alphabetic code.
 */
export type Currency = string;

/**
 * The fields a person can confirm or correct.
 */
export type Field = "kind" | "title" | "merchant" | "issue_date" | "total" | "vat" | "company_ids" | "document_number" | "variable_symbol" | "payment_method" | "category" | "tags" | "notes" | "expiry";

/**
 * Where a field's value came from: how sure the extractor was, and whether a person confirmed.
 */
export type FieldState = { confidence: number, confirmed: boolean, };

/**
 * One VAT rate's recap line: rate in basis points (21 % = 2100), base and tax in minor units.
 */
export type VatLine = { rate_basis_points: number, base_minor: number, tax_minor: number, };

/**
 * Company identifiers: Czech IČO and DIČ, or another country's VAT id.
 */
export type CompanyIds = { ico?: string, vat_id?: string, };

/**
 * The stored file's description.
 */
export type FileInfo = { name: string, media_type: string, size: number, };

/**
 * One line of a listing or a search result.
 */
export type DocumentSummary = { id: DocumentId, kind: DocumentKind, title: string, merchant: string | null, date: string | null, 
/**
 * A decimal string (`"1234.50"`).
 */
total: string | null, currency: Currency | null, tags: Array<string>, expiry: string | null, unconfirmed: boolean, trashed: boolean, imported_at: string, 
/**
 * Nothing names the document yet: no text was read, no merchant is known and its title
 * is still the file's name, which (a scanner's `600.jpg`) says nothing. A listing shows
 * its kind and import date instead.
 */
untitled: boolean, };

/**
 * The JSON shape of a document: the listing's keys (`id`, `kind`, `title`, `date`, `total`
 * as a decimal string, `currency`) plus everything else. The app's TypeScript calls it
 * `DocumentDetail`.
 */
export type DocumentDetail = { id: DocumentId, kind: DocumentKind, title: string, merchant: string | null, date: string | null, total: string | null, currency: Currency | null, vat: Array<VatLine>, company_ids: CompanyIds, document_number: string | null, variable_symbol: string | null, payment_method: string | null, category: string | null, tags: Array<string>, notes: string | null, expiry: string | null, field_states: { [key in Field]?: FieldState }, ocr_text: string | null, file: FileInfo, imported_at: string, updated_at: string, trashed_at: string | null, };

/**
 * What a listing is ordered by.
 */
export type SortKey = "date" | "total" | "name";

/**
 * A listing's order: a key and its direction. Ties go newest first, then by insertion.
 */
export type Sort = { key: SortKey, ascending: boolean, };

/**
 * What `coffer info` shows. No secrets: the KDF record's salt is public by design.
 */
export type VaultInfo = { path: string, format: number, database_schema: number, vault_id: string, kdf: KdfRecord, created_at: string, documents: number, trashed: number, content_bytes: number, encrypted_bytes: number, database_bytes: number, };

/**
 * `{alg, params, salt, version}`: everything needed to re-derive the key from the password.
 */
export type KdfRecord = { version: number, salt: string, } & ({ "alg": "argon2id", memory_kib: number, passes: number, lanes: number, } | { "alg": "pbkdf2-sha256", iterations: number, });

/**
 * The algorithm and its cost parameters.
 */
export type KdfParams = { "alg": "argon2id", memory_kib: number, passes: number, lanes: number, } | { "alg": "pbkdf2-sha256", iterations: number, };

export type Overview = { this_month: MonthSpending, last_month: MonthSpending, 
/**
 * The last twelve months, oldest first, this month last.
 */
months: Array<MonthTotals>, 
/**
 * Documents with a field that waits for a person's check.
 */
unconfirmed: number, 
/**
 * The next deadlines from today on, soonest first.
 */
next_deadlines: Array<Deadline>, };

/**
 * One calendar month's documents and what they add up to.
 */
export type MonthSpending = { 
/**
 * `YYYY-MM`.
 */
month: string, documents: number, 
/**
 * Documents of the month without an amount (not read yet, or no total on them).
 */
without_total: number, 
/**
 * Per currency, the largest sum first.
 */
by_currency: Array<Amount>, 
/**
 * Per kind and currency, the largest sum first.
 */
by_kind: Array<KindAmount>, 
/**
 * Per currency and rate, the highest rate first.
 */
vat: Array<VatTotal>, };

/**
 * One month of the chart: its totals per currency.
 */
export type MonthTotals = { 
/**
 * `YYYY-MM`.
 */
month: string, totals: Array<Amount>, };

export type Amount = { currency: Currency, minor: number, documents: number, };

export type KindAmount = { kind: DocumentKind, currency: Currency, minor: number, documents: number, };

export type VatTotal = { currency: Currency, rate_basis_points: number, base_minor: number, tax_minor: number, };

/**
 * What happens on a deadline.
 */
export type DeadlineKind = "warranty_ends" | "contract_ends" | "notice_deadline" | "document_expires";

/**
 * One dated event of one document, with the lead times at which it is announced.
 */
export type Deadline = { document: DocumentId, title: string, document_kind: DocumentKind, kind: DeadlineKind, date: string, 
/**
 * Descending, e.g. `[30, 7]`.
 */
lead_days: Array<number>, };

/**
 * A deadline that is close enough to be shown now.
 */
export type DueReminder = { 
/**
 * 0 on the day itself.
 */
days_left: number, 
/**
 * The reminder stage reached: the smallest lead time not shorter than `days_left`
 * (a notifier shows each stage once); `None` when listed only because of `within`.
 */
stage: number | null, document: DocumentId, title: string, document_kind: DocumentKind, kind: DeadlineKind, date: string, 
/**
 * Descending, e.g. `[30, 7]`.
 */
lead_days: Array<number>, };

export type BulkChange = { "change": "set_kind", kind: DocumentKind, } | { "change": "add_tags", tags: Array<string>, } | { "change": "remove_tags", tags: Array<string>, } | { "change": "confirm_all" } | { "change": "trash" } | { "change": "restore" };

export type BulkOutcome = { 
/**
 * Documents the change was written to.
 */
changed: number, 
/**
 * Documents it had nothing to do for (every guess already confirmed, already in the
 * trash).
 */
unchanged: number, skipped: Array<Skipped>, };

export type Skipped = { id: DocumentId, reason: string, };

/**
 * The CSV dialect.
 */
export type CsvPreset = "cz" | "intl";

/**
 * A structured format for accounting software, added to the ZIP on request.
 */
export type ExportFormat = "pohoda" | "isdoc";

/**
 * The account a vault is connected to, as `coffer account` shows it.
 */
export type Connection = { server_url: string, email: string, account_id: string, device_id: string, signed_in: boolean, };

export type SyncOverview = { 
/**
 * When a sync last completed on this device (Unix seconds); `None` before the first.
 */
last_sync: number | null, 
/**
 * Local changes (writes and deletions) not on the server yet.
 */
pending: number, 
/**
 * Documents kept on this device only because the plan's monthly limit was reached.
 */
not_synced: Array<DocumentId>, };

/**
 * What `coffer account status` shows.
 */
export type AccountStatus = { connection: Connection, 
/**
 * `None` when the server has never sent one (or has no plans).
 */
entitlement: Entitlement | null, 
/**
 * Whether `entitlement` was just fetched (else it is the cached one: offline).
 */
fresh: boolean, 
/**
 * Documents kept on this device only because the plan's monthly limit was reached.
 */
not_synced: Array<DocumentId>, };

/**
 * The entitlement itself (the signed payload).
 */
export type Entitlement = { 
/**
 * [`ENTITLEMENT_FORMAT`].
 */
format: number, account_id: string, 
/**
 * The plan in force now (`start` after a downgrade).
 */
plan: string, limits: PlanLimits, 
/**
 * Usage of the current month.
 */
usage: MonthUsage, 
/**
 * End of the paid period (Unix seconds); `None` on the free plan.
 */
period_end: number | null, 
/**
 * Whether the plan renews at `period_end`; false once cancelled (it then moves to the
 * free plan at `period_end`).
 */
renews: boolean, 
/**
 * Items that are locked after a downgrade: not downloadable, editable or exportable, on
 * the server and in every client. Per month, those first committed last (the newest).
 * Unless a paid plan is renewed before `purge_at`, they are deleted for good then, and
 * their tombstones reach every device: clients delete them without the trash.
 */
locked: Array<string>, 
/**
 * When the locked items are deleted for good (Unix seconds); `None` if nothing is locked.
 * Clients warn the user in the app from 14 days before.
 */
purge_at: number | null, 
/**
 * Unix seconds.
 */
issued_at: number, 
/**
 * Fetch a fresh one after this (Unix seconds). Until then, and offline after it, the
 * cached one still governs the locks.
 */
refresh_after: number, };

/**
 * What the account uses: its live, unlocked items first committed in the current calendar
 * month (by kind class), its remote OCR credits of the month, and its stored bytes.
 */
export type MonthUsage = { 
/**
 * `YYYY-MM` in the billing time zone.
 */
month: string, receipts: number, documents: number, 
/**
 * Remote OCR credits used (of `limits.remote_ocr_credits_per_month`).
 */
remote_ocr: number, 
/**
 * Bytes the account stores now, in any month (of `limits.storage_bytes`).
 */
stored_bytes: number, 
/**
 * Unix seconds when the next month starts (the limits reset).
 */
reset_at: number, };

/**
 * What a plan allows. Monthly limits count the account's live items by their clear
 * `kind_class` and `created_month`.
 */
export type PlanLimits = { 
/**
 * Items of kind class `receipt` per calendar month.
 */
receipts_per_month: number, 
/**
 * Items of kind class `document` (invoices, contracts, warranties, other) per month.
 */
documents_per_month: number, 
/**
 * Remote OCR requests through the server's proxy per month (0: local OCR only).
 */
remote_ocr_credits_per_month: number, 
/**
 * Whether e-mail reminders before a document's expiry are available.
 */
email_reminders: boolean, 
/**
 * Bytes of blobs the account may store (uploads in progress count with their announced
 * size); an upload beyond it answers `402 storage_quota_exceeded`.
 */
storage_bytes: number, };

/**
 * `GET` [`crate::routes::PLANS`] (public): the catalog.
 */
export type PlanCatalog = { 
/**
 * The plan every account has without paying (`start`).
 */
free_plan: string, 
/**
 * IANA time zone of calendar months, periods and reset dates (`Europe/Prague`).
 */
time_zone: string, 
/**
 * Days locked items are kept after a downgrade before they are deleted (60).
 */
grace_days: number, plans: Array<Plan>, };

/**
 * A plan of the catalog.
 */
export type Plan = { id: string, 
/**
 * Display name (the same in every language, e.g. "Plus").
 */
name: string, limits: PlanLimits, 
/**
 * Empty for the free plan.
 */
prices: Array<PlanPrice>, };

/**
 * One price of a plan.
 */
export type PlanPrice = { interval: BillingInterval, price: Money, };

/**
 * A price or a payment: minor units (1 CZK = 100 haléřů, 1 EUR = 100 cents).
 */
export type Money = { amount_minor: number, currency: PriceCurrency, };

/**
 * The currencies plans are priced in: a closed set the server's catalog and payment
 * providers support. (A document's money uses `coffer_core::Currency`, any ISO 4217 code.)
 */
export type PriceCurrency = "CZK" | "EUR";

/**
 * How long one paid period lasts. Periods are calendar months or years in the billing time
 * zone (31 January + 1 month = the last day of February).
 */
export type BillingInterval = "month" | "year";

/**
 * `GET` [`crate::routes::BILLING_HISTORY`] (authenticated), newest first.
 */
export type BillingHistory = { payments: Array<Payment>, invoices: Array<Invoice>, };

/**
 * One payment of the account.
 */
export type Payment = { id: string, kind: PaymentKind, plan: string, interval: BillingInterval, amount: Money, provider: PaymentProvider, status: PaymentStatus, 
/**
 * Unix seconds.
 */
created_at: number, 
/**
 * Unix seconds, once paid.
 */
paid_at?: number, };

/**
 * What a payment pays for.
 */
export type PaymentKind = "new_period" | "upgrade" | "renewal";

/**
 * State of a payment.
 */
export type PaymentStatus = "pending" | "paid" | "failed" | "cancelled" | "refused";

/**
 * Payment providers.
 */
export type PaymentProvider = "stripe" | "comgate" | "admin";

/**
 * An invoice (tax document) for a paid payment.
 */
export type Invoice = { 
/**
 * Sequential number, e.g. `2026-000017`.
 */
number: string, payment_id: string, plan: string, amount: Money, 
/**
 * Unix seconds.
 */
issued_at: number, 
/**
 * The paid period this invoice covers (Unix seconds).
 */
period_start: number, period_end: number, 
/**
 * The provider's own invoice page, when it has one (Stripe's hosted invoice).
 */
provider_url?: string, };

/**
 * Answer to [`CheckoutRequest`]: open `redirect_url` in a browser to pay. The plan changes
 * when the provider confirms the payment (webhook / notification), not before.
 */
export type CheckoutResponse = { payment_id: string, redirect_url: string, amount: Money, kind: PaymentKind, };

/**
 * One device (= one login session) of the account, from `GET` [`routes::DEVICES`].
 */
export type Device = { device_id: string, name: string, 
/**
 * Unix seconds.
 */
created_at: number, 
/**
 * Unix seconds of the last token refresh or login.
 */
last_seen_at: number, 
/**
 * True for the device making the request.
 */
current: boolean, };

export type CommandError = { code: string, message: string, };

export type VaultState = "missing" | "locked" | "unlocked";

export type Language = "cs" | "en";

export type Theme = "system" | "light" | "dark";

/**
 * Which kinds of reminder become a desktop notification (each can be switched off).
 */
export type NotificationSettings = { warranty_ends: boolean, contract_ends: boolean, notice_deadline: boolean, document_expires: boolean, 
/**
 * Name the document in the notification; off unless the person chooses it (anyone who
 * sees the screen, even locked, reads a notification).
 */
show_titles: boolean, };

/**
 * Written with the app's one spelling (snake_case); files from before it spelt the fields in
 * camelCase, and those names are still read.
 */
export type Settings = { 
/**
 * `None` follows the system language.
 */
language: Language | null, theme: Theme, auto_lock_minutes: number, 
/**
 * Lock when the system goes to sleep (where the platform says so).
 */
lock_on_sleep: boolean, 
/**
 * Read the text of each imported file with local OCR right after the import.
 */
ocr_on_import: boolean, 
/**
 * Tesseract language codes joined by `+`.
 */
ocr_languages: string, 
/**
 * New files appearing here are imported while the vault is unlocked.
 */
watched_folder: string | null, notifications: NotificationSettings, 
/**
 * Remind to make a backup when the last one is older than this many days (0: never).
 */
backup_reminder_days: number, };

export type AppStatus = { vault: VaultState, vault_path: string, settings: Settings, 
/**
 * The server the sign-in form offers first (`$COFFER_SERVER_URL`: `make run` sets it to
 * the local server it starts).
 */
default_server_url: string | null, };

export type UnlockResult = { 
/**
 * The vault's password protection was raised to today's defaults during this unlock.
 */
kdf_upgraded: boolean, };

export type WordCheck = { position: number, word: string, };

/**
 * How far a long write has come, as the window's progress bars read it: documents for an
 * export, bytes for a backup or a restore.
 */
export type WriteProgress = { done: number, total: number, };

/**
 * Search filters as the web view sends them. Amounts are in minor units (cents, haléře).
 */
export type SearchArgs = { text?: string | null, kinds?: Array<DocumentKind>, from?: string | null, to?: string | null, min_total_minor?: number | null, max_total_minor?: number | null, merchant?: string | null, tags?: Array<string>, expiring_within_days?: number | null, unconfirmed_only?: boolean, trash?: boolean, sort?: Sort, offset?: number, limit?: number | null, };

/**
 * One window of the document list and the length of the whole list.
 */
export type DocumentPage = { total: number, documents: Array<DocumentSummary>, };

export type ImportResult = { "outcome": "imported", document: DocumentSummary, } | { "outcome": "duplicate", existing_id: string, } | { "outcome": "failed", error: CommandError, };

/**
 * What `import_files` did: an answer for each file up to where it stopped, and why it
 * stopped when the vault itself failed (a full disk): the files without an answer are not in.
 */
export type ImportedFiles = { answers: Array<ImportResult>, stopped: CommandError | null, };

/**
 * A person's corrections. Every field given becomes confirmed; an empty string clears it.
 */
export type EditArgs = { kind?: DocumentKind | null, title?: string | null, merchant?: string | null, date?: string | null, total?: string | null, currency?: string | null, document_number?: string | null, variable_symbol?: string | null, ico?: string | null, vat_id?: string | null, payment_method?: string | null, category?: string | null, notes?: string | null, expiry?: string | null, add_tags?: Array<string>, remove_tags?: Array<string>, confirm?: Array<Field>, };

/**
 * One problem `verify` found, as the window lists it (the engine's words and advice).
 */
export type VaultProblem = { 
/**
 * The document it concerns, when there is one.
 */
id: string | null, text: string, 
/**
 * `Problem::kind`: the window words the advice in the person's language by it.
 */
kind: string, advice: string, };

/**
 * The sign-in form: the account password is the vault password.
 */
export type SignIn = { server_url: string, email: string, password: string, 
/**
 * A TOTP or recovery code, when the server asked for one.
 */
totp: string | null, };

/**
 * The Account screen: who, which plan and what it locks, and how syncing stands.
 */
export type AccountView = { sync: SyncOverview, 
/**
 * The documents the plan locks, with the fields the list shows.
 */
locked_documents: Array<DocumentSummary>, email_reminders: boolean, 
/**
 * Whether the account's address is verified; `None` when the server could not be asked.
 * A server that sends e-mail syncs an account only once it is.
 */
email_verified: boolean | null, connection: Connection, 
/**
 * `None` when the server has never sent one (or has no plans).
 */
entitlement: Entitlement | null, 
/**
 * Whether `entitlement` was just fetched (else it is the cached one: offline).
 */
fresh: boolean, 
/**
 * Documents kept on this device only because the plan's monthly limit was reached.
 */
not_synced: Array<DocumentId>, };

/**
 * A step of a running sync, for the progress bar.
 */
export type SyncStep = { "phase": "uploading", sent: number, total: number, } | { "phase": "pushed", done: number, total: number, } | { "phase": "pulled", items: number, } | { "phase": "not_synced", document: DocumentId, } | { "phase": "conflict_kept", copy: DocumentId, } | { "phase": "moved_to_trash", document: DocumentId, };

/**
 * What "Sync now" did.
 */
export type SyncDone = { pushed: number, pulled: number, conflicts: number, not_synced: Array<DocumentId>, 
/**
 * The e-mail reminders the server now holds, when opted in; `None` when not opted in.
 */
email_reminders: EmailRemindersView | null, account: AccountView, };

export type EmailRemindersView = { "state": "registered", registered: number, } | { "state": "not_on_plan" };

export type SelectionRequest = { "mode": "ids", ids: Array<string>, } | { "mode": "query", query: SearchArgs, except: Array<string>, };

/**
 * One selected document, named for the progress of work on it.
 */
export type Selected = { id: string, title: string, };

/**
 * The export dialog's choices.
 */
export type ExportForm = { 
/**
 * First and last day of the period, `YYYY-MM-DD`.
 */
from: string, to: string, 
/**
 * None: every kind.
 */
kinds?: Array<DocumentKind>, preset: CsvPreset, formats?: Array<ExportFormat>, 
/**
 * The POHODA cash register for receipts paid in cash (empty: none).
 */
cash_register?: string | null, 
/**
 * The ZIP to write (replaced when it exists); none for a share link.
 */
out?: string | null, 
/**
 * The language of the report's field names.
 */
language: Language, 
/**
 * The list's selection: exactly its documents, the period and kinds aside.
 */
selection?: SelectionRequest | null, };

/**
 * One document the accountant will have to complete, or that a format left out.
 */
export type ExportNote = { id: string, file: string, missing: Array<string>, left_out_of: Array<ExportFormat>, };

export type ExportOutcome = { 
/**
 * Where the ZIP went; none for a share link.
 */
path: string | null, documents: number, by_import_date: number, content_bytes: number, pohoda_documents: number, isdoc_files: number, notes: Array<ExportNote>, };

/**
 * A private link for the accountant made in the export dialog.
 */
export type ShareOutcome = { 
/**
 * `<server>/s/<id>#<key>`: the key is only here.
 */
link: string, share_id: string, 
/**
 * Unix seconds.
 */
expires_at: number, export: ExportOutcome, };

/**
 * How the backup is encrypted: a passphrase the person chose, or age public keys.
 */
export type BackupTo = { "passphrase": string } | { "recipients": Array<string> };

export type BackupLeftOut = { id: string, title: string, reason: string, };

export type BackupOutcome = { path: string, documents: number, content_bytes: number, 
/**
 * Documents whose content does not verify (or that the plan locks), not in the backup.
 */
left_out: Array<BackupLeftOut>, };

/**
 * What the backup reminder needs, read without touching a document: when the last backup
 * of this vault was written (by the app or `coffer backup`), and when the vault was made.
 */
export type BackupAge = { 
/**
 * RFC 3339, or none when no backup was ever made.
 */
last: string | null, 
/**
 * RFC 3339.
 */
vault_created: string, };

/**
 * The remote providers the app offers, as the web view names them.
 */
export type RemoteProvider = "gemini" | "openai";

/**
 * What a remote provider would receive for a document, shown in the consent dialog before
 * anything is sent: the file itself, the instruction word for word, and where it goes.
 */
export type RemoteOcrConsent = { provider: RemoteProvider, endpoint: string, model: string, has_key: boolean, file_name: string, media_type: string, size: number, instruction: string, 
/**
 * Redeems this consent once, for this document, provider, endpoint and model.
 */
token: string, };

/**
 * A provider's configuration as the settings screen shows it; the key itself never leaves
 * the vault again once stored.
 */
export type RemoteProviderInfo = { provider: RemoteProvider, has_key: boolean, endpoint: string, model: string, default_endpoint: string, default_model: string, };

/**
 * Changes to one provider: a new key (stored inside the vault), removing the key, another
 * endpoint or model (empty means the provider's default).
 */
export type ProviderChange = { api_key?: string | null, remove_key?: boolean, endpoint?: string | null, model?: string | null, };

export type OverviewView = { 
/**
 * Minor digits per currency code that appears above (`CZK` 2, `JPY` 0).
 */
digits: { [key in string]: number }, this_month: MonthSpending, last_month: MonthSpending, 
/**
 * The last twelve months, oldest first, this month last.
 */
months: Array<MonthTotals>, 
/**
 * Documents with a field that waits for a person's check.
 */
unconfirmed: number, 
/**
 * The next deadlines from today on, soonest first.
 */
next_deadlines: Array<Deadline>, };

export type ReminderNotifications = { due: Array<DueReminder>, shown: Array<string>, 
/**
 * Deadlines the person snoozed: not notified until their day.
 */
snoozes: { [key in string]: string }, };

export type Notice = { title: string, body: string, };

/**
 * A document's own reminder settings; a `None` field follows the vault's default.
 */
export type DocumentReminders = { 
/**
 * Days before each of its deadlines to remind.
 */
lead_days: Array<number> | null, 
/**
 * A contract's notice period in days: the last day to give notice comes this long before
 * its expiry date.
 */
notice_days: number | null, };

/**
 * The deadlines screen: every deadline from [`OVERDUE_DAYS`] ago on, and the snoozes.
 */
export type Deadlines = { deadlines: Array<Deadline>, snoozes: { [key in string]: string }, };

/**
 * How the chosen backup is protected, so the screen asks for the right thing.
 */
export type BackupProtection = "passphrase" | "keys";

/**
 * The backup's key: its passphrase, or a file of age identities.
 */
export type BackupKey = { "passphrase": string } | { "identity_file": string };

export type RestoreResult = { documents: number, content_bytes: number, notes: Array<string>, };

/**
 * The strengths offered in the settings; each is at or above the floor the engine enforces.
 */
export type KdfStrength = "standard" | "strong" | "maximum" | "compatible";
