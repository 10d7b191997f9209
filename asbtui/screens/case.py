"""The case screen: everything recorded on one case, and the casework keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from asbtui.dates import format_date, format_datetime, london_today
from asbtui.errors import AsbError
from asbtui.literal import one_line, visible
from asbtui.models import CaseStatus, DeadlineStatus, District, RiskLevel
from asbtui.services import case_review, cases, enforcement
from asbtui.services.case_review import ReviewView, ThresholdStatus
from asbtui.services.cases import CaseDetail
from asbtui.services.enforcement import ActionDetail, DeadlineView
from asbtui.widgets.badges import due_badge, literal, next_due_badge, risk_badge, status_badge
from asbtui.widgets.choice import ChoiceScreen

if TYPE_CHECKING:
    from asbtui.app import AsbApp

SECTIONS = ("people", "incidents", "notes", "actions", "deadlines")
TITLES = ("People", "Incidents", "Partner notes", "Enforcement actions", "Deadlines")
UNALLOCATED = ""


class CaseScreen(Screen[bool]):
    """One case. Dismisses with True when anything on it was changed."""

    # Short descriptions fit the footer at 80 columns; tooltips name the action in full
    # in the command palette and the help screen.
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the queue", id="case.back"),
        Binding("i", "add_incident", "Incident", tooltip="Add incident", id="case.add_incident"),
        Binding("p", "add_party", "Person", tooltip="Add person", id="case.add_party"),
        Binding(
            "e",
            "start_action",
            "Enforce",
            tooltip="Start an enforcement action",
            id="case.start_action",
        ),
        Binding(
            "t",
            "next_step",
            "Step",
            tooltip="Record the next step of an action",
            id="case.next_step",
        ),
        Binding("s", "status", "Status", tooltip="Change status", id="case.status"),
        Binding("o", "assign", "Owner", tooltip="Give the case to an officer", id="case.assign"),
        Binding("v", "review", "Review", tooltip="Set the next review date", id="case.review"),
        Binding(
            "r",
            "case_review",
            "Case review",
            tooltip="ASB Case Review (Community Trigger)",
            id="case.case_review",
        ),
        Binding("k", "risk", "Risk", tooltip="Set the risk to the victim", id="case.risk"),
        Binding(
            "c",
            "resolve_deadline(False)",
            "Deadline met",
            tooltip="Mark the highlighted deadline met",
            id="case.deadline_met",
            show=False,
        ),
        Binding(
            "x",
            "resolve_deadline(True)",
            "Deadline missed",
            tooltip="Mark the highlighted deadline missed, with the reason",
            id="case.deadline_missed",
            show=False,
        ),
        Binding("1", "section('people')", "People", id="case.people", show=False),
        Binding("2", "section('incidents')", "Incidents", id="case.incidents", show=False),
        Binding("3", "section('notes')", "Partner notes", id="case.notes", show=False),
        Binding("4", "section('actions')", "Actions", id="case.actions", show=False),
        Binding("5", "section('deadlines')", "Deadlines", id="case.deadlines", show=False),
        Binding("f5", "refresh", "Refresh", id="case.refresh", show=False),
    ]

    @dataclass
    class DetailLoaded(Message):
        detail: CaseDetail
        actions: list[ActionDetail]
        deadlines: list[DeadlineView]
        threshold: ThresholdStatus | None = None
        review: ReviewView | None = None

    @dataclass
    class LoadFailed(Message):
        error: str

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref
        self.detail: CaseDetail | None = None
        self.actions: list[ActionDetail] = []
        self.deadlines: list[DeadlineView] = []
        self.changed = False

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Text(self.ref, style="bold"), id="case-header")
        with VerticalScroll(id="case-body"):
            yield Static(id="case-summary")
            for section, title in zip(SECTIONS, TITLES, strict=True):
                yield Label(Text(title), id=f"{section}-title", classes="section-title")
                yield DataTable(
                    id=section, cursor_type="row", zebra_stripes=True, classes="section"
                )
        yield Static(id="row-detail")
        yield Footer()

    def on_mount(self) -> None:
        columns = {
            "people": ["Role", "Name", "Vulnerable", "Born", "Address", "Phone"],
            "incidents": ["When", "Channel", "Type", "Description", "Crime ref"],
            "notes": ["Date", "Agency", "Author", "Note"],
            "actions": ["Power", "Stage", "Since", "Next deadline", "Concerns"],
            "deadlines": ["Due", "Deadline", "Status", "Law"],
        }
        for section, headings in columns.items():
            self.query_one(f"#{section}", DataTable).add_columns(*(Text(h) for h in headings))
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading the case")
    def load(self) -> None:
        try:
            detail = cases.case_detail(self.asb.store, self.ref)
            actions = enforcement.case_actions(self.asb.store, detail.id)
            deadlines = enforcement.case_deadlines(self.asb.store, detail.id)
            threshold = case_review.threshold_status(
                self.asb.store,
                self.ref,
                london_today(self.asb.clock()),
                self.asb.settings.case_review_threshold,
            )
            review = case_review.review_in_progress(self.asb.store, self.ref)
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.DetailLoaded(detail, actions, deadlines, threshold, review))

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title="Could not load the case", severity="error", markup=False)

    @on(DetailLoaded)
    def show(self, message: DetailLoaded) -> None:
        d = self.detail = message.detail
        self.actions, self.deadlines = message.actions, message.deadlines
        now = self.asb.clock()
        today = london_today(now)
        header = Text.assemble(
            (d.ref, "bold"),
            "  ",
            risk_badge(d.risk, padded=True),
            " ",
            status_badge(d.status, padded=True),
            ("  HATE-MOTIVATED" if d.hate_motivated else "", "bold magenta"),
            ("  VULNERABLE VICTIM" if d.has_vulnerable_party else "", "bold red"),
            f"\n{d.district.label} · {d.category.label} · opened {format_datetime(d.opened_at)}"
            f" by {d.channel.label.lower()}",
            "\nOwner: ",
            literal(d.owner_name or "unallocated"),
            f" ({d.owner_collar})" if d.owner_collar else "",
            " · Next review: ",
            due_badge(d.next_review, today) if d.next_review else Text("none"),
        )
        if d.next_deadline_at:
            header.append(" · Next deadline: ")
            header.append(next_due_badge((d.next_deadline_at, True), now, full=True))
        flags = []
        # The list of cases meeting the threshold (f4) is of open cases; so is this prompt.
        if message.threshold and message.threshold.met and d.status is not CaseStatus.CLOSED:
            count = message.threshold.count
            flag = f"CASE REVIEW THRESHOLD MET ({count} reports in 6 months)"
            flags.append(Text(flag, "bold black on yellow"))
        if message.review is not None:
            flags.append(Text(f"ASB Case Review: {message.review.state} (r)", "bold"))
        if flags:
            header.append("\n")
            header.append(Text(" · ").join(flags))
        if d.closure_reason:
            header.append(f" · Closed {format_date(d.closed_at)}: {d.closure_reason.label}")
        self.query_one("#case-header", Static).update(header)
        location = f"{one_line(d.location)} {d.postcode}".strip()
        self.query_one("#case-summary", Static).update(
            Group(
                Text("Location: ", style="bold") + Text(location or "not recorded"),
                Text(visible(d.summary, keep_newlines=True)),
            )
        )
        self._fill(
            "people",
            [
                [
                    Text(p.role.label),
                    literal(p.name),
                    Text("Yes", style="bold red") if p.vulnerable else Text(""),
                    Text(format_date(p.date_of_birth)),
                    literal(p.address, 40),
                    literal(p.phone),
                ]
                for p in d.parties
            ],
            [p.id for p in d.parties],
            f"People ({len(d.parties)})",
        )
        self._fill(
            "incidents",
            [
                [
                    Text(format_datetime(i.occurred_at)),
                    Text(i.channel.label),
                    Text(i.incident_type.label),
                    literal(i.description, 50),
                    literal(i.crime_ref),
                ]
                for i in d.incidents
            ],
            [i.id for i in d.incidents],
            f"Incidents ({len(d.incidents)})",
        )
        self._fill(
            "notes",
            [
                [
                    Text(format_date(n.written_at)),
                    literal(n.agency, 28),
                    literal(n.author),
                    literal(n.text, 50),
                ]
                for n in d.notes
            ],
            [n.id for n in d.notes],
            f"Partner notes ({len(d.notes)})",
        )
        self._fill(
            "actions",
            [
                [
                    Text(a.power.label),
                    Text(a.stage_label + (" (ended)" if a.closed else "")),
                    Text(format_datetime(a.started_at)),
                    next_due_badge((a.next_deadline_at, True), now)
                    if a.next_deadline_at
                    else Text(""),
                    literal(a.concerns, 30),
                ]
                for a in self.actions
            ],
            [a.id for a in self.actions],
            f"Enforcement actions ({len(self.actions)})",
        )
        open_count = sum(dl.status is DeadlineStatus.OPEN for dl in self.deadlines)
        self._fill(
            "deadlines",
            [
                [
                    next_due_badge((dl.due_at, True), now)
                    if dl.status is DeadlineStatus.OPEN
                    else Text(format_datetime(dl.due_at), style="dim"),
                    literal(dl.label, 50),
                    Text(dl.status.label),
                    Text(dl.source),
                ]
                for dl in self.deadlines
            ],
            [dl.id for dl in self.deadlines],
            f"Deadlines ({open_count} open)",
        )
        self.sub_title = d.ref

    def _fill(self, section: str, rows: list[list[Text]], keys: list[str], title: str) -> None:
        table = self.query_one(f"#{section}", DataTable)
        cursor = table.cursor_row
        table.clear()
        for key, row in zip(keys, rows, strict=True):
            table.add_row(*row, key=key)
        if not rows:
            table.add_row(
                *[Text("none recorded", style="dim")] + [Text("")] * (len(table.columns) - 1),
                key="none",
            )
        table.move_cursor(row=min(cursor, table.row_count - 1))
        self.query_one(f"#{section}-title", Label).update(Text(title))

    @on(DataTable.RowHighlighted)
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus:
            self.show_row_detail(event.data_table.id or "", event.row_key.value)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        table = event.widget
        if isinstance(table, DataTable) and table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            self.show_row_detail(table.id or "", key)

    def show_row_detail(self, section: str, key: str | None) -> None:
        """The full text of the highlighted row, which the table cuts short."""
        d = self.detail
        if d is None or key is None or key == "none":
            self.query_one("#row-detail", Static).update("")
            return
        text = Text()
        if section == "people":
            p = next(p for p in d.parties if p.id == key)
            text = Text(
                f"{p.role.label}: {one_line(p.name)}"
                + (" (vulnerable)" if p.vulnerable else "")
                + f"\n{one_line(p.address)}  {one_line(p.phone)}\n"
                + visible(p.notes, keep_newlines=True)
            )
        elif section == "incidents":
            i = next(i for i in d.incidents if i.id == key)
            crime = f" · crime ref {one_line(i.crime_ref)}" if i.crime_ref else ""
            place = f" · {one_line(i.location)}" if i.location else ""
            text = Text(
                f"{format_datetime(i.occurred_at)} · {i.channel.label} · "
                f"{i.incident_type.label}{crime}{place}\n"
                + visible(i.description, keep_newlines=True)
            )
        elif section == "notes":
            n = next(n for n in d.notes if n.id == key)
            text = Text(
                f"{format_datetime(n.written_at)} · {one_line(n.agency)} · "
                f"{one_line(n.author)}\n" + visible(n.text, keep_newlines=True)
            )
        elif section == "actions":
            a = next(a for a in self.actions if a.id == key)
            lines = [
                f"{a.power.label} · {one_line(a.concerns)}"
                + (f" · conduct: {one_line(a.conduct)}" if a.conduct else "")
            ]
            for step in a.steps:
                who = f" by {step.authority.label.lower()}" if step.authority else ""
                named = f" ({one_line(step.authorised_by)})" if step.authorised_by else ""
                ends = f", until {format_datetime(step.ends_at)}" if step.ends_at else ""
                lines.append(f"{format_datetime(step.occurred_at)}  {step.label}{who}{named}{ends}")
            if a.next_stages:
                lines.append("Next (t): " + ", ".join(label for _, label in a.next_stages))
            text = Text("\n".join(lines))
        elif section == "deadlines":
            dl = next(x for x in self.deadlines if x.id == key)
            text = Text(
                f"{dl.label} · due {format_datetime(dl.due_at)} · {dl.source} · "
                f"{dl.status.label}"
                + (f": {one_line(dl.resolution)}" if dl.resolution else "")
                + (
                    "\nc: met · x: missed (with the reason)"
                    if dl.status is DeadlineStatus.OPEN
                    else ""
                )
            )
        self.query_one("#row-detail", Static).update(text)

    # ------------------------------------------------------------------ actions

    def _highlighted(self, section: str) -> str | None:
        table = self.query_one(f"#{section}", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key == "none" else str(key)

    def action_start_action(self) -> None:
        from asbtui.screens.action import ActionForm

        if self.detail is None:
            return
        pspos = enforcement.pspo_register(self.asb.store, self.detail.district)
        self.app.push_screen(
            ActionForm(self.asb.store, self.ref, self.detail.parties, self.actions, pspos),
            self._after_save,
        )

    def action_next_step(self) -> None:
        from asbtui.screens.action import StepForm

        open_actions = [a for a in self.actions if a.next_stages]
        if not open_actions:
            self.notify("No action on this case has a next step; start one with e.", markup=False)
            return
        chosen = self._highlighted("actions")
        action = next((a for a in open_actions if a.id == chosen), None)
        if action is None and len(open_actions) == 1:
            action = open_actions[0]
        if action is None:
            choices = [
                (Text(f"{a.power.label}: {a.stage_label} ({one_line(a.concerns)})"), a.id)
                for a in open_actions
            ]

            def picked(action_id: str | None) -> None:
                picked_action = next((a for a in open_actions if a.id == action_id), None)
                if picked_action:
                    self.app.push_screen(StepForm(self.asb.store, picked_action), self._after_save)

            self.app.push_screen(ChoiceScreen("Next step of which action?", choices), picked)
            return
        self.app.push_screen(StepForm(self.asb.store, action), self._after_save)

    def action_resolve_deadline(self, missed: bool) -> None:
        from asbtui.screens.action import ResolveDeadlineForm

        key = self._highlighted("deadlines")
        deadline = next((d for d in self.deadlines if d.id == key), None)
        if deadline is None or deadline.status is not DeadlineStatus.OPEN:
            self.notify(
                "Highlight an open deadline in the Deadlines section (5) first.", markup=False
            )
            return
        self.app.push_screen(
            ResolveDeadlineForm(self.asb.store, deadline, missed), self._after_save
        )

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
        self.call_after_refresh(table.scroll_visible, animate=False)

    def action_add_incident(self) -> None:
        from asbtui.screens.incident import IncidentForm

        self.app.push_screen(IncidentForm(self.asb.store, self.ref), self._after_save)

    def action_add_party(self) -> None:
        from asbtui.screens.party import PartyForm

        self.app.push_screen(PartyForm(self.asb.store, self.ref), self._after_save)

    def action_status(self) -> None:
        from asbtui.screens.status import StatusForm

        if self.detail:
            self.app.push_screen(
                StatusForm(self.asb.store, self.ref, self.detail.status), self._after_save
            )

    def action_case_review(self) -> None:
        from asbtui.screens.case_review import review_form

        if self.detail is None:
            return
        form = review_form(
            self.asb.store,
            self.ref,
            self.asb.settings.case_review_threshold,
            london_today(self.asb.clock()),
        )
        self.app.push_screen(form, self._after_save)

    def action_review(self) -> None:
        from asbtui.screens.review import ReviewForm

        if self.detail is None:
            return
        if self.detail.status is CaseStatus.CLOSED:
            self.notify("A closed case has no reviews; reopen it first (s).", markup=False)
            return
        self.app.push_screen(
            ReviewForm(self.asb.store, self.ref, self.detail.next_review), self._after_save
        )

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
        self.notify(
            f"{self.ref} given to {name}." if name else f"{self.ref} is unallocated.",
            title="Saved",
            markup=False,
        )
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
            self.notify(
                f"{self.ref} risk is now {risk.label.lower()}.", title="Saved", markup=False
            )
            self._after_save(risk)

        self.app.push_screen(
            ChoiceScreen(f"Risk to the victim on {self.ref}", choices, self.detail.risk), chosen
        )
