/* sandbox.c — confines the running sensor: Landlock file rules and a seccomp-bpf allow-list. */
#include "scanwatch/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/*
 * Sanitizer runtimes make calls of their own while the sensor is confined:
 * LeakSanitizer stops the world at exit from a helper task started with
 * clone() (not a thread: no CLONE_THREAD) that ptrace()s every thread and
 * reads /proc/self/maps and /proc/self/task; ASan's allocator maps, unmaps
 * and madvise()s as usual. In those builds (the CI's ASan+UBSan tree) the
 * allow-list gets exactly those additions and /proc becomes readable;
 * execve stays forbidden everywhere (so a sanitizer report is printed
 * unsymbolized rather than through an external symbolizer). GCC defines
 * __SANITIZE_ADDRESS__; clang answers __has_feature. UBSan alone needs
 * nothing beyond the list: it writes its report and calls abort().
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer) || __has_feature(leak_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif

/* Access rights newer than the installed <linux/landlock.h> (Documentation/userspace-api/
 * landlock.rst: REFER came with ABI 2, TRUNCATE with ABI 3, IOCTL_DEV with ABI 5). */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule       445
#define __NR_landlock_restrict_self  446
#endif

/* Syscall numbers whose names the SIGSYS handler can print (x86-64 ends near 470). */
#define SANDBOX_NAMES    512
#define SANDBOX_NAME_MAX 24

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

bool sandbox_widened(void)
{
	return SANDBOX_SANITIZER;
}

/* --- the log line of a forbidden call ---------------------------------------------------- */

/* Filled before the filter is loaded: the handler must not allocate or call libseccomp. */
static char sandbox_names[SANDBOX_NAMES][SANDBOX_NAME_MAX];

static size_t put_str(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n < cap)
		buf[n++] = *s++;
	return n;
}

