"""A digest of a demo store's content, without its random keys and clock stamps.

    python bench/demo_digest.py STORE [--build N --seed S]

Prints one hash per table: two builds of the same size and seed give the same hashes when
the builder writes the same cases, incidents, people, notes and actions (ids, stamps and
the order rows were written in aside). Used to check that a faster builder builds the
same store.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SKIP = {"id", "updated_at", "origin", "pin_hash", "hash", "prev_hash", "at", "chain"}


def digest(path: Path) -> dict[str, str]:
    connection = sqlite3.connect(path)
    refs = dict(connection.execute('SELECT id, ref FROM "case"'))
    tables = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'case_search%' AND name NOT IN ('alembic_version', 'auditevent')")]
    found: dict[str, str] = {}
    for table in sorted(tables):
        columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')
                   if row[1] not in SKIP and not row[1].endswith("_id")]
        keyed = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')
                 if row[1] == "case_id"]
        select = ", ".join(f'"{c}"' for c in columns + keyed)
        rows = []
        for row in connection.execute(f'SELECT {select} FROM "{table}"'):
            row = list(row)
            if keyed:
                row[-1] = refs.get(row[-1], row[-1])
            rows.append(repr(row))
        rows.sort()
        hashed = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
        found[table] = f"{len(rows):>8} {hashed}"
    search = sorted(repr(r) for r in connection.execute(
        "SELECT ref, summary, location, people FROM case_search"))
    found["case_search"] = f"{len(search):>8} " + hashlib.sha256(
        "\n".join(search).encode()).hexdigest()[:16]
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("--build", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.build:
        from asbtui.db import open_store
        from asbtui.services.demo import build_demo

        with open_store(args.store, create=True) as store:
            build_demo(store, cases=args.build, seed=args.seed, as_of=AS_OF)
    for table, value in digest(args.store).items():
        print(f"{table:<24}{value}")


if __name__ == "__main__":
    main()
