#!/usr/bin/env bash
# test_probe_dryrun.sh — every scanprobe kind written with --write: readable, correct checksums, labelled, reproducible, and the simulated target's answers read back as the right states.
#
# Dry runs send nothing, so this test needs no namespace; it lives with the netns tests
# because it feeds them (and `scanwatch eval`) the same captures.
set -euo pipefail

SW_SOURCE_DIR=${SW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SW_BUILD_DIR=${SW_BUILD_DIR:-$SW_SOURCE_DIR/build}
SCANPROBE=${SCANPROBE:-$SW_BUILD_DIR/scanprobe}
WORK=${SW_WORK_DIR:-$SW_BUILD_DIR/test-work}/probe_dryrun
PY=/usr/bin/python3

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
[[ -x $SCANPROBE ]] || fail "no scanprobe at $SCANPROBE"
command -v tcpdump >/dev/null || fail "needs tcpdump"
rm -rf "$WORK"
mkdir -p "$WORK"

HAVE_TSHARK=0
if command -v tshark >/dev/null; then
	HAVE_TSHARK=1
fi
TSHARK_OPTS=(-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE)
BAD_CKSUM='tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || ip.checksum.status == "Bad" || icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad"'
MALFORMED='_ws.malformed || _ws.expert.severity >= error'

# check_capture FILE [no-malformed-check]: tcpdump reads it, neither tool complains.
check_capture() {
	local f=$1 strict=${2:-strict} n bad
	n=$(tcpdump -nn -r "$f" 2>/dev/null | wc -l)
	((n > 0)) || fail "$f: tcpdump read no packets"
	bad=$(tcpdump -vvv -nn -r "$f" 2>/dev/null | grep -ci "bad cksum\|incorrect" || true)
	((bad == 0)) || fail "$f: tcpdump reports $bad bad checksums"
	if ((HAVE_TSHARK)); then
		local filter="$BAD_CKSUM"
		[[ $strict == strict ]] && filter="$filter || $MALFORMED"
		bad=$(tshark -n -r "$f" "${TSHARK_OPTS[@]}" -Y "$filter" 2>/dev/null | wc -l)
		((bad == 0)) || fail "$f: tshark flags $bad packets: $(tshark -n -r "$f" "${TSHARK_OPTS[@]}" -Y "$filter" 2>/dev/null | head -3)"
	fi
	echo "$n"
}

# The checks can fail: a capture with one flipped checksum byte must be caught.
"$SCANPROBE" --write "$WORK/neg.pcap" -sS -p 22 --seed 1 198.18.1.1 >/dev/null
"$PY" - "$WORK/neg.pcap" <<'PYEOF'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[24 + 16 + 14 + 20 + 16] ^= 0x5a   # first frame: pcap, record, Ethernet, IPv4 headers; TCP checksum
open(sys.argv[1], 'wb').write(d)
PYEOF
if (check_capture "$WORK/neg.pcap" >/dev/null 2>&1); then
	fail "a corrupted checksum went unnoticed"
fi
echo "ok: a corrupted checksum is detected"

# kind-name | arguments | expected label kinds
KINDS=(
	"syn|-sS -p 20-25,53,80,443|syn_scan"
	"connect|-sT -p 20-25,80,443|connect_scan"
	"fin|-sF -p 20-25,80|fin_scan"
	"null|-sN -p 20-25,80|null_scan"
	"xmas|-sX -p 20-25,80|xmas_scan"
	"maimon|-sM -p 20-25,80|maimon_scan"
	"ack|-sA -p 20-25,80|ack_scan"
	"window|-sW -p 20-25,80|window_scan,ack_scan"
	"udp|-sU -p 53,123,161,500|udp_scan"
	"ipproto|-sO|ip_proto_scan"
	"echo|-sn -PE|icmp_sweep"
	"timestamp|-sn -PP|icmp_sweep"
	"synping|-sn -PS443|tcp_sweep"
	"ackping|-sn -PA|tcp_sweep"
	"arp|-sn -PR|arp_sweep"
	"synflood|--flood syn --count 500 -p 80|syn_flood"
	"rstflood|--flood rst --duration 0.05 -p 80|rst_flood"
	"syn6|-6 -sS -p 20-25,80|syn_scan"
	"connect6|-6 -sT -p 22,23|connect_scan"
	"fin6|-6 -sF -p 22,23|fin_scan"
	"udp6|-6 -sU -p 53,161|udp_scan"
	"ipproto6|-6 -sO|ip_proto_scan"
	"echo6|-6 -sn -PE|icmp_sweep"
	"synflood6|-6 --flood syn --count 100 -S 2001:2:0:fe::10|syn_flood"
)
for entry in "${KINDS[@]}"; do
	IFS='|' read -r name args kinds <<<"$entry"
	targets=198.18.1.1-6
	[[ $args == -6* ]] && targets=2001:2::1-6
	f=$WORK/$name.pcap
	# shellcheck disable=SC2086
	out=$("$SCANPROBE" --write "$f" $args --seed 11 --background 10 $targets) ||
		fail "$name: scanprobe failed"
	# IPv6 -sO sends bare protocol numbers with empty bodies, as nmap does; Wireshark's
	# dissectors call an empty extension header or routing-protocol body malformed. The
	# checksums are still checked.
	mode=strict
	[[ $name == ipproto6 ]] && mode=checksums
	n=$(check_capture "$f" "$mode")
	written=$(sed -n 's/^\([0-9]*\) packets written$/\1/p' <<<"$out")
	[[ $n == "$written" ]] || fail "$name: tcpdump read $n packets, scanprobe wrote $written"
	# Labels: one line, the scanner (or * for a spoofed flood), the kinds.
	scanner=198.19.254.10
	[[ $args == -6* ]] && scanner=2001:2:0:fe::10
	[[ $name == synflood || $name == rstflood ]] && scanner='*'
	want=$(printf '%s\t%s\t%s' "$f" "$scanner" "$kinds")
	got=$(cat "$WORK/$name.labels.tsv")
	[[ $got == "$want" ]] || fail "$name: labels '$got', want '$want'"
	# Same seed, same bytes; another seed, other bytes.
	# shellcheck disable=SC2086
	"$SCANPROBE" --write "$WORK/again.pcap" $args --seed 11 --background 10 $targets >/dev/null
	cmp -s "$f" "$WORK/again.pcap" || fail "$name: same seed gave different bytes"
	# shellcheck disable=SC2086
	"$SCANPROBE" --write "$WORK/other.pcap" $args --seed 12 --background 10 $targets >/dev/null
	if cmp -s "$f" "$WORK/other.pcap"; then
		fail "$name: another seed gave the same bytes"
	fi
	echo "ok: $name: $n packets, clean, labelled $kinds, reproducible"
done

# The prober reads the simulated target's answers back like a live scan: the states must be
# exactly what the simulated target was told.
# states FILE.json -> "port:state ..." of the first host.
states() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
h = d["hosts"][0]
print(" ".join("%d:%s" % (p["port"], p["state"]) for p in sorted(h["ports"], key=lambda p: p["port"])))' "$1"
}
expect_states() {
	local name=$1 want=$2
	shift 2
	"$SCANPROBE" --json --write "$WORK/$name.pcap" --seed 5 "$@" >"$WORK/$name.json" ||
		fail "$name: scanprobe failed"
	local got
	got=$(states "$WORK/$name.json")
	[[ $got == "$want" ]] || fail "$name: states '$got', want '$want'"
	echo "ok: $name: $got"
}
expect_states syn-closed "21:closed 22:open 23:closed 80:open" -sS -p 21,22,23,80 --sim-open 22,80 198.18.1.1
expect_states syn-filtered "21:filtered 22:open 23:closed 80:filtered" \
	-sS -p 21,22,23,80 --sim-open 22 --sim-closed 23 --sim-default filtered 198.18.1.1
