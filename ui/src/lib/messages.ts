// Error and validation messages in English. The Rust side writes its messages in Bahasa
// Indonesia (the default, with the details it knows: a count of digits, a kecamatan's name);
// in English the window says them by their stable code instead. `Record<ErrorCode, string>`
// makes an error code without English words a type error.

import type { ErrorCode, ErrorDto, FieldIssueDto } from "./bindings";

const ERRORS_EN: Record<ErrorCode, string> = {
  needs_confirmation: "Check the warnings, confirm them, then save again.",
  validation: "Check the form again.",
  office_not_configured: "No district office has been chosen yet.",
  unknown_kecamatan: "That district is not in Banten's list of regions.",
  schema_too_new: "The database was made by a newer Loket version. Update the app.",
  storage: "The local database could not be used.",
  export_failed: "The report could not be saved.",
  stale: "This record changed since the form was opened. Open it again, then repeat the change.",
  key_store_unavailable:
    "The operating system's key store is not available, and the local data opens only with its key. IT can enable the key store (Secret Service/GNOME Keyring, Credential Manager, Keychain) or use the LOKET_KEY_FILE key-file mode (see docs/SECURITY.md).",
  key_file: "The key file cannot be used.",
  store_key_missing:
    "This device's local data key was not found. The data cannot be opened without it; contact provincial IT and do not delete the data folder.",
  store_key_wrong: "The key does not match this device's local data, or the data file is damaged. Contact provincial IT.",
  server_url: "The server address is not valid. Example: https://loket.bantenprov.go.id",
  insecure_server_url: "The server address must use https://. http:// is allowed only for a server on this computer.",
  server_certificate:
    "The provincial server's certificate is not trusted. Contact provincial IT: it may have expired, or the province's CA is not installed on this device.",
  ca_file: "The province's CA file cannot be used.",
  server_unreachable: "The provincial server cannot be reached. Check the network, then try again.",
  enrollment_code_invalid: "Unknown enrollment code. Check the code from provincial IT.",
  enrollment_code_spent: "The enrollment code was already used or has expired. Ask provincial IT for a new one.",
  device_revoked: "This device was revoked by provincial IT. Contact the admin to enroll it again.",
  device_wiped:
    "This device was revoked by provincial IT. Work the server still accepted was sent, then the data on this laptop was deleted. Contact provincial IT to enroll it again.",
  handover_not_enrolled: "This device is not enrolled with the provincial server. Handover files are only for enrolled devices.",
  handover_file: "The handover file cannot be used.",
  handover_passphrase: "Wrong handover file password, or the file is damaged.",
  handover_other_office: "This handover file is from another office than this device's.",
  upgrade_required: "This Loket version is too old for the server. Update the app.",
  server_refused: "The server refused the request.",
  login_failed: "Wrong username or password.",
  login_required: "Please log in first.",
  session_locked: "The session is locked. Enter your password to continue.",
  first_user_required: "Create this device's first user first.",
  users_exist: "This device already has users.",
  weak_password: "A password has at least 10 characters.",
  reauth_required: "Enter your password again to decide on aid or grants.",
  link_required:
    "This enrollment code names no account for this device's user. Ask provincial IT for a code for your account.",
  link_mismatch:
    "This enrollment code is for another account. This device's username must equal your server account's; ask provincial IT.",
  office_enrolled: "This device's office was set at enrollment with the provincial server and cannot be changed.",
  workflow: "This action is not possible for the application as it stands.",
  supervisor_only: "Only a section head, the district secretary or the camat can do this.",
  not_found: "Application not found.",
  attachment_too_large: "The file is too large: at most 10 MB.",
  attachment_type: "The file must be a PDF, JPEG or PNG.",
  attachment_not_uploaded: "The file has not been uploaded by its device yet. Try again later.",
  documents_incomplete: "The documents are incomplete.",
  staff_managers_only: "Staff records can be changed only by a section head, the district secretary, the camat or an admin.",
  duplicate: "This is already registered.",
  update_work_not_sent:
    "Some work has not reached the server yet. It stays on this laptop and the new version sends it once installed.",
  update_rejected:
    "Update refused: its signature is not valid for this app (the file was changed, or it is not from provincial IT). Nothing was installed; provincial IT has been told.",
  update_insecure: "Updates are accepted over https:// only.",
  update_failed: "The update failed.",
  internal: "Internal error.",
};

