#!/usr/bin/env python
"""Execute notebooks in place so their outputs can be committed with them.

Cells flagged with a test flag from settings.ini (`#| slow`) keep the outputs they already have unless
`--flags slow` is given, so a long real run is not repeated every time a chapter is edited. Stops at the
first error. Afterwards it lists outputs a reader should not see (machine paths, log lines); run
`nbdev_clean` before committing.

    python tools/run_nb.py nbs/10_data.ipynb [more.ipynb ...] [--flags slow] [--keep 12,40]

`--keep` names cells (by index) that run for their side effects but keep the outputs they have: a timing
measured on an idle machine is not replaced by one taken while the machine is busy.
"""
import argparse, configparser, os, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOISE = re.compile(r'/tmp/|/work/|/root/|/home/|ipykernel_|USDT|gpuGetDeviceCount|^\[[IWE] 20\d\d', re.M)


def directives(src):
    "The `#| name` directives at the top of a cell's source."
    out = set()
    for line in src.splitlines():
        m = re.match(r'\s*#\|\s*([\w-]+)', line)
        if m: out.add(m.group(1))
        elif line.strip() and not line.lstrip().startswith('#'): break
    return out


def output_text(cell):
    parts = []
    for o in cell.get('outputs', []):
        if 'text' in o: parts.append(''.join(o['text']) if isinstance(o['text'], list) else o['text'])
        for k, v in (o.get('data') or {}).items():
            if k.startswith('text/'): parts.append(''.join(v) if isinstance(v, list) else v)
        if 'traceback' in o: parts.append('\n'.join(o['traceback']))
    return '\n'.join(parts)


def run(path, force, keep=()):
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    cfg = configparser.ConfigParser(); cfg.read(ROOT / 'settings.ini')
    skip = set(cfg['DEFAULT'].get('tst_flags', '').split()) - set(force)
    nb = read_nb(path)
    shell = CaptureShell(path)
    shell.set_path(Path(path).parent.resolve())
    cwd = os.getcwd(); os.chdir(Path(path).parent)
    try:
        for cell in nb.cells:
            if cell.cell_type != 'code' or (directives(cell.source) & skip): continue
            kept = cell.outputs
            cell.outputs = []          # a cell that now prints nothing must not keep its old outputs
            shell.cell(cell)
            if cell.idx_ in keep: cell.outputs = kept
            if shell.exc:
                sys.exit(f'{path}: cell {cell.idx_} failed:\n{shell.prettytb(fname=path)}')
    finally:
        os.chdir(cwd)
    write_nb(nb, path)
    noisy = [c.idx_ for c in nb.cells if c.cell_type == 'code' and NOISE.search(output_text(c))]
    if noisy: print(f'{path}: outputs of cells {noisy} show machine paths or log lines; a reader should not see them')
    print(f'{path}: executed')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='+')
    ap.add_argument('--flags', default='', help='space-separated test flags whose cells run too (e.g. slow)')
    ap.add_argument('--keep', default='', help='comma-separated indices of cells whose stored outputs are kept (timings)')
    a = ap.parse_args()
    keep = {int(i) for i in a.keep.split(',') if i.strip()}
    for nb in a.notebooks: run(nb, a.flags.split(), keep)
