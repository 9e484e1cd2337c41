#!/usr/bin/env bash
# `npm run test:image [-- --arch arm64] [vitest args]`: builds the image when its inputs changed, then
# runs test/image under qemu. x86-64 (default): every image test. arm64 (issue 22): the arm64
# image (build/image-arm64, debootstrap through qemu-user-static) booted under qemu-system-aarch64
# with TCG and AAVMF: test/image/arm64.test.ts only. Slow: see docs/arm64.md for the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=amd64
if [ "${1:-}" = --arch ]; then
  ARCH=$2
  shift 2
fi
case "$ARCH" in
  amd64 | x86_64)
    bash scripts/setup-image-host.sh
    flock /tmp/build.lock npm run build -- --if-stale
    bash scripts/build-image.sh --uefi --if-stale
    exec vitest run --config test/image/vitest.config.ts "$@"
    ;;
  arm64 | aarch64)
    bash scripts/setup-image-host.sh --arch arm64
    flock /tmp/build.lock npm run build -- --if-stale # the host-side steps (catalog) run dist/blueprint
    flock /tmp/build.lock npm run build -- --arch arm64 --if-stale
    bash scripts/build-image.sh --arch arm64 --uefi --if-stale --out build/image-arm64
    BLUEPRINT_IMAGE_ARCH=arm64 BLUEPRINT_IMAGE_DIR=build/image-arm64 \
      exec vitest run --config test/image/vitest.config.ts test/image/arm64.test.ts "$@"
    ;;
  *)
    echo "test-image: unknown --arch $ARCH (amd64 or arm64)" >&2
    exit 2
    ;;
esac