expect_states connect "22:open 23:closed" -sT -p 22,23 --sim-open 22 198.18.1.1
expect_states fin "22:open|filtered 23:closed" -sF -p 22,23 --sim-open 22 198.18.1.1
expect_states xmas6 "22:open|filtered 23:closed" -6 -sX -p 22,23 --sim-open 22 2001:2::5
expect_states ack "22:unfiltered 23:unfiltered 24:filtered" \
	-sA -p 22,23,24 --sim-open 22 --sim-closed 23 --sim-default filtered 198.18.1.1
expect_states udp "53:open 161:closed 162:open|filtered" \
	-sU -p 53,161,162 --sim-udp-open 53 --sim-udp-closed 161 --sim-default filtered 198.18.1.1
expect_states udp6 "53:open 161:closed" -6 -sU -p 53,161 --sim-udp-open 53 2001:2::5
# Default Linux-like stack: ICMP, IGMP, TCP, UDP spoken, 47 (GRE) answered "unreachable".
expect_states ipproto "1:open 2:open|filtered 6:open 17:open 47:closed" -sO -p 1,2,6,17,47 198.18.1.1

# A YAML profile: hosts up, ports, protocols, TTL.
cat >"$WORK/profile.yaml" <<'YEOF'
up: [198.18.1.2, 198.18.1.4/31]
tcp_open: [22, "8000-8001"]
tcp_closed: 23
default: filtered
protocols: [1, 6, 17, 132]
ttl: 128
rtt_ms: 5
jitter_ms: 1
YEOF
expect_states profile-syn "22:open 23:closed 24:filtered 8000:open 8001:open" \
	-sS -p 22,23,24,8000,8001 --profile "$WORK/profile.yaml" 198.18.1.2
