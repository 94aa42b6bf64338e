"""Fake Statbate Plus API under /api: member info/tips/batch, model info/rank, Bearer auth."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from . import FakeUpstream, build_app, json_response, load_fixture

PREFIX = "/api"
DEFAULT_TOKEN = "eyJhbGciOiJIUzI1NiJ9.fake-statbate-token.c2lnbmF0dXJl"


def make_tips(n: int, *, model: str = "my_room", rid: int = 90123) -> list[dict[str, Any]]:
    """`n` tips, newest first, one minute apart."""
    return [
        {
            "time": f"2026-01-01T{23 - (i // 60) % 24:02d}:{59 - i % 60:02d}:00Z",
            "model": model,
            "rid": rid,
            "tokens": 10 + i,
            "usd": round((10 + i) * 0.05, 2),
        }
        for i in range(n)
    ]


class StatbateFake(FakeUpstream):
    """Known members/models by name; everything else is 404 as the real API answers."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        members: dict[str, dict[str, Any]] | None = None,
        tips: dict[str, list[dict[str, Any]]] | None = None,
        models: dict[str, dict[str, Any]] | None = None,
        ranks: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.members = members if members is not None else load_fixture("statbate", "members.json")
        self.tips = (
            tips if tips is not None else {"fan_42": load_fixture("statbate", "member_tips.json")["data"]}
        )
        if models is None:
            info = load_fixture("statbate", "model_info.json")["data"]
            models = {info["name"]: info}
        self.models = models
        if ranks is None:
            rank = load_fixture("statbate", "model_rank.json")["data"]
            ranks = {rank["name"]: rank}
        self.ranks = ranks

    @web.middleware
    async def auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return json_response(load_fixture("statbate", "unauthenticated.json"), status=401)
        response: web.StreamResponse = await handler(request)
        return response

    @staticmethod
    def _meta(request: web.Request, **extra: Any) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "site": request.match_info["site"],
            "timezone": request.query.get("timezone", "UTC"),
        }
        if "range[0]" in request.query:
            meta["range"] = [request.query["range[0]"], request.query.get("range[1]")]
        return {**meta, **extra}

    async def batch(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        names = body.get("names") if isinstance(body, dict) else None
        if not isinstance(names, list) or not names:
            return json_response(load_fixture("statbate", "batch_names_required.json"), status=422)
        data = [
            {**self.members[n], "error": None}
            if n in self.members
            else {"name": n, "did": None, "error": "Member not found"}
            for n in names
        ]
        found = sum(1 for n in names if n in self.members)
        return json_response({"data": data, "meta": self._meta(request, found=found, requested=len(names))})

    async def member_info(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.members:
            return json_response({"error": "Member not found"}, status=404)
        return json_response({"data": self.members[name], "meta": self._meta(request)})

    async def member_tips(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.members:
            return json_response({"error": "Member not found"}, status=404)
        tips = self.tips.get(name, [])
        per_page = min(int(request.query.get("per_page", "20")), 200)
        page = int(request.query.get("page", "1"))
        last_page = max(1, math.ceil(len(tips) / per_page))
        chunk = tips[(page - 1) * per_page : page * per_page]
        start = (page - 1) * per_page + 1
        pagination = {
            "total": len(tips),
            "per_page": per_page,
            "current_page": page,
            "last_page": last_page,
            "from": start if chunk else None,
            "to": start + len(chunk) - 1 if chunk else None,
        }
        member = {"id": self.members[name].get("did"), "name": name}
        return json_response(
            {"data": chunk, "meta": self._meta(request, member=member, pagination=pagination)}
        )

    async def model_info(self, request: web.Request) -> web.Response:
        return self._model(request, self.models)

    async def model_rank(self, request: web.Request) -> web.Response:
        return self._model(request, self.ranks)

    def _model(self, request: web.Request, table: dict[str, dict[str, Any]]) -> web.Response:
        name = request.match_info["name"]
        if name not in table:
            return json_response(load_fixture("statbate", "model_not_found.json"), status=404)
        return json_response({"data": table[name], "meta": self._meta(request)})


def make_app(fake: StatbateFake | None = None) -> web.Application:
    """The fake Statbate app (base URL = server URL + "/api"); keep `fake` for requests and faults."""
    fake = fake if fake is not None else StatbateFake()
    api = web.Application(middlewares=[fake.auth])
    api.add_routes(
        [
            web.post("/members/{site}/info/batch", fake.batch),
            web.get("/members/{site}/{name}/info", fake.member_info),
            web.get("/members/{site}/{name}/tips", fake.member_tips),
            web.get("/model/{site}/{name}/info", fake.model_info),
            web.get("/model/{site}/{name}/rank", fake.model_rank),
        ]
    )
    app = build_app(fake, [])
    app.add_subapp(PREFIX, api)
    return app
