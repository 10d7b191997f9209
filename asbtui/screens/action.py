"""Forms to start an enforcement action and to record its next step."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select, TextArea

from asbtui.dates import format_datetime, parse_datetime, utc_now
from asbtui.errors import InvalidInput
from asbtui.literal import one_line
from asbtui.models import Authority, Power
from asbtui.services import enforcement, powers
from asbtui.services.cases import PartyView
from asbtui.services.enforcement import ActionDetail, PspoView
from asbtui.services.powers import DUTIES
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store

NOBODY = "-"


def _when_check(value: str) -> None:
    parse_datetime(value)


def _optional_when(value: str, field: str) -> datetime | None:
    return parse_datetime(value, field=field) if value.strip() else None


def _step_fields(ends_label: str) -> ComposeResult:
    """The fields every step has: when, who authorised it, its end, documents, notes."""
    yield FieldRow(
        "When",
        Input(value=format_datetime(utc_now()), id="occurred_at"),
        "occurred_at",
        "DD/MM/YYYY HH:MM, London time",
    )
    yield FieldRow(
        "Authorised by (rank)",
        Select([(a.label, a.value) for a in Authority], id="authority", prompt="Rank or role"),
        "authority",
    )
    yield FieldRow(
        "Name of who authorised", Input(id="authorised_by", max_length=120), "authorised_by"
    )
    yield FieldRow(
        ends_label or "Ends",
        Input(id="ends_at", placeholder="DD/MM/YYYY HH:MM"),
        "ends_at",
        "Only where the step has an end or a date to comply by",
    )
    yield FieldRow("Document references", Input(id="documents", max_length=500), "documents")
    yield FieldRow("Notes", TextArea(id="notes", soft_wrap=True), "notes")
    yield FieldRow(
        "If late: why was a deadline missed",
        Input(id="late_reason", max_length=1000),
        "late_reason",
        "Asked when this step comes after a hearing or review was due",
    )


class _StepForm(FormScreen[str]):
    checks = {"occurred_at": _when_check, "ends_at": lambda value: _optional_when(value, "ends_at")}

    def step_input(self) -> enforcement.StepInput:
        return enforcement.StepInput(
            occurred_at=parse_datetime(self.value("occurred_at"), field="occurred_at"),
            authority=self.value("authority"),
            authorised_by=self.value("authorised_by"),
            ends_at=_optional_when(self.value("ends_at"), "ends_at"),
            documents=self.value("documents"),
            notes=self.value("notes"),
            late_reason=self.value("late_reason"),
        )

    def set_ends_label(self, label: str) -> None:
        row = next(r for r in self.query(FieldRow) if r.field_name == "ends_at")
        row.query_one(".field-label", Label).update(Text(label or "Ends (if any)"))


class ActionForm(_StepForm):
    """Start an action of any kind on a case, with its first step."""

    TITLE_TEXT = "Start an enforcement action"

    def __init__(
        self,
        store: Store,
        ref: str,
        parties: list[PartyView],
        actions: list[ActionDetail],
        pspos: list[PspoView],
        *,
        power: Power | None = None,
        after: ActionDetail | None = None,
    ) -> None:
        """``power`` chosen already; ``after``: the action this one follows (a CPN after a
        CPW not complied with), whose person and conduct it carries over."""
        super().__init__()
        self.store = store
        self.ref = ref
        self.parties = parties
        self.power = power
        self.after = after
        self.breaches = [
            a
            for a in actions
            if (a.power is Power.CPN and a.stage == "breached") or a.power is Power.PSPO_BREACH
        ]
        self.pspos = pspos
        self.TITLE_TEXT = f"Start an enforcement action on {ref}"
        if power and after:
            self.TITLE_TEXT = (f"{power.label} on {ref}, after the {after.power.label} "
                               f"({one_line(after.concerns, 30)})")

    def fields(self) -> ComposeResult:
        after = self.after
        # The person the earlier action concerned, when they are a person on the case.
        subject = next((p.id for p in self.parties if after and p.name == after.concerns), NOBODY)
        yield FieldRow(
            "Power",
            Select([(p.label, p.value) for p in Power], id="power", prompt="Choose a power",
                   value=self.power.value if self.power else Select.NULL),
            "power",
        )
        yield FieldRow(
            "Person",
            Select(
                [("Not a person on the case", NOBODY)]
                + [(Text(f"{p.role.label}: {one_line(p.name)}"), p.id) for p in self.parties],
                id="subject_party_id",
                value=subject,
                allow_blank=False,
            ),
            "subject_party_id",
        )
        yield FieldRow(
            "Person or premises",
            Input(after.concerns if after and subject == NOBODY else "", id="concerns",
                  max_length=300),
            "concerns",
            "Blank: the person chosen above",
        )
        yield FieldRow("Conduct (CPW, CPN)",
                       TextArea(after.conduct if after else "", id="conduct", soft_wrap=True),
                       "conduct")
        yield FieldRow(
            "Breach it is for (FPN)",
            Select(
                [(Text(f"{b.power.label}: {one_line(b.concerns)}"), b.id) for b in self.breaches],
                id="parent_action_id",
                prompt="For an FPN only",
            ),
            "parent_action_id",
        )
        yield FieldRow(
            "PSPO (PSPO breach)",
            Select(
                [(Text(one_line(p.title)), p.id) for p in self.pspos],
                id="pspo_id",
                prompt="For a PSPO breach only",
            ),
            "pspo_id",
        )
        yield from _step_fields("Ends")

    @on(Select.Changed, "#power")
    def power_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.set_ends_label(powers.first_stages(Power(event.value))[0].ends_label)

    def save(self) -> str:
        power = self.value("power")
        if not power:
            raise InvalidInput("Choose a power.", "power")
        subject = self.value("subject_party_id")
        enforcement.start_action(
            self.store,
            self.ref,
            enforcement.NewAction(
                power=power,
                subject_party_id=None if subject in (None, NOBODY) else subject,
                concerns=self.value("concerns"),
                conduct=self.value("conduct"),
                pspo_id=self.value("pspo_id"),
                parent_action_id=self.value("parent_action_id"),
            ),
            self.step_input(),
        )
        return Power(power).label

    def confirmation(self, result: str) -> str:
        return f"{result} started on {self.ref}."


class StepForm(_StepForm):
    """Record the next step of an action: only the steps the law allows next are offered."""

    def __init__(self, store: Store, action: ActionDetail, stage: str | None = None) -> None:
        """``stage``: the step already chosen (from the steps offered after the last)."""
        super().__init__()
        self.store = store
        self.action = action
        self.stage = stage if stage in dict(action.next_stages) else None
        self.TITLE_TEXT = f"Next step: {action.power.label} ({one_line(action.concerns)})"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "Step",
            Select(
                [(label, key) for key, label in self.action.next_stages],
                id="stage",
                prompt="Choose the step",
                value=self.stage or Select.NULL,
            ),
            "stage",
            f"Now: {self.action.stage_label}",
        )
        yield from _step_fields("Ends")

    @on(Select.Changed, "#stage")
    def stage_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.set_ends_label(powers.stage(self.action.power, event.value).ends_label)

    def save(self) -> str:
        stage = self.value("stage")
        if not stage:
            raise InvalidInput("Choose the step.", "stage")
        enforcement.record_step(self.store, self.action.id, stage, self.step_input())
        return powers.stage(self.action.power, stage).label

    def confirmation(self, result: str) -> str:
        return f"{self.action.power.label}: {result.lower()} recorded."


class ResolveDeadlineForm(FormScreen[str]):
    """Complete a deadline, or mark it missed with the reason (overdue ones cannot hide)."""

    def __init__(self, store: Store, deadline: enforcement.DeadlineView, missed: bool) -> None:
        super().__init__()
        self.store = store
        self.deadline = deadline
        self.missed = missed
        verb = "Mark missed" if missed else "Complete"
        self.TITLE_TEXT = f"{verb}: {one_line(deadline.label)} ({format_datetime(deadline.due_at)})"

    def fields(self) -> ComposeResult:
        label = "Why was it missed" if self.missed else "How was it met"
        hint = "Required" if self.missed else "Optional"
        if not self.missed and self.deadline.overdue(utc_now()) and self.deadline.kind in DUTIES:
            label, hint = "Why was it missed", "Required: it passed, so it is recorded missed"
        yield FieldRow(label, TextArea(id="note", soft_wrap=True), "note", hint)

    def save(self) -> str:
        status = enforcement.resolve_deadline(
            self.store, self.deadline.id, missed=self.missed, note=self.value("note")
        )
        return status.label

    def confirmation(self, result: str) -> str:
        return f"Deadline {result.lower()}: {one_line(self.deadline.label)}."


# What the law allows after a step that ends an action: (power, stage) -> the next power.
FOLLOW_ON: dict[tuple[Power, str], Power] = {
    (Power.CPW, "not_complied"): Power.CPN,
}
LATER = "later"


def next_choices(action: ActionDetail) -> list[tuple[str | Text, str]]:
    """What may follow the step just recorded on ``action``: its allowed next steps, a
    power that follows it (a CPN after a CPW not complied with), or nothing now."""
    choices: list[tuple[str | Text, str]] = [
        (f"Record: {label}", f"step:{key}") for key, label in action.next_stages
    ]
    follow = FOLLOW_ON.get((action.power, action.stage))
    if follow is not None:
        choices.append((Text(f"Start a {follow.label} on {one_line(action.concerns, 30)} "
                             "(person and conduct carried over)"), f"power:{follow.value}"))
    if choices:
        choices.append(("Nothing now", LATER))
    return choices
