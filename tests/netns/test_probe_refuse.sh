#!/usr/bin/env bash
# test_probe_refuse.sh — scanprobe refuses targets outside the allowed ranges before any socket or packet exists.
#
# Runs inside a namespace this test creates with no interface up (not even lo), so
# even a bug could not reach anything; strace proves no socket was ever opened and
# the namespace's interface counters prove nothing was sent. A control run against
# an allowed target shows the same instruments do see sockets when there are some.
set -euo pipefail

SW_SOURCE_DIR=${SW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SW_BUILD_DIR=${SW_BUILD_DIR:-$SW_SOURCE_DIR/build}
SCANPROBE=${SCANPROBE:-$SW_BUILD_DIR/scanprobe}
WORK=${SW_WORK_DIR:-$SW_BUILD_DIR/test-work}/probe_refuse
NS=swp-refuse-$$

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
cleanup() {
	# Exactly the namespace this test created.
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || fail "needs root (network namespaces)"
command -v strace >/dev/null || fail "needs strace"
[[ -x $SCANPROBE ]] || fail "no scanprobe at $SCANPROBE"
mkdir -p "$WORK"

ip netns add "$NS"
# A new namespace has only lo, and it is down: assert that rather than assume it.
if ip -n "$NS" -o link show up | grep -q .; then
	fail "an interface is up in $NS"
fi

tx_packets() {
	# Sum of TX packets over every interface in the namespace.
	ip -n "$NS" -j -s link show | python3 -c 'import json,sys; print(sum(l["stats64"]["tx"]["packets"] for l in json.load(sys.stdin)))'
}

n=0
refuse() {
	# refuse DESCRIPTION ARGS...: must exit non-zero, say why, and open no socket.
	local desc=$1
	shift
	n=$((n + 1))
	local trace=$WORK/strace.$n err=$WORK/stderr.$n rc=0
	ip netns exec "$NS" strace -f -qq -e trace=socket,socketpair -o "$trace" \
		timeout 30 "$SCANPROBE" "$@" >/dev/null 2>"$err" || rc=$?
	((rc != 0)) || fail "$desc: exit status 0 for: $*"
	((rc != 124)) || fail "$desc: timed out"
	grep -q "refusing target\|source address: refusing" "$err" ||
		fail "$desc: no refusal message, got: $(cat "$err")"
	if grep -q "socket" "$trace"; then
		fail "$desc: a socket was opened: $(grep socket "$trace" | head -3)"
	fi
	echo "ok: $desc -> $(head -1 "$err")"
}

refuse "public IPv4, SYN scan" -sS -p 80 8.8.8.8
refuse "private IPv4, SYN scan" -sS -p 80 10.0.0.1
refuse "private IPv4, connect scan (unprivileged kind)" -sT -p 80 10.0.0.1
refuse "public IPv4, ping sweep" -sn 8.8.8.8
refuse "public IPv4 inside a range" -sS -p 80 198.18.0.1,8.8.8.0/30
refuse "block crossing out of 198.18.0.0/15" -sS -p 80 198.16.0.0/14
refuse "range crossing out of 198.18.0.0/15" -sU -p 53 198.19.255.250-198.20.0.3
refuse "public IPv6" -6 -sS -p 80 2001:4860:4860::8888
refuse "flood at a public address" --flood syn --count 10 8.8.8.8
refuse "dry run at a public address" --write "$WORK/never.pcap" -sS -p 80 8.8.8.8
refuse "spoofed public source" -sS -p 80 -S 8.8.8.8 198.18.0.1
refuse "--allow naming another block" --allow 10.0.0.0/8 -sS -p 80 8.8.8.8
[[ ! -e $WORK/never.pcap ]] || fail "the refused dry run created its capture"

# Nothing left the namespace.
sent=$(tx_packets)
[[ $sent == 0 ]] || fail "interfaces in $NS transmitted $sent packets"
echo "ok: $NS transmitted 0 packets"

# Control: an allowed target does open sockets, so the strace check above can fail.
# (No interface is up, so the connect attempts fail locally and nothing is sent.)
rc=0
ip netns exec "$NS" strace -f -qq -e trace=socket -o "$WORK/strace.control" \
	timeout 30 "$SCANPROBE" -sT -p 80 --wait 0.2 198.18.0.1 >/dev/null 2>&1 || rc=$?
grep -q "socket(" "$WORK/strace.control" || fail "control run opened no socket: strace saw nothing"
# And --allow does lift the refusal for the block it names.
rc=0
out=$(ip netns exec "$NS" timeout 30 "$SCANPROBE" --allow 10.0.0.0/8 --write "$WORK/allowed.pcap" \
	-sS -p 80 --seed 1 10.0.0.1 2>&1) || rc=$?
((rc == 0)) || fail "--allow 10.0.0.0/8 still refused 10.0.0.1: $out"
sent=$(tx_packets)
[[ $sent == 0 ]] || fail "interfaces in $NS transmitted $sent packets after the control runs"
echo "ok: control runs (sockets seen, --allow honoured), 0 packets transmitted"
echo "PASS"
