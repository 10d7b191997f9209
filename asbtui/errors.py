"""Errors that users can cause, each with a message in plain words.

The CLI turns them into one line on stderr and exit code 1; the app shows them as a
notification or beside the form field they concern.
"""

from __future__ import annotations


class AsbError(Exception):
    """Base of every error a user can cause; ``str(error)`` is the message to show."""

    exit_code = 1


class InvalidInput(AsbError):
    """A value the user gave is not acceptable.

    ``field`` names the form field it concerns, so a form can show the message beside it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(AsbError):
    """A case, officer or record that the user named does not exist."""


class StoreError(AsbError):
    """The store is missing, damaged, locked or unreadable."""


class Forbidden(AsbError):
    """The signed-in user's role or district does not allow what was asked."""


class NotSignedIn(Forbidden):
    """The store has users and nobody has signed in."""


class SignInFailed(AsbError):
    """A wrong name or PIN, or a locked or disabled account.

    The message is the same for all of them (names cannot be probed); ``locked`` tells a
    screen whose user is already signed in (the lock screen, the change-PIN form) that
    the account is now locked, so it can sign them out.
    """

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked
