#!/usr/bin/env bash
# Host setup for development and CI on Debian 12: system packages the tests use, the Podman engine
# (config, subordinate ids, API socket), then npm dependencies. Idempotent: run it as often as you like.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  [ "$(id -u)" = 0 ] || { echo "setup-host: not root, skipping apt-get install $*" >&2; return 0; }
  # Said, as apt-get's own output is silenced: a first run installs over a GB (minutes).
  echo "setup-host: apt-get install $*" >&2
  if [ -z "${APT_UPDATED:-}" ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq "$@" >/dev/null
}

need=()
for cmd in gpg gpgv tmux; do command -v "$cmd" >/dev/null || need+=("$cmd"); done
[ ${#need[@]} -eq 0 ] || apt_install gnupg gpgv tmux
# strace: test/pkg/power-cut reads an install's own fsync calls (what a power cut would keep).
command -v strace >/dev/null || apt_install strace
# sudo: test/tui/ssh runs the login hook's console through setup's sudoers, as the image has it.
[ -x /usr/bin/sudo ] || apt_install --no-install-recommends sudo

# --- Container engine (owned by services) -----------------------------------------------------
# Podman + runc run the sandboxed services; gcc + libc6-dev build the static binary of the example
# module (modules/hello) that the service tests put in a FROM-scratch image.
pkgs=()
command -v podman >/dev/null || pkgs+=(podman)
command -v runc >/dev/null || pkgs+=(runc)
command -v gcc >/dev/null || pkgs+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || pkgs+=(libc6-dev)
# setfacl: a GPU service's group gets an ACL entry on the render nodes it is given (device-access.ts).
command -v setfacl >/dev/null || pkgs+=(acl)
# apparmor_parser: each service's own AppArmor profile is compiled by the real parser in the tests
# (test/security/apparmor.test.ts), and loaded at start where the kernel has AppArmor.
[ -x /usr/sbin/apparmor_parser ] || [ -x /sbin/apparmor_parser ] || pkgs+=(apparmor)
[ ${#pkgs[@]} -eq 0 ] || apt_install "${pkgs[@]}"

if [ "$(id -u)" = 0 ]; then
  # Engine config, subordinate ids for `userns=auto`, podman.socket drop-ins: as on the appliance.
  sh scripts/podman/install-into.sh /
  # The API socket blueprint talks to (Podman's standard path). On the appliance systemd's
  # podman.socket serves it; here (no systemd in CI containers) we start the service ourselves.
  sock=/run/podman/podman.sock
  if ! podman --url "unix://$sock" version >/dev/null 2>&1; then
    install -d -m 0700 /run/podman
    rm -f "$sock"
    # From /: conmon writes files such as `oom` into the service's working directory. `setsid -f`
    # detaches it with no shell left waiting on it, and no inherited stdout to hold a CI pipe open.
    (cd / && exec setsid -f podman system service --time 0 "unix://$sock" >/var/log/podman-api.log 2>&1 </dev/null)
    for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
    podman --url "unix://$sock" version >/dev/null || { echo "setup-host: Podman API did not start, see /var/log/podman-api.log" >&2; exit 1; }
  fi
else
  echo "setup-host: not root, so the container engine was not configured: run it as root (sudo bash scripts/setup-host.sh; README.md, \"The two commands\")" >&2
fi

# --- TUI / setup / SSH tests: a real sshd, and nft to check the rules setup writes ---
{ [ -x /usr/sbin/sshd ] && [ -x /usr/sbin/nft ]; } || apt_install --no-install-recommends openssh-server openssh-client nftables
# dnsmasq (its nftset= fills the egress allow-list's name sets; test/setup/egress-netns.test.ts runs it
# in network namespaces it makes, nothing listens on the host) (issue 19).
[ -x /usr/sbin/dnsmasq ] || apt_install --no-install-recommends dnsmasq-base

# --- Web dashboard tests (test/web/browser.test.ts): Debian's Chromium, driven by puppeteer-core
# (no browser download); the test skips without it.
[ -x /usr/bin/chromium ] || apt_install chromium

# python3-numpy (Debian's, for /usr/bin/python3): scripts/models/make-tiny-llama.py writes the llm
# module's test model and its reference forward pass.
/usr/bin/python3 -c 'import numpy' 2>/dev/null || apt_install python3-numpy
# docker-registry (the CNCF distribution registry) and htpasswd (bcrypt entries): the OCI repository
# tests start a real registry on 127.0.0.1 with TLS and basic auth (test/pkg/oci.test.ts).
{ [ -x /usr/bin/docker-registry ] && command -v htpasswd >/dev/null; } || apt_install docker-registry apache2-utils
# ansible-playbook: test/fleet/ansible.test.ts runs the playbook of docs/fleet.md against a real sshd.
command -v ansible-playbook >/dev/null || apt_install ansible
# cryptsetup: test/crypt/loop.test.ts formats a loop device as LUKS2 (systemd-cryptenroll is in systemd).
[ -x /usr/sbin/cryptsetup ] || apt_install --no-install-recommends cryptsetup-bin
# swtpm + the tpm2-tss swtpm TCTI: test/crypt/swtpm.test.ts seals to PCR 7 with a software TPM on TCP.
{ [ -x /usr/bin/swtpm ] && [ -x /usr/bin/tpm2_pcrextend ] && ls /usr/lib/*-linux-gnu/libtss2-tcti-swtpm.so.0 >/dev/null 2>&1; } ||
  apt_install --no-install-recommends swtpm swtpm-tools libtss2-tcti-swtpm0 tpm2-tools

# rauc + mksquashfs: the system update tests (test/update/*, test/setup/system-apply, test/web/system,
# test/tui/system) run the real RAUC 1.8 service on loop-device slots; without them those suites skip,
# and a clean machine's CI would pass without them (seen 2026-12-01: 29 tests skipped).
{ command -v rauc >/dev/null && command -v mksquashfs >/dev/null && command -v debugfs >/dev/null && command -v dbus-daemon >/dev/null; } ||
  apt_install --no-install-recommends rauc squashfs-tools e2fsprogs dbus-daemon

# --- arm64 (issue 22): `npm run build -- --arch arm64` strips with binutils-aarch64-linux-gnu, and
# test/arm64 runs dist/blueprint-arm64 under qemu-user through binfmt_misc (the P flag keeps argv0,
# so the `bpkg` personality works); Node for arm64 links glibc and libstdc++ from Debian's arm64 libs.
if [ "$(id -u)" = 0 ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; APT_UPDATED=; }
  [ -e /usr/lib/aarch64-linux-gnu/libstdc++.so.6 ] || apt_install libc6:arm64 libstdc++6:arm64
  { [ -x /usr/bin/qemu-aarch64-static ] && command -v update-binfmts >/dev/null && command -v aarch64-linux-gnu-strip >/dev/null; } ||
    apt_install --no-install-recommends qemu-user-static binfmt-support binutils-aarch64-linux-gnu
  # Module images for arm64 (docs/arm64.md): hello's static binary and hnswlib-node's addon are
  # cross-compiled with Debian's aarch64 compilers.
  command -v aarch64-linux-gnu-g++ >/dev/null ||
    apt_install --no-install-recommends gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
  # No systemd in CI containers to do this at boot; a kernel that refuses it leaves test/arm64 skipped.
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 2>/dev/null || true
fi

export ONNXRUNTIME_NODE_INSTALL=skip  # see .npmrc
# node-llama-cpp (llm module) uses the prebuilt llama.cpp binaries of its registry packages; never
# let its postinstall try a download or a source build (offline CI).
export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
echo "setup-host: npm install (a few minutes the first time; its EBADENGINE warnings are harmless: the project runs on its own Node 24)" >&2
npm install --no-audit --no-fund

# --- Python clients (test/clients, docs/clients.md): the official `openai` Python package in a venv
# of its own, node_modules/.cache/pyclients; scripts/setup-pyclients.sh says how and what it refuses.
if ! cmp -s test/clients/requirements.txt node_modules/.cache/pyclients/installed-requirements.txt ||
  [ -L node_modules/.cache/pyclients ]; then
  dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q 'ok installed' || apt_install python3-venv
fi
bash scripts/setup-pyclients.sh
