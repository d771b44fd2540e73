/* targets.c — scanprobe's target and port lists (addresses, CIDRs, ranges) and its safety check. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/probe.h"

/*
 * nmap's 1000 most common TCP ports (nmap-services open-frequency). The first 100 are in
 * frequency order, the way --top-ports 100 picks them; the other 900 are the rest of nmap's
 * top-1000 set in port order, which is how that set is commonly published (masscan's copy).
 * --top-ports N above 100 therefore takes the top 100 plus the lowest-numbered of the rest.
 */
static const uint16_t top_tcp[] = {
    80,    23,    443,   21,    22,    25,    3389,  110,   445,   139,   143,   53,    135,
    3306,  8080,  1723,  111,   995,   993,   5900,  1025,  587,   8888,  199,   1720,  465,
    548,   113,   81,    6001,  10000, 514,   5060,  179,   1026,  2000,  8443,  8000,  32768,
    554,   26,    1433,  49152, 2001,  515,   8008,  49154, 1027,  5666,  646,   5000,  5631,
    631,   49153, 8081,  2049,  88,    79,    5800,  106,   2121,  1110,  49155, 6000,  513,
    990,   5357,  427,   49156, 543,   544,   5101,  144,   7,     389,   8009,  3128,  444,
    9999,  5009,  7070,  5190,  3000,  5432,  1900,  3986,  13,    1029,  9,     5051,  6646,
    49157, 1028,  873,   1755,  2717,  4899,  9100,  119,   37,    1,     3,     4,     6,
    17,    19,    20,    24,    30,    32,    33,    42,    43,    49,    70,    82,    83,
    84,    85,    89,    90,    99,    100,   109,   125,   146,   161,   163,   211,   212,
    222,   254,   255,   256,   259,   264,   280,   301,   306,   311,   340,   366,   406,
    407,   416,   417,   425,   458,   464,   481,   497,   500,   512,   524,   541,   545,
    555,   563,   593,   616,   617,   625,   636,   648,   666,   667,   668,   683,   687,
    691,   700,   705,   711,   714,   720,   722,   726,   749,   765,   777,   783,   787,
    800,   801,   808,   843,   880,   888,   898,   900,   901,   902,   903,   911,   912,
    981,   987,   992,   999,   1000,  1001,  1002,  1007,  1009,  1010,  1011,  1021,  1022,
    1023,  1024,  1030,  1031,  1032,  1033,  1034,  1035,  1036,  1037,  1038,  1039,  1040,
    1041,  1042,  1043,  1044,  1045,  1046,  1047,  1048,  1049,  1050,  1051,  1052,  1053,
    1054,  1055,  1056,  1057,  1058,  1059,  1060,  1061,  1062,  1063,  1064,  1065,  1066,
    1067,  1068,  1069,  1070,  1071,  1072,  1073,  1074,  1075,  1076,  1077,  1078,  1079,
    1080,  1081,  1082,  1083,  1084,  1085,  1086,  1087,  1088,  1089,  1090,  1091,  1092,
    1093,  1094,  1095,  1096,  1097,  1098,  1099,  1100,  1102,  1104,  1105,  1106,  1107,
    1108,  1111,  1112,  1113,  1114,  1117,  1119,  1121,  1122,  1123,  1124,  1126,  1130,
    1131,  1132,  1137,  1138,  1141,  1145,  1147,  1148,  1149,  1151,  1152,  1154,  1163,
    1164,  1165,  1166,  1169,  1174,  1175,  1183,  1185,  1186,  1187,  1192,  1198,  1199,
    1201,  1213,  1216,  1217,  1218,  1233,  1234,  1236,  1244,  1247,  1248,  1259,  1271,
    1272,  1277,  1287,  1296,  1300,  1301,  1309,  1310,  1311,  1322,  1328,  1334,  1352,
    1417,  1434,  1443,  1455,  1461,  1494,  1500,  1501,  1503,  1521,  1524,  1533,  1556,
    1580,  1583,  1594,  1600,  1641,  1658,  1666,  1687,  1688,  1700,  1717,  1718,  1719,
    1721,  1761,  1782,  1783,  1801,  1805,  1812,  1839,  1840,  1862,  1863,  1864,  1875,
    1914,  1935,  1947,  1971,  1972,  1974,  1984,  1998,  1999,  2002,  2003,  2004,  2005,
    2006,  2007,  2008,  2009,  2010,  2013,  2020,  2021,  2022,  2030,  2033,  2034,  2035,
    2038,  2040,  2041,  2042,  2043,  2045,  2046,  2047,  2048,  2065,  2068,  2099,  2100,
    2103,  2105,  2106,  2107,  2111,  2119,  2126,  2135,  2144,  2160,  2161,  2170,  2179,
    2190,  2191,  2196,  2200,  2222,  2251,  2260,  2288,  2301,  2323,  2366,  2381,  2382,
    2383,  2393,  2394,  2399,  2401,  2492,  2500,  2522,  2525,  2557,  2601,  2602,  2604,
    2605,  2607,  2608,  2638,  2701,  2702,  2710,  2718,  2725,  2800,  2809,  2811,  2869,
    2875,  2909,  2910,  2920,  2967,  2968,  2998,  3001,  3003,  3005,  3006,  3007,  3011,
    3013,  3017,  3030,  3031,  3052,  3071,  3077,  3168,  3211,  3221,  3260,  3261,  3268,
    3269,  3283,  3300,  3301,  3322,  3323,  3324,  3325,  3333,  3351,  3367,  3369,  3370,
    3371,  3372,  3390,  3404,  3476,  3493,  3517,  3527,  3546,  3551,  3580,  3659,  3689,
    3690,  3703,  3737,  3766,  3784,  3800,  3801,  3809,  3814,  3826,  3827,  3828,  3851,
    3869,  3871,  3878,  3880,  3889,  3905,  3914,  3918,  3920,  3945,  3971,  3995,  3998,
    4000,  4001,  4002,  4003,  4004,  4005,  4006,  4045,  4111,  4125,  4126,  4129,  4224,
    4242,  4279,  4321,  4343,  4443,  4444,  4445,  4446,  4449,  4550,  4567,  4662,  4848,
    4900,  4998,  5001,  5002,  5003,  5004,  5030,  5033,  5050,  5054,  5061,  5080,  5087,
    5100,  5102,  5120,  5200,  5214,  5221,  5222,  5225,  5226,  5269,  5280,  5298,  5405,
    5414,  5431,  5440,  5500,  5510,  5544,  5550,  5555,  5560,  5566,  5633,  5678,  5679,
    5718,  5730,  5801,  5802,  5810,  5811,  5815,  5822,  5825,  5850,  5859,  5862,  5877,
    5901,  5902,  5903,  5904,  5906,  5907,  5910,  5911,  5915,  5922,  5925,  5950,  5952,
    5959,  5960,  5961,  5962,  5963,  5987,  5988,  5989,  5998,  5999,  6002,  6003,  6004,
    6005,  6006,  6007,  6009,  6025,  6059,  6100,  6101,  6106,  6112,  6123,  6129,  6156,
    6346,  6389,  6502,  6510,  6543,  6547,  6565,  6566,  6567,  6580,  6666,  6667,  6668,
    6669,  6689,  6692,  6699,  6779,  6788,  6789,  6792,  6839,  6881,  6901,  6969,  7000,
    7001,  7002,  7004,  7007,  7019,  7025,  7100,  7103,  7106,  7200,  7201,  7402,  7435,
    7443,  7496,  7512,  7625,  7627,  7676,  7741,  7777,  7778,  7800,  7911,  7920,  7921,
    7937,  7938,  7999,  8001,  8002,  8007,  8010,  8011,  8021,  8022,  8031,  8042,  8045,
    8082,  8083,  8084,  8085,  8086,  8087,  8088,  8089,  8090,  8093,  8099,  8100,  8180,
    8181,  8192,  8193,  8194,  8200,  8222,  8254,  8290,  8291,  8292,  8300,  8333,  8383,
    8400,  8402,  8500,  8600,  8649,  8651,  8652,  8654,  8701,  8800,  8873,  8899,  8994,
    9000,  9001,  9002,  9003,  9009,  9010,  9011,  9040,  9050,  9071,  9080,  9081,  9090,
    9091,  9099,  9101,  9102,  9103,  9110,  9111,  9200,  9207,  9220,  9290,  9415,  9418,
    9485,  9500,  9502,  9503,  9535,  9575,  9593,  9594,  9595,  9618,  9666,  9876,  9877,
    9878,  9898,  9900,  9917,  9929,  9943,  9944,  9968,  9998,  10001, 10002, 10003, 10004,
    10009, 10010, 10012, 10024, 10025, 10082, 10180, 10215, 10243, 10566, 10616, 10617, 10621,
    10626, 10628, 10629, 10778, 11110, 11111, 11967, 12000, 12174, 12265, 12345, 13456, 13722,
    13782, 13783, 14000, 14238, 14441, 14442, 15000, 15002, 15003, 15004, 15660, 15742, 16000,
    16001, 16012, 16016, 16018, 16080, 16113, 16992, 16993, 17877, 17988, 18040, 18101, 18988,
    19101, 19283, 19315, 19350, 19780, 19801, 19842, 20000, 20005, 20031, 20221, 20222, 20828,
    21571, 22939, 23502, 24444, 24800, 25734, 25735, 26214, 27000, 27352, 27353, 27355, 27356,
    27715, 28201, 30000, 30718, 30951, 31038, 31337, 32769, 32770, 32771, 32772, 32773, 32774,
    32775, 32776, 32777, 32778, 32779, 32780, 32781, 32782, 32783, 32784, 32785, 33354, 33899,
    34571, 34572, 34573, 35500, 38292, 40193, 40911, 41511, 42510, 44176, 44442, 44443, 44501,
    45100, 48080, 49158, 49159, 49160, 49161, 49163, 49165, 49167, 49175, 49176, 49400, 49999,
    50000, 50001, 50002, 50003, 50006, 50300, 50389, 50500, 50636, 50800, 51103, 51493, 52673,
    52822, 52848, 52869, 54045, 54328, 55055, 55056, 55555, 55600, 56737, 56738, 57294, 57797,
    58080, 60020, 60443, 61532, 61900, 62078, 63331, 64623, 64680, 65000, 65129, 65389,
};

