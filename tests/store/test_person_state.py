"""The source-priority view and its materialised table, each rule proved with conflicting data."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from service.clock import to_db, utcnow
from service.store import lookup, person_state, persons
from service.store.db import Connection, Database
from tests.support.rows import insert_affiliate_session


def ago(minutes: float) -> str:
    return to_db(utcnow() - timedelta(minutes=minutes))


async def _person(conn: Connection, name: str) -> int:
    return (await persons.ensure_persons(conn, [name]))[name]


_SNAPSHOT_DEFAULTS: dict[str, Any] = {
    "display_name": "Name",
    "gender": "f",
    "age": 30,
    "current_show": "public",
    "tags": ["fit"],
    "followers": 100,
    "image_url": "",
}


async def affiliate(conn: Connection, pid: int, seen_minutes_ago: float, **values: Any) -> None:
    """One affiliate session row last seen `seen_minutes_ago` (session start derived from it)."""
    row = {**_SNAPSHOT_DEFAULTS, **values}
    seen = ago(seen_minutes_ago)
    start_s = int((utcnow() - timedelta(minutes=seen_minutes_ago + 60)).timestamp())
    await insert_affiliate_session(conn, {
        "person_id": pid, "session_start": seen, "session_start_s": start_s, "first_seen_at": seen,
        "last_seen_at": seen, "seconds_online": 3600, "display_name": row["display_name"],
        "gender": row["gender"], "age": row["age"], "current_show": row["current_show"],
        "tags": json.dumps(row["tags"]), "viewers": 5, "peak_viewers": 5, "followers_start": row["followers"],
        "followers_latest": row["followers"], "image_url": row["image_url"],
    })  # fmt: skip


async def cbhours(conn: Connection, pid: int, minutes_ago: float, *, online: bool, **values: Any) -> None:
    row = {"gender": None, "rank": None, "followers": None, "current_show": None, "tags": None, **values}
    if row["tags"] is not None:
        row["tags"] = json.dumps(row["tags"])
    await conn.execute(
        "INSERT INTO cbhours_live_stats (person_id, checked_at, online, gender, rank, followers, "
        "current_show, tags) VALUES (:pid, :at, :online, :gender, :rank, :followers, :current_show, :tags)",
        {**row, "pid": pid, "at": ago(minutes_ago), "online": int(online)},
    )


async def state(db: Database, name: str) -> dict[str, Any]:
    """The view's row, after checking the materialised table holds exactly the same."""
    async with db.transaction() as conn:
        await person_state.refresh_all(conn)
    async with db.read() as conn:
        async with conn.execute(
            "SELECT * FROM v_person_current_state WHERE username = :n", {"n": name}
        ) as cur:
            view = dict(await cur.fetchone())  # type: ignore[arg-type]
        async with conn.execute("SELECT * FROM person_state WHERE username = :n", {"n": name}) as cur:
            table = dict(await cur.fetchone())  # type: ignore[arg-type]
    assert table == view
    return view


async def test_profile_fields_affiliate_then_cbhours_then_last_known(db: Database) -> None:
    """Affiliate beats CBHours; a field the latest affiliate row lacks comes from an older one."""
    async with db.transaction() as conn:
        pid = await _person(conn, "rosa")
        await affiliate(conn, pid, 300, display_name="Old Rosa", age=29, gender="f")
        await affiliate(conn, pid, 2, display_name="", age=None, gender="t")
        await cbhours(conn, pid, 1, online=True, gender="m")
        only_cb = await _person(conn, "cb_only")
        await cbhours(conn, only_cb, 1, online=False, gender="c")
    rosa = await state(db, "rosa")
    assert (rosa["gender"], rosa["gender_source"]) == ("t", "affiliate")
    assert (rosa["display_name"], rosa["display_name_source"]) == ("Old Rosa", "history")
    assert (rosa["age"], rosa["age_source"]) == (29, "history")
    assert rosa["age_at"] < rosa["gender_at"]
    cb = await state(db, "cb_only")
    assert (cb["gender"], cb["gender_source"], cb["display_name"], cb["age"]) == ("c", "cbhours", None, None)


