// The one label catalogue of the window. The IPC carries enums (generated in bindings.ts);
// every word a person reads for them comes from here. `Record<Enum, string>` makes a missing
// label a type error, so a new status or action in Rust cannot reach the window unlabelled.
// Bahasa Indonesia is the default, English the second (`EN`); `i18n.svelte.ts` holds the one in
// use and switches it.

import type {
  Action,
  AidFlagDto,
  BulkRefusalDto,
  ApplicantField,
  ApplicationKind,
  ConflictDto,
  ConnectionState,
  EmploymentStatus,
  ErrorDto,
  FieldIssueDto,
  FlagReason,
  Role,
  SlaStatus,
  StaffField,
  Status,
  SyncStatusDto,
  TimelineKind,
} from "./bindings";
import { errorEN, issueEN } from "./messages";
import { WORDS_EN, WORDS_ID, type Words } from "./words";

export type Labels = {
  status: Record<Status, string>;
  action: Record<Action, string>;
  role: Record<Role, string>;
  kind: Record<ApplicationKind, string>;
  employment: Record<EmploymentStatus, string>;
  flagReason: Record<FlagReason, string>;
  field: Record<ApplicantField, string>;
  connection: Record<ConnectionState, string>;
  sla: Record<SlaStatus, string>;
  staffField: Record<StaffField, string>;
  timeline: Record<TimelineKind, string>;
  /** The status bar's sentence for what the background sync is doing. */
  sync: (s: SyncStatusDto) => string;
  /** What an open sync conflict is about. */
  conflict: (c: ConflictDto) => string;
  /** A duplicate-aid flag from another kecamatan. */
  flag: (f: AidFlagDto) => string;
  /** An error of a command, as the window says it. */
  error: (e: ErrorDto) => string;
  /** A validation issue of a form field, as the window says it. */
  issue: (i: FieldIssueDto) => string;
  /** Why one application of a bulk step was not moved. */
  bulkRefusal: (r: BulkRefusalDto) => string;
  /** The window's own words: tabs, headings, field labels, hints, buttons (`words.ts`). */
  ui: Words;
};

const status: Record<Status, string> = {
  draft: "Draf",
  submitted: "Diajukan",
  in_review: "Diperiksa",
  approved: "Disetujui",
  rejected: "Ditolak",
  returned: "Dikembalikan",
  completed: "Selesai",
  cancelled: "Dibatalkan",
};

const action: Record<Action, string> = {
  submit: "Ajukan",
  start_review: "Mulai periksa",
  approve: "Setujui",
  reject: "Tolak",
  return: "Kembalikan",
  resubmit: "Ajukan ulang",
  complete: "Selesai (diserahkan)",
  cancel: "Batalkan",
};

const field: Record<ApplicantField, string> = {
  applicant_name: "Nama",
  applicant_address: "Alamat",
  applicant_phone: "Telepon",
  village_code: "Desa/kelurahan",
};

export const ID: Labels = {
  status,
  action,
  role: { clerk: "Petugas loket", supervisor: "Pemeriksa/pejabat", admin: "Admin TI" },
  kind: { permit: "Perizinan/nonperizinan", bansos: "Bansos", hibah: "Hibah" },
  employment: { pns: "PNS", pppk: "PPPK", non_asn: "Non-ASN" },
  flagReason: { nik: "NIK", kk: "KK" },
  field,
  staffField: {
    full_name: "Nama",
    status: "Status kepegawaian",
    employee_number: "NIP/NI PPPK",
    golongan: "Golongan",
    jabatan: "Jabatan",
    unit_code: "Unit (kecamatan)",
    active: "Aktif",
  },
  sla: { on_time: "Tepat waktu", due_soon: "Segera jatuh tempo", overdue: "Terlambat", paused: "Jeda (dikembalikan)" },
  timeline: {
    registered: "Didaftarkan",
    step: "Langkah",
    document_received: "Berkas diterima",
    attached: "Lampiran ditambahkan",
    edited: "Data diubah",
    conflict_resolved: "Konflik diselesaikan",
  },
  connection: {
    not_enrolled: "Perangkat belum didaftarkan ke server provinsi (bekerja luring).",
    online: "Terhubung ke server provinsi.",
    offline: "Server provinsi tidak dapat dihubungi; data tetap tersimpan di perangkat ini.",
    revoked: "Perangkat ini telah dicabut oleh TI provinsi. Hubungi admin.",
    upgrade_required: "Versi Loket terlalu lama untuk server provinsi. Perbarui aplikasi.",
  },
  sync: (s) => {
    switch (s.state) {
      case "not_enrolled":
        return "Belum terhubung ke server provinsi; data tersimpan di perangkat ini.";
      case "idle":
        return s.pending === 0 ? "Semua data sudah tersinkron." : `${s.pending} perubahan menunggu dikirim.`;
      case "syncing":
        return "Sinkronisasi berjalan…";
      case "offline":
        return `Server tidak dapat dihubungi; ${s.pending} perubahan aman di perangkat ini dan akan dikirim otomatis.`;
      case "revoked":
        return "Perangkat ini telah dicabut oleh TI provinsi. Hubungi admin.";
      case "wiped":
        return "Perangkat dicabut; data di laptop ini telah dihapus.";
      case "upgrade_required":
        return "Versi Loket terlalu lama untuk server. Perbarui aplikasi.";
      case "failed":
        return "Sinkronisasi gagal; dicoba lagi otomatis.";
    }
  },
  conflict: (c) => {
    if (c.about === "fields") {
      const parts = c.fields.map(
        (f) => `${field[f.field]}: server "${f.server ?? "—"}", perangkat lain "${f.device ?? ""}"`,
      );
      return `Perubahan bersamaan — ${parts.join("; ")}`;
    }
    const what = c.action ? action[c.action].toLowerCase() : "?";
    const now = c.server_status ? status[c.server_status].toLowerCase() : "berubah";
    return `Keputusan "${what}" dari perangkat lain tidak berlaku: permohonan sudah ${now} di server`;
  },
  flag: (f) => {
    return `${ID.flagReason[f.reason]} sama dengan permohonan di ${f.other_office_label} (rujukan ${f.reference})`;
  },
  error: (e) => e.message,
  issue: (i) => i.message,
  bulkRefusal: (r) => r.message,
  ui: WORDS_ID,
};

