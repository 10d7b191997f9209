"""``asbtui db``: check, back up and migrate the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from asbtui.cli.base import (
    app,
    context,
    new_store_key,
    open_store_for,
    sign_in_for,
    sub_app,
)
from asbtui.errors import StoreError
from asbtui.literal import plural

db_app = sub_app("Check, back up, migrate and encrypt the store.")
app.add_typer(db_app, name="db")


@db_app.command("check")
def db_check(ctx: typer.Context) -> None:
    """Check the store's integrity; exit 1 if anything is wrong."""
    from asbtui import db

    with open_store_for(ctx) as store:
        problems = db.check(store)
    if problems:
        for problem in problems[:20]:
            print(f"asbtui: {problem}", file=sys.stderr)
        raise StoreError(
            f"The store {store.path} has {plural(len(problems), 'problem')}; restore a backup."
        )
    print(f"{store.path}: sound (integrity, foreign keys and triggers checked).")


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="A new file to write the backup to.")],
) -> None:
    """Copy the store to a new file while it stays in use (admins; audited).

    The copy is encrypted with the store's key when the store is encrypted, and readable
    by you only (0600). It holds every case: keep it as safe as the store.
    """
    from asbtui.services import store_admin

    with open_store_for(ctx) as store:
        written = store_admin.backup_store(store, target)
    state = "encrypted with the store's key" if store.key is not None else "NOT encrypted"
    print(f"Backed up {store.path} to {written} ({state}).")


@db_app.command("migrate")
def db_migrate(ctx: typer.Context) -> None:
    """Bring the store's schema up to date (admins; a copy is made first; audited)."""
    from asbtui.services import store_admin

    with open_store_for(ctx) as store:
        revision = store_admin.record_migration(store)
        if store.migrated:
            print(f"{store.path}: migrated from schema {store.migrated[0]} to {revision}.")
        else:
            print(f"{store.path}: schema is up to date ({revision}).")


@db_app.command("encrypt")
def db_encrypt(ctx: typer.Context) -> None:
    """Encrypt a plain store in place with a new key (ASBTUI_KEY, or typed twice).

    An encrypted copy is written and checked before it replaces the store; the plain file
    is then overwritten and removed. Close asbtui everywhere else first.
    """
    from asbtui.db import open_store
    from asbtui.encryption import store_kind
    from asbtui.services import store_admin
    from asbtui.services.access import Permission, require

    path = context(ctx).db.expanduser()
    if store_kind(path) == "encrypted":
        raise StoreError(f"The store {path} is already encrypted.")
    with open_store(path) as store:
        sign_in_for(ctx, store)
        # Refused before a key is asked for, not after it is typed twice.
        require(store, Permission.MANAGE_STORE)
        key = new_store_key(path)  # ASBTUI_KEY is the new key here, not this store's
        store_admin.encrypt_store(store, key)
    print(f"Encrypted {path}: from now on give its key (ASBTUI_KEY, or typed when asked). "
          "Backups made before are still plain: destroy them or encrypt them too.")
