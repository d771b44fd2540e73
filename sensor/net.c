/* net.c — collector URLs and the sender (UDP, TCP, TLS non-blocking; RELP through librelp;
 * reconnect, backoff, bounded backlog) for network outputs. */
#include "scanwatch/net.h"

/*
 * What "sent" means (README, "Delivery guarantees"). Over TCP and TLS a message leaves the
 * backlog once the kernel has taken all of it: syslog has no application acknowledgement
 * (RFC 6587, RFC 5425). Messages wait in the backlog, and nothing is lost, while the
 * collector is down, refuses, closes (peer_gone, checked before every write) or fails the
 * TLS handshake. But messages the kernel took before the collector died with them unread,
 * or before its host vanished (TCP_USER_TIMEOUT below), are lost and stay counted as sent:
 * at most what the connection held, the records of the last NET_USER_TIMEOUT_MS. Keeping
 * them until TCP acknowledged them (SIOCOUTQ) would not help: a TCP-acknowledged message
 * can still die in the collector's receive buffer. tests/netns/test_syslog_cut.sh measures
 * that loss. relp:// (net_relp.c) closes it with RELP's per-record answers.
 */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * A connection attempt that has not completed after this long is abandoned
 * and retried with backoff. A collector on the same LAN or host answers a
 * SYN in well under a millisecond; one second also covers a WAN round trip
 * with a lost SYN... barely, which is what the retry is for. It is also the
 * longest open() waits for the first connection.
 */
#define NET_CONNECT_TIMEOUT_MS 1000
/*
 * A TLS handshake (RFC 5425) not finished after this long is abandoned and
 * retried with backoff like a connect. It takes two round trips and the
 * collector's signature, milliseconds on a LAN; the margin covers a loaded
 * collector. It is also the longest open() waits for the first handshake,
 * whose verdict on the certificate decides whether the sensor starts.
 */
#define NET_HANDSHAKE_TIMEOUT_MS 3000
/* Backoff between connection attempts: starts small so a restarted collector is found
 * quickly, doubles on each failure, and caps so an outage of hours costs two attempts a
 * minute. */
#define NET_BACKOFF_MIN_US (500ULL * 1000)
#define NET_BACKOFF_MAX_US (30ULL * 1000000)
/*
 * Data the collector has not acknowledged after this long fails the
 * connection (TCP_USER_TIMEOUT, RFC 5482): a collector that vanished without
 * a FIN or RST (host down, cable out) is noticed in seconds, not after the
 * kernel's ~15 minutes of retransmissions, and its messages go back to
 * waiting in the backlog instead of sitting in a dead socket.
 */
#define NET_USER_TIMEOUT_MS 10000
/* Most addresses kept from the resolver; reconnects rotate through them. */
#define NET_ADDRS_MAX 4

struct net_msg {
	char *buf;
	size_t len;
};

struct net_sender {
	enum net_proto proto;
	char label[NET_HOST_MAX + 32];
	struct sockaddr_storage addrs[NET_ADDRS_MAX];
	socklen_t addrlens[NET_ADDRS_MAX];
	int naddrs, next_addr;

	int fd;          /* -1 when not connected or connecting */
	bool connecting; /* TCP, TLS: connect() in progress */
	/* RELP: the librelp client, and whether its session is open. */
	struct net_relp *relp;
	bool relp_up;
	atomic_uint_fast32_t unconfirmed;
	/* TLS: the credentials (loaded once, at open), the session of the current connection,
	 * whether its handshake is still going on, and whether the last record send would have
	 * blocked (GnuTLS then holds the head message's bytes: it must not be dropped). */
	struct net_tls_conf *tls_conf;
	struct net_tls *tls;
	bool handshaking, tls_pending;
	bool opening;  /* inside net_sender_open: a refused certificate is its error, not a retry */
	bool refused;  /* ... and it was refused (the reason in why) */
	short want;    /* the poll events awaited: POLLOUT, or POLLIN mid-handshake */
	char why[256]; /* the last handshake or TLS failure, for the report */
	bool ever_connected;
	bool down_logged; /* an outage was reported; the next success is reported too */
	uint64_t connect_started_us;
	uint64_t retry_at_us; /* no attempt (TCP connect, UDP resend) before this */
	uint64_t backoff_us;

