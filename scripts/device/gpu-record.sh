#!/bin/sh
# Records, on a machine with a real GPU, what `blueprint gpu` reads (src/core/gpu/detect.ts), as a
# fixture tree like those in test/fixtures/gpu (see its README.md), and runs the detection live.
# For a session that has a GPU device machine; seconds of device time. Shell and coreutils only, as
# the GPU image's tools are not known; Node is optional (for the live run).
#
#   sh scripts/device/gpu-record.sh NAME [NODE]
#
# writes $OUT/gpu-record.tar.gz (NAME/root: the files detection reads; NAME/tools/nvidia-smi.csv;
# NAME/context.txt: kernel, runtime, nodes and mounts, for SOURCE.md) and, with NODE and a carried
# dist/bundle, $OUT/gpu-live.json and $OUT/gpu-live.txt (`blueprint --json gpu` and `blueprint gpu`
# on the machine itself, vendor tool included). Device nodes become empty files (the README's rule).
set -u
[ $# -ge 1 ] && [ "$1" != "--help" ] || { echo "usage: sh $0 NAME [NODE]   (writes \$OUT/gpu-record.tar.gz)"; [ "${1:-}" = "--help" ]; exit $?; }
name=$1
node=${2:-}
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$repo/.gpu-record}
work=$(mktemp -d)
fx="$work/$name"
r="$fx/root"
mkdir -p "$r" "$fx/tools"

# copy FILE: its text (sysfs and procfs files say size 4096 or 0: read them, never stat them)
copy() { [ -r "$1" ] && [ ! -d "$1" ] || return 0; mkdir -p "$r$(dirname "$1")"; cat "$1" > "$r$1" 2>/dev/null || rm -f "$r$1"; }
# node PATH: present (any type), recorded as an empty regular file
node_file() { [ -e "$1" ] || [ -L "$1" ] || return 0; if [ -d "$1" ] && [ ! -L "$1" ]; then mkdir -p "$r$1"; return 0; fi; mkdir -p "$r$(dirname "$1")"; touch "$r$1"; }

copy /proc/driver/nvidia/version
for f in /proc/driver/nvidia/gpus/*/information; do copy "$f"; done
copy /sys/module/nvidia/version
copy /proc/sys/kernel/osrelease
for d in /sys/bus/pci/devices/*; do
  [ -e "$d/vendor" ] || continue
  a=$(basename "$d")
  for f in vendor device class product_name mem_info_vram_total; do copy "$d/$f"; done
  if [ -L "$d/driver" ]; then mkdir -p "$r$d"; ln -s "$(readlink "$d/driver")" "$r$d/driver"; fi
  for n in "$d"/drm/card* "$d"/drm/renderD*; do [ -e "$n" ] && mkdir -p "$r$d/drm/$(basename "$n")"; done
  echo "$a"
done > "$work/pci-addresses"
for n in /dev/nvidia* /dev/nvidia-caps/* /dev/dri/* /dev/kfd; do node_file "$n"; done
for f in /etc/cdi/*.yaml /etc/cdi/*.json /var/run/cdi/*.yaml /var/run/cdi/*.json; do copy "$f"; done
# pci.ids: the lines of the GPUs' vendors only (an excerpt, as the other fixtures keep)
for ids in /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids; do
  [ -r "$ids" ] || continue
  mkdir -p "$r$(dirname "$ids")"
  awk '/^10de /{p=1; print; next} /^[0-9a-f]{4} /{p=0} p && /^\t[0-9a-f]{4} /' "$ids" > "$r$ids"
  break
done
command -v nvidia-smi >/dev/null &&
  nvidia-smi --query-gpu=name,pci.bus_id,memory.total,driver_version,uuid --format=csv,noheader > "$fx/tools/nvidia-smi.csv" 2>&1

{
  echo "recorded $(date -u +%Y-%m-%dT%H:%M:%SZ) by scripts/device/gpu-record.sh"
  echo "## uname -a"; uname -a
  echo "## /proc/version"; cat /proc/version 2>&1
  echo "## dmesg head (runtime)"; dmesg 2>&1 | head -n 5
  echo "## PCI functions with vendor files: $(wc -l < "$work/pci-addresses")"
  for a in $(cat "$work/pci-addresses"); do
    d=/sys/bus/pci/devices/$a
    echo "$a vendor=$(cat "$d/vendor") device=$(cat "$d/device") class=$(cat "$d/class") driver=$(readlink "$d/driver" 2>/dev/null) link=$(readlink "$d" 2>/dev/null)"
  done
  echo "## ls -la /dev/nvidia* /dev/dri"; ls -la /dev/nvidia* /dev/dri 2>&1
  echo "## ls /proc/driver/nvidia"; ls -la /proc/driver/nvidia /proc/driver/nvidia/gpus 2>&1
  echo "## /sys/module/nvidia*"; ls -d /sys/module/nvidia* 2>&1
  echo "## mounts naming nvidia"; grep -i nvidia /proc/mounts 2>&1 | head -n 40
  echo "## nvidia-smi -L"; nvidia-smi -L 2>&1
  echo "## nvidia-smi -q (head)"; nvidia-smi -q 2>&1 | head -n 60
  echo "## nvidia-ctk"; command -v nvidia-ctk nvidia-container-cli podman 2>&1
  echo "## libcuda"; timeout 20 find /usr/local/nvidia /usr/lib /usr/lib64 /lib -name 'libcuda.so*' 2>/dev/null | head -n 5; ls /usr/local/nvidia 2>&1
} > "$fx/context.txt" 2>&1

mkdir -p "$out"
(cd "$work" && tar -czf "$out/gpu-record.tar.gz" "$name")
echo "recorded: $(cd "$work" && find "$name" -type f -o -type l | wc -l) files, $(wc -l < "$work/pci-addresses") PCI functions"
cat "$fx/tools/nvidia-smi.csv" 2>/dev/null

if [ -n "$node" ] && [ -f "$repo/dist/bundle/blueprint.mjs" ]; then
  "$node" "$repo/dist/bundle/blueprint.mjs" --json gpu > "$out/gpu-live.json" 2>&1; echo "live --json gpu: rc=$?"
  "$node" "$repo/dist/bundle/blueprint.mjs" gpu > "$out/gpu-live.txt" 2>&1; echo "live gpu: rc=$?"
  cat "$out/gpu-live.txt"
  "$node" "$repo/dist/bundle/blueprint.mjs" --root "$fx/root" --json gpu > "$out/gpu-fixture.json" 2>&1; echo "on the recorded tree: rc=$?"
fi
rm -rf "$work"
