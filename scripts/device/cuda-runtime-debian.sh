#!/bin/sh
# Debian's CUDA 12.4 runtime (cuDART, cuBLAS, cuBLASLt from trixie non-free), unpacked into DIR for
# `node modules/llm/package.ts --cuda --cuda-libs DIR`: the libraries node-llama-cpp's CUDA 12
# build (@node-llama-cpp/linux-x64-cuda-ext) links, which no npm package ships (see modules/llm/cuda.ts).
# Runs on the build machine with apt: its own apt state under DIR/.apt, so the machine's sources,
# lists and installed packages are left as they are; nothing is installed. ~230 MB fetched.
#   sh scripts/device/cuda-runtime-debian.sh DIR
set -eu
[ $# -eq 1 ] && [ "$1" != "--help" ] || { echo "usage: sh $0 DIR   (Debian trixie non-free libcudart12 libcublas12 libcublaslt12, unpacked into DIR)"; [ "${1:-}" = "--help" ]; exit $?; }
dir=$(realpath -m "$1")
apt="$dir/.apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
echo "deb http://deb.debian.org/debian trixie non-free" > "$apt/sources.list"
o="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache -o APT::Architecture=amd64 -o APT::Sandbox::User=root -o Debug::NoLocking=1"
# shellcheck disable=SC2086 # $o is a list of options
apt-get $o -q update >/dev/null
pkgs="libcudart12 libcublas12 libcublaslt12"
# shellcheck disable=SC2086
(cd "$apt/debs" && apt-get $o -q download $pkgs >/dev/null)
for deb in "$apt/debs"/*.deb; do dpkg-deb -x "$deb" "$apt/root"; done
cp -P "$apt/root/usr/lib/x86_64-linux-gnu/"lib*.so* "$dir/"
# shellcheck disable=SC2086
versions=$(for p in $pkgs; do printf '%s %s, ' "$p" "$(dpkg-deb -f "$apt/debs/${p}_"*.deb Version)"; done)
echo "Debian trixie non-free: ${versions%, }" > "$dir/SOURCE"
rm -rf "$apt"
ls "$dir"
