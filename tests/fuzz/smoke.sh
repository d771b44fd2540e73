#!/usr/bin/env bash
# smoke.sh — the ctest of one fuzz target: replay its regression inputs, then fuzz briefly.
#
#   smoke.sh FUZZER SEED_DIR REGRESSION_DIR WORK_DIR [SECONDS]
#
# Every file in REGRESSION_DIR (inputs that once crashed) is run once and must
# pass. Then the target fuzzes for SW_FUZZ_SECONDS (default SECONDS, else 20) from the seeds,
# the regressions and what earlier smoke runs of this build tree found (kept
# in WORK_DIR/corpus). A crash, leak, sanitizer report or timeout fails the
# test; the input is left in WORK_DIR/ as crash-*, leak-* or timeout-*.
set -euo pipefail

fuzzer=$1 seeds=$2 regressions=$3 work=$4
secs=${SW_FUZZ_SECONDS:-${5:-20}}
name=$(basename "$fuzzer")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

mkdir -p "$work/corpus"
rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1

# Per-target options: a whole capture file needs more room than a frame.
opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/")
case $name in
fuzz_pipeline) opts+=(-max_len=65536) ;;
fuzz_decode | fuzz_sctp | fuzz_linktype) opts+=(-max_len=2048) ;;
fuzz_pipeline_gen) opts+=(-max_len=4096) ;;
fuzz_store_read) opts+=(-max_len=262144) ;;
*) opts+=(-max_len=16384) ;;
esac
[[ -f $here/$name.dict ]] && opts+=(-dict="$here/$name.dict")

shopt -s nullglob
regs=("$regressions"/*)
if ((${#regs[@]} > 0)); then
	echo "== $name: ${#regs[@]} regression input(s)"
	"$fuzzer" "${opts[@]}" "${regs[@]}"
fi

dirs=("$work/corpus" "$seeds")
[[ -d $regressions ]] && dirs+=("$regressions")
echo "== $name: fuzzing for $secs s from ${dirs[*]}"
rc=0
"$fuzzer" "${opts[@]}" -max_total_time="$secs" "${dirs[@]}" >"$work/log" 2>&1 || rc=$?
if ((rc != 0)); then
	# The whole report: the sanitizer's stack trace is what the reader needs.
	grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse|INITED)' "$work/log" | tail -n 150 >&2
	echo "$name: fuzzer failed (exit $rc); input(s) kept in $work:" \
		"$(cd "$work" && ls | grep -E '^(crash|leak|timeout|oom)-' || true)" >&2
	exit 1
fi
grep -E '^(#[0-9]+\s+DONE|Done|stat::)' "$work/log" || tail -n 5 "$work/log"
