"""The one masker: a secret is masked in every encoding an upstream may echo it in."""

from __future__ import annotations

import json
import re
from html import escape
from urllib.parse import quote, quote_plus, urlencode

import pytest

from service.redaction import MASK, mask

# Characters that change under every encoding: + / = & and a space.
TOKEN = "Ab+cd/ef=gh&ij kl-0123456789"


@pytest.mark.parametrize(
    "shown",
    [
        TOKEN,
        quote(TOKEN, safe=""),
        quote(TOKEN),  # "/" left as is
        quote_plus(TOKEN),
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(TOKEN, safe="")),  # %2b
        quote(quote(TOKEN, safe=""), safe=""),  # a URL inside a URL: %252B
        urlencode({"token": TOKEN}).split("=", 1)[1],
        json.dumps(TOKEN).strip('"').replace("/", "\\/"),  # PHP's json_encode escapes "/"
        escape(TOKEN),  # an HTML error page
    ],
)
def test_every_encoding_of_a_secret_is_masked(shown: str) -> None:
    text = f"GET /statsapi/?username=me&token={shown} -> 500: <p>{shown}</p>"
    masked = mask(text, [TOKEN])
    assert shown not in masked
    assert masked == f"GET /statsapi/?username=me&token={MASK} -> 500: <p>{MASK}</p>"


def test_longest_secret_first_and_other_text_untouched() -> None:
    """A secret containing another is masked whole; short values and empty strings are no secrets."""
    assert mask("a tokenABCDEF b tokenABC", ["tokenABC", "tokenABCDEF", "", "t"]) == f"a {MASK} b {MASK}"
    assert mask("nothing to see", ["tokenABC"]) == "nothing to see"
    assert mask("", ["tokenABC"]) == ""
