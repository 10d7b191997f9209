"""Patterns and dashboard on a large store: 200,000 cases and 1,000,000 incidents.

    python bench/patterns_bench.py [--cases 200000] [--incidents 1000000]
                                   [--store PATH] [--cpu]

``--store`` times an existing store (a copy: opening it may write) instead of building
one; ``--cpu`` times this process's CPU rather than the wall clock.

Builds (once, kept in bench/) a demo store of --cases cases, then adds data.police.uk-style
imported incidents until case incidents plus imported ones reach --incidents. Prints the
median time of each pattern and dashboard query, and its ratio to a bare indexed SQLite
query on the same store; ends with peak RSS. Run on demand; CI does not run it.
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from asbtui.db import open_store
from asbtui.models import District, ImportedIncident, new_id
from asbtui.services import access, demo, places
from asbtui.services import patterns as pattern_service
from asbtui.services.patterns import PatternRules

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


CLOCK = time.perf_counter


def median_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = CLOCK()
        fn()
        times.append((CLOCK() - start) * 1000)
    return statistics.median(times)


def build(path: Path, cases: int, incidents: int) -> None:
    if path.exists():
        print(f"store: {path} (reused)")
        return
    start = time.perf_counter()
    with open_store(path, create=True) as store:
        summary = demo.build_demo(store, cases=cases, seed=2, as_of=AS_OF)
        missing = max(incidents - summary.incidents, 0)
        rng = random.Random(2)
        streets = [f"{s} {t}" for s in ("High", "Station", "Church", "Park", "Mill", "London",
                                         "Victoria", "Queens", "Kings", "Albert")
                   for t in ("Road", "Street", "Lane", "Avenue")]
        stamp = store.stamp()
        with store.engine.begin() as connection:
            batch = []
            for _ in range(missing):
                district = rng.choice(list(District))
                street = f"On or near {rng.choice(streets)}"
                month = date(2024, 12, 1) + relativedelta(months=rng.randint(0, 23))
                lsoa = rng.randint(1, 90)
                batch.append(dict(
                    id=new_id(), source_key=new_id(), month=month, district=district,
                    reported_by="Kent Police", falls_within="Kent Police", longitude=None,
                    latitude=None, location=street, street_key=places.street_key(street),
                    lsoa_code=f"E0{district.value}{lsoa:04d}",
                    lsoa_name=f"{district.label} {lsoa:03d}A", context="", source_file="bench",
                    updated_at=stamp, origin=store.device_id, deleted=False))
                if len(batch) == 20000:
                    connection.execute(sa.insert(ImportedIncident.__table__), batch)
                    batch = []
            if batch:
                connection.execute(sa.insert(ImportedIncident.__table__), batch)
        print(f"store: {summary.cases:,} cases, {summary.incidents:,} case incidents, "
              f"{missing:,} imported incidents, built in {time.perf_counter() - start:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, help="an existing store to time (a copy)")
    parser.add_argument("--cpu", action="store_true", help="time CPU, not wall (shared box)")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    print(f"timing {'CPU time of this process' if args.cpu else 'wall time'}; load average "
          f"{' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")
    path = args.store or Path(__file__).parent / f"bench-patterns-{args.cases // 1000}k.db"
    build(path, args.cases, args.incidents)
    store = open_store(path)
    # The demo builder adds users, so every service call needs an actor: the bench works
    # as the local actor (role None, every permission), as a store with no users would.
    store.actor = access.Actor("bench", None)

    raw = sqlite3.connect(path)
    floor = median_ms(lambda: raw.execute(
        'SELECT count(*) FROM "case" INDEXED BY ix_case_street '
        "WHERE district = 'THA' AND street_key = 'high road'").fetchall(), 50)
    print(f"\nfloor, bare indexed SQLite query: {floor:.3f} ms\n")
    rules = PatternRules()
    across = PatternRules(min_cases=2)
    operations: dict[str, Callable[[], object]] = {
        "repeats, Thanet": lambda: pattern_service.repeats(
            store, district=District.THA, rules=rules, now=AS_OF),
        "hotspots, Thanet": lambda: pattern_service.hotspots(
            store, district=District.THA, rules=rules, now=AS_OF),
        "all patterns, Thanet, across cases": lambda: pattern_service.patterns(
            store, district=District.THA, rules=across, now=AS_OF),
        "all patterns, all districts, across cases": lambda: pattern_service.patterns(
            store, rules=across, now=AS_OF),
        "all patterns, all districts (every case)": lambda: pattern_service.patterns(
            store, rules=rules, now=AS_OF),
    }
    try:
        from asbtui.services import dashboard

        operations["dashboard, all 13 districts"] = lambda: dashboard.district_summaries(
            store, now=AS_OF)
        operations["officer workloads, Thanet"] = lambda: dashboard.officer_workloads(
            store, District.THA, now=AS_OF)
    except ImportError:
        pass
    print(f"{'operation':<40}{'median ms':>12}{'x floor':>10}")
    for name, fn in operations.items():
        ms = median_ms(fn, 3)
        print(f"{name:<40}{ms:>12.1f}{ms / floor:>10.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
