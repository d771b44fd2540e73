#!/usr/bin/env bash
# test_rsyslog.sh — a real rsyslogd (imudp, imtcp on loopback) receives every detection record of replayed captures over UDP, over TCP (octet counting) and as CEF over TCP, with every field equal to the store's row.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/rsyslog.sh
. "$(dirname "${BASH_SOURCE[0]}")/rsyslog.sh"

sw_init rsyslog
# One namespace is enough: its loopback is private, so the collector's ports collide with
# nothing, and nothing is sent anywhere else. No traffic leaves 127.0.0.1.
sw_ns_add "$SW_NS_TGT"
sw_rsyslog_start 5514 5515
r=$SW_DIR/rsyslog

# The inputs: the sample capture, plus scanprobe dry runs (written, never sent) for IPv6,
# spoofed-source floods (sample sources, '*' source) and UDP, when scanprobe is built.
caps=(-r "$SW_SOURCE_DIR/tests/captures/sample.pcapng")
if [[ -n ${SCANPROBE:-} ]]; then
	i=0
	for args in "-6 -sS -p 1-100 2001:2::2" "--flood syn --count 3000 198.18.1.2" "-sU -p 1-60 198.18.1.2"; do
		i=$((i + 1))
		# shellcheck disable=SC2086 # the argument list is meant to split
		"$SCANPROBE" $args --write "$SW_DIR/p$i.pcap" --seed "$i" >/dev/null
		caps+=(-r "$SW_DIR/p$i.pcap")
	done
fi

# run NAME OUTPUT-OPTIONS... — a replay into NAME.db and NAME.jsonl, inside the namespace.
run() {
	local name=$1
	shift
	sw_in_tgt "$SCANWATCH" "${caps[@]}" --db "$SW_DIR/$name.db" -q --jsonl "$SW_DIR/$name.jsonl" "$@" \
		>"$SW_DIR/$name.out" 2>"$SW_DIR/$name.err" || sw_fail "replay $name failed: $(cat "$SW_DIR/$name.err")"
	n=$(sw_lines "$SW_DIR/$name.jsonl")
	((n > 0)) || sw_fail "replay $name produced no records"
}

run udp --syslog "udp://127.0.0.1:$SW_RSYSLOG_UDP"
sw_poll 10 "rsyslog to write $n UDP messages" sw_lines_at_least "$r/udp.log" "$n"
sw_syslog_check "$SW_DIR/udp.db" "$r/udp.log" "$SW_DIR/udp.jsonl" all || sw_fail "UDP messages differ"

run tcp --syslog "tcp://127.0.0.1:$SW_RSYSLOG_TCP?facility=local3" --sensor-id edge-rs --site-tag site=par1 --site-tag zone=dmz
sw_poll 10 "rsyslog to write $n TCP messages" sw_lines_at_least "$r/tcp.log" "$n"
sw_syslog_check "$SW_DIR/tcp.db" "$r/tcp.log" "$SW_DIR/tcp.jsonl" all || sw_fail "TCP messages differ"

# CEF inside syslog: no STRUCTURED-DATA ("-"), the CEF line as MSG, one per record.
run cef --cef "tcp://127.0.0.1:$((SW_RSYSLOG_TCP + 1))"
sw_poll 10 "rsyslog to write $n CEF messages" sw_lines_at_least "$r/cef.log" "$n"
"$SW_PYTHON" - "$r/cef.log" "$SW_DIR/cef.jsonl" <<'PY' || sw_fail "CEF messages differ"
import json, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
recs = [json.loads(l) for l in open(sys.argv[2])]
got = []
for l in lines:
    m = re.fullmatch(r"- CEF:0\|scanwatch\|scanwatch\|[^|]+\|([^|]+)\|[^|]*\|([0-9]+)\|(.*)", l)
    if not m:
        sys.exit("not a CEF message: " + l[:120])
    ext = dict(re.findall(r"(?:^| )([A-Za-z0-9_]+)=((?:[^=\\]|\\.)*?)(?= [A-Za-z0-9_]+=|$)", m.group(3)))
    got.append((int(ext["externalId"]), ext["act"], int(ext["cnt"]), m.group(1)))
want = [(int(r["event"]["id"]), r["scanwatch"]["phase"], r["scanwatch"]["probes"], r["rule"]["id"]) for r in recs]
if sorted(got) != sorted(want):
    sys.exit(f"{len(got)} CEF messages, {len(want)} records: {sorted(set(want) ^ set(got))[:5]}")
print(f"{sys.argv[1]}: {len(got)} CEF messages, one per record")
PY

# The sender's counters: nothing dropped, nothing left waiting.
for name in udp tcp cef; do
	grep -Eq "scanwatch: syslog [a-z]+://127\.0\.0\.1:[0-9]+: $n messages sent, 0 dropped \(0 still waiting" \
		"$SW_DIR/$name.err" || sw_fail "$name: the sender's counters: $(cat "$SW_DIR/$name.err")"
done
sw_rsyslog_stop
sw_log "example UDP message: $(head -n 1 "$r/udp.log")"
