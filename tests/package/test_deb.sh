#!/usr/bin/env bash
# test_deb.sh — builds the .deb with CPack, installs it with dpkg, runs the installed sensor, checks the unit and man pages, purges it and checks nothing is left.
#
# Really installs: run as root, on a machine where scanwatch is not installed
# (CI's fresh host). The package is purged when the test ends, pass or fail.
# The build is a Release tree of its own under $SW_WORK_DIR/package/, so the
# package never carries the sanitizer build the suite may be running under.
set -uo pipefail
: "${SW_SOURCE_DIR:?}" "${SW_WORK_DIR:?}"

dir=$SW_WORK_DIR/package
sample=$SW_SOURCE_DIR/tests/captures/sample.pcapng
config=/etc/scanwatch/scanwatch.yaml
unit=/usr/lib/systemd/system/scanwatch.service

failures=0
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}
die() {
	printf 'test_deb: %s\n' "$*" >&2
	exit 1
}
status() { dpkg-query -W -f='${db:Status-Status}' scanwatch 2>/dev/null || true; }

((EUID == 0)) || die "needs root: it installs the package with dpkg"
for tool in cmake ninja cpack dpkg-deb sqlite3 groff man; do
	command -v "$tool" >/dev/null || die "missing $tool"
done
# Never touch an installation this test did not make: it would be purged below.
[[ $(status) == "" || $(status) == not-installed ]] ||
	die "scanwatch is already on this machine (dpkg status '$(status)'); remove it first"
for p in /usr/sbin/scanwatch /etc/scanwatch /var/lib/scanwatch /var/log/scanwatch; do
	[[ ! -e $p ]] || die "$p exists already; this test would remove it"
done

installed=0
cleanup() {
	# Whatever happened above, the machine is left without the package.
	if ((installed)) && [[ $(status) != not-installed && $(status) != "" ]]; then
		echo "cleanup: dpkg --purge scanwatch"
		dpkg --purge scanwatch >/dev/null || echo "cleanup: purge failed" >&2
	fi
}
trap cleanup EXIT

rm -rf "$dir"
mkdir -p "$dir"
echo "== build and package in $dir/build"
cmake -S "$SW_SOURCE_DIR" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX=/usr -DSCANWATCH_TESTS=OFF >"$dir/cmake.log" 2>&1 ||
	{ cat "$dir/cmake.log"; die "cmake failed"; }
