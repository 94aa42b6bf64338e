"""Fake CBHours API: GET /api.php?action=get_live|get_activity|get_months.

Names outside `tracked` get error 300 with HTTP 200, as CBHours answers for models missing from
its trophy database. get_live leaves them out by default; how CBHours really answers a get_live
batch with untracked names is undocumented (apis.md §4) and it has been seen refusing a whole
batch of them with error 300, so `refuse_untracked` serves that too: "all" refuses a batch in
which no name is tracked, "any" a batch with at least one untracked name.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any, Literal

from aiohttp import web

from . import FakeUpstream, build_app, json_response, load_fixture

PATH = "/api.php"

ERROR_300 = load_fixture("cbhours", "error_300.json")


class CBHoursFake(FakeUpstream):
    """`live` entries by name, one `activity` body per name (filtered to the asked dates), `months`."""

    def __init__(
        self,
        *,
        live: dict[str, dict[str, Any]] | None = None,
        activity: dict[str, dict[str, Any]] | None = None,
        months: dict[str, list[str]] | None = None,
        refuse_untracked: Literal["never", "all", "any"] = "never",
    ) -> None:
        super().__init__()
        self.refuse_untracked = refuse_untracked
        self.live = live if live is not None else load_fixture("cbhours", "get_live.json")["data"]
        if activity is None:
            body = load_fixture("cbhours", "get_activity.json")
            activity = {body["model"]: body}
        self.activity = activity
        self.months = (
            months if months is not None else {"lisbon_lifter": load_fixture("cbhours", "get_months.json")}
        )

    async def api(self, request: web.Request) -> web.Response:
        query = request.query
        action = query.get("action")
        if action == "get_live":
            return json_response(self._live(query.get("usernames", "")))
        name = query.get("username", "").lower()
        if action == "get_activity" and name in self.activity:
            return json_response(self._activity(name, query.get("start_date", ""), query.get("end_date", "")))
        if action == "get_months" and name in self.months:
            return json_response(self.months[name])
        if action in ("get_activity", "get_months"):
            return json_response(ERROR_300)
        return json_response({"status": "error", "message": "Error Code:100 Unknown action"})

    def _live(self, usernames: str) -> dict[str, Any]:
        names = [n for n in usernames.split(",") if n]
        if len(names) > 50:
            return {"status": "error", "message": "Error Code:200 Too many usernames"}
        data = {n: self.live[n] for n in names if n in self.live}
        untracked = len(names) - len(data)
        if untracked and ((self.refuse_untracked == "all" and not data) or self.refuse_untracked == "any"):
            return dict(ERROR_300)
        # PHP encodes an empty associative array as [].
        return {"server_status": "up", "data": data or []}

    def _activity(self, name: str, start: str, end: str) -> dict[str, Any]:
        body = copy.deepcopy(self.activity[name])
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            return {"status": "error", "message": "Error Code:400 Bad dates"}

        def keep(day: str) -> bool:
            return first <= date.fromisoformat(day) <= last

        body["activity"] = {d: v for d, v in body.get("activity", {}).items() if keep(d)} or []
        body["details"] = {d: v for d, v in body.get("details", {}).items() if keep(d)} or []
        return body


def make_app(fake: CBHoursFake | None = None) -> web.Application:
    """The fake CBHours app; keep `fake` (or read `app[FAKE]`) for requests and faults."""
    fake = fake if fake is not None else CBHoursFake()
    return build_app(fake, [web.get(PATH, fake.api)])
