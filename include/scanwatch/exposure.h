/* exposure.h — what each scanner learned: the services and hosts that answered it, kept beside
 * the tracking entries (not in them) and copied into the detection record. */
#ifndef SCANWATCH_EXPOSURE_H
#define SCANWATCH_EXPOSURE_H

#include <stddef.h>
#include <stdint.h>

#include "scanwatch/classify.h"
#include "scanwatch/detection.h"

/*
 * A side table of exposure sets, one per tracking entry that was answered at
 * least once, keyed by the entry's address (entries live in a fixed pool and
 * never move; the engine drops an entry's set before the slot is reused). An
 * entry with no answers costs nothing here; the engine marks the entries that
 * have a set with one byte that sits in struct track_entry's tail padding.
 *
 * A set grows 4 -> 16 -> DET_EXPOSURE_MAX items of 24 bytes (sizeof struct
 * det_exposed) behind a 32-byte header: 128, 416 and at most 1,568 bytes per
 * answered entry, plus at most 16 bytes of map (8-byte slots, at most half
 * full). All of it comes from a byte budget; when the budget is spent a new
 * set is refused (the entry's record then says its exposure went unrecorded)
 * and a set that cannot grow counts further services as unlisted.
 */
struct exposure;

/* The engine's marks on an entry (the flag byte exposure_note and exposure_drop keep). */
enum { EXPOSURE_NONE = 0, EXPOSURE_SET = 1, EXPOSURE_DENIED = 2 };

struct exposure_stats {
	uint64_t sets;   /* sets made */
	uint64_t denied; /* sets refused or not grown for want of budget */
	size_t used;     /* bytes held now (sets and map) */
	size_t limit;    /* the budget */
};

/* A table holding at most limit bytes; NULL on allocation failure. */
struct exposure *exposure_create(size_t limit);
/* Frees the table and every set; NULL is a no-op. */
void exposure_destroy(struct exposure *x);
/* What outcome ev reveals to the prober (REVEAL_NONE for probes and failures). */
enum det_reveal exposure_reveal(const struct sw_event *ev);
/*
 * Folds an outcome that revealed r (not REVEAL_NONE) into owner's set, making it on the first
 * answer. *flag is the owner's mark (EXPOSURE_*), read and updated here. Never fails: a refused
 * set leaves *flag EXPOSURE_DENIED.
 */
void exposure_note(struct exposure *x, const void *owner, uint8_t *flag, const struct sw_event *ev,
                   enum det_reveal r);
/* Copies owner's set into out (zeroed first; left zero when owner has none). */
void exposure_fill(const struct exposure *x, const void *owner, uint8_t flag,
                   struct det_exposure *out);
/* Frees owner's set (the entry leaves the table or restarts its window); *flag becomes
 * EXPOSURE_NONE. A no-op for an unmarked owner. */
void exposure_drop(struct exposure *x, const void *owner, uint8_t *flag);
void exposure_get_stats(const struct exposure *x, struct exposure_stats *out);

#endif
