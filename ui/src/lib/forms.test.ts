import { describe, expect, it } from "vitest";
import type { FieldIssueDto } from "./bindings";
import { issuesByField, nikTypingHint, onlyWarnings, parseRupiah, parseWhole } from "./forms";

const err = (field: string, code: string): FieldIssueDto => ({ field, code, message: code, severity: "error" });
const warn = (field: string, code: string): FieldIssueDto => ({ field, code, message: code, severity: "warning" });

describe("issuesByField", () => {
  it("groups by field with errors first", () => {
    const grouped = issuesByField([warn("nik", "nik.region_unknown"), err("nik", "nik.length"), err("address", "address.empty")]);
    expect(grouped.nik.map((i) => i.code)).toEqual(["nik.length", "nik.region_unknown"]);
    expect(grouped.address.map((i) => i.code)).toEqual(["address.empty"]);
  });
});

describe("nikTypingHint", () => {
  it.each([
    ["", null],
    ["3601", "4/16 digit"],
    ["3601 0112 0590 0001", null],
    ["3601.0112.0590.0001", null],
    ["3601-0112-0590-0001", null],
    ["36010112059000011", "Kelebihan 1 digit."],
    ["3601a", "NIK hanya boleh berisi angka."],
  ])("%j → %j", (input, expected) => {
    expect(nikTypingHint(input)).toBe(expected);
  });
});

describe("onlyWarnings", () => {
  it("is true only for a non-empty list of warnings", () => {
    expect(onlyWarnings([])).toBe(false);
    expect(onlyWarnings([warn("nik", "x")])).toBe(true);
    expect(onlyWarnings([warn("nik", "x"), err("nik", "y")])).toBe(false);
  });
});

describe("parseRupiah", () => {
  it.each([
    ["750000", 750000],
    ["Rp 1.250.000", 1250000],
    ["rp.0", 0],
    ["", null],
    ["12,5", null],
    ["-5", null],
    ["99999999999", null],
  ])("%j → %j", (input, expected) => {
    expect(parseRupiah(input)).toBe(expected);
  });
});

describe("parseWhole", () => {
  it.each([
    ["60", 60],
    [" 1.250 ", 1250],
    ["Rp 5.000.000.000", 5_000_000_000],
    ["", null],
    ["1,5", null],
    ["-3", null],
    ["12a", null],
  ])("%j → %j", (input, expected) => {
    expect(parseWhole(input)).toBe(expected);
  });
});
