/* test_privs.c — dropping root: a forked child becomes nobody and the kernel's view is checked. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "scanwatch/privs.h"

/* The value part of one /proc/self/status line ("Uid:\t65534\t65534..."), or "". */
static const char *status_line(const char *key, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[1024];
	size_t kl = strlen(key);

	out[0] = '\0';
	if (!f)
		return out;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			const char *v = line + kl + 1;

			while (*v == '\t' || *v == ' ')
				v++;
			snprintf(out, len, "%s", v);
			out[strcspn(out, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
	return out;
}

/* The numbers of a status line, at most max of them. */
static size_t numbers(const char *s, unsigned long *v, size_t max)
{
	size_t n = 0;
	char *end;

	while (*s && n < max) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		v[n++] = strtoul(s, &end, 10);
		if (end == s)
			break;
		s = end;
	}
	return n;
}

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Runs in the child: drop, then check everything the kernel reports. */
static void child_checks(const struct passwd *pw)
{
	char err[256] = "", line[512];
	unsigned long v[64], want[64];
	gid_t groups[64];
	int ng = 64;
	size_t n, i;

	CHECK(privs_is_root());
	CHECK(privs_drop("nobody", err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	CHECK(!privs_is_root());

	n = numbers(status_line("Uid", line, sizeof(line)), v, 4);
	CHECK_EQ_U(n, 4); /* real, effective, saved, filesystem */
	for (i = 0; i < n; i++)
		CHECK_EQ_U(v[i], pw->pw_uid);
	n = numbers(status_line("Gid", line, sizeof(line)), v, 4);
	CHECK_EQ_U(n, 4);
	for (i = 0; i < n; i++)
		CHECK_EQ_U(v[i], pw->pw_gid);

	/* Supplementary groups: exactly nobody's, none of root's. */
	CHECK(getgrouplist(pw->pw_name, pw->pw_gid, groups, &ng) >= 0);
	for (i = 0; i < (size_t)ng && i < 64; i++)
		want[i] = groups[i];
	qsort(want, (size_t)ng, sizeof(want[0]), cmp_ul);
	n = numbers(status_line("Groups", line, sizeof(line)), v, 64);
	qsort(v, n, sizeof(v[0]), cmp_ul);
	/* getgrouplist lists the primary group once; the kernel list may leave it out. */
	{
		size_t j = 0, k = 0;

		for (k = 0; k < n; k++) {
			CHECK(v[k] != 0);
			while (j < (size_t)ng && want[j] < v[k])
				j++;
			CHECK(j < (size_t)ng && want[j] == v[k]);
		}
	}

	CHECK_STR(status_line("NoNewPrivs", line, sizeof(line)), "1");
	CHECK_STR(status_line("CapEff", line, sizeof(line)), "0000000000000000");
	CHECK_STR(status_line("CapPrm", line, sizeof(line)), "0000000000000000");

	/* Root cannot come back by any door. */
	errno = 0;
	CHECK(setuid(0) == -1 && errno == EPERM);
	CHECK(seteuid(0) == -1);
	CHECK(setresuid(0, 0, 0) == -1);
	CHECK(setgid(0) == -1);
	CHECK(setgroups(0, NULL) == -1);
	CHECK(getuid() == pw->pw_uid && geteuid() == pw->pw_uid);
	CHECK(getgid() == pw->pw_gid && getegid() == pw->pw_gid);

	/* Dropping again to the same user is a no-op that still verifies. */
	CHECK(privs_drop("nobody", err, sizeof(err)) == 0);
	/* But to anyone else it fails, with the reason. */
	err[0] = '\0';
	CHECK(privs_drop("root", err, sizeof(err)) == -1);
	CHECK(strncmp(err, "setgroups for 'root': ", 22) == 0);
}

static void run_child(const struct passwd *pw)
{
	int st = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid < 0)
		return;
	if (pid == 0) {
		child_checks(pw);
		printf("child: %d checks, %d failed\n", check_count, check_failures);
		fflush(NULL);
		_exit(check_failures || check_count == 0 ? 1 : 0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ_U(WEXITSTATUS(st), 0);
	/* The parent kept its privileges: the drop was the child's alone. */
	CHECK(privs_is_root());
	CHECK(geteuid() == 0);
}

int main(void)
{
	char err[256];
	struct passwd *pw;

	err[0] = '\0';
	CHECK(privs_drop("sw-no-such-user-x", err, sizeof(err)) == -1);
	CHECK_STR(err,
	          "user 'sw-no-such-user-x' does not exist (create it, or choose another with -Z)");
	CHECK(privs_drop("", err, sizeof(err)) == -1);
	CHECK_STR(err, "no user to drop privileges to");
	CHECK(privs_drop(NULL, err, sizeof(err)) == -1);

	pw = getpwnam("nobody");
	CHECK(pw != NULL);
	if (geteuid() != 0) {
		/* CI runs as root; by hand as a user, only what needs no privilege is checked. */
		fprintf(stderr, "test_privs: not root: the drop itself is not exercised\n");
		CHECK(!privs_is_root());
		CHECK_DONE();
	}
	if (pw) {
		struct passwd copy = *pw;
		char name[64];

		snprintf(name, sizeof(name), "%s", pw->pw_name);
		copy.pw_name = name;
		run_child(&copy);
	}
	CHECK_DONE();
}
