"""Alert rules evaluated by the Events batch, through the real ingest path and a real SQLite file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from service.alert_rules import (
    BigTip,
    FanEnters,
    FanReturns,
    NoParams,
    Params,
    QuietHours,
    Unfollow,
)
from service.clock import to_db
from service.ingest.token_import import import_file
from service.store import alert_rules, fan_lists, fans, persons
from service.store.alert_rules import RuleInput
from service.store.db import Database
from tests.support.events import ROOM, T0, Feed, ingest


async def _rule(
    db: Database, kind: str, params: Params, *, cooldown: int = 600, quiet: QuietHours | None = None
) -> int:
    async with db.transaction() as conn:
        return await alert_rules.insert_rule(
            conn, RuleInput(kind, kind.replace("_", " "), params, cooldown, quiet),  # type: ignore[arg-type]
            at=to_db(T0), created_by=None,
        )  # fmt: skip


async def _alerts(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT rule_id, kind, trigger_key, person_id, raised_at, title, body, url, quiet "
            "FROM alerts ORDER BY id"
        )
    return [dict(row) for row in rows]


async def _whale_history(
    db: Database, tmp_path: Path, name: str = "whale_wendy", tokens: int = 46_500
) -> None:
    csv = tmp_path / "history.csv"
    csv.write_text(f"User,Token change,Timestamp,Note\n{name},{tokens},2025-06-01 12:00:00,Tip\n")
    await import_file(db, csv)


async def test_a_whale_by_imported_history_entering_alerts_once_per_cooldown(
    db: Database, tmp_path: Path
) -> None:
    """A Diamond (imported history) enters five times in a minute: one alert, written for a person."""
    await _whale_history(db, tmp_path)
    rule = await _rule(db, "fan_enters", FanEnters(min_tier="Gold"))
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM)])
    enters = [f.event(1 + n * 0.2, "userEnter", "whale_wendy") for n in range(3)]
    result = await ingest(db, enters)
    assert result.alerts == 1
    await ingest(db, [f.event(1.8, "userEnter", "whale_wendy"), f.event(1.9, "userEnter", "whale_wendy")])
    (alert,) = await _alerts(db)
    assert alert["rule_id"] == rule and alert["trigger_key"] == enters[0].id
    assert alert["title"] == "whale_wendy (Diamond, 46,500 tokens lifetime) entered your room"
    assert alert["url"] == "/profile/whale_wendy" and alert["quiet"] == 0
    # After the cooldown (10 minutes), another entry alerts again.
    await ingest(db, [f.event(12, "userEnter", "whale_wendy")])
    assert len(await _alerts(db)) == 2


async def test_a_replayed_batch_raises_nothing_twice(db: Database) -> None:
    """The same events again (a re-delivery, a restart from an older cursor) raise nothing new."""
    await _rule(db, "big_tip", BigTip(min_tokens=100), cooldown=0)
    f = Feed()
    batch = [f.event(0, "broadcastStart", ROOM), f.event(1, "tip", "alice", tokens=150)]
    await ingest(db, batch)
    again = await ingest(db, batch)
    assert again.alerts == 0
    assert [a["title"] for a in await _alerts(db)] == ["alice tipped 150 tokens"]


async def test_big_tips_anonymous_stay_anonymous_and_small_tips_do_not_alert(db: Database) -> None:
    await _rule(db, "big_tip", BigTip(min_tokens=100), cooldown=0)
    f = Feed()
    await ingest(db, [
        f.event(0, "broadcastStart", ROOM), f.event(1, "tip", "alice", tokens=99),
        f.event(2, "tip", "secret_sam", tokens=500, is_anon=True), f.event(3, "tip", "alice", tokens=100),
    ])  # fmt: skip
    found = await _alerts(db)
    assert [(a["title"], a["person_id"], a["url"]) for a in found] == [
        ("anonymous tipped 500 tokens", None, None),
        ("alice tipped 100 tokens", found[1]["person_id"], "/profile/alice"),
    ]
    assert all("secret_sam" not in (a["title"] + a["body"]) for a in found)


async def test_follow_fanclub_and_unfollow_rules(db: Database) -> None:
    for kind in ("new_follower", "fanclub_join"):
        await _rule(db, kind, NoParams(), cooldown=0)
    await _rule(db, "unfollow", Unfollow(), cooldown=0)
    f = Feed()
    await ingest(db, [
        f.event(0, "broadcastStart", ROOM), f.event(1, "follow", "bob"), f.event(2, "fanclubJoin", "carol"),
        f.event(3, "unfollow", "dave"), f.event(4, "chatMessage", "bob"), f.event(5, "follow", ROOM),
    ])  # fmt: skip
    assert [a["title"] for a in await _alerts(db)] == [
        "bob followed you", "carol joined your fan club", "dave unfollowed you",
    ]  # fmt: skip


async def test_quiet_hours_mark_the_alert_quiet(db: Database) -> None:
    """T0 is midnight UTC: quiet 23:00–01:00 in UTC covers it, 02:00–03:00 does not (a night spanning
    midnight)."""
    quiet = await _rule(db, "new_follower", NoParams(), quiet=QuietHours(23 * 60, 60, "UTC"))
    loud = await _rule(db, "new_follower", NoParams(), quiet=QuietHours(120, 180, "UTC"))
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(1, "follow", "bob")])
    assert {(a["rule_id"], a["quiet"]) for a in await _alerts(db)} == {(quiet, 1), (loud, 0)}


async def test_a_list_member_and_a_smart_list_member_entering(db: Database) -> None:
    """Rules by relationship list (VIP) and by smart list (Regulars is not matched by a stranger)."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(1, "chatMessage", "vera")])
    async with db.transaction() as conn:
        vip = next(lst.id for lst in await fan_lists.list_lists(conn) if lst.builtin == "vip")
        vera = await persons.get_person_id(conn, "vera")
        assert vera is not None
        await fan_lists.add_member(conn, vip, vera, added_by=None)  # type: ignore[arg-type]
    await _rule(db, "fan_enters", FanEnters(list_ids=(vip,)))
    await _rule(db, "fan_enters", FanEnters(smart=("regulars",)))
    await ingest(db, [f.event(2, "userEnter", "vera"), f.event(3, "userEnter", "stranger")])
    found = await _alerts(db)
    assert [(a["title"], a["body"]) for a in found] == [("vera entered your room", "On VIP.")]


