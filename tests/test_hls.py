"""The HLS engine: its C-simulation (g++ -Wall -Wextra -Werror) equals the numpy integer reference bit
for bit, and its per-layer counts of MAC-array iterations and port words equal the cost model's."""

from __future__ import annotations

import numpy as np
import pytest

from coexplore.errors import CoexploreError
from coexplore.fpga import Design
from coexplore.hls import build_graph, compiler, generate_hls, run_csim
from coexplore.nets import lower
from coexplore.workload import Op, Workload
from coexplore.workload.reference import alexnet

needs_gxx = pytest.mark.skipif(compiler() is None, reason="g++ is not installed: the C-simulation cannot be built")

# A small MAC array and tiles that leave ragged edges on the tiny hourglass (maps 32, 16, 8, 4).
TINY_DESIGN = Design(tm=8, tn=4, tr=10, tc=12, schedule="roofline", precision="int8")
# Zhang et al. FPGA'15, Table 4 / Section 5 (REFERENCES.md): <Tm, Tn> = <64, 7>, Tr = Tc = 13 with
# per-layer tiles for conv1 and conv2, as in test_fpga_zhang_golden.py.
ZHANG = Design(tm=64, tn=7, tr=13, tc=13, precision="fp32", clock_mhz=100, pipeline_overhead_cycles=20,
               schedule="roofline", layer_tiles=(("conv1_*", 11, 11), ("conv2_*", 27, 27)))


def csim(tmp_path, workload, design, device="zcu102", **options):
    result = generate_hls(workload, design, device, tmp_path / "hls", **options)
    return result, run_csim(result.project.out_dir, timeout=300)


def assert_counts_equal(run, expected_layers):
    assert run.counts, run.output
    assert {layer for layer, *_ in run.counts} == expected_layers
    differ = [c for c in run.counts if c[2] != c[3]]
    assert not differ, differ[:10]
    assert run.counts_equal


def ragged_stride2() -> Workload:
    """A stride-2 conv whose tiles leave ragged rows, cols, input and output maps, then a pool and
    an add that reads a skip tensor."""
    conv = Op("down", "conv", 5, 11, 37, 29, 19, 15, kernel=3, stride=2, padding=1, inputs=("input",), output="down")
    body = Op("body", "conv", 11, 11, 19, 15, 19, 15, kernel=3, padding=1, inputs=("down",), output="body")
    pool = Op("pool", "pool", 11, 11, 19, 15, 9, 7, kernel=2, stride=2, mode="max", inputs=("body",), output="pool")
    up = Op("up", "upsample", 11, 11, 9, 7, 18, 14, mode="nearest", inputs=("pool",), output="up")
    crop = Op("crop", "conv", 11, 11, 19, 15, 18, 14, kernel=2, inputs=("down",), output="crop")
    add = Op("add", "add", 11, 11, 18, 14, 18, 14, inputs=("up", "crop"), output="add")
    return Workload("ragged", [conv, body, pool, up, crop, add])


@needs_gxx
@pytest.mark.parametrize(("precision", "block"), [("int8", "bottleneck"), ("int16", "bottleneck"), ("int8", "dsc")])
def test_tiny_hourglass_is_bit_exact_and_counts_equal_the_model(tmp_path, precision, block):
    from coexplore.nets import parse_spec

    workload = lower(parse_spec("tiny").replace(block=block))  # dsc: depthwise (grouped) convs
    _, run = csim(tmp_path, workload, TINY_DESIGN, precision=precision)
    assert run.bit_exact, run.output[-3000:]
    assert run.returncode == 0
    assert_counts_equal(run, {op.name for op in workload.ops})
    assert "-Werror" in (tmp_path / "hls" / "Makefile").read_text()


