/* target_sim.c — the dry run's simulated target: which hosts and ports answer, and how Linux
 * answers. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "scanwatch/packet.h"
#include "scanwatch/probe.h"

/* Scanner-side reaction times: a kernel answers a SYN-ACK within microseconds. */
#define SCANNER_RST_DELAY   0.00005 /* half-open scanner's RST after the SYN-ACK */
#define CONNECT_ACK_DELAY   0.00002 /* connect(): the handshake's last ACK */
#define CONNECT_CLOSE_DELAY 0.0002  /* connect scan closes with SO_LINGER 0: a RST */
/* Smallest simulated one-way delay, so a reply never precedes its probe. */
#define MIN_DELAY 0.00001
/* Linux quotes at most 576 bytes of IPv4 error (RFC 1812 4.3.2.3) and fills an IPv6 error up
 * to the minimum MTU (RFC 4443 2.4 (c)); our probes are far below both, so the whole probe is
 * quoted, but never more than fits BUILD_MAX. */
#define QUOTE_MAX (BUILD_MAX - 40 - 8)

/* Linux SYN-ACK options: MSS 1460, SACK permitted, window scale 7 (NOP-padded). */
static const uint8_t synack_opts[12] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};

void target_sim_defaults(struct target_sim *s)
{
	memset(s, 0, sizeof *s);
	s->open_tcp[22] = s->open_tcp[80] = s->open_tcp[443] = true;
	s->open_udp[53] = s->open_udp[123] = true;
	/* A Linux host speaks ICMP, IGMP, TCP, UDP, ICMPv6 and answers the rest "unreachable". */
	s->proto_ok[IPPROTO_ICMP] = s->proto_ok[IPPROTO_IGMP] = s->proto_ok[IPPROTO_TCP] = true;
	s->proto_ok[IPPROTO_UDP] = s->proto_ok[IPPROTO_ICMPV6] = true;
	s->default_filtered = false;
	s->ttl = 64;
	s->rtt = 0.002;
	s->jitter = 0.0005;
}

void target_sim_free(struct target_sim *s)
{
	free(s->up);
	s->up = NULL;
	s->nup = 0;
}

/* Whether a is one of the hosts that answer (every target host when none is listed). */
static bool target_sim_host_up(const struct target_sim *s, const struct sw_addr *a)
{
	return s->nup == 0 || addr_cidr_list_contains(s->up, s->nup, a);
}

/* ---- YAML profile ------------------------------------------------------------------------ */

/*
 * Profile keys (all optional; a key replaces the current setting):
 *   up:          list of CIDRs/addresses that answer (default: every target)
 *   tcp_open:    ports, "22,80,1000-1010" or a YAML list     (default 22,80,443)
 *   tcp_closed:  ports that answer RST even when default is filtered
 *   udp_open:    ports (default 53,123)    udp_closed: ports
 *   default:     closed | filtered: the state of every other port (default closed)
 *   protocols:   IP protocol numbers the stack speaks (-sO; default 1,2,6,17,58)
 *   ttl:         initial TTL of replies (default 64)
 *   rtt_ms:      round-trip time in ms (default 2)   jitter_ms: +- uniform (default 0.5)
 */

/* Joins a scalar or a sequence of scalars into "a,b,c" in buf. */
static int node_list(yaml_document_t *d, yaml_node_t *n, char *buf, size_t len)
{
	buf[0] = '\0';
	if (n->type == YAML_SCALAR_NODE) {
		if (n->data.scalar.length >= len)
			return -1;
		memcpy(buf, n->data.scalar.value, n->data.scalar.length);
		buf[n->data.scalar.length] = '\0';
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return -1;
	size_t used = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = yaml_document_get_node(d, *it);
		if (!e || e->type != YAML_SCALAR_NODE)
			return -1;
		size_t l = e->data.scalar.length;
		if (used + l + 2 > len)
			return -1;
		if (used)
			buf[used++] = ',';
		memcpy(buf + used, e->data.scalar.value, l);
		used += l;
		buf[used] = '\0';
	}
	return 0;
}

static int set_ports(const char *text, unsigned min, unsigned max, bool *arr, size_t arrlen,
                     char *err, size_t errlen)
{
	struct ports p = {0};
	if (targets_ports(text, min, max, &p, err, errlen) != 0)
		return -1;
	memset(arr, 0, arrlen * sizeof *arr);
	for (size_t i = 0; i < p.n; i++)
		arr[p.v[i]] = true;
	free(p.v);
	return 0;
}

