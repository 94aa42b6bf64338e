"""Stats API: the broadcaster's own numbers, every 5 minutes while live, every 15 when offline."""

from __future__ import annotations

from datetime import timedelta

from service.clock import from_db, to_db, utcnow
from service.jobs.base import JobContext, JobSpec
from service.sources.http import RateLimiter, RetryPolicy
from service.sources.stats import StatsClient
from service.sources.stats.models import StatsSnapshot
from service.sources.stats.spec import SPEC as STATS
from service.store import stats as stats_store

# The upstream refreshes every 5 minutes; while the room is offline little moves, so the job
# (scheduled every 5) only asks every 15.
OFFLINE_INTERVAL = timedelta(minutes=15)


def to_row(snapshot: StatsSnapshot) -> stats_store.StatsRow:
    return stats_store.StatsRow(
        username=snapshot.username.lower(),
        token_balance=snapshot.token_balance,
        tips_in_last_hour=snapshot.tips_in_last_hour,
        votes_up=snapshot.votes_up,
        votes_down=snapshot.votes_down,
        satisfaction_score=snapshot.satisfaction_score,
        last_broadcast=to_db(snapshot.last_broadcast) if snapshot.last_broadcast else None,
        time_online=snapshot.time_online,
        num_followers=snapshot.num_followers,
        num_viewers=snapshot.num_viewers,
        num_registered_viewers=snapshot.num_registered_viewers,
        num_tokened_viewers=snapshot.num_tokened_viewers,
    )


async def poll(
    context: JobContext, *, retry: RetryPolicy | None = None, limiter: RateLimiter | None = None
) -> str:
    config = context.config
    async with context.db.read() as conn:
        previous = await stats_store.latest(conn, config.broadcaster)
    if previous and previous.time_online is None:
        due = from_db(previous.last_fetched_at) + OFFLINE_INTERVAL
        if utcnow() < due:
            return f"offline at the last check; next check after {to_db(due)}"
    client = StatsClient(context.http, config.stats_url, retry=retry, limiter=limiter)
    snapshot = await client.get_stats(config.broadcaster, config.stats_token)
    row = to_row(snapshot)
    async with context.db.transaction() as conn:
        new = await stats_store.record_snapshot(conn, row, fetched_at=to_db(snapshot.fetched_at))
    live = f"live for {row.time_online} min" if row.time_online is not None else "offline"
    kept = "new snapshot stored" if new else "unchanged since the last snapshot"
    return f"{live}, {row.num_followers} followers, {row.num_viewers} viewers; {kept}"


async def run(context: JobContext) -> str:
    return await poll(context)


SPEC = JobSpec(
    name="stats",
    title="Stats API snapshot",
    description="Reads the broadcaster's Stats API figures (balance, votes, followers, viewers) and "
    "keeps every distinct snapshot; every 5 minutes while live, every 15 while offline.",
    default_interval=timedelta(minutes=5),
    run=run,
    upstream=STATS,
)
