"""Sync benchmark: a device's first sync of a whole force, and an incremental sync of
1,000 changes, each against a raw psycopg COPY of the same rows in the same run.

    python bench/sync_bench.py [--cases 100000] [--postgres postgresql://postgres@127.0.0.1/test]

Builds (once) a demo store of N cases in bench/ (kept: bench/*.db is ignored by git),
loads it into a new central database (dropped at the end), runs the real sync service in a
subprocess on a free port, enrols a device whose user pulls all 13 districts, and prints
times and ratios. Goal: first sync at most 3 times the raw COPY.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from asbtui.db import open_store
from asbtui.server import central
from asbtui.server.bulk import bulk_load
from asbtui.server.schema import migrate
from asbtui.services.demo import build_demo
from asbtui.sync import engine
from asbtui.sync.snapshot import snapshot
from asbtui.sync.transport import HttpTransport

HERE = Path(__file__).parent
DISTRICTS = "ASH,CAN,DAR,DOV,FOL,GRA,MAI,MED,SEV,SWA,THA,TON,TUN"


def demo_store(cases: int) -> Path:
    path = HERE / f"sync_demo_{cases}.db"
    if not path.exists():
        started = time.perf_counter()
        with open_store(path, create=True) as store:
            build_demo(store, cases=cases, seed=1)
        print(f"built the demo store of {cases:,} cases in {time.perf_counter() - started:.1f} s")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raw_copy(url: str, query: str) -> tuple[float, int, float]:
    """The floor: the same rows out of PostgreSQL with COPY, nothing else. Returns the
    wall time, the bytes and the CPU of both ends (this process and its backend)."""
    started, cpu = time.perf_counter(), time.process_time()
    size = 0
    with psycopg.connect(url) as conn:
        backend = conn.info.backend_pid
        before = cpu_of(backend)
        with conn.cursor() as cur, cur.copy(query) as copy:
            for block in copy:
                size += len(block)
        spent = cpu_of(backend) - before + time.process_time() - cpu
    return time.perf_counter() - started, size, spent


def cpu_of(pid: int) -> float:
    """User and system CPU seconds of a process on this machine (0 if unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reaped_cpu(pid: int) -> float:
    """CPU seconds of the children a process has waited for (0 if unreadable): for the
    postmaster, its ended backends and parallel workers."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def postmaster_pid(url: str) -> int:
    with psycopg.connect(url) as conn:  # read while the backend lives
        try:
            stat = Path(f"/proc/{conn.info.backend_pid}/stat").read_text()
        except OSError:
            return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def backends_cpu(url: str, database: str) -> dict[int, float]:
    """CPU of each PostgreSQL backend serving ``database`` now (the service's pool)."""
    with psycopg.connect(url) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
            "pg_backend_pid()", (database,))]
    return {pid: cpu_of(pid) for pid in pids}


