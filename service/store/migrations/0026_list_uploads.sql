-- 0026: list snapshots sent in parts (POST /api/ext/v1/lists/parts, then …/lists/finish). A part's
-- pages wait here until the extension finishes the upload; finishing moves them into
-- list_snapshot_pages and reconciles the snapshot, which counts only then. `snapshot_id` is set when
-- the upload is finished, so a repeated finish answers the same snapshot and a late part is refused.
-- Also: removals found by their period. Each reconcile asks, per open period missing from the list,
-- whether a removal already covers it, and closes confirmed periods by their removal; without this
-- index every such question scans the removals (100M row visits for 10,000 suspects at 1M names).
CREATE INDEX idx_follow_removals_period ON follow_removals (period_id);

CREATE TABLE list_uploads (
    id INTEGER PRIMARY KEY,
    upload_key TEXT NOT NULL,
    client_id INTEGER REFERENCES ext_clients (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('following', 'followers')),
    account TEXT NOT NULL,
    started_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    snapshot_id INTEGER REFERENCES list_snapshots (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX idx_list_uploads_key ON list_uploads (upload_key);
CREATE INDEX idx_list_uploads_created ON list_uploads (created_at) WHERE snapshot_id IS NULL;

CREATE TABLE list_upload_pages (
    upload_id INTEGER NOT NULL REFERENCES list_uploads (id) ON DELETE CASCADE,
    part INTEGER NOT NULL CHECK (part >= 1),
    seq INTEGER NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('online', 'offline', 'followers')),
    page INTEGER NOT NULL CHECK (page >= 1),
    url TEXT,
    final_url TEXT,
    usernames TEXT NOT NULL,  -- JSON array, in page order
    PRIMARY KEY (upload_id, part, seq)
) WITHOUT ROWID;
