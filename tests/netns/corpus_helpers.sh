# corpus_helpers.sh — what the capture scripts (corpus.sh, benign_corpus.sh) share: a labels line, a bounded tool run in the scanner namespace, a capture's time span.
#
# Sourced after lib.sh; uses CUR (the capture being made), LABELS_NEW, SW_DIR
# and SW_CAP as the scripts set them.

# corpus_init SCRIPT SHORT OUTPUT-DIR — sets `out` (OUTPUT-DIR, absolute; the
# usage message and exit 2 when it is missing), starts the run as sw_init does
# (namespaces named after SHORT) and keeps the logs in OUTPUT-DIR/logs rather
# than in $SW_WORK_DIR/<script name>.
corpus_init() {
	local script=$1 short=$2
	out=$3
	[[ -n $out ]] || {
		echo "usage: $script OUTPUT-DIR" >&2
		exit 2
	}
	mkdir -p -- "$out"
	out=$(cd "$out" && pwd)
	# shellcheck disable=SC2034 # read by sw_init
	SW_WORK_DIR=$out
	sw_init "$short"
	rm -rf -- "$out/logs"
	mv -- "$SW_DIR" "$out/logs"
	SW_DIR=$out/logs
	sw_log "logs in $SW_DIR"
}

# label FILE SCANNER KINDS [TOOL] — one line of the labels file.
label() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$LABELS_NEW"
}

# run SECS [OK-STATUS...] -- COMMAND... — runs COMMAND in the scanner (client)
# namespace under `timeout SECS`, output in logs/CAPTURE.tool.log. Exit
# status 0 and any OK-STATUS count as success (hping3 exits 1 when nothing
# answered); a timeout or any other status fails, naming the capture.
run() {
	local secs=$1 ok=(0) rc=0 s
	shift
	while [[ $1 != -- ]]; do
		ok+=("$1")
		shift
	done
	shift
	echo "+ $*" >>"$SW_DIR/$CUR.tool.log"
	sw_in_scan timeout "$secs" "$@" >>"$SW_DIR/$CUR.tool.log" 2>&1 || rc=$?
	if ((rc == 124)) && [[ " ${ok[*]} " != *" 124 "* ]]; then
		sw_fail "'$1' did not finish within ${secs}s (log: $SW_DIR/$CUR.tool.log)"
	fi
	for s in "${ok[@]}"; do
		((rc != s)) || return 0
	done
	sw_fail "'$*' exited with status $rc (log: $SW_DIR/$CUR.tool.log)"
}

# span FILTER — seconds between the first and the last packet matching FILTER.
span() {
	tcpdump -nn -tt -r "$SW_CAP" "$1" 2>/dev/null |
		awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%d\n", (NR ? l - f : 0) }'
}

expect_span() {
	local desc=$1 min=$2 filter=$3 s
	s=$(span "$filter")
	((s >= min)) || sw_fail "capture sanity: $desc: spans ${s}s, expected >= ${min}s (the capture is wrong, not the sensor)"
	sw_log "capture spans ${s}s: $desc"
}
