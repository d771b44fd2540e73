-- 008_sensor.sql — which sensor a run (and so each of its detections) belongs to; the
-- collector's central store and its cross-sensor view (issue 19).
--
-- Applied by store_open() in its own transaction with PRAGMA user_version = 8. The number
-- left 006 and 007 to migrations written in parallel (007 became 009_evidence.sql): the runner (store.c, migrate) applies
-- every embedded migration above the file's version in order and never needs them contiguous.
--
--   sensor_id   the sensor's configured id (default its host name), as ECS agent.id
--   site_tags   JSON array of its "KEY=VALUE" site tags
--   sensor_run  the sensor's run token (ECS agent.ephemeral_id): for a sensor's own store the
--               run it wrote; in a collector's central store it tells two runs of one sensor
--               apart, so (sensor_id, sensor_run, seq) names one detection across the fleet.
-- A detections row names its sensor through its run (runs.sensor_id): one place, no copy.
ALTER TABLE runs ADD COLUMN sensor_id TEXT;
ALTER TABLE runs ADD COLUMN site_tags TEXT;
ALTER TABLE runs ADD COLUMN sensor_run TEXT;
-- The collector finds (and creates once) the run of a record by these; NULLs (runs from
-- before this migration) never collide.
CREATE UNIQUE INDEX runs_sensor_run ON runs (sensor_id, sensor_run);

-- Cross-sensor correlation (the rule, also in README.md): one scanner source address whose
-- detections were recorded by two or more distinct sensors is ONE cross-sensor group, keyed
-- by that address; its members are all those detections, each naming its sensor. A view,
-- not a table: it is computed from the rows themselves, so a redelivered record (an upsert of
-- the same row) can never make a duplicate member, and a central store holds nothing that
-- could disagree with its detections. Many-source records (src_ip '*') belong to no group.
CREATE VIEW cross_sensor_members AS
  SELECT d.src_ip AS src_ip, r.sensor_id AS sensor_id, d.id AS detection_id, d.kind AS kind,
         d.first_seen AS first_seen, d.last_seen AS last_seen
  FROM detections d JOIN runs r ON r.id = d.run_id
  WHERE d.src_ip <> '*' AND r.sensor_id IS NOT NULL
    AND d.src_ip IN (SELECT d2.src_ip FROM detections d2 JOIN runs r2 ON r2.id = d2.run_id
                     WHERE r2.sensor_id IS NOT NULL
                     GROUP BY d2.src_ip HAVING count(DISTINCT r2.sensor_id) >= 2);

CREATE VIEW cross_sensor AS
  SELECT src_ip, count(DISTINCT sensor_id) AS sensors, group_concat(DISTINCT sensor_id)
         AS sensor_ids, count(*) AS detections, min(first_seen) AS first_seen,
         max(last_seen) AS last_seen
  FROM cross_sensor_members GROUP BY src_ip;
-- A later migration that rebuilds detections (as 004_kinds.sql did) must drop these two views
-- first and create them again after: SQLite's ALTER TABLE ... RENAME checks every view.
