#!/usr/bin/env python
"""Contrastive runs that stall on data where many pictures share one caption: reproduce over seeds, record per run.

The data: single-shape pictures from the shapes generator, each with ONE caption from one template,
"a {size} {colour} {shape} {position}", so only a few hundred distinct captions cover thousands of pictures and a
batch of 128 holds several pictures with the same caption. Written as tab-separated OpenCLIP CSVs
(`filepath`, `title`): train.csv (N_TRAIN pictures) and test.csv (N_TEST).

Each run is one `clip_nb_train` command at open_clip_train's stated settings (fp32, batch 128, lr 1e-3, wd 0.1,
50 warmup steps, 3 epochs, temperature 0.07). Recorded per run: each epoch's training loss; from the final
checkpoint, the test split's text->image recall@1 by caption (a hit is any picture with the query's exact caption)
and strict (the very picture); how often the top picture agrees with the query in size, colour, shape and
position; the learned logit scale; and the effective rank of the text embeddings (distinct test captions) and of
the image embeddings. `--patch` changes clip_nb's recipe (RECIPES['clip_nb']) for the runs, for ablations.
Two runs may share the machine (`--set num_threads=1` each); the JSON records wall times, not speed.

    python bench/stalls.py data DIR                                    # write the data once
    python bench/stalls.py probe DIR --keep CHECKPOINT                 # does a trained model know position?
    python bench/stalls.py run DIR --shape openclip --seeds 0 1 --out bench/stalls.json [--patch JSON] [--keep DIR] [-- clip_nb_train flags]
    python bench/stalls.py run DIR --shape openclip --trainer open_clip_train --seeds 0 1 --out bench/stalls.json

`--trainer open_clip_train` runs OpenCLIP's own trainer at the same settings instead (the model written as an OpenCLIP model
config named without "ViT", so open_clip_train uses its AdamW betas 0.9, 0.999 and eps 1e-8, and no clipping), then
measures its last checkpoint the same way.
"""
from __future__ import annotations
import argparse, csv, json, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

N_TRAIN, N_TEST = 12000, 1000
SHAPES_ARGS = {   # --set flags per model shape
    'tiny': [],   # the tiny preset's model
    'openclip': ['img_size=64', 'patch_size=8', 'embed_dim=192', 'depth=4', 'num_heads=3', 'text_embed_dim=192', 'text_heads=3',
                 'text_depth=4', 'context_length=77', 'output_dim=128', 'mlp_ratio=4.0', 'tokenizer=clip', 'vocab_size=49408'],
}
SETTINGS = ['precision=fp32', 'weight_decay=0.1', 'warmup_steps=50', 'temperature=0.07']   # open_clip_train's stated settings


def write_data(root:Path):
    from clip_nb.shapes import shapes_example, POSITION_WORDS
    img = root / 'images'; img.mkdir(parents=True, exist_ok=True)
    rows, i = [], 0
    while len(rows) < N_TRAIN + N_TEST:
        ex = shapes_example(7, i, img_size=64, p_single=1.0); i += 1
        if ex['split'] == 'heldout': continue
        c, s, z, p = ex['key'].split()
        name = f'images/{len(rows):06d}.jpg'; ex['image'].save(root / name, quality=95)
        rows.append((name, f"a {z} {c} {s} {POSITION_WORDS[p][0][0]}"))
    for f, part in (('train.csv', rows[:N_TRAIN]), ('test.csv', rows[N_TRAIN:])):
        with open(root / f, 'w', newline='') as fh:
            w = csv.writer(fh, delimiter='\t'); w.writerow(['filepath', 'title']); w.writerows(part)
    print(f'{root}: {N_TRAIN} train, {N_TEST} test pictures, {len({t for _, t in rows[:N_TRAIN]})} distinct training captions')


def describe(root:Path)->dict:
    "What the data holds: pictures per split, distinct training captions, pictures per caption, an example."
    import collections
    rows = {f: list(csv.DictReader(open(root / f'{f}.csv'), delimiter='\t')) for f in ('train', 'test')}
    n = collections.Counter(r['title'] for r in rows['train'])
    return {'train': len(rows['train']), 'test': len(rows['test']), 'distinct_train_captions': len(n), 'fewest': min(n.values()),
            'most': max(n.values()), 'example': rows['train'][0]['title'], 'openclip_shape': SHAPES_ARGS['openclip'], 'settings': SETTINGS}


