// A password strength estimate for the meter on the first-run screen. It errs on the side of
// "weak": length and variety raise the estimate; common passwords, repeats and sequences
// lower it. The vault's real protection is the KDF; this only nudges people to a better choice.

export type Strength = 0 | 1 | 2 | 3 | 4;

/** Passwords people pick first; any password built around one of these is weak. */
const COMMON = [
  "password", "heslo", "123456", "qwerty", "qwertz", "letmein", "admin", "welcome", "iloveyou",
  "monkey", "dragon", "sunshine", "princess", "football", "master", "abc123", "coffer", "trustno1",
];

const SEQUENCES = ["abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl", "qwertzuiop"];

export interface StrengthEstimate {
  score: Strength;
  /** Estimated bits of entropy, after penalties. */
  bits: number;
  /** Translation keys of hints that would raise the score. */
  hints: string[];
}

function poolSize(password: string): number {
  let pool = 0;
  if (/[a-z]/.test(password)) pool += 26;
  if (/[A-Z]/.test(password)) pool += 26;
  if (/\d/.test(password)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(password)) pool += 33;
  return pool;
}

function sequentialRuns(password: string): number {
  const lower = password.toLowerCase();
  let run = 0;
  for (let i = 0; i + 3 <= lower.length; i++) {
    const chunk = lower.slice(i, i + 3);
    if (SEQUENCES.some((s) => s.includes(chunk) || [...s].reverse().join("").includes(chunk))) run++;
  }
  return run;
}

export function estimateStrength(password: string): StrengthEstimate {
  const hints: string[] = [];
  if (password.length === 0) return { score: 0, bits: 0, hints: ["strength.hint.length"] };

  const unique = new Set(password).size;
  // Repeated characters add little: count each distinct character fully and repeats at a quarter.
  const effectiveLength = unique + (password.length - unique) * 0.25;
  let bits = effectiveLength * Math.log2(Math.max(poolSize(password), 1));

  const lower = password.toLowerCase();
  if (COMMON.some((word) => lower.includes(word))) {
    bits = Math.min(bits, 20);
    hints.push("strength.hint.common");
  }
  bits -= sequentialRuns(password) * 4;
  if (/^\d+$/.test(password)) bits = Math.min(bits, 25);
  bits = Math.max(bits, 0);

  if (password.length < 12) hints.push("strength.hint.length");
  if (poolSize(password) < 40 && password.length < 20) hints.push("strength.hint.variety");

  const score: Strength = bits < 28 ? 0 : bits < 45 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
  return { score, bits: Math.round(bits), hints };
}

/** The weakest password the first-run screen accepts. */
export const MIN_ACCEPTED_STRENGTH: Strength = 2;
