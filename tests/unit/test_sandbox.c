/* test_sandbox.c — the sensor's confinement: forked children enter the sandbox, then try what it
 * must allow (their files, threads, sockets) and what it must refuse (execve, /etc/shadow ...). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "scanwatch/sandbox.h"

static char base[1024], ro_dir[1100], rw_dir[1100], run_dir[1100], rules_file[1200], db_file[1200],
    outside_file[1200], pid_file[1200], supp_dir[1100], supp_file[1200], supp_other[1200];

/* The paths as the sensor gives them: rules read-only, a database and a pid file. */
static struct sandbox_paths test_paths(void)
{
	static const char *read[1], *write[1];
	struct sandbox_paths p = {read, 1, write, 1, pid_file};

	read[0] = ro_dir;
	write[0] = db_file;
	return p;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Runs fn in a confined child; its exit status and what it wrote to stderr come back. */
static int run_confined(int (*fn)(void), char *out, size_t outlen)
{
	int fds[2], status = -1;
	size_t n = 0;
	pid_t pid;

	out[0] = '\0';
	if (pipe(fds) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct sandbox_paths p = test_paths();
		char err[512];

		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		if (sandbox_enter(&p, err, sizeof err) < 0) {
			fprintf(stderr, "enter failed: %s\n", err);
			_exit(100);
		}
		_exit(fn());
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], out + n, outlen - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == outlen - 1)
			break;
	}
	out[n] = '\0';
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

static bool opens(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void *thread_main(void *arg)
{
	return arg;
}

/*
 * What the running sensor does must still work; each failed step returns its own
 * number so the parent's message says which.
 */
static int child_allowed(void)
{
	char journal[1300];
	pthread_t t;
	void *ret = NULL;
	int fd;

	if (!opens(rules_file, O_RDONLY)) /* SIGHUP re-reads rules */
		return 1;
	fd = open(db_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600); /* SQLite's files */
	if (fd < 0 || write(fd, "x", 1) != 1 || ftruncate(fd, 0) < 0)
		return 2;
	close(fd);
	snprintf(journal, sizeof journal, "%s-journal", db_file);
	if (!opens(journal, O_WRONLY | O_CREAT) || unlink(journal) < 0)
		return 3;
	if (pthread_create(&t, NULL, thread_main, journal) != 0 || pthread_join(t, &ret) != 0 ||
	    ret != journal) /* the writer and checkpointer threads */
		return 4;
	fd = socket(AF_INET, SOCK_DGRAM, 0); /* syslog collectors */
	if (fd < 0)
		return 5;
	close(fd);
	if (unlink(pid_file) < 0) /* the pid file, deleted at exit */
		return 6;
	return 0;
}

/* A sanitizer build: the suppressions file named in LSAN_OPTIONS stays readable (LeakSanitizer
 * reads it at exit, after confinement); a file beside it that is not named stays refused. */
static int child_sanitizer_files(void)
{
	if (!opens(supp_file, O_RDONLY))
		return 1;
	if (opens(supp_other, O_RDONLY) || errno != EACCES)
		return 2;
	return 0;
}

/* File access outside the granted paths is refused with EACCES (Landlock). */
static int child_files_refused(void)
{
	char other[1300];

	if (opens(outside_file, O_RDONLY) || errno != EACCES)
		return 1;
	if (opens("/etc/shadow", O_RDONLY) || errno != EACCES)
		return 2;
	if (opens(rules_file, O_WRONLY) || errno != EACCES) /* rules are read-only */
		return 3;
	snprintf(other, sizeof other, "%s/new.yaml", ro_dir);
	if (opens(other, O_WRONLY | O_CREAT) || errno != EACCES)
		return 4;
	/* the pid file's directory: its file may be deleted, nothing created there */
	snprintf(other, sizeof other, "%s/other.pid", run_dir);
	if (opens(other, O_WRONLY | O_CREAT) || errno != EACCES)
		return 5;
	return 0;
}

static int child_execve(void)
{
	char *const argv[] = {"true", NULL};

	execv("/bin/true", argv);
	return 1; /* refused without the kill: the sandbox let it return */
}

static int child_packet_socket(void)
{
	/* AF_PACKET: the capture is opened before the sandbox; a new one is never needed. */
	return socket(AF_PACKET, SOCK_RAW, 0) >= 0 ? 1 : 2;
}

static int child_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return 1;
}

#if !defined(__SANITIZE_THREAD__)
static int child_sigsys_handler(void)
{
	/* Replacing the sandbox's handler would turn its kill into a silent failure. */
	signal(SIGSYS, SIG_IGN);
	return 1;
}
#endif

