#!/usr/bin/env bash
# bench/index/run.sh [BUILD_DIR]
#
# Indexing throughput over the team kit's 36k-article corpus, from an empty database:
#   Xapian used directly   xapian_baseline index (TermGenerator, Stem("french"), positions, one
#                          WritableDatabase, one thread: how one indexes with Xapian alone)
#   Kiosque, one thread    indexer --jobs 1 add (one Xapian database, flushed every 1,000 articles)
#   Kiosque, sharded       indexer --jobs N add (N: the cores; parts of 2,000 articles in scratch
#                          databases, merged by compaction: indexer/shards.h)
# For each: wall time, articles/s, CPU time and peak memory (GNU time), and the ratio of
# Kiosque's speed to Xapian's (target of the roadmap: 3x with both cores).  Every run is
# checked (`indexer check`) and the two Kiosque indexes must give the same hits.
# Environment: KQ_CORPUS, KQ_BENCH_OUT (bench/out/index), KQ_JOBS (the cores).
# Skips (77) when the corpus is absent.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
CORPUS=${KQ_CORPUS:-$ROOT/../shared/corpus/orangesum-fr.jsonl.gz}
OUT=${KQ_BENCH_OUT:-$ROOT/bench/out/index}
JOBS=${KQ_JOBS:-$(nproc)}
[ -f "$CORPUS" ] || { echo "SKIP: the corpus $CORPUS is absent (set KQ_CORPUS)"; exit 77; }
command -v /usr/bin/time >/dev/null || { echo "error: GNU time is missing (apt-get install time)" >&2; exit 2; }
cmake --build "$BUILD" --target indexer search xapian_baseline -j2 >/dev/null
mkdir -p "$OUT"
ARTICLES=$(zcat -f "$CORPUS" | grep -c .)

# run NAME COMMAND...: times one build from scratch; appends "NAME wall user sys maxrss_kb".
run() {
  local name=$1
  shift
  echo "== $name: $*"
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1 ||
    { cat "$OUT/$name.log" >&2; echo "error: $name failed" >&2; exit 1; }
  echo "$name $(cat "$OUT/$name.time")" >>"$OUT/results.txt"
}

rm -rf "$OUT/xapian" "$OUT/one" "$OUT/sharded" "$OUT/results.txt"
echo "corpus: $CORPUS ($ARTICLES articles); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
run xapian "$BUILD/xapian_baseline" index "$CORPUS" "$OUT/xapian"
run one "$BUILD/indexer" --db "$OUT/one" --quiet --jobs 1 add "$CORPUS"
run sharded "$BUILD/indexer" --db "$OUT/sharded" --quiet --jobs "$JOBS" add "$CORPUS"

for db in one sharded; do
  "$BUILD/indexer" --db "$OUT/$db" check >/dev/null || { echo "error: $db: indexer check failed" >&2; exit 1; }
done
for q in "gouvernement" "coronavirus confinement" "Emmanuel Macron" '"premier ministre"'; do
  a=$("$BUILD/search" --db "$OUT/one" --json -n 20 "$q" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["total"], [(h["id"], round(h["score"], 4)) for h in r["hits"]])')
  b=$("$BUILD/search" --db "$OUT/sharded" --json -n 20 "$q" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["total"], [(h["id"], round(h["score"], 4)) for h in r["hits"]])')
  [ "$a" = "$b" ] || { echo "error: the sharded index answers $q differently" >&2; exit 1; }
done
echo "   both Kiosque indexes pass indexer check and give the same hits and scores"

echo
awk -v n="$ARTICLES" -v jobs="$JOBS" '
  { wall[$1] = $2; cpu[$1] = $3 + $4; rss[$1] = $5 }
  END {
    printf "%-22s %9s %11s %9s %10s %9s\n", "build", "wall s", "articles/s", "CPU s", "peak MB", "vs Xapian"
    split("xapian one sharded", order, " ")
    label["xapian"] = "Xapian directly"; label["one"] = "Kiosque, 1 thread"; label["sharded"] = "Kiosque, " jobs " threads"
    for (i = 1; i <= 3; i++) {
      k = order[i]
      printf "%-22s %9.1f %11.0f %9.1f %10.0f %8.2fx\n", label[k], wall[k], n / wall[k], cpu[k], rss[k] / 1024, wall["xapian"] / wall[k]
    }
    r = wall["xapian"] / wall["sharded"]
    verdict = "met"
    if (r < 3)
      verdict = sprintf("%.0f%% short", 100 * (3 - r) / 3)
    printf "\nsharded Kiosque indexes %.2fx as fast as Xapian used directly (target: 3x): %s\n", r, verdict
  }' "$OUT/results.txt"
du -sh "$OUT/xapian" "$OUT/one/xapian/" "$OUT/sharded/xapian/" | sed 's/^/   size /'
echo
echo "== commands"
echo "$BUILD/xapian_baseline index $CORPUS $OUT/xapian"
echo "$BUILD/indexer --db $OUT/one --quiet --jobs 1 add $CORPUS"
echo "$BUILD/indexer --db $OUT/sharded --quiet --jobs $JOBS add $CORPUS"
