"""Streaming shards against the image cache: loader throughput, the training step's consumption, peak memory.

Writes the captioned-shapes default data as webdataset shards (once, into --out, default a folder next to
clip_nb's data) and measures, for the tiny preset:
  throughput  images/s from clip_nb.shards.shard_loader and from the cached clip_nb.data.train_loader, each after
              its first batch, and images/s a tiny bf16 training step consumes; prints the ratios
  --rss DIR   one epoch streamed from the shards in DIR with no model, in this process and its loader worker, as
              the Trainer runs it (keep_freed_memory in the main process): the peak resident size (VmHWM) of each,
              the worker's size when it starts (pages shared with the main process) and the peak of the whole
              tree's proportional set size (shared pages counted once), sampled from /proc every 20 ms.
              --default-malloc leaves the workers with the malloc settings they inherit (no mmap_batch_buffers).
              Run it in a fresh process per measurement, as below.

    python bench/bench_shards.py                          # throughput
    python bench/bench_shards.py --rss SHARD_DIR          # peak memory of one streamed epoch
"""
import argparse, json, os, statistics, sys, threading, time, warnings
from pathlib import Path
import torch
from clip_nb.config import get_preset
from clip_nb.data import default_data_dir, load_records, build_datasets, train_loader
from clip_nb.shards import SHARD_INDEX, open_shards, shard_loader, build_shard_datasets, write_shards
from clip_nb.tokenizer import build_tokenizer


def default_shards(out=None, repeat=1):
    "The default shapes data as shards (written on first use)."
    out = Path(out or default_data_dir() / 'shards' / f'shapes-x{repeat}')
    if not (out / SHARD_INDEX).exists():
        cfg = get_preset('tiny')
        recs, _ = load_records(cfg, verbose=False)
        write_shards(recs, out, cfg.img_size, seed=cfg.seed, repeat=repeat, verbose=True)
    return out


def time_loader(dl, max_batches):
    it = iter(dl); next(it)                 # workers started, first batch out
    n, t = 0, time.perf_counter()
    for i, (images, *_) in enumerate(it):
        n += len(images)
        if i + 1 >= max_batches: break
    dt = time.perf_counter() - t; del it
    return n / dt


def step_rate(cfg, reps=10):
    "Images/s of the tiny training step (bf16, the preset's threads), as the Trainer runs it."
    from clip_nb.model import CLIP
    from clip_nb.training import FeatureModel, build_optimizer, contrastive_backward, optimizer_step, build_grad_scaler
    torch.manual_seed(0); model = CLIP(cfg); fm = FeatureModel(model); opt = build_optimizer(model, cfg)
    scaler = build_grad_scaler(torch.device('cpu'), cfg.precision)
    x = torch.randn(cfg.batch_size, 3, cfg.img_size, cfg.img_size); t = torch.randint(1, cfg.vocab_size, (cfg.batch_size, cfg.context_length))
    ts = []
    for k in range(reps + 2):
        t0 = time.perf_counter(); contrastive_backward(fm, x, t, 1, cfg.precision, scaler); optimizer_step(opt, scaler, cfg.grad_clip)
        if k >= 2: ts.append(time.perf_counter() - t0)
    return cfg.batch_size / statistics.median(ts)


