#!/usr/bin/env bash
# test_eval_benign.sh — captures the benign corpus of everyday traffic (benign_corpus.sh) and scores the sensor on it with `scanwatch eval`: no false positive anywhere, and the scanners it holds found with the right kind and tool.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The corpus is kept after the test (SW_WORK_DIR/benign-corpus) for replaying
# by hand; SW_BENIGN_REUSE scores another tree's (about 5-6 minutes to record).
SW_TEST=test_eval_benign
sw_eval_corpus benign_corpus.sh benign-corpus "${SW_BENIGN_REUSE:-}" "benign corpus"