class Meter:
    """CPU spent meanwhile by this process (the device), the service and its backends."""

    def __init__(self, url: str, database: str, server: int) -> None:
        self.url, self.database, self.server = url, database, server
        self.started = time.perf_counter()
        self.device = time.process_time()
        self.service = cpu_of(server)
        self.backends = backends_cpu(url, database)
        # Parallel workers start and end within a query: counted when the postmaster
        # reaps them (with any other session's backends that end meanwhile).
        self.postmaster = postmaster_pid(url)
        self.reaped = reaped_cpu(self.postmaster)

    def report(self) -> str:
        device = time.process_time() - self.device
        service = cpu_of(self.server) - self.service
        backends = sum(cpu - self.backends.get(pid, 0.0)
                       for pid, cpu in backends_cpu(self.url, self.database).items())
        reaped = reaped_cpu(self.postmaster) - self.reaped
        return (f"CPU: device {device:.1f} s, service {service:.1f} s, PostgreSQL "
                f"{backends:.1f} s (+ {reaped:.1f} s in ended workers and backends); {load()}")


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-analyze", action="store_true",
                        help="leave the loaded central store's statistics to autovacuum")
    args = parser.parse_args()

    source = demo_store(args.cases)
    with open_store(source) as store:
        tables = [(name, list(rows)) for name, rows in snapshot(store)]
    for name, rows in tables:
        if name == "app_user":
            for row in rows:
                if row["username"] == "sup.thanet":
                    row["districts"] = DISTRICTS  # a force-wide supervisor: every case
    rows_total = sum(len(rows) for _name, rows in tables)

    database = f"sync_bench_{secrets.token_hex(4)}"
    base = args.postgres.rsplit("/", 1)[0]
    url = f"{base}/{database}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    server = None
    try:
        migrate(url)
        started = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            bulk_load(conn, tables)
            code = central.enrol_device(conn, "bench device")
            if not args.no_analyze:
                # A central store in service has its statistics. Without them the planner
                # picks other plans for the streams, and whether autovacuum had analysed
                # the fresh store before the sync began decided which a run measured.
                conn.execute("VACUUM ANALYZE")
        print(f"central store loaded: {rows_total:,} rows in {time.perf_counter() - started:.1f} s")

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "asbtui", "server", "--central", url, "--port", str(port)],
            stderr=subprocess.DEVNULL)
        address = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # a loaded machine starts it slowly
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the sync service did not start") from None
                time.sleep(0.2)

        device_path = HERE / f"sync_device_{args.cases}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{device_path}{suffix}").unlink(missing_ok=True)
        device = open_store(device_path, create=True)
        engine.enrol(device, address, code, HttpTransport(address))
        _url, key = engine.credentials(device)
        scopes = ["force"] + [f"district:{d}" for d in DISTRICTS.split(",")]
        in_list = ", ".join(f"'{s}'" for s in scopes)

        phases = timed_phases()
        print(load())
        floor, size, floor_cpu = raw_copy(
            url, "COPY (SELECT version, tbl, key, op, data, rev FROM change "
                 f"WHERE scope IN ({in_list}) ORDER BY scope, version) "
                 "TO STDOUT WITH (FORMAT csv)")
        # The stream is in COPY's text format now (a device asks for it): the same rows
        # in that format too, a floor as low or lower.
        floor_text, size_text, floor_text_cpu = raw_copy(
            url, "COPY (SELECT version, tbl, key, op, data, rev FROM change "
                 f"WHERE scope IN ({in_list}) ORDER BY scope, version) TO STDOUT")
        meter = Meter(url, database, server.pid)
        started = time.perf_counter()
        report = engine.sync(device, HttpTransport(address, key, "sup.thanet"))
        first = time.perf_counter() - started
        print(f"first sync: {report.pulled:,} changes ({size / 1e6:.0f} MB as CSV) in "
              f"{first:.1f} s; raw COPY of the same rows {floor:.2f} s; "
              f"ratio {first / floor:.1f}x (goal: at most 3x)")
        print(f"  raw COPY in text format ({size_text / 1e6:.0f} MB) {floor_text:.2f} s, "
              f"CPU {floor_text_cpu:.1f} s: ratio {first / floor_text:.1f}x")
        print(f"  raw COPY CPU {floor_cpu:.1f} s (client and backend); sync " + meter.report())
        print("  of the wall time: "
              + ", ".join(f"{name} {spent:.1f} s" for name, spent in phases.items()))
        phases.clear()

        # 1,000 changes on the device (a new risk on 1,000 cases), pushed and pulled back.
        with device.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE \"case\" SET risk = CASE risk WHEN 'high' THEN 'medium' ELSE 'high' END "
                "WHERE id IN (SELECT id FROM \"case\" ORDER BY id LIMIT 1000)")
        meter = Meter(url, database, server.pid)
        started = time.perf_counter()
        report = engine.sync(device, HttpTransport(address, key, "sup.thanet"))
        incremental = time.perf_counter() - started
        with psycopg.connect(url) as conn:
            low = conn.execute("SELECT min(version) FROM change WHERE seq IS NOT NULL "
                               "AND scope LIKE 'district:%'").fetchone()[0]
        metered = meter.report()
        floor2, _size, floor2_cpu = raw_copy(
            url, "COPY (SELECT version, tbl, key, op, data, rev FROM "
                 f"change WHERE scope IN ({in_list}) AND seq IS NOT NULL "
                 f"AND version >= {int(low or 0)}) TO STDOUT WITH (FORMAT csv)")
        print(f"incremental sync: pushed {report.pushed:,}, pulled {report.pulled:,} in "
              f"{incremental:.2f} s; raw COPY of those rows {floor2 * 1000:.1f} ms; ratio "
              f"{incremental / floor2:.0f}x")
        print(f"  raw COPY CPU {floor2_cpu:.2f} s; sync {metered}")
        device.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    print(f"peak RSS of this process: {peak_rss_mib():.0f} MiB")


def timed_phases() -> dict[str, float]:
    """Wall time spent in the first sync's phases: applying chunks, making the indexes
    and the search index again, refreshing the planner's statistics."""
    from asbtui import db

    spent: dict[str, float] = {}

    def timing(module: object, name: str, label: str) -> None:
        inner = getattr(module, name, None)
        if inner is None:
            return  # an older asbtui (the "before" of a comparison)

        def wrapped(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        setattr(module, name, wrapped)

    timing(engine, "_apply_chunk", "chunks applied")
    timing(engine._Reader, "get", "writer waiting for the stream")
    timing(engine, "_reindex_all", "indexes and search index in all")
    timing(engine, "rebuild_deferred_indexes", "indexes made")
    timing(engine.search, "rebuild_index", "search index")
    timing(engine.search, "fill_beside", "search index beside (its own thread)")
    timing(db, "refresh_statistics", "statistics")
    return spent


def peak_rss_mib() -> float:
    import resource

    scale = 1024 if os.uname().sysname == "Linux" else 1024 * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / scale / 1024


if __name__ == "__main__":
    main()
