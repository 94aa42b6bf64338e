"""The one masker for secrets in text: every encoding a token can take on its way to us.

A token travels in URLs, so an upstream that echoes the request (an error page, a JSON error
body, httpx's own messages) shows it percent-encoded (`Ab%2Bcd`), form-encoded (`a+b`),
lower-case hex (`%2b`), encoded twice (`%252B`, a URL inside a URL), with PHP's JSON `\\/`
or HTML's `&amp;`. Replacing only the raw text misses all of those, so each secret becomes one
pattern in which every character may appear in any of these spellings, mixed freely.

Every error path uses `mask()`: the REST clients' messages, the Events client, the log
formatter, job errors before they are stored, and the status API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from html import escape

MASK = "***"
# Shorter values are not masked: a real token is far longer, and masking every "t" of a test
# token "t" would mangle each message while hiding nothing worth hiding.
MIN_SECRET_LENGTH = 4

# How a single character can be spelled besides itself, beyond the %XX escapes of its bytes.
_EXTRA_SPELLINGS = {" ": ("+",), "/": ("\\/",)}


def _spellings(char: str) -> list[str]:
    """Regex alternatives for one character of a secret."""
    options = [re.escape(char)]
    # Every byte percent-escaped, in either hex case, or escaped twice (%25 + hex).
    escaped = "".join(f"%(?:25)?{byte:02X}" for byte in char.encode("utf-8"))
    options.append(re.sub(r"[A-F]", lambda m: f"[{m.group()}{m.group().lower()}]", escaped))
    options += [re.escape(extra) for extra in _EXTRA_SPELLINGS.get(char, ())]
    html = escape(char, quote=True)
    if html != char:
        options += [re.escape(html), re.escape(f"&#{ord(char)};"), re.escape(f"&#x{ord(char):x};")]
    return options


def _pattern(secret: str) -> str:
    return "".join(f"(?:{'|'.join(_spellings(char))})" for char in secret)


@lru_cache(maxsize=32)
def _compiled(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    if not secrets:
        return None
    # Longest first, so a secret that contains another is masked whole.
    ordered = sorted(secrets, key=len, reverse=True)
    return re.compile("|".join(_pattern(secret) for secret in ordered))


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every known secret, in any of its encodings, replaced by MASK."""
    pattern = _compiled(tuple(sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH})))
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)
