#!/usr/bin/env python
"""Check the book: every number its prose reports is on its page, chapters teach what is true now, budgets hold.

Three checks, all on the notebooks in `nbs/` (`python tools/check_book.py`; `--selftest` shows each one
failing on planted mistakes):

- **numbers**: a number reported in prose must appear on the page (the rule below);
- **history**: chapter and index prose (not the appendices `aN_*.ipynb`) says what is true now: no
  dates, no machine names, no "it used to", "an earlier preset", "was X, now Y";
- **budgets**: at most 3,000 words of prose and 100 cells a notebook, chapters 08 onwards at most 20,000
  words together (appendices excluded), no code cell over 60 lines and at most 3 over 40 a notebook.

The number rule
---------------
A sentence that quotes a recall, a time, a count, a ratio or a percentage is a claim about an output.
When the cell is re-run and the sentence is not re-read, the two drift apart. This check reads each
notebook in `nbs/` and fails when a number in its prose cannot be found among what the page shows.
A number in a markdown cell is *found* when one of these holds:

1. it appears in the **outputs** of the same notebook (text, HTML tables, printed Markdown), allowing
   for rounding: prose `0.81` matches an output `0.8093`, `36%` matches `0.357` or `35.7%`, and a
   round number after "about", "nearly", "~", ... (`about 19,000`) matches at the precision it states;
2. it appears in the **code** of the same notebook: a setting the reader can see (`num_epochs=15`);
3. the paragraph links to another notebook of the book (`[the Trainer](17_trainer.ipynb)`, or its page on the site) and the
   number appears in that notebook's outputs or code: a result quoted where it was measured.

Exempt, because they are not claims about an output:
- code spans, math (`$...$`, worked arithmetic is written there), fenced blocks of commands or code
  (```` ```sh ````, ```` ```python ````; a ```` ```text ```` block of printed results is checked), link targets
  and HTML comments;
- a sentence that cites its source: it contains "et al." or a link to an outside page (`http...`);
- names and references: digits inside words and names (`fp32`, `R@1`, `ViT-B/16`, `12_loop`),
  versions (`3.11`, `2.4.14`), numbered steps, chapters, sections and list items, and integers
  below 10 written alone (`3 layers`, `2 cores`: settings and small counts the text can say in words),
  except in "3 of 10".

A notebook's prose may not state what no cell shows. To report a number, print it; a long reading of
results is best printed by the cell that computed them (`display(Markdown(...))`).

Usage: python tools/check_book.py [NOTEBOOK ...] [--only numbers|history|budgets] [--selftest] [--summary]
Exits 1 and lists every finding with its notebook, cell and sentence.
"""
import argparse, json, re, sys, tempfile
from decimal import Decimal, ROUND_HALF_UP, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
SITE = 'https://clip-nb.github.io/clip_nb/'       # links to the site's own pages count as links to notebooks
MAX_WORDS, MAX_CELLS, MAX_SPINE_WORDS, SPINE_FROM = 3000, 100, 20000, 8
MAX_CELL_LINES, LONG_CELL_LINES, MAX_LONG_CELLS = 60, 40, 3

APPROX = re.compile(r'(?:about|around|nearly|almost|roughly|approximately|close to|some|over|under|~|≈|more than|less than|'
                    r'fewer than|at least|at most|up to|below|above)\s*$', re.I)
NAME_BEFORE = re.compile(r'(?:chapters?|steps?|sections?|figures?|tables?|appendix|appendices|parts?|lines?|cells?|'
                         r'python|pytorch|torch|nbdev|quarto|cuda|version|v|pep|rfc|iso|#)\s*$', re.I)
