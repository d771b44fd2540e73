#!/usr/bin/env bash
# run.sh — scanwatch's benchmark: replay rates against the libpcap floor, memory per source, SQLite rows/s, live drops.
#
# The one command (as root, from anywhere):
#
#   bash tests/bench/run.sh            # full: 5M-packet captures, 5 runs each, ~10 min on 2 cores
#   bash tests/bench/run.sh --quick    # 1M-packet captures, for trying things out (~2-3 min)
#
# Options: --runs N (runs per measurement, default 5), --work DIR (default
# build-bench/bench-work), --no-live (skip the namespace part), --no-profile
# (skip the callgrind profile, 7. below), --cell-budget S
# and --run-timeout S (see 3. below), --nats (add the JetStream
# publish rate, 5b. below), --peer 'CMD {}' (time another tool
# installed here on A, B and C beside scanwatch: {} is the capture), --help.
# Not a ctest test on purpose: timings belong in a report, not in pass/fail.
#
# What it does, in order:
#
# 1. Installs what it needs with apt-get when missing (build tools, libpcap,
#    tcpdump, tcpreplay, GNU time, sqlite3, iproute2), configures and builds a
#    Release tree in build-bench/ (never the developers' build trees), and
#    compiles tests/bench/bare_loop.c and tests/bench/gen_sources.c with -O2.
#
# 2. Generates its captures into the work directory, once: each capture has a
#    .cmd file holding the command that made it, and is regenerated only when
#    that command changes (delete the work directory to force it).
#      A  5M packets of SYN scans from 4 sources: scanprobe -sS -p- --scanners 4
#         over 198.18.0.0/28 with the simulated target's replies, --max-packets 5M.
#      B  5M packets from 1M distinct sources: gen_sources, a spoofed-source SYN
#         flood, 5 SYNs per source in 5 rounds. 198.18.0.0/15 has only 131,072
#         addresses, so sources are 198.18.1.0-198.19.255.255 (130,816 IPv4) and
#         then 2001:2:0:1::/64 (869,184 IPv6), all benchmarking ranges (RFC 2544,
#         RFC 5180); see gen_sources.c. This file is never sent anywhere.
#      C  5M packets of scans mixed with benign background: scanprobe -sS
#         -p 1-20000 --scanners 4 --background 370000 (HTTP, DNS, ping), about
#         half and half.
#      D  20,000 small port scans (4 SYNs and 4 RSTs each, one source each), for
#         detections written to SQLite per second.
#      M1, M2  50,000 and 250,000 sources sending one SYN each, for the memory
#         cost of a source that probed one service (the sensor holds such a
#         source in one compact record, see include/scanwatch/admit.h).
#      M3, M4  10,000 and 40,000 sources sending a SYN to each of two ports, for
#         the cost of a source the source-grouped rules track.
#    --quick divides the packet counts by 5 (B: 200,000 sources; D: 5,000 scans;
#    M: 20,000 / 100,000 and 4,000 / 16,000 sources).
#
# 3. Reads every capture once (cat >/dev/null) so all runs read from the page
#    cache, then runs on the same files N times, in rounds: each round runs
#    every command of the table once on the capture, so a spell in which the
#    machine runs slow (a virtual machine's neighbours) falls on one run of
#    each command, not on all the runs of one. It reports the median wall time
#    as packets/s (the capture's packet count / wall time of the whole
#    process, measured the same way for every tool, so start-up is included for
#    each): the floor (bare_loop: pcap_next_ex touching one byte a packet),
#    the floor again with the 256 KiB stdio buffer scanwatch reads a plain file
#    through (bare_loop --buffer: the ratios to the floor are the brief's, to
#    libpcap's default reading; this one says how much of them the buffer is),
#    `tcpdump -r F -w /dev/null`, `scanwatch -r F --no-db -q` with --workers 1
#    and 2 (and with as many as the machine has cores, when more than 2; the
#    detections of every worker count must agree, and the table says so),
#    `scanwatch -r F --db D -q` (one worker, a fresh database each run),
#    `scanwatch -r F --no-db -q --rules IDLE` (one worker, a rule set of one ARP
#    sweep rule, which nothing in A, B or C reaches: capture, decode, handshake
#    tracking, the flow table and the evidence frames as always, and no rule;
#    what it leaves of the default run's time is what the rules cost, and its
#    ratio to the floor bounds what any change to the rules could reach), and
#    the --peer command when given. Nothing here builds or installs a peer. Peak RSS is GNU
#    time's %M (median of the runs). A ratio of two commands (to the floor, two
#    workers to one) is the median of their ratios within each round, the two
#    runs a few seconds apart. The rounds stop early, after at least one, once
#    they have taken longer than --cell-budget seconds (default 60) a command,
#    and a run is killed after --run-timeout seconds (default 180); the table
#    shows how many runs a median is of, so a slow sensor still gives a
#    complete table in bounded time.
#
# 4. Memory per source, measured rather than computed from struct sizes: M1
#    and M2 (M3 and M4) differ only in their number of distinct sources, are
#    replayed with --memory-cap 1G so nothing is evicted (checked: the
#    summary's evictions must be 0), and the difference of peak RSS divided by
#    the difference of sources is the marginal cost of one source: all of its
#    state-table entries plus its half-open flows, including the hash slots
#    and allocator overhead it brings. Why 1G and not more: the tables'
#    bucket arrays are sized from the cap and touched at random, and RSS
#    counts pages, so at a cap far above the contents each new source also
#    faults in a page of an almost empty bucket array and the delta measures
#    page faults rather than state; at 1G both runs of a pair touch every page
#    of the bucket arrays, and the delta is the entries themselves. The budget the sensor itself plans per
#    entry is shown too: the live stats line at start reports the table
#    capacities its --memory-cap allowed (flows N/M, sources N/M). One worker,
#    as the targets are stated: with two, M3/M4 measured 2,018 to 2,277 bytes a
#    source in three tries against 1,880 with one (2026-12-07; a second
#    thread, its malloc arena and the ring's fill at the peak move RSS by
#    megabytes between runs).
#
# 5. Detection rows per second, one worker: D is replayed with --db into a fresh database;
#    rows/s = rows in the detections table / wall time of the whole run. The
#    same replay with --no-db is timed too, so the store's own share shows.
#
# 5b. NATS JetStream publish rate (only with --nats; root): one nats-server with
#    JetStream (file storage) on the loopback of a namespace of its own
#    (swbench-PID-nats, deleted by name on exit), the stream made once by
#    `scanwatch collect`, which is then stopped; D is replayed with --no-db
#    --nats, and records/s = records acknowledged (the sensor's exit summary) /
#    wall time of the whole run, which includes waiting for the last ack.
#
# 6. Live (root only; skipped with --no-live): two network namespaces named
#    swbench-PID-tx and swbench-PID-rx joined by one veth pair; no addresses,
#    no routes, IPv6 disabled, so nothing on the link but what is injected and
#    nothing can leave (the frames carry foreign MAC addresses and are dropped
#    by the receiving kernel after capture). Only capture A is replayed, whose
#    addresses are all in 198.18.0.0/15. `scanwatch -i swb-rx --allow-root
#    --workers 2 --no-db -q --stats-interval 1s` runs in -rx with its default ring (32M);
#    `tcpreplay -i swb-tx -K --loop N` (the first 500k packets of A preloaded
#    into memory and sent in a loop, so reading the file is not what limits
#    it) in -tx first at --topspeed, then at --pps rates
#    stepping down from what topspeed reached, until one trial has zero losses:
#    scanwatch's "kernel drops" (its last stats line, after SIGTERM) is 0 and it
#    saw every packet tcpreplay sent (a packet the veth itself dropped never
#    reaches the ring, so both are checked). The topspeed trial sends 2M packets
#    (--quick: 500k), paced trials about 5 s of traffic: several times the
#    ~250k of these small frames the 32M ring holds, so a ring that merely hides
#    a slow reader for a moment does not pass. Namespaces are deleted by exact
#    name on exit (trap), and only the processes this script started are
#    signalled, by PID.
#
# 7. Profile (skipped with --no-profile): instructions per packet under
#    valgrind's callgrind, on the first 300,000 packets of A and of B, for the
#    floor and for scanwatch --no-db, and scanwatch's split by stage (the
#    source file each instruction comes from: the build carries -g, which
#    changes no code, so inlined code is still counted where it was written).
#    Instruction counts are the same on every run where seconds are not, so
#    this is what says where the time goes and what bounds the ratios. The
#    same with --workers 2, per thread (--separate-threads: the packet thread,
#    which reads, decodes and classifies, and the detection thread): the busier
#    of the two bounds what a second core can give.
#
# 8. Prints one table and writes it to WORK/results.txt.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cmdline="$*"
build=$root/build-bench
work=
quick=0
runs=5
live=1
profile=1
nats=0
prof_pkts=300000
cell_budget=60
run_timeout=180
peer=

