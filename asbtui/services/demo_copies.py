"""Large demos: cases past the first few thousand are copies of them, made inside SQLite.

Drawing a case in Python (some eighty random draws, seven rows) costs about 0.3 ms of CPU,
so a million cases took minutes. Past :data:`TEMPLATES` cases the demo copies the cases
already drawn, with their incidents, people, shares and notes, in a few
``INSERT ... SELECT`` statements: each copy gets its own keys, reference, house number
and opening time (a few hours earlier, so that no two copies sort together), and keeps
the district, dates, risk and status mix of the cases it copies. Demos of up to
:data:`TEMPLATES` cases are drawn case by case as before, so a seed gives the same store.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from asbtui.services.refs import ALPHABET

TEMPLATES = 10_000
"""Cases drawn one by one; a larger demo copies these."""

MAP_CACHE_KIB = 512 * 1024
"""Page cache of the temporary database holding the copies' maps."""

_TAIL_SPACE = 32**5
_STEP = 0x2F1B5A3  # odd, so x * _STEP modulo 32**5 visits every tail once


class OrderedIds:
    """Keys for a demo's rows, each above the last: a sequence number, then the build's own
    random tail (a UUIDv8 of RFC 9562: 32 hex digits like :func:`asbtui.models.new_id`).

    Under random keys each insert landed on a random page of the table's primary key index
    (which, unlike the other indexes, cannot be dropped during the load): once a table's
    key index outgrew the page cache, a million cases read and wrote it page by page. Keys
    that only grow are appended. The sequence comes first, not a clock (as in a UUIDv7),
    because the app shows and accepts the first eight digits of a key as its short form:
    they must differ from row to row. Rows drawn in Python take the next numbers; each
    copying statement reserves a range (:meth:`reserve`) and numbers its rows in the order
    it writes them (:meth:`sql`). The random tail keeps them apart from other builds' keys
    and from ``uuid4`` keys (version 8, not 4).
    """

    def __init__(self) -> None:
        self.tail = (f"{secrets.randbits(16):04x}8{secrets.randbits(12):03x}"
                     f"{8 | secrets.randbits(2):x}{secrets.randbits(60):015x}")
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return self.key(self.count)

    def key(self, number: int) -> str:
        if number >= 1 << 32:
            raise ValueError("more demo rows than eight hex digits can number")
        return f"{number:08x}{self.tail}"

    def reserve(self, size: int) -> int:
        """Numbers ``start + 1 .. start + size`` for a copying statement; returns start."""
        start = self.count
        self.count += size
        self.key(self.count)  # still within eight digits
        return start

    def sql(self, number: str) -> str:
        """SQL for the key numbered by the integer SQL expression ``number``."""
        return f"printf('%08x', {number}) || '{self.tail}'"


