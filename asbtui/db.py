"""The local store: a SQLite file in WAL mode, opened, migrated, checked and backed up.

Acknowledged writes are durable (``synchronous=FULL``); two processes can share a store
(WAL plus a busy timeout); a missing, damaged, locked or foreign file gives a
:class:`~asbtui.errors.StoreError` in plain words, never a traceback.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from asbtui import encryption
from asbtui.clock import HybridLogicalClock
from asbtui.encryption import StoreKey
from asbtui.errors import StoreError
from asbtui.models import StoreMeta, Synced, new_id

BUSY_TIMEOUT_MS = 5000
OPEN_ATTEMPTS = 5


def _sqlite_table_hint(_compiler: SQLiteCompiler, _table: Any, text: str) -> str:
    return text


# SQLAlchemy's SQLite compiler drops table hints, so ``with_hint(Case, "INDEXED BY ix")``
# never reached the SQL; rendered, it makes SQLite walk the queue's index for the order
# even where the statistics of a large store make the planner prefer ix_case_queue and a
# sort of every open case of the district (tests/test_queue_plans.py, at 1,000,000 cases).
# Only the queue's statements carry hints (services/queue.py); the patch lives here,
# beside the store's engine, so that every statement made for the store has it.
SQLiteCompiler.get_from_hint_text = _sqlite_table_hint  # type: ignore[method-assign]


def _set_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    # Deleted and erased records are overwritten with zeros, not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


if TYPE_CHECKING:
    from alembic.config import Config

_ASSIGNED = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


@functools.cache
def script_head() -> str | None:
    """The newest migration's revision, read from the files of ``migrations/versions``
    (the revision no other file names as its ``down_revision``) without Alembic, whose
    import and script directory took a third of a second of every start; None when the
    files do not tell one head (then Alembic decides, as it always did)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for file in (Path(__file__).parent / "migrations" / "versions").glob("*.py"):
        found = dict((name, value) for name, value in
                     _ASSIGNED.findall(file.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        downs.update([down] if isinstance(down, str) else down or ())
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(connection: sa.Connection) -> str | None:
    """The store's schema revision as Alembic keeps it (None: none, or more than one)."""
    has_table = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").first()
    if not has_table:
        return None
    rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return rows[0][0] if len(rows) == 1 else None


def _alembic_config(connection: sa.Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "asbtui:migrations")
    config.attributes["connection"] = connection
    return config


def explain_error(path: Path, error: Exception) -> StoreError:
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return StoreError(f"The store {path} is locked by another program; try again shortly.")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"The store {path} is damaged or is not an asbtui store. "
            "Restore it from a backup (asbtui db backup makes one)."
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StoreError(f"The store {path} cannot be opened for writing: check its permissions.")
    return StoreError(f"The store {path} could not be used: {_first_line(error)}")


class Store:
    """An open local store: the engine, this device's id and its hybrid logical clock."""

    def __init__(self, path: Path, engine: Engine, device_id: str) -> None:
        self.path = path
        self.engine = engine
        self.device_id = device_id
        self.actor: object | None = None
        """Who works on this store now (services.access.Actor); set by signing in."""
        self.clock = HybridLogicalClock(device_id)
        self.key: StoreKey | None = None
        """The store's key when it is encrypted (backups are encrypted with it)."""
        self.salt: bytes | None = None
        self.migrated: tuple[str | None, str] | None = None
        """(from, to) schema revisions when opening this store migrated it."""
        self.cache: dict[str, object] = {}
        """What services keep in memory between calls on this open store (e.g. the kept
        patterns' rows), each checked against the store before it is used."""
        self._sessions = sessionmaker(engine, class_=Session, expire_on_commit=False)
        event.listen(self._sessions, "before_flush", self._stamp)

    def _stamp(self, session: Session, _context: object, _instances: object) -> None:
        # Every new or changed synced row gets a clock stamp and this device as origin.
        for row in list(session.new) + list(session.dirty):
            if isinstance(row, Synced):
                row.updated_at = self.clock.now()
                row.origin = self.device_id

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One short transaction: committed on success, rolled back on any error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except IntegrityError:
                # A broken constraint is for the service to handle (a reference clash is
                # retried), not a damaged store.
                session.rollback()
                raise
            except (OperationalError, DatabaseError) as error:
                session.rollback()
                raise explain_error(self.path, error) from error
            except BaseException:
                session.rollback()
                raise

    def stamp(self) -> str:
        """A clock stamp for rows written with Core inserts (bulk work such as the demo)."""
        return self.clock.now()

    def close(self) -> None:
        refresh_statistics(self.engine, only_if_stale=True)
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _url(path: Path) -> sa.URL:
    # URL.create, not an f-string: '?', '#' and '%' are legal in file names.
    return sa.URL.create("sqlite", database=str(path))


def _engine(path: Path, key: StoreKey | None, salt: bytes | None) -> Engine:
    """A plain pysqlite engine, or one whose connections are SQLCipher's, keyed first."""
    if key is None or salt is None:
        return sa.create_engine(_url(path), connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    module = encryption.cipher_module()
    return sa.create_engine(
        _url(path), module=module,
        creator=lambda: encryption.connect(path, key, salt, timeout=BUSY_TIMEOUT_MS / 1000,
                                           check_same_thread=False))


def _make_engine(path: Path, key: StoreKey | None = None, salt: bytes | None = None) -> Engine:
    engine = _engine(path, key, salt)
    event.listen(engine, "connect", _set_pragmas)
    return engine


def _migration_engine(path: Path, key: StoreKey | None = None,
                      salt: bytes | None = None) -> Engine:
    """An engine whose transactions start with BEGIN IMMEDIATE (the write lock).

    Two processes opening a new store at once must not both migrate it: the second waits
    for the first's lock, then finds the schema current. pysqlite's own transaction
    handling is switched off so that the BEGIN we send is the one that counts.
    """
    engine = _engine(path, key, salt)

    def connect(dbapi_connection: sqlite3.Connection, record: object) -> None:
        _set_pragmas(dbapi_connection, record)
        # SQLite alters a table by copying it, dropping the old one and renaming the copy;
        # with foreign keys enforced the drop fails on any row that points at it. SQLite's
        # own procedure: keys off for the migration, then foreign_key_check before commit.
        dbapi_connection.execute("PRAGMA foreign_keys=OFF").close()
        dbapi_connection.isolation_level = None
        # journal_mode cannot change inside a transaction: set it before any BEGIN.
        dbapi_connection.execute("PRAGMA journal_mode=WAL").close()

    event.listen(engine, "connect", connect)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def _check_revision(connection: sa.Connection, config: Config, path: Path) -> str | None:
    """The store's schema revision, refusing files that are not asbtui stores."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    tables = set(
        connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'").scalars()
    )
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None and tables - {"alembic_version"}:
        raise StoreError(
            f"{path} is a database, but not an asbtui store; give the path of an asbtui store."
        )
    if current is not None:
        try:
            known = ScriptDirectory.from_config(config).get_revision(current)
        except CommandError:
            known = None
        if known is None:
            raise StoreError(
                f"The store {path} was made by a newer version of asbtui "
                f"(schema {current}); update asbtui to open it."
            )
    return current


def _migrate(path: Path, key: StoreKey | None = None,
             salt: bytes | None = None) -> tuple[str, tuple[str | None, str] | None]:
    """Under one write lock: refuse foreign files, back up, upgrade; returns the device id
    and, when it migrated, the (from, to) revisions.

    The copy made before a migration holds everything the store holds, so it is made as
    the store is (encrypted, owner-only) and removed once the migrated store passes its
    integrity check: an erased person must not live on in it.
    """
    migrator = _migration_engine(path, key, salt)
    try:
        with migrator.connect() as connection, connection.begin():
            current = _stored_revision(connection)
            if current is not None and current == script_head() and connection.exec_driver_sql(
                    "SELECT 1 FROM store_meta WHERE key = ?", (DEFERRED_INDEXES,)).first() is None:
                # Current, and no bulk load left its indexes to make: nothing to do here.
                return _device_id(connection), None
        with migrator.connect() as connection, connection.begin():
            # A bulk load (a first sync) cut before it made its indexes again: made first,
            # at the revision that dropped them, so that a migration finds the schema it
            # expects (one that drops or remakes an index would not find it otherwise).
            rebuilt = rebuild_deferred_indexes(connection) if current is not None else 0
            copy, migrated = _upgrade(connection, path, key, salt)
            device = _device_id(connection)
            if migrated is not None or rebuilt:
                _analyze(connection)
        if copy is not None:
            with migrator.connect() as connection:
                sound = connection.exec_driver_sql("PRAGMA quick_check").scalars().all()
            if sound == ["ok"]:
                _remove(copy)
        return device, migrated
    finally:
        migrator.dispose()


def _upgrade(connection: sa.Connection, path: Path, key: StoreKey | None,
             salt: bytes | None) -> tuple[Path | None, tuple[str | None, str] | None]:
    """Alembic's part: refuse foreign files, back up, upgrade to the head."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    copy: Path | None = None
    migrated: tuple[str | None, str] | None = None
    try:
        config = _alembic_config(connection)
        head = ScriptDirectory.from_config(config).get_current_head()
        current = _check_revision(connection, config, path)
        if current != head:
            if current is not None:
                copy = backup(path, _backup_name(path), key=key, salt=salt)
            command.upgrade(config, "head")
            migrated = (current, head or "")
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise StoreError(f"Migrating {path} would break {len(broken)} links "
                                 "between records; it was left as it was.")
    except CommandError as error:
        raise StoreError(f"The store {path} could not be migrated: "
                         f"{_first_line(error)}") from None
    return copy, migrated


ANALYSIS_LIMIT = 1000
"""Rows ANALYZE samples per index: planner statistics stay cheap on a million cases."""


def _analyze(connection: sa.Connection) -> None:
    connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}").close()
    connection.exec_driver_sql("ANALYZE").close()


def refresh_statistics(engine: Engine, *, only_if_stale: bool = False) -> None:
    """Keep the query planner's statistics (``sqlite_stat1``) current.

    Without them SQLite guesses, and the queue's indexes, which begin with ``deleted``
    (one value for nearly every row), look better to it than the reference, address or
    postcode index a lookup needs: on 100,000 cases go-to-case took 200 ms instead of
    0.3 ms, and duplicate matching 350 ms instead of 2 ms. ``only_if_stale``: SQLite's
    own ``PRAGMA optimize``, which analyses only the tables that have changed enough.
    A store that cannot be written keeps the statistics it has.
    """
    try:
        with engine.connect() as connection:
            if only_if_stale:
                connection.exec_driver_sql(
                    f"PRAGMA analysis_limit={ANALYSIS_LIMIT}").close()
                connection.exec_driver_sql("PRAGMA optimize").close()
            else:
                _analyze(connection)
            connection.commit()
    except (OperationalError, DatabaseError):
        pass


BULK_CACHE_KIB = 256 * 1024
"""Page cache of a connection doing bulk writes (the demo, a first sync)."""
BUILD_CACHE_KIB = 1024 * 1024
"""Page cache of the demo builder's connections (``bulk_writes(durable=False)``)."""
BUILD_MMAP = 16 << 30
DEFERRED_INDEXES = "deferred_indexes"
"""store_meta key: the SQL of indexes dropped for a bulk load, made again at the end."""


@contextmanager
def bulk_writes(store: Store, *, durable: bool) -> Iterator[None]:
    """Connections tuned for loading many rows: a large page cache, and fewer syncs.

    ``durable=False`` (the demo, which is not a confirmed write until it is built): no
    fsync, no write-ahead log, freed pages not zeroed, the undo journal in memory, so the
    rows go straight into the file instead of into the WAL and then again into the file
    (23 GB written for a million cases). ``durable=True`` (a first sync, cut at any moment
    and resumed): the WAL stays and ``synchronous=NORMAL``, which survives the process
    being killed and never leaves the store inconsistent, only (after a power cut) without
    the last chunks, which the resumed sync fetches again. At the end the store is back in
    WAL, checkpointed, the pooled connections dropped (later ones open with the usual
    settings) and the planner's statistics refreshed.
    """

    def relax(dbapi_connection: Any, _record: object, _proxy: object) -> None:
        cursor = dbapi_connection.cursor()
        if durable:
            cursor.execute("PRAGMA synchronous=NORMAL")
        else:
            cursor.execute("PRAGMA journal_mode=MEMORY")
            cursor.execute("PRAGMA synchronous=OFF")
            # Only synthetic rows being made: secure_delete (on for every other connection)
            # has nothing to protect while indexes are dropped and built again.
            cursor.execute("PRAGMA secure_delete=OFF")
            # The store read through a mapping (no copy of each page read), and a cache
            # large enough for each index's sort to stay in memory. Not temp_store=MEMORY:
            # the sorter then mallocs each record on its own instead of packing them in
            # one buffer (a million-row index took 15-20% more CPU).
            cursor.execute(f"PRAGMA mmap_size={BUILD_MMAP}")
        cursor.execute(f"PRAGMA cache_size=-{BUILD_CACHE_KIB if not durable else BULK_CACHE_KIB}")
        cursor.close()

    store.engine.dispose()
    event.listen(store.engine, "checkout", relax)
    try:
        yield
    finally:
        event.remove(store.engine, "checkout", relax)
        store.engine.dispose()
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL").close()
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").close()
        store.engine.dispose()
        refresh_statistics(store.engine)


def drop_secondary_indexes(connection: sa.Connection, tables: Iterable[str]) -> list[str]:
    """Drop the tables' indexes (not their keys) and return the SQL that makes them again.

    Each index is then built once from sorted keys, rather than grown row by row under
    random keys while the rows go in.
    """
    tables = tuple(tables)
    marks = ", ".join("?" * len(tables))
    found = connection.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})", tables).all()
    for name, _sql in found:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def defer_indexes(connection: sa.Connection, tables: Iterable[str]) -> int:
    """Drop the tables' secondary indexes and note their SQL in the store, in the caller's
    transaction: whoever opens or syncs the store next makes any still missing
    (:func:`rebuild_deferred_indexes`), so a load cut at any point leaves a usable store."""
    import json

    tables = tuple(tables)
    held = connection.exec_driver_sql("SELECT value FROM store_meta WHERE key = ?",
                                      (DEFERRED_INDEXES,)).scalar()
    marks = ", ".join("?" * len(tables))
    found = connection.exec_driver_sql(
        f"SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})", tables).scalars().all()
    # The note first: a write opens the transaction (pysqlite runs DDL outside one
    # otherwise), so the drops and the note stand or fall together.
    connection.exec_driver_sql(
        "INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)",
        (DEFERRED_INDEXES, json.dumps((json.loads(held) if held else []) + list(found))))
    return len(drop_secondary_indexes(connection, tables))


