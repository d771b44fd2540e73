#!/usr/bin/env bash
# dev.sh — set up a Debian 12 host, then build and demo scanwatch (`run`) or run every check CI runs (`test`).
#
#   bash tests/dev.sh run    install build deps, release build of scanwatch and scanprobe
#                            in build/, replay
#                            tests/captures/sample.pcapng into ./scanwatch.db, show it
#   bash tests/dev.sh test   install build and test deps, check formatting, build
#                            build-test/ (-Werror) and build-asan/ (ASan+UBSan) and
#                            run the whole ctest suite in each; build-tsan/
#                            (ThreadSanitizer: unit, capture and live tests); then build-fuzz/
#                            (clang, libFuzzer) and its short fuzz runs (ctest -L fuzz).
#                            The sanitizer trees' builds and their unit and capture tests
#                            run at low priority beside build-test's suite (its namespace
#                            tests mostly wait on real time): about 20 minutes less.
#
# Run as root (apt-get; the network-namespace tests need root too). When every
# package is already installed apt-get is not called at all, so repeated runs
# are fast and work offline. Exits non-zero if any step fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# What building needs (GnuTLS and librelp: the tls:// and relp:// syslog transports; libnats:
# the nats output and `scanwatch collect`); `run`
# also needs the sqlite3 CLI to show the database.
build_pkgs=(build-essential cmake ninja-build pkg-config libpcap-dev libyaml-dev libsqlite3-dev
	zlib1g-dev libzstd-dev libgnutls28-dev librelp-dev libseccomp-dev libnats-dev)
run_pkgs=(sqlite3)
# What the test suite needs: formatting and the second compiler, the scanners
# and capture tools the namespace tests drive, rsyslog for the syslog sink
# tests (with its TLS driver and RELP input, and certtool from gnutls-bin for
# their throwaway certificates), valgrind, zstd (compressed-capture tests), the small tools lib.sh
# uses (ping, ethtool, ip, setcap), the everyday programs of the benign
# corpus (benign_corpus.sh), arp-scan (corpus_part_tools.sh), the other scanners Debian ships
# (corpus_part_debian.sh) and nats-server (the JetStream
# cluster of test_nats_cluster.sh and test_nats_outage.sh; openssl for test_nats_tls.sh's
# certificates), rsyslog-kafka and rsyslog-elasticsearch (the relay of
# packaging/examples/rsyslog-relay.conf, test_rsyslog_relay.sh). The daemons
# among them (chronyd, in.tftpd, rsync, snmpd, dnsmasq, dhcpd, nagios4, haproxy) run only inside the
# tests' namespaces, started by the tests (isc-dhcp-server's package tries to start its service
# on install and, configured for no interface, it does not; nagios4-core ships no service).
test_pkgs=(clang clang-format sqlite3 nmap hping3 masscan zmap tcpdump tshark rsyslog iproute2 zstd
	libcap2-bin python3 python3-jsonschema time valgrind iputils-ping ethtool chromium man-db groff-base systemd logrotate
	traceroute tcptraceroute iputils-tracepath mtr-tiny scamper lft inetutils-traceroute dnsutils chrony ntpsec-ntpdate curl rsync fping iputils-arping nftables tftpd-hpa
	dnsmasq-base isc-dhcp-server busybox nagios4-core monitoring-plugins-basic haproxy
	arp-scan netcat-openbsd pnscan nbtscan onesixtyone ike-scan sipvicious ipv6toolkit netdiscover
	snmp snmpd rsyslog-gnutls gnutls-bin rsyslog-relp nats-server rsyslog-kafka rsyslog-elasticsearch
	openssl)

# Parallel ctest jobs for tests that share nothing (unit, captures). The
# namespace tests always run one at a time: they send real traffic and their
# timing should not depend on what else the two cores are doing.
jobs=2

log() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'dev.sh: %s\n' "$*" >&2
	exit 1
}

usage() {
	echo "usage: bash tests/dev.sh run|test" >&2
	exit 2
}