NUM = re.compile(r'(?<![\w@/.\-+#$])([-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-−+]?\d+)?)(?![\d.,]\d)(?=[x×%]|(?![\w/@]))')
OUT_NUM = re.compile(r'[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-−+]?\d+)?')
NB_LINK = re.compile(r'\]\((?:' + re.escape(SITE) + r')?([\w.-]+\.(?:ipynb|html))(?:#[^)]*)?\)')
CODE_FENCES = ('sh', 'bash', 'shell', 'console', 'python', 'py', 'yaml', 'json', 'toml', 'ini')
HISTORY = [(re.compile(p, re.I), why) for p, why in [
    (r'\b20\d\d-\d\d-\d\d\b', 'a date'),
    (r'\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2},? 20\d\d\b', 'a date'),
    (r'\b(?:EPYC|Xeon|Zen ?\d|AMX|Ryzen|Threadripper|Graviton)\b', 'a machine name'),
    (r'\b(?:slow|fast|slower|faster) phase', "a host's phases"),
    (r'\bused to (?:be|train|take|give|run|have|reach|use)\b', '"used to"'),
    (r'\b(?:an |the )?earlier (?:preset|version|commit|code|shape|tiny)\b', 'an earlier state of the project'),
    (r'\bat the commit\b|\bbefore (?:its|the) [\w -]{0,30}changes?\b', 'an earlier state of the project'),
    (r'\bwas [^.;]{1,30}, now\b|\(was [^)]{1,40}\)', '"was X, now Y"'),
    (r'\bno longer\b(?! finite)', '"no longer"'),
]]


def _text(x): return ''.join(x) if isinstance(x, list) else (x or '')


def load(path: Path, cache: dict) -> dict:
    if path not in cache: cache[path] = json.loads(path.read_text())
    return cache[path]


def output_text(cell) -> str:
    "Everything a code cell's outputs show as text (HTML tags removed)."
    parts = []
    for o in cell.get('outputs', []):
        if 'text' in o: parts.append(_text(o['text']))
        for k, v in (o.get('data') or {}).items():
            if k == 'text/html': parts.append(re.sub(r'<[^>]+>', ' ', _text(v)))
            elif k.startswith('text/'): parts.append(_text(v))
        if 'traceback' in o: parts.append('\n'.join(o['traceback']))
    return '\n'.join(parts)


def _dec(s: str):
    try: return Decimal(s.replace(',', '').replace('−', '-'))
    except InvalidOperation: return None


def page_numbers(nb: dict) -> set:
    "Every number a notebook's outputs and code show, as Decimals."
    found = set()
    for c in nb['cells']:
        if c['cell_type'] != 'code': continue
        for text in (output_text(c), _text(c['source'])):
            found.update(d for d in map(_dec, OUT_NUM.findall(text)) if d is not None)
    return found


def strip_markdown(s: str) -> str:
    "Prose only: code, commands, math, comments, link targets and images removed."
    s = re.sub(r'<!--.*?-->', ' ', s, flags=re.S)
    s = re.sub(r'^(```|~~~)\s*(\w*)[^\n]*\n(.*?)^\1', lambda m: ' ' if m.group(2).lower() in CODE_FENCES else m.group(3), s,
               flags=re.S | re.M)
    s = re.sub(r'\$\$.*?\$\$', ' ', s, flags=re.S)
    s = re.sub(r'(?<![\\\w])\$[^$\n]+\$', ' ', s)
    s = re.sub(r'`[^`]*`', ' ', s)
    s = re.sub(r'!\[[^\]]*\]\([^)]*\)', ' ', s)
    s = re.sub(r'\]\((?!http)[^)]*\)', ']', s)
    s = s.replace('](' + SITE, '](')
    s = re.sub(r'<[^>]+>', ' ', s)
    s = re.sub(r'^\s*(?:#+\s*)?\d+[.)]\s', ' ', s, flags=re.M)   # numbered headings and list items
    return s


def paragraphs(md: str) -> list:
    "Blank-line separated paragraphs; a fenced block or a table belongs to the paragraph that introduces it."
    out, fence = [], None
    for block in re.split(r'\n\s*\n', md):
        if fence is not None or (out and re.match(r'\s*(```|~~~|\|)', block)):
            out[-1] += '\n\n' + block
        else: out.append(block)
        for m in re.finditer(r'^\s*(```|~~~)', block, re.M): fence = None if fence else m.group(1)
    return out


def sentences(paragraph: str):
    return re.split(r'(?<=[.!?])\s+(?=[A-Z(*"“])', paragraph)


