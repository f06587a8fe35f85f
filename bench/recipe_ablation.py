"""The recipe ablation of the benchmark appendix: clip_nb's Trainer at the mid shape (64 px, patch 8, width 192 x 4 layers in
both towers, CLIP BPE, embedding 128; fp32, batch 128, lr 1e-3, wd 0.1, 50 warmup steps, 6 epochs, seed 42), with some of
open_clip_train's defaults switched in:

    python bench/recipe_ablation.py NAME [KNOBS] [--seed N]   # KNOBS: comma-separated noclip, adam, vinit, wdemb (none: clip_nb as is)

noclip: no gradient clipping; adam: AdamW (0.9, 0.999), eps 1e-8; vinit: PyTorch's default init of the image tower's blocks;
wdemb: weight decay on the embedding tables too. All four together are `clip_nb_train --recipe openclip`. Prints one JSON
line with the test recall; checkpoints go to out_NAME/ in the current folder.
"""
import json, sys, time, torch
from clip_nb.config import get_preset, RECIPES
from clip_nb.bench import E2E_SHAPES
from clip_nb.training import Trainer, evaluate_model

args = sys.argv[1:]
seed = 42
if '--seed' in args: k = args.index('--seed'); seed = int(args[k + 1]); del args[k:k + 2]
knobs = args[1].split(',') if len(args) > 1 and args[1] else []
torch.set_num_threads(1)
recipe = dict(RECIPES['clip_nb'])
if 'adam' in knobs: recipe.update(adam_betas=RECIPES['openclip']['adam_betas'], adam_eps=RECIPES['openclip']['adam_eps'])
if 'wdemb' in knobs: recipe['decay_embeddings'] = True
if 'vinit' in knobs: recipe['image_init'] = 'torch'
RECIPES['ablation'] = recipe
MID = dict(img_size=64, vocab_size=49408, tokenizer='clip', **E2E_SHAPES['mid'])   # the benchmark appendix's mid shape
cfg = get_preset('tiny', **MID, precision='fp32', batch_size=128, learning_rate=1e-3, weight_decay=0.1, warmup_steps=50, num_epochs=6,
                 seed=seed, num_workers=1, num_threads=1, eval_every=6, device='cpu', save_dir=f'out_{args[0]}',
                 log_dir=f'out_{args[0]}/runs', grad_clip=0.0 if 'noclip' in knobs else 1.0, recipe='ablation')
t = Trainer(cfg, verbose=False, tensorboard=False, progress=False)
t.load_data(); t.build_model()
t0 = time.time(); t.train()
m = evaluate_model(t.model, t.datasets['test'], t.tokenizer, cfg)
print(json.dumps({'name': args[0], 'knobs': knobs, 'seed': seed, 'wall_s': round(time.time() - t0), 't2i_R@1_attr': round(m['t2i_R@1_attr'], 3),
                  'i2t_R@1_attr': round(m['i2t_R@1_attr'], 3), 't2i_R@1': round(m['t2i_R@1'], 3)}), flush=True)
