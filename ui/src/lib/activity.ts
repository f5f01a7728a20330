// Tells the back end the person is active, at most once per interval, so the idle lock does
// not fire while they work.

export function throttle(action: () => void, intervalMs: number, now: () => number = Date.now) {
  let last = -Infinity;
  return () => {
    const at = now();
    if (at - last >= intervalMs) {
      last = at;
      action();
    }
  };
}

const EVENTS = ["keydown", "pointerdown", "wheel", "pointermove"] as const;

/** Reports activity while the vault is open; returns the function that stops it. */
export function watchActivity(report: () => void, intervalMs = 20_000): () => void {
  const throttled = throttle(report, intervalMs);
  for (const name of EVENTS) window.addEventListener(name, throttled, { passive: true });
  return () => {
    for (const name of EVENTS) window.removeEventListener(name, throttled);
  };
}
