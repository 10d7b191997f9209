"""``asbtui`` itself: open the app (offering a store if there is none) and build demos."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from asbtui import __version__
from asbtui.cli.base import Context, DbOption, app, context, sign_in_for
from asbtui.config import load_settings
from asbtui.errors import StoreError
from asbtui.models import District


def _version(value: bool) -> None:
    if value:
        print(f"asbtui {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: DbOption = None,
    officer: Annotated[
        str | None,
        typer.Option("--officer", help="Your collar number, e.g. 'PC 4512' (for 'my cases')."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            envvar="ASBTUI_USER",
            help="Sign in as this user (the PIN is asked for, or read from ASBTUI_PIN).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and stop."
        ),
    ] = False,
) -> None:
    """Open the app on the store (offering to make one if there is none yet)."""
    settings = load_settings()
    if officer:
        settings.officer = officer
    ctx.obj = Context(settings=settings, db=(db or settings.db).expanduser(), user=user)
    if ctx.invoked_subcommand is None:
        _run_app(ctx)


def _run_app(ctx: typer.Context) -> None:
    from asbtui.db import open_store
    from asbtui.services import cases
    from asbtui.services.access import has_users

    here = context(ctx)
    if not here.db.exists():
        _offer_new_store(here.db)
    store = open_store(here.db)
    try:
        # Signed in before the app starts, the app skips its login screen.
        sign_in_for(ctx, store)
        if here.settings.officer and (store.actor is not None or not has_users(store)):
            cases.set_device_officer(store, here.settings.officer)
        from asbtui.app import AsbApp

        AsbApp(store, settings=here.settings).run()
    finally:
        store.close()


def _offer_new_store(path: Path) -> None:
    if not sys.stdin.isatty():
        raise StoreError(f"There is no store at {path}. Create one with: asbtui demo --db {path}")
    print(f"There is no store at {path} yet.")
    choice = (
        typer.prompt(
            "Build a demo store with 2,000 synthetic cases (d), an empty store (e), or quit (q)?",
            default="d",
        )
        .strip()
        .lower()
    )
    from asbtui.db import open_store

    if choice.startswith("d"):
        with open_store(path, create=True) as store:
            _print_demo(store, _build_demo(store, 2000, 1))
    elif choice.startswith("e"):
        open_store(path, create=True).close()
    else:
        raise typer.Exit(0)


# ---------------------------------------------------------------------------- demo


def _build_demo(store: Any, cases: int, seed: int) -> Any:
    from asbtui.services.demo import build_demo

    err = Console(stderr=True)
    with err.status(f"Building {cases:,} synthetic cases…"):
        return build_demo(store, cases=cases, seed=seed)


def _print_demo(store: Any, summary: Any) -> None:
    print(
        f"Demo store {store.path}: {summary.cases:,} cases, {summary.incidents:,} incidents, "
        f"{summary.parties:,} people (all synthetic)."
    )
    print(f"Invicta Road, Margate closure case: {summary.invicta_ref}")
    print(f"This device's officer: {summary.device_officer} (Thanet). Officers by district:")
    for district in District:
        collars = [c for c, _, d in summary.officers if d is district]
        print(f"  {district.value} {district.label}: {', '.join(collars)}")
    print(f"Partner agencies: {summary.agencies}; cases shared with them: {summary.shares:,}; "
          f"partner notes: {summary.notes:,}; closed over 6 years ago (for review): "
          f"{summary.old_closed}.")
    if summary.users:
        print("Sign in as (user, role, district or agency, PIN; synthetic demo users):")
        width = max(len(u.username) for u in summary.users)
        for u in summary.users:
            print(f"  {u.username:<{width}}  {u.role:<10}  {u.where:<24}  PIN {u.pin}")
        print(f"  e.g. asbtui --db {store.path} --user {summary.users[2].username}"
              if len(summary.users) > 2 else "")


@app.command()
def demo(
    ctx: typer.Context,
    db: DbOption = None,
    cases: Annotated[int, typer.Option(min=1, max=2_000_000, help="How many cases.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same store.")] = 1,
) -> None:
    """Build a synthetic Kent store (faker en_GB) in a new file."""
    from asbtui.db import open_store

    path = (db or context(ctx).db).expanduser()
    if path.exists():
        raise StoreError(f"{path} already exists; give a new file name for the demo store.")
    try:
        with open_store(path, create=True) as store:
            summary = _build_demo(store, cases, seed)
    except BaseException:
        # A half-built demo is no use to anyone: remove it so the command can be rerun.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    _print_demo(store, summary)
