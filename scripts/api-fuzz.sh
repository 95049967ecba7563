#!/usr/bin/env bash
# Schemathesis against a live server on embedded SQLite: requests generated from the served
# OpenAPI document (with an enrolled device's credential), every response checked against it —
# no server error, no undocumented status code, content type, header or body.
# Bounded: LOKET_FUZZ_EXAMPLES examples per operation (default 40), fixed seed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LOKET_SERVER_BIN:-target/debug/loket-server}
ST=.venv-fuzz/bin/schemathesis
EXAMPLES=${LOKET_FUZZ_EXAMPLES:-40}

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
db="$work/server.sqlite3"
server() { "$BIN" --database "$db" "$@"; }
server office add 36.01.01 >/dev/null
code=$(server enroll-code --office 36.01.01 | grep -oE '[A-Z0-9]{4}-[A-Z0-9]{4}(-[A-Z0-9]{4})*' | head -1)

# The server prints its address on stdout once it listens: read it through a FIFO (no polling).
mkfifo "$work/out"
# The binary itself, not the shell function: `$!` must be the server, for cleanup to stop it.
RUST_LOG=warn "$BIN" --database "$db" serve --listen 127.0.0.1:0 >"$work/out" 2>"$work/server.log" &
pid=$!
exec 3<"$work/out"
read -r line <&3
base="http://${line#listening on }"
echo "api-fuzz: server at $base"

# The protocol this build speaks, from its one definition.
protocol=$(grep -oE 'pub const PROTOCOL_VERSION: u32 = [0-9]+' crates/protocol/src/lib.rs | grep -oE '[0-9]+$')
token=$(curl -sS -X POST "$base/api/v1/enroll" -H "x-loket-protocol: $protocol" -H 'content-type: application/json' \
  -d "{\"code\":\"$code\",\"device_name\":\"fuzz\",\"app_version\":\"0.0.0\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

"$ST" run "$base/api/v1/openapi.json" --url "$base" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "$EXAMPLES" --seed 20261202 --workers 1 --warnings off
if ! kill -0 "$pid" 2>/dev/null; then
  echo "api-fuzz: the server died" >&2
  cat "$work/server.log" >&2
  exit 1
fi
