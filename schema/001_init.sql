-- 001_init.sql — initial scanwatch schema: runs and detections.
--
-- Applied by store_open() inside one transaction, followed by
-- PRAGMA user_version = 1. Later changes go in 002_*.sql and onwards; never
-- edit a migration that has shipped.
--
-- All times are microseconds since the Unix epoch (UTC): wall clock for the
-- run's start and end, packet time for everything about traffic.

-- One invocation of the sensor: a live capture or the replay of a file set.
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY,
  input       TEXT    NOT NULL,          -- interface name or the list of capture files
  config      TEXT,                      -- where the rules came from (path or "builtin")
  started_at  INTEGER NOT NULL,          -- wall clock
  ended_at    INTEGER,                   -- wall clock; NULL while running or after a crash
  first_ts    INTEGER,                   -- first packet time
  last_ts     INTEGER,                   -- last packet time
  packets     INTEGER,
  bytes       INTEGER,
  detections  INTEGER,
  anomalies   TEXT,                      -- JSON object: malformed-input counters by kind
  evictions   TEXT,                      -- JSON object: state-table evictions by table
  status      INTEGER,                   -- 0 clean; non-zero: the input ended on an error
  error       TEXT
);

-- One scan is one row: inserted when the detection opens, updated while it
-- continues, and updated a last time when it closes. (run_id, seq) ties the
-- phases of one detection together.
CREATE TABLE detections (
  id               INTEGER PRIMARY KEY,
  run_id           INTEGER NOT NULL REFERENCES runs(id),
  seq              INTEGER NOT NULL,
  rule_id          TEXT    NOT NULL,
  rule_name        TEXT    NOT NULL,
  -- The vocabulary of DETECTION_KINDS in include/scanwatch/detection.h;
  -- tests/unit/test_store.c checks that every kind there is accepted here.
  kind             TEXT    NOT NULL CONSTRAINT kind_in_vocabulary CHECK (kind IN (
                     'syn_scan', 'connect_scan', 'fin_scan', 'null_scan', 'xmas_scan',
                     'maimon_scan', 'ack_scan', 'window_scan', 'udp_scan', 'ip_proto_scan',
                     'icmp_sweep', 'tcp_sweep', 'arp_sweep', 'rst_flood', 'syn_flood',
                     'decoy_scan', 'distributed_scan', 'os_fingerprint')),
  severity         TEXT    NOT NULL CONSTRAINT severity_in_vocabulary
                     CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  src_ip           TEXT    NOT NULL,     -- canonical text; '*' for many (spoofed) sources
  target_ip        TEXT,                 -- NULL unless all probes went to one target
  proto            INTEGER,              -- IP protocol; 0 for ARP or mixed
  first_seen       INTEGER NOT NULL,
  opened_at        INTEGER NOT NULL,
  last_seen        INTEGER NOT NULL,
  closed_at        INTEGER,              -- NULL while open
  probes           INTEGER NOT NULL,
  probes_at_open   INTEGER NOT NULL,
  distinct_targets INTEGER NOT NULL,
  distinct_ports   INTEGER NOT NULL,
  sample_ports     TEXT,                 -- JSON array of numbers
  sample_targets   TEXT,                 -- JSON array of address strings
  sample_sources   TEXT,                 -- JSON array of addresses (decoy, distributed, flood)
  tags             TEXT,                 -- JSON array of MITRE ATT&CK technique ids
  tool             TEXT,                 -- attributed scanner, NULL when unknown
  campaign         TEXT,                 -- NULL when not grouped
  evidence         TEXT,
  UNIQUE (run_id, seq)
);

CREATE INDEX detections_src_ip ON detections (src_ip);
CREATE INDEX detections_kind ON detections (kind);
CREATE INDEX detections_opened_at ON detections (opened_at);
