"""The bad-input corpus: broken inputs for every `coexplore` command, and the harness that runs them.

Each `BadInput` is one command line whose input is wrong (a truncated file, a wrong type, NaN/inf,
a huge value, an empty file, a path that is a file or a directory, an unknown name, a bad design
string). `tests/test_bad_inputs.py` runs every one in-process through `run_guarded` (the code path
of the real `coexplore` command) and asserts exit code 2, one stderr line naming the problem and
the fix, no traceback, and no change to anything already stored.

`python tests/bad_inputs.py` prints the number of inputs per command.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sqlite3
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_support import TINY_SPACE, write_config, write_proxy_table  # noqa: E402

# Every command of `coexplore --help` (groups as "group sub"); the corpus must cover each.
COMMANDS = ("devices", "estimate", "dse", "net show", "net list", "space show", "data show", "train", "eval",
            "search", "worker", "results", "report", "export", "bench-table build", "bench-table show", "demo",
            "version")


@dataclass(frozen=True)
class BadInput:
    command: str  # one of COMMANDS
    args: tuple[str, ...]
    why: str  # what is broken, for the test id
    xfail: str | None = None  # known failure owned elsewhere (strict xfail)

    @property
    def id(self) -> str:
        return f"{self.command}: {self.why}"


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None


# --- the harness ---------------------------------------------------------------------------------
def run_cli(args: list[str] | tuple[str, ...]) -> Outcome:
    """`coexplore ARGS` in this process, through `run_guarded` as `coexplore.cli.main` runs it."""
    from typer.testing import CliRunner

    from coexplore.cli.common import run_guarded

    runner = CliRunner()
    exception = None
    with runner.isolation() as (out, err, _):
        try:
            code = run_guarded(_command(), list(args))
        except SystemExit as exc:  # a command that calls sys.exit itself
            code = exc.code if isinstance(exc.code, int) else 1
        except Exception as exc:  # noqa: BLE001 - a traceback is what the corpus looks for
            import traceback

            traceback.print_exc()
            code, exception = 1, exc
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return Outcome(code, stdout, stderr, exception)


@functools.cache
def _command():
    """The `coexplore` click command, built once (typer rebuilds it from the signatures on every call)."""
    import typer

    from coexplore.cli import _register, app

    _register()
    return typer.main.get_command(app)


def snapshot(root: Path) -> dict[str, str]:
    """Every file under `root` (and every folder, as '<dir>') with its content hash.

    An SQLite database counts by its rows: SQLite may fold its -wal/-shm side files into the
    database when the last connection closes, which changes bytes but no stored result.
    """
    state = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.name.endswith(_SQLITE_SIDE_FILES) and path.with_name(_main_db_name(path.name)).is_file():
            continue
        if path.is_dir():
            state[rel] = "<dir>"
        elif path.suffix == ".db" and path.is_file():
            state[rel] = _database_content(path)
        elif path.is_file():
            state[rel] = _file_hash(path)
        else:
            state[rel] = "<other>"
    return state


_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _main_db_name(name: str) -> str:
    return next(name.removesuffix(side) for side in _SQLITE_SIDE_FILES if name.endswith(side))


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def _database_content(path: Path) -> str:
    files = tuple(_file_hash(Path(f"{path}{side}")) for side in ("", *_SQLITE_SIDE_FILES))
    return _rows_hash(path, files)


@functools.lru_cache(maxsize=64)
def _rows_hash(path: Path, files: tuple[str, ...]) -> str:
    """The database's rows, read from a copy (reading the original could fold its WAL into it)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        for side in ("", *_SQLITE_SIDE_FILES):
            if Path(f"{path}{side}").is_file():
                shutil.copyfile(f"{path}{side}", f"{copy}{side}")
        try:
            with sqlite3.connect(copy) as db:
                rows = "\n".join(db.iterdump())
            db.close()
        except sqlite3.DatabaseError:  # not a database: its bytes are its content
            return files[0]
    return "rows:" + hashlib.sha256(rows.encode()).hexdigest()


@contextmanager
def working_directory(path: Path):
    before = Path.cwd()
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(before)


# --- what is stored before the corpus runs -------------------------------------------------------
@dataclass
class Stored:
    """Results a user already has: a search run folder, a trained checkpoint, a benchmark table."""

    root: Path
    run: Path = field(init=False)
    table: Path = field(init=False)
    checkpoint: Path = field(init=False)
    space: Path = field(init=False)
    config: Path = field(init=False)

    def __post_init__(self):
        self.run = self.root / "run"
        self.table = self.root / "table.json"
        self.checkpoint = self.root / "train" / "last.pt"
        self.space = self.root / "space.yaml"
        self.config = self.root / "search.yaml"


