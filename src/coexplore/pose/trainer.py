"""Train a pose network: the accuracy signal of the co-exploration.

`train(network, data, cfg)` opens the data, builds the network for its joints through the caller's
`NetworkFactory`, trains it with the Stacked Hourglass recipe (`recipe`) for a budget in epochs or
seconds, scores the validation split after every epoch, and returns a `TrainResult`. It never raises
for a diverging or out-of-memory run: those end as `status="failed"` with the reason, so a search
goes on. With `cfg.checkpoint_dir` every epoch is checkpointed and a re-run resumes exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError

from coexplore.errors import CoexploreError
from coexplore.placement import torch_threads
from coexplore.pose import checkpoint as ckpt
from coexplore.pose.batches import data_loader, open_split
from coexplore.pose.device import device_label, is_out_of_memory, out_of_memory_reason, resolve_device
from coexplore.pose.heatmaps import encode_heatmaps
from coexplore.pose.network import NetworkFactory
from coexplore.pose.outcome import Score, Status, TrainResult
from coexplore.pose.qat import missing_precisions, quantized_accuracies
from coexplore.pose.recipe import count_params, heatmap_loss, lr_factor, make_optimizer, zero_heatmap_heads
from coexplore.pose.rng import restore_rng_state, rng_state, seed_everything
from coexplore.pose.train_config import TrainConfig
from coexplore.pose.validation import METRIC_NAMES, predict, score

# A loss this many times the first step's loss means the run is diverging (a healthy heatmap MSE
# only falls: it starts near the target energy and drops by orders of magnitude).
EXPLODING_LOSS_RATIO = 100.0
# On CUDA a loss read forces a device sync; read (and check) it every few steps only.
CUDA_LOSS_CHECK_EVERY_STEPS = 20
# Per-epoch seeds: seed * SEED_STRIDE + epoch, so that epochs and runs never share a stream.
SEED_STRIDE = 1_000_003

OnEpoch = Callable[[int, float], bool]


class TrainingFailed(Exception):
    """Internal: a run diverged (becomes status="failed" with the message as its reason)."""


def run_key(label: str, data: str, cfg: TrainConfig) -> str:
    """The identity of a run: network label, data source and every result-changing setting."""
    blob = json.dumps({"spec": label, "data": data, "cfg": cfg.key()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class _Run:
    """State of one training run; `train()` drives it. Kept small: loop, checks, checkpoints."""

    def __init__(self, network: NetworkFactory, data: str, cfg: TrainConfig, on_epoch: OnEpoch | None):
        self.data, self.cfg = data, cfg
        self.on_epoch = on_epoch
        self.device = resolve_device(cfg.device)
        self.key = run_key(network.label, data, cfg)
        self.input_res, self.heatmap_res = network.input_res, network.heatmap_res
        self.train_ds = open_split(data, "train", network.input_res, cfg)
        self.val_ds = open_split(data, "val", network.input_res, cfg)
        if len(self.train_ds) == 0:
            raise CoexploreError(f"the training split of {data!r} is empty", field="data")
        joints = self.train_ds.num_joints
        self.label = network.label_for(joints)
        seed_everything(cfg.seed)
        model = network.build(joints)
        if cfg.head_init == "zero":
            zero_heatmap_heads(model)
        self.model = model.to(self.device)
        self.optimizer = make_optimizer(self.model, cfg)
        self.epoch = 0
        self.steps = 0
        self.train_s = 0.0
        self.train_images = 0
        self.wall_offset_s = 0.0  # wall seconds of the sessions before a resume
        self.curve: list[dict[str, float]] = []
        self.first_loss: float | None = None
        self.last_score: Score | None = None
        self.total_steps = (cfg.epochs * math.ceil(len(self.train_ds) / cfg.batch_size)) if cfg.epochs else None
        self.lr_override: float | None = None  # quantisation-aware fine-tuning runs at a fixed rate (qat.py)
        self.details: dict[str, Any] = {}  # what ran after training (qat.py), added to the result's details

    # -- resume --
    def try_resume(self) -> TrainResult | None:
        """The stored result of this finished run, or None after restoring its last checkpoint (if any)."""
        directory = self.cfg.checkpoint_dir
        if not directory or not self.cfg.resume:
            return None
        finished = ckpt.load_result(directory)
        if finished is not None and finished.get("key") == self.key:
            try:
                return TrainResult.from_dict(finished)
            except ValidationError:
                pass  # a damaged result only costs re-scoring the checkpoint
        if not ckpt.checkpoint_path(directory).is_file():
            return None
        state = ckpt.load_checkpoint(directory)
        if state["key"] != self.key:
            raise CoexploreError(
                f"{ckpt.checkpoint_path(directory)} belongs to another run (spec {state['spec']}, data {state['data']})",
                field="checkpoint_dir",
                fix="use another output directory, or resume=False (--no-resume) to start over",
            )
        ckpt.load_weights(self.model, state["model"], label=self.label, source=ckpt.checkpoint_path(directory))
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch, self.steps = state["epoch"], state["steps"]
        self.train_s, self.train_images = state["train_s"], state["train_images"]
        self.curve, self.first_loss = state["curve"], state["first_loss"]
        self.wall_offset_s = self.curve[-1]["seconds"] if self.curve else 0.0
        restore_rng_state(state["rng"])
        return None

    def save(self) -> None:
        if not self.cfg.checkpoint_dir:
            return
        ckpt.save_checkpoint(
            self.cfg.checkpoint_dir,
            {
                "key": self.key,
                "spec": self.label,
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
                "rng": rng_state(),
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
        self.train_ds.set_epoch(self.epoch + 1)
        generator = torch.Generator().manual_seed(epoch_seed)
        loader = data_loader(self.train_ds, cfg, self.device, shuffle=True, generator=generator)
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
        lr = self.lr_override or cfg.lr * lr_factor(cfg.schedule, self.progress_fraction(spent_s))
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
        self.last_score = self.score_model(self.model)
        return self.last_score

    def score_model(self, model: torch.nn.Module) -> Score:
        """`model` (this run's, or its quantised form) scored on the validation split."""
        preds = predict(
            model,
            data_loader(self.val_ds, self.cfg, self.device),
            self.input_res,
            device=self.device,
            flip_test=self.cfg.flip_test,
            flip_pairs=list(self.val_ds.flip_pairs),
            joints=self.val_ds.num_joints,
        )
        return score(self.val_ds, preds)

    # -- results --
    def result(self, status: Status, reason: str, wall_s: float) -> TrainResult:
        s = self.last_score
        ok = status != "failed" and s is not None
        return TrainResult(
            status=status,
            reason=reason,
            accuracy=s.accuracy if ok else None,
            metric=s.metric if s else METRIC_NAMES.get(self.val_ds.pck_kind, ""),
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
            spec=self.label,
            data=self.data,
            key=self.key,
            checkpoint=str(ckpt.checkpoint_path(self.cfg.checkpoint_dir)) if self.cfg.checkpoint_dir else None,
            details=s.details if ok else {},
        )

    def restore_final_weights(self) -> None:
        """The weights of the finished run from its last checkpoint (to score a stored result anew)."""
        state = ckpt.load_checkpoint(self.cfg.checkpoint_dir)
        ckpt.load_weights(self.model, state["model"], label=self.label, source=ckpt.checkpoint_path(self.cfg.checkpoint_dir))


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
    network: NetworkFactory,
    data: str,
    cfg: TrainConfig | None = None,
    *,
    progress: bool = True,
    on_epoch: OnEpoch | None = None,
    precisions: Sequence[str] = (),
) -> TrainResult:
    """Train a fresh `network` on the `data` source (see `coexplore.pose.sources.open_dataset`).

    Returns status "complete", "pruned" (`on_epoch(epoch, val_accuracy)` returned True) or "failed"
    (NaN / exploding loss, out of memory) with the reason. Bad input raises CoexploreError. With
    `cfg.checkpoint_dir`, every epoch is checkpointed and a re-run with the same arguments resumes
    (a finished run returns its stored result).

    `precisions` ("int8", "int16"): a complete run is also scored at each, as the accelerator
    computes (`TrainResult.quantized_accuracy`; `qat`, with `cfg.qat_epochs` fine-tuning).
    """
    cfg = cfg or TrainConfig()
    started = time.perf_counter()
    if cfg.checkpoint_dir and Path(cfg.checkpoint_dir).exists() and not Path(cfg.checkpoint_dir).is_dir():
        raise CoexploreError(  # found before the first epoch, not when its checkpoint is written
            f"{cfg.checkpoint_dir} is a file, not a folder", field="checkpoint_dir", fix="give a folder (CLI: --out)"
        )
    with torch_threads(cfg.threads):
        try:
            run = _Run(network, data, cfg, on_epoch)
        except Exception as exc:  # a network too large for the device already fails to load
            if not is_out_of_memory(exc):
                raise
            return TrainResult(
                status="failed",
                reason=out_of_memory_reason(resolve_device(cfg.device), cfg.batch_size, network.input_res),
                spec=network.label,
                data=data,
                wall_s=time.perf_counter() - started,
            )
        stored = run.try_resume()
        if stored is not None:
            missing = missing_precisions(stored.quantized_accuracy, precisions, cfg)
            if not missing or stored.status != "complete" or not ckpt.checkpoint_path(cfg.checkpoint_dir).is_file():
                return stored
            run.restore_final_weights()  # a finished run asked for more precisions: score them only
            stored.quantized_accuracy.update(quantized_accuracies(run, missing))
            ckpt.save_result(cfg.checkpoint_dir, stored.to_dict())
            return stored
        result = _drive(run, started, progress)
        if result.status == "complete" and (precisions or cfg.qat_epochs):
            result.quantized_accuracy = quantized_accuracies(run, precisions)
            result.details.update(run.details)
        if cfg.checkpoint_dir and result.status == "complete":  # a pruned run may be continued later
            ckpt.save_result(cfg.checkpoint_dir, result.to_dict())
        return result


def _drive(run: _Run, started: float, progress: bool) -> TrainResult:
    """The epoch loop with its three ways out: budget spent, pruned, failed."""
    bar = _progress_bar() if progress else None
    if bar:
        bar.console.print(
            f"training [bold]{run.label}[/] ({count_params(run.model):,} parameters) on [bold]{run.data}[/]: "
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
        if not is_out_of_memory(exc):
            raise
        status, reason = "failed", out_of_memory_reason(run.device, run.cfg.batch_size, run.input_res)
    finally:
        if bar:
            bar.stop()
    return run.result(status, reason, run.wall_offset_s + time.perf_counter() - started)
