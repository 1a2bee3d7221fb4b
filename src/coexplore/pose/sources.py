"""Data sources by name: `open_dataset("mpii:PATH", "val", 256)` and the registry of loaders.

The one module that knows every loader; the loaders know only the base classes, so imports run one
way (sources → loaders → records → dataset).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coexplore.errors import CoexploreError, choice_error
from coexplore.pose.coco import open_coco
from coexplore.pose.dataset import PoseDataset, SplitRequest
from coexplore.pose.keypoints import open_keypoints
from coexplore.pose.mpii import open_mpii
from coexplore.pose.synthetic import open_synthetic

SOURCES: tuple[str, ...] = ("synthetic", "mpii:PATH", "coco:PATH", "keypoints:PATH", "fly")
# kind → loader: `loader(SplitRequest, **options)` for synthetic, `loader(path, SplitRequest, **options)`
# for the others. Each loader imports its heavy dependencies (h5py, pycocotools) only when called.
PATHLESS_LOADERS: dict[str, Callable[..., PoseDataset]] = {"synthetic": open_synthetic}
FILE_LOADERS: dict[str, Callable[..., PoseDataset]] = {
    "mpii": open_mpii,
    "coco": open_coco,
    "keypoints": open_keypoints,
}
FLY_FILE = Path("fly") / "example_annotation_set.h5"


def open_dataset(
    source: str,
    split: str,
    input_res: int,
    *,
    augment: bool = False,
    seed: int = 0,
    size: int | None = None,
    **options: Any,
) -> PoseDataset:
    """Open a pose dataset by source string (see SOURCES).

    size: synthetic images per split (default train 4000, val 500); for real data, keep only the
    first `size` records of the split. Options per source: synthetic — pose_prior, cache, and the
    `SyntheticConfig` fields; mpii/coco — image_dir, holdout ("hash" | "none"); keypoints —
    joint_names, skeleton_csv, holdout ("fixed" | "none"). Malformed input raises CoexploreError
    naming the file and record.
    """
    request = SplitRequest(split, input_res, augment=augment, seed=seed, size=size)
    kind, _, path = str(source).partition(":")
    kind = kind.strip().lower()
    if kind == "fly" and not path:
        kind, path = "keypoints", str(find_fly_file())
        options.setdefault("name", "fly")
    if kind in PATHLESS_LOADERS:
        if path:
            raise CoexploreError(
                f"{kind} takes no path, got {source!r}",
                field="data source",
                fix="use 'synthetic' (a pose prior goes in pose_prior= / --pose-prior)",
            )
        loader = PATHLESS_LOADERS[kind]
        _check_options(kind, loader, options)
        return loader(request, **options)
    if kind not in FILE_LOADERS:
        raise choice_error("data source", source, SOURCES)
    loader = FILE_LOADERS[kind]
    _check_options(kind, loader, options)
    if not path:
        raise CoexploreError(f"{kind} needs a path", field="data source", fix=f"use {kind}:PATH")
    return loader(Path(path).expanduser(), request, **options)


def _check_options(kind: str, loader: Callable[..., PoseDataset], options: dict[str, Any]) -> None:
    """Every option must be one of the loader's keyword-only parameters."""
    accepted = [p.name for p in inspect.signature(loader).parameters.values() if p.kind == p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise CoexploreError(
            f"unknown option(s) {', '.join(unknown)} for {kind}",
            field="data options",
            fix=f"{kind} accepts: {', '.join(accepted) or 'none'}",
        )


def _shared_data_dir() -> Path:
    env = os.environ.get("COEXPLORE_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def find_fly_file() -> Path:
    """The shared DeepPoseKit fly set: $COEXPLORE_FLY, $COEXPLORE_SHARED_DATA/fly, or ../shared/data/fly."""
    candidates = [Path(os.environ["COEXPLORE_FLY"])] if os.environ.get("COEXPLORE_FLY") else []
    candidates += [_shared_data_dir() / FLY_FILE, Path.cwd().parent / "shared" / "data" / FLY_FILE]
    for path in candidates:
        if path.is_file():
            return path
    raise CoexploreError(
        "the fly set was not found (looked in: " + ", ".join(map(str, candidates)) + ")",
        field="fly",
        fix="set COEXPLORE_FLY to example_annotation_set.h5, or use keypoints:PATH",
    )
