"""Test recall after a clip_nb_train run of the tiny preset as it was measured (16 epochs, `clip_nb.bench.TINY_16`, passed
as flags; the preset's later one-minute settings differ), on the shapes data, from the image cache and
from shards of the same data, for several seeds: the seed-to-seed spread of each path and the difference between them.
With --full_seeds, also the shards path with a shuffle buffer larger than the data ('shards-full': every epoch a uniform
permutation, the order the cache path draws), for those seeds.

Each run's report goes to WORK/{cache,shards,shards-full}-seed{S}.log; a run whose log already holds its results is read,
not repeated (delete the log to run it again). Prints one JSON line: {path: {seed: {metric: value}}}.

    python bench/shards_recall.py SHARD_DIR [--seeds 42 1 2] [--full_seeds 42 1] [--work bench/work/shards-recall] [--jobs 2]
"""
import argparse, json, re, subprocess, sys, time
from pathlib import Path


def recalls(text):
    "R@K values of a clip_nb_train report: {'t2i_R@1_attr': value, ...} (None when the run has not finished)."
    if '=== Results' not in text: return None
    out = {}
    for line in text[text.index('=== Results'):].splitlines():
        if 'R@1' not in line: continue
        d = 't2i' if line.startswith('text') else 'i2t'; v = '_attr' if 'same attributes' in line else ''
        for k, x in re.findall(r'R@(\d+) ([0-9.]+)', line): out[f'{d}_R@{k}{v}'] = float(x)
    return out


def command(path, seed, shards, out):
    from clip_nb.bench import TINY_16
    cmd = [sys.executable, '-c', 'from clip_nb.training import main; main()', '--no_progress', '--no_tensorboard',
           '--seed', str(seed), '--output_dir', str(out)]
    for k, v in TINY_16.items(): cmd += ['--set', f'{k}={v}']
    if path == 'cache': return cmd
    cmd += ['--set', 'dataset=shards', '--data_path', str(shards)]
    if path == 'shards-full':   # a buffer that holds every sample: each epoch is a uniform permutation
        cmd += ['--set', f"shuffle_buffer={json.loads((Path(shards) / 'index.json').read_text())['samples'] + 1}"]
    return cmd


def main(a):
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    todo = [(p, s) for s in a.seeds for p in ('cache', 'shards')] + [('shards-full', s) for s in a.full_seeds]
    logs = {k: work / f'{k[0]}-seed{k[1]}.log' for k in todo}
    pending = [k for k in todo if not (logs[k].exists() and recalls(logs[k].read_text()))]
    running = {}
    while pending or running:
        while pending and len(running) < a.jobs:
            k = pending.pop(0)
            f = open(logs[k], 'w')
            running[k] = (subprocess.Popen(command(*k, a.shards, work / f'run-{k[0]}-seed{k[1]}'), stdout=f, stderr=subprocess.STDOUT), f)
        for k, (p, f) in list(running.items()):
            if p.poll() is not None:
                f.close(); del running[k]
                if p.returncode: sys.exit(f'{k[0]} seed {k[1]} failed: see {logs[k]}')
        time.sleep(1)
    res = {}
    for (p, s) in todo: res.setdefault(p, {})[s] = recalls(logs[p, s].read_text())
    print(json.dumps(res))


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('shards', help='shard folder written by clip_nb_shards from the shapes data')
    ap.add_argument('--seeds', type=int, nargs='+', default=[42, 1, 2])
    ap.add_argument('--full_seeds', type=int, nargs='*', default=[], help="seeds of the 'shards-full' runs (none by default)")
    ap.add_argument('--work', default='bench/work/shards-recall')
    ap.add_argument('--jobs', type=int, default=2, help='runs at a time (each uses the preset\'s one thread and one loader worker)')
    main(ap.parse_args())
