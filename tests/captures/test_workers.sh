#!/usr/bin/env bash
# test_workers.sh — one worker or several, the same records: every kind scanprobe makes (with
# benign background), the bundled sample, the synthetic link types and the hostile inputs,
# replayed with 1, 2 and 4 workers (workers_diff.sh), then 256 scanners and 3,000 small scans
# under a 1M memory cap, where the tables evict open detections. Nothing is sent: dry runs only.
set -euo pipefail
: "${SCANWATCH:?}" "${SCANPROBE:?}" "${SW_WORK_DIR:?}" "${SW_SOURCE_DIR:?}" "${GEN_SOURCES:?}"
dir="$SW_WORK_DIR/workers"
rm -rf "$dir"
mkdir -p "$dir/caps"
cd "$dir/caps"
diff_sh=$SW_SOURCE_DIR/tests/captures/workers_diff.sh

kinds=(
	"-sS -p 1-1000"
	"-sT -p 1-300"
	"-sF -p 1-100"
	"-sX -p 1-100"
	"-sA -p 1-100"
	"-sU -p 1-60"
	"-sO -p 1-40"
	"-sn -PE 198.18.2.0/24"
	"-sn -PS80 198.18.2.0/26"
	"-sn -PR 198.18.2.0/26"
	"--flood syn --count 20000"
	"--flood rst --count 5000"
	"-sS -T1 -p 1-6"
	"-sS --scanners 8 -p 1-2000"
	"-6 -sS -p 1-100 2001:2::2"
	"-6 -sn -PE 2001:2::1-40"
)
i=0
for args in "${kinds[@]}"; do
	i=$((i + 1))
	target=198.18.1.2
	case "$args" in *198.18.2.* | *2001:2::*) target= ;; esac
	# shellcheck disable=SC2086 # word splitting of the argument list is wanted
	"$SCANPROBE" $args $target --write "k$i.pcap" --seed "$i" --background 200 >"k$i.out" 2>&1 || {
		cat "k$i.out"
		exit 1
	}
done
"$SCANPROBE" --background 2000 --write benign.pcap --seed 99 >/dev/null
# 256 scanners over 16 hosts: under a 1M cap the tables evict counting entries (below).
"$SCANPROBE" -sS --scanners 256 -p 1-30 --seed 5 --write many.pcap 198.18.1.0/28 >/dev/null
# 3,000 small scans one after another, each opened within its own four probes: under a 1M cap
# open detections fill more than half the table, so the oldest of them are closed early.
"$GEN_SOURCES" --sources 3000 --per-source 4 --ports 4 --replies --seed 4 -o press.pcap >/dev/null
# Several scan kinds and benign traffic in one capture, so closures of one source fall due
# while another's events arrive.
"$SCANPROBE" -sS -p 1-20000 --scanners 4 --background 20000 --max-packets 200000 --seed 3 \
	--write mixed.pcap 198.18.0.0/28 >/dev/null
python3 "$SW_SOURCE_DIR/tests/captures/make_linktypes.py" "$dir/link" >/dev/null
python3 "$SW_SOURCE_DIR/tests/captures/make_bad_inputs.py" "$dir/bad" >/dev/null

shopt -s nullglob
# Every 13th hostile input (about 50 of 650: test_bad_inputs.sh replays them all).
bad=("$dir"/bad/*)
some_bad=()
for ((j = 0; j < ${#bad[@]}; j += 13)); do some_bad+=("${bad[j]}"); done
caps=("$dir"/caps/*.pcap "$SW_SOURCE_DIR/tests/captures/sample.pcapng" "$dir"/link/* "${some_bad[@]}")
# Under ThreadSanitizer (several seconds a run) the scan kinds and the mixed capture only: the
# link types and hostile inputs exercise decoding, the same on either thread count.
if grep -qa __tsan_init "$SCANWATCH"; then
	caps=("$dir"/caps/*.pcap "$SW_SOURCE_DIR/tests/captures/sample.pcapng")
fi
bash "$diff_sh" "$SCANWATCH" "$dir/diff" "${caps[@]}"
# Under memory pressure: the same evictions, so the same records ("closed early" included).
SW_DIFF_ARGS="--memory-cap 1M" bash "$diff_sh" "$SCANWATCH" "$dir/diff-1m" \
	"$dir/caps/many.pcap" "$dir/caps/k11.pcap" "$dir/caps/mixed.pcap" "$dir/caps/press.pcap"
grep -q '"closed_early"' "$dir"/diff-1m/*.w1.jsonl || {
	echo "FAIL: the 1M runs evicted no open detection: the pressure case tests nothing"
	exit 1
}
# A replay's summary has a line per worker: with two, the packet thread handed on every event
# the detection thread took, and the two requests of the end (statistics, finish) besides.
"$SCANWATCH" -r "$dir/caps/mixed.pcap" --no-db -q --workers 2 2>"$dir/w2.err" >/dev/null
sent=$(sed -n 's/.*worker 1 of 2 (capture, decode, classify): .* CPU, [0-9]* packets, \([0-9]*\) events handed on.*/\1/p' "$dir/w2.err")
took=$(sed -n 's/.*worker 2 of 2 (detection): .* CPU, \([0-9]*\) events,.*/\1/p' "$dir/w2.err")
[[ -n $sent && -n $took ]] && ((took > 0 && sent >= took && sent - took <= 2)) || {
	echo "FAIL: the summary's worker lines (handed on '$sent', taken '$took'):"
	cat "$dir/w2.err"
	exit 1
}
echo "PASS"