def _index_name(sql: str) -> str:
    import re

    found = re.match(r'\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([^"\s(]+)',
                     sql, flags=re.IGNORECASE)
    return found[1] if found else ""


def rebuild_deferred_indexes(connection: sa.Connection,
                             only: Iterable[str] | None = None) -> int:
    """Make the indexes a bulk load dropped, all in the caller's transaction (a cut here
    leaves them to the next open or sync); returns how many were made. ``only``: those of
    these names, the others left noted for a later call."""
    import json
    import re

    held = connection.exec_driver_sql("SELECT value FROM store_meta WHERE key = ?",
                                      (DEFERRED_INDEXES,)).scalar()
    if not held:
        return 0
    noted = json.loads(held)
    wanted = set(only) if only is not None else None
    making = [sql for sql in noted if wanted is None or _index_name(sql) in wanted]
    left = [sql for sql in noted if sql not in making]
    # The write first, so that the indexes are made inside the transaction (see above).
    if left:
        connection.exec_driver_sql("UPDATE store_meta SET value = ? WHERE key = ?",
                                   (json.dumps(left), DEFERRED_INDEXES))
    else:
        connection.exec_driver_sql("DELETE FROM store_meta WHERE key = ?", (DEFERRED_INDEXES,))
    made = 0
    for sql in making:
        connection.exec_driver_sql(
            re.sub(r"^CREATE (UNIQUE )?INDEX (IF NOT EXISTS )?", r"CREATE \1INDEX IF NOT EXISTS ",
                   sql, flags=re.IGNORECASE))
        made += 1
    return made


