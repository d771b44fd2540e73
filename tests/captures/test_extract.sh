#!/usr/bin/env bash
# test_extract.sh — evidence packets: every detection of the bundled sample and of scanprobe captures (IPv6 UDP, nanosecond pcap) is extracted as a pcap that tcpdump and tshark read without complaint, whose packets are the detection's stored rows, first the probe that began it, with the capture's own timestamps; replayed, it opens the same detection (a flood whose threshold is past the sample: its packets are the flood's); --no-evidence keeps nothing; -w - writes the same bytes; hostile rows are skipped.
set -euo pipefail
: "${SCANWATCH:?}" "${SCANPROBE:?}" "${SW_SOURCE_DIR:?}" "${SW_WORK_DIR:?}"
# shellcheck source=tests/captures/lib.sh
. "$SW_SOURCE_DIR/tests/captures/lib.sh"
cap_init extract
for tool in tcpdump tshark sqlite3 editcap; do
	command -v "$tool" >/dev/null || fail "$tool is needed (tests/dev.sh installs it)"
done

# Inputs: the bundled sample (pcapng, three detections), a scanprobe UDP scan over IPv6,
# and a scanprobe SYN scan with benign background rewritten as nanosecond pcap with a
# sub-microsecond offset (times only a nanosecond capture can hold).
cp "$SW_SOURCE_DIR/tests/captures/sample.pcapng" sample.pcapng
"$SCANPROBE" -sU -6 --top-ports 20 --seed 3 --write udp6.pcap 2001:2::5 >/dev/null
"$SCANPROBE" -sS -p 1-200 --seed 4 --background 5 --write syn.pcap 198.18.1.7 >/dev/null
editcap -F nsecpcap -t 0.000000321 syn.pcap syn_ns.pcap

# check_all CAPTURE NDET — replays CAPTURE into its database, then checks each of its NDET
# detections' extract.
check_all() {
	local cap=$1 ndet=$2 db=${1%.*}.db
	"$SCANWATCH" -r "$cap" --db "$db" -q 2>replay.err || fail "$cap: replay failed: $(cat replay.err)"
	[[ $(sqlite3 "$db" "SELECT count(*) FROM detections") == "$ndet" ]] ||
		fail "$cap: expected $ndet detections"
	local id
	for id in $(sqlite3 "$db" "SELECT id FROM detections ORDER BY id"); do
		check_one "$db" "$id"
	done
}

