"""Render a run's report.html in headless Chromium: screenshots to look at, and a layout check.

    python bench/report_screenshot.py RUN [--out DIR] [--width 1400]

Writes the report of RUN (a search run folder) into DIR (default: a temporary folder), then
- `screenshot.png` (the whole page) and `screenshot-1.png`, `-2.png`, ... (1500 px slices to read),
- the layout check: the page is loaded with a script that waits for the plots, then measures (1) text
  labels inside each plot that overlap each other, (2) network / accelerator cells whose text is
  cut off (wider than the cell), (3) the page size and plotly.min.js loaded from beside the page.
Prints the check as JSON and exits 1 when something overlaps or is cut off, 2 without chromium.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from coexplore.report import build_report

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
SLICE_PX = 1500
PAGE_BUDGET_BYTES = 1_500_000
RENDER_BUDGET_MS = 15000

# Runs in the page after load: finds overlapping plot labels and cut-off table cells.
CHECK_JS = r"""
<script>
window.addEventListener('load', function () { setTimeout(function () {
  function box(el) { var r = el.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom}; }
  function overlap(a, b) { return Math.min(a.r, b.r) - Math.max(a.l, b.l) > 1 && Math.min(a.b, b.b) - Math.max(a.t, b.t) > 1; }
  var found = {plotly_loaded: !!window.Plotly, overlaps: [], cut_labels: [], cut_cells: [], plots: 0};
  document.querySelectorAll('.js-plotly-plot').forEach(function (plot, i) {
    found.plots += 1;
    var labels = [];
    plot.querySelectorAll('.textpoint text, .annotation-text, .legendtext, .g-gtitle text, .xtick text, .ytick text, .g-xtitle text, .g-ytitle text')
      .forEach(function (el) { var t = el.textContent.trim(); var b = box(el);
        if (t && b.r > b.l && b.b > b.t) labels.push({text: t, box: b, cls: el.getAttribute('class') || el.parentNode.getAttribute('class')}); });
    var frame = box(plot.querySelector('svg.main-svg'));
    labels.forEach(function (l) { if (l.box.l < frame.l - 1 || l.box.r > frame.r + 1 || l.box.t < frame.t - 1 || l.box.b > frame.b + 1)
      found.cut_labels.push({plot: i, section: (plot.closest('section') || {}).id, text: l.text}); });
    for (var a = 0; a < labels.length; a++) for (var b = a + 1; b < labels.length; b++)
      if (overlap(labels[a].box, labels[b].box))
        found.overlaps.push({plot: i, section: (plot.closest('section') || {}).id, a: labels[a].text, b: labels[b].text});
  });
  document.querySelectorAll('td.mono, td.small').forEach(function (td) {
    if (td.scrollWidth > td.clientWidth + 1) found.cut_cells.push(td.textContent.trim().slice(0, 60));
    var wrap = td.closest('.table-wrap'); if (!wrap || !td.textContent.trim()) return;
    var w = box(wrap), c = box(td);
    if (td.classList.contains('mono') && !td.classList.contains('small') && c.l >= w.r) found.cut_cells.push('scrolled off: ' + td.textContent.trim().slice(0, 60));
  });
  var pre = document.createElement('pre'); pre.id = 'layout-check'; pre.textContent = JSON.stringify(found);
  document.body.appendChild(pre);
}, 1500); });
</script>
"""


def find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _chromium(browser: str, *args: str) -> subprocess.CompletedProcess:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--allow-file-access-from-files", f"--virtual-time-budget={RENDER_BUDGET_MS}", *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def layout_check(browser: str, html: Path, width: int) -> dict:
    """The page's layout problems, measured by CHECK_JS in a copy of the page next to it."""
    probe = html.with_name("layout-probe.html")
    probe.write_text(html.read_text(encoding="utf-8").replace("</body>", CHECK_JS + "</body>"), encoding="utf-8")
    try:
        done = _chromium(browser, f"--window-size={width},1200", "--dump-dom", probe.as_uri())
    finally:
        probe.unlink()
    match = re.search(r'<pre id="layout-check">(.*?)</pre>', done.stdout, re.S)
    if not match:
        return {"error": "the check script did not report", "stderr": done.stderr[-400:]}
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def screenshots(browser: str, html: Path, out: Path, width: int, height: int) -> list[Path]:
    """The whole page as one PNG, and slices of it (Pillow comes with matplotlib)."""
    from PIL import Image

    whole = out / "screenshot.png"
    _chromium(browser, f"--window-size={width},{height}", f"--screenshot={whole}", html.as_uri())
    image = Image.open(whole)
    slices = []
    for i, top in enumerate(range(0, image.height, SLICE_PX), start=1):
        piece = out / f"screenshot-{i}.png"
        image.crop((0, top, image.width, min(top + SLICE_PX, image.height))).save(piece)
        slices.append(piece)
    return [whole, *slices]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="search run folder (holds results.json)")
    parser.add_argument("--out", type=Path, default=None, help="folder for the report and the screenshots")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=9000, help="screenshot height in px (the page is cut there)")
    args = parser.parse_args()
    browser = find_chromium()
    if browser is None:
        print("no chromium on PATH (apt-get install -y chromium): nothing checked")
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="coexplore-report-"))
    report = build_report(args.run, out)
    check = layout_check(browser, report.html, args.width)
    check["page_bytes"] = report.html.stat().st_size
    check["screenshots"] = [str(p) for p in screenshots(browser, report.html, out, args.width, args.height)]
    print(json.dumps(check, indent=1))
    bad = (check.get("error") or check.get("overlaps") or check.get("cut_labels") or check.get("cut_cells")
           or not check.get("plotly_loaded")
           or check["page_bytes"] > PAGE_BUDGET_BYTES)  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
