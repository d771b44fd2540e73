/* detect_osfp.c — OS fingerprinting: the probe set of nmap -O, which no other traffic resembles. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * nmap's second-generation OS detection (nmap.org/book/osdetect-methods.html)
 * sends a fixed battery: six SYNs with windows 1, 63, 4, 4, 16, 512 and
 * unusual option orders (SEQ/OPS/WIN), an ECN SYN with CWR|ECE and window 3,
 * T2..T7 with odd flags and windows 128, 256, 1024, 31337, 32768, 65535, two
 * ICMP echoes (one with code 9), and a 300-byte UDP datagram with IP id
 * 0x1042. Each distinct tell-tale sets one bit; the score is how many are
 * set, so three different ones from a source open a detection.
 *
 * ICMP batteries (Xprobe2's, Arkin and Yarochkin, "ICMP based remote OS TCP/IP
 * stack fingerprinting techniques", Phrack 57; xprobe2 0.3's
 * src/xpmodules/os_probe/) ask one host things no ordinary stack asks: an
 * echo request with a non-zero code (Xprobe2: 123, with TOS 6 and DF, in
 * icmp_echo_id.cc), and timestamp, address-mask and information requests,
 * types obsolete since RFC 6918. Each is one more tell-tale, counted while the
 * source's probes of this kind have gone to one host: nmap -sn -PP -PM asks
 * timestamp and mask of every host it sweeps, and that is a sweep. No tool is
 * named from them: Xprobe2 cannot be captured here, and hping3 or nping build
 * the same packets.
 */
enum {
	S_SEQ_W1 = 1u << 0,
	S_SEQ_W63 = 1u << 1,
	S_SEQ_W4 = 1u << 2,
	S_SEQ_W16 = 1u << 3,
	S_SEQ_W512 = 1u << 4,
	S_ECN = 1u << 5,
	S_T2 = 1u << 6,
	S_T3 = 1u << 7,
	S_T5 = 1u << 8,
	S_T6 = 1u << 9,
	S_T7 = 1u << 10,
	S_IE_CODE9 = 1u << 11,
	S_U1 = 1u << 12,
	S_IE_CODE = 1u << 13, /* echo request, code neither 0 nor nmap's 9 */
	S_TSTAMP = 1u << 14,  /* RFC 792 timestamp request */
	S_INFO = 1u << 15,    /* RFC 792 information request */
	S_MASK = 1u << 16,    /* RFC 950 address-mask request */
};
#define S_ICMP_BATTERY (S_IE_CODE | S_TSTAMP | S_INFO | S_MASK)

/* RFC 792 / RFC 950 request types. */
static uint32_t icmp_signature(const struct sw_packet *p)
{
	switch (p->icmp_type) {
	case 8:
		return p->icmp_code == 9 ? S_IE_CODE9 : p->icmp_code ? S_IE_CODE : 0;
	case 13:
		return S_TSTAMP;
	case 15:
		return S_INFO;
	case 17:
		return S_MASK;
	default:
		return 0;
	}
}

static uint32_t signature(const struct sw_packet *p)
{
	if (p->proto == 6 && (p->flags & PKT_F_HAS_L4)) {
		uint8_t f = p->tcp_flags & 0x3f;
		uint16_t w = p->tcp_window;
		bool ts = p->tcp_opts.has_ts;
		if ((p->tcp_flags & (TCP_SYN | TCP_ECE | TCP_CWR)) ==
		        (TCP_SYN | TCP_ECE | TCP_CWR) &&
		    w == 3)
			return S_ECN;
		if (f == TCP_SYN && ts) {
			switch (w) {
			case 1:
				return S_SEQ_W1;
			case 63:
				return S_SEQ_W63;
			case 4:
				return S_SEQ_W4;
			case 16:
				return S_SEQ_W16;
			case 512:
				return S_SEQ_W512;
			case 31337:
				return S_T5;
			default:
				return 0;
			}
		}
		if (f == 0 && w == 128 && ts)
			return S_T2;
		if (f == (TCP_SYN | TCP_FIN | TCP_URG | TCP_PSH) && w == 256)
			return S_T3;
		if (f == TCP_ACK && w == 32768 && ts)
			return S_T6;
		if (f == (TCP_FIN | TCP_PSH | TCP_URG) && w == 65535 && ts)
			return S_T7;
		return 0;
	}
	if (p->proto == 1 && (p->flags & PKT_F_HAS_L4))
		return icmp_signature(p);
	if (p->proto == 17 && p->l3 == PKT_L3_IPV4 && p->ip_id == 0x1042 && p->payload_len == 300)
		return S_U1;
	return 0;
}

/* What this detector keeps in a tracking entry (track.h, TRACK_STATE). */
struct osfp_state {
	uint32_t seen; /* the S_ signatures seen so far */
};
TRACK_STATE_FITS(struct osfp_state);

static inline struct osfp_state *st_of(struct track_entry *e)
{
	return TRACK_STATE(e, struct osfp_state);
}

static bool osfp_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type != EV_PROBE || !ev->pkt)
		return false;
	uint32_t s = signature(ev->pkt);
	if (!s)
		return false;
	if ((s & S_ICMP_BATTERY) && e->probes &&
	    (e->multi_target || !addr_eq(&e->target, &ev->dst)))
		return true; /* one host's battery, not a sweep's requests */
	if (!(st_of(e)->seen & s)) {
		st_of(e)->seen |= s;
		e->score++;
	}
	return true;
}

static bool osfp_wants(const struct sw_event *ev)
{
	return ev->pkt && signature(ev->pkt);
}

static enum sw_kind osfp_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_OS_FINGERPRINT;
}

const struct detector detect_osfp = {
    .name = "os_fingerprint",
    .summary = "OS fingerprinting probes: nmap -O, ICMP batteries (Xprobe2-style)",
    .classes = 1u << PC_TCP_SYN | 1u << PC_TCP_NULL | 1u << PC_TCP_ODD | 1u << PC_TCP_ACK |
               1u << PC_TCP_XMAS | 1u << PC_ICMP_ECHO | 1u << PC_ICMP_OTHER | 1u << PC_UDP,
    .default_group = GROUP_SRC,
    .wants = osfp_wants,
    .on_event = osfp_event,
    .kind = osfp_kind,
};
