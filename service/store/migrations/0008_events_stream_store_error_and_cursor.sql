-- 0008: the Events stream's state can be 'store_error' (a batch could not be stored: the database
-- was locked, the disk full…; the stream retries from the stored cursor), and the stored cursor no
-- longer holds the Events token. The token's path segment becomes the placeholder '{token}' (the
-- stream puts the current token back when it resumes), and `cursor_token_fingerprint` (a short
-- SHA-256 of the token the cursor was read with) tells whether the token was replaced since; it is
-- NULL for a converted cursor, which the configured token then adopts, so no position is lost.

CREATE TEMP TABLE events_stream_state_0008 AS SELECT * FROM events_stream_state;
DROP TABLE events_stream_state;
CREATE TABLE events_stream_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cursor TEXT CHECK (cursor IS NULL OR instr(cursor, '/{token}/') > 0),
    cursor_token_fingerprint TEXT,
    state TEXT NOT NULL DEFAULT 'not_configured'
        CHECK (state IN ('starting', 'connected', 'backing_off', 'store_error', 'stopped', 'not_configured')),
    detail TEXT,
    until TEXT,
    last_event_id TEXT,
    last_event_at TEXT,
    last_poll_at TEXT,
    updated_at TEXT NOT NULL
);
-- The token is the last path segment before the query: rtrim(p, replace(p, '/', '')) cuts every
-- trailing character that is not a '/', which leaves the path up to and including that segment's '/'.
INSERT INTO events_stream_state (id, cursor, cursor_token_fingerprint, state, detail, until,
                                 last_event_id, last_event_at, last_poll_at, updated_at)
SELECT id,
       CASE WHEN cursor IS NULL OR cursor = '' THEN NULL
            ELSE rtrim(trimmed, replace(trimmed, '/', '')) || '{token}/' || query END,
       NULL, state, detail, until, last_event_id, last_event_at, last_poll_at, updated_at
FROM (
    SELECT *, rtrim(path, '/') AS trimmed
    FROM (
        SELECT *,
               CASE WHEN instr(cursor, '?') > 0 THEN substr(cursor, 1, instr(cursor, '?') - 1)
                    ELSE cursor END AS path,
               CASE WHEN instr(cursor, '?') > 0 THEN substr(cursor, instr(cursor, '?')) ELSE '' END AS query
        FROM events_stream_state_0008
    )
);
DROP TABLE events_stream_state_0008;
