/* net_nats.c — a nats:// URL read once (options, files, resolved server) and the NATS C client's
 * options built from it; shared by the nats output and `scanwatch collect`. */
#include "scanwatch/net_nats.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Reconnect forever, every 250 ms (the client adds up to 100 ms of jitter): a returning server
 * is found quickly. Pings every 2 s, 2 unanswered: a silently dead server is noticed in about
 * 6 s. The first connection gives up after 2 s (then retried in the background). */
#define NET_NATS_RECONNECT_WAIT_MS 250
#define NET_NATS_PING_MS           2000
#define NET_NATS_PINGS_OUT         2
#define NET_NATS_CONNECT_MS        2000

static const char *const nats_options[] = {"tls_ca", "tls_cert", "tls_key", "tls",
                                           "creds",  "backlog",  "linger",  NULL};

static int param_path(const struct net_url *u, const char *key, char *out, size_t len, char *err,
                      size_t errlen)
{
	int rc = net_url_param(u, key, out, len);

	if (rc < 0) {
		snprintf(err, errlen, "%s is too long", key);
		return -1;
	}
	if (rc == 0)
		out[0] = '\0';
	else if (out[0] == '\0') {
		snprintf(err, errlen, "%s needs a file", key);
		return -1;
	}
	return 0;
}

static int param_u32(const struct net_url *u, const char *key, uint32_t min, uint32_t max,
                     uint32_t *out, char *err, size_t errlen)
{
	char v[16], *end = NULL;
	unsigned long n = 0;
	int rc = net_url_param(u, key, v, sizeof v);

	if (rc == 0)
		return 0;
	errno = 0;
	if (rc > 0)
		n = strtoul(v, &end, 10);
	if (rc < 0 || errno != 0 || end == v || *end != '\0' || v[0] == '-' || n < min || n > max) {
		snprintf(err, errlen, "%s must be a number from %u to %u", key, min, max);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

int net_nats_conf_parse(const char *url, struct net_nats_conf *c, char *err, size_t errlen)
{
	char v[8];

	memset(c, 0, sizeof(*c));
	c->backlog = NET_NATS_BACKLOG_DEFAULT;
	c->linger_s = NET_NATS_LINGER_DEFAULT_S;
	if (net_url_parse(url, NET_NATS_PORT_DEFAULT, &c->u, err, errlen) < 0)
		return -1;
	if (c->u.proto != NET_NATS) {
		snprintf(err, errlen, "expected nats://[USER:PASS@|TOKEN@]HOST[:PORT][?OPTIONS]");
		return -1;
	}
	if (net_url_check_params(&c->u, nats_options, err, errlen) < 0 ||
	    param_path(&c->u, "tls_ca", c->tls_ca, sizeof c->tls_ca, err, errlen) < 0 ||
	    param_path(&c->u, "tls_cert", c->tls_cert, sizeof c->tls_cert, err, errlen) < 0 ||
	    param_path(&c->u, "tls_key", c->tls_key, sizeof c->tls_key, err, errlen) < 0 ||
	    param_path(&c->u, "creds", c->creds, sizeof c->creds, err, errlen) < 0 ||
	    param_u32(&c->u, "backlog", 1, NET_NATS_BACKLOG_MAX, &c->backlog, err, errlen) < 0 ||
	    param_u32(&c->u, "linger", 0, NET_NATS_LINGER_MAX_S, &c->linger_s, err, errlen) < 0)
		return -1;
	if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0')) {
		snprintf(err, errlen, "tls_cert and tls_key go together");
		return -1;
	}
	if (net_url_param(&c->u, "tls", v, sizeof v) != 0) {
		if (strcmp(v, "1") != 0) {
			snprintf(err, errlen, "tls takes 1 (TLS with the system's CAs)");
			return -1;
		}
		c->tls = true;
	}
	c->tls = c->tls || c->tls_ca[0] != '\0' || c->tls_cert[0] != '\0';
	if (c->creds[0] != '\0' && c->u.has_userinfo) {
		snprintf(err, errlen, "give either creds= or a user/token in the URL, not both");
		return -1;
	}
	snprintf(c->label, sizeof c->label,
	         strchr(c->u.host, ':') ? "nats://[%s]:%s" : "nats://%s:%s", c->u.host, c->u.port);
	return 0;
}

int net_nats_conf_files(const struct net_nats_conf *c, char *err, size_t errlen)
{
	const char *files[] = {c->tls_ca, c->tls_cert, c->tls_key, c->creds};

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		FILE *f;

		if (files[i][0] == '\0')
			continue;
		f = fopen(files[i], "r");
		if (f == NULL) {
			snprintf(err, errlen, "%s: %s", files[i], strerror(errno));
			return -1;
		}
		fclose(f);
	}
	return 0;
}

int net_nats_resolve(struct net_nats_conf *c, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char host[NI_MAXHOST];
	int rc = getaddrinfo(c->u.host, c->u.port, &hints, &res);

	if (rc != 0 || res == NULL) {
		snprintf(err, errlen, "%s: %s", c->u.host, gai_strerror(rc));
		return -1;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", c->u.host, gai_strerror(rc));
		return -1;
	}
	snprintf(c->server, sizeof c->server, strchr(host, ':') ? "nats://[%s]:%s" : "nats://%s:%s",
	         host, c->u.port);
	c->expect_host[0] = '\0';
	if (strcmp(host, c->u.host) != 0)
		snprintf(c->expect_host, sizeof c->expect_host, "%s", c->u.host);
	return 0;
}

natsStatus net_nats_options(const struct net_nats_conf *c, const char *name, natsOptions **out)
{
	natsOptions *opts = NULL;
	natsStatus s = natsOptions_Create(&opts);

	if (s == NATS_OK)
		s = natsOptions_SetURL(opts, c->server[0] != '\0' ? c->server : c->label);
	if (s == NATS_OK && name != NULL)
		s = natsOptions_SetName(opts, name);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(opts, NET_NATS_RECONNECT_WAIT_MS);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(opts, NET_NATS_PING_MS);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPingsOut(opts, NET_NATS_PINGS_OUT);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(opts, NET_NATS_CONNECT_MS);
	/* A request waiting for its answer (a publish's ack, a fetch) fails at once when the
	 * link drops instead of after its whole wait: it is then retried on the next server. */
	if (s == NATS_OK)
		s = natsOptions_SetFailRequestsOnDisconnect(opts, true);
	/* "USER:PASS@" or "TOKEN@" (the NATS clients' URL convention). */
	if (s == NATS_OK && c->u.has_userinfo)
		s = c->u.pass[0] != '\0' ? natsOptions_SetUserInfo(opts, c->u.user, c->u.pass)
		                         : natsOptions_SetToken(opts, c->u.user);
	if (s == NATS_OK && c->creds[0] != '\0')
		s = natsOptions_SetUserCredentialsFromFiles(opts, c->creds, NULL);
	if (s == NATS_OK && c->tls)
		s = natsOptions_SetSecure(opts, true);
	if (s == NATS_OK && c->tls_ca[0] != '\0')
		s = natsOptions_LoadCATrustedCertificates(opts, c->tls_ca);
	if (s == NATS_OK && c->tls_cert[0] != '\0')
		s = natsOptions_LoadCertificatesChain(opts, c->tls_cert, c->tls_key);
	if (s == NATS_OK && c->tls && c->expect_host[0] != '\0')
		s = natsOptions_SetExpectedHostname(opts, c->expect_host);
	if (s != NATS_OK) {
		natsOptions_Destroy(opts);
		return s;
	}
	*out = opts;
	return NATS_OK;
}
