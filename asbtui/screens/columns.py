"""Choosing the queue's columns: tick the ones wanted; they show in priority order, as many
as the terminal's width allows, and the choice is kept for the user."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from asbtui.widgets.case_table import ALL_COLUMNS, COLUMNS, REF_COLUMN


class ColumnPicker(ModalScreen[tuple[str, ...] | None]):
    """Tick the queue's columns; dismisses with the ticked keys (ref always among them)."""

    BINDINGS = [
        Binding("ctrl+s", "show", "Show", tooltip="Show the ticked columns", id="columns.show"),
        Binding("a", "all", "All", tooltip="Tick every column", id="columns.all"),
        Binding("escape", "cancel", "Cancel", id="columns.cancel"),
    ]

    def __init__(self, chosen: tuple[str, ...]) -> None:
        super().__init__()
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog district-picker"):
            yield Label(
                Text("Queue columns, most wanted first (space ticks, a all, ctrl+s shows); "
                     "a narrow terminal shows the first that fit"),
                classes="dialog-title",
            )
            yield SelectionList[str](
                *(Selection(c.label, c.key, c.key in self.chosen, id=c.key,
                            disabled=c.key == REF_COLUMN) for c in COLUMNS),
                id="column-choices",
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_all(self) -> None:
        self.query_one(SelectionList).select_all()

    def action_show(self) -> None:
        ticked = set(self.query_one(SelectionList).selected) | {REF_COLUMN}
        self.dismiss(tuple(k for k in ALL_COLUMNS if k in ticked))

    def action_cancel(self) -> None:
        self.dismiss(None)
