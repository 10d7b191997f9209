"""Enrol this device, then push the outbox and pull each scope's changes.

Every step is safe to cut and repeat. Push: the server applies a batch in one transaction
and skips sequences it has seen, and the device forgets a change only once the server has
said which sequence it holds. Pull: each page and the scope's new cursor are written in one
SQLite transaction, so no cursor is ever ahead of the rows it covers.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import gc
import glob
import io
import itertools
import json
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session

from asbtui.db import (
    DEFERRED_INDEXES,
    bulk_writes,
    defer_indexes,
    rebuild_deferred_indexes,
    remove_scratch,
    triggers_changed,
    triggers_set_aside,
)
from asbtui.models import every_table
from asbtui.services import pattern_snapshot, search
from asbtui.services.access import permits
from asbtui.sync.outbox import insert_trigger
from asbtui.sync.state import SyncStatus, read_state, status  # noqa: F401 - re-exported
from asbtui.sync.transport import SyncError, Transport

if TYPE_CHECKING:
    from asbtui.db import Store

PUSH_BATCH = 500
PULL_PAGE = 1000
# Further behind than this, a scope is streamed with COPY rather than paged.
FIRST_SYNC_STREAM = 5000
# Rows that hang from a case, removed with it when a share stops (notes' audiences too).
CASE_CHILDREN = ("incident", "party", "partnernote", "enforcementaction", "actionstep",
                 "deadline", "casereview", "problemcase", "caseshare")

Checkpoint = Callable[[str], None]


def _no_checkpoint(_step: str) -> None:
    pass


@dataclass
class SyncReport:
    """What one sync moved."""

    pushed: int = 0
    skipped: int = 0
    pulled: int = 0
    removed: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    last_sync: str | None = None
    pending: int = 0


# --- state --------------------------------------------------------------------------------

_state = read_state


def _set_state(connection: sa.Connection, **values: str) -> None:
    for key, value in values.items():
        connection.exec_driver_sql(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


def credentials(store: Store) -> tuple[str, str]:
    """The central service's address and this device's key; refuses an unenrolled store."""
    with store.engine.connect() as connection:
        state = _state(connection)
    if "key" not in state:
        raise SyncError("This device is not enrolled: ask an admin for a code, then run "
                        "asbtui sync enrol URL CODE.")
    return state["url"], state["key"]


@permits()  # checked inside: only a store that holds no work yet (README: why)
def enrol(store: Store, url: str, code: str, transport: Transport) -> str:
    """Swap a one-time code for this device's key; from now on local writes are recorded."""
    with store.engine.connect() as connection:
        if "key" in _state(connection):
            raise SyncError("This device is already enrolled; use a new store to enrol again.")
        held = {name: connection.exec_driver_sql(
            f"SELECT count(*) FROM {_quote(table)}").scalar() or 0
            for name, table in (("case", "case"), ("user", "app_user"),
                                ("officer", "officer"), ("agency", "agency"))}
    if any(held.values()):
        # Not merged, on purpose: a store worked on its own made its own officers, users and
        # agencies, which the central store defines for every device. Pushed as they are,
        # they would arrive as second records under the same collars and names (clashing
        # with the central ones on every device) and its cases would point at them.
        what = ", ".join(f"{n:,} {name}{'s' if n != 1 and name != 'agency' else ''}"
                         .replace("agencys", "agencies") for name, n in held.items() if n)
        raise SyncError(f"This store already holds work ({what}) made before enrolment, "
                        "with its own officers and users, which the central store defines: "
                        "enrol a new store (asbtui --db NEW.db sync enrol URL CODE) and keep "
                        "this one as it is.")
    answer = transport.post("/v1/enrol", {"code": code, "store_id": store.device_id})
    with store.engine.begin() as connection:
        _set_state(connection, url=url.rstrip("/"), key=answer["key"],
                   device_name=answer["name"], device_id=answer["device_id"], recording="1")
    return str(answer["name"])


# --- push ---------------------------------------------------------------------------------

def _push(store: Store, transport: Transport, report: SyncReport, checkpoint: Checkpoint) -> None:
    while True:
        with store.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT seq, tbl, key, op, fields, base, at FROM sync_outbox ORDER BY seq "
                "LIMIT ?", (PUSH_BATCH,)).all()
        if not rows:
            return
        changes = [{"seq": r.seq, "table": r.tbl, "key": r.key, "op": r.op,
                    "fields": json.loads(r.fields), "base": r.base, "at": r.at} for r in rows]
        checkpoint("push sent")
        answer = transport.post("/v1/push", {"changes": changes})
        checkpoint("push answered")
        last = int(answer["last_seq"])
        if last < rows[0].seq:
            raise SyncError("The central store has not taken this device's changes; "
                            "sync again later.")
        refused = answer.get("refused", [])
        with _unchecked(store) as connection:
            connection.exec_driver_sql("DELETE FROM sync_outbox WHERE seq <= ?", (last,))
            _remove_refused(connection, [r for r in refused if r.get("outcome") == "removed"])
        checkpoint("outbox cleared")
        report.pushed += int(answer["applied"])
        report.skipped += int(answer["skipped"])
        report.conflicts += answer["conflicts"]
        report.refused += refused


@contextlib.contextmanager
def _unchecked(store: Store) -> Iterator[sa.Connection]:
    """One transaction with foreign keys off: rows pulled or removed may arrive (or go)
    before or without their parents (a scope may hold a row whose parent lives in a scope
    this device does not pull)."""
    connection = store.engine.connect()
    try:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # a pragma, outside any SQLite transaction
        try:
            yield connection
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        connection.close()


