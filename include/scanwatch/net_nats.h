/* net_nats.h — a nats:// URL read once for the NATS output and `scanwatch collect`: options,
 * files, the resolved server, and the NATS C client's options built from them. */
#ifndef SCANWATCH_NET_NATS_H
#define SCANWATCH_NET_NATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#include "scanwatch/net.h"

/* The default port of nats-server (its documentation; IANA has none). */
#define NET_NATS_PORT_DEFAULT "4222"
/* Records an output keeps waiting for their acks, unless the URL says backlog=N. */
#define NET_NATS_BACKLOG_DEFAULT 10000u
#define NET_NATS_BACKLOG_MAX     1000000u
/* How long the output's close waits for its backlog to drain (linger=S). */
#define NET_NATS_LINGER_DEFAULT_S 15u
#define NET_NATS_LINGER_MAX_S     3600u

/*
 * nats://[USER:PASS@|TOKEN@]HOST[:PORT][?OPTIONS], OPTIONS among: tls_ca=FILE (PEM CAs the
 * server's certificate must chain to; implies TLS), tls_cert=FILE and tls_key=FILE (client
 * certificate, together; imply TLS), tls=1 (TLS with the system's CAs), creds=FILE (a NATS
 * .creds file: user JWT and NKey seed), backlog=N and linger=S (the output's).
 */
struct net_nats_conf {
	struct net_url u;
	char tls_ca[NET_QUERY_MAX], tls_cert[NET_QUERY_MAX], tls_key[NET_QUERY_MAX];
	char creds[NET_QUERY_MAX];
	bool tls;
	uint32_t backlog;
	uint32_t linger_s;
	/* filled by net_nats_resolve */
	char server[NET_HOST_MAX + 16]; /* "nats://ADDRESS:PORT" */
	char label[NET_HOST_MAX + 16];  /* "nats://HOST:PORT", for messages */
	char expect_host[NET_HOST_MAX]; /* TLS: the name the certificate must carry, or "" */
};

/* Parses url with the one URL parser (net_url_parse) and checks every option; 0 or -1 (err). */
int net_nats_conf_parse(const char *url, struct net_nats_conf *c, char *err, size_t errlen);
/* Checks the files it names can be opened now (a typo is a configuration error). 0 or -1. */
int net_nats_conf_files(const struct net_nats_conf *c, char *err, size_t errlen);
/* Resolves the host to an address (before the sensor is confined: no resolver after). */
int net_nats_resolve(struct net_nats_conf *c, char *err, size_t errlen);
/*
 * The client's options for c: reconnect forever (every 250 ms), pings every 2 s, requests
 * failing at once on a disconnect, a first connection retried in the background, the
 * credentials and TLS files of c, name as the connection's name. The caller adds its own
 * callbacks and owns *out (natsOptions_Destroy).
 */
natsStatus net_nats_options(const struct net_nats_conf *c, const char *name, natsOptions **out);

#endif
