#!/bin/sh
# Installs the container engine configuration into an appliance root filesystem (the image build
# calls it with the rootfs after `apt-get install podman runc`): containers.conf, subordinate ids
# for `userns=auto`, and Debian's podman.socket (Podman's standard /run/podman/podman.sock,
# socket-activated) enabled with BlueprintOS drop-ins. Idempotent.
# Usage: sh scripts/podman/install-into.sh ROOTFS
set -eu
rootfs=${1:?usage: install-into.sh ROOTFS}
here=$(cd "$(dirname "$0")" && pwd)
install -d -m 0755 "$rootfs/etc/containers"
install -m 0644 "$here/containers.conf" "$rootfs/etc/containers/containers.conf"
for f in subuid subgid; do
  touch "$rootfs/etc/$f"
  grep -q '^containers:' "$rootfs/etc/$f" || echo 'containers:2147483647:2147483648' >>"$rootfs/etc/$f"
done
for unit in podman.socket podman.service; do
  install -d -m 0755 "$rootfs/etc/systemd/system/$unit.d"
  install -m 0644 "$here/$unit.d/blueprint.conf" "$rootfs/etc/systemd/system/$unit.d/blueprint.conf"
done
install -d -m 0755 "$rootfs/etc/systemd/system/sockets.target.wants"
ln -sf /lib/systemd/system/podman.socket "$rootfs/etc/systemd/system/sockets.target.wants/podman.socket"
