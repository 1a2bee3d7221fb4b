"""The overlap schedule (Jiang et al.: FNAS DAC'19, TCAD'20, hotNAS CODES+ISSS'20) on layers small
enough to compute by hand; every expected number is worked out in the comment beside it."""

import pytest

from coexplore.fpga import Design, Device, evaluate
from coexplore.workload import Op, Workload

# int16 on this board: one port carries 512/16 = 32 words per cycle; DDR 100 GB/s at 100 MHz is
# 500 words per cycle, so explicit ports below are never capped.
BOARD = Device(name="hand", part="T", family="ultrascale+", dsp=100_000, bram18=100_000, uram=100,
               bandwidth_gbps=100.0, clock_mhz=100.0, max_port_bits=512)
NARROW = BOARD.model_copy(update={"name": "narrow", "max_port_bits": 64})  # shared port: 4 words/cycle


def conv(name, n, m, size, k, s=1, p=0, groups=1, inputs=("x",), output=None, transposed=False):
    out = size * s if transposed else (size + 2 * p - k) // s + 1
    return Op(name, "conv", n, m, size, size, out, out, kernel=k, stride=s, padding=p, groups=groups,
              inputs=inputs, output=output or name, transposed=transposed)


def design(**kw):
    return Design(**{"precision": "int16", "clock_mhz": 100, **kw})


def cost_of(op, d, device=BOARD):
    return evaluate(Workload("w", [op]), d, device).ops[0]


# Case A: N=16 M=32 8×8 K3 p1, ⟨16,8⟩, 8×8 tiles, ports 4/4/4.
# tI = 8·8·8/4 = 128; tW = 16·8·9/4 = 288; tO = 16·8·8/4 = 256; tC = 9·8·8 = 576
# Lat1 = 576; ⌈16/8⌉ = 2 steps → Lat2 = max(1152, 256) = 1152; ⌈32/16⌉ = 2 tiles → 2,304 cycles.
A_OP = conv("a", 16, 32, 8, 3, p=1)
A = design(tm=16, tn=8, tr=8, tc=8, ports_words_per_cycle=(4, 4, 4))


def test_compute_limited_layer():
    row = cost_of(A_OP, A)
    assert row.total_cycles == 2_304
    assert row.compute_cycles == 4 * 576  # tC × B·⌈R/Tr⌉⌈C/Tc⌉⌈M/Tm⌉⌈N/Tn⌉ = 4 trips
    assert (row.input_cycles, row.weight_cycles, row.output_cycles) == (4 * 128, 4 * 288, 2 * 256)
    assert row.memory_cycles == 512 + 1152 + 512
    assert row.bottleneck == "compute"


def test_input_limited_layer():
    # N=64 M=8 16×16 K1, ⟨8,16⟩, 16×16 tiles, ports 1/8/8:
    # tI = 16·16·16/1 = 4096; tW = 8·16/8 = 16; tO = 8·256/8 = 256; tC = 256
    # Lat1 = 4096; 4 steps → Lat2 = 16,384; one tile → 16,384 cycles.
    row = cost_of(conv("b", 64, 8, 16, 1), design(tm=8, tn=16, tr=16, tc=16, ports_words_per_cycle=(1, 8, 8)))
    assert row.total_cycles == 16_384
    assert (row.compute_cycles, row.input_cycles, row.weight_cycles, row.output_cycles) == (1024, 16384, 64, 256)
    assert row.bottleneck == "input"


def test_output_limited_layer():
    # N=4 M=64 16×16 K1, ⟨64,4⟩, ports 8/8/1: tO = 64·256/1 = 16,384 > ⌈4/4⌉·max(128, 32, 256)
    row = cost_of(conv("c", 4, 64, 16, 1), design(tm=64, tn=4, tr=16, tc=16, ports_words_per_cycle=(8, 8, 1)))
    assert row.total_cycles == 16_384
    assert row.bottleneck == "output"