/* nmap's most common UDP ports, frequency order (nmap-services). */
static const uint16_t top_udp[] = {
    631, 161, 137, 123, 138,  1434, 445, 135,   67,  53,
    139, 500, 68,  520, 1900, 4500, 514, 49152, 162, 69,
};

/*
 * Allowed without --allow: loopback, the benchmarking ranges (RFC 2544 / RFC 5180) and the
 * documentation ranges (RFC 5737 / RFC 3849). Nothing here is routed on the Internet, so a
 * mistyped target cannot hit a stranger.
 */
/* The ranges scanprobe allows without --allow (loopback, benchmarking, documentation). */
static const char *const targets_default_allowed[] = {
    "127.0.0.0/8",     "::1/128",        "198.18.0.0/15", "2001:2::/48", "192.0.2.0/24",
    "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", NULL,
};

__attribute__((format(printf, 3, 4))) static void seterr(char *err, size_t errlen, const char *fmt,
                                                         ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void targets_addr_add(struct sw_addr *a, uint64_t k)
{
	for (int i = 15; i >= 0 && k; i--) {
		uint64_t v = (uint64_t)a->a[i] + (k & 0xff);
		a->a[i] = (uint8_t)v;
		k = (k >> 8) + (v >> 8);
	}
}

/* b - a as an unsigned number when it fits 64 bits and b >= a; -1 otherwise. */
static int addr_diff(const struct sw_addr *a, const struct sw_addr *b, uint64_t *out)
{
	if (addr_cmp(a, b) > 0)
		return -1;
	for (int i = 0; i < 8; i++) {
		if (a->a[i] != b->a[i])
			return -1;
	}
	uint64_t x = 0, y = 0;
	for (int i = 8; i < 16; i++) {
		x = x << 8 | a->a[i];
		y = y << 8 | b->a[i];
	}
	*out = y - x;
	return 0;
}

static int push(struct targets *t, const struct sw_addr *first, uint64_t count, char *err,
                size_t errlen, const char *text)
{
	if (count == 0 || count > TARGETS_MAX_HOSTS || t->total + count > TARGETS_MAX_HOSTS) {
		seterr(err, errlen, "%s: too many hosts (scanprobe plans at most 2^24)", text);
		return -1;
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 8;
		struct targets_range *nr = realloc(t->r, nc * sizeof *nr);
		if (!nr) {
			seterr(err, errlen, "%s: out of memory", text);
			return -1;
		}
		t->r = nr;
		t->cap = nc;
	}
	t->r[t->n].first = *first;
	t->r[t->n].count = (uint32_t)count;
	t->n++;
	t->total += count;
	return 0;
}

/* One expression without commas. */
static int add_one(struct targets *t, const char *text, char *err, size_t errlen)
{
	char buf[128];
	struct sw_addr a, b;
	if (strlen(text) >= sizeof buf) {
		seterr(err, errlen, "%.60s...: target too long", text);
		return -1;
	}
	strcpy(buf, text);
	char *slash = strchr(buf, '/');
	char *dash = strchr(buf, '-');
	if (slash) {
		struct sw_cidr c;
		if (addr_cidr_parse(buf, &c) != 0) {
			seterr(err, errlen, "%s: not a CIDR block", text);
			return -1;
		}
		unsigned hostbits = 128u - c.plen;
		if (hostbits > 24) {
			seterr(err, errlen,
			       "%s: block too large (scanprobe plans at most 2^24 hosts)", text);
			return -1;
		}
		/* Clear host bits so 198.18.1.7/24 means the whole /24, as nmap reads it. */
		struct sw_addr base = c.base;
		for (unsigned i = c.plen; i < 128; i++)
			base.a[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
		return push(t, &base, 1ULL << hostbits, err, errlen, text);
	}
	if (dash) {
		*dash = '\0';
		const char *rhs = dash + 1;
		if (addr_parse(buf, &a) != 0) {
			seterr(err, errlen, "%s: bad range start", text);
			return -1;
		}
		b = a;
		if (addr_parse(rhs, &b) != 0) {
			/* "198.18.1.1-20": the end replaces the last octet (or last IPv6 group). */
			char *end;
			errno = 0;
			unsigned long v = strtoul(rhs, &end, addr_is_v4(&a) ? 10 : 16);
			if (!*rhs || *end || errno || !isxdigit((unsigned char)*rhs) ||
			    v > (addr_is_v4(&a) ? 255ul : 0xfffful)) {
				seterr(err, errlen, "%s: bad range end", text);
				return -1;
			}
			if (addr_is_v4(&a)) {
				b.a[15] = (uint8_t)v;
			} else {
				b.a[14] = (uint8_t)(v >> 8);
				b.a[15] = (uint8_t)v;
			}
		}
		uint64_t d;
		if (addr_is_v4(&a) != addr_is_v4(&b) || addr_diff(&a, &b, &d) != 0) {
			seterr(err, errlen, "%s: range end before its start or across families",
			       text);
			return -1;
		}
		if (d >= TARGETS_MAX_HOSTS) {
			seterr(err, errlen, "%s: too many hosts (scanprobe plans at most 2^24)",
			       text);
			return -1;
		}
		return push(t, &a, d + 1, err, errlen, text);
	}
	if (addr_parse(buf, &a) != 0) {
		seterr(err, errlen,
		       "%s: not an address, CIDR block or range (no names: scanprobe "
		       "does not resolve)",
		       text);
		return -1;
	}
	return push(t, &a, 1, err, errlen, text);
}

int targets_add(struct targets *t, const char *text, char *err, size_t errlen)
{
	char *copy = strdup(text);
	if (!copy) {
		seterr(err, errlen, "%s: out of memory", text);
		return -1;
	}
	int rc = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (add_one(t, tok, err, errlen) != 0) {
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

void targets_free(struct targets *t)
{
	free(t->r);
	memset(t, 0, sizeof *t);
}

void targets_get(const struct targets *t, uint64_t idx, struct sw_addr *out)
{
	/* Linear in ranges: command lines name a handful; a big block is one range. */
	for (size_t i = 0; i < t->n; i++) {
		if (idx < t->r[i].count) {
			*out = t->r[i].first;
			targets_addr_add(out, idx);
			return;
		}
		idx -= t->r[i].count;
	}
	memset(out, 0, sizeof *out);
}

static int parse_num(const char *s, const char **end, unsigned max, unsigned *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	unsigned long v = 0;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -1;
		s++;
	}
	*end = s;
	*out = (unsigned)v;
	return 0;
}

int targets_ports(const char *text, unsigned min, unsigned max, struct ports *p, char *err,
                  size_t errlen)
{
	uint8_t *seen = calloc(max + 1, 1);
	uint16_t *v = malloc((max + 1) * sizeof *v);
	size_t n = 0;
	if (!seen || !v) {
		seterr(err, errlen, "%s: out of memory", text);
		goto fail;
	}
	const char *s = text;
	if (!*s)
		goto bad;
	while (*s) {
		unsigned lo = min, hi = max;
		/* nmap forms: "22", "1000-1010", "-" (all), "-1024", "60000-". */
		if (*s != '-' && parse_num(s, &s, max, &lo) != 0)
			goto bad;
		if (*s == '-') {
			s++;
			if (*s && *s != ',' && parse_num(s, &s, max, &hi) != 0)
				goto bad;
		} else {
			hi = lo;
		}
		if (lo < min || hi < lo)
			goto bad;
		for (unsigned x = lo; x <= hi; x++) {
			if (!seen[x]) {
				seen[x] = 1;
				v[n++] = (uint16_t)x;
			}
		}
		if (*s == ',' && s[1])
			s++;
		else if (*s)
			goto bad; /* junk, or a trailing comma */
	}
	free(seen);
	p->v = v;
	p->n = n;
	return 0;
bad:
	seterr(err, errlen, "%s: bad port list (e.g. 22,80,1000-1010 or -)", text);
fail:
	free(seen);
	free(v);
	return -1;
}

int targets_top_ports(unsigned n, bool udp, struct ports *p, char *err, size_t errlen)
{
	const uint16_t *src = udp ? top_udp : top_tcp;
	size_t have = udp ? sizeof top_udp / sizeof top_udp[0] : sizeof top_tcp / sizeof top_tcp[0];
	char num[24];
	snprintf(num, sizeof num, "%u", n);
	if (n == 0 || n > have) {
		if (err && errlen)
			snprintf(err, errlen, "--top-ports %s: between 1 and %zu for %s", num, have,
			         udp ? "UDP" : "TCP");
		return -1;
	}
	p->v = malloc(n * sizeof *p->v);
	if (!p->v) {
		seterr(err, errlen, "--top-ports %s: out of memory", num);
		return -1;
	}
	memcpy(p->v, src, n * sizeof *p->v);
	p->n = n;
	return 0;
}

static bool in_block(const struct sw_cidr *c, const struct sw_addr *first, uint32_t count)
{
	struct sw_addr last = *first;
	targets_addr_add(&last, count - 1);
	/* A CIDR block is contiguous, so a run lies inside it iff both ends do. */
	return addr_cidr_contains(c, first) && addr_cidr_contains(c, &last) &&
	       addr_cmp(first, &last) <= 0;
}

static bool range_allowed(const struct sw_addr *first, uint32_t count, const struct sw_cidr *extra,
                          size_t nextra)
{
	for (size_t i = 0; targets_default_allowed[i]; i++) {
		struct sw_cidr c;
		if (addr_cidr_parse(targets_default_allowed[i], &c) == 0 &&
		    in_block(&c, first, count))
			return true;
	}
	for (size_t i = 0; i < nextra; i++) {
		if (in_block(&extra[i], first, count))
			return true;
	}
	return false;
}

bool targets_addr_allowed(const struct sw_addr *a, const struct sw_cidr *extra, size_t nextra)
{
	return range_allowed(a, 1, extra, nextra);
}

bool targets_allowed(const struct targets *t, const struct sw_cidr *extra, size_t nextra, char *err,
                     size_t errlen)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!range_allowed(&t->r[i].first, t->r[i].count, extra, nextra)) {
			char a[ADDR_TEXT_MAX];
			addr_format(&t->r[i].first, a);
			seterr(
			    err, errlen,
			    "refusing target %s: outside loopback, 198.18.0.0/15, 2001:2::/48 and "
			    "the documentation ranges; name it with --allow CIDR if it is yours",
			    a);
			return false;
		}
	}
	return true;
}
