/* dryrun.c — the --write engine: probes, simulated replies, background and labels into a pcap. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/probe.h"

/* Captures start at this fixed epoch (2023-11-14 22:13:20 UTC) plus --seed seconds modulo a
 * day, never at the wall clock, so the same seed gives the same bytes. */
#define DRYRUN_EPOCH 1700000000ULL
/* In-flight packets (replies not yet due) the reorder queue holds; beyond it the earliest is
 * written early, which only happens with RTTs far above the probe gap times this. */
#define DRYRUN_QUEUE_MAX (1u << 20)
/* Frame buffer per queued packet: Ethernet header plus the largest L3 packet. */
#define FRAME_MAX (14 + BUILD_MAX)

struct slot {
	uint16_t len;
	uint8_t frame[FRAME_MAX];
};

struct hent {
	uint64_t t; /* microseconds since the capture start */
	uint64_t order;
	uint32_t slot;
};

struct dry {
	struct write_pcap *w;
	struct slot *slots;
	uint32_t *freelist;
	struct hent *heap;
	size_t n, cap, nfree;
	uint64_t order;
	uint64_t start_us;
	uint64_t written, max;
	int rc;
};

static bool before(const struct hent *a, const struct hent *b)
{
	return a->t < b->t || (a->t == b->t && a->order < b->order);
}

static int write_min(struct dry *d)
{
	struct hent top = d->heap[0];
	d->heap[0] = d->heap[--d->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < d->n && before(&d->heap[l], &d->heap[m]))
			m = l;
		if (r < d->n && before(&d->heap[r], &d->heap[m]))
			m = r;
		if (m == i)
			break;
		struct hent t = d->heap[i];
		d->heap[i] = d->heap[m];
		d->heap[m] = t;
		i = m;
	}
	d->freelist[d->nfree++] = top.slot;
	if (d->written >= d->max)
		return 0; /* the hard cap: drop the rest, the run reports the cap */
	const struct slot *s = &d->slots[top.slot];
	if (write_pcap_frame(d->w, d->start_us + top.t, s->frame, s->len) != 0)
		return -1;
	d->written++;
	return 0;
}

static int grow(struct dry *d)
{
	size_t nc = d->cap ? d->cap * 2 : 4096;
	if (nc > DRYRUN_QUEUE_MAX)
		return write_min(d); /* full: write the earliest now */
	struct slot *ns = realloc(d->slots, nc * sizeof *ns);
	if (!ns)
		return -1;
	d->slots = ns;
	uint32_t *nf = realloc(d->freelist, nc * sizeof *nf);
	if (!nf)
		return -1;
	d->freelist = nf;
	struct hent *nh = realloc(d->heap, nc * sizeof *nh);
	if (!nh)
		return -1;
	d->heap = nh;
	for (size_t i = d->cap; i < nc; i++)
		d->freelist[d->nfree++] = (uint32_t)(nc - 1 - (i - d->cap));
	d->cap = nc;
	return 0;
}

