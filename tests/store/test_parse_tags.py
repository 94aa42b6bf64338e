"""person_state.tags is JSON text the sources write; the Directory reads it for every row it shows."""

from __future__ import annotations

import pytest

from service.store.directory import parse_tags


@pytest.mark.parametrize(
    ("raw", "tags"),
    [
        ('["asian", "teen"]', ("asian", "teen")),
        ('["a", 1, "", null, "b", ["c"]]', ("a", "b")),  # only non-empty strings
        ('{"a": 1}', ()),
        ('"asian"', ()),
        ("not json", ()),
        ("", ()),
        (None, ()),
        ("[]", ()),
    ],
)
def test_tags_are_the_lists_non_empty_strings(raw: str | None, tags: tuple[str, ...]) -> None:
    assert parse_tags(raw) == tags
