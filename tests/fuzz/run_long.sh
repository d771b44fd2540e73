#!/usr/bin/env bash
# run_long.sh — long libFuzzer runs of the scanwatch fuzz targets, with a summary per target.
#
#   bash tests/fuzz/run_long.sh [-b BUILD_DIR] [-t SECONDS] [-T SECONDS] [-w WORKERS] [-s SEED_DIR ...] [TARGET ...]
#
#   -b BUILD_DIR  a tree configured with CC=clang -DSCANWATCH_FUZZ=ON (default build-fuzz;
#                 configured and built here if it does not exist yet); one configured with
#                 -DSCANWATCH_FUZZ_SANITIZE=undefined too runs without ASan, about twice as
#                 fast (CMakeLists.txt says how its corpus is then checked under ASan)
#   -t SECONDS    fuzzing time per target (default 3600)
#   -T SECONDS    libFuzzer's -timeout: an input running longer is a finding (default 10). It
#                 is wall-clock time, so on a machine where other work runs at a higher
#                 priority (the fuzzers at nice 19 beside a build or a benchmark) a slow but
#                 sound input can be starved past 10 s: fuzz_store_read's inputs of a few
#                 hundred rows take 0.75 s alone and were reported as 26 s timeouts so, which
#                 stopped the run. Give such runs more (-T 120); a real hang still shows.
#                 Pausing a run (kill -STOP, to measure something beside it) counts too: a
#                 unit caught by a pause longer than -T is a timeout when it resumes (an
#                 hour's pause stopped fuzz_pipeline_gen so, and its input replays in 0.4 s),
#                 a shorter one a slow-unit file. Replay what such a pause leaves before
#                 trusting or deleting it, or stop the run (kill -INT) and start it again.
#   -w WORKERS    parallel fuzzing processes per target (libFuzzer -jobs/-workers: that many
#                 independent fuzzers sharing the corpus directory, each for SECONDS; default 1)
#   -s SEED_DIR   more seeds, read but never written (repeatable): a directory holding one
#                 subdirectory per target (SEED_DIR/fuzz_pipeline/, SEED_DIR/fuzz_decode/ ...),
#                 such as seeds converted from public captures kept outside the repository
#                 (README.md, "Long runs seeded with public captures")
#   TARGET        fuzz_decode fuzz_pipeline fuzz_rules ... (default: every tests/fuzz/fuzz_*.c)
#
# Corpora persist in BUILD_DIR/fuzz/long/TARGET/corpus, so runs resume where the last one
# stopped; they start from the seed corpus (make_seeds.py) and the regression inputs. With
# more than one worker a crash stops only its worker: every crashing input is kept as
# BUILD_DIR/fuzz/long/TARGET/crash-* (or leak-, timeout-, oom-). Not -fork: its short jobs
# each reload part of the corpus and redo the target's set-up, and ran fuzz_pipeline at
# 130 executions/s a worker where one plain process runs 340-380/s on the same corpus. To turn one into a
# regression test: minimise it (FUZZER -minimize_crash=1 -runs=10000 INPUT), fix the bug,
# and copy the input to tests/fuzz/regressions/TARGET/, which every smoke run replays.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build-fuzz secs=3600 timeout=10 workers=1 extra=()
while getopts b:t:T:w:s: opt; do
	case $opt in
	b) build=$(realpath -m "$OPTARG") ;;
	t) secs=$OPTARG ;;
	T) timeout=$OPTARG ;;
	w) workers=$OPTARG ;;
	s)
		[[ -d $OPTARG ]] || { echo "run_long.sh: -s $OPTARG: not a directory" >&2; exit 2; }
		extra+=("$(realpath "$OPTARG")")
		;;
	*)
		sed -n '2,32p' "$0" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))

