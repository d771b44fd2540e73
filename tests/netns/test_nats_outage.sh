#!/usr/bin/env bash
# test_nats_outage.sh — a live sensor publishes to a three-node JetStream cluster; the whole cluster is stopped for 30 s while nmap scans go on: the sensor keeps detecting, its records wait in the backlog (counted), and once the cluster returns the collector's store equals the sensor's own, nothing lost.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/nats.sh
. "$(dirname "${BASH_SOURCE[0]}")/nats.sh"

OUTAGE_S=30 # issue 19, acceptance: the whole cluster down for 30 s
# Once the nodes are back: the client's next reconnect attempt comes within 250 ms; a cluster
# restarted whole elects its meta and stream leaders again (14 s measured here), then the
# backlog drains.
RETURN_DEADLINE_S=45

sw_init natso
sw_require nmap
sw_netns_setup
sw_services tcp-echo:22 http:80
# The cluster hangs off the target namespace, where the sensor and the collector run.
sw_nats_cluster "$SW_NS_TGT"

db=$SW_DIR/live.db
central=$SW_DIR/central.db
rules=$SW_DIR/rules.yaml
# Idle 2 s: each scan's detection closes (by the live clock tick) soon after it ends, so
# detections open and close during the outage, not only after it.
sw_rules_idle "$rules" 2s
sw_collect_start "$central" "nats://$SW_NATS_NET.3:4222" 3
sw_sensor_start live "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --db "$db" --rules "$rules" \
	--sensor-id live-1 --stats-interval 5s --nats "nats://$SW_NATS_NET.1:4222"

all_closed_q="SELECT count(*) > 0 AND count(closed_at) = count(*) FROM detections"
# scan KIND-FLAG — one bounded nmap scan (100 ports, one retry, 30 s hard limit).
scan() {
	sw_in_scan timeout 30 nmap "$1" -n -Pn -T4 --max-retries 1 -p 1-100 "$SW_TGT4" >>"$SW_DIR/nmap.out" 2>&1 ||
		sw_fail "nmap $1 failed: $(tail -n 5 "$SW_DIR/nmap.out")"
}
central_is_own() { sw_sensor_alive && sw_central_equals "$central" live-1 "$db"; }

# Before: one scan, delivered while the cluster is up.
scan -sS
sw_poll 20 "the first detection to close" sw_db_at_least "$db" 1 "$all_closed_q"
sw_poll 20 "the first detection in the central store" central_is_own

# The outage: every node stopped, scans of several kinds go on for OUTAGE_S seconds.
for i in 1 2 3; do sw_nats_kill "$i" TERM; done
down_at=$(sw_now_us)
central_before=$(sw_db_count "$central" "SELECT count(*) FROM detections")
sw_log "cluster stopped; scanning for ${OUTAGE_S}s"
kinds=(-sF -sN -sX -sS -sA -sM -sW -sU)
i=0
while (($(sw_now_us) - down_at < (OUTAGE_S - 3) * 1000000)); do
	scan "${kinds[i % ${#kinds[@]}]}"
	i=$((i + 1))
	sleep 0.5
done
# The last detections close while the cluster is still down.
while (($(sw_now_us) - down_at < OUTAGE_S * 1000000)); do sleep "$SW_POLL_INTERVAL"; done
sw_sensor_alive
during=$(sw_db_count "$db" "SELECT count(*) FROM detections WHERE opened_at >= $down_at")
sw_log "outage: $i scans, $during detections opened while the cluster was down"
((during >= 5)) || sw_fail "only $during detections during the outage: the sensor stopped detecting?"
[[ $(sw_db_count "$central" "SELECT count(*) FROM detections") == "$central_before" ]] ||
	sw_fail "the central store grew while every node was down?"
# The stats line says what waits: a backlog, the collector down.
kill -USR1 "$SW_SENSOR_PID"
backlog_seen() { grep -q 'nats sent [0-9]*, acked [0-9]*, backlog [1-9][0-9]* .*(collector down)' "$SW_DIR/live.err"; }
sw_poll 10 "a stats line showing the records waiting" backlog_seen

# The cluster returns (same stores): the backlog must drain with no new record to push it.
for i in 1 2 3; do sw_nats_start "$i"; done
up_at=$(sw_now_us)
sw_poll "$RETURN_DEADLINE_S" "the central store to catch up with the sensor's" central_is_own
sw_log "the backlog drained $((($(sw_now_us) - up_at) / 1000)) ms after the cluster returned"

# Stopping closes what is still open; those last records go out before the sensor exits.
sw_sensor_stop TERM
grep -q 'nats nats://[0-9.:]*: .* 0 dropped (0 still waiting at exit)' "$SW_DIR/live.err" ||
	sw_fail "the sensor lost records: $(grep 'scanwatch: nats' "$SW_DIR/live.err")"
sw_poll 20 "the central store to equal the sensor's after it stopped" sw_central_equals "$central" live-1 "$db"
sw_collect_stop
n=$(sw_sql "$db" "SELECT count(*) FROM detections")
[[ $(sw_sql "$central" "SELECT count(*) FROM detections") == "$n" ]] || sw_fail "row counts differ"
sw_log "all $n detections of the live sensor reached the central store exactly once through a ${OUTAGE_S}s outage"
