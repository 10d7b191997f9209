"""A day's move of the kept patterns timed alone, on a copy left as it was found.

    python bench/patterns_move_profile.py --store PRE [--days 1] [--whole]
        [--profile FILE.html [--profile-again]] [--check]

``PRE``: a copy of a big store whose patterns are kept (all districts, ``min_cases=2``),
e.g. by a cold look of ``patterns_kept_bench.py`` at the instant wanted. The rows are
first read at their own instant (nothing moves: the rows are held, as in a running app),
then brought ``--days`` later: the refresh and the read timed apart (wall and CPU, with
the load average), or ``--whole``: as one look (``patterns()``, as the app does); then a
look after no change, and one with no rows held (as a new process). Everything written
goes to the WAL only (no checkpoint), which is removed before the process ends without
closing the store: the copy stays as it was, so every run (its own process) moves the
same rows. ``--profile``: pyinstrument's HTML of the move (``--profile-again``: of the
look after it). ``--check``: the full computation at the new instant compared with the
move's patterns. Environment: ``SHOW_KEYS=1`` prints the keys recounted by scan
(``dump``: also into /tmp/keys-SCAN.txt); ``MAX_MOVES=N`` sets ``DELTA_MAX_MOVES``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event

from asbtui.db import open_store
from asbtui.models import District
from asbtui.services import access, pattern_snapshot
from asbtui.services import patterns as service
from asbtui.services.patterns import PatternRules

RULES = PatternRules(min_cases=2)


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--profile-again", action="store_true",
                        help="profile the look again (no change) rather than the move")
    parser.add_argument("--whole", action="store_true",
                        help="time the move as one look (service.patterns), as the app does")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    wal = Path(f"{args.store}-wal")
    if wal.exists() and wal.stat().st_size:
        sys.exit(f"{wal} is not empty: the copy has been written to")
    store = open_store(args.store)
    store.actor = access.Actor("bench", None)
    event.listen(store.engine, "connect", lambda dbapi, _record: dbapi.execute(
        "PRAGMA wal_autocheckpoint=0").close())
    districts = list(District)
    if os.environ.get("MAX_MOVES"):
        pattern_snapshot.DELTA_MAX_MOVES = int(os.environ["MAX_MOVES"])
    if os.environ.get("SHOW_KEYS"):
        figures = pattern_snapshot._figures
        counts: dict[str, int] = {}

        def counted(connection, district, rules, now, keys, beside=None):
            for scan, wanted in (keys or {}).items():
                counts[scan] = counts.get(scan, 0) + len(wanted)
                if os.environ.get("SHOW_KEYS") == "dump":
                    with open(f"/tmp/keys-{scan}.txt", "a") as out:
                        out.writelines(f"{district.value}\t{key}\n" for key in wanted)
            return figures(connection, district, rules, now, keys, beside)

        pattern_snapshot._figures = counted
        pattern_snapshot.COUNTS = counts
    with store.engine.connect() as connection:
        (then,) = connection.exec_driver_sql(
            "SELECT max(now) FROM pattern_snapshot_district").one()
    then = datetime.fromisoformat(then)
    now = then + timedelta(days=args.days)
    print(f"store {args.store.name}, rows at {then.isoformat()}, moved to {now.isoformat()}; "
          f"load {load()}", flush=True)

    def timed(label, fn):
        pattern_snapshot.LAST.update(dict.fromkeys(pattern_snapshot.LAST, 0))
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        size = f"  ({len(result):,} found)" if isinstance(result, list) else ""
        print(f"{label:<40}{wall * 1000:>9.0f}{cpu * 1000:>9.0f}  load {load()}{size}",
              flush=True)
        if any(pattern_snapshot.LAST.values()):
            print("  keys " + ", ".join(f"{name} {count:,}"
                                        for name, count in pattern_snapshot.LAST.items()))
        return result

    try:
        timed("look at the rows' instant (held)", lambda: service.patterns(
            store, rules=RULES, now=then))

        def move():
            if args.whole:
                return service.patterns(store, rules=RULES, now=now)
            with service._gc_paused(), service._beside() as beside:
                timed("  refresh", lambda: pattern_snapshot.refresh(
                    store, districts, RULES, now, beside))
                return timed("  read", lambda: pattern_snapshot.read(
                    store, districts, RULES, repeats=True, hotspots=True))

        profiler = None
        if args.profile and not args.profile_again:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0005)
            profiler.start()
        found = timed("a day's move (refresh + read)", move)
        if os.environ.get("SHOW_KEYS"):
            print("  recounted by scan:", pattern_snapshot.COUNTS)
        if profiler is not None:
            profiler.stop()
            args.profile.write_text(profiler.output_html())
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        if args.profile and args.profile_again:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0005)
            profiler.start()
        timed("look again, no change", lambda: service.patterns(
            store, rules=RULES, now=now))
        if args.profile and args.profile_again:
            profiler.stop()
            args.profile.write_text(profiler.output_html())
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        store.cache.clear()  # as a new process: no rows held
        timed("look again, no rows held", lambda: service.patterns(
            store, rules=RULES, now=now))
        if args.check:
            full = timed("full computation at the new instant", lambda: service.patterns(
                store, rules=RULES, now=now, kept=False))
            print("  same patterns, same order:", full == found, flush=True)
    except BaseException:
        traceback.print_exc()
    finally:
        # Nothing written reaches the copy: the WAL goes, unclosed connections with it.
        sys.stdout.flush()
        for suffix in ("-wal", "-shm"):
            Path(f"{args.store}{suffix}").unlink(missing_ok=True)
        os._exit(0)


if __name__ == "__main__":
    main()
