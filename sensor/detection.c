/* detection.c — names of the detection vocabularies (kind, severity, phase), their parsers, tags.
 */
#include "scanwatch/detection.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Generated from the X-macro so the table can never drift from enum sw_kind. */
static const char *const kind_names[KIND__COUNT] = {
#define X(sym, name) [KIND_##sym] = name,
    DETECTION_KINDS(X)
#undef X
};

static const char *const severity_names[] = {
    [SEV_LOW] = "low",
    [SEV_MEDIUM] = "medium",
    [SEV_HIGH] = "high",
    [SEV_CRITICAL] = "critical",
};

static const char *const phase_names[] = {
    [DET_OPEN] = "open",
    [DET_UPDATE] = "update",
    [DET_CLOSE] = "close",
};

/*
 * The name functions take values that may come from a corrupt or future
 * record; out-of-range values map to "unknown" rather than to NULL so a sink
 * can print them without a check (and the store's CHECK rejects them).
 */
const char *detection_kind_name(enum sw_kind k)
{
	if ((unsigned)k >= KIND__COUNT)
		return "unknown";
	return kind_names[k];
}

int detection_kind_parse(const char *name, enum sw_kind *out)
{
	if (name == NULL)
		return -1;
	for (unsigned i = 0; i < KIND__COUNT; i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (enum sw_kind)i;
			return 0;
		}
	}
	return -1;
}

const char *detection_severity_name(enum sw_severity s)
{
	if ((unsigned)s < SEV_LOW || (unsigned)s > SEV_CRITICAL)
		return "unknown";
	return severity_names[s];
}

int detection_severity_parse(const char *name, enum sw_severity *out)
{
	if (name == NULL)
		return -1;
	for (unsigned i = SEV_LOW; i <= SEV_CRITICAL; i++) {
		if (strcmp(name, severity_names[i]) == 0) {
			*out = (enum sw_severity)i;
			return 0;
		}
	}
	return -1;
}

const char *detection_phase_name(enum det_phase p)
{
	if ((unsigned)p > DET_CLOSE)
		return "unknown";
	return phase_names[p];
}

int detection_add_tag(struct sw_detection *d, const char *tag, size_t len)
{
	if (d->n_tags >= DET_TAGS_MAX || len == 0 || len >= DET_TAG_MAX)
		return -1;
	memcpy(d->tags[d->n_tags], tag, len);
	d->tags[d->n_tags][len] = '\0';
	d->n_tags++;
	return 0;
}

/* Length of s cut to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/*
 * vsnprintf for the conversions reason texts use most: %s, %u, %d, %lu, %ld, %llu, %lld, %zu
 * and %%, without flags, width or precision. Returns what vsnprintf would (the length of the
 * whole text, at most size - 1 bytes of it written and terminated), or -1 before reading any
 * argument when fmt has anything else (%.2f, %.*s), for vsnprintf to do. Every record formats
 * a handful of reasons: with vsnprintf that was 18% of the packet thread's instructions on a
 * capture of 20,000 small scans (callgrind, 242,322 calls of 1,300 instructions each).
 */
static int fmt_reason(char *buf, size_t size, const char *fmt, va_list ap)
{
	for (const char *f = fmt; *f; f++) {
		if (*f != '%')
			continue;
		f++;
		if (*f == 'l' && f[1] == 'l')
			f += 2;
		else if (*f == 'l' || *f == 'z')
			f++;
		if (*f != 's' && *f != 'u' && *f != 'd' && *f != '%')
			return -1;
		if (*f == '%' && f[-1] != '%')
			return -1; /* "%l%": not a conversion vsnprintf would take either */
	}
	size_t n = 0;
	char num[24];
	for (const char *f = fmt; *f; f++) {
		const char *piece = f;
		size_t len = 1;
		if (*f != '%') { /* the literal run up to the next conversion, in one copy */
			const char *end = strchrnul(f, '%');
			len = (size_t)(end - f);
			f = end - 1;
		} else {
			f++;
			int longs = 0;
			bool size_t_ = false;
			if (*f == 'l' && f[1] == 'l') {
				longs = 2;
				f += 2;
			} else if (*f == 'l') {
				longs = 1;
				f++;
			} else if (*f == 'z') {
				size_t_ = true;
				f++;
			}
			if (*f == 's') {
				piece = va_arg(ap, const char *);
				len = strlen(piece);
			} else if (*f == '%') {
				piece = f;
			} else {
				unsigned long long u;
				bool neg = false;
				if (*f == 'u')
					u = size_t_      ? va_arg(ap, size_t)
					    : longs == 2 ? va_arg(ap, unsigned long long)
					    : longs == 1 ? va_arg(ap, unsigned long)
					                 : va_arg(ap, unsigned);
				else {
					long long v = size_t_      ? (long long)va_arg(ap, size_t)
					              : longs == 2 ? va_arg(ap, long long)
					              : longs == 1 ? va_arg(ap, long)
					                           : va_arg(ap, int);
					neg = v < 0;
					u = neg ? 0ULL - (unsigned long long)v
					        : (unsigned long long)v;
				}
				char *e = num + sizeof num, *p = e;
				do {
					*--p = (char)('0' + u % 10);
					u /= 10;
				} while (u);
				if (neg)
					*--p = '-';
				piece = p;
				len = (size_t)(e - p);
			}
		}
		if (n < size) {
			size_t room = size - 1 - n;
			memcpy(buf + n, piece, len < room ? len : room);
		}
		n += len;
	}
	if (size)
		buf[n < size ? n : size - 1] = '\0';
	return n > INT_MAX ? -1 : (int)n;
}

