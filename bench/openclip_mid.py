"""open_clip_train with its own defaults on the shapes data at the mid shape of bench/recipe_ablation.py (AdamW 0.9, 0.999, 1e-8
for a model name without "ViT", no gradient clipping), 6 passes written into one CSV, then the test recall measured by clip_nb:

    python bench/openclip_mid.py WORK_DIR [--seed N] [more open_clip_train flags]

--seed (default 42) seeds both the caption choice written into the CSV and open_clip_train.
"""
import json, os, sys, subprocess, time
from pathlib import Path
import torch
from clip_nb.config import get_preset
from clip_nb.data import make_shapes_dataset, build_datasets
from clip_nb.tokenizer import build_tokenizer
from clip_nb.bench import E2E_SHAPES, openclip_model_cfg, write_openclip_csv, OPENCLIP_WRAPPER
from clip_nb.metrics import evaluate
from clip_nb.model import load_openclip_checkpoint
work = Path(sys.argv[1]).resolve(); work.mkdir(exist_ok=True, parents=True)
extra = sys.argv[2:]
seed = 42
if '--seed' in extra: k = extra.index('--seed'); seed = int(extra[k + 1]); del extra[k:k + 2]
MID = dict(img_size=64, vocab_size=49408, tokenizer='clip', **E2E_SHAPES['mid'])   # the benchmark appendix's mid shape
E = 6
cfg = get_preset('tiny', **MID, precision='fp32', batch_size=128, learning_rate=1e-3, weight_decay=0.1, warmup_steps=50,
                 num_epochs=E, seed=seed, num_workers=1, device='cpu')
ds = build_datasets(cfg, verbose=False); tok = build_tokenizer(cfg)
mdir = work/'models'; mdir.mkdir(exist_ok=True)
(mdir/'clipnb-mid.json').write_text(json.dumps(openclip_model_cfg(cfg), indent=2))
csv_path = work/'train.csv'; write_openclip_csv(ds['train'], csv_path, E, seed)
cmd = [sys.executable, '-c', OPENCLIP_WRAPPER, mdir, '--train-data', csv_path, '--dataset-type', 'csv', '--csv-img-key', 'filepath',
       '--csv-caption-key', 'title', '--csv-separator', '\t', '--model', 'clipnb-mid', '--epochs', 1, '--batch-size', 128, '--lr', 1e-3,
       '--wd', 0.1, '--warmup', 50, '--precision', 'fp32', '--workers', 1, '--seed', seed, '--logs', work/'logs', '--name', 'run',
       '--save-frequency', 1, '--report-to', '', '--log-every-n-steps', 50, *extra]
env = {**os.environ, 'OMP_NUM_THREADS': '1'}
t = time.time(); subprocess.run([str(c) for c in cmd], env=env, stdout=open(work/'oc.log', 'w'), stderr=subprocess.STDOUT, check=True)
wall = time.time() - t
m = load_openclip_checkpoint(work/'logs'/'run'/'checkpoints'/'epoch_1.pt', num_heads=3, text_heads=3)
r = evaluate(m, ds['test'], tok, cfg, precision='fp32')
print(json.dumps({'wall_s': round(wall), 't2i_R@1_attr': r['t2i_R@1_attr'], 'i2t_R@1_attr': r['i2t_R@1_attr'], 't2i_R@1': r['t2i_R@1'], 'seed': seed, 'extra': extra}))
