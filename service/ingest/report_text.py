"""Sentences made of parts, so one report is both plain text (an alert's body) and a page's HTML.

A sentence is a list of parts: a plain string, `{"time": iso}` (a moment, shown in the reader's time
zone on a page, in UTC in text), `{"num": n}` (a figure) or `{"user": name, "tier": name | None}` (a
fan, linked on a page). Parts are JSON, so a report is stored as it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.clock import from_db

Part = str | dict[str, Any]
Sentence = list[Part]


def num(value: float) -> dict[str, Any]:
    return {"num": round(value, 1) if isinstance(value, float) and not value.is_integer() else int(value)}


def time(at: str) -> dict[str, Any]:
    return {"time": at}


def user(name: str, tier: str | None = None, rank: int | None = None) -> dict[str, Any]:
    """A fan, with their spend tier's name and rank (for its colour) when they have one."""
    return {"user": name, "tier": tier, "rank": rank}


def counted(value: float, noun: str) -> Sentence:
    """[figure, " noun"] with the noun in the plural unless the figure is exactly 1."""
    return [num(value), f" {noun}" if value == 1 else f" {noun}s"]


def names(users: Sequence[Part], *, limit: int = 8) -> Sentence:
    """ "a, b and c" (with "and N more" past `limit`)."""
    shown = list(users[:limit])
    rest = len(users) - len(shown)
    parts: Sentence = []
    for index, item in enumerate(shown):
        if index:
            last = index == len(shown) - 1 and not rest
            parts.append(" and " if last else ", ")
        parts.append(item)
    if rest:
        parts += [" and ", num(rest), " more"]
    return parts


def part_text(part: Part) -> str:
    if isinstance(part, str):
        return part
    if "time" in part:
        return from_db(part["time"]).strftime("%Y-%m-%d %H:%M UTC")
    if "num" in part:
        value = part["num"]
        return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    return str(part["user"]) + (f" ({part['tier']})" if part.get("tier") else "")


def sentence_text(sentence: Sentence) -> str:
    return "".join(part_text(part) for part in sentence)


def text(sentences: Sequence[Sentence], *, limit: int | None = None) -> str:
    """The sentences as plain text, one after another (the first `limit` only, when given)."""
    chosen = sentences if limit is None else sentences[:limit]
    return " ".join(sentence_text(sentence) for sentence in chosen)


def percent_change(value: float, average: float | None) -> float | None:
    if average is None or average == 0:
        return None
    return (value - average) / average


def against(value: float, average: float | None, what: Sentence) -> Sentence:
    """ "25 % above the average of <what> (987)", "in line with …" within ±5 %."""
    change = percent_change(value, average)
    if average is None:
        return []
    if change is None:
        return ["above the average of ", *what, " (0)"] if value > 0 else ["the same as ", *what, " (0)"]
    if abs(change) < 0.05:
        return ["in line with the average of ", *what, " (", num(round(average)), ")"]
    direction = "above" if change > 0 else "below"
    return [
        num(round(abs(change) * 100)),
        f" % {direction} the average of ",
        *what,
        " (",
        num(round(average)),
        ")",
    ]