static int set_up(struct target_sim *s, char *text, char *err, size_t errlen)
{
	size_t n = 1;
	for (char *c = text; *c; c++)
		n += *c == ',';
	struct sw_cidr *up = calloc(n, sizeof *up);
	if (!up) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t k = 0;
	char *save = NULL;
	for (char *tok = strtok_r(text, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (addr_cidr_parse(tok, &up[k]) != 0) {
			snprintf(err, errlen, "up: %s is not an address or CIDR block", tok);
			free(up);
			return -1;
		}
		k++;
	}
	free(s->up);
	s->up = up;
	s->nup = k;
	return 0;
}

/* Applies one "key: value" pair; shared by the YAML profile and the --sim-* options. */
static int apply(struct target_sim *s, const char *key, char *val, char *err, size_t errlen)
{
	char *end;
	if (strcmp(key, "up") == 0)
		return set_up(s, val, err, errlen);
	if (strcmp(key, "tcp_open") == 0 || strcmp(key, "open") == 0)
		return set_ports(val, 0, 65535, s->open_tcp, 65536, err, errlen);
	if (strcmp(key, "tcp_closed") == 0 || strcmp(key, "closed") == 0)
		return set_ports(val, 0, 65535, s->closed_tcp, 65536, err, errlen);
	if (strcmp(key, "udp_open") == 0)
		return set_ports(val, 0, 65535, s->open_udp, 65536, err, errlen);
	if (strcmp(key, "udp_closed") == 0)
		return set_ports(val, 0, 65535, s->closed_udp, 65536, err, errlen);
	if (strcmp(key, "protocols") == 0)
		return set_ports(val, 0, 255, s->proto_ok, 256, err, errlen);
	if (strcmp(key, "default") == 0) {
		if (strcmp(val, "closed") == 0 || strcmp(val, "filtered") == 0) {
			s->default_filtered = val[0] == 'f';
			return 0;
		}
		snprintf(err, errlen, "default: %s (closed or filtered)", val);
		return -1;
	}
	if (strcmp(key, "ttl") == 0) {
		unsigned long v = strtoul(val, &end, 10);
		if (*end || !*val || v < 1 || v > 255) {
			snprintf(err, errlen, "ttl: %s (1..255)", val);
			return -1;
		}
		s->ttl = (uint8_t)v;
		return 0;
	}
	if (strcmp(key, "rtt_ms") == 0 || strcmp(key, "jitter_ms") == 0) {
		double v = strtod(val, &end);
		if (*end || !*val || !(v >= 0 && v <= 60000)) {
			snprintf(err, errlen, "%s: %s (0..60000 ms)", key, val);
			return -1;
		}
		if (key[0] == 'r')
			s->rtt = v / 1000;
		else
			s->jitter = v / 1000;
		return 0;
	}
	snprintf(err, errlen, "unknown key %s", key);
	return -1;
}

int target_sim_load(struct target_sim *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	yaml_parser_t parser;
	yaml_document_t doc;
	bool have_parser = false, have_doc = false;
	char msg[200];
	char val[8192];
	int rc = -1;
	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	have_parser = true;
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu: %s", path, parser.problem_mark.line + 1,
		         parser.problem ? parser.problem : "YAML error");
		goto fail;
	}
	have_doc = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = 0; /* an empty profile changes nothing */
		goto fail;
	}
	if (root->type != YAML_MAPPING_NODE) {
		snprintf(err, errlen, "%s: the profile must be a mapping of keys", path);
		goto fail;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		if (!k || !v || k->type != YAML_SCALAR_NODE) {
			snprintf(err, errlen, "%s: keys must be plain words", path);
			goto fail;
		}
		const char *key = (const char *)k->data.scalar.value;
		if (node_list(&doc, v, val, sizeof val) != 0) {
			snprintf(err, errlen, "%s:%zu: %s: a value or a list of values", path,
			         k->start_mark.line + 1, key);
			goto fail;
		}
		if (apply(s, key, val, msg, sizeof msg) != 0) {
			snprintf(err, errlen, "%s:%zu: %s", path, k->start_mark.line + 1, msg);
			goto fail;
		}
	}
	rc = 0;
fail:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* ---- answering --------------------------------------------------------------------------- */

enum port_state { P_OPEN, P_CLOSED, P_FILTERED };

static enum port_state port_state(const struct target_sim *s, bool udp, uint16_t port)
{
	if (udp ? s->open_udp[port] : s->open_tcp[port])
		return P_OPEN;
	if ((udp ? s->closed_udp[port] : s->closed_tcp[port]) || !s->default_filtered)
		return P_CLOSED;
	return P_FILTERED;
}

static double delay(const struct target_sim *s, struct rng *r)
{
	double d = s->rtt;
	if (s->jitter > 0)
		d += ((double)rng_below(r, 2000001) / 1000000.0 - 1.0) * s->jitter;
	return d < MIN_DELAY ? MIN_DELAY : d;
}

