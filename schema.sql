-- MHC Control Panel: the single, complete, current schema.
-- schema-version: 6
-- A fresh database runs this file and sets PRAGMA user_version to the version above; an existing
-- one runs the pending files in service/store/migrations/ instead. tests/test_schema.py proves
-- both paths give the same sqlite_master. Times are UTC text 'YYYY-MM-DDTHH:MM:SS.mmmZ'.

-- Platform users (models and viewers). Never mixed with the panel's own accounts below.
CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE CHECK (length(username) BETWEEN 1 AND 64),
    role TEXT NOT NULL DEFAULT 'unknown' CHECK (role IN ('model', 'viewer', 'unknown')),
    first_seen_at TEXT,
    last_seen_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_persons_username ON persons (username);
CREATE INDEX idx_persons_last_seen ON persons (last_seen_at);

-- Panel settings (data-source credentials and options); secrets are write-only in the UI.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT
);

-- One row per registered job: what the scheduler restores after a restart.
CREATE TABLE job_state (
    name TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    interval_seconds INTEGER NOT NULL CHECK (interval_seconds > 0),
    last_run_at TEXT,
    last_ok_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    next_run_at TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY,
    job_name TEXT NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'cli')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'error', 'skipped')),
    summary TEXT,
    error TEXT
);
CREATE INDEX idx_job_runs_job_started ON job_runs (job_name, started_at);

-- The panel's own accounts, roles and permissions.
CREATE TABLE system_users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE CHECK (length(username) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    last_login_at TEXT
);
CREATE UNIQUE INDEX idx_system_users_username ON system_users (username);

CREATE TABLE system_roles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE system_permissions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE system_role_permissions (
    role_id INTEGER NOT NULL REFERENCES system_roles (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES system_permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
) WITHOUT ROWID;

CREATE TABLE system_user_roles (
    user_id INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES system_roles (id) ON DELETE RESTRICT,
    PRIMARY KEY (user_id, role_id)
) WITHOUT ROWID;
CREATE INDEX idx_system_user_roles_role ON system_user_roles (role_id);

-- Panel login sessions. Only a SHA-256 of the cookie value is stored.
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    flash TEXT
);
CREATE INDEX idx_web_sessions_user ON web_sessions (user_id);
CREATE INDEX idx_web_sessions_expires ON web_sessions (expires_at);

-- One-time links that let the owner create the first admin account.
CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

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

-- >>> 0003
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
-- <<< 0003

-- >>> 0004

-- <<< 0004

-- >>> 0005

-- <<< 0005

-- >>> 0006

-- <<< 0006
