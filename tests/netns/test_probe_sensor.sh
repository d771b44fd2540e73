#!/usr/bin/env bash
# test_probe_sensor.sh — scanprobe, live over raw sockets, against a target namespace where the
# sensor captures: every kind scanprobe sends is detected live with the right kind.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init probesensor
[[ -x ${SCANPROBE:-} ]] || sw_fail "SCANPROBE is not set to the scanprobe binary"
sw_netns_setup
sw_services tcp-echo:22 http:80 udp-echo:53
# Closed UDP ports must answer: lift the ICMP rate limit in the target namespace only.
sw_in_tgt sh -c 'echo 0 >/proc/sys/net/ipv4/icmp_ratelimit'
# A routed /26 behind the target for the sweeps: the first 16 addresses answer.
sw_route_sweep_net 198.18.1.0/26 198.18.1.0/28

# name | scanprobe arguments (bounded: explicit ports/counts) | acceptable kinds
cases=(
	"syn|-sS -p 1-100 $SW_TGT4|syn_scan"
	"connect|-sT -p 1-100 $SW_TGT4|connect_scan"
	"fin|-sF -p 1-100 $SW_TGT4|fin_scan"
	"null|-sN -p 1-100 $SW_TGT4|null_scan"
	"xmas|-sX -p 1-100 $SW_TGT4|xmas_scan"
	"ack|-sA -p 1-100 $SW_TGT4|ack_scan"
	"maimon|-sM -p 1-100 $SW_TGT4|maimon_scan"
	"window|-sW -p 1-100 $SW_TGT4|window_scan,ack_scan"
	"udp|-sU -p 40-80 $SW_TGT4|udp_scan"
	"proto|-sO -p 1-40 $SW_TGT4|ip_proto_scan"
	"ping|-sn -PE 198.18.1.0/26|icmp_sweep"
	"tcpping|-sn -PS80 198.18.1.0/26|tcp_sweep,syn_scan"
	"synflood|--flood syn --count 2000 -p 80 $SW_TGT4|syn_flood"
	"rstflood|--flood rst --count 500 -p 80 $SW_TGT4|rst_flood"
	"syn6|-6 -sS -p 1-100 $SW_TGT6|syn_scan"
)

results=()
for c in "${cases[@]}"; do
	IFS='|' read -r name args kinds <<<"$c"
	db=$SW_DIR/$name.db
	sw_sensor_start "sensor-$name" "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --db "$db" -q
	# shellcheck disable=SC2086 # the argument list is meant to split
	sw_in_scan timeout 120 "$SCANPROBE" $args --max-duration 60 --seed 7 >"$SW_DIR/$name.probe" 2>&1 ||
		{ cat "$SW_DIR/$name.probe"; sw_fail "scanprobe $args failed"; }
	want="SELECT count(*) FROM detections WHERE kind IN ('${kinds//,/\',\'}')"
	sw_poll 10 "a $kinds detection of scanprobe $name" sw_db_at_least "$db" 1 "$want"
	sw_sensor_stop TERM >/dev/null
	got=$(sw_sql "$db" "SELECT kind || ' from ' || src_ip || ', ' || probes_at_open || ' probes at opening, tool ' || coalesce(tool, '-') FROM detections WHERE kind IN ('${kinds//,/\',\'}') ORDER BY seq LIMIT 1")
	results+=("$(printf '%-9s %-34s %s' "$name" "$args" "$got")")
done
echo "scanprobe kind     arguments                          detected live"
printf '%s\n' "${results[@]}"
sw_log "all ${#cases[@]} kinds detected live"
