#!/usr/bin/env bash
# test_flood_cover.sh — a real nmap SYN scan hidden inside a million spoofed one-packet SYNs to the same target: the scanner is still reported under its own address, and the flood as syn_flood, at 16M, 64M and 256M memory caps.
#
# The scan is real: nmap -6 -sS of 1000 ports in namespaces, fast (--min-rate),
# captured on the link. The flood is generated: scanprobe --flood syn writes a
# million SYNs to port 80 of the same target from a million distinct spoofed
# sources (IPv6, inside 2001:2::/48; 198.18.0.0/15 holds only 131,072 IPv4
# addresses, too few for one-packet sources), packed into the same time span
# as the scan by scanprobe's --scan-delay and shifted onto the scan's first SYN
# with editcap. Nothing of the flood is ever sent: scanwatch merges the two
# files by timestamp, as it merges any -r list.
#
# What must hold, at each cap: a syn_scan detection whose source is the
# scanner's address (not "*", not absorbed by a flood or decoy detection),
# a syn_flood detection of the target, and no decoy_scan (each forged source
# sent one SYN to one port; that is a flood, not decoys). The figures (RSS,
# evictions, detections) are printed for the closing note.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init flood
sw_require nmap editcap
[[ -x ${SCANPROBE:-} ]] || sw_fail "scanprobe binary '${SCANPROBE:-}' not found (build first)"
# A million forged sources; a sanitizer build (whose point is memory safety, and
# which runs several times slower) replays a quarter of a million.
if grep -qa __asan_init "$SCANWATCH"; then
	FLOOD=${SW_COVER_FLOOD:-250000}
else
	FLOOD=${SW_COVER_FLOOD:-1000000}
fi

sw_netns_setup
sw_services tcp-echo:22 http:80 tcp-discard:443
sw_capture_start scan
# Bounded: 1000 explicit ports, no retries, hard 60 s limit.
sw_in_scan timeout 60 nmap -6 -sS -n -Pn -T5 --min-rate 20000 --max-retries 0 -p 1-1000 "$SW_TGT6"
sw_capture_stop

flags='ip6[53] & 0x3f'
syn="ip6 and tcp and src host $SW_SCAN6 and dst host $SW_TGT6 and $flags == 0x02"
sw_expect_distinct "SYNs from the scanner to distinct ports" 1000 dport "$syn"
sw_expect_distinct "SYN/ACK from the open ports" 3 sport "ip6 and tcp and src host $SW_TGT6 and $flags == 0x12"

# The scan's span (first to last SYN): the flood is packed into it.
read -r first last < <(tcpdump -nn -tt -r "$SW_CAP" "$syn" 2>/dev/null |
	awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%s %s\n", f, l }')
span=$(awk -v f="$first" -v l="$last" 'BEGIN { s = l - f; if (s < 0.01) s = 0.01; printf "%.3f", s }')
sw_log "scan SYNs from $first to $last (${span}s); flood of $FLOOD SYNs packed into the same span"

flood=$SW_DIR/flood.raw.pcap
gap=$(awk -v s="$span" -v n="$FLOOD" 'BEGIN { printf "%.12f", s / n }')
"$SCANPROBE" --flood syn --count "$FLOOD" --scan-delay "$gap" -6 -p 80 --sim-default filtered \
	--seed 1 --write "$flood" --labels "$SW_DIR/flood.tsv" "$SW_TGT6" >"$SW_DIR/scanprobe.out" 2>&1 ||
	sw_fail "scanprobe could not write the flood: $(cat "$SW_DIR/scanprobe.out")"
fstart=$(tcpdump -nn -tt -c 1 -r "$flood" 2>/dev/null | awk '{ print $1 }')
shift_s=$(awk -v a="$first" -v b="$fstart" 'BEGIN { printf "%.6f", a - b }')
editcap -t "$shift_s" "$flood" "$SW_DIR/flood.pcap" || sw_fail "editcap could not shift the flood"
rm -f -- "$flood"
# The simulated target answers each SYN to its open port 80 with a SYN/ACK to the
# forged source, as the real one would (backscatter); the SYNs are what is counted.
tcpdump -nn -r "$SW_DIR/flood.pcap" "$flags == 0x02" 2>/dev/null | awk '{ print $3 }' |
	sed 's/\.[0-9]*$//' >"$SW_DIR/flood.sources"
n=$(wc -l <"$SW_DIR/flood.sources")
((n == FLOOD)) || sw_fail "the flood capture holds $n SYNs, expected $FLOOD"
nsrc=$(sort -u "$SW_DIR/flood.sources" | wc -l)
rm -f -- "$SW_DIR/flood.sources"
((nsrc * 100 >= FLOOD * 99)) || sw_fail "the flood has $nsrc distinct sources, expected about $FLOOD (one packet each)"
sw_log "flood: $n SYNs from $nsrc distinct sources to [$SW_TGT6]:80, shifted by ${shift_s}s"

fail=0
for cap in 16M 64M 256M; do
	db=$SW_DIR/cover-$cap.db
	rm -f -- "$db"*
	/usr/bin/time -f '%M' -o "$SW_DIR/cover-$cap.rss" "$SCANWATCH" -r "$SW_CAP" -r "$SW_DIR/flood.pcap" \
		--db "$db" --memory-cap "$cap" --json >"$SW_DIR/cover-$cap.json" 2>"$SW_DIR/cover-$cap.err" ||
		sw_fail "scanwatch failed at --memory-cap $cap: $(cat "$SW_DIR/cover-$cap.err")"
	rss=$(tail -n 1 "$SW_DIR/cover-$cap.rss")
	echo "----- --memory-cap $cap: peak RSS ${rss} KB; $(tail -n 1 "$SW_DIR/cover-$cap.err")"
	sw_sql "$db" "SELECT kind, src_ip, coalesce(target_ip, '-'), probes, probes_at_open, distinct_ports,
		coalesce(tool, '-') FROM detections ORDER BY seq" | sed 's/^/    /'
	scan=$(sw_sql "$db" "SELECT count(*) FROM detections WHERE kind = 'syn_scan' AND src_ip = '$SW_SCAN6'")
	fl=$(sw_sql "$db" "SELECT count(*) FROM detections WHERE kind = 'syn_flood' AND target_ip = '$SW_TGT6'")
	decoy=$(sw_sql "$db" "SELECT count(*) FROM detections WHERE kind = 'decoy_scan'")
	ev=$(sw_sql "$db" "SELECT evictions FROM runs")
	echo "    syn_scan from the scanner: $scan; syn_flood of the target: $fl; decoy_scan: $decoy; evictions: $ev"
	if ((scan < 1)); then
		echo "FAIL at $cap: the scanner $SW_SCAN6 is not reported as syn_scan" >&2
		fail=1
	fi
	if ((fl < 1)); then
		echo "FAIL at $cap: no syn_flood detection of $SW_TGT6" >&2
		fail=1
	fi
	if ((decoy > 0)); then
		echo "FAIL at $cap: the flood was reported as a decoy scan" >&2
		fail=1
	fi
done
((fail == 0)) || sw_fail "the scan hidden under the flood was not found at every cap (above)"
