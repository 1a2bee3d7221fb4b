#!/usr/bin/env bash
# Issue 9's replicated tabular benchmarks: the development table (tuning allowed), then the held-out
# one (never tuned on). Resumable: a re-run trains only the replicates missing from each table, and
# the table file is rewritten atomically after every training, so it can be committed mid-build.
#
#   nohup nice -n 19 bash bench/build_tables.sh > build-tables.log 2>&1 &      (WORKERS=2 on an idle machine)
#
# Cost on a 2-core machine (one worker, 1 thread): about 30 s per dev training (64x64, 3 epochs x
# 1,200 synthetic images + 800 validation images; drawing the images dominates), 288 trainings; the
# held-out table (96x96) about 40-60 s per training, 144 trainings. Two builds writing one table would
# overwrite each other: check `ps` first.
set -u
cd "$(dirname "$0")/.." || exit 1
CX=${CX:-.venv/bin/coexplore}
build_dev() {
    "$CX" bench-table build --space bench-dev --out bench/tables/bench-dev.json \
        --budget 3 --seeds 3 --train-size 1200 --val-size 800 --batch-size 16 --set threads=1 --workers "${WORKERS:-1}"
}
build_heldout() {
    "$CX" bench-table build --space bench-heldout --out bench/tables/bench-heldout.json \
        --budget 3 --seeds 3 --train-size 1000 --val-size 600 --batch-size 16 --set threads=1 --workers "${WORKERS:-1}"
}
# TABLES picks which tables and in what order (default: dev, then held-out).
for table in ${TABLES:-dev heldout}; do
    "build_$table" || exit 1
done
