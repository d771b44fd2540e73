/* send_raw.c — scanprobe's live engine: raw IP sockets out, an AF_PACKET socket in, connect() for
 * -sT. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "scanwatch/probe.h"

/* Receive buffer of the AF_PACKET socket: a burst of replies must not be dropped while we
 * sleep between probes. */
#define RX_SOCKBUF (4 << 20)
/* Largest frame we read; replies are small, anything longer is truncated and still parsed. */
#define RX_FRAME 2048

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void to_sockaddr(const struct sw_addr *a, uint16_t port, struct sockaddr_storage *ss,
                        socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (addr_is_v4(a)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->a + 12, 4);
		*len = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->a, 16);
		*len = sizeof *s6;
	}
}

int send_raw_route_source(const struct sw_addr *dst, struct sw_addr *src)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int rc = -1;
	to_sockaddr(dst, 9, &ss, &len);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* connect() on UDP only consults the routing table; nothing is sent. */
	if (connect(fd, (struct sockaddr *)&ss, len) != 0)
		goto fail;
	len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		goto fail;
	if (ss.ss_family == AF_INET)
		addr_from_v4(src, (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr);
	else
		addr_from_v6(src, (const uint8_t *)&((struct sockaddr_in6 *)&ss)->sin6_addr);
	rc = 0;
fail:
	close(fd);
	return rc;
}

static int no_raw(const struct probe_plan *plan, int err)
{
	if (err == EPERM || err == EACCES)
		fprintf(stderr,
		        "scanprobe: %s needs raw sockets (CAP_NET_RAW): run it as root or with "
		        "cap_net_raw, or use -sT (works unprivileged), or --write FILE.pcap for a "
		        "dry run\n",
		        plan->mod->flag);
	else
		fprintf(stderr, "scanprobe: cannot open a raw socket: %s\n", strerror(err));
	return -1;
}

/* Reads every pending frame and feeds replies to the results. */
static void drain_rx(int rx, const struct probe_plan *plan, struct probe_results *res)
{
	uint8_t buf[RX_FRAME];
	for (;;) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof sll;
		ssize_t n =
		    recvfrom(rx, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&sll, &sl);
		if (n < 0)
			return;
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue; /* our own probes, seen on the way out */
		uint16_t proto = ntohs(sll.sll_protocol);
		if (proto != ETH_P_IP && proto != ETH_P_IPV6)
			continue;
		struct parse_view v;
		if (parse_l3(buf, (size_t)n, &v) != 0)
			continue;
		results_observe(res, plan, &plan->env, &v);
	}
}

/* Waits for replies until time t (monotonic seconds). */
static void wait_until(int rx, double t, const struct probe_plan *plan, struct probe_results *res)
{
	for (;;) {
		drain_rx(rx, plan, res);
		double left = t - now();
		if (left <= 0)
			return;
		struct pollfd p = {.fd = rx, .events = POLLIN};
		int ms = (int)(left * 1000) + 1;
		if (poll(&p, 1, ms > 1000 ? 1000 : ms) < 0 && errno != EINTR)
			return;
	}
}

static bool answered(const struct probe_results *res, uint64_t idx)
{
	return idx < res->n && res->state[idx] != PS_NONE;
}

static int run_raw(const struct probe_plan *plan, struct probe_results *res)
{
	int rx = -1, tx = -1, rc = -1;
	bool v6 = !addr_is_v4(&plan->env.src);
	double start = now(), deadline = start + plan->max_duration;
	rx = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (rx < 0)
		return no_raw(plan, errno);
	int sz = RX_SOCKBUF;
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	/* IPPROTO_RAW implies IP_HDRINCL (IPv4) and a caller-built header (IPv6, Linux). */
	tx = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (tx < 0) {
		no_raw(plan, errno);
		goto fail;
	}
	struct rng r;
	rng_seed(&r, plan->seed);
	unsigned passes = plan->mod->flood ? 1 : 1 + plan->retries;
	bool stopped = false;
	for (unsigned pass = 0; pass < passes && !stopped; pass++) {
		struct rng_perm perm;
		rng_perm_init(&perm, plan->nprobes, &r, !plan->randomize);
		double next = now();
		uint64_t idx, sent_this_pass = 0;
		while (rng_perm_next(&perm, &idx)) {
			if (!plan->mod->flood && answered(res, idx))
				continue;
			if (res->sent >= plan->max_packets || now() > deadline) {
				fprintf(stderr, "scanprobe: stopped at the %s bound\n",
				        res->sent >= plan->max_packets ? "packet" : "time");
				stopped = true;
				break;
			}
			struct probe_target t;
			struct build_spec spec;
			struct build_pkt pkt;
			if (probe_plan_make(plan, &plan->env, idx, &t, &spec) != 0 ||
			    build_packet(&spec, &pkt) != 0) {
				fprintf(stderr, "scanprobe: %s cannot probe this target\n",
				        plan->mod->flag);
				goto fail;
			}
			wait_until(rx, next, plan, res);
			struct sockaddr_storage ss;
			socklen_t len;
			to_sockaddr(&t.dst, 0, &ss, &len);
			if (sendto(tx, pkt.b, pkt.len, 0, (struct sockaddr *)&ss, len) < 0) {
				if (errno == ENOBUFS || errno == EAGAIN) {
					next =
					    now() + 0.001; /* queue full: back off, resend later */
					continue;
				}
				fprintf(stderr, "scanprobe: sendto: %s\n", strerror(errno));
				goto fail;
			}
			res->sent++;
			sent_this_pass++;
			next += plan->gap;
		}
		if (sent_this_pass == 0 && pass > 0)
			break;
		/* Late replies: wait, but never past the run's time bound. */
		double until = now() + plan->wait;
		wait_until(rx, until < deadline ? until : deadline, plan, res);
	}
	rc = 0;
fail:
	res->elapsed = now() - start;
	if (tx >= 0)
		close(tx);
	close(rx);
	return rc;
}

