#!/usr/bin/env bash
# test_ecs_schema.sh — every --jsonl record of replayed captures validates against tests/unit/ecs_schema.json (the ECS subset we emit), and each stored detection has its start and end record.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_SOURCE_DIR:?}" "${SW_WORK_DIR:?}"
# The distribution's interpreter: Debian's python3-jsonschema (tests/dev.sh installs it).
py=/usr/bin/python3
"$py" -c 'import jsonschema' 2>/dev/null || {
	echo "python3-jsonschema is missing (apt-get install python3-jsonschema)"
	exit 1
}
dir="$SW_WORK_DIR/ecs_schema"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

# The sample capture, plus scanprobe dry runs (nothing is sent) for the shapes the sample
# lacks: IPv6, ARP, spoofed-source floods with sample sources, UDP, decoys.
caps=("$SW_SOURCE_DIR/tests/captures/sample.pcapng")
if [[ -n ${SCANPROBE:-} ]]; then
	i=0
	for args in "-6 -sS -p 1-100 2001:2::2" "-sn -PR 198.18.2.0/26" "--flood syn --count 3000 198.18.1.2" \
		"-sU -p 1-60 198.18.1.2" "-6 -sn -PE 2001:2::1-40" "-sS --scanners 3 -p 1-50 198.18.1.2"; do
		i=$((i + 1))
		# shellcheck disable=SC2086 # the argument list is meant to split
		"$SCANPROBE" $args --write "p$i.pcap" --seed "$i" >/dev/null
		caps+=("p$i.pcap")
	done
fi

for cap in "${caps[@]}"; do
	name=$(basename "$cap")
	"$SCANWATCH" -r "$cap" --db "$name.db" -q --jsonl "$name.jsonl" --sensor-id "edge-$name" \
		--site-tag site=par1 --site-tag zone=dmz 2>"$name.err" || {
		cat "$name.err"
		exit 1
	}
	sqlite3 "$name.db" "SELECT seq FROM detections ORDER BY seq" >"$name.seqs"
done

"$py" - "$SW_SOURCE_DIR/tests/unit/ecs_schema.json" "${caps[@]}" <<'PY'
import json, os, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft7Validator(schema)
total = 0
for cap in sys.argv[2:]:
    name = os.path.basename(cap)
    seqs = [int(x) for x in open(name + ".seqs").read().split()]
    if not seqs:
        sys.exit(f"{name}: no detections stored: the capture no longer exercises the output")
    phases = {}
    with open(name + ".jsonl") as f:
        for n, line in enumerate(f, 1):
            doc = json.loads(line)
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            if errors:
                for e in errors:
                    print(f"{name}.jsonl:{n}: {'/'.join(map(str, e.path))}: {e.message}")
                sys.exit(1)
            phases.setdefault(int(doc["event"]["id"]), []).append(doc["event"]["type"][0])
            total += 1
    # One detection = one start, any number of info, one end, in that order.
    if sorted(phases) != seqs:
        sys.exit(f"{name}: records for {sorted(phases)}, database has {seqs}")
    for seq, p in phases.items():
        if p[0] != "start" or p[-1] != "end" or p.count("start") != 1 or p.count("end") != 1:
            sys.exit(f"{name}: detection {seq} has records {p}")
    print(f"{name}: {len(seqs)} detections, records valid")

# The schema must be able to fail: a wrong kind, a misspelt field, a missing end.
doc = json.loads(open(os.path.basename(sys.argv[2]) + ".jsonl").readline())
bad = [
    dict(doc, event=dict(doc["event"], kind="event")),
    dict(doc, sourc={"ip": "198.18.0.1"}),
    dict(doc, event=dict(doc["event"], type=["end"])),
    dict(doc, network=dict(doc.get("network", {}), transport="TCP")),
]
for b in bad:
    if validator.is_valid(b):
        sys.exit("the schema accepted an invalid record: " + json.dumps(b)[:200])
print(f"{total} records valid; the schema rejects the {len(bad)} broken ones")
PY
