/* net_tls.c — syslog over TLS (RFC 5425) for net.c's sender: credentials, a non-blocking
 * handshake that verifies the collector's certificate and name, and record I/O. */
/*
 * Why GnuTLS (Debian: libgnutls28-dev) rather than OpenSSL: its non-blocking model is the
 * one net.c's pump already has. The session reads and writes the sender's own non-blocking
 * socket (gnutls_transport_set_int); every call that cannot go on returns GNUTLS_E_AGAIN and
 * gnutls_record_get_direction() says whether to wait for POLLIN or POLLOUT, so the handshake
 * is one more state of the pump, never a blocking call on the writer thread. Verification
 * of the chain and of the peer's name is one call made before the handshake
 * (gnutls_session_set_verify_cert) and the handshake itself fails when either is wrong, so
 * no hand-written name matching is needed (RFC 6125 rules, IP addresses against iPAddress
 * SANs). It is also the library Debian's rsyslog-gnutls, the collector we test against,
 * uses, so both ends agree on defaults (gnutls_set_default_priority: TLS 1.2 and 1.3).
 *
 * RFC 5425 decides the rest: port 6514 (section 4.1), a TLS connection opened by the
 * sender (4.2), frames "MSG-LEN SP SYSLOG-MSG" (4.3, the same octet counting as RFC 6587
 * 3.4.1, built by net.c), certificate-based authentication with the subject checked
 * against the configured name (5.2), and closure with close_notify (4.4).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "scanwatch/net.h"

struct net_tls_conf {
	gnutls_certificate_credentials_t cred;
	char name[NET_HOST_MAX]; /* the name the collector's certificate must carry */
	bool insecure;           /* insecure=1: no verification at all (said at open) */
	bool name_is_ip;         /* then no SNI (RFC 6066 section 3: no literal addresses) */
};

struct net_tls {
	gnutls_session_t session;
	const struct net_tls_conf *conf;
};

const char *const net_tls_options[] = {"ca", "cert", "key", "name", "insecure", NULL};

/*
 * A CA bundle of every public CA is about 200 KB; a certificate or key file larger than this
 * is a mistake (or /dev/zero), and GnuTLS would read all of it into memory.
 */
#define NET_TLS_FILE_MAX (16u << 20)

/* Checks that path is a regular file that opens for reading, so the message names the file
 * and the reason. */
static int readable(const char *opt, const char *path, char *err, size_t errlen)
{
	struct stat st;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "%s=%s: %s", opt, path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > NET_TLS_FILE_MAX) {
		snprintf(err, errlen, "%s=%s: not a regular file of at most %u MiB", opt, path,
		         NET_TLS_FILE_MAX >> 20);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* One file option into buf: 1 when given, 0 when absent, -1 (err set) when too long or empty. */
static int file_opt(const struct net_url *u, const char *key, char *buf, size_t len, char *err,
                    size_t errlen)
{
	int rc = net_url_param(u, key, buf, len);

	if (rc < 0 || (rc > 0 && buf[0] == '\0')) {
		snprintf(err, errlen, "%s= must name a file (at most %zu bytes)", key, len - 1);
		return -1;
	}
	return rc;
}

struct net_tls_conf *net_tls_conf_load(const struct net_url *u, char *err, size_t errlen)
{
	char ca[NET_QUERY_MAX], cert[NET_QUERY_MAX], key[NET_QUERY_MAX], v[8];
	struct net_tls_conf *c;
	int has_ca, has_cert, has_key, rc;
	unsigned char ipbuf[sizeof(struct in6_addr)];

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((has_ca = file_opt(u, "ca", ca, sizeof(ca), err, errlen)) < 0 ||
	    (has_cert = file_opt(u, "cert", cert, sizeof(cert), err, errlen)) < 0 ||
	    (has_key = file_opt(u, "key", key, sizeof(key), err, errlen)) < 0)
		goto fail;
	if (has_cert != has_key) {
		snprintf(err, errlen,
		         "cert= and key= go together (the client certificate and its "
		         "private key)");
		goto fail;
	}
	rc = net_url_param(u, "insecure", v, sizeof(v));
	if (rc != 0) {
		if (rc < 0 || (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)) {
			snprintf(err, errlen, "insecure= must be 0 or 1");
			goto fail;
		}
		c->insecure = v[0] == '1';
	}
	rc = net_url_param(u, "name", c->name, sizeof(c->name));
	if (rc < 0 || (rc > 0 && c->name[0] == '\0')) {
		snprintf(err, errlen, "name= must be the collector's certificate name");
		goto fail;
	}
	if (rc == 0)
		snprintf(c->name, sizeof(c->name), "%s", u->host);
	c->name_is_ip =
	    inet_pton(AF_INET, c->name, ipbuf) == 1 || inet_pton(AF_INET6, c->name, ipbuf) == 1;
	rc = gnutls_certificate_allocate_credentials(&c->cred);
	if (rc < 0) {
		c->cred = NULL;
		snprintf(err, errlen, "TLS: %s", gnutls_strerror(rc));
		goto fail;
	}
	if (has_ca) {
		if (readable("ca", ca, err, errlen) < 0)
			goto fail;
		rc = gnutls_certificate_set_x509_trust_file(c->cred, ca, GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			snprintf(err, errlen, "ca=%s: %s", ca,
			         rc == 0 ? "no PEM certificate in the file" : gnutls_strerror(rc));
			goto fail;
		}
	} else if (!c->insecure) {
		rc = gnutls_certificate_set_x509_system_trust(c->cred);
		if (rc <= 0) {
			snprintf(err, errlen,
			         "no ca= given and the system trust store has no certificate (%s)",
			         rc == 0 ? "empty" : gnutls_strerror(rc));
			goto fail;
		}
	}
	if (has_cert) {
		if (readable("cert", cert, err, errlen) < 0 ||
		    readable("key", key, err, errlen) < 0)
			goto fail;
		/* Also checks that the key is the certificate's
		 * (GNUTLS_E_CERTIFICATE_KEY_MISMATCH). */
		rc = gnutls_certificate_set_x509_key_file(c->cred, cert, key, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			snprintf(err, errlen, "cert=%s, key=%s: %s", cert, key,
			         gnutls_strerror(rc));
			goto fail;
		}
	}
	return c;
fail:
	net_tls_conf_free(c);
	return NULL;
}

bool net_tls_conf_insecure(const struct net_tls_conf *c)
{
	return c->insecure;
}

void net_tls_conf_free(struct net_tls_conf *c)
{
	if (c == NULL)
		return;
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	free(c);
}

struct net_tls *net_tls_start(const struct net_tls_conf *c, int fd, char *err, size_t errlen)
{
	struct net_tls *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->conf = c;
	rc = gnutls_init(&t->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (rc < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		free(t);
		return NULL;
	}
	if ((rc = gnutls_set_default_priority(t->session)) < 0 ||
	    (rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, c->cred)) < 0 ||
	    (!c->name_is_ip && (rc = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, c->name,
	                                                    strlen(c->name))) < 0)) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		net_tls_end(t, false);
		return NULL;
	}
	/* The chain against the trusted CAs and the name against the certificate's subject
	 * (RFC 5425 section 5.2), both inside the handshake, which fails when either is wrong. */
	if (!c->insecure)
		gnutls_session_set_verify_cert(t->session, c->name, 0);
	gnutls_transport_set_int(t->session, fd);
	return t;
}

