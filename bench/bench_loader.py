"""Throughput of clip_nb's training loader: images per second delivered to the training loop.

Runs the tiny preset on the captioned-shapes default (generated on first use, then cached) with the
uint8 image cache, and iterates the training loader for a few epochs without a model. The first epoch
includes starting the worker processes; the later epochs are the steady state a training run sees.

    python bench/bench_loader.py                  # tiny preset (its num_workers), cache on
    python bench/bench_loader.py --workers 2      # two loader processes
    python bench/bench_loader.py --workers 0      # everything in the main process
    python bench/bench_loader.py --no-cache       # decode the JPEGs on every access
"""
import argparse, os, time
import torch
from clip_nb.config import get_preset
from clip_nb.data import build_datasets, train_loader


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--preset', default='tiny')
    p.add_argument('--workers', type=int, default=None, help='DataLoader worker processes (default: the preset)')
    p.add_argument('--batch-size', type=int, default=None, help='default: the preset batch size')
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--no-cache', action='store_true', help='decode images on every access instead of using the cache')
    p.add_argument('--data-path', default=None, help='shapes folder (default: the generated default dataset)')
    a = p.parse_args()
    over = dict(cache_images=not a.no_cache, data_path=a.data_path)
    if a.workers is not None: over['num_workers'] = a.workers
    if a.batch_size: over['batch_size'] = a.batch_size
    cfg = get_preset(a.preset, **over)
    if getattr(cfg, 'num_threads', 0): torch.set_num_threads(cfg.num_threads)  # as the trainer does
    t0 = time.time(); dss = build_datasets(cfg, verbose=False)
    print(f'datasets ready in {time.time() - t0:.1f}s: train {len(dss["train"])} images, {len(dss["train"].captions)} captions')
    from clip_nb.tokenizer import build_tokenizer
    t0 = time.time(); tok = build_tokenizer(cfg, dss['train'].all_captions())
    print(f'tokenizer ready in {time.time() - t0:.1f}s ({len(tok)} ids)')
    t0 = time.time(); dl = train_loader(dss['train'], cfg, tok, drop_last=True)
    print(f'captions tokenized in {time.time() - t0:.1f}s')
    print(f'preset {a.preset}: img_size {cfg.img_size}, batch {dl.batch_size}, workers {dl.num_workers}, '
          f'cache {"on" if cfg.cache_images else "off"}, torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}, '
          f'load average {os.getloadavg()[0]:.1f}')
    rates = []
    for epoch in range(a.epochs):
        dl.sampler.set_epoch(epoch)
        t0, n = time.time(), 0
        for images, tokens, idx in dl: n += len(images)
        dt = time.time() - t0; rates.append(n / dt)
        print(f'epoch {epoch}: {n} images in {dt:.2f}s = {n / dt:.0f} images/s' + ('  (includes worker start-up)' if epoch == 0 else ''))
    steady = rates[1:] or rates
    print(f'steady state: {sum(steady) / len(steady):.0f} images/s')


if __name__ == '__main__':
    main()
