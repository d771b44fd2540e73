/* detect_template.c — the detector to copy: a source probing many (target, port) pairs with one
 * probe class. Compiled, never registered.
 *
 * A new detector is this file copied and one line in detect.c's DETECTORS list:
 *   1. cp sensor/detect_template.c sensor/detect_NAME.c; rename template to NAME throughout,
 *      and the symbol to detect_NAME.
 *   2. Fill the struct detector at the end; detect.h documents each member's contract (what
 *      the engine calls, when, and what it does with the answer). Choose .classes: only those
 *      probe classes' events reach on_event.
 *   3. Keep the score meaningful for the rule's threshold (rules/default.yaml), and say in a
 *      comment what it counts; the engine does the generic counting (targets, ports, samples).
 *      Anything else the detector must remember per entry goes in a struct of its own, reached
 *      with TRACK_STATE (track.h): at most TRACK_DET_STATE bytes, zero at every window reset.
 *   4. Add X(detect_NAME) to DETECTORS in detect.c, a rule using `detector: NAME` to
 *      rules/default.yaml, and a test to tests/unit/test_detect.c.
 *
 * Why it is compiled but not registered: CMake compiles every .c file of sensor/, so a change to
 * struct detector, struct sw_event or the track_* helpers breaks this file's build at once;
 * detect.c's registry does not list it, so no rule can name it (`--list-detectors` does not
 * show it). tests/unit/test_templates.c feeds it events and checks it stays unregistered.
 */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/* What this detector keeps in an entry besides the engine's counts: the build fails if it
 * outgrows the entry's room. */
struct template_state {
	uint32_t repeats; /* retransmissions seen, for the record's reasons */
};
TRACK_STATE_FITS(struct template_state);

/*
 * Score: distinct (target, port) pairs probed; a retransmission is no new pair. A client
 * talks to a handful of services; a scan asks for many.
 */
static bool template_event(const struct sw_rule *r, struct track_entry *e,
                           const struct sw_event *ev)
{
	(void)r;
	if (ev->type != EV_PROBE)
		return false; /* outcomes are not ours: the entry stays as if they had not come */
	if (ev->repeat)
		TRACK_STATE(e, struct template_state)->repeats++;
	else if (track_pair_add(e, &ev->dst, ev->port))
		e->score++;
	return true; /* ours: the engine counts the probe's target, port and sample */
}

/* What only this detector knows, as a reason on the record (a const entry: TRACK_CSTATE). */
static void template_describe(const struct sw_rule *r, const struct track_entry *e,
                              struct sw_detection *rec)
{
	(void)r;
	uint32_t n = TRACK_CSTATE(e, struct template_state)->repeats;
	if (n)
		detection_reason(rec, "retransmitted", n, "%u probe(s) sent again", (unsigned)n);
}

/* One kind whatever the entry holds; a detector may choose by what it saw. */
static enum sw_kind template_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_UDP_SCAN;
}

/* Declared here, not in detect.h: nothing but the template's test may use it. */
extern const struct detector detect_template;

const struct detector detect_template = {
    .name = "template",
    .summary = "copy-me example: many (target, port) pairs of one probe class",
    .classes = 1u << PC_UDP,
    .default_group = GROUP_SRC,
    .outcomes = false,     /* never looks at outcomes: they are not dispatched to it */
    .probes_belong = true, /* on_event takes every probe it is given */
    .on_event = template_event,
    .kind = template_kind, /* .crossed NULL: score >= threshold */
    .describe = template_describe,
};