def recall(ckpt:Path, root:Path)->dict:
    "Text->image R@1 on test.csv: by caption (any picture with the query's caption) and strict (the very picture)."
    import torch, clip_nb
    from PIL import Image
    model, pre, tok = clip_nb.load(ckpt)
    rows = list(csv.DictReader(open(root / 'test.csv'), delimiter='\t'))
    with torch.no_grad():
        x = torch.cat([model.encode_image(torch.stack([pre(Image.open(root / r['filepath']).convert('RGB')) for r in rows[k:k + 250]]))
                       for k in range(0, len(rows), 250)])
        y = torch.cat([model.encode_text(tok([r['title'] for r in rows[k:k + 250]])) for k in range(0, len(rows), 250)])
    x, y = torch.nn.functional.normalize(x.float(), dim=-1), torch.nn.functional.normalize(y.float(), dim=-1)
    top = (y @ x.T).argmax(1)
    titles = [r['title'] for r in rows]
    parts = [t.split(' ', 4)[1:] for t in titles]             # size, colour, shape, position
    agree = lambda k: round(sum(parts[j][k] == parts[i][k] for i, j in enumerate(top.tolist())) / len(rows), 4)
    return {'t2i_R@1_caption': round(sum(titles[j] == titles[i] for i, j in enumerate(top.tolist())) / len(rows), 4),
            't2i_R@1_strict': round((top == torch.arange(len(rows))).float().mean().item(), 4),
            'top1_agrees': {name: agree(k) for k, name in enumerate(('size', 'colour', 'shape', 'position'))},
            'logit_scale': round(model.logit_scale.exp().item(), 2),
            'effective_rank': {'text': effective_rank(y[[titles.index(t) for t in sorted(set(titles))]]), 'image': effective_rank(x)}}


def effective_rank(z)->float:
    "exp(entropy) of the normalised singular values of the centred rows: how many directions the embeddings use."
    import torch
    s = torch.linalg.svdvals(z - z.mean(0)); p = s / s.sum()
    return round(torch.exp(-(p * p.clamp_min(1e-12).log()).sum()).item(), 2)


PATCHED = """import sys, json
from clip_nb.config import RECIPES
RECIPES['clip_nb'].update({{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads({patch}).items()}})
from clip_nb.training import main
sys.argv[0] = 'clip_nb_train'; main()
"""


def run_one(root:Path, shape:str, seed:int, flags:list, work:Path, patch:dict|None=None, keep:Path|None=None)->dict:
    out = Path(tempfile.mkdtemp(dir=work))
    exe = ['clip_nb_train']
    if patch: exe = [sys.executable, '-c', PATCHED.format(patch=json.dumps(json.dumps(patch)))]
    sets = [a for kv in SHAPES_ARGS[shape] + SETTINGS for a in ('--set', kv)]
    cmd = [*exe, '--dataset', 'csv', '--data_path', str(root / 'train.csv'), '--val_data', str(root / 'test.csv'),
           '--epochs', '3', '--batch_size', '128', '--lr', '1e-3', '--seed', str(seed), '--no_progress', '--no_tensorboard',
           '--keep_last_k', '1', '--output_dir', str(out), *sets, '--set', 'eval_every=3', *flags]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=out)
    if r.returncode: raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    losses = [float(v) for v in re.findall(r'Epoch \d+/\d+ \| Loss: ([\d.]+)', r.stdout)]
    last = max(out.glob('checkpoint_epoch_*.pth'), key=lambda p: int(p.stem.split('_')[-1]))
    res = {'seed': seed, 'flags': flags, 'recipe_patch': patch, 'wall_s': round(time.time() - t0, 1), 'epoch_losses': losses, **recall(last, root),
           'notes': [l for l in r.stderr.splitlines() + r.stdout.splitlines() if 'note' in l.lower() or 'warning' in l.lower()][:5]}
    if keep: keep.mkdir(parents=True, exist_ok=True); shutil.copy(last, keep / f'seed{seed}.pth')
    shutil.rmtree(out, ignore_errors=True)
    return res


