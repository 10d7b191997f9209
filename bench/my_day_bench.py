"""My day's speed on a large store: the service for an officer and a supervisor, and the
screen opened from a key, as p50 and p95 against a floor.

    python bench/my_day_bench.py [--cases 100000] [--store bench/day-100k.db] [--as-of ISO]
                                 [--cold] [--no-screen]

Builds the store once (kept for later runs; ``bench/*.db`` is ignored by git), signs in
as the demo's Thanet officer and supervisor, and prints each measure's p50 and p95 (wall
clock and this process's CPU time) and the p95's ratio to a floor (a bare indexed SQLite
query of the officer's cases): the service as the screen first calls it (the 100 soonest,
no Case Review prompts), the whole day (up to 2,000 items with the prompts, as the CLI
and the screen's counts read it), and the screen opened with ``f2`` until its first rows
are painted and until the counts are in. "Now" is ``--as-of``, else the store's newest
case opening (a demo built by ``asbtui demo`` is dated when it was built). Then the query
plan of each source of My day, to show each reads an index. Run on demand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asbtui.app import AsbApp
from asbtui.config import Settings
from asbtui.db import open_store
from asbtui.services import day, demo, users

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


CPU: list[list[float]] = []
"""The CPU times (ms) of the last timings_ms call."""


COLD: list[Path] = []
"""The store to drop from the page cache before each measure (--cold)."""


def timings_ms(fn: Callable[[], object], repeat: int) -> list[float]:
    if COLD:
        evict(COLD[0])
    else:
        fn()  # warm the page cache and SQLite's statement cache
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - start_cpu) * 1000)
        times.append((time.perf_counter() - start) * 1000)
    CPU[:] = [sorted(cpu)]
    return sorted(times)


def p(times: list[float], q: float) -> float:
    return times[min(len(times) - 1, int(round(q * (len(times) - 1))))]


def evict(path: Path) -> None:
    """Drop the store's pages (and its WAL's) from the OS page cache (this file only)."""
    for part in (path, Path(f"{path}-wal")):
        if part.exists():
            fd = os.open(part, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def build(path: Path, cases: int) -> None:
    if path.exists():
        print(f"store: {path} (reused)")
        return
    start = time.perf_counter()
    with open_store(path, create=True) as store:
        summary = demo.build_demo(store, cases=cases, seed=1, as_of=AS_OF)
    print(f"store: built {summary.cases:,} cases in {time.perf_counter() - start:.1f} s")


def floor_ms(path: Path, officer_id: str, now: datetime) -> list[float]:
    connection = sqlite3.connect(path)
    sql = ('SELECT id, next_review FROM "case" WHERE owner_id = ? AND next_review <= ? '
           "ORDER BY next_review LIMIT 100")
    horizon = (now + timedelta(days=6)).date().isoformat()

    def run() -> None:
        connection.execute(sql, (officer_id, horizon)).fetchall()

    times = timings_ms(run, 100)
    connection.close()
    return times


async def open_screen(store, repeat: int, now: datetime) -> tuple[list[float], list[float]]:
    """Wall times from f2 to the first rows painted, and to the counts in."""
    from textual.widgets import DataTable

    from asbtui.screens.my_day import MyDayScreen

    app = AsbApp(store, settings=Settings(db=store.path, my_day_at_sign_in=False),
                 clock=lambda: now)
    shown, counted = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(repeat + 1):
            start = time.perf_counter()
            await pilot.press("f2")
            screen = app.screen
            assert isinstance(screen, MyDayScreen)
            table = screen.query_one("#records", DataTable)
            while not table.row_count:
                await asyncio.sleep(0.001)
            await pilot.pause()  # the rows painted
            shown.append((time.perf_counter() - start) * 1000)
            await app.workers.wait_for_complete()
            await pilot.pause()
            counted.append((time.perf_counter() - start) * 1000)
            await pilot.press("escape")
            await pilot.pause()
    return sorted(shown[1:]), sorted(counted[1:])


async def bare_screen(repeat: int) -> list[float]:
    """The floor of the screen: a bare Textual app pushing a screen with a title and a
    DataTable of the same 100 rows of six cells (no services), timed the same way."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.screen import Screen
    from textual.widgets import DataTable, Static

    class Bare(Screen[None]):
        BINDINGS = [("escape", "app.pop_screen", "Back")]

        def compose(self) -> ComposeResult:
            yield Static("My day")
            yield DataTable(cursor_type="row", zebra_stripes=True)

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for label, width in (("When", 9), ("Due", 16), ("Kind", 13), ("Case", 12),
                                 ("What", 44), ("Officer", 24)):
                table.add_column(Text(label), width=width)
            for n in range(100):
                table.add_row(Text("overdue", style="bold white on red"), Text("25/11/2026"),
                              Text("Victim update"), Text(f"THA-26-{n:05d}", style="bold"),
                              Text("Update the victim (every 28 days)"),
                              Text("PC 5301 Example Officer"), key=str(n))

    class BareApp(App[None]):
        BINDINGS = [("f2", "push_screen('bare')", "My day")]
        SCREENS = {"bare": Bare}

        def compose(self) -> ComposeResult:
            yield Static("queue")

    app = BareApp()
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(repeat + 1):
            start = time.perf_counter()
            app.push_screen(Bare())
            while not (app.screen.query(DataTable) and app.screen.query_one(DataTable).row_count):
                await asyncio.sleep(0.001)
            await pilot.pause()
            times.append((time.perf_counter() - start) * 1000)
            app.pop_screen()
            await pilot.pause()
    return sorted(times[1:])


