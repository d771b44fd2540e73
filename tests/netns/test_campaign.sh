#!/usr/bin/env bash
# test_campaign.sh — campaigns from real tools: 5 masscan processes (5 --adapter-ip) scanning the same 5 hosts at once form one; nmap -sS from 4 addresses splitting one host's ports 1-1000 forms one; 10 unrelated scanners (different tools and shapes, one after another) against one host form none.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init camp
sw_require nmap masscan hping3
sw_netns_setup
sw_services tcp-echo:22 http:80 tcp-discard:443
MAC_TGT=$(sw_mac "$SW_NS_TGT" "$SW_IF_TGT")
# 198.18.1.0/28 behind the target; 198.18.1.0-7 answer (AnyIP).
sw_route_sweep_net 198.18.1.0/28 198.18.1.0/29

# replay NAME — the capture SW_CAP into NAME.db (its output shown), with the shipped rules.
replay() {
	sw_replay "$SW_CAP" "$SW_DIR/$1.db" "$1"
	sw_show_detections "$SW_DIR/$1.db"
	echo "----- campaigns in $1.db:"
	sw_sql -line "$SW_DIR/$1.db" "SELECT * FROM campaigns"
}

# --- 1. masscan from 5 addresses, started together, each scanning 198.18.1.1-5 ports 1-200.
srcs=(198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14 198.18.0.15)
sw_capture_start masscan5
pids=()
for s in "${srcs[@]}"; do
	sw_add_scan_addr "$s"
done
for s in "${srcs[@]}"; do
	# Bounded: 5 hosts x 200 ports, 500 packets/s, 30 s hard limit (masscan 1.3.2 now and
	# then never leaves its final wait: 124 is accepted, the capture checks count).
	sw_bg "$SW_NS_SCAN" "masscan.$s" timeout 30 masscan 198.18.1.1-198.18.1.5 -p 1-200 \
		--rate 500 --wait 1 -e "$SW_IF_SCAN" --adapter-ip "$s" --router-mac "$MAC_TGT"
	pids+=("$SW_LAST_PID")
done
for p in "${pids[@]}"; do
	rc=0
	wait "$p" || rc=$?
	((rc == 0 || rc == 124)) || sw_fail "masscan exited with status $rc"
done
sw_capture_stop
for s in "${srcs[@]}"; do
	sw_expect_distinct "SYNs from $s to the 5 hosts" 5 dhost "src host $s and tcp[tcpflags] == tcp-syn"
