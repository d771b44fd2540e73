/* net.h — collector URLs and a non-blocking message sender (UDP, TCP, TLS) with reconnect, backoff
 * and a bounded backlog. */
#ifndef SCANWATCH_NET_H
#define SCANWATCH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum net_proto {
	NET_UDP = 0,
	NET_TCP = 1,
	NET_TLS = 2,  /* TCP with TLS (RFC 5425), net_tls.c */
	NET_RELP = 3, /* RELP through librelp, net_relp.c */
	NET_NATS = 4, /* NATS (JetStream), through the NATS C client: output_nats.c */
};

#define NET_HOST_MAX  256
#define NET_PORT_MAX  8
#define NET_QUERY_MAX 256

/*
 * A parsed "udp://host:port?k=v&k=v" or "tcp://[2001:db8::1]:port". The port
 * may be omitted (default_port of net_url_parse). The query holds the
 * output's options (e.g. facility=local3), kept raw for net_url_param.
 */
struct net_url {
	enum net_proto proto;
	char host[NET_HOST_MAX];
	char port[NET_PORT_MAX];
	char query[NET_QUERY_MAX];
	/* nats:// only: "USER:PASS@" (user and pass) or "TOKEN@" (user alone, no pass) */
	bool has_userinfo;
	char user[NET_HOST_MAX];
	char pass[NET_HOST_MAX];
};

/* True when target starts with "udp://", "tcp://", "tls://", "relp://" or "nats://" (then it is a
 * URL, not a path). */
bool net_is_url(const char *target);
/*
 * The one parser of collector URLs (the command line's --syslog and --cef and the configuration
 * file's targets reach it alike). 0 and *out, or -1 with what is wrong in err; the message does
 * not repeat the text, the caller names the target.
 */
int net_url_parse(const char *text, const char *default_port, struct net_url *out, char *err,
                  size_t errlen);
/*
 * Looks key up in the URL's query: 1 and the value in val (NUL-terminated),
 * 0 when absent, -1 when the value does not fit in vlen.
 */
int net_url_param(const struct net_url *u, const char *key, char *val, size_t vlen);
/*
 * Checks that every query key is one of the NULL-terminated list allowed, so
 * a misspelt option is an error at start-up rather than silently ignored.
 * 0, or -1 with a message in err.
 */
int net_url_check_params(const struct net_url *u, const char *const *allowed, char *err,
                         size_t errlen);

/*
 * The options a tls:// URL takes besides the output's own (NULL-terminated): ca=FILE (PEM
 * CAs the collector's certificate must chain to; default the system trust store),
 * cert=FILE and key=FILE (PEM client certificate and key, together), name=PEER (the name
 * the collector's certificate must carry; default the URL's host), insecure=1 (no
 * verification at all).
 */
extern const char *const net_tls_options[];

/* Counters of a sender; readable from any thread (net_sender_get_stats). */
struct net_sender_stats {
	uint64_t sent;       /* messages wholly handed to the kernel */
	uint64_t dropped;    /* messages discarded: backlog full, unsendable, or left at close */
	uint64_t reconnects; /* connections established after the first one */
	uint64_t failures;   /* connect attempts or sends that failed */
	uint32_t backlog;    /* messages waiting now */
	uint32_t backlog_max;
	uint32_t unconfirmed; /* RELP: at most this many sent records never acknowledged (exit) */
	bool connected;
};

struct net_sender;

/*
 * Resolves the URL's host (once: reconnects never block on DNS) and starts
 * connecting. It waits at most NET_CONNECT_TIMEOUT_MS for the first
 * connection so a replay starts delivering at once; a collector that is not
 * up yet is not an error (messages wait in the backlog). Over TLS the first
 * handshake is waited for too (NET_HANDSHAKE_TIMEOUT_MS): a certificate that
 * fails verification then is a configuration error (NULL, what is wrong in
 * err); later failures are retried with backoff. backlog_max bounds
 * the messages kept while the collector is unreachable. Returns NULL with a
 * message in err when the URL cannot be resolved or memory is short. The
 * caller owns the sender; label names it in diagnostics.
 */
