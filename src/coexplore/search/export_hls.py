"""The HLS engine of a network and design: `coexplore hls --net ... --design ...` and
`coexplore export RUN --rank K --hls DIR`.

The engine needs each conv's weights and its batch-norm / ReLU as `hls.ConvParams`. For an hourglass
they come from the PyTorch module (`torch_params`, trained or not): the convs run in the same order
as the workload's conv ops (`lower(spec)`), each with the batch-norm before it (pre-activation
block: BN → ReLU → conv, applied on load), after it (conv → BN → ReLU, folded into the weights and
bias) or none. Any other workload gets deterministic synthetic parameters (`hls.synthetic_params`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from coexplore.errors import CoexploreError
from coexplore.fpga import Design, Device
from coexplore.hls import ConvParams, HlsResult, generate_hls
from coexplore.workload import Workload


def torch_params(model: Any, workload: Workload) -> dict[str, ConvParams]:
    """Every conv of `model` (in execution order) as `ConvParams` named after the workload's conv ops."""
    import torch
    from torch import nn

    from coexplore.nets.blocks import ConvBNReLU, PreActConv

    parent_of = {}
    for module in model.modules():
        if isinstance(module, (PreActConv, ConvBNReLU)):
            parent_of[id(module.conv)] = module
    order: list[nn.Conv2d] = []
    hooks = [m.register_forward_hook(lambda m, i, o: order.append(m)) for m in model.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    first = workload.ops[0]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(first.batch, first.in_channels, first.in_h, first.in_w))
    finally:
        for hook in hooks:
            hook.remove()
    convs = workload.convs()
    if len(order) != len(convs):
        raise CoexploreError(f"the model runs {len(order)} convs, the workload has {len(convs)}", field="network",
                             fix="export a network built by coexplore.nets.build from the same spec")
    return {op.name: _fold(conv, parent_of.get(id(conv))) for op, conv in zip(convs, order)}


def _fold(conv: Any, parent: Any) -> ConvParams:
    import torch

    from coexplore.nets.blocks import PreActConv

    weight = conv.weight.detach().double().numpy()
    if isinstance(conv, torch.nn.ConvTranspose2d):
        weight = weight.transpose(1, 0, 2, 3)  # (N, M, K, K) → (M, N, K, K)
    bias = conv.bias.detach().double().numpy() if conv.bias is not None else np.zeros(weight.shape[0])
    if parent is None:
        return ConvParams(weight, bias)
    bn = parent.bn
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().double().numpy()
    shift = bn.bias.detach().double().numpy() - bn.running_mean.detach().double().numpy() * scale
    if isinstance(parent, PreActConv):
        return ConvParams(weight, bias, pre_scale=scale, pre_bias=shift)
    return ConvParams(weight * scale[:, None, None, None], bias * scale + shift, post_relu=True)


def hls_for_spec(spec: str, workload: Workload, design: Design, device: Device | str, out_dir: Path, *,
                 precision: str | None = None, model: Any = None) -> HlsResult:
    """The project of an hourglass `spec` (its PyTorch weights: `model`, or the untrained network)."""
    from coexplore.nets import build

    model = model if model is not None else build(spec)
    return generate_hls(workload, design, device, out_dir, precision=precision, params=torch_params(model, workload))


def export_hls(run_dir: str | Path, rank: int, out_dir: str | Path, *, precision: str | None = None) -> tuple[HlsResult, str]:
    """The HLS project of row `rank` of a search run: its network (trained weights when the run kept
    them), its design on the run's board. Returns the result and where the weights came from."""
    from coexplore.files import read_mapping
    from coexplore.nets import lower, parse_spec
    from coexplore.results import load_results
    from coexplore.search.export import _network, choose

    run_dir = Path(run_dir)
    results = load_results(run_dir)
    record = choose(results, rank).record
    config = read_mapping(run_dir / "config.yaml", what="RUN", fix="give the folder of a `coexplore search` run")
    model, joints, weights, _ = _network(run_dir, config, record.spec)
    workload = lower(parse_spec(record.spec).replace(joints=joints))
    design = Design(**record.design)
    device = Device.model_validate(results.device)
    if precision is None and design.settings.precision == "fp32":
        precision = "int16"  # the engine is integer: the closest to a float search
    return hls_for_spec(record.spec, workload, design, device, Path(out_dir), precision=precision, model=model), weights
