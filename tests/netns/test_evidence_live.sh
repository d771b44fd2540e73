#!/usr/bin/env bash
# test_evidence_live.sh — a live (confined) sensor keeps a real nmap -sS scan's packets: `scanwatch extract` writes a pcap that tcpdump and tshark read without complaint, whose packets are byte for byte and to the microsecond packets tcpdump captured on the same veth, beginning with the detection's first probe; replayed, it opens the same detection. Without a database nothing could read them, so a --no-db sensor keeps none and still reports the scan.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init evidlive
sw_require nmap tcpdump tshark
sw_netns_setup
sw_services tcp-echo:22 http:80 tcp-discard:443

db=$SW_DIR/live.db
rules=$SW_DIR/rules.yaml
# idle 2 s: the detection closes (and its CLOSE brings the last packets) soon after the scan
sw_rules_idle "$rules" 2s
all_closed_q="SELECT count(*) > 0 AND count(closed_at) = count(*) FROM detections"

# tcpdump on the same veth, reading the kernel's one timestamp of each packet as the sensor
sw_shared_timestamps
sw_capture_start
sw_sensor_start live "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --db "$db" --rules "$rules"
# Bounded: 500 explicit ports, one retry, T4 timing, hard 60 s limit.
sw_in_scan timeout 60 nmap -sS -n -Pn -T4 --max-retries 1 -p 1-500 "$SW_TGT4" >"$SW_DIR/nmap.out"
sw_poll 30 "every live detection to close (idle 2 s)" sw_db_at_least "$db" 1 "$all_closed_q"
sw_capture_stop
sw_sensor_stop TERM
# its last statistics line counts the packets it kept (the control for the --no-db run below)
grep -Eq 'scanwatch: stats \(exit\).*, evidence [0-9]+ KiB of [0-9]+ \([1-9][0-9]* packets kept' \
	"$SW_DIR/live.err" || sw_fail "the sensor's exit line counts no evidence: $(grep 'stats (exit)' "$SW_DIR/live.err")"

q="FROM detections WHERE kind = 'syn_scan' AND src_ip = '$SW_SCAN4'"
[[ $(sw_sql "$db" "SELECT count(*) $q") == 1 ]] || sw_fail "expected one syn_scan from $SW_SCAN4"
IFS='|' read -r id rule first <<<"$(sw_sql "$db" "SELECT id, rule_id, first_seen $q")"
rows=$(sw_sql "$db" "SELECT coalesce(sum(packets), 0) FROM evidence_pcapng WHERE detection_id = $id")
((rows == 72)) || sw_fail "a 500-port scan keeps 72 packets, not $rows"

out=$SW_DIR/evidence.pcap
"$SCANWATCH" extract --db "$db" --id "$id" -w "$out" || sw_fail "extract failed"
tcpdump -nr "$out" >"$SW_DIR/td.out" 2>"$SW_DIR/td.err" || sw_fail "tcpdump: $(cat "$SW_DIR/td.err")"
grep -v '^reading from file' "$SW_DIR/td.err" | grep . && sw_fail "tcpdump complained"
[[ $(wc -l <"$SW_DIR/td.out") == "$rows" ]] || sw_fail "tcpdump read $(wc -l <"$SW_DIR/td.out") of $rows"
tshark -r "$out" >"$SW_DIR/ts.out" 2>"$SW_DIR/ts.err" || sw_fail "tshark: $(cat "$SW_DIR/ts.err")"
grep -v '^Running as user' "$SW_DIR/ts.err" | grep . && sw_fail "tshark complained"
[[ $(wc -l <"$SW_DIR/ts.out") == "$rows" ]] || sw_fail "tshark read $(wc -l <"$SW_DIR/ts.out") of $rows"
grep -qi 'malformed\|exception' "$SW_DIR/ts.out" && sw_fail "tshark found malformed packets"
sw_log "extract of #$id: $rows packets; first lines:"
head -4 "$SW_DIR/td.out" >&2

# Every packet is one tcpdump captured (same microsecond, same first bytes), the first one
# is the probe of first_seen, and answers are among them (SYN-ACKs of the open ports, RSTs).
"$SW_PYTHON" - "$out" "$SW_CAP" "$first" <<'PY' || sw_fail "the extract is not the captured packets"
import struct, sys
def records(path):
    data = open(path, "rb").read()
    nano = {0xa1b2c3d4: False, 0xa1b23c4d: True}[struct.unpack("<I", data[:4])[0]]
    out, off = [], 24
    while off < len(data):
        s, frac, cap, orig = struct.unpack("<IIII", data[off:off + 16])
        out.append((s * 10**6 + (frac // 1000 if nano else frac), data[off + 16:off + 16 + cap], orig))
        off += 16 + cap
    return out
ext, cap = records(sys.argv[1]), records(sys.argv[2])
seen = {}
for us, b, orig in cap:
    seen.setdefault(us, []).append((b, orig))
for us, b, orig in ext:
    assert any(c[:len(b)] == b and o == orig for c, o in seen.get(us, [])), ("not captured", us)
assert ext[0][0] == int(sys.argv[3]), ("first packet", ext[0][0], sys.argv[3])
assert all(len(b) <= 256 for _, b, _ in ext)
# TCP flags at 14 + 20 + 13 (Ethernet, IPv4 without options): SYN-ACK 0x12, RST-ACK 0x14
flags = [b[47] for _, b, _ in ext if len(b) > 47]
assert 0x12 in flags and 0x14 in flags, flags
print("extract: %d packets, all captured, first at %d" % (len(ext), ext[0][0]))
PY

# Replayed alone, the extract opens the same detection.
"$SCANWATCH" -r "$out" --db "$SW_DIR/re.db" -q 2>/dev/null
[[ $(sw_sql "$SW_DIR/re.db" "SELECT count(*) FROM detections WHERE kind = 'syn_scan' AND
	src_ip = '$SW_SCAN4' AND rule_id = '$rule'") == 1 ]] ||
	sw_fail "replaying the extract did not open syn_scan from $SW_SCAN4 ($rule)"
sw_log "PASS: live evidence of syn_scan #$id from $SW_SCAN4 extracted, read and replayed"

# Without a database the packets would have no reader: none are kept (no evidence arena in
# the exit line), and the scan is reported all the same. Bounded: 20 ports, one retry.
sw_sensor_start nodb "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --no-db --json --rules "$rules"
sw_in_scan timeout 60 nmap -sS -n -Pn -T4 --max-retries 1 -p 1-20 "$SW_TGT4" >/dev/null
sw_poll 30 "the --no-db sensor's syn_scan" \
	sw_file_has "$SW_DIR/nodb.out" '"kind":"syn_scan"'
sw_sensor_stop TERM
grep -q 'scanwatch: stats (exit)' "$SW_DIR/nodb.err" || sw_fail "no exit statistics line"
grep 'scanwatch: stats (exit)' "$SW_DIR/nodb.err" | grep -q ', evidence ' &&
	sw_fail "a --no-db sensor kept evidence packets: $(grep 'stats (exit)' "$SW_DIR/nodb.err")"
sw_log "PASS: a --no-db sensor reported the scan and kept no packets"
