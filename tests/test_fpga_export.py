"""Design export: a JSON record and a C header for an HLS kernel."""

import json
import shutil
import subprocess

import pytest

from coexplore.errors import CoexploreError
from coexplore.fpga import Design, design_header, write_design
from coexplore.workload import get_reference

D = Design(tm=64, tn=7, tr=13, tc=13, precision="fp32", clock_mhz=100, ports_words_per_cycle=(8, 8, 16))


def test_header_has_the_loop_bounds_and_buffer_depths():
    text = design_header(D, "vc707", get_reference("alexnet"))
    defines = {p[1]: p[2] for p in (line.split() for line in text.splitlines()) if len(p) > 2 and p[0] == "#define"}
    assert defines["CX_TM"] == "64" and defines["CX_TN"] == "7" and defines["CX_TR"] == "13"
    assert defines["CX_DATA_BITS"] == "32" and defines["CX_CLOCK_MHZ"] == "100"
    assert defines["CX_IN_PORT_BITS"] == "256" and defines["CX_OUT_PORT_BITS"] == "512"
    assert defines["CX_IN_BUF_DEPTH"] == "169" and defines["CX_W_BUF_DEPTH"] == "121"  # 13×13 tile; 11×11 kernel
    assert "typedef float cx_data_t;" in text and text.count("#endif") == 1


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_header_compiles(tmp_path):
    header = write_design(tmp_path / "design.h", D.replace(precision="int8"), "zcu102", get_reference("alexnet"))
    src = tmp_path / "k.c"
    src.write_text('#include "design.h"\nint main(void) { cx_data_t buf[CX_TN][CX_IN_BUF_DEPTH]; '
                   'return (int)sizeof(buf) == CX_TN * CX_IN_BUF_DEPTH ? 0 : 1; }\n')
    subprocess.run(["cc", "-Wall", "-Werror", "-o", str(tmp_path / "k"), str(src)], check=True, cwd=tmp_path)
    assert subprocess.run([str(tmp_path / "k")]).returncode == 0
    assert header.name == "design.h"


def test_json_record_round_trips_the_design(tmp_path):
    path = write_design(tmp_path / "best.json", D, "vc707", get_reference("alexnet"))
    data = json.loads(path.read_text())
    assert Design.parse(data["design"]) == D and Design(**data["fields"]) == D
    assert data["cost"]["dsp"] == 2240 and "ops" not in data["cost"]
    assert data["buffer_depth_words"] == {"input": 169, "weight": 121, "output": 169}


def test_unknown_export_format(tmp_path):
    with pytest.raises(CoexploreError, match="unknown export format"):
        write_design(tmp_path / "x.vhd", D, "vc707")


def _defines(text: str) -> dict[str, str]:
    return {p[1]: p[2] for p in (line.split() for line in text.splitlines()) if len(p) > 2 and p[0] == "#define"}


def test_header_states_the_skip_placement_that_was_costed():
    # Issue 11: the header said CX_KEEP_SKIPS_ON_CHIP 1 while the cost model sent the skips through DRAM.
    from coexplore.fpga import evaluate, get_device
    from coexplore.nets import HourglassSpec, lower

    design = Design(tm=32, tn=16, tr=16, tc=16, precision="int16", keep_skips_on_chip=True)
    too_big = lower(HourglassSpec())  # 8 stacks at 256x256: 6 MiB of live skip tensors
    small = lower(HourglassSpec(stacks=1, order=2, features=16, input_res=64))
    assert not evaluate(too_big, design, get_device("zcu102")).skips_on_chip
    assert _defines(design_header(design, "zcu102", too_big))["CX_KEEP_SKIPS_ON_CHIP"] == "0"
    assert "do not fit on chip" in design_header(design, "zcu102", too_big)
    assert _defines(design_header(design, "zcu102", small))["CX_KEEP_SKIPS_ON_CHIP"] == "1"
