/* yamlcfg.h — strict YAML loading shared by rules.c and config.c: libyaml, messages, scalars. */
#ifndef SCANWATCH_YAMLCFG_H
#define SCANWATCH_YAMLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "scanwatch/addr.h"

/* Longest user value (bytes) quoted back in an error message. */
#define YAMLCFG_SHOW_MAX 64
/* Room for YAMLCFG_SHOW_MAX bytes each escaped as \xNN, "..." and the NUL. */
#define YAMLCFG_SHOW_BUF (YAMLCFG_SHOW_MAX * 4 + 8)
/* Room for a vocabulary joined with ", " in an unknown-key message; the
 * longest (config.c's top level) needs about 130 bytes. */
#define YAMLCFG_VOCAB_LIST 320
/* Durations must be below 30 days: longer windows are not scan detection any
 * more, and the tracker would have to hold state for that long. */
#define YAMLCFG_DURATION_MAX_US (30ull * 86400ull * 1000000ull)

/* Where a load reports: every failure writes one line to err and returns -1. */
struct yamlcfg {
	const char *file;     /* name of the text being read, for messages */
	const char *unnamed;  /* name for out-of-memory messages while file is NULL */
	yaml_document_t *doc; /* the loaded document (yamlcfg_load to yamlcfg_unload) */
	char *err;            /* NULL or errlen 0: messages are dropped */
	size_t errlen;
};

/* A fixed key vocabulary: n names, one const char * every stride bytes from
 * first (a plain array of names, or the name member of an array of structs). */
struct yamlcfg_vocab {
	const void *first;
	size_t stride;
	size_t n;
};

/* printf into err (nothing when err is NULL or errlen 0). */
void yamlcfg_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "FILE:LINE:COL: message" at a libyaml mark (0-based there, 1-based here); returns -1. */
int yamlcfg_fail_at(struct yamlcfg *y, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "FILE: out of memory"; returns -1. */
int yamlcfg_oom(struct yamlcfg *y);
/* strdup, or yamlcfg_oom. */
int yamlcfg_strdup(struct yamlcfg *y, const char *s, char **out);

/* Quotes a user value for a message into buf: control bytes and '\' escaped
 * as \xNN (no forged log lines), values past YAMLCFG_SHOW_MAX cut at a UTF-8
 * boundary with "...". Returns buf. */
const char *yamlcfg_show(const char *in, char buf[YAMLCFG_SHOW_BUF]);
/* "a scalar", "a list", "a mapping" or "nothing". */
const char *yamlcfg_kind_name(yaml_node_type_t t);
/* True when s holds a control byte other than those in allowed (e.g. "\n\t"). */
bool yamlcfg_has_control(const char *s, const char *allowed);

/*
 * Reads a whole regular file of at most max bytes into a malloc'd buffer (not
 * NUL-terminated). Messages name path; what names the kind of file in the
 * "larger than" one ("a rule file").
 */
int yamlcfg_read_file(struct yamlcfg *y, const char *path, unsigned max, const char *what,
                      char **out, size_t *outlen);
/*
 * Parses text as exactly one YAML document into *doc and points y->doc at it.
 * A first pass over the event stream reports syntax errors and nesting past
 * depth_max before the document is built: libyaml's scanner does work
 * proportional to the flow nesting depth for every token. On success the
 * caller interprets the document (its root may be NULL: empty or comments
 * only) and then calls yamlcfg_unload.
 */
int yamlcfg_load(struct yamlcfg *y, const char *text, size_t len, int depth_max,
                 yaml_document_t *doc);
/* Frees the document yamlcfg_load built; y can load again. */
void yamlcfg_unload(struct yamlcfg *y);

/* The element at it of list seq; "malformed list" when the document lacks it. */
int yamlcfg_item(struct yamlcfg *y, const yaml_node_t *seq, const yaml_node_item_t *it,
                 yaml_node_t **out);
/* Key and value of a mapping pair, the key's text checked by yamlcfg_scalar
 * as keywhat; "malformed mapping WHERE" when the document lacks a node. */
int yamlcfg_pair(struct yamlcfg *y, const yaml_node_t *map, const yaml_node_pair_t *p,
                 const char *where, const char *keywhat, yaml_node_t **k, yaml_node_t **v,
                 const char **key);
/* Index of key in the vocabulary, or v->n. */
size_t yamlcfg_vocab_find(const struct yamlcfg_vocab *v, const char *key);
/* The names joined with ", ", cut at size. */
void yamlcfg_vocab_join(const struct yamlcfg_vocab *v, char *buf, size_t size);
/* "unknown key 'KEY' WHERE (expected one of: ...)" at k; where may be "". */
int yamlcfg_unknown_key(struct yamlcfg *y, const yaml_node_t *k, const char *key, const char *where,
                        const struct yamlcfg_vocab *v);
/* "duplicate key 'KEY' WHERE (first at line N)" at k; where may be "". */
int yamlcfg_dup_key(struct yamlcfg *y, const yaml_node_t *k, const char *key, const char *where,
                    const yaml_node_t *first);

/* The text of a scalar node (no NUL inside), or an error naming what was expected there. */
int yamlcfg_scalar(struct yamlcfg *y, const yaml_node_t *n, const char *what, const char **out);
/* 0 when n is of kind t, else "expected KIND for WHAT, found KIND". */
int yamlcfg_kind(struct yamlcfg *y, const yaml_node_t *n, yaml_node_type_t t, const char *what);
/* A YAML 1.2 core boolean; key is named bare in the message, quoted in the scalar check. */
int yamlcfg_bool(struct yamlcfg *y, const yaml_node_t *n, const char *key, bool *out);
/* Parses the text v of node n as a CIDR block; "bad CIDR 'V' in KEY" at n. */
int yamlcfg_cidr(struct yamlcfg *y, const yaml_node_t *n, const char *v, const char *key,
                 struct sw_cidr *out);

/* Decimal integer with an optional sign, nothing else; overflow saturates at +-INT64_MAX
 * so callers report it as out of range. 0 or -1. */
int yamlcfg_parse_int(const char *s, int64_t *out);
/* The same without a sign. 0 or -1. */
int yamlcfg_parse_uint(const char *s, uint64_t *out);
/* A decimal real, YAML 1.2 core style, finite. 0 or -1. */
int yamlcfg_parse_real(const char *s, double *out);
/* "90s", "5m", "1h", "250ms", "2d", plain seconds, below YAMLCFG_DURATION_MAX_US:
 * NULL on success, else why the text is not a duration. */
const char *yamlcfg_parse_duration(const char *s, uint64_t *out_us);
/* "64M", "1G", "512k", plain bytes (binary multiples). 0 or -1. */
int yamlcfg_parse_size(const char *text, uint64_t *out_bytes);

#endif
