-- MHC Control Panel: the single, complete, current schema.
-- schema-version: 28
-- A fresh database runs this file and sets PRAGMA user_version to the version above; an existing
-- one runs the pending files in service/store/migrations/ instead. A change adds the next
-- migration file and edits this file in the same commit; tests/test_schema.py proves both paths
-- give the same sqlite_master. Times are UTC text 'YYYY-MM-DDTHH:MM:SS.mmmZ'.

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
    updated_at TEXT NOT NULL,
    last_status TEXT CHECK (last_status IN ('ok', 'partial', 'error', 'skipped'))
);

CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY,
    job_name TEXT NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'cli')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'error', 'skipped')),
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

-- Personal API keys: a script reads the panel's JSON with its owner's permissions. Only the
-- SHA-256 of a key is stored (the key is shown once, when it is made); a revoked key is kept,
-- marked, so the account page can say when it stopped working.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE UNIQUE INDEX idx_api_keys_token ON api_keys (token_hash);
CREATE INDEX idx_api_keys_user ON api_keys (user_id);

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
-- Each person's latest end per direction, for v_person_follow_state (without it the view's max()
-- walks every period of a direction per person).
CREATE INDEX idx_follow_periods_person_ended ON follow_periods (person_id, direction, ended_at);
-- Room › Insights (0021): follower cohorts by start day, from the index alone.
CREATE INDEX idx_follow_periods_started ON follow_periods (direction, started_at, ended_at);

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

-- The Following and Followers pages, newest first: open periods by start, then id (the rowid ends every
-- index entry), so a page after any row is one seek, even among thousands that began together.
CREATE INDEX idx_follow_periods_open_started ON follow_periods (direction, started_at) WHERE ended_at IS NULL;

-- Open follows per direction and role (0025), kept by the triggers below: the follow lists' totals.
CREATE TABLE follow_counts (
    direction TEXT NOT NULL,
    role TEXT NOT NULL,
    open INTEGER NOT NULL,
    PRIMARY KEY (direction, role)
) WITHOUT ROWID;

CREATE TRIGGER follow_counts_insert AFTER INSERT ON follow_periods WHEN NEW.ended_at IS NULL
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT NEW.direction, role, 1 FROM persons WHERE id = NEW.person_id
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;

-- An end (or a revert that reopens a period), and any change of its person or direction.
CREATE TRIGGER follow_counts_update AFTER UPDATE OF ended_at, person_id, direction ON follow_periods
WHEN OLD.ended_at IS NULL OR NEW.ended_at IS NULL
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT OLD.direction, role, -1 FROM persons WHERE id = OLD.person_id AND OLD.ended_at IS NULL
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
    INSERT INTO follow_counts (direction, role, open)
    SELECT NEW.direction, role, 1 FROM persons WHERE id = NEW.person_id AND NEW.ended_at IS NULL
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;

-- A deleted period; one deleted with its person was already taken out by follow_counts_person_delete
-- (the person row is gone by then, so the lookup below finds nothing).
CREATE TRIGGER follow_counts_delete AFTER DELETE ON follow_periods WHEN OLD.ended_at IS NULL
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT OLD.direction, role, -1 FROM persons WHERE id = OLD.person_id
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;

CREATE TRIGGER follow_counts_person_delete BEFORE DELETE ON persons
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT direction, OLD.role, -count(*) FROM follow_periods
    WHERE person_id = OLD.id AND ended_at IS NULL GROUP BY direction
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;

-- A person's role becomes known (or changes): their open follows move to the new role's count.
CREATE TRIGGER follow_counts_role AFTER UPDATE OF role ON persons WHEN OLD.role IS NOT NEW.role
BEGIN
    INSERT INTO follow_counts (direction, role, open)
    SELECT direction, OLD.role, -count(*) FROM follow_periods
    WHERE person_id = NEW.id AND ended_at IS NULL GROUP BY direction
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
    INSERT INTO follow_counts (direction, role, open)
    SELECT direction, NEW.role, count(*) FROM follow_periods
    WHERE person_id = NEW.id AND ended_at IS NULL GROUP BY direction
    ON CONFLICT (direction, role) DO UPDATE SET open = open + excluded.open;
END;

-- Per-person figures about the broadcaster's own room, kept current by the events stream so the
-- Directory and Profile can show them without scanning events.
-- The columns after last_tip_tokens are the fan ledger (migration 0012 added them, so their text is
-- as ALTER TABLE left it): spending by kind, imported token history, broadcasts attended, fan club.
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
, media_tokens INTEGER NOT NULL DEFAULT 0, media_purchases INTEGER NOT NULL DEFAULT 0, biggest_tip INTEGER NOT NULL DEFAULT 0, first_tip_at TEXT, broadcasts_attended INTEGER NOT NULL DEFAULT 0, fanclub_since TEXT, imported_tokens INTEGER NOT NULL DEFAULT 0, imported_tips INTEGER NOT NULL DEFAULT 0, lifetime_tokens INTEGER
    GENERATED ALWAYS AS (tokens_tipped + media_tokens + imported_tokens) VIRTUAL);
CREATE INDEX idx_person_room_stats_lifetime ON person_room_stats (lifetime_tokens);
-- The Fans smart lists New and Lapsed (migration 0015).
CREATE INDEX idx_person_room_stats_first_seen ON person_room_stats (first_seen_at);
CREATE INDEX idx_person_room_stats_first_tip ON person_room_stats (first_tip_at);
CREATE INDEX idx_person_room_stats_last_tip ON person_room_stats (last_tip_at);

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
-- Room › Insights (0021): tokens and follows per clock hour of the broadcasts, from this index alone.
CREATE INDEX idx_room_events_insights ON room_events (ms / 3600000, method, ms, tokens, broadcast_id)
    WHERE broadcast_id IS NOT NULL AND method IN ('tip', 'mediaPurchase', 'follow');

