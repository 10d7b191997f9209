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


class PspoScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the queue", id="pspo.back"),
        Binding("n", "add", "New PSPO", tooltip="Register a PSPO", id="pspo.add"),
        Binding("x", "extend", "Extend", tooltip="Extend the highlighted PSPO", id="pspo.extend"),
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
        table.clear()
        for p in self.rows:
            table.add_row(
                Text(one_line(p.title)),
                Text(format_date(p.made_on)),
                Text(format_date(p.expires_on)),
                pspo_state(p, today),
                Text(str(p.breaches)),
                key=p.id,
            )
        if not self.rows:
            self.query_one("#row-detail", Static).update(Text("No PSPOs registered here."))

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

    def action_extend(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        p = next((r for r in self.rows if r.id == key), None)
        if p is not None:
            self.app.push_screen(PspoExtendForm(self.asb.store, p), lambda _r: self.load())


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
            "At most 3 years after it is made (s60)",
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
            "Up to 3 years more at a time",
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
