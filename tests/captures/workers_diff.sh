#!/usr/bin/env bash
# workers_diff.sh — the records of a replay are the same whatever the number of workers.
#
#   workers_diff.sh SCANWATCH WORKDIR CAPTURE...
#
# Replays every CAPTURE with --workers 1, 2 and 4 (SW_DIFF_WORKERS: another list, 1 first;
# same --seed) and compares
# the JSON lines each run writes. The comparison is of the sorted lines: pipeline.c states
# the one difference it allows, the order in which closures falling due between two events
# are emitted. Everything in a record is compared, its sequence number (event.id) included,
# but agent.ephemeral_id, which is new on every run by design. So are the evidence packets
# each detection kept (the store's evidence_pcapng blobs, by detection seq, byte for byte),
# which with two workers travel to the detection thread apart from the events (pipeline.c,
# msg_frame).
# A capture the sensor cannot read must fail the same way with every worker count. Exit 1
# on the first difference, with a diff of what differs. SW_DIFF_ARGS adds options to every
# run (e.g. a small --memory-cap, so the tables evict).
set -euo pipefail
sw=${1:?usage: workers_diff.sh SCANWATCH WORKDIR CAPTURE...}
work=${2:?}
shift 2
(($#)) || {
	echo "workers_diff.sh: no captures given" >&2
	exit 2
}
mkdir -p "$work"
read -r -a counts <<<"${SW_DIFF_WORKERS:-1 2 4}"
((${#counts[@]} >= 2)) && [[ ${counts[0]} == 1 ]] || {
	echo "workers_diff.sh: SW_DIFF_WORKERS must list 1 and then other worker counts" >&2
	exit 2
}
# The databases are only read for their evidence blobs: on tmpfs when there is one (a run's
# ten migrations and its commits then cost no disk flushes).
dbdir=$work
if [[ -d /dev/shm && -w /dev/shm ]]; then
	dbdir=$(mktemp -d /dev/shm/sw-workers-diff.XXXXXX)
	trap 'rm -rf "$dbdir"' EXIT
fi
n=0 records=0 unreadable=0 evidence=0
for cap in "$@"; do
	n=$((n + 1))
	base=$work/$n
	for w in "${counts[@]}"; do
		rc=0
		# shellcheck disable=SC2086 # SW_DIFF_ARGS is a list of options
		db=$dbdir/$n.w$w.db
		rm -f "$db" "$base.w$w.jsonl" "$base.w$w.evidence" # (the sensor appends)
		"$sw" -r "$cap" --db "$db" -q --seed 11 --workers "$w" ${SW_DIFF_ARGS:-} \
			--jsonl "$base.w$w.jsonl" 2>"$base.w$w.err" || rc=$?
		echo "$rc" >"$base.w$w.rc"
		if [[ -s $db ]]; then
			sqlite3 "$db" "SELECT d.seq, e.first_ordinal, e.packets, hex(e.pcapng)
				FROM evidence_pcapng e JOIN detections d ON d.id = e.detection_id
				ORDER BY 1, 2" >"$base.w$w.evidence"
			evidence=$((evidence + $(sqlite3 "$db" 'SELECT coalesce(sum(packets), 0) FROM evidence_pcapng')))
		fi
		rm -f "$db" "$db-wal" "$db-shm"
		# agent.ephemeral_id names the run (a new one every run, by design): masked
		cat "$base.w$w.jsonl" "$base.w$w.evidence" 2>/dev/null |
			sed 's/"ephemeral_id":"[^"]*"/"ephemeral_id":"-"/' | sort >"$base.w$w.sorted" || :
	done
	for w in "${counts[@]:1}"; do
		if ! cmp -s "$base.w1.rc" "$base.w$w.rc"; then
			echo "workers_diff: $cap: exit status $(<"$base.w1.rc") with 1 worker, $(<"$base.w$w.rc") with $w"
			tail -3 "$base.w$w.err"
			exit 1
		fi
		if ! cmp -s "$base.w1.sorted" "$base.w$w.sorted"; then
			echo "workers_diff: $cap: the records with $w workers differ from those with 1:"
			diff "$base.w1.sorted" "$base.w$w.sorted" | head -20
			exit 1
		fi
	done
	[[ $(<"$base.w1.rc") == 0 ]] || unreadable=$((unreadable + 1))
	records=$((records + $(wc -l <"$base.w1.sorted")))
done
echo "workers_diff: $n captures ($unreadable refused alike), $records records and lines of evidence ($((evidence / ${#counts[@]})) packets): identical with ${counts[*]} workers"
