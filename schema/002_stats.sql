-- 002_stats.sql — live sensor statistics: one row every stats_interval, on SIGUSR1 and at exit.
--
-- Applied by store_open() after 001_init.sql, in its own transaction with
-- PRAGMA user_version = 2. Counters are totals since the run started (not
-- deltas), so a lost row loses nothing and rates come from two rows' difference.

CREATE TABLE stats (
  id               INTEGER PRIMARY KEY,
  run_id           INTEGER NOT NULL REFERENCES runs(id),
  at               INTEGER NOT NULL,     -- wall clock, microseconds since the epoch
  packets          INTEGER NOT NULL,     -- seen by the sensor
  bytes            INTEGER NOT NULL,     -- on the wire (original lengths)
  kernel_drops     INTEGER,              -- pcap_stats ps_drop: ring full; 0 for replay
  if_drops         INTEGER,              -- pcap_stats ps_ifdrop: dropped by the interface
  anomalies        TEXT,                 -- JSON object: malformed-input counters by kind
  flows_used       INTEGER,              -- handshake table entries in use
  flows_capacity   INTEGER,              -- handshake table size the memory cap allowed
  entries_used     INTEGER,              -- per-source/target state entries in use
  entries_capacity INTEGER,
  evictions        TEXT,                 -- JSON object: state-table evictions by table
  queue_depth      INTEGER,              -- detection records waiting for the writer now
  queue_max        INTEGER,              -- deepest the writer queue has been
  records_dropped  INTEGER,              -- records refused because the queue was full
  store_errors     INTEGER               -- batches the database refused
);

CREATE INDEX stats_run_at ON stats (run_id, at);
