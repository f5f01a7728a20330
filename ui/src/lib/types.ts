// The shapes the Tauri commands send and receive (see src-tauri/src/commands.rs and the
// engine's JSON in crates/coffer-core/src/document.rs).

import type { SelectionRequest } from "./selection";

export type DocumentKind = "receipt" | "invoice" | "contract" | "warranty" | "other";
export const DOCUMENT_KINDS: DocumentKind[] = ["receipt", "invoice", "contract", "warranty", "other"];

export type Field =
  | "kind"
  | "title"
  | "merchant"
  | "issue_date"
  | "total"
  | "vat"
  | "company_ids"
  | "document_number"
  | "variable_symbol"
  | "payment_method"
  | "category"
  | "tags"
  | "notes"
  | "expiry";

export interface FieldState {
  confidence: number;
  confirmed: boolean;
}

export interface DocumentSummary {
  id: string;
  kind: DocumentKind;
  title: string;
  merchant: string | null;
  date: string | null;
  total: string | null;
  currency: string | null;
  tags: string[];
  expiry: string | null;
  unconfirmed: boolean;
  trashed: boolean;
  /** RFC 3339. */
  imported_at: string;
  /** Nothing names it yet (no text read, no merchant, the file's name as title). */
  untitled: boolean;
}

/** One window of the document list and the whole list's length. */
export interface DocumentPage {
  total: number;
  documents: DocumentSummary[];
}

export type SortKey = "date" | "total" | "name";

export interface Sort {
  key: SortKey;
  ascending: boolean;
}

export interface VatLine {
  rate_basis_points: number;
  base_minor: number;
  tax_minor: number;
}

export interface DocumentDetail {
  id: string;
  kind: DocumentKind;
  title: string;
  merchant: string | null;
  date: string | null;
  total: string | null;
  currency: string | null;
  vat: VatLine[];
  company_ids: { ico?: string; vat_id?: string };
  document_number: string | null;
  variable_symbol?: string | null;
  payment_method: string | null;
  category: string | null;
  tags: string[];
  notes: string | null;
  expiry: string | null;
  field_states: Partial<Record<Field, FieldState>>;
  ocr_text: string | null;
  file: { name: string; media_type: string; size: number };
  imported_at: string;
  updated_at: string;
  trashed_at: string | null;
}

export type VaultState = "missing" | "locked" | "unlocked";
export type Language = "cs" | "en";
export type Theme = "system" | "light" | "dark";

export interface NotificationSettings {
  warrantyEnds: boolean;
  contractEnds: boolean;
  noticeDeadline: boolean;
  documentExpires: boolean;
  /** Name the document in the notification (others may see the screen); off unless chosen. */
  showTitles: boolean;
}

export interface Settings {
  language: Language | null;
  theme: Theme;
  autoLockMinutes: number;
  lockOnSleep: boolean;
  ocrOnImport: boolean;
  ocrLanguages: string;
  watchedFolder: string | null;
  notifications: NotificationSettings;
  /** Remind of a backup when the last one is older than this many days (0: never). */
  backupReminderDays: number;
}

export interface AppStatus {
  vault: VaultState;
  vaultPath: string;
  settings: Settings;
  /** The server the sign-in form offers first (the local one `make run` starts). */
  defaultServerUrl: string | null;
}

export interface SearchArgs {
  text?: string;
  kinds?: DocumentKind[];
  from?: string;
  to?: string;
  minTotalMinor?: number;
  maxTotalMinor?: number;
  merchant?: string;
  tags?: string[];
  expiringWithinDays?: number;
  unconfirmedOnly?: boolean;
  trash?: boolean;
  sort?: Sort;
  offset?: number;
  limit?: number;
}

export interface EditArgs {
  kind?: DocumentKind;
  title?: string;
  merchant?: string;
  date?: string;
  total?: string;
  currency?: string;
  documentNumber?: string;
  variableSymbol?: string;
  ico?: string;
  vatId?: string;
  paymentMethod?: string;
  category?: string;
  notes?: string;
  expiry?: string;
  addTags?: string[];
  removeTags?: string[];
  confirm?: Field[];
}

export type ImportResult =
  | { outcome: "imported"; document: DocumentSummary }
  | { outcome: "duplicate"; existingId: string }
  | { outcome: "failed"; error: CommandError };

/** One `import_files` call: each file's answer, up to where the vault itself failed, if it did. */
export interface ImportedFiles {
  answers: ImportResult[];
  stopped: CommandError | null;
}

