#!/usr/bin/env bash
# test_report.sh — `scanwatch report` of sample.pcapng, opened in headless Chromium: one timeline row per detected source, no external asset, escaped data, a screenshot.
#
# The page is checked in the DOM Chromium builds from it (--dump-dom), not by
# grepping the file, so what is counted is what a browser shows. Chromium is
# only ever given file:// URLs and flags that keep it off the network.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_SOURCE_DIR:?}" "${SW_WORK_DIR:?}"

dir=$SW_WORK_DIR/report
sample=$SW_SOURCE_DIR/tests/captures/sample.pcapng
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

chromium=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chromium ]] || {
	echo "chromium is not installed (Debian package chromium; tests/dev.sh installs it)" >&2
	exit 1
}
profile=$(mktemp -d /tmp/sw-chromium.XXXXXX)
trap 'rm -rf "$profile"' EXIT
# browse ARGS... — one headless Chromium run with a throw-away profile.
browse() {
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" "$@" 2>>"$dir/chromium.log"
}

failures=0
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}

# dom_check DOM-FILE — prints the data-src of every timeline row, one per line, and fails
# (exit 1) if the page loads anything from outside itself or runs a script.
dom_check() {
	python3 - "$1" <<'EOF'
import sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.external = [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "g" and "timeline-row" in (a.get("class") or "").split():
            self.rows.append(a.get("data-src"))
        if tag in ("script", "img", "iframe", "object", "embed", "link"):
            self.external.append(tag)
        for k in ("src", "href", "xlink:href", "srcset"):
            if k in a:
                self.external.append(f"{tag} {k}={a[k]}")
        if any(k.startswith("on") for k in a):
            self.external.append(f"{tag} event handler")
        if "url(" in (a.get("style") or ""):
            self.external.append(f"{tag} style url()")

p = Page()
p.feed(open(sys.argv[1], encoding="utf-8").read())
for r in p.rows:
    print(r)
if p.external:
    print("external or active content: " + "; ".join(p.external), file=sys.stderr)
    sys.exit(1)
EOF
}

echo "== replay sample.pcapng into a database, then the report of its latest run"
"$SCANWATCH" -r "$sample" --db sample.db -q
"$SCANWATCH" report --html report.html --db sample.db --title "scanwatch report: sample.pcapng"
mapfile -t want < <(sqlite3 sample.db "SELECT DISTINCT src_ip FROM detections ORDER BY 1")
echo "sources in the database: ${want[*]}"
# tests/captures/make_sample.sh: three scanners, each on its own address.
((${#want[@]} == 3)) || fail "the sample should give 3 scanning sources, the database has ${#want[@]}"

echo "== headless Chromium: DOM"
browse --dump-dom "file://$dir/report.html" >report.dom.html
[[ -s report.dom.html ]] || fail "chromium --dump-dom gave nothing (see $dir/chromium.log)"
if rows_text=$(dom_check report.dom.html); then
	mapfile -t rows <<<"$rows_text"
	[[ -n $rows_text ]] || rows=()
	echo "timeline rows: ${rows[*]}"
	((${#rows[@]} == ${#want[@]})) ||
		fail "${#rows[@]} timeline rows for ${#want[@]} sources in the database"
	got=$(printf '%s\n' "${rows[@]}" | sort)
	[[ $got == "$(printf '%s\n' "${want[@]}")" ]] || fail "timeline rows ($got) are not the sources (${want[*]})"
else
	fail "the report is not self-contained"
fi
for id in $(sqlite3 sample.db "SELECT DISTINCT rule_id FROM detections"); do
	grep -q -- "$id" report.dom.html || fail "rule $id is not in the page"
done

echo "== the same report straight from the capture"
"$SCANWATCH" report --html replay.html -r "$sample"
browse --dump-dom "file://$dir/replay.html" >replay.dom.html
n=$(dom_check replay.dom.html | grep -c . || true)
((n == ${#want[@]})) || fail "report from the replay has $n timeline rows, want ${#want[@]}"

echo "== hostile strings in the database are shown, not run"
# Text columns reach the page escaped. An address column that is no address makes the row no
# detection: the store's reader leaves it out, and the report says so on the page and stderr.
cp sample.db hostile.db
sqlite3 hostile.db "UPDATE detections SET
	rule_name = '<img src=x onerror=alert(1)>',
	evidence = 'a < b & c; <iframe src=/etc/passwd>; '' \" quoted',
	campaign = '\"><b>c</b>'
	WHERE id = (SELECT min(id) FROM detections);
	UPDATE detections SET src_ip = '\"><script>document.title=2</script>'
	WHERE id = (SELECT max(id) FROM detections)"
"$SCANWATCH" report --html hostile.html --db hostile.db 2>hostile.err
browse --dump-dom "file://$dir/hostile.html" >hostile.dom.html
if hostile_rows=$(dom_check hostile.dom.html); then
	n=$(grep -c . <<<"$hostile_rows" || true)
	((n == ${#want[@]} - 1)) || fail "hostile report has $n timeline rows, want $((${#want[@]} - 1))"
else
	fail "hostile strings became markup"
fi
grep -qF '&lt;img src=x onerror=alert(1)&gt;' hostile.dom.html || fail "hostile rule name not shown as text"
grep -qF '"&gt;&lt;b&gt;c&lt;/b&gt;' hostile.dom.html || fail "hostile campaign not shown as text"
grep -qF '1 row(s) of the database are not detections' hostile.dom.html || fail "the page does not say a row was left out"
grep -qF 'row(s) are not detections this scanwatch can read' hostile.err || fail "stderr does not say a row was left out"

echo "== screenshot"
browse --screenshot="$dir/report.png" --window-size=1400,1000 "file://$dir/report.html" >/dev/null
if [[ -s $dir/report.png ]] && [[ $(head -c 8 "$dir/report.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; then
	echo "screenshot: $dir/report.png ($(stat -c %s "$dir/report.png") bytes)"
else
	fail "no PNG screenshot at $dir/report.png (see $dir/chromium.log)"
fi

if ((failures)); then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "report: $dir/report.html"
