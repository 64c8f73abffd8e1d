#!/usr/bin/env bash
# bench/pages/run.sh [BUILD_DIR]
#
# How well and how fast Kiosque reads real published pages: the 150 pages of
# the team kit (../shared/pages, crawled for trafilatura's extraction
# benchmark, with its judgments in expect.json).
#
#   quality  every page goes through `indexer extract` (the code path of
#            `indexer add page.html`); score.py checks each "with" snippet
#            (article text) and "without" snippet (boilerplate) against the
#            headline, description and body that would be indexed, and prints
#            one line per page, then the totals for half A (development), half
#            B (held out; the halves split by the SHA-1 of the file name) and
#            all pages.
#   speed    bench_pages reads every page into memory, then reads them all as
#            articles (html_read_article) on one thread, five rounds; CPU time
#            of the process, best and median round, MB of HTML per second;
#            and gumbo's parse alone on the same bytes, for scale.
#
# Skips (exit 77) when ../shared/pages is absent.  Environment: KQ_PAGES
# (default ../shared/pages), KQ_BENCH_OUT (bench/out/pages).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/pages"
BUILD=${1:-${KQ_BUILD_DIR:-$ROOT/build}}
PAGES=${KQ_PAGES:-$ROOT/../shared/pages}
OUT=${KQ_BENCH_OUT:-$ROOT/bench/out/pages}

if [ ! -f "$PAGES/expect.json" ]; then
  echo "SKIP: the pages $PAGES/expect.json are absent (set KQ_PAGES)"
  exit 77
fi
if [ ! -x "$BUILD/indexer" ]; then
  echo "error: $BUILD/indexer is missing: cmake --build $BUILD --target indexer" >&2
  exit 2
fi
mkdir -p "$OUT"
echo "== building bench_pages"
cmake --build "$BUILD" --target bench_pages >/dev/null

echo "== quality: $(ls "$PAGES"/*.html | wc -l) pages of $PAGES"
echo "\$ $BUILD/indexer extract $PAGES/*.html > $OUT/extract.jsonl 2> $OUT/extract.err"
set +e
"$BUILD/indexer" extract "$PAGES"/*.html > "$OUT/extract.jsonl" 2> "$OUT/extract.err"
code=$?
set -e
if [ "$code" -gt 1 ]; then
  echo "error: indexer extract failed (exit $code):" >&2
  cat "$OUT/extract.err" >&2
  exit 2
fi
echo "\$ python3 $HERE/score.py $PAGES/expect.json $OUT/extract.jsonl --rejected $OUT/extract.err --pages"
python3 "$HERE/score.py" "$PAGES/expect.json" "$OUT/extract.jsonl" --rejected "$OUT/extract.err" --pages

echo
echo "== speed (one thread, CPU time; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "\$ $BUILD/bench_pages --rounds 5 $PAGES"
"$BUILD/bench_pages" --rounds 5 "$PAGES"
echo "\$ $BUILD/bench_pages --rounds 5 --parse-only $PAGES"
"$BUILD/bench_pages" --rounds 5 --parse-only "$PAGES"
