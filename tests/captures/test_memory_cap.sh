#!/usr/bin/env bash
# test_memory_cap.sh — a SYN flood from 10 million distinct spoofed sources, with a real
# SYN scan mixed in, replays inside --memory-cap plus a fixed overhead; evictions are counted
# in runs.evictions and the scan is still detected. Then a burst of detections (5,000 small
# scans written by gen_sources, with --db) stays inside a small cap plus the same overhead:
# the records and evidence packets waiting for the writer are part of the cap.
#
# Nothing is committed or stored: scanprobe writes the flood (IPv6 sources spread over
# 2001:2::/48, so all 10M are distinct; 198.18.0.0/15 holds only 131072) into a FIFO that
# scanwatch reads while it is written, merged by timestamp with a small nmap-like -sS
# capture that starts a third of the way into the flood. SW_FLOOD_SOURCES sets the count;
# the default is 10M, or 1M in a sanitizer build, whose shadow memory also makes its
# RSS meaningless against the cap (there only evictions and detection are checked).
#
# Fixed overhead, measured here on every run as the peak RSS of replaying the small scan
# capture alone with the same options (the tables are allocated but never touched, so they
# are not resident): program, libc, libpcap, libyaml, SQLite and its page cache, the
# writer thread. Measured 6.6 MB on Debian 12 x86-64 (RelWithDebInfo). Documented bound:
# SW_RSS_OVERHEAD_KB (16 MiB), which also covers what only a long run touches: SQLite's
# page cache growing to its 2 MB default. The writer's queue (records and their evidence
# packets) is not overhead: it takes a sixteenth of the cap (SW_EMIT_SHARE), which the
# burst below fills.
set -euo pipefail
: "${SCANWATCH:?}" "${SCANPROBE:?}" "${GEN_SOURCES:?}" "${SW_WORK_DIR:?}"
dir="$SW_WORK_DIR/memory_cap"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

cap_mb=64
# Peak RSS in KB from a GNU time -v report.
peak_rss() { awk -F': *' '/Maximum resident set size/ {print $2}' "$1"; }
overhead_kb=${SW_RSS_OVERHEAD_KB:-16384}
sanitized=0
# ASan and TSan both keep shadow memory that RSS counts (TSan's is several times the heap).
if grep -qa -e __asan_init -e __tsan_init "$SCANWATCH"; then
	sanitized=1
fi
if ((sanitized)); then
	count=${SW_FLOOD_SOURCES:-1000000}
else
	count=${SW_FLOOD_SOURCES:-10000000}
fi
# The flood sends 1000 SYNs per second of capture time from scanprobe's fixed epoch plus
# --seed seconds; the scan starts a third of the way in.
scan_at=$((count / 3000))

"$SCANPROBE" -sS -p 1-400 -S 198.18.7.7 --seed "$scan_at" --write scan.pcap \
	--labels scan.tsv 198.18.1.1 >/dev/null

# Fixed overhead: the same replay without the flood, with two workers so that the capture
# reader's ring (2 MiB, outside the cap: scanwatch(8)) is part of what the bound covers (a
# file's default is one worker; the flood below comes from a FIFO, which has no reader).
/usr/bin/time -f '%M' -o base.rss "$SCANWATCH" -r scan.pcap --db base.db -q \
	--memory-cap ${cap_mb}M --workers 2 2>base.err
base_kb=$(tail -n 1 base.rss)
echo "fixed overhead (scan alone, tables untouched): $base_kb KB; documented bound $overhead_kb KB"
if ((!sanitized && base_kb > overhead_kb)); then
	echo "FAIL: the fixed overhead ($base_kb KB) exceeds its documented bound" >&2
	exit 1
fi

mkfifo flood.pcap
# Port 9 and a filtered default: the simulated target answers nothing, so every packet is
# one spoofed SYN (the worst case: each one a new source in every source-keyed table).
"$SCANPROBE" --flood syn --count "$count" -6 -p 9 --sim-default filtered --seed 1 \
	--write flood.pcap --labels flood.tsv 2001:2::1 >probe.out 2>&1 &
probe=$!
rc=0
/usr/bin/time -v -o time.txt "$SCANWATCH" -r flood.pcap -r scan.pcap --db run.db \
	--memory-cap ${cap_mb}M >detections.txt 2>replay.err || rc=$?
