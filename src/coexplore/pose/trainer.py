"""Train and evaluate a pose network: the accuracy signal of the co-exploration.

`train(spec, data, cfg)` builds the Hourglass of `spec`, trains it with the Stacked Hourglass
recipe (MSE on Gaussian heatmaps, intermediate supervision summed over stacks, Adam or RMSprop;
REFERENCES.md "Stacked Hourglass") for a budget in epochs or seconds, scores the validation split
after every epoch, and returns a `TrainResult`. It never raises for a diverging or out-of-memory
run: those end as `status="failed"` with the reason, so a search goes on.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from torch import nn

from coexplore.errors import CoexploreError
from coexplore.pose import checkpoint as ckpt
from coexplore.pose.heatmaps import encode_heatmaps
from coexplore.pose.validation import METRIC_NAMES, Predictions, Score, predict, score

# --- constants of the training loop ----------------------------------------------------------------
# A loss this many times the first step's loss means the run is diverging (a healthy heatmap MSE
# only falls: it starts near the target energy and drops by orders of magnitude).
EXPLODING_LOSS_RATIO = 100.0
# On CUDA a loss read forces a device sync; read (and check) it every few steps only.
CUDA_LOSS_CHECK_EVERY_STEPS = 20
# "step" schedule: multiply the LR by STEP_GAMMA at these fractions of the budget (the 10× drops of
# the Stacked Hourglass recipe, placed relative to the budget since budgets here are short).
STEP_MILESTONES = (0.6, 0.85)
STEP_GAMMA = 0.1
# RMSprop as in Newell et al. (torch7 defaults: alpha 0.99, eps 1e-8; REFERENCES.md recipe).
RMSPROP_ALPHA = 0.99
RMSPROP_EPS = 1e-8
# Per-epoch seeds: seed * SEED_STRIDE + epoch, so that epochs and runs never share a stream.
SEED_STRIDE = 1_000_003

Status = Literal["complete", "failed", "pruned"]


class TrainConfig(BaseModel):
    """How to train one candidate. Every field changes the result except the bookkeeping ones
    (`checkpoint_dir`, `resume`, `num_workers`), which `key()` leaves out."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    epochs: int | None = Field(3, ge=1, description="epochs of training (None: seconds only)")
    seconds: float | None = Field(None, gt=0, description="training-time budget, s (evaluation not counted)")
    batch_size: int = Field(16, ge=1)
    lr: float = Field(2e-3, gt=0)
    optimizer: Literal["adam", "rmsprop"] = "adam"
    schedule: Literal["cosine", "step", "none"] = "cosine"
    sigma: float = Field(2.0, gt=0, description="Gaussian sigma in heatmap cells")
    train_size: int | None = Field(3000, ge=1, description="training images (synthetic) / cap (real sets)")
    val_size: int | None = Field(300, ge=1)
    augment: bool = True
    head_init: Literal["zero", "default"] = Field(
        "zero", description="heatmap heads start at zero (see zero_heatmap_heads) or keep torch's init"
    )
    flip_test: bool = False
    device: Literal["auto", "cpu", "cuda"] = "auto"
    seed: int = 0
    threads: int | None = Field(None, ge=1, description="torch CPU threads (None: every core available)")
    num_workers: int = Field(0, ge=0, description="DataLoader worker processes")
    checkpoint_dir: str | None = None
    resume: bool = True
    data_options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _needs_a_budget(self) -> TrainConfig:
        if self.epochs is None and self.seconds is None:
            raise ValueError("give a budget: epochs, seconds, or both")
        return self

    def key(self) -> str:
        """Stable hash of every field that changes the trained result (for caches and resume)."""
        fields = self.model_dump(exclude={"checkpoint_dir", "resume", "num_workers"})
        blob = json.dumps(fields, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @classmethod
    def from_options(cls, **options: Any) -> TrainConfig:
        """Validate options from a CLI or config file; a bad value becomes one clear CoexploreError."""
        try:
            return cls(**options)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "train config"
            raise CoexploreError(first["msg"], field=where, fix="see `coexplore train --help`") from None


class TrainResult(BaseModel):
    """What one training run produced. `accuracy` is the main metric in % (None when failed)."""

    status: Status
    reason: str = ""
    accuracy: float | None = None
    metric: str = ""
    per_joint: dict[str, float] = Field(default_factory=dict)
    per_joint_metric: str = ""
    curve: list[dict[str, float]] = Field(default_factory=list)
    params: int = 0
    wall_s: float = 0.0
    train_s: float = 0.0
    device: str = ""
    images_per_s: float = 0.0
    baseline_accuracy: float | None = None
    epochs_done: int = 0
    steps: int = 0
    spec: str = ""
    data: str = ""
    key: str = ""
    checkpoint: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainResult:
        return cls.model_validate(data)


class EvalResult(BaseModel):
    """A checkpoint or model scored on a validation split."""

    metric: str
    accuracy: float
    per_joint: dict[str, float]
    per_joint_metric: str
    count: int
    baseline_accuracy: float
    images: int
    flip_test: bool
    spec: str = ""
    data: str = ""
    results_json: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class TrainingFailed(Exception):
    """Internal: a run diverged or ran out of memory (becomes status="failed")."""


# --- setup helpers ---------------------------------------------------------------------------------


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise CoexploreError(
            "CUDA was requested but no CUDA device is available", field="device", fix="use --device cpu or auto"
        )
    return torch.device(name)


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} {torch.cuda.get_device_name(index)}"
    return "cpu"


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_spec(spec: Any) -> Any:
    """A HourglassSpec from a preset name, compact string or spec file; specs pass through."""
    if isinstance(spec, (str, Path)):
        from coexplore.nets import parse_spec

        return parse_spec(spec)
    return spec


