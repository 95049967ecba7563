#!/usr/bin/env bash
# Make a PostgreSQL server reachable for the tests at
#   postgres://loket:loket@127.0.0.1:5432/postgres
# Idempotent: starts the Debian cluster if it is down, creates the `loket` role if missing.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }

# TLS for the server's `sslmode=verify-full` test: a CA made on this machine (never in the
# repository; its key is deleted once the server certificate is signed) and a certificate for
# 127.0.0.1 and localhost signed by it. The tests find the CA at $TLS_DIR/ca.pem.
TLS_DIR=/var/lib/postgresql/loket-test-tls
tls_files() {
  [ -s "$TLS_DIR/server.key" ] && [ -s "$TLS_DIR/server.pem" ] && [ -s "$TLS_DIR/ca.pem" ] && return 0
  as_root mkdir -p "$TLS_DIR"
  local work
  work=$(mktemp -d)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=Loket test CA" -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$work/san.ext"
  openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -days 3650 -extfile "$work/san.ext" -out "$work/server.pem" 2>/dev/null
  as_root install -o postgres -g postgres -m 600 "$work/server.key" "$TLS_DIR/server.key"
  as_root install -o postgres -g postgres -m 644 "$work/server.pem" "$TLS_DIR/server.pem"
  as_root install -o postgres -g postgres -m 644 "$work/ca.pem" "$TLS_DIR/ca.pem"
  rm -rf "$work"
}
tls_config() {
  local current
  current=$(PGPASSWORD=loket psql -qtA -h 127.0.0.1 -U loket -d postgres -c 'SHOW ssl_cert_file')
  if [ "$current" != "$TLS_DIR/server.pem" ]; then
    PGPASSWORD=loket psql -qtA -h 127.0.0.1 -U loket -d postgres \
      -c "ALTER SYSTEM SET ssl = on" \
      -c "ALTER SYSTEM SET ssl_cert_file = '$TLS_DIR/server.pem'" \
      -c "ALTER SYSTEM SET ssl_key_file = '$TLS_DIR/server.key'" \
      -c "SELECT pg_reload_conf()" >/dev/null
    echo "[postgres] TLS with the test CA in $TLS_DIR"
  fi
}

if pg_isready -q -h 127.0.0.1 -p 5432 && PGPASSWORD=loket psql -qtA -h 127.0.0.1 -U loket -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
  tls_files
  tls_config
  exit 0
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2}')
  if [ -z "$cluster" ]; then
    ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
    as_root pg_createcluster "$ver" main --start
  else
    # shellcheck disable=SC2086
    as_root pg_ctlcluster $cluster start || true
  fi
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 0.5
  done
  pg_isready -h 127.0.0.1 -p 5432
fi

as_postgres psql -qtA -d postgres -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'loket') THEN
    CREATE ROLE loket LOGIN SUPERUSER PASSWORD 'loket';
  END IF;
END \$\$;"
tls_files
tls_config
echo "[postgres] ready at 127.0.0.1:5432 (role loket)"
