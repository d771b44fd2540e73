#!/usr/bin/env bash
# test_syslog_tls.sh — syslog over TLS (RFC 5425) to a real rsyslogd (imtcp, gtls driver, x509/name): every record arrives intact; a wrong CA, a wrong peer name and bad credential files are refused at start-up (exit 78, one clear line); a live sensor loses nothing while the collector is killed and restarted.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/rsyslog.sh
. "$(dirname "${BASH_SOURCE[0]}")/rsyslog.sh"

sw_init syslog_tls
sw_require nmap
# Two namespaces for the live part (scanner and target); the collector listens on the
# target namespace's own loopback, where the sensor runs. No traffic leaves them.
sw_netns_setup
sw_services tcp-echo:22 http:80
sw_tls_pki
p=$SW_DIR/pki
PORT=6514
sw_rsyslog_start_tls "$PORT"
log=$SW_DIR/rsyslog/tls.log
creds="ca=$p/ca.pem&cert=$p/client.pem&key=$p/client.key"

caps=(-r "$SW_SOURCE_DIR/tests/captures/sample.pcapng")
if [[ -n ${SCANPROBE:-} ]]; then
	"$SCANPROBE" -sU -p 1-60 198.18.1.2 --write "$SW_DIR/p1.pcap" --seed 1 >/dev/null
	caps+=(-r "$SW_DIR/p1.pcap")
fi

# part NAME FROM — the collector's lines after the first FROM, as NAME.log (one run's share).
part() { tail -n "+$(($2 + 1))" "$log" >"$SW_DIR/$1.log"; }

# replay NAME URL — a replay into NAME.db and NAME.jsonl sending to URL; its exit status in rc.
replay() {
	local name=$1 url=$2
	rc=0
	sw_in_tgt "$SCANWATCH" "${caps[@]}" --db "$SW_DIR/$name.db" -q --jsonl "$SW_DIR/$name.jsonl" \
		--syslog "$url" >"$SW_DIR/$name.out" 2>"$SW_DIR/$name.err" || rc=$?
}

# refused NAME WANT-TEXT CMD... — CMD must exit 78 with exactly one line on stderr holding
# WANT-TEXT, and nothing may reach the collector.
refused() {
	local name=$1 want=$2 before rc=0
	shift 2
	before=$(sw_lines "$log")
	sw_in_tgt "$@" >"$SW_DIR/$name.out" 2>"$SW_DIR/$name.err" || rc=$?
	((rc == 78)) || sw_fail "$name: exit status $rc, not 78 (EX_CONFIG): $(cat "$SW_DIR/$name.err")"
	[[ $(grep -c . "$SW_DIR/$name.err") == 1 ]] || sw_fail "$name: not one line on stderr: $(cat "$SW_DIR/$name.err")"
	grep -qF -- "$want" "$SW_DIR/$name.err" || sw_fail "$name: no '$want' in: $(cat "$SW_DIR/$name.err")"
	(($(sw_lines "$log") == before)) || sw_fail "$name: messages reached the collector"
	sw_log "$name refused (78): $(cat "$SW_DIR/$name.err")"
}

# 1. Every record arrives intact, the collector's name checked against name=.
replay good "tls://127.0.0.1:$PORT?$creds&name=collector.test&facility=local3"
((rc == 0)) || sw_fail "replay over TLS failed ($rc): $(cat "$SW_DIR/good.err")"
n=$(sw_lines "$SW_DIR/good.jsonl")
((n > 0)) || sw_fail "the replay produced no records"
sw_poll 10 "rsyslog to write $n TLS messages" sw_lines_at_least "$log" "$n"
part good 0
sw_syslog_check "$SW_DIR/good.db" "$SW_DIR/good.log" "$SW_DIR/good.jsonl" all || sw_fail "TLS messages differ"
grep -Eq "scanwatch: syslog tls://127\.0\.0\.1:$PORT: $n messages sent, 0 dropped \(0 still waiting" "$SW_DIR/good.err" ||
	sw_fail "the sender's counters: $(cat "$SW_DIR/good.err")"

# 2. A wrong CA, a wrong name, and bad files: refused before anything is sent, exit 78.
refused wrong_ca "issuer is unknown" "$SCANWATCH" "${caps[@]}" --no-db -q \
	--syslog "tls://127.0.0.1:$PORT?ca=$p/other-ca.pem&cert=$p/client.pem&key=$p/client.key"
refused wrong_name "does not match" "$SCANWATCH" "${caps[@]}" --no-db -q \
	--syslog "tls://127.0.0.1:$PORT?$creds&name=other.test"
refused missing_ca "ca=$p/missing.pem: No such file or directory" "$SCANWATCH" -T \
	--syslog "tls://127.0.0.1:$PORT?ca=$p/missing.pem"
refused wrong_key "cert=$p/client.pem, key=$p/other-ca.key:" "$SCANWATCH" -T \
	--syslog "tls://127.0.0.1:$PORT?ca=$p/ca.pem&cert=$p/client.pem&key=$p/other-ca.key"
refused cert_alone "cert= and key= go together" "$SCANWATCH" -T \
	--syslog "tls://127.0.0.1:$PORT?ca=$p/ca.pem&cert=$p/client.pem"
