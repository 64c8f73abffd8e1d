#!/usr/bin/env bash
# bench/scale/run.sh [N...]        (default: 36k 300k 1M; k and M are understood)
#
# How Kiosque's costs grow with the archive, on synthetic archives of N articles made by
# bench/synth/generate from the team kit's real one (seed 1; the same queries at every N, drawn
# from the real headlines).  For each N, in one run:
#   indexing        indexer add from empty (sharded on every core): wall, CPU, peak RSS,
#                   articles/s; index and store size against the body text; re-indexing the
#                   unchanged archive
#   in-process      bench_query (search_run, 10 hits with snippets, one thread), p50/p95/p99 by
#                   kind: 1-3 words, 2 words, phrase, prefix, long question, faceted, sorted by
#                   date, field (titre:) and date (date:Y1..Y2) filters
#   HTTP            searchd (--threads = cores) under wrk with distinct queries, 2 connections
#                   (1 wrk thread) and 8 (2 threads x 4): requests/s, p50, p99
#   publishing      one new article added by `indexer add` while searchd serves: time until
#                   searchd's /api/search returns it
#   memory          searchd's RSS after warm-up, then after MINUTES of queries (2 connections,
#                   distinct queries), sampled every 30 s
#   Xapian          xapian_baseline (bench/query): indexing from empty and 2-word queries on one
#                   thread, beside Kiosque's on the same queries, and on every core, beside
#                   searchd's distinct 2-word queries at 8 connections
# Prints one table (a column per N) and draws OUT/scale.png (gnuplot, log scales), with the
# commands in OUT/commands.txt.  Results of each N stay in OUT/N/ (results.txt, xapian.txt, logs).
#
# Environment: KQ_CORPUS (the source), KQ_BENCH_OUT (bench/out/scale), KQ_SCALE_MINUTES (10),
# KQ_SCALE_QUERIES (in-process queries per kind, 1000), KQ_SCALE_WRK_SECONDS (20 per HTTP run),
# KQ_SCALE_SKIP_XAPIAN=1 (no Xapian baseline: its indexing is the longest step),
# KQ_SCALE_XAPIAN_ONLY=1 (only the Xapian baseline, e.g. beside a run that skipped it),
# KQ_SCALE_KEEP_XAPIAN=1 (keep Xapian's database, to query it again beside Kiosque's),
# KQ_SCALE_REPORT_ONLY=1 (measure nothing: print the table and draw the plot of the results
# already in OUT for the N given, e.g. measured by separate runs).
# Skips (77) when the corpus, wrk or gnuplot is absent.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KQ_BUILD_DIR:-$ROOT/build}
CORPUS=${KQ_CORPUS:-$ROOT/../shared/corpus/orangesum-fr.jsonl.gz}
OUT=${KQ_BENCH_OUT:-$ROOT/bench/out/scale}
MINUTES=${KQ_SCALE_MINUTES:-10}
NQ=${KQ_SCALE_QUERIES:-1000}
WRK_S=${KQ_SCALE_WRK_SECONDS:-20}
THREADS=$(nproc)
[ -f "$CORPUS" ] || { echo "SKIP: the corpus $CORPUS is absent (set KQ_CORPUS)"; exit 77; }
for tool in wrk gnuplot /usr/bin/time curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (./setup.sh test installs it)"; exit 77; }
done
[ $# -gt 0 ] || set -- 36k 300k 1M
SIZES=()
for a in "$@"; do
  case $a in
    *k) SIZES+=($((${a%k} * 1000))) ;;
    *M) SIZES+=($((${a%M} * 1000000))) ;;
    *) SIZES+=("$a") ;;
  esac
done
# 36k means the real corpus's size, so that the first row compares with bench/index and bench/query.
for i in "${!SIZES[@]}"; do [ "${SIZES[$i]}" = 36000 ] && SIZES[$i]=36152; done

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" --target indexer searchd synth_generate bench_query xapian_baseline -j2 >/dev/null
mkdir -p "$OUT"
CMDS="$OUT/commands.txt"
echo "# $(date -u +%FT%TZ) bench/scale/run.sh $* (KQ_SCALE_MINUTES=$MINUTES KQ_SCALE_SKIP_XAPIAN=${KQ_SCALE_SKIP_XAPIAN:-0} KQ_SCALE_XAPIAN_ONLY=${KQ_SCALE_XAPIAN_ONLY:-0})" >>"$CMDS"
log_cmd() { echo "$*" >>"$CMDS"; }

