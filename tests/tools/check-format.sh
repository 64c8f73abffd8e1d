#!/usr/bin/env bash
# tests/tools/check-format.sh: every C and C++ file git tracks is as the committed .clang-format
# writes it (clang-format 14, Debian 12's).  Prints the files that are not, and how to fix them;
# exit status 0 when all are, 1 otherwise, 2 when clang-format is missing.  Run by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "error: clang-format is missing (apt-get install clang-format)" >&2; exit 2; }
# Files left as they are, if ever one must be (none now).
EXEMPT=""
bad=()
n=0
while IFS= read -r f; do
  case " $EXEMPT " in *" $f "*) continue ;; esac
  n=$((n + 1))
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.c' '*.h' '*.cc')
if [ ${#bad[@]} -gt 0 ]; then
  printf 'not formatted: %s\n' "${bad[@]}"
  echo "fix: clang-format -i ${bad[*]}"
  exit 1
fi
echo "clang-format: the $n C and C++ files are formatted ($(clang-format --version | head -1))"
