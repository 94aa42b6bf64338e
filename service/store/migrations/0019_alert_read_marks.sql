-- 0019: the notification centre's "read through" mark per panel user. Mark all read stores one number
-- instead of a row per alert, and the header's unread count (run on every page) only looks past it.
CREATE TABLE alert_read_marks (
    user_id INTEGER PRIMARY KEY REFERENCES system_users (id) ON DELETE CASCADE,
    through_id INTEGER NOT NULL CHECK (through_id >= 0),
    updated_at TEXT NOT NULL
);
