"""The district queue: open cases most urgent first, filtered, sorted and searched."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.widgets.data_table import CellDoesNotExist

from asbtui.dates import format_date, london_today
from asbtui.errors import AsbError
from asbtui.literal import one_line
from asbtui.models import OPEN_STATUSES, District
from asbtui.services import cases, queue
from asbtui.services.access import Permission
from asbtui.services.cases import OfficerView
from asbtui.services.queue import QueuePage, QueueQuery, SortKey
from asbtui.services.search import SEARCH_MAX
from asbtui.widgets.case_table import CaseTable
from asbtui.widgets.footer import Footer
from asbtui.widgets.permitted import PermittedActions, actor_of

if TYPE_CHECKING:
    from textual.coordinate import Coordinate

    from asbtui.app import AsbApp
    from asbtui.services import day

# The review marks, the day marks, bulk owner changes and the choice dialogs are imported
# when first used (after the first frame): the first frame waits on every import.

ALL_DISTRICTS = "ALL"
SEARCH_DELAY = 0.15
DETAIL_LINES = 3
QUEUE_COLUMNS = "queue_columns"
"""The preference that keeps the user's chosen queue columns."""
COUNT_CAP = 1000
"""A search's matches are counted up to this many, then shown as "1,000+"."""


class QueueScreen(PermittedActions, Screen):
    """One district's queue (or all districts') as a paged table."""

    AUTO_FOCUS = "#cases"
    """The table from the start, not the search box first (the footer composed its keys
    for the search box, then again for the table)."""

    BINDINGS = [
        Binding("slash", "search", "Search", id="queue.search"),
        Binding("d", "district", "District", id="queue.district"),
        Binding(
            "left_square_bracket",
            "cycle_district(-1)",
            "Previous district",
            id="queue.previous_district",
            show=False,
        ),
        Binding(
            "right_square_bracket",
            "cycle_district(1)",
            "Next district",
            id="queue.next_district",
            show=False,
        ),
        Binding("f", "filter", "Filter", id="queue.filter"),
        Binding(
            "a",
            "show_elsewhere",
            "Other districts",
            tooltip="Show the matches other districts hold when this one has none",
            id="queue.show_elsewhere",
            show=False,
        ),
        # Early, so that an 80-column footer still shows it (the footer keeps the first
        # keys that fit).
        Binding("D", "dashboard", "Dashboard", tooltip="Supervisor dashboard",
                id="queue.dashboard"),
        Binding("m", "my_cases", "My cases", id="queue.my_cases"),
        Binding("s", "sort", "Sort", id="queue.sort"),
        Binding("r", "reverse", "Reverse order", id="queue.reverse", show=False),
        Binding("c", "columns", "Columns", tooltip="Choose the queue's columns",
                id="queue.columns", show=False),
        Binding("n", "new_case", "New case", id="queue.new_case"),
        Binding(
            "u", "deadlines", "Deadlines", tooltip="Deadlines due and overdue", id="queue.deadlines"
        ),
        Binding("P", "pspos", "PSPOs", tooltip="PSPO register", id="queue.pspos", show=False),
        Binding("x", "clear_filters", "Clear filters", id="queue.clear", show=False),
        Binding("f5", "refresh", "Refresh", id="queue.refresh", show=False),
        Binding(
            "space",
            "toggle_selected",
            "Select",
            tooltip="Select the highlighted case, or unselect it",
            id="queue.select",
            show=False,
        ),
        Binding(
            "A",
            "select_all",
            "Select all loaded",
            tooltip="Select every loaded case (again: select none)",
            id="queue.select_all",
            show=False,
        ),
        Binding(
            "o",
            "give_to_officer",
            "Owner",
            tooltip="Give the selected cases, or the highlighted one, to an officer",
            id="queue.owner",
            show=False,
        ),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "new_case": Permission.WORK_CASES,
        "my_cases": Permission.WORK_CASES,
        "deadlines": Permission.READ_OVERVIEWS,
        "pspos": Permission.READ_OVERVIEWS,
        "dashboard": Permission.READ_OVERVIEWS,
        "give_to_officer": Permission.ASSIGN_CASES,
        "select_all": Permission.ASSIGN_CASES,
        "toggle_selected": Permission.ASSIGN_CASES,
    }

    @dataclass
    class PageLoaded(Message):
        """A page of the queue arrived from the worker thread."""

        query: QueueQuery
        page: QueuePage
        total: int | None
        """None until counted (``count``, once the first page is drawn)."""
        append: bool
        marks: dict[str, day.QueueMark] | None = None
        """The officer's day on the page's rows, fetched with a next page (None: later)."""

    @dataclass
    class CountLoaded(Message):
        """How many cases the query matches (at most ``COUNT_CAP + 1`` for a search)."""

        query: QueueQuery
        total: int

    @dataclass
    class ElsewhereCounted(Message):
        """How many cases other districts hold that match a search finding none here."""

        query: QueueQuery
        total: int

    @dataclass
    class LoadFailed(Message):
        query: QueueQuery
        error: str

    def __init__(
        self,
        district: District | None,
        officer: OfficerView | None,
        *,
        query: QueueQuery | None = None,
    ) -> None:
        """``query`` starts the queue with a filter or order (its district is ``district``)."""
        super().__init__()
        self.officer = officer
        self.query_now = (
            replace(query, district=district) if query else QueueQuery(district=district)
        )
        self.after: tuple | None = None
        self.loading_more = False
        self.counts: dict[QueueQuery, int] = {}
        self.restore_ref: str | None = None
        self.elsewhere = 0
        """How many cases other districts hold that match a search finding none here."""
        self.newest_first = False
        """The search has so many matches that they are shown newest first."""
        self._detail_shown: Text | None = None
        """What the line under the table shows now."""
        self._first_page_shown = False
        """Whether the screen has shown its first page (what follows it then waits for
        its frame to reach the terminal: ``AsbApp.after_first_frame``)."""

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="queue-title")
        yield Input(
            placeholder="/ to search refs, names, addresses and summaries",
            id="search",
            compact=True,
            max_length=SEARCH_MAX,
        )
        yield CaseTable(id="cases")
        yield Static(id="queue-detail")
        yield Static(id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        chosen = self.asb.preferences.get(self.asb.user_key, QUEUE_COLUMNS)
        if isinstance(chosen, list) and all(isinstance(k, str) for k in chosen):
            self.query_one(CaseTable).choose_columns(chosen)
        self.reload()
        table = self.query_one(CaseTable)
        self.watch(table, "cursor_coordinate", self._cursor_moved, init=False)
        table.focus()

    # ------------------------------------------------------------------ loading

    def reload(self, keep_ref: str | None = None) -> None:
        """Fetch the first page of the current query (in a thread) and show it."""
        now = self.asb.clock()
        self.query_now = replace(self.query_now, today=london_today(now), now=now)
        self.after = None
        self.loading_more = False
        self.restore_ref = keep_ref
        table = self.query_one(CaseTable)
        table.clear_selection()
        table.now = now
        table.header_for(self.query_now.sort, self.query_now.descending)
        self._show_title()
        self.workers.cancel_group(self, "more")
        self.load(self.query_now, None, False)

    @dataclass
    class ReviewFlagsLoaded(Message):
        """Which open cases meet the ASB Case Review threshold (found after the page)."""

        district: District | None
        refs: frozenset[str]

    @work(thread=True, exclusive=True, group="flags", exit_on_error=False,
          description="Checking the ASB Case Review threshold")
    def load_review_flags(self, district: District | None, today: date | None) -> None:
        # A grouped query over the district: it runs after the first page, so it never
        # delays the queue; a failure only leaves the marks off.
        from asbtui.services import case_review

        try:
            found = case_review.cases_meeting_threshold(
                self.asb.store, district, on=today,
                threshold=self.asb.settings.case_review_threshold)
        except Exception:  # noqa: BLE001 - the queue works without the marks
            return
        self.post_message(self.ReviewFlagsLoaded(district, frozenset(ref for ref, _ in found)))

    @on(ReviewFlagsLoaded)
    def review_flags_loaded(self, message: ReviewFlagsLoaded) -> None:
        if message.district == self.query_now.district:
            self.query_one(CaseTable).mark_review_flags(message.refs)
            self._show_detail()

    @on(CaseTable.RowHighlighted, "#cases")
    def row_highlighted(self) -> None:
        self._show_detail()

    def _cursor_moved(self, old: Coordinate, new: Coordinate) -> None:
        # Watched, not only heard as RowHighlighted: that message reaches the screen after
        # the table's repaint has gone out, so the line under it followed in a frame of its
        # own; called in the move itself, both are drawn in one frame. The table sets its
        # cursor again for every row added: only a move to another row is shown here (a
        # page shows the line when loaded, and RowHighlighted still follows every move).
        if old.row == new.row:
            return
        with suppress(CellDoesNotExist):
            self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted case in full, whatever columns the width allows."""
        table = self.query_one(CaseTable)
        detail = self.query_one("#queue-detail", Static)
        # Less a few characters a line: words wrap whole, leaving ends short.
        room = (max(detail.content_size.width, 40) - 8) * DETAIL_LINES
        text = table.detail(table.highlighted_ref(), room)
        if text == self._detail_shown:
            return  # already shown (the move was watched, then heard as RowHighlighted)
        self._detail_shown = text
        # Its height is fixed (app.tcss): a repaint, not a layout of the whole screen (a
        # layout also repaints the table's scrollbar, a third frame for every move).
        detail.update(text, layout=False)

    @dataclass
    class DayMarksLoaded(Message):
        """First contacts still to make and overdue victim updates of the rows shown."""

        marks: dict[str, day.QueueMark]

    @work(thread=True, group="day-marks", exit_on_error=False,
          description="Checking first contacts and victim updates")
    def load_day_marks(self, refs: list[str], today: date | None) -> None:
        from asbtui.services import day

        try:
            marks = day.queue_marks(self.asb.store, refs, today=today)
        except Exception:  # noqa: BLE001 - the queue works without the marks
            return
        self.post_message(self.DayMarksLoaded(marks))

    @on(DayMarksLoaded)
    def day_marks_loaded(self, message: DayMarksLoaded) -> None:
        self.query_one(CaseTable).mark_day(message.marks)

    @work(
        thread=True,
        exclusive=True,
        group="first",
        exit_on_error=False,
        description="Loading the queue",
    )
    def load(self, query: QueueQuery, after: tuple | None, append: bool) -> None:
        self._fetch(query, after, append)

    @work(
        thread=True,
        exclusive=True,
        group="more",
        exit_on_error=False,
        description="Loading more cases",
    )
    def load_more(self, query: QueueQuery, after: tuple) -> None:
        self._fetch(query, after, True)

    def _fetch(self, query: QueueQuery, after: tuple | None, append: bool) -> None:
        """Runs in a worker thread: services open their own session; no widget is touched.

        Only the page: it is counted after it is drawn (``count``), since at a million cases
        a count of every open case takes longer than the page, and a search's count stops
        at 1,000.
        """
        try:
            page = queue.queue_page(self.asb.store, query, after,
                                    limit=self.asb.settings.page_size)
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(query, str(error)))
            return
        marks = None
        if append:
            from asbtui.services import day

            # A next page is fetched ahead of the cursor: its marks come with it, drawn with
            # its rows, rather than after them (a cell updated per mark, the table redrawn).
            try:
                marks = day.queue_marks(self.asb.store, [row.ref for row in page.rows],
                                        today=query.today)
            except Exception:  # noqa: BLE001 - the queue works without the marks
                marks = None
        self.post_message(self.PageLoaded(query, page, self.counts.get(query.without_order()),
                                          append, marks))

    @work(thread=True, exclusive=True, group="count", exit_on_error=False,
          description="Counting the queue")
    def count(self, query: QueueQuery) -> None:
        """How many cases the query matches; for a search finding none here, how many
        other districts hold. Started once the page is drawn: the first frame never
        shares the processor with it."""
        store = self.asb.store
        try:
            cap = COUNT_CAP if query.search.strip() else None
            total = queue.queue_count(store, query, cap=cap)
        except Exception:  # noqa: BLE001 - the queue works without its count
            return
        self.post_message(self.CountLoaded(query, total))
        if total == 0 and query.search.strip() and query.district is not None:
            try:
                elsewhere = queue.queue_count(store, replace(query, district=None),
                                              cap=COUNT_CAP)
            except Exception:  # noqa: BLE001 - a hint, not needed
                return
            self.post_message(self.ElsewhereCounted(query, elsewhere))

    def _count_if_current(self, query: QueueQuery) -> None:
        if query == self.query_now and query.without_order() not in self.counts:
            self.count(query)

    @on(CountLoaded)
    def count_loaded(self, message: CountLoaded) -> None:
        self.counts[message.query.without_order()] = message.total
        if message.query.without_order() == self.query_now.without_order():
            self._show_status(self.query_one(CaseTable).row_count, message.total)

    @on(ElsewhereCounted)
    def elsewhere_counted(self, message: ElsewhereCounted) -> None:
        if message.query.without_order() == self.query_now.without_order():
            self.elsewhere = message.total
            self._show_status(self.query_one(CaseTable).row_count,
                              self.counts.get(message.query.without_order()))

    @on(PageLoaded)
    def page_loaded(self, message: PageLoaded) -> None:
        if message.query != self.query_now:
            return  # a late answer to a query the user has already changed
        if message.total is not None:
            self.counts[message.query.without_order()] = message.total
        self.newest_first = message.page.newest_first
        table = self.query_one(CaseTable)
        query = message.query
        if message.append:
            table.append_page(message.page.rows, message.marks)
        else:
            table.show_page(message.page.rows)
            if self.restore_ref and self.restore_ref in table.rows:
                table.move_cursor(row=table.get_row_index(self.restore_ref))
        # What follows the page waits until it is drawn: started beside it (the count in
        # the page's own worker, the marks as it arrived) they slowed its frame. After the
        # screen's first page, until that frame has had time to reach the terminal too.
        later = self.call_after_refresh
        if not message.append and not self._first_page_shown:
            self._first_page_shown = True
            after_first_frame = getattr(self.app, "after_first_frame", None)
            if after_first_frame is not None:
                later = partial(after_first_frame, node=self)
        if not message.append:
            if message.total is None:
                later(self._count_if_current, query)
            later(self.load_review_flags, query.district, query.today)
        if message.marks is None:
            later(self.load_day_marks, [row.ref for row in message.page.rows], query.today)
        self.after = message.page.after
        if not message.append:
            self.elsewhere = 0  # counted again, after the page, if nothing matches here
        self.loading_more = False
        self._show_status(table.row_count, self.counts.get(message.query.without_order()))
        self._show_detail()

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.loading_more = False
        self.notify(message.error, title="Could not load the queue", severity="error", markup=False)

    @on(CaseTable.NeedMore)
    def need_more(self) -> None:
        if self.after is not None and not self.loading_more:
            self.loading_more = True
            self.load_more(self.query_now, self.after)

    # ------------------------------------------------------------------ labels

    def _show_title(self) -> None:
        q = self.query_now
        where = f"{q.district.label} ({q.district.value})" if q.district else "All districts"
        parts = [where]
        if q.statuses == OPEN_STATUSES:
            parts.append("open cases")
        elif not q.statuses:
            parts.append("open and closed cases")
        else:
            parts.append(", ".join(s.label.lower() for s in q.statuses))
        if q.categories:
            parts.append(", ".join(c.label.lower() for c in q.categories))
        if q.risks:
            parts.append(", ".join(r.label.lower() for r in q.risks) + " risk")
        if q.owner_id:
            parts.append("my cases")
        if q.unallocated:
            parts.append("unallocated")
        if q.search.strip():
            parts.append(f'matching "{q.search.strip()}"')
        title = Text(" · ".join(parts), style="bold")
        if getattr(self.app, "is_demo", False):
            title = Text.assemble((" DEMO ", "bold reverse"), " synthetic data · ", title)
        self.query_one("#queue-title", Static).update(title)

    def _show_status(self, shown: int, total: int | None) -> None:
        q = self.query_now
        order = q.sort.label.lower() + (" (reversed)" if q.descending else "")
        if self.newest_first:
            order = "most recent (many matches)"
        me = f" · {self.officer.collar}" if self.officer else ""
        actor = actor_of(self)
        if actor is not None and not actor.is_local:
            me = f" · {one_line(actor.label)}"
        today = format_date(q.today)
        if total is None:
            of = "…"
        elif total > COUNT_CAP and q.search.strip():
            of = f"{COUNT_CAP:,}+"
        else:
            of = f"{total:,}"
        noun = "case" if total == 1 else "cases"
        text = f"{shown:,} of {of} {noun} · sorted by {order} · {today}{me}"
        selected = len(self.query_one(CaseTable).selected)
        if selected:
            text = f"{selected:,} selected · {text}"
        if total == 0 and shown == 0:
            text = f"No cases match · {today}{me}" + (
                " · x clears filters" if self._filtered() else ""
            )
            if self.elsewhere and q.district is not None:
                held = (f"{COUNT_CAP:,}+" if self.elsewhere > COUNT_CAP
                        else f"{self.elsewhere:,}")
                text = (f"No cases match in {q.district.label} · {held} in other "
                        f"districts: a shows them · {today}{me}")
        self.query_one("#queue-status", Static).update(Text(text))

    def _filtered(self) -> bool:
        q = self.query_now
        return bool(
            q.categories
            or q.risks
            or q.owner_id
            or q.unallocated
            or q.search.strip()
            or q.statuses != OPEN_STATUSES
        )

    # ------------------------------------------------------------------ search

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        if hasattr(self, "_search_timer"):
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self._apply_search(event.value))

    def _apply_search(self, text: str) -> None:
        if text != self.query_now.search:
            self.query_now = replace(self.query_now, search=text)
            self.reload()

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        self._apply_search(self.query_one("#search", Input).value)
        self.query_one(CaseTable).focus()

    def key_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            if search.value:
                search.value = ""
            else:
                self.query_one(CaseTable).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    # ------------------------------------------------------------------ actions

    @on(CaseTable.CaseOpened)
    def open_case(self, message: CaseTable.CaseOpened) -> None:
        def closed(changed: bool) -> None:
            if changed:
                self.counts.clear()
                self.reload(message.ref)

        self.asb.open_case(message.ref, on_close=closed)

    @on(CaseTable.SortRequested)
    def sort_requested(self, message: CaseTable.SortRequested) -> None:
        same = message.key == self.query_now.sort
        self._set_sort(message.key, not self.query_now.descending if same else False)

    def _set_sort(self, key: SortKey, descending: bool) -> None:
        self.query_now = replace(self.query_now, sort=key, descending=descending)
        self.reload(self.query_one(CaseTable).highlighted_ref())

    def action_show_elsewhere(self) -> None:
        if self.elsewhere and self.query_now.district is not None:
            self._set_district(None)
        else:
            self.notify("a shows other districts' matches when a search finds none here.",
                        markup=False)

    def action_district(self) -> None:
        from asbtui.widgets.choice import ChoiceScreen

        choices: list[tuple[str, str]] = [("All districts", ALL_DISTRICTS)] + [
            (f"{d.value}  {d.label}", d.value) for d in District
        ]
        current = self.query_now.district.value if self.query_now.district else ALL_DISTRICTS

        def chosen(value: str | None) -> None:
            if value is not None:
                self._set_district(None if value == ALL_DISTRICTS else District(value))

        self.app.push_screen(ChoiceScreen("Show the queue of", choices, current), chosen)

    def action_cycle_district(self, step: int) -> None:
        order: list[District | None] = [None, *District]
        index = order.index(self.query_now.district)
        self._set_district(order[(index + step) % len(order)])

    def _set_district(self, district: District | None) -> None:
        self.query_now = replace(self.query_now, district=district)
        self.reload()

    def action_filter(self) -> None:
        from asbtui.screens.filters import FilterForm

        def chosen(query: QueueQuery | None) -> None:
            if query is not None:
                self.query_now = query
                self.reload()

        self.app.push_screen(
            FilterForm(self.query_now, self.officer.id if self.officer else None), chosen
        )

    def action_my_cases(self) -> None:
        if self.officer is None:
            self.notify(
                "No officer is set for this device: start asbtui with "
                "--officer 'PC 1234' to use My cases.",
                severity="warning",
                markup=False,
            )
            return
        mine = self.query_now.owner_id is None
        self.query_now = replace(
            self.query_now, owner_id=self.officer.id if mine else None, unallocated=False
        )
        self.reload()

    def action_sort(self) -> None:
        from asbtui.widgets.choice import ChoiceScreen

        def chosen(key: SortKey | None) -> None:
            if key is not None:
                self._set_sort(key, False)

        self.app.push_screen(
            ChoiceScreen("Sort the queue by", [(k.label, k) for k in SortKey], self.query_now.sort),
            chosen,
        )

    def action_columns(self) -> None:
        from asbtui.screens.columns import ColumnPicker

        table = self.query_one(CaseTable)

        def chosen(keys: tuple[str, ...] | None) -> None:
            if keys is not None:
                table.choose_columns(keys)
                self.asb.preferences.set(self.asb.user_key, QUEUE_COLUMNS, list(keys))

        self.app.push_screen(ColumnPicker(table.chosen), chosen)

    def action_reverse(self) -> None:
        self._set_sort(self.query_now.sort, not self.query_now.descending)

    def action_clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_now = QueueQuery(district=self.query_now.district)
        self.reload()

    def action_refresh(self) -> None:
        self.counts.clear()
        self.reload(self.query_one(CaseTable).highlighted_ref())

    def view_returned(self) -> None:
        """Back to the queue from another view: what changed there shows, the filters,
        order and highlighted case stay as they were."""
        self.action_refresh()

    def action_deadlines(self) -> None:
        self.asb.show_view("deadlines")

    def action_pspos(self) -> None:
        self.asb.show_view("pspos")

    def action_new_case(self) -> None:
        from asbtui.screens.intake import IntakeForm

        def opened(ref: str | None) -> None:
            if ref:
                self.counts.clear()
                self.reload(ref)
                self.asb.open_case(ref, on_close=lambda _changed: self.reload(ref))

        self.app.push_screen(IntakeForm(self.asb.store, self.query_now.district), opened)

    # ------------------------------------------------------------------ bulk changes

    def _refresh_status(self) -> None:
        total = self.counts.get(self.query_now.without_order())
        if total is not None:
            self._show_status(self.query_one(CaseTable).row_count, total)

    def action_toggle_selected(self) -> None:
        table = self.query_one(CaseTable)
        ref = table.highlighted_ref()
        if ref is None:
            return
        table.toggle_selected(ref)
        self._refresh_status()
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_select_all(self) -> None:
        table = self.query_one(CaseTable)
        if table.row_count and len(table.selected) == table.row_count:
            table.clear_selection()
        else:
            table.select_all()
        self._refresh_status()

    def action_give_to_officer(self) -> None:
        district = self.query_now.district
        table = self.query_one(CaseTable)
        refs = table.selected or [r for r in [table.highlighted_ref()] if r]
        if not refs:
            return
        if district is None:
            self.notify(
                "Choose a district first (d): cases go to an officer of their own district.",
                severity="warning",
                markup=False,
            )
            return
        from asbtui.screens.officer_choice import officer_choices
        from asbtui.services import dashboard
        from asbtui.widgets.choice import ChoiceScreen

        try:
            officers = {o.collar: o for o in cases.officers(self.asb.store, district)}
            choices = officer_choices(self.asb.store, district, self.asb.clock())
        except AsbError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        what = refs[0] if len(refs) == 1 else f"{len(refs):,} cases"

        def chosen(collar: str | None) -> None:
            if collar is None:
                return
            try:
                count = dashboard.assign_owner_bulk(self.asb.store, refs, collar or None)
            except AsbError as error:
                self.notify(str(error), title="Not saved", severity="error", markup=False)
                return
            who = officers[collar] if collar else None
            noun = refs[0] if count == 1 else f"{count:,} cases"
            self.notify(
                f"{noun} given to {who.collar} {who.name}" if who else f"{noun} now unallocated",
                title="Saved",
                markup=False,
            )
            self.counts.clear()
            self.reload(table.highlighted_ref())

        self.app.push_screen(ChoiceScreen(f"Give {what} to", choices), chosen)

    def action_dashboard(self) -> None:
        self.asb.show_view("dashboard")
