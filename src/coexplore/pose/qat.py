"""A trained run's accuracy at the accelerator's precisions, and optional quantisation-aware
fine-tuning (`TrainConfig.qat_epochs`), for when post-training int8 loses too much.

Each precision is scored on the run's validation split: post-training quantisation of the fp32
weights (`quantization.quantize_for`), except `cfg.qat_precision` when `cfg.qat_epochs` > 0, which
is scored after that many epochs of training the fake-quantised network (PyTorch's
`prepare_qat_fx`: BN folded, straight-through rounding) at a tenth of the learning rate. The fp32
weights and accuracy of the run are left as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch.ao.quantization import enable_fake_quant

from coexplore.pose.calibration import calibration_batches
from coexplore.pose.quantization import calibrate, freeze, precision_bits, prepare_for, quantize_for
from coexplore.pose.recipe import make_optimizer

# QAT starts from trained weights, so it takes small steps: a tenth of the training's peak rate,
# held constant (a usual fine-tuning choice; not tuned on the data that reports it).
QAT_LR_FACTOR = 0.1


def quantized_accuracies(run: Any, precisions: Sequence[str], bar: Any = None) -> dict[str, float]:
    """Accuracy (%) of `run`'s trained model at each integer precision in `precisions`."""
    wanted = [p for p in dict.fromkeys(precisions) if precision_bits(p) is not None]
    if run.cfg.qat_epochs and run.cfg.qat_precision not in wanted:
        wanted.append(run.cfg.qat_precision)
    if not wanted:
        return {}
    calibration = calibration_batches(run.data, run.input_res, run.cfg, run.device)
    scores = {}
    for precision in wanted:
        if run.cfg.qat_epochs and precision == run.cfg.qat_precision:
            model = _fine_tuned(run, precision, calibration, bar)
        else:
            model = quantize_for(run.model, precision, calibration)
        scores[precision] = run.score_model(model).accuracy
    return scores


def missing_precisions(scored: dict[str, float], precisions: Sequence[str], cfg: Any) -> list[str]:
    """The integer precisions (with the QAT one) a finished run has not been scored at yet."""
    wanted = [p for p in precisions if p != "fp32"] + ([cfg.qat_precision] if cfg.qat_epochs else [])
    return [p for p in dict.fromkeys(wanted) if p not in scored]


def _fine_tuned(run: Any, precision: str, calibration: list, bar: Any) -> Any:
    """`run.model` fine-tuned fake-quantised for `cfg.qat_epochs` epochs; the run's model, optimiser
    and counters are restored afterwards."""
    saved = run.model, run.optimizer, run.epoch, run.steps, run.train_s, run.train_images, run.lr_override
    prepared = prepare_for(run.model, precision, calibration[0])
    calibrate(prepared, calibration)
    prepared.apply(enable_fake_quant)
    try:
        run.model = prepared
        run.optimizer = make_optimizer(prepared, run.cfg)
        run.lr_override = run.cfg.lr * QAT_LR_FACTOR
        for _ in range(run.cfg.qat_epochs):
            run.train_epoch(bar)
        run.details["qat"] = {"precision": precision, "epochs": run.cfg.qat_epochs, "steps": run.steps - saved[3]}
    finally:
        run.model, run.optimizer, run.epoch, run.steps, run.train_s, run.train_images, run.lr_override = saved
    return freeze(prepared)