async def test_a_lapsed_fan_returns_after_days_away(db: Database) -> None:
    """A tipper away for 40 days (lapsed after 30) returns: alerted; one away for 2 days is not."""
    await _rule(db, "fan_returns", FanReturns(lapsed=True, min_days_away=14))
    f = Feed()
    await ingest(db, [
        f.event(0, "broadcastStart", ROOM), f.event(1, "tip", "larry", tokens=2000),
        f.event(2, "broadcastStop", ROOM),
    ])  # fmt: skip
    days = 24 * 60
    await ingest(
        db, [f.event(38 * days, "broadcastStart", ROOM), f.event(38 * days + 1, "chatMessage", "nina")]
    )
    await ingest(db, [f.event(40 * days, "userEnter", "larry"), f.event(40 * days + 1, "userEnter", "nina")])
    found = await _alerts(db)
    assert [a["title"] for a in found] == ["larry (Silver, 2,000 tokens lifetime) is back after 39 days"]
    assert found[0]["raised_at"] == to_db(T0 + timedelta(minutes=40 * days))


def test_the_smart_list_keys_match_the_fans_page() -> None:
    from typing import get_args

    from service.alert_rules import SMART_LABELS, SmartKey

    assert list(get_args(SmartKey)) == list(fans.LIST_KEYS) == list(SMART_LABELS)
    assert {s.key: s.label for s in fans.LISTS} == SMART_LABELS