def run_open_clip(root:Path, shape:str, seed:int, work:Path, keep:Path|None=None)->dict:
    "The same run with `python -m open_clip_train.main` (OpenCLIP's trainer): one thread, one loader worker."
    import os
    from clip_nb.config import Config
    from clip_nb.bench import openclip_model_cfg, OPENCLIP_WRAPPER
    out = Path(tempfile.mkdtemp(dir=work))
    kv = dict(a.split('=', 1) for a in SHAPES_ARGS[shape]); kv = {k: type(getattr(Config(), k))(v) for k, v in kv.items()}
    (out / 'models').mkdir(); (out / 'models' / 'clipnb-stalls.json').write_text(json.dumps(openclip_model_cfg(Config(**kv))))
    cmd = [sys.executable, '-c', OPENCLIP_WRAPPER, str(out / 'models'), '--train-data', str(root / 'train.csv'), '--dataset-type', 'csv',
           '--csv-img-key', 'filepath', '--csv-caption-key', 'title', '--csv-separator', '\t', '--model', 'clipnb-stalls',
           '--epochs', '3', '--batch-size', '128', '--lr', '1e-3', '--wd', '0.1', '--warmup', '50', '--precision', 'fp32',
           '--workers', '1', '--seed', str(seed), '--logs', str(out / 'logs'), '--name', 'run', '--report-to', '',
           '--delete-previous-checkpoint', '--log-every-n-steps', '10']
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    if r.returncode: raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    log = (out / 'logs' / 'run' / 'out.log').read_text()
    logged = [(int(e), float(v)) for e, v in re.findall(r'Train Epoch: (\d+) .*Contrastive_loss: ([\d.]+)', log)]   # every 10th step
    losses = [round(sum(v for e, v in logged if e == k) / max(1, sum(e == k for e, _ in logged)), 4) for k in range(3)]
    last = out / 'logs' / 'run' / 'checkpoints' / 'epoch_3.pt'
    res = {'seed': seed, 'trainer': 'open_clip_train', 'wall_s': round(time.time() - t0, 1), 'epoch_losses': losses, **recall(last, root)}
    if keep: keep.mkdir(parents=True, exist_ok=True); shutil.copy(last, keep / f'open_clip_seed{seed}.pt')
    shutil.rmtree(out, ignore_errors=True)
    return res


