"""Change a case's status. Closing asks for the reason, a closing summary and the victim's
satisfaction; reopening a closed case (a supervisor's call) asks why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Select, TextArea

from asbtui.models import CaseStatus, ClosureReason, VictimSatisfaction
from asbtui.services import cases
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store

CLOSING_FIELDS = ("closure_reason", "closing_summary", "victim_asked")


class StatusForm(FormScreen[CaseStatus]):
    def __init__(self, store: Store, ref: str, current: CaseStatus) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.current = current
        self.reopening = current is CaseStatus.CLOSED
        self.TITLE_TEXT = (f"Reopen {ref}" if self.reopening
                           else f"Change the status of {ref}")

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
        if self.reopening:
            yield FieldRow("Reason", Input(id="reason", max_length=500), "reason",
                           "Required: why the case is reopened (audited)")
            return
        yield FieldRow(
            "Closure reason",
            Select([(r.label, r) for r in ClosureReason], id="closure_reason",
                   prompt="Only when closing", disabled=True),
            "closure_reason",
        )
        yield FieldRow("Closing summary", TextArea(id="closing_summary", soft_wrap=True,
                                                   disabled=True),
                       "closing_summary", "What was done and how it ended (tab leaves this box)")
        yield FieldRow(
            "Victim asked?",
            Select([("Yes: asked how satisfied they are", True), ("No: not asked", False)],
                   id="victim_asked", prompt="Only when closing", disabled=True),
            "victim_asked",
        )
        yield FieldRow(
            "Their answer",
            Select([(v.label, v) for v in VictimSatisfaction], id="victim_satisfaction",
                   prompt="If asked", disabled=True),
            "victim_satisfaction",
        )

    @on(Select.Changed, "#status")
    def closing_needs_reason(self, event: Select.Changed) -> None:
        if self.reopening:
            return
        closing = event.value == CaseStatus.CLOSED
        for name in CLOSING_FIELDS:
            widget = self.query_one(f"#{name}")
            widget.disabled = not closing
            if not closing and isinstance(widget, Select):
                widget.clear()
        if not closing:
            self.query_one("#closing_summary", TextArea).text = ""
        self._answer_only_if_asked()

    @on(Select.Changed, "#victim_asked")
    def _asked_changed(self) -> None:
        self._answer_only_if_asked()

    def _answer_only_if_asked(self) -> None:
        answer = self.query_one("#victim_satisfaction", Select)
        answer.disabled = self.value("victim_asked") is not True
        if answer.disabled:
            answer.clear()

    def save(self) -> CaseStatus:
        status = self.value("status") or ""
        if self.reopening:
            if not status:
                return cases.reopen_case(self.store, self.ref, self.value("reason"))
            return cases.reopen_case(self.store, self.ref, self.value("reason"), status=status)
        if status == CaseStatus.CLOSED:
            cases.close_case(self.store, self.ref, self.value("closure_reason") or "",
                             self.value("closing_summary"), self.value("victim_asked"),
                             self.value("victim_satisfaction"))
            return CaseStatus.CLOSED
        return cases.change_status(self.store, self.ref, status)

    def confirmation(self, result: CaseStatus) -> str:
        return f"{self.ref} is now {result.label.lower()}."
