#!/bin/sh
# run.sh: Kiosque's relevance benchmark in one command (see README.md here).
#
#   bench/relevance/run.sh [--max-queries N] [--sets piaf,fquad-train]
#                          [--engines kiosque,xapian,fts5]
#
# Builds indexer and bench_relevance_kiosque (Release, in $BUILD_DIR, default
# bench/out/build), indexes the team kit's relevance collection with each
# engine into $CACHE_DIR (default bench/out/relevance; reused while the input
# files and the indexer are unchanged), runs every set (PIAF, FQuAD-train, the news sets) as written
# and without accents, and prints the table with the command that made it.
# Skips (exit 0) when the team kit ($KQ_SHARED, default ../shared beside the
# checkout) is absent.  Needs Debian's python3-xapian for the Xapian baseline.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${KQ_SHARED:-$root/../shared}
build=${BUILD_DIR:-$root/bench/out/build}
cache=${CACHE_DIR:-$root/bench/out/relevance}
python=${PYTHON:-/usr/bin/python3}

if [ ! -f "$kit/eval/wiki-fr.jsonl.gz" ] || [ ! -f "$kit/corpus/orangesum-fr.jsonl.gz" ]; then
    echo "SKIP bench/relevance: no team kit at $kit (need eval/ and corpus/orangesum-fr.jsonl.gz)"
    exit 0
fi
if ! "$python" -c 'import xapian' 2>/dev/null; then
    echo "bench/relevance: $python has no xapian module: apt-get install python3-xapian" >&2
    exit 2
fi

# The command as typed (with the settings taken from the environment), printed above the table.
command=""
for v in KQ_SHARED BUILD_DIR CACHE_DIR PYTHON; do
    eval "val=\${$v-}"
    [ -n "$val" ] && command="$command$v=$val "
done
command="${command}bench/relevance/run.sh"
for a in "$@"; do
    command="$command $a"
done

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j2 --target indexer bench_relevance_kiosque >/dev/null

mkdir -p "$cache"
exec "$python" "$root/bench/relevance/relevance.py" \
    --eval "$kit/eval" \
    --distractors "$kit/corpus/orangesum-fr.jsonl.gz" \
    --cache "$cache" \
    --indexer "$build/indexer" \
    --driver "$build/bench_relevance_kiosque" \
    --command "$command" \
    "$@"
