-- 004_kinds.sql — four new kinds: sctp_scan, udp_sweep, udp_flood, icmp_flood.
--
-- Applied by store_open() after 003_run_delivery.sql, in its own transaction
-- with PRAGMA user_version = 4. SQLite cannot change a CHECK constraint in
-- place, so the detections table is rebuilt the way the SQLite manual's
-- "Making Other Kinds Of Table Schema Changes" (lang_altertable.html, section
-- 7) prescribes: a new table with the wider CHECK, every row copied, the old
-- table dropped, the new one renamed, its indexes made again. No other table,
-- view or trigger refers to detections. Columns and their order are those of
-- 001_init.sql.

CREATE TABLE detections_004 (
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
                     'decoy_scan', 'distributed_scan', 'os_fingerprint', 'sctp_scan',
                     'udp_sweep', 'udp_flood', 'icmp_flood')),
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

INSERT INTO detections_004 SELECT * FROM detections;
DROP TABLE detections;
ALTER TABLE detections_004 RENAME TO detections;

CREATE INDEX detections_src_ip ON detections (src_ip);
CREATE INDEX detections_kind ON detections (kind);
CREATE INDEX detections_opened_at ON detections (opened_at);
