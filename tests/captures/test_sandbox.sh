#!/usr/bin/env bash
# test_sandbox.sh — the confined sensor (sandbox.c) replays exactly as the unconfined one:
#   (1) the same detection rows and ECS lines with the sandbox on and with --no-sandbox, for
#       one file, several files merged (one of them gzip-compressed) and a rules directory
#       and configuration file read through -c;
#   (2) one in sixteen of the hostile-input matrix (make_bad_inputs.py): every file gives the same exit
#       status and the same output confined and unconfined, and none is stopped by the
#       sandbox (exit 159, "forbidden system call");
#   (3) the running process really is confined (Seccomp: 2 and NoNewPrivs in
#       /proc/PID/status) by default, and not with --no-sandbox or `sandbox: false`;
#   (4) the pid file is deleted at the end although it lives outside every writable path.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_SOURCE_DIR:?}" "${SW_WORK_DIR:?}"
# shellcheck source=tests/captures/lib.sh
. "$SW_SOURCE_DIR/tests/captures/lib.sh"
cap_init sandbox
sample="$SW_SOURCE_DIR/tests/captures/sample.pcapng"

# run NAME ARGS...: one replay into NAME.db / NAME.jsonl, stderr kept in NAME.err.
run() {
	local name=$1
	shift
	rm -f "$name".db* "$name".jsonl
	"$SCANWATCH" "$@" --db "$name.db" --jsonl "$dir/$name.jsonl" -q 2>"$name.err" ||
		fail "$name: exit $? ($(tail -n 2 "$name.err"))"
	! grep -q 'sandbox:' "$name.err" || fail "$name: $(grep 'sandbox:' "$name.err")"
	sqlite3 "$name.db" "SELECT * FROM detections ORDER BY id" >"$name.rows"
}

# ---------------------------------------------------------------- (1) same records
gzip -c "$sample" >sample.pcapng.gz
mkdir -p conf/rules
cp "$SW_SOURCE_DIR"/rules/*.yaml conf/rules/
printf 'rules: [rules]\n' >conf/scanwatch.yaml
cases=0
for c in one merged config; do
	case $c in
	one) args=(-r "$sample") ;;
	merged) args=(-r "$sample" -r sample.pcapng.gz) ;;
	config) args=(-c conf/scanwatch.yaml -r "$sample") ;;
	esac
	run "$c-on" "${args[@]}"
	run "$c-off" "${args[@]}" --no-sandbox
	[[ -s $c-on.rows && -s $c-on.jsonl ]] || fail "$c: no detections at all"
	cmp -s "$c-on.rows" "$c-off.rows" || fail "$c: detection rows differ: $(diff "$c-on.rows" "$c-off.rows" | head -5)"
	# agent.ephemeral_id is the run's own token (issue 19): two runs differ there by design
	sed -i 's/"ephemeral_id":"[0-9]*"/"ephemeral_id":"RUN"/' "$c-on.jsonl" "$c-off.jsonl"
	cmp -s "$c-on.jsonl" "$c-off.jsonl" || fail "$c: ECS lines differ: $(diff "$c-on.jsonl" "$c-off.jsonl" | head -5)"
	echo "$c: $(wc -l <"$c-on.rows") rows, $(wc -l <"$c-on.jsonl") lines, identical"
	cases=$((cases + 1))
done

# ---------------------------------------------------------------- (2) hostile inputs
python3 "$SW_SOURCE_DIR/tests/captures/make_bad_inputs.py" bad >/dev/null
# Every sixteenth case (test_bad_inputs.sh already runs them all confined against the
# manifest): the differential needs two runs each, and sanitizer builds are slow.
n=0 i=0
while IFS=$'\t' read -r file _; do
	(((i++ % 16) == 0)) || continue
	st_on=0 st_off=0
	"$SCANWATCH" -r "bad/$file" --no-db >on.out 2>on.err || st_on=$?
	"$SCANWATCH" -r "bad/$file" --no-db --no-sandbox >off.out 2>off.err || st_off=$?
	((st_on != 159)) && ! grep -q 'forbidden system call' on.err ||
		fail "bad/$file: stopped by the sandbox: $(cat on.err)"
	((st_on == st_off)) || fail "bad/$file: exit $st_on confined, $st_off unconfined"
	cmp -s on.out off.out || fail "bad/$file: output differs"
	# The summary line carries a rate (packets/s), and the workers' lines their CPU time and
	# waits (two workers, the default on these machines): compare everything else.
	grep -v -e 'packets/s' -e '^scanwatch: worker [0-9]* of [0-9]* (' on.err >on.cmp || true
	grep -v -e 'packets/s' -e '^scanwatch: worker [0-9]* of [0-9]* (' off.err >off.cmp || true
	cmp -s on.cmp off.cmp || fail "bad/$file: messages differ: $(diff on.cmp off.cmp | head -4)"
	n=$((n + 1))
done <bad/manifest.tsv
((n > 35)) || fail "only $n hostile inputs read"
echo "hostile inputs: $n files, same status and output confined and unconfined"

# ---------------------------------------------------------------- (3) the process is confined
# status ARGS...: "Seccomp NoNewPrivs" of a sensor that reads the sample from a FIFO and is
# held open (its input not ended) until the status is read.
status() {
	rm -f in.fifo held.jsonl
	mkfifo in.fifo
	"$SCANWATCH" -r in.fifo --no-db --jsonl "$dir/held.jsonl" -q "$@" 2>held.err &
	local pid=$! i
	exec 3>in.fifo
	cat "$sample" >&3
	# Three detections are written once the packets are read, which is after the sandbox
	# was entered: poll for them (bounded), then read the status while the input is open.
	for ((i = 0; i < 200; i++)); do
		[[ $(wc -l <held.jsonl 2>/dev/null || echo 0) -ge 3 ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	awk '/^Seccomp:/ {s=$2} /^NoNewPrivs:/ {n=$2} END {print s" "n}' "/proc/$pid/status"
	exec 3>&-
	wait "$pid" || fail "held run ($*): exit $? ($(cat held.err))"
}
printf 'sandbox: false\n' >off.yaml
on=$(status)
off=$(status --no-sandbox)
off_yaml=$(status -c off.yaml)
[[ $on == "2 1" ]] || fail "default run: Seccomp/NoNewPrivs '$on', expected filter mode and no_new_privs"
[[ $off == "0 0" ]] || fail "--no-sandbox: Seccomp/NoNewPrivs '$off'"
[[ $off_yaml == "0 0" ]] || fail "sandbox: false: Seccomp/NoNewPrivs '$off_yaml'"
echo "confined by default (Seccomp/NoNewPrivs $on); --no-sandbox $off; sandbox: false $off_yaml"

# ---------------------------------------------------------------- (4) the pid file
mkdir -p run
"$SCANWATCH" -r "$sample" --no-db -q --pidfile "$dir/run/scanwatch.pid" 2>pid.err ||
	fail "pid file run: $(cat pid.err)"
[[ ! -e run/scanwatch.pid ]] || fail "the pid file was left behind: $(cat pid.err)"
echo "pid file deleted at the end"
echo "PASS: $cases replays identical, $n hostile inputs, confinement on by default"
