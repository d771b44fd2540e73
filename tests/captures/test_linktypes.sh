#!/usr/bin/env bash
# test_linktypes.sh — captures a user can bring: a SYN scan in every link type and tunnel
# scanwatch reads is detected; a file of a link type it cannot read is one line naming the type
# while the other files of the replay are still read; gzip and zstd captures give exactly the
# records of the uncompressed one.
#
# The link-type captures are SYNTHETIC (make_linktypes.py builds them from the specifications:
# no ARCNET, token ring, InfiniBand or switch-tagging hardware here). As an independent check of
# those encodings, tshark must dissect each to the same scanner and ports, except the link types
# this Wireshark cannot dissect (listed below). The compressed captures are the real-tool
# sample.pcapng (make_sample.sh), compressed here with gzip and zstd.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_SOURCE_DIR:?}" "${SW_WORK_DIR:?}"
dir="$SW_WORK_DIR/linktypes"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for tool in tshark tcpdump gzip zstd editcap sqlite3; do
	command -v "$tool" >/dev/null || {
		echo "$tool is not installed (tests/dev.sh installs it)" >&2
		exit 1
	}
done

# opened_scan OUT SRC: OUT (JSON lines) opens a syn_scan from SRC. One awk, no pipeline:
# under pipefail, `grep | grep -q` fails at random when -q exits before its writer is done.
opened_scan() {
	awk -v src="$2" 'index($0, "\"phase\":\"open\"") && index($0, "\"kind\":\"syn_scan\"") &&
		index($0, "\"src_ip\":\"" src "\"") { found = 1 } END { exit !found }' "$1"
}

fails=0
bad() {
	printf 'FAIL %s\n' "$*" >&2
	fails=$((fails + 1))
}

python3 "$SW_SOURCE_DIR/tests/captures/make_linktypes.py" caps
manifest=caps/manifest.tsv

# Link types this Wireshark (4.0) does not dissect, or shows as raw data (netANALYZER's
# transparent mode, BSD SLIP). tcpdump (4.99) is the independent reading of those it
# dissects; the encodings of the other two rest on the specifications alone.
declare -A tshark_blind=([ppp_pppd]=1 [c_hdlc_with_dir]=1 [dsa_brcm]=1 [dsa_brcm_prepend]=1
	[dsa_marvell]=1 [dsa_edsa]=1 [edsa_on_ethernet]=1 [netanalyzer_transparent]=1 [slip]=1)
declare -A tcpdump_reads=([ppp_pppd]=1 [dsa_brcm]=1 [dsa_brcm_prepend]=1 [dsa_marvell]=1
	[dsa_edsa]=1 [netanalyzer_transparent]=1 [slip]=1)

# ---------------------------------------------------------------- every link type, one by one
n=0
all=()
while IFS=$'\t' read -r name linktype src kind; do
	n=$((n + 1))
	all+=(-r "caps/$name.pcap")
	rc=0
	"$SCANWATCH" -r "caps/$name.pcap" --no-db --json >"$name.out" 2>"$name.err" || rc=$?
	if ((rc != 0)) || grep -qE 'Sanitizer|runtime error:' "$name.err"; then
		bad "$name (LINKTYPE $linktype): exit $rc: $(head -n 3 "$name.err")"
		continue
	fi
	opened_scan "$name.out" "$src" ||
		bad "$name (LINKTYPE $linktype, $kind): no syn_scan from $src: $(head -c 300 "$name.out")"
	grep -q ' anomaly ' "$name.err" && bad "$name: anomalies counted: $(grep anomaly "$name.err")"
	# the independent reading: tshark's source address (innermost for tunnels) and last port
	if [[ -z ${tshark_blind[$name]:-} ]]; then
		# (TZSP to a port other than 37008 is dissected when told so, as a user would)
		got=$(tshark -d udp.port==31337,tzsp -r "caps/$name.pcap" -T fields -e ip.src \
			-e ipv6.src -e tcp.dstport \
			2>/dev/null | tail -n 1 | awk -F'\t' '{
				n = split($2 != "" ? $2 : $1, a, ",")  # the innermost of a tunnel
				print a[n] " " $3 }')
		[[ $got == "$src 3389" ]] ||
			bad "$name: tshark reads '$got', not $src to port 3389: the encoding is wrong"
	elif [[ -n ${tcpdump_reads[$name]:-} ]]; then
		got=$(tcpdump -nr "caps/$name.pcap" 2>/dev/null | tail -n 1)
		[[ $got == *" $src."[0-9]*" > "*".3389: Flags [S]"* ]] ||
			bad "$name: tcpdump reads '$got', not $src to port 3389: the encoding is wrong"
	fi
done <"$manifest"
((n >= 40)) || bad "only $n link-type captures were made"
echo "link types: $n captures replayed"

# ---------------------------------------------------------------- all of them in one replay
rc=0
"$SCANWATCH" "${all[@]}" --no-db --json >all.out 2>all.err || rc=$?
((rc == 0)) || bad "the merged replay of every link type exited $rc: $(tail -n 3 all.err)"
while IFS=$'\t' read -r name linktype src kind; do
	opened_scan all.out "$src" || bad "merged replay: no syn_scan from $src ($name)"
done <"$manifest"

# ---------------------------------------------------------------- a link type not read
ppp_src=$(awk -F'\t' '$1 == "ppp" {print $3}' "$manifest")
eth_src=$(awk -F'\t' '$1 == "ethernet" {print $3}' "$manifest")
rc=0
"$SCANWATCH" -r caps/ethernet.pcap -r caps/unsupported_usb.pcap -r caps/ppp.pcap --db mixed.db \
	--json >mixed.out 2>mixed.err || rc=$?
