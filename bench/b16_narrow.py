"""clip_nb_train and open_clip_train at the standard preset's settings on a narrow ViT-B/16-shaped model, on the shapes data.

The standard preset is ViT-B/16 (patch 16, 12 + 12 layers, heads 64 wide) with batch 64, lr 1e-4, weight decay 1e-4,
100 warmup steps, AdamW (0.9, 0.98), eps 1e-6. A CPU cannot train that width, so the towers here keep the depth, the patch
and the head width and are 128 wide (2 heads each), on 64 px images with CLIP's BPE (context 77); fp32, 6 epochs, one
thread. open_clip_train gets the same numbers on its command line; its model name contains "ViT", so its AdamW betas and
eps are the preset's too. What still differs is each trainer's own recipe (clip_nb: gradient clipping 1.0, no decay on
embeddings, OpenAI's init of the image tower; --recipe openclip switches those, and clipping off, as clip_nb_train does).

    python bench/b16_narrow.py WORK_DIR --trainer clip_nb|openclip [--seed N] [--recipe openclip] [--knobs noclip,vinit,...]

--knobs switches single differences into clip_nb's recipe, as bench/recipe_ablation.py does: noclip (no gradient
clipping), adam (AdamW 0.9, 0.999, eps 1e-8), vinit (PyTorch's init of the image tower), wdemb (decay on embeddings).

Prints one JSON line with the test recall (clip_nb's evaluation for both trainers).
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path
import torch
from clip_nb.config import get_preset, RECIPES
from clip_nb.data import build_datasets
from clip_nb.tokenizer import build_tokenizer
from clip_nb.bench import openclip_model_cfg, write_openclip_csv, OPENCLIP_WRAPPER
from clip_nb.metrics import evaluate
from clip_nb.model import load_openclip_checkpoint
from clip_nb.training import Trainer, evaluate_model

ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
ap.add_argument('work'); ap.add_argument('--trainer', choices=('clip_nb', 'openclip'), required=True)
ap.add_argument('--seed', type=int, default=42); ap.add_argument('--recipe', default='clip_nb')
ap.add_argument('--epochs', type=int, default=6)
ap.add_argument('--knobs', default='', help='comma-separated: noclip, adam, vinit, wdemb (clip_nb trainer, its recipe)')
a = ap.parse_args()
knobs = [k for k in a.knobs.split(',') if k]
if knobs:
    recipe = dict(RECIPES['clip_nb'])
    if 'adam' in knobs: recipe.update(adam_betas=RECIPES['openclip']['adam_betas'], adam_eps=RECIPES['openclip']['adam_eps'])
    if 'wdemb' in knobs: recipe['decay_embeddings'] = True
    if 'vinit' in knobs: recipe['image_init'] = 'torch'
    RECIPES['ablation'] = recipe; a.recipe = 'ablation'
work = Path(a.work).resolve(); work.mkdir(exist_ok=True, parents=True)
NARROW_B16 = dict(img_size=64, patch_size=16, embed_dim=128, depth=12, num_heads=2, text_embed_dim=128, text_depth=12,
                  text_heads=2, context_length=77, vocab_size=49408, tokenizer='clip', output_dim=128)
std = get_preset('standard')
cfg = get_preset('standard', **NARROW_B16, precision='fp32', num_epochs=a.epochs, seed=a.seed, num_workers=1, num_threads=1,
                 eval_every=a.epochs, device='cpu', save_dir=str(work / 'out'), log_dir=str(work / 'out' / 'runs'), recipe=a.recipe,
                 grad_clip=0.0 if a.recipe == 'openclip' or 'noclip' in knobs else 1.0)   # as clip_nb_train --recipe openclip: no clipping
torch.set_num_threads(1)
t0 = time.time()
if a.trainer == 'clip_nb':
    t = Trainer(cfg, verbose=False, tensorboard=False, progress=False)
    t.load_data(); t.build_model(); t.train()
    r = evaluate_model(t.model, t.datasets['test'], t.tokenizer, cfg)
else:
    ds = build_datasets(cfg, verbose=False); tok = build_tokenizer(cfg)
    mdir = work / 'models'; mdir.mkdir(exist_ok=True)
    (mdir / 'ViT-B-16-narrow.json').write_text(json.dumps(openclip_model_cfg(cfg), indent=2))
    csv_path = work / 'train.csv'; write_openclip_csv(ds['train'], csv_path, cfg.num_epochs, a.seed)
    cmd = [sys.executable, '-c', OPENCLIP_WRAPPER, mdir, '--train-data', csv_path, '--dataset-type', 'csv', '--csv-img-key', 'filepath',
           '--csv-caption-key', 'title', '--csv-separator', '\t', '--model', 'ViT-B-16-narrow', '--epochs', 1,
           '--batch-size', cfg.batch_size, '--lr', cfg.learning_rate, '--wd', cfg.weight_decay, '--warmup', cfg.warmup_steps,
           '--precision', 'fp32', '--workers', 1, '--seed', a.seed, '--logs', work / 'logs', '--name', 'run',
           '--save-frequency', 1, '--report-to', '', '--log-every-n-steps', 50]
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    subprocess.run([str(c) for c in cmd], env=env, stdout=open(work / 'oc.log', 'w'), stderr=subprocess.STDOUT, check=True)
    m = load_openclip_checkpoint(work / 'logs' / 'run' / 'checkpoints' / 'epoch_1.pt', num_heads=2, text_heads=2)
    r = evaluate(m, ds['test'], tok, cfg, precision='fp32')
print(json.dumps({'trainer': a.trainer, 'recipe': a.recipe if a.trainer == 'clip_nb' else None, 'knobs': knobs, 'seed': a.seed,
                  'epochs': cfg.num_epochs, 'wall_s': round(time.time() - t0), 't2i_R@1_attr': round(r['t2i_R@1_attr'], 3),
                  'i2t_R@1_attr': round(r['i2t_R@1_attr'], 3), 't2i_R@1': round(r['t2i_R@1'], 3)}), flush=True)
