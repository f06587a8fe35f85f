#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb as `nbdev_readme` does, without Quarto.

`nbdev_readme` processes the notebooks (nbdev's `proc_nbs`: front matter, links for backticked
names), renders `_proc/index.ipynb` with `quarto render -t gfm --no-execute`, moves the README to
the repository root and copies `index_files/` (the figures that are cell outputs of index.ipynb)
beside it. Quarto turns the notebook into pandoc markdown and pandoc writes GitHub markdown. This
script does the same steps with nbdev's own processing and pandoc (from pypandoc-binary), so that
README.md and index_files/ are what `nbdev_readme` writes, and images resolve from the repository root.

Usage: python tools/make_readme.py [--check]   (--check fails if README.md or index_files/ is out of date)
"""
import base64, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIG_DIR = 'index_files/figure-commonmark'
DISCARD = ('[<matplotlib', '<matplotlib', '<seaborn.', '<ggplot:')


def process_notebooks():
    "nbdev's docs processing into _proc/, in this process: unlike nbdev_proc_nbs it installs nothing."
    import contextlib, io, os, warnings
    from nbdev.serve import proc_nbs
    cwd = os.getcwd(); os.chdir(ROOT)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter('ignore')
            cache = Path(proc_nbs(str(ROOT / 'nbs'), n_workers=0))
    finally: os.chdir(cwd)
    for old in cache.glob('*.ipynb'):                      # a renamed or deleted notebook leaves no page behind
        if not (ROOT / 'nbs' / old.name).exists(): old.unlink()
    return cache


def processed_index():
    "index.ipynb after nbdev's docs processing (what Quarto receives)."
    return json.loads((process_notebooks() / 'index.ipynb').read_text())


def _opts(src):
    opts = dict((k, v.strip()) for k, v in re.findall(r'^#\|\s*([\w-]+):?\s*(.*)$', src, re.M))
    body = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip('\n')
    return opts, body


def _text(v): return ''.join(v) if isinstance(v, list) else v


def quarto_markdown(nb):
    "The title, the pandoc markdown Quarto makes of a notebook for the gfm format, and the figure files it writes."
    parts, figs, title, code_idx = [], {}, None, 0
    for c in nb['cells']:
        src = _text(c['source'])
        if c['cell_type'] == 'raw':
            import yaml
            fm = yaml.safe_load(src.strip().strip('-').strip()) or {}
            title = title or fm.get('title'); continue
        if c['cell_type'] == 'markdown': parts.append(src); continue
        code_idx += 1                                     # Quarto names figures cell-<code cell number + 1>
        opts, body = _opts(src)
        if opts.get('include') == 'false' or 'hide' in opts: continue
        if opts.get('echo') != 'false' and body.strip(): parts.append(f'``` python\n{body}\n```')
        if opts.get('output') == 'false': continue
        outs = c.get('outputs', [])
        have_img = any('image/png' in o.get('data', {}) for o in outs)
        for i, o in enumerate(outs):
            d = o.get('data', {})
            if o['output_type'] == 'stream':
                if o.get('name') == 'stderr' and opts.get('warning') == 'false': continue
                parts.append(f'```\n{_text(o["text"]).rstrip()}\n```'); continue
            if o['output_type'] == 'error': parts.append(f'```\n{o["ename"]}: {o["evalue"]}\n```'); continue
            if o['output_type'] == 'execute_result' and list(d) == ['text/plain']:
                t = _text(d['text/plain'])
                if (have_img and re.match(r'^([<(\[]).*?([>)\]])$', t.strip())) or t.startswith(DISCARD): continue
            if 'image/png' in d:
                path = f'{FIG_DIR}/cell-{code_idx + 1}-output-{i + 1}.png'
                figs[path] = base64.b64decode(_text(d['image/png']))
                parts.append(f'![]({path})')
            elif 'text/markdown' in d: parts.append(_text(d['text/markdown']))
            elif 'text/plain' in d: parts.append(f'```\n{_text(d["text/plain"]).rstrip()}\n```')
    return title, '\n\n'.join(p.strip('\n') for p in parts if p.strip()) + '\n', figs


def render():
    "README.md's text and the figure files, as nbdev_readme writes them."
    import pypandoc
    title, md, figs = quarto_markdown(processed_index())
    gfm = pypandoc.convert_text(md, 'gfm', format='markdown-implicit_figures', extra_args=['--wrap=auto', '--columns=72'])
    return (f'# {title}\n\n\n' if title else '') + gfm, figs   # Quarto's gfm template: title, then an empty line


def stale_figures(figs):
    figdir = ROOT / FIG_DIR
    return sorted(p.relative_to(ROOT).as_posix() for p in figdir.glob('*')
                  if p.relative_to(ROOT).as_posix() not in figs) if figdir.exists() else []


def problems(text, figs):
    "Files that differ from the rendering `text`, `figs`: README.md, missing or changed figures, stale ones."
    readme = ROOT / 'README.md'
    bad = [] if readme.exists() and readme.read_text() == text else ['README.md']
    bad += [p for p, b in figs.items() if not (ROOT / p).exists() or (ROOT / p).read_bytes() != b]
    return bad + stale_figures(figs)


if __name__ == '__main__':
    text, figs = render()
    if '--check' in sys.argv:
        bad = problems(text, figs)
        if bad: sys.exit(f'out of date with nbs/index.ipynb: {", ".join(bad)}. Run python tools/make_readme.py and commit the result')
        print('README.md and its figures match nbs/index.ipynb')
    else:
        (ROOT / 'README.md').write_text(text)
        for p, b in figs.items(): (ROOT / p).parent.mkdir(parents=True, exist_ok=True); (ROOT / p).write_bytes(b)
        for p in stale_figures(figs): (ROOT / p).unlink()
        print(f'wrote README.md and {len(figs)} figure(s) in {FIG_DIR}')
