#!/usr/bin/env bash
# Sets Kiosque up on a fresh Debian 12 machine.
#   ./setup.sh demo   install what is missing, build, install the programs, index corpus/,
#                     run a sample search and start searchd on http://127.0.0.1:8080/
#   ./setup.sh test   install what is missing (test tools included), build, run every test
#   ./setup.sh package  build the Debian package dist/kiosque_VERSION_ARCH.deb (debhelper, debian/)
#   ./setup.sh deps | build | install | stop
# Environment: KIOSQUE_DB (database directory, default ~/.local/share/kiosque),
#              BUILD_DIR (default build), PREFIX (default /usr/local when root, else ~/.local).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
PREFIX=${PREFIX:-$([ "$(id -u)" -eq 0 ] && echo /usr/local || echo "$HOME/.local")}
export KIOSQUE_DB=${KIOSQUE_DB:-${XDG_DATA_HOME:-$HOME/.local/share}/kiosque}

BUILD_PKGS="build-essential cmake pkg-config libxapian-dev xapian-tools libsqlite3-dev sqlite3
  libmicrohttpd-dev libstemmer-dev libjansson-dev libutf8proc-dev zlib1g-dev libzstd-dev libgumbo-dev
  libjemalloc-dev
  libsystemd-dev
  python3 curl"
TEST_PKGS="chromium wrk nginx-light gnuplot-nox time valgrind cppcheck clang-format"
PACKAGE_PKGS="debhelper dpkg-dev lintian"

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

deps() { apt_install $BUILD_PKGS; }

test_deps() {
  apt_install $TEST_PKGS
  # The machine may bring its own Node.js; Debian's is installed only when none is there.
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  # Node is used only by the headless-browser test (playwright-core drives Debian's chromium).
  if [ -f tests/e2e/browser/package.json ] && [ ! -d tests/e2e/browser/node_modules ]; then
    (cd tests/e2e/browser && npm ci --no-audit --no-fund --loglevel=error) ||
      echo "warning: npm ci failed: the browser test will be skipped"
  fi
}

build() {
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)"
}

install_programs() {
  mkdir -p "$PREFIX/bin"
  cmake --install "$BUILD_DIR" --prefix "$PREFIX" >/dev/null
  echo "== installed indexer, search and searchd in $PREFIX/bin"
  case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "   add $PREFIX/bin to your PATH";; esac
}

stop_searchd() {
  local pidfile="$KIOSQUE_DB/searchd.pid"
  if [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; then
    echo "== stopped searchd"
  fi
  rm -f "$pidfile"
}

demo() {
  deps
  build
  install_programs
  local bin="$PREFIX/bin"
  echo "== indexing corpus/ into $KIOSQUE_DB"
  "$bin/indexer" add corpus/
  "$bin/indexer" stats
  echo
  echo "== search \"DeepSeek Mistral\""
  "$bin/search" -n 3 "DeepSeek Mistral"
  stop_searchd
  "$bin/searchd" --listen 127.0.0.1:8080 >"$KIOSQUE_DB/searchd.log" 2>&1 &
  echo $! >"$KIOSQUE_DB/searchd.pid"
  sleep 0.5
  if kill -0 "$(cat "$KIOSQUE_DB/searchd.pid")" 2>/dev/null; then
    echo "== searchd is serving http://127.0.0.1:8080/ (log: $KIOSQUE_DB/searchd.log; stop: ./setup.sh stop)"
  else
    echo "searchd did not start; see $KIOSQUE_DB/searchd.log" >&2
    exit 1
  fi
}

# The Debian package, built by dpkg-buildpackage from a copy of the tree (the files git knows,
# committed or not) in dist/build, so that nothing is written beside the checkout.
package() {
  deps
  apt_install $PACKAGE_PKGS
  local version cmake_version arch work src
  version=$(dpkg-parsechangelog -l debian/changelog -S Version)
  cmake_version=$(sed -n 's/^project(kiosque VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
  if [ "$version" != "$cmake_version" ]; then
    echo "debian/changelog is at $version, CMakeLists.txt at $cmake_version: add a changelog entry for $cmake_version" >&2
    exit 2
  fi
  arch=$(dpkg --print-architecture)
  work=dist/build
  src=$work/kiosque-$version
  rm -rf "$work"
  mkdir -p "$src"
  if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
      [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf - | tar -xf - -C "$src"
  else
    tar --exclude='./build*' --exclude=./dist --exclude='./.git' -cf - . | tar -xf - -C "$src"
  fi
  echo "== dpkg-buildpackage in $src"
  (cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log"; echo "dpkg-buildpackage failed: $work/build.log" >&2; exit 1; }
  mv "$work/kiosque_${version}_${arch}.deb" dist/
  mv "$work"/kiosque-dbgsym_"${version}"_"${arch}".*deb dist/ 2>/dev/null || true
  echo "== dist/kiosque_${version}_${arch}.deb"
  echo "== lintian"
  lintian --display-info --pedantic "dist/kiosque_${version}_${arch}.deb" || true
}

run_tests() {
  deps
  test_deps
  build -DKIOSQUE_WERROR=ON
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 900
}

case "${1:-}" in
  demo) demo ;;
  test) run_tests ;;
  deps) deps; test_deps ;;
  build) deps; build ;;
  install) deps; build; install_programs ;;
  package) package ;;
  stop) stop_searchd ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
