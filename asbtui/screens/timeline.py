"""A case's timeline: incidents, partner notes and enforcement steps, merged by date."""

from __future__ import annotations

from rich.text import Text

from asbtui.dates import format_datetime
from asbtui.literal import one_line, plural, visible
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import partners
from asbtui.services.partners import TimelineEntry

KIND_LABELS = {"incident": "Incident", "note": "Note", "action": "Action"}


class TimelineScreen(RecordListScreen[TimelineEntry]):
    """Oldest first, as the story of the case is told."""

    COLUMNS = ("When", "Kind", "What", "Who", "Text")
    FAILED_TITLE = "Could not load the timeline"

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def title_text(self) -> Text:
        entries = plural(len(self.records), "entry", "entries")
        return Text(f"Timeline of {self.ref} ({entries}, oldest first)",
                    style="bold")

    def fetch(self) -> list[TimelineEntry]:
        entries = partners.timeline(self.asb.store, self.ref)
        return entries

    def key(self, record: TimelineEntry) -> str:
        return str(id(record))

    def cells(self, record: TimelineEntry) -> list[Text]:
        dim = "dim" if "corrected later" in record.title else ""
        return [
            Text(format_datetime(record.at)),
            Text(KIND_LABELS.get(record.kind, record.kind)),
            Text(one_line(record.title, 40), style=dim),
            Text(one_line(record.who, 20)),
            Text(one_line(record.text, 40), style=dim),
        ]

    def detail(self, record: TimelineEntry) -> Text:
        who = f" · {one_line(record.who)}" if record.who else ""
        return Text(f"{format_datetime(record.at)} · {one_line(record.title)}{who}\n"
                    + visible(record.text, keep_newlines=True))