def insert_rows(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of one shape) into ``table`` as plain tuples.

    The rows go to SQLite's own ``executemany`` with each value converted by the column
    type's SQLAlchemy bind processor (so the stored text is exactly what the ORM writes);
    columns missing from the rows take their scalar defaults. At a million cases,
    SQLAlchemy's per-row parameter handling was half the load time.
    """
    if not rows:
        return
    dialect = connection.dialect
    columns = [c for c in table.columns
               if c.computed is None and (c.name in rows[0] or c.default is not None)]
    plan = []
    for column in columns:
        default = column.default.arg if column.default is not None else None
        if callable(default):
            default = None
        plan.append((column.name, default, column.type._cached_bind_processor(dialect)))
    names = ", ".join(f'"{c.name}"' for c in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    converted = []
    for row in rows:
        values = []
        for name, default, process in plan:
            value = row.get(name, default)
            if process is not None and value is not None:
                value = process(value)
            values.append(value)
        converted.append(values)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, converted)
    finally:
        cursor.close()


def _tail(number: int) -> str:
    digits = []
    for _ in range(5):
        number, digit = divmod(number, 32)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def _shifted(column: str) -> str:
    # Stored instants are text 'YYYY-MM-DD HH:MM:SS.ffffff': move the seconds, keep the
    # fraction, so the text still sorts as the instant does.
    return (f"CASE WHEN {column} IS NULL THEN NULL ELSE "
            f"strftime('%Y-%m-%d %H:%M:%S', {column}, m.shift) || substr({column}, 20) END")


def _renumbered(column: str, source: str = "t.location") -> str:
    """The copy's house number in place of the template's (when the location has one)."""
    return (f"CASE WHEN {source} GLOB '[0-9]*' THEN m.number || substr({column}, "
            f"instr({column}, ' ')) ELSE {column} END")


def _copy(connection: sa.Connection, table: sa.Table, source: str,
          overrides: dict[str, str], where: str = "") -> int:
    columns = [c.name for c in table.columns if c.computed is None]
    values = [overrides.get(name, f't."{name}"') for name in columns]
    sql = (f'INSERT INTO "{table.name}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
           f"SELECT {', '.join(values)} FROM {source} {where}")
    return connection.exec_driver_sql(sql).rowcount


def copy_cases(connection: sa.Connection, tables: dict[str, sa.Table],
               templates: Sequence[tuple[str, str]], extra: int, used_refs: set[str],
               stamp: str, ids: OrderedIds) -> dict[str, int]:
    """Add ``extra`` copies of the ``templates`` (case id, ref); returns rows made per table."""
    if extra <= 0 or not templates:
        return {}
    per = -(-extra // len(templates))  # copies of each template, at most

    starts: dict[str, int] = {}

    def numbered(table: str, row: str, copy: str) -> str:
        """Keys for the copies of ``table``'s rows: copy ``copy`` (the k of clone_map) of
        row ``row`` (a rowid) gets the ``(rowid - 1) * per + k // templates``-th number of
        the table's range, so rows written in (rowid, k) order get growing keys. The first
        call for a table reserves its range; later ones (a copy's key read where another
        table refers to it) number from the same range."""
        if table not in starts:
            rows = connection.exec_driver_sql(
                f'SELECT max(rowid) FROM "{table}"').scalar() or 0
            starts[table] = ids.reserve(rows * per)
        return ids.sql(
            f"{starts[table] + 1} + ({row} - 1) * {per} + ({copy}) / {len(templates)}")

    first_case = ids.reserve(extra)
    counters: dict[str, int] = {}
    tails: list[str] = []  # each prefix's n-th tail, made once for all prefixes
    rows: list[tuple[Any, ...]] = []
    for k in range(extra):
        template_id, template_ref = templates[k % len(templates)]
        prefix = template_ref[:7]
        while True:
            counter = counters.get(prefix, 0)
            counters[prefix] = counter + 1
            if counter == len(tails):
                tails.append(_tail((counter * _STEP + 12345) % _TAIL_SPACE))
            ref = prefix + tails[counter]
            if ref not in used_refs:
                break
        rows.append((k, template_id, ids.key(first_case + 1 + k), ref,
                     f"-{(k * 7919) % 43200 + 60} seconds", k % 180 + 1))
    connection.exec_driver_sql(
        "CREATE TEMP TABLE clone_map (k INTEGER PRIMARY KEY, template_id TEXT, new_id TEXT, "
        "new_ref TEXT, shift TEXT, number INTEGER)")
    # The maps (a million rows at a million cases) kept in memory pages, not spilled to
    # the temporary file and read back for each table copied.
    connection.exec_driver_sql(f"PRAGMA temp.cache_size=-{MAP_CACHE_KIB}")
    connection.connection.driver_connection.executemany(  # type: ignore[union-attr]
        "INSERT INTO clone_map VALUES (?, ?, ?, ?, ?, ?)", rows)
    # Covering, so that a template's copies are read side by side: by template_id alone,
    # each of a template's hundred copies was a row on its own page of clone_map (k runs
    # across the templates), a random read per copied row once the map outgrew the cache.
    connection.exec_driver_sql("CREATE INDEX temp.ix_clone_template ON clone_map "
                               "(template_id, k, new_id, new_ref, shift, number)")
    made: dict[str, int] = {}
    case_source = 'clone_map m JOIN "case" t ON t.id = m.template_id'
    new_location = _renumbered("t.location")
    made["case"] = _copy(connection, tables["case"], case_source, {
        "id": "m.new_id", "ref": "m.new_ref", "updated_at": f"'{stamp}'",
        "opened_at": _shifted("t.opened_at"), "closed_at": _shifted("t.closed_at"),
        "location": new_location,
        "summary": f"replace(t.summary, t.location, {new_location})",
        "address_key": _renumbered("t.address_key"),
    })
    made["incident"] = _copy(connection, tables["incident"],
                             "clone_map m JOIN incident t ON t.case_id = m.template_id", {
        "id": numbered("incident", "t.rowid", "m.k"), "case_id": "m.new_id",
        "case_ref": "m.new_ref",
        "updated_at": f"'{stamp}'",
        "occurred_at": _shifted("t.occurred_at"), "reported_at": _shifted("t.reported_at"),
        "location": _renumbered("t.location", "t.case_location"),
        "case_location": _renumbered("t.case_location", "t.case_location"),
        "address_key": _renumbered("t.address_key", "t.case_location"),
    })
    made["party"] = _copy(connection, tables["party"],
                          "clone_map m JOIN party t ON t.case_id = m.template_id", {
        "id": numbered("party", "t.rowid", "m.k"), "case_id": "m.new_id",
        "updated_at": f"'{stamp}'"})
    made["caseshare"] = _copy(connection, tables["caseshare"],
                              "clone_map m JOIN caseshare t ON t.case_id = m.template_id", {
        "id": numbered("caseshare", "t.rowid", "m.k"), "case_id": "m.new_id",
        "updated_at": f"'{stamp}'",
        "shared_at": _shifted("t.shared_at"), "revoked_at": _shifted("t.revoked_at")})
    connection.exec_driver_sql(
        "CREATE TEMP TABLE note_map AS SELECT n.id AS old_id, m.k AS k, "
        f"{numbered('partnernote', 'n.rowid', 'm.k')} AS new_id FROM clone_map m "
        "JOIN partnernote n ON n.case_id = m.template_id")
    connection.exec_driver_sql(
        "CREATE UNIQUE INDEX temp.ix_note_map ON note_map (old_id, k, new_id)")
    note_source = ("clone_map m JOIN partnernote t ON t.case_id = m.template_id "
                   "JOIN note_map x ON x.old_id = t.id AND x.k = m.k")
    note_overrides = {
        "id": "x.new_id", "case_id": "m.new_id", "updated_at": f"'{stamp}'",
        "written_at": _shifted("t.written_at"),
        "supersedes_id": "(SELECT y.new_id FROM note_map y WHERE y.old_id = t.supersedes_id "
                         "AND y.k = m.k)",
    }
    # The notes first, then their corrections (which point at them).
    made["partnernote"] = _copy(connection, tables["partnernote"], note_source, note_overrides,
                                "WHERE t.supersedes_id IS NULL")
    made["partnernote"] += _copy(connection, tables["partnernote"], note_source, note_overrides,
                                 "WHERE t.supersedes_id IS NOT NULL")
    made["noteaudience"] = _copy(
        connection, tables["noteaudience"],
        "note_map x JOIN noteaudience t ON t.note_id = x.old_id", {
            "id": numbered("noteaudience", "t.rowid", "x.k"), "note_id": "x.new_id",
            "updated_at": f"'{stamp}'"})
    connection.exec_driver_sql("DROP TABLE temp.note_map")
    # The officer's day of the templates (demo_day.build_on, made before the copies): each
    # copy gets its template's triage, victims' update plans and contacts, and tasks.
    # CROSS JOIN keeps the template rows outer (SQLite would rather look them up by their
    # unique case or party key), so that the copies are written in (rowid, k) order.
    made["firstcontact"] = _copy(
        connection, tables["firstcontact"],
        "firstcontact t CROSS JOIN clone_map m ON t.case_id = m.template_id", {
            "id": numbered("firstcontact", "t.rowid", "m.k"), "case_id": "m.new_id",
            "updated_at": f"'{stamp}'", "reported_at": _shifted("t.reported_at"),
            "due_at": _shifted("t.due_at"), "met_at": _shifted("t.met_at")})
    for name in ("victimupdateplan", "victimcontact"):
        made[name] = _copy(
            connection, tables[name],
            f"{name} t CROSS JOIN clone_map m ON t.case_id = m.template_id "
            "JOIN party p ON p.id = t.party_id", {
                "id": numbered(name, "t.rowid", "m.k"), "case_id": "m.new_id",
                "party_id": numbered("party", "p.rowid", "m.k"), "updated_at": f"'{stamp}'"})
    made["casetask"] = _copy(
        connection, tables["casetask"],
        "casetask t CROSS JOIN clone_map m ON t.case_id = m.template_id", {
            "id": numbered("casetask", "t.rowid", "m.k"), "case_id": "m.new_id",
            "updated_at": f"'{stamp}'"})
    connection.exec_driver_sql("DROP TABLE temp.clone_map")
    return made