struct det_reason *detection_reason(struct sw_detection *d, const char *name, uint64_t count,
                                    const char *fmt, ...)
{
	if (d->n_reasons >= DET_REASONS_MAX)
		return NULL;
	struct det_reason *r = &d->reasons[d->n_reasons++];
	char text[DET_REASON_TEXT * 2];
	va_list ap;
	size_t n = strlen(name);
	n = n < DET_REASON_NAME - 1 ? n : DET_REASON_NAME - 1;
	memcpy(r->name, name, n);
	r->name[n] = '\0';
	r->count = count;
	va_start(ap, fmt);
	int w = fmt_reason(text, sizeof text, fmt, ap);
	va_end(ap);
	if (w < 0) { /* a conversion fmt_reason leaves to vsnprintf: no argument read yet */
		va_start(ap, fmt);
		w = vsnprintf(text, sizeof text, fmt, ap);
		va_end(ap);
	}
	n = w < 0 ? 0 : (size_t)w < sizeof text ? (size_t)w : sizeof text - 1;
	n = utf8_cut(text, n, DET_REASON_TEXT - 1);
	memcpy(r->text, text, n);
	r->text[n] = '\0';
	return r;
}

size_t detection_evidence(const struct sw_detection *d, char *buf, size_t len)
{
	size_t n = 0;
	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < d->n_reasons && i < DET_REASONS_MAX; i++) {
		size_t t = strnlen(d->reasons[i].text, DET_REASON_TEXT);
		if (t == 0)
			continue;
		size_t sep = n > 0 ? 2 : 0;
		if (n + sep + t >= len)
			break;
		memcpy(buf + n, "; ", sep);
		memcpy(buf + n + sep, d->reasons[i].text, t);
		n += sep + t;
		buf[n] = '\0';
	}
	return n;
}

static const char *const reveal_names[REVEAL__COUNT] = {
#define X(sym, name) [REVEAL_##sym] = name,
    DETECTION_REVEALS(X)
#undef X
};

const char *detection_reveal_name(enum det_reveal r)
{
	if ((unsigned)r >= REVEAL__COUNT || reveal_names[r] == NULL)
		return "unknown";
	return reveal_names[r];
}

int detection_reveal_parse(const char *name, enum det_reveal *out)
{
	if (name == NULL)
		return -1;
	for (unsigned i = 1; i < REVEAL__COUNT; i++)
		if (strcmp(name, reveal_names[i]) == 0) {
			*out = (enum det_reveal)i;
			return 0;
		}
	return -1;
}

bool detection_reveal_is_service(enum det_reveal r)
{
	return r == REVEAL_SYN_ACK || r == REVEAL_UDP_REPLY || r == REVEAL_INIT_ACK ||
	       r == REVEAL_PROTO_REPLY;
}

void detection_exposure_counts(const struct det_exposure *x, unsigned *services, unsigned *hosts)
{
	unsigned s = 0, h = 0;
	for (unsigned i = 0; i < x->n && i < DET_EXPOSURE_MAX; i++) {
		if (detection_reveal_is_service((enum det_reveal)x->item[i].reveal))
			s++;
		else
			h++;
	}
	*services = s;
	*hosts = h;
}

size_t detection_exposed_text(const struct det_exposed *x, char *buf, size_t len)
{
	char a[ADDR_TEXT_MAX];
	const char *tp = x->proto == 6     ? "tcp"
	                 : x->proto == 17  ? "udp"
	                 : x->proto == 132 ? "sctp"
	                                   : NULL;
	int n;
	if (len == 0)
		return 0;
	addr_format(&x->host, a);
	if (x->reveal == REVEAL_PROTO_REPLY)
		n = snprintf(buf, len, "%s proto/%u", a, x->proto);
	else if (detection_reveal_is_service((enum det_reveal)x->reveal) && tp)
		n = snprintf(buf, len, "%s %u/%s", a, x->port, tp);
	else
		n = snprintf(buf, len, "%s %s", a,
		             detection_reveal_name((enum det_reveal)x->reveal));
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n < len ? (size_t)n : len - 1;
}
