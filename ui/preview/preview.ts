// Development only (never built into the app): runs the UI in a plain browser with a simulated
// back end, to look at screens and to time the document list with 100,000 rows
// (`?documents=100000&state=unlocked`). Served by `npm run dev` at /preview/.

import { mockIPC } from "@tauri-apps/api/mocks";
import type { DocumentSummary } from "../src/lib/types";

const params = new URLSearchParams(location.search);
const count = Number(params.get("documents") ?? 200);
const kinds = ["receipt", "invoice", "contract", "warranty", "other"] as const;
const merchants = ["Albert", "Tesco Stores ČR a.s.", "Elektro Novák a synové, s.r.o., provozovna Praha 4 – Chodov", "IKEA", "Lékárna U Zlatého hada"];

const documents: DocumentSummary[] = Array.from({ length: count }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  kind: kinds[i % kinds.length],
  title: `Document ${i + 1}`,
  merchant: merchants[i % merchants.length],
  date: `2024-${String((i % 12) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")}`,
  total: `${(i * 37) % 5000}.${String(i % 100).padStart(2, "0")}`,
  currency: "CZK",
  tags: i % 7 === 0 ? ["kitchen"] : [],
  expiry: null,
  unconfirmed: i % 3 === 0,
  trashed: false,
  imported_at: "2024-11-03T10:00:00Z",
  untitled: i % 11 === 0,
}));

function matching(query: { text?: string; unconfirmed_only?: boolean }): DocumentSummary[] {
  const text = (query.text ?? "").toLowerCase();
  return documents.filter(
    (d) =>
      (!text || d.title.toLowerCase().includes(text) || d.merchant?.toLowerCase().includes(text)) &&
      (!query.unconfirmed_only || d.unconfirmed),
  );
}

let vault = params.get("state") ?? "unlocked";
mockIPC((cmd, args) => {
  const a = args as Record<string, unknown>;
  switch (cmd) {
    case "app_status":
      return { vault, vault_path: "/home/jana/.local/share/coffer/vault", settings: { language: params.get("lang"), theme: params.get("theme") ?? "system", auto_lock_minutes: 10 } };
    case "search_documents":
      return matching(a.query as { text?: string });
    case "list_documents": {
      const query = a.query as { text?: string; unconfirmed_only?: boolean; offset?: number; limit?: number };
      const found = matching(query);
      const offset = query.offset ?? 0;
      return { total: found.length, documents: found.slice(offset, offset + (query.limit ?? found.length)) };
    }
    case "unlock":
    case "create_vault":
      vault = "unlocked";
      return cmd === "unlock" ? { kdf_upgraded: false } : null;
    case "new_recovery_phrase":
      return "abandon ability able about above absent absorb abstract absurd abuse access accident account accuse achieve acid acoustic acquire across act action actor actress actual".split(" ");
    case "get_document": {
      const d = documents.find((x) => x.id === a.id) ?? documents[0];
      return {
        ...d,
        vat: [],
        company_ids: { ico: "25596641" },
        document_number: "2024-0042",
        payment_method: null,
        category: null,
        notes: null,
        field_states: {
          merchant: { confidence: 0.93, confirmed: false },
          total: { confidence: 0.62, confirmed: false },
          issue_date: { confidence: 0.41, confirmed: false },
          kind: { confidence: 1, confirmed: true },
        },
        ocr_text: null,
        file: { name: "scan-0042.png", media_type: "image/png", size: 183_422 },
        imported_at: "2024-11-03T10:00:00Z",
        updated_at: "2024-11-03T10:00:00Z",
        trashed_at: null,
      };
    }
    case "document_content":
      return fetch("/icon.png").then((r) => r.arrayBuffer());
    case "vault_info":
      return { path: "/home/jana/.local/share/coffer/vault", documents: count, trashed: 0, content_bytes: 0, encrypted_bytes: 48_200_000, created_at: "2024-11-03T10:00:00Z", kdf: { alg: "argon2id", memory_kib: 131072, passes: 3, lanes: 4 } };
    case "last_backup":
      return { last: "2024-11-20T18:00:00Z", vault_created: "2024-11-03T10:00:00Z" };
    default:
      return null;
  }
}, { shouldMockEvents: true });

await import("../src/main");
