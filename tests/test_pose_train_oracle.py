"""The evaluation pipeline end to end with an oracle network on real annotation files.

The oracle returns the Gaussian targets of the ground truth, so every score must be (near) perfect:
this checks decoding, the crop transform back to original pixels, the flip test with the dataset's
joint swap, and each metric's plumbing, on the real MPII and COCO samples (mmpose fixtures).
"""

import pytest
import torch
from torch import nn

from coexplore.pose.evaluation import evaluate
from coexplore.pose.heatmaps import encode_heatmaps, flip_heatmaps
from coexplore.pose.sources import open_dataset
from coexplore.pose.train_config import TrainConfig

RES = 256  # heatmaps 64×64: the quarter-cell decoding error (≤ 1 px) is far below every threshold


class Oracle(nn.Module):
    """Heatmaps of the ground truth, in loader order; odd calls answer for the mirrored batch."""

    def __init__(self, dataset):
        super().__init__()
        targets = dataset.all_targets()
        self.maps, _ = encode_heatmaps(targets["joints"], targets["visible"], RES, RES // 4)
        self.flip_pairs = dataset.flip_pairs
        self.position = 0
        self.calls = 0

    def forward(self, images):
        batch = images.shape[0]
        maps = self.maps[self.position:self.position + batch]
        self.calls += 1
        if self.flip_test and self.calls % 2 == 0:  # the mirrored image's maps: mirrored and L/R-swapped
            self.position += batch
            return [flip_heatmaps(maps, self.flip_pairs)]
        if not self.flip_test:
            self.position += batch
        return [maps]


def _oracle_eval(data, joints, *, flip_test=False, **options):
    dataset = open_dataset(data, "val", RES, **options)
    assert dataset.num_joints == joints
    oracle = Oracle(dataset)
    oracle.flip_test = flip_test
    cfg = TrainConfig(batch_size=2, threads=1, flip_test=flip_test, val_size=None, data_options=options)
    return evaluate(oracle, data, cfg, label="oracle", input_res=RES)


@pytest.mark.parametrize("flip_test", [False, True])
def test_oracle_scores_100_pckh_on_mpii(shared_data, flip_test):
    data = f"mpii:{shared_data / 'mmpose_fixtures' / 'mpii' / 'test_mpii.json'}"
    result = _oracle_eval(data, 16, flip_test=flip_test, holdout="none")
    assert result.metric == "PCKh@0.5" and result.images == 5
    assert result.accuracy == pytest.approx(100.0)
    assert result.baseline_accuracy < 60.0  # a constant pose is far from it


def test_oracle_scores_near_perfect_oks_ap_on_coco(shared_data, tmp_path):
    data = f"coco:{shared_data / 'mmpose_fixtures' / 'coco' / 'test_coco.json'}"
    result = _oracle_eval(data, 17, holdout="none")
    assert result.metric == "OKS AP" and result.images == 12
    # Ground truth back through the crop affine: only the quarter-cell rounding is left.
    assert result.accuracy > 90.0
    assert result.baseline_accuracy < 20.0
    assert result.per_joint_metric == "PCK@0.2"
    assert min(v for v in result.per_joint.values() if v == v) == pytest.approx(100.0)


def test_oracle_on_the_fly_set_scores_100_pck(shared_data):
    data = f"keypoints:{shared_data / 'fly' / 'example_annotation_set.h5'}"
    result = _oracle_eval(data, 32, flip_test=True)
    assert result.metric == "PCK@0.2" and result.accuracy == pytest.approx(100.0)
    assert torch.tensor(list(result.per_joint.values())).min() == 100.0


@pytest.mark.parametrize("source", ["fly", "coco"])
def test_dataset_mirror_matches_the_flip_test_convention(shared_data, source):
    """The maps of the dataset's own mirrored crop (its affine flip + joint swap), mapped back by
    flip_heatmaps, must equal the maps of the plain crop: else the flip test would blur or shift."""
    from coexplore.pose import affine

    data = {"fly": f"keypoints:{shared_data / 'fly' / 'example_annotation_set.h5'}",
            "coco": f"coco:{shared_data / 'mmpose_fixtures' / 'coco' / 'test_coco.json'}"}[source]
    dataset = open_dataset(data, "val", RES, holdout="none") if source == "coco" else open_dataset(data, "val", RES)
    plain, mirrored = [], []
    for i in range(len(dataset)):
        original, annotated = dataset.original_joints(i)
        for aug, out in ((affine.IDENTITY, plain), (affine.Augmentation(flip=True), mirrored)):
            joints = affine.apply(dataset.crop_matrix(i, aug), original)
            visible = annotated & affine.inside(joints, RES)
            if aug.flip:
                joints, visible = dataset.flip_joints(joints, visible)
            out.append((torch.as_tensor(joints, dtype=torch.float32), torch.as_tensor(visible, dtype=torch.float32)))
    maps, _ = encode_heatmaps(torch.stack([j for j, _ in plain]), torch.stack([v for _, v in plain]), RES, RES // 4)
    mirror_maps, _ = encode_heatmaps(torch.stack([j for j, _ in mirrored]), torch.stack([v for _, v in mirrored]),
                                     RES, RES // 4)
    assert torch.allclose(flip_heatmaps(mirror_maps, dataset.flip_pairs), maps, atol=1e-5)
