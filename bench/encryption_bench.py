"""What encryption at rest costs: opening the store, the first painted queue, queries.

    python bench/encryption_bench.py [--cases 20000]

Builds a plain demo store once in bench/ and an encrypted copy of it (``db.encrypt``),
then times, on each: opening the store (for the encrypted one this includes deriving the
key: PBKDF2-HMAC-SHA512, 256,000 iterations), the first painted queue of the app (from
opening the store to rows on screen, as a user waits for it), and a few queue queries on
a warm store. Prints medians and the encrypted/plain ratio. Run on demand; CI does not.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from textual.app import App

from asbtui.app import AsbApp
from asbtui.config import Settings
from asbtui.db import encrypt, open_store
from asbtui.encryption import StoreKey
from asbtui.models import District
from asbtui.services import access, demo, queue
from asbtui.services.queue import QueueQuery
from asbtui.widgets.case_table import CaseTable

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PASSPHRASE = "bench passphrase, not a secret"
BENCH_ACTOR = access.Actor("bench", None)


def build(plain: Path, encrypted: Path, cases: int) -> None:
    if not plain.exists():
        start = time.perf_counter()
        with open_store(plain, create=True) as store:
            demo.build_demo(store, cases=cases, seed=1, as_of=AS_OF)
        print(f"built {plain.name} ({cases:,} cases) in {time.perf_counter() - start:.1f} s")
    if not encrypted.exists():
        staging = encrypted.with_name(encrypted.stem + "-staging.db")
        shutil.copyfile(plain, staging)
        start = time.perf_counter()
        encrypt(staging, StoreKey(PASSPHRASE))
        staging.rename(encrypted)
        print(f"encrypted a copy with db.encrypt in {time.perf_counter() - start:.1f} s")


def key_for(path: Path, encrypted: Path) -> StoreKey | None:
    # A new StoreKey each time: a new process derives the key once, so it is counted.
    return StoreKey(PASSPHRASE) if path == encrypted else None


def open_ms(path: Path, encrypted: Path) -> float:
    start = time.perf_counter()
    store = open_store(path, key=key_for(path, encrypted))
    elapsed = (time.perf_counter() - start) * 1000
    store.close()
    return elapsed


def ready(app: App) -> bool:
    tables = app.screen.query(CaseTable)
    return bool(tables) and tables.first().row_count > 0


async def first_paint_ms(path: Path, encrypted: Path) -> float:
    """From opening the store (key derived) to the first queue rows on screen."""
    start = time.perf_counter()
    store = open_store(path, key=key_for(path, encrypted))
    store.actor = BENCH_ACTOR
    app = AsbApp(store, settings=Settings(db=path), clock=lambda: AS_OF)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            while not ready(app):
                await pilot.pause(0.005)
            await pilot.pause()
            return (time.perf_counter() - start) * 1000
    finally:
        store.close()


def query_ms(path: Path, encrypted: Path) -> dict[str, float]:
    store = open_store(path, key=key_for(path, encrypted))
    store.actor = BENCH_ACTOR
    operations = {
        "queue page (Thanet, urgency)": lambda: queue.queue_page(
            store, QueueQuery(district=District.THA, today=AS_OF.date())),
        "queue count (all districts)": lambda: queue.queue_count(
            store, QueueQuery(statuses=(), today=AS_OF.date())),
        "search 'invicta road' (all)": lambda: queue.queue_page(
            store, QueueQuery(search="invicta road", statuses=())),
    }
    results = {}
    try:
        for name, fn in operations.items():
            fn()
            times = []
            for _ in range(11):
                start = time.perf_counter()
                fn()
                times.append((time.perf_counter() - start) * 1000)
            results[name] = statistics.median(times)
    finally:
        store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(__file__).parent
    plain = folder / f"enc-bench-plain-{args.cases // 1000}k.db"
    encrypted = folder / f"enc-bench-cipher-{args.cases // 1000}k.db"
    build(plain, encrypted, args.cases)
    print(f"\n{'':<36}{'plain ms':>10}{'encrypted':>11}{'ratio':>8}")
    rows = {
        "open the store (key derived)": [
            statistics.median(open_ms(p, encrypted) for _ in range(args.repeat))
            for p in (plain, encrypted)],
        "first painted queue (Thanet)": [
            statistics.median(asyncio.run(first_paint_ms(p, encrypted))
                              for _ in range(args.repeat))
            for p in (plain, encrypted)],
    }
    plain_q, cipher_q = query_ms(plain, encrypted), query_ms(encrypted, encrypted)
    for name in plain_q:
        rows[name] = [plain_q[name], cipher_q[name]]
    for name, (a, b) in rows.items():
        print(f"{name:<36}{a:>10.1f}{b:>11.1f}{b / a:>8.2f}")


if __name__ == "__main__":
    main()