const statusEN: Record<Status, string> = {
  draft: "Draft",
  submitted: "Submitted",
  in_review: "In review",
  approved: "Approved",
  rejected: "Rejected",
  returned: "Returned",
  completed: "Completed",
  cancelled: "Cancelled",
};

const actionEN: Record<Action, string> = {
  submit: "Submit",
  start_review: "Start review",
  approve: "Approve",
  reject: "Reject",
  return: "Return",
  resubmit: "Resubmit",
  complete: "Complete (handed over)",
  cancel: "Cancel",
};

const fieldEN: Record<ApplicantField, string> = {
  applicant_name: "Name",
  applicant_address: "Address",
  applicant_phone: "Phone",
  village_code: "Village",
};

/** English, the second catalogue (Settings → Bahasa). */
export const EN: Labels = {
  status: statusEN,
  action: actionEN,
  role: { clerk: "Counter clerk", supervisor: "Reviewer/official", admin: "IT admin" },
  kind: { permit: "Permit/letter", bansos: "Social aid", hibah: "Grant" },
  employment: { pns: "Civil servant (PNS)", pppk: "Contract civil servant (PPPK)", non_asn: "Non-civil-servant" },
  flagReason: { nik: "NIK", kk: "Family card" },
  field: fieldEN,
  staffField: {
    full_name: "Name",
    status: "Employment status",
    employee_number: "NIP/NI PPPK",
    golongan: "Grade",
    jabatan: "Position",
    unit_code: "Unit (district)",
    active: "Active",
  },
  sla: { on_time: "On time", due_soon: "Due soon", overdue: "Overdue", paused: "Paused (returned)" },
  timeline: {
    registered: "Registered",
    step: "Step",
    document_received: "Document received",
    attached: "Attachment added",
    edited: "Data edited",
    conflict_resolved: "Conflict resolved",
  },
  connection: {
    not_enrolled: "This device is not enrolled with the provincial server (working offline).",
    online: "Connected to the provincial server.",
    offline: "The provincial server cannot be reached; data stays safe on this device.",
    revoked: "This device was revoked by provincial IT. Contact the admin.",
    upgrade_required: "This Loket version is too old for the provincial server. Update the app.",
  },
  sync: (s) => {
    switch (s.state) {
      case "not_enrolled":
        return "Not connected to the provincial server; data is kept on this device.";
      case "idle":
        return s.pending === 0 ? "Everything is synced." : `${s.pending} changes waiting to be sent.`;
      case "syncing":
        return "Syncing…";
      case "offline":
        return `Server unreachable; ${s.pending} changes are safe on this device and will be sent automatically.`;
      case "revoked":
        return "This device was revoked by provincial IT. Contact the admin.";
      case "wiped":
        return "Device revoked; the data on this laptop has been deleted.";
      case "upgrade_required":
        return "This Loket version is too old for the server. Update the app.";
      case "failed":
        return "Sync failed; it will be retried automatically.";
    }
  },
  conflict: (c) => {
    if (c.about === "fields") {
      const parts = c.fields.map(
        (f) => `${fieldEN[f.field]}: server "${f.server ?? "—"}", other device "${f.device ?? ""}"`,
      );
      return `Concurrent change — ${parts.join("; ")}`;
    }
    const what = c.action ? actionEN[c.action].toLowerCase() : "?";
    const now = c.server_status ? statusEN[c.server_status].toLowerCase() : "changed";
    return `Decision "${what}" from another device did not apply: the application is already ${now} on the server`;
  },
  flag: (f) => `${EN.flagReason[f.reason]} matches an application in ${f.other_office_label} (reference ${f.reference})`,
  error: errorEN,
  issue: issueEN,
  bulkRefusal: (r) => {
    switch (r.reason) {
      case "not_found":
        return "Application not found.";
      case "aid_one_by_one":
        return "Aid and grants are decided one by one.";
      case "needs_a_look":
        return "Open conflicts or duplicate flags: look at it on its own.";
      case "refused":
        return errorEN({ code: r.code, message: r.message, issues: [] });
    }
  },
  ui: WORDS_EN,
};

/** The steps the desk takes on several applications at once (each its own decision). */
export const bulkActions: Action[] = ["start_review", "approve"];


/** Sync is refused because this version of the app is too old (426): the update is offered. */
export function refusedForVersion(s: SyncStatusDto): boolean {
  return s.state === "upgrade_required";
}
