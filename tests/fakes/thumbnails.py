"""Fake thumbnail CDN: GET /ri/<name> serves the bytes set in `images` (404 otherwise)."""

from __future__ import annotations

from aiohttp import web

from . import FakeUpstream, build_app


class ThumbnailFake(FakeUpstream):
    def __init__(self, images: dict[str, tuple[bytes, str]] | None = None) -> None:
        super().__init__()
        self.images = images if images is not None else {}

    async def thumb(self, request: web.Request) -> web.Response:
        found = self.images.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404, text="not found")
        body, content_type = found
        return web.Response(body=body, content_type=content_type)


def make_app(fake: ThumbnailFake | None = None) -> web.Application:
    fake = fake if fake is not None else ThumbnailFake()
    return build_app(fake, [web.get("/ri/{name}", fake.thumb)])