def report(name: str, times: list[float], floor: float, items: int | None = None,
           cpu: list[float] | None = None) -> None:
    extra = f" ({items:,} items)" if items is not None else ""
    if cpu:
        extra = f"  CPU p50 {p(cpu, .5):7.2f} p95 {p(cpu, .95):7.2f}" + extra
    print(f"{name:<44} p50 {p(times, .5):7.2f} ms  p95 {p(times, .95):7.2f} ms  "
          f"p95/floor {p(times, .95) / floor:6.1f}x{extra}")


def store_now(path: Path) -> datetime:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    newest = connection.execute('SELECT max(opened_at) FROM "case"').fetchone()[0]
    connection.close()
    return datetime.fromisoformat(newest).replace(tzinfo=UTC) if newest else AS_OF


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--as-of", type=datetime.fromisoformat, default=None)
    parser.add_argument("--no-screen", action="store_true")
    parser.add_argument("--cold", action="store_true",
                        help="drop the store from the OS page cache before each measure "
                        "(and time the first call, not a warm one)")
    args = parser.parse_args()
    path = args.store or Path(__file__).parent / f"day-{args.cases // 1000}k.db"
    build(path, args.cases)
    now = args.as_of or store_now(path)
    if args.cold:
        COLD.append(path)
    print(f"now: {now.isoformat()}")
    from asbtui.screens.my_day import SHOWN

    def first(store: object) -> day.MyDay:
        return day.my_day(store, now=now, limit=SHOWN, prompts=False)  # type: ignore[arg-type]

    with open_store(path) as store:
        officer = users.sign_in(store, "pc.thanet", "271828")
        floor = floor_ms(path, officer.officer_id or "", now)
        print(f"floor (bare indexed query of the officer's cases) p95 {p(floor, .95):.3f} ms")
        floor95 = max(p(floor, .95), 0.001)
        for who, user, pin in (("officer", "pc.thanet", "271828"),
                               ("supervisor", "sup.thanet", "314159")):
            users.sign_out(store)
            users.sign_in(store, user, pin)
            repeat = args.repeat if who == "officer" else max(10, args.repeat // 4)
            whole = day.my_day(store, now=now)
            items = f"{len(whole.items):,}{'+' if whole.truncated else ''}"
            report(f"my_day {who}: {SHOWN} soonest, no prompts", timings_ms(
                lambda: first(store), repeat), floor95, None, CPU[0] if CPU else None)
            report(f"my_day {who}: whole day ({items} items)", timings_ms(
                lambda: day.my_day(store, now=now), max(5, repeat // 4)), floor95, None,
                CPU[0])
            if who == "officer" and not args.no_screen:
                shown, counted = asyncio.run(open_screen(store, max(10, args.repeat // 4), now))
                bare = asyncio.run(bare_screen(max(10, args.repeat // 4)))
                report("floor: bare Textual screen, 100 rows", bare, floor95)
                report("screen (f2), officer: first rows painted", shown, floor95)
                report("screen (f2), officer: counts in", counted, floor95)
                print(f"  screen p95 / bare screen p95: {p(shown, .95) / p(bare, .95):.1f}x "
                      f"(p50 {p(shown, .5) / p(bare, .5):.1f}x)")
        users.sign_out(store)
        users.sign_in(store, "pc.thanet", "271828")
        print("query plans (the officer's first step, as run):")
        for label, plan in plans(store, lambda: first(store)):
            print(f"  {label}: {plan}")
    print(f"cases in store: {statistics.fmean([args.cases]):,.0f}")


def plans(store: object, fn: Callable[[], object]) -> list[tuple[str, str]]:
    """Each SELECT that ``fn`` runs, with its query plan."""
    import sqlalchemy as sa

    seen: list[tuple[str, object]] = []

    def trace(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        seen.append((statement, parameters))

    engine = store.engine  # type: ignore[attr-defined]
    sa.event.listen(engine, "before_cursor_execute", trace)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", trace)
    raw = engine.raw_connection()
    out = []
    for statement, parameters in seen:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        plan = raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
        table = statement.split("FROM", 1)[1].split()[0].strip('"') if "FROM" in statement else "?"
        out.append((table, "; ".join(row[3] for row in plan)))
    raw.close()
    return out


if __name__ == "__main__":
    main()
