#!/usr/bin/env bash
# test_live_privs.sh — -Z nobody leaves no root id and capture goes on; as nobody with only CAP_NET_RAW (ambient) it starts, captures and detects.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init liveprv
sw_require nmap setpriv
sw_netns_setup
sw_services tcp-echo:22 http:80

id -u nobody >/dev/null 2>&1 || sw_fail "user nobody does not exist"
nobody_uid=$(id -u nobody)
nobody_gid=$(id -g nobody)
nobody_group=$(id -gn nobody)

# What the unprivileged sensor reads and writes lives in a directory of its
# own under /tmp: the build tree may sit under a home directory that nobody
# cannot enter. The binary is copied there for the same reason.
sw_tmpdir
tmp=$SW_TMPDIR
install -m 755 "$SCANWATCH" "$tmp/scanwatch"
sw_rules_idle "$tmp/rules.yaml" 2s
chmod 644 "$tmp/rules.yaml"
install -d -o nobody -g "$nobody_group" -m 755 "$tmp/db"
# The test reads the databases as nobody too, so no root-owned -shm or -wal
# file ever stands in the sensor's way.
SW_DB_AS="setpriv --reuid=$nobody_uid --regid=$nobody_gid --clear-groups"

syn_rows="SELECT count(*) FROM detections WHERE kind = 'syn_scan' AND src_ip = '$SW_SCAN4'"

# scan PORTS — bounded: explicit ports, one retry, hard 60 s limit.
scan() { sw_in_scan timeout 60 nmap -sS -n -Pn -T4 --max-retries 1 -p "$1" "$SW_TGT4" >>"$SW_DIR/nmap.out"; }

# uid_dropped PID — true once every Uid field is nobody's (for sw_poll: the
# drop follows the capture's activation, so it may trail "listening on").
uid_dropped() {
	sw_sensor_alive
	[[ $(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status") == "$nobody_uid $nobody_uid $nobody_uid $nobody_uid" ]]
}

# ids_not_root PID — every Uid and Gid field (real, effective, saved, fs) is
# nobody's, none is 0, no supplementary group is 0, and no capability is left.
ids_not_root() {
	local pid=$1 uid gid groups capeff f
	uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	gid=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status")
	capeff=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")
	sw_log "pid $pid: Uid: $uid; Gid: $gid; Groups:$groups; CapEff: $capeff"
	[[ $uid == "$nobody_uid $nobody_uid $nobody_uid $nobody_uid" ]] || sw_fail "Uid fields are '$uid', expected nobody ($nobody_uid) in all four"
	[[ $gid == "$nobody_gid $nobody_gid $nobody_gid $nobody_gid" ]] || sw_fail "Gid fields are '$gid', expected nobody's group ($nobody_gid) in all four"
	for f in $groups; do
		((f != 0)) || sw_fail "supplementary group 0 (root) kept"
	done
	echo "$capeff"
}

# 1. Started as root, -Z nobody: the drop happens once the capture is open.
db1=$tmp/db/dropped.db
sw_sensor_start dropped "$tmp/scanwatch" -i "$SW_IF_TGT" -Z nobody --db "$db1" --rules "$tmp/rules.yaml"
sw_poll 5 "the sensor to drop to nobody" uid_dropped "$SW_SENSOR_PID"
capeff=$(ids_not_root "$SW_SENSOR_PID")
[[ $capeff == 0000000000000000 ]] || sw_fail "after -Z nobody CapEff is $capeff, expected none"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$SW_SENSOR_PID/status" || sw_fail "no_new_privs is not set after -Z"
# Capture goes on after the drop: a scan is still detected.
scan 1-100
sw_poll 10 "a syn_scan detection from the sensor running as nobody" sw_db_at_least "$db1" 1 "$syn_rows"
sw_log "-Z nobody: detected while running as uid $nobody_uid"
sw_sensor_stop TERM
[[ $(stat -c %U "$db1") == nobody ]] || sw_fail "the database is owned by $(stat -c %U "$db1"), expected nobody"
$SW_DB_AS sqlite3 "$db1" "PRAGMA integrity_check" | grep -qx ok || sw_fail "$db1 fails PRAGMA integrity_check"

# 2. Never root at all: nobody with CAP_NET_RAW as its only capability,
#    ambient, as systemd's AmbientCapabilities=CAP_NET_RAW gives it.
db2=$tmp/db/capnetraw.db
sw_sensor_start capnetraw setpriv --reuid=nobody --regid="$nobody_group" --init-groups \
	--inh-caps=-all,+net_raw --ambient-caps=+net_raw --bounding-set=-all,+net_raw \
	"$tmp/scanwatch" -i "$SW_IF_TGT" --db "$db2" --rules "$tmp/rules.yaml"
capeff=$(ids_not_root "$SW_SENSOR_PID")
# CAP_NET_RAW is bit 13: 0x2000 and nothing else.
[[ $capeff == 0000000000002000 ]] || sw_fail "CapEff is $capeff, expected CAP_NET_RAW (0000000000002000) only"
scan 1-100
sw_poll 10 "a syn_scan detection from the sensor with only CAP_NET_RAW" sw_db_at_least "$db2" 1 "$syn_rows"
sw_log "nobody + ambient CAP_NET_RAW: started, captured and detected"
sw_sensor_stop TERM
$SW_DB_AS sqlite3 "$db2" "PRAGMA integrity_check" | grep -qx ok || sw_fail "$db2 fails PRAGMA integrity_check"
sw_show_detections "$db2"
