"""Patterns with repeat people read beside the place scans, against one connection.

    python bench/patterns_beside_bench.py --store PATH [--repeat 3]

Times, wall and CPU (this process, both threads), the median of --repeat runs of: all
patterns as before (every scan in turn on one connection) and as now
(``patterns.patterns``: repeat victims and perpetrators on a second connection), for all
districts and for Thanet, across cases; and the all-districts dashboard. Checks that both
give the same patterns. ``--store`` is a copy (opening it may write). Run on demand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from asbtui.db import open_store
from asbtui.models import District
from asbtui.services import access, dashboard
from asbtui.services import patterns as service
from asbtui.services.patterns import PatternRules

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    store = open_store(args.store)
    store.actor = access.Actor("bench", None)
    rules = PatternRules(min_cases=2)

    def one_connection(district: District | None) -> list[service.Pattern]:
        with service._gc_paused(), store.engine.connect() as connection:
            scans = service._Scans(connection, district, rules, AS_OF, repeats=True,
                                   hotspots=True)
            return scans.hotspots() + scans.repeats()

    print(f"store {args.store.name}; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'operation':<46}{'wall ms':>10}{'CPU ms':>10}")
    for where, district in (("all districts", None), ("Thanet", District.THA)):
        one_connection(district)  # warm the page cache
        results = []
        for how, fn in (("before, one connection", lambda d=district: one_connection(d)),
                        ("after, people beside", lambda d=district: service.patterns(
                            store, district=d, rules=rules, now=AS_OF))):
            wall, cpu, found = timed(fn, args.repeat)
            results.append(found)
            print(f"{f'patterns across cases, {where}, {how}':<46}{wall:>10.0f}{cpu:>10.0f}"
                  f"  ({len(found):,} found)")
        print("  same patterns, same order:", results[0] == results[1])
    wall, cpu, _ = timed(lambda: dashboard.district_summaries(store, now=AS_OF), args.repeat)
    print(f"{'dashboard, all districts (not changed)':<46}{wall:>10.0f}{cpu:>10.0f}")
    print(f"load average after {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
