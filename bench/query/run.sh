#!/usr/bin/env bash
# bench/query/run.sh [BUILD_DIR]
#
# Indexing throughput and in-process query latency of Kiosque against Xapian used directly, on
# the team kit's 36k-article corpus, one thread each:
#   indexing   `indexer add` vs xapian_baseline index (TermGenerator, Stem("french"))
#   queries    bench_query (search_run: 10 hits with snippets; plain, with exact facets, by date)
#              vs xapian_baseline query (QueryParser, AND, top 10 with data, no snippets)
# Queries: distinct 2-word and 1–3-word queries drawn from headlines by bench/http/make_queries.py.
# Skips (77) when the corpus is absent.  Environment: KQ_CORPUS, KQ_BENCH_OUT (bench/out/query),
# KQ_QUERIES (queries per run, 2000).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
CORPUS=${KQ_CORPUS:-$ROOT/../shared/corpus/orangesum-fr.jsonl.gz}
OUT=${KQ_BENCH_OUT:-$ROOT/bench/out/query}
MAXQ=${KQ_QUERIES:-2000}
[ -f "$CORPUS" ] || { echo "SKIP: the corpus $CORPUS is absent (set KQ_CORPUS)"; exit 77; }
cmake --build "$BUILD" --target indexer bench_query xapian_baseline -j2 >/dev/null
mkdir -p "$OUT"
python3 "$ROOT/bench/http/make_queries.py" "$CORPUS" "$OUT/queries" >/dev/null

echo "== indexing $CORPUS (one thread each)"
rm -rf "$OUT/kiosque" "$OUT/xapian"
start=$(date +%s.%N)
"$BUILD/indexer" --db "$OUT/kiosque" --quiet add "$CORPUS"
end=$(date +%s.%N)
python3 -c "print(f'kiosque indexer: 36152 articles in {$end-$start:.1f} s: {36152/($end-$start):.0f} articles/s')"
echo "   command: $BUILD/indexer --db $OUT/kiosque add $CORPUS"
"$BUILD/xapian_baseline" index "$CORPUS" "$OUT/xapian"
echo "   command: $BUILD/xapian_baseline index $CORPUS $OUT/xapian"

for set in two mixed; do
  echo
  echo "== queries: $OUT/queries/$set.txt (first $MAXQ)"
  "$BUILD/bench_query" "$OUT/kiosque" "$OUT/queries/$set.txt" "$MAXQ"
  "$BUILD/xapian_baseline" query "$OUT/xapian" "$OUT/queries/$set.txt" "$MAXQ"
  echo "   command: $BUILD/xapian_baseline query $OUT/xapian $OUT/queries/$set.txt $MAXQ"
done
