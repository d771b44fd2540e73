/* test_reason_format.c — detection_reason's own formatting of the common conversions gives
 * what snprintf gives, to the byte, and leaves the rest to it. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "scanwatch/detection.h"

/* The text snprintf makes of the same format, cut as detection_reason cuts (no UTF-8 here
 * but where a case puts it, checked separately). */
#define SAME(fmt, ...)                                                                             \
	do {                                                                                       \
		struct sw_detection d_ = {0};                                                      \
		char want_[512];                                                                   \
		snprintf(want_, sizeof want_, fmt, __VA_ARGS__);                                   \
		want_[DET_REASON_TEXT - 1] = '\0';                                                 \
		struct det_reason *r_ = detection_reason(&d_, "n", 7, fmt, __VA_ARGS__);           \
		CHECK(r_ != NULL);                                                                 \
		if (r_ && strcmp(r_->text, want_) != 0) {                                          \
			fprintf(stderr, "format \"%s\": got \"%s\", want \"%s\"\n", fmt, r_->text, \
			        want_);                                                            \
			CHECK(0);                                                                  \
		}                                                                                  \
	} while (0)

int main(void)
{
	char longs[300];
	memset(longs, 'x', sizeof longs - 1);
	longs[sizeof longs - 1] = '\0';

	SAME("%s", "vertical: 4 probes");
	SAME("%s", "");
	SAME("refused %" PRIu32, (uint32_t)4);
	SAME("refused %" PRIu32, UINT32_MAX);
	SAME("%" PRIu64 " probes to %u port(s) on %" PRIu64 " host(s)", (uint64_t)0, 65535u,
	     UINT64_MAX);
	SAME("%d and %d", INT_MIN, -1);
	SAME("%ld %lld %llu", LONG_MIN, LLONG_MAX, ULLONG_MAX);
	SAME("%zu bytes", (size_t)12345);
	SAME("100%% of %u", 3u);
	SAME("tool %s: %" PRIu32 " of %" PRIu32 " probes", "nmap", (uint32_t)4, (uint32_t)4);
	SAME("no conversion at all%s", "");
	SAME("%s%s%s", "a", "", "c");
	/* past the text's room: cut where snprintf's copy is cut */
	SAME("%s", longs);
	SAME("%s and %u", longs, 5u);
	SAME("%u %s", 12u, longs);
	/* left to vsnprintf: precision, floating point, width, flags */
	SAME("ratio %.2f", 3.14159);
	SAME("%.*s", 3, "abcdef");
	SAME("%5u|%-3s|%+d", 7u, "a", 4);
	SAME("%x %c", 255u, 'q');

	/* the UTF-8 cut still applies: a 2-byte character across the last byte is dropped */
	{
		char s[DET_REASON_TEXT + 4];
		memset(s, 'a', DET_REASON_TEXT - 2);
		s[DET_REASON_TEXT - 2] = (char)0xC3; /* é across the 127-byte limit */
		s[DET_REASON_TEXT - 1] = (char)0xA9;
		s[DET_REASON_TEXT] = '\0';
		struct sw_detection d = {0};
		struct det_reason *r = detection_reason(&d, "n", 0, "%s", s);
		CHECK(r != NULL);
		if (r)
			CHECK_EQ_U(strlen(r->text), DET_REASON_TEXT - 2);
	}
	CHECK_DONE();
}
