"""Nearby cases at intake on a large store: p50 and p95 of the point lookup.

    python bench/near_bench.py STORE [--samples 200]

STORE is a copy of a demo store (it is changed): every case without a point is given one,
drawn at random over Kent (seeded), as if every report had been placed on a map. Then
:func:`asbtui.services.matches.intake_matches` with only a point is timed for points taken
near cases of the store, beside a floor (one bare indexed lookup of a case by its ref),
as CPU time of this process. Prints the query plan. Goal: p95 < 50 ms.
Run on demand; CI does not run it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from asbtui.db import open_store, refresh_statistics
from asbtui.models import District, Role
from asbtui.services import access, geo, matches

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
KENT = ((51.05, 51.48), (0.05, 1.45))  # south-north, west-east


def cpu_ms(fn, inputs) -> tuple[float, float]:
    fn(inputs[0])
    times = []
    for value in inputs:
        start = time.process_time()
        fn(value)
        times.append((time.process_time() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def place_every_case(store, rng: random.Random) -> int:
    with store.engine.begin() as connection:
        ids = [r[0] for r in connection.exec_driver_sql(
            'SELECT id FROM "case" WHERE latitude IS NULL')]
        connection.exec_driver_sql("UPDATE sync_state SET value = '0' WHERE key = 'recording'")
        connection.exec_driver_sql(
            'UPDATE "case" SET latitude = ?, longitude = ? WHERE id = ?',
            [(round(rng.uniform(*KENT[0]), 6), round(rng.uniform(*KENT[1]), 6), i)
             for i in ids])
    refresh_statistics(store.engine)
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(1)
    with open_store(args.store) as store:
        start = time.perf_counter()
        placed = place_every_case(store, rng)
        print(f"placed {placed:,} cases in {time.perf_counter() - start:.1f} s")
        store.actor = access.Actor("bench", Role.SUPERVISOR,
                                   frozenset(District), full_name="Bench")
        with store.engine.connect() as connection:
            total = connection.exec_driver_sql('SELECT count(*) FROM "case"').scalar_one()
            top = connection.exec_driver_sql('SELECT max(rowid) FROM "case"').scalar_one()
            rows = [connection.exec_driver_sql(
                'SELECT ref, latitude, longitude FROM "case" WHERE rowid = ?',
                (rng.randint(1, top),)).one() for _ in range(args.samples)]
            plan = [r[-1] for r in connection.execute(
                sa.text(f"EXPLAIN QUERY PLAN {matches.NEAR_SQL.text}"),
                {"south": 51.3, "north": 51.31, "west": 1.3, "east": 1.31})]
        points = [geo.Point(lat + rng.uniform(-0.0005, 0.0005), lon + rng.uniform(-0.0005, 0.0005))
                  for _, lat, lon in rows if lat is not None]
        refs = [r[0] for r in rows]
        found = [len(matches.intake_matches(store, matches.MatchQuery(point=p), now=AS_OF))
                 for p in points[:50]]

        def floor(ref: str) -> None:
            with store.engine.connect() as c:
                c.exec_driver_sql('SELECT id FROM "case" WHERE ref = ?', (ref,)).all()

        base = cpu_ms(floor, refs)
        near = cpu_ms(lambda p: matches.intake_matches(store, matches.MatchQuery(point=p),
                                                       now=AS_OF), points)
    print(f"cases: {total:,}; matches per lookup: median {statistics.median(found)}, "
          f"max {max(found)}")
    print(f"plan: {plan}")
    print(f"floor (case by ref): p50 {base[0]:.2f} ms, p95 {base[1]:.2f} ms")
    print(f"nearby lookup:       p50 {near[0]:.2f} ms, p95 {near[1]:.2f} ms "
          f"({near[1] / max(base[1], 0.001):.1f}x the floor; goal p95 < 50 ms)")


if __name__ == "__main__":
    main()
