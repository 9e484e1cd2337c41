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
# Written beside and renamed into place: an image built from this folder meanwhile (a second build,
# a test file beside another) copies the old binary or the new one, never one still being linked
# (seen: "exec: /hello: permission denied" from an image whose binary was half-written).
trap 'rm -f "rootfs/.hello.$$"' EXIT # a failed link leaves nothing in the image's root
"$CC" -static -Os -s -Wall -Wextra -o "rootfs/.hello.$$" hello.c
mv -f "rootfs/.hello.$$" rootfs/hello