struct net_sender *net_sender_open(const struct net_url *u, size_t backlog_max, const char *label,
                                   char *err, size_t errlen);
/*
 * Queues one message (copied; over TCP and TLS framed as RFC 6587 octet
 * counting) and sends what the socket takes now. Never blocks, except over
 * RELP, whose calls wait (bounded by librelp's timeouts, net_relp.c) on the
 * writer thread that runs the outputs. When the backlog is full the oldest
 * message not yet partly sent is dropped and counted.
 * Returns 0, or -1 when a message was dropped.
 */
int net_sender_send(struct net_sender *s, const char *msg, size_t len);
/* Retries a connection whose backoff expired and sends what waits; never blocks (RELP: bounded). */
void net_sender_poll(struct net_sender *s);
/*
 * Tries for at most timeout_ms to deliver the backlog (at exit: one
 * immediate reconnect attempt, then waits for the socket). What is still
 * left is counted as dropped. Returns the number of messages dropped.
 */
size_t net_sender_drain(struct net_sender *s, int timeout_ms);
/* Copies the counters into *out; any thread (they are atomics). */
void net_sender_get_stats(const struct net_sender *s, struct net_sender_stats *out);
/* Closes the socket and frees the sender and any message still queued (not counted). */
void net_sender_close(struct net_sender *s);

/* --- TLS (net_tls.c), used by the sender for tls:// URLs ----------------------------------- */

struct net_tls_conf;
struct net_tls;

enum {
	NET_TLS_DONE = 0,
	NET_TLS_AGAIN = 1,    /* wait for *events on the socket, then call again */
	NET_TLS_FAIL = -1,    /* the handshake failed (err): retry later */
	NET_TLS_REFUSED = -2, /* the collector's certificate failed verification (err) */
};

/*
 * Reads a tls:// URL's options (net_tls_options) and loads the files they name: the CAs,
 * the client certificate and its key (checked to match). NULL with a one-line message in
 * err naming the option and file when one is missing, unreadable or not PEM. The caller
 * owns the result.
 */
struct net_tls_conf *net_tls_conf_load(const struct net_url *u, char *err, size_t errlen);
bool net_tls_conf_insecure(const struct net_tls_conf *c);
void net_tls_conf_free(struct net_tls_conf *c);
/* A client session on the connected non-blocking socket fd (not owned); NULL with err. */
struct net_tls *net_tls_start(const struct net_tls_conf *c, int fd, char *err, size_t errlen);
/* One step of the handshake: NET_TLS_DONE, NET_TLS_AGAIN (*events: POLLIN or POLLOUT), or a
 * failure with a one-line message in err. */
int net_tls_handshake(struct net_tls *t, short *events, char *err, size_t errlen);
/* Sends up to len bytes as TLS records: the count taken (0: the socket is full; call again
 * with the same bytes), or -1 with err. */
ssize_t net_tls_send(struct net_tls *t, const void *buf, size_t len, char *err, size_t errlen);
/* True when the collector closed the session or the connection (fd is the session's). */
bool net_tls_peer_gone(struct net_tls *t, int fd);
/* Frees the session (close_notify first when notify); the socket stays open. */
void net_tls_end(struct net_tls *t, bool notify);

/* --- RELP (net_relp.c), used by the sender for relp:// URLs; every call may block (bounded) */

struct net_relp;

/* A RELP client for u's host and port (resolved by librelp at each connect); NULL with err. */
struct net_relp *net_relp_new(const struct net_url *u, int family, char *err, size_t errlen);
/* Opens the session, or re-opens a broken one and sends again every frame not acknowledged
 * on it. 0, or -1 with err. */
int net_relp_connect(struct net_relp *r, char *err, size_t errlen);
/* Hands one record to the session: 0 when written (acknowledged later, or sent again by the
 * next net_relp_connect), -1 with err when the session broke before it was written. */
int net_relp_send(struct net_relp *r, const char *msg, size_t len, char *err, size_t errlen);
/* The most frames written and not yet acknowledged. */
int net_relp_window(void);
/* Closes the session politely and frees r: 0 when the collector answered the close (every
 * record acknowledged), -1 when some may not have been. */
int net_relp_free(struct net_relp *r);

#endif