usage() {
	sed -n '3,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	--runs)
		runs=${2:?--runs needs a number}
		shift
		;;
	--work)
		work=${2:?--work needs a directory}
		shift
		;;
	--cell-budget)
		cell_budget=${2:?}
		shift
		;;
	--run-timeout)
		run_timeout=${2:?}
		shift
		;;
	--peer)
		peer=${2:?--peer needs a command}
		[[ $peer == *"{}"* ]] || {
			echo "run.sh: --peer needs {} where the capture's path goes" >&2
			exit 2
		}
		shift
		;;
	--no-live) live=0 ;;
	--no-profile) profile=0 ;;
	--nats) nats=1 ;;
	-h | --help) usage ;;
	*)
		echo "run.sh: unknown argument '$1'" >&2
		usage
		;;
	esac
	shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || {
	echo "run.sh: --runs must be a positive integer" >&2
	exit 2
}
work=${work:-$build/bench-work}

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
	printf 'run.sh: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------- sizes
if ((quick)); then
	mode=quick
	pkts=1000000
	b_sources=200000
	c_ports=1-4000
	c_background=74000
	d_scans=5000
	m1=20000
	m2=100000
	m3=4000
	m4=16000
	live_pkts=500000
	live_file_pkts=250000
else
	mode=full
	pkts=5000000
	b_sources=1000000
	c_ports=1-20000
	c_background=370000
	d_scans=20000
	m1=50000
	m2=250000
	m3=10000
	m4=40000
	live_pkts=2000000
	live_file_pkts=500000
fi
# The memory-curve runs need room for every source (held, M2: 250,000 of about
# 640,000 at 1G; tracked, M4: 40,000 sources of about 3 entries each, of about
# 210,000 entries) and a cap whose bucket arrays both runs fill (see 4. above).
m_cap=1G
# Seconds of traffic each paced live trial sends (see 6. above).
live_trial_secs=5
# Fractions of the topspeed rate tried, highest first, until one is clean.
live_fractions=(0.9 0.75 0.5 0.3 0.15 0.05)

# ---------------------------------------------------------------- tools
need_pkgs=(build-essential cmake ninja-build pkg-config libpcap-dev libyaml-dev libsqlite3-dev
	libnats-dev sqlite3 tcpdump time iproute2)
((nats)) && need_pkgs+=(nats-server)
((live)) && need_pkgs+=(tcpreplay)
((profile)) && need_pkgs+=(valgrind)
missing=()
for p in "${need_pkgs[@]}"; do
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	((EUID == 0)) || die "missing packages (${missing[*]}); run as root to install them"
	log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ((live && EUID != 0)); then
	die "the live part needs root (network namespaces); run as root or pass --no-live"
fi

log "Release build in $build"
mkdir -p "$build"
{ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g &&
	ninja -C "$build" scanwatch scanprobe; } >"$build/bench-build.log" 2>&1 || {
	tail -30 "$build/bench-build.log" >&2
	die "the Release build failed (log: $build/bench-build.log)"
}
# What was built (read now: the tree may move while the benchmark runs).
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$root" status --porcelain --untracked-files=no -- sensor include schema rules CMakeLists.txt 2>/dev/null) ]] &&
	commit="$commit + uncommitted changes"
scanwatch=$build/scanwatch
scanprobe=$build/scanprobe
mkdir -p "$work" "$build/bench-tools"
bare=$build/bench-tools/bare_loop
gen=$build/bench-tools/gen_sources
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$bare" "$root/tests/bench/bare_loop.c" -lpcap
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$gen" "$root/tests/bench/gen_sources.c"

# ---------------------------------------------------------------- captures
capdir=$work/$mode
mkdir -p "$capdir"

# make_capture NAME CMD... — runs CMD (which writes $capdir/NAME.pcap) unless
# the capture exists and was made by the same command.
make_capture() {
	local name=$1
	shift
	local f=$capdir/$name.pcap stamp=$capdir/$name.cmd want
	want=$(printf '%q ' "$@")
	if [[ -s $f && -f $stamp && $(<"$stamp") == "$want" ]]; then
		return 0
	fi
	log "generating $name: $*"
	rm -f "$f" "$stamp"
	"$@" >"$capdir/$name.gen.log" 2>&1 || {
		cat "$capdir/$name.gen.log" >&2
		die "generating $name failed"
	}
	[[ -s $f ]] || die "generating $name wrote no $f"
	printf '%s' "$want" >"$stamp"
}