def _matches(p: Decimal, decimals: int, pct: bool, approx: bool, pool: set) -> bool:
    "Does some number of the page, rounded as the prose rounds, give p?"
    if p in pool: return True
    unit = Decimal(1).scaleb(-decimals)
    zeros = len(str(abs(int(p)))) - len(str(abs(int(p))).rstrip('0')) if approx and decimals == 0 and p else 0
    for o in pool:
        for v in ((o, o * 100) if pct else (o,)):          # 36% matches 35.7 and 0.357
            try:
                if v.quantize(unit, rounding=ROUND_HALF_UP) == p: return True
                if zeros and v.scaleb(-zeros).quantize(Decimal(1), rounding=ROUND_HALF_UP).scaleb(zeros) == p: return True
            except InvalidOperation: continue
    return False


def prose_claims(md: str):
    "Yield (sentence, number text, Decimal, decimals, is_percent, is_approx) for each number the prose reports."
    for para in re.split(r'\n\s*\n', strip_markdown(md)):   # (a fenced block of results is one paragraph here)
        for sent in sentences(para.replace('\n', ' ')):
            if 'et al.' in sent or re.search(r'\]\(http', sent) or re.search(r'(?<!\()https?://', sent): continue
            s = re.sub(r'(?<=\d)\s?[-–—]\s?(?=\d)', ' – ', re.sub(r'\]\([^)]*\)', ']', sent))   # ranges: 2.9-3.4
            for m in NUM.finditer(s):
                txt, before, rest = m.group(1), s[:m.start()], s[m.end():]
                if NAME_BEFORE.search(before) or re.match(r'\d+\.\d+\.\d+', s[m.start():]): continue
                p = _dec(txt)
                if p is None: continue
                pct = rest[:1] == '%'
                decimals = len(txt.split('.')[1]) if '.' in txt and 'e' not in txt.lower() else 0
                small = decimals == 0 and not pct and rest[:1] not in ('x', '×') and abs(p) < 10 and ',' not in txt
                if small and not re.match(r'\s+of\s+\d', rest): continue
                if re.fullmatch(r'(?:19|20)\d\d', txt) and not pct: continue     # a year (citations); dates are the history check's
                yield sent.strip(), txt, p, decimals, pct, bool(APPROX.search(before))


def notebook_for(name: str, here: Path):
    "The notebook a link names: `17_trainer.ipynb`, or a site page such as `trainer.html`."
    if name.endswith('.ipynb'): p = here.parent / name; return p if p.exists() else None
    stem = name[:-5]
    for p in here.parent.glob('*.ipynb'):
        if re.sub(r'^\d+_', '', p.stem) == stem: return p


def check_numbers(path: Path, cache: dict) -> list:
    "Numbers in a notebook's prose that its page does not show: [(cell index, number, sentence)]."
    nb = load(path, cache)
    own, missing = page_numbers(nb), []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'markdown': continue
        for para in paragraphs(_text(c['source'])):
            pool = set(own)
            for name in NB_LINK.findall(para):
                other = notebook_for(name, path)
                if other and other != path: pool |= page_numbers(load(other, cache))
            for sent, txt, p, decimals, pct, approx in prose_claims(para):
                if not _matches(p, decimals, pct, approx, pool): missing.append((i, txt + ('%' if pct else ''), sent))
    return missing


def is_chapter(path: Path) -> bool: return bool(re.match(r'\d+_', path.name))


def is_appendix(path: Path) -> bool: return bool(re.match(r'[a-z]\d+_', path.name))


def check_history(path: Path, cache: dict) -> list:
    "Phrases of the project's history in a chapter's prose: [(cell index, phrase, why)]."
    if is_appendix(path): return []      # an appendix may name the machine and the date its tables were measured on
    found = []
    for i, c in enumerate(load(path, cache)['cells']):
        if c['cell_type'] != 'markdown': continue
        text = strip_markdown(_text(c['source'])).replace('\n', ' ')
        for rx, why in HISTORY:
            found += [(i, m.group(0), why) for m in rx.finditer(text)]
    return found


