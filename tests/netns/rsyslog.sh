# rsyslog.sh — helpers sourced by the syslog feed tests: a private rsyslogd (imudp/imtcp on loopback, or imtcp with TLS, or imrelp), a throwaway PKI, and the check of what it received against the store.
#
# The collector runs inside the test's target namespace (its own loopback, so
# its ports can collide with nothing on the host), from a private config and
# work directory, with its own pid file; it loads imudp and imtcp only (no
# imuxsock, no imklog: it never touches the host's logs) and writes each
# message's STRUCTURED-DATA and MSG, one a line, to a file per input.
# Teardown (lib.sh) ends every process of the namespace; sw_rsyslog_stop ends
# this one by its exact pid before that.
#
# Usage (after sw_init and sw_netns_setup):
#   sw_rsyslog_start 5514 5515       # UDP port, TCP port: $SW_DIR/rsyslog/{udp,tcp}.log;
#                                    # TCP port + 1: $SW_DIR/rsyslog/cef.log (for CEF)
#   ... scanwatch --syslog udp://127.0.0.1:5514 ...
#   sw_syslog_check DB LOG JSONL     # every record arrived, fields equal to the store
#   sw_rsyslog_stop

SW_RSYSLOG_PID=

sw_rsyslog_start() {
	local udp=$1 tcp=$2 d=$SW_DIR/rsyslog
	sw_require rsyslogd ss
	mkdir -p "$d/work"
	touch "$d/udp.log" "$d/tcp.log" "$d/cef.log"
	cat >"$d/rsyslog.conf" <<CONF
# Private collector for $SW_TEST: network inputs on loopback only, one file per input.
global(workDirectory="$d/work" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
template(name="sd_msg" type="string" string="%structured-data% %msg%\n")
ruleset(name="udp") { action(type="omfile" file="$d/udp.log" template="sd_msg") }
ruleset(name="tcp") { action(type="omfile" file="$d/tcp.log" template="sd_msg") }
ruleset(name="cef") { action(type="omfile" file="$d/cef.log" template="sd_msg") }
input(type="imudp" address="127.0.0.1" port="$udp" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="$tcp" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="$((tcp + 1))" ruleset="cef")
CONF
	rsyslogd -N1 -f "$d/rsyslog.conf" >"$d/check.out" 2>&1 ||
		sw_fail "rsyslog rejects the test configuration: $(cat "$d/check.out")"
	# -n: stay in the foreground (ip netns exec execs it: $! is rsyslogd itself).
	sw_bg "$SW_NS_TGT" rsyslogd rsyslogd -n -f "$d/rsyslog.conf" -i "$d/rsyslogd.pid"
	SW_RSYSLOG_PID=$SW_LAST_PID
	SW_RSYSLOG_UDP=$udp
	SW_RSYSLOG_TCP=$tcp
	sw_poll "$SW_POLL_DEADLINE" "rsyslogd to listen on 127.0.0.1:$udp/udp and :$tcp/tcp" sw_rsyslog_listening
	sw_log "rsyslogd (pid $SW_RSYSLOG_PID) listening on 127.0.0.1:$udp/udp and 127.0.0.1:$tcp/tcp"
}

sw_rsyslog_listening() {
	kill -0 "$SW_RSYSLOG_PID" 2>/dev/null || sw_fail "rsyslogd exited: $(cat "$SW_DIR/rsyslogd.err")"
	[[ -n $(sw_in_tgt ss -Htln "sport = :$SW_RSYSLOG_TCP") && -n $(sw_in_tgt ss -Huln "sport = :$SW_RSYSLOG_UDP") ]]
}

# sw_rsyslog_stop — SIGTERM to the exact pid, up to 10 s to exit.
sw_rsyslog_stop() {
	[[ -n $SW_RSYSLOG_PID ]] || return 0
	kill -TERM "$SW_RSYSLOG_PID" 2>/dev/null || true
	local deadline=$(($(sw_now_us) + 10 * 1000000))
	while kill -0 "$SW_RSYSLOG_PID" 2>/dev/null; do
		(($(sw_now_us) < deadline)) || sw_fail "rsyslogd did not exit within 10 s of SIGTERM"
		sleep "$SW_POLL_INTERVAL"
	done
	wait "$SW_RSYSLOG_PID" 2>/dev/null || true
	SW_RSYSLOG_PID=
}

# sw_lines FILE — number of lines in FILE (0 when missing).
sw_lines() {
	if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi
}

sw_lines_at_least() { (($(sw_lines "$1") >= $2)); }

# sw_syslog_check DB LOG JSONL [MODE] — LOG (one "SD MSG" line per message, as the
# collector wrote them) against the store and the JSON lines of the same run:
#   MODE all (default): exactly one message per JSON record (same seq, phase, probes);
#   MODE final: a subset of the records, but the final state of every detection
#   (after an outage some records may have been dropped: the caller checks the counters).
# In both modes the last message of each detection carries every field of its row.
sw_syslog_check() {
	"$SW_PYTHON" - "$@" <<'PY'
import datetime, json, re, sqlite3, sys
db, log, jsonl = sys.argv[1:4]
mode = sys.argv[4] if len(sys.argv) > 4 else "all"

def sd_parse(line):
    """Strict RFC 5424 section 6.3 parse of one SD-ELEMENT; returns (params, rest)."""
    if not line.startswith("[scanwatch@32473"):
        raise ValueError("no scanwatch SD-ELEMENT: " + line[:80])
    i, params = len("[scanwatch@32473"), {}
    while line[i] == " ":
        j = line.index("=", i)
        name = line[i + 1:j]
        if not re.fullmatch(r'[!-~]{1,32}', name) or any(c in name for c in '="] '):
            raise ValueError("bad SD-NAME " + name)
        if line[j + 1] != '"':
            raise ValueError("PARAM-VALUE not quoted")
        k, val = j + 2, []
        while line[k] != '"':
            c = line[k]
            if c == "]":
                raise ValueError("unescaped ] in " + name)
            if c == "\\":
                k += 1
                if line[k] not in '"\\]':
                    raise ValueError("bad escape in " + name)
                c = line[k]
            val.append(c)
            k += 1
        if name in params:
            raise ValueError("duplicate " + name)
        params[name] = "".join(val)
        i = k + 1
    if line[i] != "]":
        raise ValueError("SD-ELEMENT not closed")
    return params, line[i + 1:].lstrip(" ")

iso = lambda us: datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1000000)
msgs = [sd_parse(line.rstrip("\n")) for line in open(log, encoding="utf-8")]
recs = [json.loads(l) for l in open(jsonl)]
key = lambda seq, phase, probes: (int(seq), phase, int(probes))
got = [key(sd["seq"], sd["phase"], sd["probes"]) for sd, _ in msgs]
want = [key(r["event"]["id"], r["scanwatch"]["phase"], r["scanwatch"]["probes"]) for r in recs]
if mode == "all" and sorted(got) != sorted(want):
    sys.exit(f"{log}: {len(got)} messages, {len(want)} records; missing {sorted(set(want) - set(got))[:5]}, unexpected {sorted(set(got) - set(want))[:5]}")
if len(set(got)) != len(got):
    sys.exit(f"{log}: a message arrived twice")
if not set(got) <= set(want):
    sys.exit(f"{log}: messages that were never records: {sorted(set(got) - set(want))[:5]}")

con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
con.row_factory = sqlite3.Row
rows = con.execute("SELECT * FROM detections ORDER BY seq").fetchall()
if not rows:
    sys.exit(f"{db}: no detections")
last = {}
for sd, msg in msgs:
    last[int(sd["seq"])] = (sd, msg)  # the collector's order is the sender's
for r in rows:
    if r["seq"] not in last:
        sys.exit(f"{log}: detection {r['seq']} never arrived")
    sd, msg = last[r["seq"]]
    j = lambda col: ",".join(str(x) for x in json.loads(r[col] or "[]"))
    want_sd = {
        "phase": "close" if r["closed_at"] is not None else sd["phase"],
        "seq": str(r["seq"]), "kind": r["kind"], "severity": r["severity"],
        "rule": r["rule_id"], "ruleName": r["rule_name"], "src": r["src_ip"],
        "proto": str(r["proto"]), "firstSeen": iso(r["first_seen"]),
        "openedAt": iso(r["opened_at"]), "lastSeen": iso(r["last_seen"]),
        "probes": str(r["probes"]), "probesAtOpen": str(r["probes_at_open"]),
        "distinctTargets": str(r["distinct_targets"]), "distinctPorts": str(r["distinct_ports"]),
        "samplePorts": j("sample_ports"), "sampleTargets": j("sample_targets"),
    }
    if r["target_ip"] is not None: want_sd["dst"] = r["target_ip"]
    if r["closed_at"] is not None: want_sd["closedAt"] = iso(r["closed_at"])
    if j("sample_sources"): want_sd["sampleSources"] = j("sample_sources")
    if j("tags"): want_sd["tags"] = j("tags")
    if r["tool"]: want_sd["tool"] = r["tool"]
    if r["campaign"]: want_sd["campaign"] = r["campaign"]
    # the sensor's identity (schema 008, issue 19): its id, and its site tags when it has any
    run = con.execute("SELECT sensor_id, site_tags FROM runs WHERE id = ?", (r["run_id"],)).fetchone()
    want_sd["sensor"] = run["sensor_id"]
    if json.loads(run["site_tags"] or "[]"): want_sd["siteTags"] = ",".join(json.loads(run["site_tags"]))
    # what the scan revealed (schema 006, issue 17): the exposure table's rows in the order they
    # first answered, as output_join_exposure renders them (whole items within 1 KiB)
    ex = con.execute("SELECT host, proto, port, reveal, answers FROM exposure"
                     " WHERE run_id = ? AND seq = ? ORDER BY ord", (r["run_id"], r["seq"])).fetchall()
    if ex:
        services = ("syn_ack", "udp_reply", "init_ack", "proto_reply")
        names = {6: "tcp", 17: "udp", 132: "sctp"}
        items = []
        for h, pr, po, rv, n in ex:
            if rv == "proto_reply": t = f"{h} proto/{pr}"
            elif rv in services and pr in names: t = f"{h} {po}/{names[pr]}"
            else: t = f"{h} {rv}"
            items.append(f"{t} x{n}")
        joined = ""
        for it in items:
            cand = it if not joined else joined + "," + it
            if len(cand) + 1 > 1024: break
            joined = cand
        unlisted = sum(x.get("count", 0) for x in json.loads(r["reasons"] or "[]")
                       if x.get("name") == "exposure_unlisted")
        want_sd["exposedServices"] = str(sum(1 for e in ex if e[3] in services))
        want_sd["exposedHosts"] = str(sum(1 for e in ex if e[3] not in services))
        want_sd["exposedAnswers"] = str(sum(e[4] for e in ex) + unlisted)
        want_sd["exposure"] = joined
    if sd != want_sd:
        diff = {k: (sd.get(k), want_sd.get(k)) for k in set(sd) | set(want_sd) if sd.get(k) != want_sd.get(k)}
        sys.exit(f"{log}: detection {r['seq']}: SD differs from the row (got, want): {diff}")
    if r["evidence"] and not msg.endswith(": " + r["evidence"]):
        sys.exit(f"{log}: detection {r['seq']}: MSG does not end with the evidence: {msg!r}")
    if not msg.startswith(f"{r['kind']} {want_sd['phase']}: "):
        sys.exit(f"{log}: detection {r['seq']}: MSG {msg!r}")
print(f"{log}: {len(msgs)} messages for {len(rows)} detections ({len(recs)} records); every row's fields intact")
PY
}

