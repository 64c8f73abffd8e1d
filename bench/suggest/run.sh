#!/usr/bin/env bash
# bench/suggest/run.sh [BUILD_DIR] [DB_DIR]
#
# Latency of the suggestions as a reader types (search_suggest, in process, one thread), over
# distinct prefixes typed key by key from headlines of the team kit's 36k-article corpus
# (make_prefixes.py: 500 prefixes).  Indexes the corpus into bench/out/suggest/db unless DB_DIR
# is given (an index of that corpus built by `indexer add`).  Skips (77) when the corpus is
# absent.  Environment: KQ_CORPUS, KQ_BENCH_OUT (bench/out/suggest), KQ_BENCH_SHOW=1 (print
# each prefix with its suggestions).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
CORPUS=${KQ_CORPUS:-$ROOT/../shared/corpus/orangesum-fr.jsonl.gz}
OUT=${KQ_BENCH_OUT:-$ROOT/bench/out/suggest}
[ -f "$CORPUS" ] || { echo "SKIP: the corpus $CORPUS is absent (set KQ_CORPUS)"; exit 77; }
cmake --build "$BUILD" --target indexer bench_suggest -j2 >/dev/null
mkdir -p "$OUT"
DB=${2:-}
if [ -z "$DB" ]; then
  DB=$OUT/db
  rm -rf "$DB"
  echo "== indexing $CORPUS"
  "$BUILD/indexer" --db "$DB" --quiet add "$CORPUS"
  echo "   command: $BUILD/indexer --db $DB add $CORPUS"
fi
python3 "$ROOT/bench/suggest/make_prefixes.py" "$CORPUS" --max 500 >"$OUT/prefixes.txt"
echo "   command: python3 $ROOT/bench/suggest/make_prefixes.py $CORPUS --max 500 > $OUT/prefixes.txt"
echo "== index: $(du -sk "$DB/xapian/" | cut -f1) KB in $DB/xapian"
echo "== suggestions for $(wc -l <"$OUT/prefixes.txt") distinct prefixes"
"$BUILD/bench_suggest" "$DB" "$OUT/prefixes.txt"