async def test_live_status_affiliate_within_ten_minutes_beats_cbhours(db: Database) -> None:
    """Seen in the feed 3 minutes ago: live by Affiliate, though CBHours (newer) says offline."""
    async with db.transaction() as conn:
        pid = await _person(conn, "ana")
        await affiliate(conn, pid, 3, current_show="private")
        await cbhours(conn, pid, 1, online=False)
    ana = await state(db, "ana")
    assert (ana["is_live"], ana["live_source"], ana["current_show"]) == (1, "affiliate", "private")


async def test_affiliate_value_older_than_ten_minutes_falls_to_cbhours(db: Database) -> None:
    """Seen in the feed 11 minutes ago: CBHours' fresh answer decides, either way."""
    async with db.transaction() as conn:
        off = await _person(conn, "gone_off")
        await affiliate(conn, off, 11)
        await cbhours(conn, off, 2, online=False)
        on = await _person(conn, "still_on")
        await affiliate(conn, on, 11, current_show="public")
        await cbhours(conn, on, 2, online=True, current_show="group")
    gone = await state(db, "gone_off")
    assert (gone["is_live"], gone["live_source"], gone["current_show"]) == (0, "cbhours", None)
    still = await state(db, "still_on")
    assert (still["is_live"], still["live_source"], still["current_show"]) == (1, "cbhours", "group")


async def test_live_status_history_when_every_source_is_stale(db: Database) -> None:
    """Old sightings only: offline as far as we know, dated by the newest sighting; none: NULL."""
    async with db.transaction() as conn:
        pid = await _person(conn, "stale")
        await affiliate(conn, pid, 45)
        await cbhours(conn, pid, 40, online=True)
        await _person(conn, "never_seen")
    stale = await state(db, "stale")
    assert (stale["is_live"], stale["live_source"]) == (0, "history")
    async with db.read() as conn, conn.execute("SELECT checked_at FROM cbhours_live_stats") as cur:
        assert stale["live_at"] == (await cur.fetchone())[0]  # type: ignore[index]  # the newer sighting
    never = await state(db, "never_seen")
    assert (never["is_live"], never["live_source"], never["live_at"]) == (None, None, None)


async def test_followers_cbhours_then_affiliate_then_stats_then_history(db: Database) -> None:
    """Conflicting counts: CBHours wins, its offline row (no count) yields to Affiliate, etc."""
    async with db.transaction() as conn:
        both = await _person(conn, "both")
        await affiliate(conn, both, 1, followers=500)
        await cbhours(conn, both, 30, online=True, followers=480)
        offline = await _person(conn, "cb_offline")
        await affiliate(conn, offline, 90, followers=700)
        await cbhours(conn, offline, 1, online=False)
        me = await _person(conn, "my_room")
        await conn.execute(
            "INSERT INTO stats_snapshots (username, fetched_at, last_fetched_at, fingerprint, token_balance, "
            "tips_in_last_hour, votes_up, votes_down, satisfaction_score, num_followers, num_viewers, "
            "num_registered_viewers) VALUES ('my_room', :at, :at, 'x', 0, 0, 0, 0, 100, 8123, 0, 0)",
            {"at": ago(4)},
        )
        old = await _person(conn, "only_history")
        await conn.execute(
            "INSERT INTO follower_history (person_id, observed_at, source, followers) "
            "VALUES (:p, :a, 'cbhours', 41), (:p, :b, 'affiliate', 42)",
            {"p": old, "a": ago(600), "b": ago(500)},
        )
    assert await _followers(db, "both") == (480, "cbhours")
    assert await _followers(db, "cb_offline") == (700, "affiliate")
    assert await _followers(db, "my_room") == (8123, "stats")
    assert await _followers(db, "only_history") == (42, "history")
    assert me


async def _followers(db: Database, name: str) -> tuple[int, str]:
    row = await state(db, name)
    return row["followers"], row["followers_source"]


