#!/usr/bin/env bash
# test_query.sh — `scanwatch query` on a database of known content: every filter, the table, CSV and JSON lines formats exactly, --limit, --follow against a concurrent writer, and the usage errors.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_SOURCE_DIR:?}" "${SW_WORK_DIR:?}"
# shellcheck source=tests/captures/lib.sh
. "$SW_SOURCE_DIR/tests/captures/lib.sh"
cap_init query
q() { "$SCANWATCH" query --db db.sqlite "$@"; }

# The database: the sample capture's three detections (run 1, ids 1-3, all closed, on
# 2026-11-26), then rows of known content written as the store writes them (run 2).
"$SCANWATCH" -r "$SW_SOURCE_DIR/tests/captures/sample.pcapng" --db db.sqlite -q 2>/dev/null
[[ $(sqlite3 db.sqlite "SELECT count(*) FROM detections") == 3 ]] || fail "the sample no longer gives 3 detections"
now=$(date +%s)
h1=$(((now - 3600) * 1000000))  # one hour ago
h3=$(((now - 10800) * 1000000)) # three hours ago
T=1700000000000000              # 2023-11-14T22:13:20Z
sqlite3 db.sqlite <<SQL
INSERT INTO runs (id, input, started_at) VALUES (2, 'test rows', $T);
INSERT INTO detections (id, run_id, seq, rule_id, rule_name, kind, severity, src_ip, target_ip,
  proto, first_seen, opened_at, last_seen, closed_at, probes, probes_at_open, distinct_targets,
  distinct_ports, sample_ports, sample_targets, sample_sources, tags, tool, campaign, evidence)