def throughput(a):
    cfg = get_preset('tiny', data_path=None, shuffle_buffer=a.shuffle_buffer)
    if cfg.num_threads: torch.set_num_threads(cfg.num_threads)
    nw = cfg.num_workers if a.workers is None else a.workers
    sh = default_shards(a.out)
    scfg = cfg.replace(dataset='shards', data_path=str(sh))
    ds = build_shard_datasets(scfg, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore'); tok = build_tokenizer(cfg, ds['train'].all_captions())
    r_sh = time_loader(shard_loader(ds['train'].index, scfg, tok, num_workers=nw), a.max_batches)
    cds = build_datasets(cfg, verbose=False)
    r_cache = time_loader(train_loader(cds['train'], cfg, tok, drop_last=True, num_workers=nw), a.max_batches)
    r_step = step_rate(cfg)
    row = dict(kind='shards', setting='tiny', batch=cfg.batch_size, num_workers=nw, shuffle_buffer=cfg.shuffle_buffer,
               shards_img_s=r_sh, cache_img_s=r_cache, step_img_s=r_step, ratio_shards_step=r_sh / r_step,
               ratio_shards_cache=r_sh / r_cache, load=os.getloadavg()[0])
    print(f'shard loader: {r_sh:.0f} images/s | cached loader: {r_cache:.0f} images/s | tiny bf16 training step: {r_step:.0f} images/s')
    print(f'shards / step = {r_sh / r_step:.2f}x, shards / cache = {r_sh / r_cache:.2f} ({nw} worker(s), batch {cfg.batch_size}, '
          f'load average {row["load"]:.1f})')
    print(json.dumps(row))


def proc_mb(pid):
    "Resident sizes of a process from /proc, in MB: VmRSS, VmHWM (its peak), RssAnon, RssFile, RssShmem, Pss."
    out = {}
    try:
        for line in open(f'/proc/{pid}/status'):
            k, v = line.split(':', 1)
            if k in ('VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem'): out[k] = int(v.split()[0]) / 1024
        for line in open(f'/proc/{pid}/smaps_rollup'):
            if line.startswith('Pss:'): out['Pss'] = int(line.split()[1]) / 1024
    except OSError: return {}
    return out


def children(pid):
    kids = []
    for t in os.listdir(f'/proc/{pid}/task'):
        try: kids += [int(x) for x in open(f'/proc/{pid}/task/{t}/children').read().split()]
        except OSError: pass
    return kids


def rss(a):
    from clip_nb.loop import keep_freed_memory
    import clip_nb.shards
    cfg = get_preset('tiny', dataset='shards', data_path=str(a.rss), shuffle_buffer=a.shuffle_buffer)
    if cfg.num_threads: torch.set_num_threads(cfg.num_threads)
    if a.workers is not None: cfg = cfg.replace(num_workers=a.workers)
    keep_freed_memory()                                # as the Trainer does on a CPU (the workers inherit it)
    if a.default_malloc: clip_nb.shards.mmap_batch_buffers = lambda: False
    ix = open_shards(a.rss)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore'); tok = build_tokenizer(cfg, ix.train_captions.read_text().splitlines())
    me, peak, first, done = os.getpid(), {}, {}, threading.Event()
    def sample():
        while not done.is_set():
            sizes = {pid: proc_mb(pid) for pid in [me] + children(me)}
            for pid, m in sizes.items():
                if pid != me and m: first.setdefault(pid, m)
                for k, v in m.items(): peak[pid, k] = max(peak.get((pid, k), 0), v)
            peak['tree'] = max(peak.get('tree', 0), sum(m.get('Pss', 0) for m in sizes.values()))
            time.sleep(0.02)
    th = threading.Thread(target=sample, daemon=True); th.start()
    dl = shard_loader(ix, cfg, tok); dl.set_epoch(0)
    t0, n = time.perf_counter(), 0
    for images, tokens, idx in dl: n += len(images)
    dt = time.perf_counter() - t0
    done.set(); th.join()
    workers = sorted(first)
    row = dict(samples=len(ix), shards=len(ix.urls), images=n, seconds=dt, num_workers=cfg.num_workers,
               malloc='inherited' if a.default_malloc else 'mmap_batch_buffers',
               main_rss_mb=proc_mb(me)['VmHWM'], worker_rss_mb=max(peak[w, 'VmHWM'] for w in workers),
               worker_start_mb=max(first[w]['VmRSS'] for w in workers),
               worker_anon_growth_mb=max(peak[w, 'RssAnon'] - first[w]['RssAnon'] for w in workers), tree_pss_mb=peak['tree'])
    del dl
    print(json.dumps(row))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--rss', help='a shard folder: measure the peak memory of one streamed epoch')
    p.add_argument('--out', help='where the default shards are written (default: next to the shapes data)')
    p.add_argument('--workers', type=int, default=1, help='loader workers (default 1, as measured in the shards appendix, nbs/a2_shards.ipynb; the tiny preset uses 0)')
    p.add_argument('--shuffle-buffer', type=int, default=1000)
    p.add_argument('--max-batches', type=int, default=30)
    p.add_argument('--default-malloc', action='store_true', help='--rss: workers keep the malloc settings they inherit')
    a = p.parse_args()
    rss(a) if a.rss else throughput(a)
