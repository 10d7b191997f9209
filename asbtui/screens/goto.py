"""Go to a case: a reference (or its first characters) opens that case, any district.

``ctrl+g`` from anywhere asks for the reference; the command palette (``ctrl+p``) offers
the cases whose reference starts with what is typed there too.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from asbtui.errors import AsbError
from asbtui.services import lookup
from asbtui.services.access import Permission
from asbtui.services.lookup import RefMatch
from asbtui.widgets.permitted import may

if TYPE_CHECKING:
    from asbtui.app import AsbApp

LISTED = 20


class GoToCaseScreen(ModalScreen[str | None]):
    """Type a reference; matches list as you type; enter opens the one highlighted."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="goto.cancel")]

    def __init__(self) -> None:
        super().__init__()
        self.matches: list[RefMatch] = []

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog choice"):
            yield Label(Text("Go to case: its reference, or the first characters of it"),
                        classes="dialog-title")
            yield Input(placeholder="e.g. THA-26-7K3QX, tha26 7k, or 7K3QX", id="goto-ref",
                        compact=True)
            yield Static("", id="goto-message")
            yield OptionList(id="goto-matches")

    def on_mount(self) -> None:
        self.query_one("#goto-matches", OptionList).display = False
        self.query_one("#goto-ref", Input).focus()

    def _find(self, text: str) -> list[RefMatch]:
        try:
            return lookup.find_refs(self.asb.store, text, limit=LISTED,
                                    today=self.asb.clock().date())
        except AsbError as error:
            self.query_one("#goto-message", Static).update(Text(str(error), style="bold red"))
            return []

    @on(Input.Changed, "#goto-ref")
    def typed(self, event: Input.Changed) -> None:
        self.matches = self._find(event.value) if len(event.value.strip()) >= 3 else []
        options = self.query_one("#goto-matches", OptionList)
        options.clear_options()
        options.add_options([Option(Text(m.describe()), id=m.ref) for m in self.matches])
        options.display = bool(self.matches)
        if self.matches:
            options.highlighted = 0
        more = " (more: type further)" if len(self.matches) == LISTED else ""
        message = (f"{len(self.matches)} found{more}: enter opens the first, ↓ chooses"
                   if len(self.matches) > 1 else "")
        self.query_one("#goto-message", Static).update(Text(message, style="dim"))

    @on(Input.Submitted, "#goto-ref")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            return
        found = self._find(text)
        exact = next((m for m in found if m.ref == lookup.ref_prefix(text)), None)
        if exact or len(found) >= 1:
            self.dismiss((exact or found[0]).ref)
            return
        wanted = lookup.ref_prefix(text) or text
        self.query_one("#goto-message", Static).update(
            Text(f"No case you may read has a reference starting {wanted}.", style="bold red"))

    def on_key(self, event) -> None:  # noqa: ANN001 - a Textual key event
        ref_input = self.query_one("#goto-ref", Input)
        options = self.query_one("#goto-matches", OptionList)
        if event.key == "down" and ref_input.has_focus and self.matches:
            event.stop()
            options.focus()

    @on(OptionList.OptionSelected, "#goto-matches")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CaseRefCommands(Provider):
    """The command palette's cases: typing a reference (or its start) offers to open it."""

    async def search(self, query: str) -> Hits:
        app: AsbApp = self.app  # type: ignore[assignment]
        text = query.strip()
        if len(text) < 3 or app.locked or not may(app, Permission.READ_CASES):
            return
        try:
            found = await asyncio.to_thread(
                partial(lookup.find_refs, app.store, text, limit=LISTED,
                        today=app.clock().date()))
        except AsbError:
            return
        wanted = lookup.ref_prefix(text)
        for match in found:
            score = 1.0 if match.ref == wanted else 0.9
            yield Hit(score, Text(f"Open case {match.describe()}"),
                      partial(app.open_case, match.ref), text=f"Open case {match.ref}",
                      help="Go to this case")
