#!/usr/bin/env bash
# Builds the BlueprintOS appliance image from Debian's packages and this repository alone:
#   debootstrap minbase -> apt install (image/packages.txt) -> dist-upgrade -> initramfs -> overlay (image/overlay)
#   -> dist/blueprint as /usr/local/bin/blueprint (+ its SBOM) -> the offline module catalog
#   -> configure (image/configure.sh, in the chroot)
#   -> cleanup -> mkfs.ext4 -d root.img -> kernel/initrd copies [-> UEFI disk.qcow2 with --uefi].
# Runs as root, with no loop device and no mount of the image (only proc/sys/dev into the chroot).
# Output: build/image/{root.img,vmlinuz,initrd.img,cmdline,rootfs/,timings.json} — written to a
# temporary folder and renamed at the end, so an interrupted build never leaves a half image behind.
#
# Usage: scripts/build-image.sh [--arch A] [--uefi] [--ab [--no-encrypt-data]] [--fresh] [--if-stale] [--out DIR] [--bin FILE] [--catalog-key DIR]
#        scripts/build-image.sh --bundle --out DIR [--system-version V] [--health-fails]
#   --arch A    amd64 (x86_64) or arm64 (aarch64; default: this machine's). arm64 on x86-64: debootstrap
#               runs arm64 Debian through qemu-user-static (binfmt), --bin defaults to dist/blueprint-arm64,
#               the catalog holds aarch64 packages, the wizard is on ttyAMA0 too (docs/arm64.md)
#   --uefi      also assemble a GPT disk (ESP with systemd-boot + root) as disk.qcow2
#   --ab        A/B system updates (issue 21): RAUC and its keyring in the root, a read-only root
#               slot, and with --uefi a disk of ESP + root-a + root-b + data (image/README.md)
#   --no-encrypt-data  (with --ab) the data partition made as plain ext4 at build time. By default
#               an --ab disk leaves it blank: the first boot runs in memory, setup encrypts it (TPM,
#               or a passphrase on a box without one) or, after an explicit yes, not, then /data is
#               copied on (docs/encryption.md). --encrypt-data says the default explicitly.
#   --bundle    a signed RAUC bundle of DIR's --ab root filesystem, as DIR/bundles/blueprintos-V.raucb
#   --system-version V  the system version the image or bundle carries, a semantic version (default 1.0.0)
#   --health-fails      (tests) a bundle whose health check fails by design
#   --rauc-ca DIR       the bundle-signing CA (default: made once under the cache folder; only its
#               certificate enters the image)
#   --fresh     ignore the cached debootstrap base and apt archives
#   --if-stale  do nothing when DIR already holds an image built from the same inputs
#   --bin FILE  the blueprint executable to install (default dist/blueprint)
#   --catalog-key DIR  the key that signs the offline catalog, as `blueprint repo keygen --out DIR`
#               writes it (default: one made once in the cache folder; never copied into the image)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT="$REPO/build/image"
CACHE="${BLUEPRINT_IMAGE_CACHE:-$REPO/build/image-cache}"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
ROOT_SIZE=4G
UEFI=0 FRESH=0 IF_STALE=0
BIN="$REPO/dist/blueprint"
CATALOG_KEY="$CACHE/catalog-key"
# The offline catalog: every module in modules/ and a demo model, built by scripts/image-catalog.mjs
# from these (image/README.md); packages are kept in $CACHE/catalog-packages by content.
CATALOG_INPUTS=(modules scripts/image-catalog.mjs test/fixtures/models/tiny-bert test/fixtures/models/tiny-llama)
CATALOG_DAYS=1095
NODE="$REPO/node_modules/.bin/node"
DEB_ARCH=$(dpkg --print-architecture)

AB=0 BUNDLE=0 HEALTH_FAILS=0 SYSTEM_VERSION=1.0.0
ENCRYPT_DATA='' # --ab: on unless --no-encrypt-data (decided after the options are read)
RAUC_CA="$CACHE/rauc-ca"
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) DEB_ARCH=$2; shift ;;
    --uefi) UEFI=1 ;;
    --ab) AB=1 ;;
    --encrypt-data) ENCRYPT_DATA=1 ;;
    --no-encrypt-data) ENCRYPT_DATA=0 ;;
    --bundle) BUNDLE=1 ;;
    --health-fails) HEALTH_FAILS=1 ;;
    --system-version) SYSTEM_VERSION=$2; shift ;;
    --rauc-ca) RAUC_CA=$(realpath -m "$2"); shift ;;
    --fresh) FRESH=1 ;;
    --if-stale) IF_STALE=1 ;;
    --out) OUT=$(realpath -m "$2"); shift ;;
    --bin) BIN=$(realpath "$2"); shift ;;
    --catalog-key) CATALOG_KEY=$(realpath "$2"); shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "build-image: $1" >&2; [ -n "${2:-}" ] && echo "hint: $2" >&2; exit 1; }
