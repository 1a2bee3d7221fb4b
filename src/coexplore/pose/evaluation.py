"""Score a network on the validation split of a data source: the same scoring the trainer runs after
every epoch, for a model the caller built (and loaded weights into, e.g. from a checkpoint), in
float or as the accelerator computes it (`precision`, see `coexplore.pose.quantization`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from torch import nn

from coexplore.placement import torch_threads
from coexplore.pose.batches import data_loader, open_split
from coexplore.pose.calibration import calibration_batches
from coexplore.pose.device import resolve_device
from coexplore.pose.outcome import EvalResult
from coexplore.pose.quantization import precision_bits, quantize_for
from coexplore.pose.train_config import TrainConfig
from coexplore.pose.validation import predict, score


def evaluate(
    model: nn.Module,
    data: str,
    cfg: TrainConfig | None = None,
    *,
    label: str,
    input_res: int,
    precision: str = "fp32",
    results_json: str | Path | None = None,
) -> EvalResult:
    """Score `model` (named `label`, taking `input_res` px images) on the validation split of `data`.

    The split is the trainer's (`cfg.val_size`, `cfg.seed`, `cfg.data_options`). A model predicting
    another number of joints than the data has is a CoexploreError. COCO: `results_json` writes the
    predictions in the official results format. `precision` "int8"/"int16": the model is quantised
    after-training first, calibrated on the training split (`calibration`).
    """
    return evaluate_quantized(
        model, data, cfg, precisions=[precision], label=label, input_res=input_res, results_json=results_json
    )[precision]


def evaluate_quantized(
    model: nn.Module,
    data: str,
    cfg: TrainConfig | None = None,
    *,
    precisions: Iterable[str] = ("fp32", "int16", "int8"),
    label: str,
    input_res: int,
    results_json: str | Path | None = None,
) -> dict[str, EvalResult]:
    """One trained `model` scored at each of `precisions`: one validation split, one calibration.

    `results_json` (COCO) holds the predictions at the last precision."""
    cfg = cfg or TrainConfig()
    precisions = list(dict.fromkeys(precisions))
    bits = {p: precision_bits(p) for p in precisions}  # an unknown name fails before any work
    device = resolve_device(cfg.device)
    results = {}
    with torch_threads(cfg.threads):
        val_ds = open_split(data, "val", input_res, cfg)
        model = model.to(device)
        calibration = calibration_batches(data, input_res, cfg, device) if any(bits.values()) else []
        for precision in precisions:
            scored_model = quantize_for(model, precision, calibration)
            preds = predict(
                scored_model,
                data_loader(val_ds, cfg, device),
                input_res,
                device=device,
                flip_test=cfg.flip_test,
                flip_pairs=list(val_ds.flip_pairs),
                joints=val_ds.num_joints,
            )
            scored = score(val_ds, preds, results_json=results_json if precision == precisions[-1] else None)
            results[precision] = EvalResult(
                **scored.model_dump(),
                images=len(preds.index),
                flip_test=cfg.flip_test,
                spec=label,
                data=data,
                precision=precision,
                results_json=scored.details.get("results_json"),
            )
    return results
