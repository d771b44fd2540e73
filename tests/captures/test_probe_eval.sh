#!/usr/bin/env bash
# test_probe_eval.sh — scanprobe writes a labelled capture of every kind it makes (with benign
# background traffic mixed in, plus a benign-only capture); `scanwatch eval` must find every scan
# with an acceptable kind and report nothing else. Nothing is sent: dry runs only.
set -euo pipefail
: "${SCANWATCH:?}" "${SCANPROBE:?}" "${SW_WORK_DIR:?}"
dir="$SW_WORK_DIR/probe_eval"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

# one line per capture: scanprobe arguments (the target is added unless the line names one)
kinds=(
	"-sS -p 1-200"
	"-sT -p 1-200"
	"-sF -p 1-100"
	"-sN -p 1-100"
	"-sX -p 1-100"
	"-sA -p 1-100"
	"-sM -p 1-100"
	"-sW -p 1-100"
	"-sU -p 1-60"
	"-sO -p 1-40"
	"-sn -PE 198.18.2.0/26"
	"-sn -PP 198.18.2.0/26"
	"-sn -PS80 198.18.2.0/26"
	"-sn -PA80 198.18.2.0/26"
	"-sn -PR 198.18.2.0/26"
	"--flood syn --count 5000"
	"--flood rst --count 2000"
	"-sS -T1 -p 1-6"
	"-sF -T0 -p 1-6"
	"-sA -T0 -p 1-6"
	"-sO -T0 -p 40-46"
	"-sn -PE -T0 198.18.2.1-6"
	"-sS --scanners 3 -p 1-50"
	"-6 -sS -p 1-100 2001:2::2"
	"-6 -sF -p 1-100 2001:2::2"
	"-6 -sU -p 1-60 2001:2::2"
	"-6 -sn -PE 2001:2::1-40"
)
: >labels.tsv
i=0
for args in "${kinds[@]}"; do
	i=$((i + 1))
	target=198.18.1.2
	case "$args" in *198.18.2.* | *2001:2::*) target= ;; esac
	# shellcheck disable=SC2086 # word splitting of the argument list is wanted
	if ! "$SCANPROBE" $args $target --write "k$i.pcap" --seed "$i" --background 40 >"k$i.out" 2>&1; then
		echo "scanprobe failed for '$args':"
		cat "k$i.out"
		exit 1
	fi
	cat "k$i.labels.tsv" >>labels.tsv
done
"$SCANPROBE" --background 400 --write benign.pcap --seed 99 >/dev/null
cat benign.labels.tsv >>labels.tsv

echo "== labels"
cat labels.tsv
echo "== scanwatch eval"
"$SCANWATCH" eval labels.tsv

# Scoring: an unreadable capture is a failure with its reason and the other lines are still
# scored; '-' stands for any source, for benign and for "no tool"; tool precision counts
# the names given, recall the scans labelled with a name.
echo "== scoring: unreadable file, '-' labels, tool precision and recall"
echo "this is not a capture" >unreadable.pcap
cp k1.pcap k1_copy.pcap
named=$("$SCANWATCH" -r k1.pcap --no-db | sed -n 's/.* CLOSE .* tool=\([^ ]*\) .*/\1/p')
case $named in
nmap | masscan | hping3 | fping) ;;
*)
	echo "scanprobe -sS was attributed '$named': this check needs a capture the sensor names"
	exit 1
	;;
esac
# scanprobe's timestamp sweep: its requests match no tool's shape
sweep=$(grep -n -- "-sn -PP 198" <<<"$(printf '%s\n' "${kinds[@]}")" | cut -d: -f1)
unnamed=$("$SCANWATCH" -r "k$sweep.pcap" --no-db | sed -n 's/.* CLOSE .* tool=\([^ ]*\) .*/\1/p')
[[ $unnamed == unknown ]] || {
	echo "scanprobe -sn -PP was attributed '$unnamed'; this check needs one left unknown"
	exit 1
}
scanner=$(cut -f2 k1.labels.tsv)
{
	printf 'unreadable.pcap\t%s\tsyn_scan\tnmap\n' "$scanner"
	printf 'k1.pcap\t%s\tsyn_scan\t%s\n' "$scanner" "$named"
	printf 'k1_copy.pcap\t%s\tsyn_scan\tzmap\n' "$scanner"
	printf 'k%s.pcap\t%s\ticmp_sweep\t-\n' "$sweep" "$scanner"
	printf 'benign.pcap\t-\t-\t-\n'
} >scoring.tsv
cat scoring.tsv
rc=0
"$SCANWATCH" eval scoring.tsv >scoring.out 2>scoring.err || rc=$?
cat scoring.out scoring.err
fail() {
	echo "FAIL: $*"
	exit 1
}
((rc == 2)) || fail "eval exited $rc with an unreadable capture, expected 2"
grep -q '^unreadable.pcap .* UNREADABLE .*(unreadable: .*unreadable.pcap' scoring.out ||
	fail "no UNREADABLE row with its reason"
grep -q '^k1_copy.pcap .* found .*(wrong tool)' scoring.out || fail "the wrong tool label was not scored"
grep -q "^k$sweep.pcap .* found .* - *unknown " scoring.out || fail "the '-' tool label was not scored"
grep -q '^benign.pcap .* (benign) ' scoring.out || fail "the '-' benign label was not read as benign"
grep -q 'tool right 2 of 4;' scoring.out || fail "tool right count"
grep -q 'kind recall 75.0% (3 of 4); tool precision 50.0% (1 right of 2 names given); tool recall 33.3% (1 of 3 scans labelled with a tool); false positives 0 in 0 of 4 captures (0.00 per capture); unreadable captures 1' scoring.out ||
	fail "summary line"
echo "PASS"