check_one() {
	local db=$1 id=$2 out=${1%.db}_$2.pcap
	local kind src rule first rows
	IFS='|' read -r kind src rule first <<<"$(sqlite3 "$db" \
		"SELECT kind, src_ip, rule_id, first_seen FROM detections WHERE id = $id")"
	rows=$(sqlite3 "$db" "SELECT coalesce(sum(packets), 0) FROM evidence_pcapng WHERE detection_id = $id")
	# the bound: at most 72 packets of at most 256 bytes, in at most two blobs (OPEN, CLOSE)
	((rows > 0 && rows <= 72)) || fail "$db #$id: $rows evidence packets"
	((rows == $(python3 "$evrows" "$db" "$id" | wc -l))) || fail "$db #$id: the blobs hold other than $rows"
	python3 "$evrows" "$db" "$id" | awk -F'|' '$5 > 256 {bad = 1} END {exit bad}' ||
		fail "$db #$id: a packet past the snap"
	[[ $(sqlite3 "$db" "SELECT count(*) <= 2 FROM evidence_pcapng WHERE detection_id = $id") == 1 ]] ||
		fail "$db #$id: more than two blobs"
	# each blob is a pcapng file as it is: tshark reads every packet of it, and nothing more
	local bfirst bn got=0
	while IFS='|' read -r bfirst bn; do
		sqlite3 "$db" "SELECT writefile('blob.pcapng', pcapng) FROM evidence_pcapng
			WHERE detection_id = $id AND first_ordinal = $bfirst" >/dev/null
		tshark -r blob.pcapng -T fields -e frame.cap_len >blob.out 2>blob.err ||
			fail "$db #$id: tshark on the blob from $bfirst: $(cat blob.err)"
		grep -v '^Running as user' blob.err | grep . && fail "$db #$id: tshark complained of a blob"
		[[ $(wc -l <blob.out) == "$bn" ]] || fail "$db #$id: tshark read $(wc -l <blob.out) of the blob's $bn"
		got=$((got + bn))
	done < <(sqlite3 "$db" "SELECT first_ordinal, packets FROM evidence_pcapng WHERE detection_id = $id")
	((got == rows)) || fail "$db #$id: the blobs hold $got, not $rows"
	"$SCANWATCH" extract --db "$db" --id "$id" -w "$out" 2>extract.err ||
		fail "$db #$id: extract failed: $(cat extract.err)"
	# tcpdump: no error, no truncated record, every packet read
	tcpdump -nr "$out" >td.out 2>td.err || fail "$db #$id: tcpdump: $(cat td.err)"
	grep -v '^reading from file' td.err | grep . && fail "$db #$id: tcpdump complained"
	[[ $(wc -l <td.out) == "$rows" ]] || fail "$db #$id: tcpdump read $(wc -l <td.out), stored $rows"
	# tshark: no error or warning (it says it runs as root, which is no complaint)
	tshark -r "$out" >ts.out 2>ts.err || fail "$db #$id: tshark: $(cat ts.err)"
	grep -v '^Running as user' ts.err | grep . && fail "$db #$id: tshark complained"
	[[ $(wc -l <ts.out) == "$rows" ]] || fail "$db #$id: tshark read $(wc -l <ts.out)"
	grep -qi 'malformed\|exception' ts.out && fail "$db #$id: tshark found malformed packets"
	# -F pcapng: the same packets, byte for byte and to the nanosecond, each with its ordinal
	"$SCANWATCH" extract --db "$db" --id "$id" -F pcapng -w "${out%.pcap}.pcapng" 2>extract.err ||
		fail "$db #$id: extract -F pcapng failed: $(cat extract.err)"
	[[ $(tcpdump --nano -tt -xx -nr "${out%.pcap}.pcapng" 2>/dev/null) == \
		"$(tcpdump --nano -tt -xx -nr "$out" 2>/dev/null)" ]] || fail "$db #$id: pcapng and pcap differ"
	[[ $(tshark -r "${out%.pcap}.pcapng" -V 2>/dev/null | grep -c 'Packet id:') == "$rows" ]] ||
		fail "$db #$id: not every pcapng packet states its ordinal"
	# the first packet is the probe the detection began with: its first_seen (µs)
	local t0
	t0=$(tcpdump --nano -tt -c 1 -nr "$out" 2>/dev/null | cut -d' ' -f1)
	[[ ${t0%.*}${t0#*.} == "${first}"??? ]] ||
		fail "$db #$id: first packet at $t0, detection's first probe at $first µs"
	# replayed alone, the extract opens the same detection; but a flood's threshold (50 to
	# 500 packets in the shipped rules) may be past the 72 packets kept: such a sample shows
	# the flood, every packet of it from the source, without crossing it again
	rm -f re.db
	"$SCANWATCH" -r "$out" --db re.db -q 2>replay.err || fail "$out: replay failed: $(cat replay.err)"
	local want=1 thr
	thr=$(awk -v id="$rule" '$0 ~ "- id: " id "$" {f = 1} f && /threshold:/ {print $2; exit}' \
		"$SW_SOURCE_DIR/rules/default.yaml")
	if [[ $kind == *_flood ]]; then
		[[ $(tcpdump -nr "$out" "src $src" 2>/dev/null | wc -l) == "$rows" ]] ||
			fail "$db #$id: a packet of the flood's sample is not from $src"
		((rows >= thr)) || want=0
	fi
	[[ $(sqlite3 re.db "SELECT count(*) FROM detections WHERE kind = '$kind' AND
		src_ip = '$src' AND rule_id = '$rule'") == "$want" ]] ||
		fail "$db #$id: replaying the extract gave not $want $kind from $src ($rule)"
	echo "ok $db #$id: $kind from $src ($rule), $rows packets from $t0"
}

evrows=$SW_SOURCE_DIR/tests/captures/evidence_rows.py
check_all sample.pcapng 3
check_all udp6.pcap 1
check_all syn_ns.pcap 1

# Time precision: a microsecond capture gives a microsecond pcap, a nanosecond one keeps its
# nanoseconds to the digit.
python3 - sample_1.pcap syn_ns_1.pcap syn_ns.pcap <<'PY' || fail "timestamp precision"
import struct, sys
def records(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    nano = {0xa1b2c3d4: False, 0xa1b23c4d: True}[magic]
    snap, lt = struct.unpack("<II", data[16:24])
    out, off = [], 24
    while off < len(data):
        s, frac, cap, orig = struct.unpack("<IIII", data[off:off + 16])
        out.append((s, frac if nano else frac * 1000, cap, orig))
        off += 16 + cap
    return nano, snap, lt, out
nano, snap, lt, _ = records(sys.argv[1])
assert not nano and snap == 256 and lt == 1, (nano, snap, lt)
nano, snap, lt, ext = records(sys.argv[2])
assert nano and snap == 256 and lt == 1, (nano, snap, lt)
_, _, _, orig = records(sys.argv[3])
times = {r[0] * 10**9 + r[1] for r in orig}
assert all(r[0] * 10**9 + r[1] in times for r in ext), "an extracted time is not a captured one"
assert all(r[1] % 1000 == 321 for r in ext), "the nanoseconds were lost"
assert all(r[2] <= 256 and r[2] <= r[3] for r in ext)
PY

# -w - writes exactly what -w FILE writes
"$SCANWATCH" extract --db sample.db --id 1 -w - 2>/dev/null >stdout.pcap
cmp -s stdout.pcap sample_1.pcap || fail "-w - differs from -w FILE"

# Each packet is stored once per detection. 256 scanners over 16 hosts: a detection opens on
# a packet (and takes it) while the rules after it still note that packet. The copy once went
# back to the arena at that moment and the next packet overwrote it, so a distributed scan's
# evidence held one SYN under up to 18 ordinals and packets it never saw.
"$SCANPROBE" -sS --scanners 256 -p 1-30 --seed 5 --write many.pcap 198.18.1.0/28 >/dev/null
"$SCANWATCH" -r many.pcap --db many.db -q 2>replay.err || fail "many.pcap: $(cat replay.err)"
[[ $(sqlite3 many.db "SELECT count(DISTINCT detection_id) FROM evidence_pcapng") -gt 100 ]] ||
	fail "many.pcap: fewer detections with evidence than the check needs"
dups=$(python3 "$evrows" many.db | awk -F'|' '{print $1, $3, $4, $8}' | sort | uniq -d | wc -l)
[[ $dups == 0 ]] || fail "many.pcap: $dups packets stored twice in one detection"

# --no-evidence: nothing kept, and extract says so (exit 1)
"$SCANWATCH" -r sample.pcapng --db none.db --no-evidence -q 2>/dev/null
[[ $(sqlite3 none.db "SELECT count(*) FROM detections") == 3 ]] || fail "--no-evidence changed the detections"
[[ $(sqlite3 none.db "SELECT count(*) FROM evidence_pcapng") == 0 ]] || fail "--no-evidence kept packets"
if "$SCANWATCH" extract --db none.db --id 1 -w none.pcap 2>err.txt; then
	fail "extract of a detection without packets succeeded"
fi
grep -q 'has no evidence packets' err.txt || fail "no reason given: $(cat err.txt)"
# and the same detections as with evidence, row for row (the records are unchanged)
cols="kind, src_ip, target_ip, rule_id, first_seen, opened_at, last_seen, closed_at, probes,
	probes_at_open, distinct_targets, distinct_ports, sample_ports, tool, reasons"
[[ $(sqlite3 none.db "SELECT $cols FROM detections ORDER BY id") == \
	"$(sqlite3 sample.db "SELECT $cols FROM detections ORDER BY id")" ]] ||
	fail "records differ with and without evidence"
# the configuration key does the same
printf 'evidence: false\n' >noev.yaml
"$SCANWATCH" -c noev.yaml -r sample.pcapng --db cfg.db -q 2>/dev/null
[[ $(sqlite3 cfg.db "SELECT count(*) FROM evidence_pcapng") == 0 ]] || fail "evidence: false kept packets"

# Usage and lookup errors
set +e
"$SCANWATCH" extract --db sample.db -w x.pcap 2>/dev/null
[[ $? == 2 ]] || fail "extract without --id is not a usage error"
"$SCANWATCH" extract --db sample.db --id 1 -F pcapx -w x.pcap 2>err.txt
[[ $? == 2 ]] && grep -q "'pcapx' is not pcap or pcapng" err.txt || fail "-F pcapx: $(cat err.txt)"
"$SCANWATCH" extract --db sample.db --id 99 -w x.pcap 2>err.txt
[[ $? == 1 ]] && grep -q 'no detection 99' err.txt || fail "a missing id: $(cat err.txt)"
set -e

# A database an older build wrote keeps its packets a row each (009_evidence.sql), and they are
# read as before: detection 2's packets moved there from its blobs read back the same.
python3 "$evrows" sample.db 2 >blobs.rows
cp sample.db legacy.db
awk -F'|' '{printf "INSERT INTO evidence VALUES (%s, %s, %s, %s, %s, %s, %s, X\x27%s\x27);\n",
	$1, $2, $3, $4, $5, $6, $7, $8}' blobs.rows | sqlite3 legacy.db
sqlite3 legacy.db "DELETE FROM evidence_pcapng WHERE detection_id = 2"
[[ $(python3 "$evrows" legacy.db 2) == "$(cat blobs.rows)" ]] || fail "legacy: the rows differ"
"$SCANWATCH" extract --db legacy.db --id 2 -w legacy.pcap 2>err.txt || fail "legacy: $(cat err.txt)"
cmp -s legacy.pcap sample_2.pcap || fail "legacy rows extract other than the blobs they came from"
# One of them again as raw IP (its Ethernet header cut; DLT_RAW, 12, as the sensor stores a link
# type: the capture's DLT_ value, which pcap_open_dead takes), as a merged replay of two link
# types leaves them: a pcap holds the first link type only and says so; pcapng every one, raw
# IP under LINKTYPE_RAW (101), the number a file holds (pcap-linktype(7)).
cp legacy.db mixed.db
IFS='|' read -r _ _ s0 f0 c0 o0 _ d0 < <(head -1 blobs.rows)
sqlite3 mixed.db "INSERT INTO evidence VALUES (2, 1000, $s0, $f0 + 1, $((c0 - 14)), $((o0 - 14)), 12,
	X'${d0:28}')"
"$SCANWATCH" extract --db mixed.db --id 2 -w mixed.pcap 2>err.txt || fail "mixed: $(cat err.txt)"
grep -q '1 packet(s) of another link type than the first left out' err.txt ||
	fail "mixed pcap: the raw IP packet not said left out: $(cat err.txt)"
"$SCANWATCH" extract --db mixed.db --id 2 -F pcapng -w mixed.pcapng 2>err.txt || fail "mixed: $(cat err.txt)"
[[ $(tshark -r mixed.pcapng -T fields -e frame.encap_type 2>/dev/null | sort -u | tr '\n' ' ') == "1 7 " ]] ||
	fail "mixed pcapng: not Ethernet and raw IP"
[[ $(tshark -r mixed.pcapng 2>/dev/null | wc -l) == $(($(wc -l <blobs.rows) + 1)) ]] ||
	fail "mixed pcapng: not every packet"
[[ $(tshark -r mixed.pcapng -T fields -e frame.packet_id -e ip.src 2>/dev/null | grep -c "^1000	") == 1 ]] ||
	fail "mixed pcapng: the raw IP packet's ordinal or address"

# Hostile rows (another tool's writing): a caplen that is not the data's size and a fraction
# past a second are skipped and counted, never written.
cp legacy.db hostile.db
sqlite3 hostile.db "UPDATE evidence SET caplen = 9999 WHERE detection_id = 2 AND ordinal = 0;
	UPDATE evidence SET ts_frac = 2000000000 WHERE detection_id = 2 AND ordinal = 1;"
"$SCANWATCH" extract --db hostile.db --id 2 -w hostile.pcap 2>err.txt || fail "hostile: $(cat err.txt)"
grep -q '2 unreadable row' err.txt || fail "hostile rows not counted: $(cat err.txt)"
[[ $(tcpdump -nr hostile.pcap 2>/dev/null | wc -l) == $(($(wc -l <blobs.rows) - 2)) ]] ||
	fail "hostile rows written"
# A hostile blob: cut inside its second packet, the first is still given and the cut is
# counted; a blob whose first block is not a section header gives nothing and is counted.
cp sample.db cut.db
python3 - cut.db <<'PY'
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
q = "evidence_pcapng WHERE detection_id = 2 AND first_ordinal = 0"
b, n = db.execute("SELECT pcapng, packets FROM " + q).fetchone()
assert n >= 2, "the check needs a blob of two packets"
at = 28 + 32  # the SHB and the IDB the sensor writes first
at += struct.unpack_from("<I", b, at + 4)[0]  # and the first packet's block
db.execute("UPDATE " + q.replace(" WHERE", " SET pcapng = ? WHERE"), (b[:at + 20],))
db.commit()
PY
"$SCANWATCH" extract --db cut.db --id 2 -w cut.pcap 2>err.txt || fail "cut blob: $(cat err.txt)"
grep -q '1 unreadable row.*a block.s length does not frame it' err.txt ||
	fail "a cut blob not counted: $(cat err.txt)"
[[ $(tcpdump -nr cut.pcap 2>/dev/null | wc -l) == $(($(wc -l <blobs.rows) - \
	$(sqlite3 sample.db "SELECT packets FROM evidence_pcapng WHERE detection_id = 2 AND first_ordinal = 0") + 1)) ]] ||
	fail "a cut blob: not its first packet and the other blob's"
sqlite3 cut.db "UPDATE evidence_pcapng SET pcapng = substr(pcapng, 29) WHERE detection_id = 2"
if "$SCANWATCH" extract --db cut.db --id 2 -w cut2.pcap 2>err.txt; then
	fail "a detection whose blobs have no section header gave packets"
fi
grep -q 'no section header first' err.txt || fail "a headless blob: $(cat err.txt)"
echo "PASS"