((rc == 1)) || bad "a replay with an unreadable file exited $rc, not 1"
lines=$(grep -c 'unsupported_usb.pcap' mixed.err || true)
((lines == 1)) || bad "the unreadable file is named on $lines lines of stderr, not 1: $(cat mixed.err)"
grep -qE '^scanwatch: caps/unsupported_usb.pcap: link type 189 \(USB_LINUX' mixed.err ||
	bad "the error does not name link type 189 (USB_LINUX): $(cat mixed.err)"
for src in "$eth_src" "$ppp_src"; do
	[[ $(sqlite3 mixed.db "SELECT count(*) FROM detections WHERE kind = 'syn_scan'
		AND src_ip = '$src'") == 1 ]] || bad "the other files' scan from $src was not stored"
done
row=$(sqlite3 mixed.db "SELECT status, error FROM runs")
[[ $row =~ ^[1-9].*link\ type\ 189 ]] || bad "the runs row does not carry the error: $row"
# alone, it is an error before anything is read
rc=0
"$SCANWATCH" -r caps/unsupported_usb.pcap --no-db >alone.out 2>alone.err || rc=$?
((rc == 1)) && grep -q 'link type 189 (USB_LINUX' alone.err ||
	bad "an unreadable file alone: exit $rc, $(cat alone.err)"

# ---------------------------------------------------------------- compressed captures
sample=$SW_SOURCE_DIR/tests/captures/sample.pcapng
editcap -F pcap "$sample" sample.pcap
gzip -9 -c "$sample" >sample.pcapng.gz
zstd -q -19 -c "$sample" >sample.pcapng.zst
gzip -c sample.pcap >sample.pcap.gz
zstd -q -c sample.pcap >sample.pcap.zst
cp sample.pcapng.gz gz-without-extension       # known by its magic, not its name
cp sample.pcapng.zst sample-zstd.pcapng         # a misleading name
half=$(($(stat -c %s "$sample") / 2))           # several members / frames in a row
{ head -c "$half" "$sample" | gzip -c; tail -c +$((half + 1)) "$sample" | gzip -c; } >members.gz
{ head -c "$half" "$sample" | zstd -q -c; tail -c +$((half + 1)) "$sample" | zstd -q -c; } >frames.zst

# records RUN.DB: every column of every detection but the row and run ids, in order
records() {
	local cols
	cols=$(sqlite3 "$1" "SELECT group_concat(name, ', ') FROM pragma_table_info('detections')
		WHERE name NOT IN ('id', 'run_id')")
	sqlite3 -json "$1" "SELECT $cols FROM detections ORDER BY seq"
}
"$SCANWATCH" -r "$sample" --db plain.db --json >plain.out 2>/dev/null
records plain.db >plain.rec
[[ $(sqlite3 plain.db "SELECT count(*) FROM detections") -ge 3 ]] ||
	bad "the uncompressed sample gave fewer than 3 detections"
for f in sample.pcap sample.pcapng.gz sample.pcapng.zst sample.pcap.gz sample.pcap.zst \
	gz-without-extension sample-zstd.pcapng members.gz frames.zst; do
	rc=0
	"$SCANWATCH" -r "$f" --db "$f.db" --json >"$f.out" 2>"$f.err" || rc=$?
	((rc == 0)) || bad "$f: exit $rc: $(cat "$f.err")"
	cmp -s plain.out "$f.out" || bad "$f: its detections differ from the uncompressed sample's"
	records "$f.db" >"$f.rec"
	cmp -s plain.rec "$f.rec" || bad "$f: its stored records differ from the uncompressed sample's"
done
for f in sample.pcapng.gz sample.pcapng.zst; do # through a pipe, from standard input
	rc=0
	"$SCANWATCH" -r - --no-db --json <"$f" >"$f.stdin.out" 2>/dev/null || rc=$?
	((rc == 0)) && cmp -s plain.out "$f.stdin.out" || bad "$f on standard input: exit $rc or other detections"
done
# broken compressed files: an error naming the file (and, cut short, why), after what could be
# read; a corrupted one may be caught by the decompressor or by the capture format first
head -c $(($(stat -c %s sample.pcapng.gz) / 2)) sample.pcapng.gz >cut.pcapng.gz
head -c $(($(stat -c %s sample.pcapng.zst) / 2)) sample.pcapng.zst >cut.pcapng.zst
cp sample.pcapng.gz corrupt.pcapng.gz
printf '\xff\xff\xff\xff\xff\xff\xff\xff' |
	dd of=corrupt.pcapng.gz bs=1 seek=$((half / 4)) conv=notrunc 2>/dev/null
for f in cut.pcapng.gz cut.pcapng.zst corrupt.pcapng.gz; do
	rc=0
	"$SCANWATCH" -r "$f" --no-db >"$f.out" 2>"$f.err" || rc=$?
	want="^scanwatch: $f: "
	[[ $f == cut.* ]] && want+=".*(gzip|zstd): compressed data truncated"
	((rc == 1)) && grep -qE "$want" "$f.err" || bad "$f: exit $rc, want 1 and /$want/: $(cat "$f.err")"
	grep -qE 'Sanitizer|runtime error:' "$f.err" && bad "$f: sanitizer report"
done

echo "link types, unreadable files and compressed captures: $fails failures"
((fails == 0))
