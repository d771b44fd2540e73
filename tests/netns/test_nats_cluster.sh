#!/usr/bin/env bash
# test_nats_cluster.sh — two sensors replay different captures into a three-node nats-server JetStream cluster (stream replicated three ways) while the node one sensor is connected to is killed and restarted; the collector's central store then equals the union of the sensors' own stores, every row exactly once, and scanners both sensors saw form cross-sensor groups.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/nats.sh
. "$(dirname "${BASH_SOURCE[0]}")/nats.sh"

# How long everything may take to reach the central store once the last sensor has ended.
DRAIN_DEADLINE_S=60

sw_init natsc
[[ -n ${SCANPROBE:-} && -x $SCANPROBE ]] || sw_fail "SCANPROBE (the bundled prober) is needed to write the captures"
sw_nats_hub hub
sw_nats_cluster "$SW_NATS_HUB"

# The captures, written by scanprobe's dry run (nothing is sent): sensor A's SYN scans from
# 150 scanners 198.18.0.10-159, sensor B's FIN scans from 150 scanners 198.18.0.100-249. The
# 60 addresses 198.18.0.100-159 scan both segments: 60 cross-sensor groups.
"$SCANPROBE" -sS --scanners 150 -S 198.18.0.10 -p 1-40 198.18.1.2 --seed 1 --write "$SW_DIR/a.pcap" >/dev/null
"$SCANPROBE" -sF --scanners 150 -S 198.18.0.100 -p 1-40 198.18.1.3 --seed 2 --write "$SW_DIR/b.pcap" >/dev/null
# Sensor A reads its capture from a pipe in two halves, so node 1 can be killed while A is
# between them, connected and publishing; a pcap's second half is its packets without the
# 24-byte file header (pcap-savefile(5)).
total=$(tcpdump -r "$SW_DIR/a.pcap" -nn 2>/dev/null | wc -l)
half=$((total / 2))
tcpdump -r "$SW_DIR/a.pcap" -c "$half" -w "$SW_DIR/a1.pcap" 2>/dev/null
editcap -F pcap -r "$SW_DIR/a.pcap" "$SW_DIR/a2.pcap" "$((half + 1))-$total" 2>/dev/null ||
	sw_fail "editcap could not cut the capture"
[[ $(tcpdump -r "$SW_DIR/a2.pcap" -nn 2>/dev/null | wc -l) == $((total - half)) ]] ||
	sw_fail "the second half of the capture is not what was cut"

central=$SW_DIR/central.db
sw_collect_start "$central" "nats://$SW_NATS_NET.3:4222" 3

mkfifo "$SW_DIR/a.fifo"
ip netns exec "$SW_NATS_HUB" "$SCANWATCH" -r - --db "$SW_DIR/a.db" -q --sensor-id edge-a \
	--site-tag site=par1 --nats "nats://$SW_NATS_NET.1:4222" <"$SW_DIR/a.fifo" \
	>"$SW_DIR/a.out" 2>"$SW_DIR/a.err" &
pid_a=$!
exec 3>"$SW_DIR/a.fifo"
cat "$SW_DIR/a1.pcap" >&3
a_central() { sw_db_count "$central" "SELECT count(*) FROM detections d JOIN runs r ON r.id = d.run_id WHERE r.sensor_id = 'edge-a'"; }
a_some() { (($(a_central) >= 20)); }
sw_poll 30 "sensor A's first records in the central store" a_some
sw_log "sensor A: $(a_central) detections central before the crash; killing node 1"

# Node 1, sensor A's server, crashes; A's second half and sensor B's whole capture go on.
sw_nats_kill 1
tail -c +25 "$SW_DIR/a2.pcap" >&3
exec 3>&-
ip netns exec "$SW_NATS_HUB" "$SCANWATCH" -r "$SW_DIR/b.pcap" --db "$SW_DIR/b.db" -q \
	--sensor-id edge-b --nats "nats://$SW_NATS_NET.2:4222" >"$SW_DIR/b.out" 2>"$SW_DIR/b.err" &