	/* Backlog: a ring of framed messages; the first may be partly sent (off bytes). */
	struct net_msg *ring;
	size_t cap, head, count, off;

	atomic_uint_fast64_t sent, dropped, reconnects, failures;
	atomic_uint_fast32_t depth, depth_max;
	atomic_bool connected;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool net_is_url(const char *target)
{
	return target != NULL &&
	       (strncmp(target, "udp://", 6) == 0 || strncmp(target, "tcp://", 6) == 0 ||
	        strncmp(target, "tls://", 6) == 0 || strncmp(target, "relp://", 7) == 0 ||
	        strncmp(target, "nats://", 7) == 0);
}

int net_url_parse(const char *text, const char *default_port, struct net_url *out, char *err,
                  size_t errlen)
{
	const char *p, *host, *host_end, *port = NULL, *port_end = NULL, *q;
	size_t hlen, plen;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, "udp://", 6) == 0) {
		out->proto = NET_UDP;
	} else if (strncmp(text, "tcp://", 6) == 0) {
		out->proto = NET_TCP;
	} else if (strncmp(text, "tls://", 6) == 0) {
		out->proto = NET_TLS;
	} else if (strncmp(text, "relp://", 7) == 0) {
		out->proto = NET_RELP;
	} else if (strncmp(text, "nats://", 7) == 0) {
		out->proto = NET_NATS;
	} else {
		snprintf(err, errlen,
		         "expected udp://HOST[:PORT], tcp://HOST[:PORT], tls://HOST[:PORT], "
		         "relp://HOST[:PORT] or nats://HOST[:PORT]");
		return -1;
	}
	p = strstr(text, "://") + 3;
	q = strchr(p, '?');
	if (q == NULL)
		q = p + strlen(p);
	/* RFC 3986 section 3.2.1: "userinfo@" before the host, for nats:// only (USER:PASSWORD
	 * or a TOKEN, as the NATS clients read their URLs); taken as written, no %-decoding. */
	if (out->proto == NET_NATS) {
		const char *at = memchr(p, '@', (size_t)(q - p)), *colon;

		if (at != NULL) {
			colon = memchr(p, ':', (size_t)(at - p));
			if (at == p || (colon != NULL && (colon == p || colon + 1 == at))) {
				snprintf(err, errlen, "empty user, password or token before '@'");
				return -1;
			}
			if ((size_t)((colon ? colon : at) - p) >= sizeof(out->user) ||
			    (colon != NULL && (size_t)(at - colon - 1) >= sizeof(out->pass))) {
				snprintf(err, errlen, "the user, password or token is too long");
				return -1;
			}
			memcpy(out->user, p, (size_t)((colon ? colon : at) - p));
			if (colon != NULL)
				memcpy(out->pass, colon + 1, (size_t)(at - colon - 1));
			out->has_userinfo = true;
			p = at + 1;
		}
	}
	if (*p == '[') { /* RFC 3986 section 3.2.2: an IPv6 literal is bracketed */
		host = p + 1;
		host_end = memchr(host, ']', (size_t)(q - host));
		if (host_end == NULL) {
			snprintf(err, errlen, "missing ']' after the IPv6 address");
			return -1;
		}
		p = host_end + 1;
		if (p < q && *p != ':') {
			snprintf(err, errlen, "expected ':PORT' after ']'");
			return -1;
		}
	} else {
		host = p;
		host_end = memchr(p, ':', (size_t)(q - p));
		if (host_end == NULL)
			host_end = q;
		else if (memchr(host_end + 1, ':', (size_t)(q - host_end - 1)) != NULL) {
			snprintf(err, errlen,
			         "an IPv6 host must be written in brackets, e.g. [2001:2::1]:514");
			return -1;
		}
		p = host_end;
	}
	if (p < q && *p == ':') {
		port = p + 1;
		port_end = q;
	}
	hlen = (size_t)(host_end - host);
	if (hlen == 0 || hlen >= sizeof(out->host)) {
		snprintf(err, errlen, "the host is empty or too long");
		return -1;
	}
	if (memchr(host, '/', hlen) != NULL) {
		snprintf(err, errlen, "the host must not contain '/' (a URL here has no path)");
		return -1;
	}
	if (memchr(host, '@', hlen) != NULL) {
		snprintf(err, errlen, "the host must not contain '@'");
		return -1;
	}
	memcpy(out->host, host, hlen);
	if (port == NULL) {
		snprintf(out->port, sizeof(out->port), "%s", default_port);
	} else {
		unsigned long v = 0;

		plen = (size_t)(port_end - port);
		for (size_t i = 0; i < plen && i < 6; i++) {
			if (port[i] < '0' || port[i] > '9') {
				v = 0;
				break;
			}
			v = v * 10 + (unsigned long)(port[i] - '0');
		}
		if (plen == 0 || plen > 5 || v == 0 || v > 65535) {
			snprintf(err, errlen, "the port must be a number from 1 to 65535");
			return -1;
		}
		snprintf(out->port, sizeof(out->port), "%lu", v);
	}
	if (*q == '?') {
		if (strlen(q + 1) >= sizeof(out->query)) {
			snprintf(err, errlen, "the options are too long");
			return -1;
		}
		snprintf(out->query, sizeof(out->query), "%s", q + 1);
	}
	return 0;
}