cmake --build "$dir/build" >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log"; die "build failed"; }
(cd "$dir/build" && cpack -G DEB) >"$dir/cpack.log" 2>&1 || { cat "$dir/cpack.log"; die "cpack failed"; }
debs=("$dir"/build/scanwatch_*.deb)
((${#debs[@]} == 1)) && [[ -f ${debs[0]} ]] || die "expected one scanwatch_*.deb, found: ${debs[*]}"
deb=${debs[0]}
echo "package: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
echo "contents:"
dpkg-deb --contents "$deb" | awk '{print "  " $NF}'

echo "== dpkg -i"
installed=1
if ! dpkg -i "$deb"; then
	# Missing run-time libraries: let apt bring them (the build deps usually have).
	DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq >/dev/null ||
		die "dpkg -i failed and apt-get install -f could not repair it"
fi
[[ $(status) == installed ]] || die "dpkg status after install: '$(status)'"
mapfile -t files < <(dpkg -L scanwatch)

conffiles=$(dpkg-query -W -f='${Conffiles}\n' scanwatch)
for f in /etc/scanwatch/scanwatch.yaml /etc/scanwatch/rules.d/default.yaml /etc/logrotate.d/scanwatch; do
	grep -q "^ $f " <<<"$conffiles" || fail "$f is not a conffile"
done
for f in /usr/sbin/scanwatch /usr/sbin/scanprobe "$unit" /usr/lib/sysusers.d/scanwatch.conf \
	/usr/lib/tmpfiles.d/scanwatch.conf /usr/share/man/man8/scanwatch.8 \
	/usr/share/man/man5/scanwatch.yaml.5 /usr/share/man/man8/scanprobe.8 \
	/usr/share/doc/scanwatch/examples/vector.toml /usr/share/doc/scanwatch/examples/fluent-bit.conf; do
	[[ -f $f ]] || fail "$f not installed"
done

echo "== the service user and its directories (postinst)"
if getent passwd scanwatch >/dev/null; then
	shell=$(getent passwd scanwatch | cut -d: -f7)
	[[ $shell == */nologin ]] || fail "scanwatch's shell is $shell, not nologin"
	for d in /var/lib/scanwatch /var/log/scanwatch; do
		got=$(stat -c '%U:%G %a' "$d" 2>/dev/null)
		[[ $got == "scanwatch:scanwatch 750" ]] || fail "$d is '$got', want 'scanwatch:scanwatch 750'"
	done
else
	fail "postinst did not create the scanwatch user"
fi

echo "== installed scanwatch -T -c $config"
/usr/sbin/scanwatch -T -c "$config" || fail "scanwatch -T -c $config exited $?"

echo "== replay of sample.pcapng by the installed binary, as the service user"
db=/var/lib/scanwatch/package-test.db
# Standard input: the capture is opened by this (root) shell, the sensor runs
# as scanwatch and writes into its own state directory.
if runuser -u scanwatch -- /usr/sbin/scanwatch -r - --db "$db" -q <"$sample"; then
	rows=$(sqlite3 "$db" "SELECT src_ip || ' ' || kind || ' ' || (closed_at IS NOT NULL)
		FROM detections ORDER BY src_ip, kind")
	# tests/captures/make_sample.sh: one scanner per kind, each on its own address.
	want=$'198.18.0.1 syn_scan 1\n198.18.0.3 icmp_sweep 1\n198.18.0.4 rst_flood 1'
	[[ $rows == "$want" ]] || fail "replay rows:"$'\n'"$rows"$'\n'"want:"$'\n'"$want"
	echo "$rows"
	report=$dir/installed-report.html
	if /usr/sbin/scanwatch report --html "$report" --db "$db"; then
		n=$(grep -o 'class="timeline-row"' "$report" | wc -l)
		((n == 3)) || fail "installed report has $n timeline rows, want 3"
	else
		fail "installed scanwatch report failed"
	fi
else
	fail "installed scanwatch replay failed"
fi

echo "== systemd unit"
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify "$unit" 2>&1)
	rc=$?
	[[ $rc == 0 && -z $out ]] || fail "systemd-analyze verify $unit (exit $rc): $out"
	# Offline assessment of the sandbox; "2.0 OK" when this was written.
	exposure=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "exposure level: ${exposure:-?}"
	[[ -n $exposure ]] && awk -v e="$exposure" 'BEGIN { exit !(e <= 3.0) }' ||
		fail "systemd-analyze security exposure '${exposure}' is above 3.0"
else
	echo "systemd-analyze not available: unit not verified"
fi

echo "== man pages"
for page in /usr/share/man/man8/scanwatch.8 /usr/share/man/man5/scanwatch.yaml.5 \
	/usr/share/man/man8/scanprobe.8; do
	[[ -f $page ]] || continue
	warn=$(groff -man -ww -z "$page" 2>&1)
	[[ -z $warn ]] || fail "groff warnings in $page: $warn"
	warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[[ -z $warn ]] || fail "man warnings in $page: $warn"
	# Commands (section 8) document their exit status; a file format (5) has none.
	if [[ $page == *.8 ]]; then
		MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^EXIT STATUS' ||
			fail "$page has no EXIT STATUS section"
	fi
done
man -w scanwatch.yaml >/dev/null 2>&1 || fail "man -w scanwatch.yaml does not find the page"

if command -v logrotate >/dev/null; then
	echo "== logrotate -d"
	out=$(logrotate -d /etc/logrotate.d/scanwatch 2>&1)
	grep -qi 'error' <<<"$out" && fail "logrotate: $out"
fi

echo "== dpkg --purge"
dpkg --purge scanwatch || fail "dpkg --purge failed"
[[ $(status) == not-installed || $(status) == "" ]] || fail "dpkg status after purge: '$(status)'"
for f in "${files[@]}"; do
	# Shared directories (/usr/sbin, /etc ...) stay; every file of the package goes.
	[[ -d $f ]] && continue
	[[ ! -e $f ]] || fail "$f is left after purge"
done
for p in /etc/scanwatch /var/lib/scanwatch /var/log/scanwatch /usr/share/doc/scanwatch; do
	[[ ! -e $p ]] || fail "$p is left after purge"
done

if ((failures)); then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "package installed, run and purged cleanly"
