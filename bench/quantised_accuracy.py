"""Accuracy at the accelerator's precision: fp32 / int16 / int8 for three networks on two data sets.

Each network trains once in fp32; `evaluate_quantized` then scores it in float and after
post-training quantisation to int16 and int8 (power-of-two scales, 32-bit accumulator, calibrated
on the training split; `coexplore.pose.quantization`). It prints the accuracy at each precision,
the drop from fp32 in points, and the extra time a quantised evaluation adds to a trial (calibration
+ one validation pass per precision) against the trial's training time, measured in the same run.

    .venv/bin/python bench/quantised_accuracy.py            # the full benchmark
    .venv/bin/python bench/quantised_accuracy.py --quick    # a smoke version
    .venv/bin/python bench/quantised_accuracy.py --json out.json

Exits non-zero when an int16 accuracy is more than INT16_TOLERANCE points from fp32 (the claim
that int16 post-training quantisation is lossless at this scale).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from coexplore.pose.checkpoint import load_checkpoint, restore_model
from coexplore.pose.evaluation import evaluate_quantized
from coexplore.pose.train_config import TrainConfig
from coexplore.pose.trainer import train
from coexplore.search.networks import hourglass_network

REPO = Path(__file__).resolve().parents[1]
FLY = REPO.parent / "shared" / "data" / "fly" / "example_annotation_set.h5"
NETWORKS = ["hg-s1-o3-f16-r64-scaled", "tiny", "hg-s1-o2-f48-r64-scaled"]
INT16_TOLERANCE = 0.2  # points of PCK; the bound
PRECISIONS = ("fp32", "int16", "int8")


def budgets(quick: bool) -> dict[str, TrainConfig]:
    common = dict(batch_size=16, seed=0, lr=5e-3)
    if quick:
        return {"synthetic": TrainConfig(epochs=1, train_size=64, val_size=32, **common),
                f"keypoints:{FLY}": TrainConfig(epochs=1, train_size=None, val_size=None, **common)}
    return {"synthetic": TrainConfig(epochs=6, train_size=384, val_size=128, **common),
            f"keypoints:{FLY}": TrainConfig(epochs=20, train_size=None, val_size=None, **common)}


def run_one(spec: str, data: str, cfg: TrainConfig, folder: Path) -> dict:
    network = hourglass_network(spec)
    cfg = cfg.model_copy(update={"checkpoint_dir": str(folder)})
    trained = train(network, data, cfg, progress=False)
    state = load_checkpoint(folder)
    model = restore_model(state, hourglass_network(state["spec"]), source=folder)
    timings = {}
    for precisions in (["fp32"], list(PRECISIONS)):
        started = time.perf_counter()
        scores = evaluate_quantized(model, data, cfg, precisions=precisions, label=state["spec"],
                                    input_res=network.input_res)
        timings[len(precisions)] = time.perf_counter() - started
    return {
        "network": spec, "data": "fly" if data.startswith("keypoints:") else data, "metric": trained.metric,
        "train_s": trained.train_s, **{p: scores[p].accuracy for p in PRECISIONS},
        "fp32_eval_s": timings[1], "quantised_extra_s": timings[len(PRECISIONS)] - timings[1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for data, cfg in budgets(args.quick).items():
            if data.startswith("keypoints:") and not FLY.is_file():
                print(f"skipping the fly set: {FLY} not found")
                continue
            for i, spec in enumerate(NETWORKS):
                row = run_one(spec, data, cfg, Path(tmp) / f"{i}-{len(rows)}")
                rows.append(row)
                print(f"{row['network']:28} {row['data']:9} {row['metric']:9} fp32 {row['fp32']:6.2f}  "
                      f"int16 {row['int16']:6.2f} ({row['int16'] - row['fp32']:+.2f})  "
                      f"int8 {row['int8']:6.2f} ({row['int8'] - row['fp32']:+.2f})  train {row['train_s']:6.1f} s  "
                      f"quantised eval +{row['quantised_extra_s']:5.1f} s "
                      f"({100 * row['quantised_extra_s'] / max(row['train_s'], 1e-9):.1f} % of training)",
                      flush=True)
    drops8 = [r["fp32"] - r["int8"] for r in rows]
    worst16 = max(abs(r["int16"] - r["fp32"]) for r in rows)
    print(f"int16 worst |drop| {worst16:.2f} points; int8 drop mean {sum(drops8) / len(drops8):+.2f}, "
          f"worst {max(drops8):+.2f} points (n={len(rows)})")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if worst16 > INT16_TOLERANCE and not args.quick:
        print(f"FAIL: int16 differs from fp32 by more than {INT16_TOLERANCE} points")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