def _remove_refused(connection: sa.Connection, refused: list[dict[str, Any]]) -> None:
    """Take off this device the rows the central store refused and never had (a case
    written outside the user's districts, say): children before parents, with recording
    off, and their changes still waiting dropped (they would be refused too). A refused
    change to a row the central store holds needs nothing here: the server logged its row
    again, and the next pull puts it back."""
    if not refused:
        return
    order = {t.name: index for index, t in enumerate(every_table().sorted_tables)}
    recording = connection.exec_driver_sql(
        "SELECT value FROM sync_state WHERE key = 'recording'").scalar() or "0"
    _set_state(connection, recording="0")
    cases: list[str] = []
    for row in sorted(refused, key=lambda r: -order.get(r["table"], 0)):
        table, key = row["table"], row["key"]
        if table not in _tables().columns:
            continue
        connection.exec_driver_sql(f"DELETE FROM {_quote(table)} WHERE id = ?", (key,))
        connection.exec_driver_sql("DELETE FROM sync_outbox WHERE tbl = ? AND key = ?",
                                   (table, key))
        connection.exec_driver_sql("DELETE FROM sync_row WHERE tbl = ? AND key = ?",
                                   (table, key))
        if table == "case":
            cases.append(key)
    for case_id in cases:  # whatever else hangs from it goes too
        _evict(connection, case_id)
    _set_state(connection, recording=recording)


# --- pull ---------------------------------------------------------------------------------

class _Tables:
    """Local columns and insert defaults of each synced table, read from the models."""

    def __init__(self) -> None:
        self.columns: dict[str, list[str]] = {}
        self.defaults: dict[str, dict[str, Any]] = {}
        # For a stream in columns (_columns_sql, _decode_columns): which columns may be
        # null, which are booleans, and where the numbers with a fraction are.
        self.nullable: dict[str, list[bool]] = {}
        self.booleans: dict[str, list[bool]] = {}
        self.reals: dict[str, list[int]] = {}
        for name, table in every_table().tables.items():
            # Generated columns (the queue's urgency keys) are SQLite's own: never written.
            names = [c.name for c in table.columns if c.computed is None]
            if "origin" not in names:
                continue
            self.columns[name] = names
            written = [c for c in table.columns if c.computed is None]
            self.nullable[name] = [c.nullable is not False for c in written]
            self.booleans[name] = [isinstance(c.type, sa.Boolean) for c in written]
            self.reals[name] = [i for i, c in enumerate(written)
                                if isinstance(c.type, (sa.Float, sa.Numeric))]
            self.defaults[name] = {
                c.name: c.default.arg for c in table.columns
                if c.default is not None and c.default.is_scalar}


_TABLES: _Tables | None = None


def _tables() -> _Tables:
    global _TABLES
    if _TABLES is None:
        _TABLES = _Tables()
    return _TABLES


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pending(connection: sa.Connection) -> dict[tuple[str, str], set[str]]:
    """Fields changed here and not pushed yet, by row (the outbox is short between syncs)."""
    pending: dict[tuple[str, str], set[str]] = {}
    for table, key, fields in connection.exec_driver_sql(
            "SELECT tbl, key, fields FROM sync_outbox"):
        pending.setdefault((table, key), set()).update(json.loads(fields))
    return pending


@functools.lru_cache(maxsize=256)
def _upsert_sql(table: str, names: tuple[str, ...], sets: tuple[str, ...]) -> str:
    return (f"INSERT INTO {_quote(table)} (" + ", ".join(_quote(c) for c in names)
            + ") VALUES (" + ", ".join("?" for _ in names) + ") ON CONFLICT(id) DO "
            + ("UPDATE SET " + ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in sets)
               if sets else "NOTHING"))


def _upsert(connection: sa.Connection, table: str, key: str, data: dict[str, Any],
            rev: int, pending: set[str]) -> None:
    tables = _tables()
    if table not in tables.columns:
        return  # a table this version does not know
    # A field changed here and not yet pushed keeps its local value: the push that follows
    # is where the server decides between the two. Fields the server does not send (this
    # device's own, such as a user's lockout count) are left as they are.
    values = {c: data[c] for c in tables.columns[table] if c in data}
    row = {**tables.defaults[table], **values, "id": key}
    names = tuple(row)
    sets = tuple(c for c in values if c != "id" and c not in pending)
    connection.exec_driver_sql(_upsert_sql(table, names, sets), tuple(row[c] for c in names))
    connection.exec_driver_sql(
        "INSERT INTO sync_row (tbl, key, rev) VALUES (?, ?, ?) ON CONFLICT(tbl, key) "
        "DO UPDATE SET rev = max(rev, excluded.rev)", (table, key, rev))


def _still_held(connection: sa.Connection, place: dict[str, Any] | None) -> bool:
    """Whether this device holds the case by another scope it pulls: its district, or its
    owner's cases elsewhere (``place``: the case's district and owner, as the server
    has them now)."""
    if not place:
        return False
    held = {r[0] for r in connection.exec_driver_sql("SELECT scope FROM sync_cursor")}
    return (f"district:{place.get('district')}" in held
            or f"owner:{place.get('owner_id')}" in held)


def _evict(connection: sa.Connection, case_id: str, place: dict[str, Any] | None = None) -> int:
    """Take a case off the device: no longer shared with its agency, or no longer owned by
    its officer, unless the device holds it by another scope."""
    if _still_held(connection, place):
        return 0
    removed = 0
    notes = [r[0] for r in connection.exec_driver_sql(
        "SELECT id FROM partnernote WHERE case_id = ?", (case_id,))]
    for note in notes:
        connection.exec_driver_sql("DELETE FROM noteaudience WHERE note_id = ?", (note,))
    for table in CASE_CHILDREN:
        keys = [r[0] for r in connection.exec_driver_sql(
            f"SELECT id FROM {_quote(table)} WHERE case_id = ?", (case_id,))]
        connection.exec_driver_sql(f"DELETE FROM {_quote(table)} WHERE case_id = ?", (case_id,))
        for key in keys:
            connection.exec_driver_sql("DELETE FROM sync_row WHERE tbl = ? AND key = ?",
                                       (table, key))
    removed += connection.exec_driver_sql('DELETE FROM "case" WHERE id = ?',
                                          (case_id,)).rowcount
    connection.exec_driver_sql("DELETE FROM sync_row WHERE tbl = 'case' AND key = ?", (case_id,))
    connection.exec_driver_sql("DELETE FROM case_search WHERE case_search MATCH ?",
                               (f'case_id : "{case_id}"',))
    return removed


