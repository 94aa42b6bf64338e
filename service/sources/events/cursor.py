"""The stored form of an Events API cursor: the nextUrl without the token.

Every nextUrl carries the token as its last path segment. What is stored (and may end up in a
backup or an export) holds the placeholder `{token}` there instead, with a short fingerprint of the
token it was read with, so a replaced token is still noticed on resume without the old one being kept.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

TOKEN_PLACEHOLDER = "{token}"  # noqa: S105 - the placeholder, not a secret
_SEGMENT = f"/{TOKEN_PLACEHOLDER}/"


def without_token(url: str) -> str:
    """`url` (a feed URL `…/{username}/{token}/?query`) with the token segment replaced by the placeholder."""
    path, mark, query = url.partition("?")
    head, _, _token = path.rstrip("/").rpartition("/")
    return f"{head}{_SEGMENT}{mark}{query}"


def with_token(cursor: str, token: str) -> str:
    """The URL to poll for a stored cursor: the placeholder replaced by the (URL-quoted) token."""
    return cursor.replace(_SEGMENT, f"/{quote(token, safe='')}/", 1)


def holds_placeholder(cursor: str) -> bool:
    return _SEGMENT in cursor


def token_fingerprint(token: str) -> str:
    """Enough of the token's SHA-256 to tell two tokens apart; not enough to be of use to anyone else."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]
