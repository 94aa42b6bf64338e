"""person_state of a sweep's rooms, computed from the staged rows instead of through the view.

`v_person_current_state` (schema.sql) is the rule; refreshing 20,000 persons through it costs ~15
correlated lookups each, most of them for sources the sweep did not touch. For a room the sweep
just stored, the rule's answer follows from the staged row and the person's previous person_state
row (which the view wrote, and every other writer refreshes in its own transaction):

- the session just written is the person's newest affiliate row when every other one was last seen
  before this sweep (`prev_seen`) and, for an updated session, it was the newest before too;
- with the sweep fresh (≤ 10 minutes old) the person is live by Affiliate with its show;
- a profile field the room has comes from Affiliate; one it lacks keeps its previous answer unless
  that answer was Affiliate's (then an older row or another source decides: the view does it);
- followers come from Affiliate unless CBHours' newest check has a count (it still has: kept);
- rank and image come from sources the sweep does not touch (kept); the lookup queue and the room
  stats are read as the view reads them; the snapshot count grows by the sessions inserted.

Rooms outside these cases (a replayed or late sweep, a field that vanished, an empty image URL, a
person without a state row yet) are refreshed through the view as before.
tests/store/test_affiliate_state.py proves the table equals the view after sweeps mixed with
CBHours checks, scrapes, stats, lookups and images.
"""

from __future__ import annotations

from service.store import person_state
from service.store.db import Connection

_FRESH = ":seen >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-10 minutes')"

# New persons (ids above the old maximum) have no other source yet: every answer is the room's.
_MARK_NEW = f"""UPDATE temp.affiliate_stage SET fast = 1
WHERE person_id > :before AND snapshot_id IS NULL AND image_url <> '' AND {_FRESH}"""  # noqa: S608 - constant

_MARK_KNOWN = f"""UPDATE temp.affiliate_stage AS st SET fast = 1, old_tags = o.tags, old_role = o.role
FROM person_state o
WHERE o.person_id = st.person_id AND st.person_id <= :before AND {_FRESH} AND st.image_url <> ''
    AND (st.prev_seen IS NULL OR st.prev_seen < :seen)
    AND (st.snapshot_id IS NULL OR st.match_seen = st.prev_seen)
    AND (st.display_name <> '' OR o.display_name_source IS NOT 'affiliate')
    AND (st.age IS NOT NULL OR o.age_source IS NOT 'affiliate')
    AND (st.gender <> '' OR o.gender_source IS NOT 'affiliate')
    AND (st.tags <> '[]' OR o.tags_source IS NOT 'affiliate')"""  # noqa: S608 - constant


def _pick(present: str, column: str) -> str:
    return f"CASE WHEN {present} THEN st.{column} ELSE o.{column} END"


def _field(present: str, column: str) -> str:
    """value, source, time of a profile field: the room's when present, else the previous answer."""
    return (
        f"{_pick(present, column)}, "
        f"CASE WHEN {present} THEN 'affiliate' ELSE o.{column}_source END, "
        f"CASE WHEN {present} THEN :seen ELSE o.{column}_at END"
    )


_NAME, _AGE = "st.display_name <> ''", "st.age IS NOT NULL"
_GENDER, _TAGS = "st.gender <> ''", "st.tags <> '[]'"
_CB_FOLLOWERS = "o.followers_source = 'cbhours'"

# New persons: a plain INSERT (o, their missing previous row, reads as NULL).
_INSERT_NEW = (
    f"INSERT INTO person_state ({', '.join(person_state.COLUMNS)}) "  # noqa: S608 - constants
    "SELECT st.person_id, p.username, p.role, "
    f"{_field(_NAME, 'display_name')}, {_field(_AGE, 'age')}, {_field(_GENDER, 'gender')}, "
    "1, 'affiliate', :seen, st.current_show, st.followers, 'affiliate', :seen, NULL, NULL, NULL, "
    f"{_field(_TAGS, 'tags')}, NULL, st.image_url, p.last_seen_at, NULL, NULL, 1, 0 "
    "FROM temp.affiliate_stage st JOIN persons p ON p.id = st.person_id "
    "LEFT JOIN person_state o ON o.person_id = st.person_id "
    "WHERE st.fast = 1 AND st.person_id > :before"
)

