// Display helpers. Pure functions: unit-tested in format.test.ts.

import { WORDS_ID, type Words } from "./words";

type Dates = Words["dates"];

/** "2026-11-28T03:04:05Z" → "28 November 2026 10.04" in WIB (UTC+7), in `dates`' words. */
export function formatDateTime(rfc3339: string, dates: Dates = WORDS_ID.dates, offsetHours = 7): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return rfc3339;
  const d = new Date(ms + offsetHours * 3600_000);
  const hh = String(d.getUTCHours()).padStart(2, "0");
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${d.getUTCDate()} ${dates.months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${hh}${dates.timeSeparator}${mm}`;
}

/** "2026-12-03" → "3 Desember 2026". Other input is returned as is. */
export function formatDate(ymd: string, dates: Dates = WORDS_ID.dates): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return ymd;
  const month = dates.months[Number(m[2]) - 1];
  return month ? `${Number(m[3])} ${month} ${m[1]}` : ymd;
}

/** 1250000 → "Rp 1.250.000". */
export function formatRupiah(amount: number): string {
  const digits = String(Math.trunc(amount));
  return `Rp ${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".")}`;
}

/** Group a NIK in fours for reading: "3601 0112 0590 0001". Other input is returned trimmed. */
export function groupNik(nik: string): string {
  const digits = nik.replace(/\s+/g, "");
  if (!/^\d{16}$/.test(digits)) return nik.trim();
  return digits.replace(/(\d{4})(?=\d)/g, "$1 ");
}

/** Group an identifier in fours for reading ("3601********0001" → "3601 **** **** 0001"). */
export function groupFours(value: string): string {
  return value.replace(/(.{4})(?=.)/g, "$1 ");
}
