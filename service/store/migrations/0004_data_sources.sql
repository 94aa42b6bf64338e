-- 0004: data sources: affiliate snapshots, stats, CBHours, Statbate, images, lookup queue.
-- One row per person per broadcast session seen in the Affiliate feed. session_start_s (epoch
-- seconds, now - seconds_online at first sight) identifies the session; later polls match it
-- within a tolerance because that difference drifts by a few seconds each poll.
CREATE TABLE affiliate_api_snapshots (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    session_start TEXT NOT NULL,
    session_start_s INTEGER NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    polls INTEGER NOT NULL DEFAULT 1 CHECK (polls >= 1),
    seconds_online INTEGER NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    gender TEXT NOT NULL,
    age INTEGER,
    birthday TEXT,
    location TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    spoken_languages TEXT NOT NULL DEFAULT '[]',
    current_show TEXT NOT NULL,
    room_subject TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    is_new INTEGER NOT NULL DEFAULT 0 CHECK (is_new IN (0, 1)),
    is_hd INTEGER NOT NULL DEFAULT 0 CHECK (is_hd IN (0, 1)),
    viewers INTEGER NOT NULL,
    peak_viewers INTEGER NOT NULL,
    followers_start INTEGER NOT NULL,
    followers_latest INTEGER NOT NULL,
    image_url TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX idx_affiliate_snapshots_session ON affiliate_api_snapshots (person_id, session_start_s);
CREATE INDEX idx_affiliate_snapshots_person_seen ON affiliate_api_snapshots (person_id, last_seen_at);

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
CREATE TABLE follower_history (
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    observed_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('affiliate', 'cbhours', 'stats', 'scrape')),
    followers INTEGER NOT NULL,
    PRIMARY KEY (person_id, source, observed_at)
) WITHOUT ROWID;
CREATE INDEX idx_follower_history_person_time ON follower_history (person_id, observed_at);

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
-- profile fields Affiliate -> CBHours -> last known; live status Affiliate (seen <= 10 min ago)
-- -> CBHours (checked <= 30 min ago) -> history; followers CBHours -> Affiliate -> Stats API ->
-- history; tags Affiliate -> CBHours -> history; rank CBHours only. "A source" is its latest
-- record; a field that record lacks falls to the next source; "history" is the newest older
-- record that has it. Scraped profiles join this view when their tables exist (0005).
CREATE VIEW v_person_current_state AS
SELECT
    j.person_id,
    j.username,
    j.role,
    CASE WHEN j.a_name <> '' THEN j.a_name ELSE j.h_name END AS display_name,
    CASE WHEN j.a_name <> '' THEN 'affiliate' WHEN j.h_name IS NOT NULL THEN 'history' END
        AS display_name_source,
    CASE WHEN j.a_name <> '' THEN j.a_seen ELSE j.h_name_at END AS display_name_at,
    coalesce(j.a_age, j.h_age) AS age,
    CASE WHEN j.a_age IS NOT NULL THEN 'affiliate' WHEN j.h_age IS NOT NULL THEN 'history' END
        AS age_source,
    CASE WHEN j.a_age IS NOT NULL THEN j.a_seen ELSE j.h_age_at END AS age_at,
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
    coalesce(j.c_followers, j.a_followers, j.s_followers, j.h_followers) AS followers,
    CASE WHEN j.c_followers IS NOT NULL THEN 'cbhours' WHEN j.a_followers IS NOT NULL THEN 'affiliate'
         WHEN j.s_followers IS NOT NULL THEN 'stats' WHEN j.h_followers IS NOT NULL THEN 'history'
         END AS followers_source,
    CASE WHEN j.c_followers IS NOT NULL THEN j.c_at WHEN j.a_followers IS NOT NULL THEN j.a_seen
         WHEN j.s_followers IS NOT NULL THEN j.s_at ELSE j.h_followers_at END AS followers_at,
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
        nullif(a.display_name, '') AS a_name,
        a.age AS a_age,
        nullif(a.gender, '') AS a_gender,
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
        hn.display_name AS h_name,
        hn.last_seen_at AS h_name_at,
        ha.age AS h_age,
        ha.last_seen_at AS h_age_at,
        hg.gender AS h_gender,
        hg.last_seen_at AS h_gender_at,
        ht.tags AS h_tags,
        ht.last_seen_at AS h_tags_at,
        st.num_followers AS s_followers,
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
        coalesce(nullif(a.image_url, ''), (SELECT i.url FROM person_images i WHERE i.person_id = p.id
          ORDER BY i.last_seen_at DESC, i.id DESC LIMIT 1)) AS image_url,
        q.priority,
        q.status AS lookup_status,
        (SELECT count(*) FROM affiliate_api_snapshots n WHERE n.person_id = p.id) AS snapshot_count,
        coalesce((SELECT r.events FROM person_room_stats r WHERE r.person_id = p.id), 0) AS events_count
    FROM persons p
    LEFT JOIN affiliate_api_snapshots a ON a.id = (
        SELECT x.id FROM affiliate_api_snapshots x WHERE x.person_id = p.id
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN cbhours_live_stats c ON c.id = (
        SELECT x.id FROM cbhours_live_stats x WHERE x.person_id = p.id
         ORDER BY x.checked_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN affiliate_api_snapshots hn ON hn.id = (
        SELECT x.id FROM affiliate_api_snapshots x WHERE x.person_id = p.id AND x.display_name <> ''
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN affiliate_api_snapshots ha ON ha.id = (
        SELECT x.id FROM affiliate_api_snapshots x WHERE x.person_id = p.id AND x.age IS NOT NULL
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN affiliate_api_snapshots hg ON hg.id = (
        SELECT x.id FROM affiliate_api_snapshots x WHERE x.person_id = p.id AND x.gender <> ''
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN affiliate_api_snapshots ht ON ht.id = (
        SELECT x.id FROM affiliate_api_snapshots x WHERE x.person_id = p.id AND x.tags <> '[]'
         ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN stats_snapshots st ON st.id = (
        SELECT x.id FROM stats_snapshots x WHERE x.username = p.username
         ORDER BY x.last_fetched_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN cbhours_live_stats cl ON cl.id = (
        SELECT x.id FROM cbhours_live_stats x WHERE x.person_id = p.id AND x.rank IS NOT NULL
         ORDER BY x.checked_at DESC, x.id DESC LIMIT 1)
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

-- Current tags per person (person_state.tags unpacked) for the Directory's tag filter.
CREATE TABLE person_tags (
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (person_id, tag)
) WITHOUT ROWID;
CREATE INDEX idx_person_tags_tag ON person_tags (tag, person_id);