VALUES
 (4, 2, 1, 'SW-UDP-001', 'UDP port scan', 'udp_scan', 'low', '2001:2::7', '2001:2::2', 17,
  $T, $T + 500000, $T + 9000000, NULL, 40, 10, 1, 40, '[53,123]', '["2001:2::2"]', '[]',
  '["T1046"]', NULL, NULL, 'has, a comma and "quotes"
and a second line'),
 (5, 2, 2, 'SW-SYNFLOOD', 'SYN flood', 'syn_flood', 'critical', '*', '198.18.5.5', 6,
  $T + 60000000, $T + 61000000, $T + 70000000, $T + 75000000, 90000, 1000, 1, 1, '[80]',
  '["198.18.5.5"]', '["198.18.9.1","198.18.9.2"]', '["T1498","T1499.001"]', 'hping3', 'c-7',
  'flood'),
 (6, 2, 3, 'SW-TCP-SWEEP-001', 'TCP sweep', 'tcp_sweep', 'high', '198.19.255.1', NULL, 6,
  $T + 3600000000, $T + 3600100000, $T + 3700000000, $T + 3800000000, 300, 20, 300, 1, '[22]',
  '["198.18.1.1"]', '[]', '[]', 'masscan', NULL, 'sweep'),
 (7, 2, 4, 'SW-XMAS-001', 'Xmas scan', 'xmas_scan', 'medium', '192.0.2.10', '198.18.0.2', 6,
  $h3, $h3, $h3 + 1000000, NULL, 30, 10, 1, 30, '[]', '["198.18.0.2"]', '[]', '[]', 'nmap',
  NULL, 'xmas'),
 (8, 2, 5, 'SW-UDP-001', 'UDP port scan', 'udp_scan', 'medium', '198.18.0.9', '198.18.0.2', 17,
  $h1, $h1, $h1 + 1000000, NULL, 50, 10, 1, 50, '[161]', '["198.18.0.2"]', '[]', '[]', NULL,
  NULL, 'recent');
-- what the scanners learned (006): 4 got a UDP answer, 6 two SYN-ACKs on two hosts
INSERT INTO exposure (run_id, seq, ord, host, proto, port, reveal, answers) VALUES
 (2, 1, 0, '2001:2::2', 17, 53, 'udp_reply', 2),
 (2, 3, 0, '198.18.1.1', 6, 22, 'syn_ack', 1),
 (2, 3, 1, '198.18.1.7', 6, 22, 'syn_ack', 1);
SQL

# The distribution's interpreter, for its csv and json modules.
py=/usr/bin/python3
# ids ARGS... — the ids query prints (CSV parsed as RFC 4180, header skipped), space-separated.
ids() {
	q --format csv "$@" | "$py" -c 'import csv, sys
rows = list(csv.reader(sys.stdin))
assert rows[0][0] == "id", rows[:1]
print(" ".join(r[0] for r in rows[1:]))'
}
expect_ids() {
	local want=$1
	shift
	local got
	got=$(ids "$@")
	[[ $got == "$want" ]] || fail "query $*: ids '$got', expected '$want'"
	echo "ok  $* -> ${want:-(none)}"
}

expect_ids "1 2 3 4 5 6 7 8"
expect_ids "4 8" --kind udp_scan
expect_ids "" --kind arp_sweep
expect_ids "5" --rule SW-SYNFLOOD
expect_ids "4 8" --rule SW-UDP-001
expect_ids "1 2 3 6 8" --src 198.18.0.0/15 # 198.19.255.1 is inside; '*' never is
expect_ids "2" --src 198.18.0.3
expect_ids "4" --src 2001:2::/48
expect_ids "7" --src 192.0.2.0/24
expect_ids "" --src 203.0.113.0/24
expect_ids "3 5 6" --min-severity high # high: rst_flood, syn_flood, tcp_sweep
expect_ids "5" --min-severity critical
expect_ids "1 3 5 6 7 8" --min-severity medium
expect_ids "1 2 3 4 5 6 7 8" --min-severity low
expect_ids "4 7 8" --open
expect_ids "1 2 3 5 6" --closed
expect_ids "8" --open --kind udp_scan --min-severity medium
# Time: a detection matches when its activity [first_seen, last_seen] meets the range.
expect_ids "5 6" --since 2023-11-14T22:14:00Z --until 2023-11-14T23:59:59Z
expect_ids "4 5" --until 2023-11-14T22:14:20Z # 5 begins at 22:14:20 exactly
expect_ids "4" --until "2023-11-14 22:14:19.999999"
expect_ids "6" --since 2023-11-15T00:00:00+01:00 --until 2023-11-15 # 23:00Z .. 00:00Z
expect_ids "1 2 3 7 8" --since 2024-01-01
expect_ids "8" --since 2h --open
expect_ids "7 8" --since 4h --open
expect_ids "7 8" --since 240m --open
expect_ids "7 8" --limit 2
expect_ids "2 3 6" --limit 3 --closed --src 0.0.0.0/0 # not 5: "*" has no address
# --exposed: what the scanners learned (the sample's SYN scan got 4 SYN-ACKs from 198.18.0.2,
# its sweep 8 echo replies from 198.18.1.0-7; rows 4 and 6 above). A port names a service:
# an echo reply (ICMP type 8 probed) is no port 8.
expect_ids "2 6" --exposed 198.18.1.7
expect_ids "6" --exposed 198.18.1.7:22
expect_ids "" --exposed 198.18.1.7:8
expect_ids "1" --exposed 198.18.0.2:8080
expect_ids "" --exposed 198.18.0.2:8081
expect_ids "4" --exposed 2001:2::2
expect_ids "4" --exposed [2001:2::2]:53
expect_ids "" --exposed [2001:2::2]:54
expect_ids "6" --exposed 198.18.1.1 --kind tcp_sweep
expect_ids "5" --campaign c-7
expect_ids "" --campaign c-70

# --- formats, exactly --------------------------------------------------------------------
check_out() { # NAME FILE-EXPECTED FILE-GOT
	cmp -s "$2" "$3" || {
		diff -u "$2" "$3" || true
		fail "$1 output differs"
	}
	echo "ok  $1 output"
}

q --until 2023-11-15 >table.out
cat >table.want <<'TXT'
ID  SENSOR  OPENED (UTC)         STATE   KIND       SEVERITY  SOURCE        TARGET      PROBES  PORTS  HOSTS  EXPOSED  TOOL     RULE
 4  -       2023-11-14 22:13:20  open    udp_scan   low       2001:2::7     2001:2::2       40     40      1        1  -        SW-UDP-001
 5  -       2023-11-14 22:14:21  closed  syn_flood  critical  *             198.18.5.5   90000      1      1        0  hping3   SW-SYNFLOOD
 6  -       2023-11-14 23:13:20  closed  tcp_sweep  high      198.19.255.1  -              300      1    300        2  masscan  SW-TCP-SWEEP-001
TXT
check_out table table.want table.out

# RFC 4180: CRLF after each record, fields with , " or a line break quoted, quotes doubled,
# NULL as an empty field.
q --until 2023-11-14T22:14:30Z --format csv >csv.out
{
	printf '%s\r\n' "id,run_id,seq,rule_id,rule_name,kind,severity,src_ip,target_ip,proto,first_seen,opened_at,last_seen,closed_at,probes,probes_at_open,distinct_targets,distinct_ports,sample_ports,sample_targets,sample_sources,tags,tool,campaign,evidence,reasons,exposure,sensor"
	# rows written before the reasons column (schema 005): the reader makes a reason of the evidence
	printf '%s\n%s\r\n' '4,2,1,SW-UDP-001,UDP port scan,udp_scan,low,2001:2::7,2001:2::2,17,2023-11-14T22:13:20.000000Z,2023-11-14T22:13:20.500000Z,2023-11-14T22:13:29.000000Z,,40,10,1,40,"[53,123]","[""2001:2::2""]",[],"[""T1046""]",,,"has, a comma and ""quotes""' 'and a second line","[{""name"":""text"",""count"":0,""text"":""has, a comma and \""quotes\""\u000aand a second line""}]","[{""host"":""2001:2::2"",""proto"":17,""port"":53,""reveal"":""udp_reply"",""answers"":2}]",'
	printf '%s\r\n' '5,2,2,SW-SYNFLOOD,SYN flood,syn_flood,critical,*,198.18.5.5,6,2023-11-14T22:14:20.000000Z,2023-11-14T22:14:21.000000Z,2023-11-14T22:14:30.000000Z,2023-11-14T22:14:35.000000Z,90000,1000,1,1,[80],"[""198.18.5.5""]","[""198.18.9.1"",""198.18.9.2""]","[""T1498"",""T1499.001""]",hping3,c-7,flood,"[{""name"":""text"",""count"":0,""text"":""flood""}]",[],'
} >csv.want
check_out csv csv.want csv.out

q --until 2023-11-14T22:14:30Z --format jsonl >jsonl.out
cat >jsonl.want <<'TXT'
{"id":4,"run_id":2,"seq":1,"rule_id":"SW-UDP-001","rule_name":"UDP port scan","kind":"udp_scan","severity":"low","src_ip":"2001:2::7","target_ip":"2001:2::2","proto":17,"first_seen":"2023-11-14T22:13:20.000000Z","opened_at":"2023-11-14T22:13:20.500000Z","last_seen":"2023-11-14T22:13:29.000000Z","closed_at":null,"probes":40,"probes_at_open":10,"distinct_targets":1,"distinct_ports":40,"sample_ports":[53,123],"sample_targets":["2001:2::2"],"sample_sources":[],"tags":["T1046"],"tool":null,"campaign":null,"evidence":"has, a comma and \"quotes\"\u000aand a second line","reasons":[{"name":"text","count":0,"text":"has, a comma and \"quotes\"\u000aand a second line"}],"exposure":[{"host":"2001:2::2","proto":17,"port":53,"reveal":"udp_reply","answers":2}],"sensor":null}
{"id":5,"run_id":2,"seq":2,"rule_id":"SW-SYNFLOOD","rule_name":"SYN flood","kind":"syn_flood","severity":"critical","src_ip":"*","target_ip":"198.18.5.5","proto":6,"first_seen":"2023-11-14T22:14:20.000000Z","opened_at":"2023-11-14T22:14:21.000000Z","last_seen":"2023-11-14T22:14:30.000000Z","closed_at":"2023-11-14T22:14:35.000000Z","probes":90000,"probes_at_open":1000,"distinct_targets":1,"distinct_ports":1,"sample_ports":[80],"sample_targets":["198.18.5.5"],"sample_sources":["198.18.9.1","198.18.9.2"],"tags":["T1498","T1499.001"],"tool":"hping3","campaign":"c-7","evidence":"flood","reasons":[{"name":"text","count":0,"text":"flood"}],"exposure":[],"sensor":null}
TXT
check_out jsonl jsonl.want jsonl.out

# Every format agrees with the database on every row (the sample's rows included).
q --format jsonl >all.jsonl
sqlite3 -json db.sqlite "SELECT * FROM detections ORDER BY id" >all.sqlite.json
"$py" - <<'PY' || fail "jsonl rows differ from the database"
import json, datetime
rows = json.load(open("all.sqlite.json"))
got = [json.loads(l) for l in open("all.jsonl")]
assert len(rows) == len(got) == 8, (len(rows), len(got))
iso = lambda us: None if us is None else datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1000000)
for r, g in zip(rows, got):
    for k, v in r.items():
        if k in ("first_seen", "opened_at", "last_seen", "closed_at"):
            v = iso(v)
        elif k in ("sample_ports", "sample_targets", "sample_sources", "tags") and v is not None:
            v = json.loads(v)
        elif k == "reasons":
            # rows older than the reasons column: one reason per "; " piece of the evidence
            v = json.loads(v) if v is not None else [
                {"name": "text", "count": 0, "text": t}
                for t in (r["evidence"] or "").split("; ") if t]
        assert g[k] == v, (r["id"], k, g[k], v)
