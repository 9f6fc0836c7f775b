#!/usr/bin/env bash
# The one script to run on a GPU machine (nvcc, CMake, maybe PyTorch; no Qt, no network).
# Builds the engine alone (engine-only preset, CUDA ON), runs the `gpu` tests, then the GPU
# benchmarks when they are built (folio-bench-cuda, engine/tools/cuda_bench.cpp), and prints a
# short table at the end. Logs go to $OUT when set; bench-cuda.json holds the numbers.
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
if [ "$skip_bench" = 0 ] && [ -x "$build/bin/folio-bench-cuda" ]; then
  # Kernels on the V4-Flash dimensions (tensor shapes from the config's tensor directory, random
  # weights in the release formats): bounded so the whole script stays under 8 minutes.
  timeout 300 "$build/bin/folio-bench-cuda" --json "$out/bench-cuda.json" > "$out/bench-cuda.txt" 2>&1
  bench_rc=$?
  bench_lines=$(tail -25 "$out/bench-cuda.txt")
  [ "$bench_rc" = 0 ] || bench_lines="$bench_lines
(folio-bench-cuda exited $bench_rc)"
fi

echo
echo "== device_check summary ($(( $(date +%s) - t0 )) s total, build ${t_build} s) =="
echo "gpu tests: ${summary:-none ran} (rc $gpu_rc)"
grep -E '^\s*[0-9]+/[0-9]+ Test' "$out/gpu-tests.log" | sed 's/^/  /'
[ -n "$bench_lines" ] && { echo "benchmarks:"; echo "$bench_lines"; }
exit $gpu_rc
