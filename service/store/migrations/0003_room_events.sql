-- 0003: the broadcaster's own room: Events API stream, events, broadcasts, per-person room figures.

-- Per-person figures about the broadcaster's own room, kept current by the events stream so the
-- Directory and Profile can show them without scanning events.
CREATE TABLE person_room_stats (
    person_id INTEGER PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    first_seen_at TEXT,
    last_seen_at TEXT,
    visits INTEGER NOT NULL DEFAULT 0,
    events INTEGER NOT NULL DEFAULT 0,
    tips INTEGER NOT NULL DEFAULT 0,
    tokens_tipped INTEGER NOT NULL DEFAULT 0,
    last_tip_at TEXT,
    last_tip_tokens INTEGER
);
