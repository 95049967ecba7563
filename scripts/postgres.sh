#!/usr/bin/env bash
# Make a PostgreSQL server reachable for the tests at
#   postgres://loket:loket@127.0.0.1:5432/postgres
# Idempotent: starts the Debian cluster if it is down, creates the `loket` role if missing.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }

if pg_isready -q -h 127.0.0.1 -p 5432 && PGPASSWORD=loket psql -qtA -h 127.0.0.1 -U loket -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
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
echo "[postgres] ready at 127.0.0.1:5432 (role loket)"