async def test_tags_affiliate_then_cbhours_then_history(db: Database) -> None:
    """Affiliate tags beat CBHours'; an empty affiliate list yields; else the last known list."""
    async with db.transaction() as conn:
        a = await _person(conn, "tag_a")
        await affiliate(conn, a, 60, tags=["fit", "muscle"])
        await cbhours(conn, a, 1, online=True, tags=["other"])
        b = await _person(conn, "tag_b")
        await affiliate(conn, b, 1, tags=[])
        await cbhours(conn, b, 1, online=True, tags=["cbtag"])
        c = await _person(conn, "tag_c")
        await affiliate(conn, c, 500, tags=["old"])
        await affiliate(conn, c, 1, tags=[])
    row_a = await state(db, "tag_a")
    assert (json.loads(row_a["tags"]), row_a["tags_source"]) == (["fit", "muscle"], "affiliate")
    row_b = await state(db, "tag_b")
    assert (json.loads(row_b["tags"]), row_b["tags_source"]) == (["cbtag"], "cbhours")
    row_c = await state(db, "tag_c")
    assert (json.loads(row_c["tags"]), row_c["tags_source"]) == (["old"], "history")
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT p.username FROM person_tags t JOIN persons p ON p.id = t.person_id WHERE t.tag = 'fit'"
        ) as cur,
    ):
        assert [r[0] for r in await cur.fetchall()] == ["tag_a"]


async def test_rank_comes_from_cbhours_only(db: Database) -> None:
    """The newest CBHours rank (live check or activity segment); nothing else ever sets it."""
    async with db.transaction() as conn:
        pid = await _person(conn, "ranked")
        await cbhours(conn, pid, 60, online=True, rank=1900)
        await cbhours(conn, pid, 1, online=False)  # offline rows carry no rank
        await conn.execute(
            "INSERT INTO cbhours_activity (person_id, segment_at, show, rank, fetched_at) "
            "VALUES (:p, :at, 'public', 1830, :at)",
            {"p": pid, "at": ago(30)},
        )
        other = await _person(conn, "unranked")
        await affiliate(conn, other, 1)
        await conn.execute(
            "INSERT INTO statbate_model_info (person_id, fetched_at, rank, raw) VALUES (:p, :at, 12, '{}')",
            {"p": other, "at": ago(1)},
        )
    ranked = await state(db, "ranked")
    assert (ranked["rank"], ranked["rank_source"]) == (1830, "cbhours")
    unranked = await state(db, "unranked")
    assert (unranked["rank"], unranked["rank_source"], unranked["rank_at"]) == (None, None, None)


async def test_refresh_touches_only_the_given_persons_and_counts(db: Database) -> None:
    """refresh(ids) rewrites those rows with queue priority, snapshot and event counts."""
    async with db.transaction() as conn:
        a = await _person(conn, "one")
        b = await _person(conn, "two")
        await affiliate(conn, a, 500)
        await affiliate(conn, a, 1)
        await conn.execute("INSERT INTO person_room_stats (person_id, events) VALUES (:p, 7)", {"p": a})
        await lookup.enqueue(conn, "one", 2, "watch", "owner")
        assert await person_state.refresh(conn, [a]) == 1
    async with db.read() as conn, conn.execute("SELECT * FROM person_state ORDER BY person_id") as cur:
        rows = [dict(r) for r in await cur.fetchall()]
    assert [r["person_id"] for r in rows] == [a]
    assert (rows[0]["priority"], rows[0]["lookup_status"]) == (2, "tracking")
    assert (rows[0]["snapshot_count"], rows[0]["events_count"], rows[0]["is_live"]) == (2, 7, 1)
    assert b


async def test_stale_live_rows_are_re_evaluated(db: Database) -> None:
    """A person materialised as live by Affiliate flips once that sighting ages past 10 minutes."""
    async with db.transaction() as conn:
        pid = await _person(conn, "fading")
        await affiliate(conn, pid, 1)
        await person_state.refresh(conn, [pid])
        await conn.execute(
            "UPDATE affiliate_sessions SET last_seen_at = :at WHERE person_id = :p",
            {"at": ago(12), "p": pid},
        )
        assert await person_state.refresh_stale_live(conn) == 0  # table still says 1 minute ago
        await conn.execute(
            "UPDATE person_state SET live_at = :at WHERE person_id = :p", {"at": ago(12), "p": pid}
        )
        assert await person_state.refresh_stale_live(conn) == 1
        async with conn.execute("SELECT is_live, live_source FROM person_state") as cur:
            assert tuple(await cur.fetchone()) == (0, "history")  # type: ignore[arg-type]