-- The stream's single row: the cursor (the nextUrl to poll next, stored in the batch's own
-- transaction) and the status pages show. The cursor never holds the Events token: its token path
-- segment is the placeholder '{token}', and `cursor_token_fingerprint` (a short SHA-256 of the token
-- it was read with; NULL: adopt the configured one) tells whether the token was replaced since.
-- 'store_error': a batch could not be stored (database locked, disk full…); the stream retries.
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

-- What the Affiliate feed says about a room's owner (name, gender, age, birthday, place, languages,
-- image), stored once while it stays the same: a person's sessions share one row until a value
-- changes (0027; the database grows by a session's own figures only).
CREATE TABLE affiliate_profiles (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL DEFAULT '',
    gender TEXT NOT NULL,
    age INTEGER,
    birthday TEXT,
    location TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    spoken_languages TEXT NOT NULL DEFAULT '[]',
    image_url TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_affiliate_profiles_person ON affiliate_profiles (person_id);

-- One row per person per broadcast session seen in the Affiliate feed. session_start_s (epoch
-- seconds, now - seconds_online at first sight) identifies the session; later polls match it
-- within a tolerance because that difference drifts by a few seconds each poll. session_start is
-- NULL when it is session_start_s as text (always, for sessions the sweep stores).
CREATE TABLE affiliate_sessions (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    profile_id INTEGER NOT NULL REFERENCES affiliate_profiles (id) ON DELETE CASCADE,
    session_start_s INTEGER NOT NULL,
    session_start TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    polls INTEGER NOT NULL DEFAULT 1 CHECK (polls >= 1),
    seconds_online INTEGER NOT NULL,
    current_show TEXT NOT NULL,
    room_subject TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    is_new INTEGER NOT NULL DEFAULT 0 CHECK (is_new IN (0, 1)),
    is_hd INTEGER NOT NULL DEFAULT 0 CHECK (is_hd IN (0, 1)),
    viewers INTEGER NOT NULL,
    peak_viewers INTEGER NOT NULL,
    followers_start INTEGER NOT NULL,
    followers_latest INTEGER NOT NULL
);
CREATE UNIQUE INDEX idx_affiliate_sessions_session ON affiliate_sessions (person_id, session_start_s);
CREATE INDEX idx_affiliate_sessions_person_seen ON affiliate_sessions (person_id, last_seen_at);

-- A session with its profile, in the columns the sessions table had before 0027: what the pages,
-- the source-priority view and `mhc export` (affiliate_sessions) read.
CREATE VIEW affiliate_api_snapshots AS
SELECT
    s.id, s.person_id,
    coalesce(s.session_start, strftime('%Y-%m-%dT%H:%M:%S.000Z', s.session_start_s, 'unixepoch')) AS session_start,
    s.session_start_s, s.first_seen_at, s.last_seen_at, s.polls, s.seconds_online,
    f.display_name, f.gender, f.age, f.birthday, f.location, f.country, f.spoken_languages,
    s.current_show, s.room_subject, s.tags, s.is_new, s.is_hd, s.viewers, s.peak_viewers,
    s.followers_start, s.followers_latest, f.image_url
FROM affiliate_sessions s
JOIN affiliate_profiles f ON f.id = s.profile_id;

-- One row per completed affiliate sweep: what the lookup queue waits for, and the Sources page shows.
CREATE TABLE affiliate_sweeps (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    reported_count INTEGER NOT NULL,
    rooms INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    invalid INTEGER NOT NULL,
    filters TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_affiliate_sweeps_finished ON affiliate_sweeps (finished_at);

-- Follower counts over time for tracked persons (priority 2, followed, followers, the broadcaster).
-- The key orders a person's counts by time (0027): the newest of any source is one seek, a source's
-- series a range of the person's rows, and no second index by time is kept.
CREATE TABLE follower_history (
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    observed_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('affiliate', 'cbhours', 'stats', 'scrape')),
    followers INTEGER NOT NULL,
    PRIMARY KEY (person_id, observed_at, source)
) WITHOUT ROWID;

-- Every distinct Stats API snapshot of the broadcaster; a repeat of the latest one only moves
-- last_fetched_at (the upstream refreshes every 5 minutes).
CREATE TABLE stats_snapshots (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    last_fetched_at TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    token_balance INTEGER NOT NULL,
    tips_in_last_hour INTEGER NOT NULL,
    votes_up INTEGER NOT NULL,
    votes_down INTEGER NOT NULL,
    satisfaction_score REAL NOT NULL,
    last_broadcast TEXT,
    time_online INTEGER,
    num_followers INTEGER NOT NULL,
    num_viewers INTEGER NOT NULL,
    num_registered_viewers INTEGER NOT NULL,
    num_tokened_viewers INTEGER
);
CREATE INDEX idx_stats_snapshots_fetched ON stats_snapshots (fetched_at);
CREATE INDEX idx_stats_snapshots_user ON stats_snapshots (username, last_fetched_at);

-- CBHours get_live answers for tracked persons, one row per person per check.
CREATE TABLE cbhours_live_stats (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    checked_at TEXT NOT NULL,
    online INTEGER NOT NULL CHECK (online IN (0, 1)),
    gender TEXT,
    rank INTEGER,
    grank INTEGER,
    viewers INTEGER,
    followers INTEGER,
    current_show TEXT,
    room_subject TEXT,
    tags TEXT,
    is_new INTEGER CHECK (is_new IN (0, 1))
);
CREATE INDEX idx_cbhours_live_person_time ON cbhours_live_stats (person_id, checked_at);
CREATE INDEX idx_cbhours_live_checked ON cbhours_live_stats (checked_at);

-- CBHours get_activity 3-minute segments (UTC, requested with tzo=0), unique per person and time.
CREATE TABLE cbhours_activity (
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    segment_at TEXT NOT NULL,
    show TEXT NOT NULL,
    rank INTEGER,
    grank INTEGER,
    followers INTEGER,
    viewers INTEGER,
    gender TEXT,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (person_id, segment_at)
) WITHOUT ROWID;

-- Statbate member info (tippers), one row per fetch; raw is the item as received.
CREATE TABLE statbate_member_info (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    fetched_at TEXT NOT NULL,
    did INTEGER,
    first_message_date TEXT,
    first_tip_date TEXT,
    last_tip_date TEXT,
    last_tip_amount INTEGER,
    models_messaged_2weeks INTEGER,
    models_tipped_2weeks INTEGER,
    all_time_tokens INTEGER,
    raw TEXT NOT NULL
);
CREATE INDEX idx_statbate_member_info_person ON statbate_member_info (person_id, fetched_at);

-- Statbate model info, one row per fetch; gender is the endpoint's raw integer.
CREATE TABLE statbate_model_info (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    fetched_at TEXT NOT NULL,
    rid INTEGER,
    gender INTEGER,
    rank INTEGER,
    sessions_count INTEGER,
    sessions_total_duration INTEGER,
    sessions_average_duration INTEGER,
    income_tokens INTEGER,
    income_usd REAL,
    tags TEXT NOT NULL DEFAULT '[]',
    raw TEXT NOT NULL
);
CREATE INDEX idx_statbate_model_info_person ON statbate_model_info (person_id, fetched_at);

-- Tips by a member (fetched on demand); Statbate has no tip id, so the tip's own fields are the key.
CREATE TABLE statbate_member_tips (
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    tipped_at TEXT NOT NULL,
    model TEXT NOT NULL,
    rid INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    usd REAL NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (person_id, tipped_at, model, tokens)
) WITHOUT ROWID;

-- Per-person answers a source gave that decide whether and when to ask it again.
CREATE TABLE person_source_flags (
    person_id INTEGER PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    cbhours_untracked_until TEXT,
    cbhours_untracked_reason TEXT,
    cbhours_activity_through TEXT,
    statbate_member_status TEXT CHECK (statbate_member_status IN ('found', 'not_found')),
    statbate_member_checked_at TEXT,
    statbate_model_status TEXT CHECK (statbate_model_status IN ('found', 'not_found')),
    statbate_model_checked_at TEXT,
    statbate_tips_requested_at TEXT,
    image_checked_at TEXT,
    updated_at TEXT NOT NULL
);

-- The lookup queue: priority 1 = look up once (pending -> done | not_found with a reason),
-- priority 2 = track continuously (status 'tracking'). One row per person.
CREATE TABLE lookup_queue (
    person_id INTEGER PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    priority INTEGER NOT NULL CHECK (priority IN (1, 2)),
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'not_found', 'tracking')),
    note TEXT NOT NULL DEFAULT '',
    queued_by TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    found_in TEXT NOT NULL DEFAULT '',
    reason TEXT,
    finished_at TEXT,
    CHECK ((priority = 2) = (status = 'tracking'))
);
CREATE INDEX idx_lookup_queue_status ON lookup_queue (status, priority, queued_at);

