#!/usr/bin/env python3
"""Copy a migration's statements into its marked block of schema.sql.

schema.sql must stay the complete current schema, and tests/test_schema.py proves it equals the
migrations. Each migration NNNN owns the block between `-- >>> NNNN` and `-- <<< NNNN` in
schema.sql; running `scripts/sync-schema-block.py NNNN` after editing the migration keeps the two
identical (the migration's first comment line, its title, is not copied).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(number: str) -> int:
    migration = next((ROOT / "service/store/migrations").glob(f"{number}_*.sql"))
    body = migration.read_text(encoding="utf-8").split("\n", 1)[1].strip("\n")
    schema_path = ROOT / "schema.sql"
    schema = schema_path.read_text(encoding="utf-8")
    start, end = f"-- >>> {number}\n", f"-- <<< {number}\n"
    head, rest = schema.split(start, 1)
    _old, tail = rest.split(end, 1)
    schema_path.write_text(f"{head}{start}{body}\n{end}{tail}", encoding="utf-8")
    print(f"schema.sql block {number} now holds {migration.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
