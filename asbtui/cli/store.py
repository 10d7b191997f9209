"""``asbtui db``: check, back up and migrate the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from asbtui.cli.base import app, open_store_for, sub_app
from asbtui.errors import StoreError

db_app = sub_app("Check, back up and migrate the store.")
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
            f"The store {store.path} has {len(problems)} problem(s); restore a backup."
        )
    print(f"{store.path}: sound (integrity and foreign keys checked).")


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="A new file to write the backup to.")],
) -> None:
    """Copy the store to a new file while it stays in use."""
    from asbtui import db

    with open_store_for(ctx) as store:
        written = db.backup(store.path, target)
    print(f"Backed up {store.path} to {written}.")


@db_app.command("migrate")
def db_migrate(ctx: typer.Context) -> None:
    """Bring the store's schema up to date (a backup is made first)."""
    with open_store_for(ctx) as store:
        print(f"{store.path}: schema is up to date.")