# install PKG... — apt-get installs what is missing; does nothing (and needs
# neither root nor network) when everything is already there.
install() {
	local missing=() p
	for p in "$@"; do
		if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
			missing+=("$p")
		fi
	done
	((${#missing[@]} > 0)) || return 0
	((EUID == 0)) || die "missing packages (${missing[*]}); run as root to install them"
	log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark's wireshark-common asks whether to install dumpcap setuid; the
	# answer must be preseeded or a non-interactive install would pick for us.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
	apt-get update -qq
	# Packages such as chrony and tftpd-hpa would start their daemons on the
	# host (chronyd then polls the Internet's NTP pool): the tests run them
	# only in their namespaces. A policy-rc.d that denies every start, for
	# the duration of the install, unless the host already has one.
	local policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# dev.sh: no service starts during its apt-get install\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null || rc=$?
	((own_policy == 0)) || rm -f "$policy"
	return "$rc"
}

uniq_pkgs() { printf '%s\n' "$@" | sort -u; }

# configure_build DIR CMAKE-ARGS... — configure (once) and build with Ninja.
configure_build() {
	local dir=$1
	shift
	log "configure and build $dir ($*)"
	# Chained with &&: the caller tests this function, which turns off set -e.
	cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null && cmake --build "$dir"
}

cmd_run() {
	mapfile -t pkgs < <(uniq_pkgs "${build_pkgs[@]}" "${run_pkgs[@]}")
	install "${pkgs[@]}"
	log "release build in build/"
	cmake -S "$root" -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	# Both programs: the README's Quick start uses build/scanprobe too (tests/captures/test_readme.sh).
	cmake --build build --target scanwatch scanprobe
	log "build/scanwatch -r tests/captures/sample.pcapng --db scanwatch.db"
	build/scanwatch -r tests/captures/sample.pcapng --db scanwatch.db
	log "scanwatch.db: detections of the latest run"
	sqlite3 -header -column scanwatch.db \
		"SELECT seq, kind, severity, src_ip, target_ip, probes, distinct_targets, distinct_ports, tool
		 FROM detections WHERE run_id = (SELECT max(run_id) FROM detections) ORDER BY seq LIMIT 10"
	sqlite3 scanwatch.db "SELECT count(*) || ' run(s) and ' || (SELECT count(*) FROM detections)
		|| ' detection(s) in $root/scanwatch.db' FROM runs"
}

failures=()
fail() {
	failures+=("$1")
	printf '\n!!! FAILED: %s\n' "$1" >&2
}

# run_ctest DIR [netns] — the whole suite of one build tree: unit and capture tests in
# parallel (skipped with `netns`: the sanitizer lane ran them), namespace tests one at a
# time (the scoring of reused corpora beside them), anything unlabelled last.
run_ctest() {
	local dir=$1 only=${2:-}
	if [[ $only != netns ]]; then
		ctest --test-dir "$dir" --output-on-failure --no-tests=ignore -j "$jobs" -L '^(unit|captures)$' ||
			fail "$dir: unit/capture tests"
	fi
	if [[ -n ${SW_CORPUS_REUSE:-} && -n ${SW_BENIGN_REUSE:-} ]]; then
		# The corpora were recorded by an earlier tree: the two eval tests only score them
		# (replays, no traffic), so they run beside the live namespace tests, at the lowest
		# priority so the live tests' real-time waits keep the CPU they need; their output
		# follows the live tests'. (Under ASan the scoring is most of this stage's time.)
		local scoring=$dir/netns-scoring.log scoring_pid
		nice -n 19 ctest --test-dir "$dir" --output-on-failure --no-tests=error -j 1 -L '^netns$' \
			-R '^netns/test_eval_(corpus|benign)$' >"$scoring" 2>&1 &
		scoring_pid=$!
		ctest --test-dir "$dir" --output-on-failure --no-tests=error -j 1 -L '^netns$' \
			-E '^netns/test_eval_(corpus|benign)$' ||
			fail "$dir: netns tests"
		wait "$scoring_pid" || fail "$dir: netns scoring of the recorded corpora"
		cat "$scoring"
	else
		ctest --test-dir "$dir" --output-on-failure --no-tests=error -j 1 -L '^netns$' ||
			fail "$dir: netns tests"
	fi
	ctest --test-dir "$dir" --output-on-failure --no-tests=ignore -j 1 -LE '^(unit|captures|netns)$' ||
		fail "$dir: unlabelled tests"
}

# sanitizer_lane — runs in the background beside build-test's namespace tests, which mostly
# wait on real time (the tools' pacing, timeouts): builds build-asan, build-tsan and
# build-fuzz and runs the two sanitizer trees' unit and capture tests (CPU-bound replays),
# everything at the lowest priority so the live tests keep the CPU they ask for. Its output
# goes to build-lane.log (printed when it is done), the failures it found one per line to
# build-lane.failed. Uses cmd_test's *_args.
sanitizer_lane() {
	exec >build-lane.log 2>&1
	local failed=build-lane.failed
	: >"$failed"
	if nice -n 19 cmake -S "$root" -B build-asan -G Ninja "${asan_args[@]}" >/dev/null &&
		nice -n 19 cmake --build build-asan -j "$jobs"; then
		log "ctest in build-asan/ (unit, captures) under AddressSanitizer and UndefinedBehaviorSanitizer"
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			nice -n 19 ctest --test-dir build-asan --output-on-failure --no-tests=error -j "$jobs" \
			-L '^(unit|captures)$' || echo "build-asan: unit/capture tests" >>"$failed"
	else
		echo "build-asan: build" >>"$failed"
	fi
	# ThreadSanitizer over what runs threads: the two-worker pipeline (every replay
	# and live run: the sensor's default is the cores it may use), the writer and
	# checkpointer threads: the unit tests, the two-worker differential test
	# (test_workers, its scan kinds) and the store under kill -9 and a full disk
	# (test_store_safety); the live namespace tests of the capture and reload paths
	# run later (cmd_test). The other capture tests run one thread's code, which ASan covers.
	if nice -n 19 cmake -S "$root" -B build-tsan -G Ninja "${tsan_args[@]}" >/dev/null &&
		nice -n 19 cmake --build build-tsan -j "$jobs"; then
		log "ctest in build-tsan/ (unit, captures) under ThreadSanitizer"
		# (--workers 4 runs as 3 in this version: the differential test compares 1, 2, the
		# rules' thread, and 3, the capture reader's as well)
		SW_DIFF_WORKERS="1 2 3" TSAN_OPTIONS=halt_on_error=1:abort_on_error=1 nice -n 19 ctest \
			--test-dir build-tsan --output-on-failure --no-tests=error -j "$jobs" -L '^(unit|captures)$' \
			-E '(captures/test_(bad_inputs|linktypes|ecs_schema|sandbox|probe_eval|memory_cap|readme|query|report)|unit/test_store_roundtrip)$' ||
			echo "build-tsan: unit/capture tests" >>"$failed"
	else
		echo "build-tsan: build" >>"$failed"
	fi
	CC=clang nice -n 19 cmake -S "$root" -B build-fuzz -G Ninja "${fuzz_args[@]}" >/dev/null &&
		nice -n 19 cmake --build build-fuzz -j "$jobs" || echo "build-fuzz: build" >>"$failed"
	log "sanitizer lane done"
}

cmd_test() {
	((EUID == 0)) || die "the test suite needs root (network namespaces, raw sockets)"
	mapfile -t pkgs < <(uniq_pkgs "${build_pkgs[@]}" "${test_pkgs[@]}")
	install "${pkgs[@]}"
	local start=$SECONDS

	log "clang-format --dry-run -Werror on every *.c and *.h"
	local sources=() unformatted=() f
	mapfile -d '' -t sources < <(find sensor include tests -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
	# One file at a time so the report names the files, not thousands of
	# diagnostics; `clang-format --dry-run FILE` shows one file's.
	for f in "${sources[@]}"; do
		clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
	done
	if ((${#sources[@]} == 0)); then
		fail "formatting: no C sources found"
	elif ((${#unformatted[@]} > 0)); then
		printf '  not formatted: %s\n' "${unformatted[@]}" >&2
		fail "formatting of ${#unformatted[@]} of ${#sources[@]} files (fix with: clang-format -i FILE)"
	else
		echo "${#sources[@]} files formatted correctly"
	fi

	local asan_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCANWATCH_WERROR=ON -DSCANWATCH_SANITIZE=ON)
	local tsan_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCANWATCH_WERROR=ON -DSCANWATCH_TSAN=ON)
	local fuzz_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCANWATCH_FUZZ=ON)
	# The sanitizer trees are built and their unit and capture tests run beside build-test's
	# suite (sanitizer_lane); their namespace tests after it, one at a time as always.
	sanitizer_lane &
	local lane=$!
	if configure_build build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCANWATCH_WERROR=ON; then
		log "ctest in build-test/ (beside it, at low priority: build-lane.log)"
		run_ctest build-test
	else
		fail "build-test: build"
	fi
	log "waiting for the sanitizer lane (build-asan, build-tsan: unit and capture tests; build-fuzz)"
	wait "$lane" || fail "sanitizer lane exited with status $?"
	cat build-lane.log
	local f
	while IFS= read -r f; do
		[[ -n $f ]] && fail "$f"
	done <build-lane.failed

	if configure_build build-asan "${asan_args[@]}"; then
		log "ctest in build-asan/ (namespace tests) under AddressSanitizer and UndefinedBehaviorSanitizer"
		# Set for the duration of run_ctest and exported to everything it runs.
		# The real-tool and benign corpora captured by build-test are scored
		# again here, not re-run.
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			SW_CORPUS_REUSE=$PWD/build-test/test-work/corpus \
			SW_BENIGN_REUSE=$PWD/build-test/test-work/benign-corpus \
			run_ctest build-asan netns
	else
		fail "build-asan: build"
	fi

	if configure_build build-tsan "${tsan_args[@]}"; then
		log "ctest in build-tsan/ (live namespace tests) under ThreadSanitizer"
		TSAN_OPTIONS=halt_on_error=1:abort_on_error=1 ctest --test-dir build-tsan \
			--output-on-failure --no-tests=error -j 1 -L '^netns$' \
			-R 'netns/test_(live_reload|probe_live)$' ||
			fail "build-tsan: live netns tests"
	else
		fail "build-tsan: build"
	fi

	# libFuzzer needs clang; each target replays its regression inputs, then fuzzes
	# for 20 s from seeds made of the test captures and rule files (tests/fuzz/).
	if CC=clang configure_build build-fuzz "${fuzz_args[@]}"; then
		log "ctest -L fuzz in build-fuzz/ (libFuzzer smoke runs)"
		ctest --test-dir build-fuzz --output-on-failure --no-tests=error -j "$jobs" -L '^fuzz$' ||
			fail "build-fuzz: fuzz smoke runs"
	else
		fail "build-fuzz: build"
	fi

	log "done in $((SECONDS - start)) s"
	if ((${#failures[@]} > 0)); then
		printf 'FAILED: %s\n' "${failures[@]}" >&2
		exit 1
	fi
	echo "all checks passed"
}

(($# == 1)) || usage
case $1 in
run) cmd_run ;;
test) cmd_test ;;
*) usage ;;
esac
