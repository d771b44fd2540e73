# lib.sh — helpers sourced by the network-namespace capture tests: namespaces, services, capture, replay checks.
#
# Every test builds its own pair of namespaces joined by one veth pair, sends
# real scanner traffic across it, captures that traffic on the target side,
# replays the capture through the sensor and checks the SQLite store.
#
# Network safety: traffic only ever uses the benchmarking ranges 198.18.0.0/15
# (RFC 2544) and 2001:2::/48 (RFC 5180), inside namespaces this file creates.
# Neither namespace has a default route, so nothing can leave them; the only
# routes are on-link ones and explicit routes inside 198.18.0.0/15. Every scan
# is bounded in packets (explicit port lists, -c counts) and in time
# (`timeout`). Teardown kills what the test started and deletes exactly the
# namespaces it created, by name.
#
# Usage from a test:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   sw_init syn             # short name: namespaces swt-syn-<pid>-scan/-tgt
#   sw_netns_setup
#   sw_services tcp-echo:22 http:80
#   sw_capture_start
#   sw_in_scan timeout 60 nmap ...
#   sw_capture_stop         # sets SW_CAP to the final capture
#   sw_expect_pkts "SYNs to the target" 500 'src host 198.18.0.1 and ...'
#   sw_replay_expect syn_scan "$SW_SCAN4"
#
# Environment (set by ctest, defaults for running a test by hand):
#   SW_SOURCE_DIR  repository root
#   SW_BUILD_DIR   build tree (default $SW_SOURCE_DIR/build)
#   SCANWATCH      sensor binary (default $SW_BUILD_DIR/scanwatch)
#   SW_WORK_DIR    where each test keeps its captures and databases, in
#                  $SW_WORK_DIR/<test>/ (kept after the test: benchmarks reuse them)

SW_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SW_SOURCE_DIR=${SW_SOURCE_DIR:-$(cd "$SW_LIB_DIR/../.." && pwd)}
SW_BUILD_DIR=${SW_BUILD_DIR:-$SW_SOURCE_DIR/build}
SCANWATCH=${SCANWATCH:-$SW_BUILD_DIR/scanwatch}
SW_WORK_DIR=${SW_WORK_DIR:-$SW_BUILD_DIR/test-work}
# The distribution's interpreter, not whatever python3 a developer's PATH
# prefers: the services only need the standard library.
SW_PYTHON=${SW_PYTHON:-/usr/bin/python3}

# Addresses. The scanner side is .1/::1, the target side .2/::2, one /24 and
# one /64 on the link. 198.18.1.0/24 is a "remote" network routed through the
# target namespace (see sw_route_sweep_net).
SW_SCAN4=198.18.0.1
SW_TGT4=198.18.0.2
SW_LINK4_BCAST=198.18.0.255
SW_SCAN6=2001:2::1
SW_TGT6=2001:2::2
# Interface names live only inside the namespaces, so they never collide with
# the host's or another test's.
SW_IF_SCAN=sw-scan
SW_IF_TGT=sw-tgt

# Marker used to stop a capture without losing its tail: a UDP datagram from
# the target to the link's broadcast address on a port no scan uses. Sent to
# broadcast so the scanner's kernel answers nothing (RFC 1122 3.2.2: no ICMP
# error about a datagram sent to a broadcast address); the strip filter then
# removes exactly that one packet.
SW_MARK_PORT=65101
sw_mark_filter() { echo "udp and dst port $SW_MARK_PORT and dst host ${SW_MARK_BCAST:-$SW_LINK4_BCAST}"; }

# Polling: interval between checks and the default overall deadline.
SW_POLL_INTERVAL=0.05
SW_POLL_DEADLINE=20

SW_NAMESPACES=() # namespaces this test created, deleted by exact name at exit
SW_TMP_DIRS=()   # directories this test made with sw_tmpdir, removed at exit
SW_CAP_PID=
SW_CAP_RAW=
SW_CAP=

sw_log() { printf '[%s] %s\n' "${SW_TEST:-netns}" "$*" >&2; }

sw_fail() {
	printf '[%s] FAIL: %s\n' "${SW_TEST:-netns}" "$*" >&2
	exit 1
}

