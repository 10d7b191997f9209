"""The command line: ``asbtui`` opens the app; sub-commands script the same services.

Each module registers its commands on the one Typer app in :mod:`asbtui.cli.base`. They
are imported when the app is first asked for, not when this package is: ``asbtui
--version`` answers before Typer, Rich, SQLAlchemy or the services are loaded.
"""

from __future__ import annotations

import sys

# No ``typing`` here (nor anything else not needed): it alone was a fifth of ``--version``.
_VERSION_FLAGS = (["--version"],)


def _typer_app():  # -> typer.Typer
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
    _typer_app()()


__all__ = ["app", "main"]