/* Calls back for each "k=v" of the query; stops and returns non-zero when fn does. */
static int each_param(const struct net_url *u,
                      int (*fn)(const char *k, size_t kl, const char *v, size_t vl, void *arg),
                      void *arg)
{
	const char *p = u->query;

	while (*p != '\0') {
		const char *end = strchr(p, '&'), *eq;
		size_t n;
		int rc;

		if (end == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		eq = memchr(p, '=', n);
		if (n > 0) {
			if (eq == NULL)
				rc = fn(p, n, end, 0, arg);
			else
				rc = fn(p, (size_t)(eq - p), eq + 1, (size_t)(end - eq - 1), arg);
			if (rc != 0)
				return rc;
		}
		p = *end == '&' ? end + 1 : end;
	}
	return 0;
}

struct param_find {
	const char *key;
	char *val;
	size_t vlen;
};

static int find_cb(const char *k, size_t kl, const char *v, size_t vl, void *arg)
{
	struct param_find *f = arg;

	if (strlen(f->key) != kl || memcmp(f->key, k, kl) != 0)
		return 0;
	if (vl >= f->vlen)
		return -1;
	memcpy(f->val, v, vl);
	f->val[vl] = '\0';
	return 1;
}

int net_url_param(const struct net_url *u, const char *key, char *val, size_t vlen)
{
	struct param_find f = {key, val, vlen};

	return each_param(u, find_cb, &f);
}

struct param_check {
	const char *const *allowed;
	char *bad;
	size_t badlen;
};

static int check_cb(const char *k, size_t kl, const char *v, size_t vl, void *arg)
{
	struct param_check *c = arg;

	(void)v;
	(void)vl;
	for (const char *const *a = c->allowed; *a != NULL; a++)
		if (strlen(*a) == kl && memcmp(*a, k, kl) == 0)
			return 0;
	snprintf(c->bad, c->badlen, "%.*s", (int)kl, k);
	return 1;
}

int net_url_check_params(const struct net_url *u, const char *const *allowed, char *err,
                         size_t errlen)
{
	char bad[NET_QUERY_MAX];
	struct param_check c = {allowed, bad, sizeof(bad)};

	if (each_param(u, check_cb, &c) == 0)
		return 0;
	snprintf(err, errlen, "unknown option '%s' in the URL", bad);
	return -1;
}

/* --- the sender ------------------------------------------------------------------------- */

static void set_depth(struct net_sender *s)
{
	atomic_store_explicit(&s->depth, (uint_fast32_t)s->count, memory_order_relaxed);
	if (s->count > atomic_load_explicit(&s->depth_max, memory_order_relaxed))
		atomic_store_explicit(&s->depth_max, (uint_fast32_t)s->count, memory_order_relaxed);
}

static void count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void pop_head(struct net_sender *s)
{
	free(s->ring[s->head].buf);
	s->ring[s->head].buf = NULL;
	s->head = (s->head + 1) % s->cap;
	s->count--;
	s->off = 0;
	set_depth(s);
}

static void disconnect(struct net_sender *s)
{
	net_tls_end(s->tls, false); /* the connection is broken or given up: no close_notify */
	s->tls = NULL;
	s->handshaking = false;
	s->tls_pending = false;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->connecting = false;
	/* A message cut off by a dead connection is sent again whole on the next one:
	 * the collector discards the partial frame with the connection. */
	s->off = 0;
	atomic_store_explicit(&s->connected, false, memory_order_relaxed);
}

/* Failure of an attempt or a connection: wait, doubling the wait each time. */
static void backoff(struct net_sender *s, const char *what, int err)
{
	uint64_t now = now_us();

	count(&s->failures);
	disconnect(s);
	if (!s->down_logged)
		fprintf(stderr,
		        "scanwatch: %s: %s%s%s; keeping up to %zu messages, retrying with "
		        "backoff\n",
		        s->label, what, err ? ": " : "", err ? strerror(err) : "", s->cap);
	s->down_logged = true;
	s->retry_at_us = now + s->backoff_us;
	s->backoff_us =
	    s->backoff_us * 2 > NET_BACKOFF_MAX_US ? NET_BACKOFF_MAX_US : s->backoff_us * 2;
	s->next_addr = (s->next_addr + 1) % s->naddrs;
}

static void up(struct net_sender *s)
{
	if (s->ever_connected)
		count(&s->reconnects);
	if (s->down_logged)
		fprintf(stderr, "scanwatch: %s: connected again, %zu messages waiting\n", s->label,
		        s->count);
	s->ever_connected = true;
	s->down_logged = false;
	s->connecting = false;
	s->backoff_us = NET_BACKOFF_MIN_US;
	atomic_store_explicit(&s->connected, true, memory_order_relaxed);
}

static int step_handshake(struct net_sender *s);

/* The TCP connection is up: over TLS the handshake starts, otherwise the link is up. */
static void established(struct net_sender *s)
{
	if (s->proto != NET_TLS) {
		up(s);
		return;
	}
	s->connecting = false;
	s->tls = net_tls_start(s->tls_conf, s->fd, s->why, sizeof(s->why));
	if (s->tls == NULL) {
		backoff(s, s->why, 0);
		return;
	}
	s->handshaking = true;
	s->connect_started_us = now_us();
	(void)step_handshake(s);
}

static void start_connect(struct net_sender *s)
{
	const struct sockaddr *sa = (const struct sockaddr *)&s->addrs[s->next_addr];
	int type = s->proto == NET_UDP ? SOCK_DGRAM : SOCK_STREAM;

	s->fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		backoff(s, "socket", errno);
		return;
	}
	s->want = POLLOUT;
	if (s->proto != NET_UDP) {
		unsigned int ut = NET_USER_TIMEOUT_MS;
		int one = 1;

		/* Best effort: without them the connection still works, only slower to fail. */
		(void)setsockopt(s->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
		(void)setsockopt(s->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	/* A connected UDP socket has one peer, so the kernel reports its ICMP port
	 * unreachable back to us as ECONNREFUSED (an unconnected one would not). */
	if (connect(s->fd, sa, s->addrlens[s->next_addr]) == 0) {
		established(s);
		return;
	}
	if (errno == EINPROGRESS) {
		s->connecting = true;
		s->connect_started_us = now_us();
		return;
	}
	backoff(s, "connect", errno);
}

/* A connect in progress: finished, failed or timed out? Never waits. */
static void check_connect(struct net_sender *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLOUT};
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (poll(&p, 1, 0) <= 0) {
		if (now_us() - s->connect_started_us > NET_CONNECT_TIMEOUT_MS * 1000ULL)
			backoff(s, "connect", ETIMEDOUT);
		return;
	}
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (soerr != 0)
		backoff(s, "connect", soerr);
	else
		established(s);
}

/* A handshake in progress: finished, failed or timed out? Never waits. */
static int step_handshake(struct net_sender *s)
{
	int rc = net_tls_handshake(s->tls, &s->want, s->why, sizeof(s->why));

	if (rc == NET_TLS_DONE) {
		s->handshaking = false;
		s->want = POLLOUT;
		up(s);
	} else if (rc == NET_TLS_AGAIN) {
		if (now_us() - s->connect_started_us > NET_HANDSHAKE_TIMEOUT_MS * 1000ULL) {
			snprintf(s->why, sizeof(s->why), "TLS handshake: no answer within %d ms",
			         NET_HANDSHAKE_TIMEOUT_MS);
			backoff(s, s->why, 0);
		}
	} else if (rc == NET_TLS_REFUSED && s->opening) {
		s->refused = true; /* open() reports it as a configuration error */
		disconnect(s);
	} else {
		/* Refused or failed: the records wait in the backlog, the next attempt comes after
		 * the backoff (the collector's certificate may be renewed meanwhile). */
		backoff(s, s->why, 0);
	}
	return rc;
}

/*
 * A collector never sends anything back over a syslog TCP connection, so a
 * readable socket means it closed (FIN) or reset it. Checking before each
 * send keeps messages from being written into a socket whose peer is gone,
 * where the kernel would accept and then silently lose them.
 */
static bool peer_gone(struct net_sender *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN | POLLRDHUP};
	char junk[256];

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return true;
	/* Unexpected bytes from the collector: read and ignore them, keep the connection. */
	return recv(s->fd, junk, sizeof(junk), MSG_DONTWAIT) == 0;
}

/*
 * RELP: open (or re-open, which sends again what the collector never acknowledged) when the
 * backoff allows, then hand librelp every waiting record. Blocks, bounded (net_relp.c).
 */
static void relp_pump(struct net_sender *s)
{
	if (!s->relp_up) {
		if (now_us() < s->retry_at_us)
			return;
		if (net_relp_connect(s->relp, s->why, sizeof(s->why)) < 0) {
			backoff(s, s->why, 0);
			return;
		}
		s->relp_up = true;
		up(s);
	}
	while (s->count > 0) {
		struct net_msg *m = &s->ring[s->head];

		if (net_relp_send(s->relp, m->buf, m->len, s->why, sizeof(s->why)) < 0) {
			/* Not written: it stays first in the backlog. What librelp wrote before
			 * and was not answered, it sends again after the reconnect. */
			s->relp_up = false;
			backoff(s, s->why, 0);
			return;
		}
		count(&s->sent);
		pop_head(s);
	}
}

static void pump(struct net_sender *s)
{
	uint64_t now = now_us();

	if (s->proto == NET_RELP) {
		relp_pump(s);
		return;
	}

	if (s->fd < 0) {
		if (s->count == 0 && s->proto == NET_UDP)
			return; /* nothing to send: no need for a socket */
		if (now < s->retry_at_us)
			return;
		start_connect(s);
		if (s->fd < 0)
			return;
	}
	if (s->connecting) {
		check_connect(s);
		if (s->fd < 0 || s->connecting)
			return;
	}
	if (s->handshaking && step_handshake(s) != NET_TLS_DONE)
		return;
	if (s->proto == NET_UDP && now < s->retry_at_us)
		return;
	if ((s->proto == NET_TCP && peer_gone(s)) ||
	    (s->proto == NET_TLS && net_tls_peer_gone(s->tls, s->fd))) {
		backoff(s, "connection closed by the collector", 0);
		return;
	}
	while (s->count > 0) {
		struct net_msg *m = &s->ring[s->head];
		ssize_t n;

		if (s->proto == NET_TLS) {
			n = net_tls_send(s->tls, m->buf + s->off, m->len - s->off, s->why,
			                 sizeof(s->why));
			s->tls_pending = n == 0;
			if (n == 0)
				return; /* the socket is full; GnuTLS keeps the record for the next
				           call */
			if (n < 0) {
				backoff(s, s->why, 0);
				return;
			}
		} else {
			n = send(s->fd, m->buf + s->off, m->len - s->off,
			         MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				return; /* the socket is full: the next send or tick goes on */
			if (s->proto == NET_UDP && errno == EMSGSIZE) {
				/* This datagram can never go out; the next ones can. */
				count(&s->dropped);
				pop_head(s);
				continue;
			}
			/* UDP: ECONNREFUSED is the ICMP port unreachable of an earlier
			 * datagram; this one was not sent and waits for the collector. */
			backoff(s, "send", errno);
			return;
		}
		s->off += (size_t)n;
		if (s->off == m->len) {
			count(&s->sent);
			pop_head(s);
			if (s->proto == NET_UDP && s->down_logged)
				up(s);
		}
	}
}

struct net_sender *net_sender_open(const struct net_url *u, size_t backlog_max, const char *label,
                                   char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	struct net_sender *s;
	int rc;

	if (backlog_max == 0 || backlog_max > UINT32_MAX) {
		snprintf(err, errlen, "backlog must be 1..%u messages", UINT32_MAX);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->proto = u->proto;
	s->want = POLLOUT;
	s->backoff_us = NET_BACKOFF_MIN_US;
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->cap = backlog_max;
	s->ring = calloc(backlog_max, sizeof(*s->ring));
	if (s->ring == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = u->proto == NET_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
		/* AI_ADDRCONFIG hides 127.0.0.1 in a namespace whose only interface is lo. */
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(u->host, u->port, &hints, &res);
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", u->host, gai_strerror(rc));
		goto fail;
	}
	for (ai = res; ai != NULL && s->naddrs < NET_ADDRS_MAX; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(s->addrs[0]))
			continue;
		memcpy(&s->addrs[s->naddrs], ai->ai_addr, ai->ai_addrlen);
		s->addrlens[s->naddrs++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (s->naddrs == 0) {
		snprintf(err, errlen, "%s: no usable address", u->host);
		goto fail;
	}
	if (u->proto == NET_RELP) {
		s->relp = net_relp_new(u, s->addrs[0].ss_family, err, errlen);
		if (s->relp == NULL)
			goto fail;
		relp_pump(s); /* the first session, as a connect would be for TCP */
		return s;
	}
	if (u->proto == NET_TLS) {
		s->tls_conf = net_tls_conf_load(u, err, errlen);
		if (s->tls_conf == NULL)
			goto fail;
		if (net_tls_conf_insecure(s->tls_conf))
			fprintf(stderr,
			        "scanwatch: %s: insecure=1: the collector's certificate is NOT "
			        "verified; anyone on the path can read or redirect the feed\n",
			        s->label);
	}
	s->opening = true;
	start_connect(s);
	if (s->connecting) {
		struct pollfd p = {.fd = s->fd, .events = POLLOUT};

		/* At start-up only: a short wait lets a replay deliver from its first record. */
		(void)poll(&p, 1, NET_CONNECT_TIMEOUT_MS);
		check_connect(s);
		if (s->connecting)
			backoff(s, "connect", ETIMEDOUT);
	}
	/* TLS: the first handshake is waited for too, so a certificate the configuration does
	 * not accept (wrong CA, wrong name, expired) stops the start rather than failing quietly
	 * forever in the background. A collector that is down is not such an error. */
	while (s->handshaking) {
		struct pollfd p = {.fd = s->fd, .events = s->want};

		(void)poll(&p, 1, 100);
		(void)step_handshake(s);
	}
	if (s->refused) {
		snprintf(err, errlen, "%s (check ca= and name=; insecure=1 skips the check)",
		         s->why);
		net_sender_close(s);
		return NULL;
	}
	s->opening = false;
	return s;
fail:
	net_relp_free(s->relp);
	net_tls_conf_free(s->tls_conf);
	free(s->ring);
	free(s);
	return NULL;
}

int net_sender_send(struct net_sender *s, const char *msg, size_t len)
{
	struct net_msg m;
	int rc = 0;
	char prefix[24];
	size_t plen = 0;

	if (s->proto == NET_TCP || s->proto == NET_TLS) {
		/* RFC 6587 section 3.4.1 octet counting: MSG-LEN SP SYSLOG-MSG; over TLS the same
		 * frame is RFC 5425 section 4.3's SYSLOG-FRAME. */
		plen = (size_t)snprintf(prefix, sizeof(prefix), "%zu ", len);
	}
	m.len = plen + len;
	m.buf = malloc(m.len);
	if (m.buf == NULL) {
		count(&s->dropped);
		return -1;
	}
	memcpy(m.buf, prefix, plen);
	memcpy(m.buf + plen, msg, len);
	if (s->count == s->cap) {
		/* Full: drop the oldest, but never one already partly on the wire (that would
		 * corrupt the stream), so with off > 0 the second oldest goes. */
		bool head_busy = s->off > 0 || s->tls_pending;
		size_t victim = head_busy && s->cap > 1 ? (s->head + 1) % s->cap : s->head;

		if (victim == s->head) {
			pop_head(s);
		} else {
			free(s->ring[victim].buf);
			/* Close the gap: move the partly sent head forward into the victim's slot.
			 */
			s->ring[victim] = s->ring[s->head];
			s->ring[s->head].buf = NULL;
			s->head = victim;
			s->count--;
		}
		count(&s->dropped);
		rc = -1;
	}
	s->ring[(s->head + s->count) % s->cap] = m;
	s->count++;
	set_depth(s);
	pump(s);
	return rc;
}

void net_sender_poll(struct net_sender *s)
{
	if (s->count > 0 || s->proto != NET_UDP)
		pump(s);
}

size_t net_sender_drain(struct net_sender *s, int timeout_ms)
{
	uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000u;
	size_t left;

	if (s->fd < 0)
		s->retry_at_us = 0; /* one attempt now rather than after the backoff */
	for (;;) {
		uint64_t now;
		struct pollfd p;

		pump(s);
		now = now_us();
		if (s->count == 0 || now >= deadline)
			break;
		if (s->fd < 0) {
			/* Down: wait for the next attempt if it comes before the deadline. */
			uint64_t until = s->retry_at_us < deadline ? s->retry_at_us : deadline;

			if (until > now) {
				struct timespec ts = {(time_t)((until - now) / 1000000),
				                      (long)((until - now) % 1000000) * 1000};
				nanosleep(&ts, NULL);
			}
			if (s->retry_at_us >= deadline)
				break;
			continue;
		}
		p.fd = s->fd;
		p.events = s->want;
		(void)poll(&p, 1, (int)((deadline - now) / 1000) + 1);
	}
	left = s->count;
	while (s->count > 0) {
		count(&s->dropped);
		pop_head(s);
	}
	if (s->relp != NULL) {
		uint64_t sent = atomic_load_explicit(&s->sent, memory_order_relaxed);

		/* The polite close is the only word librelp gives on the last window. */
		if (net_relp_free(s->relp) < 0 && sent > 0)
			atomic_store_explicit(&s->unconfirmed,
			                      sent < (uint64_t)net_relp_window()
			                          ? (uint_fast32_t)sent
			                          : (uint_fast32_t)net_relp_window(),
			                      memory_order_relaxed);
		s->relp = NULL;
		s->relp_up = false;
	}
	return left;
}

void net_sender_get_stats(const struct net_sender *s, struct net_sender_stats *out)
{
	out->sent = atomic_load_explicit(&s->sent, memory_order_relaxed);
	out->dropped = atomic_load_explicit(&s->dropped, memory_order_relaxed);
	out->reconnects = atomic_load_explicit(&s->reconnects, memory_order_relaxed);
	out->failures = atomic_load_explicit(&s->failures, memory_order_relaxed);
	out->backlog = (uint32_t)atomic_load_explicit(&s->depth, memory_order_relaxed);
	out->backlog_max = (uint32_t)atomic_load_explicit(&s->depth_max, memory_order_relaxed);
	out->connected = atomic_load_explicit(&s->connected, memory_order_relaxed);
	out->unconfirmed = (uint32_t)atomic_load_explicit(&s->unconfirmed, memory_order_relaxed);
}

void net_sender_close(struct net_sender *s)
{
	if (s == NULL)
		return;
	if (s->tls != NULL && !s->handshaking) {
		net_tls_end(s->tls, true); /* RFC 5425 section 4.4: close_notify */
		s->tls = NULL;
	}
	disconnect(s);
	(void)net_relp_free(s->relp);
	net_tls_conf_free(s->tls_conf);
	while (s->count > 0)
		pop_head(s);
	free(s->ring);
	free(s);
}
