# shellcheck shell=bash
# The A/B parts of scripts/build-image.sh (issue 21, image/README.md "A/B system updates"), read by
# it: RAUC in the root (ab_root), the four-partition UEFI disk (ab_disk) and signed bundles
# (make_bundle). Uses build-image.sh's variables and helpers (R, WORK, OUT, CACHE, in_chroot, apt_in, die).

SLOT_SIZE=1536M # each root slot; the built root uses ~0.9 GiB
DATA_SIZE=2048M # /data: the overlays of /etc and /var, containers, blueprint state, homes
[ "$AB" = 1 ] && ROOT_SIZE=$SLOT_SIZE
# A semantic version: the box orders its updates by it (src/core/update/version-order.ts), and one it
# cannot order (2.0.0~beta) makes every later update need --force.
SEMVER_ID='[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*'
[[ "$SYSTEM_VERSION" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-$SEMVER_ID)?(\+$SEMVER_ID)?$ ]] ||
  die "bad --system-version '$SYSTEM_VERSION': not a semantic version" "e.g. 2.0.0, 2.1.0-rc.1 or 2.0.1+b2"

# The CA whose certificate is the box's RAUC keyring, and a signing certificate it issued. Made once
# in the cache folder (or --rauc-ca DIR); the private keys never enter the image.
rauc_ca() {
  [ -f "$RAUC_CA/ca.pem" ] && [ -f "$RAUC_CA/signer.pem" ] && return 0
  [ "$RAUC_CA" = "$CACHE/rauc-ca" ] || die "$RAUC_CA/ca.pem or signer.pem is missing" "make them with openssl, or leave out --rauc-ca"
  command -v openssl >/dev/null || die "openssl not found" "apt-get install openssl"
  local d="$RAUC_CA.tmp"
  rm -rf "$d" && mkdir -p "$d" && chmod 700 "$d"
  openssl req -x509 -newkey rsa:3072 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 3650 \
    -subj "/O=BlueprintOS/CN=BlueprintOS system update CA (build $(hostname))" 2>/dev/null
  openssl req -newkey rsa:3072 -nodes -keyout "$d/signer.key" -out "$d/signer.csr" \
    -subj "/O=BlueprintOS/CN=BlueprintOS system bundle signer" 2>/dev/null
  openssl x509 -req -in "$d/signer.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -out "$d/signer.pem" -days 1825 2>/dev/null
  rm -f "$d/signer.csr"
  mv "$d" "$RAUC_CA"
}

ab_root() {
  local src="$REPO/image/rauc"
  rauc_ca
  host_resolver
  # unsquashfs: RAUC reads a plain bundle's manifest with it. systemd-boot: systemd-bless-boot
  # (blesses the counted entry after boot-complete.target) and bootctl; its postinst and kernel
  # hooks install nothing here (no ESP in the chroot; on the box `bootctl is-installed` is false:
  # the ESP holds only EFI/BOOT/BOOTX64.EFI), so the ESP stays the bootloader backend's alone.
  apt_in install --no-install-recommends rauc squashfs-tools systemd-boot
  install -D -m 0644 "$src/system.conf" "$R/etc/rauc/system.conf"
  install -D -m 0644 "$RAUC_CA/ca.pem" "$R/etc/rauc/keyring.pem"
  install -D -m 0755 "$src/bootloader-backend" "$R/usr/lib/blueprint/rauc/bootloader-backend"
  install -D -m 0755 "$src/health-check" "$R/usr/lib/blueprint/rauc/health-check"
  # The kernel command line without root=: the backend adds each slot's own.
  tr -s ' \n' ' ' <"$REPO/image/cmdline" | sed -e 's/root=[^ ]* //' -e 's/ $//' >"$R/usr/lib/blueprint/rauc/cmdline"
  echo "$SYSTEM_VERSION" >"$R/usr/lib/blueprint/system-version"
  install -D -m 0644 "$src/de.pengutronix.rauc.conf" "$R/etc/dbus-1/system.d/de.pengutronix.rauc.conf"
  install -D -m 0644 "$src/de.pengutronix.rauc.service" "$R/usr/share/dbus-1/system-services/de.pengutronix.rauc.service"
  install -D -m 0644 "$src/rauc.service" "$R/etc/systemd/system/rauc.service"
  install -D -m 0644 "$src/blueprint-health.service" "$R/etc/systemd/system/blueprint-health.service"
  install -D -m 0755 "$src/initramfs-data" "$R/usr/share/initramfs-tools/scripts/local-bottom/blueprint-data"
  install -m 0644 "$src/fstab" "$R/etc/fstab"
  # Mount points on the read-only slot: /data, the ESP, and /opt/blueprint (bpkg's packages, bound
  # from /data by the initramfs).
  mkdir -p "$R/data" "$R/boot/efi" "$R/opt/blueprint"
  grep -qx overlay "$R/etc/initramfs-tools/modules" || echo overlay >>"$R/etc/initramfs-tools/modules"
  in_chroot systemctl enable blueprint-health.service
  # The initramfs takes the overlay module and the data script installed above. (apt never changes
  # a slot in place: setup keeps unattended upgrades off on an A/B box, src/core/setup/ab-system.ts.)
  in_chroot update-initramfs -u -k all
}

