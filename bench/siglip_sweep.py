#!/usr/bin/env python
"""Softmax (CLIP) against sigmoid (SigLIP) loss on the shapes data: test recall@1 by batch size, and the sigmoid
loss's initialisation ablation. The SigLIP chapter (nbs/13_siglip.ipynb) prints and plots the JSON this writes.

Every run is one `clip_nb_train` command (tiny preset otherwise), started one after another, never in parallel:

- sweep: `--loss clip` and `--loss siglip` at each batch size, each seed, the same epochs and the same
  learning-rate rule: peak lr = 1e-3 * sqrt(batch / 128), warmup over the same number of images as
  WARMUP_STEPS steps at batch 128 (so WARMUP_STEPS * 128 / batch steps), the validation split scored only
  after the last epoch (the final model is the one tested);
- ablation: the sigmoid loss at batch 128 from (t', b) = (log 10, -10), (log 10, 0), (log 1, 0) (the paper's
  Table 4 corners), and the start `clip_nb_train --loss siglip` uses (log 20, -10; 300 warmup steps, as in the
  sweep) and the paper's with the preset's 50 warmup steps instead, each seed.

The result of a run is the test split's text->image recall@1 (same attributes) from the command's report.
The JSON is rewritten after every run, and a run already in it is not repeated: an interrupted sweep continues.

    python bench/siglip_sweep.py                       # everything, about an hour on 2 CPU cores
    python bench/siglip_sweep.py --only ablation --seeds 0
"""
import argparse, datetime, json, math, os, platform, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

BATCHES, SEEDS, EPOCHS, WARMUP_STEPS = (16, 32, 64, 128, 256), (0, 1, 2), 15, 300
INITS = {'(log 10, -10)': (10.0, -10.0, WARMUP_STEPS), '(log 10, 0)': (10.0, 0.0, WARMUP_STEPS), '(log 1, 0)': (1.0, 0.0, WARMUP_STEPS),
         '(log 20, -10), 50 warmup steps': (20.0, -10.0, 50), '(log 10, -10), 50 warmup steps': (10.0, -10.0, 50)}   # (t, b, warmup)


def lr_rule(batch:int)->float: return 1e-3 * math.sqrt(batch / 128)
def warmup_rule(batch:int)->int: return round(WARMUP_STEPS * 128 / batch)


def run(flags:list, work:Path)->dict:
    "One clip_nb_train run in a fresh folder: its report's numbers, wall time, and the final scale and bias."
    out = Path(tempfile.mkdtemp(dir=work))
    cmd = ['clip_nb_train', '--no_progress', '--no_tensorboard', '--keep_last_k', '1', '--output_dir', str(out), *flags]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=out)
    wall = time.time() - t0
    if r.returncode: raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    grab = lambda pat: float(re.search(pat, r.stdout).group(1))
    res = {'command': ' '.join(['clip_nb_train', *flags]), 'wall_s': round(wall, 1),
           't2i_R@1_attr': grab(r'text -> image\s+R@1 ([\d.]+)[^\n]*same attributes'),
           'i2t_R@1_attr': grab(r'image -> text\s+R@1 ([\d.]+)[^\n]*same attributes'),
           'train_s': grab(r'training (\d+) s')}
    import torch
    last = max(out.glob('checkpoint_epoch_*.pth'), key=lambda p: int(p.stem.split('_')[-1]))
    sd = torch.load(last, weights_only=True)['model_state_dict']
    res['final_scale'] = round(sd['logit_scale'].exp().item(), 3)
    if 'logit_bias' in sd: res['final_bias'] = round(sd['logit_bias'].item(), 3)
    shutil.rmtree(out, ignore_errors=True)
    return res


def planned(what, batches, seeds, epochs):
    "(key, description, flags) of every run to make."
    common = ['--epochs', str(epochs), '--set', f'eval_every={epochs}']
    if 'sweep' in what:
        for b in batches:
            for loss in ('clip', 'siglip'):
                for s in seeds:
                    yield (f'sweep/{loss}/{b}/{s}', dict(part='sweep', loss=loss, batch=b, seed=s),
                           common + ['--loss', loss, '--batch_size', str(b), '--lr', f'{lr_rule(b):.6g}',
                                     '--set', f'warmup_steps={warmup_rule(b)}', '--seed', str(s)])
    if 'ablation' in what:
        for name, (t, bias, warmup) in INITS.items():
            for s in seeds:
                yield (f'ablation/{name}/{s}', dict(part='ablation', init=name, t=t, b=bias, warmup=warmup, seed=s),
                       common + ['--loss', 'siglip', '--batch_size', '128', '--lr', f'{lr_rule(128):.6g}',
                                 '--set', f'warmup_steps={warmup}', '--seed', str(s),
                                 '--set', f'temperature={1 / t:g}', '--set', f'init_logit_bias={bias:g}'])


def machine()->str:
    try: model = next(l.split(':', 1)[1].strip() for l in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines()
                      if l.startswith('Model name'))
    except Exception: model = platform.processor() or 'unknown CPU'
    import torch
    return f'{model}, {os.cpu_count()} cores, torch {torch.__version__}'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--only', choices=('sweep', 'ablation'), help='one part only (default: both)')
    p.add_argument('--batches', type=int, nargs='+', default=list(BATCHES))
    p.add_argument('--seeds', type=int, nargs='+', default=list(SEEDS))
    p.add_argument('--epochs', type=int, default=EPOCHS)
    p.add_argument('--out', default=str(Path(__file__).parent / 'siglip_sweep.json'))
    args = p.parse_args(argv)
    out = Path(args.out)
    data = json.loads(out.read_text()) if out.exists() else {}
    data.setdefault('runs', {})
    data.update(command='python bench/siglip_sweep.py' + (' ' + ' '.join(argv if argv is not None else sys.argv[1:])).rstrip(),
                machine=machine(), epochs=args.epochs, warmup_steps_at_128=WARMUP_STEPS,
                rule='peak lr 1e-3 * sqrt(batch / 128); warmup %d * 128 / batch steps' % WARMUP_STEPS)
    what = (args.only,) if args.only else ('sweep', 'ablation')
    work = Path(tempfile.mkdtemp(prefix='siglip_sweep_'))
    t_all = time.time()
    try:
        for key, desc, flags in planned(what, args.batches, args.seeds, args.epochs):
            if key in data['runs']: continue
            res = {**desc, **run(flags, work)}
            data['runs'][key] = res
            print(f"{key:32s} R@1 {res['t2i_R@1_attr']:.3f}  {res['wall_s']:6.1f} s", flush=True)
            data['date'] = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
            data['total_s'] = round(sum(r['wall_s'] for r in data['runs'].values()), 1)
            out.write_text(json.dumps(data, indent=1) + '\n')
    finally: shutil.rmtree(work, ignore_errors=True)
    print(f'{len(data["runs"])} runs in {out}; this call {time.time() - t_all:.0f} s')


if __name__ == '__main__': main()
