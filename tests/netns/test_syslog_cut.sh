#!/usr/bin/env bash
# test_syslog_cut.sh — the gap TLS (and TCP) syslog leaves without application acknowledgements, measured: rsyslogd is frozen (SIGSTOP) while records are written, then killed (SIGKILL) mid-stream and restarted; every lost record is one written into the dead connection in that window, the sender counted it sent, and everything before and after arrives.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/rsyslog.sh
. "$(dirname "${BASH_SOURCE[0]}")/rsyslog.sh"

# Why this test exists (README, "Delivery guarantees"): syslog has no acknowledgement, so
# a record is "sent" once the kernel has taken it. A collector that dies with records in
# its socket buffers (here: frozen, so it reads nothing, then killed) loses them, and the
# sender cannot tell. The bound is what the connection held when it broke: the records
# written between the collector's last read and the connection's reset.

sw_init syslog_cut
sw_require nmap
sw_netns_setup
sw_services tcp-echo:22 http:80
sw_tls_pki
p=$SW_DIR/pki
PORT=6514
sw_rsyslog_start_tls "$PORT"
log=$SW_DIR/rsyslog/tls.log
rules=$SW_DIR/rules.yaml
sw_rules_idle "$rules" 2s
db=$SW_DIR/live.db
jsonl=$SW_DIR/live.jsonl
sw_sensor_start live "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --db "$db" --rules "$rules" \
	--jsonl "$jsonl" --syslog "tls://127.0.0.1:$PORT?ca=$p/ca.pem&cert=$p/client.pem&key=$p/client.key"
scan() {
	sw_in_scan timeout 30 nmap "$1" -n -Pn -T4 --max-retries 1 -p 1-100 "$SW_TGT4" >>"$SW_DIR/nmap.out" 2>&1 ||
		sw_fail "nmap $1 failed: $(tail -n 5 "$SW_DIR/nmap.out")"
}
# closed N — at least N detections, all closed (every record of theirs written).
closed() { sw_db_at_least "$db" 1 "SELECT count(*) >= $1 AND count(closed_at) = count(*) FROM detections"; }

# Before: delivered while the collector reads.
scan -sS
sw_poll 20 "the first detection to close" closed 1
before=$(sw_lines "$jsonl")
sw_poll 10 "rsyslog to receive the first $before messages" sw_lines_at_least "$log" "$before"

# The window: the collector is frozen (its kernel still acknowledges TCP), records are
# written into the connection, then it is killed with them unread.
kill -STOP "$SW_RSYSLOG_PID"
scan -sF
scan -sU
sw_poll 20 "the window's detections to close" closed 3
window_end=$(sw_lines "$jsonl")
kill -KILL "$SW_RSYSLOG_PID"
wait "$SW_RSYSLOG_PID" 2>/dev/null || true
SW_RSYSLOG_PID=
in_window=$((window_end - before))
((in_window > 0)) || sw_fail "no record written while the collector was frozen"
sw_log "rsyslogd frozen then killed with $in_window records written to it; restarting"

# After: the collector returns, scans go on, the sensor stops (closing what is open).
sw_rsyslog_start_tls "$PORT"
scan -sX
sw_poll 20 "the last detection to close" closed 4
sw_sensor_stop TERM
total=$(sw_lines "$jsonl")

# What arrived, by record (seq, phase, probes), against what was written and when.
sw_poll 15 "rsyslog to receive the records written after the window" \
	sw_lines_at_least "$log" $((before + total - window_end))
sender=$(grep -E "scanwatch: syslog tls://127\.0\.0\.1:$PORT: [0-9]+ messages sent" "$SW_DIR/live.err" | tail -n 1)
[[ $sender =~ ([0-9]+)\ messages\ sent,\ ([0-9]+)\ dropped ]] || sw_fail "no sender counters: $sender"
sent=${BASH_REMATCH[1]} dropped=${BASH_REMATCH[2]}
out=$("$SW_PYTHON" - "$log" "$jsonl" "$before" "$window_end" <<'PY'
import json, re, sys
log, jsonl, before, window_end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
key = lambda seq, phase, probes: (int(seq), phase, int(probes))
got = []
for line in open(log, encoding="utf-8"):
    sd = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line.split("] ", 1)[0]))
    got.append(key(sd["seq"], sd["phase"], sd["probes"]))
recs = [json.loads(l) for l in open(jsonl)]
want = [key(r["event"]["id"], r["scanwatch"]["phase"], r["scanwatch"]["probes"]) for r in recs]
if len(set(got)) != len(got):
    sys.exit("a record arrived twice")
if not set(got) <= set(want):
    sys.exit(f"messages that were never records: {sorted(set(got) - set(want))[:5]}")
lost = [i for i, w in enumerate(want) if w not in set(got)]
outside = [i for i in lost if not before <= i < window_end]
if outside:
    sys.exit(f"records lost outside the cut window [{before}, {window_end}): {outside}")
print(len(lost))
PY
) || sw_fail "delivery around the cut: $out"
lost=$out
# The sender cannot know: it counted every record sent, none dropped.
((sent == total && dropped == 0)) || sw_fail "$total records, sender: $sender"
sw_rsyslog_stop

printf '[%s] figure: %d records; %d written while the collector was frozen, of which %d lost with its connection (sender: %d sent, %d dropped); none lost outside that window\n' \
	"$SW_TEST" "$total" "$in_window" "$lost" "$sent" "$dropped" >&2
