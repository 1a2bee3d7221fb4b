"""lower(spec) vs trace(build(spec)): op for op, and MACs against PyTorch's own FLOP counter."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from workload_support import differences, structure

from coexplore.nets import PRESETS, HourglassSpec, build, lower, parse_spec, trace
from coexplore.nets.spec import BLOCKS, STEMS, UPSAMPLES


def _random_spec(rng: np.random.Generator) -> HourglassSpec:
    """Any valid spec, kept small so the meta trace stays fast (bottom level 1x1 or 2x2)."""
    order = int(rng.integers(1, 4))
    features = int(rng.choice([8, 16, 24, 32]))
    widths = ()
    if rng.random() < 0.4:
        widths = tuple(int(w) for w in rng.choice([8, 16, 24, 40], size=order))
    return HourglassSpec(
        stacks=int(rng.integers(1, 3)), order=order, features=features, modules=int(rng.integers(1, 4)),
        block=str(rng.choice(BLOCKS)), kernel=int(rng.choice([3, 5])), upsample=str(rng.choice(UPSAMPLES)),
        input_res=4 * 2**order * int(rng.integers(1, 3)), joints=int(rng.integers(1, 18)),
        stem=str(rng.choice(STEMS)), supervision=bool(rng.random() < 0.7), widths=widths,
    )


@pytest.fixture(autouse=True)
def _one_thread():
    """The test machines are shared: one intra-op thread, restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SPECS = [_random_spec(np.random.default_rng(seed)) for seed in range(24)]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_lower_equals_trace_of_the_built_module(spec):
    batch = 1 + len(str(spec)) % 2
    model = build(spec, device="meta").eval()  # eval: batch-norm accepts 1x1 maps at batch 1
    traced = trace(model, (batch, 3, spec.input_res, spec.input_res))
    lowered = lower(spec, batch=batch)
    # Same kinds, shapes and order, and the same tensor graph (which op feeds which).
    assert differences(lowered, traced) == []
    # MACs of every conv against torch.utils.flop_counter (2 FLOPs per MAC).
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(batch, 3, spec.input_res, spec.input_res, device="meta"))
    assert lowered.macs == counter.get_total_flops() // 2


def test_newell8_lowers_exactly():
    spec = PRESETS["newell8"]
    lowered = lower(spec)
    assert differences(lowered, trace(build(spec, device="meta"), (1, 3, 256, 256))) == []
    # Independent count: 3n+1 = 13 residuals per order-4 hourglass (Newell et al.), + 1 in the head,
    # 8 stacks, + 3 in the stem = 115 residuals; 3 convs each (bottleneck); skip convs only at the
    # stem's 64->128 and 128->256 changes; stem conv; per stack lin + pred; 7 x 2 merge convs.
    assert len(lowered.convs()) == 115 * 3 + 2 + 1 + 8 * 2 + 7 * 2
    assert lowered.kind_counts()["pool"] == 1 + 8 * 4 and lowered.kind_counts()["upsample"] == 8 * 4


@pytest.mark.slow
@pytest.mark.parametrize("text", ["hg-s2-o2-f16-m2-dsc-k5-deconv-r32-nosup-scaled",
                                  "hg-s2-o2-f24-m1-basic-k3-bilinear-r16-w32.8-j5"])
def test_export_method_agrees_with_meta_method(text):
    spec = parse_spec(text)
    model = build(spec, device="meta")
    shape = (1, 3, spec.input_res, spec.input_res)
    assert differences(trace(model, shape), trace(model, shape, method="export")) == []


def test_skip_tensors_are_the_hourglass_up_branches_and_stack_inputs():
    spec = parse_spec("hg-s2-o3-f16-m1-r32-scaled")
    workload = lower(spec)
    skips = {s.tensor: s for s in workload.skip_tensors()}
    ops = workload.ops
    for stack in range(2):
        for level in (1, 2, 3):
            up = skips[f"s{stack}.hg.l{level}.up.m0.add"]  # the up branch waits for the whole low branch
            assert ops[up.end].name == f"s{stack}.hg.l{level}.add"
    # the first stack's input is read again by the merge after the whole stack
    stack_input = skips["stem.res3.add"]
    assert ops[stack_input.end].name == "s0.merge.add_feat"
    # the top-level up branch of an F-channel, 8x8 heatmap hourglass is 16 x 8 x 8 values
    assert skips["s0.hg.l1.up.m0.add"].elems == 16 * 8 * 8


def test_lower_names_are_stable_and_meaningful():
    names = [op.name for op in lower(PRESETS["newell2"]).ops]
    assert names[:3] == ["stem.conv", "stem.res1.conv1", "stem.res1.conv2"]
    for expected in ("s0.hg.l1.up.m0.conv2", "s0.hg.l4.bottom.m0.conv1", "s0.hg.l2.pool", "s0.hg.l1.upsample",
                     "s0.head.lin", "s0.head.pred", "s0.merge.feat", "s0.merge.add_pred", "s1.head.pred"):
        assert expected in names
    assert "s1.merge.feat" not in names  # the last stack has no remaps


def test_batch_scales_macs_and_activations_linearly():
    one, four = lower(PRESETS["tiny"]), lower(PRESETS["tiny"], batch=4)
    assert four.macs == 4 * one.macs and four.params == one.params
    assert structure(four.with_batch(1)) == structure(one)


def test_lower_does_not_import_torch():
    code = ("import sys; from coexplore.nets import lower, HourglassSpace, resolve_workload; "
            "lower('newell8'); resolve_workload('tiny'); HourglassSpace.default().size(); "
            "assert 'torch' not in sys.modules and 'onnx' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_trace_rejects_bad_arguments():
    from coexplore.errors import CoexploreError

    model = build(PRESETS["tiny"], device="meta")
    with pytest.raises(CoexploreError, match="method"):
        trace(model, (1, 3, 64, 64), method="jit")
    with pytest.raises(CoexploreError, match="input_shape"):
        trace(model, (0, 3, 64, 64))
    with pytest.raises(CoexploreError, match="meta device failed"):
        trace(model, (1, 4, 64, 64))  # 4 channels into a 3-channel stem


def test_trace_captures_functional_ops_and_concat():
    class Functional(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(8, 3, 3, 3))

        def forward(self, x):
            a = torch.nn.functional.conv2d(x, self.weight, padding=1)
            b = torch.nn.functional.avg_pool2d(a, 2)
            c = torch.nn.functional.interpolate(b, scale_factor=2.0, mode="bilinear")
            return torch.cat([a, c + a], dim=1)

    for method in ("meta", "export"):
        workload = trace(Functional(), (1, 3, 16, 16), method=method)
        assert [op.kind for op in workload.ops] == ["conv", "pool", "upsample", "add", "concat"], method
        concat = workload.ops[-1]
        assert (concat.in_channels, concat.out_h) == (16, 16)
        assert workload.ops[2].mode == "bilinear" and workload.ops[1].mode == "avg"
        assert differences(workload, trace(Functional(), (1, 3, 16, 16))) == []