static size_t put_uint(char *buf, size_t n, size_t cap, unsigned long v)
{
	char digits[24];
	size_t k = 0;

	do {
		digits[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && k < sizeof digits);
	while (k && n < cap)
		buf[n++] = digits[--k];
	return n;
}

/*
 * Why SCMP_ACT_TRAP and this handler rather than SCMP_ACT_KILL_PROCESS: a
 * process killed by the kernel leaves only "Bad system call" from a shell,
 * or an audit record, and an operator sees the sensor vanish. Trapping runs
 * this handler in the offending thread before the call is made, so the log
 * says which call it was. The call itself never runs either way. The handler
 * uses only write(2) and _exit(2), both async-signal-safe and allowed, and
 * cannot be replaced: rt_sigaction on SIGSYS is outside the allow-list.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[160];
	size_t n = 0, cap = sizeof line - 1;
	unsigned long nr = si ? (unsigned long)(unsigned)si->si_syscall : 0;

	(void)sig;
	(void)uc;
	n = put_str(line, n, cap, "scanwatch: sandbox: forbidden system call ");
	n = put_uint(line, n, cap, nr);
	n = put_str(line, n, cap, " (");
	n = put_str(line, n, cap,
	            nr < SANDBOX_NAMES && sandbox_names[nr][0] ? sandbox_names[nr] : "unknown");
	n = put_str(line, n, cap, "); stopping (run with --no-sandbox to compare)\n");
	(void)!write(STDERR_FILENO, line, n);
	_exit(SANDBOX_EXIT_FORBIDDEN);
}

static void fill_names(void)
{
	for (int nr = 0; nr < SANDBOX_NAMES; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (name) {
			snprintf(sandbox_names[nr], SANDBOX_NAME_MAX, "%s", name);
			free(name);
		}
	}
}

/* --- Landlock ------------------------------------------------------------------------------ */

int sandbox_landlock_abi(void)
{
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi > 0 ? (int)abi : 0;
}

/* Every file-system right the kernel's ABI knows: those handled and not granted are denied. */
static uint64_t ll_handled(int abi)
{
	uint64_t h = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	             LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	             LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	             LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	             LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	             LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	             LANDLOCK_ACCESS_FS_MAKE_SYM;

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

/* The rights a rule on a file (not a directory) may carry: others are EINVAL. */
#define LL_FILE_RIGHTS                                                \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* Grants rights beneath path (a directory, or only the file itself). */
static int ll_allow(int ruleset, uint64_t handled, const char *path, uint64_t rights, char *err,
                    size_t errlen)
{
	struct landlock_path_beneath_attr pb = {0};
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);
	int rc = -1;

	if (fd < 0) {
		set_err(err, errlen, "sandbox: %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		set_err(err, errlen, "sandbox: %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode))
		rights &= LL_FILE_RIGHTS;
	pb.parent_fd = fd;
	pb.allowed_access = rights & handled;
	if (pb.allowed_access == 0) {
		rc = 0;
		goto out;
	}
	if (syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
		set_err(err, errlen, "sandbox: Landlock rule for %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* The directory holding path ("." for a bare name), into buf. */
static void parent_dir(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

/* A directory is granted itself, a file the directory holding it. */
static int ll_allow_read(int ruleset, uint64_t handled, const char *path, char *err, size_t errlen)
{
	const uint64_t rd = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	struct stat st;
	char dir[4096];

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return ll_allow(ruleset, handled, path, rd, err, errlen);
	parent_dir(path, dir, sizeof dir);
	return ll_allow(ruleset, handled, dir, LANDLOCK_ACCESS_FS_READ_FILE, err, errlen);
}

/* A sanitizer build's runtime reads its suppressions files at exit, after the sandbox is
 * in place (LeakSanitizer parses them only when it has leaks to report): each file named
 * by suppressions= in ASAN_OPTIONS, LSAN_OPTIONS or UBSAN_OPTIONS stays readable. */
static int ll_allow_sanitizer(int ruleset, uint64_t handled, char *err, size_t errlen)
{
	static const char *const vars[] = {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"};

	for (size_t v = 0; v < sizeof vars / sizeof vars[0]; v++) {
		const char *opt = getenv(vars[v]);

		while (opt != NULL && (opt = strstr(opt, "suppressions=")) != NULL) {
			char path[4096];
			size_t n;

			opt += strlen("suppressions=");
			n = strcspn(opt, ": ");
			if (n > 0 && n < sizeof path) {
				memcpy(path, opt, n);
				path[n] = '\0';
				if (access(path, R_OK) == 0 &&
				    ll_allow(ruleset, handled, path, LANDLOCK_ACCESS_FS_READ_FILE,
				             err, errlen) < 0)
					return -1;
			}
		}
	}
	return ll_allow(ruleset, handled, "/proc",
	                LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR, err, errlen);
}

static int ll_apply(const struct sandbox_paths *p, int abi, char *err, size_t errlen)
{
	const uint64_t rw = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	                    LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
	                    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	struct landlock_ruleset_attr attr = {.handled_access_fs = ll_handled(abi)};
	char dir[4096];
	int rs, rc = -1;

	rs = (int)syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rs < 0) {
		set_err(err, errlen, "sandbox: Landlock ruleset: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < p->nread; i++)
		if (ll_allow_read(rs, attr.handled_access_fs, p->read[i], err, errlen) < 0)
			goto out;
	for (size_t i = 0; i < p->nwrite; i++) {
		parent_dir(p->write[i], dir, sizeof dir);
		if (ll_allow(rs, attr.handled_access_fs, dir, rw, err, errlen) < 0)
			goto out;
	}
	if (p->remove) {
		parent_dir(p->remove, dir, sizeof dir);
		if (ll_allow(rs, attr.handled_access_fs, dir, LANDLOCK_ACCESS_FS_REMOVE_FILE, err,
		             errlen) < 0)
			goto out;
	}
	/* SQLite seeds its randomness (WAL salts, temporary names) from /dev/urandom on first
	 * use, which may come after this point (os_unix.c unixRandomness). */
	if (ll_allow(rs, attr.handled_access_fs, "/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE, err,
	             errlen) < 0)
		goto out;
	if (SANDBOX_SANITIZER && ll_allow_sanitizer(rs, attr.handled_access_fs, err, errlen) < 0)
		goto out;
	if (syscall(__NR_landlock_restrict_self, rs, 0) < 0) {
		set_err(err, errlen, "sandbox: Landlock: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(rs);
	return rc;
}

/* --- seccomp ------------------------------------------------------------------------------- */

/*
 * The allow-list, found by tracing the scanwatch runs of the unit and capture
 * tests and a live capture with SIGHUP, rotation and statistics (strace -f,
 * the calls made after the filter is loaded), then by running the live
 * namespace tests confined (replay, live, reload, privilege drop, syslog over
 * UDP and TCP through an outage, rsyslog), where a missing call stops the
 * sensor with its name; and checked against what each part needs:
 *   memory       malloc, SQLite's page cache and -shm mapping, thread stacks;
 *   files        SQLite (pread/pwrite, fcntl locks, fdatasync, ftruncate,
 *                unlink of -journal/-wal, fchmod/fchown of new files, stat
 *                and access of its side files, fstatfs of its directory after
 *                a full disk), rule and config re-reading
 *                on SIGHUP (openat, getdents64), output reopen, pid file;
 *   network      syslog/CEF collectors (reconnect: socket, connect,
 *                getsockopt SO_ERROR, send, recv of a closed peer), sd_notify
 *                datagrams, libpcap's statistics (getsockopt PACKET_STATISTICS);
 *   time, waits  the packet loop's poll, the writer's condition variables,
 *                the sender's backoff sleeps;
 *   threads      the writer and checkpointer threads (clone with
 *                CLONE_THREAD only: no fork) and their exit;
 *   signals      handlers' return, masks, abort() (tgkill to itself).
 * Names unknown on an architecture (open, stat ... on arm64) are skipped.
 */
/* One line per group reads better than one name per line. */
/* clang-format off */
static const char *const sandbox_allowed[] = {
    /* memory */
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
    /* files and descriptors */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close",
    "open", "openat", "fstat", "newfstatat", "stat", "lstat", "statx",
    "fcntl", "ftruncate", "fsync", "fdatasync", "unlink", "unlinkat", "getdents64",
    "readlink", "readlinkat", "getcwd", "access", "faccessat", "faccessat2",
    "fchmod", "fchown", "fstatfs",
    /* identity, asked by SQLite and libc */
    "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
    /* network: the socket domain is checked separately */
    "connect", "sendto", "sendmsg", "recvfrom", "recvmsg", "getsockopt", "setsockopt",
    "shutdown", "getsockname", "getpeername",
    /* time and waiting */
    "poll", "ppoll", "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
    "gettimeofday", "time", "futex", "sched_yield",
    /* glibc's qsort asks the memory size (stdlib/msort.c, sysconf _SC_PHYS_PAGES) */
    "sysinfo",
    /* threads and signals */
    "set_robust_list", "rseq", "exit", "exit_group", "rt_sigprocmask", "rt_sigreturn",
    "sigaltstack", "restart_syscall", "getrandom",
};

/*
 * What LeakSanitizer's stop-the-world (sanitizer_stoptheworld_linux_libcdep.cpp: a
 * tracer task that ptrace()s every thread, lists /proc/PID/task with getdents on
 * x86-64) and ASan's runtime add in sanitizer builds. The tracer blocks every
 * signal, so a call missing here kills it without the handler's line and the
 * process then waits for it forever at exit: a hang at exit in a sanitizer build
 * means this list (the kernel's audit log names the call with SCMP_FLTATR_CTL_LOG).
 */
static const char *const sandbox_allowed_sanitizer[] = {
    "ptrace", "wait4", "waitid", "prctl", "getppid", "getdents", "sched_getaffinity",
    "kill", "tgkill", "mincore", "pipe2",
};
/* clang-format on */

static int sc_allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n, char *err,
                          size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int rc;

		if (nr == __NR_SCMP_ERROR)
			continue;
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0) {
			set_err(err, errlen, "sandbox: seccomp rule for %s: %s", names[i],
			        strerror(-rc));
			return -1;
		}
	}
	return 0;
}

#define SC_TRY(call)                                                                             \
	do {                                                                                     \
		int rc_ = (call);                                                                \
		if (rc_ < 0) {                                                                   \
			set_err(err, errlen, "sandbox: seccomp: %s: %s", #call, strerror(-rc_)); \
			goto out;                                                                \
		}                                                                                \
	} while (0)

/* The calls allowed only with some arguments. */
static int sc_allow_args(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	int rc = -1;

	/* Every handler but SIGSYS's may change: the sandbox's own cannot be undone. */
	SC_TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1,
	                        SCMP_A0(SCMP_CMP_NE, SIGSYS)));
	/* Collectors (IPv4, IPv6) and sd_notify (AF_UNIX): no raw or packet socket. */
	SC_TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	                        SCMP_A0(SCMP_CMP_EQ, AF_UNIX)));
	SC_TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	                        SCMP_A0(SCMP_CMP_EQ, AF_INET)));
	SC_TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	                        SCMP_A0(SCMP_CMP_EQ, AF_INET6)));
	/* isatty() (stdio, the replay progress line) is the only terminal request. */
	SC_TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	                        SCMP_A1(SCMP_CMP_EQ, TCGETS)));
	/* abort() and raise() signal the process itself, and nothing else. */
	SC_TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	                        SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid())));
	/*
	 * Threads, never processes: clone must carry CLONE_THREAD. clone3 passes its
	 * flags in memory a filter cannot read, so it answers ENOSYS and glibc falls
	 * back to clone (sysdeps/unix/sysv/linux/clone-internal.c), as systemd's and
	 * Chromium's filters do. LeakSanitizer's helper task is a clone without
	 * CLONE_THREAD: sanitizer builds allow clone whole.
	 */
	SC_TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0));
	if (SANDBOX_SANITIZER)
		SC_TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0));
	else
		SC_TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		                        SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)));
	rc = 0;
