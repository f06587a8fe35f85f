"""Run `open_clip_train.main` with model configs from an extra folder (how the benchmark trains OpenCLIP).

    python bench/openclip_train.py MODEL_CONFIG_DIR --model clipnb-tiny --train-data train.csv --dataset-type csv ...

`clip_nb.bench.bench_end_to_end` writes MODEL_CONFIG_DIR/clipnb-tiny.json (the tiny preset's
architecture as an OpenCLIP model config) and the CSV, then runs these same three lines
(`clip_nb.bench.OPENCLIP_WRAPPER`) with `python -c`.
"""
import sys, open_clip
open_clip.add_model_config(sys.argv[1])
from open_clip_train.main import main
main(sys.argv[2:])