-- Content-addressed image store: one file <data_dir>/images/<sha256[:2]>/<sha256>.<ext> per
-- distinct image, whatever URL served it.
CREATE TABLE images (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    content_type TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    path TEXT NOT NULL,
    first_seen_at TEXT NOT NULL
) WITHOUT ROWID;

-- Which image a person showed, when: history per person (first and last time each was fetched).
CREATE TABLE person_images (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL REFERENCES images (sha256),
    url TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_person_images_person_sha ON person_images (person_id, sha256);
CREATE INDEX idx_person_images_person_seen ON person_images (person_id, last_seen_at);

-- The current value of every field per person, chosen by the DESIGN.md source priority rules:
-- profile fields Affiliate -> CBHours -> scraped profile -> last known; live status Affiliate
-- (seen <= 10 min ago) -> CBHours (checked <= 30 min ago) -> history; followers CBHours ->
-- Affiliate -> Stats API -> scraped profile -> history; tags Affiliate -> CBHours -> history;
-- rank CBHours only. "A source" is its latest record; a field that record lacks falls to the
-- next source; "history" is the newest older record that has it. Only scrapes whose page showed
-- the room its URL names count (profile_scrapes.identity_ok). Affiliate rows are read from
-- affiliate_sessions and affiliate_profiles themselves (0027): the joined view on the right of a
-- LEFT JOIN would be materialised whole.
CREATE VIEW v_person_current_state AS
SELECT
    j.person_id,
    j.username,
    j.role,
    coalesce(j.a_name, j.sc_name, j.h_name) AS display_name,
    CASE WHEN j.a_name IS NOT NULL THEN 'affiliate' WHEN j.sc_name IS NOT NULL THEN 'scrape'
         WHEN j.h_name IS NOT NULL THEN 'history' END AS display_name_source,
    CASE WHEN j.a_name IS NOT NULL THEN j.a_seen WHEN j.sc_name IS NOT NULL THEN j.sc_at
         ELSE j.h_name_at END AS display_name_at,
    coalesce(j.a_age, j.sc_age, j.h_age) AS age,
    CASE WHEN j.a_age IS NOT NULL THEN 'affiliate' WHEN j.sc_age IS NOT NULL THEN 'scrape'
         WHEN j.h_age IS NOT NULL THEN 'history' END AS age_source,
    CASE WHEN j.a_age IS NOT NULL THEN j.a_seen WHEN j.sc_age IS NOT NULL THEN j.sc_at
         ELSE j.h_age_at END AS age_at,
    coalesce(j.a_gender, j.c_gender, j.h_gender) AS gender,
    CASE WHEN j.a_gender IS NOT NULL THEN 'affiliate' WHEN j.c_gender IS NOT NULL THEN 'cbhours'
         WHEN j.h_gender IS NOT NULL THEN 'history' END AS gender_source,
    CASE WHEN j.a_gender IS NOT NULL THEN j.a_seen WHEN j.c_gender IS NOT NULL THEN j.c_at
         ELSE j.h_gender_at END AS gender_at,
    CASE WHEN j.a_fresh THEN 1 WHEN j.c_fresh THEN j.c_online
         WHEN j.a_seen IS NOT NULL OR j.c_at IS NOT NULL THEN 0 END AS is_live,
    CASE WHEN j.a_fresh THEN 'affiliate' WHEN j.c_fresh THEN 'cbhours'
         WHEN j.a_seen IS NOT NULL OR j.c_at IS NOT NULL THEN 'history' END AS live_source,
    CASE WHEN j.a_fresh THEN j.a_seen WHEN j.c_fresh THEN j.c_at
         ELSE nullif(max(coalesce(j.a_seen, ''), coalesce(j.c_at, '')), '') END AS live_at,
    CASE WHEN j.a_fresh THEN j.a_show WHEN j.c_fresh AND j.c_online = 1 THEN j.c_show END
        AS current_show,
    coalesce(j.c_followers, j.a_followers, j.s_followers, j.sc_followers, j.h_followers) AS followers,
    CASE WHEN j.c_followers IS NOT NULL THEN 'cbhours' WHEN j.a_followers IS NOT NULL THEN 'affiliate'
         WHEN j.s_followers IS NOT NULL THEN 'stats' WHEN j.sc_followers IS NOT NULL THEN 'scrape'
         WHEN j.h_followers IS NOT NULL THEN 'history' END AS followers_source,
    CASE WHEN j.c_followers IS NOT NULL THEN j.c_at WHEN j.a_followers IS NOT NULL THEN j.a_seen
         WHEN j.s_followers IS NOT NULL THEN j.s_at WHEN j.sc_followers IS NOT NULL THEN j.sc_at
         ELSE j.h_followers_at END AS followers_at,
    CASE WHEN j.ca_rank_at > coalesce(j.cl_rank_at, '') THEN j.ca_rank ELSE j.cl_rank END AS rank,
    CASE WHEN coalesce(j.cl_rank, j.ca_rank) IS NOT NULL THEN 'cbhours' END AS rank_source,
    nullif(max(coalesce(j.cl_rank_at, ''), coalesce(j.ca_rank_at, '')), '') AS rank_at,
    coalesce(j.a_tags, j.c_tags, j.h_tags) AS tags,
    CASE WHEN j.a_tags IS NOT NULL THEN 'affiliate' WHEN j.c_tags IS NOT NULL THEN 'cbhours'
         WHEN j.h_tags IS NOT NULL THEN 'history' END AS tags_source,
    CASE WHEN j.a_tags IS NOT NULL THEN j.a_seen WHEN j.c_tags IS NOT NULL THEN j.c_at
         ELSE j.h_tags_at END AS tags_at,
    j.image_sha256,
    j.image_url,
    j.last_seen_at,
    j.priority,
    j.lookup_status,
    j.snapshot_count,
    j.events_count
FROM (
    SELECT
        p.id AS person_id,
        p.username,
        p.role,
        p.last_seen_at,
        a.last_seen_at AS a_seen,
        a.last_seen_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-10 minutes') AS a_fresh,
        nullif(af.display_name, '') AS a_name,
        af.age AS a_age,
        nullif(af.gender, '') AS a_gender,
        a.current_show AS a_show,
        a.followers_latest AS a_followers,
        nullif(a.tags, '[]') AS a_tags,
        c.checked_at AS c_at,
        c.checked_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 minutes') AS c_fresh,
        c.online AS c_online,
        c.gender AS c_gender,
        c.current_show AS c_show,
        c.followers AS c_followers,
        nullif(c.tags, '[]') AS c_tags,
        hnf.display_name AS h_name,
        hn.last_seen_at AS h_name_at,
        haf.age AS h_age,
        ha.last_seen_at AS h_age_at,
        hgf.gender AS h_gender,
        hg.last_seen_at AS h_gender_at,
        ht.tags AS h_tags,
        ht.last_seen_at AS h_tags_at,
        st.num_followers AS s_followers,
        nullif(trim(json_extract(sc.bio, '$."real-name"')), '') AS sc_name,
        CASE WHEN json_extract(sc.bio, '$.age') GLOB '[0-9]*'
              AND NOT json_extract(sc.bio, '$.age') GLOB '*[^0-9]*'
             THEN CAST(json_extract(sc.bio, '$.age') AS INTEGER) END AS sc_age,
        CASE WHEN replace(json_extract(sc.bio, '$.followers'), ',', '') GLOB '[0-9]*'
              AND NOT replace(json_extract(sc.bio, '$.followers'), ',', '') GLOB '*[^0-9]*'
             THEN CAST(replace(json_extract(sc.bio, '$.followers'), ',', '') AS INTEGER) END AS sc_followers,
        sc.scraped_at AS sc_at,
        st.last_fetched_at AS s_at,
        (SELECT x.followers FROM follower_history x WHERE x.person_id = p.id
          ORDER BY x.observed_at DESC LIMIT 1) AS h_followers,
        (SELECT max(x.observed_at) FROM follower_history x WHERE x.person_id = p.id) AS h_followers_at,
        cl.rank AS cl_rank,
        cl.checked_at AS cl_rank_at,
        (SELECT x.rank FROM cbhours_activity x WHERE x.person_id = p.id AND x.rank IS NOT NULL
          ORDER BY x.segment_at DESC LIMIT 1) AS ca_rank,
        (SELECT x.segment_at FROM cbhours_activity x WHERE x.person_id = p.id AND x.rank IS NOT NULL
          ORDER BY x.segment_at DESC LIMIT 1) AS ca_rank_at,
        (SELECT i.sha256 FROM person_images i WHERE i.person_id = p.id
          ORDER BY i.last_seen_at DESC, i.id DESC LIMIT 1) AS image_sha256,
        coalesce(nullif(af.image_url, ''), (SELECT i.url FROM person_images i WHERE i.person_id = p.id
          ORDER BY i.last_seen_at DESC, i.id DESC LIMIT 1)) AS image_url,
        q.priority,
        q.status AS lookup_status,
        (SELECT count(*) FROM affiliate_sessions n WHERE n.person_id = p.id) AS snapshot_count,
        coalesce((SELECT r.events FROM person_room_stats r WHERE r.person_id = p.id), 0) AS events_count
    FROM persons p
    LEFT JOIN affiliate_sessions a ON a.id = (
        SELECT x.id FROM affiliate_sessions x WHERE x.person_id = p.id
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN affiliate_profiles af ON af.id = a.profile_id
    LEFT JOIN cbhours_live_stats c ON c.id = (
        SELECT x.id FROM cbhours_live_stats x WHERE x.person_id = p.id
         ORDER BY x.checked_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN affiliate_sessions hn ON hn.id = (
        SELECT x.id FROM affiliate_sessions x JOIN affiliate_profiles f ON f.id = x.profile_id
         WHERE x.person_id = p.id AND f.display_name <> ''
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN affiliate_profiles hnf ON hnf.id = hn.profile_id
    LEFT JOIN affiliate_sessions ha ON ha.id = (
        SELECT x.id FROM affiliate_sessions x JOIN affiliate_profiles f ON f.id = x.profile_id
         WHERE x.person_id = p.id AND f.age IS NOT NULL
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN affiliate_profiles haf ON haf.id = ha.profile_id
    LEFT JOIN affiliate_sessions hg ON hg.id = (
        SELECT x.id FROM affiliate_sessions x JOIN affiliate_profiles f ON f.id = x.profile_id
         WHERE x.person_id = p.id AND f.gender <> ''
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN affiliate_profiles hgf ON hgf.id = hg.profile_id
    LEFT JOIN affiliate_sessions ht ON ht.id = (
        SELECT x.id FROM affiliate_sessions x WHERE x.person_id = p.id AND x.tags <> '[]'
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN stats_snapshots st ON st.id = (
        SELECT x.id FROM stats_snapshots x WHERE x.username = p.username
         ORDER BY x.last_fetched_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN cbhours_live_stats cl ON cl.id = (
        SELECT x.id FROM cbhours_live_stats x WHERE x.person_id = p.id AND x.rank IS NOT NULL
         ORDER BY x.checked_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN profile_scrapes sc ON sc.id = (
        SELECT x.id FROM profile_scrapes x WHERE x.person_id = p.id AND x.identity_ok = 1
         ORDER BY x.scraped_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN lookup_queue q ON q.person_id = p.id
) j;

-- v_person_current_state materialised, one row per person: the Directory sorts and filters
-- 100,000 persons, which the view's correlated lookups cannot do fast. Jobs refresh the rows of
-- the persons they touched from the view, in the same transaction (service/store/person_state.py).
CREATE TABLE person_state (
    person_id INTEGER PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    username TEXT NOT NULL COLLATE NOCASE,
    role TEXT NOT NULL,
    display_name TEXT,
    display_name_source TEXT,
    display_name_at TEXT,
    age INTEGER,
    age_source TEXT,
    age_at TEXT,
    gender TEXT,
    gender_source TEXT,
    gender_at TEXT,
    is_live INTEGER CHECK (is_live IN (0, 1)),
    live_source TEXT,
    live_at TEXT,
    current_show TEXT,
    followers INTEGER,
    followers_source TEXT,
    followers_at TEXT,
    rank INTEGER,
    rank_source TEXT,
    rank_at TEXT,
    tags TEXT,
    tags_source TEXT,
    tags_at TEXT,
    image_sha256 TEXT,
    image_url TEXT,
    last_seen_at TEXT,
    priority INTEGER CHECK (priority IN (1, 2)),
    lookup_status TEXT CHECK (lookup_status IN ('pending', 'done', 'not_found', 'tracking')),
    snapshot_count INTEGER NOT NULL DEFAULT 0,
    events_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_person_state_username ON person_state (username);
CREATE INDEX idx_person_state_role ON person_state (role, username);
CREATE INDEX idx_person_state_age ON person_state (age);
CREATE INDEX idx_person_state_followers ON person_state (followers);
CREATE INDEX idx_person_state_rank ON person_state (rank);
CREATE INDEX idx_person_state_last_seen ON person_state (last_seen_at);
CREATE INDEX idx_person_state_snapshots ON person_state (snapshot_count);
CREATE INDEX idx_person_state_events ON person_state (events_count);
CREATE INDEX idx_person_state_priority ON person_state (priority);

-- Current tags per person (person_state.tags unpacked) for the Directory's tag filter, with the
-- person's role (person_state.role, kept with it by person_state.refresh; 0024) so that a tag's
-- persons count, and are found, by role from this table alone.
CREATE TABLE person_tags (
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (person_id, tag)
) WITHOUT ROWID;
CREATE INDEX idx_person_tags_tag ON person_tags (tag, role, person_id);

-- Paired extensions. Only a SHA-256 of the bearer token is stored; revoking keeps the row so the
-- panel can still say which browser sent which snapshot.
CREATE TABLE ext_clients (
    id INTEGER PRIMARY KEY,
    extension_id TEXT NOT NULL CHECK (length(extension_id) BETWEEN 1 AND 128),
    token_hash TEXT NOT NULL,
    paired_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE UNIQUE INDEX idx_ext_clients_token ON ext_clients (token_hash);

-- One-time pairing codes (hashed) shown in Admin › Extension or printed by `mhc pair`.
CREATE TABLE ext_pairing_codes (
    code_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_by TEXT,
    used_at TEXT,
    used_by_client INTEGER REFERENCES ext_clients (id) ON DELETE SET NULL
);

-- Work queued for the extension by the panel, the CLI or a schedule; the extension reports the
-- outcome. At most one open task per list or per profile, so pressing a button twice queues once.
CREATE TABLE scrape_tasks (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('following', 'followers', 'profile')),
    username TEXT CHECK ((kind = 'profile') = (username IS NOT NULL)),
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    reason TEXT,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    client_id INTEGER REFERENCES ext_clients (id) ON DELETE SET NULL,
    result_ref TEXT
);
CREATE UNIQUE INDEX idx_scrape_tasks_open ON scrape_tasks (kind, coalesce(username, ''))
    WHERE state IN ('queued', 'running');
CREATE INDEX idx_scrape_tasks_created ON scrape_tasks (created_at);

-- List snapshots exactly as received. `complete` is the service's own verdict (the extension's
-- claim is kept beside it); `status` says what reconciliation did with the snapshot.
CREATE TABLE list_snapshots (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    client_id INTEGER REFERENCES ext_clients (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('following', 'followers')),
    account TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    expected_total INTEGER,
    claimed_complete INTEGER NOT NULL CHECK (claimed_complete IN (0, 1)),
    complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
    abort_reason TEXT,
    names INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'held', 'reverted')),
    added INTEGER NOT NULL DEFAULT 0,
    suspected INTEGER NOT NULL DEFAULT 0,
    confirmed INTEGER NOT NULL DEFAULT 0,
    held INTEGER NOT NULL DEFAULT 0,
    reverted_at TEXT,
    reverted_by TEXT,
    CHECK (complete = 0 OR abort_reason IS NULL)
);
CREATE UNIQUE INDEX idx_list_snapshots_key ON list_snapshots (idempotency_key);
CREATE INDEX idx_list_snapshots_kind ON list_snapshots (kind, received_at);

CREATE TABLE list_snapshot_pages (
    snapshot_id INTEGER NOT NULL REFERENCES list_snapshots (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('online', 'offline', 'followers')),
    page INTEGER NOT NULL CHECK (page >= 1),
    url TEXT,
    final_url TEXT,
    usernames TEXT NOT NULL,  -- JSON array, in page order
    PRIMARY KEY (snapshot_id, seq)
) WITHOUT ROWID;

-- A list snapshot sent in parts: each part's pages wait here until the extension finishes the
-- upload, which moves them into list_snapshot_pages and reconciles the snapshot (it counts only
-- then). snapshot_id is set when finished: a repeated finish answers it, a late part is refused.
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

-- Removals on their way to becoming unfollows. 'held' waits for a person in the panel (the snapshot
-- dropped too many names at once); 'suspected' waits for a second complete snapshot, an Events
-- unfollow or a profile scrape; 'confirmed' closed the period; 'dismissed' did not.
CREATE TABLE follow_removals (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('following', 'follower')),
    period_id INTEGER NOT NULL REFERENCES follow_periods (id) ON DELETE CASCADE,
    snapshot_id INTEGER NOT NULL REFERENCES list_snapshots (id) ON DELETE CASCADE,
    missing_since TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('held', 'suspected', 'confirmed', 'dismissed')),
    resolved_at TEXT,
    resolved_source TEXT,
    resolved_ref TEXT
);
CREATE UNIQUE INDEX idx_follow_removals_open ON follow_removals (person_id, direction)
    WHERE state IN ('held', 'suspected');
CREATE INDEX idx_follow_removals_snapshot ON follow_removals (snapshot_id);
-- "Does a removal cover this period?" per missing period, and a confirmed period's end by its removal.
CREATE INDEX idx_follow_removals_period ON follow_removals (period_id);
CREATE INDEX idx_follow_removals_state ON follow_removals (direction, state);

-- Profile pages read in the user's browser, kept with their scrape time. follow_status is only
-- used when `identity_ok` (the page showed the room its URL names).
CREATE TABLE profile_scrapes (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    client_id INTEGER REFERENCES ext_clients (id) ON DELETE SET NULL,
    url TEXT NOT NULL,
    scraped_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    follow_status TEXT NOT NULL CHECK (follow_status IN ('following', 'not_following', 'unknown')),
    identity_ok INTEGER NOT NULL CHECK (identity_ok IN (0, 1)),
    online INTEGER CHECK (online IN (0, 1)),
    bio TEXT NOT NULL,           -- JSON object
    social_links TEXT NOT NULL,  -- JSON array
    wishlist TEXT NOT NULL,      -- JSON array
    photosets TEXT NOT NULL,     -- JSON array
    header_online INTEGER,
    header_total INTEGER
);
CREATE UNIQUE INDEX idx_profile_scrapes_key ON profile_scrapes (idempotency_key);
CREATE INDEX idx_profile_scrapes_person ON profile_scrapes (person_id, scraped_at);

-- The newest scrape of each person: what the profile and the source-priority view read.
CREATE VIEW v_person_latest_scrape AS
SELECT s.* FROM profile_scrapes s
WHERE s.id = (SELECT s2.id FROM profile_scrapes s2 WHERE s2.person_id = s.person_id
              ORDER BY s2.scraped_at DESC, s2.id DESC LIMIT 1);

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
-- The sizes in time order, so the charts of a year of measurements read the index alone (0028).
CREATE INDEX idx_system_stats_sizes ON system_stats (recorded_at, db_bytes, wal_bytes, image_bytes, image_files);

-- The Directory's Viewers toggle sorted by a column that models fill (followers, rank, age): the
-- column's own index would walk ~every model before finding a viewer. These partial indexes hold
-- viewer rows only, so the affiliate sweep's model updates pay nothing for them.
CREATE INDEX idx_person_state_viewer_followers ON person_state (followers) WHERE role = 'viewer';
CREATE INDEX idx_person_state_viewer_rank ON person_state (rank) WHERE role = 'viewer';
CREATE INDEX idx_person_state_viewer_age ON person_state (age) WHERE role = 'viewer';

-- Fan ledger (0012).
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

-- Relationship lists the broadcaster curates (built-in Friends, VIP, Watchlist, Banned, and custom
-- lists) and notes per person; written by accounts with the edit_fans permission.
CREATE TABLE fan_lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 40),
    -- The built-in lists carry a fixed key (the panel styles 'banned' as a warning); a custom list
    -- has none. Built-in lists cannot be renamed or deleted.
    builtin TEXT CHECK (builtin IN ('friends', 'vip', 'watchlist', 'banned')),
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_fan_lists_name ON fan_lists (name);
CREATE UNIQUE INDEX idx_fan_lists_builtin ON fan_lists (builtin) WHERE builtin IS NOT NULL;

INSERT INTO fan_lists (id, name, builtin, created_at) VALUES
    (1, 'Friends', 'friends', '2026-01-01T00:00:00.000Z'),
    (2, 'VIP', 'vip', '2026-01-01T00:00:00.000Z'),
    (3, 'Watchlist', 'watchlist', '2026-01-01T00:00:00.000Z'),
    (4, 'Banned', 'banned', '2026-01-01T00:00:00.000Z');

-- A person on a list: who put them there and when (a deleted panel account leaves NULL).
CREATE TABLE fan_list_members (
    list_id INTEGER NOT NULL REFERENCES fan_lists (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    added_by INTEGER REFERENCES system_users (id) ON DELETE SET NULL,
    PRIMARY KEY (list_id, person_id)
) WITHOUT ROWID;
CREATE INDEX idx_fan_list_members_person ON fan_list_members (person_id, list_id);

-- Notes about a person. Private data: `mhc export` leaves them out unless asked, logs never hold
-- them. At most one note per person is pinned (the partial unique index enforces it).
CREATE TABLE person_notes (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    category TEXT NOT NULL
        CHECK (category IN ('note', 'private_message', 'public_chat', 'tip_menu', 'other')),
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    author_id INTEGER REFERENCES system_users (id) ON DELETE SET NULL,
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX idx_person_notes_person ON person_notes (person_id, created_at);
CREATE UNIQUE INDEX idx_person_notes_pinned ON person_notes (person_id) WHERE pinned = 1;

-- What `mhc export` writes for lists (always) and notes (only with --include-notes): names, not ids.
CREATE VIEW v_fan_list_members AS
SELECT l.name AS list, l.builtin, p.username, m.added_at, u.username AS added_by
FROM fan_list_members m
JOIN fan_lists l ON l.id = m.list_id
JOIN persons p ON p.id = m.person_id
LEFT JOIN system_users u ON u.id = m.added_by;

CREATE VIEW v_person_notes AS
SELECT n.id, p.username, n.category, n.body, n.pinned, u.username AS author, n.created_at, n.updated_at
FROM person_notes n
JOIN persons p ON p.id = n.person_id
LEFT JOIN system_users u ON u.id = n.author_id;

-- The live room and alerts (0016).
-- One row per person seen in the own room, describing their latest stay: present while left_at is NULL
-- and broadcast_id is the open broadcast.
CREATE TABLE room_presence (
    person_id INTEGER PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    broadcast_id INTEGER REFERENCES broadcasts (id) ON DELETE SET NULL,
    entered_at TEXT NOT NULL,
    last_event_at TEXT NOT NULL,
    left_at TEXT
);
CREATE INDEX idx_room_presence_broadcast ON room_presence (broadcast_id, left_at);

-- What to alert on. `params` is JSON whose shape depends on `kind` (validated by service/alert_rules.py);
-- quiet hours are minutes after local midnight in the panel's time zone (`quiet_tz`), start may be after
-- end (a night).
CREATE TABLE alert_rules (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('fan_enters', 'fan_returns', 'big_tip', 'new_follower',
        'fanclub_join', 'unfollow', 'summary_ready', 'source_failing', 'extension_silent')),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    params TEXT NOT NULL DEFAULT '{}',
    cooldown_seconds INTEGER NOT NULL DEFAULT 600 CHECK (cooldown_seconds BETWEEN 0 AND 604800),
    quiet_start_minute INTEGER CHECK (quiet_start_minute BETWEEN 0 AND 1439),
    quiet_end_minute INTEGER CHECK (quiet_end_minute BETWEEN 0 AND 1439),
    quiet_tz TEXT,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES system_users (id) ON DELETE SET NULL
);

-- Raised alerts. (rule_id, trigger_key) is unique: a re-delivered event or a restart raises nothing twice.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    -- the rule that raised it (kept when the rule is deleted: no foreign key); 0 = no rule (a test send)
    rule_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    trigger_key TEXT NOT NULL,
    person_id INTEGER REFERENCES persons (id) ON DELETE SET NULL,
    raised_at TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    url TEXT,
    -- raised during the rule's quiet hours: kept for the notification centre, pushed nowhere
    quiet INTEGER NOT NULL DEFAULT 0 CHECK (quiet IN (0, 1))
);
CREATE UNIQUE INDEX idx_alerts_trigger ON alerts (rule_id, trigger_key);
CREATE INDEX idx_alerts_rule_person ON alerts (rule_id, person_id, raised_at);
CREATE INDEX idx_alerts_raised ON alerts (raised_at);

-- Where alerts go besides the panel and the extension. The URL and the signing secret are secrets:
-- write-only in the panel, masked in logs.
CREATE TABLE alert_destinations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'discord', 'ntfy', 'email')),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    target TEXT NOT NULL,
    signing_secret TEXT,
    kinds TEXT NOT NULL DEFAULT '[]',
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at TEXT NOT NULL
);

-- The outbox: one row per alert and destination, stored with the alert (same transaction) before any
-- attempt to send, retried with backoff until sent or given up.
CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    destination_id INTEGER NOT NULL REFERENCES alert_destinations (id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'gave_up')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    sent_at TEXT,
    created_at TEXT NOT NULL
, last_attempt_at TEXT);
CREATE UNIQUE INDEX idx_alert_deliveries_pair ON alert_deliveries (alert_id, destination_id);
CREATE INDEX idx_alert_deliveries_due ON alert_deliveries (state, next_attempt_at);

-- The notification centre: what each panel user has read, and which deliveries each user wants
-- (channel 'panel' or 'desktop', per alert kind; no row = wanted).
CREATE TABLE alert_reads (
    user_id INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    read_at TEXT NOT NULL,
    PRIMARY KEY (user_id, alert_id)
) WITHOUT ROWID;
CREATE TABLE alert_preferences (
    user_id INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('panel', 'desktop')),
    kind TEXT NOT NULL,
    wanted INTEGER NOT NULL CHECK (wanted IN (0, 1)),
    PRIMARY KEY (user_id, channel, kind)
) WITHOUT ROWID;

