/* output_syslog.h — the RFC 5424 syslog link (header, framing, delivery) shared by the syslog and
 * CEF outputs. */
#ifndef SCANWATCH_OUTPUT_SYSLOG_H
#define SCANWATCH_OUTPUT_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/detection.h"
#include "scanwatch/output.h"

/*
 * A connection to one syslog collector: "udp://HOST[:PORT][?OPTIONS]" or
 * "tcp://HOST[:PORT][?OPTIONS]", port 514 by default, or
 * "tls://HOST[:PORT][?OPTIONS]" (RFC 5425), port 6514 by default, or
 * "relp://HOST[:PORT][?OPTIONS]" (RELP, acknowledged), port 2514 by default. Options,
 * '&'-separated:
 *   facility=local0..local7|user|daemon|auth|authpriv|...|0..23 (default local0)
 *   backlog=N  messages kept while the collector is unreachable (default 10000)
 * and for tls:// only (net.h, net_tls_options):
 *   ca=FILE cert=FILE key=FILE name=PEER insecure=1
 */
struct output_syslog_link;

/* Opens a link to url; NULL with what is wrong in err. */
struct output_syslog_link *output_syslog_link_open(const char *url, char *err, size_t errlen);
/*
 * Checks url (and its options) exactly as output_syslog_link_open reads it, without opening
 * anything: the check of the syslog and CEF outputs' network targets. 0, or -1 with err.
 */
int output_syslog_check(const char *url, char *err, size_t errlen);
/*
 * Sends one RFC 5424 message: PRI from the link's facility and sev, the
 * TIMESTAMP ts_us, MSGID msgid, STRUCTURED-DATA sd ("-" when NULL or empty)
 * and msg. The SD is never cut; when the message exceeds the link's size
 * limit, msg is cut (at a UTF-8 character boundary) if may_truncate, else the
 * message is dropped and counted. 0, or -1 when something was dropped.
 */
int output_syslog_link_send(struct output_syslog_link *l, enum sw_severity sev, uint64_t ts_us,
                            const char *msgid, const char *sd, const char *msg, bool may_truncate);
/* Retries a lost connection and sends what waits; never blocks (the outputs' tick). */
void output_syslog_link_tick(struct output_syslog_link *l);
/* The link's delivery counters; any thread. */
void output_syslog_link_counters(struct output_syslog_link *l, struct output_counters *out);
/* Delivers what waits (bounded wait), reports what was lost, frees l. */
void output_syslog_link_close(struct output_syslog_link *l);

/* RFC 5424 section 6.2.1 severity for ours: notice, warning, error, critical. */
int output_syslog_severity(enum sw_severity sev);

/*
 * Formats one RFC 5424 message into buf (not NUL-counted in the return):
 * "<PRI>1 TIMESTAMP HOSTNAME scanwatch PROCID MSGID SD[ MSG]". When the whole
 * exceeds limit, msg is cut to fit if may_truncate; returns the length, or -1
 * when it cannot fit (in limit or in len). Exposed for the tests.
 */
int output_syslog_format(char *buf, size_t len, size_t limit, int pri, uint64_t ts_us,
                         const char *hostname, long pid, const char *msgid, const char *sd,
                         const char *msg, bool may_truncate);
/* The readable MSG part: one line, control bytes masked. Returns the length or -1. */
int output_syslog_render_msg(const struct sw_detection *d, char *buf, size_t len);

/*
 * Length of the well-formed UTF-8 sequence starting at s (1..4, RFC 3629
 * section 4), or 0 when the bytes there are ill-formed. n > 0.
 */
size_t output_syslog_utf8_len(const unsigned char *s, size_t n);

#endif
