/* attribute.h — names the scanning tool from what its probes give away. */
#ifndef SCANWATCH_ATTRIBUTE_H
#define SCANWATCH_ATTRIBUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "scanwatch/classify.h"
#include "scanwatch/detection.h"

struct track_entry;

/* Folds one probe's tell-tales into e->attr[]. */
void attribute_note(struct track_entry *e, const struct sw_event *ev);
/* True when most probes are masscan's or zmap's: port scanners, whichever ports they ask. */
bool attribute_port_scanner(const struct track_entry *e);
/* Writes the verdict ("nmap", "masscan", "zmap", "hping3", "unknown") and adds its reason
 * (named "tool") to rec. */
void attribute_verdict(const struct track_entry *e, char *tool, size_t toollen,
                       struct sw_detection *rec);

#endif
