#!/usr/bin/env bash
# test_benign.sh — ordinary client traffic (200 successful TCP sessions to 4 services, a few pings), captured and replayed: expects no detection at all.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init benign
sw_require ping
sw_netns_setup
services=(http:80 http:8000 http:8080 tcp-echo:7)
sw_services "${services[@]}"
sw_capture_start

# 200 sessions round-robin over the four services, one every 25 ms (about
# 5 s in all, well inside a minute): each fetches a page or has a message
# echoed and checks what came back, so every one is a real, successful
# exchange. The pacing is the traffic's shape, not synchronisation.
sw_in_scan "$SW_PYTHON" - "$SW_SCAN4" "$SW_TGT4" <<'PY' || sw_fail "the benign client failed"
import http.client, socket, sys, time
src, dst = sys.argv[1], sys.argv[2]
services = [("http", 80), ("http", 8000), ("http", 8080), ("echo", 7)]
for i in range(200):
    kind, port = services[i % len(services)]
    if kind == "http":
        c = http.client.HTTPConnection(dst, port, timeout=5, source_address=(src, 0))
        c.request("GET", "/page/%d" % i)
        r = c.getresponse()
        body = r.read()
        c.close()
        assert r.status == 200 and body.startswith(b"scanwatch test page"), (port, r.status)
    else:
        s = socket.create_connection((dst, port), timeout=5, source_address=(src, 0))
        msg = b"hello %d\n" % i
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            chunk = s.recv(4096)
            assert chunk, "echo closed early"
            got += chunk
        assert got == msg, got
        s.close()
    time.sleep(0.025)
print("200 sessions completed")
PY
sw_in_scan timeout 10 ping -n -c 3 -i 0.2 "$SW_TGT4"
sw_capture_stop

# The capture really holds 200 sessions to exactly 4 ports, each opened and
# closed cleanly, and three answered pings.
syn="src host $SW_SCAN4 and dst host $SW_TGT4 and tcp[tcpflags] == tcp-syn"
sw_expect_pkts "client SYNs" 200 "$syn"
sw_expect_pkts "SYN/ACKs from the services" 200 \
	"src host $SW_TGT4 and tcp[tcpflags] == (tcp-syn|tcp-ack)"
n=$(sw_distinct dport "$syn")
((n == ${#services[@]})) || sw_fail "capture sanity: client SYNs went to $n ports, expected ${#services[@]}"
sw_expect_pkts "FINs from the client (clean close)" 200 \
	"src host $SW_SCAN4 and tcp[tcpflags] & tcp-fin != 0"
sw_expect_pkts "data segments from the services" 200 \
	"src host $SW_TGT4 and tcp and (ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0"
sw_expect_none "resets" "tcp[tcpflags] & tcp-rst != 0"
sw_expect_pkts "echo requests" 3 "src host $SW_SCAN4 and icmp[icmptype] == icmp-echo"
sw_expect_pkts "echo replies" 3 "src host $SW_TGT4 and icmp[icmptype] == icmp-echoreply"

sw_replay_expect_none