def _remove_row(connection: sa.Connection, table: str, key: str) -> str | None:
    """Take one row off the device (a person no longer disclosed to this partner);
    returns the case it hung from, whose search entry must follow."""
    if table not in _tables().columns:
        return None
    case_id = None
    if "case_id" in _tables().columns[table]:
        case_id = connection.exec_driver_sql(
            f"SELECT case_id FROM {_quote(table)} WHERE id = ?", (key,)).scalar()
    connection.exec_driver_sql(f"DELETE FROM {_quote(table)} WHERE id = ?", (key,))
    connection.exec_driver_sql("DELETE FROM sync_row WHERE tbl = ? AND key = ?", (table, key))
    return case_id


class _CursorMoved(Exception):
    """Another process on this store applied the scope meanwhile: fetch again from its
    cursor (applying an older page over newer rows would take them back)."""


def _check_cursor(connection: sa.Connection, scope: str, after: int) -> None:
    held = connection.exec_driver_sql("SELECT version FROM sync_cursor WHERE scope = ?",
                                      (scope,)).scalar() or 0
    if held != after:
        raise _CursorMoved(scope)


# What the search index holds of a case and its people (search.reindex_case): a pulled
# row changes the case's entry only when one of these changed. Rebuilding an entry costs
# milliseconds on a large store (FTS5 deletes), so a page of 1,000 new risks rebuilt none.
SEARCHED = {"case": ("id", "ref", "summary", "location", "postcode", "deleted"),
            "party": ("case_id", "name", "address", "deleted")}


def _searched(connection: sa.Connection, table: str, key: str) -> tuple | None:
    names = SEARCHED.get(table)
    if names is None:
        return None
    return connection.exec_driver_sql(
        f"SELECT {', '.join(_quote(n) for n in names)} FROM {_quote(table)} WHERE id = ?",
        (key,)).first()


def apply_page(store: Store, scope: str, changes: list[dict[str, Any]], cursor: int,
               checkpoint: Checkpoint = _no_checkpoint, after: int | None = None) -> int:
    """Apply one page of pulled changes and move the scope's cursor, in one transaction."""
    removed = 0
    # Foreign keys off while applying: a scope may hold a row whose parent lives in a
    # scope this device does not pull (a problem's case in another district).
    with _unchecked(store) as connection:
        # The first write takes the store's write lock and stops recording: rows pulled
        # must not go back out as this device's changes.
        recording = connection.exec_driver_sql(
            "SELECT value FROM sync_state WHERE key = 'recording'").scalar() or "0"
        _set_state(connection, recording="0")
        if after is not None:
            _check_cursor(connection, scope, after)  # under the write lock now
        touched: set[str] = set()
        pending = _pending(connection)
        for change in changes:
            table, key = change["table"], change["key"]
            if change["op"] == "evict":
                removed += _evict(connection, key, change.get("data"))
                touched.discard(key)
                continue
            if change["op"] == "remove":
                case_id = _remove_row(connection, table, key)
                if case_id:
                    touched.add(case_id)
                continue
            before = _searched(connection, table, key)
            _upsert(connection, table, key, change["data"], int(change["rev"]),
                    pending.get((table, key), set()))
            after_ = _searched(connection, table, key)
            if after_ != before:  # only what the search index holds moves its entry
                for row in (before, after_):
                    if row is not None:
                        touched.add(key if table == "case" else row[0])
        if touched:
            with Session(bind=connection) as session:
                for case_id in sorted(touched):
                    search.reindex_case(session, case_id)
        connection.exec_driver_sql(
            "INSERT INTO sync_cursor (scope, version) VALUES (?, ?) ON CONFLICT(scope) "
            "DO UPDATE SET version = excluded.version", (scope, cursor))
        _set_state(connection, recording=recording)
        checkpoint("page applied")
    return removed


