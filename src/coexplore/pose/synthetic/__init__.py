"""The built-in, download-free pose task: procedural articulated figures in the MPII 16-joint layout.

A sample is a *scene* (pure geometry and colours, drawn from an RNG seeded by (seed, split, index))
rendered through an affine: the crop/augmentation matrix of `coexplore.pose.affine`, applied to the
geometry itself, so augmented samples are as sharp as plain ones and never show black corners.

Modules, bottom up: `config` (the task's knobs), `figure` (body model, random poses, the drawing of
one figure), `scene` (background, clutter, distractor, occluders: one whole sample as geometry),
`render` (geometry → pixels), `poses` (the dataset and `open_synthetic`).
"""

from coexplore.pose.synthetic.config import SyntheticConfig
from coexplore.pose.synthetic.figure import kinematic_pose, prior_pose
from coexplore.pose.synthetic.poses import SyntheticPoses, open_synthetic
from coexplore.pose.synthetic.render import render
from coexplore.pose.synthetic.scene import PCKH_HEAD_FACTOR, Scene, make_scene

__all__ = [
    "PCKH_HEAD_FACTOR",
    "Scene",
    "SyntheticConfig",
    "SyntheticPoses",
    "kinematic_pose",
    "make_scene",
    "open_synthetic",
    "prior_pose",
    "render",
]
