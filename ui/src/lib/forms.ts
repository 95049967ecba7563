// Form helpers shared by the registration forms. Pure: unit-tested in forms.test.ts.

import type { FieldIssueDto } from "./bindings";
import { WORDS_ID, type Words } from "./words";

/** Issues grouped by form field, errors before warnings. */
export function issuesByField(issues: FieldIssueDto[]): Record<string, FieldIssueDto[]> {
  const out: Record<string, FieldIssueDto[]> = {};
  const sorted = [...issues].sort((a, b) => rank(a) - rank(b));
  for (const issue of sorted) {
    (out[issue.field] ??= []).push(issue);
  }
  return out;
}

function rank(i: FieldIssueDto): number {
  return i.severity === "error" ? 0 : 1;
}

/** The separators people type or copy into numbers (spaces, dots, hyphens and dashes); the
 * Rust side (`loket_domain::separators`) removes the same before checking. */
export function stripSeparators(value: string): string {
  return value.replace(/[\s.\-\u2010-\u2014]+/g, "");
}

/** A live hint while typing a NIK, before the authoritative check on save. */
export function nikTypingHint(value: string, words: Words["nikHint"] = WORDS_ID.nikHint): string | null {
  const compact = stripSeparators(value);
  if (compact === "") return null;
  if (/\D/.test(compact)) return words.digitsOnly;
  if (compact.length < 16) return words.typed(compact.length);
  if (compact.length > 16) return words.excess(compact.length - 16);
  return null;
}

/** Only warnings (no errors) remain: the clerk may confirm and save. */
export function onlyWarnings(issues: FieldIssueDto[]): boolean {
  return issues.length > 0 && issues.every((i) => i.severity === "warning");
}

/** Relationships to the head of household, as printed on a KK. */
export const RELATIONSHIPS = ["Istri", "Suami", "Anak", "Menantu", "Cucu", "Orang tua", "Mertua", "Famili lain"];

/** "Rp 1.250.000" / "1250000" → 1250000; null when it is not a whole rupiah amount. */
export function parseRupiah(value: string): number | null {
  const compact = value.replace(/^\s*rp\.?\s*/i, "").replace(/[.\s]/g, "");
  if (!/^\d{1,10}$/.test(compact)) return null;
  const n = Number(compact);
  return n <= 4_294_967_295 ? n : null;
}

/** A whole non-negative number as typed ("1.250", "60", "Rp 25.000.000"); null when it is not one. */
export function parseWhole(value: string): number | null {
  const compact = value.replace(/^\s*rp\.?\s*/i, "").replace(/[.\s]/g, "");
  if (!/^\d{1,13}$/.test(compact)) return null;
  return Number(compact);
}