def words(nb: dict) -> int: return sum(len(_text(c['source']).split()) for c in nb['cells'] if c['cell_type'] == 'markdown')


def check_budgets(paths: list, cache: dict) -> list:
    "Budget overruns: [(notebook, what)]."
    over, spine = [], 0
    for path in paths:
        nb = load(path, cache)
        w, n = words(nb), len(nb['cells'])
        lines = [len(_text(c['source']).splitlines()) for c in nb['cells'] if c['cell_type'] == 'code']
        if w > MAX_WORDS: over.append((path.name, f'{w} words of prose (at most {MAX_WORDS})'))
        if n > MAX_CELLS: over.append((path.name, f'{n} cells (at most {MAX_CELLS})'))
        if max(lines or [0]) > MAX_CELL_LINES: over.append((path.name, f'a code cell of {max(lines)} lines (at most {MAX_CELL_LINES})'))
        if sum(l > LONG_CELL_LINES for l in lines) > MAX_LONG_CELLS:
            over.append((path.name, f'{sum(l > LONG_CELL_LINES for l in lines)} code cells over {LONG_CELL_LINES} lines (at most {MAX_LONG_CELLS})'))
        if is_chapter(path) and int(path.name.split('_')[0]) >= SPINE_FROM: spine += w
    if spine > MAX_SPINE_WORDS: over.append((f'chapters {SPINE_FROM:02d} onwards', f'{spine} words of prose (at most {MAX_SPINE_WORDS})'))
    return over


def budget_table(paths: list, cache: dict) -> str:
    rows = ['| notebook | words | cells | longest code cell | code cells over 40 lines |', '|---|---|---|---|---|']
    for path in paths:
        nb = load(path, cache)
        lines = [len(_text(c['source']).splitlines()) for c in nb['cells'] if c['cell_type'] == 'code']
        rows.append(f'| {path.name} | {words(nb)} | {len(nb["cells"])} | {max(lines or [0])} | {sum(l > LONG_CELL_LINES for l in lines)} |')
    return '\n'.join(rows)


