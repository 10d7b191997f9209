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
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from asbtui.config import Settings
from asbtui.errors import AsbError, StoreError
from asbtui.literal import shortened

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2


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
        given = list(sys.argv[1:] if args is None else args)
        for value in given:
            if _not_text(value):
                fail(f"An argument is not valid text (UTF-8): {shortened(value, 60)}",
                     EXIT_BAD_INPUT)
        for name, value in os.environ.items():
            if name.startswith("ASBTUI_") and _not_text(value):
                fail(f"{name} is not valid text (UTF-8); set it again.", EXIT_BAD_INPUT)
        try:
            result = super().main(
                args=args,
                prog_name=prog_name or "asbtui",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except typer.Abort:
            fail("Stopped.", 130)
        except AsbError as error:
            fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            fail("Stopped.", 130)
        except Exception as error:
            # Typer vendors click, so its exception classes are private: recognise click's
            # exceptions by their protocol (a message and an exit code: 2 for usage).
            if hasattr(error, "format_message") and hasattr(error, "exit_code"):
                fail(error.format_message().strip(), int(error.exit_code) or EXIT_BAD_INPUT)
            if os.environ.get("ASBTUI_DEBUG"):
                raise
            # A fault of ours, not the user's: still one line, and the way to see more.
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            fail(f"unexpected error ({type(error).__name__}{': ' + first if first else ''}); "
                 "run again with ASBTUI_DEBUG=1 to see the details.", EXIT_BAD_INPUT)
        sys.exit(result if isinstance(result, int) else 0)


def _not_text(value: str) -> bool:
    # Python carries bytes that are not UTF-8 as lone surrogates (surrogateescape).
    return any("\ud800" <= ch <= "\udfff" for ch in value)


MESSAGE_MAX = 400


def fail(message: str, code: int) -> NoReturn:
    # Messages may echo what a user typed: escape bytes and controls, and cut a huge one.
    print(f"asbtui: {shortened(message, MESSAGE_MAX)}", file=sys.stderr)
    sys.exit(code)


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


PIN_ENV = "ASBTUI_PIN"
NEW_PIN_ENV = "ASBTUI_NEW_PIN"
KEY_ENV = "ASBTUI_KEY"


def store_key(path: Path) -> Any:
    """The key of the store at ``path``: ASBTUI_KEY, else asked for (without echo) when the
    store is encrypted; None for a plain store (open_store refuses a key it does not need)."""
    from asbtui.encryption import StoreKey, store_kind

    secret = os.environ.get(KEY_ENV)
    if secret is None and store_kind(path.expanduser()) == "encrypted":
        if not sys.stdin.isatty():
            raise StoreError(f"The store {path} is encrypted or damaged (not a plain "
                             f"SQLite file): set {KEY_ENV} to its key, or run in a terminal "
                             "to type it.")
        secret = ask_secret(f"Key for the store {path}", f"set {KEY_ENV} or run in a terminal",
                            what="store key")
    return None if secret is None else StoreKey(secret)


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
    name = context(ctx).user
    if not name or not name.strip():
        return None
    pin = os.environ.get(PIN_ENV)
    if pin is None:
        pin = ask_secret(f"PIN for {name.strip()}", f"set {PIN_ENV} or run in a terminal")
    return name, pin


def ask_secret(prompt: str, otherwise: str, *, twice: bool = False, what: str = "PIN") -> str:
    """A secret typed without echo (twice when ``twice``); a plain error when none is given."""
    from asbtui.errors import SignInFailed, StoreError

    try:
        return typer.prompt(prompt, hide_input=True, confirmation_prompt=twice, err=True)
    except (typer.Abort, EOFError):
        error = SignInFailed if what == "PIN" else StoreError
        raise error(f"No {what} was given: {otherwise}.") from None


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
