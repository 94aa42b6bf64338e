-- 0006: system statistics: database and image-store size recorded hourly.
-- One row per hourly measurement by the system_stats job. Rows per table are a JSON object
-- (table name → row count) because the set of tables grows with each migration; growth per day
-- is computed when the page renders, not stored.
CREATE TABLE system_stats (
    id INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    db_bytes INTEGER NOT NULL CHECK (db_bytes >= 0),
    wal_bytes INTEGER NOT NULL CHECK (wal_bytes >= 0),
    image_bytes INTEGER NOT NULL CHECK (image_bytes >= 0),
    image_files INTEGER NOT NULL CHECK (image_files >= 0),
    table_rows TEXT NOT NULL CHECK (json_valid(table_rows))
);
CREATE INDEX idx_system_stats_recorded ON system_stats (recorded_at);

-- The Directory's Viewers toggle sorted by a column that models fill (followers, rank, age): the
-- column's own index would walk ~every model before finding a viewer. These partial indexes hold
-- viewer rows only, so the affiliate sweep's model updates pay nothing for them.
CREATE INDEX idx_person_state_viewer_followers ON person_state (followers) WHERE role = 'viewer';
CREATE INDEX idx_person_state_viewer_rank ON person_state (rank) WHERE role = 'viewer';
CREATE INDEX idx_person_state_viewer_age ON person_state (age) WHERE role = 'viewer';
