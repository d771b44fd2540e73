#!/usr/bin/env bash
# test_eval_corpus.sh — captures the real-tool ground-truth corpus (corpus.sh) and scores the sensor on it with `scanwatch eval`: every scan found with an acceptable kind and tool, no false positive.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The corpus is kept after the test (SW_WORK_DIR/corpus) for replaying by hand
# and for the benchmarks; SW_CORPUS_REUSE scores another tree's (about 3-4
# minutes to record).
SW_TEST=test_eval_corpus
sw_eval_corpus corpus.sh corpus "${SW_CORPUS_REUSE:-}" "real-tool corpus"
