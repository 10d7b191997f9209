"""Creating and upgrading the central store: Alembic migrations of its own."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from asbtui.server.central import CentralError

MIGRATE_LOCK = 0x5A5D


def sqlalchemy_url(url: str) -> str:
    """The same URL for SQLAlchemy's psycopg 3 dialect."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def check_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise CentralError("Name the central store: --central postgresql://... "
                           "or ASBTUI_CENTRAL_URL.")
    if not url.startswith(("postgresql://", "postgres://")):
        scheme = url.split(":")[0]
        raise CentralError(f"The central store must be a postgresql:// URL, not {scheme}.")
    return url


def connect(url: str) -> psycopg.Connection:
    """A connection to the central store, or its failure in plain words."""
    try:
        return psycopg.connect(check_url(url), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        first = str(error).strip().splitlines()[-1] if str(error).strip() else "refused"
        raise CentralError(f"Cannot reach the central store: {first}") from None


def migrate(url: str) -> tuple[str | None, str]:
    """Bring the central store to the newest schema (safe to run again, or twice at once)."""
    engine = sa.create_engine(sqlalchemy_url(check_url(url)))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATE_LOCK})
            config = Config()
            config.set_main_option("script_location", "asbtui.server:migrations")
            config.attributes["connection"] = connection
            before = MigrationContext.configure(connection).get_current_revision()
            command.upgrade(config, "head")
            head = ScriptDirectory.from_config(config).get_current_head()
    except sa.exc.OperationalError as error:
        lines = str(error.orig or error).strip().splitlines()
        raise CentralError(f"Cannot reach the central store: {lines[-1] if lines else ''}") \
            from None
    finally:
        engine.dispose()
    return before, head or ""


def require_current(conn: psycopg.Connection) -> None:
    """Refuse to serve a central store that has not been migrated."""
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.errors.UndefinedTable:
        row = None
    if row is None:
        raise CentralError("The central store has no schema yet: run asbtui server migrate.")