@needs_gxx
@pytest.mark.slow
def test_alexnet_conv_layers_with_zhangs_design_count_as_the_model(tmp_path):
    workload = alexnet()
    _, run = csim(tmp_path, workload, ZHANG, device="vc707", precision="int16", isolate=True, test_images=1)
    assert run.bit_exact, run.output[-3000:]
    assert_counts_equal(run, {op.name for op in workload.ops})
    compute = {layer: engine for layer, counter, engine, _ in run.counts if counter == "compute"}
    # Zhang FPGA'15 per-group cycles with P = 20 (REFERENCES.md, test_fpga_zhang_golden.py): the engine's
    # iterations plus P per tile step give the published numbers.
    published = {"conv2": 255_430, "conv3": 171_051, "conv4": 129_444, "conv5": 86_296}
    for op in workload.ops:
        layer = op.name.split("_")[0]
        if layer in published:
            tile = ZHANG.tile_for(op.name)[0]
            steps = -(-op.out_channels // 64) * -(-op.in_channels // 7) * (-(-op.out_h // tile)) ** 2
            assert compute[op.name] + 20 * steps == published[layer]


@needs_gxx
@pytest.mark.parametrize("schedule", ["roofline", "overlap"])
def test_stride_2_with_ragged_tiles(tmp_path, schedule):
    workload = ragged_stride2()
    design = Design(tm=4, tn=3, tr=4, tc=6, schedule=schedule, precision="int8", ports_words_per_cycle=(4, 4, 4))
    _, run = csim(tmp_path, workload, design)
    assert run.bit_exact, run.output[-3000:]
    rows = {(layer, counter): (engine, model) for layer, counter, engine, model in run.counts}
    assert rows[("add", "skip")][0] == 11 * 18 * 14  # `crop` made `down`'s reader two ops later: a skip read
    if schedule == "roofline":
        assert_counts_equal(run, {op.name for op in workload.ops})


@needs_gxx
def test_deconv_upsampling_with_torch_weights(tmp_path):
    """The hourglass's learned upsampling (4×4 stride-2 transposed conv, padding 1) runs as a gather:
    bit-exact, and every count equals the model's, the deconv's input words included: each S·tr × S·tc
    output tile reads a one-pixel halo around its tr × tc input pixels (the engine found the model
    leaving it out; fpga.mapping.transposed_halo now counts it)."""
    pytest.importorskip("torch")
    from coexplore.nets import parse_spec
    from coexplore.search.export_hls import hls_for_spec

    spec = parse_spec("tiny").replace(upsample="deconv")
    workload = lower(spec)
    design = Design(tm=8, tn=4, tr=6, tc=5, schedule="roofline", precision="int8")
    result = hls_for_spec(str(spec), workload, design, "zcu102", tmp_path / "hls")
    run = run_csim(result.project.out_dir)
    assert run.bit_exact, run.output[-3000:]
    deconvs = {op.name: op for op in workload.ops if op.transposed}
    assert deconvs
    for layer, counter, engine, model in run.counts:
        if layer in deconvs and counter == "input":  # computed independently: tiles × Tn × (tr+2)(tc+2)
            op = deconvs[layer]
            tr, tc = min(6, op.in_h), min(5, op.in_w)
            trips = -(-op.out_channels // 8) * -(-op.in_channels // 4) * -(-op.in_h // tr) * -(-op.in_w // tc)
            assert engine == trips * min(4, op.in_channels) * (tr + 2) * (tc + 2)
        assert engine == model, (layer, counter)


@needs_gxx
def test_a_wrong_reference_is_caught(tmp_path):
    result, _ = csim(tmp_path, ragged_stride2(), Design(tm=4, tn=3, tr=4, tc=6, schedule="roofline",
                                                        precision="int8"))
    expected = tmp_path / "hls" / "data" / "expected_0.bin"
    data = np.fromfile(expected, dtype=np.int8)
    data[len(data) // 2] ^= 1
    data.tofile(expected)
    run = run_csim(result.project.out_dir)
    assert not run.bit_exact and run.returncode != 0  # make's status: the testbench exited with 1
    assert "MISMATCH image 0" in run.output and "FAIL (not bit-exact)" in run.output


@needs_gxx
def test_real_fly_images_are_bit_exact(tmp_path, shared_data):
    h5py = pytest.importorskip("h5py")
    with h5py.File(shared_data / "fly" / "example_annotation_set.h5", "r") as f:
        frames = f["images"][:2, :, :, 0].astype(np.float64) / 255.0  # 192×192 grey
    workload = lower("tiny")  # 64×64 input: a 3×3 block mean of each frame, on every colour channel
    small = frames.reshape(2, 64, 3, 64, 3).mean(axis=(2, 4))
    images = [{"input": np.repeat(frame[None, None], 3, axis=1)} for frame in small]
    for precision in ("int8", "int16"):
        _, run = csim(tmp_path / precision, workload, TINY_DESIGN, precision=precision, images=images)
        assert run.bit_exact, run.output[-3000:]


def test_torch_weights_fold_into_the_engine_network():
    torch = pytest.importorskip("torch")
    from coexplore.hls.quant import float_forward
    from coexplore.nets import build
    from coexplore.search.export_hls import torch_params

    model = build("tiny").eval()
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():  # batch-norm statistics that are not the identity
        if isinstance(module, torch.nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)
    workload = lower("tiny")
    graph = build_graph(workload)
    image = torch.rand(1, 3, 64, 64, generator=generator)
    with torch.no_grad():
        heatmaps = model(image)[-1].double().numpy()
    values = float_forward(graph, torch_params(model, workload), {"input": image.double().numpy()})
    np.testing.assert_allclose(values[graph.results[-1]], heatmaps, rtol=1e-4, atol=1e-4)


def test_unsupported_ops_are_one_error():
    with pytest.raises(CoexploreError, match="transposed"):
        build_graph(Workload("t", [Op("d", "conv", 4, 4, 8, 8, 15, 15, kernel=3, stride=2, padding=1,
                                      transposed=True)]))
    with pytest.raises(CoexploreError, match="isolate the layers"):
        build_graph(alexnet())
    with pytest.raises(CoexploreError, match="integer"):
        generate_hls(ragged_stride2(), Design(tm=2, tn=2, tr=4, tc=4, precision="fp32"), "zcu102", None)