def _open_splits(data: str, spec: Any, cfg: TrainConfig) -> tuple[Any, Any]:
    from coexplore.pose.dataset import open_dataset

    train_ds = open_dataset(
        data, "train", spec.input_res, augment=cfg.augment, seed=cfg.seed, size=cfg.train_size, **cfg.data_options
    )
    val_ds = open_dataset(
        data, "val", spec.input_res, augment=False, seed=cfg.seed, size=cfg.val_size, **cfg.data_options
    )
    if len(train_ds) == 0:
        raise CoexploreError(f"the training split of {data!r} is empty", field="data")
    return train_ds, val_ds


def _loader(
    dataset: Any, cfg: TrainConfig, *, shuffle: bool, generator: torch.Generator | None, pin: bool
) -> torch.utils.data.DataLoader:
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=cfg.batch_size,
        shuffle=shuffle,
        generator=generator,
        num_workers=cfg.num_workers,
        pin_memory=pin,
        drop_last=False,
        persistent_workers=False,
    )


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr)
    return torch.optim.RMSprop(model.parameters(), lr=cfg.lr, alpha=RMSPROP_ALPHA, eps=RMSPROP_EPS)


def lr_factor(schedule: str, progress: float) -> float:
    """LR multiplier at `progress` ∈ [0, 1] of the budget."""
    progress = min(max(progress, 0.0), 1.0)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule == "step":
        return STEP_GAMMA ** sum(progress >= m for m in STEP_MILESTONES)
    return 1.0


