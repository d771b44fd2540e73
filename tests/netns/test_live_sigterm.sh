#!/usr/bin/env bash
# test_live_sigterm.sh — SIGTERM in the middle of a long scan: clean exit, a database that passes integrity_check and holds the detection, closed.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init liveterm
sw_require nmap
sw_netns_setup
sw_services tcp-echo:22 http:80

db=$SW_DIR/live.db
syn_rows="SELECT count(*) FROM detections WHERE kind = 'syn_scan' AND src_ip = '$SW_SCAN4'"

# Built-in rules (idle 30 s): nothing closes on its own during this test,
# so a closed detection can only come from the shutdown path.
# Three workers: the capture is read on a thread of its own (readahead.c), which a stop
# must end too, and the rules run on another (pipeline.c).
sw_sensor_start live "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --db "$db" --workers 3

# A long-ish scan in the background: 20000 ports at 2000 packets/s take about
# 10 s. Bounded in count (explicit ports, no retries) and in time (timeout).
sw_bg "$SW_NS_SCAN" nmap timeout 60 nmap -sS -n -Pn --max-retries 0 --max-rate 2000 \
	-p 1-20000 "$SW_TGT4"
nmap_pid=$SW_LAST_PID

sw_poll 10 "the detection to open while the scan runs" sw_db_at_least "$db" 1 "$syn_rows"
kill -0 "$nmap_pid" 2>/dev/null || sw_fail "the scan ended before the sensor was stopped; nothing tests mid-scan shutdown"
open_before=$(sw_db_count "$db" "SELECT count(*) FROM detections WHERE closed_at IS NULL")
sw_log "detection open ($open_before open row(s)) with the scan still running; sending SIGTERM"
t0=$(sw_now_us)
sw_sensor_stop TERM
t1=$(sw_now_us)
printf '[%s] figure: sensor exited %d ms after SIGTERM, mid-scan\n' "$SW_TEST" $(((t1 - t0) / 1000)) >&2
# The scan is no longer needed: end it (its own pid; teardown would too).
kill -TERM "$nmap_pid" 2>/dev/null || true
wait "$nmap_pid" 2>/dev/null || true

sw_show_detections "$db"
ic=$(sw_sql "$db" "PRAGMA integrity_check")
[[ $ic == ok ]] || sw_fail "PRAGMA integrity_check: $ic"
sw_log "PRAGMA integrity_check: ok"
n=$(sw_sql "$db" "$syn_rows AND closed_at IS NOT NULL AND closed_at >= last_seen")
((n >= 1)) || sw_fail "no closed syn_scan detection from $SW_SCAN4 after SIGTERM"
n=$(sw_sql "$db" "SELECT count(*) FROM detections WHERE closed_at IS NULL")
((n == 0)) || sw_fail "$n detection(s) left open after SIGTERM"
probes=$(sw_sql "$db" "SELECT max(probes) FROM detections WHERE kind = 'syn_scan' AND src_ip = '$SW_SCAN4'")
sw_log "syn_scan detection closed at shutdown with $probes probes"
# The run is finished and the final statistics are written.
ended=$(sw_sql "$db" "SELECT count(*) FROM runs WHERE ended_at IS NOT NULL")
((ended == 1)) || sw_fail "the run has no ended_at after SIGTERM"
st=$(sw_sql "$db" "SELECT count(*) FROM stats")
((st >= 1)) || sw_fail "no statistics row written at exit"
# The last statistics line, a line per worker: at a stop the packet loop takes every
# packet the reader had read (readahead_stop_reading), so the two counts agree.
err=$SW_DIR/live.err
reader=$(sed -n 's/.*worker 1 of 3 (capture reader): .* CPU, \([0-9]*\) packets read.*/\1/p' "$err" | tail -n 1)
loop=$(sed -n 's/.*worker 2 of 3 (decode, classify): .* CPU, \([0-9]*\) packets.*/\1/p' "$err" | tail -n 1)
rules=$(sed -n 's/.*worker 3 of 3 (detection): .* CPU, \([0-9]*\) events.*/\1/p' "$err" | tail -n 1)
[[ -n $rules ]] || sw_fail "no detection thread's line in the last statistics: $(grep worker "$err")"
[[ -n $reader && -n $loop ]] || sw_fail "no per-worker lines in the last statistics: $(grep worker "$err")"
((reader == loop && loop > 0)) || sw_fail "the reader read $reader packets, the packet loop took $loop"
sw_log "workers: the reader read $reader packets, the packet loop took $loop"
# A clean close checkpoints the write-ahead log and removes it.
[[ ! -e $db-wal ]] || sw_fail "$db-wal still exists: the database was not closed cleanly"
