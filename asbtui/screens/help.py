"""The help screen: every key of the screen beneath and of the app, with what it does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

INTRO = (
    "asbtui works anti-social behaviour cases with the keyboard. Tab and shift+tab move "
    "between parts of a screen; arrows, page up and page down move in tables; enter opens; "
    "escape goes back. ctrl+p opens the command palette, which lists every action. In the "
    "queue, V after the risk marks a vulnerable victim, T a case that meets the ASB Case "
    "Review threshold, and ! an overdue review or deadline."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("q", "close", "Close", show=False, id="help.close_q"),
    ]

    def __init__(self, beneath: Screen) -> None:
        super().__init__()
        self.beneath = beneath

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("Key", no_wrap=True)
        table.add_column("Action")
        seen: set[str] = set()
        for active in self.beneath.active_bindings.values():
            binding = active.binding
            # Ours all have ids; the widgets' own moves (arrows, page keys) are in the intro.
            if not binding.id or not binding.description or binding.description in seen:
                continue
            seen.add(binding.description)
            display = self.app.get_key_display(binding)
            table.add_row(Text(display), Text(binding.tooltip or binding.description))
        with Vertical(classes="dialog help"):
            yield Label(Text("Keys"), classes="dialog-title")
            with VerticalScroll():
                yield Static(Text(INTRO))
                yield Static(table)
            yield Static(Text("escape closes this help", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
