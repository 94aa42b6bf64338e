"""The service's resident memory during and after a 20,000-room affiliate sweep (issue 14: ≤ 120 MB).

A child process loads the service, opens a copy of the 100,000-person database of
bench_affiliate_sweep and runs the real affiliate job twice against the fake feed, which this
process serves on 127.0.0.1 (so the fake's generated rooms are not counted in the child). The child
reports its RSS before the sweeps (the same-run baseline: the service loaded, the database open),
the peak during each sweep (VmHWM, reset before it) and the RSS after each (benchmarks/sweep_process.py).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path

from aiohttp.test_utils import TestServer

from benchmarks import figures
from benchmarks.bench_affiliate_sweep import ROOMS, source_database
from tests.fakes.affiliate import PATH, AffiliateFake, generate_rooms, make_app

TARGET_MB = 120.0
ROW = "Service RSS, 20k-room sweep"


async def _measure() -> dict[str, float | str]:
    source = await source_database()
    server = TestServer(make_app(AffiliateFake(generate_rooms(ROOMS))), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "service.sqlite3"
            shutil.copyfile(source, path)
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "benchmarks.sweep_process", str(path), str(server.make_url(PATH)),
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, _ = await child.communicate()
            if child.returncode != 0:
                raise RuntimeError(f"the sweep process failed (exit {child.returncode})")
            result: dict[str, float | str] = json.loads(out.decode().strip().splitlines()[-1])
            return result
    finally:
        await server.close()


def main() -> bool:
    m = asyncio.run(_measure())
    before = float(m["before_mb"])
    peak = max(float(m["first_peak_mb"]), float(m["repeat_peak_mb"]))
    after = max(float(m["first_after_mb"]), float(m["repeat_after_mb"]))
    print(f"   first sweep: {m['first_summary']}")
    print(
        f"   CPU of the job in the service process: first {m['first_cpu_s']:.2f} s, "
        f"repeat {m['repeat_cpu_s']:.2f} s"
    )
    ok = True
    for label, value in (("peak during the sweeps", peak), ("after the sweeps", after)):
        met = value <= TARGET_MB
        ok &= met
        print(
            f"   {label}: {value:.0f} MB (target ≤ {TARGET_MB:.0f} MB; {before:.0f} MB before, same process)"
            f"{'' if met else '  MISSED'}"
        )
        figures.record(ROW, f"{label.split(' the')[0]}: {value:.0f} MB", f"≤ {TARGET_MB:.0f} MB",
                       f"{before:.0f} MB before the sweep", met)  # fmt: skip
    return ok


if __name__ == "__main__":
    main()
