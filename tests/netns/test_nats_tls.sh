#!/usr/bin/env bash
# test_nats_tls.sh — the nats output and the collector over TLS with a user and password, confined by the sandbox: records arrive whole; a wrong password or an untrusted server certificate delivers nothing and the sensor counts every record as lost at exit.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/nats.sh
. "$(dirname "${BASH_SOURCE[0]}")/nats.sh"

sw_init natst
sw_require nats-server openssl
[[ -n ${SCANPROBE:-} && -x $SCANPROBE ]] || sw_fail "SCANPROBE (the bundled prober) is needed to write the capture"
sw_nats_hub hub

# A throwaway PKI: a CA, the server's certificate for 198.18.10.254 (an iPAddress SAN), and a
# second CA the server's certificate does not chain to.
pki=$SW_DIR/pki
mkdir -p "$pki"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=sw-test-ca" -keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null
openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=sw-other-ca" -keyout "$pki/other.key" -out "$pki/other.pem" 2>/dev/null
openssl req "${ec[@]}" -subj "/CN=nats" -keyout "$pki/srv.key" -out "$pki/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:%s\n' "$SW_NATS_HUB_ADDR" >"$pki/ext"
openssl x509 -req -in "$pki/srv.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
	-extfile "$pki/ext" -out "$pki/srv.pem" 2>/dev/null || sw_fail "cannot make the server certificate"

# One node on the hub's own address, on a bridge with no port (the address is local: the
# sensor and the collector in the same namespace reach it; nothing else can).
ip -n "$SW_NATS_HUB" link add "$SW_NATS_BR" type bridge
ip -n "$SW_NATS_HUB" addr add "$SW_NATS_HUB_ADDR/24" dev "$SW_NATS_BR"
ip -n "$SW_NATS_HUB" link set "$SW_NATS_BR" up
sw_check_no_default_route "$SW_NATS_HUB"
mkdir -p "$SW_DIR/nats/js"
cat >"$SW_DIR/nats/tls.conf" <<CONF
listen: $SW_NATS_HUB_ADDR:4222
jetstream { store_dir: "$SW_DIR/nats/js" }
tls { cert_file: "$pki/srv.pem", key_file: "$pki/srv.key" }
authorization { user: sensor, password: "s3cr3t-pw" }
CONF
ip netns exec "$SW_NATS_HUB" nats-server -c "$SW_DIR/nats/tls.conf" -l "$SW_DIR/nats/n1.log" >/dev/null 2>&1 &
SW_NATS_PIDS[1]=$!
sw_poll "$SW_POLL_DEADLINE" "the TLS node to be ready" sw_nats_ready 1

"$SCANPROBE" -sS --scanners 20 -S 198.18.0.10 -p 1-40 198.18.1.2 --seed 5 --write "$SW_DIR/s1.pcap" >/dev/null
"$SCANPROBE" -sU -p 1-60 198.18.1.2 -S 198.18.0.50 --seed 6 --write "$SW_DIR/s2.pcap" >/dev/null
"$SCANPROBE" -sn -PE 198.18.2.0/26 -S 198.18.0.51 --seed 7 --write "$SW_DIR/s3.pcap" >/dev/null
url="nats://sensor:s3cr3t-pw@$SW_NATS_HUB_ADDR:4222?tls_ca=$pki/ca.pem"
central=$SW_DIR/central.db
sw_collect_start "$central" "$url" 1

# replay NAME URL — the capture into NAME.db, published to URL; sandbox on (the default).
replay() {
	ip netns exec "$SW_NATS_HUB" "$SCANWATCH" -r "$SW_DIR/s1.pcap" -r "$SW_DIR/s2.pcap" -r "$SW_DIR/s3.pcap" --db "$SW_DIR/$1.db" -q \
		--sensor-id "$1" --nats "$2" >"$SW_DIR/$1.out" 2>"$SW_DIR/$1.err" ||
		sw_fail "replay $1 failed: $(cat "$SW_DIR/$1.err")"
	grep 'scanwatch: nats' "$SW_DIR/$1.err" >&2
}

replay good "$url"
grep -q ' 0 dropped (0 still waiting at exit)' "$SW_DIR/good.err" || sw_fail "the TLS sensor lost records"
sw_poll 20 "the central store to equal the sensor's" sw_central_equals "$central" good "$SW_DIR/good.db"

# What the server refuses: nothing stored, every record counted lost (linger=1: the exit
# waits one second for them).
records=$(grep -o '[0-9]* records acknowledged' "$SW_DIR/good.err" | cut -d' ' -f1)
replay badpw "nats://sensor:wrong@$SW_NATS_HUB_ADDR:4222?tls_ca=$pki/ca.pem&linger=1"
replay badca "nats://sensor:s3cr3t-pw@$SW_NATS_HUB_ADDR:4222?tls_ca=$pki/other.pem&linger=1"
for s in badpw badca; do
	grep -q ": 0 records acknowledged (0 duplicates) in [0-9]* publishes, $records dropped ($records still waiting at exit)" "$SW_DIR/$s.err" ||
		sw_fail "$s: not every one of the $records records counted lost: $(grep 'scanwatch: nats' "$SW_DIR/$s.err")"
done
sw_collect_stop
[[ $(sw_sql "$central" "SELECT group_concat(sensor_id) FROM runs") == good ]] ||
	sw_fail "a refused sensor reached the central store: $(sw_sql "$central" "SELECT * FROM runs")"
sw_log "TLS with a password: $records records delivered; a wrong password or CA: all $records counted lost"
