"""Set the date of a case's next review."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Input

from asbtui.dates import format_date, parse_date
from asbtui.services import cases
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store


class ReviewForm(FormScreen[date]):
    checks = {"next_review": lambda value: parse_date(value)}

    def __init__(self, store: Store, ref: str, current: date | None) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.current = current
        self.TITLE_TEXT = f"Next review of {ref}"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "Review by",
            Input(placeholder="DD/MM/YYYY", value=format_date(self.current), id="next_review"),
            "next_review",
            "DD/MM/YYYY: today or later, within a year",
        )

    def save(self) -> date:
        day = parse_date(self.value("next_review"), field="next_review")
        return cases.set_next_review(self.store, self.ref, day)

    def confirmation(self, result: date) -> str:
        return f"{self.ref} will be reviewed by {format_date(result)}."
