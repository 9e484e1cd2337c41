#!/usr/bin/env bash
# The Python clients' venv (test/clients, docs/clients.md), made by scripts/setup-host.sh (as root):
# the official `openai` Python package, pinned in test/clients/requirements.txt, in a venv of its
# own (ignored: node_modules/.cache/pyclients), from the machine's pip index. Made once; remade only
# when requirements.txt changes (the copy written last says what the venv holds, so a half-made one
# is remade). --retries 1: where pypi.org cannot be reached and pip's config names a local index,
# pip's default 5 retries of pypi.org with backoff took 1 min 48 s (2026-12-07); with 1, 5 s, as
# with none, and one blip on a real network is retried.
#
# Nothing planted in the checkout is run or followed (REVIEW16, test/security/setup-pyclients-planted):
# - node_modules or node_modules/.cache a link: refused, as `rm -rf` and `python3 -m venv` would
#   go through it, as root, wherever it points;
# - a link at the venv's own name is never taken for the venv (its bin/python is what test/clients
#   runs): removed (the link, not what it names) and the venv made;
# - only wheels (--only-binary :all:): a source archive's setup.py would run as root;
# - only the packages requirements.txt pins (--no-deps): an index's newer release of a dependency
#   is never taken;
# - only the files it pins (--require-hashes, a SHA-256 a pin): another wheel of the same version
#   (one with a build tag ranks first) is never taken (REVIEW17).
set -euo pipefail
cd "$(dirname "$0")/.."
pyreq=test/clients/requirements.txt
pyvenv=node_modules/.cache/pyclients
for dir in node_modules node_modules/.cache; do
  if [ -L "$dir" ]; then
    echo "setup-host: $dir is a link (to $(readlink "$dir")): the Python venv is not made through it; remove the link (rm $dir) and run again" >&2
    exit 1
  fi
done
if [ -L "$pyvenv" ] || ! cmp -s "$pyreq" "$pyvenv/installed-requirements.txt"; then
  echo "setup-host: Python venv $pyvenv with $(grep -v '^#' "$pyreq" | cut -d' ' -f1 | tr '\n' ' ')" >&2
  rm -rf "$pyvenv"
  mkdir -p node_modules/.cache
  /usr/bin/python3 -m venv "$pyvenv" ||
    { echo "setup-host: python3 -m venv failed: Debian's python3-venv is needed (run this as root)" >&2; exit 1; }
  "$pyvenv/bin/python" -m pip install -q --retries 1 --timeout 30 --only-binary :all: --no-deps --require-hashes -r "$pyreq" ||
    { echo "setup-host: pip could not install $pyreq from this machine's pip index as the wheels it pins, hashes and all (pip config list)" >&2; exit 1; }
  cp "$pyreq" "$pyvenv/installed-requirements.txt"
fi