Q="$OUT/queries"
if [ ! -s "$Q/kinds/long.txt" ]; then
  python3 "$ROOT/bench/http/make_queries.py" "$CORPUS" "$Q/base" >/dev/null
  python3 "$ROOT/bench/scale/make_kinds.py" "$CORPUS" "$Q/base" "$Q/kinds" >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
now() { date +%s.%N; }
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
SEARCHD_PID=""
cleanup() { [ -z "$SEARCHD_PID" ] || { kill "$SEARCHD_PID" 2>/dev/null; wait "$SEARCHD_PID" 2>/dev/null || true; }; }
trap cleanup EXIT

# timed NAME COMMAND...: GNU time of one command into $R as NAME_wall, NAME_cpu, NAME_rss_mb.
timed() {
  local name=$1
  shift
  log_cmd "$*"
  /usr/bin/time -f "%e %U %S %M" -o "$D/$name.time" "$@" >"$D/$name.log" 2>&1 ||
    { tail -20 "$D/$name.log" >&2; echo "error: $name failed: $*" >&2; exit 1; }
  read -r wall user sys rss <"$D/$name.time"
  echo "${name}_wall $wall" >>"$R"
  echo "${name}_cpu $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$R"
  echo "${name}_rss_mb $((rss / 1024))" >>"$R"
}

# wrk_run NAME THREADS CONNS START [FILE]: distinct queries over HTTP (FILE: 1-3 words);
# NAME_rps, NAME_p50, NAME_p99.
wrk_run() {
  local name=$1 t=$2 c=$3 start=$4 file=${5:-$Q/base/mixed.txt}
  local cmd=(wrk -t "$t" -c "$c" -d "${WRK_S}s" --latency -s "$ROOT/bench/http/queries.lua" "http://127.0.0.1:$PORT"
    -- "$file" "$start" "$t")
  log_cmd "${cmd[*]}"
  "${cmd[@]}" >"$D/wrk-$name.txt"
  echo "${name}_rps $(awk '/^Requests\/sec:/ { print $2 }' "$D/wrk-$name.txt")" >>"$R"
  echo "${name}_p50 $(to_ms "$(awk '$1 == "50%" { print $2 }' "$D/wrk-$name.txt")")" >>"$R"
  echo "${name}_p99 $(to_ms "$(awk '$1 == "99%" { print $2 }' "$D/wrk-$name.txt")")" >>"$R"
  if grep -q "Non-2xx\|Socket errors" "$D/wrk-$name.txt"; then
    echo "   warning: $name: $(grep "Non-2xx\|Socket errors" "$D/wrk-$name.txt" | tr '\n' ' ')"
  fi
}

