"""The deadlines list on a large store: a page by key, deep in the list, with true totals.

    python bench/deadlines_bench.py [--deadlines 200000]

Builds (once, kept in bench/) an empty store with --deadlines open deadlines spread over
all 13 districts, half of them overdue. Prints the median time of the first page, of a
page near the end (reached by key, as the screen does), of the whole list read page by
page (what `asbtui deadlines --json` does), and the ratio of the deep page to the first.
Run on demand; CI does not run it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asbtui.db import open_store
from asbtui.models import Deadline, District
from asbtui.services import access, enforcement

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HERE = Path(__file__).parent


def median_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def build(path: Path, count: int) -> None:
    districts = list(District)
    with open_store(path, create=True) as store, store.session() as session:
        for i in range(count):
            session.add(
                Deadline(
                    district=districts[i % len(districts)],
                    kind="closure_hearing",
                    label=f"Hearing {i}",
                    source="ABCPA s80(3)",
                    due_at=NOW + timedelta(minutes=(i * 7919) % (2 * count) - count),
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deadlines", type=int, default=200_000)
    args = parser.parse_args()
    path = HERE / f"deadlines-{args.deadlines}.db"
    if not path.exists():
        print(f"building {path.name} ...")
        build(path, args.deadlines)
    with open_store(path) as store:
        store.actor = access.Actor("bench", None)
        first = enforcement.deadlines_page(store, days=3650, now=NOW)
        after = first.next_key
        # Walk to the last page once to find a key near the end.
        last_key = after
        while after is not None:
            page = enforcement.deadlines_page(store, days=3650, now=NOW, after=after)
            last_key, after = after, page.next_key
        first_ms = median_ms(lambda: enforcement.deadlines_page(store, days=3650, now=NOW))
        deep_ms = median_ms(
            lambda: enforcement.deadlines_page(store, days=3650, now=NOW, after=last_key)
        )
        district_ms = median_ms(
            lambda: enforcement.deadlines_page(store, district=District.THA, days=3650, now=NOW)
        )
        all_ms = median_ms(
            lambda: enforcement.upcoming_deadlines(store, days=3650, now=NOW), repeat=1
        )
        print(f"{first.total:,} open deadlines, {first.overdue:,} overdue")
        print(f"first page (200, with totals): {first_ms:8.1f} ms")
        print(f"last page by key:              {deep_ms:8.1f} ms  ({deep_ms / first_ms:.2f}x)")
        print(f"first page, one district:      {district_ms:8.1f} ms")
        print(f"the whole list, page by page:  {all_ms:8.1f} ms")


if __name__ == "__main__":
    main()
