#!/usr/bin/env bash
# make_sample.sh — regenerates tests/captures/sample.pcapng, the small mixed capture bundled with the sources.
#
# Real traffic between two network namespaces (tests/netns/lib.sh: addresses
# in 198.18.0.0/15 only, no default route, torn down by name at exit),
# captured on the target side and converted to pcapng. One source per
# activity, in this order, so each expected detection has its own src_ip:
#
#   198.18.0.5  benign: 5 HTTP fetches from 198.18.0.2:80 and :8080 -> no detection
#   198.18.0.1  nmap -sS --top-ports 100 of 198.18.0.2      -> syn_scan
#   198.18.0.3  nmap -sn -PE ping sweep of 198.18.1.0/28,
#               of which 198.18.1.0/29 answers              -> icmp_sweep
#   198.18.0.4  hping3 --rst -c 100 at 198.18.0.2:80        -> rst_flood
#
# Open ports on 198.18.0.2: 22 (echo), 80 and 8080 (HTTP), 443 (discard).
# Run as root: bash tests/captures/make_sample.sh [OUTPUT] (default: next to
# this script). Needs nmap, hping3, tcpdump, editcap (tshark), ethtool, python3.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/sample.pcapng}
tmp=
if [[ -z ${SW_WORK_DIR:-} ]]; then
	tmp=$(mktemp -d /tmp/sw-sample.XXXXXX)
	SW_WORK_DIR=$tmp
fi
# shellcheck source=tests/netns/lib.sh
. "$here/../netns/lib.sh"

sw_init sample
sw_require nmap hping3 editcap
sw_netns_setup
benign=198.18.0.5 syn=$SW_SCAN4 sweeper=198.18.0.3 flooder=198.18.0.4
sw_add_scan_addr "$benign"
sw_add_scan_addr "$sweeper"
sw_add_scan_addr "$flooder"
sweep_net=198.18.1.0/28
sw_route_sweep_net "$sweep_net" 198.18.1.0/29
sw_services tcp-echo:22 http:80 tcp-discard:443 http:8080
sw_capture_start sample

sw_in_scan "$SW_PYTHON" - "$benign" "$SW_TGT4" <<'PY' || sw_fail "the benign client failed"
import http.client, sys
src, dst = sys.argv[1], sys.argv[2]
for i, port in enumerate([80, 8080, 80, 8080, 80]):
    c = http.client.HTTPConnection(dst, port, timeout=5, source_address=(src, 0))
    c.request("GET", "/index-%d.html" % i)
    r = c.getresponse()
    assert r.status == 200 and r.read(), (port, r.status)
    c.close()
PY
sw_in_scan timeout 60 nmap -sS -n -Pn -T4 --max-retries 1 --top-ports 100 \
	-S "$syn" -e "$SW_IF_SCAN" "$SW_TGT4" >"$SW_DIR/nmap-sS.txt"
sw_in_scan timeout 60 nmap -sn -PE --send-ip -n -T4 -S "$sweeper" -e "$SW_IF_SCAN" \
	"$sweep_net" >"$SW_DIR/nmap-sn.txt"
rc=0
sw_in_scan timeout 30 hping3 --rst -c 100 -i u1000 -p 80 -a "$flooder" "$SW_TGT4" \
	>"$SW_DIR/hping3.txt" 2>&1 || rc=$?
((rc != 124)) || sw_fail "hping3 did not finish within 30 s"
sw_capture_stop

# Sanity: each activity is really in the capture, from its own source.
sw_expect_pkts "benign HTTP sessions" 5 "src host $benign and tcp[tcpflags] == tcp-syn"
sw_expect_distinct "SYN scan ports" 100 dport "src host $syn and tcp[tcpflags] == tcp-syn"
sw_expect_distinct "ping sweep addresses" 16 dhost "src host $sweeper and icmp[icmptype] == icmp-echo"
sw_expect_distinct "live hosts answering the sweep" 8 shost "dst host $sweeper and icmp[icmptype] == icmp-echoreply"
sw_expect_pkts "RST flood" 100 "src host $flooder and tcp[tcpflags] & tcp-rst != 0"

editcap -F pcapng --capture-comment \
	"scanwatch sample (tests/captures/make_sample.sh): benign 198.18.0.5; syn_scan 198.18.0.1; icmp_sweep 198.18.0.3; rst_flood 198.18.0.4" \
	"$SW_CAP" "$out.tmp"
mv -f -- "$out.tmp" "$out"
size=$(stat -c %s "$out")
((size < 300 * 1024)) || sw_fail "$out is $size bytes; keep the sample under 300 KB"
sw_log "wrote $out: $(sw_count "$SW_CAP" "") packets, $size bytes"
# The intermediate files are only kept when the caller chose SW_WORK_DIR.
[[ -z $tmp ]] || rm -rf -- "$tmp"