/* GnuTLS's non-fatal "call again" codes: the socket would block or a signal came. */
static bool again(int rc)
{
	return rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED;
}

int net_tls_handshake(struct net_tls *t, short *events, char *err, size_t errlen)
{
	int rc = gnutls_handshake(t->session);
	gnutls_datum_t out = {NULL, 0};

	if (rc == GNUTLS_E_SUCCESS)
		return NET_TLS_DONE;
	if (again(rc) || (rc < 0 && !gnutls_error_is_fatal(rc))) {
		*events = gnutls_record_get_direction(t->session) ? POLLOUT : POLLIN;
		return NET_TLS_AGAIN;
	}
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		unsigned status = gnutls_session_get_verify_cert_status(t->session);

		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out,
		                                                 0) == 0) {
			size_t n = strlen((const char *)out.data);

			while (n > 0 && out.data[n - 1] == ' ')
				n--; /* GnuTLS ends each sentence with a space */
			snprintf(err, errlen,
			         "the collector's certificate for '%s' is refused: %.*s",
			         t->conf->name, (int)n, (const char *)out.data);
			gnutls_free(out.data);
		} else {
			snprintf(err, errlen, "the collector's certificate for '%s' is refused",
			         t->conf->name);
		}
		return NET_TLS_REFUSED;
	}
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		snprintf(err, errlen, "TLS handshake: the collector sent the alert '%s'",
		         gnutls_alert_get_name(gnutls_alert_get(t->session)));
	else
		snprintf(err, errlen, "TLS handshake: %s", gnutls_strerror(rc));
	return NET_TLS_FAIL;
}

ssize_t net_tls_send(struct net_tls *t, const void *buf, size_t len, char *err, size_t errlen)
{
	ssize_t n = gnutls_record_send(t->session, buf, len);

	if (n >= 0)
		return n;
	if (again((int)n))
		return 0;
	snprintf(err, errlen, "TLS send: %s", gnutls_strerror((int)n));
	return -1;
}

bool net_tls_peer_gone(struct net_tls *t, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
	char junk[512];

	/* The collector sends nothing but TLS's own records (session tickets after a TLS 1.3
	 * handshake, alerts, close_notify); they go through the session, never read raw. */
	for (int i = 0; i < 8 && gnutls_record_check_pending(t->session) == 0; i++) {
		ssize_t n;

		if (poll(&p, 1, 0) <= 0)
			return false;
		if (p.revents & (POLLHUP | POLLERR))
			return true;
		n = gnutls_record_recv(t->session, junk, sizeof(junk));
		if (n == 0)
			return true; /* close_notify or end of stream */
		if (n < 0 && again((int)n))
			return (p.revents & POLLRDHUP) != 0;
		if (n < 0 && gnutls_error_is_fatal((int)n))
			return true;
	}
	return false;
}

void net_tls_end(struct net_tls *t, bool notify)
{
	if (t == NULL)
		return;
	/* RFC 5425 section 4.4: close_notify before closing. Best effort, never waits: the
	 * socket is non-blocking, and a peer that misses it sees the TCP close anyway. */
	if (notify)
		(void)gnutls_bye(t->session, GNUTLS_SHUT_WR);
	gnutls_deinit(t->session);
	free(t);
}
