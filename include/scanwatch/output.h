/* output.h — output plugins: each renders struct sw_detection for one kind of sink. */
#ifndef SCANWATCH_OUTPUT_H
#define SCANWATCH_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "scanwatch/detection.h"

/*
 * Called only from the emit writer thread, never from the packet path.
 *  open    target is the plugin's destination ("-" for stdout, a path, a URL);
 *          returns a state pointer owned by the plugin, or NULL with err set.
 *  write   renders one record; 0, or -1 when it could not be delivered.
 *  flush   pushes buffered output out (end of a batch).
 *  reopen  reopens files after SIGHUP (logrotate `create`); may be NULL.
 *  close   flushes and frees the state.
 */
struct output_ops {
	const char *name;
	void *(*open)(const char *target, char *err, size_t errlen);
	int (*write)(void *state, const struct sw_detection *d);
	void (*flush)(void *state);
	int (*reopen)(void *state);
	void (*close)(void *state);
};

/* Registry lookup by name ("console", "console-json", "jsonl" ...); NULL if unknown. */
const struct output_ops *output_lookup(const char *name);

/*
 * Renders d as one JSON object (no newline) into buf; returns the length, or
 * -1 when buf is too small. Shared by the console --json mode and tests.
 */
int output_json_render(const struct sw_detection *d, char *buf, size_t len);

#endif
