"""The hourglass of a spec as the pose trainer takes it: search (and `coexplore train`) build the
network with `coexplore.nets`; pose only trains and scores what it is handed."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from coexplore.nets import HourglassSpec, parse_spec
from coexplore.pose.network import NetworkFactory


def hourglass_network(spec: str | Path | HourglassSpec) -> NetworkFactory:
    """Fresh hourglasses of `spec` (a preset name, compact string, spec file or spec) for any joint count."""
    spec = parse_spec(spec)
    return NetworkFactory(
        label=str(spec),
        input_res=spec.input_res,
        heatmap_res=spec.heatmap_res,
        joints=spec.joints,
        build=partial(_build, spec),
        label_for=partial(_label, spec),
    )


def _build(spec: HourglassSpec, joints: int):  # -> nn.Module; torch loads with the builder only
    from coexplore.nets import build

    return build(spec.replace(joints=joints))


def _label(spec: HourglassSpec, joints: int) -> str:
    return str(spec.replace(joints=joints))
