// The shapes the Tauri commands send and receive: generated from the Rust types into
// bindings.ts (src-tauri/src/bindings.rs, `make bindings`). Only the lists the window offers
// are written here, checked against those types.

import type { DocumentKind, ExportFormat } from "./bindings";

export type * from "./bindings";

export const DOCUMENT_KINDS: DocumentKind[] = ["receipt", "invoice", "contract", "warranty", "other"];
export const EXPORT_FORMATS: ExportFormat[] = ["pohoda", "isdoc"];
