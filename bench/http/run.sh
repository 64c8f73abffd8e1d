#!/usr/bin/env bash
# bench/http/run.sh [BUILD_DIR]
#
# Throughput and latency of searchd over HTTP, measured with wrk against an
# index of the 36k-article corpus, and in the same run the ceiling: a
# trivial libmicrohttpd server (trivial_server.c) set up like searchd that
# answers a fixed JSON body.  Scenarios, each with 1 and 2 wrk threads:
#   distinct 1–3 word queries   every request a new query (no cache hit)
#   distinct 2-word queries     the same, two words each
#   popular repeated queries    50 frequent queries asked again and again (cache)
#   trivial server              the ceiling
# and, first, the in-process baselines on the same distinct 2-word queries:
# the search library alone on one thread (search_inproc.c), and Xapian used
# directly (bench/query/xapian_baseline: QueryParser, AND, top 10 with their
# data) on 1 and 2 threads over its own index of the corpus, the yardstick of
# the target: searchd over HTTP at least half of Xapian alone on the same cores.
# Prints requests per second, p50/p99 latency, the ratio to the ceiling and
# the commands used, then the target's ratio again in paired rounds (Xapian
# alone, then searchd, a few seconds apart: the machine's speed drifts).
# Skips (exit 77) when the corpus or wrk is absent.
#
# Environment: KQ_CORPUS (default ../shared/corpus/orangesum-fr.jsonl.gz),
# KQ_BENCH_OUT (bench/out/http), KQ_BENCH_DB (an existing index to reuse;
# default KQ_BENCH_OUT/db, built once), KQ_XAPIAN_DB (Xapian's own index;
# default KQ_BENCH_OUT/xapian-db, built once), KQ_BENCH_DURATION (10s),
# KQ_SEARCHD_THREADS (nproc), KQ_BENCH_CONNS (connections per wrk thread, 4),
# KQ_BENCH_ROUNDS (paired rounds of Xapian alone and searchd, 3).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/http"
BUILD=${1:-${KQ_BUILD_DIR:-$ROOT/build}}
CORPUS=${KQ_CORPUS:-$ROOT/../shared/corpus/orangesum-fr.jsonl.gz}
OUT=${KQ_BENCH_OUT:-$ROOT/bench/out/http}
DB=${KQ_BENCH_DB:-$OUT/db}
XDB=${KQ_XAPIAN_DB:-$OUT/xapian-db}
DURATION=${KQ_BENCH_DURATION:-10s}
SERVER_THREADS=${KQ_SEARCHD_THREADS:-$(nproc)}
CONNS=${KQ_BENCH_CONNS:-4}
ROUNDS=${KQ_BENCH_ROUNDS:-3}

if [ ! -f "$CORPUS" ]; then
  echo "SKIP: the corpus $CORPUS is absent (set KQ_CORPUS)"
  exit 77
fi
if ! command -v wrk >/dev/null; then
  echo "SKIP: wrk is not installed (apt-get install wrk)"
  exit 77
fi
for prog in searchd indexer; do
  if [ ! -x "$BUILD/$prog" ]; then
    echo "error: $BUILD/$prog is missing: cmake --build $BUILD --target searchd indexer" >&2
    exit 2
  fi
done
mkdir -p "$OUT"

# An index made by an older indexer may lay out its values differently:
# rebuild the bench's own index when the indexer is newer than it.
if [ -d "$DB/xapian" ] && [ "$BUILD/indexer" -nt "$DB/xapian" ]; then
  if [ -z "${KQ_BENCH_DB:-}" ]; then
    echo "== $BUILD/indexer is newer than the index: rebuilding it"
    rm -rf "$DB"
  else
    echo "   warning: $BUILD/indexer is newer than $DB: rebuild it if the index format changed"
  fi
fi
if [ ! -d "$DB/xapian" ]; then
  echo "== indexing $CORPUS into $DB (once)"
  /usr/bin/time -f "   %e s, %M KiB peak" "$BUILD/indexer" --db "$DB" --quiet add "$CORPUS"
fi
if [ ! -s "$OUT/queries/two.txt" ]; then
  echo "== drawing queries from the corpus"
  python3 "$HERE/make_queries.py" "$CORPUS" "$OUT/queries"
fi
echo "== building the trivial server"
cc -O2 -Wall -Wextra -Wno-unused-parameter -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
   -o "$OUT/trivial_server" "$HERE/trivial_server.c" $(pkg-config --cflags --libs libmicrohttpd) -lpthread

echo "== building Xapian used directly (xapian_baseline)"
XAPIAN=""
if cmake --build "$BUILD" --target xapian_baseline >/dev/null; then
  XAPIAN="$BUILD/xapian_baseline"
  if [ ! -d "$XDB" ]; then
    echo "== indexing $CORPUS into $XDB with Xapian alone (once)"
    "$XAPIAN" index "$CORPUS" "$XDB"
  fi
else
  echo "   (could not build xapian_baseline: no Xapian baseline)"
fi

