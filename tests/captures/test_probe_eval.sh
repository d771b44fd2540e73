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
