import { describe, expect, it } from "vitest";
import { estimateStrength, MIN_ACCEPTED_STRENGTH } from "./strength";

describe("password strength", () => {
  it("rates common and short passwords as weak", () => {
    for (const weak of ["", "password", "heslo123", "12345678", "aaaaaaaaaaaa", "abcdefgh"]) {
      expect(estimateStrength(weak).score, weak).toBeLessThan(MIN_ACCEPTED_STRENGTH);
    }
  });

  it("rates long passphrases and varied passwords as strong", () => {
    for (const strong of ["correct horse battery staple", "Kočka-Leze-Dírou-42!", "tR7#pQ2!vX9@mL4$"]) {
      expect(estimateStrength(strong).score, strong).toBeGreaterThanOrEqual(3);
    }
  });

  it("explains what would make a password better", () => {
    expect(estimateStrength("password1").hints).toContain("strength.hint.common");
    expect(estimateStrength("short").hints).toContain("strength.hint.length");
  });
});