/* A reply from the probed host back to the prober. */
static struct build_spec reply_base(const struct target_sim *s, const struct parse_view *pv,
                                    struct rng *r, uint8_t proto)
{
	return (struct build_spec){
	    .src = pv->dst,
	    .dst = pv->src,
	    .proto = proto,
	    .ttl = s->ttl,
	    .ip_id = (uint16_t)rng_next(r),
	    .df = proto == IPPROTO_TCP, /* Linux sets DF on TCP (path MTU discovery) */
	    .sport = pv->dport,
	    .dport = pv->sport,
	};
}

static int add(struct sim_out *out, int *n, double d, const struct build_spec *spec)
{
	if (*n >= SIM_MAX_OUT)
		return -1;
	out[*n].delay = d;
	out[*n].arp = false;
	if (build_packet(spec, &out[*n].pkt) != 0)
		return -1;
	(*n)++;
	return 0;
}

/* ICMP error quoting the probe (RFC 792 / RFC 4443). */
static int icmp_error(const struct target_sim *s, const struct parse_view *pv,
                      const struct build_spec *probe, struct rng *r, uint8_t type, uint8_t code,
                      uint32_t pointer, struct sim_out *out, int *n, double d)
{
	struct build_pkt q;
	if (build_packet(probe, &q) != 0)
		return -1;
	struct build_spec e = reply_base(s, pv, r, pv->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	e.df = false;
	e.icmp_type = type;
	e.icmp_code = code;
	e.icmp_id = (uint16_t)(pointer >> 16);
	e.icmp_seq = (uint16_t)pointer;
	e.payload = q.b;
	e.paylen = q.len < QUOTE_MAX ? q.len : QUOTE_MAX;
	return add(out, n, d, &e);
}

static int answer_tcp(const struct target_sim *s, const struct probe_module *m,
                      const struct parse_view *pv, struct rng *r, struct sim_out *out, int *n)
{
	double d = delay(s, r);
	enum port_state st = port_state(s, false, pv->dport);
	struct build_spec a = reply_base(s, pv, r, IPPROTO_TCP);
	if (pv->flags & TCP_RST)
		return 0; /* RFC 9293: never answer a reset */
	if (st == P_FILTERED)
		return 0;
	if ((pv->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && st == P_OPEN) {
		a.flags = TCP_SYN | TCP_ACK;
		a.seq = (uint32_t)rng_next(r);
		a.ack = pv->seq + 1;
		a.win = 64240;
		a.opts = synack_opts;
		a.optlen = sizeof synack_opts;
		if (add(out, n, d, &a) != 0)
			return -1;
		if (m->synack == PROBE_SYNACK_SILENT)
			return 0; /* spoofed or not, a flooder does not answer */
		/* The prober's side: back from the host's point of view. */
		struct build_spec b = {
		    .src = pv->src,
		    .dst = pv->dst,
		    .proto = IPPROTO_TCP,
		    .ttl = 64, /* the prober's kernel, not its raw socket, sends these */
		    .ip_id = (uint16_t)rng_next(r),
		    .sport = pv->sport,
		    .dport = pv->dport,
		    .seq = pv->seq + 1,
		};
		if (m->synack == PROBE_SYNACK_CONNECT) {
			/* connect() completes the handshake, then closes with a RST (linger 0). */
			b.df = true;
			b.flags = TCP_ACK;
			b.ack = a.seq + 1;
			b.win = 502;
			if (add(out, n, d + CONNECT_ACK_DELAY, &b) != 0)
				return -1;
			b.flags = TCP_RST | TCP_ACK;
			b.ip_id++;
			return add(out, n, d + CONNECT_CLOSE_DELAY, &b);
		}
		/* Half-open: the prober's kernel knows no such connection and resets it
		 * (RFC 9293 3.10.7.1: seq taken from the SYN-ACK's ACK field). */
		b.flags = TCP_RST;
		b.df = false;
		return add(out, n, d + SCANNER_RST_DELAY, &b);
	}
	if (pv->flags & TCP_ACK) {
		/* LISTEN or CLOSED, an ACK gets <SEQ=SEG.ACK><CTL=RST>. */
		a.flags = TCP_RST;
		a.seq = pv->ack;
		return add(out, n, d, &a);
	}
	if (st == P_OPEN)
		return 0; /* LISTEN drops segments without SYN, ACK or RST */
	/* CLOSED: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	a.flags = TCP_RST | TCP_ACK;
	a.seq = 0;
	a.ack = pv->seq + ((pv->flags & TCP_SYN) ? 1 : 0) + ((pv->flags & TCP_FIN) ? 1 : 0) +
	        pv->paylen;
	return add(out, n, d, &a);
}

int target_sim_answer(const struct target_sim *s, const struct probe_module *m,
                      const struct parse_view *pv, const struct build_spec *probe, struct rng *r,
                      struct sim_out out[SIM_MAX_OUT])
{
	int n = 0;
	if (m->arp) {
		if (pv->arp_op != 1 || !target_sim_host_up(s, &pv->arp_tpa))
			return 0;
		uint8_t sha[6], tha[6];
		build_mac_for(&pv->arp_tpa, sha);
		build_mac_for(&pv->arp_spa, tha);
		out[0].delay = delay(s, r);
		out[0].arp = true;
		out[0].rawlen = (uint16_t)build_arp(out[0].raw, 2, sha, pv->arp_tpa.a + 12, tha,
		                                    pv->arp_spa.a + 12);
		return 1;
	}
	if (!target_sim_host_up(s, &pv->dst))
		return 0;
	double d;
	switch (pv->proto) {
	case IPPROTO_TCP:
		if (!s->proto_ok[IPPROTO_TCP])
			break;
		return answer_tcp(s, m, pv, r, out, &n) == 0 ? n : -1;
	case IPPROTO_UDP: {
		if (!s->proto_ok[IPPROTO_UDP])
			break;
		enum port_state st = port_state(s, true, pv->dport);
		d = delay(s, r);
		if (st == P_OPEN) {
			/* A service answers in its own protocol where we know one (DNS: RFC 1035
			 * header, "not implemented" to a status query; NTP: an RFC 5905 server
			 * packet), otherwise it echoes the datagram (RFC 862). */
			static const uint8_t dns_reply[12] = {0, 0, 0x90, 0x04};
			static const uint8_t ntp_reply[48] = {0x24, 2, 6, 0xe9}; /* v4, mode 4 */
			struct build_spec a = reply_base(s, pv, r, IPPROTO_UDP);
			if (pv->dport == 53) {
				a.payload = dns_reply;
				a.paylen = sizeof dns_reply;
			} else if (pv->dport == 123) {
				a.payload = ntp_reply;
				a.paylen = sizeof ntp_reply;
			} else {
				a.payload = pv->payload;
				a.paylen = pv->paylen;
			}
			return add(out, &n, d, &a) == 0 ? n : -1;
		}
		if (st == P_FILTERED)
			return 0;
		if (icmp_error(s, pv, probe, r, pv->v6 ? 1 : 3, pv->v6 ? 4 : 3, 0, out, &n, d) != 0)
			return -1;
		return n;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		bool v6 = pv->proto == IPPROTO_ICMPV6;
		if (v6 != (pv->v6 != 0) || !s->proto_ok[pv->proto])
			break;
		struct build_spec a = reply_base(s, pv, r, pv->proto);
		a.icmp_id = pv->icmp_id;
		a.icmp_seq = pv->icmp_seq;
		a.payload = pv->payload;
		a.paylen = pv->paylen;
		if (pv->icmp_type == (v6 ? 128 : 8)) {
			a.icmp_type = v6 ? 129 : 0;
		} else if (!v6 && pv->icmp_type == 13 && pv->paylen >= 12) {
			/* RFC 792 timestamp reply: originate copied, receive/transmit in ms. */
			uint8_t ts[12];
			uint32_t now = (uint32_t)(rng_next(r) % 86400000u);
			memcpy(ts, pv->payload, 4);
			for (int i = 0; i < 2; i++) {
				ts[4 + i * 4] = (uint8_t)(now >> 24);
				ts[5 + i * 4] = (uint8_t)(now >> 16);
				ts[6 + i * 4] = (uint8_t)(now >> 8);
				ts[7 + i * 4] = (uint8_t)now;
			}
			a.icmp_type = 14;
			a.payload = ts;
			a.paylen = 12;
			return add(out, &n, delay(s, r), &a) == 0 ? n : -1;
		} else {
			return 0;
		}
		return add(out, &n, delay(s, r), &a) == 0 ? n : -1;
	}
	default:
		if (s->proto_ok[pv->proto])
			return 0; /* spoken, but an empty packet draws no answer */
		break;
	}
	/* Unsupported protocol: RFC 792 protocol unreachable; RFC 8200 4: parameter problem,
	 * unrecognized next header, pointing at the IPv6 header's next-header octet. */
	d = delay(s, r);
	if (icmp_error(s, pv, probe, r, pv->v6 ? 4 : 3, pv->v6 ? 1 : 2, pv->v6 ? 6 : 0, out, &n,
	               d) != 0)
		return -1;
	return n;
}

int target_sim_set(struct target_sim *s, const char *key, const char *val, char *err, size_t errlen)
{
	char buf[8192];
	if (strlen(val) >= sizeof buf) {
		snprintf(err, errlen, "%s: value too long", key);
		return -1;
	}
	strcpy(buf, val);
	return apply(s, key, buf, err, errlen);
}
