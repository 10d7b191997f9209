"""A store's synced rows, table by table (parents first), as SQLite holds them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asbtui.models import every_table

if TYPE_CHECKING:
    from asbtui.db import Store


def synced_tables() -> list[str]:
    """Synced tables, each after the tables it points to."""
    return [t.name for t in every_table().sorted_tables if "origin" in t.columns]


def synced_columns(table: str) -> list[str]:
    """The columns of a synced table that sync carries: not SQLite's generated ones (the
    queue's urgency keys), which each store computes from the others."""
    return [c.name for c in every_table().tables[table].columns if c.computed is None]


def rows_of(store: Store, table: str) -> Iterator[dict[str, Any]]:
    columns = ", ".join(f'"{name}"' for name in synced_columns(table))
    with store.engine.connect() as connection:
        result = connection.exec_driver_sql(f'SELECT {columns} FROM "{table}" ORDER BY rowid')
        names = list(result.keys())
        for row in result:
            yield dict(zip(names, row, strict=True))


def snapshot(store: Store) -> list[tuple[str, Iterator[dict[str, Any]]]]:
    """Every synced row of ``store``, ready for the central store's bulk load."""
    from asbtui.sync.outbox import LOCAL_FIELDS

    def without_local(table: str) -> Iterator[dict[str, Any]]:
        for row in rows_of(store, table):
            for name in LOCAL_FIELDS.get(table, ()):
                row.pop(name, None)
            yield row

    return [(table, without_local(table)) for table in synced_tables()]


def build_demo_rows(path: Path, cases: int, seed: int) -> list[tuple[str, list[dict]]]:
    """Build the demo force in a scratch store at ``path`` and return its synced rows."""
    from asbtui.db import open_store
    from asbtui.services.demo import build_demo

    with open_store(path, create=True) as store:
        build_demo(store, cases=cases, seed=seed)
        return [(table, list(rows)) for table, rows in snapshot(store)]
