/* output.c — the registry of output plugins, looked up by the name used in the configuration. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scanwatch/output.h"

/* Each plugin file defines one (or more) of these; a new output adds one line here. */
extern const struct output_ops output_console_ops;
extern const struct output_ops output_console_json_ops;
extern const struct output_ops output_jsonl_ops;
extern const struct output_ops output_syslog_ops;
extern const struct output_ops output_cef_ops;

static const struct output_ops *const outputs[] = {
    &output_console_ops, &output_console_json_ops, &output_jsonl_ops,
    &output_syslog_ops,  &output_cef_ops,
};

/* Linux IFNAMSIZ is 16; room for longer names elsewhere (and for "any"). */
#define OUTPUT_IFACE_MAX 64
/* RFC 5424 section 6.2.4: HOSTNAME is at most 255 PRINTUSASCII octets. */
#define OUTPUT_HOST_MAX 256

/* Set once at start-up, before the writer thread starts; read-only afterwards. */
static char observer_iface[OUTPUT_IFACE_MAX];
static char hostname[OUTPUT_HOST_MAX];

const struct output_ops *output_lookup(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++)
		if (strcmp(outputs[i]->name, name) == 0)
			return outputs[i];
	return NULL;
}

int output_get_counters(const struct output_ops *ops, void *state, struct output_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (ops == NULL || state == NULL || ops->counters == NULL)
		return -1;
	ops->counters(state, out);
	return 0;
}

void output_set_observer(const char *interface)
{
	snprintf(observer_iface, sizeof(observer_iface), "%s", interface ? interface : "");
}

const char *output_observer_interface(void)
{
	return observer_iface[0] != '\0' ? observer_iface : NULL;
}

const char *output_hostname(void)
{
	if (hostname[0] == '\0') {
		char h[OUTPUT_HOST_MAX] = "";
		bool ok;

		/* gethostname may leave the name unterminated when truncated. */
		ok = gethostname(h, sizeof(h) - 1) == 0 && h[0] != '\0';
		for (size_t i = 0; ok && h[i] != '\0'; i++)
			if (h[i] < 33 || h[i] > 126) /* PRINTUSASCII, RFC 5424 section 6 */
				ok = false;
		snprintf(hostname, sizeof(hostname), "%s", ok ? h : "-");
	}
	return hostname;
}

const char *output_format_time(char buf[OUTPUT_TIME_MAX], uint64_t us)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;

	/* Years past 9999 do not fit RFC 3339's four digits: show the raw number instead. */
	if (gmtime_r(&sec, &tm) == NULL || tm.tm_year + 1900 > 9999) {
		snprintf(buf, OUTPUT_TIME_MAX, "%" PRIu64, us);
		return buf;
	}
	/* The remainders only tell the compiler the ranges gmtime_r already guarantees. */
	snprintf(buf, OUTPUT_TIME_MAX, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ",
	         (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
	         (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
	         (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)(us % 1000000));
	return buf;
}