/** What the backup reminder needs (`last_backup`): RFC 3339 dates. */
export interface BackupAge {
  last: string | null;
  vaultCreated: string;
}

export interface VaultInfo {
  path: string;
  documents: number;
  trashed: number;
  content_bytes: number;
  encrypted_bytes: number;
  created_at: string;
  /** The KDF record, flattened: `alg` plus that algorithm's parameters (no secrets). */
  kdf: { alg: string; memory_kib?: number; passes?: number; lanes?: number; iterations?: number };
}

export type RemoteProvider = "gemini" | "openai";

export interface RemoteProviderInfo {
  provider: RemoteProvider;
  hasKey: boolean;
  endpoint: string;
  model: string;
  defaultEndpoint: string;
  defaultModel: string;
}

export interface ProviderChange {
  apiKey?: string;
  removeKey?: boolean;
  endpoint?: string;
  model?: string;
}

/** Exactly what a remote OCR provider would receive, shown before anything is sent. */
export interface RemoteOcrConsent {
  provider: RemoteProvider;
  endpoint: string;
  model: string;
  hasKey: boolean;
  fileName: string;
  mediaType: string;
  size: number;
  instruction: string;
  /** Redeems this consent once, for this document, provider, endpoint and model. */
  token: string;
}

export type KdfStrength = "standard" | "strong" | "maximum" | "compatible";

export type BackupKey = { passphrase: string } | { identityFile: string };

export type CsvPreset = "cz" | "intl";
export type ExportFormat = "pohoda" | "isdoc";
export const EXPORT_FORMATS: ExportFormat[] = ["pohoda", "isdoc"];

export interface ExportForm {
  from: string;
  to: string;
  kinds: DocumentKind[];
  preset: CsvPreset;
  formats: ExportFormat[];
  cashRegister: string | null;
  /** Where to save the ZIP; none for a share link. */
  out?: string | null;
  language: Language;
  /** Exactly the list's selection; the period and kinds then choose nothing. */
  selection?: SelectionRequest | null;
}

export interface ExportNote {
  id: string;
  file: string;
  /** Field names in the requested language. */
  missing: string[];
  leftOutOf: ExportFormat[];
}

export interface ExportOutcome {
  /** Where the ZIP went; null for a share link. */
  path: string | null;
  documents: number;
  byImportDate: number;
  contentBytes: number;
  pohodaDocuments: number;
  isdocFiles: number;
  notes: ExportNote[];
}

/** "Send to accountant": the export as a private link. */
export interface ShareOutcome {
  /** `<server>/s/<id>#<key>`: the key is only in the link. */
  link: string;
  shareId: string;
  /** Unix seconds. */
  expiresAt: number;
  export: ExportOutcome;
}

export type BackupTo = { passphrase: string } | { recipients: string[] };

export interface BackupOutcome {
  path: string;
  documents: number;
  contentBytes: number;
  leftOut: { id: string; title: string; reason: string }[];
}

export interface RestoreResult {
  documents: number;
  contentBytes: number;
  notes: string[];
}

export type DeadlineKind = "warranty_ends" | "contract_ends" | "notice_deadline" | "document_expires";

/** One dated event of one document, with the lead times at which it is announced. */
export interface Deadline {
  document: string;
  title: string;
  document_kind: DocumentKind;
  kind: DeadlineKind;
  date: string;
  lead_days: number[];
}

/** A deadline close enough to be shown now. */
export interface DueReminder extends Deadline {
  days_left: number;
  stage: number | null;
}

/** A document's own reminder settings; `null` follows the vault's defaults. */
export interface DocumentReminders {
  leadDays: number[] | null;
  noticeDays: number | null;
}

export interface ReminderNotifications {
  due: DueReminder[];
  shown: string[];
  /** Snoozed deadlines (key → the day they show again): not notified until then. */
  snoozes: Record<string, string>;
}

/** What a failed command carries: a code the UI translates, and the engine's message. */
export interface CommandError {
  code: string;
  message: string;
}

// Account and sync. Field names are the sync client's (snake_case) where it defines them.

export interface SignInForm {
  serverUrl: string;
  email: string;
  password: string;
  totp: string | null;
}

export interface Connection {
  server_url: string;
  email: string;
  account_id: string;
  device_id: string;
  signed_in: boolean;
}

export interface PlanLimits {
  receipts_per_month: number;
  documents_per_month: number;
  remote_ocr_credits_per_month: number;
  email_reminders: boolean;
}

