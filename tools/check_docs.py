#!/usr/bin/env python
"""Check the documentation site that `nbdev_docs` (nbdev + Quarto) rendered into `_docs/`.

The site is what a reader sees, so it is checked as rendered, page by page:

- every notebook in `nbs/` has its page (`02_attention.ipynb` -> `attention.html`, `a1_bench.ipynb` -> `a1_bench.html`);
- every public function and class of a module is documented (a `show_doc` heading; on its module's page, or
  on the page of the chapter that teaches it, as the `Config` field groups are), each with a docstring;
- no page shows a machine path, a log line, profiler noise, raw TeX, raw markdown (link text, a table, a
  callout fence) or raw `#|` cell options;
- every link and anchor inside the site resolves (links written with the site's own address included),
  and every image exists.

Usage:
    python tools/check_docs.py [--docs _docs]   # after nbdev_docs
    python tools/check_docs.py --selftest        # each check failing on a page broken on purpose
    python tools/check_docs.py --no-quarto       # the stand-in where no Quarto can be had: nbdev's processing of
                                                 # the notebooks (nbdev_proc_nbs) and the same checks on its outputs
Exits 1 with one line per problem.
"""
import argparse, html, importlib, json, re, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = 'https://clip-nb.github.io/clip_nb/'      # doc_host + doc_baseurl in settings.ini
NOISE = [(r'/tmp/|/work/|/root/|/home/\w', 'a machine path'), (r'ipykernel_', 'a machine path (ipykernel file)'),
         (r'USDT|gpuGetDeviceCount|profiler_start', 'profiler noise'), (r'\[[IWE] 20\d\d-\d\d-\d\d', 'a log line')]
RAW = [(r'\{target=', 'raw link attributes'), (r'#\|', 'raw #| cell options'), (r'^:::', 'a callout fence'),
       (r'\]\(http', 'raw markdown link text'), (r'^\s*\|\s*-{3,}', 'a raw markdown table')]


def page_name(nb_path: Path) -> str:
    "The page nbdev and Quarto write for a notebook: the name without its leading number."
    return re.sub(r'^\d+_', '', nb_path.stem) + '.html'


def main_text(content: str) -> str:
    "The page's own content: Quarto's <main>, without scripts, styles and the navigation around it."
    m = re.search(r'<main[^>]*>(.*)</main>', content, re.S)
    return re.sub(r'<(script|style)\b.*?</\1>', ' ', m.group(1) if m else content, flags=re.S)


def page_problems(name: str, content: str) -> list:
    "What a reader should not see on a page: raw markup, raw TeX, machine paths, log lines, profiler noise."
    body = main_text(content)
    text = html.unescape(re.sub(r'<[^>]+>', ' ', body))
    prose = html.unescape(re.sub(r'<[^>]+>', ' ', re.sub(r'<(pre|code|span class="math[^"]*")\b.*?</\w+>', ' ', body, flags=re.S)))
    problems = []
    if re.search(r'\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$', prose): problems.append(f'{name}: page shows raw TeX math')
    for pat, what in RAW + NOISE:
        m = re.search(pat, text, re.M)
        if m: problems.append(f'{name}: page shows {what}: ...{text[max(0, m.start() - 40):m.end() + 40].strip()!r}...')
    return problems


def link_problems(docs: Path, pages: dict) -> list:
    "Links, anchors and images inside the site that do not resolve. `pages`: page path relative to docs -> HTML."
    ids = {f: set(re.findall(r'\sid="([^"]+)"', c)) for f, c in pages.items()}
    problems = []
    for f, c in pages.items():
        refs = set(re.findall(r'href="([^"]+)"', main_text(c))) | {('img', s) for s in re.findall(r'<img[^>]+src="([^"]+)"', c)}
        for ref in sorted(refs, key=str):
            img = isinstance(ref, tuple)
            href = html.unescape(ref[1] if img else ref)
            if href.startswith(SITE): href = href[len(SITE):] or 'index.html'
            elif re.match(r'^[a-z]+:', href) or href.startswith('//'): continue      # another site, mailto:, data:
            target, _, anchor = href.partition('#')
            path = (Path(f).parent / target).as_posix() if target else f
            path = re.sub(r'(^|/)\./', r'\1', path)
            if path.endswith('/') or path == '': path += 'index.html'
            if not (docs / path).exists():
                problems.append(f'{f}: broken {"image" if img else "link"} {href}'); continue
            if anchor and path in ids and anchor not in ids[path]: problems.append(f'{f}: broken anchor {href}')
    return problems


def module_of(nb_path: Path):
    "The module a notebook exports to (`#| default_exp`), if any."
    for c in json.loads(nb_path.read_text())['cells']:
        m = re.search(r'^#\|\s*default_exp\s+([\w.]+)', ''.join(c['source']), re.M)
        if m and c['cell_type'] == 'code': return m.group(1)


def api_problems(nbs: Path, pages: dict) -> list:
    "Public functions and classes of each module that no page documents (or that have no docstring)."
    problems, site = [], '\n'.join(pages.values())
    for nb in sorted(nbs.glob('*.ipynb')):
        mod, page = module_of(nb), page_name(nb)
        if not mod or page not in pages: continue
        m = importlib.import_module(f'clip_nb.{mod}')
        for pub in getattr(m, '__all__', []):
            obj = getattr(m, pub, None)
            if not callable(obj) or getattr(obj, '__module__', '') != m.__name__: continue
            if getattr(obj, '__name__', pub) != pub: continue       # another name of a function documented under its own
            if re.search(rf'<h[1-4][^>]*>\s*{re.escape(pub)}\b', pages[page]) is None and f'data-anchor-id="{pub.lower()}"' not in site:
                problems.append(f'{page}: no API documentation for {mod}.{pub} (here or on another page)')
            elif not (obj.__doc__ or '').strip(): problems.append(f'{page}: {mod}.{pub} has no docstring')
    return problems


