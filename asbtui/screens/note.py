"""Add a partner note to a case, or a correction that supersedes one.

A note is never edited: a correction is a new note, and both stay in the history. Police
notes that partners may read are disclosures, so they need a reason (audited).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Select, SelectionList, TextArea

from asbtui.dates import format_date
from asbtui.literal import one_line
from asbtui.models import NoteVisibility
from asbtui.screens.justification import reason_fields, reason_value
from asbtui.services import partners
from asbtui.services.partners import NoteView, ShareView
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store


class NoteForm(FormScreen[NoteView]):
    def __init__(self, store: Store, ref: str, shares: list[ShareView], *, police: bool,
                 correcting: NoteView | None = None) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.shares = shares
        self.police = police
        self.correcting = correcting
        self.TITLE_TEXT = (
            f"Correct the note of {format_date(correcting.written_at)} by "
            f"{one_line(correcting.author, 30)} on {ref}" if correcting
            else f"Add a note to {ref}"
        )

    def fields(self) -> ComposeResult:
        old = self.correcting
        yield FieldRow("Note", TextArea(old.text if old else "", id="text", soft_wrap=True),
                       "text", "The correction replaces the note; both stay in the history"
                       if old else "")
        own = "Police only" if self.police else "Police and your agency only"
        choices = [
            (own, NoteVisibility.POLICE),
            ("Named agencies", NoteVisibility.NAMED),
            ("All partners on the case", NoteVisibility.ALL_PARTNERS),
        ]
        yield FieldRow(
            "Seen by",
            Select(choices, id="visibility", allow_blank=False,
                   value=old.visibility if old else NoteVisibility.POLICE),
            "visibility",
        )
        audience = SelectionList[str](
            *[(Text(one_line(s.agency, 50)), s.agency,
               bool(old and s.agency in old.audience)) for s in self.shares],
            id="audience",
        )
        yield FieldRow(
            "Agencies", audience, "audience",
            "Space ticks an agency; for a note to named agencies"
            if self.shares else "The case is not shared with any agency yet (S shares it)",
        )
        if self.police:
            yield from reason_fields("Needed when partners may read the note: it is a "
                                     "disclosure")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_audience()

    @on(Select.Changed, "#visibility")
    def _visibility_changed(self) -> None:
        self._show_audience()

    def _show_audience(self) -> None:
        named = self.value("visibility") is NoteVisibility.NAMED
        row = next(r for r in self.query(FieldRow) if r.field_name == "audience")
        row.query_one(SelectionList).disabled = not named

    def save(self) -> NoteView:
        visibility = self.value("visibility") or NoteVisibility.POLICE
        audience = (list(self.query_one("#audience", SelectionList).selected)
                    if visibility is NoteVisibility.NAMED else [])
        reason = ""
        if self.police and visibility is not NoteVisibility.POLICE:
            # The service asks for it (after checking the agencies), and says so if missing.
            reason = reason_value(self.value("justification"), self.value("other_reason"))
        return partners.add_note(
            self.store, self.ref, self.value("text"), visibility=visibility, audience=audience,
            supersedes=self.correcting.id if self.correcting else None, reason=reason or None)

    def confirmation(self, result: NoteView) -> str:
        what = "Correction" if self.correcting else "Note"
        return f"{what} added to {self.ref} (seen by {result.seen_by})."
