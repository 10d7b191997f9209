"""The frame of the full-screen lists that show one district or all of them.

Deadlines, patterns, case reviews and problem profiles share it: `escape` back, `a` for
this district or every district, `f5` to refresh, and a typed failure message for their
worker. A subclass composes its widgets and implements ``load`` (a thread worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from asbtui.models import District

if TYPE_CHECKING:
    from asbtui.app import AsbApp


class DistrictListScreen(Screen[bool]):
    """Dismisses with True when something was changed from it (the queue then reloads)."""

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back", id="list.back"),
        Binding("a", "all_districts", "All districts", tooltip="This district or every district",
                id="list.all"),
        Binding("f5", "refresh", "Refresh", id="list.refresh", show=False),
    ]
    FAILED_TITLE = "Could not load the list"

    @dataclass
    class LoadFailed(Message):
        """The worker could not read the store; ``error`` is the plain message."""

        error: str

    def __init__(self, district: District | None) -> None:
        super().__init__()
        self.district = district
        self.home = district
        self.changed = False

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    def load(self) -> None:
        """Read the list (in a thread worker) and post a typed message with it."""
        raise NotImplementedError

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title=self.FAILED_TITLE, severity="error", markup=False)

    def action_back(self) -> None:
        self.asb.back(self, self.changed)

    def action_refresh(self) -> None:
        self.load()

    def view_returned(self) -> None:
        """Back to this view from another: read again, as of now (a deadline that fell due
        meanwhile shows as overdue; what other devices or windows changed shows)."""
        self.load()

    def action_all_districts(self) -> None:
        self.district = None if self.district else self.home
        self.load()
