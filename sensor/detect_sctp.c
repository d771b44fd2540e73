/* detect_sctp.c — SCTP port scans: INIT (nmap -sY) and COOKIE-ECHO (nmap -sZ) probes. */
#include <stdio.h>

#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * RFC 9260 section 8.4: a host answers an out-of-the-blue INIT on a port
 * without a listener, and any out-of-the-blue COOKIE-ECHO, with an ABORT; a
 * listener answers INIT with INIT-ACK; a host without SCTP answers ICMP
 * protocol unreachable (IPv6: parameter problem, unrecognised next header).
 * classify turns those into outcomes. Score: distinct (target, port) pairs
 * probed with a hand-built chunk (an INIT without parameters, a COOKIE-ECHO
 * that no INIT-ACK asked for), or refused, unreachable, unanswered or left
 * half-open; a hand-built chunk whose association comes up after all is
 * given back (a small stack's INIT carries no parameter either). Telecom
 * peers (Diameter, M3UA, S1AP) keep one association to each of a few peers,
 * and their INITs are the kernel's: failures count only while they
 * outnumber the associations that came up two to one, as for UDP.
 */
/* What this detector keeps in a tracking entry besides the engine's counts (track.h,
 * TRACK_STATE). */
struct sctp_state {
	uint32_t init, cookie, crafted, failed, answered;
};
TRACK_STATE_FITS(struct sctp_state);

static inline struct sctp_state *st_of(struct track_entry *e)
{
	return TRACK_STATE(e, struct sctp_state);
}

static inline const struct sctp_state *cst_of(const struct track_entry *e)
{
	return TRACK_CSTATE(e, struct sctp_state);
}

static bool sctp_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (ev->repeat)
			return true;
		if (ev->pclass == PC_SCTP_COOKIE)
			st_of(e)->cookie++;
		else
			st_of(e)->init++;
		if (ev->crafted && track_pair_add(e, &ev->dst, ev->port)) {
			e->score++;
			st_of(e)->crafted++;
		}
		return true;
	}
	switch (ev->outcome) {
	case OUT_REFUSED:
	case OUT_UNREACH:
	case OUT_TIMEOUT:
	case OUT_HALFOPEN:
		if (track_pair_add(e, &ev->dst, ev->port))
			e->score++;
		if (track_failed_add(e, &ev->dst, ev->port))
			st_of(e)->failed++;
		break;
	case OUT_SUCCESS:
	case OUT_EMPTY:
		if (track_answered_add(e, &ev->dst, ev->port))
			st_of(e)->answered++;
		/* The hand-built-looking chunk was a small stack's: its association came up and
		 * carried DATA or was shut down (nmap never answers an INIT-ACK with the
		 * COOKIE-ECHO it asks for), as halfopen gives back a SYN whose connection did. */
		if (ev->crafted && st_of(e)->crafted > 0) {
			st_of(e)->crafted--;
			if (e->score > 0)
				e->score--;
		}
		break;
	default:
		break;
	}
	return true;
}

static bool sctp_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	if (e->score < r->threshold)
		return false;
	return cst_of(e)->crafted >= r->threshold ||
	       cst_of(e)->failed >= DETECT_FAIL_PER_ANSWER * (uint64_t)cst_of(e)->answered;
}

static enum sw_kind sctp_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_SCTP_SCAN;
}

/* Which chunk the scan sent: nmap -sY sends INIT, -sZ COOKIE-ECHO. */
static void sctp_describe(const struct sw_rule *r, const struct track_entry *e,
                          struct sw_detection *rec)
{
	(void)r;
	detection_reason(rec, "sctp_chunks", (uint64_t)cst_of(e)->init + cst_of(e)->cookie,
	                 "SCTP chunks: %u INIT, %u COOKIE-ECHO", (unsigned)cst_of(e)->init,
	                 (unsigned)cst_of(e)->cookie);
}

const struct detector detect_sctp = {
    .name = "sctp",
    .probes_belong = true,
    .summary = "SCTP port scans (INIT and COOKIE-ECHO probes, nmap -sY -sZ)",
    .classes = 1u << PC_SCTP_INIT | 1u << PC_SCTP_COOKIE,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .on_event = sctp_event,
    .crossed = sctp_crossed,
    .kind = sctp_kind,
    .describe = sctp_describe,
};
