"""Intake duplicate matching and go-to-case on a large store: p50 and p95 per lookup.

    python bench/matches_bench.py [--store bench/records-100k.db] [--cases 100000]

Builds the store once if it is missing (``asbtui demo`` does the same), then times, for
addresses, postcodes and people taken from the store (typed in other case and spacing),
:func:`asbtui.services.matches.intake_matches`, :func:`asbtui.services.people.find_people`
(each search also writes its audit event, with an fsync) and
:func:`asbtui.services.lookup.find_refs`, against a floor: one bare indexed SQLite lookup
of a case by its address key. Prints each query plan's use of indexes (a SCAN of a table
would be a full scan). Goal: p95 < 50 ms.
``--cold`` drops the store from the OS page cache before each lookup (its first samples
then read the disk). Run on demand; CI does not run it.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from asbtui.db import open_store
from asbtui.services import access, demo, lookup, matches, people

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


CPU: list[tuple[float, float]] = []
"""Each timed row's CPU p50 and p95 (this process's time.process_time), beside the wall."""


def timings(fn: Callable[[object], object], inputs: list[object]) -> tuple[float, float]:
    fn(inputs[0])  # warm SQLite's statement cache (a cold file stays cold but for one)
    times, cpu = [], []
    for value in inputs:
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(value)
        cpu.append((time.process_time() - start_cpu) * 1000)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    cpu.sort()
    at = max(0, int(len(times) * 0.95) - 1)
    CPU.append((statistics.median(cpu), cpu[at]))
    return statistics.median(times), times[at]


def evict(path: Path) -> None:
    """Drop the store's pages (and its WAL's) from the OS page cache: the next reads come
    from the disk, as on a first use after a reboot. Only this file: the neighbours'
    caches are left alone."""
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


def samples(path: Path, n: int) -> tuple[list[str], list[str], list[tuple[str, str]], list[str]]:
    raw = sqlite3.connect(path)
    rng = random.Random(1)
    count = raw.execute('SELECT max(rowid) FROM "case"').fetchone()[0]
    rows = [raw.execute('SELECT location, postcode, ref FROM "case" WHERE rowid = ?',
                        (rng.randint(1, count),)).fetchone() for _ in range(n)]
    party_max = raw.execute("SELECT max(rowid) FROM party").fetchone()[0]
    people = [raw.execute("SELECT name, date_of_birth FROM party WHERE rowid = ?",
                          (rng.randint(1, party_max),)).fetchone() for _ in range(n)]
    raw.close()
    rows = [r for r in rows if r]
    return ([r[0] for r in rows if r[0]], [r[1] for r in rows if r[1]],
            [(p[0], p[1] or "") for p in people if p], [r[2] for r in rows])


def plan(path: Path, sql: str, params: tuple) -> str:
    raw = sqlite3.connect(path)
    steps = [r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + sql, params)]
    raw.close()
    return "; ".join(steps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=Path("bench/records-100k.db"))
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--cold", action="store_true",
                        help="drop the store from the OS page cache before each lookup")
    args = parser.parse_args()
    build(args.store, args.cases)
    locations, postcodes, people_rows, refs = samples(args.store, args.samples)
    raw_phones = sqlite3.connect(args.store)
    phones = [r[0] for r in raw_phones.execute(
        "SELECT phone FROM party WHERE phone != '' LIMIT ?", (args.samples,))]
    raw_phones.close()
    from asbtui.services import places

    raw = sqlite3.connect(args.store)
    keys = [places.address_key(x) for x in locations]

    def floor(key: object) -> object:
        return raw.execute('SELECT ref FROM "case" WHERE address_key = ? LIMIT 1',
                           (key,)).fetchall()

    floor_p50, floor_p95 = timings(floor, keys)
    with open_store(args.store) as store:
        store.actor = access.LOCAL
        total = raw.execute('SELECT count(*) FROM "case"').fetchone()[0]
        print(f"cases: {total:,}; samples: {len(locations)} addresses, {len(postcodes)} "
              f"postcodes, {len(people_rows)} people, {len(refs)} refs")
        print(f"{'lookup (wall; CPU of this process)':<34}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'p95/floor':>11}{'CPU p50':>9}{'CPU p95':>9}")
        print(f"{'floor: one indexed SQLite lookup':<34}{floor_p50:9.2f}{floor_p95:9.2f}"
              f"{1:11.1f}")

        def row(label: str, fn: Callable[[object], object], inputs: list[object]) -> None:
            if args.cold:
                evict(args.store)
            p50, p95 = timings(fn, inputs)
            cpu50, cpu95 = CPU[-1]
            print(f"{label:<34}{p50:9.2f}{p95:9.2f}{p95 / max(floor_p95, 1e-6):11.1f}"
                  f"{cpu50:9.2f}{cpu95:9.2f}" + ("  (goal 50 ms: MISSED)" if p95 > 50 else ""))

        row("address (upper case, spaced)", lambda loc: matches.intake_matches(
            store, matches.MatchQuery(location="  " + str(loc).upper().replace(",", " ,  ")),
            now=AS_OF), locations)
        row("postcode (lower case, no space)", lambda pc: matches.intake_matches(
            store, matches.MatchQuery(postcode=str(pc).lower().replace(" ", "")), now=AS_OF),
            postcodes)
        def born(text: str) -> object:
            return datetime.fromisoformat(text).date() if text else None

        row("person, name and date of birth", lambda p: matches.intake_matches(
            store, matches.MatchQuery(person_name=p[0].upper(), date_of_birth=born(p[1])),
            now=AS_OF), people_rows)
        row("person, name only", lambda p: matches.intake_matches(
            store, matches.MatchQuery(person_name=p[0]), now=AS_OF), people_rows)
        row("all three together", lambda i: matches.intake_matches(store, matches.MatchQuery(
            location=locations[i % len(locations)], postcode=postcodes[i % len(postcodes)],
            person_name=people_rows[i % len(people_rows)][0]), now=AS_OF),
            list(range(len(locations))))
        row("person find: full name", lambda p: people.find_people(
            store, people.PersonQuery(name=p[0].upper())), people_rows)
        row("person find: first word + 2 letters", lambda p: people.find_people(
            store, people.PersonQuery(name=" ".join([p[0].split()[0], p[0].split()[-1][:2]]))),
            people_rows)
        row("person find: phone", lambda ph: people.find_people(
            store, people.PersonQuery(phone=str(ph))), phones)
        row("go to case: whole ref", lambda r: lookup.find_refs(store, str(r)), refs)
        row("go to case: first 8 characters", lambda r: lookup.find_refs(
            store, str(r)[:8].lower()), refs)
        row("go to case: last 5 characters", lambda r: lookup.find_refs(
            store, str(r)[-5:], today=AS_OF.date()), refs)
    raw.close()
    key = keys[0]
    print("plans:")
    for label, sql, params in (
        ("address", 'SELECT ref FROM "case" WHERE address_key = ? AND status != \'closed\' '
         "AND NOT deleted ORDER BY opened_at DESC LIMIT 50", (key,)),
        ("address incidents", "SELECT case_ref, max(occurred_at) FROM incident WHERE "
         "district IN ('ASH','CAN','DAR','DOV','FOL','GRA','MAI','MED','SEV','SWA','THA',"
         "'TON','TUN') AND address_key = ? AND occurred_at >= '2025-11-25' AND deleted = 0 "
         "GROUP BY case_ref", (key,)),
        ("postcode", 'SELECT ref FROM "case" WHERE postcode_key = ?', ("CT92QB",)),
        ("phone", "SELECT id FROM party WHERE phone_key != '' AND phone_key = ?",
         ("07700900123",)),
        ("go to case", 'SELECT ref FROM "case" WHERE ref >= ? AND ref < ?',
         ("THA-26-7K", "THA-26-7K~")),
        ("person", 'SELECT "case".ref FROM "case" JOIN party ON party.case_id = "case".id '
         "WHERE party.person_key >= ? AND party.person_key < ?", ("ann|", "ann|~")),
    ):
        print(f"  {label}: {plan(args.store, sql, params)}")


if __name__ == "__main__":
    main()