# The target CPU (issue 22): Debian's name, the package arch (manifests), the EFI names, and the
# executable that runs here (host-side catalog steps) as opposed to the one the image gets.
HOST_BIN="$REPO/dist/blueprint"
case "$DEB_ARCH" in
  amd64 | x86_64) DEB_ARCH=amd64 PKG_ARCH=x86_64 EFI_ARCH=x64 ;;
  arm64 | aarch64) DEB_ARCH=arm64 PKG_ARCH=aarch64 EFI_ARCH=aa64 ;;
  *) die "unknown --arch $DEB_ARCH" "amd64 or arm64" ;;
esac
# The A/B disk and its bundles are x86-64 only for now (build-image-ab.sh puts systemd-bootx64.efi
# on the ESP; docs/arm64.md, Left): refused here, not after an hour of building (QA14).
if [ "$DEB_ARCH" != amd64 ]; then
  why="the A/B disk's boot loader and slots are not made for $DEB_ARCH yet"
  hint="build the $DEB_ARCH image without --ab (one root, no A/B updates, no data partition to encrypt; docs/arm64.md)"
  [ "$AB" != 1 ] || die "--ab is for x86-64 only for now: $why" "$hint"
  [ "$BUNDLE" != 1 ] || die "--bundle is for x86-64 only for now: $why" "$hint"
fi
if [ "$DEB_ARCH" != "$(dpkg --print-architecture)" ]; then
  [ "$BIN" = "$REPO/dist/blueprint" ] && BIN="$REPO/dist/blueprint-$DEB_ARCH"
  [ -e "/proc/sys/fs/binfmt_misc/qemu-$PKG_ARCH" ] ||
    die "no binfmt handler for $PKG_ARCH: debootstrap and the chroot cannot run its programs" "sudo bash scripts/setup-host.sh"
  [ -x "$HOST_BIN" ] || die "$HOST_BIN is missing (it builds the catalog here)" "run 'npm run build' first"
else
  HOST_BIN=$BIN
fi
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and chroot)" "sudo scripts/build-image.sh"
# A/B parts (RAUC, slots, bundles): scripts/build-image-ab.sh, read here so both share die/stage.
# shellcheck source=build-image-ab.sh
. "$REPO/scripts/build-image-ab.sh"
# shellcheck source=build-image-crypt.sh
. "$REPO/scripts/build-image-crypt.sh"
[ "$ENCRYPT_DATA" != 1 ] || [ "$AB" = 1 ] || die "--encrypt-data needs --ab" "the data partition is the A/B image's"
# Data at rest is encrypted by default: the A/B disk's data partition (the only image with one)
# is left blank for its first boot to encrypt on the box.
[ -n "$ENCRYPT_DATA" ] || ENCRYPT_DATA=$AB
if [ "$BUNDLE" = 1 ]; then
  make_bundle
  exit 0
fi
[ -x "$BIN" ] || die "$BIN is missing" "run 'npm run build' first"
for tool in debootstrap mkfs.ext4 chroot; do
  command -v "$tool" >/dev/null || die "$tool not found" "apt-get install debootstrap e2fsprogs"
done

# Everything the image is made of (documentation aside); a build with the same digest is the same image.
inputs_digest() {
  # image/rauc and the A/B script count only for --ab builds: editing them leaves others current.
  local skip_ab=(-not -path 'image/rauc/*')
  [ "$AB" = 1 ] && skip_ab=()
  (cd "$REPO" && find image scripts/build-image.sh modules/kit package-lock.json \
    "${CATALOG_INPUTS[@]}" $([ "$AB" = 1 ] && echo scripts/build-image-ab.sh scripts/build-image-crypt.sh) -type f \
    -not -path 'modules/hello/rootfs/*' -not -name '*.md' "${skip_ab[@]}" -print0 |
    sort -z | xargs -0 sha256sum
    sha256sum <"$BIN"
    echo "uefi=$UEFI"
    [ "$DEB_ARCH" = amd64 ] || echo "arch=$DEB_ARCH"
    [ "$AB" = 0 ] || echo "ab=$AB version=$SYSTEM_VERSION"
    [ "$ENCRYPT_DATA" = 0 ] || echo "encrypt-data=1") | sha256sum | cut -d' ' -f1
}
DIGEST=$(inputs_digest)
if [ "$IF_STALE" = 1 ] && [ -f "$OUT/inputs.sha256" ] && [ "$(cat "$OUT/inputs.sha256")" = "$DIGEST" ]; then
  echo "build-image: $OUT is up to date (inputs $DIGEST)"
  exit 0
