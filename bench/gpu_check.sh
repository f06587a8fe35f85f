#!/usr/bin/env bash
# The GPU check: what a CPU machine cannot test, in one script meant to finish in a few minutes on one CUDA GPU.
#   1. the tiny preset for 294 steps in fp16 (with the gradient scaler) and in bf16: the loss falls and
#      nothing is NaN (a NaN stops clip_nb_train with status 1);
#   2. an exact resume on the GPU: epochs 4-6 resumed from the fp16 run's epoch-3 checkpoint against the
#      uninterrupted run, both with --deterministic (deterministic cuBLAS, cuDNN and attention kernels);
#   3. NCCL: a 1-process torchrun that joins an NCCL group and gathers features with gradients;
#   4. the ViT-B-16-shaped training step at batch 64 and 256 in bf16 against OpenCLIP in the same run
#      (img/s, ratio, utilisation of the measured bf16 matmul peak, peak memory) and encode_image /
#      encode_text throughput (clip_nb_bench --device cuda).
# On a machine without CUDA it says so in one line and exits 0 (CI runs that path).
#
#   bash bench/gpu_check.sh            # writes its logs and tables under bench/gpu_check/
set -uo pipefail
cd "$(dirname "$0")/.."
if ! python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo "gpu_check: no CUDA device on this machine (torch.cuda.is_available() is False); nothing to check"
  exit 0
fi
export CUBLAS_WORKSPACE_CONFIG=:4096:8 PYTHONUNBUFFERED=1
W=bench/gpu_check; rm -rf "$W"; mkdir -p "$W"
failed=0
check() { if "$@"; then echo "PASS: $name"; else echo "FAIL: $name"; failed=1; fi; }
python -c "import torch; print('GPU:', torch.cuda.get_device_name(), '| torch', torch.__version__)"

train() {  # precision, output folder, extra flags
  clip_nb_train --device cuda --precision "$1" --epochs 6 --num_workers 4 --num_threads 0 --output_dir "$2" \
    --no_progress --no_tensorboard "${@:3}" > "$2.log" 2>&1
}
loss_falls() {  # the last epoch's training loss is below 60% of the first's
  python - "$1" <<'PY'
import re, sys
losses = [float(x) for x in re.findall(r'^Epoch \d+/\d+ \| Loss: ([0-9.]+)', open(sys.argv[1]).read(), re.M)]
print('  epoch losses:', losses)
sys.exit(0 if len(losses) >= 2 and losses[-1] < 0.6 * losses[0] else 1)
PY
}
for prec in fp16 bf16; do
  det=(); [ "$prec" = fp16 ] && det=(--deterministic)   # the fp16 run is the reference of the resume check
  name="tiny preset, $prec, 294 steps: runs, no NaN"; check train "$prec" "$W/$prec" ${det[@]+"${det[@]}"}
  name="tiny preset, $prec: the loss falls"; check loss_falls "$W/$prec.log"
done

mkdir -p "$W/resumed"; cp "$W/fp16/checkpoint_epoch_3.pth" "$W/resumed/"
name="fp16 resume from epoch 3"; check train fp16 "$W/resumed" --deterministic --resume "$W/resumed/checkpoint_epoch_3.pth"
same_weights() {
  python - "$1" "$2" <<'PY'
import sys, torch
a, b = (torch.load(p, map_location='cpu', weights_only=True)['model_state_dict'] for p in sys.argv[1:3])
diff = max((x.float() - b[k].float()).abs().max().item() for k, x in a.items())
print(f'  max |difference| of the final weights: {diff:.3g}')
sys.exit(0 if all(torch.equal(x, b[k]) for k, x in a.items()) else 1)
PY
}
name="resumed == uninterrupted, bit for bit"; check same_weights "$W/fp16/checkpoint_epoch_6.pth" "$W/resumed/checkpoint_epoch_6.pth"

cat > "$W/nccl_gather.py" <<'PY'
import torch, torch.distributed as dist
from clip_nb.loop import GatherWithGrad
dist.init_process_group('nccl'); torch.cuda.set_device(0)
x = torch.randn(8, 16, device='cuda', requires_grad=True)
y = GatherWithGrad.apply(x); (y * 2).sum().backward()
assert dist.get_backend() == 'nccl' and torch.equal(y, x) and torch.allclose(x.grad, torch.full_like(x, 2.0))
print('  NCCL group of', dist.get_world_size(), 'process: gather with gradients ok'); dist.destroy_process_group()
PY
name="torchrun, 1 process, NCCL"; check torchrun --nproc_per_node 1 --master_addr 127.0.0.1 --master_port 29531 "$W/nccl_gather.py"

for b in 64 256; do
  name="ViT-B-16 bf16 step at batch $b against OpenCLIP"
  check clip_nb_bench --device cuda --settings b16 --precisions bf16 --batch_size "$b" --reps 10 --warmup 3 \
    --out "$W/bench_b$b.md" --json "$W/bench_b$b.json"
done
[ "$failed" -eq 0 ] && echo "gpu_check: all checks passed" || echo "gpu_check: some checks failed (see above and $W/)"
exit "$failed"
