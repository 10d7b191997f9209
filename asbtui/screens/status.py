"""Change a case's status; closing asks for the reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Select

from asbtui.models import CaseStatus, ClosureReason
from asbtui.services import cases
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store


class StatusForm(FormScreen[CaseStatus]):
    def __init__(self, store: Store, ref: str, current: CaseStatus) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.current = current
        self.TITLE_TEXT = f"Change the status of {ref}"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "New status",
            Select(
                [(s.label, s) for s in CaseStatus if s is not self.current],
                id="status",
                prompt="Choose a status",
            ),
            "status",
            f"Now: {self.current.label}",
        )
        yield FieldRow(
            "Closure reason",
            Select(
                [(r.label, r) for r in ClosureReason],
                id="closure_reason",
                prompt="Only when closing",
                disabled=True,
            ),
            "closure_reason",
        )

    @on(Select.Changed, "#status")
    def closing_needs_reason(self, event: Select.Changed) -> None:
        reason = self.query_one("#closure_reason", Select)
        reason.disabled = event.value != CaseStatus.CLOSED
        if reason.disabled:
            reason.clear()

    def save(self) -> CaseStatus:
        return cases.change_status(
            self.store, self.ref, self.value("status") or "", self.value("closure_reason")
        )

    def confirmation(self, result: CaseStatus) -> str:
        return f"{self.ref} is now {result.label.lower()}."
