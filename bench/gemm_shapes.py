#!/usr/bin/env python
"""How fast can the ViT-B-16-shaped training step be on this CPU? The matrix products alone.

A training step's FLOPs are almost all in the linear layers, and each linear layer does three
matrix products: the forward product (x @ W.T), the input gradient (dY @ W) and the weight gradient
(dY.T @ x). This script times each of the three at the ViT-B-16 shapes (batch 8: 8 x 197 image
tokens of width 768, 8 x 77 text tokens of width 512), in bf16 and fp32, next to the square-matrix
peak that `clip_nb_bench` divides by, and adds them up into the time the linear layers' products
need per step. That time is a floor for the whole step (attention, normalisation, activations,
casts and the optimizer come on top), so its utilisation is a ceiling for the step's.

    python bench/gemm_shapes.py [--threads 2] [--reps 10]
"""
import argparse, statistics

import torch

from clip_nb.bench import alternate, matmul_peak


def timed(f, reps):
    "Median seconds of `f()` over `reps` calls after warm-up (the benchmark's own timer)."
    return statistics.median(alternate({'f': f}, reps=reps, warmup=3)['f'])


def linear_shapes(batch=8):
    "(tokens, in, out, count) of every linear layer of a ViT-B-16 CLIP step."
    v, t = batch * 197, batch * 77
    return [(v, 768, 2304, 12), (v, 768, 768, 12), (v, 768, 3072, 12), (v, 3072, 768, 12),
            (t, 512, 1536, 12), (t, 512, 512, 12), (t, 512, 2048, 12), (t, 2048, 512, 12)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--reps', type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for dtype in (torch.bfloat16, torch.float32):
        name = str(dtype).replace('torch.', '')
        reps = a.reps if dtype == torch.bfloat16 else max(3, a.reps // 3)
        peak = matmul_peak(dtype, (1024, 2048, 4096), reps)   # the peak `clip_nb_bench` divides by
        print(f'{name}: square-matrix peak {peak / 1e9:.0f} GFLOP/s (best of 1024, 2048, 4096)')
        total_flops, total_time = 0., {'forward x@W.T': 0., 'input grad dY@W': 0., 'weight grad dY.T@x': 0.}
        for m, k, n, count in linear_shapes():
            x, w, dy = torch.randn(m, k).to(dtype), torch.randn(n, k).to(dtype), torch.randn(m, n).to(dtype)
            fl = 2 * m * k * n
            rates = {}
            for what, f in [('forward x@W.T', lambda: x @ w.t()), ('input grad dY@W', lambda: dy @ w),
                            ('weight grad dY.T@x', lambda: dy.t() @ x)]:
                s = timed(f, reps)
                rates[what] = fl / s
                total_time[what] += count * s
            total_flops += 3 * count * fl
            print(f'  ({m} x {k}) -> {n}: ' + ', '.join(f'{w_} {r / 1e9:.0f}' for w_, r in rates.items()) + ' GFLOP/s')
        t = sum(total_time.values())
        print(f'  linear layers of one step: {total_flops / 1e9:.0f} GFLOP in {t:.3f} s of products '
              f'({", ".join(f"{k} {v:.3f} s" for k, v in total_time.items())})')
        print(f'  -> {total_flops / t / 1e9:.0f} GFLOP/s = {100 * total_flops / t / peak:.0f}% of the peak: '
              f'the ceiling for a step that did nothing but these products')


if __name__ == '__main__':
    main()
