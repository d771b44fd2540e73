/* test_track.c — exact distinct counts past the inline sets, their memory budget and its return. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/track.h"

static void v4(struct sw_addr *a, uint32_t host)
{
	uint8_t b[4] = {198, (uint8_t)(18 + (host >> 16 & 1)), (uint8_t)(host >> 8), (uint8_t)host};
	addr_set_v4(a, b);
}

static void probe(struct track_entry *e, uint32_t host, uint16_t port, bool by_dst,
                  struct track_budget *b)
{
	struct sw_event ev = {.type = EV_PROBE, .pclass = PC_TCP_SYN, .proto = 6, .port = port};
	ev.ts_us = 1000 + e->probes;
	v4(&ev.src, 1);
	v4(by_dst ? &ev.src : &ev.dst, host);
	if (by_dst)
		v4(&ev.dst, 2);
	track_note_probe(e, &ev, by_dst, b);
}

static struct track_entry *fresh(void)
{
	struct track_entry *e = calloc(1, sizeof *e);
	CHECK(e != NULL);
	if (e)
		e->ports.is_port = 1;
	return e;
}

/* Every port of a 10,000-port scan counted, not estimated (the inline set turns into a
 * bitmap after 64; the side set takes over with all of them). */
static void test_ports_exact(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	for (uint32_t p = 1; p <= 10000; p++)
		probe(e, 2, (uint16_t)p, false, &b);
	for (uint32_t p = 1; p <= 10000; p += 7) /* repeats change nothing */
		probe(e, 2, (uint16_t)p, false, &b);
	CHECK_EQ_U(track_distinct_ports(e), 10000);
	CHECK_EQ_U(track_distinct_targets(e), 1);
	CHECK(!e->inexact);
	CHECK_EQ_U(b.sets, 1);
	CHECK(b.used >= TRACK_EXACT_PORT_BYTES);
	probe(e, 2, 0, false, &b);
	probe(e, 2, 65535, false, &b);
	CHECK_EQ_U(track_distinct_ports(e), 10002);
	track_release(e, &b);
	CHECK_EQ_U(b.used, 0);
	CHECK(e->exact == NULL);
	free(e);
}

/* Hosts: every count from 1 to 3,000 exact, through several doublings of the side set,
 * including the addresses whose key is 0 or 0xFFFFFFFF. */
static void test_hosts_exact(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	for (uint32_t h = 0; h < 3000; h++) {
		probe(e, h, 80, false, &b);
		if (track_distinct_targets(e) != h + 1) {
			CHECK_EQ_U(track_distinct_targets(e), h + 1);
			break;
		}
	}
	for (uint32_t h = 0; h < 3000; h += 3)
		probe(e, h, 80, false, &b);
	CHECK_EQ_U(track_distinct_targets(e), 3000);
	CHECK_EQ_U(track_distinct_ports(e), 1);
	CHECK(!e->inexact);
	/* 0.0.0.0 is key 0 and 255.255.255.255 key 0xFFFFFFFF: the empty mark's neighbours */
	struct sw_event ev = {.type = EV_PROBE, .pclass = PC_TCP_SYN, .proto = 6, .port = 80};
	static const uint8_t zero[4] = {0, 0, 0, 0}, ones[4] = {255, 255, 255, 255};
	v4(&ev.src, 1);
	for (int i = 0; i < 2; i++) {
		addr_set_v4(&ev.dst, zero);
		track_note_probe(e, &ev, false, &b);
		addr_set_v4(&ev.dst, ones);
		track_note_probe(e, &ev, false, &b);
	}
	CHECK_EQ_U(track_distinct_targets(e), 3002);
	track_release(e, &b);
	CHECK_EQ_U(b.used, 0);
	free(e);
}

/* Grouped by target, the set holds the sources; membership is exact in the side set. */
static void test_sources_exact(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	for (uint32_t h = 10; h < 510; h++)
		probe(e, h, 80, true, &b);
	CHECK_EQ_U(track_distinct_sources(e), 500);
	struct sw_addr a;
	v4(&a, 10);
	CHECK(track_has_source(e, &a));
	v4(&a, 509);
	CHECK(track_has_source(e, &a));
	v4(&a, 510);
	CHECK(!track_has_source(e, &a));
	v4(&a, 9);
	CHECK(!track_has_source(e, &a));
	track_release(e, &b);
	free(e);
}

/* No budget: the counts stay estimates, the entry says so, nothing is held. A budget that
 * runs out while a host set grows gives its memory back at once. */
static void test_budget(void)
{
	struct track_budget none = {.limit = 0};
	struct track_entry *e = fresh();
	if (!e)
		return;
	for (uint32_t p = 1; p <= 1000; p++)
		probe(e, 2, (uint16_t)p, false, &none);
	CHECK(e->inexact);
	CHECK_EQ_U(none.denied, 1);
	CHECK_EQ_U(none.used, 0);
	CHECK(track_distinct_ports(e) > 900 && track_distinct_ports(e) <= 1000);
	/* a new window forgets the refusal */
	track_reset_window(e, 5000, &none);
	CHECK(!e->inexact);
	CHECK_EQ_U(track_distinct_ports(e), 0);
	free(e);

	/* room for the side record and the first host table (129 slots), not for its growth */
	struct track_budget tight = {.limit = sizeof(struct track_exact) + 129 * 4};
	e = fresh();
	if (!e)
		return;
	for (uint32_t h = 0; h < 200; h++)
		probe(e, h, 80, false, &tight);
	CHECK(e->inexact);
	CHECK_EQ_U(tight.sets, 1);
	CHECK_EQ_U(tight.denied, 1);
	CHECK_EQ_U(tight.used, sizeof(struct track_exact));
	CHECK(track_distinct_targets(e) > 150 && track_distinct_targets(e) <= 200);
	track_reset_window(e, 9000, &tight);
	CHECK_EQ_U(tight.used, 0);
	free(e);
}

int main(void)
{
	test_ports_exact();
	test_hosts_exact();
	test_sources_exact();
	test_budget();
	CHECK_DONE();
}
