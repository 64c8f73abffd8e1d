#!/usr/bin/env bash
# bench/duplicates/run.sh [BUILD_DIR]
#
# Republished and rewritten wire copy (issue 17, point 4): the index's near-duplicate key (read
# from the documents document_build makes), the same key with other parameters and key version 1,
# and for reference a MinHash of 3-term shingles, on the team kit's duplicate groups
# (../shared/eval/news-duplicate-groups.csv) over the 36k-article corpus: the pairs each finds,
# their precision and recall, halves A and B, the parameter chosen on half A.  See neardup_eval.c
# for the method and README.md for the figures.  NEARDUP_DUMP=1 also lists the true pairs the
# index's key misses and the pairs it finds that the groups do not hold, to read them.  Skips (77) when the corpus or the groups are absent.
# Environment: KQ_CORPUS, KQ_EVAL.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
CORPUS=${KQ_CORPUS:-$ROOT/../shared/corpus/orangesum-fr.jsonl.gz}
GROUPS_CSV=${KQ_EVAL:-$ROOT/../shared/eval}/news-duplicate-groups.csv
[ -f "$CORPUS" ] || { echo "SKIP: the corpus $CORPUS is absent (set KQ_CORPUS)"; exit 77; }
[ -f "$GROUPS_CSV" ] || { echo "SKIP: $GROUPS_CSV is absent (set KQ_EVAL)"; exit 77; }
cmake --build "$BUILD" --target neardup_eval -j2 >/dev/null
"$BUILD/neardup_eval" "$CORPUS" "$GROUPS_CSV"
echo
echo "   command: $BUILD/neardup_eval $CORPUS $GROUPS_CSV"
