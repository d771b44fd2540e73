#!/usr/bin/env bash
# test_readme.sh — the README's Quick start is a contract: every command it shows is run as
# written (offline, without root, without an interface), so the README cannot drift from the
# programs again.
#
# How: the commands are taken from README.md's first ``` block after "## Quick start" (a
# trailing backslash continues a line; "#" starts a comment) and each runs with `bash -c`, as
# typed, in a scratch directory laid out like the repository after `bash tests/dev.sh run`:
#   build/   a link to the directory of the programs under test ($SCANWATCH, $SCANPROBE)
#   rules/   a link to the repository's rules/
# and the user's files stand in as follows (made before any command runs):
#   capture.pcapng   a copy of tests/captures/sample.pcapng
#   a.pcap, b.pcap   scanprobe dry runs (-sS and -sU against 198.18.1.2)
#   labels.tsv       the labels scanprobe wrote for a.pcap and b.pcap
#   capture.pcapng.zst, wifi.pcap.gz   capture.pcapng and a.pcap compressed (zstd, gzip)
#   fw.snoop, windows-netmon.cap       a.pcap and b.pcap rewritten by editcap (snoop, netmon2)
# Commands are substituted only where running them as written needs root, an interface or a
# live sensor:
#   build/scanwatch -i ...    live capture: run with -T added (its options, outputs and rules
#                             are checked, nothing is captured)
#   build/scanprobe ...       without --write it sends: run with --write live-N.pcap added (a
#                             dry run of the same scan)
#   ... --follow              runs until interrupted: SIGTERM after 2 s, exit status 0 expected
#                             (one SIGTERM, sent here: not timeout(1), which follows it with
#                             SIGCONT; a SIGCONT that lands while LeakSanitizer's exit check
#                             is attaching to the process cancels ptrace's SIGSTOP, and the
#                             sanitizer build then waits forever: 14 hangs in 150 runs on a
#                             loaded core, and a CI run lost its 1,200 s to it)
#   kill -SIG $(pidof ...)    signals to the live sensor: not run (there is none)
# Every command must exit 0. A command that starts with anything else fails the test: say here
# how to run it before adding it to the README.
set -euo pipefail
: "${SCANWATCH:?}" "${SCANPROBE:?}" "${SW_SOURCE_DIR:?}" "${SW_WORK_DIR:?}"
# shellcheck source=tests/captures/lib.sh
. "$SW_SOURCE_DIR/tests/captures/lib.sh"
cap_init readme

# The Quick start's commands, one a line (continuations joined, comments and blanks dropped).
mapfile -t commands < <(awk '
	/^## Quick start/ { section = 1; next }
	section && /^## / { exit }
	section && /^```/ { if (inblock) exit; inblock = 1; next }
	inblock {
		line = $0
		sub(/^[ \t]+/, "", line)
		if (line ~ /^#/ || line == "") next
		sub(/[ \t]+#[^\047"]*$/, "", line)   # a trailing comment (no quote after the #)
		if (line ~ /\\$/) { sub(/[ \t]*\\$/, " ", line); pending = pending line; next }
		print pending line
		pending = ""
	}' "$SW_SOURCE_DIR/README.md")
((${#commands[@]} >= 10)) || fail "found ${#commands[@]} commands in README.md's Quick start; is the section still there?"

# The repository as dev.sh run leaves it, and the user's files.
bindir=$(dirname "$SCANWATCH")
[[ -x $bindir/scanprobe || $(dirname "$SCANPROBE") == "$bindir" ]] || fail "scanwatch and scanprobe are not built side by side in $bindir"
ln -s "$bindir" build
ln -s "$SW_SOURCE_DIR/rules" rules
cp "$SW_SOURCE_DIR/tests/captures/sample.pcapng" capture.pcapng
"$SCANPROBE" -sS -p 1-200 198.18.1.2 --write a.pcap --seed 1 --background 20 >/dev/null
"$SCANPROBE" -sU -p 1-60 198.18.1.2 --write b.pcap --seed 2 --background 20 >/dev/null
zstd -q -k capture.pcapng -o capture.pcapng.zst
gzip -c a.pcap >wifi.pcap.gz
editcap -F snoop a.pcap fw.snoop
editcap -F netmon2 b.pcap windows-netmon.cap
cat a.labels.tsv b.labels.tsv >labels.tsv

n=0 ran=0 skipped=0
for cmd in "${commands[@]}"; do
	n=$((n + 1))
	run=$cmd how="as written"
	case $cmd in
	"kill "*)
		echo "--  $cmd"
		echo "    not run: it signals the live sensor, which a test without root cannot start"
		skipped=$((skipped + 1))
		continue
		;;
	"build/scanwatch -i "*)
		run="$cmd -T" how="with -T (live capture needs root and an interface)"
		;;
	build/scanprobe*)
		if [[ $cmd != *--write* ]]; then
			run="$cmd --write live-$n.pcap" how="as a dry run (--write live-$n.pcap)"
		fi
		;;
	build/scanwatch*) ;;
	*)
		fail "README command '$cmd' is unknown to this test: say in tests/captures/test_readme.sh how to run it"
		;;
	esac
	follow=false
	if [[ $cmd == *--follow* ]]; then
		follow=true how="$how, stopped by SIGTERM after 2 s"
	fi
	echo "==  $cmd"
	[[ $how == "as written" ]] || echo "    run $how"
	rc=0
	if $follow; then
		bash -c "exec $run" >"out-$n.txt" 2>&1 &
		pid=$!
		sleep 2 # how long it follows: the interruption is the point, not a wait for work
		kill -TERM "$pid"
		for ((tenths = 0; tenths < 300; tenths++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid"
			wait "$pid" || :
			fail "README command '$cmd' was still running 30 s after SIGTERM"
		fi
		wait "$pid" || rc=$?
	else
		bash -c "$run" >"out-$n.txt" 2>&1 || rc=$?
	fi
	if ((rc != 0)); then
		sed 's/^/    | /' "out-$n.txt" | tail -20 >&2
		fail "README command '$cmd' exited $rc"
	fi
	ran=$((ran + 1))
done

# What the commands were for, not just their exit status.
[[ $(sqlite3 cases.db "SELECT count(*) FROM detections") -ge 1 ]] || fail "cases.db holds no detection"
[[ -s report.html ]] && grep -q 'class="timeline-row"' report.html || fail "report.html has no timeline"
[[ -s scan.pcap ]] || fail "scanprobe --write scan.pcap wrote nothing"
echo "ok  $ran of ${#commands[@]} Quick start commands ran, $skipped not run (live sensor signals)"
