# nats.sh — helpers sourced by the NATS tests: a three-node nats-server JetStream cluster, each node in its own network namespace, joined by a bridge in a hub namespace; the collector; the differential check of a central store against the sensors' own.
#
# Topology (all inside namespaces this file creates, named swt-SHORT-PID-nI, and the hub
# namespace the caller names; no default route anywhere):
#
#   hub namespace: bridge sw-nbr 198.18.10.254/24 ── veth ── nI namespace: 198.18.10.I/24
#                                                            nats-server nI: client 4222,
#                                                            cluster routes 6222
#
# The sensors and the collector run in the hub namespace and reach the nodes on 198.18.10.1-3
# (RFC 2544 benchmarking addresses). Each node keeps its JetStream store under
# $SW_DIR/nats/nI, so a node killed with SIGKILL and started again comes back with its data,
# as a crashed server would. Teardown (lib.sh) ends every process of every namespace and
# deletes them by name.
#
# Usage (after sw_init; HUB is an existing namespace, e.g. $SW_NS_TGT, or one made by
# sw_nats_hub):
#   sw_nats_cluster HUB        # three namespaces, three nodes started, all ready
#   sw_nats_kill 1; sw_nats_start 1
#   sw_collect_start central.db nats://198.18.10.3:4222   # stream made with 3 replicas
#   sw_central_equals central.db name1 db1 name2 db2     # for sw_poll
#   sw_collect_stop

SW_NATS_NET=198.18.10
SW_NATS_HUB_ADDR=$SW_NATS_NET.254
SW_NATS_BR=sw-nbr
SW_NATS_PIDS=(0 0 0 0) # by node number (1-3)
SW_NATS_HUB=
SW_COLLECT_PID=

# sw_nats_hub NAME — a namespace of its own for the hub (tests that need no capture link).
sw_nats_hub() {
	SW_NATS_HUB=swt-$SW_SHORT-$$-$1
	sw_ns_add "$SW_NATS_HUB"
}

sw_nats_ns() { echo "swt-$SW_SHORT-$$-n$1"; }

# sw_nats_cluster HUB — the bridge in HUB, three node namespaces, three nodes up.
sw_nats_cluster() {
	local hub=$1 i ns
	sw_require nats-server
	SW_NATS_HUB=$hub
	ip -n "$hub" link add "$SW_NATS_BR" type bridge || sw_fail "cannot create the bridge in $hub"
	ip -n "$hub" addr add "$SW_NATS_HUB_ADDR/24" dev "$SW_NATS_BR"
	ip -n "$hub" link set "$SW_NATS_BR" up
	for i in 1 2 3; do
		ns=$(sw_nats_ns "$i")
		sw_ns_add "$ns"
		# Made in the node's namespace, its peer moved straight into the hub's.
		ip -n "$ns" link add "sw-n$i" type veth peer name "sw-nb$i" netns "$hub" ||
			sw_fail "cannot create the veth pair of node $i"
		ip -n "$ns" addr add "$SW_NATS_NET.$i/24" dev "sw-n$i"
		ip -n "$ns" link set "sw-n$i" up
		ip -n "$hub" link set "sw-nb$i" master "$SW_NATS_BR"
		ip -n "$hub" link set "sw-nb$i" up
		sw_check_no_default_route "$ns"
		sw_nats_config "$i"
	done
	sw_check_no_default_route "$hub"
	for i in 1 2 3; do
		sw_nats_start "$i"
	done
}

# sw_nats_config I — node I's configuration: JetStream with a small store, the cluster's
# routes to all three (a route to itself is ignored by nats-server).
sw_nats_config() {
	local i=$1 d
	d=$SW_DIR/nats
	mkdir -p "$d/n$i"
	cat >"$d/n$i.conf" <<CONF
# nats-server node $i of $SW_TEST (namespace $(sw_nats_ns "$i")).
server_name: n$i
listen: $SW_NATS_NET.$i:4222
jetstream {
  store_dir: "$d/n$i"
  max_memory_store: 64MB
  max_file_store: 256MB
}
cluster {
  name: swtest
  listen: $SW_NATS_NET.$i:6222
  routes: [
    nats-route://$SW_NATS_NET.1:6222
    nats-route://$SW_NATS_NET.2:6222
    nats-route://$SW_NATS_NET.3:6222
  ]
}
CONF
}

