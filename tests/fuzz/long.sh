#!/usr/bin/env bash
# tests/fuzz/long.sh TARGET [CPU_SECONDS] [DIR] — a long libFuzzer run of one target, counted in
# CPU time: builds the targets in DIR/build (clang, ASan, UBSan; default DIR build-fuzz-long),
# fuzzes TARGET at nice 19 from its seeds (tests/fuzz/seeds.sh) and its own growing corpus in
# DIR/TARGET until the fuzzer has used CPU_SECONDS (3600 by default) of CPU, summed over runs
# (an interrupted, crashed or killed run is resumed by running the command again: the state is
# written every 10 s), then minimises the corpus into DIR/TARGET.min and prints one line:
# target, commit, CPU hours, executions, coverage (libFuzzer's cov and ft), corpus size.
# A crash stops it with the input kept as DIR/TARGET-crash-*; turn it into a seed in
# tests/fuzz/corpus/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
t=${1:?usage: tests/fuzz/long.sh TARGET [CPU_SECONDS] [DIR]}
budget=${2:-3600}
dir=${3:-build-fuzz-long}
. tests/fuzz/seeds.sh
[[ " ${FUZZ_TARGETS[*]} " == *" $t "* ]] || { echo "error: no target $t" >&2; exit 2; }
[ -x "$dir/build/$t" ] || fuzz_build "$dir/build"
mkdir -p "$dir/$t"
[ -n "$(ls -A "$dir/$t")" ] || fuzz_seed "$t" "$dir/$t"
state="$dir/$t.state" # CPU seconds and executions of the runs before, one line
read -r cpu_before execs_before 2>/dev/null < "$state" || { cpu_before=0; execs_before=0; }
hz=$(getconf CLK_TCK)
cpu_of() { awk -v hz="$hz" '{ print int(($14 + $15) / hz) }' "/proc/$1/stat" 2>/dev/null || echo 0; }
log="$dir/$t.log"
start=$(date +%s)
nice -n 19 "$dir/build/$t" -max_len=65536 -print_final_stats=1 -artifact_prefix="$dir/$t-" \
  "$dir/$t" >"$log" 2>&1 &
pid=$!
cpu=0
while kill -0 "$pid" 2>/dev/null; do
  sleep 10
  now=$(cpu_of "$pid")
  [ "$now" -gt 0 ] && cpu=$now
  # The state as it stands, so that a run killed outright (not interrupted) still counts.
  seen=$(grep -ao '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
  echo "$((cpu_before + cpu)) $((execs_before + ${seen:-0}))" > "$state"
  if [ $((cpu_before + cpu)) -ge "$budget" ]; then kill -INT "$pid" 2>/dev/null || true; fi
done
rc=0
wait "$pid" || rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
execs=$((execs_before + ${execs:-0}))
echo "$((cpu_before + cpu)) $execs" > "$state"
if grep -q 'ERROR: \|runtime error\|deadly signal' "$log"; then
  tail -n 40 "$log"
  echo "error: $t crashed after $((cpu_before + cpu)) CPU s; the input is in $dir/$t-crash-*" >&2
  exit 1
fi
if [ $((cpu_before + cpu)) -lt "$budget" ]; then
  echo "error: $t stopped (exit $rc) after $((cpu_before + cpu)) of $budget CPU s; see $log" >&2
  exit 1
fi
rm -rf "$dir/$t.min" && mkdir -p "$dir/$t.min"
nice -n 19 "$dir/build/$t" -merge=1 -max_len=65536 "$dir/$t.min" "$dir/$t" >"$dir/$t.merge.log" 2>&1
cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
units=$(find "$dir/$t.min" -type f | wc -l)
bytes=$(du -sb "$dir/$t.min" | cut -f1)
printf '%s commit %s: %.2f CPU hours (%d s wall this run), %d executions, %s, corpus %d inputs (%d bytes)\n' \
  "$t" "$(git rev-parse --short HEAD)" "$(echo "($cpu_before + $cpu) / 3600" | bc -l)" \
  $(($(date +%s) - start)) "$execs" "$cov" "$units" "$bytes"
