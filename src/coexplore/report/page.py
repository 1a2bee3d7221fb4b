"""The report page's stylesheet and script (plain CSS and JS, no framework, nothing fetched)."""

from __future__ import annotations

PAGE_CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --accent:#1f6feb;
        --good:#1a7f37; --bad:#cf222e; --warn-bg:#fff8c5; --warn-line:#d4a72c; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
       font: 14px/1.5 Inter, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 40px; }
header h1 { margin: 0 0 2px; font-size: 26px; }
.sub { margin: 0 0 12px; color: var(--muted); }
.chips { display:flex; flex-wrap:wrap; gap:6px; }
.chip { background:#fff; border:1px solid var(--line); border-radius: 999px; padding: 2px 10px; font-size: 13px; }
.chip b { color: var(--muted); font-weight: 600; margin-right: 4px; }
.cards { display:grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin: 18px 0; }
.card { background:#fff; border:1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.card .value { font-size: 28px; font-weight: 700; letter-spacing: -0.5px; }
.card.good .value { color: var(--good); } .card.bad .value { color: var(--bad); }
.card .label { font-weight: 600; }
.card .note { color: var(--muted); font-size: 12.5px; }
section { background:#fff; border:1px solid var(--line); border-radius: 10px; padding: 16px 20px; margin: 16px 0; }
section h2 { margin: 0 0 6px; font-size: 19px; }
section h3 { margin: 14px 0 6px; font-size: 15px; }
.intro, .note { color: var(--muted); margin: 4px 0 10px; max-width: 980px; }
.note { font-size: 12.5px; }
.warn { background: var(--warn-bg); border:1px solid var(--warn-line); border-radius: 10px; padding: 10px 16px; }
.warn ul { margin: 4px 0 0; }
.figure { margin: 8px 0; }
.two { display:grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 18px; align-items: start; }
@media (max-width: 1000px) { .two { grid-template-columns: 1fr; } }
.table-wrap { overflow-x: auto; max-width: 100%; }
.table-wrap.tall { max-height: 560px; overflow-y: auto; }
table { border-collapse: collapse; font-size: 13px; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid #eaeef2; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, th.l, td.l { text-align: left; }
thead th { vertical-align: bottom; position: sticky; top: 0; background: #f6f8fa; border-bottom: 1px solid var(--line); font-weight: 600; }
table.sortable thead th { cursor: pointer; user-select: none; }
table.strategies thead th { white-space: normal; }
table.sortable thead th:hover { background: #eaeef2; }
th.asc::after { content: " ▲"; font-size: 10px; } th.desc::after { content: " ▼"; font-size: 10px; }
td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; text-align: left; }
td.small { font-size: 12px; color: var(--muted); text-align: left; }
/* long spec and design strings wrap instead of pushing the numbers off screen */
td.mono, td.small { white-space: normal; overflow-wrap: anywhere; min-width: 14ch; max-width: 34ch; }
table.trials td.mono, table.trials td.small { white-space: nowrap; max-width: none; } /* scrolls instead */
td.pos { color: var(--good); font-weight: 600; } td.neg { color: var(--bad); font-weight: 600; }
td.mem { color: #bc4c00; font-weight: 600; } td.cmp { color: var(--accent); font-weight: 600; }
tr.summary td { background: #f6f8fa; font-weight: 600; }
tr.paper td { color: var(--muted); font-style: italic; background: #fbfbfc; }
td.status { text-align: left; }
td.status.complete { color: var(--good); } td.status.rejected_hw { color: #9a6700; }
td.status.failed { color: var(--bad); } td.status.pruned { color: var(--muted); }
table.compact th, table.compact td { padding: 4px 6px; }
table.kv { width: auto; } table.kv th { text-align: left; font-weight: 600; color: var(--muted); background: none; position: static; }
table.kv td { text-align: right; }
table.kv thead th { color: var(--fg); text-align: right; }
.controls { margin: 4px 0 8px; color: var(--muted); }
.controls input { width: 360px; max-width: 100%; padding: 5px 10px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
table.compare { width: auto; min-width: 60%; }
table.compare th.l { font-weight: 600; color: var(--fg); position: static; background: none; }
table.compare th.sub { font-weight: 400; color: var(--muted); padding-left: 20px; }
table.compare tr.group th { padding-top: 12px; border-bottom: 1px solid var(--line); }
table.compare td { min-width: 16ch; }
ul.files { columns: 3; } details pre { background: var(--bg); padding: 10px; border-radius: 6px; max-height: 360px; overflow: auto; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 20px; }
"""

# Sort any table.sortable by clicking a header (numbers by value, text alphabetically, empty last);
# filter the trials table by free text.
PAGE_JS = """
(function () {
  function key(td) { var v = td ? td.getAttribute('data-v') : ''; if (v === null) v = td.textContent;
    var n = parseFloat(v); return (v !== '' && !isNaN(n) && isFinite(v)) ? n : v.toLowerCase(); }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('thead th').forEach(function (th, col) {
      th.addEventListener('click', function () {
        var asc = !th.classList.contains('asc');
        table.querySelectorAll('thead th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
        th.classList.add(asc ? 'asc' : 'desc');
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          if (x === '' && y !== '') return 1; if (y === '' && x !== '') return -1;
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var filter = document.getElementById('trial-filter'), table = document.getElementById('trials');
  if (filter && table) {
    filter.addEventListener('input', function () {
      var q = filter.value.toLowerCase().trim(), shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        var hit = !q || r.textContent.toLowerCase().indexOf(q) >= 0; r.style.display = hit ? '' : 'none'; shown += hit;
      });
      document.getElementById('trial-count').textContent = shown + ' trials';
    });
  }
})();
"""