pid_b=$!
# Node 1 comes back with its store while the records still flow.
sw_nats_start 1

rc=0
wait "$pid_a" || rc=$?
((rc == 0)) || sw_fail "sensor A exited $rc: $(cat "$SW_DIR/a.err")"
wait "$pid_b" || rc=$?
((rc == 0)) || sw_fail "sensor B exited $rc: $(cat "$SW_DIR/b.err")"
cat "$SW_DIR/a.err" "$SW_DIR/b.err" >&2
grep -q ' 0 dropped (0 still waiting at exit)' "$SW_DIR/a.err" || sw_fail "sensor A lost records"
grep -q ' 0 dropped (0 still waiting at exit)' "$SW_DIR/b.err" || sw_fail "sensor B lost records"
# A was connected to node 1 when it died: it must have gone on through another node.
reconnects=$(sed -n 's/.* \([0-9]*\) reconnects.*/\1/p' "$SW_DIR/a.err")
((reconnects >= 1)) || sw_fail "sensor A never reconnected: node 1 died after it had finished?"

na=$(sw_sql "$SW_DIR/a.db" "SELECT count(*) FROM detections")
nb=$(sw_sql "$SW_DIR/b.db" "SELECT count(*) FROM detections")
((na > 100 && nb > 100)) || sw_fail "too few detections to mean anything: A $na, B $nb"
sw_poll "$DRAIN_DEADLINE_S" "the central store to equal the union of the sensors' stores ($na + $nb rows)" \
	sw_central_equals "$central" edge-a "$SW_DIR/a.db" edge-b "$SW_DIR/b.db"
sw_collect_stop

# Exactly once: as many rows as the two stores together, one run per sensor.
[[ $(sw_sql "$central" "SELECT count(*) FROM detections") == $((na + nb)) ]] ||
	sw_fail "the central store has $(sw_sql "$central" "SELECT count(*) FROM detections") rows, not $((na + nb))"
[[ $(sw_sql "$central" "SELECT group_concat(sensor_id || ' ' || site_tags, ';') FROM (SELECT * FROM runs ORDER BY sensor_id)") == 'edge-a ["site=par1"];edge-b []' ]] ||
	sw_fail "central runs: $(sw_sql "$central" "SELECT * FROM runs")"
# Cross-sensor correlation: the 60 shared scanner addresses, each seen by both sensors.
groups=$(sw_sql "$central" "SELECT count(*) FROM cross_sensor WHERE sensors = 2 AND sensor_ids IN ('edge-a,edge-b', 'edge-b,edge-a')")
all_groups=$(sw_sql "$central" "SELECT count(*) FROM cross_sensor")
shared=$(sw_sql "$central" "SELECT count(*) FROM cross_sensor WHERE src_ip BETWEEN '198.18.0.100' AND '198.18.0.159' AND length(src_ip) = 12")
sw_log "central: $((na + nb)) rows ($na from edge-a, $nb from edge-b); $all_groups cross-sensor groups, $shared of the 60 shared scanners"
((groups == all_groups && shared == 60 && all_groups == 60)) ||
	sw_fail "cross-sensor groups: $all_groups ($groups of both sensors, $shared in 198.18.0.100-159), expected 60"
# query --cross-sensor prints the same groups, through the store's reader.
[[ $("$SCANWATCH" query --cross-sensor --db "$central" | grep -c ' edge-a,edge-b$') == 60 ]] ||
	sw_fail "query --cross-sensor: $("$SCANWATCH" query --cross-sensor --db "$central" | head -5)"
# query reads the two sensors' stores as one, with their sensors.
"$SCANWATCH" query --db "$SW_DIR/a.db" --db "$SW_DIR/b.db" --format csv >"$SW_DIR/fleet.csv"
[[ $(($(wc -l <"$SW_DIR/fleet.csv") - 1)) == $((na + nb)) ]] || sw_fail "query over both stores lost rows"
sw_log "the central store equals the union of the sensors' stores, every row once"
