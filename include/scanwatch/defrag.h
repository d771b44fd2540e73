/* defrag.h — rebuilds transport headers split across IP fragments, so nmap -f cannot hide. */
#ifndef SCANWATCH_DEFRAG_H
#define SCANWATCH_DEFRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "scanwatch/decode.h"
#include "scanwatch/packet.h"

struct defrag;

/* NULL when out of memory. The table is fixed-size (DEFRAG_SLOTS), its slots chosen by
 * SipHash under key (the pipeline's). */
struct defrag *defrag_create(const uint8_t key[16]);
void defrag_destroy(struct defrag *d);
/*
 * Feeds one fragment (PKT_F_FRAG set, L4 header incomplete). When this
 * fragment completes the first DEFRAG_BYTES of its datagram's transport
 * header, *out becomes the first fragment's view with the rebuilt L4 fields
 * (PKT_F_HAS_L4 set) and the result is true; each datagram yields at most
 * one such packet.
 */
bool defrag_packet(struct defrag *d, const struct sw_packet *frag, struct sw_packet *out,
                   struct decode_stats *st);

#endif
