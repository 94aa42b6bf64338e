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

-- Sessions of the own room, stitched from broadcastStart/broadcastStop with a merge gap. The summary
-- columns are recomputed from room_events in the transaction that stores each batch; the viewer
-- figures come from Stats API snapshots and stay NULL until something fills them.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT CHECK (end_reason IN ('stop', 'next_start', 'timeout')),
    last_event_at TEXT NOT NULL,
    start_event_id TEXT,
    stop_event_id TEXT,
    restarts INTEGER NOT NULL DEFAULT 0 CHECK (restarts >= 0),
    duration_seconds INTEGER NOT NULL DEFAULT 0,
    tokens INTEGER NOT NULL DEFAULT 0,
    tip_tokens INTEGER NOT NULL DEFAULT 0,
    media_tokens INTEGER NOT NULL DEFAULT 0,
    tips INTEGER NOT NULL DEFAULT 0,
    unique_tippers INTEGER NOT NULL DEFAULT 0,
    biggest_tip INTEGER NOT NULL DEFAULT 0,
    new_followers INTEGER NOT NULL DEFAULT 0,
    unfollows INTEGER NOT NULL DEFAULT 0,
    fanclub_joins INTEGER NOT NULL DEFAULT 0,
    unique_visitors INTEGER NOT NULL DEFAULT 0,
    chat_messages INTEGER NOT NULL DEFAULT 0,
    peak_viewers INTEGER,
    avg_viewers REAL,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
-- At most one broadcast is open at a time.
CREATE UNIQUE INDEX idx_broadcasts_open ON broadcasts ((ended_at IS NULL)) WHERE ended_at IS NULL;
CREATE INDEX idx_broadcasts_started ON broadcasts (started_at);

-- Every valid event of the own room as received. `id` is the Events API id, the idempotency key;
-- (ms, seq) is the same id parsed, so ordering and keyset pagination are numeric.
CREATE TABLE room_events (
    id TEXT PRIMARY KEY,
    ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    method TEXT NOT NULL,
    person_id INTEGER REFERENCES persons (id) ON DELETE SET NULL,
    tokens INTEGER NOT NULL DEFAULT 0 CHECK (tokens >= 0),
    is_anon INTEGER NOT NULL DEFAULT 0 CHECK (is_anon IN (0, 1)),
    message TEXT,
    broadcast_id INTEGER REFERENCES broadcasts (id) ON DELETE SET NULL,
    raw TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_room_events_order ON room_events (ms, seq);
CREATE INDEX idx_room_events_method ON room_events (method, ms, seq);
CREATE INDEX idx_room_events_person ON room_events (person_id, ms, seq);
-- Covering the summary query, so recomputing a broadcast reads only this index.
CREATE INDEX idx_room_events_broadcast ON room_events (broadcast_id, method, person_id, tokens);

-- The stream's single row: the cursor (the nextUrl to poll next, stored in the batch's own
-- transaction; it holds the token, so it is never shown unredacted) and the status pages show.
CREATE TABLE events_stream_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cursor TEXT,
    state TEXT NOT NULL DEFAULT 'not_configured'
        CHECK (state IN ('starting', 'connected', 'backing_off', 'stopped', 'not_configured')),
    detail TEXT,
    until TEXT,
    last_event_id TEXT,
    last_event_at TEXT,
    last_poll_at TEXT,
    updated_at TEXT NOT NULL
);

-- Stretches of the feed that could not be read: the cursor was lost or belonged to a replaced
-- token or username, so the stream restarted from the API's backlog.
CREATE TABLE events_gaps (
    id INTEGER PRIMARY KEY,
    detected_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    last_event_id TEXT,
    last_event_at TEXT
);
CREATE INDEX idx_events_gaps_detected ON events_gaps (detected_at);

-- Elements of an events array that failed validation, kept raw with the reason. The fingerprint
-- (SHA-256 of the raw JSON) keeps a replayed batch from quarantining the same element twice.
CREATE TABLE events_quarantine (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    event_id TEXT,
    method TEXT,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_events_quarantine_fingerprint ON events_quarantine (fingerprint);

-- Room events as they may leave the panel (exports, reports): an anonymous tip's sender is
-- "anonymous", and the raw JSON (which names the sender) is left out.
CREATE VIEW v_room_events_public AS
SELECT
    e.id,
    e.at,
    e.method,
    CASE WHEN e.is_anon THEN 'anonymous' ELSE p.username END AS username,
    e.tokens,
    e.is_anon,
    e.message,
    e.broadcast_id
FROM room_events e
LEFT JOIN persons p ON p.id = e.person_id;
