"""A network as the accelerator computes it: fake quantisation with PyTorch's own FX tooling.

`quantize_for(model, "int8", calibration_batches)` returns a copy of `model` whose forward rounds and
saturates every value the accelerator holds as an integer (see `coexplore.fixedpoint`):

- BatchNorm that follows a conv is folded into it first (`fuse_fx` in eval mode), as an inference
  engine stores it; a BatchNorm after a residual add stays a per-channel affine in the requantiser;
- weights: symmetric per output channel over the narrow range (-127..127), power-of-two scales;
- activations (the image, every conv output, every add's output, every BN-ReLU output): symmetric
  per tensor over the full range, power-of-two scales; max-pool and nearest upsampling keep their
  input's scale (they move integers, they do not rescale them);
- conv biases snapped to the accumulator's grid, 2**-(f_in + f_w), as the engine stores them in 32 bits.

Scales are powers of two, rounded UP from the observed range (never saturating the calibration
data): the convention of fixed-point FPGA engines, e.g. Vitis AI's power-of-two quantiser
(`vai_q_pytorch`, UG1414 "Quantization"), so that requantising is a shift. PyTorch has no native
int16 quantised dtype, so the model stays in fake-quant mode (a float tensor holding integers times
a scale); 16-bit values use `torch.qint32` with a 16-bit quant range.

Calibration runs the float network (observers on, rounding off) over images from the TRAINING split,
never the validation split that is then scored.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import fx, nn
from torch.ao.quantization import (
    FakeQuantize,
    MinMaxObserver,
    PerChannelMinMaxObserver,
    QConfig,
    QConfigMapping,
    disable_fake_quant,
    disable_observer,
    enable_fake_quant,
    enable_observer,
)
from torch.ao.quantization.backend_config import BackendConfig, DTypeConfig, get_native_backend_config
from torch.ao.quantization.quantize_fx import fuse_fx, prepare_qat_fx

from coexplore import fixedpoint
from coexplore.errors import choice_error
from coexplore.fixedpoint import frac_bits_for, qrange

# Bits of the integer precisions; fp32 is the float network itself.
PRECISION_BITS: dict[str, int] = {"int16": 16, "int8": 8}
PRECISIONS: tuple[str, ...] = ("fp32", "int16", "int8")


def precision_bits(precision: str) -> int | None:
    """Bits of an integer precision, None for fp32; a CoexploreError for an unknown name."""
    if precision == "fp32":
        return None
    if precision not in PRECISION_BITS:
        raise choice_error("precision", precision, list(PRECISIONS))
    return PRECISION_BITS[precision]


class _PowerOfTwoScale:
    """Mixin for PyTorch observers: the symmetric scale rounded up to a power of two, zero point 0."""

    quant_max: int

    def _calculate_qparams(self, min_val: torch.Tensor, max_val: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        max_abs = torch.maximum(min_val.neg(), max_val).detach().cpu().double().numpy()
        max_abs = np.where(np.isfinite(max_abs), max_abs, 0.0)  # nothing observed yet
        frac = frac_bits_for(max_abs, int(self.quant_max + 1).bit_length())
        scale = torch.tensor(np.exp2(-frac.astype(np.float64)), dtype=torch.float32, device=min_val.device)
        return scale, torch.zeros(scale.shape, dtype=torch.int64, device=min_val.device)


class PowerOfTwoObserver(_PowerOfTwoScale, MinMaxObserver):
    """Per-tensor min/max observer with power-of-two scales (activations)."""


class PowerOfTwoPerChannelObserver(_PowerOfTwoScale, PerChannelMinMaxObserver):
    """Per-channel min/max observer with power-of-two scales (weights, axis 0 = output channels)."""


def _torch_dtype(bits: int) -> torch.dtype:
    return torch.qint8 if bits <= 8 else torch.qint32  # no native qint16: a 16-bit range in qint32


def qconfig_for(precision: str) -> QConfig:
    """Fake quantisation of one precision: per-tensor activations, per-channel narrow weights."""
    bits = precision_bits(precision)
    if bits is None:
        raise choice_error("precision", precision, list(PRECISION_BITS))
    dtype = _torch_dtype(bits)
    act_min, act_max = qrange(bits)
    w_min, w_max = qrange(bits, narrow=True)
    activation = FakeQuantize.with_args(
        observer=PowerOfTwoObserver, quant_min=act_min, quant_max=act_max, dtype=dtype,
        qscheme=torch.per_tensor_symmetric,
    )  # fmt: skip
    weight = FakeQuantize.with_args(
        observer=PowerOfTwoPerChannelObserver, quant_min=w_min, quant_max=w_max, dtype=dtype,
        qscheme=torch.per_channel_symmetric, ch_axis=0,
    )  # fmt: skip
    return QConfig(activation=activation, weight=weight)


def backend_config_for(precision: str) -> BackendConfig:
    """PyTorch's native operator patterns (which ops are quantised, which share their input's scale),
    with our dtypes: the native ones list only (q)uint8 activations and would skip int16."""
    dtype = _torch_dtype(precision_bits(precision) or 8)
    dtypes = DTypeConfig(input_dtype=dtype, output_dtype=dtype, weight_dtype=dtype, bias_dtype=torch.float)
    config = get_native_backend_config()
    for pattern in config.configs:
        pattern.set_dtype_configs([dtypes])
    return config


def prepare_for(model: nn.Module, precision: str, example: torch.Tensor) -> fx.GraphModule:
    """The traced copy of `model` with BN folded and fake quantisers inserted (observers on).

    Used for post-training quantisation and for quantisation-aware fine-tuning alike."""
    was_training = model.training
    fused = fuse_fx(copy.deepcopy(model).eval())  # eval: folds each conv's following BN into it
    fused.train(was_training)
    qconfig = qconfig_for(precision)
    mapping = QConfigMapping().set_global(qconfig)
    with warnings.catch_warnings():  # FX quantisation warns it will move to torchao; it is in torch 2.13
        warnings.filterwarnings("ignore", message="torch.ao.quantization is deprecated", category=DeprecationWarning)
        prepared = prepare_qat_fx(fused, mapping, example_inputs=(example,), backend_config=backend_config_for(precision))
    prepared.meta["coexplore_qconfig"] = qconfig
    for conv in quantized_convs(prepared):
        _insert_accumulator(prepared, conv.name)
    prepared.recompile()
    return prepared


@torch.no_grad()
def calibrate(prepared: fx.GraphModule, batches: Iterable[torch.Tensor]) -> int:
    """Observe the float network's ranges over `batches` (images); returns how many were seen."""
    prepared.eval()
    prepared.apply(enable_observer)
    prepared.apply(disable_fake_quant)
    seen = 0
    for images in batches:
        prepared(images)
        seen += int(images.shape[0])
    return seen