# sw_nats_start I — starts node I and returns once it serves clients.
sw_nats_start() {
	local i=$1 log
	log=$SW_DIR/nats/n$1.log
	: >"$log"
	ip netns exec "$(sw_nats_ns "$i")" nats-server -c "$SW_DIR/nats/n$i.conf" -l "$log" \
		>/dev/null 2>&1 &
	SW_NATS_PIDS[i]=$!
	sw_poll "$SW_POLL_DEADLINE" "nats node $i to be ready" sw_nats_ready "$i"
	sw_log "nats node $i (pid ${SW_NATS_PIDS[i]}) ready on $SW_NATS_NET.$i:4222"
}

sw_nats_ready() {
	kill -0 "${SW_NATS_PIDS[$1]}" 2>/dev/null ||
		sw_fail "nats node $1 exited: $(tail -n 5 "$SW_DIR/nats/n$1.log")"
	sw_file_has "$SW_DIR/nats/n$1.log" "Server is ready"
}

# sw_nats_kill I [SIGNAL] — ends node I (default SIGKILL: a crash) by its exact pid and waits.
sw_nats_kill() {
	local i=$1 sig
	sig=${2:-KILL}
	kill -"$sig" "${SW_NATS_PIDS[i]}" 2>/dev/null || sw_fail "nats node $i was not running"
	wait "${SW_NATS_PIDS[i]}" 2>/dev/null || true
	sw_log "nats node $i stopped (SIG$sig)"
}

# sw_collect_start DB URL [REPLICAS] — the collector in the hub namespace; returns once its
# durable consumer exists (the stream made, replicated REPLICAS ways, default 3).
sw_collect_start() {
	local db=$1 url=$2 replicas
	replicas=${3:-3}
	ip netns exec "$SW_NATS_HUB" "$SCANWATCH" collect --nats "$url" --db "$db" \
		--replicas "$replicas" >"$SW_DIR/collect.out" 2>"$SW_DIR/collect.err" &
	SW_COLLECT_PID=$!
	sw_poll 60 "the collector's stream and consumer" sw_collect_ready
	sw_log "collector (pid $SW_COLLECT_PID) consuming into $db"
}

sw_collect_ready() {
	kill -0 "$SW_COLLECT_PID" 2>/dev/null || sw_fail "the collector exited: $(cat "$SW_DIR/collect.err")"
	sw_file_has "$SW_DIR/collect.err" "consuming"
}

# sw_collect_stop — SIGTERM, exit 0 required; prints its summary.
sw_collect_stop() {
	local rc=0
	kill -TERM "$SW_COLLECT_PID"
	wait "$SW_COLLECT_PID" || rc=$?
	cat "$SW_DIR/collect.err" >&2
	((rc == 0)) || sw_fail "the collector exited with status $rc"
}

# The key columns of a detection, the same in a sensor's store and the central one.
SW_KEY_COLS="seq, rule_id, kind, severity, src_ip, coalesce(target_ip, '-'), proto, first_seen,
	opened_at, last_seen, coalesce(closed_at, '-'), probes, probes_at_open, distinct_targets,
	distinct_ports, sample_ports, sample_targets, sample_sources, tags, coalesce(tool, '-'),
	coalesce(campaign, '-'), evidence, reasons"

# sw_own_dump SENSOR DB — a sensor's own store, each row prefixed with its sensor id.
sw_own_dump() {
	sw_sql -separator '|' "$2" "SELECT r.sensor_id, $SW_KEY_COLS FROM detections d
		JOIN runs r ON r.id = d.run_id WHERE r.sensor_id = '$1'"
}

# sw_central_dump DB — every row of the central store with its sensor.
sw_central_dump() {
	sw_sql -cmd '.timeout 2000' -separator '|' "$1" "SELECT r.sensor_id, $SW_KEY_COLS
		FROM detections d JOIN runs r ON r.id = d.run_id"
}

# sw_central_equals CENTRAL SENSOR DB [SENSOR DB ...] — true when the central store holds
# exactly the union of the sensors' stores: the same rows, each once (for sw_poll; the last
# dumps stay in $SW_DIR/union.rows and central.rows for the evidence).
sw_central_equals() {
	local central=$1
	shift
	[[ -f $central ]] || return 1
	while (($# > 0)); do
		sw_own_dump "$1" "$2" || return 1
		shift 2
	done | LC_ALL=C sort >"$SW_DIR/union.rows"
	sw_central_dump "$central" 2>/dev/null | LC_ALL=C sort >"$SW_DIR/central.rows" || return 1
	[[ -s $SW_DIR/union.rows ]] && cmp -s "$SW_DIR/union.rows" "$SW_DIR/central.rows"
}
