"""Float32 attention on a CPU: the fused SDPA kernel against `attention_bmm` inside a whole training step (forward,
contrastive loss, backward, AdamW), OpenCLIP on identical weights as the peer, timed in alternation in one process.

    python bench/attention_fp32.py [--shapes tiny mid b16] [--reps 25] [--threads 2]

`MultiHeadAttention.cpu_fp32_bmm_max_len` picks the kernel: 0 forces SDPA, a large value forces `attention_bmm`, and the
default (32 tokens) is what clip_nb does. Shapes: tiny (the tiny preset: 17 image and 28 text tokens), mid (the benchmark
chapter's mid shape: 65 image and 77 text tokens), b16 (ViT-B-16: 197 and 77). Prints the median step time of each and the
ratio OpenCLIP / clip_nb.
"""
import argparse, statistics
import torch
from clip_nb.attention import MultiHeadAttention
from clip_nb.bench import E2E_SHAPES, alternate, bench_config, build_pair, clipnb_step, openclip_step, random_batch
from clip_nb.loop import keep_freed_memory

BATCH = {'tiny': 128, 'mid': 128, 'b16': 8}

def config(shape):
    "The shape's Config (mid: with the tiny preset's vocabulary of 1024 instead of CLIP's, which only the embedding table sees)."
    return bench_config('tiny', **E2E_SHAPES['mid']) if shape == 'mid' else bench_config(shape)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--shapes', nargs='+', default=['tiny', 'mid'], choices=list(BATCH))
    p.add_argument('--reps', type=int, default=25, help='timed steps of each variant (median reported)')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    keep_freed_memory(); torch.set_num_threads(a.threads)
    default = MultiHeadAttention.cpu_fp32_bmm_max_len
    print(f'| shape | tokens (image, text) | SDPA ms | attention_bmm ms | OpenCLIP ms | ratio with SDPA | ratio with attention_bmm | clip_nb default |')
    print('|---|---|---|---|---|---|---|---|')
    for shape in a.shapes:
        cfg = config(shape); nb, oc = build_pair(cfg); x, t = random_batch(cfg, BATCH[shape])
        s_nb, s_oc = clipnb_step(nb, 'fp32'), openclip_step(oc, 'fp32')
        def with_len(n):
            def f(): MultiHeadAttention.cpu_fp32_bmm_max_len = n; s_nb(x, t)
            return f
        times = alternate({'sdpa': with_len(0), 'bmm': with_len(10**6), 'oc': lambda: s_oc(x, t)}, reps=a.reps)
        MultiHeadAttention.cpu_fp32_bmm_max_len = default
        m = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        toks = ((cfg.img_size // cfg.patch_size) ** 2 + 1, cfg.context_length)
        pick = 'attention_bmm' if max(toks) <= default else 'SDPA' if min(toks) > default else 'both'
        print(f"| {shape} | {toks[0]}, {toks[1]} | {m['sdpa']:.1f} | {m['bmm']:.1f} | {m['oc']:.1f} | {m['oc'] / m['sdpa']:.2f} | "
              f"{m['oc'] / m['bmm']:.2f} | {pick} |", flush=True)

if __name__ == '__main__': main()