# With "default: filtered" the -sO TCP probe (an ACK to 80) and UDP probe (to 40125) meet
# silence, so only ICMP proves itself; 47 is not spoken and says so.
expect_states profile-proto "1:open 6:open|filtered 17:open|filtered 47:closed 132:open|filtered" \
	-sO -p 1,6,17,47,132 --profile "$WORK/profile.yaml" 198.18.1.2
ttls=$(tcpdump -nn -v -r "$WORK/profile-syn.pcap" 'src host 198.18.1.2' 2>/dev/null | grep -o 'ttl [0-9]*' | sort -u)
[[ $ttls == "ttl 128" ]] || fail "profile ttl: got '$ttls'"
"$SCANPROBE" --json --write "$WORK/sweep.pcap" -sn --seed 5 --profile "$WORK/profile.yaml" \
	198.18.1.1-6 >"$WORK/sweep.json"
up=$("$PY" -c 'import json,sys
print(" ".join(h["addr"] for h in json.load(open(sys.argv[1]))["hosts"] if h["state"] == "up"))' "$WORK/sweep.json")
[[ $up == "198.18.1.2 198.18.1.4 198.18.1.5" ]] || fail "sweep: hosts up '$up'"
echo "ok: profile: states, TTL 128, hosts up $up"
if "$SCANPROBE" --write "$WORK/x.pcap" -sS -p 22 --profile <(echo "bogus_key: 1") 198.18.1.1 2>"$WORK/err"; then
	fail "an unknown profile key was accepted"
fi
grep -q "unknown key bogus_key" "$WORK/err" || fail "profile error message: $(cat "$WORK/err")"

# Several scanners: one label line each, each address really probing.
"$SCANPROBE" --write "$WORK/multi.pcap" -sS -p 20-30 --scanners 3 --seed 9 198.18.1.1-3 >/dev/null
[[ $(wc -l <"$WORK/multi.labels.tsv") == 3 ]] || fail "multi: want 3 label lines"
for s in 198.19.254.10 198.19.254.11 198.19.254.12; do
	grep -q "$(printf '\t%s\tsyn_scan$' "$s")" "$WORK/multi.labels.tsv" || fail "multi: no label for $s"
	syns=$(tcpdump -nn -r "$WORK/multi.pcap" "src host $s and tcp[tcpflags] == tcp-syn" 2>/dev/null | wc -l)
	[[ $syns == 33 ]] || fail "multi: $s sent $syns SYNs, want 33"
done
check_capture "$WORK/multi.pcap" >/dev/null
echo "ok: 3 scanners, 33 SYNs each, 3 label lines"

# Benign only: a label with * and an empty kind; only benign hosts talk; complete sessions.
"$SCANPROBE" --write "$WORK/benign.pcap" --background 40 --seed 3 >/dev/null
[[ $(cat "$WORK/benign.labels.tsv") == "$(printf '%s\t*\t' "$WORK/benign.pcap")" ]] ||
	fail "benign labels: $(cat "$WORK/benign.labels.tsv")"
check_capture "$WORK/benign.pcap" >/dev/null
others=$(tcpdump -nn -r "$WORK/benign.pcap" 'not (net 198.19.252.0/23)' 2>/dev/null | wc -l)
[[ $others == 0 ]] || fail "benign capture has $others packets outside the benign hosts"
syn=$(tcpdump -nn -r "$WORK/benign.pcap" 'tcp[tcpflags] == tcp-syn' 2>/dev/null | wc -l)
fin=$(tcpdump -nn -r "$WORK/benign.pcap" 'tcp[tcpflags] & tcp-fin != 0' 2>/dev/null | wc -l)
((syn > 0 && fin == 2 * syn)) || fail "benign: $syn SYNs but $fin FINs (every session must close)"
dns=$(tcpdump -nn -r "$WORK/benign.pcap" 'udp port 53' 2>/dev/null | grep -c ' A 192.0.2.80' || true)
((dns > 0)) || fail "benign: no DNS answers"
echo "ok: benign-only capture: $syn HTTP sessions closed cleanly, $dns DNS answers"

# Bounds: a flood needs --count or --duration; --max-packets caps a dry run.
if "$SCANPROBE" --write "$WORK/x.pcap" --flood syn 198.18.1.1 2>/dev/null; then
	fail "an unbounded flood was accepted"
fi
"$SCANPROBE" --write "$WORK/cap.pcap" -sS -p 1-1000 --max-packets 100 --seed 1 198.18.1.1 >/dev/null 2>&1
[[ $(tcpdump -nn -r "$WORK/cap.pcap" 2>/dev/null | wc -l) == 100 ]] || fail "--max-packets 100 not honoured"
# Timestamps come from the fixed epoch plus the seed, not from the wall clock.
first=$(tcpdump -nn -tt -r "$WORK/syn.pcap" -c 1 2>/dev/null | cut -d. -f1)
[[ $first == $((1700000000 + 11)) ]] || fail "first timestamp $first, want 1700000011"
echo "ok: bounds and fixed epoch"
echo "PASS"
