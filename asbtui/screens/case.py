"""The case screen: everything recorded on one case, and the casework keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from asbtui.dates import format_date, format_datetime, london_today
from asbtui.errors import AsbError
from asbtui.literal import one_line, visible
from asbtui.models import CaseStatus, District, RiskLevel
from asbtui.services import cases
from asbtui.services.cases import CaseDetail
from asbtui.widgets.badges import due_badge, literal, risk_badge, status_badge
from asbtui.widgets.choice import ChoiceScreen

if TYPE_CHECKING:
    from asbtui.app import AsbApp

SECTIONS = ("people", "incidents", "notes", "actions")
UNALLOCATED = ""


class CaseScreen(Screen[bool]):
    """One case. Dismisses with True when anything on it was changed."""

    BINDINGS = [
        Binding("escape", "back", "Back to queue", id="case.back"),
        Binding("i", "add_incident", "Add incident", id="case.add_incident"),
        Binding("p", "add_party", "Add person", id="case.add_party"),
        Binding("s", "status", "Status", id="case.status"),
        Binding("o", "assign", "Owner", id="case.assign"),
        Binding("v", "review", "Review date", id="case.review"),
        Binding("k", "risk", "Risk", id="case.risk"),
        Binding("1", "section('people')", "People", id="case.people", show=False),
        Binding("2", "section('incidents')", "Incidents", id="case.incidents", show=False),
        Binding("3", "section('notes')", "Partner notes", id="case.notes", show=False),
        Binding("4", "section('actions')", "Actions", id="case.actions", show=False),
        Binding("f5", "refresh", "Refresh", id="case.refresh", show=False),
    ]

    @dataclass
    class DetailLoaded(Message):
        detail: CaseDetail

    @dataclass
    class LoadFailed(Message):
        error: str

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref
        self.detail: CaseDetail | None = None
        self.changed = False

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Text(self.ref, style="bold"), id="case-header")
        with VerticalScroll(id="case-body"):
            yield Static(id="case-summary")
            for section, title in zip(SECTIONS, ("People", "Incidents", "Partner notes",
                                                 "Enforcement actions"), strict=True):
                yield Label(Text(title), id=f"{section}-title", classes="section-title")
                yield DataTable(id=section, cursor_type="row", zebra_stripes=True,
                                classes="section")
        yield Static(id="row-detail")
        yield Footer()

    def on_mount(self) -> None:
        columns = {
            "people": ["Role", "Name", "Vulnerable", "Born", "Address", "Phone"],
            "incidents": ["When", "Channel", "Type", "Description", "Crime ref"],
            "notes": ["Date", "Agency", "Author", "Note"],
            "actions": ["Power", "Stage", "Since", "Next deadline", "Concerns"],
        }
        for section, headings in columns.items():
            self.query_one(f"#{section}", DataTable).add_columns(*(Text(h) for h in headings))
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading the case")
    def load(self) -> None:
        try:
            detail = cases.case_detail(self.asb.store, self.ref)
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.DetailLoaded(detail))

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title="Could not load the case", severity="error",
                    markup=False)

    @on(DetailLoaded)
    def show(self, message: DetailLoaded) -> None:
        d = self.detail = message.detail
        today = london_today(self.asb.clock())
        header = Text.assemble(
            (d.ref, "bold"), "  ", risk_badge(d.risk, padded=True), " ",
            status_badge(d.status, padded=True),
            ("  HATE-MOTIVATED" if d.hate_motivated else "", "bold magenta"),
            ("  VULNERABLE VICTIM" if d.has_vulnerable_party else "", "bold red"),
            f"\n{d.district.label} · {d.category.label} · opened {format_datetime(d.opened_at)}"
            f" by {d.channel.label.lower()}",
            "\nOwner: ", literal(d.owner_name or "unallocated"),
            f" ({d.owner_collar})" if d.owner_collar else "",
            " · Next review: ", due_badge(d.next_review, today) if d.next_review else Text("none"),
        )
        if d.closure_reason:
            header.append(f" · Closed {format_date(d.closed_at)}: {d.closure_reason.label}")
        self.query_one("#case-header", Static).update(header)
        location = f"{one_line(d.location)} {d.postcode}".strip()
        self.query_one("#case-summary", Static).update(Group(
            Text("Location: ", style="bold") + Text(location or "not recorded"),
            Text(visible(d.summary, keep_newlines=True)),
        ))
        self._fill("people", [
            [Text(p.role.label), literal(p.name),
             Text("Yes", style="bold red") if p.vulnerable else Text(""),
             Text(format_date(p.date_of_birth)), literal(p.address, 40), literal(p.phone)]
            for p in d.parties
        ], [p.id for p in d.parties], f"People ({len(d.parties)})")
        self._fill("incidents", [
            [Text(format_datetime(i.occurred_at)), Text(i.channel.label),
             Text(i.incident_type.label), literal(i.description, 50), literal(i.crime_ref)]
            for i in d.incidents
        ], [i.id for i in d.incidents], f"Incidents ({len(d.incidents)})")
        self._fill("notes", [
            [Text(format_date(n.written_at)), literal(n.agency, 28), literal(n.author),
             literal(n.text, 50)]
            for n in d.notes
        ], [n.id for n in d.notes], f"Partner notes ({len(d.notes)})")
        self._fill("actions", [
            [Text(a.power_label), literal(a.stage), Text(format_datetime(a.started_at)),
             Text(format_datetime(a.next_deadline_at)), literal(a.concerns, 30)]
            for a in d.actions
        ], [a.id for a in d.actions], f"Enforcement actions ({len(d.actions)})")
        self.sub_title = d.ref

    def _fill(self, section: str, rows: list[list[Text]], keys: list[str], title: str) -> None:
        table = self.query_one(f"#{section}", DataTable)
        cursor = table.cursor_row
        table.clear()
        for key, row in zip(keys, rows, strict=True):
            table.add_row(*row, key=key)
        if not rows:
            table.add_row(*[Text("none recorded", style="dim")] + [Text("")] * (
                len(table.columns) - 1), key="none")
        table.move_cursor(row=min(cursor, table.row_count - 1))
        self.query_one(f"#{section}-title", Label).update(Text(title))

    @on(DataTable.RowHighlighted)
    def show_row_detail(self, event: DataTable.RowHighlighted) -> None:
        """The full text of the highlighted row, which the table cuts short."""
        d = self.detail
        if d is None or event.row_key.value == "none" or not event.data_table.has_focus:
            return
        key = event.row_key.value
        section = event.data_table.id
        text = Text()
        if section == "people":
            p = next(p for p in d.parties if p.id == key)
            text = Text(f"{p.role.label}: {one_line(p.name)}" + (" (vulnerable)" if p.vulnerable
                                                              else "")
                        + f"\n{one_line(p.address)}  {one_line(p.phone)}\n"
                        + visible(p.notes, keep_newlines=True))
        elif section == "incidents":
            i = next(i for i in d.incidents if i.id == key)
            crime = f" · crime ref {one_line(i.crime_ref)}" if i.crime_ref else ""
            place = f" · {one_line(i.location)}" if i.location else ""
            text = Text(f"{format_datetime(i.occurred_at)} · {i.channel.label} · "
                        f"{i.incident_type.label}{crime}{place}\n"
                        + visible(i.description, keep_newlines=True))
        elif section == "notes":
            n = next(n for n in d.notes if n.id == key)
            text = Text(f"{format_datetime(n.written_at)} · {one_line(n.agency)} · "
                        f"{one_line(n.author)}\n" + visible(n.text, keep_newlines=True))
        elif section == "actions":
            a = next(a for a in d.actions if a.id == key)
            text = Text(f"{a.power_label} · {one_line(a.stage)} · {one_line(a.concerns)}\n"
                        + visible(a.notes, keep_newlines=True))
        self.query_one("#row-detail", Static).update(text)

    # ------------------------------------------------------------------ actions

    def _after_save(self, result: object) -> None:
        if result is not None:
            self.changed = True
            self.load()

    def action_back(self) -> None:
        self.dismiss(self.changed)

    def action_refresh(self) -> None:
        self.load()

    def action_section(self, section: str) -> None:
        table = self.query_one(f"#{section}", DataTable)
        table.focus()
        self.query_one(f"#{section}-title").scroll_visible()

    def action_add_incident(self) -> None:
        from asbtui.screens.incident import IncidentForm

        self.app.push_screen(IncidentForm(self.asb.store, self.ref), self._after_save)

    def action_add_party(self) -> None:
        from asbtui.screens.party import PartyForm

        self.app.push_screen(PartyForm(self.asb.store, self.ref), self._after_save)

    def action_status(self) -> None:
        from asbtui.screens.status import StatusForm

        if self.detail:
            self.app.push_screen(StatusForm(self.asb.store, self.ref, self.detail.status),
                                 self._after_save)

    def action_review(self) -> None:
        from asbtui.screens.review import ReviewForm

        if self.detail is None:
            return
        if self.detail.status is CaseStatus.CLOSED:
            self.notify("A closed case has no reviews; reopen it first (s).", markup=False)
            return
        self.app.push_screen(ReviewForm(self.asb.store, self.ref, self.detail.next_review),
                             self._after_save)

    def action_assign(self) -> None:
        if self.detail is None:
            return
        district = self.detail.district
        officers = cases.officers(self.asb.store, District(district))
        choices = [("Unallocated", UNALLOCATED)] + [
            (Text(f"{o.collar:<10} {one_line(o.name)}"), o.collar) for o in officers
        ]
        self.app.push_screen(
            ChoiceScreen(f"Give {self.ref} to", choices, self.detail.owner_collar or UNALLOCATED),
            self._assign,
        )

    def _assign(self, collar: str | None) -> None:
        if collar is None:
            return
        try:
            name = cases.assign_owner(self.asb.store, self.ref, collar or None)
        except AsbError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(f"{self.ref} given to {name}." if name else f"{self.ref} is unallocated.",
                    title="Saved", markup=False)
        self._after_save(collar)

    def action_risk(self) -> None:
        if self.detail is None:
            return
        choices = [(r.label, r) for r in RiskLevel]

        def chosen(risk: RiskLevel | None) -> None:
            if risk is None or self.detail is None or risk == self.detail.risk:
                return
            try:
                cases.set_risk(self.asb.store, self.ref, risk)
            except AsbError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.notify(f"{self.ref} risk is now {risk.label.lower()}.", title="Saved",
                        markup=False)
            self._after_save(risk)

        self.app.push_screen(ChoiceScreen(f"Risk to the victim on {self.ref}", choices,
                                          self.detail.risk), chosen)
