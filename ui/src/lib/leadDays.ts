// Reminder lead times as the person types them ("30, 7" or "30 7"): whole days, or null when
// something in the text is not one.

export function parseLeadDays(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => !/^\d{1,4}$/.test(p))) return null;
  return parts.map(Number);
}

export function formatLeadDays(days: number[]): string {
  return days.join(", ");
}