/* The child died of the sandbox: the documented status and a line naming the call. */
static void check_forbidden(int (*fn)(void), const char *call)
{
	char out[2048], want[64];
	int st = run_confined(fn, out, sizeof out);

	snprintf(want, sizeof want, "(%s)", call);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == SANDBOX_EXIT_FORBIDDEN);
	CHECK(strstr(out, "scanwatch: sandbox: forbidden system call ") != NULL);
	CHECK(strstr(out, want) != NULL);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != SANDBOX_EXIT_FORBIDDEN || !strstr(out, want))
		fprintf(stderr, "  %s: status %#x, stderr: %s\n", call, (unsigned)st, out);
}

static void check_exit0(int (*fn)(void), const char *what)
{
	char out[2048];
	int st = run_confined(fn, out, sizeof out);

	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "  %s: status %#x (step %d), stderr: %s\n", what, (unsigned)st,
		        WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
}

int main(void)
{
	const char *work = getenv("SW_WORK_DIR");
	char tmpl[1000];

	snprintf(tmpl, sizeof tmpl, "%s/sandbox.XXXXXX", work && *work ? work : "/tmp");
	if (work && *work)
		mkdir(work, 0755);
	if (!mkdtemp(tmpl)) {
		perror(tmpl);
		return 1;
	}
	snprintf(base, sizeof base, "%s", tmpl);
	snprintf(ro_dir, sizeof ro_dir, "%s/rules", base);
	snprintf(rw_dir, sizeof rw_dir, "%s/db", base);
	snprintf(rules_file, sizeof rules_file, "%s/scan.yaml", ro_dir);
	snprintf(db_file, sizeof db_file, "%s/scanwatch.db", rw_dir);
	snprintf(outside_file, sizeof outside_file, "%s/outside.txt", base);
	snprintf(run_dir, sizeof run_dir, "%s/run", base);
	snprintf(pid_file, sizeof pid_file, "%s/scanwatch.pid", run_dir);
	mkdir(ro_dir, 0755);
	mkdir(rw_dir, 0755);
	mkdir(run_dir, 0755);
	write_file(rules_file, "rules: []\n");
	write_file(outside_file, "not for the sensor\n");
	write_file(pid_file, "1\n");
	snprintf(supp_dir, sizeof supp_dir, "%s/supp", base);
	snprintf(supp_file, sizeof supp_file, "%s/lsan.supp", supp_dir);
	snprintf(supp_other, sizeof supp_other, "%s/other.txt", supp_dir);
	mkdir(supp_dir, 0755);
	write_file(supp_file, "# none\n");
	write_file(supp_other, "not named\n");
	if (sandbox_widened()) {
		const char *old = getenv("LSAN_OPTIONS");
		char opts[2400];

		snprintf(opts, sizeof opts, "%s%ssuppressions=%s", old ? old : "",
		         old && *old ? ":" : "", supp_file);
		setenv("LSAN_OPTIONS", opts, 1);
	}

	/* Unconfined, the files the children must not open are readable: a refusal below
	 * comes from the sandbox, not from permissions. */
	CHECK(opens(outside_file, O_RDONLY));
	if (geteuid() == 0)
		CHECK(opens("/etc/shadow", O_RDONLY));

	check_exit0(child_allowed, "allowed");
	if (sandbox_landlock_abi() > 0) {
		check_exit0(child_files_refused, "files refused");
		if (sandbox_widened())
			check_exit0(child_sanitizer_files, "sanitizer suppressions");
	} else
		printf("no Landlock in this kernel: the file checks are skipped\n");
	check_forbidden(child_execve, "execve");
	check_forbidden(child_packet_socket, "socket");
#if defined(__SANITIZE_THREAD__)
	/* ThreadSanitizer's sigaction interceptor keeps the handler to itself and answers
	 * without asking the kernel, so the filter never sees the call. */
	printf("ThreadSanitizer build: sigaction is intercepted, not checked\n");
#else
	check_forbidden(child_sigsys_handler, "rt_sigaction");
#endif
	/* Sanitizer builds allow clone whole (LeakSanitizer's helper task): see sandbox.c. */
	if (!sandbox_widened())
		check_forbidden(child_fork, "clone");
	else
		printf("sanitizer build: fork is allowed there, not checked\n");
	/* The parent was never confined: the sandbox is the child's alone. */
	CHECK(opens(outside_file, O_RDONLY));
	CHECK_DONE();
}