for N in "${SIZES[@]}"; do
  [ "${KQ_SCALE_REPORT_ONLY:-0}" != 1 ] || break
  D="$OUT/$N"
  R="$D/results.txt"
  mkdir -p "$D"
  echo "== N = $N ($(date -u +%H:%M) UTC; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  A="$OUT/archive-$N-s1.jsonl.gz"
  if [ ! -s "$A" ] || [ ! -s "$A.report" ]; then
    echo "   generating $A"
    log_cmd "$ROOT/bench/synth/generate $N $A"
    /usr/bin/time -f "%e %U %S %M" -o "$D/generate.time" "$ROOT/bench/synth/generate" --quiet "$N" "$A" >"$A.report" 2>/dev/null
    read -r wall user sys rss <"$D/generate.time"
    echo "   generated in $wall s ($user s CPU, $((rss / 1024)) MB peak)"
  fi
  if [ "${KQ_SCALE_XAPIAN_ONLY:-0}" != 1 ]; then
  : >"$R"
  echo "body_mb $(awk '/^body text:/ { printf "%.1f", $3 / 1e6 }' "$A.report")" >>"$R"
  echo "articles $N" >>"$R"

  DB="$D/db"
  rm -rf "$DB"
  echo "   indexing from empty"
  timed index "$BUILD/indexer" --db "$DB" --quiet add "$A"
  # Sizes in MB of 10^6 bytes, like the body text.  xapian is a symbolic link to the current
  # revision's directory: the slash follows it.
  echo "index_mb $(du -sk "$DB/xapian/" | awk '{ printf "%.1f", $1 * 1024 / 1e6 }')" >>"$R"
  echo "store_mb $(du -ck "$DB"/store.sqlite* | awk 'END { printf "%.1f", $1 * 1024 / 1e6 }')" >>"$R"
  echo "   re-indexing the unchanged archive"
  timed reindex "$BUILD/indexer" --db "$DB" add "$A"
  grep -q "unchanged $N" "$D/reindex.log" || echo "   warning: re-indexing did not find every article unchanged: $(tail -1 "$D/reindex.log")"

  echo "   in-process queries ($NQ of each kind, one thread)"
  for kind in words two phrase prefix long field date; do
    modes=plain
    [ "$kind" = words ] && modes=plain,facets,date
    log_cmd "$BUILD/bench_query $DB $Q/kinds/$kind.txt $NQ $modes"
    "$BUILD/bench_query" "$DB" "$Q/kinds/$kind.txt" "$NQ" "$modes" >"$D/query-$kind.txt"
    awk -v kind="$kind" '$1 ~ /^(plain|facets|date)$/ && NF >= 7 {
        k = kind; if ($1 == "facets") k = "faceted"; if ($1 == "date") k = "bydate"
        printf "q_%s_qps %s\nq_%s_p50 %s\nq_%s_p95 %s\nq_%s_p99 %s\n", k, $3, k, $4, k, $7, k, $5 }' \
      "$D/query-$kind.txt" >>"$R"
  done

  echo "   searchd over HTTP"
  PORT=$(free_port)
  log_cmd "$BUILD/searchd --db $DB --listen 127.0.0.1:$PORT --threads $THREADS --quiet"
  "$BUILD/searchd" --db "$DB" --listen "127.0.0.1:$PORT" --threads "$THREADS" --quiet 2>"$D/searchd.log" &
  SEARCHD_PID=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  wrk -t 2 -c 4 -d 10s -s "$ROOT/bench/http/queries.lua" "http://127.0.0.1:$PORT" -- "$Q/base/mixed.txt" 90000 2 >/dev/null
  echo "rss_warm_mb $(($(rss_kb "$SEARCHD_PID") / 1024))" >>"$R"
  wrk_run http_c2 1 2 10000
  wrk_run http_c8 2 8 40000
  # Distinct 2-word queries at 8 connections: the target's pair with Xapian on the same cores.
  wrk_run http_two_c8 2 8 20000 "$Q/base/two.txt"

  echo "   publishing one article into the index searchd serves"
  WORD="kiosquepublication$N$(date +%s)"
  printf '{"@type":"NewsArticle","identifier":"publish-%s","headline":"Publication %s","articleBody":"Un article publié pendant que searchd sert l index de %s articles.","datePublished":"2026-12-31T12:00:00+01:00","articleSection":"france"}\n' \
    "$WORD" "$WORD" "$N" >"$D/publish.jsonl"
  t0=$(now)
  log_cmd "$BUILD/indexer --db $DB add $D/publish.jsonl"
  "$BUILD/indexer" --db "$DB" --quiet add "$D/publish.jsonl"
  t1=$(now)
  for _ in $(seq 3000); do
    curl -sf "http://127.0.0.1:$PORT/api/search?q=$WORD" | grep -q "publish-$WORD" && break
    sleep 0.01
  done
  t2=$(now)
  curl -sf "http://127.0.0.1:$PORT/api/search?q=$WORD" | grep -q "publish-$WORD" ||
    echo "   warning: searchd did not return the published article within 30 s"
  echo "publish_indexer_s $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" >>"$R"
  echo "publish_visible_s $(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.2f", b - a }')" >>"$R"

  echo "   $MINUTES minutes of queries (RSS every 30 s)"
  cmd=(wrk -t 1 -c 2 -d "$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 }')s" -s "$ROOT/bench/http/queries.lua" "http://127.0.0.1:$PORT" -- "$Q/base/mixed.txt" 0 1)
  log_cmd "${cmd[*]}"
  "${cmd[@]}" >"$D/wrk-long.txt" &
  WRK_PID=$!
  : >"$D/rss.txt"
  while kill -0 "$WRK_PID" 2>/dev/null; do
    echo "$(date +%s) $(rss_kb "$SEARCHD_PID")" >>"$D/rss.txt"
    sleep 30
  done
  wait "$WRK_PID" || true
  echo "rss_end_mb $(($(rss_kb "$SEARCHD_PID") / 1024))" >>"$R"
  echo "rss_max_mb $(awk '$2 > m { m = $2 } END { printf "%d", m / 1024 }' "$D/rss.txt")" >>"$R"
  echo "long_rps $(awk '/^Requests\/sec:/ { print $2 }' "$D/wrk-long.txt")" >>"$R"
  echo "minutes $MINUTES" >>"$R"
  cleanup
  SEARCHD_PID=""
  fi # not KQ_SCALE_XAPIAN_ONLY

  if [ "${KQ_SCALE_SKIP_XAPIAN:-0}" != 1 ]; then
    echo "   Xapian used directly: indexing and 2-word queries"
    R="$D/xapian.txt"
    : >"$R"
    rm -rf "$D/xapian"
    timed xapian_index "$BUILD/xapian_baseline" index "$A" "$D/xapian"
    echo "xapian_mb $(du -sk "$D/xapian/" | awk '{ printf "%.1f", $1 * 1024 / 1e6 }')" >>"$R"
    log_cmd "$BUILD/xapian_baseline query $D/xapian $Q/kinds/two.txt $NQ 1"
    "$BUILD/xapian_baseline" query "$D/xapian" "$Q/kinds/two.txt" "$NQ" 1 >"$D/xapian-query.txt"
    awk '$1 == "xapian" { printf "x_two_qps %s\nx_two_p50 %s\nx_two_p99 %s\n", $3, $4, $5 }' "$D/xapian-query.txt" >>"$R"
    log_cmd "$BUILD/xapian_baseline query $D/xapian $Q/base/two.txt 4000 $THREADS"
    "$BUILD/xapian_baseline" query "$D/xapian" "$Q/base/two.txt" 4000 "$THREADS" >"$D/xapian-query-threads.txt"
    awk '$1 == "xapian" { printf "x_two_threads_qps %s\n", $3 }' "$D/xapian-query-threads.txt" >>"$R"
    # Only its size is kept (the disk is shared), unless KQ_SCALE_KEEP_XAPIAN=1 (to query it again).
    [ "${KQ_SCALE_KEEP_XAPIAN:-0}" = 1 ] || rm -rf "$D/xapian"
  fi
  echo "   done ($(date -u +%H:%M) UTC)"