@torch.no_grad()
def freeze(prepared: fx.GraphModule) -> fx.GraphModule:
    """Stop observing and round from now on (eval mode), with each conv's integer arithmetic fixed:

    the accumulator's scale 2**-(f_in + f_w) must cover the sums seen in calibration (and the bias) in
    ACCUMULATOR_BITS, so a channel's weights get at most `f_acc - f_in` fractional bits (int8 never
    needs the cut; int16 x int16 products fill 30 of the 32 bits and often do); the bias is snapped
    to that grid, and the sum saturates at the accumulator's width."""
    prepared.eval()
    for conv in quantized_convs(prepared):
        natural = frac_bits_of_qparams(conv.weight_quantizer.calculate_qparams()[0])
        covering = frac_bits_of_qparams(conv.accumulator.calculate_qparams()[0])
        if conv.module.bias is not None:  # the bias must fit the register too, whatever the sums were
            bias = conv.module.bias.detach().abs().cpu().double().numpy()
            covering = np.minimum(covering, frac_bits_for(bias, fixedpoint.ACCUMULATOR_BITS))
        weight_frac = np.minimum(natural, covering - conv.input_frac_bits())
        conv.weight_quantizer.scale.copy_(torch.from_numpy(np.exp2(-weight_frac.astype(np.float64))))
        accumulator_frac = conv.input_frac_bits() + weight_frac
        conv.accumulator.scale.copy_(torch.from_numpy(np.exp2(-accumulator_frac.astype(np.float64))))
        if conv.module.bias is not None:
            conv.module.bias.copy_(_snap_bias(conv.module.bias, accumulator_frac))
    _round_transposed_weights(prepared)
    prepared.apply(disable_observer)
    prepared.apply(enable_fake_quant)
    return prepared


def _round_transposed_weights(prepared: fx.GraphModule) -> None:
    """Deconv weights, rounded once in place with the weight quantiser (PyTorch has no QAT module for
    ConvTranspose2d, so `prepare_qat_fx` leaves them float). Their channel axis is 1: (in, out, k, k)."""
    weight_quantizer = prepared.meta["coexplore_qconfig"].weight
    for module in prepared.modules():
        if isinstance(module, nn.ConvTranspose2d) and module.groups == 1:
            quantizer = weight_quantizer(ch_axis=1).to(module.weight.device)
            module.weight.copy_(quantizer(module.weight))


