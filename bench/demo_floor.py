"""The floor under ``asbtui demo``: SQLite's own work on a built store, with no app code.

    python bench/demo_floor.py STORE [--scratch DIR] [--threads N]

Works on a copy of STORE (made in ``--scratch``, removed after). For the tables the demo
loads in bulk it times, each in its own transaction, with the builder's settings (no
journal on disk, no syncs, a 1 GiB cache, the file mapped):

- **rows**: each table's rows written once into an empty copy of the table (its key's
  index only, keys in the ascending order the builder gives them): what writing the rows
  costs at the least, whatever makes them;
- **indexes**: every secondary index the builder drops before the load, made again from
  the rows (``--threads`` sets ``PRAGMA threads``: SQLite's sorter may then use helper
  threads, which moves wall time, not CPU);
- **search index**: the search index filled again by the builder's own statement.

CPU is the process's (``time.process_time``: SQLite runs in this thread, and in its
sorter's helper threads when ``--threads`` is set); wall beside it. The sum is what the
store's schema costs SQLite to build on this machine, whatever the builder does in Python:
set against the issue's 60 s, on 2 cores, it says how far a builder could go.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asbtui.db import BUILD_CACHE_KIB, BUILD_MMAP  # noqa: E402
from asbtui.services.demo import BULK_TABLES  # noqa: E402


def timed(connection: sqlite3.Connection, sql: str) -> tuple[float, float]:
    """(CPU s, wall s) of one statement, committed."""
    cpu, wall = time.process_time(), time.perf_counter()
    connection.execute(sql)
    connection.commit()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("--scratch", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(dir=args.scratch or args.store.parent, prefix="floor-"))
    copy = folder / "store.db"
    try:
        started = time.perf_counter()
        shutil.copyfile(args.store, copy)
        print(f"copied {copy.stat().st_size / 2**30:.1f} GiB in "
              f"{time.perf_counter() - started:.0f} s")
        run(copy, folder / "rows.db", args.threads)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(copy: Path, rows_file: Path, threads: int) -> None:
    connection = sqlite3.connect(copy, isolation_level=None)
    for pragma in ("journal_mode=MEMORY", "synchronous=OFF", "secure_delete=OFF",
                   f"mmap_size={BUILD_MMAP}", f"cache_size=-{BUILD_CACHE_KIB}",
                   f"threads={threads}"):
        connection.execute(f"PRAGMA {pragma}").fetchall()
    connection.execute("ATTACH DATABASE ? AS rows_floor", (str(rows_file),))
    connection.execute("PRAGMA rows_floor.journal_mode=OFF").fetchall()
    connection.execute("PRAGMA rows_floor.synchronous=OFF")
    connection.isolation_level = ""  # each statement below in a transaction, committed

    marks = ", ".join("?" * len(BULK_TABLES))
    tables = connection.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",
        BULK_TABLES).fetchall()
    totals = {"rows": [0.0, 0.0], "indexes": [0.0, 0.0], "search index": [0.0, 0.0]}
    print("rows (each table written once into an empty copy of it):")
    for name, sql in tables:
        count = connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        made = sql.replace(f'CREATE TABLE "{name}"', f'CREATE TABLE rows_floor."{name}"', 1)
        if made == sql:
            made = sql.replace(f"CREATE TABLE {name}", f'CREATE TABLE rows_floor."{name}"', 1)
        connection.execute(made)
        stored = ", ".join(  # not the generated columns, which are computed on reading
            f'"{row[1]}"' for row in connection.execute(f'PRAGMA main.table_xinfo("{name}")')
            if row[6] == 0)
        cpu, wall = timed(connection, f'INSERT INTO rows_floor."{name}" ({stored}) '
                                      f'SELECT {stored} FROM main."{name}" ORDER BY rowid')
        totals["rows"][0] += cpu
        totals["rows"][1] += wall
        print(f"  {name:<18} {count:>10,} rows  CPU {cpu:6.1f} s  wall {wall:6.1f} s")
    connection.execute("DETACH DATABASE rows_floor")

    indexes = connection.execute(
        f"SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' "
        f"AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY tbl_name, name",
        BULK_TABLES).fetchall()
    for name, _table, _sql in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    connection.commit()
    print(f"indexes ({len(indexes)}, threads={threads}):")
    by_table: dict[str, list[float]] = {}
    for name, table, sql in indexes:
        cpu, wall = timed(connection, sql)
        totals["indexes"][0] += cpu
        totals["indexes"][1] += wall
        held = by_table.setdefault(table, [0, 0.0, 0.0])
        held[0] += 1
        held[1] += cpu
        held[2] += wall
        print(f"  {name:<40} CPU {cpu:6.2f} s  wall {wall:6.2f} s")
    for table, (count, cpu, wall) in by_table.items():
        print(f"  = {table:<16} {int(count):>3} indexes  CPU {cpu:6.1f} s  wall {wall:6.1f} s")

    connection.execute("DELETE FROM case_search")
    connection.commit()
    # The builder's own statement (services/search.py), through its own connection type.
    import sqlalchemy as sa

    from asbtui.services import search

    connection.close()
    engine = sa.create_engine(f"sqlite:///{copy}")
    with engine.begin() as session:
        for pragma in ("journal_mode=MEMORY", "synchronous=OFF", "secure_delete=OFF",
                       f"threads={threads}"):
            session.exec_driver_sql(f"PRAGMA {pragma}").close()
        cpu, wall = time.process_time(), time.perf_counter()
        search.rebuild_index(session)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    totals["search index"] = [cpu, wall]
    print(f"search index: CPU {cpu:6.1f} s  wall {wall:6.1f} s")
    engine.dispose()

    cpu_all = sum(v[0] for v in totals.values())
    wall_all = sum(v[1] for v in totals.values())
    print("floor: " + ", ".join(f"{k} {v[0]:.1f} s CPU ({v[1]:.1f} s wall)"
                                for k, v in totals.items()))
    writer = totals["rows"][1] + totals["indexes"][1]
    print(f"floor in all: {cpu_all:.1f} s CPU, {wall_all:.1f} s wall one after another; "
          f"the one writer's part (rows and indexes) {writer:.1f} s wall against the goal's "
          f"60 s ({writer / 60:.2f}x); all of it spread on 2 cores at best {cpu_all / 2:.1f} s "
          f"({cpu_all / 120:.2f}x)")


if __name__ == "__main__":
    main()
