#!/usr/bin/env bash
# bench/soak/run.sh [MINUTES]   (default 30; CI runs 3)
#
# searchd under wrk load on loopback for MINUTES (distinct and repeated searches, the page,
# suggestions, articles, related articles, facets) while an indexer adds, corrects and deletes
# articles continuously, syncs a full export every 90 s (45 s in runs of 5 minutes or less) and is killed with kill -9 at random
# moments (a third of the runs sharded, so also in parts and merges).  Input: synthetic articles
# from build/synth_generate (bench/synth), recombined from the team kit's corpus when present,
# else from corpus/.  Prints a table per minute (requests, errors, p50/p99, searchd's RSS and
# open descriptors), then `indexer check --no-repair` and every committed article looked up by
# its id and by its headline; exits 1 on any error, growth of RSS past 10% after the warm-up (the first third of the run) or of descriptors
# after the first minute, an unclean check or a missing article.  Skips (77) without wrk.
#
# Environment: KQ_BUILD_DIR (build), KQ_SOAK_OUT (bench/out/soak), KQ_SOAK_ARTICLES (articles
# indexed first: 20000, or 4000 for runs of 5 minutes or less), KQ_SYNTH_SOURCE.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MINUTES=${1:-30}
BUILD=${KQ_BUILD_DIR:-$ROOT/build}
OUT=${KQ_SOAK_OUT:-$ROOT/bench/out/soak}
if [ "$MINUTES" -le 5 ]; then
  ARTICLES=${KQ_SOAK_ARTICLES:-4000} SYNC_EVERY=45
else
  ARTICLES=${KQ_SOAK_ARTICLES:-20000} SYNC_EVERY=90
fi
command -v wrk >/dev/null || { echo "SKIP: wrk is not installed (apt-get install wrk)"; exit 77; }
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" --target indexer searchd synth_generate -j2 >/dev/null
mkdir -p "$OUT"
SOURCE=${KQ_SYNTH_SOURCE:-$ROOT/../shared/corpus/orangesum-fr.jsonl.gz}
if [ ! -f "$SOURCE" ]; then
  echo "note: $SOURCE is absent: the synthetic articles are recombined from corpus/ instead"
  SOURCE=$OUT/corpus.jsonl.gz
  cat "$ROOT"/corpus/*.jsonl | gzip >"$SOURCE"
fi
exec python3 "$ROOT/bench/soak/soak.py" --build "$BUILD" --minutes "$MINUTES" --articles "$ARTICLES" \
  --source "$SOURCE" --out "$OUT" --sync-every "$SYNC_EVERY"