@contextmanager
def triggers_set_aside(connection: sa.Connection, names: Iterable[str]) -> Iterator[None]:
    """The triggers ``names`` (those that exist) dropped for the block and made again from
    their own stored SQL after it, all in the caller's transaction: other connections never
    see them gone, and a failure or a cut rolls the drop back with the rest. For a bulk
    write whose triggers would only find that they have nothing to do (a first sync's
    rows, written with the outbox's recording off: entering the insert trigger was a
    quarter of each insert). The caller's transaction must already be open (a write)."""
    names = tuple(names)
    marks = ", ".join("?" * len(names))
    held = connection.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
        names).all() if names else []
    for name, _sql in held:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield  # on an error, the caller's rollback brings the triggers back
    for _name, sql in held:
        connection.exec_driver_sql(sql)


TRIGGER_GROUPS = {
    "sync": ("sync\\_%", "of the sync outbox (each local change recorded for the central "
                        "store)"),
    "audit": ("audit\\_%", "of the audit log (its rows may not be changed or deleted)"),
    "pattern": ("pattern\\_%", "of the kept patterns (each change logged for their refresh)"),
}
"""The store's triggers by what they keep, each with its names' LIKE pattern."""

TRIGGER_DIGESTS = {
    "sync": "2d11c59575853465036d2c6349622184677c43d4b092091611b5d35f100dea59",
    "audit": "2fdafdcb652023a1bc5d38ab7f991ca057b92c2728c7b125250d4d9fdb4f0fc2",
    "pattern": "0cae5eda996fbfffe04e82446da1b567f3ef90de16297a598480290c7778ab46",
}
"""Each group's digest (names and SQL) as the migrations make it: a store whose triggers
differ had one dropped or rewritten behind the app's back (e.g. with ``sqlite3``), so what
it keeps may have missed changes. ``tests/test_triggers.py`` holds these to a new store's."""


