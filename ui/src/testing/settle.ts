// For component tests: lets mocked commands answer and Svelte apply what they changed.
import { flushSync, tick } from "svelte";

export async function settle() {
  for (let i = 0; i < 10; i++) {
    await tick();
    await new Promise((r) => setTimeout(r, 0));
  }
  flushSync();
}
