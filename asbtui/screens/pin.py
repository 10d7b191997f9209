"""Change my own PIN: the current one first, then the new one twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Input

from asbtui.errors import InvalidInput, SignInFailed
from asbtui.services import users
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store
    from asbtui.services.access import Actor


class ChangePinForm(FormScreen[bool]):
    """Dismisses with True once the new PIN is saved (stored only as an argon2 hash), or
    False when wrong current PINs have locked the account (the app then signs out)."""

    TITLE_TEXT = "Change my PIN"
    CONFIRM = False  # the app says what happened: changed, or locked out

    def __init__(self, store: Store, actor: Actor) -> None:
        super().__init__()
        self.store = store
        self.actor = actor
        self.TITLE_TEXT = f"Change the PIN of {actor.username}"

    def fields(self) -> ComposeResult:
        yield FieldRow("Current PIN", Input(id="current", password=True,
                                            max_length=users.PIN_MAX), "current")
        yield FieldRow("New PIN", Input(id="pin", password=True, max_length=users.PIN_MAX),
                       "pin", f"At least {users.PIN_MIN} characters")
        yield FieldRow("New PIN again", Input(id="pin_again", password=True,
                                              max_length=users.PIN_MAX), "pin_again")

    def save(self) -> bool:
        new = self.value("pin")
        if new != self.value("pin_again"):
            raise InvalidInput("The two new PINs differ: type the same PIN twice.", "pin_again")
        users.check_pin(new)
        if new == self.value("current"):
            raise InvalidInput("The new PIN is the same as the current one.", "pin")
        try:
            # Signing in again as the same user checks the PIN, counts a wrong one towards
            # the lock-out like the sign-in screen does, and leaves the same actor working.
            users.sign_in(self.store, self.actor.username, self.value("current"))
        except SignInFailed as problem:
            if problem.locked:
                return False
            for name in ("current", "pin", "pin_again"):
                self.query_one(f"#{name}", Input).value = ""
            raise InvalidInput(str(problem), "current") from None
        users.set_pin(self.store, self.actor.username, new)
        return True
