#!/usr/bin/env bash
# test_eval_corpus.sh — captures the real-tool ground-truth corpus (corpus.sh) and scores the sensor on it with `scanwatch eval`: every scan found with an acceptable kind and tool, no false positive.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# corpus.sh creates, uses and deletes its own namespaces; this test only
# needs the sensor and a place for the corpus. The corpus is kept after the
# test (SW_WORK_DIR/corpus) for replaying by hand and for the benchmarks.
SW_TEST=test_eval_corpus
((EUID == 0)) || sw_fail "must run as root (corpus.sh builds network namespaces)"
[[ -x $SCANWATCH ]] || sw_fail "sensor binary '$SCANWATCH' not found or not executable (build first)"
corpus=$SW_WORK_DIR/corpus

# SW_CORPUS_REUSE names a corpus another tree captured in this same run
# (dev.sh sets it for the sanitizer tree): the sensor is scored on the very
# same captures without running the tools again.
if [[ -n ${SW_CORPUS_REUSE:-} ]]; then
	[[ -s $SW_CORPUS_REUSE/labels.tsv ]] ||
		sw_fail "SW_CORPUS_REUSE=$SW_CORPUS_REUSE has no labels.tsv (the capturing tree's test failed?)"
	corpus=$SW_CORPUS_REUSE
	sw_log "scoring the corpus captured in $corpus"
else
	sw_log "capturing the corpus into $corpus (about 3-4 minutes)"
	SW_WORK_DIR=$SW_WORK_DIR SCANWATCH=$SCANWATCH bash "$SW_LIB_DIR/corpus.sh" "$corpus" ||
		sw_fail "corpus.sh failed (its log above names the capture); the corpus is wrong, not the sensor"
fi
[[ -s $corpus/labels.tsv ]] || sw_fail "corpus.sh wrote no $corpus/labels.tsv"

# The table (stdout) first, then -v's per-detection detail (stderr), so the
# two do not interleave in the ctest log.
rc=0
detail=$SW_WORK_DIR/eval.detail
mkdir -p "$SW_WORK_DIR"
"$SCANWATCH" eval "$corpus/labels.tsv" -v 2>"$detail" || rc=$?
echo "----- detail (scanwatch eval -v, stderr):"
cat "$detail"
((rc == 0)) || sw_fail "scanwatch eval exited with status $rc: a scan was missed, mis-typed or mis-attributed, or a false positive was reported (table above)"
sw_log "PASS: every capture in $corpus/labels.tsv scored right"