TRACED = r"""import sys, json, csv, torch, torch.nn.functional as F
from pathlib import Path
from PIL import Image
import clip_nb, clip_nb.training as T
from clip_nb.config import RECIPES
from clip_nb.data import eval_transform
RECIPES['clip_nb'].update(json.loads(sys.argv[1])); root, out = Path(sys.argv[2]), Path(sys.argv[3])
rec = {k: [] for k in ('step', 'loss', 'logit_scale', 'grad_image', 'grad_text', 'same_caption')}; ev = {k: [] for k in ('step', 'R@1_caption', 'position', 'text_rank')}
state = {}
def wrap(name, before):
    first = getattr(T, name)
    def f(*a, **k): before(*a, **k); return first(*a, **k)
    setattr(T, name, f)
first_init = T.init_image_tower
T.init_image_tower = lambda model, config: state.setdefault('model', first_init(model, config))
def same(fmodel, images, tokens, *a, **k):   # share of a picture's in-batch negatives that carry its exact caption
    s = (tokens[:, None] == tokens[None]).all(-1).float(); B = len(tokens); state['same'] = ((s.sum() - B) / (B * (B - 1))).item()
wrap('contrastive_backward', same)
def norms(*a, **k):   # gradient norms per tower before clipping
    ps = dict(state['model'].named_parameters()); g = lambda pre: sum((p.grad.float() ** 2).sum() for n, p in ps.items() if n.startswith(pre) and p.grad is not None) ** 0.5
    state['gi'], state['gt'] = g('visual.').item(), g('text.').item()
wrap('optimizer_step', norms)
rows = list(csv.DictReader(open(root / 'test.csv'), delimiter='\t'))[:500]
titles = [r['title'] for r in rows]; caps = sorted(set(titles))
pre = None
def evaluate(trainer, step):
    global pre
    m = state['model']; cfg = trainer.config; was = m.training; m.eval()
    if pre is None: pre = torch.stack([eval_transform(cfg.img_size)(Image.open(root / r['filepath']).convert('RGB')) for r in rows])
    with torch.no_grad():
        x = F.normalize(m.encode_image(pre).float(), dim=-1); y = F.normalize(m.encode_text(trainer.tokenizer(caps, cfg.context_length)).float(), dim=-1)
    m.train(was)
    top = (y[[caps.index(t) for t in titles]] @ x.T).argmax(1).tolist()
    ev['step'].append(step); ev['R@1_caption'].append(round(sum(titles[j] == titles[i] for i, j in enumerate(top)) / len(rows), 4))
    ev['position'].append(round(sum(titles[j].split(' ', 4)[4] == titles[i].split(' ', 4)[4] for i, j in enumerate(top)) / len(rows), 4))
    s = torch.linalg.svdvals(y - y.mean(0)); p = s / s.sum(); ev['text_rank'].append(round(torch.exp(-(p * p.clamp_min(1e-12).log()).sum()).item(), 2))
first_log = T.Trainer._log
def _log(self, scalars, step):
    if 'Loss/train' in scalars:
        for k, v in (('step', step), ('loss', scalars['Loss/train']), ('logit_scale', scalars['logit_scale']), ('grad_image', state['gi']),
                     ('grad_text', state['gt']), ('same_caption', state['same'])): rec[k].append(round(v, 5))
        if step % 10 == 0 or step == 1: evaluate(self, step)
    return first_log(self, scalars, step)
T.Trainer._log = _log
sys.argv = ['clip_nb_train', *sys.argv[4:]]; T.main()
out.write_text(json.dumps({'per_step': rec, 'eval': ev}))
"""


def trace(root:Path, shape:str, seed:int, flags:list, patch:dict|None, work:Path)->dict:
    "One run with its per-step record: loss, logit scale, gradient norm per tower, same-caption negatives; test recall every 10 steps."
    out = Path(tempfile.mkdtemp(dir=work))
    sets = [a for kv in SHAPES_ARGS[shape] + SETTINGS for a in ('--set', kv)]
    cmd = [sys.executable, '-c', TRACED, json.dumps(patch or {}), str(root), str(out / 'trace.json'), '--dataset', 'csv', '--data_path',
           str(root / 'train.csv'), '--val_data', str(root / 'test.csv'), '--epochs', '3', '--batch_size', '128', '--lr', '1e-3',
           '--seed', str(seed), '--no_progress', '--no_tensorboard', '--keep_last_k', '1', '--output_dir', str(out / 'run'), *sets,
           '--set', 'eval_every=3', *flags]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=out)
    if r.returncode: raise SystemExit(f"trace failed:\n{r.stderr[-2000:]}")
    res = {'seed': seed, 'flags': flags, 'recipe_patch': patch, **json.loads((out / 'trace.json').read_text())}
    shutil.rmtree(out, ignore_errors=True)
    return res


