#!/usr/bin/env bash
# test_exposure.sh — what the scanner learned: nmap -sS of a host with 3 open ports lists exactly those 3 in SQLite, JSON lines, syslog (a real rsyslogd), CEF and `query --exposed`; nmap -sn of a /26 with 10 live hosts lists exactly those 10.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/rsyslog.sh
. "$(dirname "${BASH_SOURCE[0]}")/rsyslog.sh"

sw_init expo
sw_require nmap rsyslogd
sw_netns_setup
sw_services tcp-echo:22 http:80 tcp-discard:443
# 198.18.1.0/26 lies behind the target: 198.18.1.2-11 answer (AnyIP), the rest are
# blackholed and look down.
sweep_net=198.18.1.0/26
sw_route_sweep_net "$sweep_net" 198.18.1.2/31
ip -n "$SW_NS_TGT" route add local 198.18.1.4/30 dev lo
ip -n "$SW_NS_TGT" route add local 198.18.1.8/30 dev lo
live=$(printf '198.18.1.%s\n' 2 3 4 5 6 7 8 9 10 11 | sort)

sw_capture_start
# Bounded: 1024 explicit ports, one retry, T4, 120 s; then 64 addresses, echo only, 120 s.
sw_in_scan timeout 120 nmap -sS -n -Pn -T4 --max-retries 1 -p 1-1024 "$SW_TGT4" >"$SW_DIR/nmap-sS.out"
sw_in_scan timeout 120 nmap -sn -PE --send-ip -n -T4 "$sweep_net" >"$SW_DIR/nmap-sn.out"
sw_capture_stop

# The capture holds what the scanner learned: SYN-ACKs from exactly three ports, echo replies
# from exactly the ten live addresses.
sw_expect_distinct "SYN/ACK from the open ports" 3 sport \
	"src host $SW_TGT4 and dst host $SW_SCAN4 and tcp[tcpflags] == (tcp-syn|tcp-ack)"
rep="dst host $SW_SCAN4 and src net $sweep_net and icmp[icmptype] == icmp-echoreply"
sw_expect_distinct "echo replies from the live addresses" 10 shost "$rep"
sw_expect_none "echo replies from the blackholed addresses" \
	"$rep and not (src net 198.18.1.2/31 or src net 198.18.1.4/30 or src net 198.18.1.8/30)"

# Replay inside the target namespace, every sink on: SQLite, JSON lines, CEF to a file and
# RFC 5424 syslog over TCP to a real rsyslogd on that namespace's loopback.
sw_rsyslog_start 5614 5615
db=$SW_DIR/expo.db jsonl=$SW_DIR/expo.jsonl cef=$SW_DIR/expo.cef
rm -f -- "$db" "$jsonl" "$cef"
ip netns exec "$SW_NS_TGT" "$SCANWATCH" -r "$SW_CAP" --db "$db" --jsonl "$jsonl" --cef "$cef" \
	--syslog "tcp://127.0.0.1:$SW_RSYSLOG_TCP" >"$SW_DIR/replay.out" 2>"$SW_DIR/replay.err" ||
	sw_fail "replay failed: $(cat "$SW_DIR/replay.err")"
cat "$SW_DIR/replay.out" "$SW_DIR/replay.err"
sw_show_detections "$db"
echo "----- exposure rows:"
sw_sql -header "$db" "SELECT * FROM exposure ORDER BY run_id, seq, ord"

syn_seq=$(sw_sql "$db" "SELECT seq FROM detections WHERE kind = 'syn_scan' AND src_ip = '$SW_SCAN4'")
sweep_seq=$(sw_sql "$db" "SELECT seq FROM detections WHERE kind = 'icmp_sweep' AND src_ip = '$SW_SCAN4'")
[[ $syn_seq =~ ^[0-9]+$ ]] || sw_fail "not one syn_scan from $SW_SCAN4: '$syn_seq'"
[[ $sweep_seq =~ ^[0-9]+$ ]] || sw_fail "not one icmp_sweep from $SW_SCAN4: '$sweep_seq'"

