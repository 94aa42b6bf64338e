"""The first-run checklist: what a new user still has to do before the panel is useful.

Each step says its state in words and links to where it is done. A configured source counts as
working once one of its jobs (or, for the Events API, the stream) has succeeded; a source left
unconfigured is optional and never blocks the checklist, because which upstreams a broadcaster
uses is their choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from service.models import JobState
from service.settings import SourceSpec
from service.store import extension, onboarding
from service.store import jobs as job_store
from service.store.db import Connection
from service.web.keys import config_key, runner_key
from service.web.stream_view import stream_state


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    done: bool
    state: str  # one short sentence for the user
    link: str
    optional: bool = False  # shown, but does not keep the checklist open


@dataclass(frozen=True, slots=True)
class Checklist:
    steps: list[Step]

    @property
    def complete(self) -> bool:
        return all(step.done or step.optional for step in self.steps)

    @property
    def remaining(self) -> int:
        return sum(1 for step in self.steps if not (step.done or step.optional))


def _source_step(
    source: SourceSpec, missing: str | None, chosen: bool, states: list[JobState], stream: str | None
) -> Step:
    """`chosen`: the user set one of the source's settings (a source that needs none, left as it is,
    is optional until it works)."""
    title = source.label
    link = "/admin/settings"
    if missing:
        return Step(title, False, f"not set up ({missing}) — optional", link, optional=True)
    if stream == "connected" or any(s.last_ok_at for s in states):
        return Step(title, True, "working", "/admin/sources")
    errors = [s.last_error for s in states if s.last_status == "error" and s.last_error]
    if stream in ("stopped", "store_error", "backing_off"):
        errors.append(f"the stream is {stream.replace('_', ' ')}")
    optional = " — optional" if not chosen else ""
    if errors:
        return Step(title, False, f"failing: {errors[0]}{optional}", "/admin/sources", optional=not chosen)
    if not chosen:
        return Step(
            title, False, "needs no settings; not working yet — optional", "/admin/sources", optional=True
        )
    return Step(title, False, "configured; waiting for its first successful run", "/admin/sources")


async def checklist(request: web.Request, conn: Connection) -> Checklist:
    holder = request.app[config_key]
    config = holder.current
    specs = request.app[runner_key].specs
    states = await job_store.list_states(conn)
    stream = await stream_state(request, conn)
    steps = [
        Step(
            "Your broadcaster username",
            bool(config.broadcaster),
            f"set: {config.broadcaster}" if config.broadcaster else "not set yet",
            "/admin/settings",
        )
    ]
    for source in holder.sources:
        jobs = [states[name] for name, spec in specs.items() if spec.upstream is source and name in states]
        stream_now = stream.state if (stream and source.key == "events") else None
        chosen = any(
            holder.values[f.key].origin != "default" for f in source.fields if f.key in holder.values
        )
        steps.append(_source_step(source, source.missing_configuration(config), chosen, jobs, stream_now))
    paired = await extension.has_active_client(conn)
    steps.append(Step("Pair the Chrome extension", paired,
                      "paired" if paired else "not paired yet", "/admin/extension"))  # fmt: skip
    data = await onboarding.first_data(conn)
    steps.append(Step("First list run (following or followers)", data.list_run,
                      "received" if data.list_run else "press Update on Users › Following or Followers",
                      "/users/following"))  # fmt: skip
    arriving = "people are arriving" if data.persons else "nobody stored yet"
    steps.append(Step("First data", data.persons, arriving, "/users/directory"))
    return Checklist(steps)