/* -sT: the kernel does the handshake; SO_LINGER 0 makes close() send a RST, as nmap's
 * connect scan looks on the wire (SYN, SYN-ACK, ACK, RST). */
struct conn {
	int fd;
	uint64_t idx;
	double deadline;
};

static void conn_close(struct conn *c)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close(c->fd);
	c->fd = -1;
}

static enum probe_state conn_state(int err)
{
	switch (err) {
	case 0:
		return PS_OPEN;
	case ECONNREFUSED:
		return PS_CLOSED;
	default:
		return PS_FILTERED; /* unreachable, timed out, administratively prohibited */
	}
}

static int run_connect(const struct probe_plan *plan, struct probe_results *res)
{
	unsigned par = plan->parallel ? plan->parallel : 1;
	struct conn *cs = calloc(par, sizeof *cs);
	struct pollfd *pf = calloc(par, sizeof *pf);
	struct rng r;
	struct rng_perm perm;
	double start = now(), deadline = start + plan->max_duration, next = start;
	int rc = -1;
	uint64_t idx;
	bool more;
	if (!cs || !pf) {
		fprintf(stderr, "scanprobe: out of memory\n");
		goto fail;
	}
	for (unsigned i = 0; i < par; i++)
		cs[i].fd = -1;
	rng_seed(&r, plan->seed);
	rng_perm_init(&perm, plan->nprobes, &r, !plan->randomize);
	more = rng_perm_next(&perm, &idx);
	for (;;) {
		double tnow = now();
		bool bounded = res->sent >= plan->max_packets || tnow > deadline;
		/* Fill free slots, paced by the gap. */
		for (unsigned i = 0; i < par && more && !bounded && tnow >= next; i++) {
			if (cs[i].fd >= 0)
				continue;
			struct probe_target t;
			struct build_spec spec;
			if (probe_plan_make(plan, &plan->env, idx, &t, &spec) != 0)
				goto fail;
			struct sockaddr_storage ss;
			socklen_t len;
			to_sockaddr(&t.dst, t.port, &ss, &len);
			int fd =
			    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				fprintf(stderr, "scanprobe: socket: %s\n", strerror(errno));
				goto fail;
			}
			/* From the plan's source (-S, or the route's own choice): port 0, since
			 * many connections cannot share one port (-g does not apply to -sT). */
			struct sockaddr_storage from;
			socklen_t fromlen;
			to_sockaddr(&plan->env.src, 0, &from, &fromlen);
			if (bind(fd, (struct sockaddr *)&from, fromlen) != 0) {
				char a[ADDR_TEXT_MAX];
				fprintf(stderr, "scanprobe: cannot use source %s: %s\n",
				        addr_format(&plan->env.src, a), strerror(errno));
				close(fd);
				goto fail;
			}
			res->sent++;
			cs[i] = (struct conn){.fd = fd, .idx = idx, .deadline = tnow + plan->wait};
			int e = connect(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
			if (e != EINPROGRESS) {
				/* Loopback often completes or refuses at once. */
				enum probe_state st = conn_state(e);
				results_set(res, idx, st);
				res->received += st != PS_FILTERED;
				conn_close(&cs[i]);
			}
			more = rng_perm_next(&perm, &idx);
			next = (next > tnow - plan->gap ? next : tnow) + plan->gap;
			tnow = now();
		}
		unsigned live = 0;
		for (unsigned i = 0; i < par; i++) {
			pf[i] = (struct pollfd){.fd = cs[i].fd, .events = POLLOUT};
			live += cs[i].fd >= 0;
		}
		if (live == 0 && (!more || bounded)) {
			if (more)
				fprintf(stderr, "scanprobe: stopped at the %s bound\n",
				        res->sent >= plan->max_packets ? "packet" : "time");
			break;
		}
		double wake = more ? next : tnow + 0.05;
		for (unsigned i = 0; i < par; i++)
			if (cs[i].fd >= 0 && cs[i].deadline < wake)
				wake = cs[i].deadline;
		int ms = (int)((wake - tnow) * 1000) + 1;
		if (ms < 0)
			ms = 0;
		if (poll(pf, par, ms > 100 ? 100 : ms) < 0 && errno != EINTR) {
			fprintf(stderr, "scanprobe: poll: %s\n", strerror(errno));
			goto fail;
		}
		tnow = now();
		for (unsigned i = 0; i < par; i++) {
			if (cs[i].fd < 0)
				continue;
			if (pf[i].revents) {
				int err = 0;
				socklen_t el = sizeof err;
				getsockopt(cs[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
				enum probe_state st = conn_state(err);
				if (st != PS_FILTERED) {
					res->received++;
					results_set(res, cs[i].idx, st);
				}
				conn_close(&cs[i]);
			} else if (tnow > cs[i].deadline) {
				conn_close(&cs[i]); /* silence: filtered */
			}
		}
	}
	rc = 0;
fail:
	if (cs) {
		for (unsigned i = 0; i < par; i++)
			if (cs[i].fd >= 0)
				close(cs[i].fd);
	}
	res->elapsed = now() - start;
	free(cs);
	free(pf);
	return rc;
}

int send_raw_run(const struct probe_plan *plan, struct probe_results *res)
{
	switch (plan->mod->live) {
	case PROBE_LIVE_CONNECT:
		return run_connect(plan, res);
	case PROBE_LIVE_DRY_ONLY:
		fprintf(stderr, "scanprobe: %s is available in dry runs (--write) only\n",
		        plan->mod->flag);
		return -1;
	case PROBE_LIVE_RAW:
		break;
	}
	return run_raw(plan, res);
}