done

# ---- the table: a row per measure, a column per N ---------------------------------------------
python3 - "$OUT" "${SIZES[@]}" <<'EOF'
import os, sys
out, sizes = sys.argv[1], sys.argv[2:]
res = {}
for n in sizes:
    d = {}
    for name in ("results.txt", "xapian.txt"):
        path = os.path.join(out, n, name)
        if os.path.exists(path):
            for line in open(path):
                k, _, v = line.strip().partition(" ")
                try:
                    d[k] = float(v)
                except ValueError:
                    pass
    res[n] = d

def get(n, k):
    return res[n].get(k)

rows = [
    ("body text, MB", lambda n: get(n, "body_mb")),
    ("indexing wall, s", lambda n: get(n, "index_wall")),
    ("indexing CPU, s", lambda n: get(n, "index_cpu")),
    ("indexing peak RSS, MB", lambda n: get(n, "index_rss_mb")),
    ("indexing articles/s", lambda n: get(n, "articles") / get(n, "index_wall") if get(n, "index_wall") else None),
    ("indexing articles per CPU second", lambda n: get(n, "articles") / get(n, "index_cpu")),
    ("Xapian direct indexing wall, s", lambda n: get(n, "xapian_index_wall")),
    ("Xapian direct indexing CPU, s", lambda n: get(n, "xapian_index_cpu")),
    ("Xapian direct indexing peak RSS, MB", lambda n: get(n, "xapian_index_rss_mb")),
    ("Xapian direct articles/s", lambda n: get(n, "articles") / get(n, "xapian_index_wall")),
    ("Xapian direct articles per CPU second", lambda n: get(n, "articles") / get(n, "xapian_index_cpu")),
    ("Kiosque speed / Xapian's, wall", lambda n: get(n, "xapian_index_wall") / get(n, "index_wall")),
    ("Xapian's CPU / Kiosque's", lambda n: get(n, "xapian_index_cpu") / get(n, "index_cpu")),
    ("index (xapian/), MB", lambda n: get(n, "index_mb")),
    ("store, MB", lambda n: get(n, "store_mb")),
    ("index + store / body text", lambda n: (get(n, "index_mb") + get(n, "store_mb")) / get(n, "body_mb") if get(n, "body_mb") else None),
    ("Xapian direct index, MB", lambda n: get(n, "xapian_mb")),
    ("re-indexing unchanged, s", lambda n: get(n, "reindex_wall")),
    ("re-indexing / first run", lambda n: get(n, "reindex_wall") / get(n, "index_wall") if get(n, "index_wall") else None),
    ("publish one: indexer, s", lambda n: get(n, "publish_indexer_s")),
    ("publish one: visible in searchd, s", lambda n: get(n, "publish_visible_s")),
]
kinds = [("words", "1-3 words"), ("two", "2 words"), ("phrase", "phrase"), ("prefix", "prefix"),
         ("long", "long question"), ("faceted", "1-3 words, faceted"), ("bydate", "1-3 words, by date"),
         ("field", "field titre:"), ("date", "date filter")]