/* Queues a frame for time t (seconds after the start); returns its slot's frame to fill. */
static struct slot *push(struct dry *d, double t)
{
	if (d->nfree == 0 && grow(d) != 0)
		return NULL;
	uint32_t si = d->freelist[--d->nfree];
	size_t i = d->n++;
	struct hent e = {.t = (uint64_t)llround(t * 1e6), .order = d->order++, .slot = si};
	while (i > 0 && before(&e, &d->heap[(i - 1) / 2])) {
		d->heap[i] = d->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	d->heap[i] = e;
	return &d->slots[si];
}

static int push_l3(struct dry *d, double t, const struct build_pkt *p)
{
	struct slot *s = push(d, t);
	if (!s)
		return -1;
	uint8_t dmac[6], smac[6];
	struct sw_addr src, dst;
	if (p->v6) {
		addr_from_v6(&src, p->b + 8);
		addr_from_v6(&dst, p->b + 24);
	} else {
		addr_from_v4(&src, p->b + 12);
		addr_from_v4(&dst, p->b + 16);
	}
	build_mac_for(&dst, dmac);
	build_mac_for(&src, smac);
	s->len = (uint16_t)build_ether(s->frame, sizeof s->frame, dmac, smac, p);
	return s->len ? 0 : -1;
}

static int push_raw(struct dry *d, double t, const uint8_t *frame, size_t len)
{
	struct slot *s = push(d, t);
	if (!s || len > sizeof s->frame)
		return -1;
	memcpy(s->frame, frame, len);
	s->len = (uint16_t)len;
	return 0;
}

/* Writes every queued packet due at or before t (seconds). */
static int flush_until(struct dry *d, double t)
{
	uint64_t us = (uint64_t)llround(t * 1e6);
	while (d->n && d->heap[0].t <= us) {
		if (write_min(d) != 0)
			return -1;
	}
	return 0;
}

static int bg_emit(void *ctx, double t, const struct build_pkt *p)
{
	return push_l3(ctx, t, p);
}

/* Default labels path: FILE.pcap -> FILE.labels.tsv (malloc'ed, caller frees). */
static char *dryrun_labels_path(const char *pcap_path)
{
	size_t n = strlen(pcap_path);
	const char *ext = ".pcap";
	size_t el = strlen(ext);
	if (n > el && strcmp(pcap_path + n - el, ext) == 0)
		n -= el;
	char *out = malloc(n + sizeof ".labels.tsv");
	if (!out)
		return NULL;
	memcpy(out, pcap_path, n);
	memcpy(out + n, ".labels.tsv", sizeof ".labels.tsv");
	return out;
}

/* The n-th scanner's address: -S (or the default) plus n. */
static void scanner_addr(const struct probe_plan *plan, unsigned n, struct sw_addr *out)
{
	*out = plan->env.src;
	targets_addr_add(out, n);
}

static int write_labels(const struct probe_plan *plan, const struct dryrun_opts *o)
{
	char *path = o->labels ? NULL : dryrun_labels_path(o->path);
	const char *lp = o->labels ? o->labels : path;
	FILE *f = lp ? fopen(lp, "w") : NULL;
	int rc = -1;
	if (!f) {
		fprintf(stderr, "scanprobe: %s: cannot write labels: %s\n", lp ? lp : "?",
		        strerror(errno));
		goto fail;
	}
	/* Format read by `scanwatch eval`: capture, scanner or *, kind[,acceptable kind]. */
	if (!o->has_scan) {
		fprintf(f, "%s\t*\t\n", o->path);
	} else if (plan->mod->flood && plan->env.spoof) {
		fprintf(f, "%s\t*\t%s\n", o->path, plan->mod->kind);
	} else {
		for (unsigned s = 0; s < o->scanners; s++) {
			char a[ADDR_TEXT_MAX];
			struct sw_addr addr;
			scanner_addr(plan, s, &addr);
			fprintf(f, "%s\t%s\t%s%s%s\n", o->path, addr_format(&addr, a),
			        plan->mod->kind, plan->mod->kind_alt ? "," : "",
			        plan->mod->kind_alt ? plan->mod->kind_alt : "");
		}
	}
	rc = fclose(f) == 0 ? 0 : -1;
	f = NULL;
	if (rc != 0)
		fprintf(stderr, "scanprobe: %s: write failed\n", lp);
fail:
	if (f)
		fclose(f);
	free(path);
	return rc;
}

static int one_probe(struct dry *d, const struct probe_plan *plan, const struct dryrun_opts *o,
                     const struct probe_env *env, uint64_t idx, double t, struct rng *r,
                     struct probe_results *res)
{
	struct probe_target tgt;
	struct build_spec spec;
	struct build_pkt pkt;
	struct parse_view pv;
	struct sim_out out[SIM_MAX_OUT];
	uint8_t frame[64];
	if (probe_plan_make(plan, env, idx, &tgt, &spec) != 0) {
		fprintf(stderr, "scanprobe: %s cannot probe %s targets\n", plan->mod->flag,
		        addr_is_v4(&tgt.dst) ? "IPv4" : "IPv6");
		return -1;
	}
	if (plan->mod->arp) {
		uint8_t sha[6], zero[6] = {0};
		build_mac_for(&spec.src, sha);
		size_t len = build_arp(frame, 1, sha, spec.src.a + 12, zero, spec.dst.a + 12);
		if (push_raw(d, t, frame, len) != 0 || parse_ether(frame, len, &pv) != 0)
			return -1;
	} else {
		if (build_packet(&spec, &pkt) != 0 || push_l3(d, t, &pkt) != 0)
			return -1;
		if (parse_l3(pkt.b, pkt.len, &pv) != 0)
			return -1;
	}
	if (res)
		res->sent++;
	int n = target_sim_answer(o->sim, plan->mod, &pv, &spec, r, out);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct parse_view rv;
		int prc;
		if (out[i].arp) {
			if (push_raw(d, t + out[i].delay, out[i].raw, out[i].rawlen) != 0)
				return -1;
			prc = parse_ether(out[i].raw, out[i].rawlen, &rv);
		} else {
			if (push_l3(d, t + out[i].delay, &out[i].pkt) != 0)
				return -1;
			prc = parse_l3(out[i].pkt.b, out[i].pkt.len, &rv);
		}
		if (res && prc == 0)
			results_observe(res, plan, env, &rv);
	}
	return 0;
}

