// A small W3C WebDriver client over fetch: just what the Coffer end-to-end tests need (the app
// through tauri-driver, the share page through chromedriver), so the suites have no
// dependencies beyond Node itself.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application) {
    return Session.create(base, { browserName: "wry", "tauri:options": { application } });
  }

  /** A session of whatever browser the driver at `base` runs, with these capabilities. */
  static async create(base, capabilities) {
    const response = await request(base, "POST", "/session", {
      capabilities: { alwaysMatch: capabilities },
    });
    return new Session(base, response.sessionId);
  }

  /** Opens `url` in the session's window. */
  navigate(url) {
    return this.cmd("POST", "/url", { url });
  }

  cmd(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async quit() {
    await this.cmd("DELETE", "").catch(() => {});
  }

  /** Runs `script` (a function body) in the page and returns its result. */
  execute(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Runs async `script` whose last argument is the callback. */
  executeAsync(script, ...args) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  async find(css) {
    const found = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return found[ELEMENT];
  }

  /** Waits until `css` matches a visible element and returns it. */
  async waitFor(css, timeoutMs = 20_000) {
    await this.waitUntil(
      `const el = document.querySelector(arguments[0]); return !!el && el.offsetParent !== null;`,
      [css],
      `element ${css}`,
      timeoutMs,
    );
    return this.find(css);
  }

  /** Waits until `script` returns something truthy, and returns it. */
  async waitUntil(script, args = [], what = script, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await this.execute(script, ...args).catch((e) => e);
      if (last && !(last instanceof Error)) return last;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out waiting for ${what} (last: ${last})`);
  }

  async click(css) {
    const el = await this.waitFor(css);
    await this.cmd("POST", `/element/${el}/click`, {});
  }

  /** Types `text` into a field. Plain text (no special keys such as Enter, which may submit
   * the form) with `clear` is typed again, up to three times, until the field holds exactly
   * `text`: under load WebKitWebDriver has dropped keystrokes. */
  async type(css, text, { clear = true } = {}) {
    const checkable = clear && !/[\uE000-\uF8FF]/.test(text);
    for (let attempt = 1; ; attempt++) {
      const el = await this.waitFor(css);
      if (clear) await this.cmd("POST", `/element/${el}/clear`, {});
      if (text !== "") await this.cmd("POST", `/element/${el}/value`, { text });
      if (!checkable || attempt === 3) return;
      const value = await this.execute(`return document.querySelector(arguments[0])?.value;`, css);
      if (typeof value !== "string" || value === text) return;
    }
  }

  async text(css) {
    return this.execute(`return document.querySelector(arguments[0])?.innerText ?? null;`, css);
  }

  /** A PNG of the window's content. */
  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }
}

async function request(base, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    const v = json.value ?? {};
    throw new Error(`${method} ${path}: ${v.error ?? response.status} ${v.message ?? ""}`);
  }
  return json.value;
}

export const keys = { enter: "\uE007", escape: "\uE00C", tab: "\uE004" };