# Command lines use paths relative to $capdir so the stamps survive moving it.
cd "$capdir"
# The idle rule set (3. above): one ARP sweep rule, and nothing in A, B or C is ARP.
cat >idle.yaml <<'YAML'
version: 1
rules:
  - id: BENCH-IDLE-ARP
    name: "ARP sweep (bench: a rule none of A, B, C reaches)"
    detector: arp_sweep
    threshold: 5
    window: 10s
YAML
make_capture A "$scanprobe" -sS -p- --scanners 4 --seed 1 --max-packets "$pkts" \
	--write A.pcap --labels A.labels.tsv 198.18.0.0/28
make_capture B "$gen" --sources "$b_sources" --per-source $((pkts / b_sources)) --seed 2 -o B.pcap
make_capture C "$scanprobe" -sS -p "$c_ports" --scanners 4 --background "$c_background" --seed 3 \
	--max-packets "$pkts" --write C.pcap --labels C.labels.tsv 198.18.0.0/28
make_capture D "$gen" --sources "$d_scans" --per-source 4 --ports 4 --replies --seed 4 -o D.pcap
make_capture M1 "$gen" --sources "$m1" --per-source 1 --seed 5 -o M1.pcap
make_capture M2 "$gen" --sources "$m2" --per-source 1 --seed 5 -o M2.pcap
make_capture M3 "$gen" --sources "$m3" --per-source 2 --ports 2 --seed 6 -o M3.pcap
make_capture M4 "$gen" --sources "$m4" --per-source 2 --ports 2 --seed 6 -o M4.pcap

log "reading the captures into the page cache"
cat A.pcap B.pcap C.pcap D.pcap M1.pcap M2.pcap M3.pcap M4.pcap >/dev/null

