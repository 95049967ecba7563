import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatRupiah, groupFours, groupNik } from "./format";

describe("formatDateTime", () => {
  it.each([
    ["2026-11-28T03:04:05Z", "28 November 2026 10.04"],
    ["2026-12-31T17:30:00Z", "1 Januari 2027 00.30"],
    ["not a date", "not a date"],
  ])("%s → %s", (input, expected) => {
    expect(formatDateTime(input)).toBe(expected);
  });
});

describe("formatDate and formatRupiah", () => {
  it.each([
    ["2026-12-03", "3 Desember 2026"],
    ["2027-01-15", "15 Januari 2027"],
    ["2026-13-01", "2026-13-01"],
    ["kemarin", "kemarin"],
  ])("%s → %s", (input, expected) => {
    expect(formatDate(input)).toBe(expected);
  });
  it.each([
    [0, "Rp 0"],
    [600000, "Rp 600.000"],
    [5000000000, "Rp 5.000.000.000"],
    [999, "Rp 999"],
  ])("%d → %s", (input, expected) => {
    expect(formatRupiah(input)).toBe(expected);
  });
});

describe("NIK display", () => {
  it("groups a 16-digit NIK in fours", () => {
    expect(groupNik("3601011205900001")).toBe("3601 0112 0590 0001");
    expect(groupNik(" 12 ")).toBe("12");
  });
  it("masks the middle eight digits", () => {
    expect(groupFours("3601********0001")).toBe("3601 **** **** 0001");
    expect(groupFours("****")).toBe("****");
  });
});

describe("dates in English", () => {
  it("use English month names and a colon", async () => {
    const { WORDS_EN } = await import("./words");
    expect(formatDateTime("2026-11-28T03:04:05Z", WORDS_EN.dates)).toBe("28 November 2026 10:04");
    expect(formatDate("2026-12-03", WORDS_EN.dates)).toBe("3 December 2026");
  });
});
