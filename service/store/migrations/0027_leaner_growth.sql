-- 0027, leaner daily growth (issue 14). A session row no longer repeats its room's profile (name,
-- gender, age, birthday, place, languages, image): affiliate_profiles holds each distinct one per
-- person, affiliate_sessions the session's own figures, and the view affiliate_api_snapshots joins
-- them back into the columns the table had. Every existing session keeps every value (session_start
-- is kept where it is not session_start_s as text). Follower history loses its second index.
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

INSERT INTO affiliate_profiles (person_id, display_name, gender, age, birthday, location, country,
    spoken_languages, image_url)
SELECT DISTINCT person_id, display_name, gender, age, birthday, location, country, spoken_languages, image_url
FROM affiliate_api_snapshots ORDER BY person_id;

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

INSERT INTO affiliate_sessions (id, person_id, profile_id, session_start_s, session_start, first_seen_at,
    last_seen_at, polls, seconds_online, current_show, room_subject, tags, is_new, is_hd, viewers,
    peak_viewers, followers_start, followers_latest)
SELECT a.id, a.person_id,
    (SELECT f.id FROM affiliate_profiles f WHERE f.person_id = a.person_id
        AND f.display_name = a.display_name AND f.gender = a.gender AND f.age IS a.age
        AND f.birthday IS a.birthday AND f.location = a.location AND f.country = a.country
        AND f.spoken_languages = a.spoken_languages AND f.image_url = a.image_url),
    a.session_start_s,
    nullif(a.session_start, strftime('%Y-%m-%dT%H:%M:%S.000Z', a.session_start_s, 'unixepoch')),
    a.first_seen_at, a.last_seen_at, a.polls, a.seconds_online, a.current_show, a.room_subject, a.tags,
    a.is_new, a.is_hd, a.viewers, a.peak_viewers, a.followers_start, a.followers_latest
FROM affiliate_api_snapshots a;

DROP TABLE affiliate_api_snapshots;
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

-- Follower history keyed by (person, time, source): the same rows and uniqueness, and the key now
-- serves what idx_follower_history_person_time did.
CREATE TEMP TABLE follower_history_copy AS SELECT * FROM follower_history;
DROP TABLE follower_history;
CREATE TABLE follower_history (
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    observed_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('affiliate', 'cbhours', 'stats', 'scrape')),
    followers INTEGER NOT NULL,
    PRIMARY KEY (person_id, observed_at, source)
) WITHOUT ROWID;
INSERT INTO follower_history (person_id, observed_at, source, followers)
SELECT person_id, observed_at, source, followers FROM temp.follower_history_copy ORDER BY person_id, observed_at, source;
DROP TABLE temp.follower_history_copy;

-- The source-priority view reads the two tables directly (its answers are unchanged).
DROP VIEW v_person_current_state;
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