echo "== building the in-process baseline (the search library alone, no HTTP)"
INPROC=""
B="$BUILD"
if cc -O2 -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -I"$ROOT/shared" -o "$OUT/search_inproc" \
     "$HERE/search_inproc.c" "$B/libkq_render.a" "$B/libkq_search.a" "$B/libkq_document.a" "$B/libkq_store.a" "$B/libkq_query.a" \
     "$B/libkq_analyzer.a" "$B/libkq_article.a" "$B/libkq_index.a" "$B/libkq_base.a" \
     $(pkg-config --libs xapian-core sqlite3 jansson libutf8proc zlib libzstd) -lstemmer -lstdc++ -lm -lpthread; then
  INPROC="$OUT/search_inproc"
else
  echo "   (could not link against $BUILD's static libraries: no in-process baseline)"
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "error: nothing listens on port $1" >&2
  return 1
}

SEARCHD_PORT=$(free_port)
TRIVIAL_PORT=$(free_port)
SEARCHD_CMD=("$BUILD/searchd" --db "$DB" --listen "127.0.0.1:$SEARCHD_PORT" --threads "$SERVER_THREADS" --quiet)
TRIVIAL_CMD=("$OUT/trivial_server" "$TRIVIAL_PORT" "$SERVER_THREADS")
"${SEARCHD_CMD[@]}" 2>"$OUT/searchd.log" &
SEARCHD_PID=$!
"${TRIVIAL_CMD[@]}" 2>"$OUT/trivial.log" &
TRIVIAL_PID=$!
trap 'kill $SEARCHD_PID $TRIVIAL_PID 2>/dev/null; wait $SEARCHD_PID $TRIVIAL_PID 2>/dev/null || true' EXIT
wait_port "$SEARCHD_PORT"
wait_port "$TRIVIAL_PORT"
grep -m1 "articles" "$OUT/searchd.log" || true

# Runs wrk and prints "name threads conns rps p50_ms p99_ms errors";
# the command goes to $OUT/commands.txt.
RESULTS="$OUT/results.txt"
: >"$RESULTS"
: >"$OUT/commands.txt"
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
run() {
  local name=$1 threads=$2 url=$3
  shift 3
  local conns=$((threads * CONNS))
  local cmd=(wrk -t "$threads" -c "$conns" -d "$DURATION" --latency "$url" "$@")
  echo "${cmd[*]}" >>"$OUT/commands.txt"
  local log="$OUT/wrk-$name-t$threads.txt"
  "${cmd[@]}" >"$log"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$log")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$log")")
  errors=$(awk '/Non-2xx|Socket errors/ { print }' "$log" | tr '\n' ' ')
  echo "$name $threads $conns $rps $p50 $p99 ${errors:-none}" | tee -a "$RESULTS"
}

S="http://127.0.0.1:$SEARCHD_PORT"
T="http://127.0.0.1:$TRIVIAL_PORT"
Q="$OUT/queries"
echo "== warming up (queries not used by the measured runs)"
wrk -t 2 -c 4 -d 5s -s "$HERE/queries.lua" "$S" -- "$Q/mixed.txt" 90000 2 >/dev/null
INPROC_LINE=""
if [ -n "$INPROC" ]; then
  echo "== in-process: 2000 distinct 2-word queries on one thread"
  INPROC_CMD=("$INPROC" "$DB" "$Q/two.txt" 48000 2000)
  INPROC_LINE=$("${INPROC_CMD[@]}")
  echo "   $INPROC_LINE"
fi
XAPIAN_LINES=""
if [ -n "$XAPIAN" ]; then
  echo "== Xapian alone, in-process: 4000 distinct 2-word queries on 1 and 2 threads"
  for t in 1 2; do
    line=$("$XAPIAN" query "$XDB" "$Q/two.txt" 4000 "$t")
    echo "   $line"
    XAPIAN_LINES+="$line"$'\n'
    echo "$XAPIAN query $XDB $Q/two.txt 4000 $t" >>"$OUT/commands.txt"
  done
fi
echo "== measuring: $DURATION per run, $CONNS connections per wrk thread, searchd with $SERVER_THREADS threads"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in 1 2; do
  # Distinct queries: each run starts at its own offset in the file.
  run distinct-1to3w "$t" "$S" -s "$HERE/queries.lua" -- "$Q/mixed.txt" $((t * 30000)) "$t"
  run distinct-2w "$t" "$S" -s "$HERE/queries.lua" -- "$Q/two.txt" $((t * 20000)) "$t"
  run popular "$t" "$S" -s "$HERE/queries.lua" -- "$Q/popular.txt" 0 "$t"
  run trivial "$t" "$T/"
done
# The machine's speed drifts (it is shared): the target's ratio is also
# measured in paired rounds, Xapian alone then searchd a few seconds apart.
PAIRED=""
if [ -n "$XAPIAN" ] && [ "$ROUNDS" -gt 0 ]; then
  echo "== $ROUNDS paired rounds: Xapian alone on 2 threads, then searchd distinct-2w with 2 wrk threads"
  for r in $(seq "$ROUNDS"); do
    x=$("$XAPIAN" query "$XDB" "$Q/two.txt" 4000 2 | awk '$1 == "xapian" { print $3 }')
    line=$(run "paired-2w-$r" 2 "$S" -s "$HERE/queries.lua" -- "$Q/two.txt" $((r * 15000 + 5000)) 2)
    PAIRED+="$r $x $(echo "$line" | awk '{ print $4, $6 }')"$'\n'
  done