print("ok  jsonl matches the database row for row")
PY

# --- --follow: new rows appear while a writer inserts; SIGTERM ends it cleanly -----------
# Started directly (not through q) so $! is the query process itself.
"$SCANWATCH" query --db db.sqlite --follow --format csv --kind udp_scan >follow.out 2>follow.err &
fpid=$!
# Wait for the initial output (header and rows 4, 8) before writing.
for _ in $(seq 200); do
	[[ $(grep -c $'\r$' follow.out || true) -ge 3 ]] && break
	sleep 0.05
done
[[ $(grep -c $'\r$' follow.out || true) -ge 3 ]] || fail "--follow printed no initial rows"
sqlite3 -cmd ".timeout 5000" db.sqlite "INSERT INTO detections (id, run_id, seq, rule_id, rule_name, kind, severity, src_ip, first_seen,
  opened_at, last_seen, probes, probes_at_open, distinct_targets, distinct_ports)
VALUES (9, 2, 6, 'SW-TCP-SYN-001', 'SYN', 'syn_scan', 'low', '198.18.0.20', $T, $T, $T, 1, 1, 1, 1),
       (10, 2, 7, 'SW-UDP-001', 'UDP', 'udp_scan', 'low', '198.18.0.21', $T, $T, $T, 1, 1, 1, 1);"
