#!/bin/bash
# The full clip_nb vs OpenCLIP benchmark, as reported in bench/RESULTS.md and the README.
#   training step: tiny preset (batch 128) and ViT-B-16 shape (batch 8), fp32 and bf16 autocast
#   inference: encode_image / encode_text
#   loader: images/s of clip_nb's training loader (tiny preset, shapes data)
#   shard loader: images/s of the webdataset shard loader against the tiny training step (1 thread), same run
#   end to end: clip_nb_train vs python -m open_clip_train.main, tiny shape, shapes data, 8 epochs
# The mid-shape end-to-end row (about 17 minutes more) is a separate command, at the end.
# Takes about 20 minutes on 2 CPU cores. Run it on an otherwise idle machine: the table records the
# load average, and every number is a median over alternating clip_nb/OpenCLIP runs.
#
#   bash bench/run_all.sh                 # CPU, 2 threads
#   bash bench/run_all.sh --device cuda   # GPU: ViT-B-16 shape, batch 64, bf16 (writes RESULTS_cuda.md)
set -euo pipefail
cd "$(dirname "$0")/.."
uptime
if [[ " $* " == *" --device cuda "* ]]; then
  clip_nb_bench --out bench/RESULTS_cuda.md --json bench/results_cuda.json "$@"
else
  clip_nb_bench --threads 2 --loader --shards --e2e --work_dir bench/work --out bench/RESULTS.md --json bench/results.json "$@"
  # the second end-to-end shape (RESULTS.md, "Training recipes at the mid shape")
  clip_nb_bench --threads 2 --no_train --no_inference --e2e --e2e_shape mid --work_dir bench/work --out bench/work/e2e_mid.md --json bench/work/e2e_mid.json
fi
uptime
