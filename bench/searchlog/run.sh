#!/usr/bin/env bash
# bench/searchlog/run.sh [BUILD_DIR]
#
# What recording the searches (shared/searchlog.h) costs searchd: wrk against searchd over the
# 36k-article corpus, with recording off (--no-search-log) and on (the default), in paired
# rounds (off then on, a few seconds apart: the shared machine's speed drifts), on two loads:
#   popular    50 frequent queries asked again and again: replies from the cache, the fastest
#              path, where a record's cost would show most
#   distinct   every request a new 2-word query (no cache hit)
# Prints requests per second and p50/p99 latency of each run, the searches recorded and dropped
# (queue full: the writer did not keep up) by the server with recording on since it started (its
# warm-up included), and the commands.  Skips (exit 77) when the corpus or wrk is absent.
# Environment: KQ_CORPUS (default ../shared/corpus/orangesum-fr.jsonl.gz), KQ_BENCH_OUT
# (bench/out/searchlog), KQ_BENCH_DURATION (10s), KQ_BENCH_ROUNDS (3), KQ_SEARCHD_THREADS (2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HTTP="$ROOT/bench/http"
BUILD=${1:-$ROOT/build}
CORPUS=${KQ_CORPUS:-$ROOT/../shared/corpus/orangesum-fr.jsonl.gz}
OUT=${KQ_BENCH_OUT:-$ROOT/bench/out/searchlog}
DB=$OUT/db
DURATION=${KQ_BENCH_DURATION:-10s}
ROUNDS=${KQ_BENCH_ROUNDS:-3}
THREADS=${KQ_SEARCHD_THREADS:-2}
[ -f "$CORPUS" ] || { echo "SKIP: the corpus $CORPUS is absent (set KQ_CORPUS)"; exit 77; }
command -v wrk >/dev/null || { echo "SKIP: wrk is not installed (apt-get install wrk)"; exit 77; }
cmake --build "$BUILD" --target searchd indexer -j2 >/dev/null
mkdir -p "$OUT"
if [ ! -d "$DB/xapian" ] || [ "$BUILD/indexer" -nt "$DB/xapian" ]; then
  rm -rf "$DB"
  echo "== indexing $CORPUS into $DB"
  "$BUILD/indexer" --db "$DB" --quiet add "$CORPUS"
fi
[ -s "$OUT/queries/two.txt" ] || python3 "$HTTP/make_queries.py" "$CORPUS" "$OUT/queries"

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
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true' EXIT
: >"$OUT/commands.txt"
RESULTS="$OUT/results.txt"
: >"$RESULTS"
START=1000
echo "== $ROUNDS paired rounds of $DURATION per run, searchd --threads $THREADS, wrk -t 2 -c 8"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  for mode in off on; do
    rm -f "$DB"/searches.sqlite*
    port=$(free_port)
    cmd=("$BUILD/searchd" --db "$DB" --listen "127.0.0.1:$port" --threads "$THREADS" --quiet)
    [ "$mode" = off ] && cmd+=(--no-search-log)
    echo "${cmd[*]}" >>"$OUT/commands.txt"
    "${cmd[@]}" 2>"$OUT/searchd-$mode.log" &
    PID=$!
    wait_port "$port"
    # Warm-up on queries the measured runs do not ask.
    wrk -t 2 -c 8 -d 3s -s "$HTTP/queries.lua" "http://127.0.0.1:$port" -- "$OUT/queries/mixed.txt" 90000 2 >/dev/null
    for load in popular distinct; do
      if [ "$load" = popular ]; then
        args=(-s "$HTTP/queries.lua" "http://127.0.0.1:$port" -- "$OUT/queries/popular.txt" 0 2)
      else
        START=$((START + 7000))
        args=(-s "$HTTP/queries.lua" "http://127.0.0.1:$port" -- "$OUT/queries/two.txt" "$START" 2)
      fi
      echo "wrk -t 2 -c 8 -d $DURATION --latency ${args[*]}" >>"$OUT/commands.txt"
      log="$OUT/wrk-$load-$mode-$r.txt"
      wrk -t 2 -c 8 -d "$DURATION" --latency "${args[@]}" >"$log"
      rps=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
      p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$log")")
      p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$log")")
      errors=$(awk '/Non-2xx|Socket errors/ { printf "%s ", $0 }' "$log")
      metrics=$(curl -s "http://127.0.0.1:$port/metrics")
      recorded=$(echo "$metrics" | awk '$1 == "kiosque_searches_recorded_total" { print $2 }')
      dropped=$(echo "$metrics" | awk '$1 == "kiosque_searches_dropped_total" { print $2 }')
      echo "$r $load $mode $rps $p50 $p99 ${recorded:--} ${dropped:--} ${errors:-none}" | tee -a "$RESULTS"
    done
    kill "$PID"
    wait "$PID" || true
    PID=""
  done
done
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| load | recording | round | requests/s | p50 ms | p99 ms | recorded | dropped (queue full) |"
echo "|---|---|---|---|---|---|---|---|"
sort -k2,2 -k3,3r -k1,1n "$RESULTS" |
  awk '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $1, $4, $5, $6, $7, $8 }'
echo
echo "   commands: $OUT/commands.txt"
