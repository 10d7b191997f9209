"""Opening the app: ``asbtui`` with only its own options (``--db``, ``--officer``,
``--user``), the usual case. Parsed here, without Typer: the first frame waits on every
module imported before it (Typer and its click were some 30 ms of it). Anything else, or
an option written in a form not read here, goes to Typer (:mod:`asbtui.cli.root`, whose
``asbtui`` runs :func:`run_app` too), with the same error contract (one plain line on
stderr, the exit codes of :mod:`asbtui.cli.common`).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from asbtui.cli.common import check_text, guarded, store_key, user_and_pin

_OPTIONS = ("--db", "--officer", "--user")
USER_ENV = "ASBTUI_USER"


def root_options(args: Sequence[str]) -> dict[str, str] | None:
    """The values of ``asbtui``'s own options (the last of each, as Typer takes them); None
    for anything else, left to Typer: another argument, a missing or empty value, or a
    value that looks like an option."""
    values: dict[str, str] = {}
    rest = iter(args)
    for arg in rest:
        name, equals, value = arg.partition("=")
        if name not in _OPTIONS:
            return None
        if not equals:
            value = next(rest, "")
        if not value or value.startswith("-"):
            return None
        values[name] = value
    return values


def launch(args: Sequence[str]) -> bool:
    """Open the app for these arguments; False (nothing done) when Typer should read them."""
    values = root_options(args)
    if values is None:
        return False
    check_text(args)

    def run() -> None:
        from asbtui.config import load_settings

        settings = load_settings()
        if values.get("--officer"):
            settings.officer = values["--officer"]
        db = Path(values["--db"]) if "--db" in values else settings.db
        user = values.get("--user") or os.environ.get(USER_ENV) or None
        run_app(settings, db.expanduser(), user)

    guarded(run)
    return True


def run_app(settings: Any, db: Path, user: str | None) -> None:
    """Open the store at ``db`` (offering to make one if there is none), sign ``user`` in
    and run the app until it is quit."""
    try:
        store = _open_for_the_app(settings, db, user)
    finally:
        if not gc.isenabled():
            # The cyclic collector was off for the imports (``asbtui.cli.main``): what
            # they made lives as long as the app, and frozen it is never walked again (a
            # full collection over it took 270 ms, one page down in six at 100,000
            # cases). Reference counting still frees it; only cycles in it stay.
            gc.freeze()
            gc.enable()
    try:
        from asbtui.app import AsbApp

        AsbApp(store, settings=settings).run()
    finally:
        store.close()


def _open_for_the_app(settings: Any, path: Path, user: str | None) -> Any:
    """The store the app opens, the user signed in and the app's modules imported."""
    from asbtui.db import open_store
    from asbtui.services import cases, users
    from asbtui.services.access import has_users

    if not path.exists():
        import typer

        from asbtui.cli.root import _first_run

        gc.enable()  # the prompts, and maybe a demo to build
        try:
            path, key, admin = _first_run(path)
        except typer.Abort:  # a prompt left with ctrl+c or ctrl+d: "Stopped.", as Typer's
            raise KeyboardInterrupt from None
        except typer.Exit as done:  # quit at the first question
            raise SystemExit(done.exit_code) from None
    else:
        key, admin = store_key(path), None
    store = open_store(path, key=key)
    try:
        # Signed in before the app starts, the app skips its login screen. The PIN check
        # (argon2id, slow on purpose, its lanes computed outside the GIL) runs in a thread
        # while the app's modules are imported; nothing is shown before it has passed.
        given = admin if admin is not None else user_and_pin(user)
        signing = _in_a_thread(users.sign_in, store, *given) if given else None
        import asbtui.app  # noqa: F401 - imported before the collector is on again

        if signing is not None:
            signing()
        if settings.officer and (store.actor is not None or not has_users(store)):
            cases.set_device_officer(store, settings.officer)
    except BaseException:
        store.close()
        raise
    return store


def _in_a_thread(work: Callable[..., object], *args: Any) -> Callable[[], object]:
    """Start ``work(*args)`` in a thread; the function returned waits for it and returns
    its result or raises its error."""
    import threading

    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, work(*args)))
        except BaseException as error:  # noqa: BLE001 - raised again in the caller
            outcome.append((False, error))

    thread = threading.Thread(target=run, name="sign-in", daemon=True)
    thread.start()

    def result() -> object:
        thread.join()
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    return result
