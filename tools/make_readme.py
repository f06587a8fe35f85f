#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb (what `nbdev_readme` does, without Quarto).

Markdown cells are copied, code cells become fenced Python blocks, text outputs become plain
fenced blocks; `#|` options are honoured (`hide`, `include: false`, `echo: false`).
Image outputs of code cells are left out; images linked from markdown (`![](images/x.png)`) are kept,
with their paths made relative to the repository root.
Usage: python tools/make_readme.py [--check]   (--check fails if README.md is out of date)
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def render():
    nb = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': parts.append(src.strip()); continue
        if c['cell_type'] != 'code': continue
        opts = dict(re.findall(r'^#\|\s*([\w-]+):?\s*(.*)$', src, re.M))
        if 'hide' in opts or opts.get('include', '').strip() == 'false' or 'default_exp' in opts: continue
        body = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if body and opts.get('echo', '').strip() != 'false': parts.append(f'```python\n{body}\n```')
        for o in c.get('outputs', []):
            txt = o.get('text') or o.get('data', {}).get('text/markdown') or o.get('data', {}).get('text/plain')
            if o.get('data', {}).get('image/png'): continue
            if txt:
                txt = ''.join(txt) if isinstance(txt, list) else txt
                parts.append(txt.strip() if 'text/markdown' in o.get('data', {}) else f'```\n{txt.rstrip()}\n```')
    text = '\n\n'.join(p for p in parts if p) + '\n'
    # notebook links are relative to nbs/ on the site, to the repository root in README
    text = re.sub(r'\]\((\w+)\.ipynb\)', r'](nbs/\1.ipynb)', text)
    return re.sub(r'\]\((images/[\w./-]+)\)', r'](nbs/\1)', text)

if __name__ == '__main__':
    text = render()
    readme = ROOT / 'README.md'
    if '--check' in sys.argv:
        if readme.read_text() != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run python tools/make_readme.py and commit it')
        print('README.md matches nbs/index.ipynb')
    else:
        readme.write_text(text); print('wrote README.md')
