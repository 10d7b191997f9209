"""Which of a case's people a share with a partner agency discloses: tick them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from asbtui.literal import one_line
from asbtui.services.access import disclosed_by_default
from asbtui.services.cases import PartyView


class SharePeopleScreen(ModalScreen[list[str] | None]):
    """The case's people, the victims ticked (the default disclosure); a withheld person is
    shown as withheld and cannot be ticked. Dismisses with the ticked ids (none: nobody),
    or None on escape."""

    BINDINGS = [
        Binding("ctrl+s", "disclose", "Disclose", tooltip="Disclose the ticked people",
                id="share_people.disclose"),
        Binding("escape", "cancel", "Cancel", id="share_people.cancel"),
    ]

    def __init__(self, title: str, people: Sequence[PartyView]) -> None:
        super().__init__()
        self.title_text = title
        self.people = list(people)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog share-people"):
            yield Label(Text(f"{self.title_text} (space ticks, ctrl+s discloses; "
                             "none ticked: nobody)"), classes="dialog-title")
            yield SelectionList[str](
                *(
                    Selection(
                        Text(f"{p.role.label}: {one_line(p.name, 50)}"
                             + ("  (withheld: never disclosed)" if p.withheld else "")),
                        p.id, disclosed_by_default(p.role, p.withheld), id=f"person-{p.id}",
                        disabled=p.withheld)
                    for p in self.people
                ),
                id="share-people",
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_disclose(self) -> None:
        withheld = {p.id for p in self.people if p.withheld}
        ticked = set(self.query_one(SelectionList).selected) - withheld
        self.dismiss([p.id for p in self.people if p.id in ticked])

    def action_cancel(self) -> None:
        self.dismiss(None)
