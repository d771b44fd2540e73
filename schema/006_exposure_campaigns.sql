-- 006_exposure_campaigns.sql — what each scanner learned, and the campaigns sources form.
--
-- Applied by store_open() after 005_reasons.sql, in its own transaction with
-- PRAGMA user_version = 6. Neither table has a CHECK constraint or a foreign
-- key into detections (store_write.c's vocabulary probe counts the schema's
-- CHECKs, and 004_kinds.sql's way of rebuilding detections assumes no table
-- refers to it): rows join their detection on (run_id, seq), the detections
-- table's unique key.

-- One row per service or host that answered a detection's scanner, the
-- record's exposure list (struct det_exposure in include/scanwatch/detection.h)
-- in the order things first answered (ord). Bounded by DET_EXPOSURE_MAX rows
-- per detection; answers past the list are the count of the detection's
-- "exposure_unlisted" reason.
CREATE TABLE exposure (
  run_id   INTEGER NOT NULL REFERENCES runs(id),
  seq      INTEGER NOT NULL,            -- the detection's seq in its run
  ord      INTEGER NOT NULL,            -- 0-based place in the record's list
  host     TEXT    NOT NULL,            -- canonical address text, as detections.src_ip
  proto    INTEGER NOT NULL,            -- IP protocol probed (0: ARP)
  port     INTEGER NOT NULL,            -- TCP/UDP/SCTP port; ICMP type probed; 0: ARP, protocol
  reveal   TEXT    NOT NULL,            -- DETECTION_REVEALS: syn_ack, udp_reply, echo_reply...
  answers  INTEGER NOT NULL,            -- answers of this service or host to the scanner
  PRIMARY KEY (run_id, seq, ord)
) WITHOUT ROWID;
-- "Which detections reached host X (port Y)?"
CREATE INDEX exposure_host_port ON exposure (host, port);

-- One row per campaign: sources scanning together (sensor/campaign.c states
-- the rule). Made by the store from the member detections' rows as records
-- carrying the campaign are stored (store_campaign.c says when); members, sources,
-- targets and ports are JSON arrays (targets and ports: the union of the
-- members' samples), reasons the campaign's evidence as detections.reasons.
CREATE TABLE campaigns (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  id          TEXT    NOT NULL,         -- the members' detections.campaign
  tool        TEXT,                     -- the members' tool (NULL: unknown)
  first_seen  INTEGER NOT NULL,         -- µs since the epoch, earliest member probe
  last_seen   INTEGER NOT NULL,
  members     TEXT    NOT NULL,         -- [seq, ...] of the member detections
  sources     TEXT    NOT NULL,         -- ["198.18.0.1", ...]
  targets     TEXT    NOT NULL,         -- ["198.18.1.2", ...] (the members' samples)
  ports       TEXT    NOT NULL,         -- [22, 80, ...] (the members' samples)
  reasons     TEXT,                     -- why grouped: [{"name","count","text"}]
  PRIMARY KEY (run_id, id)
);
-- The members of a campaign, for the store's upsert and `query --campaign`. An
-- index of detections: a migration that rebuilds that table (as 004_kinds.sql
-- did) makes it again.
CREATE INDEX detections_campaign ON detections (run_id, campaign);
