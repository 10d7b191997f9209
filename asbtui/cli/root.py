"""``asbtui`` itself: open the app (offering a store if there is none) and build demos."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from asbtui import __version__
from asbtui.cli.base import (
    KEY_ENV,
    Context,
    DbOption,
    app,
    context,
    new_pin,
    new_store_key,
    store_key,
)
from asbtui.config import load_settings
from asbtui.errors import StoreError
from asbtui.models import District

DEMO_STEM = "asbtui-demo"


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
    from asbtui.cli.launch import run_app

    here = context(ctx)
    run_app(here.settings, here.db, here.user)


def _interactive() -> bool:
    return sys.stdin.isatty()


def demo_path_beside(path: Path) -> Path:
    """The demo store's own file, next to where the real store would be."""
    return path.with_name(f"{DEMO_STEM}{path.suffix or '.db'}")


def _first_run(path: Path) -> tuple[Path, Any, tuple[str, str] | None]:
    """No store yet: make a real, encrypted one with its first admin (the first choice), or
    a demo in its own file. Returns the store to open, its key and the admin to sign in."""
    if not _interactive():
        raise StoreError(f"There is no store at {path}. Run asbtui in a terminal to create "
                         "one (it asks for a store key, then the first admin and their PIN), "
                         f"or build a demo store: asbtui demo --db {demo_path_beside(path)}")
    print(f"There is no store at {path} yet.")
    choice = typer.prompt(
        "Create a new encrypted store (n), build a demo store with 2,000 synthetic cases in "
        "its own file (d), or quit (q)?", default="n").strip().lower()
    if choice.startswith("d"):
        demo_path = demo_path_beside(path)
        if not demo_path.exists():
            _build_demo_file(demo_path, 2000, 1, key=None)
        else:
            print(f"Opening the demo store {demo_path}.")
        return demo_path, store_key(demo_path), None
    if not choice.startswith("n"):
        raise typer.Exit(0)
    return (path, *_create_store(path))


def _create_store(path: Path) -> tuple[Any, tuple[str, str]]:
    """A new encrypted store whose first user is an admin: everything asked before the
    file is made, so that no real store is ever worked without sign-in and audit."""
    from asbtui.db import open_store
    from asbtui.services import users

    key = new_store_key(path)
    print("Now the store's first user, an admin (they add the other users).")
    name = users.normalise_username(typer.prompt("Admin user name", default="admin", err=True))
    full_name = typer.prompt("Their full name", default="", err=True)
    pin = users.check_pin(new_pin(f"PIN for {name}"))
    try:
        with open_store(path, create=True, key=key) as store:
            users.add_user(store, name, "admin", pin, full_name=full_name)
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    print(f"Created the encrypted store {path} with the admin {name}.")
    return key, (name, pin)


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
    """Build a synthetic Kent store (faker en_GB) in a new file (encrypted if ASBTUI_KEY is
    set). The app shows DEMO in its header on it."""
    import os

    path = (db or demo_path_beside(context(ctx).db)).expanduser()
    key = new_store_key(path) if os.environ.get(KEY_ENV) is not None else None
    _build_demo_file(path, cases, seed, key=key)


def _build_demo_file(path: Path, cases: int, seed: int, *, key: Any) -> None:
    from asbtui.db import open_store
    from asbtui.services import store_admin

    if path.exists():
        raise StoreError(f"{path} already exists; give a new file name for the demo store.")
    try:
        with open_store(path, create=True, key=key) as store:
            summary = _build_demo(store, cases, seed)
            store_admin.mark_demo(store)
    except BaseException:
        # A half-built demo is no use to anyone: remove it so the command can be rerun.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    _print_demo(store, summary)