for k, label in kinds:
    rows.append((f"in-process {label}: p50/p95/p99 ms", ("q", k)))
rows.append(("Xapian direct 2 words: p50/p99 ms", ("x", "two")))
rows.append(("in-process 2 words, q/s (Kiosque / Xapian)", ("qps", "two")))
for c in ("c2", "c8"):
    rows.append((f"HTTP {c[1]} connections: req/s, p50/p99 ms", ("http", c)))
rows.append(("HTTP 2 words, 8 connections: req/s, p50/p99 ms", ("http", "two_c8")))
rows.append(("Xapian direct 2 words, all cores, q/s", lambda n: get(n, "x_two_threads_qps")))
rows.append(("HTTP 2 words / Xapian all cores", lambda n: get(n, "http_two_c8_rps") / get(n, "x_two_threads_qps")))
rows += [
    ("searchd RSS after warm-up, MB", lambda n: get(n, "rss_warm_mb")),
    ("searchd RSS after the long run (max), MB", ("rss", "")),
]

def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"

def cell(n, spec):
    if callable(spec):
        try:
            return fmt(spec(n))
        except (TypeError, ZeroDivisionError):  # a measure missing at this N
            return "-"
    kind, k = spec
    if kind == "q":
        vals = [get(n, f"q_{k}_{p}") for p in ("p50", "p95", "p99")]
        return "-" if None in vals else " / ".join(fmt(v) for v in vals)
    if kind == "x":
        vals = [get(n, f"x_{k}_{p}") for p in ("p50", "p99")]
        return "-" if None in vals else " / ".join(fmt(v) for v in vals)
    if kind == "qps":
        a, b = get(n, "q_two_qps"), get(n, "x_two_qps")
        return f"{fmt(a)} / {fmt(b)}"
    if kind == "http":
        vals = [get(n, f"http_{k}_{p}") for p in ("rps", "p50", "p99")]
        return "-" if None in vals else f"{fmt(vals[0])}, {fmt(vals[1])}/{fmt(vals[2])}"
    if kind == "rss":
        a, b, m = get(n, "rss_end_mb"), get(n, "rss_max_mb"), get(n, "minutes")
        return "-" if a is None else f"{fmt(a)} ({fmt(b)}) after {fmt(m)} min"

