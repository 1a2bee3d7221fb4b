"""The data side of a run: a split of the data source opened with the run's settings, and its loader."""

from __future__ import annotations

import torch

from coexplore.pose.dataset import PoseDataset
from coexplore.pose.sources import open_dataset
from coexplore.pose.train_config import TrainConfig


def open_split(data: str, split: str, input_res: int, cfg: TrainConfig) -> PoseDataset:
    """The `split` of `data` at `input_res`, sized and augmented (train only) as `cfg` says."""
    training = split == "train"
    return open_dataset(
        data,
        split,
        input_res,
        augment=cfg.augment and training,
        seed=cfg.seed,
        size=cfg.train_size if training else cfg.val_size,
        **cfg.data_options,
    )


def data_loader(
    dataset: PoseDataset, cfg: TrainConfig, device: torch.device, *, shuffle: bool = False,
    generator: torch.Generator | None = None,
) -> torch.utils.data.DataLoader:  # fmt: skip
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=cfg.batch_size,
        shuffle=shuffle,
        generator=generator,
        num_workers=cfg.num_workers,
        pin_memory=device.type == "cuda",
        drop_last=False,
        persistent_workers=False,
    )
