"""The local store: a SQLite file in WAL mode, opened, migrated, checked and backed up.

Acknowledged writes are durable (``synchronous=FULL``); two processes can share a store
(WAL plus a busy timeout); a missing, damaged, locked or foreign file gives a
:class:`~asbtui.errors.StoreError` in plain words, never a traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from asbtui.errors import StoreError
from asbtui.models import StoreMeta, Synced, new_id
from asbtui.clock import HybridLogicalClock

BUSY_TIMEOUT_MS = 5000


def _set_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _alembic_config(engine: Engine, connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", "asbtui:migrations")
    config.set_main_option("sqlalchemy.url", str(engine.url))
    config.attributes["connection"] = connection
    return config


def _explain(path: Path, error: Exception) -> StoreError:
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
    return StoreError(f"The store {path} could not be used: {error}")


class Store:
    """An open local store: the engine, this device's id and its hybrid logical clock."""

    def __init__(self, path: Path, engine: Engine, device_id: str) -> None:
        self.path = path
        self.engine = engine
        self.device_id = device_id
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
            except (OperationalError, DatabaseError) as error:
                session.rollback()
                raise _explain(self.path, error) from error
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


def _make_engine(path: Path) -> Engine:
    engine = sa.create_engine(
        f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
    )
    event.listen(engine, "connect", _set_pragmas)
    return engine


def _needs_upgrade(connection: sa.Connection, config: Config) -> bool:
    current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(config).get_current_head()
    return current != head


def open_store(path: Path | str, *, create: bool = False) -> Store:
    """Open the store at ``path``, migrating it to the current schema (backup first).

    With ``create`` a missing store is made; otherwise a missing file is an error.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file.")
    existed = path.exists()
    if not existed and not create:
        raise StoreError(
            f"There is no store at {path}. Create one with: asbtui demo --db {path}"
        )
    if not existed:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"Cannot create the folder for {path}: {error.strerror}.") from None
    engine = _make_engine(path)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            config = _alembic_config(engine, connection)
            if _needs_upgrade(connection, config):
                has_tables = connection.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'"
                ).scalar()
                if has_tables:
                    backup(path, _backup_name(path), engine=engine)
                command.upgrade(config, "head")
            connection.commit()
            device_id = _device_id(connection)
            connection.commit()
    except (OperationalError, DatabaseError) as error:
        engine.dispose()
        raise _explain(path, error) from None
    return Store(path, engine, device_id)


def _device_id(connection: sa.Connection) -> str:
    table = StoreMeta.__table__
    found = connection.execute(
        sa.select(table.c.value).where(table.c.key == "device_id")
    ).scalar()
    if found:
        return found
    device = new_id()[:12]
    connection.execute(sa.insert(table).values(key="device_id", value=device))
    return device


def _backup_name(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.pre-migration-{stamp}{path.suffix}")


def backup(path: Path | str, target: Path | str, *, engine: Engine | None = None) -> Path:
    """Copy the store to ``target`` with SQLite's online backup (safe while in use)."""
    path, target = Path(path), Path(target).expanduser()
    if target.exists():
        raise StoreError(f"{target} already exists; choose a new file name for the backup.")
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            destination = sqlite3.connect(target)
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise _explain(path, error) from None
    except OSError as error:
        raise StoreError(f"Cannot write the backup {target}: {error.strerror}.") from None
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
