/* notify.c — the systemd notify protocol (sd_notify(3)) spoken directly over AF_UNIX datagrams. */
#include "scanwatch/notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/*
 * Longest message: STATUS= lines carry a few live counters. systemd reads
 * datagrams of up to several kilobytes; staying well under any AF_UNIX
 * datagram limit keeps one send atomic.
 */
#define NOTIFY_MSG_MAX 1024

/*
 * Fills addr from $NOTIFY_SOCKET. 1: filled; 0: no socket configured;
 * -1: the variable holds something this build cannot reach (errno set).
 */
static int notify_addr(struct sockaddr_un *addr, socklen_t *len)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t n;

	if (e == NULL || e[0] == '\0')
		return 0;
	n = strlen(e);
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (e[0] == '/') {
		/* A path needs its terminating NUL inside sun_path. */
		if (n >= sizeof(addr->sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(addr->sun_path, e, n);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
		return 1;
	}
	if (e[0] == '@') {
		/*
		 * Linux abstract namespace: a leading NUL, then the name; the
		 * address length (not a terminator) says where the name ends.
		 */
		if (n > sizeof(addr->sun_path) || n < 2) {
			errno = n < 2 ? EINVAL : ENAMETOOLONG;
			return -1;
		}
		memcpy(addr->sun_path + 1, e + 1, n - 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		return 1;
	}
	/* Newer systemd may hand out vsock: addresses; this sensor never runs in a VM's guest
	 * manager, so those are refused rather than misread as a relative path. */
	errno = EAFNOSUPPORT;
	return -1;
}

int notify_send(const char *msg)
{
	struct sockaddr_un addr;
	socklen_t alen = 0;
	size_t n;
	ssize_t sent;
	int fd, r, saved;

	r = notify_addr(&addr, &alen);
	if (r <= 0)
		return r;
	n = strlen(msg);
	/* CLOEXEC: a notify socket must never leak into a child that outlives this call. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	do {
		sent = sendto(fd, msg, n, MSG_NOSIGNAL, (const struct sockaddr *)&addr, alen);
	} while (sent < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	if (sent < 0) {
		errno = saved;
		return -1;
	}
	if ((size_t)sent != n) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int notify_ready(const char *status)
{
	char msg[NOTIFY_MSG_MAX];

	if (status == NULL)
		return notify_send("READY=1");
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	/* One line per assignment: a newline in the status would start a bogus one. */
	for (char *p = msg + strlen("READY=1\n"); *p; p++)
		if (*p == '\n')
			*p = ' ';
	return notify_send(msg);
}

int notify_reloading(void)
{
	struct timespec ts;
	char msg[96];
	uint64_t us;

	/*
	 * systemd (Type=notify-reload, v253+) pairs RELOADING=1 with the
	 * monotonic time so it can tell this reload from a stale one.
	 */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return -1;
	us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)us);
	return notify_send(msg);
}

int notify_stopping(void)
{
	return notify_send("STOPPING=1");
}

int notify_status(const char *fmt, ...)
{
	char msg[NOTIFY_MSG_MAX];
	const size_t pre = strlen("STATUS=");
	va_list ap;

	memcpy(msg, "STATUS=", pre);
	va_start(ap, fmt);
	vsnprintf(msg + pre, sizeof(msg) - pre, fmt, ap);
	va_end(ap);
	for (char *p = msg + pre; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return notify_send(msg);
}
