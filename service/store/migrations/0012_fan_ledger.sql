-- 0012: the fan ledger. Per person in the own room: spending by kind, biggest and first tip, broadcasts
-- attended, fan-club member since, and spending imported from the site's token history CSV; per
-- broadcast who attended and what they spent; per person and UTC day what they spent (the 7/30/90-day
-- windows and the weekly chart are sums of these few rows). Kept current by the Events batch (and the
-- token history import) in their own transactions; `mhc check` recomputes it and reports differences.

ALTER TABLE person_room_stats ADD COLUMN media_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE person_room_stats ADD COLUMN media_purchases INTEGER NOT NULL DEFAULT 0;
ALTER TABLE person_room_stats ADD COLUMN biggest_tip INTEGER NOT NULL DEFAULT 0;
ALTER TABLE person_room_stats ADD COLUMN first_tip_at TEXT;
ALTER TABLE person_room_stats ADD COLUMN broadcasts_attended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE person_room_stats ADD COLUMN fanclub_since TEXT;
ALTER TABLE person_room_stats ADD COLUMN imported_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE person_room_stats ADD COLUMN imported_tips INTEGER NOT NULL DEFAULT 0;
ALTER TABLE person_room_stats ADD COLUMN lifetime_tokens INTEGER
    GENERATED ALWAYS AS (tokens_tipped + media_tokens + imported_tokens) VIRTUAL;
CREATE INDEX idx_person_room_stats_lifetime ON person_room_stats (lifetime_tokens);

-- Who took part in each broadcast (any named event in it) and what they spent in it.
CREATE TABLE broadcast_attendance (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    first_at TEXT NOT NULL,
    tokens INTEGER NOT NULL DEFAULT 0 CHECK (tokens >= 0),
    PRIMARY KEY (broadcast_id, person_id)
) WITHOUT ROWID;
CREATE INDEX idx_broadcast_attendance_person ON broadcast_attendance (person_id, broadcast_id);

-- Spending per person and UTC day (room tips and media, and imported token history).
CREATE TABLE person_room_days (
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    tokens INTEGER NOT NULL CHECK (tokens > 0),
    PRIMARY KEY (person_id, day)
) WITHOUT ROWID;
CREATE INDEX idx_person_room_days_day ON person_room_days (day, person_id, tokens);

-- One import of the token history CSV, with what it found.
CREATE TABLE token_history_imports (
    id INTEGER PRIMARY KEY,
    filename TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    error TEXT,
    rows_read INTEGER NOT NULL DEFAULT 0,
    rows_added INTEGER NOT NULL DEFAULT 0,
    rows_known INTEGER NOT NULL DEFAULT 0,
    rows_matched INTEGER NOT NULL DEFAULT 0,
    rows_not_spending INTEGER NOT NULL DEFAULT 0
);

-- Spending rows of imported token history. A row is identified by what it says plus its occurrence
-- (the n-th identical row of its file), so re-importing a file or an overlapping one adds nothing
-- twice. A row matched to a stored room event (the Events API saw the same tip) is kept but counts
-- through the event, never twice.
CREATE TABLE token_history (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    tokens INTEGER NOT NULL CHECK (tokens > 0),
    kind TEXT NOT NULL CHECK (kind IN ('tip', 'private', 'spy', 'media', 'fanclub', 'other')),
    note TEXT NOT NULL,
    occurrence INTEGER NOT NULL CHECK (occurrence >= 1),
    import_id INTEGER NOT NULL REFERENCES token_history_imports (id),
    matched_event_id TEXT REFERENCES room_events (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX idx_token_history_row ON token_history (person_id, at, tokens, note, occurrence);
CREATE INDEX idx_token_history_matched ON token_history (matched_event_id) WHERE matched_event_id IS NOT NULL;

-- Fill the ledger of an existing database from its stored events (anonymous tips count for nobody).
UPDATE person_room_stats SET
    media_tokens = coalesce((SELECT sum(e.tokens) FROM room_events e WHERE e.person_id = person_room_stats.person_id
        AND e.method = 'mediaPurchase' AND NOT e.is_anon), 0),
    media_purchases = (SELECT count(*) FROM room_events e WHERE e.person_id = person_room_stats.person_id
        AND e.method = 'mediaPurchase' AND NOT e.is_anon),
    biggest_tip = coalesce((SELECT max(e.tokens) FROM room_events e WHERE e.person_id = person_room_stats.person_id
        AND e.method = 'tip' AND NOT e.is_anon), 0),
    first_tip_at = (SELECT min(e.at) FROM room_events e WHERE e.person_id = person_room_stats.person_id
        AND e.method = 'tip' AND NOT e.is_anon),
    fanclub_since = (SELECT min(e.at) FROM room_events e WHERE e.person_id = person_room_stats.person_id
        AND e.method = 'fanclubJoin' AND NOT e.is_anon);

INSERT INTO broadcast_attendance (broadcast_id, person_id, first_at, tokens)
SELECT e.broadcast_id, e.person_id, min(e.at),
       sum(CASE WHEN e.method IN ('tip', 'mediaPurchase') THEN e.tokens ELSE 0 END)
  FROM room_events e
 WHERE e.broadcast_id IS NOT NULL AND e.person_id IS NOT NULL AND NOT e.is_anon
   AND e.person_id IN (SELECT person_id FROM person_room_stats)
 GROUP BY e.broadcast_id, e.person_id;

UPDATE person_room_stats SET broadcasts_attended =
    (SELECT count(*) FROM broadcast_attendance a WHERE a.person_id = person_room_stats.person_id);

INSERT INTO person_room_days (person_id, day, tokens)
SELECT e.person_id, substr(e.at, 1, 10), sum(e.tokens)
  FROM room_events e
 WHERE e.method IN ('tip', 'mediaPurchase') AND e.person_id IS NOT NULL AND NOT e.is_anon AND e.tokens > 0
   AND e.person_id IN (SELECT person_id FROM person_room_stats)
 GROUP BY e.person_id, substr(e.at, 1, 10);
