-- 0020: the written summary of each closed broadcast, kept with it. The Events batch marks the
-- broadcasts it touched stale (in its own transaction); a report is (re)generated from stored data
-- once its broadcast is closed. `facts` holds the figures the sentences were built from, `sentences`
-- the rendered parts (text, times and names), `fingerprint` a hash of the facts, so a regeneration
-- that finds nothing new changes nothing. `announce`: raise the "summary ready" alert when first
-- generated (0 for broadcasts that had ended before this migration: no alert storm on upgrade).
CREATE TABLE broadcast_reports (
    broadcast_id INTEGER PRIMARY KEY REFERENCES broadcasts (id) ON DELETE CASCADE,
    stale INTEGER NOT NULL DEFAULT 1 CHECK (stale IN (0, 1)),
    announce INTEGER NOT NULL DEFAULT 1 CHECK (announce IN (0, 1)),
    generated_at TEXT,
    fingerprint TEXT,
    facts TEXT NOT NULL DEFAULT '{}',
    sentences TEXT NOT NULL DEFAULT '[]',
    CHECK (generated_at IS NOT NULL OR stale = 1)
);
CREATE INDEX idx_broadcast_reports_stale ON broadcast_reports (stale) WHERE stale = 1;

INSERT INTO broadcast_reports (broadcast_id, stale, announce)
SELECT id, 1, 0 FROM broadcasts WHERE ended_at IS NOT NULL;
