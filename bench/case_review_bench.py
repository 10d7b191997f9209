"""The queue's ASB Case Review marks: cases_meeting_threshold for a district, at size.

The queue starts it in a worker after the first page is drawn, so its CPU competes with
the officer's first keystrokes. Prints, per store, the CPU (process time) and wall time
of each call (median of --repeat) beside the load average, the cases marked, and with
--explain the plan SQLite chooses. With --check it also compares every district's marks
with the all-districts answer split by district (the same cases, whichever way asked).

    python bench/case_review_bench.py --store 100000=/work/stores/x-100k.db \
        --store 1000000=/work/stores/x-1m.db --on 2026-12-07 --explain

Open read-only in spirit: it runs only SELECTs (open_store may migrate a copy).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time
from datetime import date

from asbtui.db import open_store
from asbtui.models import District
from asbtui.services import access, case_review


def timed(fn, *args, **kwargs):
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", action="append", required=True, help="CASES=PATH")
    parser.add_argument("--on", type=date.fromisoformat, default=None)
    parser.add_argument("--district", default="THA")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    district = District(args.district) if args.district != "all" else None
    for item in args.store:
        size, path = item.split("=", 1)
        store = open_store(path)
        store.actor = access.Actor("bench", None)
        on = args.on
        print(f"\n{int(size):,} cases ({path}), on {on or 'today'}, "
              f"district {args.district}")
        if args.explain:
            query = case_review._meeting_select(district, on or date.today(), 3)
            with store.engine.connect() as connection:
                compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"):
                    print("  plan:", row[3])
        cpus, walls = [], []
        found = []
        for _ in range(args.repeat):
            found, cpu, wall = timed(case_review.cases_meeting_threshold,
                                     store, district, on=on)
            cpus.append(cpu)
            walls.append(wall)
        digest = hashlib.sha1(repr(found).encode()).hexdigest()[:10]
        print(f"  cases_meeting_threshold: CPU {statistics.median(cpus):8.1f} ms, wall "
              f"{statistics.median(walls):8.1f} ms (load {os.getloadavg()[0]:.2f}); "
              f"{len(found)} cases marked, digest {digest}")
        if args.check:
            everywhere, cpu, wall = timed(case_review.cases_meeting_threshold,
                                          store, None, on=on)
            print(f"  all districts: CPU {cpu:.1f} ms, wall {wall:.1f} ms, "
                  f"{len(everywhere)} cases")
            joined: list[tuple[str, int]] = []
            for each in District:
                mine = case_review.cases_meeting_threshold(store, each, on=on)
                assert mine == sorted(mine, key=lambda r: (-r[1], r[0])), each
                joined += mine
            assert sorted(joined) == sorted(everywhere)
            print(f"  the 13 districts' marks together are the all-districts marks, digest "
                  f"{hashlib.sha1(repr(sorted(everywhere)).encode()).hexdigest()[:10]}")
        store.close()


if __name__ == "__main__":
    main()