# Microseconds since the epoch, from bash's own clock (no fork). The
# separator follows LC_NUMERIC, so accept a comma too.
sw_now_us() {
	local t=${EPOCHREALTIME/,/.}
	echo $((${t%.*} * 1000000 + 10#${t#*.}))
}

# sw_poll SECONDS DESCRIPTION COMMAND... — run COMMAND every SW_POLL_INTERVAL
# until it succeeds; fail with DESCRIPTION when SECONDS have passed.
sw_poll() {
	local secs=$1 desc=$2
	shift 2
	local deadline=$(($(sw_now_us) + secs * 1000000))
	until "$@"; do
		if (($(sw_now_us) >= deadline)); then
			sw_fail "timed out after ${secs}s waiting for $desc"
		fi
		sleep "$SW_POLL_INTERVAL"
	done
}

# sw_require TOOL... — fail clearly when a tool a test needs is missing.
sw_require() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || sw_fail "missing tool '$t' (bash tests/dev.sh test installs it)"
	done
}

# sw_init SHORT — checks privileges and tools, prepares the work directory and
# installs the teardown trap. SHORT names the namespaces: swt-SHORT-PID-scan.
sw_init() {
	SW_SHORT=$1
	SW_TEST=$(basename "$0" .sh)
	if ((EUID != 0)); then
		# Not a skip: CI runs as root and these tests must run there.
		sw_fail "must run as root (network namespaces, raw sockets); run the suite with sudo or as root"
	fi
	sw_require ip ethtool tcpdump sqlite3 timeout "$SW_PYTHON"
	[[ -n $SW_WORK_DIR && -n $SW_TEST ]] || sw_fail "SW_WORK_DIR is empty"
	SW_DIR=$SW_WORK_DIR/$SW_TEST
	# This directory belongs to this test alone; start it afresh.
	rm -rf -- "$SW_DIR"
	mkdir -p -- "$SW_DIR"
	SW_NS_SCAN=swt-$SW_SHORT-$$-scan
	SW_NS_TGT=swt-$SW_SHORT-$$-tgt
	trap sw_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	sw_log "work directory $SW_DIR"
}

# sw_stop_ns NS — ends every process inside namespace NS: SIGTERM, up to 5 s
# to exit, then SIGKILL. Only processes this test started can be in a
# namespace it created, so this never touches anything else, and selecting by
# namespace (not by a remembered pid) cannot hit a recycled pid.
sw_stop_ns() {
	local ns=$1 i pids=()
	mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
	((${#pids[@]} > 0)) || return 0
	kill -TERM "${pids[@]}" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
		((${#pids[@]} > 0)) || return 0
		sleep "$SW_POLL_INTERVAL"
	done
	kill -KILL "${pids[@]}" 2>/dev/null
	return 0
}

# Teardown, run on every exit (success, failure, or signal): stop what the
# test started, then delete exactly the namespaces it created, by name.
sw_cleanup() {
	local rc=$? ns
	set +e
	trap - EXIT INT TERM
	for ns in "${SW_NAMESPACES[@]}"; do
		sw_stop_ns "$ns"
	done
	wait 2>/dev/null # reap the background children just ended
	for ns in "${SW_NAMESPACES[@]}"; do
		ip netns del "$ns" || echo "[$SW_TEST] warning: could not delete namespace $ns" >&2
	done
	local d
	for d in "${SW_TMP_DIRS[@]}"; do
		rm -rf -- "$d"
	done
	if ((rc == 0)); then
		sw_log "PASS"
	else
		sw_log "exit status $rc; evidence kept in $SW_DIR"
	fi
	exit "$rc"
}

sw_in_scan() { ip netns exec "$SW_NS_SCAN" "$@"; }
sw_in_tgt() { ip netns exec "$SW_NS_TGT" "$@"; }

# sw_ns_add NAME — creates one namespace with loopback up and IPv6
# autoconfiguration off (no router solicitations, no DAD delays: the link
# carries only the test's traffic plus ARP/ND).
sw_ns_add() {
	local ns=$1
	ip netns add "$ns" || sw_fail "cannot create namespace $ns"
	SW_NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
	# Written through /proc (which shows the namespace's own values inside
	# `ip netns exec`) so minimal hosts need not have procps' sysctl.
	ip netns exec "$ns" sh -c 'for k in all/accept_ra default/accept_ra \
		default/router_solicitations default/accept_dad; do
		echo 0 >"/proc/sys/net/ipv6/conf/$k" || exit 1; done' ||
		sw_fail "cannot turn off IPv6 autoconfiguration in $ns (is IPv6 disabled?)"
}

# sw_netns_setup — scanner and target namespaces joined by a veth pair.
sw_netns_setup() {
	sw_ns_add "$SW_NS_SCAN"
	sw_ns_add "$SW_NS_TGT"
	# Created inside the scanner namespace with its peer placed straight into
	# the target namespace: neither end ever exists in the host namespace.
	ip -n "$SW_NS_SCAN" link add "$SW_IF_SCAN" type veth peer name "$SW_IF_TGT" netns "$SW_NS_TGT" ||
		sw_fail "cannot create the veth pair"
	# Checksums filled in and segments cut to the MTU by the sender, as on a
	# real wire: without this the capture holds kernel-local partial
	# checksums and 64 KB GSO super-packets that no tap would ever see.
	sw_in_scan ethtool -K "$SW_IF_SCAN" tx off tso off gso off gro off >/dev/null 2>&1 ||
		sw_fail "ethtool -K failed on $SW_IF_SCAN"
	sw_in_tgt ethtool -K "$SW_IF_TGT" tx off tso off gso off gro off >/dev/null 2>&1 ||
		sw_fail "ethtool -K failed on $SW_IF_TGT"
	ip -n "$SW_NS_SCAN" addr add "$SW_SCAN4/24" brd + dev "$SW_IF_SCAN"
	ip -n "$SW_NS_TGT" addr add "$SW_TGT4/24" brd + dev "$SW_IF_TGT"
	ip -n "$SW_NS_SCAN" -6 addr add "$SW_SCAN6/64" dev "$SW_IF_SCAN" nodad
	ip -n "$SW_NS_TGT" -6 addr add "$SW_TGT6/64" dev "$SW_IF_TGT" nodad
	ip -n "$SW_NS_SCAN" link set "$SW_IF_SCAN" up
	ip -n "$SW_NS_TGT" link set "$SW_IF_TGT" up
	sw_check_no_default_route "$SW_NS_SCAN"
	sw_check_no_default_route "$SW_NS_TGT"
	sw_poll 5 "both veth ends to come up" sw_links_up
	sw_log "namespaces $SW_NS_SCAN ($SW_SCAN4, $SW_SCAN6) <-> $SW_NS_TGT ($SW_TGT4, $SW_TGT6)"
}

sw_links_up() {
	ip -n "$SW_NS_SCAN" -o link show "$SW_IF_SCAN" | grep -q 'state UP' &&
		ip -n "$SW_NS_TGT" -o link show "$SW_IF_TGT" | grep -q 'state UP'
}

# Guard rail: a namespace with a default route could send somewhere real.
sw_check_no_default_route() {
	local ns=$1
	if [[ -n $(ip -n "$ns" -4 route show default) || -n $(ip -n "$ns" -6 route show default) ]]; then
		sw_fail "namespace $ns has a default route; refusing to send anything"
	fi
}

# sw_add_scan_addr ADDR — one more IPv4 address on the scanner's interface
# (a second "scanner" on the same link), inside 198.18.0.0/24 only.
sw_add_scan_addr() {
	[[ $1 == 198.18.0.* ]] || sw_fail "scanner address $1 outside 198.18.0.0/24"
	ip -n "$SW_NS_SCAN" addr add "$1/24" dev "$SW_IF_SCAN"
}

# sw_route_sweep_net NET UP — makes NET (a prefix inside 198.18.1.0/24) reachable
# from the scanner through the target namespace acting as a router, where the
# addresses in UP (a sub-prefix of NET) answer and the rest of NET do not:
#   - target: `local UP dev lo` binds every address of UP at once (AnyIP),
#   - target: `blackhole NET` silently drops packets to the other addresses,
#     so they look like hosts that are down (no answer, no ICMP error),
#   - scanner: one explicit route NET via the target's link address.
# No forwarding is enabled anywhere; nothing is routed past the target.
sw_route_sweep_net() {
	local net=$1 up=$2
	[[ $net == 198.18.1.* && $up == 198.18.1.* ]] || sw_fail "sweep networks must be inside 198.18.1.0/24"
	ip -n "$SW_NS_TGT" route add local "$up" dev lo
	ip -n "$SW_NS_TGT" route add blackhole "$net"
	ip -n "$SW_NS_SCAN" route add "$net" via "$SW_TGT4" dev "$SW_IF_SCAN"
	sw_check_no_default_route "$SW_NS_SCAN"
	sw_check_no_default_route "$SW_NS_TGT"
}

# sw_route_sweep_net6 NET UP — the IPv6 counterpart of sw_route_sweep_net:
# NET (a prefix inside 2001:2:0:1::/64) is routed from the scanner through
# the target's link address; the addresses in UP answer (AnyIP on lo), the
# rest of NET are blackholed and look down. No forwarding anywhere.
sw_route_sweep_net6() {
	local net=$1 up=$2
	[[ $net == 2001:2:0:1:* && $up == 2001:2:0:1:* ]] || sw_fail "IPv6 sweep networks must be inside 2001:2:0:1::/64"
	ip -n "$SW_NS_TGT" -6 route add local "$up" dev lo
	ip -n "$SW_NS_TGT" -6 route add blackhole "$net"
	ip -n "$SW_NS_SCAN" -6 route add "$net" via "$SW_TGT6" dev "$SW_IF_SCAN"
	sw_check_no_default_route "$SW_NS_SCAN"
	sw_check_no_default_route "$SW_NS_TGT"
}

# sw_mac NS IFACE — prints the link-layer address of IFACE in namespace NS.
sw_mac() {
	local mac
	mac=$(ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p')
	[[ -n $mac ]] || sw_fail "cannot read the MAC address of $2 in $1"
	echo "$mac"
}

# sw_bg NS NAME COMMAND... — starts COMMAND in namespace NS in the background,
# stdout/stderr in $SW_DIR/NAME.out/.err; its pid is left in SW_LAST_PID
# (`ip netns exec` execs the command, so the pid is the command's own).
# Teardown finds it through its namespace.
sw_bg() {
	local ns=$1 name=$2
	shift 2
	ip netns exec "$ns" "$@" >"$SW_DIR/$name.out" 2>"$SW_DIR/$name.err" &
	SW_LAST_PID=$!
}

sw_file_has() { [[ -f $1 ]] && grep -q -- "$2" "$1"; }

# sw_services SPEC... — starts services.py in the target namespace on the
# target's IPv4 and IPv6 addresses; SPEC is tcp-echo:PORT, http:PORT,
# tcp-discard:PORT, udp-echo:PORT. Returns once every socket is bound.
sw_services() {
	local args=(--bind "$SW_TGT4" --bind "$SW_TGT6" --ready "$SW_DIR/services.ready") spec
	for spec in "$@"; do
		args+=("--${spec%%:*}" "${spec#*:}")
	done
	rm -f "$SW_DIR/services.ready"
	sw_bg "$SW_NS_TGT" services "$SW_PYTHON" "$SW_LIB_DIR/services.py" "${args[@]}"
	local pid=$SW_LAST_PID
	sw_poll "$SW_POLL_DEADLINE" "services ($*) to listen" sw_services_ready "$pid"
	sw_log "services listening on $SW_TGT4/$SW_TGT6: $*"
}

sw_services_ready() {
	kill -0 "$1" 2>/dev/null || sw_fail "services.py exited early: $(cat "$SW_DIR/services.err")"
	sw_file_has "$SW_DIR/services.ready" READY
}

# sw_capture_start [NAME [IFACE [TCPDUMP-OPTION...]]] — tcpdump on the
# target's veth (sees both directions of everything on the link), full
# snaplen, every packet flushed. Returns once tcpdump reports it is listening,
# so no early packet is missed. Files are named *.pcap so Debian's AppArmor
# profile for tcpdump allows them anywhere. IFACE (default the target's veth)
# and extra options let a test pick another link type, e.g.
# `sw_capture_start NAME any -y LINUX_SLL2` for Linux cooked v2 headers.
sw_capture_start() {
	local name=${1:-capture} iface=${2:-$SW_IF_TGT}
	shift $(($# > 2 ? 2 : $#))
	SW_CAP_NAME=$name
	SW_CAP_RAW=$SW_DIR/$name.raw.pcap
	SW_CAP=$SW_DIR/$name.pcap
	# -Z root: Debian's tcpdump otherwise drops to user tcpdump before it
	# opens the output file, and could not write into a root-owned directory.
	# -B 32768: a 32 MiB kernel buffer (libpcap's default is 2 MiB), so that a
	# scanner's burst waits there while tcpdump, writing each packet as it
	# comes, is starved of CPU by a parallel build or fuzzer (test_campaign's
	# five masscans lost 82 packets so, and the test refuses a capture with a
	# drop).
	sw_bg "$SW_NS_TGT" "$name.tcpdump" tcpdump -n -i "$iface" -U -w "$SW_CAP_RAW" \
		-s 262144 -B 32768 --immediate-mode -Z root "$@"
	SW_CAP_PID=$SW_LAST_PID
	sw_poll "$SW_POLL_DEADLINE" "tcpdump to start listening" sw_capture_listening
}

sw_capture_listening() {
	kill -0 "$SW_CAP_PID" 2>/dev/null || sw_fail "tcpdump exited early: $(cat "$SW_DIR/$SW_CAP_NAME.tcpdump.err")"
	sw_file_has "$SW_DIR/$SW_CAP_NAME.tcpdump.err" "listening on"
}

sw_count() { tcpdump -nn -r "$1" "$2" 2>/dev/null | wc -l; }

sw_marker_written() {
	tcpdump -nn -A -r "$SW_CAP_RAW" "$(sw_mark_filter)" 2>/dev/null | grep -q "SWMARK-$$"
}

# sw_capture_stop — ends the capture without losing its tail: sends the
# marker through the link, waits until tcpdump has written it (so every
# packet before it is on disk), stops tcpdump, then strips the marker.
# Leaves the final capture in SW_CAP. The marker goes to the tapped link's
# broadcast address, SW_MARK_BCAST when a capture taps another of the target's
# links (default SW_LINK4_BCAST).
sw_capture_stop() {
	sw_in_tgt "$SW_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.sendto(sys.argv[1].encode(), (sys.argv[2], int(sys.argv[3])))
' "SWMARK-$$" "${SW_MARK_BCAST:-$SW_LINK4_BCAST}" "$SW_MARK_PORT" ||
		sw_fail "cannot send the capture marker"
	sw_poll "$SW_POLL_DEADLINE" "tcpdump to write the end-of-capture marker" sw_marker_written
	kill -INT "$SW_CAP_PID"
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$SW_CAP_PID" 2>/dev/null || break
		sleep "$SW_POLL_INTERVAL"
	done
	kill -0 "$SW_CAP_PID" 2>/dev/null && sw_fail "tcpdump did not stop on SIGINT"
	wait "$SW_CAP_PID" || true
	local err=$SW_DIR/$SW_CAP_NAME.tcpdump.err dropped
	dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$err")
	[[ -n $dropped ]] || sw_fail "tcpdump did not report its statistics: $(cat "$err")"
	((dropped == 0)) || sw_fail "tcpdump dropped $dropped packets; the capture is incomplete"
	tcpdump -r "$SW_CAP_RAW" -w "$SW_CAP" "not ($(sw_mark_filter))" 2>/dev/null ||
		sw_fail "cannot strip the marker from $SW_CAP_RAW"
	local raw final
	raw=$(sw_count "$SW_CAP_RAW" "")
	final=$(sw_count "$SW_CAP" "")
	((final == raw - 1)) || sw_fail "marker strip removed $((raw - final)) packets, expected exactly 1"
	rm -f -- "$SW_CAP_RAW"
	sw_log "capture $SW_CAP: $final packets, $(stat -c %s "$SW_CAP") bytes"
}

# sw_expect_pkts DESCRIPTION MIN BPF — capture sanity: at least MIN packets
# match the BPF filter. A failure here means the scan did not happen as the
# test intended; it is not the sensor's fault.
sw_expect_pkts() {
	local desc=$1 min=$2 filter=$3 n
	n=$(sw_count "$SW_CAP" "$filter")
	((n >= min)) || sw_fail "capture sanity: $desc: $n packets match '$filter', expected >= $min (the capture is wrong, not the sensor)"
	sw_log "capture has $n packets: $desc"
}

# sw_expect_none DESCRIPTION BPF — capture sanity: nothing matches.
sw_expect_none() {
	local desc=$1 filter=$2 n
	n=$(sw_count "$SW_CAP" "$filter")
	((n == 0)) || sw_fail "capture sanity: $desc: $n packets match '$filter', expected none"
	sw_log "capture has no packets: $desc"
}

# sw_distinct WHAT BPF — number of distinct values of WHAT (dport, dhost,
# sport or shost) among packets matching BPF. tcpdump -nnt prints
# "IP SRC > DST: ..." (IPv4) or "IP6 SRC > DST: ..." with ".PORT" appended to
# the address for TCP/UDP: field 2 is the source, field 4 the destination.
sw_distinct() {
	local what=$1 filter=$2
	tcpdump -nnt -r "$SW_CAP" "$filter" 2>/dev/null | awk -v what="$what" '
		{ a = (what ~ /^d/) ? $4 : $2; sub(/:$/, "", a)
		  n = split(a, part, ".")
		  if (what ~ /port$/) { v = (($1 == "IP" && n == 5) || ($1 == "IP6" && n == 2)) ? part[n] : "" }
		  else if ($1 == "IP") { v = part[1] "." part[2] "." part[3] "." part[4] }
		  else { v = part[1] }
		  if (v != "") seen[v] = 1 }
		END { n = 0; for (k in seen) n++; print n }'
}

# sw_expect_distinct DESCRIPTION MIN WHAT BPF
sw_expect_distinct() {
	local desc=$1 min=$2 what=$3 filter=$4 n
	n=$(sw_distinct "$what" "$filter")
	((n >= min)) || sw_fail "capture sanity: $desc: $n distinct ${what}s in '$filter', expected >= $min (the capture is wrong, not the sensor)"
	sw_log "capture has $n distinct ${what}s: $desc"
}

sw_sql() { sqlite3 -batch -bail "$@"; }

# sw_replay CAP DB NAME [OPTION...] — runs the sensor over CAP into a fresh DB
# (extra options, e.g. --rules FILE, are passed on); prints its output (the
# evidence in ctest -V) and fails unless it exits 0.
sw_replay() {
	local cap=$1 db=$2 name=$3 rc=0
	shift 3
	[[ -x $SCANWATCH ]] || sw_fail "sensor binary '$SCANWATCH' not found or not executable (build first)"
	rm -f -- "$db" "$db-wal" "$db-shm" "$db-journal"
	"$SCANWATCH" -r "$cap" --db "$db" "$@" >"$SW_DIR/$name.out" 2>"$SW_DIR/$name.err" || rc=$?
	echo "----- $name: scanwatch -r $(basename "$cap") --db $(basename "$db") (exit $rc)"
	echo "----- stdout (detections):"
	cat "$SW_DIR/$name.out"
	echo "----- stderr (summary):"
	cat "$SW_DIR/$name.err"
	((rc == 0)) || sw_fail "scanwatch exited with status $rc on $cap"
	[[ -f $db ]] || sw_fail "scanwatch exited 0 but wrote no database at $db"
	local runs
	runs=$(sw_sql "$db" "SELECT count(*) FROM runs") || sw_fail "cannot read table runs in $db"
	((runs == 1)) || sw_fail "$db has $runs rows in runs after one replay, expected 1"
}

# Every column of every detection, one "column = value" line each: the
# evidence a reader of `ctest -V` needs, whatever columns the schema grows.
sw_show_detections() {
	echo "----- detections in $(basename "$1"):"
	sw_sql -line "$1" "SELECT * FROM detections ORDER BY seq" ||
		sw_fail "cannot read table detections in $1"
}

# sw_compare_runs DB1 DB2 — replaying the same capture twice must give the
# same detections: every column but the row id and run id, ordered by seq.
# The column list comes from the schema so new columns are compared too.
sw_compare_runs() {
	local db1=$1 db2=$2 cols q
	cols=$(sw_sql "$db1" "SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_info('detections')
		WHERE name NOT IN ('id', 'run_id')") || sw_fail "cannot read the detections schema"
	[[ -n $cols ]] || sw_fail "table detections has no columns in $db1"
	q="SELECT $cols FROM detections ORDER BY seq"
	sw_sql -quote "$db1" "$q" >"$SW_DIR/replay1.rows" || sw_fail "query failed on $db1"
	sw_sql -quote "$db2" "$q" >"$SW_DIR/replay2.rows" || sw_fail "query failed on $db2"
	if ! diff -u "$SW_DIR/replay1.rows" "$SW_DIR/replay2.rows"; then
		sw_fail "two replays of the same capture gave different detections (diff above)"
	fi
	sw_log "two replays agree on $(wc -l <"$SW_DIR/replay1.rows") detection rows (all columns but id, run_id)"
}

# sw_replay_expect KIND SRC — replays SW_CAP twice; the first DB must hold a
# detection of KIND from SRC, and both runs must agree.
sw_replay_expect() {
	local kind=$1 src=$2 n db1=$SW_DIR/replay1.db db2=$SW_DIR/replay2.db
	sw_replay "$SW_CAP" "$db1" replay1
	sw_show_detections "$db1"
	n=$(sw_sql "$db1" "SELECT count(*) FROM detections WHERE kind = '$kind' AND src_ip = '$src'")
	((n >= 1)) || sw_fail "no $kind detection with src_ip $src in $db1"
	sw_log "found $n $kind detection(s) from $src"
	sw_replay "$SW_CAP" "$db2" replay2
	sw_compare_runs "$db1" "$db2"
}

# sw_replay_expect_none — replays SW_CAP twice; no detection at all, twice.
sw_replay_expect_none() {
	local n db1=$SW_DIR/replay1.db db2=$SW_DIR/replay2.db
	sw_replay "$SW_CAP" "$db1" replay1
	sw_show_detections "$db1"
	n=$(sw_sql "$db1" "SELECT count(*) FROM detections")
	((n == 0)) || sw_fail "benign traffic produced $n detection(s) in $db1"
	sw_replay "$SW_CAP" "$db2" replay2
	n=$(sw_sql "$db2" "SELECT count(*) FROM detections")
	((n == 0)) || sw_fail "benign traffic produced $n detection(s) on the second replay"
	sw_compare_runs "$db1" "$db2"
	sw_log "no detections on either replay"
}

# ---------------------------------------------------------------------------
# Live sensor helpers (tests/netns/test_live_*.sh): the sensor captures on the
# target's veth itself, instead of replaying a capture afterwards.

# sw_tmpdir — makes SW_TMPDIR, a new directory under /tmp that every user can enter
# (mode 755), removed at teardown. For what an unprivileged sensor must reach
# when the build tree sits under a private home directory.
sw_tmpdir() {
	local d
	d=$(mktemp -d /tmp/swt-"$SW_SHORT"-$$-XXXXXX) || sw_fail "mktemp failed"
	chmod 755 "$d"
	SW_TMP_DIRS+=("$d")
	SW_TMPDIR=$d
}

# sw_rules_idle OUT IDLE — writes the shipped rules (rules/default.yaml) to OUT
# with every rule's idle time set to IDLE, so a live test sees detections
# close within seconds instead of waiting the default 30 s. Every rule in the
# file has exactly one "window:" line; idle goes right after it.
sw_rules_idle() {
	local out=$1 idle=$2 src=$SW_SOURCE_DIR/rules/default.yaml n w
	[[ -f $src ]] || sw_fail "missing $src"
	sed -e '/^    idle: /d' -e "s/^\(    window: .*\)$/\1\n    idle: $idle/" "$src" >"$out"
	n=$(grep -c '^  - id: ' "$out")
	w=$(grep -c "^    idle: $idle\$" "$out")
	((n > 0 && n == w)) || sw_fail "sw_rules_idle: $n rules but $w idle lines in $out"
}

# sw_syn_rules OUT THRESHOLD IDLE — a rule set of one rule: the half-open SYN
# scan rule with the given threshold and idle time (tests of reloading).
sw_syn_rules() {
	cat >"$1.tmp" <<EOF
version: 1
rules:
  - id: SW-TCP-SYN-001
    name: "TCP SYN (half-open) port scan"
    severity: medium
    tags: [ T1046, T1595.001 ]
    detector: halfopen
    threshold: $2
    window: 60s
    idle: $3
EOF
	# Renamed into place: a reload never reads a half-written file.
	mv -f -- "$1.tmp" "$1"
}

# sw_sensor_start NAME COMMAND... — starts the live sensor (COMMAND is the
# whole command line, e.g. "$SCANWATCH" -i "$SW_IF_TGT" ... or setpriv ...
# "$SCANWATCH" ...) in the target namespace, output in $SW_DIR/NAME.out/.err,
# and returns once it reports "listening on" (it is capturing). The pid is
# left in SW_SENSOR_PID (every wrapper used execs the sensor, keeping the pid).
sw_sensor_start() {
	local name=$1
	shift
	[[ -x $SCANWATCH ]] || sw_fail "sensor binary '$SCANWATCH' not found or not executable (build first)"
	SW_SENSOR_NAME=$name
	sw_bg "$SW_NS_TGT" "$name" "$@"
	SW_SENSOR_PID=$SW_LAST_PID
	sw_poll "$SW_POLL_DEADLINE" "the sensor to report 'listening on'" sw_sensor_listening
	sw_log "sensor $name (pid $SW_SENSOR_PID) is capturing: $*"
}

sw_sensor_listening() {
	sw_sensor_alive
	sw_file_has "$SW_DIR/$SW_SENSOR_NAME.err" "scanwatch: listening on $SW_IF_TGT"
}

# sw_sensor_alive — fails when the sensor has exited.
sw_sensor_alive() {
	if ! kill -0 "$SW_SENSOR_PID" 2>/dev/null; then
		local rc=0
		wait "$SW_SENSOR_PID" 2>/dev/null || rc=$?
		sw_fail "the sensor exited (status $rc) unexpectedly: $(cat "$SW_DIR/$SW_SENSOR_NAME.err")"
	fi
}

# sw_sensor_stop [SIGNAL] — SIGTERM (or SIGNAL) to the sensor, up to 20 s to
# exit; fails unless it exits 0. Prints its output (the evidence).
sw_sensor_stop() {
	local sig=${1:-TERM} rc=0 deadline
	kill -"$sig" "$SW_SENSOR_PID" || sw_fail "cannot signal the sensor (pid $SW_SENSOR_PID)"
	deadline=$(($(sw_now_us) + 20 * 1000000))
	while kill -0 "$SW_SENSOR_PID" 2>/dev/null; do
		(($(sw_now_us) < deadline)) || sw_fail "the sensor did not exit within 20 s of SIG$sig"
		sleep "$SW_POLL_INTERVAL"
	done
	wait "$SW_SENSOR_PID" || rc=$?
	echo "----- $SW_SENSOR_NAME: live sensor stopped by SIG$sig (exit $rc)"
	echo "----- stdout (detections):"
	cat "$SW_DIR/$SW_SENSOR_NAME.out"
	echo "----- stderr:"
	cat "$SW_DIR/$SW_SENSOR_NAME.err"
	((rc == 0)) || sw_fail "the sensor exited with status $rc after SIG$sig"
}

# sw_db_count DB SQL — the integer SQL returns, or 0 while the database does
# not exist yet or is momentarily locked (for polling a database being
# written). SW_DB_AS may hold a command prefix (e.g. setpriv ...) to read as
# the sensor's own user, so the reader never creates root-owned -shm files.
sw_db_count() {
	local n
	[[ -f $1 ]] || { echo 0; return; }
	n=$(${SW_DB_AS:-} sqlite3 -batch -cmd '.timeout 2000' "$1" "$2" 2>/dev/null) || n=0
	echo "${n:-0}"
}

# sw_db_at_least DB MIN SQL — true once SQL returns at least MIN (for sw_poll);
# fails at once if the sensor died meanwhile.
sw_db_at_least() {
	sw_sensor_alive
	(($(sw_db_count "$1" "$3") >= $2))
}

# sw_compare_detections DB1 DB2 WHAT — the detections of two runs must be the
# same: every column but the row id and run id, ordered by seq.
sw_compare_detections() {
	local db1=$1 db2=$2 what=$3 cols q
	cols=$(sw_sql "$db1" "SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_info('detections')
		WHERE name NOT IN ('id', 'run_id')") || sw_fail "cannot read the detections schema"
	[[ -n $cols ]] || sw_fail "table detections has no columns in $db1"
	q="SELECT $cols FROM detections ORDER BY seq"
	sw_sql -quote "$db1" "$q" >"$SW_DIR/compare1.rows" || sw_fail "query failed on $db1"
	sw_sql -quote "$db2" "$q" >"$SW_DIR/compare2.rows" || sw_fail "query failed on $db2"
	if ! diff -u "$SW_DIR/compare1.rows" "$SW_DIR/compare2.rows"; then
		sw_fail "$what gave different detections (diff above)"
	fi
	sw_log "$what agree on $(wc -l <"$SW_DIR/compare1.rows") detection rows (all columns but id, run_id)"
}

# sw_shared_timestamps — keeps one socket with SO_TIMESTAMP open (in the
# target namespace, until teardown) so the kernel stamps every packet once,
# for every capture socket alike. Without any such socket the kernel leaves
# skb->tstamp unset and each packet socket (tcpdump's, the sensor's) reads
# the clock itself as the packet reaches it: the same packet then carries
# times a microsecond apart in the two captures, and a live-versus-replay
# comparison would differ in timestamps without either being wrong.
sw_shared_timestamps() {
	rm -f "$SW_DIR/tstamp.ready"
	sw_bg "$SW_NS_TGT" tstamp "$SW_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# SO_TIMESTAMP is 29 in asm-generic/socket.h (x86, arm64); Python does not name it.
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_TIMESTAMP", 29), 1)
open(sys.argv[1], "w").write("READY\n")
time.sleep(900)  # bounded; teardown ends it long before
' "$SW_DIR/tstamp.ready"
	local pid=$SW_LAST_PID
	sw_poll "$SW_POLL_DEADLINE" "the timestamping socket" sw_tstamp_ready "$pid"
}

sw_tstamp_ready() {
	kill -0 "$1" 2>/dev/null || sw_fail "timestamping helper exited early: $(cat "$SW_DIR/tstamp.err")"
	sw_file_has "$SW_DIR/tstamp.ready" READY
}

# ---------------------------------------------------------------------------
# Ground-truth corpora (test_eval_corpus.sh, test_eval_benign.sh).

# sw_eval_corpus SCRIPT DIR REUSE WHAT — records the corpus SCRIPT (corpus.sh,
# benign_corpus.sh, which make and delete their own namespaces) into
# SW_WORK_DIR/DIR, or scores the one captured in REUSE by another tree of the
# same run (dev.sh passes it to the sanitizer tree) without running the
# programs again; then `scanwatch eval` on its labels: the table on stdout,
# -v's per-detection detail after it, and a failure on any miss, wrong kind
# or tool, or false positive. WHAT names the corpus in messages.
sw_eval_corpus() {
	local script=$1 corpus=$SW_WORK_DIR/$2 reuse=$3 what=$4 rc=0 detail
	((EUID == 0)) || sw_fail "must run as root ($script builds network namespaces)"
	[[ -x $SCANWATCH ]] || sw_fail "sensor binary '$SCANWATCH' not found or not executable (build first)"
	if [[ -n $reuse ]]; then
		[[ -s $reuse/labels.tsv ]] ||
			sw_fail "$reuse has no labels.tsv (the capturing tree's test failed?)"
		corpus=$reuse
		sw_log "scoring the $what captured in $corpus"
	else
		# The recording's log goes to a file (printed on failure): the scores
		# below come first in the test's output, where a CI excerpt shows them.
		mkdir -p "$corpus"
		sw_log "capturing the $what into $corpus (log: $corpus/record.log)"
		if ! SW_WORK_DIR=$SW_WORK_DIR SCANWATCH=$SCANWATCH bash "$SW_LIB_DIR/$script" "$corpus" \
			>"$corpus/record.log" 2>&1; then
			tail -n 40 "$corpus/record.log"
			sw_fail "$script failed (its log above names the capture); the corpus is wrong, not the sensor"
		fi
		sw_log "recorded: $(grep -c -- '---- capture' "$corpus/record.log") captures"
	fi
	[[ -s $corpus/labels.tsv ]] || sw_fail "$script wrote no $corpus/labels.tsv"
	detail=$SW_WORK_DIR/$2.eval-detail
	mkdir -p "$SW_WORK_DIR"
	"$SCANWATCH" eval "$corpus/labels.tsv" -v >"$detail.table" 2>"$detail" || rc=$?
	cat "$detail.table"
	if ((rc != 0)); then
		# what went wrong first: the rows that are not right, with their detail
		echo "----- rows not scored right:"
		grep -vE '^capture |[[:space:]]found[[:space:]]|\(benign\)[[:space:]]+-[[:space:]]' \
			"$detail.table" || true
	fi
	echo "----- detail (scanwatch eval -v, stderr):"
	cat "$detail"
	((rc == 0)) || sw_fail "scanwatch eval exited with status $rc: a scan missed, mis-typed or mis-attributed, or a false positive (table above)"
	sw_log "PASS: every capture in $corpus/labels.tsv scored right"
	# The same records with 1, 2 and 4 workers, for every capture of the corpus.
	local caps=() cap
	while IFS=$'\t' read -r cap _; do
		[[ -z $cap || $cap == \#* ]] && continue
		[[ $cap == /* ]] || cap=$corpus/$cap
		caps+=("$cap")
	done < <(cut -f1 "$corpus/labels.tsv" | sort -u)
	bash "$SW_LIB_DIR/../captures/workers_diff.sh" "$SCANWATCH" "$SW_WORK_DIR/$2.workers" "${caps[@]}" ||
		sw_fail "the records of a capture depend on the number of workers (diff above)"
}
