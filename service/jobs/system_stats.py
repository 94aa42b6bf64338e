"""Hourly measurement of the service's footprint, so Admin › System Stats can chart its growth."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from service.clock import utcnow
from service.jobs.base import JobContext, JobSpec
from service.store import system_stats
from service.store.system_stats import SystemStat

IMAGES_DIR = "images"


def directory_usage(root: Path) -> tuple[int, int]:
    """(bytes, files) under `root`; a missing directory is an empty store, not an error."""
    total = files = 0
    if not root.is_dir():
        return 0, 0
    for path in root.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
                files += 1
        except FileNotFoundError:  # removed while we walked: it no longer counts
            continue
    return total, files


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


async def measure(context: JobContext) -> SystemStat:
    # Walking the image store is blocking file I/O; keep it off the event loop.
    image_bytes, image_files = await asyncio.to_thread(directory_usage, context.data_dir / IMAGES_DIR)
    wal = Path(f"{context.db.path}-wal")
    wal_bytes = await asyncio.to_thread(_file_size, wal)
    async with context.db.read() as conn:
        db_bytes = await system_stats.database_bytes(conn)
        rows = await system_stats.table_row_counts(conn)
    return SystemStat(
        recorded_at=utcnow(),
        db_bytes=db_bytes,
        wal_bytes=wal_bytes,
        image_bytes=image_bytes,
        image_files=image_files,
        table_rows=rows,
    )


async def run(context: JobContext) -> str:
    stat = await measure(context)
    async with context.db.transaction() as conn:
        await system_stats.insert_stat(conn, stat)
    mib = stat.total_db_bytes / 2**20
    return (
        f"database {mib:.1f} MiB, {sum(stat.table_rows.values())} rows in {len(stat.table_rows)} tables; "
        f"{stat.image_files} images ({stat.image_bytes / 2**20:.1f} MiB)"
    )


SPEC = JobSpec(
    name="system_stats",
    title="System statistics",
    description="Records the database size, rows per table and the image store's size and file "
    "count, for the growth charts in Admin › System Stats.",
    default_interval=timedelta(hours=1),
    run=run,
)