async def test_refresh_rewrites_the_tag_index_of_persons_whose_tags_changed(db: Database) -> None:
    """person_tags follows person_state.tags through refresh(ids), additions and removals."""
    async with db.transaction() as conn:
        pid = await _person(conn, "tagged")
        other = await _person(conn, "steady")
        await affiliate(conn, pid, 1, tags=["a", "b"])
        await affiliate(conn, other, 1, tags=["a"])
        await person_state.refresh(conn, [pid, other])
        await conn.execute(
            'UPDATE affiliate_sessions SET tags = \'["b", "c"]\' WHERE person_id = :p', {"p": pid}
        )
        await person_state.refresh(conn, [pid, other])
    tags = await _tag_rows(db)
    assert tags == [("steady", "a"), ("tagged", "b"), ("tagged", "c")]


async def _tag_rows(db: Database) -> list[tuple[str, str]]:
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT p.username, t.tag FROM person_tags t JOIN persons p ON p.id = t.person_id ORDER BY 1, 2"
        ) as cur,
    ):
        return [(r[0], r[1]) for r in await cur.fetchall()]


async def scraped(
    conn: Connection, pid: int, minutes_ago: float, bio: dict[str, str], *, identity_ok: bool = True
) -> None:
    """A profile scrape by the extension (only `identity_ok` pages count as a source)."""
    await conn.execute(
        "INSERT INTO profile_scrapes (person_id, idempotency_key, url, scraped_at, received_at, "
        "follow_status, identity_ok, bio, social_links, wishlist, photosets) VALUES (:pid, :key, "
        "'https://chaturbate.com/x/', :at, :at, 'unknown', :ok, :bio, '[]', '[]', '[]')",
        {"pid": pid, "key": f"{pid}@{minutes_ago}", "at": ago(minutes_ago), "ok": int(identity_ok),
         "bio": json.dumps(bio)},
    )  # fmt: skip


async def test_scraped_profile_ranks_after_affiliate_and_cbhours(db: Database) -> None:
    """Bio name, age and followers fill in where Affiliate and CBHours say nothing, never over them."""
    bio = {"real-name": "Scraped Sam", "age": "27", "followers": "20,438"}
    async with db.transaction() as conn:
        only = await _person(conn, "scraped_only")
        await scraped(conn, only, 5, bio)
        both = await _person(conn, "fed_too")
        await affiliate(conn, both, 60, display_name="Feed Name", age=31, followers=900)
        await scraped(conn, both, 1, bio)
        cb = await _person(conn, "cb_counted")
        await cbhours(conn, cb, 1, online=False, followers=5000)
        await scraped(conn, cb, 1, bio)
    s = await state(db, "scraped_only")
    assert (s["display_name"], s["display_name_source"]) == ("Scraped Sam", "scrape")
    assert (s["age"], s["age_source"], s["followers"], s["followers_source"]) == (
        27,
        "scrape",
        20438,
        "scrape",
    )
    f = await state(db, "fed_too")
    assert (f["display_name"], f["age"], f["followers"]) == ("Feed Name", 31, 900)
    assert (f["display_name_source"], f["followers_source"]) == ("affiliate", "affiliate")
    c = await state(db, "cb_counted")
    assert (c["followers"], c["followers_source"]) == (5000, "cbhours")


async def test_scrape_of_a_mismatched_page_is_not_a_source(db: Database) -> None:
    """A page that showed another room than its URL (stale dossier, SPA navigation) is ignored."""
    async with db.transaction() as conn:
        pid = await _person(conn, "not_me")
        await scraped(conn, pid, 1, {"real-name": "Someone Else", "followers": "12"}, identity_ok=False)
    s = await state(db, "not_me")
    assert (s["display_name"], s["followers"]) == (None, None)
