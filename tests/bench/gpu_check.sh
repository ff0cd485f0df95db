#!/usr/bin/env bash
# Issue 12's GPU check: reference logits on CUDA (fp16, bf16, int8 vs the rwkv package on CUDA) and decode/prefill
# speed at the 1.5B and 7.2B shapes with the fraction of the measured bandwidth. One run, under 8 minutes.
# usage (repository root, on a CUDA machine): bash tests/bench/gpu_check.sh [OUT_DIR]
set -euo pipefail
out="${1:-${OUT:-/tmp/hearth-gpu-check}}"
mkdir -p "$out"
export GPU_CHECK_DIR="$out" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv | tee "$out/nvidia-smi.txt" || true
python3 -c "import torch, rwkv; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'rwkv ok')"
timeout 470 python3 tests/bench/gpu_check.py 2>&1 | tee "$out/gpu_check.log"
