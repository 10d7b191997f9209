"""The command line: ``asbtui`` opens the app; sub-commands script the same services.

Each module registers its commands on the one Typer app in :mod:`asbtui.cli.base`. They
are imported when the app is first asked for, not when this package is: ``asbtui
--version`` answers before Typer, Rich, SQLAlchemy or the services are loaded.
"""

from __future__ import annotations

import sys

# No ``typing`` here (nor anything else not needed): it alone was a fifth of ``--version``.
_VERSION_FLAGS = (["--version"],)
_ROOT_VALUE_OPTIONS = ("--db", "--officer", "--user")
"""The options of ``asbtui`` itself that take a value."""


def opens_the_app(args: list[str]) -> bool:
    """Whether these arguments only open the app (options of ``asbtui`` itself, no
    sub-command, no help): then the other commands' modules need not be loaded."""
    rest = iter(args)
    for arg in rest:
        if arg in _ROOT_VALUE_OPTIONS:
            next(rest, None)
        elif not arg.startswith(tuple(f"{o}=" for o in _ROOT_VALUE_OPTIONS)):
            return False
    return True


def _typer_app(*, root_only: bool = False):  # -> typer.Typer
    if root_only:
        from asbtui.cli import root  # noqa: F401 - the app and ``demo``
        from asbtui.cli.base import app

        return app
    from asbtui.cli import (  # noqa: F401 - each module registers its commands
        audit,
        cases,
        day,
        enforcement,
        imports,
        partners,
        patterns,
        problems,
        records,
        retention,
        root,
        store,
        sync,
        users,
    )
    from asbtui.cli.base import app

    return app


def __getattr__(name: str) -> object:
    if name == "app":
        return _typer_app()
    raise AttributeError(name)


def main() -> None:
    """Console entry point."""
    if sys.argv[1:] in _VERSION_FLAGS:
        from asbtui import __version__

        print(f"asbtui {__version__}")
        return
    import gc

    # Imports make some 150,000 objects that live as long as the process; the cyclic
    # collector walking them again and again as they are made was a quarter of the
    # imports' CPU. Off while importing: ``_run_app`` turns it on again (after freezing
    # what the imports made), and every other command right here.
    gc.disable()
    # Opening the app (the usual case) loads no command at all, not even Typer (the
    # first frame waits on every module imported before it); an option in a form the
    # launcher does not read goes to the root command alone.
    app_only = opens_the_app(sys.argv[1:])
    if app_only:
        from asbtui.cli.launch import launch

        if launch(sys.argv[1:]):
            return
    try:
        command = _typer_app(root_only=app_only)
    finally:
        if not app_only:
            gc.enable()
    command()


__all__ = ["app", "main"]
