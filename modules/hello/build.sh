#!/bin/sh
# Builds the static binary and the image's root: run by `blueprint repo build` before `podman build`,
# with BLUEPRINT_ARCH set to the package's architecture (x86_64 or aarch64; issue 22): aarch64 on
# an x86-64 machine uses Debian's cross compiler (gcc-aarch64-linux-gnu, scripts/setup-host.sh).
set -eu
cd "$(dirname "$0")"
case "${BLUEPRINT_ARCH:-$(uname -m)}" in
  "$(uname -m)") CC=gcc ;;
  aarch64) CC=aarch64-linux-gnu-gcc ;;
  x86_64) CC=x86_64-linux-gnu-gcc ;;
  *) echo "hello: no compiler for ${BLUEPRINT_ARCH}" >&2; exit 1 ;;
esac
mkdir -p rootfs/tmp rootfs/run/hello
chmod 1777 rootfs/tmp
"$CC" -static -Os -s -Wall -Wextra -o rootfs/hello hello.c