# Known persons: UPDATE only what a sweep moves, since every assigned column rewrites its indexes
# (an upsert of all 32 columns costs ~6× this). The follower count (indexed) is written only where
# it moved; age, role, lookup state and the room's event count rarely change: another UPDATE
# writes them only where they differ.
_FROM_KNOWN = (
    "FROM temp.affiliate_stage st JOIN persons p ON p.id = st.person_id "
    "WHERE o.person_id = st.person_id AND st.fast = 1 AND st.person_id <= :before"
)
_UPDATE_KNOWN = (
    f"UPDATE person_state AS o SET (display_name, display_name_source, display_name_at) = "  # noqa: S608
    f"({_field(_NAME, 'display_name')}), "
    f"age_source = CASE WHEN {_AGE} THEN 'affiliate' ELSE o.age_source END, "
    f"age_at = CASE WHEN {_AGE} THEN :seen ELSE o.age_at END, "
    f"(gender, gender_source, gender_at) = ({_field(_GENDER, 'gender')}), "
    "is_live = 1, live_source = 'affiliate', live_at = :seen, current_show = st.current_show, "
    f"followers_source = CASE WHEN {_CB_FOLLOWERS} THEN 'cbhours' ELSE 'affiliate' END, "
    f"followers_at = CASE WHEN {_CB_FOLLOWERS} THEN o.followers_at ELSE :seen END, "
    f"(tags, tags_source, tags_at) = ({_field(_TAGS, 'tags')}), "
    f"image_url = st.image_url, last_seen_at = p.last_seen_at{{count}} {_FROM_KNOWN}"
)
# A new session counts one more snapshot (apart, so an updated session leaves that index alone).
_UPDATE_NEW_SESSION = _UPDATE_KNOWN.format(count=", snapshot_count = o.snapshot_count + 1") + (
    " AND st.snapshot_id IS NULL"
)
_UPDATE_SAME_SESSION = _UPDATE_KNOWN.format(count="") + " AND st.snapshot_id IS NOT NULL"
# After _UPDATE_KNOWN: followers_source is 'affiliate' exactly where the room's count is the answer.
_UPDATE_FOLLOWERS = (
    "UPDATE person_state AS o SET followers = st.followers "  # noqa: S608 - constant
    f"{_FROM_KNOWN} AND o.followers_source = 'affiliate' AND o.followers IS NOT st.followers"
)
_NEW_AGE = _pick(_AGE, "age")
_UPDATE_RARE = (
    f"UPDATE person_state AS o SET age = {_NEW_AGE}, username = p.username, role = p.role, "  # noqa: S608
    "priority = q.priority, lookup_status = q.status, events_count = coalesce(r.events, 0) "
    "FROM temp.affiliate_stage st JOIN persons p ON p.id = st.person_id "
    "LEFT JOIN lookup_queue q ON q.person_id = st.person_id "
    "LEFT JOIN person_room_stats r ON r.person_id = st.person_id "
    "WHERE o.person_id = st.person_id AND st.fast = 1 AND st.person_id <= :before "
    f"AND (o.age IS NOT {_NEW_AGE} OR o.username IS NOT p.username COLLATE BINARY OR o.role IS NOT p.role "
    "OR o.priority IS NOT q.priority OR o.lookup_status IS NOT q.status "
    "OR o.events_count IS NOT coalesce(r.events, 0))"
)
# Rooms whose tags or role moved: their person_tags rows (which carry the role) are rewritten.
_TAGS_CHANGED = (
    "SELECT st.person_id FROM temp.affiliate_stage st JOIN person_state s ON s.person_id = st.person_id "
    "WHERE st.fast = 1 AND (s.tags IS NOT st.old_tags OR s.role IS NOT st.old_role)"
)


async def store_state(conn: Connection, *, seen_at: str, persons_before: int, new_persons: bool) -> None:
    """person_state and person_tags of every staged room (after its session was stored); `new_persons`:
    whether the sweep created any (ids above `persons_before`)."""
    params = {"seen": seen_at, "before": persons_before}
    if new_persons:
        await conn.execute(_MARK_NEW, params)
    await conn.execute(_MARK_KNOWN, params)
    for sql in ((_INSERT_NEW,) if new_persons else ()) + (
        _UPDATE_NEW_SESSION, _UPDATE_SAME_SESSION, _UPDATE_FOLLOWERS, _UPDATE_RARE,
    ):  # fmt: skip
        await conn.execute(sql, params)
    await conn.execute(f"DELETE FROM person_tags WHERE person_id IN ({_TAGS_CHANGED})")  # noqa: S608 - constant
    await conn.execute(person_state.tags_insert(f"AND s.person_id IN ({_TAGS_CHANGED})"))
    await person_state.refresh_selected(conn, "SELECT person_id FROM temp.affiliate_stage WHERE fast IS NULL")
