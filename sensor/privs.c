/* privs.c — drops root for an unprivileged user once the capture handle is open. */
#include "scanwatch/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * getpwnam_r's buffer: sysconf(_SC_GETPW_R_SIZE_MAX) is only a hint (often
 * 1024, sometimes -1); entries from LDAP/SSSD can be larger, so the buffer
 * grows on ERANGE up to this bound.
 */
#define PRIVS_PWBUF_MAX (1u << 20)

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

bool privs_is_root(void)
{
	uid_t r, e, s;

	if (getresuid(&r, &e, &s) < 0)
		return geteuid() == 0;
	return r == 0 || e == 0 || s == 0;
}

/* Looks user up; *buf (owned by the caller afterwards) backs the strings in pw. */
static int lookup(const char *user, struct passwd *pw, char **buf, char *err, size_t errlen)
{
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = hint > 0 ? (size_t)hint : 4096;
	struct passwd *res = NULL;
	int rc;

	*buf = NULL;
	for (;;) {
		char *nb = realloc(*buf, len);

		if (nb == NULL) {
			set_err(err, errlen, "user '%s': out of memory", user);
			return -1;
		}
		*buf = nb;
		rc = getpwnam_r(user, pw, *buf, len, &res);
		if (rc != ERANGE || len >= PRIVS_PWBUF_MAX)
			break;
		len *= 2;
	}
	if (rc != 0) {
		set_err(err, errlen, "user '%s': cannot look it up: %s", user, strerror(rc));
		return -1;
	}
	if (res == NULL) {
		set_err(err, errlen,
		        "user '%s' does not exist (create it, or choose another with -Z)", user);
		return -1;
	}
	return 0;
}

/* Checks through the kernel's answers that every id is the target's and root is gone. */
static int verify(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		set_err(err, errlen, "cannot read back the process ids: %s", strerror(errno));
		return -1;
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		set_err(err, errlen,
		        "after dropping to '%s' the ids are uid %u/%u/%u gid %u/%u/%u, expected "
		        "%u and %u",
		        user, (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg,
		        (unsigned)sg, (unsigned)uid, (unsigned)gid);
		return -1;
	}
	/* Dropping to root itself proves nothing: only a real drop must fail this test. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		set_err(err, errlen, "after dropping to '%s' the process could become root again",
		        user);
		return -1;
	}
	if (uid != 0 && gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
		set_err(err, errlen, "after dropping to '%s' the process could regain group root",
		        user);
		return -1;
	}
	return 0;
}

int privs_drop(const char *user, char *err, size_t errlen)
{
	struct passwd pw;
	char *buf = NULL;
	int rc = -1;

	if (user == NULL || user[0] == '\0') {
		set_err(err, errlen, "no user to drop privileges to");
		return -1;
	}
	if (lookup(user, &pw, &buf, err, errlen) < 0)
		goto fail;
	/*
	 * Already that user (started by systemd with User= and an ambient
	 * CAP_NET_RAW, or by setpriv): there is nothing to drop, and without
	 * CAP_SETGID setgroups would fail. Only lock and verify.
	 */
	if (!privs_is_root() && getuid() == pw.pw_uid && getgid() == pw.pw_gid)
		goto lock;
	/*
	 * Order matters: groups and gid first, while still root, since after
	 * setuid the process may no longer change them. Supplementary groups
	 * must be replaced too, or root's (e.g. 0 "root", "disk") would stay.
	 * When the user's group list cannot be read (NSS down), fall back to
	 * its primary group alone rather than keep root's.
	 */
	if (initgroups(pw.pw_name, pw.pw_gid) < 0 && setgroups(1, &pw.pw_gid) < 0) {
		set_err(err, errlen, "setgroups for '%s': %s", user, strerror(errno));
		goto fail;
	}
	if (setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) < 0) {
		set_err(err, errlen, "setgid(%u) for '%s': %s", (unsigned)pw.pw_gid, user,
		        strerror(errno));
		goto fail;
	}
	if (setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) < 0) {
		set_err(err, errlen, "setuid(%u) for '%s': %s", (unsigned)pw.pw_uid, user,
		        strerror(errno));
		goto fail;
	}
lock:
	/* No execve after this can gain privileges (setuid binaries, file capabilities). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		set_err(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		goto fail;
	}
	if (verify(user, pw.pw_uid, pw.pw_gid, err, errlen) < 0)
		goto fail;
	rc = 0;
fail:
	free(buf);
	return rc;
}
