import { describe, expect, it } from "vitest";
import { ID, refusedForVersion } from "./labels";

describe("labels", () => {
  const base = {
    pending: 0,
    last_success: null,
    pushed: null,
    pulled: null,
    attention: 0,
    clock_warning: false,
    clock_offset_seconds: null,
  };

  it("puts a sync state in words", () => {
    expect(ID.sync({ ...base, state: "idle" })).toBe("Semua data sudah tersinkron.");
    expect(ID.sync({ ...base, state: "idle", pending: 3 })).toBe("3 perubahan menunggu dikirim.");
    expect(ID.sync({ ...base, state: "offline", pending: 2 })).toContain("2 perubahan aman");
  });

  it("knows when sync is refused for the app's version (the update is then offered)", () => {
    expect(refusedForVersion({ ...base, state: "upgrade_required" })).toBe(true);
    expect(refusedForVersion({ ...base, state: "offline" })).toBe(false);
  });

  it("puts a conflict in words", () => {
    expect(
      ID.conflict({
        about: "fields",
        fields: [{ field: "applicant_address", server: "Kp. Satu", device: "Kp. Dua" }],
      }),
    ).toBe('Perubahan bersamaan — Alamat: server "Kp. Satu", perangkat lain "Kp. Dua"');
    expect(ID.conflict({ about: "step", action: "approve", server_status: "rejected" })).toBe(
      'Keputusan "setujui" dari perangkat lain tidak berlaku: permohonan sudah ditolak di server',
    );
  });

  it("names a flag's reason and the other kecamatan", () => {
    expect(
      ID.flag({
        other_office_code: "36.01.02",
        other_office_label: "Kec. Cimanggu, Kabupaten Pandeglang",
        reference: "DUP-7K3QX9PA",
        reason: "kk",
      }),
    ).toBe("KK sama dengan permohonan di Kec. Cimanggu, Kabupaten Pandeglang (rujukan DUP-7K3QX9PA)");
  });

  it("labels every status and action", () => {
    expect(Object.values(ID.status).every((l) => l.length > 0)).toBe(true);
    expect(ID.action.start_review).toBe("Mulai periksa");
  });
});

describe("the English catalogue", () => {
  it("has its own words for what the window shows", async () => {
    const { EN, ID } = await import("./labels");
    expect(EN.status.submitted).toBe("Submitted");
    expect(EN.ui.tabs.staff).toBe("Staff");
    expect(ID.ui.tabs.staff).toBe("Pegawai");
    expect(EN.sync({ pending: 2, last_success: null, pushed: null, pulled: null, attention: 0, clock_warning: false, clock_offset_seconds: null, state: "idle" })).toBe("2 changes waiting to be sent.");
  });
});

describe("English", () => {
  it("says a command's error by its code, Indonesian keeps the Rust side's words", async () => {
    const { EN } = await import("./labels");
    const e = { code: "login_failed" as const, message: "Nama pengguna atau kata sandi salah.", issues: [] };
    expect(EN.error(e)).toBe("Wrong username or password.");
    expect(ID.error(e)).toBe("Nama pengguna atau kata sandi salah.");
  });

  it("says a field's issue by its code, in general words for a required or long field", async () => {
    const { EN } = await import("./labels");
    const issue = (code: string) => ({ field: "x", code, message: "pesan", severity: "error" as const });
    expect(EN.issue(issue("nik.length"))).toBe("A NIK has 16 digits.");
    expect(EN.issue(issue("business_name.empty"))).toBe("This field is required.");
    expect(EN.issue(issue("something.new"))).toBe("pesan");
    expect(ID.issue(issue("nik.length"))).toBe("pesan");
  });

  it("has its own word for every word of the window", async () => {
    const { WORDS_EN, WORDS_ID } = await import("./words");
    const same: string[] = [];
    const walk = (id: Record<string, unknown>, en: Record<string, unknown>, path: string) => {
      for (const [k, v] of Object.entries(id)) {
        const w = en[k];
        if (typeof v === "string" && v === w && !/^(NIK|Status|Bansos|A4|NIP\/NI PPPK)$/.test(v)) same.push(`${path}${k}`);
        else if (typeof v === "object" && v && !Array.isArray(v)) walk(v as Record<string, unknown>, w as Record<string, unknown>, `${path}${k}.`);
      }
    };
    walk(WORDS_ID, WORDS_EN, "");
    expect(same).toEqual([]);
  });
});
