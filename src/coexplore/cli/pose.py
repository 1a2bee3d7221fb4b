"""`coexplore data show`: look at the pose data (a grid of samples with joints and skeleton drawn)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from coexplore.cli.common import check_output_file, console, print_json
from coexplore.errors import CoexploreError

data_app = typer.Typer(help="Pose datasets: look at the samples a training would see.", no_args_is_help=True)

SIDE_COLOURS = {"right": "#ff4040", "left": "#40a0ff", "centre": "#40ff70"}  # right red, left blue
PANEL_INCHES = 2.0
MAX_SAMPLES = 256


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.add_typer(data_app, name="data")


@data_app.command("show")
def show(
    source: Annotated[str, typer.Argument(help="synthetic | mpii:PATH | coco:PATH | keypoints:PATH | fly")],
    out: Annotated[Path, typer.Option("--out", help="PNG file to write")] = Path("samples.png"),
    n: Annotated[int, typer.Option("--n", help="number of samples")] = 16,
    res: Annotated[int, typer.Option("--res", help="network input resolution, px")] = 128,
    split: Annotated[str, typer.Option("--split", help="train | val")] = "train",
    augment: Annotated[
        bool, typer.Option("--augment", help="apply the training augmentation (rotation, scale, flip)")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="dataset seed (synthetic scenes, augmentation)")] = 0,
    start: Annotated[int, typer.Option("--start", help="first record index")] = 0,
    image_dir: Annotated[Path | None, typer.Option("--image-dir", help="image folder (mpii:, coco:)")] = None,
    pose_prior: Annotated[
        Path | None, typer.Option("--pose-prior", help="synthetic: MPII valid.h5 or JSON of real poses")
    ] = None,
    holdout: Annotated[
        str | None,
        typer.Option("--holdout", help="single annotation file: hash (80/20 by image) | none; keypoints: fixed | none"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print what was drawn as JSON")] = False,
) -> None:
    """Write a grid of samples with their joints and skeleton (right side red, left blue)."""
    from coexplore.pose import open_dataset

    if not 1 <= n <= MAX_SAMPLES:
        raise CoexploreError(f"must be in 1..{MAX_SAMPLES}, got {n}", field="--n", fix="e.g. --n 16")
    options: dict[str, Any] = {}
    if image_dir is not None:
        options["image_dir"] = image_dir
    if pose_prior is not None:
        options["pose_prior"] = pose_prior
    if holdout is not None:
        options["holdout"] = holdout
    check_output_file(out, "--out")
    dataset = open_dataset(source, split, res, augment=augment, seed=seed, **options)
    if start < 0 or start >= len(dataset):
        raise CoexploreError(f"{start} is outside the {len(dataset)} records", field="--start",
                             fix=f"give a record index in 0..{len(dataset) - 1}")
    indices = list(range(start, min(len(dataset), start + n)))
    samples = [dataset[i] for i in indices]
    _draw_grid(dataset, samples, out)
    summary = {
        "out": str(out),
        "dataset": dataset.name,
        "split": split,
        "records_in_split": len(dataset),
        "input_res": res,
        "augment": augment,
        "samples": [
            {
                **dataset.record_info(i),
                "visible_joints": int(s["visible"].sum()),
                "normalizer_px": round(float(s["normalizer"]), 2),
            }
            for i, s in zip(indices, samples)
        ],
    }
    if as_json:
        print_json(summary)
    else:
        console.print(
            f"wrote [bold]{out}[/]: {len(samples)} {dataset.name} {split} samples at {res}×{res} of {len(dataset)} (joints: right red, left blue)"
        )


def _draw_grid(dataset: Any, samples: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = math.ceil(math.sqrt(len(samples)))
    rows = math.ceil(len(samples) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * PANEL_INCHES, rows * PANEL_INCHES), squeeze=False)
    sides = [dataset.layout.side(j) for j in range(dataset.num_joints)]
    for ax in axes.flat:
        ax.axis("off")
    for ax, sample in zip(axes.flat, samples):
        ax.imshow(sample["image"].permute(1, 2, 0).numpy(), interpolation="nearest")
        joints, visible = sample["joints"].numpy(), sample["visible"].numpy() > 0
        for a, b in dataset.skeleton:
            if visible[a] and visible[b]:
                side = sides[b] if sides[b] != "centre" else sides[a]
                ax.plot(joints[[a, b], 0], joints[[a, b], 1], "-", color=SIDE_COLOURS[side], linewidth=1.2)
        for j in map(int, visible.nonzero()[0]):
            ax.plot(
                joints[j, 0],
                joints[j, 1],
                "o",
                color=SIDE_COLOURS[sides[j]],
                markersize=2.5,
                markeredgecolor="black",
                markeredgewidth=0.4,
            )
        ax.set_title(f"#{int(sample['index'])}", fontsize=7)
        ax.set_xlim(-0.5, dataset.input_res - 0.5)
        ax.set_ylim(dataset.input_res - 0.5, -0.5)
    fig.tight_layout(pad=0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(out, dpi=100)
    except OSError as exc:
        raise CoexploreError(f"cannot write the image ({exc})", field=str(out)) from exc
    finally:
        plt.close(fig)
