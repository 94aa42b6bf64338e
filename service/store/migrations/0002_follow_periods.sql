-- 0002: follow relationships as periods, and the per-person follow dates view.

-- Follow relationships, both directions, as periods: a re-follow opens a new period and history
-- keeps them all. 'following' = the broadcaster follows the person; 'follower' = the person follows
-- the broadcaster. Each end records its source and the event or snapshot behind it.
CREATE TABLE follow_periods (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('following', 'follower')),
    started_at TEXT NOT NULL,
    start_source TEXT NOT NULL
        CHECK (start_source IN ('events', 'list_snapshot', 'profile_scrape', 'manual')),
    start_ref TEXT,
    ended_at TEXT,
    end_source TEXT
        CHECK (end_source IN ('events', 'list_snapshot', 'profile_scrape', 'manual')),
    end_ref TEXT,
    CHECK ((ended_at IS NULL) = (end_source IS NULL))
);
CREATE UNIQUE INDEX idx_follow_periods_open ON follow_periods (person_id, direction)
    WHERE ended_at IS NULL;
CREATE INDEX idx_follow_periods_person ON follow_periods (person_id, direction, started_at);
CREATE INDEX idx_follow_periods_ended ON follow_periods (direction, ended_at);

-- The four dates per person the panel shows: since when each direction holds, and when it last
-- ended (NULL while it holds or never ended).
CREATE VIEW v_person_follow_state AS
SELECT
    p.id AS person_id,
    p.username,
    (SELECT f.started_at FROM follow_periods f
      WHERE f.person_id = p.id AND f.direction = 'following' AND f.ended_at IS NULL) AS following_since,
    (SELECT f.started_at FROM follow_periods f
      WHERE f.person_id = p.id AND f.direction = 'follower' AND f.ended_at IS NULL) AS follower_since,
    (SELECT max(f.ended_at) FROM follow_periods f
      WHERE f.person_id = p.id AND f.direction = 'following'
        AND NOT EXISTS (SELECT 1 FROM follow_periods o WHERE o.person_id = p.id
                        AND o.direction = 'following' AND o.ended_at IS NULL)) AS unfollowed_at,
    (SELECT max(f.ended_at) FROM follow_periods f
      WHERE f.person_id = p.id AND f.direction = 'follower'
        AND NOT EXISTS (SELECT 1 FROM follow_periods o WHERE o.person_id = p.id
                        AND o.direction = 'follower' AND o.ended_at IS NULL)) AS unfollower_at
FROM persons p;