targets=("$@")
if ((${#targets[@]} == 0)); then
	for f in "$root"/tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi
# Runs on one tree share its build: the lock lets one configure and build at a time into it.
# Each run writes its own seed directory (make_seeds.py removes and rewrites the one it is
# given), removed on exit: with one shared directory, two runs started together deleted
# each other's seeds while writing them and both died before fuzzing.
mkdir -p "$build/fuzz"
exec {lock}>>"$build/fuzz/build.lock"
flock "$lock"
if [[ ! -f $build/build.ninja ]]; then
	CC=clang cmake -S "$root" -B "$build" -G Ninja -DSCANWATCH_FUZZ=ON >/dev/null
fi
cmake --build "$build" --target scanprobe scanwatch "${targets[@]}"
flock -u "$lock"

seeds=$(mktemp -d "$build/fuzz/seeds.XXXXXX")
trap 'rm -rf "$seeds"' EXIT
python3 "$root/tests/fuzz/make_seeds.py" --out "$seeds" --scanprobe "$build/scanprobe" \
	--scanwatch "$build/scanwatch" \
	--captures "$root/tests/captures" "$build/test-work" "$root/build-test/test-work" \
	--rules "$root/rules" "$root/tests/unit/rules" "$root/tests/unit/config" "$root/packaging"

# ASan keeps freed memory out of use for a while (its quarantine, 256 MiB by default) to catch
# a use after free. A target that makes and frees a whole store or pipeline per input passes
# 256 MiB in a few hundred inputs, so every allocation lands on fresh pages: page faults and,
# on a VM, TLB shootdowns. 64 MiB is still many inputs' worth of allocations (a use after
# free within one input is caught as before) and ran fuzz_store_read's corpus 1.5-2x faster.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1
summary=()
for t in "${targets[@]}"; do
	out=$build/fuzz/long/$t
	mkdir -p "$out/corpus"
	opts=(-timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/"
		-max_total_time="$secs")
	case $t in
	fuzz_pipeline) opts+=(-max_len=65536) ;;
	fuzz_decode | fuzz_sctp | fuzz_linktype) opts+=(-max_len=2048) ;;
	fuzz_pipeline_gen) opts+=(-max_len=4096) ;;
	fuzz_store_read) opts+=(-max_len=262144) ;;
	*) opts+=(-max_len=16384) ;;
	esac
	[[ -f $root/tests/fuzz/$t.dict ]] && opts+=(-dict="$root/tests/fuzz/$t.dict")
	((workers > 1)) && opts+=(-jobs="$workers" -workers="$workers")
	dirs=("$out/corpus")
	[[ -d $seeds/$t ]] && dirs+=("$seeds/$t")
	[[ -d $root/tests/fuzz/regressions/$t ]] && dirs+=("$root/tests/fuzz/regressions/$t")
	for x in "${extra[@]}"; do
		[[ -d $x/$t ]] && dirs+=("$x/$t")
	done
	echo "== $t: $secs s, $workers worker(s), log $out/log"
	rc=0
	rm -f "$out"/fuzz-*.log
	# (in $out: with -jobs each worker logs to fuzz-N.log in the current directory)
	(cd "$out" && exec "$build/tests/$t" "${opts[@]}" "${dirs[@]}") >"$out/log" 2>&1 || rc=$?
	# Executions: each process's final stats line, else its last progress line (a worker
	# stopped by a finding prints no stats). With workers, their own logs (the main log
	# repeats each one after it ends).
	execs=0 logs=("$out"/fuzz-*.log)
	[[ -f ${logs[0]} ]] || logs=("$out/log")
	for l in "${logs[@]}"; do
		n=$(grep -oP '^stat::number_of_executed_units:\s*\K[0-9]+' "$l" | tail -n 1 || true)
		[[ -n $n ]] || n=$(grep -oP '^#\K[0-9]+' "$l" | tail -n 1 || true)
		execs=$((execs + ${n:-0}))
	done
	found=$(cd "$out" && ls | grep -cE '^(crash|leak|timeout|oom|slow-unit)-' || true)
	summary+=("$(printf '%-16s execs %-12s corpus %-6s findings %-3s exit %s' "$t" "${execs:-?}" \
		"$(ls "$out/corpus" | wc -l)" "$found" "$rc")")
done
printf '%s\n' "${summary[@]}"