# --- TLS (RFC 5425): a throwaway PKI and a collector with the gtls driver ---------------------

# sw_tls_pki — certtool (gnutls-bin) makes, in $SW_DIR/pki, a CA (ca.pem), a second unrelated
# CA (other-ca.pem), the collector's certificate (server.pem/.key: DNS collector.test and IP
# 127.0.0.1, signed by ca) and the sensor's client certificate (client.pem/.key: sensor.test).
# ECDSA P-256 keys, valid two days; generated at test time, never committed.
sw_tls_pki() {
	local d=$SW_DIR/pki k
	sw_require certtool
	mkdir -p "$d"
	printf 'cn = "scanwatch test CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$d/ca.tmpl"
	printf 'cn = "collector.test"\ndns_name = "collector.test"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n' >"$d/server.tmpl"
	printf 'cn = "sensor.test"\ndns_name = "sensor.test"\ntls_www_client\nsigning_key\nexpiration_days = 2\n' >"$d/client.tmpl"
	for k in ca other-ca server client; do
		certtool --generate-privkey --key-type=ecdsa --outfile "$d/$k.key" >>"$d/certtool.log" 2>&1 ||
			sw_fail "certtool: $(tail -n 3 "$d/certtool.log")"
	done
	for k in ca other-ca; do
		certtool --generate-self-signed --load-privkey "$d/$k.key" --template "$d/ca.tmpl" \
			--outfile "$d/$k.pem" >>"$d/certtool.log" 2>&1 || sw_fail "certtool: $(tail -n 3 "$d/certtool.log")"
	done
	for k in server client; do
		certtool --generate-certificate --load-privkey "$d/$k.key" --load-ca-certificate "$d/ca.pem" \
			--load-ca-privkey "$d/ca.key" --template "$d/$k.tmpl" --outfile "$d/$k.pem" >>"$d/certtool.log" 2>&1 ||
			sw_fail "certtool: $(tail -n 3 "$d/certtool.log")"
	done
}