def test_weight_limited_layer():
    # N=8 M=64 4×4 K3 p1, ⟨64,8⟩, 4×4 tiles, ports 8/1/8: tW = 64·8·9/1 = 4608 ≫ tC = 9·4·4 = 144
    row = cost_of(conv("w", 8, 64, 4, 3, p=1), design(tm=64, tn=8, tr=4, tc=4, ports_words_per_cycle=(8, 1, 8)))
    assert row.total_cycles == 4_608
    assert row.bottleneck == "weight"


def test_stride_two_with_ragged_tiles():
    # N=8 M=8 14×14 K3 S2 p1 (→ 7×7), ⟨4,4⟩, 6×6 input tiles, ports 2/2/2:
    # tI = 4·6·6/2 = 72; tW = 4·4·9/2 = 72; tO = 4·⌈6/2⌉·⌈6/2⌉/2 = 18; tC = 9·⌈6/2⌉² = 81
    # Lat2 = max(2·81, 18) = 162; tiles ⌈14/6⌉²·⌈8/4⌉ = 18 → 2,916 cycles.
    op = conv("s", 8, 8, 14, 3, s=2, p=1)
    row = cost_of(op, design(tm=4, tn=4, tr=6, tc=6, ports_words_per_cycle=(2, 2, 2)))
    assert row.total_cycles == 2_916
    assert row.total_cycles >= op.macs / 16  # never faster than the MAC array allows


def test_published_padded_extent_in_tc():
    # tC = K²·⌈min(Tr, R+2·pad)/S⌉²: a 10×10 tile on the 8×8 map of case A computes 10×10, not 8×8
    row = cost_of(A_OP, A.replace(tr=10, tc=10))
    assert row.compute_cycles == 4 * 9 * 100


def test_shared_port_serialises_loads_and_store():
    # Input-limited layer on one shared 4-word port (64-bit port, int16):
    # tI = 4096/4 = 1024, tW = 128/4 = 32, tO = 2048/4 = 512, tC = 256
    # Lat1 = max(1024+32, 256) = 1056; Lat2 = max(4·1056, 4·1056 + 512) = 4,736.
    row = cost_of(conv("b", 64, 8, 16, 1), design(tm=8, tn=16, tr=16, tc=16), NARROW)
    assert row.total_cycles == 4_736


def test_without_double_buffering_nothing_overlaps():
    # Case A: Lat1 = 128 + 288 + 576 = 992; Lat2 = 2·992 + 256 = 2,240; 2 tiles → 4,480.
    assert cost_of(A_OP, A.replace(double_buffer=False)).total_cycles == 4_480


def test_refinements_default_off_and_change_what_they_should():
    base = cost_of(A_OP, A)
    prologue = cost_of(A_OP, A.replace(prologue_epilogue=True))
    assert prologue.total_cycles == base.total_cycles + 576 + 256  # + Lat1 + tO (TCAD'20)
    halo = cost_of(A_OP, A.replace(input_halo=True))
    assert halo.input_cycles == 4 * 8 * 10 * 10 / 4  # (Tr + K − S)² per input channel
    assert halo.total_cycles == base.total_cycles  # still compute-bound


def test_pipeline_overhead_is_added_per_tile_step():
    assert cost_of(A_OP, A.replace(pipeline_overhead_cycles=20)).compute_cycles == 4 * (576 + 20)


def test_depthwise_runs_group_by_group_on_one_mac():
    # 32 groups of N=M=1, 16×16 K3 p1 on a 16×16 array: tC = 9·256 = 2304 per group, 32 groups,
    # i.e. one MAC per cycle out of 256: why depthwise convs suit a Tm×Tn array badly.
    op = conv("dw", 32, 32, 16, 3, p=1, groups=32)
    row = cost_of(op, design(tm=16, tn=16, tr=16, tc=16, ports_words_per_cycle=(4, 4, 4)))
    assert row.total_cycles == 32 * 2304 == op.macs


