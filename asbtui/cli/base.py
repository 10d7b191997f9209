"""What every command shares: the error contract, the store, JSON and tables.

Every error a user can cause ends as one line on stderr: exit code 1 for bad input or a
bad store, 2 for bad usage (an unknown option, a missing argument). Never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from asbtui.cli.common import (  # noqa: F401 - re-exported for the commands
    EXIT_BAD_INPUT,
    EXIT_USAGE,
    KEY_ENV,
    MESSAGE_MAX,
    NEW_PIN_ENV,
    PIN_ENV,
    ask_secret,
    check_text,
    fail,
    guarded,
    store_key,
)
from asbtui.cli.common import user_and_pin as common_user_and_pin
from asbtui.config import Settings


class AsbGroup(typer.core.TyperGroup):
    """Turns every error into one plain line on stderr and the right exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        check_text(list(sys.argv[1:] if args is None else args))
        parent = super().main
        result = guarded(lambda: parent(
            args=args,
            prog_name=prog_name or "asbtui",
            complete_var=complete_var,
            standalone_mode=False,
            **extra,
        ), stopped=(typer.Abort,))
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    cls=AsbGroup,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Anti-social behaviour casework for CSU officers.",
)


def sub_app(help_text: str) -> typer.Typer:
    """A command group with the same error contract as the root."""
    return typer.Typer(
        cls=AsbGroup,
        add_completion=False,
        rich_markup_mode=None,
        help=help_text,
        no_args_is_help=True,
    )


@dataclass
class Context:
    settings: Settings
    db: Path
    user: str | None = None


def context(ctx: typer.Context) -> Context:
    return ctx.find_root().obj


def open_store_for(ctx: typer.Context, *, create: bool = False):  # noqa: ANN202
    """Open the store of ``--db`` and, when ``--user`` was given, sign that user in."""
    from asbtui.db import open_store

    path = context(ctx).db
    store = open_store(path, create=create, key=store_key(path))
    try:
        sign_in_for(ctx, store)
    except BaseException:
        store.close()
        raise
    return store


def new_store_key(path: Path) -> Any:
    """The key for a new encrypted store: ASBTUI_KEY, else typed twice without echo."""
    from asbtui.encryption import StoreKey, check_new_key

    secret = os.environ.get(KEY_ENV)
    if secret is None:
        secret = ask_secret(f"New key for the store {path} (8 or more characters; keep it "
                            "safe: without it the store cannot be read)",
                            f"set {KEY_ENV} or run in a terminal", twice=True, what="store key")
    return StoreKey(check_new_key(secret))


def sign_in_for(ctx: typer.Context, store: Any) -> None:
    """Sign in the user of ``--user`` (ASBTUI_USER): PIN from ASBTUI_PIN, else asked for."""
    from asbtui.services import users

    given = user_and_pin(ctx)
    if given is not None:
        users.sign_in(store, *given)


def user_and_pin(ctx: typer.Context) -> tuple[str, str] | None:
    """The user of ``--user`` (ASBTUI_USER) and their PIN (ASBTUI_PIN, else asked for);
    None without ``--user``."""
    return common_user_and_pin(context(ctx).user)


def new_pin(prompt: str = "New PIN") -> str:
    """A new PIN from ASBTUI_NEW_PIN, else typed twice without echo."""
    pin = os.environ.get(NEW_PIN_ENV)
    if pin is not None:
        return pin
    return ask_secret(prompt, f"set {NEW_PIN_ENV} or run in a terminal", twice=True)


DbOption = Annotated[
    Path | None,
    # No path checks here: open_store explains a folder or an unreadable file itself.
    typer.Option(
        "--db",
        help="The store file (default: ASBTUI_DB or the user data folder).",
        show_default=False,
    ),
]

# The arguments most commands share, declared once.
CaseRef = Annotated[str, typer.Argument(help="The case reference.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(type(value).__name__)


def print_json(data: object) -> None:
    print(json.dumps(data, default=json_default, indent=2, ensure_ascii=False))


def choices(enum: type[Enum]) -> str:
    return ", ".join(m.value for m in enum)


def table_console() -> Console:
    """A console for tables: the terminal's width, or whole lines for pipes and files."""
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=200)
