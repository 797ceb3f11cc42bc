#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's chromium through playwright-core. On a machine
# without it, install it (needs root, as on CI); otherwise say what to do.
set -euo pipefail
BIN="${CAIRN_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$BIN" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium for the dashboard's browser tests (apt-get)…"
  apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || true
  if [ -x "$BIN" ]; then exit 0; fi
fi
echo "The dashboard's browser tests need Chromium: apt-get install chromium, or set CAIRN_CHROMIUM to its path." >&2
exit 1
