"""Benchmark on real images: the DeepPoseKit fly set (80 train / 20 val frames, 32 keypoints).

Two hourglass widths at 128×128 train for the same number of epochs; PCK@0.2 (bounding-box
normaliser) of each against the mean-pose baseline of the validation frames. This is the real-image
check a CPU can afford: under a minute per candidate on 1 core (measured: 30 s and 45 s).

    .venv/bin/python bench/train_fly.py            # the full benchmark
    .venv/bin/python bench/train_fly.py --quick    # a smoke version
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is a folder of scripts, not a package

from train_synthetic import main  # noqa: E402

FLY_DEFAULTS = [
    "--data", "fly",
    "--candidates", "hg-s1-o3-f16-r128-scaled", "hg-s1-o3-f32-r128-scaled",
    "--epochs", "40", "--train-size", "0", "--val-size", "0", "--no-overhead",
]

if __name__ == "__main__":
    sys.exit(main(FLY_DEFAULTS + sys.argv[1:], description=__doc__))
