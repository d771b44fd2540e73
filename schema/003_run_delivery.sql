-- 003_run_delivery.sql — what a run could not deliver, on the run itself.
--
-- Applied by store_open() after 002_stats.sql, in its own transaction with
-- PRAGMA user_version = 3. A replay writes no stats rows, so without these a
-- full disk or a dead collector during a replay would be reported only on
-- stderr: now the run row says it too ("nothing is lost silently").
--   store_errors     batches SQLite refused (each batch retried records are
--                    upserts, so a later batch can still land a detection)
--   records_dropped  records the writer queue refused (live mode only)
--   output_errors    records an output (jsonl, syslog, cef, console) failed to take
ALTER TABLE runs ADD COLUMN store_errors INTEGER;
ALTER TABLE runs ADD COLUMN records_dropped INTEGER;
ALTER TABLE runs ADD COLUMN output_errors INTEGER;
