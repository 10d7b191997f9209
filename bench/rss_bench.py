"""Peak memory (RSS) of a real asbtui process as the store grows: the app opened on the
queue in a pty, and the CLI's ``case list`` and ``today``.

    python bench/rss_bench.py [--cases 1000 10000 100000 1000000] [--store N=PATH ...]

Each size gets a demo store in ``bench/`` (built once, kept; ``--store 1000000=PATH`` uses
a store built elsewhere: it is written to, as signing in writes, so give a copy). The app
is started as ``asbtui --db STORE --user pc.thanet`` (PIN from ASBTUI_PIN) in a pty of
120x40; once the first page of the queue is drawn and the screen has been still for two
seconds (the count arrives after the page), its peak RSS (``VmHWM`` of /proc) is read and
the app stopped. The CLI commands run to their end and their ``ru_maxrss`` is read. Each
figure is printed beside the smallest store's (goal: 1M within 1.2 x 1k) and the growth
from size to size. A bare Textual app with an empty DataTable that has imported SQLModel
is the floor.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PIN = "271828"  # the demo's pc.thanet (synthetic)
REF = re.compile(rb"THA-\d\d-[0-9A-Z]{3}")
FLOOR_APP = """
import sqlmodel  # noqa: F401
from textual.app import App
from textual.widgets import DataTable

class Floor(App):
    def compose(self):
        yield DataTable()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Ref", "Opened")
        table.add_rows([(f"THA-26-S{n:04d}", "01/01/2026") for n in range(40)])

Floor().run()
"""


def build(path: Path, cases: int) -> None:
    if path.exists():
        return
    print(f"building {cases:,} cases in {path} ...", flush=True)
    subprocess.run([sys.executable, "-m", "asbtui", "demo", "--db", str(path), "--cases",
                    str(cases)], check=True, stdout=subprocess.DEVNULL,
                   env={k: v for k, v in os.environ.items() if k != "ASBTUI_KEY"})


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def in_pty(argv: list[str], ready: re.Pattern[bytes], env: dict[str, str],
           timeout: float = 180.0, still: float = 2.0) -> tuple[int, float]:
    """Run ``argv`` in a pty until its screen shows ``ready`` and has then been still for
    ``still`` seconds; returns (peak RSS in KiB, seconds until ready)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                               start_new_session=True, close_fds=True)
    os.close(slave)
    started = time.perf_counter()
    seen, ready_at, last = b"", None, time.perf_counter()
    try:
        while time.perf_counter() - started < timeout:
            readable, _, _ = select.select([master], [], [], 0.2)
            if readable:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                last = time.perf_counter()
                if ready_at is None:
                    seen = (seen + chunk)[-4096:]
                    if ready.search(seen):
                        ready_at = last - started
            elif ready_at is not None and time.perf_counter() - last >= still:
                break
            if process.poll() is not None:
                raise RuntimeError(f"{argv} stopped early: {seen[-500:]!r}")
        if ready_at is None:
            raise RuntimeError(f"{argv} never showed {ready.pattern!r}: {seen[-500:]!r}")
        return _peak_kib(process.pid), ready_at
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)


def cli_peak(argv: list[str], env: dict[str, str]) -> int:
    """Peak RSS (KiB) of a command run to its end."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} failed: {process.stderr.read()[-500:]!r}")  # type: ignore[union-attr]
    return usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, nargs="+",
                        default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--store", nargs="*", default=[], help="N=PATH: a store of N cases")
    parser.add_argument("--no-cli", action="store_true")
    args = parser.parse_args()
    given = {int(n): Path(p) for n, p in (item.split("=", 1) for item in args.store)}
    env = {k: v for k, v in os.environ.items() if k not in ("ASBTUI_KEY", "ASBTUI_USER")}
    env.update(TERM="xterm-256color", ASBTUI_PIN=PIN, COLUMNS="120", LINES="40")
    asbtui = [sys.executable, "-m", "asbtui"]

    floor, _ = in_pty([sys.executable, "-c", FLOOR_APP], re.compile(rb"THA-26-S0001"), env)
    print(f"floor (bare Textual app, DataTable, SQLModel imported): {floor / 1024:.0f} MiB")
    rows: dict[str, dict[int, float]] = {"app on the queue": {}}
    if not args.no_cli:
        rows["cli: case list"] = {}
        rows["cli: today"] = {}
    for cases in sorted(args.cases):
        store = given.get(cases) or HERE / f"rss-{cases // 1000}k.db"
        build(store, cases)
        peak, ready = in_pty(asbtui + ["--db", str(store), "--user", "pc.thanet"], REF, env)
        rows["app on the queue"][cases] = peak / 1024
        print(f"{cases:>9,} cases: app {peak / 1024:.0f} MiB (queue drawn after {ready:.1f} s)",
              flush=True)
        if not args.no_cli:
            base = asbtui + ["--db", str(store), "--user", "pc.thanet"]
            rows["cli: case list"][cases] = cli_peak(base + ["case", "list"], env) / 1024
            rows["cli: today"][cases] = cli_peak(base + ["today"], env) / 1024
            print(f"{'':>9}        case list {rows['cli: case list'][cases]:.0f} MiB, "
                  f"today {rows['cli: today'][cases]:.0f} MiB", flush=True)
    sizes = sorted(args.cases)
    print(f"\npeak RSS, MiB (floor {floor / 1024:.0f}); x = against {sizes[0]:,} cases")
    print(f"{'':<20}" + "".join(f"{n:>16,}" for n in sizes))
    for name, figures in rows.items():
        first = figures[sizes[0]]
        print(f"{name:<20}" + "".join(
            f"{figures[n]:>9.0f} {figures[n] / first:>5.2f}x" for n in sizes))


if __name__ == "__main__":
    main()
