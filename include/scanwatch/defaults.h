/* defaults.h — every built-in tunable, with why it has its value (scanlogd params.h style). */
#ifndef SCANWATCH_DEFAULTS_H
#define SCANWATCH_DEFAULTS_H

/*
 * A probe that has no answer after this long counts as unanswered (filtered /
 * host down). nmap's default max RTT timeout is 10 s but its initial one is
 * 1 s; answers on a LAN or the Internet come well inside 3 s, and a longer
 * wait only delays the TIMEOUT outcome that TRW needs.
 */
#define SW_PROBE_TIMEOUT_US (3ULL * 1000000)

/* An established flow with no packet for this long is forgotten (conntrack keeps 5 days;
 * we only need to recognise the flow's later packets as not-probes). */
#define SW_FLOW_IDLE_US (300ULL * 1000000)

/* A finished flow (RST or FIN seen) is remembered this long, so trailing ACKs, FIN-ACKs and
 * retransmissions are matched to it instead of looking like stealth probes (TIME_WAIT-like). */
#define SW_FLOW_LINGER_US (30ULL * 1000000)

/*
 * A kernel SYN retransmitted (same 4-tuple, same ISN) waits this long for its
 * next retransmission or answer. RFC 6298 section 5 doubles the timeout after
 * each one (Linux: 1, 2, 4, 8, 16 s), so a connection on a lossy link is one
 * attempt across its retransmissions rather than a string of unanswered
 * probes; 10 s bridges the gaps up to the fourth retransmission (15 s in).
 */
#define SW_SYN_RETRY_US (10ULL * 1000000)

/*
 * Path probes (traceroute, tcptraceroute, mtr) climb a TTL ladder from 1; a
 * probe with a TTL above this is no rung of one (their default maximum is 30
 * hops). Each rung may be tried SW_PATH_PER_TTL times (traceroute -q is at
 * most 10, mtr --report sends 10 by default) before further probes of the same
 * source and target count as ordinary probes again, so a scanner that cycles
 * its TTL to pass as a traceroute hides at most that many probes per target.
 */
#define SW_PATH_MAX_TTL 32
#define SW_PATH_PER_TTL 10
/* A pair's ladder is forgotten after this long without a rung. */
#define SW_PATH_IDLE_US (60ULL * 1000000)

/* A host that sent anything is a known neighbour for this long: an ARP request for it
 * re-resolves it (Linux re-probes stale neighbours, a gateway re-ARPs hosts that left)
 * and asks for no one new. */
#define SW_NEIGH_KNOWN_US (3600ULL * 1000000)

/* A refused probe's flow is remembered this long: long enough for the prober's own reset of
 * the answer (masscan resets every RST/ACK it gets), short enough that a fast scan's refused
 * probes do not fill the table. */
#define SW_REFUSED_LINGER_US (2ULL * 1000000)

/* How often, in packet time, idle detections and expired probes are swept. */
#define SW_SWEEP_INTERVAL_US (250ULL * 1000)

/* A record of an open detection is re-emitted (UPDATE) at most this often, and only when
 * its probe count grew, so a long scan is one row kept fresh, not a stream of alerts. */
#define SW_UPDATE_INTERVAL_US (10ULL * 1000000)

/* Live packet time trails the wall clock by this much when ticking without packets: more than
 * the capture's block timeout (100 ms), so every packet still in the ring is newer. */
#define SW_LIVE_TICK_LAG_US (1000ULL * 1000)

/* Live capture: statistics are logged (and stored) this often by default. */
#define SW_STATS_INTERVAL_US (60ULL * 1000000)

/* The capture reader's ring (readahead.h), with three workers or more: twice libpcap's largest
 * snap length and some, about 16,000 small packets in flight; a fixed cost outside the cap. */
#define SW_READAHEAD_RING (2ULL << 20)

/* Default memory cap for all tracking tables together (--memory-cap). */
#define SW_DEFAULT_MEMORY_CAP (256ULL << 20)
/*
 * One part in this many of the cap holds evidence packets (evidence.h): 16 MiB of the
 * default 256 MiB, about 56,000 packets of 256 bytes (296 bytes each in the arena), the full
 * samples of some 780 detections at once. Without evidence (--no-evidence) the tables get it back.
 */
#define SW_EVIDENCE_SHARE 16
/*
 * One part in this many of the cap is the writer's (emit.h, emit_plan_for): the records
 * waiting for it and their evidence packets, half each. 16 MiB of the default 256 MiB: some
 * 760 records waiting and 8 MiB of packets. It comes off the top like the evidence share, so
 * the cap bounds the queue too: the queue is preallocated and, once a burst has filled it,
 * resident (a full queue of 4,096 records outside the cap was 28 MiB, and replaying 5,000
 * small scans with --memory-cap 8M peaked at 57 MB).
 */
#define SW_EMIT_SHARE 16
/*
 * Evidence bytes waiting in the writer's queue, at most (and half the writer's share when that
 * is less): live, a record whose packets would pass this goes without them (counted); in a
 * replay it waits for the writer (emit.c). 8 MiB is some 400 full samples, more than a burst
 * of detections brings between two batches of the writer.
 */
#define SW_EMIT_EVIDENCE_BYTES (8ULL << 20)
/* The least evidence room a small cap's writer gets: three full samples (a sample is at most
 * 72 packets of 296 bytes in the arena's terms, 21 KiB). */
#define SW_EMIT_EVIDENCE_MIN (64ULL << 10)
/*
 * With --db, one part in this many of the cap, at most STORE_CACHE_BYTES (16 MiB, store.h),
 * is the database's page cache (the default cap's share is the whole 16 MiB), and the live
 * statistics' second handle gets SW_STORE_STATS_CACHE: both come off the top, so the cap
 * bounds SQLite's memory as well.
 */
#define SW_STORE_SHARE       16
#define SW_STORE_STATS_CACHE (256ULL << 10)
/* Share of the cap given to the flow (handshake) table; the rest tracks sources. */
#define SW_FLOW_SHARE_PERCENT 50

/* Queue between the packet path and the writer thread, in records (preallocated: a record is
 * 5.4 KiB with its reasons and exposure list): the most a writer's share may hold, and the
 * least it is given whatever the cap (a few records' worth past a tiny cap's share). */
#define SW_EMIT_QUEUE     4096
#define SW_EMIT_QUEUE_MIN 4

/* Default database file. */
#define SW_DEFAULT_DB "scanwatch.db"

#endif
