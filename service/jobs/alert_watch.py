"""Alerts that no event raises: a source or the Events stream failing, the extension falling silent.

Runs on the scheduler every two minutes. For each enabled `source_failing` rule, a job whose runs have
failed for at least the rule's minutes (since its first failed run after its last good one), or an
Events stream that has completed no poll for that long (stalled, backing off, unable to store, or
stopped on a fatal error; "not configured" is not a failure), raises one alert. The trigger key
names the failure by its start ("job:affiliate:<first failed run>", "events:<last completed poll>"),
so one failure alerts once, however often the job runs, and the next failure alerts again. For each
`extension_silent` rule, no report from any paired extension for the rule's days raises one alert
per silence ("extension:<last report>").
"""

from __future__ import annotations

from datetime import datetime, timedelta

from service.alert_rules import ExtensionSilent, Rule, SourceFailing
from service.clock import to_db, utcnow
from service.jobs.base import JobContext, JobSpec
from service.store import alert_rules, alert_watch, alerts
from service.store.alerts import NewAlert
from service.store.room import StreamState, get_stream_state

NAME = "alert_watch"


def watches(params: SourceFailing, name: str) -> bool:
    """Whether a source_failing rule covers a job (or "events"): no `sources` = every one; a source
    key covers its jobs ("cbhours" covers cbhours_live and cbhours_activity)."""
    return not params.sources or any(name == s or name.startswith(f"{s}_") for s in params.sources)


def in_quiet_hours(rule: Rule, moment: datetime) -> bool:
    return rule.quiet is not None and rule.quiet.contains(moment)


def stream_failure(state: StreamState | None, now: datetime, minutes: int) -> tuple[datetime, str] | None:
    """(failing since, why) when the Events stream has completed no poll for `minutes`."""
    if state is None or state.state == "not_configured":
        return None
    since = state.last_poll_at or state.updated_at
    if now - since < timedelta(minutes=minutes):
        return None
    if state.state in ("starting", "connected"):
        return since, "it is stalled: no poll has completed"
    detail = f" ({state.detail})" if state.detail else ""
    return since, f"it is {state.state.replace('_', ' ')}{detail}"


def _minutes_text(since: datetime, now: datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


async def _source_alerts(context: JobContext, rules: list[Rule], now: datetime) -> list[NewAlert]:
    async with context.db.read() as conn:
        failures = await alert_watch.failing_jobs(conn)
        stream = await get_stream_state(conn)
    raised: list[NewAlert] = []
    for rule in rules:
        params = rule.params
        assert isinstance(params, SourceFailing)
        minutes = params.minutes
        quiet = in_quiet_hours(rule, now)
        for failure in failures:
            if failure.job == NAME or not watches(params, failure.job):
                continue
            if now - failure.since >= timedelta(minutes=minutes):
                trigger = f"job:{failure.job}:{to_db(failure.since)}"
                raised.append(NewAlert(
                    rule_id=rule.id, kind="source_failing", trigger_key=trigger,
                    title=f"The job “{failure.job}” has been failing for {_minutes_text(failure.since, now)}",
                    body=failure.error[:500], url="/admin/jobs", quiet=quiet,
                ))  # fmt: skip
        found = stream_failure(stream, now, minutes) if watches(params, "events") else None
        if found is not None:
            since, why = found
            raised.append(NewAlert(
                rule_id=rule.id, kind="source_failing", trigger_key=f"events:{to_db(since)}",
                title=f"The Events stream has stored nothing for {_minutes_text(since, now)}",
                body=f"The Events API stream needs attention: {why}.", url="/admin/events", quiet=quiet,
            ))  # fmt: skip
    return raised


async def _extension_alerts(context: JobContext, rules: list[Rule], now: datetime) -> list[NewAlert]:
    async with context.db.read() as conn:
        last = await alert_watch.extension_last_report(conn)
    if last is None:
        return []
    raised = []
    for rule in rules:
        assert isinstance(rule.params, ExtensionSilent)
        days = rule.params.days
        if now - last >= timedelta(days=days):
            silent = (now - last).days
            raised.append(NewAlert(
                rule_id=rule.id, kind="extension_silent", trigger_key=f"extension:{to_db(last)}",
                title=f"The extension has not reported for {silent} day{'s' if silent != 1 else ''}",
                body="Open Chrome with the extension so follower and following lists stay current.",
                url="/admin/extension", quiet=in_quiet_hours(rule, now),
            ))  # fmt: skip
    return raised


async def run(context: JobContext) -> str:
    return await watch(context, utcnow())


async def watch(context: JobContext, now: datetime) -> str:
    """Evaluate the rules as of `now`; raise what is due (once per failure), then wake the listeners."""
    async with context.db.read() as conn:
        source_rules = await alert_rules.enabled_rules(conn, frozenset({"source_failing"}))
        silent_rules = await alert_rules.enabled_rules(conn, frozenset({"extension_silent"}))
    candidates = [
        *(await _source_alerts(context, source_rules, now) if source_rules else []),
        *(await _extension_alerts(context, silent_rules, now) if silent_rules else []),
    ]
    raised = 0
    if candidates:
        async with context.db.transaction() as conn:
            for alert in candidates:
                raised += await alerts.raise_alert(conn, alert, at=to_db(now)) is not None
    if raised:
        context.alerts_raised()
    rules = len(source_rules) + len(silent_rules)
    return (
        f"{rules} rule{'s' if rules != 1 else ''} checked; {raised} alert{'s' if raised != 1 else ''} raised"
    )


SPEC = JobSpec(
    name=NAME,
    title="Alert watch",
    description="Raises the alerts no event raises: a source or the Events stream failing for longer than "
    "a rule allows, the extension silent for days.",
    default_interval=timedelta(minutes=2),
    run=run,
    group="Alerts",
)