heads = [f"{int(n):,}" for n in sizes]
w0 = max(len(r[0]) for r in rows)
cells = [[cell(n, spec) for n in sizes] for _, spec in rows]
ws = [max(len(heads[i]), *(len(c[i]) for c in cells)) for i in range(len(sizes))]
print()
print(f"| {'articles':<{w0}} | " + " | ".join(f"{h:>{w}}" for h, w in zip(heads, ws)) + " |")
print(f"|{'-' * (w0 + 2)}|" + "|".join("-" * (w + 2) for w in ws) + "|")
for (label, _), c in zip(rows, cells):
    print(f"| {label:<{w0}} | " + " | ".join(f"{x:>{w}}" for x, w in zip(c, ws)) + " |")

# The data file of the plot: one line per N.
cols = ["articles", "index_wall", "xapian_index_wall", "index_rss_mb", "index_mb", "store_mb", "xapian_mb",
        "body_mb", "reindex_wall", "publish_visible_s", "q_two_p50", "q_two_p99", "x_two_p50", "x_two_p99",
        "q_words_p99", "q_phrase_p99", "q_prefix_p99", "q_long_p99", "q_faceted_p99", "q_bydate_p99",
        "q_field_p99", "q_date_p99", "http_c2_rps", "http_c8_rps", "http_c2_p99", "http_c8_p99",
        "rss_warm_mb", "rss_end_mb", "index_cpu", "xapian_index_cpu"]
with open(os.path.join(out, "scale.dat"), "w") as f:
    f.write("# " + " ".join(cols) + "\n")
    for n in sizes:
        f.write(" ".join(str(res[n].get(c, "NaN")) for c in cols) + "\n")
EOF

# ---- the plot ---------------------------------------------------------------------------------
gnuplot <<EOF
set terminal pngcairo size 1800,1200 font ",10"
set output "$OUT/scale.png"
set datafile missing "NaN"
set multiplot layout 2,3 title "Kiosque against N (synthetic archives; $(nproc) cores, shared machine)"
set logscale xy
set xlabel "articles"
set key top left
set grid
set title "full indexing, s"
plot "$OUT/scale.dat" using 1:2 with linespoints title "Kiosque wall", "" using 1:29 with linespoints title "Kiosque CPU", "" using 1:3 with linespoints title "Xapian direct wall", "" using 1:30 with linespoints title "Xapian direct CPU"
set title "disk, MB"
plot "$OUT/scale.dat" using 1:(\$5+\$6) with linespoints title "Kiosque index + store", "" using 1:7 with linespoints title "Xapian direct (no text)", "" using 1:8 with linespoints title "body text"
set title "in-process 2-word queries, ms"
plot "$OUT/scale.dat" using 1:11 with linespoints title "Kiosque p50", "" using 1:12 with linespoints title "Kiosque p99", "" using 1:13 with linespoints title "Xapian p50", "" using 1:14 with linespoints title "Xapian p99"
set title "in-process p99 by kind, ms"
plot for [c=15:22] "$OUT/scale.dat" using 1:c with linespoints title word("words phrase prefix long faceted by-date field date-filter", c-14)
set title "HTTP"
set ylabel "requests/s"
set y2label "p99 ms"
set y2tics
set logscale y2
plot "$OUT/scale.dat" using 1:23 with linespoints title "req/s, 2 conns", "" using 1:24 with linespoints title "req/s, 8 conns", "" using 1:25 axes x1y2 with linespoints title "p99, 2 conns", "" using 1:26 axes x1y2 with linespoints title "p99, 8 conns"
unset y2tics
unset y2label
set ylabel ""
set title "memory MB and times s"
plot "$OUT/scale.dat" using 1:4 with linespoints title "indexer peak RSS MB", "" using 1:27 with linespoints title "searchd RSS warm MB", "" using 1:28 with linespoints title "searchd RSS end MB", "" using 1:9 with linespoints title "re-indexing unchanged s", "" using 1:10 with linespoints title "publish visible s"
unset multiplot
EOF
echo
echo "plot: $OUT/scale.png; data: $OUT/scale.dat; commands: $CMDS"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
