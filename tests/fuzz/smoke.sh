#!/usr/bin/env bash
# tests/fuzz/smoke.sh [SECONDS] — builds the libFuzzer targets with clang (ASan and UBSan
# included) in build-fuzz and runs each for SECONDS (20 by default) from the project's
# fixtures; fails on the first crash, leak, sanitizer report or broken invariant.  CI runs
# it after the tests; longer runs are for whoever changes a parser (see the README).
# Needs clang (apt-get install clang).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-20}
# A sanitizer report is a failure here as in CI (UBSan only prints one by default).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
TARGETS=(fuzz_query fuzz_article fuzz_document fuzz_html fuzz_analyzer fuzz_json_writer fuzz_http)
if ! command -v clang >/dev/null; then
  echo "error: clang is not installed (apt-get install clang)" >&2
  exit 2
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DKIOSQUE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${TARGETS[@]}" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Seeds: the fixtures each target reads (libFuzzer adds what it finds to a copy).
seed() {
  local into="$work/$1"
  shift
  mkdir -p "$into"
  for f in "$@"; do cp "$f" "$into/"; done
}
for t in "${TARGETS[@]}"; do
  case $t in
    fuzz_article) seed "$t" tests/fixtures/articles/* ;;
    fuzz_html) seed "$t" tests/fixtures/pages/* ;;
    fuzz_analyzer | fuzz_query) seed "$t" tests/fixtures/french/articles.jsonl ;;
    fuzz_http) seed "$t" tests/fuzz/corpus/http/* ;;
    *) seed "$t" ;;
  esac
  echo "== $t: ${SECONDS_EACH} s"
  if ! "build-fuzz/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -print_final_stats=0 \
       -artifact_prefix="build-fuzz/$t-" "$work/$t" >"$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log"
    echo "error: $t failed; the input is in build-fuzz/$t-*" >&2
    exit 1
  fi
  grep -E '^Done [0-9]+ runs' "$work/$t.log" || true
done
