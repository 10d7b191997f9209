"""My day's speed on a large store: the service for an officer and a supervisor, and the
screen opened from a key, as p50 and p95 against a floor.

    python bench/my_day_bench.py [--cases 100000] [--store bench/day-100k.db]

Builds the store once (kept for later runs; ``bench/*.db`` is ignored by git), signs in
as the demo's Thanet officer and supervisor, and prints each measure's p50 and p95 and
the p95's ratio to a floor (a bare indexed SQLite query of the officer's cases). Then the
query plan of each source of My day, to show each reads an index. Run on demand.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from asbtui.app import AsbApp
from asbtui.config import Settings
from asbtui.db import open_store
from asbtui.services import day, demo, users

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def timings_ms(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm the page cache and SQLite's statement cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def p(times: list[float], q: float) -> float:
    return times[min(len(times) - 1, int(round(q * (len(times) - 1))))]


def build(path: Path, cases: int) -> None:
    if path.exists():
        print(f"store: {path} (reused)")
        return
    start = time.perf_counter()
    with open_store(path, create=True) as store:
        summary = demo.build_demo(store, cases=cases, seed=1, as_of=AS_OF)
    print(f"store: built {summary.cases:,} cases in {time.perf_counter() - start:.1f} s")


def floor_ms(path: Path, officer_id: str) -> list[float]:
    connection = sqlite3.connect(path)
    sql = 'SELECT id, next_review FROM "case" WHERE owner_id = ? AND next_review <= ?'

    def run() -> None:
        connection.execute(sql, (officer_id, "2026-12-01")).fetchall()

    times = timings_ms(run, 100)
    connection.close()
    return times


async def open_screen(store, repeat: int) -> list[float]:
    from asbtui.screens.my_day import MyDayScreen

    app = AsbApp(store, settings=Settings(db=store.path, my_day_at_sign_in=False),
                 clock=lambda: AS_OF)
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(repeat + 1):
            start = time.perf_counter()
            await pilot.press("f2")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, MyDayScreen)
            times.append((time.perf_counter() - start) * 1000)
            await pilot.press("escape")
            await pilot.pause()
    return sorted(times[1:])


def report(name: str, times: list[float], floor: float, items: int | None = None) -> None:
    extra = f" ({items:,} items)" if items is not None else ""
    print(f"{name:<34} p50 {p(times, .5):7.2f} ms  p95 {p(times, .95):7.2f} ms  "
          f"p95/floor {p(times, .95) / floor:6.1f}x{extra}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    path = args.store or Path(__file__).parent / f"day-{args.cases // 1000}k.db"
    build(path, args.cases)
    with open_store(path) as store:
        officer = users.sign_in(store, "pc.thanet", "271828")
        floor = floor_ms(path, officer.officer_id or "")
        print(f"floor (bare indexed query of the officer's cases) p95 {p(floor, .95):.3f} ms")
        floor95 = max(p(floor, .95), 0.001)
        items = len(day.my_day(store, now=AS_OF).items)
        report("my_day: officer (pc.thanet)", timings_ms(
            lambda: day.my_day(store, now=AS_OF), args.repeat), floor95, items)
        screen = asyncio.run(open_screen(store, max(10, args.repeat // 4)))
        report("My day screen opened (f2), officer", screen, floor95, items)
        users.sign_out(store)
        users.sign_in(store, "sup.thanet", "314159")
        items = len(day.my_day(store, now=AS_OF).items)
        report("my_day: supervisor (Thanet)", timings_ms(
            lambda: day.my_day(store, now=AS_OF), max(10, args.repeat // 4)), floor95, items)
    print("query plans:")
    connection = sqlite3.connect(path)
    for source, sql in PLANS.items():
        plan = connection.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
        print(f"  {source}: " + "; ".join(row[3] for row in plan))
    connection.close()
    print(f"cases in store: {statistics.fmean([args.cases]):,.0f}")


PLANS = {
    "first contacts": "SELECT f.id FROM firstcontact f JOIN \"case\" c ON c.id = f.case_id "
                      "WHERE f.met_at IS NULL AND f.deleted = 0 AND f.district IN ('THA') "
                      "AND f.due_at <= '2026-12-02' AND c.owner_id IN ('x')",
    "reviews": "SELECT id FROM \"case\" WHERE owner_id IN ('x') AND next_review <= '2026-12-01'",
    "victim updates": "SELECT v.id FROM victimupdateplan v JOIN \"case\" c ON c.id = v.case_id "
                      "WHERE v.case_id IN (SELECT id FROM \"case\" WHERE owner_id IN ('x')) "
                      "AND v.next_due <= '2026-12-01' AND c.owner_id IN ('x')",
    "tasks": "SELECT id FROM casetask WHERE owner_officer_id IN ('x') AND done_on IS NULL "
             "AND due_on <= '2026-12-01'",
}


if __name__ == "__main__":
    main()