def check(docs: Path, nbs: Path, api: bool = True) -> list:
    pages = {p.relative_to(docs).as_posix(): p.read_text(errors='replace') for p in docs.rglob('*.html') if 'site_libs' not in p.parts}
    problems = [f'{nb.name}: no page {page_name(nb)} in {docs.name}/' for nb in sorted(nbs.glob('*.ipynb'))
                if not nb.name.startswith('_') and page_name(nb) not in pages]
    for name, content in sorted(pages.items()): problems += page_problems(name, content)
    problems += link_problems(docs, pages)
    if api: problems += api_problems(nbs, pages)
    return problems


def selftest():
    "Each check must fail on a page broken on purpose, and pass on a clean one."
    def page(body): return f'<html><body><nav><a href="gone.html">x</a></nav><main class="content"><h1 id="t">T</h1>{body}</main></body></html>'
    clean = page('<section id="a"><p>See <a href="./other.html#config">Config</a>, <a href="#a">here</a> and '
                 f'<a href="{SITE}other.html">there</a>.</p><img src="pic.png"></section>')
    other = page('<section id="config"><h3>Config</h3></section>')
    broken = {'a machine path': '<pre>File /tmp/ipykernel_123/456.py:61</pre>',
              'a log line': '<pre>[I 2026-11-27 08:00:00,123] Trial 0 finished</pre>',
              'profiler noise': '<pre>ERROR: gpuGetDeviceCount failed with code 35</pre>',
              'raw markdown link text': '<p>the [`normalize_space`](https://clip-nb.github.io/clip_nb/tuning.html)</p>',
              'a raw markdown table': '<pre>| row | img/s |\n|---|---|\n| a | 1 |</pre>',
              'raw TeX math': '<p>the loss $\\frac{1}{N}$ of</p>',
              'raw #| cell options': '<pre>#| export</pre>'}
    links = {'broken link': '<a href="missing.html">x</a>', 'broken anchor': '<a href="other.html#_mix">x</a>',
             'broken image': '<img src="nope.png">', 'broken anchor ': f'<a href="{SITE}other.html#nope">x</a>'}
    ok = True
    with tempfile.TemporaryDirectory() as d:
        docs = Path(d)
        (docs / 'pic.png').write_bytes(b'png'); (docs / 'other.html').write_text(other)
        (docs / 'p.html').write_text(clean)
        base = check(docs, docs / 'no_nbs', api=False)
        ok &= not base
        print(f'{"ok  " if not base else "FAIL"} a clean page passes: {base}')
        for what, bad in list(broken.items()) + list(links.items()):
            (docs / 'p.html').write_text(page(bad))
            found = [p for p in check(docs, docs / 'no_nbs', api=False) if what.strip() in p]
            ok &= bool(found)
            print(f'{"ok  " if found else "FAIL"} caught {what.strip()}: {found[0] if found else "nothing"}')
    if not ok: sys.exit('selftest failed: a check did not catch what it is for')
    print('selftest passed: every check fails on its broken page, and the clean page passes')


def proc_problems() -> list:
    "Without Quarto: process the notebooks as nbdev does, and check what they would show and link to."
    import subprocess
    r = subprocess.run(['nbdev_proc_nbs'], cwd=ROOT, capture_output=True, text=True)
    if r.returncode: return [f'nbdev_proc_nbs failed: {(r.stderr or r.stdout).strip().splitlines()[-1:]}']
    problems, nbs = [], {p.name for p in (ROOT / 'nbs').glob('*.ipynb')}
    for nb in sorted((ROOT / '_proc').glob('*.ipynb')):
        cells = json.loads(nb.read_text())['cells']
        shown = '\n'.join(''.join(c['source']) if c['cell_type'] == 'markdown' else
                           '\n'.join(''.join(o.get('text', '')) + ''.join((o.get('data') or {}).get('text/plain', '')) for o in c.get('outputs', []))
                           for c in cells)
        for pat, what in NOISE:
            m = re.search(pat, shown, re.M)
            if m: problems.append(f'{nb.name}: shows {what}: ...{shown[max(0, m.start() - 40):m.end() + 40].strip()!r}...')
        for target in re.findall(r'\]\(([\w.-]+\.ipynb)(?:#[^)]*)?\)', shown):
            if target not in nbs: problems.append(f'{nb.name}: broken link {target}')
    return problems


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--docs', default=str(ROOT / '_docs'), help='the rendered site (nbdev_docs writes _docs/)')
    ap.add_argument('--selftest', action='store_true', help='show each check failing on a page broken on purpose')
    ap.add_argument('--no-quarto', action='store_true', help='without Quarto: check the notebooks as nbdev processes them')
    a = ap.parse_args()
    if a.selftest: selftest(); sys.exit()
    if a.no_quarto:
        problems = proc_problems()
        if problems: sys.exit('docs check (without Quarto) failed:\n  ' + '\n  '.join(problems))
        print('docs check (without Quarto) passed: processed notebooks show no machine paths or log lines, and their links resolve'); sys.exit()
    docs = Path(a.docs)
    if not (docs / 'index.html').exists(): sys.exit(f'{docs} has no index.html: run nbdev_docs first')
    problems = check(docs, ROOT / 'nbs')
    if problems: sys.exit('docs check failed:\n  ' + '\n  '.join(problems))
    print(f'docs check passed: {len(list(docs.rglob("*.html")))} pages in {docs.name}/, links, anchors, images and API documentation')
