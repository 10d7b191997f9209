"""Queue speed on a large store: first paint, filter, sort, search and paging.

    python bench/queue_bench.py [--cases 100000] [--store bench/bench-100k.db]

Builds the store once (kept for later runs), then prints each operation's median time
and its ratio to a floor: a bare indexed SQLite query for the data operations, and a bare
Textual app with an empty DataTable for the first painted queue. Ends with peak RSS.
Run on demand; CI does not run it.
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

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from asbtui.app import AsbApp
from asbtui.config import Settings
from asbtui.db import open_store
from asbtui.models import CaseStatus, District, RiskLevel
from asbtui.services import access, demo, queue
from asbtui.services.queue import QueueQuery, SortKey
from asbtui.widgets.case_table import CaseTable

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def median_ms(fn: Callable[[], object], repeat: int = 15) -> float:
    fn()  # warm the page cache and SQLite's statement cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def build(path: Path, cases: int) -> None:
    if path.exists():
        print(f"store: {path} (reused)")
        return
    start = time.perf_counter()
    with open_store(path, create=True) as store:
        summary = demo.build_demo(store, cases=cases, seed=1, as_of=AS_OF)
    print(f"store: built {summary.cases:,} cases, {summary.incidents:,} incidents, "
          f"{summary.parties:,} people in {time.perf_counter() - start:.1f} s")


def sqlite_floor(path: Path) -> float:
    """A bare indexed query: 100 open cases of one district straight off ix_case_queue."""
    connection = sqlite3.connect(path)
    sql = ('SELECT id, ref, risk, next_review FROM "case" INDEXED BY ix_case_queue '
           "WHERE district = 'THA' AND status = 'open' LIMIT 100")

    def run() -> None:
        connection.execute(sql).fetchall()

    floor = median_ms(run, 50)
    connection.close()
    return floor


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def first_paint(app: App, ready: Callable[[App], bool]) -> float:
    start = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while not ready(app):
            await pilot.pause(0.005)
        await pilot.pause()
        return (time.perf_counter() - start) * 1000


def app_ready(app: App) -> bool:
    tables = app.screen.query(CaseTable)
    return bool(tables) and tables.first().row_count > 0


async def app_search_ms(store, text: str) -> float:
    """From the last key of a search to the filtered table on screen (includes debounce)."""
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: AS_OF)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app_ready(app):
            await pilot.pause(0.005)
        table = app.screen.query_one(CaseTable)
        first_ref = next(iter(table.rows)).value
        await pilot.press("slash", *text[:-1])
        start = time.perf_counter()
        await pilot.press(text[-1])
        while True:
            await pilot.pause(0.005)
            if table.row_count and next(iter(table.rows)).value != first_ref:
                break
            if time.perf_counter() - start > 10:
                break
        return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    path = args.store or Path(__file__).parent / f"bench-{args.cases // 1000}k.db"
    build(path, args.cases)
    store = open_store(path)
    # The demo builder adds users, so every service call needs an actor: the bench works
    # as the local actor (role None, every permission), as a store with no users would.
    store.actor = access.Actor("bench", None)
    floor = sqlite_floor(path)
    print(f"\nfloor, bare indexed SQLite query (100 rows): {floor:.3f} ms\n")
    tha = QueueQuery(district=District.THA, today=AS_OF.date())
    everywhere = QueueQuery(district=None, today=AS_OF.date())
    operations: dict[str, Callable[[], object]] = {
        "first page, Thanet, by urgency": lambda: queue.queue_page(store, tha),
        "first page, all districts, by urgency": lambda: queue.queue_page(store, everywhere),
        "count, all districts (uncached)": lambda: queue.queue_count(store, everywhere),
        "filter: Thanet high risk, open only": lambda: queue.queue_page(store, QueueQuery(
            district=District.THA, statuses=(CaseStatus.OPEN,), risks=(RiskLevel.HIGH,),
            today=AS_OF.date())),
        "filter: all districts, closed (large set)": lambda: queue.queue_page(store, QueueQuery(
            statuses=(CaseStatus.CLOSED,), today=AS_OF.date())),
        "sort: Thanet by location": lambda: queue.queue_page(
            store, QueueQuery(district=District.THA, sort=SortKey.LOCATION)),
        "sort: all districts by owner, reversed": lambda: queue.queue_page(
            store, QueueQuery(sort=SortKey.OWNER, descending=True)),
        "search: 'invicta road' (all districts)": lambda: queue.queue_page(
            store, QueueQuery(search="invicta road", statuses=())),
        "search: 'smith' (common name, all)": lambda: queue.queue_page(
            store, QueueQuery(search="smith", statuses=())),
        "search: 'ma' (2-letter prefix, all)": lambda: queue.queue_page(
            store, QueueQuery(search="ma", statuses=())),
    }
    print(f"{'operation':<46}{'median ms':>10}{'x floor':>10}")
    for name, fn in operations.items():
        ms = median_ms(fn)
        print(f"{name:<46}{ms:>10.2f}{ms / floor:>10.0f}")

    # Keyset paging: walk 40 pages deep into all districts and time each page.
    page_times = []
    after = None
    for _ in range(40):
        start = time.perf_counter()
        page = queue.queue_page(store, everywhere, after)
        page_times.append((time.perf_counter() - start) * 1000)
        after = page.after
        if after is None:
            break
    print(f"{'page 2..40 by key, all districts (median)':<46}"
          f"{statistics.median(page_times[1:]):>10.2f}"
          f"{statistics.median(page_times[1:]) / floor:>10.0f}")
    print(f"{'page 40 by key, all districts':<46}{page_times[-1]:>10.2f}"
          f"{page_times[-1] / floor:>10.0f}")

    bare = statistics.median(asyncio.run(first_paint(BareApp(), lambda app: True))
                             for _ in range(3))
    painted = statistics.median(
        asyncio.run(first_paint(AsbApp(store, settings=Settings(db=path), clock=lambda: AS_OF),
                                app_ready))
        for _ in range(3)
    )
    print(f"\nfloor, bare Textual app with an empty DataTable: {bare:.0f} ms")
    print(f"{'first painted queue (Thanet)':<46}{painted:>10.0f}{painted / bare:>10.2f}")
    typed = asyncio.run(app_search_ms(store, "invicta"))
    print(f"{'search: last key to new table (150 ms debounce)':<46}{typed:>10.0f}"
          f"{typed / bare:>10.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MiB (Python {sys.version.split()[0]})")
    store.close()


if __name__ == "__main__":
    main()
