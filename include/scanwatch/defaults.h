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

/* Default memory cap for all tracking tables together (--memory-cap). */
#define SW_DEFAULT_MEMORY_CAP (256ULL << 20)
/* Share of the cap given to the flow (handshake) table; the rest tracks sources. */
#define SW_FLOW_SHARE_PERCENT 50

/* Queue between the packet path and the writer thread (records, preallocated). */
#define SW_EMIT_QUEUE 8192

/* Default database file. */
#define SW_DEFAULT_DB "scanwatch.db"

#endif
