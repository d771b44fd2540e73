/* test_notify.c — the sd_notify protocol: exact datagrams on a real path and abstract socket. */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "scanwatch/notify.h"

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Binds a datagram socket at name ('@' = abstract) the way systemd does. */
static int bind_dgram(const char *name)
{
	struct sockaddr_un a;
	socklen_t len;
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (name[0] == '@') {
		memcpy(a.sun_path + 1, name + 1, n - 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		memcpy(a.sun_path, name, n);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	if (bind(fd, (struct sockaddr *)&a, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The next datagram, NUL-terminated, or "" when none is queued. A local
 * datagram is queued on the receiver before sendto returns, so no waiting.
 */
static const char *take(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Every message kind, exactly, through the socket bound at name. */
static void exchange(const char *name)
{
	char buf[2048];
	int fd = bind_dgram(name), fds;
	uint64_t before, after, stamp;
	char *end;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(setenv("NOTIFY_SOCKET", name, 1) == 0);
	fds = count_fds();

	CHECK(notify_ready(NULL) == 0);
	CHECK_STR(take(fd, buf, sizeof(buf)), "READY=1");
	CHECK(notify_ready("capturing on eth0") == 0);
	CHECK_STR(take(fd, buf, sizeof(buf)), "READY=1\nSTATUS=capturing on eth0");
	CHECK(notify_ready("two\nlines") == 0);
	CHECK_STR(take(fd, buf, sizeof(buf)), "READY=1\nSTATUS=two lines");
	CHECK(notify_stopping() == 0);
	CHECK_STR(take(fd, buf, sizeof(buf)), "STOPPING=1");
	CHECK(notify_send("WATCHDOG=1") == 0);
	CHECK_STR(take(fd, buf, sizeof(buf)), "WATCHDOG=1");
	CHECK(notify_status("%llu packets, %d detections", 12345ULL, 7) == 0);
	CHECK_STR(take(fd, buf, sizeof(buf)), "STATUS=12345 packets, 7 detections");
	CHECK(notify_status("a\nb\n") == 0);
	CHECK_STR(take(fd, buf, sizeof(buf)), "STATUS=a b ");

	before = mono_us();
	CHECK(notify_reloading() == 0);
	after = mono_us();
	take(fd, buf, sizeof(buf));
	CHECK(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
	errno = 0;
	stamp = strtoull(buf + 27, &end, 10);
	CHECK(errno == 0 && *end == '\0' && end != buf + 27);
	CHECK(stamp >= before && stamp <= after);

	/* A long status is cut, never split into a second datagram. */
	{
		char big[4096];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CHECK(notify_status("%s", big) == 0);
		take(fd, buf, sizeof(buf));
		CHECK(strncmp(buf, "STATUS=xxxx", 11) == 0);
		CHECK(strlen(buf) < 1024);
		CHECK_STR(take(fd, buf, sizeof(buf)), "");
	}
	/* Nothing else was sent, and no descriptor leaked. */
	CHECK_STR(take(fd, buf, sizeof(buf)), "");
	CHECK_EQ_U(count_fds(), fds);
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/sw-test-notify-XXXXXX", path[128], abstract[64];
	char longname[200];

	/* Not under systemd: a no-op that succeeds. */
	unsetenv("NOTIFY_SOCKET");
	CHECK(notify_ready("x") == 0);
	CHECK(notify_reloading() == 0);
	CHECK(notify_stopping() == 0);
	CHECK(notify_status("%d", 1) == 0);
	setenv("NOTIFY_SOCKET", "", 1);
	CHECK(notify_send("READY=1") == 0);

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/notify", dir);
	exchange(path);
	snprintf(abstract, sizeof(abstract), "@sw-test-notify-%ld", (long)getpid());
	exchange(abstract);

	/* A socket nobody listens on: the error is reported, not hidden. */
	CHECK(unlink(path) == 0);
	setenv("NOTIFY_SOCKET", path, 1);
	errno = 0;
	CHECK(notify_ready(NULL) == -1);
	CHECK(errno == ENOENT || errno == ECONNREFUSED);
	/* Not a path, not abstract (e.g. vsock:...): refused. */
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	CHECK(notify_stopping() == -1);
	CHECK(errno == EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "@", 1);
	CHECK(notify_stopping() == -1);
	/* Longer than sun_path can hold. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	CHECK(notify_stopping() == -1);
	CHECK(errno == ENAMETOOLONG);
	unsetenv("NOTIFY_SOCKET");
	rmdir(dir);
	CHECK_DONE();
}
