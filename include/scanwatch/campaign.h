/* campaign.h — sources scanning together: detections of the same shape, time and targets get one
 * campaign id (sensor/campaign.c states the rule). */
#ifndef SCANWATCH_CAMPAIGN_H
#define SCANWATCH_CAMPAIGN_H

#include <stdint.h>

#include "scanwatch/detection.h"

struct campaign;

/* Receives a record to emit (detect.h's detect_emit_fn). */
typedef void (*campaign_emit_fn)(void *ctx, const struct sw_detection *d);

struct campaign_stats {
	uint64_t formed;    /* campaigns given an id */
	uint64_t joined;    /* detections that joined one */
	uint64_t reissued;  /* CLOSE records sent again to carry a campaign found after them */
	uint64_t forgotten; /* detections pushed out of the table before their window ended */
};

/* A correlator remembering at most CAMPAIGN_RECENT detections; window_us is how long after a
 * detection's last probe another may still join it. NULL on allocation failure. */
struct campaign *campaign_create(uint64_t window_us);
void campaign_destroy(struct campaign *c);
/* A new window (rules reloaded); what is remembered stays. */
void campaign_set_window(struct campaign *c, uint64_t window_us);
/*
 * Called with each record just before it is emitted: template is attribute_template() of the
 * detection's entry. Sets rec->campaign (and adds a "campaign" reason) when the detection
 * belongs to one. When this record founds a campaign with detections that already closed,
 * their CLOSE records are sent again through emit, carrying the id, before this call returns.
 */
void campaign_note(struct campaign *c, struct sw_detection *rec, int template,
                   campaign_emit_fn emit, void *ctx);
void campaign_get_stats(const struct campaign *c, struct campaign_stats *out);

#endif
