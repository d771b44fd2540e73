/* sandbox.h — confining the running sensor: a seccomp-bpf allow-list and Landlock file rules. */
#ifndef SCANWATCH_SANDBOX_H
#define SCANWATCH_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* Exit status of a process the sandbox stopped: 128 + SIGSYS, as a shell reports a death
 * by that signal. */
#define SANDBOX_EXIT_FORBIDDEN (128 + 31)

/*
 * What the confined process may still touch on the file system; everything
 * else is refused by Landlock (EACCES). Paths are borrowed for the call.
 */
struct sandbox_paths {
	/* Read-only: rule files and directories, the configuration file (SIGHUP re-reads
	 * them). A directory is readable beneath; for a file, the directory holding it is
	 * (editors and configuration managers replace a file by renaming a new one over it,
	 * and a rule on the old inode would refuse the new one). */
	const char *const *read;
	size_t nread;
	/* Files written and re-created: the database (SQLite adds -wal, -shm and -journal
	 * next to it) and file outputs (reopened after logrotate's rename). The directory
	 * holding each becomes read-write: create, write, truncate, delete regular files. */
	const char *const *write;
	size_t nwrite;
	/* A file the process deletes when it ends (the pid file), or NULL. */
	const char *remove;
};

/*
 * Confines the calling process for good, once everything it opens by name at
 * start is open (captures, database, outputs, collectors' addresses resolved)
 * and before any thread is started (Landlock binds the calling thread only;
 * threads created afterwards inherit both layers):
 *   - no_new_privs;
 *   - Landlock (kernel >= 5.13, the best ABI the kernel has) with the paths
 *     above; on a kernel without it, one line on stderr and no file
 *     confinement (the system-call filter still holds);
 *   - a seccomp-bpf allow-list of the calls the packet loop, the writer and
 *     checkpointer threads, the outputs, SQLite and libpcap make. Any other
 *     call raises SIGSYS: a handler writes "scanwatch: sandbox: forbidden
 *     system call N (name)" to stderr and exits with SANDBOX_EXIT_FORBIDDEN.
 * Returns 0, or -1 with the reason in err (the caller exits: running
 * unconfined when confinement was asked for is not a silent fallback).
 */
int sandbox_enter(const struct sandbox_paths *p, char *err, size_t errlen);

/* The Landlock ABI version the kernel offers, or 0 when it has none (or it is disabled). */
int sandbox_landlock_abi(void);

/* True in sanitizer builds, whose allow-list is wider (see sandbox.c). */
bool sandbox_widened(void);

#endif
