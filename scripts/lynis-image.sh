#!/usr/bin/env bash
# Measures the built image with Lynis (the build host's Debian package) inside the booted guest:
# Lynis travels on a read-only disk labelled LYNIS, the kernel command line runs it once the box
# is up (systemd.run=), and the guest powers off when it is done. Under TCG this takes ~15 min.
# Prints the hardening index and leaves the report in build/image/lynis/.
# Usage: scripts/lynis-image.sh [IMAGE_DIR]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
IMG=$(realpath "${1:-$REPO/build/image}")
OUT="$IMG/lynis"
[ -f "$IMG/root.img" ] || { echo "lynis-image: no image in $IMG; run scripts/build-image.sh" >&2; exit 1; }
command -v lynis >/dev/null || { echo "lynis-image: lynis missing; apt-get install lynis" >&2; exit 1; }

WORK=$(mktemp -d /tmp/blueprint-lynis.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# Upstream's standalone layout: lynis, include/, db/, plugins/ and default.prf in one folder.
mkdir -p "$WORK/disk" "$OUT"
cp -a /usr/share/lynis/include /usr/share/lynis/db /etc/lynis/plugins /etc/lynis/default.prf /usr/sbin/lynis "$WORK/disk/"
# Runs in the guest: wait for the boot to settle (the wizard units wait for input, so "all jobs
# done" never comes), audit, copy the report to the serial console, then power off.
cat >"$WORK/disk/run" <<'GUEST'
#!/bin/sh
exec >/dev/ttyS0 2>&1
for unit in nftables apparmor auditd systemd-networkd podman.socket; do
  i=0
  while ! systemctl is-active -q "$unit" && ! systemctl is-failed -q "$unit" && [ $i -lt 150 ]; do
    sleep 2; i=$((i + 1))
  done
done
sleep 20
cp -a /mnt/lynis-disk /run/lynis && cd /run/lynis
sh ./lynis audit system --quick --no-colors --logfile /run/lynis.log --report-file /run/lynis-report.dat >/run/lynis.out 2>&1
echo "=== LYNIS-REPORT-BEGIN"
cat /run/lynis-report.dat
echo "=== LYNIS-OUTPUT-BEGIN"
cat /run/lynis.out
echo "=== LYNIS-END"
GUEST
chmod 755 "$WORK/disk/run" "$WORK/disk/lynis"
mkfs.ext4 -q -L LYNIS -d "$WORK/disk" "$WORK/lynis.img" 64M
qemu-img create -q -f qcow2 -F raw -b "$IMG/root.img" "$WORK/root.qcow2"

start=$(date +%s)
run="mkdir -p /mnt/lynis-disk && mount -o ro LABEL=LYNIS /mnt/lynis-disk && exec /mnt/lynis-disk/run"
timeout 40m qemu-system-x86_64 -m 1536 -smp 2 -accel tcg -display none -no-reboot -monitor none -nic none \
  -kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
  -append "$(cat "$IMG/cmdline") systemd.run=\"/bin/sh -c '$run'\" systemd.run_success_action=poweroff systemd.run_failure_action=poweroff" \
  -drive "file=$WORK/root.qcow2,format=qcow2,if=virtio" -drive "file=$WORK/lynis.img,format=raw,if=virtio,readonly=on" \
  -serial "file:$WORK/serial.log" </dev/null
echo "lynis-image: guest ran $(($(date +%s) - start))s"
cp "$WORK/serial.log" "$OUT/serial.log"
sed -n '/=== LYNIS-REPORT-BEGIN/,/=== LYNIS-OUTPUT-BEGIN/p' "$WORK/serial.log" | tr -d '\r' >"$OUT/lynis-report.dat"
sed -n '/=== LYNIS-OUTPUT-BEGIN/,/=== LYNIS-END/p' "$WORK/serial.log" | tr -d '\r' >"$OUT/lynis.out"
index=$(sed -n 's/^hardening_index=//p' "$OUT/lynis-report.dat")
[ -n "$index" ] || { echo "lynis-image: no hardening index in the guest's output, see $OUT/serial.log" >&2; exit 1; }
echo "lynis-image: hardening index $index (report in $OUT)"
