#!/usr/bin/env bash
# test_probe_live.sh — scanprobe -sS/-sT/-sU/-sn (IPv4 and IPv6) across a veth between two namespaces: results match the listeners exactly.
#
# Safety: the namespaces are created here, joined only to each other, addressed in
# 198.18.0.0/24 and 2001:2::/64 with no default route, and deleted by exact name on exit.
# Every scan names its ports and is bounded by scanprobe's own limits and by timeout(1).
set -euo pipefail

SW_SOURCE_DIR=${SW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SW_BUILD_DIR=${SW_BUILD_DIR:-$SW_SOURCE_DIR/build}
SCANPROBE=${SCANPROBE:-$SW_BUILD_DIR/scanprobe}
WORK=${SW_WORK_DIR:-$SW_BUILD_DIR/test-work}/probe_live
PY=/usr/bin/python3
NS_S=swp-live-$$-s
NS_T=swp-live-$$-t
SCAN4=198.18.0.1
TGT4=198.18.0.2
SCAN6=2001:2::1
TGT6=2001:2::2
LISTENER_PID=

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
cleanup() {
	if [[ -n $LISTENER_PID ]]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_T" 2>/dev/null || true
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || fail "needs root (network namespaces, raw sockets)"
[[ -x $SCANPROBE ]] || fail "no scanprobe at $SCANPROBE"
mkdir -p "$WORK"

ip netns add "$NS_S"
ip netns add "$NS_T"
ip -n "$NS_S" link add sp-scan type veth peer name sp-tgt netns "$NS_T"
ip -n "$NS_S" addr add "$SCAN4/24" dev sp-scan
ip -n "$NS_T" addr add "$TGT4/24" dev sp-tgt
ip -n "$NS_S" addr add "$SCAN6/64" dev sp-scan nodad
ip -n "$NS_T" addr add "$TGT6/64" dev sp-tgt nodad
for ns in "$NS_S" "$NS_T"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_S" link set sp-scan up
ip -n "$NS_T" link set sp-tgt up
for ns in "$NS_S" "$NS_T"; do
	if ip -n "$ns" route show default | grep -q . || ip -n "$ns" -6 route show default | grep -q .; then
		fail "$ns has a default route"
	fi
done

# Known listeners in the target: TCP 22 and 8080, UDP 5353 (echoes, so it reads "open").
# One process, dual-stack sockets; it prints READY once every socket is bound.
ip netns exec "$NS_T" "$PY" -u - >"$WORK/listener.log" 2>&1 <<'PYEOF' &
import selectors, socket
sel = selectors.DefaultSelector()
def sock(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, kind)
for p in (22, 8080):
    sock(socket.SOCK_STREAM, p)
sock(socket.SOCK_DGRAM, 5353)
print("READY", flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        try:
            if key.data == socket.SOCK_STREAM:
                c, _ = s.accept()
                c.close()
            else:
                data, peer = s.recvfrom(2048)
                s.sendto(data or b"pong", peer)
        except OSError:
            pass
PYEOF
LISTENER_PID=$!
for _ in $(seq 100); do
	grep -q READY "$WORK/listener.log" && break
	kill -0 "$LISTENER_PID" 2>/dev/null || fail "listener died: $(cat "$WORK/listener.log")"
	sleep 0.05
done
grep -q READY "$WORK/listener.log" || fail "listener not ready"

# states JSON -> "port:state ..." (or "addr:state ..." for sweeps)
states() {
	"$PY" -c 'import json,sys
d = json.load(sys.stdin)
out = []
for h in d["hosts"]:
    if "ports" in h:
        out += ["%d:%s" % (p["port"], p["state"]) for p in sorted(h["ports"], key=lambda p: p["port"])]
    else:
        out.append("%s:%s" % (h["addr"], h["state"]))
print(" ".join(out))'
}
scan() {
	# scan NAME WANT ARGS...: run scanprobe in the scanner namespace, compare the states.
	local name=$1 want=$2 rc=0
	shift 2
	ip netns exec "$NS_S" timeout 60 "$SCANPROBE" --json --seed 4 --max-packets 2000 \
		--max-duration 30 "$@" >"$WORK/$name.json" 2>"$WORK/$name.err" || rc=$?
	((rc == 0)) || fail "$name: exit $rc: $(cat "$WORK/$name.err")"
	local got
	got=$(states <"$WORK/$name.json")
	[[ $got == "$want" ]] || fail "$name: got '$got', want '$want'"
	echo "ok: $name: $got"
}

PORTS=21,22,23,80,8080
TCP_WANT="21:closed 22:open 23:closed 80:closed 8080:open"
scan syn4 "$TCP_WANT" -sS -p $PORTS $TGT4
scan connect4 "$TCP_WANT" -sT -p $PORTS $TGT4
scan syn6 "$TCP_WANT" -6 -sS -p $PORTS $TGT6
scan connect6 "$TCP_WANT" -6 -sT -p $PORTS $TGT6
# Closed UDP ports answer ICMP port unreachable; Linux rate-limits those per peer (burst 6,
# then 1/s), so few ports and one resend keep this exact.
scan udp4 "5353:open 5354:closed 5355:closed 9999:closed" -sU -p 5353,5354,5355,9999 --max-retries 2 --wait 1.2 $TGT4
scan udp6 "5353:open 5354:closed 5355:closed" -6 -sU -p 5353,5354,5355 --max-retries 2 --wait 1.2 $TGT6
# Only .2 exists on the link; .3 and .4 never answer ARP, so they stay silent.
scan sweep4 "$TGT4:up $SCAN4:up 198.18.0.3:down 198.18.0.4:down" -sn --no-randomize --wait 1 \
	$TGT4 $SCAN4 198.18.0.3-4
scan sweep6 "$TGT6:up 2001:2::3:down" -6 -sn --wait 1 $TGT6 2001:2::3
scan synping4 "$TGT4:up 198.18.0.3:down" -sn -PS22 --wait 1 $TGT4 198.18.0.3

# -sT needs no privilege; raw kinds without CAP_NET_RAW fail clearly and send nothing.
if command -v setpriv >/dev/null; then
	out=$(ip netns exec "$NS_S" timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$SCANPROBE" --json -sT -p 22,23 --seed 1 $TGT4 2>&1) ||
		fail "unprivileged -sT failed: $out"
	[[ $(states <<<"$out") == "22:open 23:closed" ]] || fail "unprivileged -sT: $out"
	rc=0
	out=$(ip netns exec "$NS_S" timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$SCANPROBE" -sS -p 22 $TGT4 2>&1) || rc=$?
	((rc != 0)) || fail "unprivileged -sS succeeded"
	grep -q "needs raw sockets (CAP_NET_RAW)" <<<"$out" || fail "unprivileged -sS message: $out"
	echo "ok: unprivileged -sT works, unprivileged -sS refused: ${out%%$'\n'*}"
else
	echo "note: setpriv not installed, unprivileged runs not checked"
fi
echo "PASS"
