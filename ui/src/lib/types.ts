// The shapes the Tauri commands send and receive (see src-tauri/src/commands.rs and the
// engine's JSON in crates/coffer-core/src/document.rs).

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
}

export interface AppStatus {
  vault: VaultState;
  vaultPath: string;
  settings: Settings;
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
  | { outcome: "duplicate"; existingId: string };

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
}

export type KdfStrength = "standard" | "strong" | "maximum" | "compatible";

export type BackupKey = { passphrase: string } | { identityFile: string };

export interface RestoreResult {
  documents: number;
  contentBytes: number;
  notes: string[];
}

export type DeadlineKind = "warranty_ends" | "contract_ends" | "notice_deadline" | "document_expires";

export interface DueReminder {
  document: string;
  title: string;
  document_kind: DocumentKind;
  kind: DeadlineKind;
  date: string;
  lead_days: number[];
  days_left: number;
  stage: number | null;
}

export interface ReminderNotifications {
  due: DueReminder[];
  shown: string[];
}

/** What a failed command carries: a code the UI translates, and the engine's message. */
export interface CommandError {
  code: string;
  message: string;
}
