#!/usr/bin/env bash
# tools/cppcheck.sh — static analysis of Kiosque's C code with cppcheck (CI runs it).
# The checks chosen: cppcheck's errors (always on) and its `warning`, `portability` and
# `performance` classes, on every C file of the programs, the library, the tests, the fuzz
# targets and the benchmarks; the macros of jansson it does not know are described in
# tools/kiosque.cfg.  Style and unusedFunction are left out (matters of taste, and functions
# used by one program only look unused to a whole-tree check).  A finding is fixed, or, when
# cppcheck is wrong, listed in tools/cppcheck-suppressions.txt with the reason.
# Exits 1 on any finding.  Needs cppcheck (apt-get install cppcheck).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cppcheck >/dev/null || { echo "error: cppcheck is not installed (apt-get install cppcheck)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' 2>/dev/null || find shared indexer search searchd tests bench -name '*.c')
cppcheck --version
exec cppcheck --enable=warning,portability,performance --std=c11 --library=tools/kiosque.cfg \
  --inline-suppr --suppressions-list=tools/cppcheck-suppressions.txt --error-exitcode=1 --quiet \
  --suppress=missingIncludeSystem \
  -I shared -I searchd -I indexer -j "$(nproc)" "${files[@]}"
