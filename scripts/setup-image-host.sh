#!/usr/bin/env bash
# Host packages for building and booting the appliance image (`npm run test:image`, as root on
# Debian 12): debootstrap and e2fsprogs build it, qemu boots it, mtools/dosfstools/fdisk make the
# UEFI disk and the BLUEPRINT provisioning disk, openssh-client logs in, lynis measures it; gcc
# (static, for the hello module) and podman build the offline catalog's modules; rauc, mksquashfs,
# openssl and dbus-daemon make and test A/B system bundles (--ab, --bundle, test/update).
set -euo pipefail
# arm64 images (`npm run test:image -- --arch arm64`, issue 22): debootstrap runs arm64 Debian through
# qemu-user-static (binfmt), qemu-system-aarch64 boots it under AAVMF, Debian's arm64 UEFI firmware.
if [ "${1:-}" = --arch ] && [ "${2:-}" = arm64 ] &&
  ! { command -v qemu-system-aarch64 && [ -e /usr/share/AAVMF/AAVMF_CODE.fd ] && [ -x /usr/bin/qemu-aarch64-static ]; } >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "setup-image-host: run as root to install qemu-system-arm qemu-efi-aarch64" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    qemu-system-arm qemu-efi-aarch64 qemu-user-static binfmt-support >/dev/null
fi
need=()
for cmd in debootstrap mkfs.ext4 qemu-system-x86_64 qemu-img mcopy mkfs.vfat sfdisk ssh nft lynis gcc podman \
  rauc mksquashfs openssl dbus-daemon debugfs; do
  command -v "$cmd" >/dev/null || need+=("$cmd")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "setup-image-host: missing ${need[*]}; run as root to install them" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  debootstrap e2fsprogs qemu-system-x86 qemu-utils mtools dosfstools fdisk openssh-client nftables \
  lynis ovmf gcc libc6-dev podman rauc squashfs-tools openssl dbus >/dev/null
