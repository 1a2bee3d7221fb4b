"""The studies read well in Optuna's own tools: named objectives, flat user attributes, constraints.

The last test starts optuna-dashboard (the `dashboard` extra) on 127.0.0.1 over a replayed study,
reads one trial through its JSON API and stops it. `COEXPLORE_DASHBOARD_TRIAL=PATH` saves that
trial's JSON (for the issue's record of what the dashboard shows).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import optuna
import pytest
from search_support import write_proxy_table

from coexplore.search.config import SearchConfig
from coexplore.search.objective import CONSTRAINT_NAMES
from coexplore.search.runner import rebuild_results, run_search

DASHBOARD_START_S = 60


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A replayed co-exploration and sequential search over the tiny space (no training)."""
    root = tmp_path_factory.mktemp("native")
    table = write_proxy_table(root / "table.json")
    config = SearchConfig(name="t", table=str(table), budget=4, strategies=["coexplore", "sequential"],
                          latency_budget_ms=0.5, topk=3)
    run_dir = root / "run"
    results = run_search(config, run_dir)
    return run_dir, results


def _study(run_dir, strategy: str) -> optuna.Study:
    return optuna.load_study(study_name=f"t-{strategy}", storage=f"sqlite:///{run_dir / 'study.db'}")


def test_objectives_have_names_and_trials_flat_attributes(run):
    run_dir, _ = run
    study = _study(run_dir, "coexplore")
    assert study.metric_names == ["accuracy_pct", "total_ms"]
    assert study.user_attrs["constraint_names"] == list(CONSTRAINT_NAMES)
    complete = [t for t in study.trials if t.user_attrs.get("status") == "complete"]
    rejected = [t for t in study.trials if t.user_attrs.get("status") == "rejected_hw"]
    assert complete and rejected  # the 0.5 ms budget rejects the larger networks before training
    trial = complete[0]
    attrs = trial.user_attrs
    packed = attrs["coexplore"]  # the packed record stays: `coexplore results` reads it
    assert attrs["spec"] == packed["spec"] and attrs["accuracy"] == packed["accuracy"]
    assert attrs["total_ms"] == packed["total_ms"] and attrs["compute_ms"] == packed["compute_ms"]
    assert attrs["memory_ms"] == packed["memory_ms"] and attrs["feasible"] is True
    assert attrs["design"] == packed["design_str"]
    assert [attrs[f"design_{k}"] for k in ("tm", "tn", "tr", "tc")] == [packed["design"][k] for k in ("tm", "tn", "tr", "tc")]
    assert attrs["design_precision"] == "int16" and attrs["design_ports"]
    # each sampled gene is a flat Optuna parameter already; the spec string says the same
    assert f"-s{trial.params['stacks']}-o2-f{trial.params['features']}-" in attrs["spec"]
    assert trial.params["block"] in attrs["spec"]
    reason = rejected[0].user_attrs["reason"]
    assert "latency budget" in reason or "does not fit" in reason
    # constraints: ≤ 0 for the feasible trial, latency excess > 0 for a rejected one
    assert list(trial.constraints.values()) == packed["constraints"] and max(packed["constraints"]) <= 0
    assert rejected[0].constraints["0"] > 0


def test_flat_attributes_of_a_trial_without_design_leave_out_what_it_lacks():
    from coexplore.results import TrialRecord

    record = TrialRecord(number=3, strategy="coexplore", spec="hg-x", status="rejected_hw", evaluation="none",
                         reason="does not fit: DSP 3000 > 2520", constraints=[0.0, 1.0, 0.0, 0.0])
    assert record.flat_attrs() == {"spec": "hg-x", "status": "rejected_hw", "reason": "does not fit: DSP 3000 > 2520",
                                   "feasible": False, "evaluation": "none"}


def test_single_objective_stage_is_named_too(run):
    run_dir, _ = run
    assert _study(run_dir, "sequential").metric_names == ["accuracy_pct"]


def test_results_still_read_from_the_packed_records(run):
    run_dir, results = run
    rebuilt = rebuild_results(run_dir)
    for name, block in results["strategies"].items():
        assert [t["spec"] for t in rebuilt["strategies"][name]["trials"]] == [t["spec"] for t in block["trials"]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_optuna_dashboard_shows_names_attributes_and_constraints(run):
    pytest.importorskip("optuna_dashboard", reason="optuna-dashboard not installed (pip install '.[dashboard]')")
    run_dir, _ = run
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from optuna_dashboard._cli import main; main()", f"sqlite:///{run_dir / 'study.db'}",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + DASHBOARD_START_S
        while True:
            try:
                studies = _get_json(f"{base}/studies")["study_summaries"]
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"optuna-dashboard did not start: {server.stderr.read()[-500:]}")
                time.sleep(0.3)
        study_id = next(s["study_id"] for s in studies if s["study_name"] == "t-coexplore")
        detail = _get_json(f"{base}/studies/{study_id}")
        assert detail["objective_names"] == ["accuracy_pct", "total_ms"]
        trial = next(t for t in detail["trials"] if any(a["key"] == "status" and a["value"] == "complete"
                                                          for a in t["user_attrs"]))
        attrs = {a["key"]: a["value"] for a in trial["user_attrs"]}
        for key in ("spec", "design", "design_tm", "design_precision", "compute_ms", "memory_ms", "total_ms",
                    "status", "feasible", "evaluation"):
            assert key in attrs, key
        assert {p["name"] for p in trial["params"]} == {"stacks", "features", "block"}  # the genes
        assert len(trial["constraints"]) == len(CONSTRAINT_NAMES) and max(trial["constraints"]) <= 0
        if os.environ.get("COEXPLORE_DASHBOARD_TRIAL"):
            with open(os.environ["COEXPLORE_DASHBOARD_TRIAL"], "w") as out:
                json.dump({"objective_names": detail["objective_names"], "directions": detail.get("directions"),
                           "trial": trial}, out, indent=1)
    finally:
        server.terminate()
        server.wait(timeout=10)
