"""Profile of a busy person at 100,000 persons: 3,000 Affiliate sessions and 30,000 follower-history rows
(plus CBHours activity, room events, the fan ledger, a list and notes), for the default 30-day window and
for all time. Baseline in the same run: the same page of a person with one session.

GET /profile/<name> through the full HTTP stack (benchmarks/page_timing.py) on the shared generated
database (benchmarks/busy_data.py).
"""

from __future__ import annotations

import asyncio

from benchmarks import busy_data, figures
from benchmarks.page_timing import signed_in, timings

TARGET_30_MS = 30.0
TARGET_ALL_MS = 60.0


async def measure() -> dict[str, tuple[float, float, int]]:
    pages = {
        "quiet, 30 days": f"/profile/{busy_data.QUIET}",
        "busy, 30 days": f"/profile/{busy_data.BUSY}",
        "busy, all time": f"/profile/{busy_data.BUSY}?days=all",
        "busy, all time (JSON)": f"/profile/{busy_data.BUSY}.json?days=all",
    }
    async with signed_in(busy_data.database()) as client:
        results = {}
        for label, url in pages.items():
            wall, cpu, body = await timings(client, url)
            results[label] = (wall, cpu, len(body.encode()))
    return results


def main() -> bool:
    results = asyncio.run(measure())
    print("   GET /profile/<name>, full HTTP stack, median of 7 after one warm-up (wall, and CPU):")
    for label, (wall, cpu, size) in results.items():
        print(f"   {wall:7.1f} ms  (cpu {cpu:6.1f} ms)  {size / 1024:7.0f} KiB  {label}")
    baseline = f"{results['quiet, 30 days'][0]:.1f} ms (one-session person)"
    month, ever = results["busy, 30 days"][0], results["busy, all time"][0]
    figures.record("Profile of a busy person at 100k", f"{month:.1f} ms", f"≤ {TARGET_30_MS:.0f} ms",
                   baseline, month <= TARGET_30_MS)  # fmt: skip
    figures.record("Profile of a busy person, all time", f"{ever:.1f} ms", f"≤ {TARGET_ALL_MS:.0f} ms",
                   baseline, ever <= TARGET_ALL_MS)  # fmt: skip
    return month <= TARGET_30_MS and ever <= TARGET_ALL_MS


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
