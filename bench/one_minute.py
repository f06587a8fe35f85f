"""From the tiny preset's earlier settings to its one-minute settings, one change at a time: wall time and test recall of
`clip_nb_train` for each step, run one after the other in empty folders (the shapes data already generated and cached).

    python bench/one_minute.py [--work bench/work/one-minute] [--steps 0 1 2 ...]

Each step's report goes to WORK/stepN.log. Prints a markdown table (wall time of the whole command, test recall@1 text->image
and image->text with the same attributes, zero-shot accuracies) and the load average before and after each run; wall times
only mean something on an otherwise idle machine. Recall is deterministic for a given step (and thread count).
Step 6 is a change to the code, not to the flags: with the current code, steps 0-5 run with it too. Their recorded numbers
come from the commit in CODE_CHANGES, where the same command reproduces them.
"""
import argparse, os, re, shutil, subprocess, sys, time
from pathlib import Path
from clip_nb.bench import TINY_16
sys.path.insert(0, str(Path(__file__).resolve().parent))
from shards_recall import recalls   # the report's R@K lines

def flags(d): return [a for k, v in d.items() for a in ('--set', f'{k}={v}')]

OLD = dict(TINY_16)
T = dict(OLD, num_threads=2, num_workers=0)
STEPS = [('the earlier tiny preset (1 thread, 1 loader worker, 16 epochs)', OLD),
         ('2 compute threads, loading in the main process', T),
         ('MLP ratio 2, one text layer', dict(T, mlp_ratio=2.0, text_depth=1)),
         ('initial temperature 0.03', dict(T, mlp_ratio=2.0, text_depth=1, temperature=0.03)),
         ('no random crop', dict(T, mlp_ratio=2.0, text_depth=1, temperature=0.03, crop_scale=1.0)),
         ('15 epochs, validation every 3rd', dict(temperature=0.03)),
         ('softmax of 16-31-token rows in float32 (a code change: row_softmax)', dict(temperature=0.03)),
         ('initial temperature 0.02: the tiny preset now (no flags)', {})]
CODE_CHANGES = {6: '1eacbb3'}   # step -> the last commit without that step's code change (check it out to rerun earlier steps)

def report(text):
    "Same-attributes R@1 both ways and the zero-shot accuracies of a clip_nb_train report."
    r, zs = recalls(text) or {}, re.search(r'zero-shot accuracy: colour ([0-9.]+), shape ([0-9.]+), position ([0-9.]+)', text)
    return dict(t2i=r.get('t2i_R@1_attr'), i2t=r.get('i2t_R@1_attr'), zs=tuple(map(float, zs.groups())) if zs else ())

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--work', default='bench/work/one-minute')
    ap.add_argument('--steps', type=int, nargs='*', default=list(range(len(STEPS))))
    a = ap.parse_args()
    work = Path(a.work).resolve(); work.mkdir(parents=True, exist_ok=True)
    for c, commit in CODE_CHANGES.items():
        if any(i < c for i in a.steps):
            print(f'note: steps before {c} were recorded at commit {commit}; this code also has step {c}\'s change', file=sys.stderr)
    rows = []
    for i in a.steps:
        what, over = STEPS[i]
        d = work / f'step{i}'
        if d.exists(): shutil.rmtree(d)
        d.mkdir()
        cmd = ['clip_nb_train', '--no_progress', *flags(over)]
        load0 = os.getloadavg()[0]; t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
        wall, load1 = time.perf_counter() - t0, os.getloadavg()[0]
        (work / f'step{i}.log').write_text(' '.join(cmd) + '\n' + r.stdout + r.stderr[-3000:])
        if r.returncode: sys.exit(f'step {i} failed (exit {r.returncode}); see {work}/step{i}.log')
        m = report(r.stdout)
        rows.append((i, what, wall, m, load0, load1, ' '.join(cmd[2:]) or '(none)'))
        print(f'step {i}: {wall:.0f} s, t2i R@1 {m["t2i"]:.3f}, load {load0:.1f} -> {load1:.1f}', flush=True)
    print('\n| step | change | wall (s) | t2i R@1 | i2t R@1 | zero-shot colour / shape / position | load before / after |')
    print('|---|---|---|---|---|---|---|')
    for i, what, wall, m, l0, l1, _ in rows:
        print(f'| {i} | {what} | {wall:.0f} | {m["t2i"]:.3f} | {m["i2t"]:.3f} | {" / ".join(f"{x:.2f}" for x in m["zs"])} | {l0:.1f} / {l1:.1f} |')
    print('\nflags of each step (on top of clip_nb_train --no_progress):')
    for i, _, _, _, _, _, c in rows: print(f'  {i}: {c}')

if __name__ == '__main__': main()
