"""A case's history of corrections: what changed, from what, by whom, when and why."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding

from asbtui.dates import format_datetime
from asbtui.literal import one_line, visible
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import history
from asbtui.services.access import Permission
from asbtui.services.history import HistoryEntry


class HistoryScreen(RecordListScreen[HistoryEntry]):
    """Oldest first; removed records struck through. ``v`` shows people's details."""

    BINDINGS = [
        Binding("v", "show_details", "Details",
                tooltip="Show the old and new values of people's details (asks why; audited)",
                id="history.details"),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "show_details": Permission.VIEW_PEOPLE,
    }
    COLUMNS = ("When", "Who", "Record", "Field", "From", "To", "Why")
    FAILED_TITLE = "Could not load the history"
    EMPTY = "nothing corrected or removed"

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref
        self.reason: str | None = None

    def title_text(self) -> Text:
        hidden = any(e.hidden for e in self.records.values())
        return Text.assemble(
            (f"History of {self.ref} ({len(self.records)} changes, oldest first)", "bold"),
            ("  · people's details hidden: v shows them, for a reason" if hidden else "", "dim"))

    def fetch(self) -> list[HistoryEntry]:
        return history.case_history(self.asb.store, self.ref, self.reason)

    def key(self, record: HistoryEntry) -> str:
        return f"{record.at.isoformat()}|{record.record_id}|{record.field}"

    def cells(self, record: HistoryEntry) -> list[Text]:
        strike = "strike dim" if record.removal else ""
        hidden = Text("hidden: v", style="dim")
        return [
            Text(format_datetime(record.at)),
            Text(one_line(record.by, 16)),
            Text(one_line(record.record, 30), style=strike),
            Text(record.field),
            hidden if record.hidden else Text(one_line(record.old, 30), style=strike),
            hidden if record.hidden else Text(one_line(record.new, 30)),
            Text(one_line(record.reason, 30)),
        ]

    def detail(self, record: HistoryEntry) -> Text:
        text = Text(f"{format_datetime(record.at)} · {one_line(record.by)}\n")
        text.append(visible(record.describe(), keep_newlines=True),
                    style="strike" if record.removal else "")
        if record.reason:
            text.append("\nWhy: " + visible(record.reason, keep_newlines=True))
        return text

    def action_show_details(self) -> None:
        from asbtui.screens.justification import JustificationScreen

        def chosen(reason: str | None) -> None:
            if reason is not None:
                self.reason = reason
                self.load()

        self.app.push_screen(
            JustificationScreen(f"Why do you need the people's details in {self.ref}'s history?",
                                "Old and new dates of birth, addresses, phones and notes. Your "
                                "reason is kept in the audit log with your name."),
            chosen)
