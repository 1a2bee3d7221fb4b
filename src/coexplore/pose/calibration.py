"""Calibration images for post-training quantisation: a fixed slice of the TRAINING split.

The validation split that is then scored never calibrates (its ranges would leak into its score).
The slice is the first `images` records of the training split, unaugmented, so that every
precision of one trained network is calibrated on the same pixels.
"""

from __future__ import annotations

import torch

from coexplore.pose.batches import data_loader, open_split
from coexplore.pose.train_config import TrainConfig

# Images whose ranges set the activation scales: enough for the min/max of every layer to settle on
# small sets (the fly set's training split has 90 frames), cheap next to a training.
CALIBRATION_IMAGES = 64


def calibration_batches(
    data: str, input_res: int, cfg: TrainConfig, device: torch.device, *, images: int = CALIBRATION_IMAGES
) -> list[torch.Tensor]:
    """Up to `images` unaugmented training images of `data`, in batches of `cfg.batch_size`, on `device`."""
    split = open_split(data, "train", input_res, cfg.model_copy(update={"augment": False}))
    batches, taken = [], 0
    for batch in data_loader(split, cfg, device):
        if taken >= images:
            break
        chunk = batch["image"][: images - taken]
        batches.append(chunk.to(device))
        taken += int(chunk.shape[0])
    return batches
