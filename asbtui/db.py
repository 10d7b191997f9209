"""The local store: a SQLite file in WAL mode, opened, migrated, checked and backed up.

Acknowledged writes are durable (``synchronous=FULL``); two processes can share a store
(WAL plus a busy timeout); a missing, damaged, locked or foreign file gives a
:class:`~asbtui.errors.StoreError` in plain words, never a traceback.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from asbtui.clock import HybridLogicalClock
from asbtui.errors import StoreError
from asbtui.models import StoreMeta, Synced, new_id

BUSY_TIMEOUT_MS = 5000
OPEN_ATTEMPTS = 5


def _set_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _alembic_config(connection: sa.Connection) -> Config:
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
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _url(path: Path) -> sa.URL:
    # URL.create, not an f-string: '?', '#' and '%' are legal in file names.
    return sa.URL.create("sqlite", database=str(path))


def _make_engine(path: Path) -> Engine:
    engine = sa.create_engine(_url(path), connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _set_pragmas)
    return engine


def _migration_engine(path: Path) -> Engine:
    """An engine whose transactions start with BEGIN IMMEDIATE (the write lock).

    Two processes opening a new store at once must not both migrate it: the second waits
    for the first's lock, then finds the schema current. pysqlite's own transaction
    handling is switched off so that the BEGIN we send is the one that counts.
    """
    engine = sa.create_engine(_url(path), connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

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


def _migrate(path: Path) -> str:
    """Under one write lock: refuse foreign files, back up, upgrade; returns the device id."""
    migrator = _migration_engine(path)
    try:
        with migrator.connect() as connection, connection.begin():
            config = _alembic_config(connection)
            head = ScriptDirectory.from_config(config).get_current_head()
            current = _check_revision(connection, config, path)
            if current != head:
                if current is not None:
                    backup(path, _backup_name(path))
                command.upgrade(config, "head")
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise StoreError(f"Migrating {path} would break {len(broken)} links "
                                     "between records; it was left as it was.")
            return _device_id(connection)
    finally:
        migrator.dispose()


def open_store(path: Path | str, *, create: bool = False) -> Store:
    """Open the store at ``path``, migrating it to the current schema (backup first).

    With ``create`` a missing store is made; otherwise a missing file is an error.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file.")
    existed = path.exists()
    if not existed and not create:
        raise StoreError(f"There is no store at {path}. Create one with: asbtui demo --db {path}")
    if existed and not create and path.stat().st_size == 0:
        raise StoreError(
            f"The store {path} is an empty file, not an asbtui store. "
            f"Remove it, or create a store with: asbtui demo --db {path}"
        )
    if not existed:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"Cannot create the folder for {path}: {error.strerror}.") from None
    # Switching a brand-new file to WAL needs a moment alone with it, and SQLite answers
    # "locked" at once rather than waiting; a few short retries cover two processes
    # creating one store together.
    for attempt in range(OPEN_ATTEMPTS):
        try:
            device_id = _migrate(path)
            break
        except OperationalError as error:
            if "locked" not in str(error).lower() or attempt == OPEN_ATTEMPTS - 1:
                raise explain_error(path, error) from None
            time.sleep(0.2 * (attempt + 1))
        except DatabaseError as error:
            raise explain_error(path, error) from None
        except CommandError as error:
            raise StoreError(f"The store {path} could not be migrated: "
                             f"{_first_line(error)}") from None
    return Store(path, _make_engine(path), device_id)


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


def backup(path: Path | str, target: Path | str) -> Path:
    """Copy the store to ``target`` with SQLite's online backup (safe while in use)."""
    path, target = Path(path), Path(target).expanduser()
    if target.exists():
        raise StoreError(f"{target} already exists; choose a new file name for the backup.")
    if not target.parent.is_dir():
        raise StoreError(
            f"Cannot write the backup {target}: the folder {target.parent} does not exist."
        )
    try:
        destination = sqlite3.connect(target)
    except sqlite3.Error as error:
        raise StoreError(f"Cannot write the backup {target}: {_first_line(error)}.") from None
    try:
        source = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            with destination:
                source.backup(destination)
        finally:
            source.close()
    except sqlite3.Error as error:
        destination.close()
        target.unlink(missing_ok=True)
        raise explain_error(path, error) from None
    except OSError as error:
        destination.close()
        target.unlink(missing_ok=True)
        raise StoreError(f"Cannot write the backup {target}: {error.strerror}.") from None
    destination.close()
    return target


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
    return problems
