"""The network to train, as pose sees it: plain metadata and a factory of fresh modules.

pose never builds a network itself (it imports no `coexplore.nets`): the CLI and the search describe
theirs with `coexplore.nets` and hand over a `NetworkFactory`. The factory takes the number of joints
because only the data knows it (the fly set has 32, MPII 16): the trainer opens the data first and
then builds the network for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class NetworkFactory:
    """Fresh, untrained networks of one architecture, for any number of joints.

    `label` names the network as given (run keys, progress lines); `label_for(joints)` names the one
    built for data with that many joints (results, checkpoints: what `coexplore eval` rebuilds).
    `build(joints)` returns a new module mapping (B, 3, input_res, input_res) images to `joints`
    heatmaps of heatmap_res × heatmap_res (a tensor, or a list of them, one per stack, last = final):
    a resumed or retried run needs a new one, never a module that has already trained.
    """

    label: str
    input_res: int
    heatmap_res: int
    joints: int
    build: Callable[[int], nn.Module]
    label_for: Callable[[int], str]
