/* test_net_tls.c — tls:// and relp:// collector URLs: options, credential files checked at
 * start-up, and a handshake that fails at run time keeping the records (net_tls.c, net.c). */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "scanwatch/net.h"
#include "scanwatch/output.h"
#include "scanwatch/output_syslog.h"

static char dir[] = "/tmp/sw-net-tls-XXXXXX";

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Checks url: rc 0, or -1 with err containing want. */
static void check_url(const char *url, const char *want)
{
	char err[512] = "";
	int rc = output_syslog_check(url, err, sizeof(err));

	if (want == NULL) {
		CHECK(rc == 0);
		if (rc != 0)
			fprintf(stderr, "  %s: %s\n", url, err);
		return;
	}
	CHECK(rc == -1);
	CHECK(strstr(err, want) != NULL);
	if (strstr(err, want) == NULL)
		fprintf(stderr, "  %s: got '%s', want '%s'\n", url, err, want);
}

static void test_parse(void)
{
	struct net_url u;
	char err[256];

	CHECK(net_is_url("tls://collector.example"));
	CHECK(net_url_parse("tls://[2001:2::1]", "6514", &u, err, sizeof(err)) == 0);
	CHECK(u.proto == NET_TLS);
	CHECK_STR(u.host, "2001:2::1");
	CHECK_STR(u.port, "6514");
	CHECK(net_url_parse("tls://198.18.0.1:10514?insecure=1", "6514", &u, err, sizeof(err)) ==
	      0);
	CHECK_STR(u.port, "10514");
	CHECK(net_url_parse("ssl://198.18.0.1", "6514", &u, err, sizeof(err)) == -1);
	CHECK(net_is_url("relp://collector.example"));
	CHECK(net_url_parse("relp://[2001:2::1]:20514?facility=local2", "2514", &u, err,
	                    sizeof(err)) == 0);
	CHECK(u.proto == NET_RELP);
	CHECK_STR(u.host, "2001:2::1");
	CHECK_STR(u.port, "20514");
	CHECK(net_url_parse("relp:/198.18.0.1", "2514", &u, err, sizeof(err)) == -1);
}

static void test_options(void)
{
	char junk[300], missing[300], url[1024];
	FILE *f;

	path_in(junk, sizeof(junk), "junk.pem");
	path_in(missing, sizeof(missing), "missing.pem");
	f = fopen(junk, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs("not a certificate\n", f);
	fclose(f);

	/* TLS options belong to tls:// only. */
	check_url("tcp://198.18.0.1?ca=/etc/ssl/certs/ca-certificates.crt", "unknown option 'ca'");
	check_url("tls://198.18.0.1?insecure=1&cafile=x", "unknown option 'cafile'");
	check_url("tls://198.18.0.1?insecure=yes", "insecure= must be 0 or 1");
	check_url("tls://198.18.0.1?insecure=1&name=", "name= must be");
	check_url("tls://198.18.0.1?insecure=1&ca=", "ca= must name a file");
	/* insecure=1 needs no trust store at all; facility and backlog still apply. */
	check_url("tls://198.18.0.1?insecure=1&facility=local4&backlog=5", NULL);
	check_url("tls://198.18.0.1?insecure=1&facility=local9", "facility must be");
	/* RELP here is plain TCP: the TLS options are not its own. */
	check_url("relp://198.18.0.1?facility=local4&backlog=5", NULL);
	check_url("relp://198.18.0.1?insecure=1", "unknown option 'insecure'");
	/* The files are read at the check: a missing or wrong one is named with the reason. */
	snprintf(url, sizeof(url), "tls://198.18.0.1?ca=%s", missing);
	check_url(url, "No such file or directory");
	check_url(url, missing);
	snprintf(url, sizeof(url), "tls://198.18.0.1?ca=%s", junk);
	check_url(url, "no PEM certificate in the file");
	/* Not a file GnuTLS may read whole: a device, a directory. */
	check_url("tls://198.18.0.1?ca=/dev/zero", "ca=/dev/zero: not a regular file");
	check_url("tls://198.18.0.1?ca=/", "ca=/: not a regular file");
	snprintf(url, sizeof(url), "tls://198.18.0.1?insecure=1&cert=%s", junk);
	check_url(url, "cert= and key= go together");
	snprintf(url, sizeof(url), "tls://198.18.0.1?insecure=1&cert=%s&key=%s", junk, missing);
	check_url(url, "key=");
	check_url(url, "No such file or directory");
	snprintf(url, sizeof(url), "tls://198.18.0.1?insecure=1&cert=%s&key=%s", junk, junk);
	check_url(url, "cert=");
	unlink(junk);
}

static int tcp_listener(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		perror("listener");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/*
 * A peer that accepts TCP and closes without a word: the handshake fails. That is not a
 * verdict on the certificate, so the link opens (the collector may be restarting), says
 * why on stderr, and keeps the record in the backlog.
 */
static void test_handshake_fails(void)
{
	const struct output_ops *ops = output_lookup("syslog");
	char url[128], err[256] = "";
	struct output_counters c;
	struct sw_detection d;
	int port = 0, lfd = tcp_listener(&port), cfd;
	void *st;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		cfd = accept(lfd, NULL, NULL);
		close(cfd);
		_exit(0);
	}
	snprintf(url, sizeof(url), "tls://127.0.0.1:%d?insecure=1&backlog=4", port);
	st = ops->open(url, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.kind = KIND_SYN_SCAN;
	d.seq = 1;
	ops->write(st, &d);
	CHECK(output_get_counters(ops, st, &c) == 0);
	CHECK(!c.connected);
	CHECK_EQ_U(c.sent, 0);
	CHECK_EQ_U(c.backlog, 1);
	CHECK(c.failures >= 1);
	close(lfd);
	waitpid(pid, NULL, 0);
	ops->close(st); /* no collector (refused at once): the record is counted dropped */
}

int main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_parse();
	test_options();
	test_handshake_fails();
	rmdir(dir);
	CHECK_DONE();
}
