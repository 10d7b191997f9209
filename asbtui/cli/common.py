"""What the command line shares that needs no Typer: the error contract, the store's key
and the PIN. Opening the app (``asbtui`` with only its own options) uses these without
loading Typer (see :mod:`asbtui.cli.launch`); :mod:`asbtui.cli.base` re-exports them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from asbtui.errors import AsbError
from asbtui.literal import shortened

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
MESSAGE_MAX = 400
PIN_ENV = "ASBTUI_PIN"
NEW_PIN_ENV = "ASBTUI_NEW_PIN"
KEY_ENV = "ASBTUI_KEY"

T = TypeVar("T")


def _not_text(value: str) -> bool:
    # Python carries bytes that are not UTF-8 as lone surrogates (surrogateescape).
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def fail(message: str, code: int) -> NoReturn:
    # Messages may echo what a user typed: escape bytes and controls, and cut a huge one.
    print(f"asbtui: {shortened(message, MESSAGE_MAX)}", file=sys.stderr)
    sys.exit(code)


def check_text(args: Sequence[str]) -> None:
    """Arguments and ASBTUI_ variables that are not valid text end with one plain line."""
    for value in args:
        if _not_text(value):
            fail(f"An argument is not valid text (UTF-8): {shortened(value, 60)}",
                 EXIT_BAD_INPUT)
    for name, value in os.environ.items():
        if name.startswith("ASBTUI_") and _not_text(value):
            fail(f"{name} is not valid text (UTF-8); set it again.", EXIT_BAD_INPUT)


def guarded(call: Callable[[], T], *, stopped: tuple[type[BaseException], ...] = ()) -> T:
    """``call()`` with every error turned into one plain line on stderr and the right exit
    code (``stopped``: exceptions that mean the user stopped it, as ctrl+c does)."""
    try:
        return call()
    except stopped:
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


def store_key(path: Path) -> Any:
    """The key of the store at ``path``: ASBTUI_KEY, else asked for (without echo) when the
    store is encrypted; None for a plain store (open_store refuses a key it does not need)."""
    from asbtui.encryption import StoreKey, store_kind
    from asbtui.errors import StoreError

    secret = os.environ.get(KEY_ENV)
    if secret is None and store_kind(path.expanduser()) == "encrypted":
        if not sys.stdin.isatty():
            raise StoreError(f"The store {path} is encrypted or damaged (not a plain "
                             f"SQLite file): set {KEY_ENV} to its key, or run in a terminal "
                             "to type it.")
        secret = ask_secret(f"Key for the store {path}", f"set {KEY_ENV} or run in a terminal",
                            what="store key")
    return None if secret is None else StoreKey(secret)


def user_and_pin(name: str | None) -> tuple[str, str] | None:
    """The user ``name`` (``--user``, ASBTUI_USER) and their PIN (ASBTUI_PIN, else asked
    for); None without a name."""
    if not name or not name.strip():
        return None
    pin = os.environ.get(PIN_ENV)
    if pin is None:
        pin = ask_secret(f"PIN for {name.strip()}", f"set {PIN_ENV} or run in a terminal")
    return name, pin


def ask_secret(prompt: str, otherwise: str, *, twice: bool = False, what: str = "PIN") -> str:
    """A secret typed without echo (twice when ``twice``); a plain error when none is given."""
    import typer

    from asbtui.errors import SignInFailed, StoreError

    try:
        return typer.prompt(prompt, hide_input=True, confirmation_prompt=twice, err=True)
    except (typer.Abort, EOFError):
        error = SignInFailed if what == "PIN" else StoreError
        raise error(f"No {what} was given: {otherwise}.") from None
