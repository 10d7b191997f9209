"""The PSPO register of a district: areas, prohibitions, expiry, breaches and renewals."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from asbtui.dates import format_date, london_today, parse_date
from asbtui.literal import one_line, visible
from asbtui.models import District
from asbtui.services import enforcement
from asbtui.services.enforcement import PspoView
from asbtui.services.rules import value
from asbtui.widgets.footer import Footer
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.app import AsbApp
    from asbtui.db import Store


def pspo_state(p: PspoView, today: date) -> Text:
    if today > p.expires_on:
        return Text("Expired", style="dim")
    if today < p.made_on:
        return Text("Not yet in force")
    renew_by = p.expires_on - relativedelta(months=value("pspo_renewal_prompt_months", p.made_on))
    if today >= renew_by:
        return Text(f"Renew by {format_date(p.expires_on)}", style="bold yellow")
    return Text("In force", style="green")


def challenge_state(p: PspoView, today: date) -> Text:
    """The High Court challenge window (s66(3), six weeks beginning with the day made or
    varied): open until its last day, then closed."""
    if p.challenge_until is None:
        return Text("")
    if p.challenge_open(today):
        return Text(f"until {format_date(p.challenge_until)}", style="bold yellow")
    return Text("closed", style="dim")


class PspoScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the queue", id="pspo.back"),
        Binding("n", "add", "New PSPO", tooltip="Register a PSPO", id="pspo.add"),
        Binding("x", "extend", "Extend", tooltip="Extend the highlighted PSPO", id="pspo.extend"),
        Binding(
            "v",
            "vary",
            "Vary",
            tooltip="Vary the highlighted PSPO's area or prohibitions (s61)",
            id="pspo.vary",
        ),
    ]

    def __init__(self, district: District | None) -> None:
        super().__init__()
        self.district = district
        self.rows: list[PspoView] = []

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        where = self.district.label if self.district else "All districts"
        yield Static(Text(f"PSPO register · {where}", style="bold"), id="pspo-title")
        yield DataTable(id="pspos", cursor_type="row", zebra_stripes=True)
        yield Static(id="row-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for heading, width in (
            ("Order", 34),
            ("Made", 10),
            ("Expires", 10),
            ("State", 22),
            ("Challenge (s66)", 17),
            ("Breaches", 8),
        ):
            table.add_column(Text(heading), width=width)
        self.load()
        table.focus()

    def load(self) -> None:
        # One small table per district: read directly, no worker needed.
        self.rows = enforcement.pspo_register(self.asb.store, self.district)
        today = london_today(self.asb.clock())
        table = self.query_one(DataTable)
        highlighted = (table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
                       if table.row_count else None)
        table.clear()
        for p in self.rows:
            table.add_row(
                Text(one_line(p.title)),
                Text(format_date(p.made_on)),
                Text(format_date(p.expires_on)),
                pspo_state(p, today),
                challenge_state(p, today),
                Text(str(p.breaches)),
                key=p.id,
            )
        if not self.rows:
            self.query_one("#row-detail", Static).update(Text("No PSPOs registered here."))
        elif highlighted is not None and highlighted in {p.id for p in self.rows}:
            table.move_cursor(row=table.get_row_index(highlighted))

    def view_returned(self) -> None:
        """Back to the register from another view: read again (a PSPO that expired or
        whose challenge window closed meanwhile shows so), the highlighted PSPO kept."""
        self.load()

    @on(DataTable.RowHighlighted)
    def detail(self, event: DataTable.RowHighlighted) -> None:
        p = next((r for r in self.rows if r.id == event.row_key.value), None)
        if p is not None:
            self.query_one("#row-detail", Static).update(
                Text(
                    f"{one_line(p.council)} · {one_line(p.reference)}\nArea: "
                    f"{visible(p.area)}\nProhibits: {visible(p.prohibitions)}"
                )
            )

    def action_back(self) -> None:
        self.asb.back(self)

    def action_add(self) -> None:
        self.app.push_screen(PspoForm(self.asb.store, self.district), lambda _r: self.load())

    def _highlighted(self) -> PspoView | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.rows if r.id == key), None)

    def action_extend(self) -> None:
        p = self._highlighted()
        if p is not None:
            self.app.push_screen(PspoExtendForm(self.asb.store, p), lambda _r: self.load())

    def action_vary(self) -> None:
        p = self._highlighted()
        if p is not None:
            self.app.push_screen(PspoVaryForm(self.asb.store, p), lambda _r: self.load())


class PspoForm(FormScreen[str]):
    TITLE_TEXT = "Register a PSPO"
    checks = {"made_on": lambda v: parse_date(v), "expires_on": lambda v: parse_date(v)}

    def __init__(self, store: Store, district: District | None) -> None:
        super().__init__()
        self.store = store
        self.district = district

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "District",
            Input(value=self.district.value if self.district else "", id="district"),
            "district",
        )
        yield FieldRow("Council", Input(id="council"), "council")
        yield FieldRow("Title", Input(id="title"), "title")
        yield FieldRow("Area", Input(id="area"), "area")
        yield FieldRow("Prohibitions", Input(id="prohibitions"), "prohibitions")
        yield FieldRow("Made on", Input(id="made_on", placeholder="DD/MM/YYYY"), "made_on")
        yield FieldRow(
            "Expires on",
            Input(id="expires_on", placeholder="DD/MM/YYYY"),
            "expires_on",
            f"At most {value('pspo_max_years', london_today())} years after it is made (s60)",
        )
        yield FieldRow("Reference", Input(id="reference"), "reference")

    def save(self) -> str:
        enforcement.add_pspo(
            self.store,
            self.value("district"),
            self.value("council"),
            self.value("title"),
            self.value("area"),
            self.value("prohibitions"),
            parse_date(self.value("made_on"), field="made_on"),
            parse_date(self.value("expires_on"), field="expires_on"),
            self.value("reference"),
        )
        return self.value("title")

    def confirmation(self, result: str) -> str:
        return f"PSPO registered: {result}."


class PspoExtendForm(FormScreen[str]):
    checks = {"decided_on": lambda v: parse_date(v), "new_expiry": lambda v: parse_date(v)}

    def __init__(self, store: Store, pspo: PspoView) -> None:
        super().__init__()
        self.store = store
        self.pspo = pspo
        self.TITLE_TEXT = f"Extend: {one_line(pspo.title)} (expires {format_date(pspo.expires_on)})"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "Decided on",
            Input(id="decided_on", placeholder="DD/MM/YYYY"),
            "decided_on",
            "Before the order expires (s60(2))",
        )
        yield FieldRow(
            "New expiry",
            Input(id="new_expiry", placeholder="DD/MM/YYYY"),
            "new_expiry",
            f"Up to {value('pspo_extension_max_years', london_today())} years more at a time",
        )

    def save(self) -> str:
        new = enforcement.extend_pspo(
            self.store,
            self.pspo.id,
            parse_date(self.value("decided_on"), field="decided_on"),
            parse_date(self.value("new_expiry"), field="new_expiry"),
        )
        return format_date(new)

    def confirmation(self, result: str) -> str:
        return f"PSPO extended to {result}."


class PspoVaryForm(FormScreen[str]):
    """Vary an order's area or prohibitions (s61): a new six-week challenge window (s66)."""

    checks = {"decided_on": lambda v: parse_date(v)}

    def __init__(self, store: Store, pspo: PspoView) -> None:
        super().__init__()
        self.store = store
        self.pspo = pspo
        self.TITLE_TEXT = f"Vary: {one_line(pspo.title)}"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "Varied on",
            Input(id="decided_on", placeholder="DD/MM/YYYY"),
            "decided_on",
            "While the order is in force (s61)",
        )
        yield FieldRow("Area", Input(value=self.pspo.area, id="area"), "area")
        yield FieldRow(
            "Prohibitions", Input(value=self.pspo.prohibitions, id="prohibitions"), "prohibitions"
        )

    def save(self) -> str:
        day = parse_date(self.value("decided_on"), field="decided_on")
        enforcement.vary_pspo(
            self.store,
            self.pspo.id,
            day,
            area=self.value("area"),
            prohibitions=self.value("prohibitions"),
        )
        return format_date(day)

    def confirmation(self, result: str) -> str:
        return f"PSPO varied on {result}; a High Court challenge window opens (s66)."
