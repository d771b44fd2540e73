# lib.sh — sourced by the capture tests (tests/captures/test_*.sh) after they check their
# environment: a fresh working directory, and the one way a test fails.

# cap_init NAME — $SW_WORK_DIR/NAME, emptied, made the current directory and kept in $dir.
cap_init() {
	dir=$SW_WORK_DIR/$1
	rm -rf "$dir"
	mkdir -p "$dir"
	cd "$dir"
}

# fail MESSAGE... — says what is wrong and ends the test.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