# ---------------------------------------------------------------- measuring
ncores=$(nproc)
tmp=$(mktemp -d "$work/run.XXXXXX")
ns_tx=
ns_rx=
ns_nats=
live_pid=
nats_pid=
cleanup() {
	local rc=$?
	if [[ -n $nats_pid ]] && kill -0 "$nats_pid" 2>/dev/null; then
		kill -TERM "$nats_pid" 2>/dev/null || true
		wait "$nats_pid" 2>/dev/null || true
	fi
	[[ -n $ns_nats ]] && ip netns del "$ns_nats" 2>/dev/null
	if [[ -n $live_pid ]] && kill -0 "$live_pid" 2>/dev/null; then
		kill -TERM "$live_pid" 2>/dev/null || true
		wait "$live_pid" 2>/dev/null || true
	fi
	[[ -n $ns_tx ]] && ip netns del "$ns_tx" 2>/dev/null
	[[ -n $ns_rx ]] && ip netns del "$ns_rx" 2>/dev/null
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_us() {
	local t=${EPOCHREALTIME/,/.}
	echo $((${t%.*} * 1000000 + 10#${t#*.}))
}

# median of the numbers on standard input
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print ""; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# run_once KEY [--db] CMD... — runs CMD once (unless a run of KEY failed already) and adds
# its wall time and peak RSS to WALLS[KEY] and RSSS[KEY] (space-separated, one a run) and
# its seconds to SPENT[KEY]; OUT[KEY] is the standard error and output of the run and
# FAIL[KEY] is non-empty once a run failed. With --db, "@DB" in CMD is replaced by a
# fresh database path, KEY's own (ROWS and EVJ are read from it by finish_key).
# finish_key KEY — sets WALL[KEY] (median seconds), RSS[KEY] (median KB), N[KEY] (runs).
# measure KEY [--db] CMD... — run_once up to $runs times (fewer once they took
# $cell_budget seconds, never fewer than one), then finish_key.
declare -A WALL RSS N OUT FAIL WALLS RSSS SPENT DBOF
run_once() {
	local key=$1
	shift
	local use_db=0
	if [[ $1 == --db ]]; then
		use_db=1
		shift
	fi
	FAIL[$key]=${FAIL[$key]:-}
	[[ -z ${FAIL[$key]} ]] || return 0
	local t0 t1 rc db=$tmp/bench.${key//[^A-Za-z0-9]/_}.db args=() a
	for a in "$@"; do
		[[ $a == @DB ]] && a=$db
		args+=("$a")
	done
	if ((use_db)); then
		rm -f "$db" "$db-wal" "$db-shm"
		DBOF[$key]=$db
	fi
	t0=$(now_us)
	rc=0
	timeout "$run_timeout" /usr/bin/time -f %M -o "$tmp/rss" "${args[@]}" \
		>"$tmp/out" 2>"$tmp/err" || rc=$?
	t1=$(now_us)
	OUT[$key]=$(cat "$tmp/err" "$tmp/out")
	if ((rc == 124)); then
		FAIL[$key]="timeout (>${run_timeout}s)"
		return 0
	elif ((rc != 0)); then
		FAIL[$key]="exit $rc: $(grep -v '^Command exited' "$tmp/err" | tail -1)"
		return 0
	fi
	WALLS[$key]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", (b - a) / 1e6}') "
	RSSS[$key]+="$(tail -1 "$tmp/rss") "
	SPENT[$key]=$((${SPENT[$key]:-0} + t1 - t0))
}
finish_key() {
	local key=$1 w
	read -r -a w <<<"${WALLS[$key]:-}"
	N[$key]=${#w[@]}
	WALL[$key]=$(printf '%s\n' ${WALLS[$key]:-} | median)
	RSS[$key]=$(printf '%s\n' ${RSSS[$key]:-} | median)
	FAIL[$key]=${FAIL[$key]:-}
	if [[ -n ${DBOF[$key]:-} && -z ${FAIL[$key]} && -f ${DBOF[$key]} ]]; then
		ROWS[$key]=$(sqlite3 "${DBOF[$key]}" 'SELECT count(*) FROM detections' 2>/dev/null || echo "")
		EVJ[$key]=$(sqlite3 "${DBOF[$key]}" 'SELECT evictions FROM runs ORDER BY id DESC LIMIT 1' 2>/dev/null || echo "")
	fi
	log "$key: ${N[$key]} run(s), median ${WALL[$key]:-?} s, rss ${RSS[$key]:-?} KB${FAIL[$key]:+, ${FAIL[$key]}}"
}
measure() {
	local key=$1 i
	for ((i = 0; i < runs; i++)); do
		run_once "$@"
		[[ -z ${FAIL[$key]} ]] || break
		((${SPENT[$key]:-0} < cell_budget * 1000000)) || break
	done
	finish_key "$key"
}
declare -A ROWS PKTS EVJ

# Field from scanwatch's summary line ("...; 4 detection(s); 0 anomalies; 12 evictions").
sw_field() { # KEY WORD
	{ grep -o "[0-9]* $2" <<<"${OUT[$1]:-}" || true; } | tail -1 | awk '{print $1}'
}

# One run of the table's command KIND on capture C (the rounds below).
run_cell() { # KIND C
	local k=$1 c=$2
	case $k in
	bare) run_once "bare.$c" "$bare" "$c.pcap" ;;
	bare256) run_once "bare256.$c" "$bare" --buffer 262144 "$c.pcap" ;;
	tcpdump) run_once "tcpdump.$c" tcpdump -r "$c.pcap" -w /dev/null ;;
	nodb) run_once "nodb.$c" "$scanwatch" -r "$c.pcap" --no-db -q --workers 1 ;;
	w2) run_once "w2.$c" "$scanwatch" -r "$c.pcap" --no-db -q --workers 2 ;;
	wn) run_once "wn.$c" "$scanwatch" -r "$c.pcap" --no-db -q --workers "$ncores" ;;
	db) run_once "db.$c" --db "$scanwatch" -r "$c.pcap" --db @DB -q --workers 1 ;;
	idle) run_once "idle.$c" "$scanwatch" -r "$c.pcap" --no-db -q --workers 1 --rules idle.yaml ;;
	peer) run_once "peer.$c" bash -c "${peer//\{\}/$(printf %q "$c.pcap")}" ;;
	esac
}
kinds=(bare bare256 tcpdump nodb w2)
((ncores > 2)) && kinds+=(wn)
kinds+=(db idle)
[[ -n $peer ]] && kinds+=(peer)
for c in A B C; do
	log "capture $c: up to $runs rounds of ${kinds[*]}"
	spent_c=0
	for ((i = 0; i < runs; i++)); do
		for k in "${kinds[@]}"; do
			run_cell "$k" "$c"
		done
		spent_c=0
		for k in "${kinds[@]}"; do
			spent_c=$((spent_c + ${SPENT[$k.$c]:-0}))
		done
		((spent_c < cell_budget * ${#kinds[@]} * 1000000)) || break
	done
	for k in "${kinds[@]}"; do
		finish_key "$k.$c"
	done
	PKTS[$c]=$(awk '/^packets/ {print $2}' <<<"${OUT[bare.$c]:-}")
done

log "memory per source (M1, M2 with --memory-cap $m_cap)"
measure "mem.M1" "$scanwatch" -r M1.pcap --no-db -q --memory-cap "$m_cap" --workers 1
measure "mem.M2" "$scanwatch" -r M2.pcap --no-db -q --memory-cap "$m_cap" --workers 1
measure "mem.M3" "$scanwatch" -r M3.pcap --no-db -q --memory-cap "$m_cap" --workers 1
measure "mem.M4" "$scanwatch" -r M4.pcap --no-db -q --memory-cap "$m_cap" --workers 1

log "detection rows into SQLite (D)"
measure "db.D" --db "$scanwatch" -r D.pcap --db @DB -q --workers 1
if [[ ${FAIL[db.D]} == timeout* ]]; then
	FAIL[nodb.D]="skipped: the --db run timed out"
else
	measure "nodb.D" "$scanwatch" -r D.pcap --no-db -q --workers 1
fi

# ---------------------------------------------------------------- NATS (--nats)
nats_acked=
if ((nats)); then
	((EUID == 0)) || die "--nats needs root (a network namespace for the server)"
	ns_nats=swbench-$$-nats
	ip netns add "$ns_nats"
	ip -n "$ns_nats" link set lo up
	log "nats: nats-server with JetStream in $ns_nats"
	ip netns exec "$ns_nats" nats-server -js -a 127.0.0.1 -p 4222 -sd "$tmp/nats" -l "$tmp/nats.log" &
	nats_pid=$!
	deadline=$(($(now_us) + 20000000))
	until grep -q 'Server is ready' "$tmp/nats.log" 2>/dev/null; do
		kill -0 "$nats_pid" 2>/dev/null || die "nats-server exited: $(tail -3 "$tmp/nats.log")"
		(($(now_us) < deadline)) || die "nats-server not ready in 20 s"
		sleep 0.1
	done
	# The stream, made by the collector (then stopped: the rate is the sensor's alone).
	ip netns exec "$ns_nats" "$scanwatch" collect --nats nats://127.0.0.1:4222 --db "$tmp/central.db" \
		2>"$tmp/collect.err" &
	collect_pid=$!
	deadline=$(($(now_us) + 20000000))
	until grep -q 'consuming' "$tmp/collect.err"; do
		kill -0 "$collect_pid" 2>/dev/null || die "collect exited: $(cat "$tmp/collect.err")"
		(($(now_us) < deadline)) || die "collect made no stream in 20 s"
		sleep 0.1
	done
	kill -TERM "$collect_pid"
	wait "$collect_pid" || true
	log "nats publish rate (D)"
	measure "nats.D" ip netns exec "$ns_nats" "$scanwatch" -r D.pcap --no-db -q \
		--nats nats://127.0.0.1:4222 --sensor-id bench
	nats_acked=$(sed -n 's/.*: \([0-9]*\) records acknowledged.*/\1/p' <<<"${OUT[nats.D]:-}" | tail -1)
fi

# ---------------------------------------------------------------- profile
# PROF[who.C] = "total reading decode flows hash detect other" instructions.
declare -A PROF=()
# Sums callgrind_annotate's per-function self costs by the stage of their source file.
prof_stages() { # CALLGRIND_OUT
	callgrind_annotate --auto=no --threshold=100 "$1" 2>/dev/null | awk '
		/PROGRAM TOTALS/ { v = $1; gsub(",", "", v); total = v; next }
		$1 ~ /^[0-9][0-9,]*$/ && $2 ~ /^\(/ {
			v = $1; gsub(",", "", v); f = $0
			sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", f)
			if (f ~ /libpcap|libio|fread|(^|\/)sensor\/capture\.c/) s = "reading"
			else if (f ~ /(^|\/)sensor\/(decode[a-z0-9_]*|defrag|pipeline)\.c|cursor\.h|packet\.h/) s = "decode"
			else if (f ~ /(^|\/)sensor\/classify\.c/) s = "flows"
			else if (f ~ /(^|\/)sensor\/hash\.c/) s = "hash"
			else if (f ~ /(^|\/)sensor\/(detect[a-z0-9_]*|track|attribute|admit)\.c|detect_private\.h|detect\.h|track\.h|strbuf\.h/) s = "detect"
			else s = "other"
			sum[s] += v
		}
		END { printf "%.0f %.0f %.0f %.0f %.0f %.0f %.0f\n", total, sum["reading"], sum["decode"], sum["flows"], sum["hash"], sum["detect"], sum["other"] }'
}
if ((profile)); then
	for c in A B; do
		log "callgrind profile, first $prof_pkts packets of $c"
		tcpdump -r "$c.pcap" -c "$prof_pkts" -w "$tmp/$c.slice.pcap" 2>/dev/null
		valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.bare.$c" "$bare" "$tmp/$c.slice.pcap" >/dev/null 2>&1 &&
			PROF[bare.$c]=$(prof_stages "$tmp/cg.bare.$c")
		# --no-sandbox: valgrind implements neither seccomp nor Landlock (unhandled
		# system calls 317 and 444), and the sensor refuses to run unconfined otherwise.
		valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.sw.$c" "$scanwatch" -r "$tmp/$c.slice.pcap" --no-db -q --no-sandbox --workers 1 >/dev/null 2>&1 &&
			PROF[sw.$c]=$(prof_stages "$tmp/cg.sw.$c")
		# Two workers, one profile per thread: the packet thread (reading, decode,
		# classify) is the process's first thread (file -01), the detection thread the
		# last one started (the writer thread, idle with --no-db, comes between them).
		rm -f "$tmp/cg.w2.$c"*
		if valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$tmp/cg.w2.$c" "$scanwatch" \
			-r "$tmp/$c.slice.pcap" --no-db -q --no-sandbox --workers 2 >/dev/null 2>&1; then
			threads=("$tmp/cg.w2.$c"-*)
			PROF[w2front.$c]=$(prof_stages "${threads[0]}")
			PROF[w2detect.$c]=$(prof_stages "${threads[${#threads[@]} - 1]}")
		fi
	done
fi

# ---------------------------------------------------------------- live
declare -a LIVE_ROWS=()
live_best=
live_top=
cap_line=
if ((live)); then
	ns_tx=swbench-$$-tx
	ns_rx=swbench-$$-rx
	log "live: namespaces $ns_tx, $ns_rx"
	ip netns add "$ns_tx"
	ip netns add "$ns_rx"
	for ns in "$ns_tx" "$ns_rx"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add swb-tx netns "$ns_tx" type veth peer name swb-rx netns "$ns_rx"
	# tcpreplay's -K preloads the whole file before sending (about 9 us a packet
	# here), so it replays the first part of A in a loop rather than all of it.
	tcpdump -r A.pcap -c "$live_file_pkts" -w "$tmp/live.pcap" 2>/dev/null
	ip -n "$ns_tx" link set swb-tx up
	ip -n "$ns_rx" link set swb-rx up

	# last_stats LOG — scanwatch's most recent statistics line
	last_stats() { grep 'stats (' "$1" | tail -1; }

	# live_trial LABEL TCPREPLAY-RATE-ARGS... — one trial; appends a row to LIVE_ROWS and
	# sets trial_clean=1 when nothing was lost, trial_pps to the rate tcpreplay reached.
	live_trial() {
		local label=$1
		shift
		local log_rx=$tmp/live-rx.log log_tx=$tmp/live-tx.log count=$1
		shift
		: >"$log_rx"
		ip netns exec "$ns_rx" "$scanwatch" -i swb-rx --allow-root --workers 2 --no-db -q \
			--stats-interval 1s 2>"$log_rx" &
		live_pid=$!
		local deadline=$(($(now_us) + 20000000))
		until grep -q 'stats (interval)' "$log_rx"; do
			kill -0 "$live_pid" 2>/dev/null || die "live scanwatch exited: $(cat "$log_rx")"
			(($(now_us) < deadline)) || die "live scanwatch printed no statistics in 20 s"
			sleep 0.1
		done
		[[ -n $cap_line ]] || cap_line=$(last_stats "$log_rx")
		ip netns exec "$ns_tx" tcpreplay -i swb-tx -K --loop $(((count + live_file_pkts - 1) / live_file_pkts)) \
			-L "$count" "$@" "$tmp/live.pcap" >"$log_tx" 2>&1 ||
			die "tcpreplay failed: $(tail -3 "$log_tx")"
		# Wait until scanwatch has read everything: two interval lines with the same count.
		local prev=-1 cur deadline2=$(($(now_us) + 60000000))
		while :; do
			sleep 1.1
			cur=$(last_stats "$log_rx" | awk '{print $4}')
			[[ $cur == "$prev" ]] && break
			prev=$cur
			(($(now_us) < deadline2)) || break
		done
		kill -TERM "$live_pid"
		wait "$live_pid" || true
		live_pid=
		local fin sent pps failed seen kdrops ifdrops lost
		fin=$(last_stats "$log_rx")
		sent=$(awk '/Successful packets:/ {print $3}' "$log_tx")
		failed=$(awk '/Failed packets:/ {print $3}' "$log_tx")
		pps=$(grep -o '[0-9.]* pps' "$log_tx" | head -1 | awk '{printf "%.0f", $1}')
		seen=$(awk '{print $4}' <<<"$fin")
		kdrops=$(grep -o 'kernel drops [0-9]*' <<<"$fin" | awk '{print $3}')
		ifdrops=$(grep -o 'interface drops [0-9]*' <<<"$fin" | awk '{print $3}')
		[[ $sent =~ ^[0-9]+$ && $failed =~ ^[0-9]+$ && $seen =~ ^[0-9]+$ && $kdrops =~ ^[0-9]+$ &&
			$ifdrops =~ ^[0-9]+$ ]] ||
			die "cannot read the live trial's counters: tcpreplay '$sent/$failed', scanwatch '$fin'"
		lost=$((sent - seen - kdrops))
		((lost < 0)) && lost=0
		trial_pps=$pps
		trial_clean=0
		((kdrops == 0 && ifdrops == 0 && lost == 0 && failed == 0)) && trial_clean=1
		LIVE_ROWS+=("$(printf '%-14s %10s %12s %10s %12s %12s %10s  %s' "$label" "$sent" "$pps" \
			"$seen" "$kdrops" "$lost" "$failed" "$( ((trial_clean)) && echo clean || echo LOSS)")")
		log "live $label: sent $sent at $pps pps, seen $seen, kernel drops $kdrops, lost $lost"
	}

	live_trial topspeed "$live_pkts" --topspeed
	live_top=$trial_pps
	if ((trial_clean)); then
		live_best=$trial_pps
	else
		for f in "${live_fractions[@]}"; do
			rate=$(awk -v t="$live_top" -v f="$f" 'BEGIN {printf "%d", t * f}')
			((rate > 0)) || continue
			n=$((rate * live_trial_secs))
			((n > live_pkts)) && n=$live_pkts
			live_trial "--pps $rate" "$n" --pps "$rate" --pps-multi 10
			if ((trial_clean)); then
				live_best=$trial_pps
				break
			fi
		done
	fi
	ip netns del "$ns_tx" && ns_tx=
	ip netns del "$ns_rx" && ns_rx=
fi

# ---------------------------------------------------------------- table
fmt_rate() { # packets seconds
	[[ -n $1 && -n $2 ]] || {
		echo "-"
		return
	}
	awk -v p="$1" -v s="$2" 'BEGIN { r = p / s; if (r >= 1e6) printf "%.2fM", r / 1e6; else printf "%.0fk", r / 1e3 }'
}
# paired NUM DEN FMT: the median over the rounds of WALL(NUM) / WALL(DEN), the two runs of a
# round side by side (the rounds of section 3); the ratio of the medians when they did not
# run in the same rounds (a failed run).
paired() {
	local a b i
	read -r -a a <<<"${WALLS[$1]:-}"
	read -r -a b <<<"${WALLS[$2]:-}"
	if ((${#a[@]} > 0 && ${#a[@]} == ${#b[@]})); then
		for ((i = 0; i < ${#a[@]}; i++)); do
			awk -v x="${a[i]}" -v y="${b[i]}" 'BEGIN {printf "%.6f\n", x / y}'
		done | median | xargs printf "$3"
	else
		awk -v x="${WALL[$1]}" -v y="${WALL[$2]}" -v f="$3" 'BEGIN {printf f, x / y}'
	fi
}
cell() { # KEY CAPTURE -> "rate (n=N)" or the failure
	local k=$1 c=$2
	if [[ -n ${FAIL[$k]:-} ]]; then
		echo "${FAIL[$k]%% *}"
	else
		echo "$(fmt_rate "${PKTS[$c]:-}" "${WALL[$k]:-}") (${N[$k]:-})"
	fi
}
speedup() { # PREFIX CAPTURE: PREFIX.C's rate over one worker's
	local k=$1.$2
	[[ -z ${FAIL[$k]:-} && -z ${FAIL[nodb.$2]:-} && -n ${WALL[$k]:-} && -n ${WALL[nodb.$2]:-} ]] || {
		echo "-"
		return
	}
	printf '%sx' "$(paired "nodb.$2" "$k" %.2f)"
}
vs_peer() { # CAPTURE: scanwatch's rate (one worker) over the peer's
	[[ -z ${FAIL[peer.$1]:-} && -z ${FAIL[nodb.$1]:-} && -n ${WALL[peer.$1]:-} ]] || {
		echo "${FAIL[peer.$1]:+peer failed}${FAIL[peer.$1]:--}"
		return
	}
	printf '%sx' "$(paired "peer.$1" "nodb.$1" %.2f)"
}
same_count() { # CAPTURE: one and two workers reported as many detections
	local a b
	a=$(sw_field "nodb.$1" detection)
	b=$(sw_field "w2.$1" detection)
	[[ -n $a && -n $b ]] || {
		echo "-"
		return
	}
	[[ $a == "$b" ]] && echo yes || echo "NO ($b)"
}
bound() { # CAPTURE: one worker's instructions over the busier thread's with two
	local all f d
	all=$(awk '{print $1}' <<<"${PROF[sw.$1]:-}")
	f=$(awk '{print $1}' <<<"${PROF[w2front.$1]:-}")
	d=$(awk '{print $1}' <<<"${PROF[w2detect.$1]:-}")
	[[ -n $all && -n $f && -n $d ]] || {
		echo "-"
		return
	}
	awk -v a="$all" -v f="$f" -v d="$d" 'BEGIN {printf "%.2fx", a / (f > d ? f : d)}'
}
ratio() { # KEY CAPTURE
	local k=$1 c=$2
	[[ -z ${FAIL[$k]:-} && -n ${WALL[$k]:-} && -n ${WALL[bare.$c]:-} ]] || {
		echo "-"
		return
	}
	printf '%sx' "$(paired "bare.$c" "$k" %.3f)"
}
ratio256() { # KEY CAPTURE: as ratio, to the floor with a 256 KiB buffer
	local k=$1 c=$2
	[[ -z ${FAIL[$k]:-} && -n ${WALL[$k]:-} && -n ${WALL[bare256.$c]:-} ]] || {
		echo "-"
		return
	}
	printf '%sx' "$(paired "bare256.$c" "$k" %.3f)"
}
rules_share() { # CAPTURE: the share of one worker's time the rules take, 1 - idle / default
	[[ -z ${FAIL[idle.$1]:-} && -z ${FAIL[nodb.$1]:-} && -n ${WALL[idle.$1]:-} && -n ${WALL[nodb.$1]:-} ]] || {
		echo "-"
		return
	}
	awk -v r="$(paired "idle.$1" "nodb.$1" %.6f)" 'BEGIN {printf "%.0f%%", 100 * (1 - r)}'
}
idle_check() { # CAPTURE: the idle run must report no detection, or it was not idle
	local n
	n=$(sw_field "idle.$1" detection)
	[[ -z $n || $n == 0 ]] && echo "${n:--}" || echo "$n (NOT IDLE)"
}
mb() { [[ -n $1 ]] && awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}' || echo "-"; }
# One memory pair: LABEL X Y NX NY (the measurements mem.X and mem.Y, NX and NY sources).
mem_pair() {
	local label=$1 x=$2 y=$3 nx=$4 ny=$5 ex ey
	ex=$(sw_field "mem.$x" evictions)
	ey=$(sw_field "mem.$y" evictions)
	echo "  $label"
	if [[ -n ${FAIL[mem.$x]:-}${FAIL[mem.$y]:-} ]]; then
		echo "    not measured: ${FAIL[mem.$x]:-}${FAIL[mem.$y]:-}"
		return
	fi
	printf '    peak RSS %s %s MB, %s %s MB, evictions %s / %s\n' "$x" "$(mb "${RSS[mem.$x]:-}")" \
		"$y" "$(mb "${RSS[mem.$y]:-}")" "$ex" "$ey"
	if [[ -z $ex || -z $ey ]]; then
		echo "    bytes per source: not measured (no summary line from scanwatch)"
	elif [[ $ex == 0 && $ey == 0 ]]; then
		awk -v r1="${RSS[mem.$x]:-}" -v r2="${RSS[mem.$y]:-}" -v n1="$nx" -v n2="$ny" \
			'BEGIN {printf "    bytes per source: %.0f\n", (r2 - r1) * 1024 / (n2 - n1)}'
	else
		echo "    bytes per source: not measured (entries were evicted even at $m_cap)"
	fi
}

{
	echo "scanwatch benchmark ($mode) — $(date -u '+%Y-%m-%d %H:%M UTC') — tree $commit"
	echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), kernel $(uname -r)"
	echo "command: bash tests/bench/run.sh $cmdline (runs $runs, cell budget ${cell_budget}s, run timeout ${run_timeout}s)"
	echo
	echo "captures (in $capdir)"
	printf '  A %9s packets  SYN scans, 4 sources, 198.18.0.0/28 -p-, with replies\n' "${PKTS[A]:-}"
	printf '  B %9s packets  %s distinct sources (IPv4 198.18/15 + IPv6 2001:2:0:1::/64), SYN flood\n' "${PKTS[B]:-}" "$b_sources"
	printf '  C %9s packets  SYN scans (4 sources) + %s benign background flows\n' "${PKTS[C]:-}" "$c_background"
	echo
	echo "replay: packets/s of the whole process, median of (n) runs"
	printf '  %-34s %14s %14s %14s\n' "" A B C
	printf '  %-34s %14s %14s %14s\n' "bare pcap_next_ex loop (floor)" "$(cell bare.A A)" "$(cell bare.B B)" "$(cell bare.C C)"
	printf '  %-34s %14s %14s %14s\n' "floor, 256 KiB stdio buffer" "$(cell bare256.A A)" "$(cell bare256.B B)" "$(cell bare256.C C)"
	printf '  %-34s %14s %14s %14s\n' "tcpdump -r F -w /dev/null" "$(cell tcpdump.A A)" "$(cell tcpdump.B B)" "$(cell tcpdump.C C)"
	printf '  %-34s %14s %14s %14s\n' "scanwatch -r F --no-db -q" "$(cell nodb.A A)" "$(cell nodb.B B)" "$(cell nodb.C C)"
	printf '  %-34s %14s %14s %14s\n' "scanwatch --no-db --workers 2" "$(cell w2.A A)" "$(cell w2.B B)" "$(cell w2.C C)"
	if ((ncores > 2)); then
		printf '  %-34s %14s %14s %14s\n' "scanwatch --no-db --workers $ncores" "$(cell wn.A A)" "$(cell wn.B B)" "$(cell wn.C C)"
	fi
	printf '  %-34s %14s %14s %14s\n' "scanwatch -r F --db D -q" "$(cell db.A A)" "$(cell db.B B)" "$(cell db.C C)"
	printf '  %-34s %14s %14s %14s\n' "scanwatch, no rule reached (idle)" "$(cell idle.A A)" "$(cell idle.B B)" "$(cell idle.C C)"
	if [[ -n $peer ]]; then
		printf '  %-34s %14s %14s %14s\n' "peer: ${peer:0:28}" "$(cell peer.A A)" "$(cell peer.B B)" "$(cell peer.C C)"
	fi
	printf '  %-34s %14s %14s %14s\n' "scanwatch --no-db / floor" "$(ratio nodb.A A)" "$(ratio nodb.B B)" "$(ratio nodb.C C)"
	printf '  %-34s %14s %14s %14s\n' "  / floor with its buffer" "$(ratio256 nodb.A A)" "$(ratio256 nodb.B B)" "$(ratio256 nodb.C C)"
	printf '  %-34s %14s %14s %14s\n' "2 workers / floor" "$(ratio w2.A A)" "$(ratio w2.B B)" "$(ratio w2.C C)"
	printf '  %-34s %14s %14s %14s\n' "2 workers / 1 worker" "$(speedup w2 A)" "$(speedup w2 B)" "$(speedup w2 C)"
	if ((ncores > 2)); then
		printf '  %-34s %14s %14s %14s\n' "$ncores workers / 1 worker" "$(speedup wn A)" "$(speedup wn B)" "$(speedup wn C)"
	fi
	[[ -n $peer ]] && printf '  %-34s %14s %14s %14s\n' "scanwatch (1 worker) / peer" "$(vs_peer A)" "$(vs_peer B)" "$(vs_peer C)"
	printf '  %-34s %14s %14s %14s\n' "scanwatch --db / floor" "$(ratio db.A A)" "$(ratio db.B B)" "$(ratio db.C C)"
	printf '  %-34s %14s %14s %14s\n' "no rule reached / floor" "$(ratio idle.A A)" "$(ratio idle.B B)" "$(ratio idle.C C)"
	printf '  %-34s %14s %14s %14s\n' "the rules' share of 1 worker" "$(rules_share A)" "$(rules_share B)" "$(rules_share C)"
	printf '  %-34s %14s %14s %14s\n' "detections with no rule reached" "$(idle_check A)" "$(idle_check B)" "$(idle_check C)"
	printf '  %-34s %14s %14s %14s\n' "tcpdump / floor" "$(ratio tcpdump.A A)" "$(ratio tcpdump.B B)" "$(ratio tcpdump.C C)"
	printf '  %-34s %14s %14s %14s\n' "peak RSS MB: floor" "$(mb "${RSS[bare.A]:-}")" "$(mb "${RSS[bare.B]:-}")" "$(mb "${RSS[bare.C]:-}")"
	printf '  %-34s %14s %14s %14s\n' "peak RSS MB: scanwatch --no-db" "$(mb "${RSS[nodb.A]:-}")" "$(mb "${RSS[nodb.B]:-}")" "$(mb "${RSS[nodb.C]:-}")"
	printf '  %-34s %14s %14s %14s\n' "peak RSS MB: scanwatch --db" "$(mb "${RSS[db.A]:-}")" "$(mb "${RSS[db.B]:-}")" "$(mb "${RSS[db.C]:-}")"
	printf '  %-34s %14s %14s %14s\n' "detections (scanwatch)" "$(sw_field nodb.A 'detection')" "$(sw_field nodb.B 'detection')" "$(sw_field nodb.C 'detection')"
	printf '  %-34s %14s %14s %14s\n' "same count with 2 workers" "$(same_count A)" "$(same_count B)" "$(same_count C)"
	printf '  %-34s %14s %14s %14s\n' "evictions (scanwatch, cap 256M)" "$(sw_field nodb.A evictions)" "$(sw_field nodb.B evictions)" "$(sw_field nodb.C evictions)"
	[[ -n ${EVJ[db.B]:-} ]] && echo "  B's evictions by table (runs.evictions): ${EVJ[db.B]:-}"
	echo
	echo "memory per source (RSS delta / source delta, --memory-cap $m_cap)"
	mem_pair "M1 = $m1, M2 = $m2 sources, one SYN each (held)" M1 M2 "$m1" "$m2"
	mem_pair "M3 = $m3, M4 = $m4 sources, a SYN to each of two ports (tracked)" M3 M4 "$m3" "$m4"
	if [[ -n $cap_line ]]; then
		fl=$(grep -o 'flows [0-9]*/[0-9]*' <<<"$cap_line" | cut -d/ -f2)
		so=$(grep -o 'sources [0-9]*/[0-9]*' <<<"$cap_line" | cut -d/ -f2)
		ho=$(grep -o 'held [0-9]*/[0-9]*' <<<"$cap_line" | cut -d/ -f2)
		echo "  capacity the default --memory-cap 256M plans (live stats line): $fl flows, $so tracking entries, ${ho:-?} held sources"
		# The share of the cap given to flows is a tunable in defaults.h; read it, not assume it.
		# The rest is halved between tracking entries and held sources (detect.c).
		share=$(awk '$1 == "#define" && $2 == "SW_FLOW_SHARE_PERCENT" {print $3}' "$root/include/scanwatch/defaults.h")
		if [[ $share =~ ^[0-9]+$ && $so =~ ^[0-9]+$ && $fl =~ ^[0-9]+$ && $ho =~ ^[0-9]+$ ]]; then
			awk -v s="$so" -v f="$fl" -v h="$ho" -v p="$share" 'BEGIN {
				printf "  budget: %.0f bytes per flow, %.0f per tracking entry, %.0f per held source (cap split %d%% flows)\n",
				    256 * 1048576 * p / 100 / f, 256 * 1048576 * (100 - p) / 200 / s,
				    256 * 1048576 * (100 - p) / 200 / h, p }'
		fi
	fi
	echo
	echo "detections into SQLite (D: $d_scans independent 4-port SYN scans with RST replies, $(wc -c <D.pcap | awk '{printf "%d", $1 / 1}') bytes)"
	if [[ -n ${FAIL[db.D]:-} ]]; then
		echo "  --db run: ${FAIL[db.D]:-}"
	else
		printf '  rows %s in %.2f s (median, n=%s): %s rows/s' "${ROWS[db.D]:-?}" "${WALL[db.D]:-}" "${N[db.D]:-}" \
			"$(awk -v r="${ROWS[db.D]:-0}" -v s="${WALL[db.D]:-}" 'BEGIN {printf "%.0f", r / s}')"
		if [[ -z ${FAIL[nodb.D]:-} ]]; then
			printf '; same replay --no-db %.2f s, so the store adds %.2f s' "${WALL[nodb.D]:-}" \
				"$(awk -v a="${WALL[db.D]:-}" -v b="${WALL[nodb.D]:-}" 'BEGIN {print a - b}')"
		fi
		echo
	fi
	if ((nats)); then
		echo
		echo "NATS JetStream publish (D replayed --no-db --nats to one local nats-server, file storage)"
		if [[ -n ${FAIL[nats.D]:-} ]]; then
			echo "  run: ${FAIL[nats.D]}"
		else
			printf '  %s records acknowledged in %.2f s (median, n=%s): %s records/s\n' "${nats_acked:-?}" \
				"${WALL[nats.D]:-}" "${N[nats.D]:-}" \
				"$(awk -v r="${nats_acked:-0}" -v s="${WALL[nats.D]:-0}" 'BEGIN {if (s > 0) printf "%.0f", r / s; else print "-"}')"
		fi
	fi
	echo
	if ((live)); then
		echo "live: tcpreplay -K (A's first $live_file_pkts packets, looped) into a veth pair, scanwatch -i on the far end (ring 32M default)"
		printf '  %-14s %10s %12s %10s %12s %12s %10s  %s\n' trial sent "pps reached" seen "kernel drops" "lost on veth" "tx failed" verdict
		for r in "${LIVE_ROWS[@]}"; do echo "  $r"; done
		echo "  topspeed reached ${live_top:-?} pps; highest rate with zero drops: ${live_best:-none found} pps"
	else
		echo "live: skipped (--no-live)"
	fi
	echo
	if ((profile)); then
		echo "instructions per packet (callgrind, first $prof_pkts packets; the same on every run)"
		printf '  %-44s %10s %10s\n' "" A B
		per() { # WHO C FIELD
			local v
			v=$(awk -v f="$3" '{print $f}' <<<"${PROF[$1.$2]:-}")
			[[ -n $v ]] && awk -v v="$v" -v n="$prof_pkts" 'BEGIN {printf "%.0f", v / n}' || echo -
		}
		printf '  %-44s %10s %10s\n' "floor (bare pcap_next_ex loop)" "$(per bare A 1)" "$(per bare B 1)"
		printf '  %-44s %10s %10s\n' "scanwatch --no-db, all" "$(per sw A 1)" "$(per sw B 1)"
		printf '  %-44s %10s %10s\n' "  reading (libpcap, stdio, capture.c)" "$(per sw A 2)" "$(per sw B 2)"
		printf '  %-44s %10s %10s\n' "  decode (decode*.c, defrag, pipeline)" "$(per sw A 3)" "$(per sw B 3)"
		printf '  %-44s %10s %10s\n' "  handshake tracking (classify.c)" "$(per sw A 4)" "$(per sw B 4)"
		printf '  %-44s %10s %10s\n' "  hash tables (SipHash, lookups, LRU)" "$(per sw A 5)" "$(per sw B 5)"
		printf '  %-44s %10s %10s\n' "  detection (detect*, track, attribute, admit)" "$(per sw A 6)" "$(per sw B 6)"
		printf '  %-44s %10s %10s\n' "  other (libc memset/memcpy, addr, sensor.c)" "$(per sw A 7)" "$(per sw B 7)"
		printf '  %-44s %10s %10s\n' "scanwatch --workers 2: packet thread" "$(per w2front A 1)" "$(per w2front B 1)"
		printf '  %-44s %10s %10s\n' "scanwatch --workers 2: detection thread" "$(per w2detect A 1)" "$(per w2detect B 1)"
		printf '  %-44s %10s %10s\n' "  bound on 2 workers / 1 (all / busier thread)" "$(bound A)" "$(bound B)"
		echo
	fi
	echo "targets (issue 16): one worker A >= 0.5x floor: $(ratio nodb.A A), B >= 0.3x: $(ratio nodb.B B), C >= 0.3x: $(ratio nodb.C C)" \
		"(to the floor with a 256 KiB buffer: $(ratio256 nodb.A A), $(ratio256 nodb.B B), $(ratio256 nodb.C C);" \
		"with no rule reached at all: $(ratio idle.A A), $(ratio idle.B B), $(ratio idle.C C));" \
		"two workers >= 1.7x one on A: $(speedup w2 A), on C: $(speedup w2 C)"
	echo "targets (issue 8): A --no-db >= 0.5x floor: $(ratio nodb.A A); B --no-db >= 0.3x floor: $(ratio nodb.B B);" \
		">= 50000 rows/s: $(awk -v r="${ROWS[db.D]:-0}" -v s="${WALL[db.D]:-0}" 'BEGIN {if (s > 0) printf "%.0f", r / s; else print "-"}');" \
		"zero drops at topspeed: $( ((live)) && { [[ -n $live_best && $live_best == "$live_top" ]] && echo yes || echo no; } || echo skipped)"
} >"$work/results.txt"
echo
cat "$work/results.txt"
