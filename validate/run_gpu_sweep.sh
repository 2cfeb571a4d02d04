#!/usr/bin/env bash
# The whole GPU sweep on a machine with an NVIDIA GPU, in one short run: build bench_gpu with the
# CUDA toolkit, run it, and write validate/gpu-<device>-<date>.csv for `mlsim calibrate` (commit it
# with the device and the date). Usage: validate/run_gpu_sweep.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
build=${BUILD_DIR:-build-gpu}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc" >/dev/null
cmake --build "$build" --target bench_gpu -j"$(nproc)"
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1 | tr 'A-Z ' 'a-z-' | tr -cd 'a-z0-9-')
out="validate/gpu-${gpu:-unknown}-$(date -u +%Y-%m-%d).csv"
"$build/validate/bench_gpu" "$@" -o "$out"
echo "wrote $out"
