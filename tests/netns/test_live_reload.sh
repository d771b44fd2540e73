#!/usr/bin/env bash
# test_live_reload.sh — SIGHUP swaps rules without a restart (no kernel drops, SIGUSR1 stats); a broken rule file keeps the old rules.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init livehup
sw_require nmap
sw_netns_setup
sw_services tcp-echo:22 http:80

db=$SW_DIR/live.db
rules=$SW_DIR/rules.yaml
err=$SW_DIR/live.err
# One rule: SYN scans, at a threshold 20 ports can never reach.
sw_syn_rules "$rules" 1000 2s

syn_rows="SELECT count(*) FROM detections WHERE kind = 'syn_scan' AND src_ip = '$SW_SCAN4'"
all_closed_q="SELECT count(*) > 0 AND count(closed_at) = count(*) FROM detections"
stats_rows="SELECT count(*) FROM stats"

# Bounded: 20 explicit ports, one retry, hard 60 s limit.
scan20() { sw_in_scan timeout 60 nmap -sS -n -Pn -T4 --max-retries 1 -p 1-20 "$SW_TGT4" >>"$SW_DIR/nmap.out"; }

# sw_stats_now — SIGUSR1, then waits for the stats row it writes; prints
# that row's "packets|kernel_drops|if_drops|queue_depth".
stats_now() {
	local before
	before=$(sw_db_count "$db" "$stats_rows")
	kill -USR1 "$SW_SENSOR_PID"
	sw_poll 10 "a stats row after SIGUSR1" sw_db_at_least "$db" $((before + 1)) "$stats_rows"
	sw_sql "$db" "SELECT packets, kernel_drops, if_drops, queue_depth FROM stats ORDER BY id DESC LIMIT 1"
}

# The sensor starts before tcpdump, so it sees every packet tcpdump does.
sw_sensor_start live "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --db "$db" --rules "$rules"
sw_capture_start

# 1. The high threshold: the scan goes unreported. The barrier that the
#    sensor has seen the whole scan: a SIGUSR1 stats row counting at least
#    every packet tcpdump saw on the same veth (the end marker included),
#    with the writer queue empty.
scan20
sw_capture_stop
seen=$(($(sw_count "$SW_CAP" "") + 1))
sw_expect_distinct "SYNs to 20 ports" 20 dport "src host $SW_SCAN4 and tcp[tcpflags] == tcp-syn"
caught_up() {
	local row
	row=$(stats_now)
	IFS='|' read -r p _ _ q <<<"$row"
	((p >= seen && q == 0))
}
sw_poll 20 "the sensor to count all $seen packets of the first scan" caught_up
n=$(sw_db_count "$db" "SELECT count(*) FROM detections")
((n == 0)) || sw_fail "threshold 1000: 20 ports gave $n detection(s), expected none"
sw_log "threshold 1000: no detection for 20 ports, as intended"

# 2. The low threshold, loaded by SIGHUP: the same scan is now reported.
sw_syn_rules "$rules" 4 2s
kill -HUP "$SW_SENSOR_PID"
sw_poll 10 "the sensor to log the reload" sw_file_has "$err" "scanwatch: reloaded "
sw_sensor_alive
scan20
sw_poll 10 "a syn_scan detection under the reloaded rules" sw_db_at_least "$db" 1 "$syn_rows"
sw_sql "$db" "SELECT 1 FROM detections WHERE kind = 'syn_scan' AND src_ip = '$SW_SCAN4' AND probes_at_open >= 4" |
	grep -qx 1 || sw_fail "the detection does not show the reloaded threshold"
sw_log "after SIGHUP with threshold 4: detected without a restart (pid $SW_SENSOR_PID still running)"

# Zero kernel drops so far, from the sensor's own pcap_stats (SIGUSR1 row).
row=$(stats_now)
IFS='|' read -r packets kdrops ifdrops _ <<<"$row"
printf '[%s] figure: stats after the reload: %s packets, %s kernel drops, %s interface drops\n' \
	"$SW_TEST" "$packets" "$kdrops" "$ifdrops" >&2
[[ $kdrops == 0 ]] || sw_fail "kernel drops: '$kdrops' (expected 0)"
((packets > seen)) || sw_fail "stats count $packets packets, not more than the first scan's $seen"

# 3. A broken rule file: the error names FILE:LINE:COL, the old rules stay.
sw_poll 30 "the detection to close (idle 2 s) before the next scan" sw_db_at_least "$db" 1 "$all_closed_q"
before=$(sw_db_count "$db" "$syn_rows")
sw_syn_rules "$rules" many 2s # line 8, column 16: "threshold: many"
kill -HUP "$SW_SENSOR_PID"
sw_poll 10 "the sensor to report the broken rule file" sw_file_has "$err" \
	"$rules:8:16: threshold must be an integer, got 'many'"
sw_sensor_alive
grep -F -- "$rules:8:16:" "$err" >&2
scan20
sw_poll 10 "a second syn_scan detection under the kept rules" sw_db_at_least "$db" $((before + 1)) "$syn_rows"
sw_log "after SIGHUP with a broken file: error logged, still detecting with threshold 4"

sw_sensor_stop TERM
sw_show_detections "$db"
echo "----- stats rows:"
sw_sql -header "$db" "SELECT id, at, packets, bytes, kernel_drops, if_drops, queue_depth, queue_max, records_dropped, store_errors FROM stats ORDER BY id"
kd=$(sw_sql "$db" "SELECT max(kernel_drops) FROM stats")
[[ $kd == 0 ]] || sw_fail "kernel drops over the run: '$kd' (expected 0)"