/** The account's plan as the server signed it. Times are Unix seconds. */
export interface Entitlement {
  plan: string;
  limits: PlanLimits;
  usage: { month: string; receipts: number; documents: number; remote_ocr?: number; reset_at: number };
  period_end: number | null;
  renews: boolean;
  locked: string[];
  purge_at: number | null;
}

export interface SyncOverview {
  last_sync: number | null;
  pending: number;
  not_synced: string[];
}

export interface AccountView {
  connection: Connection;
  /** Null when the server has no plans (or never sent an entitlement). */
  entitlement: Entitlement | null;
  /** False: the server could not be reached, this is the cached plan. */
  fresh: boolean;
  sync: SyncOverview;
  lockedDocuments: DocumentSummary[];
  emailReminders: boolean;
  /** Null when the server could not be asked. A server that sends e-mail syncs only once true. */
  emailVerified: boolean | null;
}

export interface Device {
  device_id: string;
  name: string;
  created_at: number;
  last_seen_at: number;
  current: boolean;
}

export type Currency = "CZK" | "EUR";
export type BillingInterval = "month" | "year";

export interface Money {
  amount_minor: number;
  currency: Currency;
}

/** One payment of the account (unix seconds). */
export interface Payment {
  id: string;
  kind: "new_period" | "upgrade" | "renewal";
  plan: string;
  interval: BillingInterval;
  amount: Money;
  provider: "stripe" | "comgate" | "admin";
  status: "pending" | "paid" | "failed" | "cancelled";
  created_at: number;
  paid_at?: number;
}

/** An invoice for a paid payment; the period it covers in unix seconds. */
export interface Invoice {
  number: string;
  payment_id: string;
  plan: string;
  amount: Money;
  issued_at: number;
  period_start: number;
  period_end: number;
  provider_url?: string;
}

export interface BillingHistory {
  payments: Payment[];
  invoices: Invoice[];
}

export interface Plan {
  id: string;
  name: string;
  limits: PlanLimits;
  prices: { interval: BillingInterval; price: { amount_minor: number; currency: Currency } }[];
}

export interface PlanCatalog {
  free_plan: string;
  time_zone: string;
  grace_days: number;
  plans: Plan[];
}

export interface Checkout {
  payment_id: string;
  redirect_url: string;
  amount: { amount_minor: number; currency: Currency };
  kind: "new_period" | "upgrade" | "renewal";
}

export type SyncStep =
  | { phase: "uploading"; sent: number; total: number }
  | { phase: "pushed"; done: number; total: number }
  | { phase: "pulled"; items: number }
  | { phase: "notSynced"; document: string }
  | { phase: "conflictKept"; copy: string };

export type EmailRemindersOutcome = { state: "registered"; registered: number } | { state: "notOnPlan" } | null;

export interface SyncDone {
  pushed: number;
  pulled: number;
  conflicts: number;
  notSynced: string[];
  emailReminders: EmailRemindersOutcome;
  account: AccountView;
}

/** A problem `verify` found: the engine's words and what to do. */
export interface VaultProblem {
  id: string | null;
  text: string;
  /** database, damaged, missing, unreferenced, undescribed or journal. */
  kind: string;
  /** The engine's advice, in English: shown when the window has no words for the kind. */
  advice: string;
}

// The overview (the engine's `Overview`, amounts in minor units of their currency).
export interface Amount {
  currency: string;
  minor: number;
  documents: number;
}

export interface KindAmount extends Amount {
  kind: DocumentKind;
}

export interface VatTotal {
  currency: string;
  rate_basis_points: number;
  base_minor: number;
  tax_minor: number;
}

export interface MonthSpending {
  /** `YYYY-MM`. */
  month: string;
  documents: number;
  without_total: number;
  by_currency: Amount[];
  by_kind: KindAmount[];
  vat: VatTotal[];
}

export interface MonthTotals {
  month: string;
  totals: Amount[];
}


export interface Overview {
  this_month: MonthSpending;
  last_month: MonthSpending;
  /** Twelve months, oldest first, this month last. */
  months: MonthTotals[];
  unconfirmed: number;
  next_deadlines: Deadline[];
  /** Minor digits per currency code. */
  digits: Record<string, number>;
}

/** One change to every selected document (the engine's `BulkChange`). */
export type BulkChange =
  | { change: "set_kind"; kind: DocumentKind }
  | { change: "add_tags"; tags: string[] }
  | { change: "remove_tags"; tags: string[] }
  | { change: "confirm_all" }
  | { change: "trash" }
  | { change: "restore" };

export interface BulkOutcome {
  changed: number;
  unchanged: number;
  skipped: { id: string; reason: string }[];
}
