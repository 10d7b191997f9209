"""The store itself: backing it up, migrating and encrypting it (admins only, audited).

A backup holds every case in the store, so it is an export of all of them: only an admin
(or whoever holds a store that has no users yet) may make one, it is encrypted as the
store is, and the audit records where it went, so that an erasure can list it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from asbtui import db
from asbtui.services.access import Permission, current, permits
from asbtui.services.audit import AuditAction, record

if TYPE_CHECKING:
    from asbtui.db import Store
    from asbtui.encryption import StoreKey

BACKUP_DETAIL = "store backup saved to "


@permits(Permission.MANAGE_STORE)
def backup_store(store: Store, target: Path | str) -> Path:
    """Copy the whole store to a new file (encrypted as the store is); audited."""
    actor = current(store)
    written = db.backup(store.path, target, key=store.key, salt=store.salt)
    try:
        with store.session() as session:
            record(session, store, actor, AuditAction.EXPORT, "store", store.device_id,
                   detail=f"{BACKUP_DETAIL}{written.resolve()}; "
                   f"{'encrypted' if store.key is not None else 'not encrypted'}")
    except BaseException:
        written.unlink(missing_ok=True)  # an unaudited copy must not be left behind
        raise
    return written


@permits(Permission.MANAGE_STORE)
def record_migration(store: Store) -> str:
    """Audit a ``db migrate`` run; returns the schema revision the store is now at."""
    actor = current(store)
    before, now = store.migrated or (None, None)
    with store.session() as session:
        revision = session.connection().exec_driver_sql(
            "SELECT version_num FROM alembic_version").scalar() or ""
        detail = (f"schema migrated from {before or 'new'} to {revision}" if now
                  else f"schema checked: already at {revision}")
        record(session, store, actor, AuditAction.CHANGE, "store", store.device_id,
               detail=detail)
    return revision


@permits(Permission.MANAGE_STORE)
def encrypt_store(store: Store, key: StoreKey) -> Path:
    """Encrypt a plain store in place (the audit records it first); closes ``store``."""
    actor = current(store)
    with store.session() as session:
        record(session, store, actor, AuditAction.CHANGE, "store", store.device_id,
               detail="store encrypted (SQLCipher)")
    store.close()
    return db.encrypt(store.path, key)


DEMO_KEY = "demo"
"""The store_meta row that marks a demo store (the demo builder writes it too)."""


@permits()  # a label, read by anyone who opens the store
def mark_demo(store: Store) -> None:
    """Mark a store built by ``asbtui demo`` as a demo (its header says DEMO)."""
    with store.session() as session:
        session.connection().exec_driver_sql(
            "INSERT INTO store_meta(key, value) VALUES (?, 'synthetic data') "
            "ON CONFLICT(key) DO NOTHING", (DEMO_KEY,))


@permits()
def is_demo(store: Store) -> bool:
    """Whether the store is a demo of synthetic data."""
    with store.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT 1 FROM store_meta WHERE key = ?", (DEMO_KEY,)).first() is not None