fi
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== results (searchd threads: $SERVER_THREADS; machine: $(nproc) cores shared by wrk and the server)"
awk '
  { name[NR] = $1; t[NR] = $2; c[NR] = $3; rps[NR] = $4; p50[NR] = $5; p99[NR] = $6
    err[NR] = ""; for (i = 7; i <= NF; i++) err[NR] = err[NR] " " $i
    if ($1 == "trivial") ceiling[$2] = $4 }
  END {
    printf "%-16s %3s %5s %10s %9s %9s %9s  %s\n", "scenario", "wrk", "conns", "req/s", "p50 ms", "p99 ms", "/ceiling", "errors"
    for (i = 1; i <= NR; i++)
      printf "%-16s %3s %5s %10.0f %9.2f %9.2f %8.1f%%  %s\n", name[i], "t" t[i], c[i], rps[i], p50[i], p99[i],
             100 * rps[i] / ceiling[t[i]], err[i]
  }' "$RESULTS"
if [ -n "$INPROC_LINE" ]; then
  inproc_qps=$(echo "$INPROC_LINE" | sed -n 's/.*: \([0-9.]*\) q\/s.*/\1/p')
  awk -v inproc="$inproc_qps" -v threads="$SERVER_THREADS" '
    $1 == "distinct-2w" { best = $4 > best ? $4 : best }
    END { printf "\nin-process library: %.0f q/s on one thread; searchd distinct-2w best: %.0f q/s with %d threads = %.0f q/s per thread = %.0f%% of in-process\n",
          inproc, best, threads, best / threads, 100 * best / threads / inproc }' "$RESULTS"
fi
if [ -n "$XAPIAN_LINES" ]; then
  # xapian_baseline prints: xapian N q/s p50 p99 hits/q (T threads)
  echo "$XAPIAN_LINES" | awk -v results="$RESULTS" '
    $1 == "xapian" && $7 == "(2" { xapian2 = $3 }
    $1 == "xapian" && $7 == "(1" { xapian1 = $3 }
    END {
      printf "Xapian alone, in-process: %.0f q/s on 1 thread, %.0f q/s on 2 threads\n", xapian1, xapian2
      # Each distinct-2w configuration against the target on its own: both
      # the ratio and the p99 must hold in the same run.
      while ((getline line < results) > 0) {
        split(line, f, " ")
        if (f[1] != "distinct-2w")
          continue
        ratio = 100 * f[4] / xapian2
        verdict = "meets the target"
        if (ratio < 50 && f[6] + 0 >= 20)
          verdict = sprintf("misses it: ratio %.0f points short, p99 %.2f ms over", 50 - ratio, f[6] - 20)
        else if (ratio < 50)
          verdict = sprintf("misses it: ratio %.0f points short", 50 - ratio)
        else if (f[6] + 0 >= 20)
          verdict = sprintf("misses it: p99 %.2f ms over 20 ms", f[6] - 20)
        printf "searchd distinct-2w t%s/c%s: %.0f q/s (p99 %.2f ms) = %.0f%% of Xapian alone on 2 threads: %s (target: at least 50%%, p99 under 20 ms)\n",
               f[2], f[3], f[4], f[6], ratio, verdict
      }
    }'
fi
if [ -n "$PAIRED" ]; then
  echo
  echo "paired rounds (each: Xapian alone on 2 threads, then searchd distinct-2w t2):"
  printf '%s' "$PAIRED" | sort -n | awk '
    { x[NR] = $2; r[NR] = $3; p[NR] = $4; ratio[NR] = 100 * $3 / $2
      printf "  round %d: Xapian alone %5.0f q/s, searchd %5.0f q/s (p99 %.2f ms) = %.0f%%\n", $1, $2, $3, $4, ratio[NR]
      if ($4 + 0 > worst) worst = $4 + 0 }
    END {
      n = NR; for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (ratio[j] < ratio[i]) { t = ratio[i]; ratio[i] = ratio[j]; ratio[j] = t }
      printf "  median ratio %.0f%% (lowest %.0f%%), highest p99 %.2f ms (target: at least 50%%, p99 under 20 ms)\n",
             n % 2 ? ratio[(n + 1) / 2] : (ratio[n / 2] + ratio[n / 2 + 1]) / 2, ratio[1], worst
    }'
fi
echo
echo "== commands"
echo "${SEARCHD_CMD[*]}"
echo "${TRIVIAL_CMD[*]}"
[ -n "$INPROC_LINE" ] && echo "${INPROC_CMD[*]}"
cat "$OUT/commands.txt"
echo "(wrk outputs in $OUT/wrk-*.txt)"
