/* query.h — `scanwatch query`: filter and print the detections of a database. */
#ifndef SCANWATCH_QUERY_H
#define SCANWATCH_QUERY_H

/*
 * Runs the query command; argv[0] is "query", the options follow (see
 * `scanwatch query --help`). Returns the process exit status: 0 success
 * (also when nothing matched), 1 database error, 2 usage error.
 */
int query_main(int argc, char **argv);

#endif