def build_stored(root: Path) -> Stored:
    """A finished search (proxy-table replay), a one-epoch tiny checkpoint, a table: a few seconds."""
    stored = Stored(root)
    root.mkdir(parents=True, exist_ok=True)
    write_proxy_table(stored.table)
    stored.space.write_text(yaml.safe_dump(TINY_SPACE, sort_keys=False))
    write_config(stored.config, name="stored", device="zcu102", space=str(stored.space), table=str(stored.table),
                 strategies=["coexplore"], budget=3, latency_budget_ms=5.0, seed=0)
    for args in (["search", "--config", str(stored.config), "--run-dir", str(stored.run), "--no-report", "--json"],
                 ["train", "--net", "tiny", "--data", "synthetic", "--epochs", "1", "--train-size", "8",
                  "--val-size", "4", "--batch", "4", "--threads", "1", "--out", str(stored.checkpoint.parent),
                  "--json"]):
        outcome = run_cli(args)
        if outcome.code != 0:
            raise RuntimeError(f"building the stored results failed: {args}\n{outcome.stderr}")
    return stored


# --- the broken inputs ---------------------------------------------------------------------------
class _Files:
    """Writes the broken input files under one folder and names them."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def text(self, name: str, content: str) -> str:
        path = self.folder / name
        path.write_text(content)
        return str(path)

    def data(self, name: str, content: bytes) -> str:
        path = self.folder / name
        path.write_bytes(content)
        return str(path)

    def json(self, name: str, value) -> str:
        return self.text(name, json.dumps(value))

    def yaml(self, name: str, value) -> str:
        return self.text(name, yaml.safe_dump(value, sort_keys=False))

    def dir(self, name: str) -> str:
        path = self.folder / name
        path.mkdir(exist_ok=True)
        return str(path)

    def npz(self, name: str, **arrays) -> str:
        path = self.folder / name
        with path.open("wb") as f:
            np.savez(f, **arrays)
        return str(path)


DESIGN = "tm=32,tn=16,tile=13"
ESTIMATE = ("estimate", "--net", "alexnet", "--device", "vc707")
DSE = ("dse", "--net", "alexnet", "--device", "vc707", "--max-macs", "64", "--json")

BAD_DESIGNS = {
    "empty design": "", "key without value": "tm", "empty value": "tm=", "text tm": "tm=abc", "zero tm": "tm=0",
    "negative tm": "tm=-1", "float tm": "tm=2.5", "missing tr/tc": "tm=64,tn=7", "half tile": "tm=8,tn=8,tile=13x",
    "letters tile": "tm=8,tn=8,tile=axb", "three-way tile": "tm=8,tn=8,tile=1x2x3", "unknown key": f"{DESIGN},bogus=1",
    "unknown precision": f"{DESIGN},precision=fp64", "clock inf": f"{DESIGN},clock=inf", "clock nan": f"{DESIGN},clock=nan",
    "clock 1e12": f"{DESIGN},clock=1e12", "clock 1e-9": f"{DESIGN},clock=1e-9", "clock negative": f"{DESIGN},clock=-5",
    "clock zero": f"{DESIGN},clock=0", "two ports": f"{DESIGN},ports=8/8", "zero port": f"{DESIGN},ports=0/8/8",
    "text ports": f"{DESIGN},ports=a/b/c", "inf port": f"{DESIGN},ports=inf/8/8", "nan port": f"{DESIGN},ports=nan/8/8",
    "ddr_eff 2": f"{DESIGN},ddr_eff=2", "ddr_eff nan": f"{DESIGN},ddr_eff=nan", "bool maybe": f"{DESIGN},double_buffer=maybe",
    "negative p": f"{DESIGN},p=-1", "unknown schedule": f"{DESIGN},schedule=fast", "tiles without size": f"{DESIGN},tiles=conv1",
    "zero layer tile": f"{DESIGN},tiles=conv1*:0x0", "rich markup": "tm=[/]", "huge tm": "tm=100000000000000000000,tn=1,tile=13",
    "huge tile": "tm=8,tn=8,tile=100000000", "duplicate key nonsense": "tm=8,tm=x",
}
BAD_SETTINGS = {
    "negative p": "p=-1", "two ports": "ports=1/2", "unknown tile shapes": "tile_shapes=round",
    "clock inf": "clock=inf", "clock nan": "clock=nan", "clock 1e12": "clock=1e12", "clock 1e-9": "clock=1e-9",
    "unknown key": "bogus=1", "no equals": "p20", "tm is not a setting": "tm=4", "ddr_eff zero": "ddr_eff=0",
    "text max_macs": "max_macs=lots",
}
BAD_CLOCKS = {"inf": "inf", "nan": "nan", "1e12": "1e12", "1e-9": "1e-9", "negative": "-1", "text": "abc"}


def _device_files(f: _Files) -> dict[str, str]:
    """Broken device files: name → path."""
    full = {"name": "board", "part": "X", "family": "ultrascale+", "dsp": 100, "bram18": 100,
            "bandwidth_gbps": 10.0, "clock_mhz": 200}
    f.folder.joinpath("devcycle_b.toml").write_text('base = "devcycle_a.toml"\n')
    f.folder.joinpath("devcycle_a.toml").write_text('base = "devcycle_b.toml"\n')
    return {
        "missing file": str(f.folder / "nowhere.toml"),
        "a directory": f.dir("devdir.toml"),
        "empty file": f.text("empty.toml", ""),
        "truncated TOML": f.text("trunc.toml", 'name = "x"\ndsp = '),
        "truncated JSON": f.text("trunc.json", '{"name": "x", "dsp": 1'),
        "binary": f.data("bin.toml", bytes(range(256))),
        "YAML list": f.text("list.yaml", "- 1\n- 2\n"),
        "text dsp": f.json("textdsp.json", {**full, "dsp": "many"}),
        "negative dsp": f.json("negdsp.json", {**full, "dsp": -1}),
        "bandwidth inf": f.text("bwinf.yaml", "base: zcu102\nbandwidth_gbps: .inf\n"),
        "bandwidth nan": f.text("bwnan.yaml", "base: zcu102\nbandwidth_gbps: .nan\n"),
        "bandwidth huge": f.text("bwhuge.yaml", "base: zcu102\nbandwidth_gbps: 1.0e15\n"),
        "bandwidth zero": f.text("bwzero.yaml", "base: zcu102\nbandwidth_gbps: 0\n"),
        "clock inf": f.text("clkinf.yaml", "base: zcu102\nclock_mhz: .inf\n"),
        "clock 1e12": f.text("clk12.yaml", "base: zcu102\nclock_mhz: 1.0e12\n"),
        "clock 1e-9": f.text("clkn9.yaml", "base: zcu102\nclock_mhz: 1.0e-9\n"),
        "base is itself": f.text("self.toml", 'base = "self.toml"\n'),
        "base cycle": str(f.folder / "devcycle_a.toml"),
        "unknown base": f.text("unk.toml", 'base = "zcu999"\n'),
        "base not text": f.text("baseint.toml", "base = 5\n"),
        "limits text": f.text("limtext.toml", 'base = "zcu102"\nlimits = "high"\n'),
        "limit above 1": f.text("lim2.toml", 'base = "zcu102"\n[limits]\ndsp = 2.0\n'),
        "unknown limit": f.text("limx.toml", 'base = "zcu102"\n[limits]\nluts = 0.5\n'),
        "unknown family": f.json("fam.json", {**full, "family": "stratix"}),
        "unknown field": f.json("extra.json", {**full, "colour": "red"}),
        "device table not a table": f.text("devtable.toml", 'device = "zcu102"\n'),
        "huge dsp": f.json("hugedsp.json", {**full, "dsp": 10**30}),
    }


def _workloads(f: _Files) -> dict[str, str]:
    """Broken networks as `--net` values: name → value."""
    def conv(name, cin, cout, h=8, out=None, inputs=("input",), **kw):
        return {"name": name, "kind": "conv", "in_channels": cin, "out_channels": cout, "in_h": h, "in_w": h,
                "out_h": out or h, "out_w": out or h, "kernel": 3, "stride": 1, "padding": 1, "inputs": list(inputs),
                "output": name, **kw}

    def wl(*ops):
        return {"name": "broken", "ops": list(ops)}

    return {
        "unknown name": "resnet9000",
        "missing .json": str(f.folder / "nowhere.json"),
        "missing .onnx": str(f.folder / "nowhere.onnx"),
        "empty .json": f.text("empty_net.json", ""),
        "truncated .json": f.text("trunc_net.json", '{"name": "x", "ops": [{"name": "c1", '),
        "ops not a list": f.json("opsint.json", {"name": "x", "ops": 5}),
        "op missing field": f.json("opmiss.json", wl({"name": "c1", "kind": "conv"})),
        "op unknown kind": f.json("opkind.json", wl({**conv("c1", 3, 8), "kind": "lstm"})),
        "op unknown field": f.json("opfield.json", wl({**conv("c1", 3, 8), "colour": "red"})),
        "cycle": f.json("cycle.json", wl(conv("a", 8, 8, inputs=("b",)), conv("b", 8, 8, inputs=("a",)))),
        "self-loop": f.json("selfloop.json", wl(conv("a", 8, 8, inputs=("a",)))),
        "output used before made": f.json("order.json", wl(conv("a", 3, 8), conv("b", 8, 8, inputs=("c",)),
                                                          conv("c", 8, 8, inputs=("a",)))),
        "pool changes channels": f.json("poolch.json", wl(conv("a", 3, 8), {**conv("p", 8, 16, inputs=("a",)),
                                                                           "kind": "pool", "padding": 0})),
        "impossible output size": f.json("shape.json", wl(conv("a", 3, 8, h=8, out=1000))),
        "in_channels true": f.json("booltrue.json", wl(conv("a", True, 8))),
        "fractional channels": f.json("frac.json", wl(conv("a", 3.5, 8))),
        "text channels": f.json("textch.json", wl(conv("a", "three", 8))),
        "zero channels": f.json("zeroch.json", wl(conv("a", 0, 8))),
        "NaN size": f.text("nan.json", json.dumps(wl(conv("a", 3, 8))).replace('"in_h": 8', '"in_h": NaN')),
        "huge channels": f.json("hugech.json", wl(conv("a", 10**30, 8))),
        "no ops": f.json("noops.json", {"name": "x", "ops": []}),
        "duplicate op names": f.json("dup.json", wl(conv("a", 3, 8), conv("a", 8, 8, inputs=("a",)))),
        "empty .onnx": f.data("empty.onnx", b""),
        "garbage .onnx": f.data("garbage.onnx", b"\x00not an onnx model\xff" * 10),
        ".onnx directory": f.dir("dir.onnx"),
        "bad spec string": "hg-s0-o4-f128",
        "spec string text field": "hg-sX-o4-f128-m1-bottleneck-k3-nearest-r256",
        "spec file bad field": f.yaml("spec_bad.yaml", {"stacks": "two"}),
        "spec file unknown key": f.yaml("spec_unk.yaml", {"stacks": 1, "colour": "red"}),
        "spec file list": f.text("spec_list.yaml", "- 1\n"),
    }


def _space_files(f: _Files) -> dict[str, str]:
    return {
        "missing": str(f.folder / "nowhere_space.yaml"),
        "a directory": f.dir("spacedir.yaml"),
        "truncated YAML": f.text("space_trunc.yaml", "stacks: [1, 2\nfeatures: ["),
        "YAML list": f.text("space_list.yaml", "- stacks\n"),
        "wrong type": f.yaml("space_type.yaml", {**TINY_SPACE, "stacks": "many"}),
        "unknown gene": f.yaml("space_gene.yaml", {**TINY_SPACE, "colour": ["red"]}),
        "empty gene list": f.yaml("space_empty.yaml", {**TINY_SPACE, "features": []}),
        "negative features": f.yaml("space_neg.yaml", {**TINY_SPACE, "features": [-16]}),
        "unknown block": f.yaml("space_block.yaml", {**TINY_SPACE, "block": ["lstm"]}),
        "no suffix": f.text("space_nosuffix", "stacks: [1]\n"),
    }


def _keypoint_files(f: _Files) -> dict[str, str]:
    images = np.zeros((10, 32, 32), np.uint8)
    points = np.full((10, 4, 2), 10.0)
    return {
        "missing file": "keypoints:" + str(f.folder / "nowhere.npz"),
        "a directory": "keypoints:" + f.dir("kpdir.npz"),
        "empty file": "keypoints:" + f.data("kp_empty.npz", b""),
        "truncated": "keypoints:" + f.data("kp_trunc.npz", Path(f.npz("kp_ok.npz", images=images,
                                                                      keypoints=points)).read_bytes()[:100]),
        "string keypoints": "keypoints:" + f.npz("kp_str.npz", images=images, keypoints=np.full((10, 4, 2), "x")),
        "0x0 images": "keypoints:" + f.npz("kp_0x0.npz", images=np.zeros((10, 0, 0), np.uint8), keypoints=points),
        "no images": "keypoints:" + f.npz("kp_noimg.npz", keypoints=points),
        "float images": "keypoints:" + f.npz("kp_float.npz", images=images.astype(np.float32), keypoints=points),
        "row mismatch": "keypoints:" + f.npz("kp_rows.npz", images=images, keypoints=points[:3]),
        "all NaN frame": "keypoints:" + f.npz("kp_nan.npz", images=images, keypoints=np.full((10, 4, 2), np.nan)),
        "inf keypoints": "keypoints:" + f.npz("kp_inf.npz", images=images, keypoints=np.full((10, 4, 2), np.inf)),
        "zero frames": "keypoints:" + f.npz("kp_zero.npz", images=images[:0], keypoints=points[:0]),
        "text file as HDF5": "keypoints:" + f.text("kp_text.h5", "not hdf5"),
        "object arrays": "keypoints:" + f.data("kp_obj.npz", _object_npz()),
    }


def _object_npz() -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, images=np.array([None, 1], dtype=object), keypoints=np.array([None], dtype=object))
    return buffer.getvalue()


def _search_configs(f: _Files, stored: Stored) -> dict[str, str]:
    good = {"name": "fresh", "device": "zcu102", "space": str(stored.space), "table": str(stored.table),
            "strategies": ["coexplore"], "budget": 2}
    return {
        "missing": str(f.folder / "nowhere_search.yaml"),
        "a directory": f.dir("searchdir.yaml"),
        "empty mapping": f.text("search_empty.yaml", "{}\nbudget: 0\n"),
        "truncated": f.text("search_trunc.yaml", "name: x\nbudget: [1,\n"),
        "YAML list": f.text("search_list.yaml", "- budget\n"),
        "unknown key": f.yaml("search_unk.yaml", {**good, "budgett": 3}),
        "budget 0": f.yaml("search_b0.yaml", {**good, "budget": 0}),
        "budget text": f.yaml("search_btext.yaml", {**good, "budget": "many"}),
        "budget NaN": f.text("search_bnan.yaml", yaml.safe_dump(good) + "budget: .nan\n"),
        "name ..": f.yaml("search_dots.yaml", {**good, "name": ".."}),
        "name empty": f.yaml("search_noname.yaml", {**good, "name": ""}),
        "name with slash": f.yaml("search_slash.yaml", {**good, "name": "../escape"}),
        "unknown device": f.yaml("search_dev.yaml", {**good, "device": "zcu999"}),
        "hardware clock inf": f.text("search_clk.yaml", yaml.safe_dump(good) + "hardware:\n  clock_mhz: .inf\n"),
        "hardware clock 1e12": f.yaml("search_clk12.yaml", {**good, "hardware": {"clock_mhz": 1e12}}),
        "hardware precision": f.yaml("search_prec.yaml", {**good, "hardware": {"precision": "fp64"}}),
        "space missing": f.yaml("search_space.yaml", {**good, "space": "nowhere.yaml"}),
        "space/table mismatch": f.yaml("search_mismatch.yaml", {**good, "space": {**TINY_SPACE, "features": [64]}}),
        "unknown strategy": f.yaml("search_strat.yaml", {**good, "strategies": ["genetic"]}),
        "unknown sampler": f.yaml("search_sampler.yaml", {**good, "sampler": "magic"}),
        "latency budget negative": f.yaml("search_lat.yaml", {**good, "latency_budget_ms": -1}),
        "latency budget NaN": f.text("search_latnan.yaml", yaml.safe_dump(good) + "latency_budget_ms: .nan\n"),
        "table missing": f.yaml("search_tmiss.yaml", {**good, "table": "nowhere.json"}),
        "table garbage": f.yaml("search_tgarb.yaml", {**good, "table": f.text("garbage_table.json", "{")}),
        "train not a mapping": f.yaml("search_train.yaml", {**good, "train": 5}),
        "hw genes text": f.yaml("search_genes.yaml", {**good, "hw_genes": {"tm": "big"}}),
        "workers negative": f.yaml("search_workers.yaml", {**good, "workers": -1}),
    }


def build_corpus(root: Path, stored: Stored) -> list[BadInput]:
    """Every bad input, its files written under `root`."""
    f = _Files(root)
    cases: list[BadInput] = []

    def add(command: str, why: str, *args: str, xfail: str | None = None) -> None:
        cases.append(BadInput(command, tuple(args), why, xfail))

    # devices, version, net list: only their flags can be wrong
    for command, prefix in (("devices", ("devices",)), ("version", ("version",)), ("net list", ("net", "list"))):
        add(command, "unknown flag", *prefix, "--bogus")
        add(command, "extra argument", *prefix, "extra")

    # estimate and dse: designs, settings, clocks, devices, networks, limits
    for why, text in BAD_DESIGNS.items():
        add("estimate", f"design {why}", *ESTIMATE, "--design", text)
    for why, text in BAD_SETTINGS.items():
        add("dse", f"settings {why}", *DSE, "--settings", text)
    for why, clock in BAD_CLOCKS.items():
        add("estimate", f"--clock {why}", *ESTIMATE, "--design", DESIGN, "--clock", clock)
        add("dse", f"--clock {why}", *DSE, "--clock", clock)
    devices = _device_files(f)
    for why, path in devices.items():
        add("estimate", f"device file {why}", "estimate", "--net", "alexnet", "--device", path, "--design", DESIGN)
    for why in ("bandwidth inf", "clock inf", "clock 1e12", "base is itself", "limits text", "truncated TOML"):
        add("dse", f"device file {why}", "dse", "--net", "alexnet", "--device", devices[why], "--max-macs", "64")
    add("estimate", "unknown device", "estimate", "--net", "alexnet", "--device", "zcu999", "--design", DESIGN)
    add("dse", "unknown device", "dse", "--net", "alexnet", "--device", "", "--max-macs", "64")
    for flag, value in (("--dsp-limit", "0"), ("--dsp-limit", "2"), ("--dsp-limit", "nan"), ("--bram-limit", "-1"),
                        ("--bram-limit", "inf"), ("--batch", "0"), ("--batch", "two"), ("--rows", "-1"),
                        ("--precision", "fp64"), ("--schedule", "fast")):
        add("estimate", f"{flag} {value}", *ESTIMATE, "--design", DESIGN, flag, value)
    for flag, value in (("--max-macs", "0"), ("--tiles", "round"), ("--top", "0"), ("--front-rows", "-1"),
                        ("--dsp-limit", "1.5"), ("--precision", "int4"), ("--batch", "-3")):
        add("dse", f"{flag} {value}", *DSE, flag, value)
    add("estimate", "--export is a directory", *ESTIMATE, "--design", DESIGN, "--export", f.dir("exportdir.json"))
    add("estimate", "--export suffix unknown", *ESTIMATE, "--design", DESIGN, "--export", str(root / "design.txt"))
    add("dse", "--export parent is a file", *DSE, "--export", str(Path(f.text("afile", "x")) / "best.json"))
    add("estimate", "misfit design", "estimate", "--net", "alexnet", "--device", "pynq-z2", "--design",
        "tm=64,tn=64,tile=13")
    add("estimate", "no --design", *ESTIMATE)
    add("dse", "no --net", "dse", "--device", "vc707")
    add("dse", "settings zero max_macs", "dse", "--net", "alexnet", "--device", "vc707", "--settings", "max_macs=0")

    nets = _workloads(f)
    for why, value in nets.items():
        add("net show", why, "net", "show", value)
    for why in ("cycle", "self-loop", "in_channels true", "fractional channels", "impossible output size",
                "empty .onnx", "pool changes channels", "unknown name", "NaN size", "no ops"):
        add("estimate", f"net {why}", "estimate", "--net", nets[why], "--device", "vc707", "--design", DESIGN)
        add("dse", f"net {why}", "dse", "--net", nets[why], "--device", "vc707", "--max-macs", "64")
    for flag, value in (("--precision", "fp64"), ("--batch", "0"), ("--rows", "-2")):
        add("net show", f"{flag} {value}", "net", "show", "alexnet", flag, value)
    add("net show", "--out is a directory", "net", "show", "alexnet", "--out", f.dir("netout"))
    add("net show", "--out parent is a file", "net", "show", "alexnet", "--out", str(root / "afile" / "w.json"))

    for why, path in _space_files(f).items():
        add("space show", why, "space", "show", path)
    add("space show", "--samples negative", "space", "show", "--samples", "-1")
    add("space show", "--seed text", "space", "show", "--seed", "x")

    # data show: sources, keypoint files, flags
    keypoints = _keypoint_files(f)
    for why, source in {"unknown source": "imagenet", "synthetic with a path": "synthetic:/tmp/x",
                        "mpii without path": "mpii:", "mpii missing": "mpii:" + str(root / "none.h5"),
                        "coco missing": "coco:" + str(root / "none.json"), "coco truncated":
                        "coco:" + f.text("coco_trunc.json", '{"images": ['), "coco list": "coco:" +
                        f.text("coco_list.json", "[]"), "mpii text file": "mpii:" + f.text("mpii.h5", "text"),
                        **keypoints}.items():
        add("data show", why, "data", "show", source, "--out", str(root / "never.png"))
    for flag, value in (("--n", "0"), ("--n", "100000"), ("--res", "0"), ("--res", "-8"), ("--split", "test"),
                        ("--start", "-1"), ("--start", "1000000"), ("--holdout", "half"), ("--pose-prior",
                        str(root / "none.h5")), ("--seed", "x")):
        add("data show", f"{flag} {value}", "data", "show", "synthetic", "--out", str(root / "never.png"), flag, value)
    add("data show", "--out is a directory", "data", "show", "synthetic", "--n", "1", "--out", f.dir("pngdir.png"))
    add("data show", "--image-dir missing", "data", "show", "coco:" + str(root / "none.json"), "--image-dir",
        str(root / "noimg"))

    # train: everything is checked before the first step
    tiny = ("train", "--net", "tiny", "--data", "synthetic", "--epochs", "1", "--train-size", "4", "--val-size", "4",
            "--threads", "1", "--quiet", "--out", str(root / "never_trained"))
    add("train", "no --net", "train", "--data", "synthetic")
    for why in ("unknown name", "bad spec string", "spec file bad field", "missing .json"):
        add("train", f"--net {why}", *tiny, "--net", nets[why])
    for flag, value in (("--epochs", "0"), ("--epochs", "-1"), ("--seconds", "nan"), ("--seconds", "-1"),
                        ("--seconds", "inf"), ("--lr", "nan"), ("--lr", "-1"), ("--lr", "inf"), ("--batch", "0"),
                        ("--optimizer", "sgdx"), ("--schedule", "sometimes"), ("--sigma", "0"), ("--sigma", "nan"),
                        ("--train-size", "0"), ("--val-size", "-1"), ("--device", "tpu"), ("--threads", "0"),
                        ("--workers", "-1"), ("--res", "0"), ("--res", "7"), ("--data", "imagenet"),
                        ("--option", "novalue"), ("--option", "colour=red"), ("--epochs", "1e9x")):
        add("train", f"{flag} {value}", *tiny, flag, value)
    for why, path in {"missing": str(root / "none.yaml"), "a directory": f.dir("traincfg.yaml"),
                      "truncated": f.text("train_trunc.yaml", "net: [tiny\n"),
                      "list": f.text("train_list.yaml", "- net\n"),
                      "unknown key": f.yaml("train_unk.yaml", {"net": "tiny", "epochz": 1}),
                      "wrong type": f.yaml("train_type.yaml", {"net": "tiny", "epochs": "many"}),
                      "no suffix": f.text("train_cfg", "net: tiny\n")}.items():
        add("train", f"--config {why}", "train", "--config", path, "--quiet", "--out", str(root / "never_trained"))
    add("train", "--out is a file", *tiny[:-1], f.text("outfile", "keep me"))
    add("train", "--out is the stored checkpoint of another net", *tiny[:-1], str(stored.checkpoint.parent),
        "--net", "small")
    for why, path in {"keypoints 0x0": keypoints["0x0 images"], "keypoints string": keypoints["string keypoints"]}.items():
        add("train", f"--data {why}", *tiny, "--data", path)

    # eval
    evaluate = ("eval", "--threads", "1", "--checkpoint")
    for why, path in {"missing": str(root / "none.pt"), "empty file": f.data("empty.pt", b""),
                      "garbage": f.data("garbage.pt", b"\x80\x04garbage" * 20), "JSON file": f.json("ck.json", {}),
                      "folder without last.pt": f.dir("nockpt"), "text file": f.text("text.pt", "hello")}.items():
        add("eval", f"checkpoint {why}", *evaluate, path)
    for flag, value in (("--batch", "0"), ("--device", "tpu"), ("--data", "imagenet"), ("--val-size", "0"),
                        ("--option", "novalue"), ("--threads", "-1"),
                        ("--data", keypoints["0x0 images"])):
        add("eval", f"{flag} {value}", *evaluate, str(stored.checkpoint), flag, value)
    for why, spec in _bad_checkpoints(f).items():
        add("eval", f"checkpoint {why}", *evaluate, spec)

    # search, worker, results, report, bench-table, demo
    for why, path in _search_configs(f, stored).items():
        add("search", f"config {why}", "search", "--config", path, "--run-dir", str(root / "never_run"), "--json")
    search = ("search", "--config", str(stored.config), "--run-dir")
    for flag, value in (("--budget", "0"), ("--budget", "x"), ("--workers", "-1"), ("--strategies", "genetic"),
                        ("--strategies", ","), ("--storage", "nosuchdb://x"), ("--table", str(root / "none.json")),
                        ("--seed", "x")):
        add("search", f"{flag} {value}", *search, str(root / "never_run"), flag, value)
    add("search", "--run-dir is a file", *search, f.text("runfile", "keep me"))
    add("search", "resume with another latency budget", "search", "--config",
        f.yaml("search_resume.yaml", {**yaml.safe_load(stored.config.read_text()), "latency_budget_ms": 0.5}),
        "--run-dir", str(stored.run), "--json")
    add("search", "resume with another space", "search", "--config",
        f.yaml("search_resume2.yaml", {**yaml.safe_load(stored.config.read_text()), "device": "zcu104"}),
        "--run-dir", str(stored.run), "--json")

    db = f"sqlite:///{stored.run / 'study.db'}"
    for why, args in {"unknown study": ("--storage", db, "--study", "nosuchstudy"),
                      "bad storage URL": ("--storage", "nosuchdb://x", "--study", "stored-coexplore"),
                      "missing sqlite file": ("--storage", f"sqlite:///{root / 'none' / 'x.db'}", "--study", "s"),
                      "config missing": ("--storage", db, "--study", "stored-coexplore", "--config",
                                         str(root / "none.yaml")),
                      "config truncated": ("--storage", db, "--study", "stored-coexplore", "--config",
                                           f.text("worker_trunc.yaml", "budget: [")),
                      "worker text": ("--storage", db, "--study", "stored-coexplore", "--worker", "x"),
                      "--run-dir is a file": ("--storage", db, "--study", "nosuchstudy", "--run-dir",
                                              str(root / "runfile")),
                      "no --study": ("--storage", db)}.items():
        add("worker", why, "worker", *args, "--json")

    for why, args in {"missing folder": (str(root / "none_run"),), "a file": (str(root / "runfile"),),
                      "empty folder": (f.dir("empty_run"),), "bad storage URL": (str(stored.run), "--storage",
                                                                                "nosuchdb://x"),
                      "storage of a missing file": (str(stored.run), "--storage",
                                                    f"sqlite:///{root / 'none' / 'study.db'}"),
                      "folder with an empty study.db": (_run_with(f, "emptydb_run", {"study.db": b""}),),
                      "folder with a garbage study.db": (_run_with(f, "garbage_run", {"study.db": b"garbage" * 50}),),
                      }.items():
        add("results", why, "results", *args, "--json")

    add("results", "corrupt trial attributes", "results", _run_with_corrupt_trials(f, stored), "--json")
    for why, folder in _bad_runs(f, stored).items():
        add("report", why, "report", folder, "--out", str(root / "never_report"))
    add("report", "--out is a file", "report", str(stored.run), "--out", str(root / "runfile"))

    for why, args in {"missing run": (str(root / "none_run"),), "run is a file": (str(root / "runfile"),),
                      "empty run folder": (str(root / "empty_run"),), "rank 0": (str(stored.run), "--rank", "0"),
                      "rank past the front": (str(stored.run), "--rank", "1000"),
                      "rank text": (str(stored.run), "--rank", "x"),
                      "results.json truncated": (str(Path(root / "r_trunc")),)}.items():
        add("export", why, "export", *args, "--json")
    add("export", "--out is a file", "export", str(stored.run), "--out", str(root / "runfile"), "--json")

    build = ("bench-table", "build", "--space", str(stored.space), "--out")
    for why, args in {"space missing": ("--space", str(root / "none.yaml"), "--out", str(root / "t.json")),
                      "space truncated": ("--space", _space_files(f)["truncated YAML"], "--out", str(root / "t.json")),
                      "space unknown gene": ("--space", _space_files(f)["unknown gene"], "--out", str(root / "t.json")),
                      "--out is a directory": (*build[2:], f.dir("tabledir.json")),
                      "--out garbage table": (*build[2:], f.text("garbage2.json", "{")),
                      "--out table of another space": (*build[2:], _table_of_other_space(f, stored)),
                      "--budget text": (*build[2:], str(root / "t.json"), "--budget", "abc"),
                      "--budget zero": (*build[2:], str(root / "t.json"), "--budget", "0"),
                      "--budget negative seconds": (*build[2:], str(root / "t.json"), "--budget", "-5s"),
                      "--budget NaN seconds": (*build[2:], str(root / "t.json"), "--budget", "nans"),
                      "--set no value": (*build[2:], str(root / "t.json"), "--set", "lr"),
                      "--set unknown field": (*build[2:], str(root / "t.json"), "--set", "colour=red"),
                      "--workers 0": (*build[2:], str(root / "t.json"), "--workers", "0"),
                      "--data unknown": (*build[2:], str(root / "t.json"), "--data", "imagenet"),
                      "--train-size 0": (*build[2:], str(root / "t.json"), "--train-size", "0")}.items():
        add("bench-table build", why, "bench-table", "build", *args)
    for why, path in {"missing": str(root / "none.json"), "empty": f.text("table_empty.json", ""),
                      "truncated": f.text("table_trunc.json", Path(stored.table).read_text()[:200]),
                      "list": f.json("table_list.json", []), "directory": f.dir("tdir.json"),
                      "wrong kind": f.json("table_kind.json", {"kind": "other", "schema": 1}),
                      "entries not a mapping": f.json("table_entries.json", {
                          **json.loads(stored.table.read_text()), "entries": 5}),
                      "accuracy text": f.json("table_acc.json", _table_with_accuracy(stored, "high")),
                      "no suffix": f.text("table_nosuffix", "{}")}.items():
        add("bench-table show", why, "bench-table", "show", path)

    for why, args in {"--run-dir is a file": ("--run-dir", str(root / "runfile")),
                      "--budget 0": ("--run-dir", str(root / "never_demo"), "--budget", "0"),
                      "--budget negative": ("--run-dir", str(root / "never_demo"), "--budget", "-1"),
                      "--budget text": ("--run-dir", str(root / "never_demo"), "--budget", "x"),
                      "unknown flag": ("--bogus",)}.items():
        add("demo", why, "demo", *args)
    return cases


def _bad_checkpoints(f: _Files) -> dict[str, str]:
    """Checkpoints torch can read that are still wrong (no spec, another network's weights)."""
    import torch

    folder = Path(f.dir("checkpoints"))
    no_spec, mismatch = folder / "nospec.pt", folder / "mismatch.pt"
    torch.save({"model": {}, "config": {}, "data": "synthetic"}, no_spec)
    torch.save({"model": {"w": torch.zeros(2)}, "spec": "tiny", "config": {}, "data": "synthetic"}, mismatch)
    return {"without a spec": str(no_spec), "weights of another network": str(mismatch)}


def _run_with(f: _Files, name: str, files: dict[str, bytes]) -> str:
    folder = Path(f.dir(name))
    for file, content in files.items():
        (folder / file).write_bytes(content)
    return str(folder)


def _run_with_corrupt_trials(f: _Files, stored: Stored) -> str:
    """A copy of the stored run whose trials' accuracy attributes are text (a hand-edited study)."""
    folder = Path(f.dir("corrupt_run"))
    for file in stored.run.iterdir():
        shutil.copy2(file, folder / file.name)
    with sqlite3.connect(folder / "study.db") as db:
        db.execute("UPDATE trial_user_attributes SET value_json = '\"high\"' WHERE key = 'accuracy'")
        db.execute("UPDATE trial_user_attributes SET value_json = replace(value_json, '\"accuracy\": ', "
                   "'\"accuracy\": \"high\", \"was\": ') WHERE key = 'coexplore'")
    db.close()
    return str(folder)


def _bad_runs(f: _Files, stored: Stored) -> dict[str, str]:
    results = json.loads((stored.run / "results.json").read_text())
    return {
        "missing folder": str(f.folder / "none_run"),
        "empty folder": f.dir("report_empty"),
        "results.json empty": _run_with(f, "r_empty", {"results.json": b""}),
        "results.json truncated": _run_with(f, "r_trunc", {"results.json": json.dumps(results).encode()[:300]}),
        "results.json a list": _run_with(f, "r_list", {"results.json": b"[]"}),
        "results.json wrong types": _run_with(f, "r_types", {"results.json": json.dumps(
            {**results, "strategies": "many"}).encode()}),
        "results.json NaN": _run_with(f, "r_nan", {"results.json": json.dumps(results).replace(
            '"budget": 3', '"budget": NaN').encode()}),
        "a text file": f.text("results.txt", "hello"),
        "results.json is a directory": str(Path(f.dir("r_dir")) / Path(f.dir("r_dir/results.json")).name),
    }


def _table_of_other_space(f: _Files, stored: Stored) -> str:
    data = json.loads(stored.table.read_text())
    data["space"] = {**data["space"], "features": [64]}
    return f.json("table_other.json", data)


def _table_with_accuracy(stored: Stored, accuracy) -> dict:
    data = json.loads(stored.table.read_text())
    first = next(iter(data["entries"]))
    data["entries"][first]["accuracy"] = accuracy
    return data


def counts(cases: list[BadInput]) -> Counter:
    return Counter(case.command for case in cases)


def count_table(cases: list[BadInput]) -> str:
    per_command = counts(cases)
    width = max(map(len, COMMANDS))
    lines = [f"{'command':<{width}}  inputs"] + [f"{c:<{width}}  {per_command[c]:>6}" for c in COMMANDS]
    lines.append(f"{'total':<{width}}  {len(cases):>6}")
    return "\n".join(lines)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        stored = build_stored(Path(tmp) / "stored")
        print(count_table(build_corpus(Path(tmp) / "inputs", stored)))
