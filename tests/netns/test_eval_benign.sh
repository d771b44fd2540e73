#!/usr/bin/env bash
# test_eval_benign.sh — captures the benign corpus of everyday traffic (benign_corpus.sh) and scores the sensor on it with `scanwatch eval`: no false positive anywhere, and the scanners it holds found with the right kind and tool.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# benign_corpus.sh creates, uses and deletes its own namespaces; this test
# only needs the sensor and a place for the corpus. The corpus is kept after
# the test (SW_WORK_DIR/benign-corpus) for replaying by hand.
SW_TEST=test_eval_benign
((EUID == 0)) || sw_fail "must run as root (benign_corpus.sh builds network namespaces)"
[[ -x $SCANWATCH ]] || sw_fail "sensor binary '$SCANWATCH' not found or not executable (build first)"
corpus=$SW_WORK_DIR/benign-corpus

# SW_BENIGN_REUSE names a benign corpus another tree captured in this same
# run (dev.sh sets it for the sanitizer tree): the sensor is scored on the
# very same captures without running the programs again.
if [[ -n ${SW_BENIGN_REUSE:-} ]]; then
	[[ -s $SW_BENIGN_REUSE/labels.tsv ]] ||
		sw_fail "SW_BENIGN_REUSE=$SW_BENIGN_REUSE has no labels.tsv (the capturing tree's test failed?)"
	corpus=$SW_BENIGN_REUSE
	sw_log "scoring the benign corpus captured in $corpus"
else
	sw_log "capturing the benign corpus into $corpus (about 5-6 minutes)"
	SW_WORK_DIR=$SW_WORK_DIR SCANWATCH=$SCANWATCH bash "$SW_LIB_DIR/benign_corpus.sh" "$corpus" ||
		sw_fail "benign_corpus.sh failed (its log above names the capture); the corpus is wrong, not the sensor"
fi
[[ -s $corpus/labels.tsv ]] || sw_fail "benign_corpus.sh wrote no $corpus/labels.tsv"

# The table (stdout) first, then -v's per-detection detail (stderr), so the
# two do not interleave in the ctest log.
rc=0
detail=$SW_WORK_DIR/eval-benign.detail
mkdir -p "$SW_WORK_DIR"
"$SCANWATCH" eval "$corpus/labels.tsv" -v 2>"$detail" || rc=$?
echo "----- detail (scanwatch eval -v, stderr):"
cat "$detail"
((rc == 0)) || sw_fail "scanwatch eval exited with status $rc: a false positive on everyday traffic, or a scanner in the corpus missed, mis-typed or mis-attributed (table above)"
sw_log "PASS: no false positive in $corpus/labels.tsv"
