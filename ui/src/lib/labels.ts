// The one label catalogue of the window. The IPC carries enums (generated in bindings.ts);
// every word a person reads for them comes from here. `Record<Enum, string>` makes a missing
// label a type error, so a new status or action in Rust cannot reach the window unlabelled.
// Bahasa Indonesia is the default; the language switch adds a second catalogue of this type.

import type {
  Action,
  AidFlagDto,
  ApplicantField,
  ApplicationKind,
  ConflictDto,
  ConnectionState,
  EmploymentStatus,
  FlagReason,
  Role,
  SlaStatus,
  Status,
  SyncStatusDto,
  TimelineKind,
} from "./bindings";

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
  timeline: Record<TimelineKind, string>;
  /** The status bar's sentence for what the background sync is doing. */
  sync: (s: SyncStatusDto) => string;
  /** What an open sync conflict is about. */
  conflict: (c: ConflictDto) => string;
  /** A duplicate-aid flag from another kecamatan. */
  flag: (f: AidFlagDto) => string;
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
};

/** The steps the desk takes on several applications at once (each its own decision). */
export const bulkActions: Action[] = ["start_review", "approve"];

/** The catalogue in use. */
export const labels: Labels = ID;

/** Sync is refused because this version of the app is too old (426): the update is offered. */
export function refusedForVersion(s: SyncStatusDto): boolean {
  return s.state === "upgrade_required";
}
