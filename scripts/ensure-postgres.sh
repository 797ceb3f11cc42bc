#!/usr/bin/env bash
# The PostgreSQL tests start a throwaway server from the installed PostgreSQL 15 binaries. On a
# fresh Debian machine without them, install them (needs root, as on CI); otherwise say what to do.
set -euo pipefail
if [ -n "${CAIRN_PG_BINDIR:-}" ] || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing postgresql-15 for the PostgreSQL tests (apt-get)…"
  apt-get update -qq || true
  # The package's own cluster may fail to start in a container; only the binaries matter here.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null || true
  if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then exit 0; fi
fi
echo "The PostgreSQL tests need PostgreSQL server binaries: apt-get install postgresql-15, or set CAIRN_PG_BINDIR." >&2
exit 1
