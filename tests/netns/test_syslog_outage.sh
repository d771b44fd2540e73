#!/usr/bin/env bash
# test_syslog_outage.sh — live sensor feeding rsyslog over TCP; rsyslog is stopped for 30 s while scans go on: no kernel drops, detection continues, the outage's records arrive after rsyslog returns (or are counted dropped), SQLite has all of them.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/rsyslog.sh
. "$(dirname "${BASH_SOURCE[0]}")/rsyslog.sh"

OUTAGE_S=30 # issue 6, acceptance 3
# After rsyslog returns, the sender's next attempt comes within its backoff (0.5 s doubling
# to 30 s: the attempt after a 30 s outage is at most ~32 s after it began, or 30 s after
# the previous one); then the backlog drains at once.
RETURN_DEADLINE_S=45

sw_init outage
sw_require nmap
sw_netns_setup
sw_services tcp-echo:22 http:80

db=$SW_DIR/live.db
jsonl=$SW_DIR/live.jsonl
rules=$SW_DIR/rules.yaml
# Idle 2 s: each scan's detection closes (by the live clock tick) soon after it ends, so
# detections open and close during the outage, not only after it.
sw_rules_idle "$rules" 2s
log=$SW_DIR/rsyslog/tcp.log

# The collector listens on the target namespace's own loopback, where the sensor runs.
sw_rsyslog_start 5514 5515
sw_sensor_start live "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --db "$db" --rules "$rules" \
	--jsonl "$jsonl" --syslog "tcp://127.0.0.1:$SW_RSYSLOG_TCP"

all_closed_q="SELECT count(*) > 0 AND count(closed_at) = count(*) FROM detections"
# scan KIND-FLAG — one bounded nmap scan (100 ports, one retry, 30 s hard limit).
scan() {
	sw_in_scan timeout 30 nmap "$1" -n -Pn -T4 --max-retries 1 -p 1-100 "$SW_TGT4" >>"$SW_DIR/nmap.out" 2>&1 ||
		sw_fail "nmap $1 failed: $(tail -n 5 "$SW_DIR/nmap.out")"
}

# Before: one scan, delivered while the collector is up.
scan -sS
sw_poll 20 "the first detection to close" sw_db_at_least "$db" 1 "$all_closed_q"
before=$(sw_lines "$jsonl")
sw_poll 10 "rsyslog to receive the first $before messages" sw_lines_at_least "$log" "$before"

# The outage: rsyslog stopped, scans of several kinds go on for OUTAGE_S seconds.
sw_rsyslog_stop
down_at=$(sw_now_us)
sw_log "rsyslog stopped; scanning for ${OUTAGE_S}s"
kinds=(-sF -sN -sX -sS -sA -sM -sW -sU)
i=0
while (($(sw_now_us) - down_at < (OUTAGE_S - 3) * 1000000)); do
	scan "${kinds[i % ${#kinds[@]}]}"
	i=$((i + 1))
	sleep 0.5
done
# The last detections close while the collector is still down.
while (($(sw_now_us) - down_at < OUTAGE_S * 1000000)); do sleep "$SW_POLL_INTERVAL"; done
sw_sensor_alive
during=$(sw_db_count "$db" "SELECT count(*) FROM detections WHERE opened_at >= $down_at")
records_down=$(($(sw_lines "$jsonl") - before))
arrived_down=$(($(sw_lines "$log") - before))
sw_log "outage: $i scans, $during detections opened, $records_down records written while rsyslog was down"
((during >= 5)) || sw_fail "only $during detections during the outage: the sensor stopped detecting?"
((arrived_down == 0)) || sw_fail "$arrived_down messages reached a stopped collector?"

# The collector returns on the same port: the backlog must arrive with no new record to
# push it (the writer thread's tick retries the connection).
sw_rsyslog_start 5514 5515
up_at=$(sw_now_us)
waiting=$(sw_lines "$jsonl")
sw_poll "$RETURN_DEADLINE_S" "rsyslog to receive the $waiting messages written so far" \
	sw_lines_at_least "$log" "$waiting"
back=$(($(sw_now_us) - up_at))
sw_sensor_alive

# Stopping closes what is still open; those last records go out before the sensor exits.
sw_sensor_stop TERM
total=$(sw_lines "$jsonl")
sw_poll 10 "rsyslog to receive all $total messages" sw_lines_at_least "$log" "$total"
err=$SW_DIR/live.err
stats=$(grep 'scanwatch: stats (exit)' "$err") || sw_fail "no exit statistics"
[[ $stats =~ kernel\ drops\ 0, ]] || sw_fail "kernel drops: $stats"
[[ $stats =~ records\ dropped\ 0, ]] || sw_fail "emit queue drops: $stats"
sender=$(grep -E "scanwatch: syslog tcp://127\.0\.0\.1:$SW_RSYSLOG_TCP: " "$err" | tail -n 1)
[[ $sender =~ ([0-9]+)\ messages\ sent,\ ([0-9]+)\ dropped.*\ ([0-9]+)\ reconnects ]] ||
	sw_fail "no sender counters: $sender"
sent=${BASH_REMATCH[1]} dropped=${BASH_REMATCH[2]} reconnects=${BASH_REMATCH[3]}
((reconnects >= 1)) || sw_fail "the sender never reconnected: $sender"
# Within the backlog bound nothing may be lost; every record is either sent or counted.
((dropped == 0 && sent == total)) || sw_fail "$total records, $sent sent, $dropped dropped: $sender"

# Every record arrived once, fields equal to SQLite, which holds every detection.
sw_syslog_check "$db" "$log" "$jsonl" all || sw_fail "the collector's messages differ from the store"
rows=$(sw_sql "$db" "SELECT count(*) FROM detections")
seqs=$("$SW_PYTHON" -c 'import json, sys
print(len({json.loads(l)["event"]["id"] for l in open(sys.argv[1])}))' "$jsonl")
((rows == seqs)) || sw_fail "SQLite has $rows detections, the feed $seqs"
sw_rsyslog_stop

printf '[%s] figure: outage %d s; %d scans; %d detections opened and %d records written during it; the collector had all %d records written so far %d.%01d s after it returned; %d records in all, %d reconnect(s), %d dropped, kernel drops 0\n' \
	"$SW_TEST" "$OUTAGE_S" "$i" "$during" "$records_down" "$waiting" $((back / 1000000)) $((back % 1000000 / 100000)) "$total" \
	"$reconnects" "$dropped" >&2