wait "$probe" || {
	echo "FAIL: scanprobe failed" >&2
	cat probe.out >&2
	exit 1
}
cat replay.err
if ((rc != 0)); then
	echo "FAIL: scanwatch exited $rc" >&2
	exit 1
fi

peak_kb=$(peak_rss time.txt)
limit_kb=$((cap_mb * 1024 + overhead_kb))
packets=$(sqlite3 run.db "SELECT packets FROM runs")
evictions=$(sqlite3 run.db "SELECT evictions FROM runs")
evicted=$(sqlite3 run.db "SELECT coalesce(sum(value), 0) FROM runs, json_each(runs.evictions)")
scans=$(sqlite3 run.db "SELECT count(*) FROM detections WHERE kind = 'syn_scan'
	AND src_ip = '198.18.7.7' AND target_ip = '198.18.1.1' AND distinct_ports >= 100")
floods=$(sqlite3 run.db "SELECT count(*) FROM detections WHERE kind = 'syn_flood'")
echo "sources $count: packets $packets, peak RSS $peak_kb KB (cap $((cap_mb * 1024)) KB +" \
	"overhead $overhead_kb KB = $limit_kb KB), evictions $evictions, syn_scan rows $scans," \
	"syn_flood rows $floods"

fail=0
if ((packets != count + $(sqlite3 base.db "SELECT packets FROM runs"))); then
	echo "FAIL: not every packet was replayed" >&2
	fail=1
fi
if ((!sanitized && peak_kb > limit_kb)); then
	echo "FAIL: peak RSS $peak_kb KB is above the cap plus overhead ($limit_kb KB)" >&2
	fail=1
fi
if ((evicted == 0)); then
	echo "FAIL: no evictions reported in runs.evictions" >&2
	fail=1
fi
if ((scans != 1)); then
	echo "FAIL: the mixed-in SYN scan was not detected (once) amid the flood" >&2
	fail=1
fi
if ((floods < 1)); then
	echo "FAIL: the flood itself was not detected" >&2
	fail=1
fi

# A burst of detections: 5,000 independent 4-port SYN scans with RST replies (one source
# each, gen_sources --ports 4), replayed with --db under an 8M cap. The store takes each
# detection's rows and evidence packets at some 20,000 rows a second, far slower than the
# scans open and close, so the writer's queue fills and stays full: a replay waits for it
# rather than dropping. A queue of 4,096 records outside the cap (5.4 KiB each) and 8 MiB of
# their packets once took this replay to 57 MB.
burst_cap_mb=8
"$GEN_SOURCES" --sources 5000 --per-source 4 --ports 4 --replies --seed 4 -o burst.pcap \
	>burst.gen 2>&1 || {
	cat burst.gen >&2
	exit 1
}
rc=0
/usr/bin/time -v -o burst.time "$SCANWATCH" -r burst.pcap --db burst.db -q \
	--memory-cap ${burst_cap_mb}M >burst.out 2>burst.err || rc=$?
cat burst.err
if ((rc != 0)); then
	echo "FAIL: the burst replay exited $rc" >&2
	exit 1
fi
burst_kb=$(peak_rss burst.time)
burst_limit_kb=$((burst_cap_mb * 1024 + overhead_kb))
said=$(grep -o '[0-9]* detection(s)' burst.err | awk '{print $1}')
rows=$(sqlite3 burst.db "SELECT count(*) FROM detections")
kept=$(sqlite3 burst.db "SELECT coalesce(sum(packets), 0) FROM evidence_pcapng")
echo "burst: $said detections, $rows rows, $kept evidence packets stored, peak RSS $burst_kb KB" \
	"(cap $((burst_cap_mb * 1024)) KB + overhead $overhead_kb KB = $burst_limit_kb KB)"
if [[ -z $said ]] || ((said < 1 || rows != said)); then
	echo "FAIL: the burst's detections and the database disagree ($said said, $rows rows)" >&2
	fail=1
fi
if ((kept == 0)); then
	echo "FAIL: no evidence packet of the burst was stored" >&2
	fail=1
fi
if ((!sanitized && burst_kb > burst_limit_kb)); then
	echo "FAIL: the burst's peak RSS $burst_kb KB is above the cap plus overhead" \
		"($burst_limit_kb KB)" >&2
	fail=1
fi
exit $fail
