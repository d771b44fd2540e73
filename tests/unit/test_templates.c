/* test_templates.c — the copy-me plugins (detect_template.c, output_template.c,
 * probe/probe_template.c) keep their families' contracts and stay out of the registries. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/detect.h"
#include "scanwatch/output.h"
#include "scanwatch/track.h"

/*
 * scanprobe's sources are linked into scanprobe, not into scanwatch_core: the template and
 * what it uses are compiled in here, as test_probe_build.c does.
 */
#include "../../sensor/probe/build.c"
#include "../../sensor/probe/parse.c"
#include "../../sensor/probe/probe_template.c"
#include "../../sensor/probe/rng.c"

extern const struct detector detect_template;
extern const struct output_ops output_template_ops;

/* The registry's source names sym nowhere (scanprobe's registry is not in this program). */
static int registry_names(const char *rel, const char *sym)
{
	char src[1024], path[2048], *text = malloc(1 << 20);
	int found;

	snprintf(path, sizeof path, "%s/%s", FIXTURE_SOURCE_DIR(src, sizeof src, NULL), rel);
	if (text == NULL || fixture_read_file(path, text, 1 << 20) == 0) {
		free(text);
		return -1;
	}
	found = strstr(text, sym) != NULL;
	free(text);
	return found;
}

static void test_detector(void)
{
	const struct detector *d = &detect_template;
	struct track_entry *e = calloc(1, sizeof(*e));
	struct sw_rule r = {.threshold = 3, .detector = d};
	struct sw_event ev = {.type = EV_PROBE, .pclass = PC_UDP, .proto = 17, .port = 53};

	CHECK(e != NULL);
	if (e == NULL)
		return;
	CHECK(detect_lookup(d->name) == NULL); /* not registered */
	for (size_t i = 0; detect_at(i) != NULL; i++)
		CHECK(detect_at(i) != d);
	CHECK(d->on_event != NULL && d->kind != NULL && d->summary != NULL);
	CHECK(d->classes == 1u << PC_UDP);
	ev.src = fixture_ip("198.18.0.1");
	for (unsigned port = 1; port <= 3; port++) {
		ev.dst = fixture_ip("198.18.0.2");
		ev.port = (uint16_t)port;
		CHECK(d->on_event(&r, e, &ev)); /* probes are its own */
	}
	ev.repeat = 1;
	CHECK(d->on_event(&r, e, &ev)); /* a retransmission: no new pair */
	CHECK_EQ_U(e->score, 3);
	ev.type = EV_OUTCOME;
	ev.outcome = OUT_REFUSED;
	CHECK(!d->on_event(&r, e, &ev)); /* outcomes are not its own */
	CHECK(d->kind(&r, e) < KIND__COUNT);
	/* its own state says what the engine's counts do not: one retransmission */
	struct sw_detection rec;
	memset(&rec, 0, sizeof rec);
	CHECK(d->describe != NULL);
	if (d->describe)
		d->describe(&r, e, &rec);
	CHECK(rec.n_reasons == 1 && strcmp(rec.reasons[0].name, "retransmitted") == 0 &&
	      rec.reasons[0].count == 1);
	free(e);
}

static void test_output(void)
{
	const struct output_ops *o = &output_template_ops;
	char dir[] = "/tmp/sw-test-templates-XXXXXX", path[128], buf[512], err[256];
	struct sw_detection d;
	void *st;

	CHECK(output_lookup(o->name) == NULL); /* not registered */
	for (size_t i = 0; output_at(i) != NULL; i++)
		CHECK(output_at(i) != o);
	CHECK(output_check_target(o, "-", "-", err, sizeof err) == OUTPUT_TARGET_STDOUT);
	CHECK(output_check_target(o, "udp://127.0.0.1", "udp://127.0.0.1", err, sizeof err) < 0);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/out.tsv", dir);
	st = o->open(path, err, sizeof err);
	CHECK(st != NULL);
	if (st == NULL)
		return;
	fixture_syn(&d, DET_OPEN);
	CHECK(o->write(st, &d) == 0);
	fixture_syn(&d, DET_CLOSE);
	CHECK(o->write(st, &d) == 0);
	o->flush(st);
	CHECK(o->reopen(st) == 0);
	o->close(st);
	CHECK(fixture_read_file(path, buf, sizeof buf) > 0);
	CHECK_STR(buf, "2026-11-26T04:28:29.123456Z\topen\tsyn_scan\t198.18.0.2\t7\n"
	               "2026-11-26T04:28:41.000000Z\tclose\tsyn_scan\t198.18.0.2\t7\n");
	unlink(path);
	rmdir(dir);
}

static void test_probe(void)
{
	const struct probe_module *m = &probe_template;
	struct probe_env env = {.src = fixture_ip("198.18.0.1"), .sport = 40000, .key = 7};
	struct probe_target t = {.dst = fixture_ip("198.18.1.2"), .port = 161, .index = 3};
	struct build_spec s, s2, reply;
	struct build_pkt p;
	struct parse_view v;

	CHECK(registry_names("sensor/probe/probe.c", "&probe_template") == 0);
	CHECK(m->make != NULL && m->classify != NULL && m->flag != NULL && m->kind != NULL);
	CHECK(m->make(&env, &t, &s) == 0);
	CHECK(m->make(&env, &t, &s2) == 0);
	CHECK(memcmp(&s, &s2, sizeof s) == 0); /* pure: replies are matched by rebuilding */
	CHECK(build_packet(&s, &p) == 0);
	CHECK(parse_l3(p.b, p.len, &v) == 0);
	CHECK_EQ_U(v.proto, IPPROTO_UDP);
	CHECK_EQ_U(v.dport, 161);
	/* An answer from the port: open. */
	reply = (struct build_spec){.src = t.dst,
	                            .dst = env.src,
	                            .proto = IPPROTO_UDP,
	                            .ttl = 64,
	                            .sport = 161,
	                            .dport = env.sport};
	CHECK(build_packet(&reply, &p) == 0);
	CHECK(parse_l3(p.b, p.len, &v) == 0);
	CHECK_EQ_U(m->classify(&s, &v), PS_OPEN);
	/* A TCP segment says nothing about a UDP port. */
	reply.proto = IPPROTO_TCP;
	CHECK(build_packet(&reply, &p) == 0);
	CHECK(parse_l3(p.b, p.len, &v) == 0);
	CHECK_EQ_U(m->classify(&s, &v), PS_NONE);
}

int main(void)
{
	test_detector();
	test_output();
	test_probe();
	CHECK_DONE();
}