class AccumulatorSaturation(FakeQuantize):
    """A conv's sum in a signed ACCUMULATOR_BITS register, per output channel: in calibration it
    observes the sums' range; frozen, at scale 2**-(f_in + f_w), values on that grid pass unchanged and
    larger ones saturate. (A conv fused with its ReLU is saturated after the ReLU: the same result,
    since clamping and ReLU commute.)"""

    def __init__(self) -> None:
        low, high = qrange(fixedpoint.ACCUMULATOR_BITS)
        super().__init__(
            observer=PowerOfTwoPerChannelObserver, quant_min=low, quant_max=high, dtype=torch.qint32,
            qscheme=torch.per_channel_symmetric, ch_axis=1,
        )  # fmt: skip


def _insert_accumulator(graph_module: fx.GraphModule, conv_name: str) -> None:
    node = next(n for n in graph_module.graph.nodes if n.op == "call_module" and n.target == conv_name)
    name = conv_name.replace(".", "_") + "_accumulator"
    graph_module.add_submodule(name, AccumulatorSaturation())
    with graph_module.graph.inserting_after(node):
        saturated = graph_module.graph.call_module(name, (node,))
    node.replace_all_uses_with(saturated, delete_user_cb=lambda user: user is not saturated)


def _snap_bias(bias: torch.Tensor, frac_bits: np.ndarray) -> torch.Tensor:
    scale = torch.from_numpy(np.exp2(frac_bits.astype(np.float64))).to(bias.device)
    low, high = qrange(fixedpoint.ACCUMULATOR_BITS)
    snapped = torch.clamp(torch.round(bias.double() * scale), low, high) / scale
    return snapped.to(bias.dtype)


def quantize_for(
    model: nn.Module, precision: str, calibration_batches: Iterable[torch.Tensor], *, example: torch.Tensor | None = None
) -> nn.Module:
    """`model` as the accelerator computes it at `precision` (eval mode); fp32 returns `model` itself.

    `calibration_batches`: image tensors from the training split, on the model's device and dtype.
    `example` (one batch) defaults to the first calibration batch."""
    if precision_bits(precision) is None:
        return model.eval()
    batches = list(calibration_batches)
    if not batches:
        raise ValueError("quantize_for needs at least one calibration batch")
    prepared = prepare_for(model, precision, example if example is not None else batches[0])
    calibrate(prepared, batches)
    return freeze(prepared)


@dataclass
class QuantizedConv:
    """A conv of a quantised graph with the fake quantisers around it: what one engine layer computes."""

    name: str
    module: nn.Module  # a torch.ao.nn.qat Conv2d (possibly fused with its ReLU)
    input_quantizer: FakeQuantize
    output_quantizer: FakeQuantize | None
    accumulator: AccumulatorSaturation | None = None  # None only while the graph is being prepared

    @property
    def weight_quantizer(self) -> FakeQuantize:
        return self.module.weight_fake_quant

    def input_frac_bits(self) -> int:
        return int(frac_bits_of(self.input_quantizer)[0])

    def weight_frac_bits(self) -> np.ndarray:
        return frac_bits_of(self.weight_quantizer)

    def output_frac_bits(self) -> int | None:
        return int(frac_bits_of(self.output_quantizer)[0]) if self.output_quantizer is not None else None

    def accumulator_frac_bits(self) -> np.ndarray:
        return self.input_frac_bits() + self.weight_frac_bits()


def frac_bits_of(quantizer: FakeQuantize) -> np.ndarray:
    """The fractional bits of a power-of-two fake quantiser's scale(s)."""
    return frac_bits_of_qparams(quantizer.scale)


def frac_bits_of_qparams(scale: torch.Tensor) -> np.ndarray:
    return np.rint(-np.log2(scale.detach().cpu().double().numpy())).astype(np.int64).reshape(-1)


def quantized_convs(graph: fx.GraphModule) -> list[QuantizedConv]:
    """Every conv with a fake-quantised weight, its input quantiser and the quantiser of its output."""
    modules = dict(graph.named_modules())
    found = []
    for node in graph.graph.nodes:
        module = modules.get(node.target) if node.op == "call_module" else None
        if module is None or not isinstance(getattr(module, "weight_fake_quant", None), FakeQuantize):
            continue
        source = node.args[0]
        input_q = modules.get(source.target) if isinstance(source, fx.Node) and source.op == "call_module" else None
        users = _module_users(node, modules)
        accumulator = next((u for u in users if isinstance(u, AccumulatorSaturation)), None)
        if accumulator is not None:
            users = _module_users(next(iter(node.users)), modules)
        output_q = next((u for u in users if isinstance(u, FakeQuantize)), None)
        if isinstance(input_q, FakeQuantize):
            found.append(QuantizedConv(str(node.target), module, input_q, output_q, accumulator))
    return found


def _module_users(node: fx.Node, modules: dict[str, nn.Module]) -> list[nn.Module]:
    return [modules[u.target] for u in node.users if u.op == "call_module"]
