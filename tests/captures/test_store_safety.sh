#!/usr/bin/env bash
# test_store_safety.sh — the SQLite store under abuse:
#   (a) kill -9 during heavy writing, repeated: the database passes PRAGMA integrity_check
#       every time, and every detection the writer had delivered (printed after its batch
#       committed) is in it, so at most the batch being written is lost;
#   (b) disk full (a small tmpfs in a private mount namespace): the sensor reports the store
#       error and keeps detecting, counts what it could not write, and writes again once
#       space returns; the capture arrives through a FIFO in chunks so the run is live;
#   (c) a reader holding an open read transaction loses the writer nothing;
#   (d) a campaign of 5,000 member scans, written confined (the sandbox is on by default):
#       every detection is stored and the campaign row lists every member. SQLite's temporary
#       files (statement journals, sorters) were refused by Landlock and each batch needing
#       one was lost; and the campaign row, rebuilt once per member, took minutes.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_WORK_DIR:?}"
dir="$SW_WORK_DIR/store_safety"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

trials=${SW_KILL_TRIALS:-20}
# Bound on every wait for the sensor to reach a state (it reaches them in well under a second).
wait_limit=${SW_WAIT_LIMIT:-60}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# scans.py OUT START NSCANS SRC_NET [--no-header] [--masscan]: NSCANS independent SYN scans,
# scan i from SRC_NET.(i/250).(i%250+1) to its own target, 6 ports each, one scan every 20 ms
# from START seconds after the epoch below; each is one detection of its own (no two scans
# share a source, a target or a time slot, so nothing merges them into one decoy detection).
# --masscan: TTL 255 (masscan's SYN template) and every target in 198.19.0.0/24, so the
# scans are one campaign (campaign.c: one shape, targets in one /24).
cat >scans.py <<'PY'
import struct, sys
out, start, n, net = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
a, b = (int(x) for x in net.split("."))
T0 = 1700000000
with open(out, "wb") as f:
    if "--no-header" not in sys.argv:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        src = bytes([a, b, 100 + i // 250 % 100, i % 250 + 1])
        dst = bytes([198, 19, i // 250 % 250, i % 250 + 1])
        for p in range(6):
            t = start + i * 0.02 + p * 0.001
            tcp = struct.pack(">HHIIBBHHH", 40000 + i % 20000, 1000 + 7 * p, i, 0, 0x50, 2,
                              1024, 0, 0)
            ttl = 40
            if "--masscan" in sys.argv:
                ttl, dst = 255, bytes([198, 19, 0, i % 250 + 1])
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0, ttl, 6, 0, src, dst)
            fr = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp
            f.write(struct.pack("<IIII", T0 + int(t), int(t * 1e6) % 1000000, len(fr), len(fr)))
            f.write(fr)
PY

# poll SECONDS COMMAND...: re-evaluates COMMAND until it succeeds; fails after SECONDS.
poll() {
	local limit=$1 start=$SECONDS
	shift
	until "$@"; do
		((SECONDS - start < limit)) || return 1
		sleep 0.05
	done
}
rows() { sqlite3 "$1" "SELECT count(*) FROM detections" 2>/dev/null || echo 0; }
has_rows() { (($(rows "$1") > 0)); }

# ---------------------------------------------------------------- (a) kill -9
python3 scans.py heavy.pcap 0 20000 198.18 # 20000 detections: the writer is the bottleneck
passed=0
for ((t = 1; t <= trials; t++)); do
	rm -f kill.db kill.db-wal kill.db-shm
	"$SCANWATCH" -r heavy.pcap --db kill.db >kill.out 2>kill.err &
	pid=$!
	if ! poll "$wait_limit" has_rows kill.db; then
		echo "FAIL (a) trial $t: no rows appeared" >&2
		cat kill.err >&2
		exit 1
	fi
	# A random point inside the writing: 0-300 ms after the first rows.
	sleep "0.$(printf '%03d' $((RANDOM % 300)))"
	if ! kill -9 "$pid" 2>/dev/null; then
		echo "trial $t: the run had already ended; counted as a trial without a kill" >&2
	fi
	wait "$pid" 2>/dev/null || true
	check=$(sqlite3 kill.db "PRAGMA integrity_check")
	stored=$(rows kill.db)
	# The console sink prints a batch only after store_write committed it.
	printed=$(grep -c ' OPEN ' kill.out || true)
	if [[ $check != ok ]]; then
		echo "FAIL (a) trial $t: integrity_check: $check" >&2
		exit 1
	fi
	if ((printed > stored)); then
		echo "FAIL (a) trial $t: $printed detections were delivered but only $stored stored" >&2
		exit 1
	fi
	echo "kill -9 trial $t: integrity ok, $stored rows stored, $printed delivered"
	passed=$((passed + 1))
done
echo "(a) kill -9: $passed of $trials trials passed"

# ---------------------------------------------------------------- (c) a reader holds the DB
"$SCANWATCH" -r heavy.pcap --db full.db -q 2>/dev/null # reference: rows of an undisturbed run
want=$(rows full.db)
"$SCANWATCH" -r heavy.pcap --db read.db -q 2>/dev/null # run 1: the reader's snapshot
before=$(rows read.db)
mkfifo reader.in
sqlite3 read.db <reader.in >reader.out 2>&1 &
reader=$!
exec 3>reader.in
echo "BEGIN; SELECT 'snapshot', count(*) FROM detections;" >&3
poll "$wait_limit" grep -q "^snapshot|$before\$" reader.out || {
	echo "FAIL (c): the reader did not open its transaction" >&2
	exit 1
}
rc=0
"$SCANWATCH" -r heavy.pcap --db read.db -q 2>reader.err || rc=$?
# Still inside its transaction, the reader sees its old snapshot: it really held it.
echo "SELECT 'still', count(*) FROM detections; COMMIT;" >&3
exec 3>&-
wait "$reader"
run2=$(sqlite3 read.db "SELECT count(*) FROM detections WHERE run_id = (SELECT max(id) FROM runs)")
if ((rc != 0)) || ! grep -q "^still|$before\$" reader.out || ((run2 != want)); then
	echo "FAIL (c): exit $rc, reader $(tr '\n' ' ' <reader.out), run 2 stored $run2 of $want" >&2
	cat reader.err >&2
	exit 1
fi
echo "(c) reader holding a snapshot: all $run2 of $want rows written"

# ---------------------------------------------------------------- (d) one big campaign
python3 scans.py campaign.pcap 0 5000 198.18 --masscan
rc=0
"$SCANWATCH" -r campaign.pcap --db campaign.db >campaign.out 2>campaign.err || rc=$?
printed=$(grep -c ' OPEN ' campaign.out || true)
stored=$(rows campaign.db)
camp=$(sqlite3 campaign.db "SELECT count(*) || ' ' || coalesce(max(json_array_length(members)), 0)
	FROM campaigns")
echo "(d) campaign: exit $rc, $printed detections printed, $stored rows, campaigns and" \
	"largest: $camp; $(tail -n 1 campaign.err)"
if ((rc != 0 || printed != 5000 || stored != 5000)) || [[ $camp != "1 5000" ]] ||
	grep -qE 'store:|store errors' campaign.err; then
	echo "FAIL (d): every member's row and one campaign of 5000 were wanted" >&2
	grep -m3 -E 'store:|store errors' campaign.err >&2 || true
	exit 1
fi

# ---------------------------------------------------------------- (b) disk full
python3 scans.py chunk_a.pcap 0 40 198.18           # header and 40 scans from 198.18.x.x
python3 scans.py chunk_b.pcap 100 300 198.19 --no-header # 300 scans from 198.19.x.x
python3 scans.py chunk_c.pcap 200 40 198.18 --no-header
# C's sources reuse A's addresses but start 200 s later, after A's detections closed: new rows.

cat >diskfull.sh <<'SH'
set -euo pipefail
mount --make-rprivate /
# 4 MiB: the store checkpoints its WAL only past 16 MiB, so until the disk is full everything
# stays in the WAL. After a full disk the store keeps the WAL short (256 KiB) until the file
# system has room again (store.c, on_wal_commit): without that, under ThreadSanitizer (a slow
# writer, committing in small batches) the WAL alone filled the 2.8 MiB given back before C's
# records came, and writing never resumed (0 to 34 of C's 40 rows; 7 runs in 8 with 1 MiB).
mount -t tmpfs -o size=4m tmpfs mnt
mkfifo feed
"$SCANWATCH" -r feed --db mnt/run.db >full.out 2>full.err &
pid=$!
exec 3>feed
# poll SECONDS COMMAND...
poll() {
	local limit=$1 start=$SECONDS
	shift
	until "$@"; do
		((SECONDS - start < limit)) || return 1
		sleep 0.05
	done
}
opens() { grep -c ' OPEN ' full.out || true; }
stored() { sqlite3 mnt/run.db "SELECT count(*) FROM detections" 2>/dev/null || echo 0; }
at_least() { (($($1) >= $2)); }
fail() {
	echo "FAIL (b): $*" >&2
	sed 's/^/    /' full.err >&2
	exec 3>&-
	kill "$pid" 2>/dev/null || true
	exit 1
}

cat chunk_a.pcap >&3
poll "$WAIT" at_least stored 40 || fail "chunk A was not stored ($(stored) rows)"
# Fill the disk to the last block.
dd if=/dev/zero of=mnt/fill bs=4k 2>/dev/null || true
cat chunk_b.pcap >&3
# Detection goes on: B's 300 scans are printed although none can be stored.
poll "$WAIT" at_least opens 340 || fail "detections stopped while the disk was full ($(opens) printed)"
poll "$WAIT" grep -q 'store:' full.err || fail "the store error was not reported"
during=$(stored)
((during == 40)) || fail "rows changed while the disk was full ($during)"
echo "disk full: $(opens) detections printed, $during rows stored, error reported:" \
	"$(grep -m1 'store:' full.err)"
rm mnt/fill
cat chunk_c.pcap >&3
exec 3>&-
rc=0
wait "$pid" || rc=$?
echo "exit $rc; $(tail -n 1 full.err)"
grep -q 'store errors' full.err || fail "the summary does not count the store errors"
errors=$(grep -oP '[0-9]+(?= store errors)' full.err)
((errors > 0)) || fail "no store errors counted"
# C's detections opened after space returned: stored. B's were refused, but their CLOSE
# records (written at the end of input, an upsert) bring their rows back.
c_rows=$(sqlite3 mnt/run.db "SELECT count(*) FROM detections WHERE first_seen >= 1700000200000000")
((c_rows == 40)) || fail "writing did not resume: $c_rows of 40 later detections stored"
total=$(stored)
((rc == 0)) || fail "exit status $rc after the disk recovered"
[[ $(sqlite3 mnt/run.db "PRAGMA integrity_check") == ok ]] || fail "integrity_check"
run=$(sqlite3 mnt/run.db "SELECT status, detections FROM runs")
echo "(b) disk full: $errors store errors counted; after recovery $total rows" \
	"(A 40, B 300 via their CLOSE records, C 40); runs: $run"
((total == 380)) || fail "$total rows, want 380 (what was queued meanwhile was neither written nor counted)"
SH
mkdir -p mnt
WAIT=$wait_limit SCANWATCH=$SCANWATCH unshare -m bash diskfull.sh
