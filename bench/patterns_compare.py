"""Compare the patterns of concern with a reference version's, field by field.

    python bench/patterns_compare.py [--ref main] [--store bench/bench-patterns-200k.db]

Loads ``asbtui/services/patterns.py`` as it is at git revision --ref beside the working
copy's, runs repeats, hotspots and patterns with several rule sets for every district and
for all of them on the store (built by patterns_bench.py), and reports any difference.
Exits 1 if any result differs. Run on demand; CI does not run it.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from asbtui.db import open_store
from asbtui.models import District
from asbtui.services import access
from asbtui.services import patterns as new

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
RULES = [
    {},
    {"min_cases": 2},
    {"min_cases": 3, "repeat_min_reports": 5},
    {"window_months": 6, "hotspot_factor": 1.5, "hotspot_min_reports": 3},
    {"hotspot_recent_months": 1, "hotspot_baseline_months": 6, "min_cases": 2},
]


def load_reference(rev: str):  # noqa: ANN201
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "-C", str(root), "show", f"{rev}:asbtui/services/patterns.py"],
                            check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "patterns_ref.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("asbtui.services._patterns_ref", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def plain(patterns: list) -> list[dict]:
    rows = []
    for p in patterns:
        row = dataclasses.asdict(p)
        row["kind"] = p.kind.value
        row["district"] = p.district.value
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", default="main")
    parser.add_argument("--store", default=str(Path(__file__).parent / "bench-patterns-200k.db"))
    parser.add_argument("--quick", action="store_true", help="Thanet and all districts only")
    args = parser.parse_args()
    old = load_reference(args.ref)
    store = open_store(args.store)
    store.actor = access.Actor("bench", None)
    districts: list[District | None] = [None, District.THA] if args.quick else [None, *District]
    failures = 0
    checked = 0
    times = {"old": 0.0, "new": 0.0}
    for settings in RULES:
        for district in districts:
            for name in ("repeats", "hotspots", "patterns"):
                results = {}
                for label, module in (("old", old), ("new", new)):
                    start = time.perf_counter()
                    results[label] = plain(getattr(module, name)(
                        store, district=district, rules=module.PatternRules(**settings),
                        now=AS_OF))
                    times[label] += time.perf_counter() - start
                checked += 1
                a, b = results["old"], results["new"]
                where = f"{name} district={district and district.value} rules={settings}"
                if a == b:
                    continue
                failures += 1
                print(f"DIFFERS: {where}: {len(a)} old, {len(b)} new")
                for i, (x, y) in enumerate(zip(a, b, strict=False)):
                    if x != y:
                        fields = [k for k in x if x[k] != y.get(k)]
                        print(f"  first difference at {i}: {fields}")
                        for k in fields:
                            print(f"    {k}: old {x[k]!r}\n    {k}: new {y[k]!r}")
                        break
    print(f"{checked} comparisons, {failures} differ; old {times['old']:.1f} s, "
          f"new {times['new']:.1f} s")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
