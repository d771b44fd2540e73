/* privs.h — dropping root after the capture handle is open (tcpdump -Z, scanlogd drop_root). */
#ifndef SCANWATCH_PRIVS_H
#define SCANWATCH_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Becomes user for good: supplementary groups set to the user's (or to its
 * primary group alone when they cannot be read), then gid, then uid, all
 * real, effective and saved; then no_new_privs so no setuid binary or file
 * capability can give anything back. Verifies the result: every id is the
 * user's and setuid(0) fails. On any failure returns -1 with a message in
 * err; the process may then be half-dropped, so the caller must exit.
 * Must be called before any other thread exists (setuid changes only the
 * calling thread at the kernel level; glibc broadcasts, but a thread that
 * was mid-syscall would be left behind for a moment).
 */
int privs_drop(const char *user, char *err, size_t errlen);
/* True when any of the real, effective or saved uids is 0. */
bool privs_is_root(void);

#endif