done
replay masscan5
db=$SW_DIR/masscan5.db
in_list=$(printf "'%s'," "${srcs[@]}")
in_list=${in_list%,}
got=$(sw_sql "$db" "SELECT count(*), count(DISTINCT src_ip), count(DISTINCT campaign), min(campaign IS NOT NULL)
	FROM detections WHERE src_ip IN ($in_list) AND kind = 'syn_scan' AND tool = 'masscan'")
[[ $got == "5|5|1|1" ]] || sw_fail "masscan x5: (detections, sources, campaigns, all grouped) = $got, want 5|5|1|1"
cid=$(sw_sql "$db" "SELECT DISTINCT campaign FROM detections WHERE src_ip IN ($in_list)")
n=$(sw_sql "$db" "SELECT count(*) FROM detections WHERE campaign IS NOT NULL AND campaign <> '$cid'")
((n == 0)) || sw_fail "masscan x5: $n other detections carry another campaign"
got=$(sw_sql "$db" "SELECT tool, json_array_length(members), sources FROM campaigns WHERE id = '$cid'")
want="masscan|5|$(printf '"%s",' "${srcs[@]}" | sed 's/,$//; s/^/[/; s/$/]/')"
[[ $got == "$want" ]] || sw_fail "campaigns row: got [$got], want [$want]"
got=$("$SCANWATCH" query --db "$db" --campaign "$cid" --format csv | tail -n +2 | cut -d, -f8 | tr -d '\r' | sort | tr '\n' ' ')
[[ $got == "${srcs[*]} " ]] || sw_fail "query --campaign $cid gave sources [$got]"
sw_log "masscan x5: one campaign $cid of 5 detections"

# --- 2. nmap -sS from 4 addresses splitting ports 1-1000 of the target, started together.
srcs=(198.18.0.21 198.18.0.22 198.18.0.23 198.18.0.24)
slices=(1-250 251-500 501-750 751-1000)
for s in "${srcs[@]}"; do
	sw_add_scan_addr "$s"
done
sw_capture_start nmap4
pids=()
for i in "${!srcs[@]}"; do
	# Bounded: 250 explicit ports each, one retry, T4, 60 s hard limit.
	sw_bg "$SW_NS_SCAN" "nmap.${srcs[i]}" timeout 60 nmap -sS -n -Pn -T4 --max-retries 1 \
		-S "${srcs[i]}" -e "$SW_IF_SCAN" -p "${slices[i]}" "$SW_TGT4"
	pids+=("$SW_LAST_PID")
done
for p in "${pids[@]}"; do
	wait "$p" || sw_fail "nmap exited with status $?"
done
sw_capture_stop
for i in "${!srcs[@]}"; do
	sw_expect_distinct "SYNs from ${srcs[i]} to its slice" 240 dport \
		"src host ${srcs[i]} and tcp[tcpflags] == tcp-syn and dst portrange ${slices[i]}"
	sw_expect_none "SYNs from ${srcs[i]} outside its slice" \
		"src host ${srcs[i]} and tcp[tcpflags] == tcp-syn and not dst portrange ${slices[i]}"
done
replay nmap4
db=$SW_DIR/nmap4.db
# One campaign holding all 4 sources: their own detections, or the distributed_scan that
# speaks for them (detect_multisource.c absorbs a split scan of one host).
got=$(sw_sql "$db" "SELECT count(*) FROM campaigns")
((got == 1)) || sw_fail "nmap x4: $got campaigns, want 1"
got=$(sw_sql "$db" "SELECT sources FROM campaigns")
want=$(printf '"%s",' "${srcs[@]}" | sed 's/,$//; s/^/[/; s/$/]/')
[[ $got == "$want" ]] || sw_fail "nmap x4: campaign sources [$got], want [$want]"
n=$(sw_sql "$db" "SELECT count(*) FROM detections WHERE campaign IS NULL")
((n == 0)) || sw_fail "nmap x4: $n detections outside the campaign"
sw_log "nmap x4: one campaign of sources $got"

# --- 3. 10 unrelated scanners against one host, one after the other, each its own shape.
sw_capture_start unrelated
i=40
nmap_from() { # SRC ARGS...
	local s=$1
	shift
	sw_in_scan timeout 60 nmap -n -Pn -T4 --max-retries 1 -S "$s" -e "$SW_IF_SCAN" "$@" "$SW_TGT4" >>"$SW_DIR/unrelated.out" 2>&1 ||
		sw_fail "nmap $* failed"
}
usrc=()
for flag in -sS -sU -sF -sX -sN -sA -sM; do
	i=$((i + 1))
	s=198.18.0.$i
	sw_add_scan_addr "$s"
	usrc+=("$s")
	if [[ $flag == -sU ]]; then nmap_from "$s" "$flag" -p 1-30; else nmap_from "$s" "$flag" -p 1-100; fi
done
# a connect scan (kernel SYNs) from the scanner's own address
usrc+=("$SW_SCAN4")
sw_in_scan timeout 60 nmap -sT -n -Pn -T4 --max-retries 1 -p 1-100 "$SW_TGT4" >>"$SW_DIR/unrelated.out" 2>&1 || sw_fail "nmap -sT failed"
i=$((i + 1))
s=198.18.0.$i
sw_add_scan_addr "$s"
usrc+=("$s")
rc=0
sw_in_scan timeout 30 masscan "$SW_TGT4" -p 1-100 --rate 200 --wait 1 -e "$SW_IF_SCAN" \
	--adapter-ip "$s" --router-mac "$MAC_TGT" >>"$SW_DIR/unrelated.out" 2>&1 || rc=$?
((rc == 0 || rc == 124)) || sw_fail "masscan exited with status $rc"
i=$((i + 1))
s=198.18.0.$i
sw_add_scan_addr "$s"
usrc+=("$s")
rc=0
# hping3's scan mode: SYNs to ports 1-100, bounded by its port list and a 30 s limit.
sw_in_scan timeout 30 hping3 -n -S -8 1-100 -a "$s" "$SW_TGT4" >>"$SW_DIR/unrelated.out" 2>&1 || rc=$?
((rc == 0 || rc == 1)) || sw_fail "hping3 exited with status $rc"
sw_capture_stop
replay unrelated
db=$SW_DIR/unrelated.db
in_list=$(printf "'%s'," "${usrc[@]}")
in_list=${in_list%,}
detected=$(sw_sql "$db" "SELECT count(DISTINCT src_ip) FROM detections WHERE src_ip IN ($in_list)")
((detected == ${#usrc[@]})) || sw_fail "only $detected of the ${#usrc[@]} unrelated scanners were detected"
n=$(sw_sql "$db" "SELECT count(*) FROM detections WHERE campaign IS NOT NULL")
((n == 0)) || sw_fail "$n of the unrelated scanners' detections were put in a campaign"
n=$(sw_sql "$db" "SELECT count(*) FROM campaigns")
((n == 0)) || sw_fail "$n campaigns among unrelated scanners"
sw_log "10 unrelated scanners: $detected detected, no campaign"
