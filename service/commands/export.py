"""`mhc export --format csv|json DIR [--include-notes]`: one file per data table (notes, private
data, only when asked for)."""

from __future__ import annotations

import json
from pathlib import Path

from service.commands.database import command_database
from service.csv_safe import SafeCsvWriter
from service.settings import Settings
from service.store import export


async def run(settings: Settings, fmt: str, directory: Path, *, include_notes: bool = False) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    async with (
        command_database(settings) as db,
        db.read() as conn,
    ):
        for table in export.exported_tables(include_notes=include_notes):
            names = await export.columns(conn, table)
            path = directory / f"{table}.{fmt}"
            count = 0
            with path.open("w", encoding="utf-8", newline="") as out:
                if fmt == "csv":
                    writer = SafeCsvWriter(out)
                    writer.writerow(names)
                    async for row in export.rows(conn, table):
                        writer.writerow(row)
                        count += 1
                else:
                    out.write("[")
                    async for row in export.rows(conn, table):
                        out.write(
                            ("," if count else "") + "\n" + json.dumps(dict(zip(names, row, strict=True)))
                        )
                        count += 1
                    out.write("\n]\n")
            print(f"{path}: {count} rows")
    return 0