def trigger_digests(connection: sa.Connection) -> dict[str, str]:
    """The digest of each group of the store's triggers (names and stored SQL)."""
    import hashlib

    found: dict[str, str] = {}
    for group, (like, _what) in TRIGGER_GROUPS.items():
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE ? ESCAPE '\\' ORDER BY name", (like,)).all()
        found[group] = hashlib.sha256(
            "\0".join(f"{name}\0{sql}" for name, sql in rows).encode()).hexdigest()
    return found


def triggers_changed(connection: sa.Connection,
                     groups: Iterable[str] = tuple(TRIGGER_GROUPS)) -> list[str]:
    """The groups (of ``groups``) whose triggers are not those the migrations make."""
    found = trigger_digests(connection)
    return [g for g in groups if found[g] != TRIGGER_DIGESTS[g]]


def remove_scratch(path: Path) -> None:
    """Overwrite a scratch file with zeros, then delete it (nothing if it is not there)."""
    if path.exists():
        _remove(path)


def _remove(path: Path) -> None:
    """Overwrite a copy of the store with zeros, then delete it (best effort on SSDs)."""
    try:
        size = path.stat().st_size
        with open(path, "r+b") as file:
            file.write(bytes(min(size, 1 << 20)))
            for _ in range(1 << 20, size, 1 << 20):
                file.write(bytes(1 << 20))
            file.flush()
            os.fsync(file.fileno())
    except OSError:
        pass
    path.unlink(missing_ok=True)


