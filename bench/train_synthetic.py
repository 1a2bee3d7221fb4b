"""Benchmark: does training give an accuracy signal that separates hourglass sizes, and what does it cost?

1. Accuracy: three candidates of growing width (F = 16, 32, 64 at 128×128, 1 stack) trained on the
   synthetic figures with the same budget; PCKh@0.5 of each, of the mean-pose baseline, and the wall
   time. The signal is useful when the order is F16 < F32 < F64 and all are well above the baseline.
2. Overhead: the trainer's images/s against a bare PyTorch loop (same model, data, loss, optimiser),
   medians of several interleaved runs, as a ratio (target: ≥ 0.90).

Numbers are noisy on a shared 2-core machine; the ratios and the order are what to read.

    .venv/bin/python bench/train_synthetic.py               # the full benchmark (~7 min, measured with --threads 1)
    .venv/bin/python bench/train_synthetic.py --quick       # a 1-minute smoke version
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from coexplore.nets import build, parse_spec
from coexplore.placement import core_count
from coexplore.pose.heatmaps import encode_heatmaps
from coexplore.pose.recipe import heatmap_loss
from coexplore.pose.rng import seed_everything
from coexplore.pose.sources import open_dataset
from coexplore.pose.train_config import TrainConfig
from coexplore.pose.trainer import train
from coexplore.search.networks import hourglass_network

CANDIDATES = (
    "hg-s1-o3-f16-r128-scaled",
    "hg-s1-o3-f32-r128-scaled",
    "hg-s1-o3-f64-r128-scaled",
)


def accuracy_part(candidates: list[str], data: str, cfg: TrainConfig) -> list[dict]:
    rows = []
    for spec in candidates:
        result = train(hourglass_network(spec), data, cfg, progress=False)
        row = {"spec": spec, "status": result.status, "reason": result.reason, "metric": result.metric,
               "accuracy": result.accuracy, "baseline": result.baseline_accuracy, "params": result.params,
               "wall_s": result.wall_s, "train_s": result.train_s, "images_per_s": result.images_per_s,
               "curve": [round(p["val_accuracy"], 2) for p in result.curve]}
        rows.append(row)
        print(f"  {spec:28s} {result.metric} {_pct(result.accuracy)}  baseline {_pct(result.baseline_accuracy)}  "
              f"params {result.params:>9,}  wall {result.wall_s:6.1f} s  {result.images_per_s:6.1f} img/s  "
              f"curve {row['curve']}", flush=True)
    return rows


def _pct(value: float | None) -> str:
    return "  failed" if value is None else f"{value:6.2f} %"


def bare_loop_images_per_s(spec_text: str, data: str, cfg: TrainConfig, steps: int) -> float:
    """The same work as one trainer epoch with nothing around it: load, encode, forward, backward, step."""
    spec = parse_spec(spec_text)
    dataset = open_dataset(data, "train", spec.input_res, augment=cfg.augment, seed=cfg.seed, size=cfg.train_size)
    spec = spec.replace(joints=dataset.num_joints)
    seed_everything(cfg.seed)
    model = build(spec)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loader = torch.utils.data.DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(cfg.seed))
    model.train()
    images_seen = 0
    tick = time.perf_counter()
    for step, batch in enumerate(loader):
        if step == steps:
            break
        targets, weights = encode_heatmaps(batch["joints"], batch["visible"], spec.input_res, spec.heatmap_res,
                                           cfg.sigma)
        loss = heatmap_loss(model(batch["image"]), targets, weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        images_seen += batch["image"].shape[0]
    return images_seen / (time.perf_counter() - tick)


def overhead_part(spec: str, data: str, cfg: TrainConfig, repeats: int) -> dict:
    steps = cfg.train_size // cfg.batch_size
    one_epoch = cfg.model_copy(update={"epochs": 1, "val_size": cfg.batch_size})
    trainer_ips, bare_ips = [], []
    torch.set_num_threads(cfg.threads or core_count())
    for _ in range(repeats):  # interleaved, so load changes on the machine hit both alike
        bare_ips.append(bare_loop_images_per_s(spec, data, cfg, steps))
        trainer_ips.append(train(hourglass_network(spec), data, one_epoch, progress=False).images_per_s)
    row = {"spec": spec, "trainer_images_per_s": statistics.median(trainer_ips),
           "bare_images_per_s": statistics.median(bare_ips), "runs": repeats,
           "trainer_all": trainer_ips, "bare_all": bare_ips}
    row["ratio"] = row["trainer_images_per_s"] / row["bare_images_per_s"]
    print(f"  {spec}: trainer {row['trainer_images_per_s']:.1f} img/s, bare loop {row['bare_images_per_s']:.1f} "
          f"img/s (medians of {repeats}) → ratio {row['ratio']:.3f} (target ≥ 0.90)")
    print(f"    trainer runs {[round(v, 1) for v in trainer_ips]}, bare runs {[round(v, 1) for v in bare_ips]}")
    return row


def main(argv: list[str] | None = None, description: str = __doc__) -> int:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="synthetic")
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=2000, help="0: every record (real data)")
    parser.add_argument("--val-size", type=int, default=300, help="0: every record (real data)")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--no-overhead", action="store_true", help="skip part 2")
    parser.add_argument("--no-accuracy", action="store_true", help="skip part 1")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side of the overhead comparison")
    parser.add_argument("--overhead-spec", default=CANDIDATES[1])
    parser.add_argument("--overhead-images", type=int, default=480)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="tiny budget: checks the script, not the claim")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.train_size, args.val_size, args.repeats, args.overhead_images = 1, 160, 64, 2, 96

    cfg = TrainConfig(epochs=args.epochs, batch_size=16, lr=args.lr, sigma=2.0, train_size=args.train_size or None,
                      val_size=args.val_size or None, threads=args.threads, seed=0)
    print(f"torch {torch.__version__}, {cfg.threads or core_count()} threads; budget {args.epochs} epochs × "
          f"{cfg.train_size or 'all'} training images, batch {cfg.batch_size}, Adam {cfg.lr:g}, σ {cfg.sigma}, "
          f"cosine; {cfg.val_size or 'all'} validation images; data {args.data}")
    rows, ordered, above = [], None, None
    if not args.no_accuracy:
        print("1. accuracy signal")
        started = time.perf_counter()
        rows = accuracy_part(args.candidates, args.data, cfg)
        scores = [r["accuracy"] for r in rows]
        ordered = all(s is not None for s in scores) and all(a < b for a, b in zip(scores, scores[1:]))
        baseline = max((r["baseline"] or 0.0) for r in rows)
        above = all(s is not None and s >= 2 * baseline for s in scores)
        print(f"  order of the candidates as expected (growing accuracy): {'yes' if ordered else 'NO'}; "
              f"every candidate ≥ 2× the mean-pose baseline ({baseline:.2f} %): {'yes' if above else 'NO'}; "
              f"{time.perf_counter() - started:.0f} s")

    overhead = None
    if not args.no_overhead:
        print("2. trainer overhead")
        overhead_cfg = cfg.model_copy(update={"train_size": args.overhead_images})
        overhead = overhead_part(args.overhead_spec, args.data, overhead_cfg, args.repeats)
    if args.json:
        args.json.write_text(json.dumps({"accuracy": rows, "ordered": ordered, "above_baseline": above,
                                         "overhead": overhead, "budget": cfg.model_dump(mode="json")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