int dryrun_run(const struct probe_plan *plan, const struct dryrun_opts *o,
               struct probe_results *res)
{
	struct dry d = {.max = plan->max_packets};
	struct background *bg = NULL;
	unsigned ns = o->has_scan ? (o->scanners ? o->scanners : 1) : 0;
	struct probe_env *envs = calloc(ns ? ns : 1, sizeof *envs);
	struct rng_perm *perms = calloc(ns ? ns : 1, sizeof *perms);
	struct rng r;
	int rc = -1;
	if (!envs || !perms) {
		fprintf(stderr, "scanprobe: out of memory\n");
		goto fail;
	}
	rng_seed(&r, plan->seed);
	d.start_us = (DRYRUN_EPOCH + plan->seed % 86400) * 1000000ULL;
	d.w = write_pcap_open(o->path);
	if (!d.w) {
		fprintf(stderr, "scanprobe: %s: %s\n", o->path, strerror(errno));
		goto fail;
	}
	for (unsigned s = 0; s < ns; s++) {
		struct rng pr;
		envs[s] = plan->env;
		scanner_addr(plan, s, &envs[s].src);
		if (s > 0) {
			/* Each extra scanner is its own run: own port, cookies and order. */
			envs[s].key = rng_mix(plan->env.key, s, 0x5ca);
			envs[s].sport = (uint16_t)(32768 + rng_mix(plan->seed, s, 0x90) % 28232);
		}
		rng_seed(&pr, rng_mix(plan->seed, s, 0x0de));
		rng_perm_init(&perms[s], plan->nprobes, &pr, !plan->randomize);
	}
	uint64_t nprobes = ns ? plan->nprobes : 0;
	double span = (double)nprobes * plan->gap;
	if (o->background) {
		bool v6 = plan->hosts.total ? !addr_is_v4(&plan->hosts.r[0].first)
		                            : !addr_is_v4(&plan->env.src);
		/* Benign flows spread over the scan, at least over one second. */
		bg = background_new(o->background, span > 1.0 ? span : 1.0, v6, plan->seed);
		if (!bg) {
			fprintf(stderr, "scanprobe: out of memory\n");
			goto fail;
		}
	}
	/* --max-duration bounds simulated time only when the user set it (plan->max_duration). */
	for (uint64_t i = 0; i < nprobes && d.written < d.max; i++) {
		for (unsigned s = 0; s < ns; s++) {
			/* Probes sent every gap, scanners interleaved, with a little scheduling
			 * noise (below a quarter gap, so probe times stay increasing). */
			double t = (double)i * plan->gap + plan->gap * s / ns +
			           plan->gap / 4 * (double)rng_below(&r, 1000) / 1000.0;
			if (plan->max_duration > 0 && t > plan->max_duration)
				goto done;
			if ((bg && background_until(bg, t, bg_emit, &d) != 0) ||
			    flush_until(&d, t) != 0)
				goto io;
			uint64_t idx;
			if (!rng_perm_next(&perms[s], &idx))
				continue;
			if (one_probe(&d, plan, o, &envs[s], idx, t, &r, s == 0 ? res : NULL) != 0)
				goto io;
		}
	}
done:
	if (bg && background_until(bg, INFINITY, bg_emit, &d) != 0)
		goto io;
	while (d.n) {
		if (write_min(&d) != 0)
			goto io;
	}
	res->written = d.written;
	res->elapsed = span;
	res->dry = true;
	if (write_pcap_close(d.w) != 0) {
		d.w = NULL;
		fprintf(stderr, "scanprobe: %s: write failed: %s\n", o->path, strerror(errno));
		goto fail;
	}
	d.w = NULL;
	if (d.written >= d.max)
		fprintf(stderr, "scanprobe: stopped at the packet cap (%" PRIu64 " packets)\n",
		        d.max);
	rc = write_labels(plan, o);
	goto fail;
io:
	fprintf(stderr, "scanprobe: %s: cannot build or write a packet: %s\n", o->path,
	        errno ? strerror(errno) : "internal error");
fail:
	if (d.w)
		write_pcap_close(d.w);
	background_free(bg);
	free(d.slots);
	free(d.freelist);
	free(d.heap);
	free(envs);
	free(perms);
	return rc;
}
