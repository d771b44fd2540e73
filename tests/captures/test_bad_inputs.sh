#!/usr/bin/env bash
# test_bad_inputs.sh — hostile and broken capture files (make_bad_inputs.py): every one ends
# in a clear error naming the file (exit 1) or a clean run whose anomalies are counted in the
# runs table (or whose notes are in the summary), never a crash, a sanitizer report or a hang.
#
# Each case of manifest.tsv states what it expects (see make_bad_inputs.py); /dev/null, a
# directory and a missing file are added here. Every run is under `timeout`, with its own
# database, so a case's runs row is checked alone.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_WORK_DIR:?}" "${SW_SOURCE_DIR:?}"
dir="$SW_WORK_DIR/bad_inputs"
rm -rf "$dir"
mkdir -p "$dir"
python3 "$SW_SOURCE_DIR/tests/captures/make_bad_inputs.py" "$dir/in" >/dev/null
manifest=$dir/in/manifest.tsv
{
	printf '/dev/null\terror\n'
	printf '%s\terror\n' "$dir/in" "$dir/in/missing.pcap"
} >>"$manifest"

# Generous per-file bound: the largest case is a few kilobytes; a hang is a bug.
limit=${SW_BAD_INPUT_TIMEOUT:-20}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The cases run in SW_BAD_INPUT_JOBS (2) parts side by side, each its own sensor processes and
# files; most of a case's time is the sensor's start and exit (under ASan most of all).
jobs=${SW_BAD_INPUT_JOBS:-2}
bad() {
	printf 'FAIL %s: %s\n' "$1" "$2" >&2
	sed 's/^/    /' "$err" | head -n 30 >&2
	fails=$((fails + 1))
}
# check_part K: the manifest's cases K, K + jobs, K + 2 jobs ...; counts to $dir/count.K
check_part() {
	local part=$1 line=0 name expect path db rc got want row count
	local fails=0 n=0 nerr=0 nok=0 nanom=0 out=$dir/out.$1 err=$dir/err.$1
	while IFS=$'\t' read -r name expect; do
		line=$((line + 1))
		(((line - 1) % jobs == part)) || continue
		n=$((n + 1))
		case $name in
		/*) path=$name ;;
		*) path=$dir/in/$name ;;
		esac
		db=$dir/db/$line.db
		rc=0
		timeout -k 5 "$limit" "$SCANWATCH" -r "$path" --db "$db" -q >"$out" 2>"$err" || rc=$?
		if ((rc == 124 || rc == 137)); then
			bad "$name" "hung (killed after $limit s)"
			continue
		fi
		if ((rc > 128)) || grep -qE 'Sanitizer|runtime error:|LeakSanitizer' "$err"; then
			bad "$name" "crashed (exit $rc)"
			continue
		fi
		case $rc in
		0) got=ok ;;
		1) got=error ;;
		*)
			bad "$name" "exit $rc (want 0 or 1)"
			continue
			;;
		esac
		if [[ $got == error ]]; then
			nerr=$((nerr + 1))
			# The message must say which file: the path itself, first on its line after the prefix.
			if ! grep -qF "$path" "$err"; then
				bad "$name" "error message does not name the file"
				continue
			fi
		fi
		case $expect in
		error | ok)
			[[ $got == "$expect" ]] || bad "$name" "got $got, want $expect"
			;;
		"error|ok") ;;
		anomaly:*)
			want=${expect#anomaly:}
			if [[ $got != ok ]]; then
				bad "$name" "got $got, want a run with anomaly $want"
				continue
			fi
			nanom=$((nanom + 1))
			row=$(sqlite3 "$db" "SELECT status || ' ' || anomalies FROM runs ORDER BY id DESC LIMIT 1")
			count=$(sqlite3 "$db" "SELECT coalesce(json_extract(anomalies, '\$.$want'), 0)
				FROM runs ORDER BY id DESC LIMIT 1")
			((count > 0)) || bad "$name" "runs.anomalies lacks $want: $row"
			# The summary on stderr reports the same counter.
			grep -qE "anomaly $want +$count\$" "$err" || bad "$name" "summary lacks anomaly $want"
			;;
		note:*)
			# well-formed input read a particular way: a clean run, the note in the summary
			want=${expect#note:}
			if [[ $got != ok ]]; then
				bad "$name" "got $got, want a run with note $want"
				continue
			fi
			grep -qE "note +$want +[1-9][0-9]*\$" "$err" || bad "$name" "summary lacks note $want"
			grep -q 'anomaly ' "$err" && bad "$name" "a note is not an anomaly, yet one was counted"
			;;
		*)
			bad "$name" "unknown expectation '$expect' in the manifest"
			;;
		esac
		[[ $got == ok ]] && nok=$((nok + 1))
	done <"$manifest"
	echo "$n $nerr $nok $nanom $fails" >"$dir/count.$part"
}

mkdir -p "$dir/db"
pids=()
for ((k = 0; k < jobs; k++)); do
	check_part "$k" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || : # a part's failures are in its counts
done
fails=0 n=0 nerr=0 nok=0 nanom=0
for ((k = 0; k < jobs; k++)); do
	[[ -s $dir/count.$k ]] || {
		echo "FAIL: part $k of the cases did not finish" >&2
		exit 1
	}
	read -r a b c d e <"$dir/count.$k"
	n=$((n + a)) nerr=$((nerr + b)) nok=$((nok + c)) nanom=$((nanom + d)) fails=$((fails + e))
done

echo "bad inputs: $n cases: $nerr clean errors, $nok clean runs ($nanom with the expected anomaly), $fails failures"
((fails == 0))
