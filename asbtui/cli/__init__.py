"""The command line: ``asbtui`` opens the app; sub-commands script the same services.

Each module registers its commands on the one Typer app in :mod:`asbtui.cli.base`.
"""

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


def main() -> None:
    """Console entry point."""
    app()


__all__ = ["app", "main"]
