"""Where a training step's time goes, by kind of operation: clip_nb as it is, clip_nb with its two CPU-specific choices
switched off (bf16 attention on SDPA instead of `attention_bmm`, AdamW without the fused kernel: the "before"), and OpenCLIP,
all on identical weights, profiled with `torch.profiler` in one process.

    python bench/profile_step.py [--setting b16|tiny] [--precision bf16|fp32] [--steps 3] [--threads 2]

Each operation's self time is put in one category: matrix products (mm, addmm, bmm, baddbmm and the patch convolution,
forward and backward), the fused attention kernel (SDPA), softmax, norms, activations (GELU), casts and copies, the
optimizer (everything inside `Optimizer.step`), and the rest (elementwise arithmetic, reductions, bookkeeping). Prints ms
per step in each category and its share of the profiled step.
"""
import argparse
import torch
from torch.profiler import ProfilerActivity, profile
from clip_nb.attention import MultiHeadAttention
from clip_nb.bench import bench_config, build_pair, clipnb_step, openclip_step, random_batch
from clip_nb.loop import keep_freed_memory

CATEGORIES = [('matrix products', ('aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm', 'aten::mkldnn_convolution',
                                   'aten::convolution_backward')),
              ('attention kernel (SDPA)', ('aten::_scaled_dot_product_flash_attention_for_cpu',
                                           'aten::_scaled_dot_product_flash_attention_for_cpu_backward')),
              ('softmax', ('aten::_softmax', 'aten::_softmax_backward_data')),
              ('norms', ('aten::native_layer_norm', 'aten::native_layer_norm_backward')),
              ('activations', ('aten::gelu', 'aten::gelu_backward')),
              ('casts and copies', ('aten::copy_', 'aten::_to_copy', 'aten::clone'))]

def category(ev):
    p = ev.cpu_parent
    while p is not None:
        if p.name.startswith('Optimizer.step'): return 'optimizer'
        p = p.cpu_parent
    for name, ops in CATEGORIES:
        if ev.name in ops: return name
    return 'rest' if ev.name.startswith('aten::') else None

def profile_step(step, x, t, steps):
    for _ in range(2): step(x, t)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps): step(x, t)
    out = {}
    for ev in prof.events():
        c = category(ev)
        if c: out[c] = out.get(c, 0.) + ev.self_cpu_time_total / 1e3 / steps
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--setting', default='b16', choices=('b16', 'tiny'))
    p.add_argument('--precision', default='bf16', choices=('bf16', 'fp32'))
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    keep_freed_memory(); torch.set_num_threads(a.threads)
    cfg = bench_config(a.setting); nb, oc = build_pair(cfg); x, t = random_batch(cfg, 8 if a.setting == 'b16' else 128)
    s_nb, s_oc = clipnb_step(nb, a.precision), openclip_step(oc, a.precision)
    def before(x, t):
        MultiHeadAttention.cpu_lowp_bmm = False
        for g in s_nb.optimizer.param_groups: g['fused'] = False
        try: return s_nb(x, t)
        finally:
            MultiHeadAttention.cpu_lowp_bmm = True
            for g in s_nb.optimizer.param_groups: g['fused'] = True
    cols = {'clip_nb': profile_step(s_nb, x, t, a.steps), 'clip_nb before': profile_step(before, x, t, a.steps),
            'OpenCLIP': profile_step(s_oc, x, t, a.steps)}
    names = [n for n, _ in CATEGORIES] + ['optimizer', 'rest']
    print(f'{a.setting} {a.precision} training step, ms per step (share), {a.steps} profiled steps, {a.threads} threads\n')
    print('| category | ' + ' | '.join(cols) + ' |'); print('|---|' + '---|' * len(cols))
    for n in names + ['total']:
        cells = []
        for c in cols.values():
            tot = sum(c.values()); v = tot if n == 'total' else c.get(n, 0.)
            cells.append(f'{v:.0f} ({100 * v / tot:.0f}%)' if v >= 1 or n == 'total' else f'{v:.1f} ({100 * v / tot:.1f}%)')
        print(f'| {n} | ' + ' | '.join(cells) + ' |')

if __name__ == '__main__': main()
