"""Score a network on the validation split of a data source: the same scoring the trainer runs after
every epoch, for a model the caller built (and loaded weights into, e.g. from a checkpoint)."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from coexplore.placement import torch_threads
from coexplore.pose.batches import data_loader, open_split
from coexplore.pose.device import resolve_device
from coexplore.pose.outcome import EvalResult
from coexplore.pose.train_config import TrainConfig
from coexplore.pose.validation import predict, score


def evaluate(
    model: nn.Module,
    data: str,
    cfg: TrainConfig | None = None,
    *,
    label: str,
    input_res: int,
    results_json: str | Path | None = None,
) -> EvalResult:
    """Score `model` (named `label`, taking `input_res` px images) on the validation split of `data`.

    The split is the trainer's (`cfg.val_size`, `cfg.seed`, `cfg.data_options`). A model predicting
    another number of joints than the data has is a CoexploreError. COCO: `results_json` writes the
    predictions in the official results format.
    """
    cfg = cfg or TrainConfig()
    device = resolve_device(cfg.device)
    with torch_threads(cfg.threads):
        val_ds = open_split(data, "val", input_res, cfg)
        model = model.to(device)
        preds = predict(
            model,
            data_loader(val_ds, cfg, device),
            input_res,
            device=device,
            flip_test=cfg.flip_test,
            flip_pairs=list(val_ds.flip_pairs),
            joints=val_ds.num_joints,
        )
        scored = score(val_ds, preds, results_json=results_json)
    return EvalResult(
        **scored.model_dump(),
        images=len(preds.index),
        flip_test=cfg.flip_test,
        spec=label,
        data=data,
        results_json=scored.details.get("results_json"),
    )
