"""The Statbate job against the fake on loopback: member batches, model info, tips on demand."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from service.jobs import statbate
from service.jobs.base import JobContext
from service.store import lookup, persons
from service.store import statbate as statbate_store
from service.store.db import Database
from tests.fakes import Fault
from tests.fakes.statbate import DEFAULT_TOKEN, PREFIX, StatbateFake, make_app, make_tips
from tests.support.upstreams import FAST, NO_PACING, context, rows, run_via_runner


async def _ctx(aiohttp_server: Any, db: Database, http: httpx.AsyncClient, fake: StatbateFake) -> JobContext:
    server = await aiohttp_server(make_app(fake))
    return context(db, http, statbate_url=str(server.make_url(PREFIX)), statbate_token=DEFAULT_TOKEN)


async def _refresh(ctx: JobContext) -> str:
    return (await statbate.refresh(ctx, retry=FAST, limiter=NO_PACING)).summary


SPEC = dataclasses.replace(statbate.SPEC, run=_refresh)


async def _track(db: Database, *names: str, models: tuple[str, ...] = ()) -> None:
    async with db.transaction() as conn:
        for name in names:
            pid = await lookup.enqueue(conn, name, 2, "", "owner")
            if name in models:
                await persons.set_role(conn, pid, "model")


async def test_members_in_batches_models_one_by_one(aiohttp_server, db, http) -> None:
    """150 members: 2 batch requests; a known and an unknown model; flags record both answers."""
    fake = StatbateFake()
    viewers = ["fan_42", *[f"ghost_{i:03d}" for i in range(149)]]
    await _track(db, *viewers, "my_room", "nobody_model", models=("my_room", "nobody_model"))
    ctx = await _ctx(aiohttp_server, db, http, fake)
    summary = await _refresh(ctx)
    assert summary.startswith("1/150 members and 1/2 models known to Statbate (0 failed)")
    batch_sizes = [len(r.json()["names"]) for r in fake.requests if r.method == "POST"]
    assert batch_sizes == [100, 50]
    roles = await rows(
        db, "SELECT username, role FROM person_state WHERE username IN ('fan_42', 'ghost_000', 'my_room')"
    )
    assert {r["username"]: r["role"] for r in roles} == {
        "fan_42": "viewer",
        "ghost_000": "unknown",
        "my_room": "model",
    }
    (member,) = await rows(db, "SELECT did, all_time_tokens FROM statbate_member_info")
    assert member == {"did": 5512309877, "all_time_tokens": 48210}  # int64 kept
    (model,) = await rows(db, "SELECT rid, rank, income_tokens FROM statbate_model_info")
    assert model["rid"] == 90123
    flags = await rows(
        db,
        "SELECT p.username, f.statbate_model_status FROM person_source_flags f JOIN persons p "
        "ON p.id = f.person_id WHERE f.statbate_model_status IS NOT NULL ORDER BY p.username",
    )
    assert [(f["username"], f["statbate_model_status"]) for f in flags] == [
        ("my_room", "found"), ("nobody_model", "not_found"),
    ]  # fmt: skip


async def test_tips_are_fetched_only_on_demand_and_once(aiohttp_server, db, http) -> None:
    fake = StatbateFake(tips={"fan_42": make_tips(250)})
    ctx = await _ctx(aiohttp_server, db, http, fake)
    await _refresh(ctx)
    assert not [r for r in fake.requests if r.path.endswith("/tips")]
    async with db.transaction() as conn:
        pid = (await persons.ensure_persons(conn, ["fan_42"]))["fan_42"]
        await statbate_store.request_tips(conn, pid)
    assert (await _refresh(ctx)).endswith("250 new tips")
    assert len([r for r in fake.requests if r.path.endswith("/tips")]) == 2  # two pages of 200
    async with db.transaction() as conn:
        await statbate_store.request_tips(conn, pid)
    assert (await _refresh(ctx)).endswith("0 new tips")
    (count,) = await rows(db, "SELECT count(*) AS n FROM statbate_member_tips")
    assert count["n"] == 250


async def test_faults_and_a_bad_token(aiohttp_server, db, http) -> None:
    """429/500/slow retried; malformed JSON and a 401 are errors that never show the token."""
    fake = StatbateFake()
    await _track(db, "fan_42")
    fake.script(Fault.rate_limited(retry_after="1"), Fault.server_error(), Fault.slow(0.3))
    ctx = await _ctx(aiohttp_server, db, http, fake)
    assert (await run_via_runner(SPEC, ctx))[0] == "ok"
    fake.script(Fault.malformed(b'{"data": ['))
    assert (await run_via_runner(SPEC, ctx))[0] == "error"
    bad = dataclasses.replace(ctx, config=ctx.config.replace(statbate_token="not-the-token-9"))
    status, message, last_error = await run_via_runner(SPEC, bad)
    assert status == "error" and last_error is not None
    assert "not-the-token-9" not in message + last_error


async def test_not_configured_without_a_token(db, http) -> None:
    status, message, _ = await run_via_runner(statbate.SPEC, context(db, http))
    assert (status, message) == ("skipped", "not configured: no Statbate API token")


async def test_implausible_numbers_are_stored_as_unknown_and_counted(aiohttp_server, db, http) -> None:
    """Tokens beyond a billion, a rank of 0 and a room id beyond int64 become NULL; rows are kept."""
    fake = StatbateFake()
    fake.members["fan_42"] = {**fake.members["fan_42"], "all_time_tokens": 10**15, "last_tip_amount": -50}
    fake.models["my_room"] = {**fake.models["my_room"], "rank": 0, "rid": 2**64}
    await _track(db, "fan_42", "my_room", models=("my_room",))
    ctx = await _ctx(aiohttp_server, db, http, fake)
    status, message, _ = await run_via_runner(SPEC, ctx)
    assert status == "ok"
    assert message.endswith(
        "; 4 out-of-range values nulled (all_time_tokens 1, last_tip_amount 1, rank 1, rid 1)"
    )
    (member,) = await rows(db, "SELECT did, all_time_tokens, last_tip_amount FROM statbate_member_info")
    assert member == {"did": 5512309877, "all_time_tokens": None, "last_tip_amount": None}
    (model,) = await rows(db, "SELECT rid, rank, income_tokens FROM statbate_model_info")
    assert (model["rid"], model["rank"]) == (None, None) and model["income_tokens"] is not None


async def test_a_tip_out_of_range_is_skipped_and_counted_the_others_stored(aiohttp_server, db, http) -> None:
    """A tip of -5 tokens or with a room id beyond int64 is left out; the other tips are kept."""
    tips = make_tips(4)
    tips[1]["tokens"] = -5
    tips[2]["rid"] = 2**64
    fake = StatbateFake(tips={"fan_42": tips})
    ctx = await _ctx(aiohttp_server, db, http, fake)
    async with db.transaction() as conn:
        pid = (await persons.ensure_persons(conn, ["fan_42"]))["fan_42"]
        await statbate_store.request_tips(conn, pid)
    status, message, _ = await run_via_runner(SPEC, ctx)
    assert status == "ok"
    assert "; 2 new tips (2 skipped: out of range); 2 out-of-range values nulled (rid 1, tokens 1)" in message
    stored = await rows(db, "SELECT tokens FROM statbate_member_tips ORDER BY tokens")
    assert [t["tokens"] for t in stored] == [10, 13]