for _ in $(seq 200); do
	grep -q '^10,' follow.out && break
	sleep 0.05
done
kill -TERM "$fpid"
rc=0
wait "$fpid" || rc=$?
[[ $rc == 0 ]] || fail "--follow exited $rc on SIGTERM: $(cat follow.err)"
got=$(ids --kind udp_scan </dev/null) # the full answer now: 4 8 10
follow_ids=$("$py" -c 'import csv, sys
print(" ".join(r[0] for r in list(csv.reader(open("follow.out", newline="")))[1:]))')
[[ $follow_ids == "4 8 10" && $got == "4 8 10" ]] || fail "--follow printed '$follow_ids' (query now: '$got')"
echo "ok  --follow printed the new matching row once, skipped the other, stopped on SIGTERM"

# --- usage and database errors -----------------------------------------------------------
expect_status() {
	local want=$1 rc=0
	shift
	"$SCANWATCH" query "$@" >/dev/null 2>err.txt || rc=$?
	[[ $rc == "$want" ]] || fail "query $*: exit $rc, expected $want"
	[[ $want == 0 || -s err.txt ]] || fail "query $*: no message"
	echo "ok  $* -> exit $want"
}
expect_status 2 --db db.sqlite --kind bogus_scan
expect_status 2 --db db.sqlite --exposed 198.18.1.7:65536
expect_status 2 --db db.sqlite --exposed 198.18.1.7:
expect_status 2 --db db.sqlite --exposed not-an-address
expect_status 2 --db db.sqlite --exposed [2001:2::2
expect_status 2 --db db.sqlite --exposed [2001:2::2]x
expect_status 2 --db db.sqlite --src 198.18.0.0/99
expect_status 2 --db db.sqlite --since yesterday
expect_status 2 --db db.sqlite --until 2023-02-30
expect_status 2 --db db.sqlite --open --closed
expect_status 2 --db db.sqlite --format xml
expect_status 2 --db db.sqlite --limit 0
expect_status 2 --db db.sqlite --min-severity severe
expect_status 2 --db db.sqlite extra
expect_status 1 --db does-not-exist.db
[[ ! -e does-not-exist.db ]] || fail "query created a database"
expect_status 0 --db db.sqlite --kind arp_sweep

# --- several databases (issue 19): two sensors' stores, one timeline with a sensor column ---
mkdir -p fleet
"$SCANWATCH" -r "$SW_SOURCE_DIR/tests/captures/sample.pcapng" --db fleet/a.db -q \
	--sensor-id edge-a --site-tag site=par1 2>/dev/null
"$SCANWATCH" -r "$SW_SOURCE_DIR/tests/captures/sample.pcapng" --db fleet/b.db -q \
	--sensor-id edge-b 2>/dev/null
[[ $(sqlite3 fleet/a.db "SELECT sensor_id || ' ' || site_tags FROM runs") == 'edge-a ["site=par1"]' ]] ||
	fail "the run does not name its sensor: $(sqlite3 fleet/a.db 'SELECT * FROM runs')"
"$SCANWATCH" query --db fleet/a.db --db fleet/b.db --format csv >fleet.csv
"$SCANWATCH" query --db fleet --format csv >fleet-dir.csv
cmp -s fleet.csv fleet-dir.csv || fail "a directory reads otherwise than its files named one by one"
"$py" - <<'PY' || fail "the merged timeline is wrong"
import csv
rows = list(csv.DictReader(open("fleet.csv", newline="")))
assert len(rows) == 6, len(rows)
assert sorted(r["sensor"] for r in rows) == ["edge-a"] * 3 + ["edge-b"] * 3, rows
firsts = [r["first_seen"] for r in rows]
assert firsts == sorted(firsts), firsts
# each first_seen twice, edge-a (the first file) before edge-b
for i in range(0, 6, 2):
    assert rows[i]["first_seen"] == rows[i + 1]["first_seen"], rows
    assert (rows[i]["sensor"], rows[i + 1]["sensor"]) == ("edge-a", "edge-b"), rows
PY
[[ $("$SCANWATCH" query --db fleet --limit 2 --format csv | wc -l) == 3 ]] || fail "--limit over several databases"
"$SCANWATCH" query --db fleet | grep -q 'edge-b' || fail "the table has no sensor column"
"$SCANWATCH" report --html fleet.html --db fleet/a.db --db fleet/b.db 2>/dev/null ||
	fail "report over several databases failed"
grep -q 'edge-a' fleet.html && grep -q 'edge-b' fleet.html || fail "the report names no sensor"
echo "ok  several databases: merged by first probe, with the sensor of each row"
echo "all query checks passed"
