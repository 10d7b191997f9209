"""Retention review (supervisors, admins): closed cases past the review period; keep one
longer for a reason, or erase its personal data: a deliberate act, confirmed by typing
the case reference, and audited with the reason."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from asbtui.dates import format_date, london_today, parse_date
from asbtui.errors import AsbError, InvalidInput
from asbtui.literal import one_line
from asbtui.screens.justification import reason_fields, reason_value
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import retention
from asbtui.services.access import Permission
from asbtui.services.retention import DueCase, Erased
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store


class RetentionScreen(RecordListScreen[DueCase]):
    BINDINGS = [
        Binding("k", "keep", "Keep", tooltip="Keep the highlighted case's data until a date",
                id="retention.keep"),
        Binding("E", "erase", "Erase",
                tooltip="Erase the highlighted case's personal data (asks you to confirm)",
                id="retention.erase"),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "keep": Permission.REVIEW_RETENTION,
        "erase": Permission.REVIEW_RETENTION,
    }
    COLUMNS = ("Case", "District", "Category", "Closed", "Closure", "Kept until", "Incidents")
    FAILED_TITLE = "Could not load the retention review"
    EMPTY = "no closed case is due for review"

    @property
    def today(self) -> date:
        return london_today(self.asb.clock())

    @property
    def months(self) -> int:
        return self.asb.settings.retention_review_months

    def title_text(self) -> Text:
        return Text(f"Retention review: {len(self.records)} closed cases due "
                    f"(closed over {self.months} months ago)", style="bold")

    def fetch(self) -> list[DueCase]:
        return retention.due_for_review(self.asb.store, today=self.today,
                                        review_months=self.months)

    def key(self, record: DueCase) -> str:
        return record.ref

    def cells(self, record: DueCase) -> list[Text]:
        return [
            Text(record.ref),
            Text(record.district.value),
            Text(record.category.label),
            Text(format_date(record.closed_on)),
            Text(record.closure_reason.label if record.closure_reason else ""),
            Text(format_date(record.retain_until)),
            Text(str(record.incidents)),
        ]

    def detail(self, record: DueCase) -> Text:
        return Text(f"{record.ref} · {record.district.label} · closed "
                    f"{format_date(record.closed_on)}\n"
                    "k keeps its personal data until a date (with a reason); E erases it.")

    def action_keep(self) -> None:
        record = self.highlighted()
        if record is not None:
            self.app.push_screen(
                KeepForm(self.asb.store, record.ref, self.today, self.months), self.saved)

    def action_erase(self) -> None:
        record = self.highlighted()
        if record is None:
            return
        try:
            preview = retention.erasure_preview(self.asb.store, record.ref, today=self.today,
                                                review_months=self.months)
        except AsbError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.app.push_screen(
            EraseForm(self.asb.store, preview, self.today, self.months), self.saved)


class KeepForm(FormScreen[date]):
    def __init__(self, store: Store, ref: str, today: date, months: int) -> None:
        super().__init__()
        self.store, self.ref, self.today, self.months = store, ref, today, months
        self.TITLE_TEXT = f"Keep the personal data of {ref}"

    def fields(self) -> ComposeResult:
        yield FieldRow("Keep until", Input(id="until", placeholder="DD/MM/YYYY"), "until",
                       f"At most {self.months} months ahead")
        yield from reason_fields("Why the data is still needed")

    def save(self) -> date:
        until = parse_date(self.value("until"), field="until")
        return retention.keep(
            self.store, self.ref, until,
            reason_value(self.value("justification"), self.value("other_reason")),
            today=self.today, review_months=self.months)

    def confirmation(self, result: date) -> str:
        return f"{self.ref} kept until {format_date(result)}."


class EraseForm(FormScreen[Erased]):
    def __init__(self, store: Store, preview: Erased, today: date, months: int) -> None:
        super().__init__()
        self.store, self.preview, self.today, self.months = store, preview, today, months
        self.TITLE_TEXT = f"Erase the personal data of {preview.ref}"

    def fields(self) -> ComposeResult:
        yield Static(Text(f"This blanks {self.preview.describe()}. It cannot be undone.",
                          style="bold"), classes="form-note")
        if self.preview.copies:
            yield Static(Text(one_line(self.preview.copies_note()) + "."),
                         classes="form-note")
        yield FieldRow("Type the case ref", Input(id="confirm", placeholder=self.preview.ref),
                       "confirm", "To confirm")
        yield from reason_fields("Why it may be erased now")

    def save(self) -> Erased:
        if self.value("confirm").strip().upper() != self.preview.ref:
            raise InvalidInput(f"Type {self.preview.ref} to confirm the erasure.", "confirm")
        return retention.erase(
            self.store, self.preview.ref,
            reason_value(self.value("justification"), self.value("other_reason")),
            today=self.today, review_months=self.months)

    def confirmation(self, result: Erased) -> str:
        note = f" {one_line(result.copies_note())}." if result.copies else ""
        return f"The personal data of {result.ref} is erased.{note}"
