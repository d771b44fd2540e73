#!/usr/bin/env bash
# test_syslog_relp.sh — RELP (librelp) to a real rsyslogd (imrelp): every record arrives intact; the collector is frozen (SIGSTOP) while records are written, then killed (SIGKILL) mid-stream and restarted, and nothing is lost: what it never acknowledged is sent again (the case test_syslog_cut.sh shows plain TLS losing).
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/rsyslog.sh
. "$(dirname "${BASH_SOURCE[0]}")/rsyslog.sh"

sw_init syslog_relp
# Under ASan, librelp's own leak of the frame whose write broke the session (see the file).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SW_SOURCE_DIR/tests/netns/lsan_librelp.supp"
sw_require nmap
sw_netns_setup
sw_services tcp-echo:22 http:80
PORT=2514
sw_rsyslog_start_relp "$PORT"
log=$SW_DIR/rsyslog/relp.log

# 1. A replay: every record, fields equal to the store's rows.
caps=(-r "$SW_SOURCE_DIR/tests/captures/sample.pcapng")
if [[ -n ${SCANPROBE:-} ]]; then
	"$SCANPROBE" -sU -p 1-60 198.18.1.2 --write "$SW_DIR/p1.pcap" --seed 1 >/dev/null
	caps+=(-r "$SW_DIR/p1.pcap")
fi
sw_in_tgt "$SCANWATCH" "${caps[@]}" --db "$SW_DIR/replay.db" -q --jsonl "$SW_DIR/replay.jsonl" \
	--syslog "relp://127.0.0.1:$PORT?facility=local3" >"$SW_DIR/replay.out" 2>"$SW_DIR/replay.err" ||
	sw_fail "replay over RELP failed: $(cat "$SW_DIR/replay.err")"
n=$(sw_lines "$SW_DIR/replay.jsonl")
((n > 0)) || sw_fail "the replay produced no records"
sw_poll 10 "rsyslog to write $n RELP messages" sw_lines_at_least "$log" "$n"
cp "$log" "$SW_DIR/replay.log"
sw_syslog_check "$SW_DIR/replay.db" "$SW_DIR/replay.log" "$SW_DIR/replay.jsonl" all || sw_fail "RELP messages differ"
grep -Eq "scanwatch: syslog relp://127\.0\.0\.1:$PORT: $n messages sent, 0 dropped \(0 still waiting[^;]*$" "$SW_DIR/replay.err" ||
	sw_fail "the sender's counters: $(cat "$SW_DIR/replay.err")"

# 2. Live, and the cut of test_syslog_cut.sh: frozen, records written, killed, restarted.
from=$(sw_lines "$log")
rules=$SW_DIR/rules.yaml
sw_rules_idle "$rules" 2s
db=$SW_DIR/live.db
jsonl=$SW_DIR/live.jsonl
sw_sensor_start live "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --db "$db" --rules "$rules" \
	--jsonl "$jsonl" --syslog "relp://127.0.0.1:$PORT"
scan() {
	sw_in_scan timeout 30 nmap "$1" -n -Pn -T4 --max-retries 1 -p 1-100 "$SW_TGT4" >>"$SW_DIR/nmap.out" 2>&1 ||
		sw_fail "nmap $1 failed: $(tail -n 5 "$SW_DIR/nmap.out")"
}
closed() { sw_db_at_least "$db" 1 "SELECT count(*) >= $1 AND count(closed_at) = count(*) FROM detections"; }
scan -sS
sw_poll 20 "the first detection to close" closed 1
before=$(sw_lines "$jsonl")
sw_poll 10 "rsyslog to receive the first $before messages" sw_lines_at_least "$log" $((from + before))
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
arrived_window=$(($(sw_lines "$log") - from - before))
((arrived_window == 0)) || sw_fail "$arrived_window records reached a frozen collector?"
sw_log "rsyslogd frozen then killed with $in_window records written to it; restarting"
sw_rsyslog_start_relp "$PORT"
scan -sX
sw_poll 20 "the last detection to close" closed 4
sw_sensor_stop TERM
total=$(sw_lines "$jsonl")
sw_poll 15 "rsyslog to receive all $total messages" sw_lines_at_least "$log" $((from + total))
tail -n "+$((from + 1))" "$log" >"$SW_DIR/live.log"
# Every record once, fields equal to the store: the frozen window's records included.
sw_syslog_check "$db" "$SW_DIR/live.log" "$jsonl" all || sw_fail "records lost or changed across the cut"
sender=$(grep -E "scanwatch: syslog relp://127\.0\.0\.1:$PORT: [0-9]+ messages sent" "$SW_DIR/live.err" | tail -n 1)
[[ $sender =~ ([0-9]+)\ messages\ sent,\ ([0-9]+)\ dropped.*\ ([0-9]+)\ reconnects ]] || sw_fail "no sender counters: $sender"
sent=${BASH_REMATCH[1]} dropped=${BASH_REMATCH[2]} reconnects=${BASH_REMATCH[3]}
((sent == total && dropped == 0 && reconnects == 1)) || sw_fail "$total records, sender: $sender"
[[ $sender != *"did not answer"* ]] || sw_fail "the RELP close went unanswered: $sender"
sw_rsyslog_stop

printf '[%s] figure: replay %d records intact; live %d records, %d written while the collector was frozen then killed, all %d delivered after its restart (%d reconnect, %d dropped)\n' \
	"$SW_TEST" "$n" "$total" "$in_window" "$total" "$reconnects" "$dropped" >&2