# sw_rsyslog_start_tls PORT — rsyslogd with imtcp over the gtls driver on 127.0.0.1:PORT
# (StreamDriver.Mode 1: TLS only; AuthMode x509/name: the sensor must present a certificate
# of the test CA named sensor.test), writing "SD MSG" lines to $SW_DIR/rsyslog/tls.log.
# Restarting it (sw_rsyslog_stop, then this again) keeps the log.
sw_rsyslog_start_tls() {
	local port=$1 d=$SW_DIR/rsyslog p=$SW_DIR/pki
	sw_require rsyslogd ss
	[[ -n $(find /usr/lib -name lmnsd_gtls.so -print -quit 2>/dev/null) ]] ||
		sw_fail "rsyslog's gtls driver (package rsyslog-gnutls) is not installed"
	mkdir -p "$d/work"
	touch "$d/tls.log"
	cat >"$d/rsyslog-tls.conf" <<CONF
# Private TLS collector for $SW_TEST (RFC 5425): loopback only, one file.
global(workDirectory="$d/work" maxMessageSize="64k"
       DefaultNetstreamDriver="gtls"
       DefaultNetstreamDriverCAFile="$p/ca.pem"
       DefaultNetstreamDriverCertFile="$p/server.pem"
       DefaultNetstreamDriverKeyFile="$p/server.key")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1"
       StreamDriver.AuthMode="x509/name" PermittedPeer=["sensor.test"])
