"""How long ``asbtui demo`` takes as the demo grows: wall clock and CPU of the process.

    python bench/demo_bench.py [--cases 10000 100000 1000000] [--encrypted] [--keep DIR]

Each size is built by a real ``asbtui demo`` process into a new file (removed after,
unless ``--keep``); its wall time, CPU time (user + system, from ``wait4``) and peak RSS
are printed, then how each grows from size to size, with the CPU per thousand cases. On a
shared machine the wall clock measures the neighbours too: the CPU figures are the ones to
compare between runs. ``--encrypted`` builds with ASBTUI_KEY set (SQLCipher).
A floor measured in the same run: ``asbtui demo --cases 1`` (start, migrations, the users'
PIN hashes and one case).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build(path: Path, cases: int, encrypted: bool) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of ``asbtui demo --cases N`` into ``path``."""
    env = {k: v for k, v in os.environ.items() if k != "ASBTUI_KEY"}
    if encrypted:
        env["ASBTUI_KEY"] = "bench passphrase, not a secret"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "asbtui", "demo", "--db", str(path), "--cases", str(cases)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"demo of {cases} failed: {process.stderr.read()[-800:]!r}")  # type: ignore[union-attr]
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--encrypted", action="store_true", help="with ASBTUI_KEY (SQLCipher)")
    parser.add_argument("--keep", type=Path, help="keep the stores in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(dir=HERE, prefix="demo-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    kind = "encrypted" if args.encrypted else "plain"
    figures: dict[int, tuple[float, float, float]] = {}
    for cases in [1, *sorted(args.cases)]:
        path = folder / f"demo-{kind}-{cases}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        figures[cases] = build(path, cases, args.encrypted)
        wall, cpu, rss = figures[cases]
        size = path.stat().st_size / 2**20
        print(f"{cases:>9,} cases ({kind}): wall {wall:7.1f} s, CPU {cpu:7.1f} s, "
              f"peak RSS {rss:5.0f} MiB, store {size:,.0f} MiB", flush=True)
        if args.keep is None or cases == 1:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    if args.keep is None:
        folder.rmdir()
    floor = figures.pop(1)
    print(f"\nfloor (1 case): wall {floor[0]:.1f} s, CPU {floor[1]:.1f} s")
    print(f"{'cases':>9} {'wall s':>8} {'CPU s':>8} {'CPU ms/1k cases':>16} {'CPU growth':>11}")
    previous = None
    for cases, (wall, cpu, _rss) in figures.items():
        per = (cpu - floor[1]) / cases * 1e6
        growth = f"{cpu / previous[1]:.1f}x for {cases / previous[0]:.0f}x" if previous else ""
        print(f"{cases:>9,} {wall:>8.1f} {cpu:>8.1f} {per:>16.0f} {growth:>11}")
        previous = (cases, cpu)


if __name__ == "__main__":
    main()
