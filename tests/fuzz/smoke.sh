#!/usr/bin/env bash
# tests/fuzz/smoke.sh [SECONDS] — builds the libFuzzer targets with clang (ASan and UBSan
# included) in build-fuzz and runs each for SECONDS (20 by default) from the project's
# fixtures and the inputs kept in tests/fuzz/corpus/; fails on the first crash, leak, sanitizer
# report or broken invariant.  CI runs it after the tests; long runs are tests/fuzz/long.sh.
# Needs clang (apt-get install clang).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-20}
. tests/fuzz/seeds.sh
fuzz_build build-fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${FUZZ_TARGETS[@]}"; do
  fuzz_seed "$t" "$work/$t" # libFuzzer adds what it finds to this copy
  echo "== $t: ${SECONDS_EACH} s"
  if ! "build-fuzz/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -print_final_stats=0 \
       -artifact_prefix="build-fuzz/$t-" "$work/$t" >"$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log"
    echo "error: $t failed; the input is in build-fuzz/$t-*" >&2
    exit 1
  fi
  grep -E '^Done [0-9]+ runs' "$work/$t.log" || true
done