def probe(ckpt:Path, root:Path):
    "Does a model know position? Linear probes from its image and text embeddings, and how alike position-only variants are."
    import collections, torch, clip_nb
    from PIL import Image
    torch.manual_seed(0)
    model, pre, tok = clip_nb.load(ckpt)
    rows = list(csv.DictReader(open(root / 'train.csv'), delimiter='\t'))[:3000] + list(csv.DictReader(open(root / 'test.csv'), delimiter='\t'))
    pos = lambda t: t.split(' ', 4)[4]
    P = sorted({pos(r['title']) for r in rows}); caps = sorted({r['title'] for r in rows})
    with torch.no_grad():
        x = torch.cat([model.encode_image(torch.stack([pre(Image.open(root / r['filepath']).convert('RGB')) for r in rows[k:k + 250]]))
                       for k in range(0, len(rows), 250)])
        y = torch.cat([model.encode_text(tok(caps[k:k + 250])) for k in range(0, len(caps), 250)])
    x, y = torch.nn.functional.normalize(x.float(), dim=-1), torch.nn.functional.normalize(y.float(), dim=-1)
    def linear_probe(z, lab, ntr):   # softmax regression on the first ntr rows, accuracy on the rest
        W = torch.zeros(z.shape[1], len(P), requires_grad=True); b = torch.zeros(len(P), requires_grad=True)
        opt = torch.optim.Adam([W, b], lr=0.05)
        for _ in range(500):
            opt.zero_grad(); torch.nn.functional.cross_entropy(z[:ntr] @ W * 10 + b, lab[:ntr]).backward(); opt.step()
        return ((z[ntr:] @ W * 10 + b).argmax(1) == lab[ntr:]).float().mean().item()
    perm = torch.randperm(len(caps))
    li = torch.tensor([P.index(pos(r['title'])) for r in rows]); lt = torch.tensor([P.index(pos(c)) for c in caps])
    g = collections.defaultdict(list)
    for i, c in enumerate(caps): g[' '.join(c.split(' ', 4)[:4])].append(i)
    within = torch.stack([(y[ix] @ y[ix].T)[~torch.eye(len(ix), dtype=torch.bool)].mean() for ix in g.values() if len(ix) > 1]).mean()
    print(f"position from image embeddings (linear probe, {len(rows) - 3000} held-out pictures): {linear_probe(x, li, 3000):.3f}")
    print(f"position from text embeddings (linear probe, {len(caps) - 300} held-out captions): {linear_probe(y[perm], lt[perm], 300):.3f}")
    print(f"mean cosine of captions that differ only in position: {within:.3f} (all pairs of captions: {(y @ y.T).mean():.3f})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('what', choices=('data', 'run', 'probe', 'trace')); p.add_argument('root')
    p.add_argument('--shape', choices=tuple(SHAPES_ARGS), default='tiny')
    p.add_argument('--seeds', type=int, nargs='+', default=list(range(10)))
    p.add_argument('--patch', type=json.loads, default=None, help='JSON: change RECIPES["clip_nb"] for these runs, e.g. {"adam_eps": 1e-8}')
    p.add_argument('--trainer', choices=('clip_nb_train', 'open_clip_train'), default='clip_nb_train')
    p.add_argument('--keep', type=Path, default=None, help='copy each run\'s last checkpoint into this folder')
    p.add_argument('--name', default=None, help='the key of these runs in the JSON (default: shape and flags)')
    p.add_argument('--out', default=str(Path(__file__).parent / 'stalls.json'))
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index('--') + 1:] if '--' in argv else []
    a = p.parse_args(argv[:argv.index('--')] if '--' in argv else argv)
    root = Path(a.root).resolve()
    if a.what == 'data': return write_data(root)
    if a.what == 'probe': return probe(a.keep, root)
    out = Path(a.out); data = json.loads(out.read_text()) if out.exists() else {}
    name = a.name or ' '.join([a.shape, *extra] + ([json.dumps(a.patch)] if a.patch else [])).strip()
    data.setdefault('data', describe(root))
    work = Path(tempfile.mkdtemp(prefix='stalls_'))
    try:
        for s in a.seeds:
            key = f'{name}/{s}'
            if key in data: continue
            if a.what == 'trace':
                data[key] = trace(root, a.shape, s, extra, a.patch, work); out.write_text(json.dumps(data) + '\n'); continue
            data[key] = (run_open_clip(root, a.shape, s, work, a.keep) if a.trainer == 'open_clip_train' else
                         run_one(root, a.shape, s, extra, work, a.patch, a.keep))
            d = data[key]
            print(f"{key:40s} losses {d['epoch_losses']}  R@1 {d['t2i_R@1_caption']:.3f} ({d['t2i_R@1_strict']:.3f})  {d['wall_s']:.0f} s", flush=True)
            out.write_text(json.dumps(data, indent=1) + '\n')
    finally: shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__': main()
