/* notify.h — systemd readiness notification (sd_notify(3) protocol) without libsystemd. */
#ifndef SCANWATCH_NOTIFY_H
#define SCANWATCH_NOTIFY_H

/*
 * Each call sends one datagram to the socket named by $NOTIFY_SOCKET (a
 * filesystem path, or '@' + name for the Linux abstract namespace). Without
 * the variable (not started by systemd with Type=notify) every call does
 * nothing and returns 0. Returns 0 when sent or not needed, -1 on failure
 * (errno set): callers log it and go on, readiness is never fatal.
 */

/* Sends msg as is ("READY=1\nSTATUS=..."). */
int notify_send(const char *msg);
/* "READY=1", plus "\nSTATUS=<status>" when status is not NULL. */
int notify_ready(const char *status);
/* "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC in µs>", as Type=notify-reload expects. */
int notify_reloading(void);
/* "STOPPING=1". */
int notify_stopping(void);
/* "STATUS=<formatted text>"; newlines in the text are replaced by blanks. */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