# SQLite: exactly the three services, and exactly the ten hosts.
got=$(sw_sql "$db" "SELECT host || ' ' || port || '/' || proto || ' ' || reveal FROM exposure
	WHERE seq = $syn_seq ORDER BY port")
want=$(printf '%s 22/6 syn_ack\n%s 80/6 syn_ack\n%s 443/6 syn_ack' "$SW_TGT4" "$SW_TGT4" "$SW_TGT4")
[[ $got == "$want" ]] || sw_fail "syn_scan exposure in SQLite: got [$got], want [$want]"
got=$(sw_sql "$db" "SELECT host FROM exposure WHERE seq = $sweep_seq AND reveal = 'echo_reply' ORDER BY host")
[[ $got == "$live" ]] || sw_fail "icmp_sweep exposure in SQLite: got [$got], want [$live]"
n=$(sw_sql "$db" "SELECT count(*) FROM exposure WHERE seq = $sweep_seq")
((n == 10)) || sw_fail "icmp_sweep lists $n things, want the 10 live hosts"
sw_log "SQLite: syn_scan $syn_seq exposed 22, 80, 443; icmp_sweep $sweep_seq exposed the 10 live hosts"

# JSON lines: the CLOSE record of each carries the same under scanwatch.exposure.
"$SW_PYTHON" - "$jsonl" "$syn_seq" "$sweep_seq" "$SW_TGT4" <<'PY' || sw_fail "JSON lines exposure differs"
import json, sys
path, syn, sweep, tgt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
last = {}
for line in open(path):
    r = json.loads(line)
    last[r["event"]["id"]] = r
s = last[syn]["scanwatch"]["exposure"]
got = sorted((x["ip"], x["transport"], x["port"], x["answer"]) for x in s["services"])
assert got == [(tgt, "tcp", p, "syn_ack") for p in (22, 80, 443)], got
assert s["hosts"] == [] and s["services_count"] == 3 and s["unlisted_answers"] == 0, s
w = last[sweep]["scanwatch"]["exposure"]
hosts = sorted(x["ip"] for x in w["hosts"])
assert hosts == sorted("198.18.1.%d" % i for i in range(2, 12)), hosts
assert all(x["answer"] == "echo_reply" for x in w["hosts"]) and w["services"] == [], w
print("jsonl: 3 services and 10 hosts, as in SQLite")
PY

# CEF (file): flexString1 of the last record of each detection.
"$SW_PYTHON" - "$cef" "$syn_seq" "$sweep_seq" "$SW_TGT4" <<'PY' || sw_fail "CEF exposure differs"
import re, sys
path, syn, sweep, tgt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
last = {}
for line in open(path):
    m = re.search(r"externalId=(\d+)", line)
    last[m.group(1)] = line
def ext(line, key):
    m = re.search(r"(?:^|\s)" + key + r"=(.*?)(?=\s\w+=|$)", line.rstrip("\n"))
    return m.group(1) if m else None
items = sorted(ext(last[syn], "flexString1").split(","))
assert items == sorted("%s %d/tcp x1" % (tgt, p) for p in (22, 80, 443)), items
assert ext(last[syn], "flexNumber1") == "3" and ext(last[syn], "flexNumber2") == "0"
items = sorted(i.split(" ")[0] for i in ext(last[sweep], "flexString1").split(","))
assert items == sorted("198.18.1.%d" % i for i in range(2, 12)), items
assert ext(last[sweep], "flexNumber2") == "10"
print("cef: 3 services and 10 hosts")
PY

# Syslog (rsyslogd's file: "SD MSG" per message): the last message of each detection.
records=$(sw_lines "$jsonl")
sw_poll 10 "rsyslogd to receive all $records messages" sw_lines_at_least "$SW_DIR/rsyslog/tcp.log" "$records"
"$SW_PYTHON" - "$SW_DIR/rsyslog/tcp.log" "$syn_seq" "$sweep_seq" "$SW_TGT4" <<'PY' || sw_fail "syslog exposure differs"
import re, sys
path, syn, sweep, tgt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
last = {}
for line in open(path):
    m = re.search(r' seq="(\d+)"', line)
    last[m.group(1)] = line
def param(line, name):
    m = re.search(" " + name + r'="((?:[^"\\]|\\.)*)"', line)
    return m.group(1) if m else None
items = sorted(param(last[syn], "exposure").split(","))
assert items == sorted("%s %d/tcp x1" % (tgt, p) for p in (22, 80, 443)), items
assert param(last[syn], "exposedServices") == "3" and param(last[syn], "exposedHosts") == "0"
items = sorted(i.split(" ")[0] for i in param(last[sweep], "exposure").split(","))
assert items == sorted("198.18.1.%d" % i for i in range(2, 12)), items
assert param(last[sweep], "exposedHosts") == "10"
print("syslog: 3 services and 10 hosts")
PY
sw_rsyslog_stop

# query --exposed: which detections reached each service; a closed port reached none.
for p in 22 80 443; do
	got=$("$SCANWATCH" query --db "$db" --exposed "$SW_TGT4:$p" --format csv | tail -n +2 | cut -d, -f3 | tr -d '\r')
	[[ $got == "$syn_seq" ]] || sw_fail "query --exposed $SW_TGT4:$p gave seq [$got], want $syn_seq"
done
got=$("$SCANWATCH" query --db "$db" --exposed "$SW_TGT4:23" --format csv | tail -n +2)
[[ -z $got ]] || sw_fail "query --exposed $SW_TGT4:23 (closed) gave rows: $got"
got=$("$SCANWATCH" query --db "$db" --exposed 198.18.1.7 --format csv | tail -n +2 | cut -d, -f3 | tr -d '\r')
[[ $got == "$sweep_seq" ]] || sw_fail "query --exposed 198.18.1.7 gave seq [$got], want $sweep_seq"
got=$("$SCANWATCH" query --db "$db" --exposed 198.18.1.12 --format csv | tail -n +2)
[[ -z $got ]] || sw_fail "query --exposed 198.18.1.12 (down) gave rows: $got"
"$SCANWATCH" query --db "$db"
sw_log "query --exposed finds the scan by each open port and the sweep by each live host"
