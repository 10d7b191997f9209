"""My day: what is due for me today, this week and overdue; each line opens its case.

A supervisor sees their districts, by officer. The list comes from
:func:`asbtui.services.day.my_day`, read in a thread worker (as every record list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from asbtui.dates import format_date, format_datetime, format_time_left
from asbtui.literal import one_line, visible
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import day
from asbtui.services.access import Permission
from asbtui.services.day import DayItem, MyDay, When

# A table paints about 2 ms a row: it holds the soonest items, and says how many more.
# They are read first (each source stops at SHOWN) and painted; the whole day (up to
# day.ITEM_LIMIT, with the Case Review prompts, counted from each open case's reports)
# is read after, for the counts in the title.
SHOWN = 100
WHEN_STYLES = {When.OVERDUE: "bold white on red", When.TODAY: "bold yellow", When.WEEK: ""}


def due_text(item: DayItem) -> str:
    return format_datetime(item.due) if isinstance(item.due, datetime) else format_date(item.due)


class MyDayScreen(RecordListScreen[DayItem]):
    """Overdue first, then today, then the rest of the week; `enter` opens the case."""

    @dataclass
    class Shown(Message):
        day: MyDay

    @dataclass
    class Counted(Message):
        day: MyDay

    BINDINGS = [
        Binding("enter", "open", "Open case", id="my_day.open", show=False),
        Binding("w", "window", "Window", tooltip="Show 1, 7 or 14 days ahead",
                id="my_day.window"),
        Binding("C", "conferences", "Conferences", tooltip="Case conferences",
                id="my_day.conferences"),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "conferences": Permission.WORK_CASES,
    }
    FAILED_TITLE = "Could not load My day"
    EMPTY = "nothing due: well done"

    def __init__(self, days: int = day.DEFAULT_DAYS) -> None:
        super().__init__()
        self.days = days
        self.day: MyDay | None = None
        self.by_officer = False
        self.counting = False

    COLUMNS = ()
    WIDTHS = (("When", 9), ("Due", 16), ("Kind", 13), ("Case", 12), ("What", 44), ("Officer", 24))

    def on_mount(self) -> None:
        table = self.query_one("#records", DataTable)
        for label, width in self.WIDTHS:
            table.add_column(Text(label), width=width)
        super().on_mount()

    def title_text(self) -> Text:
        if self.day is None:
            return Text("My day", style="bold")
        if self.counting:
            return Text(f"My day · {one_line(self.day.title, 60)} · the "
                        f"{len(self.day.items)} soonest · counting the rest…", style="bold")
        now = self.asb.clock()
        overdue = sum(i.when(now) is When.OVERDUE for i in self.day.items)
        today = sum(i.when(now) is When.TODAY for i in self.day.items)
        total = len(self.day.items)
        more = f" ({SHOWN} soonest shown)" if total > SHOWN or self.day.truncated else ""
        return Text(f"My day · {one_line(self.day.title, 60)} · {overdue} overdue · {today} "
                    f"today · {total:,}{'+' if self.day.truncated else ''} within {self.days} "
                    f"days{more}", style="bold")

    def _read(self, **how: object) -> MyDay:
        return day.my_day(self.asb.store, days=self.days, now=self.asb.clock(),
                          threshold=self.asb.settings.case_review_threshold, **how)  # type: ignore[arg-type]

    def fetch(self) -> list[DayItem]:
        self.day = self._read()
        return self.day.items[:SHOWN]

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading My day")
    def load(self) -> None:
        """The soonest items first (painted at once), then the whole day for the counts."""
        try:
            self.post_message(self.Shown(self._read(limit=SHOWN, prompts=False)))
            self.post_message(self.Counted(self._read()))
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))

    @on(Shown)
    def _shown(self, message: Shown) -> None:
        self.day, self.counting = message.day, True
        self.loaded(self.Loaded(message.day.items))

    @on(Counted)
    def _counted(self, message: Counted) -> None:
        self.day, self.counting = message.day, False
        rows = message.day.items[:SHOWN]
        if [self.key(r) for r in rows] != list(self.records):
            table = self.query_one("#records", DataTable)
            at_top = table.cursor_row == 0  # not moved yet: stay on the first line
            self.loaded(self.Loaded(rows))
            if at_top and table.row_count:
                table.move_cursor(row=0)
        else:
            self.records = {self.key(r): r for r in rows}
            self.query_one("#records-title", Static).update(self.title_text())

    def key(self, record: DayItem) -> str:
        return f"{record.kind.value}:{record.record_id}"

    def cells(self, record: DayItem) -> list[Text]:
        now = self.asb.clock()
        when = record.when(now)
        style = WHEN_STYLES[when]
        return [
            Text(when.value, style=style),
            Text(due_text(record)),
            Text(record.kind.label),
            Text(record.case_ref, style="bold"),
            Text(one_line(record.what, 44)),
            Text(one_line(record.officer, 24)),
        ]

    def detail(self, record: DayItem) -> Text:
        left = format_time_left(record.due_at - self.asb.clock())
        return Text(f"{record.kind.label} · {record.case_ref} · {record.district.label} · "
                    f"due {due_text(record)} ({left}) · {visible(one_line(record.officer))}\n"
                    f"{visible(one_line(record.what))}\nenter opens the case")

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        item = self.highlighted()
        if item is not None:
            self.asb.open_case(item.case_ref, on_close=lambda _changed: self.load())

    def action_conferences(self) -> None:
        from asbtui.screens.conferences import ConferencesScreen

        self.app.push_screen(ConferencesScreen(), lambda _changed: self.load())

    def action_window(self) -> None:
        from asbtui.widgets.choice import ChoiceScreen

        def chosen(days: int | None) -> None:
            if days is not None:
                self.days = days
                self.load()

        self.app.push_screen(ChoiceScreen("Show what is due within",
                                          [("Today", 1), ("7 days", 7), ("14 days", 14)],
                                          self.days), chosen)