template(name="sd_msg" type="string" string="%structured-data% %msg%\n")
ruleset(name="tls") { action(type="omfile" file="$d/tls.log" template="sd_msg") }
input(type="imtcp" address="127.0.0.1" port="$port" ruleset="tls")
CONF
	rsyslogd -N1 -f "$d/rsyslog-tls.conf" >"$d/check.out" 2>&1 ||
		sw_fail "rsyslog rejects the TLS test configuration: $(cat "$d/check.out")"
	sw_bg "$SW_NS_TGT" rsyslogd rsyslogd -n -f "$d/rsyslog-tls.conf" -i "$d/rsyslogd.pid"
	SW_RSYSLOG_PID=$SW_LAST_PID
	SW_RSYSLOG_TLS=$port
	sw_poll "$SW_POLL_DEADLINE" "rsyslogd to listen on 127.0.0.1:$port/tcp (TLS)" sw_rsyslog_tls_listening
	sw_log "rsyslogd (pid $SW_RSYSLOG_PID) listening on 127.0.0.1:$port/tcp with TLS"
}

sw_rsyslog_tls_listening() {
	kill -0 "$SW_RSYSLOG_PID" 2>/dev/null || sw_fail "rsyslogd exited: $(cat "$SW_DIR/rsyslogd.err")"
	[[ -n $(sw_in_tgt ss -Htln "sport = :$SW_RSYSLOG_TLS") ]]
}

# --- RELP: a collector with imrelp (package rsyslog-relp) ---------------------------------------

# sw_rsyslog_start_relp PORT — rsyslogd with imrelp on 127.0.0.1:PORT, writing "SD MSG" lines to
# $SW_DIR/rsyslog/relp.log. Restarting it (sw_rsyslog_stop, then this again) keeps the log.
sw_rsyslog_start_relp() {
	local port=$1 d=$SW_DIR/rsyslog
	sw_require rsyslogd ss
	[[ -n $(find /usr/lib -name imrelp.so -print -quit 2>/dev/null) ]] ||
		sw_fail "rsyslog's RELP input (package rsyslog-relp) is not installed"
	mkdir -p "$d/work"
	touch "$d/relp.log"
	cat >"$d/rsyslog-relp.conf" <<CONF
# Private RELP collector for $SW_TEST: loopback only, one file.
global(workDirectory="$d/work" maxMessageSize="64k")
module(load="imrelp")
template(name="sd_msg" type="string" string="%structured-data% %msg%\n")
ruleset(name="relp") { action(type="omfile" file="$d/relp.log" template="sd_msg") }
input(type="imrelp" address="127.0.0.1" port="$port" ruleset="relp")
CONF
	rsyslogd -N1 -f "$d/rsyslog-relp.conf" >"$d/check.out" 2>&1 ||
		sw_fail "rsyslog rejects the RELP test configuration: $(cat "$d/check.out")"
	sw_bg "$SW_NS_TGT" rsyslogd rsyslogd -n -f "$d/rsyslog-relp.conf" -i "$d/rsyslogd.pid"
	SW_RSYSLOG_PID=$SW_LAST_PID
	SW_RSYSLOG_TLS=$port # the listening check is the same: one TCP port
	sw_poll "$SW_POLL_DEADLINE" "rsyslogd to listen on 127.0.0.1:$port/tcp (RELP)" sw_rsyslog_tls_listening
	sw_log "rsyslogd (pid $SW_RSYSLOG_PID) listening on 127.0.0.1:$port/tcp with RELP"
}
