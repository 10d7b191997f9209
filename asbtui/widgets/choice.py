"""A modal list to pick one thing (a district, a sort column, an officer) with the keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

T = TypeVar("T")


class ChoiceScreen(ModalScreen[T | None], Generic[T]):
    """Offers ``choices`` as (label, value); dismisses with the value, or None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(
        self, title: str, choices: Sequence[tuple[str | Text, T]], current: T | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog choice"):
            yield Label(Text(self.title_text), classes="dialog-title")
            options = [
                Option(label if isinstance(label, Text) else Text(label), id=str(index))
                for index, (label, _) in enumerate(self.choices)
            ]
            yield OptionList(*options, id="choices")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        for index, (_, value) in enumerate(self.choices):
            if value == self.current:
                option_list.highlighted = index
                break
        else:
            option_list.highlighted = 0
        option_list.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)
