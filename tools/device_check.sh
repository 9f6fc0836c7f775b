#!/usr/bin/env bash
# The one script to run on a GPU machine (nvcc, CMake, maybe PyTorch; no Qt, no network).
# Builds the engine alone (engine-only preset, CUDA ON), runs the `gpu` tests, writes a checkpoint
# with the real V4-Flash dimensions and four layers (one sliding-window, one CSA, one HCA, one
# more sliding-window: the release's pattern 0,0,4,128) with folio-mkmodel, then runs
# folio-bench-cuda (engine/tools/cuda_bench*.cpp: the kernels, then the CUDA forward pass on that
# checkpoint) and prints one short table. Logs go to $OUT when set; bench-cuda.json holds the
# numbers. Budget: under 8 minutes on an H200 (the prefill lengths that would not fit are
# skipped and say so). The decode rows (docs/cuda.md "Running the checks") run a step as generate
# does — the state resident on the device, the logits kept there, the token from the GPU
# sampler — with CUDA graphs and without (same run), at 8K and at 1M context, the sampler alone,
# and with the routed experts behind a device cache (hit rate); the summary repeats them.
#
#   tools/device_check.sh [--skip-bench]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/folio-device-check}
mkdir -p "$out"
skip_bench=0
[ "${1:-}" = "--skip-bench" ] && skip_bench=1
t0=$(date +%s)
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,driver_version --format=csv,noheader > "$out/gpu.txt" 2>&1
echo "GPU: $(cat "$out/gpu.txt")"

build=build-device
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFOLIO_BUILD_APP=OFF -DFOLIO_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90 > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" > "$out/build.log" 2>&1 || { grep -E 'error' "$out/build.log" | head -30; exit 1; }
t_build=$(( $(date +%s) - t0 ))

ctest --test-dir "$build" -L gpu --output-on-failure > "$out/gpu-tests.log" 2>&1
gpu_rc=$?
summary=$(grep -E 'tests passed|tests failed' "$out/gpu-tests.log" | tail -1)

bench_lines=""
if [ "$skip_bench" = 0 ] && [ -x "$build/bin/folio-bench-cuda" ] \
   && ! "$build/bin/folio-bench-cuda" --probe 2> /dev/null; then
  bench_lines="(no usable CUDA device: benchmarks skipped)"
elif [ "$skip_bench" = 0 ] && [ -x "$build/bin/folio-bench-cuda" ]; then
  # The checkpoint: the release's vocabulary size, no tokenizer files (the benchmark feeds token
  # ids; there is no network here to fetch tokenizer.json). No MTP block.
  model="$out/flash4"
  model_args=()
  if timeout 120 "$build/bin/folio-mkmodel" --preset flash --layers 4 --mtp 0 --vocab 129280 \
       --out "$model" > "$out/mkmodel.log" 2>&1; then
    model_args=(--model "$model" --prefill 8192,65536,131072)
  else
    echo "folio-mkmodel failed or timed out (see $out/mkmodel.log): kernels only"
  fi
  # Kernels on the V4-Flash dimensions (tensor shapes from the config's tensor directory, random
  # weights in the release formats), then the forward pass: bounded so the whole script stays
  # under 8 minutes.
  timeout 270 "$build/bin/folio-bench-cuda" --json "$out/bench-cuda.json" "${model_args[@]}" \
    > "$out/bench-cuda.txt" 2>&1
  bench_rc=$?
  rm -rf "$model"
  bench_lines=$(tail -40 "$out/bench-cuda.txt")
  [ "$bench_rc" = 0 ] || bench_lines="$bench_lines
(folio-bench-cuda exited $bench_rc)"
fi

echo
echo "== device_check summary ($(( $(date +%s) - t0 )) s total, build ${t_build} s) =="
echo "gpu tests: ${summary:-none ran} (rc $gpu_rc)"
grep -E '^\s*[0-9]+/[0-9]+ Test' "$out/gpu-tests.log" | sed 's/^/  /'
[ -n "$bench_lines" ] && { echo "benchmarks:"; echo "$bench_lines"; }
if [ -f "$out/bench-cuda.txt" ]; then
  echo "decode (state on the device, GPU sampling, CUDA graphs, expert cache):"
  grep -E 'forward decode|GPU sampling|experts cached' "$out/bench-cuda.txt" | sed 's/^/  /'
fi
exit $gpu_rc
