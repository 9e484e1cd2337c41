# shellcheck shell=bash
# The data-at-rest parts of scripts/build-image.sh (issue 23, docs/encryption.md "How the image
# boots"), read by it, for --ab images: the tools and the initramfs parts that unlock the data
# partition by the TPM (or a typed recovery key), and the first boot's copy of /data onto it.
# Uses build-image.sh's variables and helpers (R, REPO, in_chroot, apt_in).

crypt_root() {
  local src="$REPO/image/crypt"
  # cryptsetup itself; systemd 252 (already in the root) has systemd-cryptsetup and the TPM2
  # token plugin, and dlopen()s the tpm2-tss libraries, which nothing else pulls in.
  apt_in install --no-install-recommends cryptsetup-bin libtss2-esys-3.0.2-0 libtss2-mu0 libtss2-rc0 \
    libtss2-tcti-device0
  install -D -m 0755 "$src/initramfs-hook" "$R/usr/share/initramfs-tools/hooks/blueprint-crypt"
  install -D -m 0755 "$src/unlock" "$R/usr/share/initramfs-tools/scripts/local-premount/blueprint-crypt"
  install -D -m 0755 "$src/data-persist" "$R/usr/lib/blueprint/crypt/data-persist"
  install -D -m 0644 "$src/blueprint-data-persist.path" "$R/etc/systemd/system/blueprint-data-persist.path"
  install -D -m 0644 "$src/blueprint-data-persist.service" "$R/etc/systemd/system/blueprint-data-persist.service"
  in_chroot systemctl enable blueprint-data-persist.path
  # ab_root, next, builds the initramfs with these in it.
}