printf 'outputs:\n  - {type: syslog, target: "tls://127.0.0.1:%s?ca=%s"}\n' "$PORT" "$p/client.key" >"$SW_DIR/bad.yaml"
refused config_ca "ca=$p/client.key: no PEM certificate in the file" "$SCANWATCH" -T --config "$SW_DIR/bad.yaml"
# The same good URL passes the configuration test.
sw_in_tgt "$SCANWATCH" -T --syslog "tls://127.0.0.1:$PORT?$creds" >"$SW_DIR/t_ok.out" 2>&1 ||
	sw_fail "-T refuses a good tls:// URL: $(cat "$SW_DIR/t_ok.out")"

# 3. insecure=1 accepts the collector whatever its CA, and says so on stderr.
from=$(sw_lines "$log")
replay insecure "tls://127.0.0.1:$PORT?ca=$p/other-ca.pem&cert=$p/client.pem&key=$p/client.key&insecure=1"
((rc == 0)) || sw_fail "insecure replay failed ($rc): $(cat "$SW_DIR/insecure.err")"
grep -q "insecure=1: the collector's certificate is NOT verified" "$SW_DIR/insecure.err" ||
	sw_fail "insecure=1 without a warning: $(cat "$SW_DIR/insecure.err")"
sw_poll 10 "rsyslog to write $n more messages" sw_lines_at_least "$log" $((from + n))
part insecure "$from"
sw_syslog_check "$SW_DIR/insecure.db" "$SW_DIR/insecure.log" "$SW_DIR/insecure.jsonl" all || sw_fail "insecure messages differ"

# 4. A live sensor; the collector is killed (SIGKILL: no TLS close, no FIN from rsyslog's
# side before the kernel's) while idle, scans go on, it restarts: nothing is lost. The
# peer name is the URL's host, 127.0.0.1, against the certificate's iPAddress SAN.
from=$(sw_lines "$log")
rules=$SW_DIR/rules.yaml
sw_rules_idle "$rules" 2s
db=$SW_DIR/live.db
jsonl=$SW_DIR/live.jsonl
all_closed_q="SELECT count(*) > 0 AND count(closed_at) = count(*) FROM detections"
sw_sensor_start live "$SCANWATCH" -i "$SW_IF_TGT" --allow-root --db "$db" --rules "$rules" \
	--jsonl "$jsonl" --syslog "tls://127.0.0.1:$PORT?$creds"
scan() {
	sw_in_scan timeout 30 nmap "$1" -n -Pn -T4 --max-retries 1 -p 1-100 "$SW_TGT4" >>"$SW_DIR/nmap.out" 2>&1 ||
		sw_fail "nmap $1 failed: $(tail -n 5 "$SW_DIR/nmap.out")"
}
scan -sS
sw_poll 20 "the first detection to close" sw_db_at_least "$db" 1 "$all_closed_q"
first=$(sw_lines "$jsonl")
sw_poll 10 "rsyslog to receive the first $first messages" sw_lines_at_least "$log" $((from + first))
kill -KILL "$SW_RSYSLOG_PID"
wait "$SW_RSYSLOG_PID" 2>/dev/null || true
SW_RSYSLOG_PID=
sw_log "rsyslogd killed; scanning while it is down"
scan -sF
scan -sU
sw_poll 20 "the outage's detections to close" sw_db_at_least "$db" 1 \
	"SELECT count(*) >= 3 AND count(closed_at) = count(*) FROM detections"
down=$(($(sw_lines "$jsonl") - first))
((down > 0)) || sw_fail "no record written while the collector was down"
sw_rsyslog_start_tls "$PORT"
waiting=$(sw_lines "$jsonl")
sw_poll 45 "rsyslog to receive the $waiting messages written so far" sw_lines_at_least "$log" $((from + waiting))
scan -sX
sw_sensor_stop TERM
total=$(sw_lines "$jsonl")
sw_poll 10 "rsyslog to receive all $total messages" sw_lines_at_least "$log" $((from + total))
sender=$(grep -E "scanwatch: syslog tls://127\.0\.0\.1:$PORT: " "$SW_DIR/live.err" | tail -n 1)
[[ $sender =~ ([0-9]+)\ messages\ sent,\ ([0-9]+)\ dropped.*\ ([0-9]+)\ reconnects ]] ||
	sw_fail "no sender counters: $sender"
sent=${BASH_REMATCH[1]} dropped=${BASH_REMATCH[2]} reconnects=${BASH_REMATCH[3]}
# One restart of the collector is one reconnection (not one per tick, not none).
((reconnects == 1)) || sw_fail "one collector restart, $reconnects reconnects: $sender"
((dropped == 0 && sent == total)) || sw_fail "$total records, $sent sent, $dropped dropped: $sender"
part live "$from"
sw_syslog_check "$db" "$SW_DIR/live.log" "$jsonl" all || sw_fail "the collector's messages differ from the store"
sw_rsyslog_stop

printf '[%s] figure: replay %d records over TLS intact; live: %d records (%d while the collector was down), %d reconnect(s), %d dropped\n' \
	"$SW_TEST" "$n" "$total" "$down" "$reconnects" "$dropped" >&2
