"""Patterns kept as a result (services/pattern_snapshot.py) against the full computation.

    python bench/patterns_kept_bench.py --store PATH [--district THA] [--check]
        [--skip-full] [--as-of 2026-12-08T21:00:00+00:00]

On a copy of a big store (it writes to it): the full computation as before (``kept=False``),
then the kept patterns: computed cold (no rows kept), refreshed after no change, after
1,000 incident edits (500 new incidents, 500 moved a day, in one transaction behind the
app's back), and after a day's move of time; for all districts or one, across cases (the
screen's default). Wall and CPU (this process, all threads) with the load average, and
after each refresh the keys it moved by deltas or recounted.
Then what the triggers add to an incident insert: 1,000 incidents inserted in one
transaction with rows kept (the triggers mark keys), with none kept (the triggers' WHEN
finds nothing), and with the triggers and ``ix_incident_occurred`` dropped (each rolled
back). ``--check`` compares the last kept patterns with the full computation.
``--as-of``: the instant of the first look (default 25/11/2026 10:00 UTC; the 1M demo
store built on 07/12/2026 holds ~470,000 reports dated after it, ~20,000 of them in the
day after, which a day's move brings into the windows at once; an instant after the
store's newest report moves only the windows' other edges, as a real day does).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asbtui.db import open_store
from asbtui.models import District
from asbtui.services import access, pattern_snapshot
from asbtui.services import patterns as service
from asbtui.services.patterns import PatternRules

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
RULES = PatternRules(min_cases=2)


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def timed(label: str, fn: Callable[[], object]) -> object:
    pattern_snapshot.LAST.update(dict.fromkeys(pattern_snapshot.LAST, 0))
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    size = f"  ({len(result):,} found)" if isinstance(result, list) else ""
    print(f"{label:<52}{wall * 1000:>10.0f}{cpu * 1000:>10.0f}  load {load()}{size}", flush=True)
    if any(pattern_snapshot.LAST.values()):
        # Keys moved by deltas, keys a delta could not tell, keys marked or crossed (both
        # recounted).
        print("  keys " + ", ".join(f"{name} {count:,}"
                                    for name, count in pattern_snapshot.LAST.items()))
    return result


def pick(raw: sqlite3.Connection, count: int, where: str) -> list[int]:
    """The rowids of ``count`` random incidents (``where``: e.g. one district's)."""
    return [rowid for (rowid,) in raw.execute(
        f"SELECT rowid FROM incident WHERE 1 {where} ORDER BY random() LIMIT ?", (count,))]


def insert_copies(raw: sqlite3.Connection, picks: list[int]) -> int:
    """Incidents copied from ``picks`` (new ids), a day later."""
    columns = [row[1] for row in raw.execute("PRAGMA table_info(incident)")]
    select = ", ".join("lower(hex(randomblob(16)))" if c == "id" else
                       "strftime('%Y-%m-%d %H:%M:%f000', occurred_at, '+1 day')"
                       if c == "occurred_at" else c for c in columns)
    made = 0
    for rowid in picks:
        made += raw.execute(f"INSERT INTO incident ({', '.join(columns)}) SELECT {select} "
                            "FROM incident WHERE rowid = ?", (rowid,)).rowcount
    return made


def insert_cost(path: Path, store) -> None:
    raw = sqlite3.connect(path, timeout=30)
    raw.execute("PRAGMA foreign_keys=ON")
    triggers = [name for (name,) in raw.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'pattern\\_%' "
        "ESCAPE '\\'")]
    for label, setup in (
            ("1,000 incident inserts, rows kept (triggers mark)", []),
            ("1,000 incident inserts, none kept (WHEN false)",
             ["DELETE FROM pattern_snapshot_district"]),
            ("1,000 incident inserts, no triggers, no ix_incident_occurred",
             [f"DROP TRIGGER {t}" for t in triggers] + ["DROP INDEX ix_incident_occurred"])):
        runs = []
        for _ in range(3):
            raw.execute("BEGIN")
            for sql in setup:
                raw.execute(sql)
            picks = pick(raw, 1000, "")
            wall, cpu = time.perf_counter(), time.process_time()
            insert_copies(raw, picks)
            runs.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
            raw.rollback()
        runs.sort()
        wall, cpu = runs[1]
        print(f"{label:<64}{wall:>8.0f}{cpu:>8.0f}  load {load()}", flush=True)
    raw.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--district", default=None)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--as-of", type=datetime.fromisoformat, default=AS_OF)
    args = parser.parse_args()
    as_of = args.as_of
    district = District(args.district) if args.district else None
    store = open_store(args.store)
    store.actor = access.Actor("bench", None)
    where = district.value if district else "all districts"
    print(f"store {args.store.name}, {where}, as of {as_of.isoformat()}; "
          f"load average {load()}")
    print(f"{'operation':<52}{'wall ms':>10}{'CPU ms':>10}")
    if not args.skip_full:
        timed("full computation (kept=False), as before", lambda: service.patterns(
            store, district=district, rules=RULES, now=as_of, kept=False))
    with store.engine.begin() as connection:
        pattern_snapshot.mark_stale(connection)
    timed("kept: cold (none kept: computed in full, stored)", lambda: service.patterns(
        store, district=district, rules=RULES, now=as_of))
    now = as_of + timedelta(seconds=20)
    timed("kept: refreshed after no change (20 s later)", lambda: service.patterns(
        store, district=district, rules=RULES, now=now))
    raw = sqlite3.connect(args.store, timeout=30)
    raw.execute("PRAGMA foreign_keys=ON")
    only = f"AND district = '{district.value}'" if district else ""
    made = insert_copies(raw, pick(raw, 500, only))
    moved = raw.execute(
        "UPDATE incident SET occurred_at = strftime('%Y-%m-%d %H:%M:%f000', occurred_at, "
        f"'+1 day') WHERE rowid IN (SELECT rowid FROM incident WHERE 1 {only} "
        "ORDER BY random() LIMIT 500)").rowcount
    raw.commit()
    dirty = raw.execute("SELECT count(*) FROM pattern_dirty").fetchone()[0]
    logged = (raw.execute("SELECT count(*) FROM pattern_change").fetchone()[0]
              if raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'pattern_change'")
              .fetchone() else 0)
    raw.close()
    print(f"  ({made} incidents inserted, {moved} moved a day: {dirty:,} keys marked, "
          f"{logged:,} incident images logged)")
    now += timedelta(seconds=20)
    timed("kept: refreshed after 1,000 incident edits", lambda: service.patterns(
        store, district=district, rules=RULES, now=now))
    now += timedelta(days=1)
    found = timed("kept: refreshed after a day's move of time", lambda: service.patterns(
        store, district=district, rules=RULES, now=now))
    now += timedelta(seconds=20)
    timed("kept: refreshed after no change again", lambda: service.patterns(
        store, district=district, rules=RULES, now=now))
    getattr(store, "cache", {}).clear()  # as a new process: no rows held from before
    now += timedelta(seconds=20)
    timed("kept: no change, no rows held (a new process)", lambda: service.patterns(
        store, district=district, rules=RULES, now=now))
    if args.check:
        full = timed("check: full computation at the same instant", lambda: service.patterns(
            store, district=district, rules=RULES, now=now - timedelta(seconds=40),
            kept=False))
        print("  same patterns, same order:", full == found)
    insert_cost(args.store, store)
    print(f"load average after {load()}")


if __name__ == "__main__":
    main()
