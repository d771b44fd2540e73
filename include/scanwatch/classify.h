/* classify.h — packets become tracker events: probes, and the outcomes of earlier probes. */
#ifndef SCANWATCH_CLASSIFY_H
#define SCANWATCH_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "scanwatch/addr.h"
#include "scanwatch/packet.h"

/* What a probe looked like. */
enum probe_class {
	PC_TCP_SYN = 0, /* SYN opening a connection */
	PC_TCP_FIN,     /* FIN alone, no connection (stealth) */
	PC_TCP_NULL,    /* no flags */
	PC_TCP_XMAS,    /* FIN+PSH+URG */
	PC_TCP_MAIMON,  /* FIN+ACK, no connection */
	PC_TCP_ACK,     /* ACK alone, no connection */
	PC_TCP_ODD,     /* other flag sets that no stack sends to open a flow */
	PC_TCP_RST,     /* RST that answers nothing */
	PC_UDP,         /* UDP to a port with no flow */
	PC_ICMP_ECHO,   /* ICMP / ICMPv6 echo request */
	PC_ICMP_OTHER,  /* ICMP timestamp, address-mask, information requests */
	PC_ARP,         /* ARP who-has */
	PC_IPPROTO,     /* IP packet of a protocol without ports (protocol scan) */
	PC_SCTP_INIT,   /* SCTP INIT opening an association (nmap -sY) */
	PC_SCTP_COOKIE, /* SCTP COOKIE-ECHO with no association (nmap -sZ) */
	PC__COUNT
};

enum ev_type {
	EV_PROBE = 0,   /* a packet from the prober to a target */
	EV_OUTCOME = 1, /* what became of an earlier probe */
};

enum ev_outcome {
	OUT_NONE = 0,
	OUT_SUCCESS,  /* handshake completed and used, echo answered, UDP answered, ARP answered */
	OUT_EMPTY,    /* handshake completed, then torn down with no data (connect-scan shape) */
	OUT_HALFOPEN, /* SYN-ACK (SCTP INIT-ACK) answered by the prober's RST (ABORT), or by nothing
	               */
	OUT_REFUSED,  /* RST, SCTP ABORT, or ICMP port/protocol unreachable */
	OUT_UNREACH,  /* other ICMP destination unreachable (filtered) */
	OUT_TIMEOUT,  /* no answer within the probe timeout */
	OUT_USED,     /* ARP: the asker then sent ordinary traffic to the address it resolved */
	OUT_ESTABLISHED, /* TCP: the initiator's ACK completed the handshake (comes before the
	                  * flow's OUT_SUCCESS or OUT_EMPTY; only the SYN flood detector weighs it)
	                  */
	OUT__COUNT
};

/*
 * One event. `src` is always the prober and `dst` the probed target, also for
 * outcomes carried by a reply from dst. `port` is the probed port for TCP,
 * UDP and SCTP, the ICMP type for ICMP, the protocol for PC_IPPROTO, 0 for ARP.
 * `pkt` is the packet behind the event and NULL for timeouts; it is valid only
 * during the callback.
 */
struct sw_event {
	uint8_t type;    /* enum ev_type */
	uint8_t pclass;  /* enum probe_class of the probe (for outcomes: of the original probe) */
	uint8_t outcome; /* enum ev_outcome, OUT_NONE for probes */
	uint8_t crafted; /* the probe's shape is not an ordinary stack's (see classify.c) */
	uint8_t repeat;  /* a retransmission of a probe already seen on this flow */
	uint8_t proto;   /* IP protocol of the probe (0 for ARP) */
	uint16_t port;
	uint64_t ts_us;
	struct sw_addr src, dst;
	const struct sw_packet *pkt;
};

struct classify;
typedef void (*classify_sink)(void *ctx, const struct sw_event *ev);

#include <stddef.h>

#include "scanwatch/hash.h"

struct classify_stats {
	uint64_t probes, outcomes;
	uint64_t ignored;     /* packets of flows that are neither probe nor outcome */
	uint64_t path;        /* rungs of a TTL ladder (traceroute, mtr): path probes, not scans */
	uint64_t expired;     /* probes whose TTL ran out on the way (ICMP time exceeded) */
	uint64_t unrouted;    /* probes a router had no route for (classify.c, unrouted) */
	uint64_t answers;     /* datagrams answering a probe from another port (TFTP) */
	uint64_t neigh;       /* ARP requests re-resolving a neighbour known to be there */
	uint64_t dhcp_checks; /* echo requests a DHCP server's offer showed to be its conflict
	                       * check (classify.c, struct dhcp_server) */
	struct htab_stats flows;
};

/*
 * The classifier owns the flow (handshake) table: at most max_flows entries,
 * keyed by the canonical 5-tuple. It calls sink for each event, synchronously.
 * NULL on allocation failure.
 */
struct classify *classify_create(size_t max_flows, const uint8_t key[16], classify_sink sink,
                                 void *ctx);
/* Frees the classifier and its flow table (no events are emitted); NULL is a no-op. */
void classify_destroy(struct classify *c);
/* Bytes one flow entry takes (for dividing the memory cap). */
size_t classify_flow_size(void);
/*
 * One decoded packet (pkt borrowed for the call) into the flow table: it may call the sink,
 * synchronously, with probe and outcome events, zero or more. pkt->ts_us is the table's clock;
 * it never runs backwards. Packets that are neither probe nor outcome are counted (ignored,
 * path, answers...) and leave no event. Never fails: a full table evicts (counted in flows).
 */
void classify_packet(struct classify *c, const struct sw_packet *pkt);
/* Moves packet time to now: unanswered probes older than the probe timeout become
 * OUT_TIMEOUT events; finished and idle flows are forgotten. */
void classify_advance(struct classify *c, uint64_t now);
/* Copies the counters so far into *out. */
void classify_get_stats(const struct classify *c, struct classify_stats *out);
/* The SYN shape test: true when no ordinary OS stack would send this SYN. */
bool classify_syn_crafted(const struct sw_packet *pkt);

#endif
