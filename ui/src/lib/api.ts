// The one place that talks to the Tauri back end: commands, events, the file dialog and
// drag and drop. Components call these functions and never `invoke` directly.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open } from "@tauri-apps/plugin-dialog";
import type {
  AppStatus,
  CommandError,
  DocumentDetail,
  DocumentKind,
  DocumentSummary,
  EditArgs,
  ImportResult,
  SearchArgs,
  Settings,
  VaultInfo,
} from "./types";

/** Turns whatever a command rejected with into a `CommandError`. */
export function asCommandError(error: unknown): CommandError {
  if (error && typeof error === "object" && "code" in error && "message" in error) {
    return error as CommandError;
  }
  return { code: "internal", message: String(error) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw asCommandError(error);
  }
}

export const api = {
  status: () => call<AppStatus>("app_status"),
  newRecoveryPhrase: () => call<string[]>("new_recovery_phrase"),
  createVault: (password: string, confirmed: { position: number; word: string }[]) =>
    call<void>("create_vault", { password, confirmed }),
  unlock: (password: string) => call<{ kdfUpgraded: boolean }>("unlock", { password }),
  recover: (phrase: string, newPassword: string) => call<void>("recover", { phrase, newPassword }),
  lock: () => call<void>("lock"),
  touch: () => call<void>("touch"),
  search: (query: SearchArgs) => call<DocumentSummary[]>("search_documents", { query }),
  importFile: (path: string, kind: DocumentKind | null) =>
    call<ImportResult>("import_file", { path, kind }),
  document: (id: string) => call<DocumentDetail>("get_document", { id }),
  content: async (id: string) => new Uint8Array(await call<ArrayBuffer>("document_content", { id })),
  edit: (id: string, edit: EditArgs) => call<DocumentDetail>("edit_document", { id, edit }),
  trash: (id: string) => call<void>("trash_document", { id }),
  restore: (id: string) => call<void>("restore_document", { id }),
  vaultInfo: () => call<VaultInfo>("vault_info"),
  settings: () => call<Settings>("get_settings"),
  saveSettings: (settings: Settings) => call<Settings>("save_settings", { settings }),
};

/** Runs `handler` when the back end locks the vault by itself (idle timeout). */
export function onVaultLocked(handler: () => void): Promise<UnlistenFn> {
  return listen("vault-locked", handler);
}

/** Asks for files to import; an empty list when the person cancels. */
export async function pickFiles(title: string): Promise<string[]> {
  const picked = await open({
    title,
    multiple: true,
    directory: false,
    filters: [
      { name: "Documents", extensions: ["jpg", "jpeg", "png", "heic", "pdf", "tif", "tiff", "webp", "xml", "isdoc"] },
      { name: "*", extensions: ["*"] },
    ],
  });
  if (!picked) return [];
  return Array.isArray(picked) ? picked : [picked];
}

export type DropEvent = { type: "over" } | { type: "leave" } | { type: "drop"; paths: string[] };

/** Files dragged over the window: the paths arrive with the drop. */
export function onFileDrop(handler: (event: DropEvent) => void): Promise<UnlistenFn> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const payload = event.payload;
    if (payload.type === "enter" || payload.type === "over") handler({ type: "over" });
    else if (payload.type === "leave") handler({ type: "leave" });
    else if (payload.type === "drop") handler({ type: "drop", paths: payload.paths });
  });
}