/** Validation issues by code. `<field>.empty` and `<field>.too_long` are said generally. */
const ISSUES_EN: Record<string, string> = {
  "nik.empty": "The NIK is required.",
  "nik.not_digits": "A NIK has digits only.",
  "nik.length": "A NIK has 16 digits.",
  "nik.birth_date": "The birth date in the NIK (digits 7 to 12) is not valid.",
  "nik.serial_zero": "The NIK's serial number (last 4 digits) cannot be 0000.",
  "nik.region_unknown": "The NIK's region code is not in the Ministry of Home Affairs' 2025 list of districts. Check the ID card; save only if it is right.",
  "kk.empty": "The family card number is required.",
  "kk.not_digits": "A family card number has digits only.",
  "kk.length": "A family card number has 16 digits.",
  "kk.issue_date": "The issue date in the family card number (digits 7 to 12) is not valid.",
  "kk.serial_zero": "The family card's serial number (last 4 digits) cannot be 0000.",
  "kk.region_unknown": "The family card's region code is not in the list of regions; check the number.",
  "nip.empty": "The NIP / NI PPPK is required.",
  "nip.not_digits": "A NIP / NI PPPK has digits only.",
  "nip.length": "A NIP / NI PPPK has 18 digits.",
  "nip.birth_date": "The birth date in the number (digits 1 to 8) is not valid.",
  "nip.tmt": "The appointment date in the NIP (digits 9 to 14) is not valid.",
  "nip.appointment_year": "The appointment year in the NI PPPK (digits 9 to 12) is not valid.",
  "nip.pppk_marker": "Digits 13 and 14 of a NI PPPK must be 21.",
  "nip.cpns_age": "By the NIP, the employee was under 18 when appointed (PP 11/2017: 18 at least).",
  "nip.pppk_age": "By the NI PPPK, the employee was under 20 in the year of appointment (PP 49/2018: 20 at least).",
  "nip.sex": "The sex digit (digit 15) must be 1 or 2.",
  "nip.serial_zero": "The serial number (last 3 digits) cannot be 000.",
  "npwp.empty": "The tax number (NPWP) is required.",
  "npwp.invalid_chars": "A tax number has digits, dots and dashes only.",
  "npwp.length": "A tax number has 15 or 16 digits.",
  "npwp.all_zero": "A tax number cannot be all zeros.",
  "npwp.not_nik": "A 16-digit personal tax number is a NIK, and this is not a valid NIK.",
  "phone.empty": "The phone number is required.",
  "phone.invalid_chars": "A phone number has digits, spaces, dots, +, - and brackets only.",
  "phone.prefix": "A phone number starts with 0, 62 or +62.",
  "phone.length": "A phone number has 9 to 13 digits.",
  "name.empty": "The name is required.",
  "name.too_long": "The name is too long.",
  "name.invalid_chars": "A name has letters, spaces, dots, commas, apostrophes and dashes only.",
  "village.unknown": "Choose a village from Banten's list of regions.",
  "household.too_many": "Too many family members.",
  "household.duplicate_nik": "A NIK is listed more than once.",
  "income.out_of_range": "Monthly income must be between Rp 0 and Rp 100,000,000.",
  "income.not_a_number": "Enter the income as a number of rupiah, e.g. 750000.",
  "category.unknown": "Choose a recipient category.",
  "programme.unknown": "Choose a programme.",
  "legal_basis.format": "The decree number is not in the form AHU-XXXXXXX.AH.01.XX.Tahun XXXX. Check the copy of the decree.",
  "account.invalid": "An account number has 6 to 20 digits.",
  "officers.same_person": "The chair and the secretary must be different people.",
  "amount.out_of_range": "The amount proposed must be above Rp 0 and at most Rp 10,000,000,000.",
  "amount.exceeds_rab": "The amount proposed cannot exceed the budget plan total.",
  "amount.not_a_number": "Enter the amount as a number of rupiah, e.g. 50000000.",
  "rab.empty": "The budget plan total is required.",
  "rab.not_a_number": "Enter the budget total as a number of rupiah, e.g. 75000000.",
  "service.unknown": "Choose a service.",
  "service.details_mismatch": "The details do not fit the service.",
  "service.retired": "This service is no longer offered.",
  "documents.unknown": "A document that is not required for this service.",
  "area.zero": "The land and building areas are required.",
  "area.exceeds_land": "A single-storey building cannot be larger than its land.",
  "area.above_kecamatan_authority": "Buildings of this size are handled by the regency/city licensing office (DPMPTSP).",
  "area.out_of_range": "The advertisement area must be 1 to 50 m².",
  "capital.out_of_range": "Micro/small business capital is at most Rp 5,000,000,000 (excluding land and buildings).",
  "capital.not_a_number": "Enter the capital as a number of rupiah, e.g. 25000000.",
  "months.out_of_range": "The display period must be 1 to 12 months.",
  "staff.status_unknown": "Choose the employment status.",
  "staff.number_not_applicable": "Non-civil-servant staff have no NIP / NI PPPK.",
  "staff.golongan_invalid": "The grade does not fit the employment status.",
  "staff.golongan_not_applicable": "Non-civil-servant staff have no grade.",
  "staff.unit_unknown": "Choose the work unit (district).",
  "user.username_invalid": "A username has 3 to 32 lowercase letters, digits, dots, dashes or underscores.",
  "user.roles_empty": "Choose at least one role.",
  "user.role_unknown": "Unknown role.",
  "user.staff_inactive": "An inactive staff member cannot be given an account.",
  "holiday.day_invalid": "The holiday's date is not valid.",
  "holiday.name_invalid": "The holiday's name is required and short.",
  "workflow.not_allowed_from": "This action is not possible for the application as it stands.",
  "workflow.role_not_allowed": "Your role may not do this.",
  "workflow.note_required": "A reason is required to reject or return an application.",
  "workflow.note_too_long": "The note is too long.",
  "queue.date_invalid": "The date is not valid.",
  "report.month_invalid": "The month is not valid.",
};

/** An error as the window says it in English. */
export function errorEN(e: ErrorDto): string {
  return ERRORS_EN[e.code];
}

/** A validation issue in English; unknown codes keep the Indonesian words. */
export function issueEN(i: FieldIssueDto): string {
  const known = ISSUES_EN[i.code];
  if (known) return known;
  if (i.code.endsWith(".empty")) return "This field is required.";
  if (i.code.endsWith(".too_long")) return "This is too long.";
  return i.message;
}
