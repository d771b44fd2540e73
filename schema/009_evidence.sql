-- 009_evidence.sql — the packets behind each detection.
--
-- Applied by store_open() in its own transaction with PRAGMA user_version = 9: numbered
-- after 008_sensor.sql, which was applied first, so a file already at 8 still gets it.
-- One row per packet a detection kept (include/scanwatch/evidence.h): the first
-- 64 events' packets (probes and their answers) and the last 8, each cut to 256
-- bytes, so at most 72 rows and 18,432 bytes of data per detection. The OPEN
-- record brings the packets that opened the detection, the CLOSE record the
-- rest; `scanwatch extract` writes them back as a pcap file.
--   ordinal   the packet's place among the events its detection saw (0 is the
--             first; a gap before the tail is the packets in between)
--   ts_sec, ts_frac  capture time as the capture file had it: epoch seconds
--             and nanoseconds (a microsecond capture's fraction times 1000)
--   caplen    bytes in data; origlen the length on the wire
--   linktype  the capture's LINKTYPE_ value (pcap-linktype(7))
-- No CHECK here: the writer's vocabulary probe (store_write.c) relies on the
-- detections table's two being the only ones; the reader (store_read.c)
-- skips a row whose numbers cannot be a packet header instead.
CREATE TABLE evidence (
  detection_id INTEGER NOT NULL REFERENCES detections(id),
  ordinal      INTEGER NOT NULL,
  ts_sec       INTEGER NOT NULL,
  ts_frac      INTEGER NOT NULL,
  caplen       INTEGER NOT NULL,
  origlen      INTEGER NOT NULL,
  linktype     INTEGER NOT NULL,
  data         BLOB    NOT NULL,
  PRIMARY KEY (detection_id, ordinal)
) WITHOUT ROWID;
-- What the sensor could not keep, per run (a statistics row): packets a
-- detection wanted that the arena's budget refused, events of held-back
-- sources replayed without their packet, and packets the writer's queue had no
-- room for.
ALTER TABLE stats ADD COLUMN evidence_kept INTEGER;
ALTER TABLE stats ADD COLUMN evidence_not_kept INTEGER;
ALTER TABLE stats ADD COLUMN evidence_bytes INTEGER;