def cursors(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return dict(connection.exec_driver_sql("SELECT scope, version FROM sync_cursor").all())


# --- first sync: the scope's whole log streamed with COPY ---------------------------------------

FIRST_SYNC_CHUNK = 20_000
# Chunks read ahead of the one being written (each about 15 MB for 20,000 rows).
READ_AHEAD = 2


class _Blocks(io.RawIOBase):
    """A stream's byte blocks as a file, so that the CSV reader takes its lines in C."""

    def __init__(self, blocks: Iterator[bytes], stop: threading.Event) -> None:
        self.blocks, self.stop, self.held = blocks, stop, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.held:
            if self.stop.is_set():
                raise _Stopped
            block = next(self.blocks, b"")
            if not block:
                return 0
            self.held = memoryview(block)
        size = min(len(buffer), len(self.held))
        buffer[:size] = self.held[:size]
        self.held = self.held[size:]  # a view: the rest of the block is not copied
        return size


def _csv_chunks(blocks: Iterator[bytes], stop: threading.Event) -> Iterator[list[list[str]]]:
    """A stream in CSV (a service that sends no other) as chunks of records."""
    text = io.TextIOWrapper(io.BufferedReader(_Blocks(blocks, stop), 1 << 20),
                            encoding="utf-8", newline="")
    records = csv.reader(text)
    while chunk := list(itertools.islice(records, FIRST_SYNC_CHUNK)):
        yield chunk


def _text_chunks(blocks: Iterator[bytes], stop: threading.Event,
                 columns: bool = False) -> Iterator[list[Any]]:
    """A stream in COPY's text format as chunks of records (each line split at its tabs,
    in C); ``None`` for a null field. Only fields holding a backslash need unescaping, and
    JSON holds none but its own escapes (doubled by COPY), so nearly every line is split
    and nothing more.

    ``columns`` (a stream whose rows' fields are columns, many of them null): a line whose
    only backslashes are COPY's nulls is split and nothing more, its nulls left as ``\\N``
    (a list; the writer's statement reads ``\\N`` as null: no field holds ``\\N`` as
    text on such a line, since COPY doubles every backslash of a value). Any other line
    is unescaped, its nulls as ``None`` (a tuple, written by a statement that reads
    ``\\N`` as itself)."""
    lines: list[str] = []
    rest = ""
    for piece, ended in _decoded(blocks, stop):
        text = rest + piece
        found = text.split("\n")
        rest = found.pop()
        lines += found
        while len(lines) >= FIRST_SYNC_CHUNK or (ended and lines):
            chunk, lines = lines[:FIRST_SYNC_CHUNK], lines[FIRST_SYNC_CHUNK:]
            if columns:
                yield [line.split("\t") if line.count("\\") == line.count("\\N")
                       else tuple(_copy_fields(line)) for line in chunk]
            else:
                yield [_copy_fields(line) if "\\" in line else line.split("\t")
                       for line in chunk]
    if rest:  # a last line without its end: the stream was cut
        raise SyncError("The connection was cut during the first sync; sync again to carry "
                        "on where it stopped.")


def _decoded(blocks: Iterator[bytes], stop: threading.Event) -> Iterator[tuple[str, bool]]:
    """The stream's blocks as text (a character split between two blocks joined), each
    with whether it is the last; stops when the sync is stopped."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    while True:
        if stop.is_set():
            raise _Stopped
        block = next(blocks, b"")
        if not block:
            yield decoder.decode(b"", final=True), True
            return
        yield decoder.decode(block), False


def _columns_chunks(blocks: Iterator[bytes], stop: threading.Event) -> Iterator[list[Any]]:
    """A stream in columns as chunks of records, as :func:`_text_chunks` makes them with
    ``columns``, in fewer steps: every line has as many fields as the first (the service
    pads each to the widest table's), so each block's whole lines are split at their ends
    and tabs at once and cut into records by slicing (no split per line). Only the lines
    holding a backslash other than a null's (found by one search of the block) are
    unescaped, into a tuple, as there."""
    records: list[Any] = []
    rest = ""
    width = 0
    for piece, ended in _decoded(blocks, stop):
        text = rest + piece
        end = text.rfind("\n") + 1
        body, rest = text[:end], text[end:]
        if body:
            width = width or body.count("\t", 0, body.index("\n")) + 1
            fields = body.replace("\n", "\t").split("\t")
            fields.pop()  # what follows the last line's end
            lines = body.count("\n")
            # Not one width, or widths that differ but add up (each row must then begin
            # with its version and table): line by line, as before.
            if (len(fields) != lines * width or not all(map(str.isdigit, fields[::width]))
                    or not _TABLE_NAMES.issuperset(fields[1::width])):
                records += [line.split("\t") if line.count("\\") == line.count("\\N")
                            else tuple(_copy_fields(line)) for line in body.split("\n")[:-1]]
            else:
                got = [fields[i:i + width] for i in range(0, len(fields), width)]
                line = at = 0
                unescaped = -1
                for found in _ESCAPED.finditer(body):
                    line += body.count("\n", at, found.start())
                    at = found.start()
                    if line != unescaped:
                        got[line] = tuple(_unescaped(got[line]))
                        unescaped = line
                records += got
        while len(records) >= FIRST_SYNC_CHUNK or (ended and records):
            yield records[:FIRST_SYNC_CHUNK]
            del records[:FIRST_SYNC_CHUNK]
    if rest:  # a last line without its end: the stream was cut
        raise SyncError("The connection was cut during the first sync; sync again to carry "
                        "on where it stopped.")


_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_COPY_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


_TABLE_NAMES = frozenset(t.name for t in every_table().sorted_tables)
"""Every table a stream's row can name: the second field of each row in columns."""

# A backslash that does not begin COPY's null: its line needs unescaping.
_ESCAPED = re.compile(r"\\[^N]")


def _copy_fields(line: str) -> list[Any]:
    """One line of COPY's text format whose fields hold escapes: ``\\N`` alone is null,
    ``\\`` followed by a letter a control character, by anything else that character."""
    return _unescaped(line.split("\t"))


def _unescaped(fields: list[str]) -> list[Any]:
    return [None if field == "\\N" else _COPY_ESCAPE.sub(
        lambda m: _COPY_ESCAPES.get(m[1], m[1]), field) for field in fields]


class _Stopped(Exception):
    """The writer gave up (a cut, a failed chunk): the reader stops too."""


class _Reader:
    """Fetches and parses the scopes' streams in a thread, a few chunks ahead of the
    writer: the network, the service and PostgreSQL work while SQLite writes (sqlite3
    lets go of the interpreter while it steps). Hands over, in order, ``(scope, chunk)``
    for each chunk of CSV records, ``(scope, None)`` at the end of each scope's stream,
    and ``(None, error)`` if fetching failed, after which it stops."""

    def __init__(self, transport: Transport, plan: list[tuple[str, int, int]]) -> None:
        self.transport, self.plan = transport, plan
        self.queue: queue.Queue[tuple[str | None, Any]] = queue.Queue(READ_AHEAD)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="first-sync reader",
                                       daemon=True)
        self.thread.start()

    def _put(self, item: tuple[str | None, Any]) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped

    def _run(self) -> None:
        try:
            for scope, after, upto in self.plan:
                headers, blocks = self.transport.stream(
                    "/v1/stream", {"scope": scope, "after": after, "upto": upto,
                                   "format": "text", "columns": _tables().columns})
                try:
                    kind = (headers or {}).get("x-asbtui-format")
                    if kind == "columns":
                        for chunk in _columns_chunks(blocks, self.stop):
                            self._put((scope, _decode_columns(chunk)))
                        chunks: Iterator[list[Any]] = iter(())
                    elif kind == "text":  # a service that sends each row as JSON
                        chunks = _text_chunks(blocks, self.stop)
                    else:  # a service that only sends CSV
                        chunks = _csv_chunks(blocks, self.stop)
                    for chunk in chunks:
                        self._put((scope, _decode(chunk)))
                finally:
                    close = getattr(blocks, "close", None)
                    if close is not None:
                        close()
                self._put((scope, None))
        except _Stopped:
            return
        except BaseException as error:  # noqa: BLE001 - handed to the writer, raised there
            with contextlib.suppress(_Stopped):
                self._put((None, error))

    def get(self) -> tuple[str | None, Any]:
        return self.queue.get()

    def close(self) -> None:
        """Stop the reader and wait for it (it closes its stream in its own thread)."""
        self.stop.set()
        while self.thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self.queue.get(timeout=0.1)
        self.thread.join()


@dataclass
class _Chunk:
    """A chunk of a scope's stream, decoded by the reader: runs of one table's rows as
    the values to insert, and the removals between them, in stream order."""

    runs: list[tuple[str, str, Any, Any]]  # (op, table, values or key, revs or data)
    size: int
    last: int  # the version of its last record: the scope's cursor once it is applied


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what orjson declines (NaN, huge numbers), json takes
        return json.loads(text)


@functools.lru_cache(maxsize=64)
def _insert_sql(table: str) -> str:
    names = _tables().columns[table]
    return (f"INSERT OR REPLACE INTO {_quote(table)} (" + ", ".join(_quote(c) for c in names)
            + ") VALUES (" + ", ".join("?" for _ in names) + ")")


def _decode(records: list[list[str]]) -> _Chunk:
    """Each row's values in column order, missing fields taking the model's default (one
    orjson parse, one dict merge and one itemgetter per row, all in C); done in the
    reader's thread while the writer's SQLite steps."""
    runs: list[tuple[str, str, Any, Any]] = []
    for (op, table), group in itertools.groupby(records, key=itemgetter(3, 1)):
        runs += _decoded_run(op, table, list(group), 4, 5)
    return _Chunk(runs, len(records), int(records[-1][0]))


def _decoded_run(op: str, table: str, rows: list[Any], at: int,
                 rev: int) -> list[tuple[str, str, Any, Any]]:
    """A run of one table's rows whose data is JSON (field ``at``; the revision in field
    ``rev``), as :func:`_decode` reads them."""
    tables = _tables()
    if op != "upsert":
        return [(op, table, r[2], r[at]) for r in rows]
    names = tables.columns.get(table)
    if names is None:
        return []  # a table this version does not know
    values = itemgetter(*names) if len(names) > 1 else (lambda row, name=names[0]: (row[name],))
    data = [_loads(r[at]) for r in rows]
    try:  # the central store sends every field of a row it holds whole
        got = [values(row) for row in data]
    except KeyError:  # fields missing (a row from an older device): the defaults
        blank = {c: tables.defaults[table].get(c) for c in names}
        got = [values({**blank, **row}) for row in data]
    # sync_row's entries in key order: its upsert keeps the highest revision whatever
    # the order, and in order the writer walks the (tbl, key) B-tree from one end to
    # the other instead of jumping about it under random UUIDs; sorted here, in the
    # reader's thread, off the writer's (about 6% of the writer's CPU in the chunks).
    return [(op, table, got,
             sorted([(table, r[2], int(r[rev])) for r in rows], key=itemgetter(1)))]


def _columns_kind(record: Any) -> tuple[str, str]:
    op, table = record[3], record[1]
    if op != "upsert" or record[5]:
        return op, table  # removals, and rows sent whole as JSON
    return ("columns" if type(record) is list else "columns-unescaped"), table


def _decode_columns(records: list[Any]) -> _Chunk:
    """A chunk of a stream in columns (``version, tbl, key, op, rev, whole, fields...``):
    each row's values are its fields as they come, cut to the table's width (a slice per
    row, in C), the numbers with a fraction made floats here (SQLite's own conversion of
    text to a float may miss the nearest double by one unit in the last place). Rows sent
    whole as JSON (see ``central.stream_scope``) are decoded as :func:`_decode` does;
    runs keep the stream's order."""
    tables = _tables()
    runs: list[tuple[str, str, Any, Any]] = []
    for (op, table), group in itertools.groupby(records, key=_columns_kind):
        rows = list(group)
        if op in ("columns", "columns-unescaped"):
            names = tables.columns.get(table)
            if names is None:
                continue  # a table this version does not know
            end = 6 + len(names)
            got = [r[6:end] for r in rows]
            reals = tables.reals[table]
            if reals:
                got = [list(row) for row in got] if op == "columns-unescaped" else got
                for row in got:
                    for i in reals:
                        if (value := row[i]) is not None and value != "\\N":
                            with contextlib.suppress(ValueError):
                                row[i] = float(value)
            runs.append((op, table, got, sorted([(table, r[2], int(r[4])) for r in rows],
                                               key=itemgetter(1))))
        else:
            runs += _decoded_run(op, table, rows, 5, 4)
    return _Chunk(runs, len(records), int(records[-1][0]))


@functools.lru_cache(maxsize=128)
def _columns_sql(table: str, marked: bool) -> str:
    """The insert for a run of rows streamed in columns: booleans come as ``true`` and
    ``false`` (1 and 0, as binding Python's booleans stores them), and on a ``marked``
    run (split, not unescaped) a null as ``\\N``. Every other field is bound as the text
    it came as and stored as binding the JSON value would store it: the column's affinity
    makes a number of an integer or numeric column's text, a float is bound as one."""
    tables = _tables()
    names = tables.columns[table]
    values = []
    for i, (name, nullable, boolean) in enumerate(zip(
            names, tables.nullable[table], tables.booleans[table], strict=True), start=1):
        del name
        null = "WHEN '\\N' THEN NULL " if marked and nullable else ""
        if boolean:
            values.append(f"CASE ?{i} WHEN 'true' THEN 1 WHEN 'false' THEN 0 {null}ELSE ?{i} END")
        elif null:
            values.append(f"CASE ?{i} {null}ELSE ?{i} END")
        else:
            values.append(f"?{i}")
    return (f"INSERT OR REPLACE INTO {_quote(table)} (" + ", ".join(_quote(c) for c in names)
            + ") VALUES (" + ", ".join(values) + ")")


def _apply_chunk(store: Store, scope: str, chunk: _Chunk, checkpoint: Checkpoint,
                 after: int) -> int:
    """One chunk of a first sync, and the cursor after it, in one SQLite transaction."""
    removed = 0
    with _unchecked(store) as connection:
        recording = connection.exec_driver_sql(
            "SELECT value FROM sync_state WHERE key = 'recording'").scalar() or "0"
        # The search index is rebuilt once the whole scope is in (see _reindex_all).
        _set_state(connection, recording="0", search_stale="1")
        _check_cursor(connection, scope, after)
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0").close()  # _checkpointing
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        # Recording is off: the outbox's insert triggers would write nothing. Set aside
        # in this transaction (a cut or a failure brings them back with the rollback).
        inserted = sorted({table for op, table, _first, _second in chunk.runs
                           if op not in ("evict", "remove")})
        # The kept patterns' triggers too: the kept result is forgotten instead (the next
        # read computes it in full) rather than a key marked for every row of the chunk.
        pattern_snapshot.mark_stale(connection)
        set_aside = triggers_set_aside(connection, [*map(insert_trigger, inserted),
                                                    *pattern_snapshot.trigger_names(connection)])
        with set_aside, contextlib.closing(cursor):
            for op, table, first, second in chunk.runs:
                if op == "evict":
                    removed += _evict(connection, first, json.loads(second) if second else None)
                elif op == "remove":
                    _remove_row(connection, table, first)  # the search index is rebuilt after
                else:
                    cursor.executemany(_insert_sql(table) if op == "upsert" else
                                       _columns_sql(table, op == "columns"), first)
                    cursor.executemany(
                        "INSERT INTO sync_row (tbl, key, rev) VALUES (?, ?, ?) "
                        "ON CONFLICT(tbl, key) DO UPDATE SET rev = max(rev, excluded.rev)",
                        second)
        connection.exec_driver_sql(
            "INSERT INTO sync_cursor (scope, version) VALUES (?, ?) ON CONFLICT(scope) "
            "DO UPDATE SET version = excluded.version", (scope, chunk.last))
        _set_state(connection, recording=recording)
        checkpoint("first sync chunk applied")
    return removed


def _reindex_all(store: Store, checkpoint: Checkpoint = _no_checkpoint) -> None:
    """After a first sync: make the indexes it dropped, and the search index, again (each
    in one transaction; cut, the next open or sync does it). When both are due, the search
    index is filled beside the other indexes, in a thread of its own (see
    :func:`_fill_beside`)."""
    with store.engine.connect() as connection:
        stale = _state(connection).get("search_stale") == "1"
        deferred = connection.exec_driver_sql(
            "SELECT value FROM store_meta WHERE key = ?", (DEFERRED_INDEXES,)).scalar()
    if stale and deferred and _side_path(store) is not None:
        _fill_beside(store, checkpoint)
        return
    with store.engine.begin() as connection:
        if rebuild_deferred_indexes(connection):
            checkpoint("indexes rebuilt")
    with store.engine.begin() as connection:
        if _state(connection).get("search_stale") != "1":
            return
        search.rebuild_index(connection)
        _set_state(connection, search_stale="0")


def _side_path(store: Store) -> Path | None:
    """Where this process fills a search index beside the store: a scratch file next to
    it, named for the process (none for a store held in memory). Two processes syncing one
    store each have their own: one never removes the file another is filling."""
    path = Path(str(store.path))
    if str(store.path) in ("", ":memory:") or not path.parent.is_dir():
        return None
    return path.with_name(f"{path.name}-search-{os.getpid()}")


def _remove_orphan_sides(side: Path) -> None:
    """Remove this process's side file and those of processes that are gone (killed while
    filling); another living process's is left alone."""
    stem = side.name.rsplit("-", 1)[0]
    for found in side.parent.glob(f"{glob.escape(stem)}-*"):
        pid = found.name[len(stem) + 1:].removesuffix("-journal")
        if not pid.isdigit():
            continue
        if int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                continue  # that process lives: its file, perhaps being filled now
            except ProcessLookupError:
                pass
            except PermissionError:
                continue  # it lives, as another user
        remove_scratch(found)


def _fill_beside(store: Store, checkpoint: Checkpoint) -> None:
    """Make the dropped indexes and fill the search index at once, on two cores: SQLite
    has one writer, but a statement runs outside the interpreter's lock, so a second
    connection fills a whole search index into a side file (:func:`search.fill_beside`)
    from the committed rows while the writer makes the other indexes; the writer then
    copies it in and commits it with them.

    Nothing another connection writes is missed: the writer takes the store's write lock
    before the fill starts reading and holds it until the copied index is committed. The
    fill's two indexes are made first, in a transaction of their own, so that it reads
    them as a fill in place does (the same rows in the same order). A cut anywhere leaves
    ``search_stale`` set and whatever indexes are still noted: the next sync fills in
    place. The side file holds the names it indexes: encrypted with the store's key (an
    attached file takes the main one's), overwritten and removed at the end, and removed
    by the next fill if a killed process left it."""
    side = _side_path(store)
    assert side is not None
    with store.engine.begin() as connection:
        rebuild_deferred_indexes(connection, only=search.FILL_READS)
    _remove_orphan_sides(side)
    writer = store.engine.connect()
    filled: list[BaseException | None] = []
    started, given_up = threading.Event(), threading.Event()

    def fill() -> None:
        try:
            started.wait()
            if given_up.is_set():  # the writer failed before the fill began
                filled.append(None)
                return
            connection = store.engine.connect()
            try:
                connection.exec_driver_sql(f"ATTACH DATABASE ? AS {search.BESIDE}",
                                           (str(side),))
                search.fill_beside(connection)
                connection.commit()
                connection.exec_driver_sql(f"DETACH DATABASE {search.BESIDE}")
            finally:
                connection.invalidate()  # its FTS5 and the attachment go with it
                connection.close()
            filled.append(None)
        except BaseException as error:  # noqa: BLE001 - raised in the writer's thread
            filled.append(error)

    try:
        # Attached before the transaction (SQLite attaches outside one); read only once
        # the fill is done.
        writer.exec_driver_sql(f"ATTACH DATABASE ? AS {search.BESIDE}", (str(side),))
    except sa.exc.DBAPIError:  # no side file here (a folder that cannot be written)
        writer.invalidate()
        writer.close()
        _remove_side(side)
        with store.engine.begin() as connection:
            if rebuild_deferred_indexes(connection):
                checkpoint("indexes rebuilt")
        with store.engine.begin() as connection:
            search.rebuild_index(connection)
            _set_state(connection, search_stale="0")
        return
    thread = threading.Thread(target=fill, name="first-sync search index", daemon=True)
    thread.start()
    try:
        _set_state(writer, search_stale="1")  # the write lock, before the fill reads
        started.set()
        if rebuild_deferred_indexes(writer):
            checkpoint("indexes rebuilt")
        thread.join()
        if filled[0] is not None:
            raise filled[0]
        search.take_beside(writer)
        _set_state(writer, search_stale="0")
        writer.commit()
    except BaseException:
        given_up.set()
        started.set()
        thread.join()
        writer.rollback()
        raise
    finally:
        writer.invalidate()  # its FTS5 cache predates the copy; the attachment goes too
        writer.close()
        _remove_side(side)


def _remove_side(side: Path) -> None:
    for suffix in ("", "-journal"):
        remove_scratch(Path(f"{side}{suffix}"))


# A first sync this much larger than what the device holds drops the synced tables'
# secondary indexes while it loads, and builds each once at the end from sorted keys.
DEFER_INDEXES_RATIO = 1


def _defer_indexes(store: Store, streaming: int) -> None:
    with store.engine.begin() as connection:
        held = connection.exec_driver_sql("SELECT count(*) FROM sync_row").scalar() or 0
        if streaming > DEFER_INDEXES_RATIO * held:
            defer_indexes(connection, _tables().columns)


def _first_sync(store: Store, reader: _Reader, scope: str, after: int, upto: int,
                report: SyncReport, checkpoint: Checkpoint,
                progress: Callable[[str, int, int], None] | None) -> None:
    """Apply a scope's streamed log up to ``upto`` in big transactions, chunk by chunk as
    the reader hands them over; a cut resumes from the last chunk's cursor."""
    done = after
    moved = False
    while True:
        got, chunk = reader.get()
        if got is None:
            raise chunk  # fetching failed: what was applied stands, with its cursor
        if chunk is None:
            break
        if moved:
            continue  # another process on this store is pulling this scope
        try:
            report.removed += _apply_chunk(store, scope, chunk, checkpoint, done)
        except _CursorMoved:
            moved = True  # the pages that follow the stream fetch from its cursor
            continue
        report.pulled += chunk.size
        done = chunk.last
        checkpoint("cursor saved")
        if progress:
            progress(scope, done, upto)
    if not moved and done < upto:
        raise SyncError("The connection was cut during the first sync; sync again to carry "
                        "on where it stopped.")


def _pull(store: Store, transport: Transport, scopes: list[str], report: SyncReport,
          checkpoint: Checkpoint, page: int, heads: dict[str, int] | None = None,
          progress: Callable[[str, int, int], None] | None = None,
          stream_after: int = FIRST_SYNC_STREAM) -> None:
    heads = {scope: int((heads or {}).get(scope, 0)) for scope in scopes}
    held = cursors(store)
    # A scope never pulled, or far behind, streams; pending local changes page (the
    # stream writes whole rows, the pages keep a field changed here until it is pushed).
    streams = [scope for scope in scopes
               if heads[scope] > held.get(scope, 0)
               and (held.get(scope, 0) == 0 or heads[scope] - held.get(scope, 0) > stream_after)]
    if streams and status(store).pending == 0:
        _stream_scopes(store, transport, streams, heads, report, checkpoint, progress)
    for scope in scopes:
        while True:
            after = cursors(store).get(scope, 0)
            answer = transport.post("/v1/pull", {"scope": scope, "after": after, "limit": page})
            changes = answer["changes"]
            if changes:
                try:
                    report.removed += apply_page(store, scope, changes,
                                                 int(changes[-1]["version"]), checkpoint,
                                                 after)
                except _CursorMoved:
                    continue  # another process applied this scope meanwhile: fetch again
                report.pulled += len(changes)
                checkpoint("cursor saved")
            if not answer["more"]:
                break


def _stream_scopes(store: Store, transport: Transport, streams: list[str],
                   heads: dict[str, int], report: SyncReport, checkpoint: Checkpoint,
                   progress: Callable[[str, int, int], None] | None) -> None:
    """First sync: stream each scope with connections tuned for bulk writes, the indexes
    dropped when the load dwarfs what the device holds, and made again at the end (or,
    if the process dies first, when the store is next opened)."""
    held = cursors(store)
    with bulk_writes(store, durable=True):
        _defer_indexes(store, sum(heads[s] - held.get(s, 0) for s in streams))
        plan = [(scope, held.get(scope, 0), heads[scope]) for scope in streams]
        # The checkpoints go on while the indexes are made: the search index is being
        # built while the pages of the others are copied into the store.
        with _checkpointing(store):
            try:
                with _collector_paused():
                    reader = _Reader(transport, plan)
                    try:
                        for scope, after, upto in plan:
                            _first_sync(store, reader, scope, after, upto, report,
                                        checkpoint, progress)
                    finally:
                        reader.close()
            finally:
                _reindex_all(store, checkpoint)


@contextlib.contextmanager
def _checkpointing(store: Store) -> Iterator[None]:
    """Copy the write-ahead log into the store from a thread of its own while the chunks
    are written (a passive checkpoint never blocks the writer), rather than in the
    writer's commits (SQLite's automatic checkpoint, which the chunks turn off): a fifth
    less of the writer's time on 100,000 cases. The WAL still holds each chunk before its
    commit returns, so a cut loses nothing that was committed."""
    stop = threading.Event()

    def run() -> None:
        # A failed checkpoint loses nothing, and the thread tries again at the next turn:
        # the chunks have turned SQLite's automatic checkpoint off, so while this thread
        # lives it is the only one, and the write-ahead log would otherwise grow with the
        # whole load (the one at the end, in bulk_writes, then copies it).
        while not stop.wait(0.2):
            with contextlib.suppress(Exception), store.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").close()

    thread = threading.Thread(target=run, name="first-sync checkpoints", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a stream's records pass through: every list
    the CSV reader makes counts towards the next collection, each of which walks every
    record held in the chunks read ahead (a tenth of the first sync's CPU). The records
    hold no cycles; what else makes them meanwhile is collected when it ends."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# --- the audit chain ------------------------------------------------------------------------

AUDIT_BATCH = 1000


def _push_audit(store: Store, transport: Transport) -> None:
    """Send the audit events the central store does not hold yet, oldest first."""
    while True:
        with store.engine.connect() as connection:
            after = int(_state(connection).get("audit_pushed") or 0)
            result = connection.exec_driver_sql(
                "SELECT * FROM audit_event WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, AUDIT_BATCH))
            names = list(result.keys())
            events = [dict(zip(names, row, strict=True)) for row in result]
        if not events:
            return
        answer = transport.post("/v1/audit", {"events": events})
        with store.engine.begin() as connection:
            _set_state(connection, audit_pushed=str(int(answer["head_seq"])))


@dataclass(frozen=True)
class CentralCheck:
    """This device's audit chain against the copy the central store holds."""

    checked: int
    problem: str = ""


@permits()  # the caller checks READ_AUDIT, as for the local check
def verify_against_central(store: Store, transport: Transport) -> CentralCheck:
    """Compare each link the central store holds with this device's log, hash by hash.

    A log rewritten in full verifies on its own; it cannot match the copy pushed before.
    """
    after, checked = 0, 0
    with store.engine.connect() as connection:
        while True:
            answer = transport.post("/v1/audit/hashes", {"after": after})
            for seq, held in answer["hashes"]:
                mine = connection.exec_driver_sql(
                    "SELECT hash FROM audit_event WHERE seq = ?", (seq,)).scalar()
                if mine is None:
                    return CentralCheck(checked, f"row {seq}, held centrally, is missing here")
                if mine != held:
                    return CentralCheck(checked, f"row {seq} differs from the copy the "
                                                 "central store holds: the log was rewritten")
                checked += 1
                after = seq
            if not answer["more"]:
                return CentralCheck(checked)


# --- conflicts ---------------------------------------------------------------------------

def transport_for(store: Store) -> Transport:
    """The central service as this device and its signed-in user."""
    from asbtui.services.access import current
    from asbtui.sync.transport import HttpTransport

    url, key = credentials(store)
    return HttpTransport(url, key, current(store).username)


@permits()  # the server decides who may see them (a supervisor of the district)
def list_conflicts(store: Store, *, settled: bool = False) -> list[dict[str, Any]]:
    """The open conflicts of the signed-in supervisor's districts (settled ones too)."""
    transport = transport_for(store)
    try:
        return list(transport.post("/v1/conflicts", {"all": settled}))
    finally:
        transport.close()

@permits()  # the server decides who settles (a supervisor of the conflict's district)
def settle_conflict(store: Store, transport: Transport, conflict_id: int,
                    value: Any) -> dict[str, Any]:
    """Settle a conflict on the central store, and audit it here as an ordinary change.

    The new value reaches this device (and every other) by the next pull.
    """
    from asbtui.services import audit
    from asbtui.services.access import current

    settled = transport.post(f"/v1/conflicts/{conflict_id}/resolve", {"value": value})
    actor = current(store)
    with store.session() as session:
        # The field's name only: the values may be personal data.
        audit.record(session, store, actor, audit.AuditAction.CHANGE, settled["table"],
                     settled["key"], case_ref=settled.get("ref") or "",
                     detail=f"conflict {conflict_id} settled: {settled['field']}")
    return settled


def _keep_conflicts(store: Store, conflicts: list[dict[str, Any]], *,
                    replace: bool = False) -> None:
    """Hold the open conflicts the server reported (``replace``: its whole list for this
    device, so settled ones go), for My day to list offline."""
    with store.engine.begin() as connection:
        if replace:
            connection.exec_driver_sql("DELETE FROM sync_conflict")
        if not conflicts:
            return
        connection.exec_driver_sql(
            "INSERT OR REPLACE INTO sync_conflict (id, tbl, key, field, district, case_ref, "
            "opened_at, server_user, device_user) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(c["id"], c["table"], c["key"], c["field"], c.get("district"), c.get("ref"),
              c.get("opened_at") or datetime.now(UTC).isoformat(), c.get("server_user"),
              c.get("device_user")) for c in conflicts])


# --- the whole sync -----------------------------------------------------------------------

@permits()  # the server checks the user on every request
def sync(store: Store, transport: Transport, *, checkpoint: Checkpoint = _no_checkpoint,
         page: int = PULL_PAGE,
         progress: Callable[[str, int, int], None] | None = None,
         stream_after: int = FIRST_SYNC_STREAM) -> SyncReport:
    """Push this device's changes, then pull its scopes' changes; returns what moved."""
    credentials(store)
    with store.engine.connect() as connection:
        if triggers_changed(connection, ["sync"]):
            # Changes made while they were gone were never put in the outbox: syncing on
            # would leave the central store without them and call the device up to date.
            raise SyncError(
                "This store's sync triggers were dropped or rewritten behind the app's "
                "back, so changes since may not have been recorded for the central store: "
                "nothing was sent. Run asbtui db check, and ask an admin.")
    report = SyncReport()
    hello = transport.post("/v1/hello", {})
    report.scopes = list(hello["scopes"])
    if "conflicts" in hello:
        _keep_conflicts(store, hello["conflicts"], replace=True)
    _push(store, transport, report, checkpoint)
    _keep_conflicts(store, report.conflicts)
    _pull(store, transport, report.scopes, report, checkpoint, page, hello.get("heads"),
          progress, stream_after)
    _reindex_all(store)
    _push_audit(store, transport)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with store.engine.begin() as connection:
        _set_state(connection, last_sync=at)
    report.last_sync = at
    report.pending = status(store).pending
    return report
