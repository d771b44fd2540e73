/* collect.h — `scanwatch collect`: the fleet's records from NATS JetStream into a central store. */
#ifndef SCANWATCH_COLLECT_H
#define SCANWATCH_COLLECT_H

/* argv[0] is "collect". Runs until SIGINT or SIGTERM; returns the exit status (0, 1 on a
 * database error, 2 usage, 78 a bad --nats URL). */
int collect_main(int argc, char **argv);

#endif
