#!/usr/bin/env bash
# Host packages for building and booting the appliance image (`npm run test:image`, as root on
# Debian 12): debootstrap and e2fsprogs build it, qemu boots it, mtools/dosfstools/fdisk make the
# UEFI disk and the BLUEPRINT provisioning disk, openssh-client logs in, lynis measures it; gcc
# (static, for the hello module) and podman build the offline catalog's modules; rauc, mksquashfs,
# openssl and dbus-daemon make and test A/B system bundles (--ab, --bundle, test/update).
set -euo pipefail
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
