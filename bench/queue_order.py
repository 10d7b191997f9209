"""Capture or check the queue's order on a store: every sort, filter and district.

    python bench/queue_order.py capture STORE OUT.json   # before a change
    python bench/queue_order.py check STORE OUT.json     # after it: same refs, same order

Each query's first three pages (walked by key) are written as lists of refs. Used to
prove that a change to the queue's SQL leaves every order as it was.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from asbtui.db import open_store
from asbtui.models import CaseStatus, Category, District, RiskLevel
from asbtui.services import access, queue
from asbtui.services.queue import QueueQuery, SortKey

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def queries(owner_id: str) -> dict[str, QueueQuery]:
    made: dict[str, QueueQuery] = {}
    base = {"today": AS_OF.date(), "now": AS_OF}
    filters: dict[str, dict] = {
        "open": {},
        "any": {"statuses": ()},
        "closed": {"statuses": (CaseStatus.CLOSED,)},
        "high": {"risks": (RiskLevel.HIGH,)},
        "open-high-medium": {"statuses": (CaseStatus.OPEN,),
                             "risks": (RiskLevel.HIGH, RiskLevel.MEDIUM)},
        "personal": {"categories": (Category.PERSONAL,)},
        "mine": {"owner_id": owner_id},
        "unallocated": {"unallocated": True},
        "search-road": {"search": "road", "statuses": ()},
        "search-s": {"search": "s"},
    }
    for where in (District.THA, District.MED, None):
        for fname, extra in filters.items():
            for sort in SortKey:
                for descending in (False, True):
                    way = "desc" if descending else "asc"
                    name = f"{where or 'ALL'}/{fname}/{sort.value}/{way}"
                    made[name] = QueueQuery(district=where, sort=sort, descending=descending,
                                            **base, **extra)
    return made


def walk(store, query: QueueQuery, pages: int = 3, limit: int = 40) -> list[str]:
    refs: list[str] = []
    after = None
    for _ in range(pages):
        page = queue.queue_page(store, query, after, limit=limit)
        refs += [row.ref for row in page.rows]
        after = page.after
        if after is None:
            break
    return refs


def main() -> None:
    mode, store_path, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    store = open_store(store_path)
    store.actor = access.Actor("bench", None)
    with store.engine.connect() as connection:
        owner_id = connection.exec_driver_sql(
            "SELECT owner_id FROM \"case\" WHERE district = 'THA' AND owner_id IS NOT NULL "
            "ORDER BY ref LIMIT 1").scalar_one()
    found = {name: {"refs": walk(store, q), "count": queue.queue_count(store, q)}
             for name, q in queries(owner_id).items()}
    if mode == "capture":
        out.write_text(json.dumps(found, indent=0))
        print(f"captured {len(found)} queries")
        return
    expected = json.loads(out.read_text())
    bad = [name for name in expected if expected[name] != found[name]]
    for name in bad[:10]:
        print("differs:", name)
    print(f"{len(expected) - len(bad)} of {len(expected)} queries give the same cases in "
          f"the same order")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
