"""Joint tables and flip pairs (MPII, COCO, and the fly set's names, whose swap table is buggy)."""

from __future__ import annotations

import csv

import pytest

from coexplore.errors import CoexploreError
from coexplore.pose.joints import COCO_LAYOUT, MPII_LAYOUT, derive_flip_pairs, layout_from_names, mirror_name


def _is_involution(perm: list[int]) -> bool:
    return all(perm[perm[j]] == j for j in range(len(perm)))


def test_mpii_flip_permutation_matches_the_published_one():
    # shared/data/mpii/FORMAT.md: flip permutation [5,4,3,2,1,0,6,7,8,9,15,14,13,12,11,10]
    assert MPII_LAYOUT.flip_permutation() == [5, 4, 3, 2, 1, 0, 6, 7, 8, 9, 15, 14, 13, 12, 11, 10]
    assert _is_involution(MPII_LAYOUT.flip_permutation())


def test_coco_flip_pairs_and_skeleton():
    # COCO's 17 keypoints are nose then interleaved left/right pairs (mmpose_fixtures/FORMAT.md).
    assert COCO_LAYOUT.flip_pairs == tuple((k, k + 1) for k in range(1, 17, 2))
    assert len(COCO_LAYOUT.skeleton) == 19 and (15, 13) in COCO_LAYOUT.skeleton  # 1-based (16, 14)
    assert _is_involution(COCO_LAYOUT.flip_permutation())


def test_fly_pairs_come_from_the_names_not_the_buggy_swap_column(shared_data):
    with (shared_data / "fly" / "skeleton.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    names = [row["name"] for row in rows]
    perm = layout_from_names(names).flip_permutation()
    assert _is_involution(perm)
    # fly/FORMAT.md: the correct (name-based) partners of the rows both files get wrong
    assert names[perm[12]] == "midlegL3" and names[perm[23]] == "midlegR2" and names[perm[24]] == "midlegR3"
    for j, name in enumerate(names):
        if name in ("head", "neck", "thorax", "abdomen"):
            assert perm[j] == j
        else:
            assert names[perm[j]] == name.replace("L", "#").replace("R", "L").replace("#", "R")
    # and the CSV's own swap column is indeed not an involution (the reason we ignore it)
    index = {n: k for k, n in enumerate(names)}
    csv_perm = [index.get(row["swap"], k) for k, row in enumerate(rows)]
    assert not _is_involution(csv_perm)


@pytest.mark.parametrize(
    ("name", "mirrored"),
    [
        ("left_knee", "right_knee"),
        ("r_ankle", "l_ankle"),
        ("eyeL", "eyeR"),
        ("forelegR1", "forelegL1"),
        ("knee_l", "knee_r"),
        ("Left Hand", "Right Hand"),
        ("thorax", None),
        ("upright", None),
    ],
)
def test_mirror_name(name, mirrored):
    assert mirror_name(name) == mirrored


def test_unpaired_or_repeated_names_are_refused():
    with pytest.raises(CoexploreError, match="no mirror partner 'wingR'"):
        derive_flip_pairs(["head", "wingL"], source="test")
    with pytest.raises(CoexploreError, match="appears twice"):
        derive_flip_pairs(["head", "head"], source="test")
