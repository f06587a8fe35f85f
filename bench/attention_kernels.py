"""Two CPU attention kernel choices of clip_nb, each timed inside a whole training step (forward, contrastive loss,
backward, AdamW) both ways in alternation in one process, with OpenCLIP on identical weights as the peer.

    python bench/attention_kernels.py [--what fp32_attention bf16_softmax] [--shapes tiny mid b16] [--reps 25] [--threads 2]

fp32_attention: float32 attention on SDPA against `attention_bmm` (`MultiHeadAttention.cpu_fp32_bmm_max_len`: 0 forces
SDPA, a large value forces `attention_bmm`, the default of 32 tokens is what clip_nb does).
bf16_softmax: the bf16 step with PyTorch's bf16 softmax against `row_softmax`'s float32 route for rows of 16-31 entries
(`clip_nb.attention.FP32_SOFTMAX_ROWS`).
Shapes: tiny (the tiny preset: 17 image and 28 text tokens), mid (the benchmark appendix's mid shape: 65 and 77 tokens,
with the tiny vocabulary), b16 (ViT-B-16: 197 and 77). Prints the median step time of each and the ratio OpenCLIP / clip_nb.
"""
import argparse, statistics
import torch
from clip_nb import attention
from clip_nb.attention import MultiHeadAttention
from clip_nb.bench import E2E_SHAPES, alternate, bench_config, build_pair, clipnb_step, openclip_step, random_batch
from clip_nb.loop import keep_freed_memory

BATCH = {'tiny': 128, 'mid': 128, 'b16': 8}
WHAT = {  # name -> (precision, {variant: setter}, the variant clip_nb uses by default for (image, text) tokens)
    'fp32_attention': ('fp32', {'SDPA': lambda: setattr(MultiHeadAttention, 'cpu_fp32_bmm_max_len', 0),
                                'attention_bmm': lambda: setattr(MultiHeadAttention, 'cpu_fp32_bmm_max_len', 10**6)},
                       lambda toks: 'attention_bmm' if max(toks) <= 32 else 'SDPA' if min(toks) > 32 else 'both'),
    'bf16_softmax': ('bf16', {'bf16 softmax': lambda: setattr(attention, 'FP32_SOFTMAX_ROWS', range(0)),
                              'row_softmax': lambda: setattr(attention, 'FP32_SOFTMAX_ROWS', range(16, 32))},
                     lambda toks: 'row_softmax' if any(16 <= t < 32 for t in toks) else 'either (no row of 16-31)'),
}

def config(shape):
    "The shape's Config (mid: with the tiny preset's vocabulary of 1024 instead of CLIP's, which only the embedding table sees)."
    return bench_config('tiny', **E2E_SHAPES['mid']) if shape == 'mid' else bench_config(shape)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--what', nargs='+', default=list(WHAT), choices=list(WHAT))
    p.add_argument('--shapes', nargs='+', default=['tiny', 'mid'], choices=list(BATCH))
    p.add_argument('--reps', type=int, default=25, help='timed steps of each variant (median reported)')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    keep_freed_memory(); torch.set_num_threads(a.threads)
    saved = MultiHeadAttention.cpu_fp32_bmm_max_len, attention.FP32_SOFTMAX_ROWS
    for what in a.what:
        precision, variants, default = WHAT[what]
        (v0, set0), (v1, set1) = variants.items()
        print(f'\n{what} ({precision} training step, median of {a.reps})\n')
        print(f'| shape | tokens (image, text) | {v0} ms | {v1} ms | OpenCLIP ms | ratio with {v0} | ratio with {v1} | clip_nb default |')
        print('|---|---|---|---|---|---|---|---|')
        for shape in a.shapes:
            cfg = config(shape); nb, oc = build_pair(cfg); x, t = random_batch(cfg, BATCH[shape])
            s_nb, s_oc = clipnb_step(nb, precision), openclip_step(oc, precision)
            def run(setter):
                def f(): setter(); s_nb(x, t)
                return f
            times = alternate({v0: run(set0), v1: run(set1), 'oc': lambda: s_oc(x, t)}, reps=a.reps)
            MultiHeadAttention.cpu_fp32_bmm_max_len, attention.FP32_SOFTMAX_ROWS = saved
            m = {k: statistics.median(v) * 1e3 for k, v in times.items()}
            toks = ((cfg.img_size // cfg.patch_size) ** 2 + 1, cfg.context_length)
            print(f"| {shape} | {toks[0]}, {toks[1]} | {m[v0]:.1f} | {m[v1]:.1f} | {m['oc']:.1f} | {m['oc'] / m[v0]:.2f} | "
                  f"{m['oc'] / m[v1]:.2f} | {default(toks)} |", flush=True)

if __name__ == '__main__': main()