def open_store(path: Path | str, *, create: bool = False, key: StoreKey | None = None) -> Store:
    """Open the store at ``path``, migrating it to the current schema (backup first).

    With ``create`` a missing store is made (encrypted when ``key`` is given); otherwise a
    missing file is an error. An encrypted store needs its ``key``; a plain one must not be
    given one.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file.")
    kind = encryption.store_kind(path)
    existed = kind != "missing"
    if not existed and not create:
        raise StoreError(f"There is no store at {path}. Create one with: asbtui demo --db {path}")
    if existed and not create and kind == "empty":
        raise StoreError(
            f"The store {path} is an empty file, not an asbtui store. "
            f"Remove it, or create a store with: asbtui demo --db {path}"
        )
    if kind == "plain" and key is not None:
        raise StoreError(f"The store {path} is not encrypted, but a key was given: unset "
                         "ASBTUI_KEY, or encrypt it with: asbtui db encrypt")
    if kind == "encrypted" and key is None:
        raise StoreError(f"The store {path} is encrypted or damaged (not a plain SQLite "
                         "file): give its key in ASBTUI_KEY, or type it when asked.")
    if not existed:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            encryption.create_private(path)
        except FileExistsError:
            pass  # another process made it a moment ago
        except OSError as error:
            raise StoreError(f"Cannot create the store {path}: {error.strerror}.") from None
    encryption.make_private(path)
    salt = None
    if key is not None:
        salt = encryption.salt_of(path) if kind == "encrypted" else None
        salt = salt or encryption.new_salt()
    # Switching a brand-new file to WAL needs a moment alone with it, and SQLite answers
    # "locked" at once rather than waiting; a few short retries cover two processes
    # creating one store together.
    for attempt in range(OPEN_ATTEMPTS):
        try:
            device_id, migrated = _migrate(path, key, salt)
            break
        except OperationalError as error:
            if "locked" not in str(error).lower() or attempt == OPEN_ATTEMPTS - 1:
                raise explain_error(path, error) from None
            time.sleep(0.2 * (attempt + 1))
        except DatabaseError as error:
            if key is not None and "not a database" in str(error).lower():
                raise StoreError(f"The key for the store {path} is wrong (or the file is "
                                 "damaged).") from None
            raise explain_error(path, error) from None
    store = Store(path, _make_engine(path, key, salt), device_id)
    store.key, store.salt, store.migrated = key, salt, migrated
    return store


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _device_id(connection: sa.Connection) -> str:
    table = StoreMeta.__table__
    found = connection.execute(sa.select(table.c.value).where(table.c.key == "device_id")).scalar()
    if found:
        return found
    device = new_id()[:12]
    connection.execute(sa.insert(table).values(key="device_id", value=device))
    return device


def _backup_name(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.pre-migration-{stamp}{path.suffix}")


def backup(path: Path | str, target: Path | str, *, key: StoreKey | None = None,
           salt: bytes | None = None) -> Path:
    """Copy the store to ``target`` while it stays in use: SQLite's online backup for a
    plain store, ``sqlcipher_export`` (encrypted with the same key) for an encrypted one.
    The copy is owner-only (0600)."""
    path, target = Path(path), Path(target).expanduser()
    if target.exists():
        raise StoreError(f"{target} already exists; choose a new file name for the backup.")
    if not target.parent.is_dir():
        raise StoreError(
            f"Cannot write the backup {target}: the folder {target.parent} does not exist."
        )
    try:
        encryption.create_private(target)
    except OSError as error:
        raise StoreError(f"Cannot write the backup {target}: {error.strerror}.") from None
    try:
        if key is not None and salt is not None:
            _export_encrypted(path, target, key, salt)
        else:
            _backup_plain(path, target)
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise explain_error(path, error) from None
    except OSError as error:
        target.unlink(missing_ok=True)
        raise StoreError(f"Cannot write the backup {target}: {error.strerror}.") from None
    except BaseException as error:
        target.unlink(missing_ok=True)
        if type(error).__module__.startswith("sqlcipher3"):
            raise explain_error(path, error) from None  # type: ignore[arg-type]
        raise
    return target


def _backup_plain(path: Path, target: Path) -> None:
    destination = sqlite3.connect(target)
    try:
        source = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            with destination:
                source.backup(destination)
        finally:
            source.close()
    finally:
        destination.close()


def _export_encrypted(path: Path, target: Path, key: StoreKey, salt: bytes) -> None:
    source = encryption.connect(path, key, salt, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        source.isolation_level = None
        # One statement, so one read transaction: the copy is one moment of the store.
        encryption.export(source, target, key, salt)
    finally:
        source.close()


def encrypt(path: Path | str, key: StoreKey) -> Path:
    """Encrypt a plain store in place, keeping a verified copy until the end.

    The encrypted copy is written beside the store and checked (integrity, and the same
    rows in every table) before it takes the store's place; the plain file is then
    overwritten and removed. Nothing else may have the store open meanwhile.
    """
    path = Path(path).expanduser()
    if encryption.store_kind(path) != "plain":
        raise StoreError(f"The store {path} is not a plain store (already encrypted?).")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    staging = path.with_name(f"{path.stem}.encrypting-{stamp}{path.suffix}")
    plain_copy = path.with_name(f"{path.stem}.plain-before-encrypt-{stamp}{path.suffix}")
    salt = encryption.new_salt()
    encryption.create_private(staging)
    try:
        # A second connection holds the write lock, so that no write lands in the plain
        # file after the copy is made; the exporting connection only reads.
        # Both through one SQLite library: two copies of SQLite in one process do not see
        # each other's POSIX locks, and closing one would drop the other's.
        module = encryption.cipher_module()
        locker = module.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        source = module.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            locker.execute("BEGIN IMMEDIATE")
            source.isolation_level = None
            counts = _row_counts(source)
            encryption.export(source, staging, key, salt)
            copy = encryption.connect(staging, key, salt)
            try:
                sound = [r[0] for r in copy.execute("PRAGMA integrity_check")]
                same = _row_counts(copy) == counts
            finally:
                copy.close()
            if sound != ["ok"] or not same:
                raise StoreError(f"The encrypted copy of {path} did not check out; the store "
                                 "was left as it was.")
        finally:
            source.close()
            locker.close()
        # The last connection to close checkpoints and removes the plain -wal and -shm;
        # if they are still there, asbtui has the store open elsewhere.
        if Path(f"{path}-wal").exists():
            raise StoreError(f"The store {path} is open in another asbtui window or "
                             "command: close it there, then encrypt again.")
        os.replace(path, plain_copy)
        os.replace(staging, path)
    except BaseException as error:
        if plain_copy.exists() and not path.exists():
            os.replace(plain_copy, path)
        staging.unlink(missing_ok=True)
        if type(error).__module__.startswith("sqlcipher3"):
            raise explain_error(path, error) from None  # type: ignore[arg-type]
        raise
    _remove(plain_copy)
    return path


def _row_counts(connection: Any) -> dict[str, int]:
    tables = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL%'")]
    return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def check(store: Store) -> list[str]:
    """SQLite's integrity and foreign-key checks; an empty list means the store is sound."""
    problems: list[str] = []
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
        problems += [row for row in rows if row != "ok"]
        for table, rowid, parent, _ in connection.exec_driver_sql("PRAGMA foreign_key_check"):
            problems.append(f"{table} row {rowid} points to a missing {parent}")
        fts = connection.exec_driver_sql(
            "INSERT INTO case_search(case_search) VALUES('integrity-check')"
        )
        fts.close()
        problems += [f"The triggers {TRIGGER_GROUPS[group][1]} are not those the app's "
                     "migrations make: dropped or rewritten behind its back, so changes "
                     "may have gone unrecorded." for group in triggers_changed(connection)]
    return problems
