# tests/fuzz/seeds.sh — sourced by smoke.sh and long.sh: the libFuzzer targets and their seeds.
# fuzz_seed TARGET DIR copies into DIR the fixtures TARGET reads and the inputs kept for it in
# tests/fuzz/corpus/NAME (NAME: the target without "fuzz_"), from the project's root.
FUZZ_TARGETS=(fuzz_query fuzz_article fuzz_document fuzz_html fuzz_analyzer fuzz_json_writer fuzz_http)

fuzz_seed() {
  local t=$1 into=$2 kept="tests/fuzz/corpus/${1#fuzz_}"
  mkdir -p "$into"
  case $t in
    fuzz_article) cp tests/fixtures/articles/* "$into/" ;;
    fuzz_html) cp tests/fixtures/pages/* "$into/" ;;
    fuzz_analyzer | fuzz_query) cp tests/fixtures/french/articles.jsonl "$into/" ;;
  esac
  if [ -d "$kept" ]; then cp "$kept"/* "$into/"; fi
}

# fuzz_build DIR: the targets built with clang, ASan and UBSan in DIR.
fuzz_build() {
  if ! command -v clang >/dev/null; then
    echo "error: clang is not installed (apt-get install clang)" >&2
    exit 2
  fi
  CC=clang CXX=clang++ cmake -S . -B "$1" -DKIOSQUE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$1" -j"$(nproc)" --target "${FUZZ_TARGETS[@]}" >/dev/null
}

# A sanitizer report is a failure, as in CI (UBSan only prints one by default).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