-- The extension's desktop notifications: the last alert each paired client has shown (acknowledged).
CREATE TABLE ext_alert_cursors (
    client_id INTEGER PRIMARY KEY REFERENCES ext_clients (id) ON DELETE CASCADE,
    last_alert_id INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

-- The notification centre's "read through" mark per panel user (0019): Mark all read stores one number
-- instead of a row per alert, and the header's unread count only looks past it.
CREATE TABLE alert_read_marks (
    user_id INTEGER PRIMARY KEY REFERENCES system_users (id) ON DELETE CASCADE,
    through_id INTEGER NOT NULL CHECK (through_id >= 0),
    updated_at TEXT NOT NULL
);

-- The written summary of each closed broadcast (migration 0020). The Events batch marks the broadcasts
-- it touched stale; a report is (re)generated from stored data once its broadcast is closed. `facts`
-- holds the figures the sentences were built from, `sentences` the rendered parts (text, times and
-- names), `fingerprint` a hash of the facts. `announce`: raise the "summary ready" alert when first
-- generated (0 for broadcasts that had ended before the migration).
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

-- 0022: the AI Insights Form and the optional AI reports. Each save of the form is a new revision (the
-- answers as JSON, validated by the form's model before they are stored); each report keeps the exact
-- request body it sent (model and messages, never the API key), the statistics it was given and the
-- answer, so it can be reproduced.
CREATE TABLE insights_form_revisions (
    id INTEGER PRIMARY KEY,
    saved_at TEXT NOT NULL,
    saved_by TEXT,
    answers TEXT NOT NULL CHECK (json_valid(answers))
);

CREATE TABLE ai_reports (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_by TEXT,
    revision_id INTEGER NOT NULL REFERENCES insights_form_revisions (id),
    as_of TEXT NOT NULL,
    include_names INTEGER NOT NULL CHECK (include_names IN (0, 1)),
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    request TEXT NOT NULL CHECK (json_valid(request)),
    statistics TEXT NOT NULL CHECK (json_valid(statistics)),
    content TEXT NOT NULL,
    answered_model TEXT
);
CREATE INDEX idx_ai_reports_created ON ai_reports (created_at);

-- 0024: the Directory at 1,000,000 persons. Its "N persons" for a role (the Models and Viewers
-- toggles, and All) counted the role's index entries on every page: 450,000 entries, ~12 ms. These
-- per-role counts are kept by triggers on person_state, in the same statement as the change they
-- count, so they never disagree with it (tests/store/test_directory_counts.py checks them against
-- count(*)). The Viewers toggle sorted by snapshots walked every model (all with sessions) before the
-- first viewer; like the other viewer-only indexes, this one holds viewer rows only, so the
-- affiliate sweep's model updates pay nothing for it. The Models toggle has the same problem the other
-- way round where viewers come first (Events descending, Snapshots and Followers ascending); its
-- three model-only indexes cost a refresh of 20,000 models no measurable time (0.47 s either way).
CREATE TABLE person_role_counts (
    role TEXT PRIMARY KEY,
    persons INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER person_state_counted_insert AFTER INSERT ON person_state BEGIN
    INSERT INTO person_role_counts (role, persons) VALUES (new.role, 1)
        ON CONFLICT (role) DO UPDATE SET persons = persons + 1;
END;
CREATE TRIGGER person_state_counted_delete AFTER DELETE ON person_state BEGIN
    UPDATE person_role_counts SET persons = persons - 1 WHERE role = old.role;
END;
CREATE TRIGGER person_state_counted_role AFTER UPDATE OF role ON person_state
    WHEN old.role IS NOT new.role BEGIN
    UPDATE person_role_counts SET persons = persons - 1 WHERE role = old.role;
    INSERT INTO person_role_counts (role, persons) VALUES (new.role, 1)
        ON CONFLICT (role) DO UPDATE SET persons = persons + 1;
END;
CREATE INDEX idx_person_state_viewer_snapshots ON person_state (snapshot_count) WHERE role = 'viewer';
CREATE INDEX idx_person_state_model_events ON person_state (events_count) WHERE role = 'model';
CREATE INDEX idx_person_state_model_snapshots ON person_state (snapshot_count) WHERE role = 'model';
CREATE INDEX idx_person_state_model_followers ON person_state (followers) WHERE role = 'model';