def test_transposed_conv_meets_every_tap_per_input_pixel():
    # N=M=8, 4×4 → 8×8, K2 S2: tI = 8·16/4 = 32, tW = 8·8·4/4 = 64, tC = 4·4·4 = 64,
    # tO = 8·(4·2)·(4·2)/4 = 128 → Lat2 = max(64, 128) = 128.
    op = conv("up", 8, 8, 4, 2, s=2, transposed=True)
    row = cost_of(op, design(tm=8, tn=8, tr=4, tc=4, ports_words_per_cycle=(4, 4, 4)))
    assert row.total_cycles == 128 and row.compute_cycles == 64 == op.macs / 64


def test_pool_is_memory_traffic():
    # 16 maps 8×8 → 4×4: read 1024 words, write 256; separate ports overlap: max(1024/4, 256/4) = 256;
    # one shared 4-word port: (1024 + 256)/4 = 320.
    pool = Op("p", "pool", 16, 16, 8, 8, 4, 4, kernel=2, stride=2, mode="max", inputs=("x",), output="p")
    row = cost_of(pool, A)
    assert (row.total_cycles, row.compute_cycles, row.bottleneck) == (256, 0, "memory")
    assert cost_of(pool, design(tm=16, tn=8, tr=8, tc=8), NARROW).total_cycles == 320


def _branchy_workload():
    """x → a → b → c, then add(a, c): `a` is a skip tensor read back by the add."""
    ops = [conv("a", 16, 16, 8, 3, p=1, inputs=("x",)), conv("b", 16, 16, 8, 3, p=1, inputs=("a",)),
           conv("c", 16, 16, 8, 3, p=1, inputs=("b",)),
           Op("add", "add", 16, 16, 8, 8, 8, 8, inputs=("a", "c"), output="add")]
    return Workload("branchy", ops)


def test_skip_tensor_is_read_back_from_dram_unless_kept_on_chip():
    w = _branchy_workload()
    spilled = evaluate(w, A, BOARD)
    names = [r.name for r in spilled.ops]
    assert names == ["a", "b", "c", "skip a → add", "add"]
    skip, add = spilled.op("skip a → add"), spilled.op("add")
    assert skip.total_cycles == 16 * 64 / 4  # 1024 words through the 4-word input port
    assert add.total_cycles == max(1024 / 4, 1024 / 4)  # the other operand in, the sum out
    kept = evaluate(w, A.replace(keep_skips_on_chip=True), BOARD)
    assert kept.skips_on_chip and kept.op("skip a → add").total_cycles == 0
    assert kept.total_cycles == spilled.total_cycles - 256
    assert kept.uram == 1  # 1024 int16 words = 16 Kbit: one URAM block


def test_skips_that_do_not_fit_fall_back_to_dram_with_a_note():
    tiny = BOARD.model_copy(update={"name": "tiny", "uram": 0, "bram18": 40})
    cost = evaluate(_branchy_workload(), A.replace(keep_skips_on_chip=True), tiny)
    assert not cost.skips_on_chip and cost.op("skip a → add").total_cycles == 256
    assert any("do not fit on chip" in note for note in cost.notes)


def test_totals_are_sums_of_rows_and_the_three_way_split():
    cost = evaluate(_branchy_workload(), A, BOARD)
    assert cost.total_cycles == sum(r.total_cycles for r in cost.ops)
    assert cost.compute_cycles == sum(r.compute_cycles for r in cost.ops) == 3 * 2 * 576  # 3 convs × 2 steps × tC
    assert cost.memory_cycles == sum(r.input_cycles + r.weight_cycles + r.output_cycles for r in cost.ops)
    # overlap: total ≤ compute + memory and ≥ each of them per conv
    assert cost.total_cycles <= cost.compute_cycles + cost.memory_cycles
    assert cost.total_ms == pytest.approx(cost.total_cycles / 100e3)
