#!/usr/bin/env bash
# bench/estimate/run.sh [BUILD_DIR] [DB_DIR] [PER_SET]
#
# What readers are told about the number of results, on the dev query sets of the team kit
# (../shared/eval/*.queries.tsv, PER_SET queries of each, 200 by default, spread over the file)
# searched in the 36k-article corpus: for each query, the announced total (10 hits, copies
# collapsed) against the true count (the same request with facets, which counts every match).
# Indexes the corpus into bench/out/estimate/db unless DB_DIR is given.  Skips (77) when the
# corpus or the query sets are absent.  Environment: KQ_CORPUS, KQ_EVAL, KQ_BENCH_OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
CORPUS=${KQ_CORPUS:-$ROOT/../shared/corpus/orangesum-fr.jsonl.gz}
EVAL=${KQ_EVAL:-$ROOT/../shared/eval}
OUT=${KQ_BENCH_OUT:-$ROOT/bench/out/estimate}
PER_SET=${3:-200}
[ -f "$CORPUS" ] || { echo "SKIP: the corpus $CORPUS is absent (set KQ_CORPUS)"; exit 77; }
ls "$EVAL"/*.queries.tsv >/dev/null 2>&1 || { echo "SKIP: no query sets in $EVAL (set KQ_EVAL)"; exit 77; }
cmake --build "$BUILD" --target indexer bench_estimate -j2 >/dev/null
mkdir -p "$OUT"
DB=${2:-}
if [ -z "$DB" ]; then
  DB=$OUT/db
  rm -rf "$DB"
  "$BUILD/indexer" --db "$DB" --quiet add "$CORPUS"
  echo "   command: $BUILD/indexer --db $DB add $CORPUS"
fi
"$BUILD/bench_estimate" "$DB" "$PER_SET" "$EVAL"/*.queries.tsv >"$OUT/totals.tsv"
echo "   command: $BUILD/bench_estimate $DB $PER_SET $EVAL/*.queries.tsv > $OUT/totals.tsv"
python3 "$ROOT/bench/estimate/summarise.py" <"$OUT/totals.tsv"
echo "   command: python3 $ROOT/bench/estimate/summarise.py < $OUT/totals.tsv"
