#!/bin/sh
# Builds the static binary and the image's root: run by `blueprint repo build` before `podman build`.
set -eu
cd "$(dirname "$0")"
mkdir -p rootfs/tmp rootfs/run/hello
chmod 1777 rootfs/tmp
gcc -static -Os -s -Wall -Wextra -o rootfs/hello hello.c