def selftest():
    "Plant mistakes; each check must catch them and pass the true versions."
    def nb(md, out='', code='x = 1'):
        return {'cells': [{'cell_type': 'code', 'source': code, 'outputs': [{'output_type': 'stream', 'text': out}]},
                          {'cell_type': 'markdown', 'source': md}]}
    cases = [  # (prose, output, numbers the check must flag)
        ("Recall@1 reaches 0.81 after 15 epochs.", "R@1 0.8093\nepoch 15 of 15", []),
        ("The model says purple star for 183 of 278 pictures.", "[('purple star', 149)] of 278", ['183']),
        ('"a large purple square" finds 3 of 10.', "a large purple square: 2 of the top 10", ['3']),
        ("Close to 19,000 per step without, none with.", "9109 with the default malloc settings", ['19,000']),
        ("About 9,000 page faults per step.", "9109 page faults", []),
        ("Shape accuracy falls to 36%.", "shape 0.357", []),
        ("Shape accuracy falls to 36%.", "shape 0.412", ['36%']),
        ("It runs 1.32x faster, in 53 s.", "ratio 1.318, 53.2 s", []),
        ("It runs 1.27x faster.", "ratio 1.318", ['1.27']),
        ("`--epochs 40` and $0.07 \\cdot 100 = 7$ and ViT-B/16 in R@10 with fp32 on Python 3.11.", "", []),
        ("Radford et al. report 76.2% zero-shot accuracy.", "", []),
        ("Epochs took 2.9-3.4 s.", "2.93 s\n3.41 s", []),
        ("Epochs took 2.9-3.6 s.", "2.93 s\n3.41 s", ['3.6']),
        ("The report:\n\n```text\nR@1 0.809\n```", "R@1 0.7", ['0.809']),
        ("Run it:\n\n```sh\nclip_nb_train --epochs 40\n```", "", []),
        ("Two lines:\n\n```text\nR@1 0.809\n\nR@5 0.950\n```", "R@1 0.809", ['0.950']),
        ("A table:\n\n| run | R@1 |\n|---|---|\n| a | 0.81 |\n| b | 0.77 |", "R@1 0.809", ['0.77']),
    ]
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        for prose, out, want in cases:
            p = Path(d) / '19_x.ipynb'; p.write_text(json.dumps(nb(prose, out)))
            got = [t for _, t, _ in check_numbers(p, {})]
            bad += got != want
            print(f"{'ok  ' if got == want else 'FAIL'} numbers {prose[:50]!r}: flagged {got}, expected {want}")
        (Path(d) / '17_trainer.ipynb').write_text(json.dumps(nb('x', 'R@1 0.809')))
        for link in ('17_trainer.ipynb', SITE + 'trainer.html'):
            p = Path(d) / '18_b.ipynb'; p.write_text(json.dumps(nb(f'The default run ([the Trainer]({link})) prints:\n\n```text\nR@1 0.809\n```\n\n| R@1 |\n|---|\n| 0.81 |')))
            got = [t for _, t, _ in check_numbers(p, {})]
            bad += got != []; print(f"{'ok  ' if got == [] else 'FAIL'} numbers: a result quoted from the linked page {link}: flagged {got}")
        for prose, want in [('Measured on 2026-11-30 on a 2-core AMD EPYC, in its slow phase.', 3),
                            ('The preset used to train for 16 epochs (was 16).', 2), ('Softmax turns scores into weights.', 0)]:
            for name, expect in (('07_c.ipynb', want), ('a1_c.ipynb', 0)):
                p = Path(d) / name; p.write_text(json.dumps(nb(prose)))
                got = len(check_history(p, {}))
                bad += got != expect
                print(f"{'ok  ' if got == expect else 'FAIL'} history in {name} {prose[:40]!r}: {got} found, expected {expect}")
        p = Path(d) / '09_long.ipynb'
        p.write_text(json.dumps({'cells': [{'cell_type': 'markdown', 'source': 'word ' * 3001},
                                           {'cell_type': 'code', 'source': 'x\n' * 61, 'outputs': []}]}))
        got = len(check_budgets([p], {}))     # 3,001 words and a 61-line cell; 2 cells and 1 long cell are within budget
        bad += got != 2; print(f"{'ok  ' if got == 2 else 'FAIL'} budgets: {got} overruns found in a planted notebook, expected 2")
    if bad: sys.exit(f'selftest: {bad} case(s) wrong')
    print('selftest passed: every planted mistake is caught, and the true versions pass')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('notebooks', nargs='*', help='notebooks to check (default: every notebook in nbs/)')
    ap.add_argument('--only', choices=('numbers', 'history', 'budgets'), help='run one check')
    ap.add_argument('--selftest', action='store_true', help='show each check catching planted mistakes')
    ap.add_argument('--summary', action='store_true', help='counts per notebook, and the budget table')
    a = ap.parse_args()
    if a.selftest: return selftest()
    all_nbs = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))
    paths = [Path(p).resolve() for p in a.notebooks] or all_nbs
    cache, problems = {}, 0
    for path in paths:
        nums = check_numbers(path, cache) if a.only in (None, 'numbers') else []
        hist = check_history(path, cache) if a.only in (None, 'history') else []
        problems += len(nums) + len(hist)
        if a.summary: print(f'{path.name}: {len(nums)} numbers not found, {len(hist)} history phrases'); continue
        for i, txt, sent in nums: print(f'{path.name} cell {i}: {txt} is not on the page: "{sent[:160]}"')
        for i, phrase, why in hist: print(f'{path.name} cell {i}: {why} in a chapter: "{phrase}"')
    if a.only in (None, 'budgets'):
        over = check_budgets(all_nbs, cache)
        problems += len(over)
        for name, what in over: print(f'{name}: {what}')
        if a.summary: print(budget_table(all_nbs, cache))
    if problems: sys.exit(f'check_book: {problems} finding(s). Numbers: print them or fix the prose; history: say what is true now; '
                          'budgets: move depth to an appendix.')
    print(f'check_book: {len(paths)} notebooks: every prose number is on its page, no history in the chapters, budgets hold')


if __name__ == '__main__': main()
