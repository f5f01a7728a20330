import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { api, asCommandError } from "./api";

afterEach(() => clearMocks());

describe("the command layer", () => {
  it("sends commands with their arguments under the names the back end expects", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "search_documents") return [];
      if (cmd === "import_files") return { answers: [{ outcome: "duplicate", existing_id: "x" }], stopped: null };
      return null;
    });
    await api.search({ text: "kettle" });
    await api.importFiles(["/tmp/a.jpg"], "receipt");
    await api.createVault("pw", [{ position: 3, word: "abandon" }]);
    await api.edit("id1", { merchant: "Tesco" });
    expect(calls).toEqual([
      ["search_documents", { query: { text: "kettle" } }],
      ["import_files", { paths: ["/tmp/a.jpg"], kind: "receipt" }],
      ["create_vault", { password: "pw", confirmed: [{ position: 3, word: "abandon" }] }],
      ["edit_document", { id: "id1", edit: { merchant: "Tesco" } }],
    ]);
  });

  it("turns rejections into command errors", async () => {
    mockIPC(() => {
      throw { code: "wrong_password", message: "wrong password" };
    });
    await expect(api.unlock("nope")).rejects.toEqual({ code: "wrong_password", message: "wrong password" });
    expect(asCommandError("boom")).toEqual({ code: "internal", message: "boom" });
  });
});
