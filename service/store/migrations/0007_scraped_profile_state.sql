-- 0007: the scraped profile joins the source-priority view (it needed 0005's profile_scrapes).

-- Scraped bio values (only from pages that showed the room their URL names) rank after Affiliate
-- and CBHours and before last-known history for profile fields, and after CBHours, Affiliate and
-- the Stats API for the follower count, as DESIGN.md orders the sources.
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
    LEFT JOIN profile_scrapes sc ON sc.id = (
        SELECT x.id FROM profile_scrapes x WHERE x.person_id = p.id AND x.identity_ok = 1
         ORDER BY x.scraped_at DESC, x.id DESC LIMIT 1)
    LEFT JOIN lookup_queue q ON q.person_id = p.id
) j;
