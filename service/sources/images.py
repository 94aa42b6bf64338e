"""Downloading room thumbnails, and recognising the placeholder images the CDN serves.

Thumbnails are plain HTTP GETs with no auth. A placeholder (no picture yet) is recognised by
its URL or, as apis.md §1 quirk (e) records, by being a JPEG of about 5,045 bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from service.sources.base import SourceConnectionError, SourceResponseError
from service.sources.http import RateLimiter, status_error

SOURCE = "images"
MAX_BYTES = 2 * 1024 * 1024
# Enough of an error page for its snippet.
ERROR_BODY_BYTES = 4096
PLACEHOLDER_URL = re.compile(r"no_image|noimage|placeholder|default_avatar", re.IGNORECASE)
PLACEHOLDER_JPEG_BYTES = 5045
PLACEHOLDER_TOLERANCE = 100
CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


@dataclass(frozen=True, slots=True)
class FetchedImage:
    content: bytes
    content_type: str

    @property
    def extension(self) -> str:
        return CONTENT_TYPES[self.content_type]


def is_placeholder_url(url: str) -> bool:
    return bool(PLACEHOLDER_URL.search(url))


def is_placeholder(url: str, image: FetchedImage) -> bool:
    if is_placeholder_url(url):
        return True
    return (
        image.content_type == "image/jpeg"
        and abs(len(image.content) - PLACEHOLDER_JPEG_BYTES) <= PLACEHOLDER_TOLERANCE
    )


class ImageClient:
    def __init__(self, http: httpx.AsyncClient, *, limiter: RateLimiter | None = None) -> None:
        self._http = http
        self._limiter = limiter

    async def fetch(self, url: str) -> FetchedImage:
        """The image at `url`; SourceResponseError for a non-image, an error status or one too big."""
        if not url.startswith(("http://", "https://")):
            raise SourceResponseError(f"{SOURCE}: not an http(s) URL")
        if self._limiter is not None:
            await self._limiter.wait()
        try:
            request = self._http.build_request("GET", url, timeout=httpx.Timeout(20.0, connect=10.0))
        except httpx.InvalidURL as exc:
            # A control character or a bad host in the feed's URL; InvalidURL is no HTTPError.
            raise SourceResponseError(f"{SOURCE}: unusable URL ({exc})") from None
        try:
            response = await self._http.send(request, stream=True)
            try:
                if response.status_code != 200:
                    raise status_error(response, SOURCE, (), body=await _start_of(response))
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if content_type not in CONTENT_TYPES:
                    raise SourceResponseError(f"{SOURCE}: not an image ({content_type or 'no type'})")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise SourceResponseError(f"{SOURCE}: image larger than {MAX_BYTES} bytes")
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise SourceConnectionError(
                f"{SOURCE}: could not reach the image host ({type(exc).__name__})"
            ) from exc
        return FetchedImage(bytes(body), content_type)


async def _start_of(response: httpx.Response) -> bytes:
    """The first bytes of a streamed body: an error page is never read whole."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= ERROR_BODY_BYTES:
            break
    return bytes(body[:ERROR_BODY_BYTES])