out:
	return rc;
}

static int sc_apply(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc = -1;

	if (ctx == NULL) {
		set_err(err, errlen, "sandbox: seccomp: cannot create the filter");
		return -1;
	}
	/* Every thread alive now gets the filter too (none should be: see sandbox.h). */
	SC_TRY(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1));
	if (sc_allow_names(ctx, sandbox_allowed, sizeof sandbox_allowed / sizeof sandbox_allowed[0],
	                   err, errlen) < 0)
		goto out;
	if (SANDBOX_SANITIZER &&
	    sc_allow_names(ctx, sandbox_allowed_sanitizer,
	                   sizeof sandbox_allowed_sanitizer / sizeof sandbox_allowed_sanitizer[0],
	                   err, errlen) < 0)
		goto out;
	if (sc_allow_args(ctx, err, errlen) < 0)
		goto out;
	SC_TRY(seccomp_load(ctx));
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}

int sandbox_enter(const struct sandbox_paths *p, char *err, size_t errlen)
{
	struct sigaction sa;
	int abi;

	/* Landlock without CAP_SYS_ADMIN and seccomp both require it; privs_drop set it
	 * already when it ran. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		set_err(err, errlen, "sandbox: prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	/*
	 * glibc loads the time zone on the first time conversion, gmtime_r's too
	 * (time/tzset.c, __tz_convert): load it now, while /etc/localtime can be
	 * read, rather than have the writer thread refused later.
	 */
	tzset();
	fill_names();
	abi = sandbox_landlock_abi();
	if (abi == 0)
		fprintf(stderr, "scanwatch: sandbox: this kernel has no Landlock (Linux 5.13 or "
		                "later, with landlock in lsm=): file access is not confined, the "
		                "system-call filter is\n");
	else if (ll_apply(p, abi, err, errlen) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		set_err(err, errlen, "sandbox: SIGSYS handler: %s", strerror(errno));
		return -1;
	}
	return sc_apply(err, errlen);
}
