/* extract.h — `scanwatch extract`: a detection's evidence packets written back as a pcap file. */
#ifndef SCANWATCH_EXTRACT_H
#define SCANWATCH_EXTRACT_H

/*
 * Runs the extract command; argv[0] is "extract", the options follow (see
 * `scanwatch extract --help`). Returns the process exit status: 0 success, 1 database
 * error, no such detection or no packets kept for it, 2 usage error.
 */
int extract_main(int argc, char **argv);

#endif
