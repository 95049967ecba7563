#!/usr/bin/env bash
# The `make run` server's demo office (Kecamatan Sumur, 36.01.01) with a clerk and a supervisor,
# the 2026 holiday calendar, and a fresh one-time enrollment code, printed with the logins so
# a newcomer can enroll the window, log in, sync and decide within a minute. Idempotent: users
# that exist are kept. Never for a real server: the passwords are printed here.
set -euo pipefail
cd "$(dirname "$0")/.."
db="${1:?usage: demo-seed.sh <server database>}"
server=./target/debug/loket-server
admin() { "$server" --database "$db" "$@"; }

admin office import-banten >/dev/null
admin holiday load --file crates/domain/data/hari-libur-2026.csv >/dev/null
add_user() { # username, full name, roles, password
  if ! admin user list --office 36.01.01 | awk -v u="$1" '$2 == u { found = 1 } END { exit !found }'; then
    LOKET_PASSWORD="$4" admin user add --office 36.01.01 --username "$1" --full-name "$2" --roles "$3" >/dev/null
  fi
}
add_user petugas.demo "Siti Petugas (demo)" clerk "demo-petugas-2026"
add_user kasi.demo "Ahmad Kasi (demo)" supervisor,clerk "demo-kasi-2026"
code="$(admin enroll-code --office 36.01.01 --hours 24)"
cat <<TEXT
────────────────────────────────────────────────────────────────────────
 Demo: Kecamatan Sumur (36.01.01)
   In the window: "Daftarkan ke server provinsi", server address as filled in,
   one-time code: $code
   then log in as  petugas.demo / demo-petugas-2026  (petugas loket)
               or  kasi.demo    / demo-kasi-2026     (kasi: approve, reject, return)
────────────────────────────────────────────────────────────────────────
TEXT