fi

WORK="$OUT.tmp"
R="$WORK/rootfs"
MOUNTS=()
cleanup_mounts() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
  MOUNTS=()
}
trap cleanup_mounts EXIT
trap 'echo "build-image: interrupted; $WORK is left for inspection and is removed by the next build" >&2; exit 130' INT TERM

bind() { mkdir -p "$2"; mount --bind "$1" "$2"; MOUNTS+=("$2"); }
in_chroot() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }
apt_in() { in_chroot apt-get -y -q -o Dpkg::Options::=--force-confold -o Dpkg::Use-Pty=0 "$@"; }

TIMINGS=()
BUILD_START=$(date +%s)
stage() {
  local name=$1 t0 t1
  shift
  echo "==> $name"
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  echo "<== $name: ${secs}s"
  TIMINGS+=("\"$name\": $secs")
}

# A build killed hard may leave proc/sys/dev bound under the old work folder: unmount before rm -rf,
# or it would delete the host's /dev.
remove_work() {
  local m
  for m in $(awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m"; done
  rm -rf --one-file-system "$WORK"
}

base() {
  local tarball="$CACHE/base-$SUITE-minbase.tar"
  [ "$DEB_ARCH" = amd64 ] || tarball="$CACHE/base-$SUITE-$DEB_ARCH-minbase.tar"
  remove_work
  mkdir -p "$R" "$CACHE/apt-archives/partial"
  if [ "$FRESH" = 0 ] && [ -f "$tarball" ]; then
    echo "    from cache $tarball"
    tar -C "$R" -xpf "$tarball"
  else
    debootstrap --arch "$DEB_ARCH" --variant=minbase --include=ca-certificates "$SUITE" "$R" "$MIRROR"
    tar -C "$R" -cpf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  fi
}

chroot_mounts() {
  bind /proc "$R/proc"
  bind /sys "$R/sys"
  bind /dev "$R/dev"
  bind /dev/pts "$R/dev/pts"
  # Downloaded .debs survive between builds; nothing of the host's apt state leaks in.
  [ "$FRESH" = 1 ] && rm -rf "$CACHE/apt-archives"/*.deb
  bind "$CACHE/apt-archives" "$R/var/cache/apt/archives"
  # Services must not start inside the build chroot.
  printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
  chmod 755 "$R/usr/sbin/policy-rc.d"
  # Each kernel, module or firmware package would rebuild the initramfs (minutes each on 2 busy
  # cores): a no-op stands in for update-initramfs until the initramfs stage builds it once.
  in_chroot dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs
  printf '#!/bin/sh\nexit 0\n' >"$R/usr/sbin/update-initramfs"
  chmod 755 "$R/usr/sbin/update-initramfs"
  host_resolver
  cat >"$R/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
}

# The build host's resolver, for apt in the chroot. Again before each apt stage: installing
# systemd-resolved turns /etc/resolv.conf into a link to its stub, which does not run here.
host_resolver() {
  rm -f "$R/etc/resolv.conf"
  cp /etc/resolv.conf "$R/etc/resolv.conf"
}

install_packages() {
  chroot_mounts
  apt_in update
  # shellcheck disable=SC2046 # one package per word, comments stripped
  apt_in install --no-install-recommends $(sed "s/#.*//; s/^linux-image-amd64/linux-image-$DEB_ARCH/" "$REPO/image/packages.txt")
}

upgrade() {
  host_resolver
  apt_in dist-upgrade
}

initramfs() {
  rm -f "$R/usr/sbin/update-initramfs"
  in_chroot dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
  in_chroot update-initramfs -c -k all
}

overlay() {
  # Copied as root, so owned by root; modes are 0644/0755 from git, tightened in configure.sh.
  cp -a --no-preserve=ownership "$REPO/image/overlay/." "$R/"
  # Per-CPU additions (arm64: the wizard also on ttyAMA0, the serial port of Arm boards and qemu virt).
  [ ! -d "$REPO/image/overlay-$DEB_ARCH" ] || cp -a --no-preserve=ownership "$REPO/image/overlay-$DEB_ARCH/." "$R/"
}

install_blueprint() {
  install -D -m 0755 "$BIN" "$R/usr/local/bin/blueprint"
  ln -sf blueprint "$R/usr/local/bin/bpkg"
  # The SBOM the executable carries, also as a file where scanners of the root filesystem find it
  # (*.cdx.json). Taken from the executable itself, so the two cannot differ; none, no image.
  local doc="$R/usr/local/share/doc/blueprint"
  install -d -m 0755 "$doc"
  "$BIN" audit sbom >"$doc/sbom.cdx.json"
  chmod 0644 "$doc/sbom.cdx.json"
}

# The official modules as a signed folder repository, so a box with no network can install them at
# first boot (issue 18): /usr/share/blueprint/catalog (index.json, its signature, pool/, and the
# public key in keys/, the layout `bpkg bundle` writes), added as repository `catalog` bound to that
# key alone, its index already accepted. Built and signed outside the root: the private key never
# enters it.
catalog() {
  local repo="$WORK/catalog" dest="$R/usr/share/blueprint/catalog" fpr
  if [ ! -f "$CATALOG_KEY/signing-key.asc" ]; then
    [ "$CATALOG_KEY" = "$CACHE/catalog-key" ] || die "$CATALOG_KEY/signing-key.asc is missing" "blueprint repo keygen --out DIR"
    (umask 077 && "$HOST_BIN" repo keygen --out "$CATALOG_KEY" --name "BlueprintOS offline catalog" >/dev/null)
  fi
  # Every module and the demo model, each package reused from the cache while its inputs are unchanged.
  "$NODE" "$REPO/scripts/image-catalog.mjs" --bin "$HOST_BIN" --key "$CATALOG_KEY" --out "$repo" \
    --cache "$CACHE/catalog-packages" --days "$CATALOG_DAYS" --arch "$PKG_ARCH"
  install -d -m 0755 "$dest" "$dest/keys"
  cp -r "$repo/index.json" "$repo/index.json.asc" "$repo/needs.json" "$repo/needs.json.asc" "$repo/pool" "$dest/"
  install -m 0644 "$CATALOG_KEY/signing-key.pub.asc" "$dest/keys/blueprint-catalog.pub.asc"
  chmod -R u=rwX,go=rX "$dest"
  rm -rf "$repo"
  # Trusted for the catalog only, and its index accepted now, so search and install work offline.
  fpr=$("$HOST_BIN" --json --yes --root "$WORK/keycheck" pkg key add "$dest/keys/blueprint-catalog.pub.asc" |
    sed -n 's/.*"fingerprint": *"\([0-9A-Fa-f]*\)".*/\1/p' | head -1)
  rm -rf "$WORK/keycheck"
  [ -n "$fpr" ] || die "could not read the catalog key's fingerprint"
  in_chroot /usr/local/bin/blueprint pkg key add /usr/share/blueprint/catalog/keys/blueprint-catalog.pub.asc --fingerprint "$fpr"
  in_chroot /usr/local/bin/blueprint pkg repo add catalog file:///usr/share/blueprint/catalog \
    --key "$fpr" --repository blueprint-catalog
  in_chroot /usr/local/bin/blueprint pkg update
}

configure() {
  install -m 0755 "$REPO/image/configure.sh" "$R/root/configure.sh"
  in_chroot /bin/sh /root/configure.sh
  rm -f "$R/root/configure.sh"
}

cleanup() {
  # Unmount first: the downloaded .debs stay in the cache, not in the image.
  cleanup_mounts
  rm -f "$R/usr/sbin/policy-rc.d"
  rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb \
    "$R"/tmp/* "$R"/var/tmp/* "$R"/root/.bash_history
  # Per-box identity is made at first boot: machine-id, SSH host keys (blueprint-ssh-hostkeys.service).
  echo uninitialized >"$R/etc/machine-id"
  rm -f "$R/var/lib/dbus/machine-id" "$R"/etc/ssh/ssh_host_*
  # The build host's resolver must not ship; systemd-resolved's stub answers on the box.
  rm -f "$R/etc/resolv.conf"
  ln -s ../run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"
  find "$R/var/log" -type f -exec truncate -s 0 {} +
}

filesystem() {
  local kver
  kver=$(basename "$(ls -d "$R"/lib/modules/* | sort -V | tail -1)")
  cp "$R/boot/vmlinuz-$kver" "$WORK/vmlinuz"
  # arm64's vmlinuz is a gzipped Image; systemd-boot loads only the uncompressed EFI-stub Image.
  if [ "$(head -c2 "$WORK/vmlinuz" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
    gzip -dc <"$R/boot/vmlinuz-$kver" >"$WORK/vmlinuz"
  fi
  cp "$R/boot/initrd.img-$kver" "$WORK/initrd.img"
  tr -s ' \n' ' ' <"$REPO/image/cmdline" | sed 's/ $//' >"$WORK/cmdline"
  [ "$DEB_ARCH" = amd64 ] || sed -i 's/console=ttyS0/console=ttyAMA0/' "$WORK/cmdline"
  mkfs.ext4 -q -F -L root -d "$R" "$WORK/root.img" "$ROOT_SIZE"
}

uefi_disk() {
  local esp="$WORK/esp.img" disk="$WORK/disk.raw" kver
  for tool in mkfs.vfat mcopy sfdisk qemu-img; do
    command -v "$tool" >/dev/null || die "$tool not found (needed by --uefi)" "apt-get install dosfstools mtools fdisk qemu-utils"
  done
  rm -f "$esp" && mkfs.vfat -n ESP -C "$esp" $((256 * 1024)) >/dev/null
  mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
  mcopy -i "$esp" "$R/usr/lib/systemd/boot/efi/systemd-boot$EFI_ARCH.efi" "::/EFI/BOOT/BOOT${EFI_ARCH^^}.EFI"
  mcopy -i "$esp" "$WORK/vmlinuz" "$WORK/initrd.img" ::/
  printf 'timeout 0\neditor no\ndefault blueprint.conf\n' | mcopy -i "$esp" - ::/loader/loader.conf
  printf 'title BlueprintOS\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' "$(cat "$WORK/cmdline")" |
    mcopy -i "$esp" - ::/loader/entries/blueprint.conf
  # GPT: 1 MiB gap, 256 MiB ESP, then the root filesystem as built.
  local root_mib=$(($(stat -c %s "$WORK/root.img") / 1048576))
  truncate -s $((1 + 256 + root_mib + 1))M "$disk"
  printf 'label: gpt\nstart=1MiB, size=256MiB, type=uefi, name=esp\nstart=257MiB, size=%sMiB, type=linux, name=root\n' "$root_mib" |
    sfdisk -q "$disk"
  dd if="$esp" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
  dd if="$WORK/root.img" of="$disk" bs=1M seek=257 conv=notrunc,sparse status=none
  qemu-img convert -c -O qcow2 "$disk" "$WORK/disk.qcow2"
  rm -f "$esp" "$disk"
}

# One compound command, parsed whole before it runs: editing this file during a build is safe.
{
  stage debootstrap base
  stage "apt install" install_packages
  stage dist-upgrade upgrade
  stage initramfs initramfs
  stage overlay overlay
  stage "install blueprint" install_blueprint
  stage "offline catalog" catalog
  stage configure configure
  # Every A/B root can unlock an encrypted data partition: a bundle serves every box.
  [ "$AB" = 1 ] && stage "data encryption" crypt_root
  [ "$AB" = 1 ] && stage "a/b slots" ab_root
  stage cleanup cleanup
  stage "mkfs.ext4 root.img" filesystem
  [ "$UEFI" = 1 ] && [ "$AB" = 0 ] && stage "uefi disk.qcow2" uefi_disk
  [ "$UEFI" = 1 ] && [ "$AB" = 1 ] && stage "uefi a/b disk.qcow2" ab_disk

  TOTAL=$(($(date +%s) - BUILD_START))
  {
    echo "{"
    printf '  %s,\n' "${TIMINGS[@]}"
    echo "  \"total\": $TOTAL"
    echo "}"
  } >"$WORK/timings.json"
  echo "$DIGEST" >"$WORK/inputs.sha256"
  rm -rf "$OUT"
  mv "$WORK" "$OUT"
  echo "build-image: done in ${TOTAL}s -> $OUT ($(du -sh --apparent-size "$OUT/root.img" | cut -f1) root.img, $(du -sh "$OUT/root.img" | cut -f1) used)"
  exit 0
}
