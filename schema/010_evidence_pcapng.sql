-- 010_evidence_pcapng.sql — a record's evidence packets as one pcapng blob, not a row each.
--
-- Applied by store_open() in its own transaction with PRAGMA user_version = 10.
-- One row per record that brought packets (the OPEN record the packets that opened the
-- detection, the CLOSE record the rest: include/scanwatch/evidence.h), so at most two
-- rows and 72 packets per detection, where 009_evidence.sql's table took a row a packet:
-- on the benchmark's capture D, 160,000 statements for 20,000 detections became 40,000,
-- and writing them took the most of the writer's time.
--   first_ordinal  the ordinal of the blob's first packet: with detection_id, what a
--                  record written again (a retried batch) replaces
--   packets        packets in the blob
--   pcapng         one pcapng section (draft-ietf-opsawg-pcapng): a Section Header
--                  Block, an Interface Description Block per link type (snapshot 256,
--                  if_tsresol 9: nanoseconds) and an Enhanced Packet Block per packet,
--                  whose epb_packetid option is the packet's ordinal (its place among
--                  the events its detection saw). It opens as it is in Wireshark and
--                  tcpdump: sqlite3 FILE "SELECT writefile('p.pcapng', pcapng) FROM
--                  evidence_pcapng WHERE detection_id = N AND first_ordinal = 0".
--                  `scanwatch extract` writes all of a detection's packets as one pcap.
-- The evidence table of 009 stays, for the packets older builds wrote into it; this
-- build writes none there and reads both. A rowid table, not WITHOUT ROWID as 009's:
-- a blob of up to 22 KB is far past the row size WITHOUT ROWID suits (the SQLite
-- manual's withoutrowid.html, section 4).
CREATE TABLE evidence_pcapng (
  id            INTEGER PRIMARY KEY,
  detection_id  INTEGER NOT NULL REFERENCES detections(id),
  first_ordinal INTEGER NOT NULL,
  packets       INTEGER NOT NULL,
  pcapng        BLOB    NOT NULL,
  UNIQUE (detection_id, first_ordinal)
);
