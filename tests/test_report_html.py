"""write_report: the files it writes, the self-contained page, and the CSVs against the records."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs
from test_report_fixture import build_results, write_run
from test_report_tables import recomputed_topk

from coexplore.errors import CoexploreError
from coexplore.report import build_report, write_report
from coexplore.report import fmt
from coexplore.report.page import PAGE_JS

EXPECTED_FILES = {
    "report.html", "topk.csv", "topk.md", "trials.csv", "strategies.csv", "per_op_best.csv",
    "per_op_baseline.csv", "branches_best.csv", "summary.json", "pareto.png", "breakdown.png", "plotly.min.js",
}  # fmt: skip
PAGE_BUDGET_BYTES = 1_500_000  # issue 11: the page was 5.08 MB with plotly.js inlined
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, dict]:
    """One report for the whole module (writing it takes a couple of seconds)."""
    data = build_results()
    run = write_run(tmp_path_factory.mktemp("report") / "run", data)
    write_report(run)
    return run, data


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_all_files_are_written_next_to_results(written) -> None:
    run, _ = written
    assert EXPECTED_FILES <= {p.name for p in run.iterdir()}
    for name in ("pareto.png", "breakdown.png"):
        blob = (run / name).read_bytes()
        assert blob.startswith(PNG_SIGNATURE) and len(blob) > 10_000


def test_html_opens_offline_with_plotly_beside_it(written) -> None:
    run, _ = written
    html = (run / "report.html").read_text(encoding="utf-8")
    assert len(html.encode()) < PAGE_BUDGET_BYTES
    assert get_plotlyjs()[:5000] not in html  # not inlined any more ...
    assert (run / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()  # ... but the same bundle, beside it
    assert re.findall(r"<script[^>]*\bsrc\s*=\s*\"([^\"]+)\"", html, re.IGNORECASE) == ["plotly.min.js"]
    assert html.count("Plotly.newPlot") >= 7  # pareto, top-k bars, breakdown, branches, kinds, roofline, progress
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", html, re.IGNORECASE)
    for heading in ("Top designs vs the baseline", "Accuracy vs latency", "Where the time goes", "Strategies",
                    "All trials"):  # fmt: skip
        assert f">{heading}</h2>" in html
    for fact in ("zcu102", "int16", "PCKh@0.5", "12.00 ms"):  # header: device, precision, metric, budget
        assert fact in html
    assert PAGE_JS.strip() in html and "{PAGE_JS}" not in html  # the sort/filter script, inline


def test_html_topk_table_shows_the_recomputed_percentages(written) -> None:
    run, data = written
    html = (run / "report.html").read_text(encoding="utf-8")
    table = html[html.index('<table class="sortable topk"') : html.index("</table>", html.index('class="sortable topk"'))]
    for row in recomputed_topk(data):
        for key in ("compute_faster_pct", "memory_faster_pct", "total_faster_pct"):
            assert f">{fmt.pct(row[key])}<" in table
        assert f">{fmt.points(row['accuracy_loss'])}<" in table


def test_topk_csv_equals_recomputation(written) -> None:
    run, data = written
    rows = read_csv(run / "topk.csv")
    assert [r["row"] for r in rows] == ["baseline", "1", "2", "3", "4", "5", "average"]
    expected = recomputed_topk(data)
    for got, want in zip(rows[1:-1], expected):
        assert int(got["number"]) == want["number"]
        for key, value in want.items():
            assert float(got[key]) == pytest.approx(value, abs=1e-9), key
    assert float(rows[-1]["total_faster_pct"]) == pytest.approx(sum(r["total_faster_pct"] for r in expected) / 5)
    assert float(rows[0]["total_ms"]) == data["baseline"]["total_ms"]


def test_trials_and_per_op_csvs_hold_the_right_rows(written) -> None:
    run, data = written
    trials = read_csv(run / "trials.csv")
    assert len(trials) == sum(len(s["trials"]) for s in data["strategies"].values())
    by_key = {(r["strategy"], int(r["number"])): r for r in trials}
    for name, strategy in data["strategies"].items():
        for t in strategy["trials"]:
            row = by_key[(name, t["number"])]
            assert row["status"] == t["status"]
            assert row["accuracy"] == ("" if t["accuracy"] is None else str(t["accuracy"]))
    rejected = [r for r in trials if r["status"] == "rejected_hw"]
    assert rejected and all(r["accuracy"] == "" and r["total_ms"] for r in rejected)

    best_number = data["topk"]["rows"][0]["number"]
    best = next(t for t in data["strategies"]["coexplore"]["trials"] if t["number"] == best_number)
    per_op = read_csv(run / "per_op_best.csv")
    assert [r["name"] for r in per_op] == [op["name"] for op in best["per_op"]]
    assert [float(r["total_ms"]) for r in per_op] == [op["total_ms"] for op in best["per_op"]]
    baseline = read_csv(run / "per_op_baseline.csv")
    assert [r["bottleneck"] for r in baseline] == [op["bottleneck"] for op in data["baseline"]["per_op"]]

    strategies = read_csv(run / "strategies.csv")
    assert [r["strategy"] for r in strategies] == ["coexplore", "sequential", "random", "hardware-only"]


def test_summary_json(written) -> None:
    run, data = written
    summary = json.loads((run / "summary.json").read_text())
    assert summary["device"]["name"] == "zcu102" and summary["latency_budget_ms"] == 12.0
    assert [r["number"] for r in summary["topk"]["rows"][1:-1]] == [r["number"] for r in data["topk"]["rows"]]
    assert "per_op" not in summary["baseline"]
    assert summary["warnings"] == []
    assert set(summary["files"]) == EXPECTED_FILES


def test_out_folder_and_returned_path(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    report = build_report(run, tmp_path / "elsewhere" / "deep")
    assert report.html == tmp_path / "elsewhere" / "deep" / "report.html" and report.html.is_file()
    assert EXPECTED_FILES == set(report.files)
    assert not (run / "report.html").exists()


def test_user_text_is_escaped(tmp_path: Path) -> None:
    data = build_results()
    data["strategies"]["random"]["trials"][0]["spec"] = "<i>evil</i>"
    data["name"] = "<script>alert(1)</script>"
    html = write_report(write_run(tmp_path / "run", data)).read_text(encoding="utf-8")
    assert "<i>evil</i>" not in html and "<script>alert(1)</script>" not in html
    assert "&lt;i&gt;evil&lt;/i&gt;" in html


def test_sparse_run_still_renders(tmp_path: Path) -> None:
    """No budget, no floor, no top-k rows, no per-op costs, a single strategy: the page says so."""
    data = build_results()
    data.update(latency_budget_ms=None, accuracy_floor=None, sequential_vs_coexplore={})
    data["strategies"] = {"random": data["strategies"]["random"]}
    data["topk"] = {"strategy": "random", "k": 5, "rows": [], "average": None}
    data["baseline"]["per_op"] = None
    report = build_report(write_run(tmp_path / "run", data))
    html = report.html.read_text(encoding="utf-8")
    assert "no per-op costs" in html.lower()
    assert read_csv(tmp_path / "run" / "per_op_best.csv") == []
    assert [r["row"] for r in read_csv(tmp_path / "run" / "topk.csv")] == ["baseline"]


def test_inconsistent_run_shows_warnings(tmp_path: Path) -> None:
    data = build_results()
    data["topk"]["rows"][0]["memory_faster_pct"] = 99.0
    report = build_report(write_run(tmp_path / "run", data))
    assert len(report.warnings) == 1 and "memory_faster_pct" in report.warnings[0]
    assert "disagrees with itself" in report.html.read_text(encoding="utf-8")


def test_missing_run_raises_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(CoexploreError, match="results.json"):
        write_report(tmp_path)
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(CoexploreError, match=r"results\.json: not valid JSON"):
        write_report(tmp_path)


def test_unwritable_out_is_a_clear_error(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CoexploreError, match="--out"):
        write_report(run, blocker / "sub")


def test_report_does_not_import_torch_optuna_or_search(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    code = (
        "import sys; from coexplore.report import write_report; "
        f"write_report({str(run)!r}); "
        "loaded = [m for m in ('torch', 'optuna', 'coexplore.search') if m in sys.modules]; "
        "assert not loaded, f'report imported {loaded}'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_pareto_figure_without_untrained_trials_keeps_one_labelled_axis(tmp_path: Path) -> None:
    from coexplore.report.plots import pareto_figure
    from coexplore.results import load_results

    data = build_results()
    for strategy in data["strategies"].values():
        strategy["trials"] = [t for t in strategy["trials"] if t["accuracy"] is not None]
    fig = pareto_figure(load_results(write_run(tmp_path / "run", data)))
    assert fig.layout.xaxis.title.text == "total latency on the board (ms)"
    assert "xaxis2" not in fig.layout.to_plotly_json()
    with_strip = pareto_figure(load_results(write_run(tmp_path / "full")))
    assert with_strip.layout.xaxis2.title.text == "total latency on the board (ms)"
