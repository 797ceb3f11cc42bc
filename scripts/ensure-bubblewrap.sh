#!/usr/bin/env bash
# The sandbox tests (test/tools) run commands in bubblewrap. On a fresh Debian machine without it,
# install it (needs root, as on CI); otherwise say what to do. Never a fallback to the host.
set -euo pipefail
if command -v bwrap >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing bubblewrap for the sandbox tests (apt-get)…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1 ||
    { apt-get update -qq || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null || true; }
  if command -v bwrap >/dev/null 2>&1; then exit 0; fi
fi
echo "The sandbox tests need bubblewrap: apt-get install -y bubblewrap (Debian/Ubuntu), or dnf install bubblewrap." >&2
exit 1
