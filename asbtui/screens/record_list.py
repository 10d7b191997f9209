"""The frame of the record lists: a case's timeline and audit, users, agencies, retention.

A title line, one table, the highlighted row in full below it, `escape` back and `f5`
refresh. A subclass names its columns, reads its rows in ``fetch`` (run in a thread
worker: services open their own sessions) and says how a row looks and reads in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from asbtui.widgets.footer import Footer
from asbtui.widgets.permitted import PermittedActions

if TYPE_CHECKING:
    from asbtui.app import AsbApp

T = TypeVar("T")


class RecordListScreen(PermittedActions, Screen[bool], Generic[T]):
    """Dismisses with True when something was changed from it."""

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back", id="records.back"),
        Binding("f5", "refresh", "Refresh", id="records.refresh", show=False),
    ]
    COLUMNS: ClassVar[tuple[str, ...]] = ()
    FAILED_TITLE = "Could not load the list"
    EMPTY = "none recorded"

    @dataclass
    class Loaded(Message):
        rows: list[Any]

    @dataclass
    class LoadFailed(Message):
        error: str

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, T] = {}
        self.changed = False

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------------ subclass parts

    def title_text(self) -> Text:
        raise NotImplementedError

    def fetch(self) -> list[T]:
        """Read the rows (runs in a thread: no widget may be touched)."""
        raise NotImplementedError

    def key(self, record: T) -> str:
        raise NotImplementedError

    def cells(self, record: T) -> list[Text]:
        raise NotImplementedError

    def detail(self, record: T) -> Text:
        return Text("")

    # ------------------------------------------------------------------ frame

    def compose(self) -> ComposeResult:
        yield Static(id="records-title")
        yield DataTable(id="records", cursor_type="row", zebra_stripes=True)
        yield Static(id="row-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#records", DataTable)
        table.add_columns(*(Text(c) for c in self.COLUMNS))
        table.focus()
        self.query_one("#records-title", Static).update(self.title_text())
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading the list")
    def load(self) -> None:
        try:
            rows = self.fetch()
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.Loaded(rows))

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title=self.FAILED_TITLE, severity="error", markup=False)

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        table = self.query_one("#records", DataTable)
        highlighted = self.highlighted_key()
        table.clear()
        self.records = {self.key(r): r for r in message.rows}
        for key, record in self.records.items():
            table.add_row(*self.cells(record), key=key)
        if not self.records:
            table.add_row(Text(self.EMPTY, style="dim"),
                          *[Text("")] * (len(table.columns) - 1), key="none")
        if highlighted in self.records:
            table.move_cursor(row=table.get_row_index(highlighted))
        self.query_one("#records-title", Static).update(self.title_text())
        self._show_detail()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        record = self.highlighted()
        self.query_one("#row-detail", Static).update(
            self.detail(record) if record is not None else "")

    def highlighted_key(self) -> str | None:
        table = self.query_one("#records", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key == "none" else key

    def highlighted(self) -> T | None:
        key = self.highlighted_key()
        return self.records.get(key) if key else None

    def action_back(self) -> None:
        self.app.back(self, self.changed)  # type: ignore[attr-defined]

    def action_refresh(self) -> None:
        self.load()

    def view_returned(self) -> None:
        """Back to this view (My day, the audit log) from another: read again, as of now;
        the highlighted row stays where it still is."""
        self.load()

    def saved(self, result: object) -> None:
        """A form's callback: reload after a change."""
        if result is not None:
            self.changed = True
            self.load()