ab_disk() {
  local esp="$WORK/esp.img" disk="$WORK/disk.raw" data="$WORK/data.img" opts
  for tool in mkfs.vfat mcopy sfdisk qemu-img; do
    command -v "$tool" >/dev/null || die "$tool not found (needed by --uefi)" "apt-get install dosfstools mtools fdisk qemu-utils"
  done
  opts="root=PARTLABEL=root-a rauc.slot=A $(cat "$R/usr/lib/blueprint/rauc/cmdline")"
  rm -f "$esp" && mkfs.vfat -n ESP -C "$esp" $((256 * 1024)) >/dev/null
  mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries ::/blueprint-a
  mcopy -i "$esp" "$R/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$esp" "$WORK/vmlinuz" "$WORK/initrd.img" ::/blueprint-a/
  # The first entry of the lowest sort-key boots; the bootloader backend keeps that order.
  printf 'timeout 0\neditor no\ndefault blueprint-*\n' | mcopy -i "$esp" - ::/loader/loader.conf
  printf 'title BlueprintOS (slot A)\nsort-key 1-blueprint-a\nlinux /blueprint-a/vmlinuz\ninitrd /blueprint-a/initrd.img\noptions %s\n' "$opts" |
    mcopy -i "$esp" - ::/loader/entries/blueprint-a.conf
  rm -f "$data"
  # Blank by default, for the box to encrypt at first boot (scripts/build-image-crypt.sh);
  # --no-encrypt-data: plain ext4.
  if [ "$ENCRYPT_DATA" = 1 ]; then truncate -s "$DATA_SIZE" "$data"; else mkfs.ext4 -q -F -L data "$data" "$DATA_SIZE"; fi
  local slot_mib=$(($(stat -c %s "$WORK/root.img") / 1048576)) data_mib=$(($(stat -c %s "$data") / 1048576))
  truncate -s $((1 + 256 + 2 * slot_mib + data_mib + 1))M "$disk"
  printf 'label: gpt\nstart=1MiB, size=256MiB, type=uefi, name=esp\nsize=%sMiB, type=linux, name=root-a\nsize=%sMiB, type=linux, name=root-b\nsize=%sMiB, type=linux, name=data\n' \
    "$slot_mib" "$slot_mib" "$data_mib" | sfdisk -q "$disk"
  dd if="$esp" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
  dd if="$WORK/root.img" of="$disk" bs=1M seek=257 conv=notrunc,sparse status=none
  dd if="$data" of="$disk" bs=1M seek=$((257 + 2 * slot_mib)) conv=notrunc,sparse status=none
  qemu-img convert -c -O qcow2 "$disk" "$WORK/disk.qcow2"
  rm -f "$esp" "$disk" "$data"
}

# A signed bundle of OUT's --ab root filesystem, the version file set to --system-version (and the
# health check made to fail with --health-fails): OUT/bundles/blueprintos-VERSION.raucb.
make_bundle() {
  local rootfs="$OUT/rootfs" dir="$OUT/bundles" img t0 name
  [ -f "$rootfs/etc/rauc/system.conf" ] || die "$OUT holds no --ab image" "scripts/build-image.sh --ab --uefi --out $OUT first"
  command -v rauc >/dev/null && command -v mksquashfs >/dev/null || die "rauc or mksquashfs not found" "apt-get install rauc squashfs-tools"
  rauc_ca
  mkdir -p "$dir"
  t0=$(date +%s)
  img=$(mktemp "$dir/.rootfs.XXXXXX")
  BUNDLE_TMP=$img
  trap 'rm -f "$BUNDLE_TMP" "$BUNDLE_TMP.version"' EXIT
  mkfs.ext4 -q -F -L root -d "$rootfs" "$img" "$SLOT_SIZE"
  echo "$SYSTEM_VERSION" >"$img.version"
  # The rootfs stays as built: the version (and the failing check) are written into the copy.
  debugfs -w -R "rm /usr/lib/blueprint/system-version" "$img" >/dev/null 2>&1
  debugfs -w -R "write $img.version /usr/lib/blueprint/system-version" "$img" >/dev/null 2>&1
  if [ "$HEALTH_FAILS" = 1 ]; then
    debugfs -w -R "write $img.version /usr/lib/blueprint/rauc/health-fails" "$img" >/dev/null 2>&1
    name="blueprintos-$SYSTEM_VERSION-health-fails.raucb"
  else
    name="blueprintos-$SYSTEM_VERSION.raucb"
  fi
  [ "$(debugfs -R "cat /usr/lib/blueprint/system-version" "$img" 2>/dev/null)" = "$SYSTEM_VERSION" ] ||
    die "could not set the version in the bundle's root filesystem"
  "$REPO/image/rauc/make-bundle" "$img" "$SYSTEM_VERSION" "$RAUC_CA/signer.pem" "$RAUC_CA/signer.key" "$dir/$name"
  rm -f "$img" "$img.version"
  trap - EXIT
  echo "build-image: bundle $dir/$name ($(du -h --apparent-size "$dir/$name" | cut -f1)) in $(($(date +%s) - t0))s"
}