def heatmap_loss(outputs: Any, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Visibility-weighted MSE, summed over stacks (intermediate supervision)."""
    stacks = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    mask = weights[..., None, None]
    return sum(((out - targets) ** 2 * mask).mean() for out in stacks)


def zero_heatmap_heads(model: nn.Module) -> int:
    """Zero the 1×1 convs that output heatmaps (the builder's `pred` modules); returns how many.

    The MSE target is ~0 almost everywhere, and a randomly initialised head first spends hundreds of
    steps unlearning its noise: on 128×128 synthetic figures a 1-stack F=16 net reached 12.8 % PCKh@0.5
    after 2 epochs × 1000 images with zero heads against 1.5 % without (bench/train_synthetic.py
    setting, measured here). Zero-initialising the last layer is the usual remedy (as for the last BN
    of ResNet blocks); the gradients of the weights are not zero, so training starts at once.
    """
    heads = [m for name, m in model.named_modules() if name.split(".")[-1] == "pred" and isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        for head in heads:
            head.weight.zero_()
            if head.bias is not None:
                head.bias.zero_()
    return len(heads)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def _out_of_memory_reason(device: torch.device, cfg: TrainConfig, input_res: int) -> str:
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return (
        f"out of memory on {device_label(device)} at batch size {cfg.batch_size}, input {input_res}px: "
        "lower the batch size or the resolution"
    )


def run_key(spec: Any, data: str, cfg: TrainConfig) -> str:
    blob = json.dumps({"spec": str(spec), "data": data, "cfg": cfg.key()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# --- the training run ------------------------------------------------------------------------------


class _Run:
    """State of one training run; `train()` drives it. Kept small: loop, checks, checkpoints."""

    def __init__(
        self, spec: Any, data: str, cfg: TrainConfig, progress: bool, on_epoch: Callable[[int, float], bool] | None
    ):
        self.spec, self.data, self.cfg = spec, data, cfg
        self.on_epoch = on_epoch
        self.show_progress = progress
        self.device = resolve_device(cfg.device)
        self.key = run_key(spec, data, cfg)
        self.train_ds, self.val_ds = _open_splits(data, spec, cfg)
        if self.train_ds.num_joints != spec.joints:
            self.spec = spec = spec.replace(joints=self.train_ds.num_joints)
        from coexplore.nets import build

        seed_everything(cfg.seed)
        self.model = build(spec)
        if cfg.head_init == "zero":
            zero_heatmap_heads(self.model)
        self.model = self.model.to(self.device)
        self.optimizer = make_optimizer(self.model, cfg)
        self.input_res, self.heatmap_res = spec.input_res, spec.heatmap_res
        self.epoch = 0
        self.steps = 0
        self.train_s = 0.0
        self.train_images = 0
        self.wall_offset_s = 0.0  # wall seconds of the sessions before a resume
        self.curve: list[dict[str, float]] = []
        self.first_loss: float | None = None
        self.last_score: Score | None = None
        self.total_steps = (cfg.epochs * math.ceil(len(self.train_ds) / cfg.batch_size)) if cfg.epochs else None

    # -- resume --
    def try_resume(self) -> TrainResult | None:
        directory = self.cfg.checkpoint_dir
        if not directory or not self.cfg.resume:
            return None
        finished = ckpt.load_result(directory)
        if finished is not None and finished.get("key") == self.key:
            return TrainResult.from_dict(finished)
        if not ckpt.checkpoint_path(directory).is_file():
            return None
        state = ckpt.load_checkpoint(directory)
        if state.get("key") != self.key:
            raise CoexploreError(
                f"{ckpt.checkpoint_path(directory)} belongs to another run (spec {state.get('spec')}, "
                f"data {state.get('data')})",
                field="checkpoint_dir",
                fix="use another output directory, or resume=False (--no-resume) to start over",
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch, self.steps = state["epoch"], state["steps"]
        self.train_s, self.train_images = state["train_s"], state["train_images"]
        self.curve, self.first_loss = state["curve"], state["first_loss"]
        self.wall_offset_s = self.curve[-1]["seconds"] if self.curve else 0.0
        ckpt.restore_rng_state(state["rng"])
        return None

    def save(self) -> None:
        if not self.cfg.checkpoint_dir:
            return
        ckpt.save_checkpoint(
            self.cfg.checkpoint_dir,
            {
                "key": self.key,
                "spec": str(self.spec),
                "data": self.data,
                "config": self.cfg.model_dump(mode="json"),
                "epoch": self.epoch,
                "steps": self.steps,
                "train_s": self.train_s,
                "train_images": self.train_images,
                "curve": self.curve,
                "first_loss": self.first_loss,
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "rng": ckpt.rng_state(),
                "input_res": self.input_res,
                "joint_names": list(self.val_ds.joint_names),
            },
        )

    # -- budget --
    def progress_fraction(self, train_s: float) -> float:
        """Fraction of the budget spent: by steps for an epoch budget, by time for a seconds budget."""
        fractions = []
        if self.total_steps:
            fractions.append(self.steps / self.total_steps)
        if self.cfg.seconds:
            fractions.append(train_s / self.cfg.seconds)
        return max(fractions)

    def budget_left(self) -> bool:
        if self.cfg.epochs is not None and self.epoch >= self.cfg.epochs:
            return False
        return not (self.cfg.seconds is not None and self.train_s >= self.cfg.seconds)

    # -- one epoch --
    def train_epoch(self, bar: Any) -> float:
        """One pass over the training split (cut short when a seconds budget runs out); mean loss."""
        cfg = self.cfg
        epoch_seed = cfg.seed * SEED_STRIDE + self.epoch + 1
        seed_everything(epoch_seed)  # epoch-level reseed: a resumed run continues bit-identically
        if hasattr(self.train_ds, "set_epoch"):
            self.train_ds.set_epoch(self.epoch + 1)
        generator = torch.Generator().manual_seed(epoch_seed)
        loader = _loader(self.train_ds, cfg, shuffle=True, generator=generator, pin=self.device.type == "cuda")
        # Reading the loss syncs a GPU: there, check it every few steps on a running sum.
        check_every = CUDA_LOSS_CHECK_EVERY_STEPS if self.device.type == "cuda" else 1
        self.model.train()
        loss_sum = torch.zeros((), device=self.device)
        pending = torch.zeros((), device=self.device)
        pending_steps = batches = 0
        task = bar.add_task(f"epoch {self.epoch + 1}", total=len(loader), loss=float("nan")) if bar else None
        tick = time.perf_counter()
        try:
            for batch in loader:
                spent_s = self.train_s + time.perf_counter() - tick
                if cfg.seconds is not None and spent_s >= cfg.seconds:
                    break
                pending = pending + self._step(batch, spent_s)
                pending_steps += 1
                batches += 1
                if pending_steps >= check_every:
                    value = pending.item() / pending_steps
                    self._check_loss(value)
                    loss_sum, pending, pending_steps = loss_sum + pending, torch.zeros_like(pending), 0
                    if task is not None:
                        bar.update(task, advance=check_every, loss=value)
            if pending_steps:
                self._check_loss(pending.item() / pending_steps)
                loss_sum = loss_sum + pending
        finally:
            self.train_s += time.perf_counter() - tick
        if task is not None:
            bar.update(task, completed=len(loader))
        self.epoch += 1
        return loss_sum.item() / max(batches, 1)

    def _step(self, batch: dict[str, torch.Tensor], spent_s: float) -> torch.Tensor:
        """One optimiser step on a batch; returns the detached loss (no device sync)."""
        cfg, device = self.cfg, self.device
        images = batch["image"].to(device, non_blocking=True)
        targets, weights = encode_heatmaps(
            batch["joints"].to(device, non_blocking=True),
            batch["visible"].to(device, non_blocking=True),
            self.input_res,
            self.heatmap_res,
            cfg.sigma,
        )
        lr = cfg.lr * lr_factor(cfg.schedule, self.progress_fraction(spent_s))
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        loss = heatmap_loss(self.model(images), targets, weights)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        self.train_images += images.shape[0]
        return loss.detach()

    def _check_loss(self, value: float) -> None:
        if not math.isfinite(value):
            raise TrainingFailed(
                f"loss became {value} at epoch {self.epoch + 1}, step {self.steps} (lr {self.cfg.lr:g}); "
                "lower the learning rate"
            )
        if self.first_loss is None:
            self.first_loss = value
        elif self.first_loss > 0 and value > EXPLODING_LOSS_RATIO * self.first_loss:
            raise TrainingFailed(
                f"loss exploded to {value:.3g} (> {EXPLODING_LOSS_RATIO:g}× the first loss "
                f"{self.first_loss:.3g}) at epoch {self.epoch + 1}, step {self.steps} (lr {self.cfg.lr:g}); "
                "lower the learning rate"
            )

    def validate(self) -> Score:
        loader = _loader(self.val_ds, self.cfg, shuffle=False, generator=None, pin=self.device.type == "cuda")
        preds: Predictions = predict(
            self.model,
            loader,
            self.input_res,
            device=self.device,
            flip_test=self.cfg.flip_test,
            flip_pairs=list(self.val_ds.flip_pairs),
        )
        self.last_score = score(self.val_ds, preds)
        return self.last_score

    # -- results --
    def result(self, status: Status, reason: str, wall_s: float) -> TrainResult:
        s = self.last_score
        ok = status != "failed" and s is not None
        return TrainResult(
            status=status,
            reason=reason,
            accuracy=s.accuracy if ok else None,
            metric=s.metric if s else METRIC_NAMES.get(getattr(self.val_ds, "pck_kind", ""), ""),
            per_joint=s.per_joint if ok else {},
            per_joint_metric=s.per_joint_metric if s else "",
            curve=self.curve,
            params=count_params(self.model),
            wall_s=wall_s,
            train_s=self.train_s,
            device=device_label(self.device),
            images_per_s=self.train_images / self.train_s if self.train_s > 0 else 0.0,
            baseline_accuracy=s.baseline_accuracy if s else None,
            epochs_done=self.epoch,
            steps=self.steps,
            spec=str(self.spec),
            data=self.data,
            key=self.key,
            checkpoint=str(ckpt.checkpoint_path(self.cfg.checkpoint_dir)) if self.cfg.checkpoint_dir else None,
            details=s.details if ok else {},
        )


def _progress_bar() -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.5f}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )


def train(
    spec: Any,
    data: str,
    cfg: TrainConfig | None = None,
    *,
    progress: bool = True,
    on_epoch: Callable[[int, float], bool] | None = None,
) -> TrainResult:
    """Train `spec` (HourglassSpec or its compact string) on the `data` source (see `open_dataset`).

    Returns status "complete", "pruned" (`on_epoch(epoch, val_accuracy)` returned True) or "failed"
    (NaN / exploding loss, out of memory) with the reason. Bad input raises CoexploreError. With
    `cfg.checkpoint_dir`, every epoch is checkpointed and a re-run with the same arguments resumes
    (a finished run returns its stored result).
    """
    cfg = cfg or TrainConfig()
    started = time.perf_counter()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads or available_cores())
    try:
        spec = resolve_spec(spec)
        try:
            run = _Run(spec, data, cfg, progress, on_epoch)
        except Exception as exc:  # a network too large for the device already fails to load
            if not _is_out_of_memory(exc):
                raise
            return TrainResult(
                status="failed",
                reason=_out_of_memory_reason(resolve_device(cfg.device), cfg, spec.input_res),
                spec=str(spec),
                data=data,
                wall_s=time.perf_counter() - started,
            )
        stored = run.try_resume()
        if stored is not None:
            return stored
        result = _drive(run, started)
        if cfg.checkpoint_dir and result.status == "complete":  # a pruned run may be continued later
            ckpt.save_result(cfg.checkpoint_dir, result.to_dict())
        return result
    finally:
        torch.set_num_threads(previous_threads)


def _drive(run: _Run, started: float) -> TrainResult:
    """The epoch loop with its three ways out: budget spent, pruned, failed."""
    bar = _progress_bar() if run.show_progress else None
    if bar:
        bar.console.print(
            f"training [bold]{run.spec}[/] ({count_params(run.model):,} parameters) on [bold]{run.data}[/]: "
            f"{len(run.train_ds)} train / {len(run.val_ds)} val images, {device_label(run.device)}, "
            f"{torch.get_num_threads()} threads"
            + (f" → {run.cfg.checkpoint_dir}" if run.cfg.checkpoint_dir else "")
            + (f", resuming after epoch {run.epoch}" if run.epoch else ""),
            highlight=False,
        )
    status: Status = "complete"
    reason = ""
    try:
        if bar:
            bar.start()
        while run.budget_left():
            train_loss = run.train_epoch(bar)
            val = run.validate()
            run.curve.append(
                {
                    "epoch": run.epoch,
                    "train_loss": train_loss,
                    "val_accuracy": val.accuracy,
                    "seconds": run.wall_offset_s + time.perf_counter() - started,
                    "lr": run.optimizer.param_groups[0]["lr"],
                }
            )
            run.save()
            if run.on_epoch is not None and run.on_epoch(run.epoch, val.accuracy):
                status, reason = "pruned", f"stopped by on_epoch after epoch {run.epoch}"
                break
        if run.last_score is None:  # resumed after the last epoch's checkpoint: score it once
            run.validate()
    except TrainingFailed as exc:
        status, reason = "failed", str(exc)
    except Exception as exc:
        if not _is_out_of_memory(exc):
            raise
        status, reason = "failed", _out_of_memory_reason(run.device, run.cfg, run.input_res)
    finally:
        if bar:
            bar.stop()
    return run.result(status, reason, run.wall_offset_s + time.perf_counter() - started)


# --- evaluation ------------------------------------------------------------------------------------


def evaluate(
    checkpoint_or_model: str | Path | nn.Module,
    data: str,
    cfg: TrainConfig | None = None,
    *,
    spec: Any = None,
    results_json: str | Path | None = None,
) -> EvalResult:
    """Score a checkpoint (`last.pt` or its directory) or a model on the validation split of `data`.

    For a bare model pass `spec` (its input resolution). COCO: `results_json` writes the
    predictions in the official results format.
    """
    cfg = cfg or TrainConfig()
    device = resolve_device(cfg.device)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads or available_cores())
    try:
        model, spec = _load_model(checkpoint_or_model, spec)
        from coexplore.pose.dataset import open_dataset

        val_ds = open_dataset(
            data, "val", spec.input_res, augment=False, seed=cfg.seed, size=cfg.val_size, **cfg.data_options
        )
        if val_ds.num_joints != spec.joints:
            raise CoexploreError(
                f"the network predicts {spec.joints} joints but {data!r} has {val_ds.num_joints}",
                field="data",
                fix="evaluate on the kind of data the checkpoint was trained on",
            )
        model = model.to(device)
        loader = _loader(val_ds, cfg, shuffle=False, generator=None, pin=device.type == "cuda")
        preds = predict(
            model, loader, spec.input_res, device=device, flip_test=cfg.flip_test, flip_pairs=list(val_ds.flip_pairs)
        )
        s = score(val_ds, preds, results_json=results_json)
        return EvalResult(
            metric=s.metric,
            accuracy=s.accuracy,
            per_joint=s.per_joint,
            per_joint_metric=s.per_joint_metric,
            count=s.count,
            baseline_accuracy=s.baseline_accuracy,
            images=len(preds.index),
            flip_test=cfg.flip_test,
            spec=str(spec),
            data=data,
            results_json=s.details.get("results_json"),
            details=s.details,
        )
    finally:
        torch.set_num_threads(previous_threads)


def _load_model(source: str | Path | nn.Module, spec: Any) -> tuple[nn.Module, Any]:
    if isinstance(source, nn.Module):
        spec = resolve_spec(spec if spec is not None else getattr(source, "spec", None))
        if spec is None:
            raise CoexploreError(
                "evaluating a bare model needs its spec",
                field="spec",
                fix="pass spec=... (the HourglassSpec the model was built from)",
            )
        return source, spec
    from coexplore.nets import build

    state = ckpt.load_checkpoint(source)
    spec = resolve_spec(state["spec"])
    model = build(spec)
    model.load_state_dict(state["model"])
    return model, spec
