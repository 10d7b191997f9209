"""The first sync's device side alone: the scope streams of a `sync_bench.py` run, saved to
files once, replayed through the sync engine into an empty device store, with the CPU of
each thread beside the wall time (the full bench's wall clock, on a shared machine, mostly
measures the load).

    python bench/sync_device_bench.py --capture [--cases 100000]   # runs sync_bench.py once
    python bench/sync_device_bench.py [--runs 2] [--digest]        # replays the saved streams

``--digest`` prints a hash of every table's rows (in key order), of the schema and the
integrity check, to show that a change stores the same. Streams go to /tmp/sync_streams
(``--dir``). Compare two trees by running this with ``PYTHONPATH`` at each (e.g. at
``git archive main asbtui | tar -x -C /tmp/before``), in turn.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def capture(folder: Path, cases: int) -> None:
    """Run the full bench once, teeing each first-sync stream and the plan to ``folder``."""
    sys.path.insert(0, str(HERE))
    import sync_bench

    from asbtui.sync import engine, transport

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    real_stream, real_scopes = transport.HttpTransport.stream, engine._stream_scopes
    count = [0]

    def stream(self: Any, path: str, body: dict[str, Any]) -> tuple[dict[str, str], Any]:
        headers, blocks = real_stream(self, path, body)
        if path != "/v1/stream":
            return headers, blocks
        count[0] += 1
        name = folder / f"{count[0]:02d}.bin"
        with open(folder / "index.jsonl", "a") as index:
            index.write(json.dumps({**body, "file": str(name), "headers": {
                k: v for k, v in headers.items() if k.startswith("x-")}}) + "\n")

        def tee() -> Any:
            with open(name, "wb") as out:
                for block in blocks:
                    out.write(block)
                    yield block
        return headers, tee()

    def scopes(store: Any, tr: Any, streams: list[str], heads: dict[str, int],
               *args: Any, **kwargs: Any) -> Any:
        (folder / "plan.json").write_text(json.dumps({"streams": streams, "heads": heads}))
        return real_scopes(store, tr, streams, heads, *args, **kwargs)

    transport.HttpTransport.stream = stream  # type: ignore[method-assign]
    engine._stream_scopes = scopes
    sys.argv = ["sync_bench.py", "--cases", str(cases)]
    sync_bench.main()


class Saved:
    """A transport that answers stream requests from the saved files."""

    def __init__(self, folder: Path) -> None:
        self.index = [json.loads(line)
                      for line in (folder / "index.jsonl").read_text().splitlines()]

    def stream(self, _path: str, body: dict[str, Any]) -> tuple[dict[str, str], Any]:
        for saved in self.index:
            if saved["scope"] == body["scope"] and saved["after"] == body["after"]:
                def blocks(name: str = saved["file"]) -> Any:
                    with open(name, "rb") as file:
                        while block := file.read(1 << 16):
                            yield block
                return saved["headers"], blocks()
        raise KeyError(body)


def replay(folder: Path, store_path: Path, digest: bool) -> None:
    sys.path.insert(0, str(HERE))
    from sync_bench import timed_phases

    import asbtui
    from asbtui.db import open_store
    from asbtui.sync import engine

    plan = json.loads((folder / "plan.json").read_text())
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store_path}{suffix}").unlink(missing_ok=True)
    store = open_store(store_path, create=True)
    phases = timed_phases()
    cpu: dict[str, float] = {}

    def on_thread_cpu(module: Any, name: str, label: str) -> None:
        inner = getattr(module, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                cpu[label] = cpu.get(label, 0.0) + time.thread_time() - started
        setattr(module, name, wrapped)

    on_thread_cpu(engine, "_apply_chunk", "writer in the chunks")
    on_thread_cpu(engine, "rebuild_deferred_indexes", "writer making the indexes")
    on_thread_cpu(engine.search, "rebuild_index", "search index")
    if hasattr(engine.search, "fill_beside"):  # filled in a thread of its own (sync5)
        on_thread_cpu(engine.search, "fill_beside", "search index beside")
    on_thread_cpu(engine._Reader, "_run", "reader")
    report = engine.SyncReport()
    load = os.getloadavg()[0]
    started, process = time.perf_counter(), time.process_time()
    engine._stream_scopes(store, Saved(folder), plan["streams"], plan["heads"], report,
                          engine._no_checkpoint, None)
    wall, spent = time.perf_counter() - started, time.process_time() - process
    store.close()
    print(f"{asbtui.__file__}: {report.pulled:,} rows in {wall:.1f} s, device CPU "
          f"{spent:.1f} s; load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print("  wall: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    print("  CPU: " + ", ".join(f"{k} {v:.2f} s" for k, v in cpu.items())
          + f", other threads (checkpoints, sorter workers) {spent - sum(cpu.values()):.2f} s")
    if digest:
        print("  " + stored_digest(store_path))


def stored_digest(path: Path) -> str:
    """A hash of every table's rows in full order, one of the schema, and the integrity
    check: the same for two trees that store the same."""
    connection = sqlite3.connect(path)
    rows_hash = hashlib.sha256()
    for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name <> 'store_meta' ORDER BY name"):
        columns = [r[1] for r in connection.execute(f'PRAGMA table_info("{name}")')]
        order = ", ".join(f'"{c}"' for c in columns)
        rows_hash.update(repr(connection.execute(
            f'SELECT * FROM "{name}" ORDER BY {order}').fetchall()).encode())
    schema = sorted(connection.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%'"))
    sound = connection.execute("PRAGMA integrity_check").fetchone()[0]
    connection.close()
    return (f"rows {rows_hash.hexdigest()[:12]}, schema "
            f"{hashlib.sha256(repr(schema).encode()).hexdigest()[:12]}, integrity {sound}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--capture", action="store_true")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/sync_streams"))
    parser.add_argument("--store", type=Path, default=Path("/tmp/sync_device_bench.db"))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--digest", action="store_true")
    args = parser.parse_args()
    if args.capture:
        capture(args.dir, args.cases)
        return
    for _ in range(args.runs):
        replay(args.dir, args.store, args.digest)


if __name__ == "__main__":
    main()
