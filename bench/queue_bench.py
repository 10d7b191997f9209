"""Queue speed as the store grows: pages, sorts, filters, searches, counts and the dashboard.

    python bench/queue_bench.py [--cases 10000 100000 1000000] [--repeat 20] [--no-app]

Builds (once) a demo store per size in ``bench/`` (``bench-10k.db`` ...; kept for later
runs, ignored by git), then times each operation's p95 over ``--repeat`` runs and prints
it beside a floor measured in the same run: a bare indexed SQLite query of 100 rows for
the data operations, and a bare Textual app with an empty DataTable (SQLModel imported)
for the first painted queue. Ends with a table of how each operation grows with the
store, and the peak RSS. Run on demand; CI does not run it.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HERE = Path(__file__).parent


CLOCK = time.perf_counter
"""Wall time; ``--cpu`` switches to this process's CPU time, steadier on a shared machine
(every operation is single-threaded and reads cached pages, so its CPU time is what it
takes on an idle core)."""


def p95_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm the page cache and SQLite's statement cache
    times = []
    for _ in range(repeat):
        start = CLOCK()
        fn()
        times.append((CLOCK() - start) * 1000)
    return statistics.quantiles(times, n=20)[18] if len(times) >= 2 else times[0]


def build(path: Path, cases: int) -> None:
    from asbtui.db import open_store
    from asbtui.services import demo

    if path.exists():
        return
    wall, cpu = time.perf_counter(), time.process_time()
    with open_store(path, create=True) as store:
        summary = demo.build_demo(store, cases=cases, seed=1, as_of=AS_OF)
    print(f"built {path.name}: {summary.cases:,} cases, {summary.incidents:,} incidents, "
          f"{summary.parties:,} people in {time.perf_counter() - wall:.1f} s "
          f"({time.process_time() - cpu:.1f} s of CPU)")


def sqlite_floor(path: Path, repeat: int) -> float:
    """A bare indexed query: 100 open cases of one district straight off an index."""
    connection = sqlite3.connect(path)
    sql = ('SELECT id, ref, risk, next_review FROM "case" INDEXED BY ix_case_queue '
           "WHERE deleted = 0 AND district = 'THA' AND status = 'open' LIMIT 100")
    floor = p95_ms(lambda: connection.execute(sql).fetchall(), max(repeat, 50))
    connection.close()
    return floor


def walk_ms(store, query, pages: int = 20) -> float:
    """p95 of 'next page by key' over the first ``pages`` pages."""
    from asbtui.services import queue

    times, after = [], None
    for _ in range(pages):
        start = CLOCK()
        page = queue.queue_page(store, query, after)
        times.append((CLOCK() - start) * 1000)
        after = page.after
        if after is None:
            break
    later = times[1:] or times
    return statistics.quantiles(later, n=20)[18] if len(later) >= 2 else later[0]


def operations(store) -> dict[str, Callable[[], object]]:
    from asbtui.models import CaseStatus, Category, District, RiskLevel
    from asbtui.services import cases, dashboard, queue
    from asbtui.services.queue import QueueQuery, SortKey

    day = {"today": AS_OF.date(), "now": AS_OF}
    tha = QueueQuery(district=District.THA, **day)
    everywhere = QueueQuery(district=None, **day)
    with store.engine.connect() as connection:
        ref = connection.exec_driver_sql(
            "SELECT ref FROM \"case\" WHERE district = 'THA' ORDER BY opened_at DESC LIMIT 1"
        ).scalar_one()

    def searched(text: str, **fields) -> Callable[[], object]:
        query = QueueQuery(search=text, **{"statuses": (), **fields}, **day)
        return lambda: queue.queue_page(store, query)

    found: dict[str, Callable[[], object]] = {
        "first page, Thanet, urgency": lambda: queue.queue_page(store, tha),
        "next page by key, Thanet, urgency": lambda: walk_ms(store, tha),
        "first page, all districts, urgency": lambda: queue.queue_page(store, everywhere),
        "next page by key, all districts, urgency": lambda: walk_ms(store, everywhere),
        "all districts by opened, newest first (page)": lambda: queue.queue_page(
            store, QueueQuery(sort=SortKey.OPENED, descending=True, **day)),
    }
    for sort in (SortKey.REF, SortKey.CATEGORY, SortKey.RISK, SortKey.STATUS,
                 SortKey.LOCATION, SortKey.OWNER, SortKey.DUE):
        found[f"next page by key, all districts, by {sort.value}"] = (
            lambda sort=sort: walk_ms(store, QueueQuery(sort=sort, **day), 5))
        found[f"next page by key, Thanet, by {sort.value}"] = (
            lambda sort=sort: walk_ms(store, QueueQuery(district=District.THA, sort=sort,
                                                        **day), 5))
    with store.engine.connect() as connection:
        owner = connection.exec_driver_sql(
            "SELECT owner_id FROM \"case\" WHERE district = 'THA' AND owner_id IS NOT NULL "
            "ORDER BY ref LIMIT 1").scalar_one()
    filters = {
        "closed": {"statuses": (CaseStatus.CLOSED,)},
        "high risk": {"risks": (RiskLevel.HIGH,)},
        "personal": {"categories": (Category.PERSONAL,)},
        "unallocated": {"unallocated": True},
    }
    for name, fields in filters.items():
        for where, district in (("Thanet", District.THA), ("all districts", None)):
            found[f"filter {name}, {where}, next pages"] = (
                lambda fields=fields, district=district: walk_ms(
                    store, QueueQuery(district=district, **fields, **day), 5))
    found["filter my cases, Thanet, next pages"] = lambda: walk_ms(
        store, QueueQuery(district=District.THA, owner_id=owner, **day), 5)
    found["filter my cases, Thanet, by opened, next pages"] = lambda: walk_ms(
        store, QueueQuery(district=District.THA, owner_id=owner, sort=SortKey.OPENED,
                          descending=True, **day), 5)
    found |= {
        "filter open + high risk, all districts (page)": lambda: queue.queue_page(
            store, QueueQuery(statuses=(CaseStatus.OPEN,), risks=(RiskLevel.HIGH,), **day)),
        "count, Thanet open (uncached)": lambda: queue.queue_count(store, tha),
        "count, all districts open (uncached)": lambda: queue.queue_count(store, everywhere),
        "search 's', all districts, any status": searched("s"),
        "search 'sm', all districts, any status": searched("sm"),
        "search 'smith', all districts, any status": searched("smith"),
        "search 'smith', Thanet open": searched("smith", district=District.THA,
                                                statuses=(CaseStatus.OPEN,)),
        "search 'invicta road', all districts": searched("invicta road"),
        "search ref 'T', all districts": searched("T"),
        "search ref 'THA-26-S', all districts": searched("THA-26-S"),
        "search count 'sm' (capped at 1,000+)": lambda: queue.queue_count(
            store, QueueQuery(search="sm", statuses=(), **day), cap=1000),
        "open a case (service calls)": lambda: cases.case_detail(store, ref),
        "dashboard, all districts": lambda: dashboard.district_summaries(store, now=AS_OF),
    }
    return found


async def first_paint(app, ready: Callable[[object], bool]) -> float:
    start = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while not ready(app):
            await pilot.pause(0.005)
        await pilot.pause()
        return (time.perf_counter() - start) * 1000


def paint_figures(store, path: Path) -> tuple[float, float]:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from asbtui.app import AsbApp
    from asbtui.config import Settings
    from asbtui.widgets.case_table import CaseTable

    class BareApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    def ready(app) -> bool:
        tables = app.screen.query(CaseTable)
        return bool(tables) and tables.first().row_count > 0

    bare = statistics.median(asyncio.run(first_paint(BareApp(), lambda app: True))
                             for _ in range(3))
    painted = statistics.median(
        asyncio.run(first_paint(AsbApp(store, settings=Settings(db=path), clock=lambda: AS_OF),
                                ready))
        for _ in range(3))
    return bare, painted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-app", action="store_true", help="skip the first-paint figures")
    parser.add_argument("--cpu", action="store_true", help="time CPU, not wall (shared box)")
    parser.add_argument("--store", nargs="+", default=[], metavar="CASES=PATH",
                        help="use this store for that size (a copy: the bench writes to it)")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    print(f"timing {'CPU time of this process' if args.cpu else 'wall time'}; "
          f"load average {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")
    import sqlmodel  # noqa: F401 - the floor's imports, as the app's

    import asbtui

    print(f"asbtui from {Path(asbtui.__file__).parent}")

    from asbtui.db import open_store
    from asbtui.services import access

    stores = {int(size): path for size, path in (item.split("=", 1) for item in args.store)}
    grown: dict[str, dict[int, float]] = {}
    floors: dict[int, float] = {}
    for cases in args.cases:
        path = Path(stores.get(cases, HERE / f"bench-{cases // 1000}k.db"))
        build(path, cases)
        store = open_store(path)
        # The demo adds users, so every service call needs an actor: the bench works as
        # the local actor (every permission), as a store with no users would.
        store.actor = access.Actor("bench", None)
        floor = floors[cases] = sqlite_floor(path, args.repeat)
        print(f"\n{cases:,} cases · floor, bare indexed SQLite query (100 rows): "
              f"{floor:.3f} ms")
        print(f"{'operation':<52}{'p95 ms':>10}{'x floor':>10}")
        for name, fn in operations(store).items():
            if name.startswith("next page") or name.endswith("next pages"):
                ms = statistics.median(fn() for _ in range(3))  # walk_ms is already a p95
            else:
                ms = p95_ms(fn, args.repeat)
            grown.setdefault(name, {})[cases] = ms
            print(f"{name:<52}{ms:>10.2f}{ms / floor:>10.0f}")
        if not args.no_app:
            bare, painted = paint_figures(store, path)
            print(f"{'floor: bare Textual app, empty DataTable (ms)':<52}{bare:>10.0f}")
            print(f"{'first painted queue, Thanet (ms, x bare app)':<52}{painted:>10.0f}"
                  f"{painted / bare:>10.2f}")
        store.close()

    print("\nHow each operation grows (p95 ms):")
    print(f"{'operation':<52}" + "".join(f"{c // 1000:>9,}k" for c in args.cases))
    print(f"{'floor: bare indexed query':<52}"
          + "".join(f"{floors[c]:>10.2f}" for c in args.cases))
    for name, by_size in grown.items():
        print(f"{name:<52}" + "".join(f"{by_size.get(c, float('nan')):>10.2f}"
                                      for c in args.cases))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MiB (Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
