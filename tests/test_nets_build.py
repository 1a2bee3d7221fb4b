"""The PyTorch builder: honest parameter counts (Newell et al.), output shapes, no unused modules."""

import pytest
import torch

from coexplore.nets import PRESETS, build, parse_spec


@pytest.fixture(autouse=True)
def _one_thread():
    """The test machines are shared: one intra-op thread, restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# REFERENCES.md, "Stacked Hourglass": parameters computed for the Newell topology (16 joints, no
# unused layers), 1/2/4/8 stacks at F = 256: 3.43 / 6.57 / 12.86 / 25.43 M. Counted as PyTorch
# counts them: conv weights and biases plus batch-norm scales and shifts.
@pytest.mark.parametrize("preset, published_m", [("newell1", 3.43), ("newell2", 6.57), ("newell4", 12.86),
                                                 ("newell8", 25.43)])
def test_newell_parameter_counts_match_the_literature(preset, published_m):
    model = build(PRESETS[preset], device="meta")
    params = sum(p.numel() for p in model.parameters())
    assert abs(params / 1e6 - published_m) / published_m < 0.01, params


def test_forward_returns_one_heatmap_per_stack_at_a_quarter_resolution():
    torch.manual_seed(0)
    spec = PRESETS["small2"].replace(input_res=64, features=16)
    heatmaps = build(spec)(torch.randn(2, 3, 64, 64))
    assert [tuple(h.shape) for h in heatmaps] == [(2, 16, 16, 16)] * 2


@pytest.mark.parametrize("text", ["hg-s2-o2-f8-m3-basic-k5-deconv-r16-j5-scaled",
                                  "hg-s2-o3-f16-m1-dsc-k3-bilinear-r32-w24.32.16-scaled",
                                  "hg-s3-o1-f8-m1-bottleneck-k3-nearest-r16-nosup"])
def test_every_parameter_is_used(text):
    # A module that never takes part in the forward pass would get no gradient: the
    # "unused skip convs" that make some implementations over-report parameters (REFERENCES.md).
    torch.manual_seed(0)
    spec = parse_spec(text)
    model = build(spec)
    heatmaps = model(torch.randn(2, 3, spec.input_res, spec.input_res))
    assert len(heatmaps) == (spec.stacks if spec.supervision else 1)
    sum(h.square().mean() for h in heatmaps).backward()
    unused = [name for name, p in model.named_parameters() if p.grad is None]
    assert unused == []


def test_skip_conv_only_where_channels_change():
    model = build(parse_spec("hg-s1-o2-f32-r32-scaled"), device="meta")
    skips = [name for name, module in model.named_modules() if name.endswith(".skip") and module is not None]
    # scaled stem: 16 -> 32 in res1 is the only width change (uniform levels)
    assert skips == ["stem.res1.skip"]


def test_build_accepts_a_preset_name_and_a_spec_string():
    a, b = build("tiny", device="meta"), build(str(PRESETS["tiny"]), device="meta")
    assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters())
