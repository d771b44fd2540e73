#!/usr/bin/env bash
# test_rsyslog_relay.sh — the shipped rsyslog relay (packaging/examples/rsyslog-relay.conf: TLS in, omkafka and omelasticsearch out) checked with rsyslogd -N1 and run end to end: a sensor's records over TLS reach the relay, which writes every one of them, as the JSON document it sends to Kafka and Elasticsearch, to its archive file.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/rsyslog.sh
. "$(dirname "${BASH_SOURCE[0]}")/rsyslog.sh"

sw_init relay
sw_require rsyslogd ss
[[ -n ${SCANPROBE:-} && -x $SCANPROBE ]] || sw_fail "SCANPROBE (the bundled prober) is needed to write the captures"
for m in lmnsd_gtls omkafka omelasticsearch mmpstrucdata; do
	[[ -n $(find /usr/lib -name "$m.so" -print -quit 2>/dev/null) ]] ||
		sw_fail "rsyslog module $m is not installed (rsyslog-gnutls, rsyslog-kafka, rsyslog-elasticsearch)"
done
sw_netns_setup
sw_tls_pki

# The shipped file, with the test's PKI, directories and sensor name; Kafka and Elasticsearch
# at an address of the benchmarking range no route leads to (inside the namespace: their
# actions fail and queue, the archive does not wait for them).
shipped=$SW_SOURCE_DIR/packaging/examples/rsyslog-relay.conf
d=$SW_DIR/relay
mkdir -p "$d/spool"
conf=$d/relay.conf
sed -e "s|/etc/rsyslog.d/scanwatch/ca.pem|$SW_DIR/pki/ca.pem|" \
	-e "s|/etc/rsyslog.d/scanwatch/relay.pem|$SW_DIR/pki/server.pem|" \
	-e "s|/etc/rsyslog.d/scanwatch/relay.key|$SW_DIR/pki/server.key|" \
	-e "s|/var/spool/rsyslog|$d/spool|" \
	-e "s|/var/log/scanwatch-relay/records.jsonl|$d/records.jsonl|" \
	-e 's|\*\.sensors\.example\.org|sensor.test|' \
	-e 's|kafka[12]\.example\.org|198.18.10.250|g' \
	-e 's|es\.example\.org|198.18.10.250|' "$shipped" >"$conf"
# Every substitution took: nothing of the placeholders is left.
! grep -v '^#' "$conf" | grep -n 'example\.org\|/etc/rsyslog.d\|/var/' || sw_fail "a placeholder of $shipped was not replaced"
rsyslogd -N1 -f "$conf" >"$d/check.out" 2>&1 || sw_fail "rsyslogd -N1 rejects the relay configuration: $(cat "$d/check.out")"
! grep -qi 'error' "$d/check.out" || sw_fail "rsyslogd -N1 reports errors: $(cat "$d/check.out")"
sw_log "rsyslogd -N1 accepts the shipped relay configuration"

sw_bg "$SW_NS_TGT" rsyslogd rsyslogd -n -f "$conf" -i "$d/rsyslogd.pid"
relay_pid=$SW_LAST_PID
relay_listening() {
	kill -0 "$relay_pid" 2>/dev/null || sw_fail "rsyslogd exited: $(cat "$SW_DIR/rsyslogd.err")"
	[[ -n $(sw_in_tgt ss -Htln "sport = :6514") ]]
}
sw_poll "$SW_POLL_DEADLINE" "the relay to listen on 6514/tcp (TLS)" relay_listening

caps=()
i=0
for args in "-sS -p 1-100 198.18.1.2" "-sU -p 1-60 198.18.1.2" "-sn -PE 198.18.2.0/26" "-sS --scanners 3 -p 1-50 198.18.1.3"; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # the argument list is meant to split
	"$SCANPROBE" $args --write "$SW_DIR/p$i.pcap" --seed "$i" >/dev/null
	caps+=(-r "$SW_DIR/p$i.pcap")
done
sw_in_tgt "$SCANWATCH" "${caps[@]}" --db "$SW_DIR/s.db" -q --jsonl "$SW_DIR/s.jsonl" \
	--sensor-id edge-relay --site-tag site=par1 \
	--syslog "tls://127.0.0.1:6514?ca=$SW_DIR/pki/ca.pem&cert=$SW_DIR/pki/client.pem&key=$SW_DIR/pki/client.key&name=collector.test" \
	>"$SW_DIR/s.out" 2>"$SW_DIR/s.err" || sw_fail "the sensor failed: $(cat "$SW_DIR/s.err")"
n=$(sw_lines "$SW_DIR/s.jsonl")
((n > 5)) || sw_fail "only $n records"
sw_poll 20 "the relay to archive $n records" sw_lines_at_least "$d/records.jsonl" "$n"

# Every record once, as a JSON document with the sensor's identity and its fields.
"$SW_PYTHON" - "$d/records.jsonl" "$SW_DIR/s.jsonl" <<'PY' || sw_fail "the relay's documents differ from the records"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
recs = [json.loads(l) for l in open(sys.argv[2])]
got = sorted((int(d["scanwatch"]["seq"]), d["scanwatch"]["phase"], int(d["scanwatch"]["probes"])) for d in docs)
want = sorted((int(r["event"]["id"]), r["scanwatch"]["phase"], r["scanwatch"]["probes"]) for r in recs)
assert got == want, (len(got), len(want), sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5])
by = {(int(r["event"]["id"]), r["scanwatch"]["phase"], r["scanwatch"]["probes"]): r for r in recs}
for d in docs:
    s = d["scanwatch"]
    r = by[(int(s["seq"]), s["phase"], int(s["probes"]))]
    assert s["sensor"] == "edge-relay" and s["siteTags"] == "site=par1", s
    assert s["kind"] == r["event"]["action"] and s["src"] == r.get("source", {}).get("ip", "*"), (s, r)
    assert d["message"] == r["message"], (d["message"], r["message"])
print(f"ok  {len(docs)} documents, one per record, each with its sensor, kind, source and message")
PY
sw_log "the relay archived all $n records as the JSON documents it forwards"
