"""SARA problem profiles: the list (f6), one problem, and the forms that move it on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static, TextArea

from asbtui.dates import format_date, london_today, parse_date
from asbtui.errors import AsbError, Forbidden, InvalidInput
from asbtui.literal import one_line, plural, visible
from asbtui.models import District, ProblemStage
from asbtui.screens.district_list import DistrictListScreen
from asbtui.services import access, cases
from asbtui.services import problems as service
from asbtui.services.access import Permission
from asbtui.services.patterns import Pattern, PatternKind
from asbtui.services.problems import Assessment, ProblemDetail, ProblemStep, ProblemSummary
from asbtui.widgets.choice import ChoiceScreen
from asbtui.widgets.footer import Footer
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.app import AsbApp
    from asbtui.db import Store

STREET_PATTERNS = (PatternKind.STREET, PatternKind.HOTSPOT_STREET)
NONE_KEY = "none"


def _optional_date(value: str, field: str) -> date | None:
    return parse_date(value, field=field) if value.strip() else None


def stage_line(stage: ProblemStage) -> Text:
    """Scan ▸ Analyse ▸ Respond ▸ Assess ▸ Closed, the current stage in reverse and caps."""
    text = Text()
    for index, each in enumerate(ProblemStage):
        if index:
            text.append(" ▸ ", style="dim")
        if each is stage:
            text.append(f" {each.label.upper()} ", style="reverse bold")
        else:
            text.append(each.label, style="" if index > list(ProblemStage).index(stage) else "dim")
    return text


TITLE_WIDTH = 24
BEFORE_AFTER_WIDTH = 20
LIST_COLUMNS = (
    ("Title", TITLE_WIDTH),
    ("Dist", 4),
    ("Stage", 7),
    ("Cases", 5),
    ("Resp.", 5),
    ("Before → after", BEFORE_AFTER_WIDTH),
)


def before_after(assessment: Assessment, width: int | None = None) -> Text:
    """'8 → 4 (-4, -50%)' in the list: fewer reports green, more red, with the sign; cut
    with "…" to ``width`` (the detail line has it in full)."""
    if not assessment.measured or assessment.change is None:
        return Text("not started", style="dim")
    style = "green" if assessment.change < 0 else ("red" if assessment.change > 0 else "")
    return Text(one_line(assessment.summary(), width), style=style)


# ---------------------------------------------------------------------------- forms


class NewProblemForm(FormScreen[str]):
    """Open a problem profile: a title, its lead, its street; the cases come with it."""

    TITLE_TEXT = "New problem profile"

    def __init__(
        self,
        store: Store,
        *,
        district: District,
        title: str = "",
        case_refs: list[str] | None = None,
        street_key: str = "",
        owner: str = "",
        today: date | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.district = district
        self.initial_title = title
        self.case_refs = list(case_refs or [])
        self.street_key = street_key
        self.owner = owner
        self.today = today
        self.TITLE_TEXT = f"New problem profile · {district.label}"

    @classmethod
    def from_pattern(cls, store: Store, pattern: Pattern, now: datetime) -> NewProblemForm:
        """Titled by the pattern, with its cases and (for a street) its street."""
        officer = cases.device_officer(store)
        return cls(
            store,
            district=pattern.district,
            title=one_line(pattern.label, 200),
            case_refs=pattern.case_refs,
            street_key=pattern.key if pattern.kind in STREET_PATTERNS else "",
            owner=officer.collar if officer else "",
            today=london_today(now),
        )

    def fields(self) -> ComposeResult:
        refs = ", ".join(self.case_refs) or "none yet"
        yield FieldRow(
            "Title",
            Input(value=self.initial_title, id="title", max_length=200),
            "title",
            f"Cases: {refs}",
        )
        yield FieldRow(
            "Lead",
            Input(value=self.owner, id="owner", max_length=120),
            "owner",
            "Collar number or name",
        )
        yield FieldRow(
            "Street",
            Input(value=self.street_key.title(), id="street_key", max_length=300),
            "street_key",
            "police.uk reports on this street count too (blank: cases only)",
        )

    def save(self) -> str:
        return service.open_problem(
            self.store,
            self.value("title"),
            self.district,
            self.value("owner"),
            self.case_refs,
            street_key=self.value("street_key"),
            today=self.today,
        )

    def confirmation(self, result: str) -> str:
        count = len(self.case_refs)
        return f"Problem opened with {count} case{'s' if count != 1 else ''}; f6 lists problems."


class AnalysisForm(FormScreen[ProblemStage]):
    """The problem analysis triangle: victim, offender, location."""

    def __init__(self, store: Store, detail: ProblemDetail) -> None:
        super().__init__()
        self.store = store
        self.detail = detail
        self.TITLE_TEXT = f"Analysis · {one_line(detail.title, 50)}"

    def fields(self) -> ComposeResult:
        d = self.detail
        for name, label, text, hint in (
            ("victim", "Victim", d.victim_analysis, "Who is harmed, how often, how vulnerable"),
            ("offender", "Offender", d.offender_analysis, "Who causes it and why"),
            ("location", "Location", d.location_analysis, "What about the place allows it"),
        ):
            yield FieldRow(label, TextArea(text, id=name, soft_wrap=True), name, hint)

    def save(self) -> ProblemStage:
        return service.record_analysis(
            self.store,
            self.detail.id,
            victim=self.value("victim"),
            offender=self.value("offender"),
            location=self.value("location"),
        )

    def confirmation(self, result: ProblemStage) -> str:
        return f"Analysis recorded; the problem is at {result.label}."


class ResponseForm(FormScreen[str]):
    """A partnership response: what, who owns it, which agency, by when."""

    checks = {"due_on": lambda value: _optional_date(value, "due_on")}

    def __init__(self, store: Store, detail: ProblemDetail, today: date) -> None:
        super().__init__()
        self.store = store
        self.detail = detail
        self.today = today
        self.TITLE_TEXT = f"Add a response · {one_line(detail.title, 50)}"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "Response", Input(id="action", max_length=4000), "action", "What will be done"
        )
        yield FieldRow(
            "Owner",
            Input(id="owner", max_length=120),
            "owner",
            "Who does it (name or collar number)",
        )
        yield FieldRow(
            "Agency",
            Input(id="agency", max_length=120),
            "agency",
            "Police, council, housing provider, ...",
        )
        yield FieldRow(
            "Due",
            Input(id="due_on", placeholder="DD/MM/YYYY"),
            "due_on",
            "DD/MM/YYYY, if there is a date",
        )

    def save(self) -> str:
        return service.add_response(
            self.store,
            self.detail.id,
            self.value("action"),
            self.value("owner"),
            self.value("agency"),
            _optional_date(self.value("due_on"), "due_on"),
            today=self.today,
        )

    def confirmation(self, result: str) -> str:
        return "Response added."


class CompleteResponseForm(FormScreen[date]):
    """Mark a response done, on a date (today unless told otherwise)."""

    checks = {"done_on": lambda value: parse_date(value, field="done_on")}

    def __init__(self, store: Store, response: service.ResponseView, today: date) -> None:
        super().__init__()
        self.store = store
        self.response = response
        self.today = today
        self.TITLE_TEXT = f"Done: {one_line(response.action, 60)}"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "Done on",
            Input(value=format_date(self.today), id="done_on"),
            "done_on",
            "DD/MM/YYYY, today or earlier",
        )

    def save(self) -> date:
        done_on = parse_date(self.value("done_on"), field="done_on")
        return service.complete_response(self.store, self.response.id, done_on, today=self.today)

    def confirmation(self, result: date) -> str:
        return f"Response done on {format_date(result)}."


class AssessmentForm(FormScreen[ProblemStage]):
    """Did it work? Written beside the reports counted before and after."""

    def __init__(self, store: Store, detail: ProblemDetail) -> None:
        super().__init__()
        self.store = store
        self.detail = detail
        self.TITLE_TEXT = f"Assessment · {one_line(detail.title, 50)}"

    def fields(self) -> ComposeResult:
        a = self.detail.assessment
        yield FieldRow(
            "Assessment",
            TextArea(self.detail.assessment_text, id="assessment", soft_wrap=True),
            "assessment",
            f"Reports {a.months} months before → after: {a.summary()}",
        )

    def save(self) -> ProblemStage:
        return service.assess(self.store, self.detail.id, self.value("assessment"))

    def confirmation(self, result: ProblemStage) -> str:
        return "Assessment recorded."


REF_SEPARATORS = re.compile(r"[\s,;]+")


def split_refs(text: str) -> list[str]:
    """The references typed, split at spaces, commas or semicolons ('a, b c' -> a, b, c)."""
    return [ref for ref in REF_SEPARATORS.split(text or "") if ref]


class LinkCasesForm(FormScreen[int]):
    """Group more cases into a problem: one or more references, spaces or commas between."""

    def __init__(self, store: Store, detail: ProblemDetail) -> None:
        super().__init__()
        self.store = store
        self.detail = detail
        self.TITLE_TEXT = f"Link cases · {one_line(detail.title, 50)}"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "Cases",
            Input(id="case_refs", max_length=2000),
            "case_refs",
            "Case references, separated by spaces or commas",
        )

    def save(self) -> int:
        refs = split_refs(self.value("case_refs"))
        if not refs:
            raise InvalidInput("Type at least one case reference.", "case_refs")
        try:
            return service.link_cases(self.store, self.detail.id, refs)
        except Forbidden:
            raise
        except InvalidInput as error:
            if error.field == "case_refs":
                raise
            # A closed problem (field "stage") is about what was typed here too.
            raise InvalidInput(str(error), "case_refs") from error
        except AsbError as error:  # an unknown reference: said beside the field
            raise InvalidInput(str(error), "case_refs") from error

    def action_save(self) -> None:
        # A role that may not work problems is told so in a notification, and the form goes
        # (the service checks again; its refusal would show on the form, never a traceback).
        try:
            access.require(self.store, Permission.SOLVE_PROBLEMS)
        except Forbidden as error:
            self.app.notify(str(error), title="Not allowed", severity="error", markup=False)
            self.dismiss(None)
            return
        super().action_save()

    def confirmation(self, result: int) -> str:
        if not result:
            return "Those cases were part of this problem already."
        return f"{result} case{'s' if result != 1 else ''} linked."


# ---------------------------------------------------------------------------- the list


class ProblemsScreen(DistrictListScreen):
    """Problem profiles of a district (or all): stage, cases, responses, before and after."""

    FAILED_TITLE = "Could not load the problems"

    BINDINGS = [
    ]

    @dataclass
    class Loaded(Message):
        rows: list[ProblemSummary]

    def __init__(self, district: District | None) -> None:
        super().__init__(district)
        self.rows: list[ProblemSummary] = []

    def compose(self) -> ComposeResult:
        yield Static(id="problems-title")
        yield DataTable(id="problem-list", cursor_type="row", zebra_stripes=True)
        yield Static(id="row-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for heading, width in LIST_COLUMNS:
            table.add_column(Text(heading), width=width)
        self.load()
        table.focus()

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading problems")
    def load(self) -> None:
        try:
            rows = service.problems(self.asb.store, self.district, now=self.asb.clock())
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.Loaded(rows))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.rows = message.rows
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for p in self.rows:
            dim = "dim" if p.stage is ProblemStage.CLOSED else ""
            table.add_row(
                Text(one_line(p.title, TITLE_WIDTH), style=dim),
                Text(p.district.value if p.district else ""),
                Text(p.stage.label, style=dim),
                Text(str(p.cases)),
                Text(f"{p.responses_done}/{p.responses_total}"),
                before_after(p.assessment, BEFORE_AFTER_WIDTH),
                key=p.id,
            )
        if self.rows:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        else:
            self.query_one("#row-detail", Static).update(
                Text(
                    "No problem profiles yet: start one from a pattern of concern (f3, then n).",
                    style="dim",
                )
            )
        where = self.district.label if self.district else "All districts"
        open_count = sum(p.stage is not ProblemStage.CLOSED for p in self.rows)
        self.query_one("#problems-title", Static).update(
            Text(
                f"Problem profiles (SARA) · {where} · {open_count:,} open of {len(self.rows):,}",
                style="bold",
            )
        )

    @on(DataTable.RowHighlighted)
    def detail(self, event: DataTable.RowHighlighted) -> None:
        p = next((r for r in self.rows if r.id == event.row_key.value), None)
        if p is None:
            return
        a = p.assessment
        measured = (
            f"Reports in the {a.months} months before responses started "
            f"({format_date(a.started_on)}) → since: {a.summary()}"
            if a.measured
            else "No response yet: reports are compared once the first one is added."
        )
        self.query_one("#row-detail", Static).update(
            Text(
                f"{one_line(p.title)} · {p.stage.label} · lead {one_line(p.owner) or 'none'} · "
                f"opened {format_date(p.opened_on)} · id {p.short_id}\n{measured}"
            )
        )

    @on(DataTable.RowSelected)
    def open_problem(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(
                ProblemScreen(str(event.row_key.value)),
                lambda changed: self.load() if changed else None,
            )


# ---------------------------------------------------------------------------- one problem


class ProblemScreen(Screen[bool]):
    """One problem profile. Dismisses with True when anything on it was changed."""

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the problem list", id="problem.back"),
        Binding(
            "a",
            "analysis",
            "Analysis",
            tooltip="Record the analysis: victim, offender, location",
            id="problem.analysis",
        ),
        Binding(
            "n", "add_response", "Response", tooltip="Add a response", id="problem.add_response"
        ),
        Binding(
            "c",
            "complete_response",
            "Done",
            tooltip="Mark the highlighted response done",
            id="problem.complete_response",
        ),
        Binding(
            "s",
            "assess",
            "Assess",
            tooltip="Write the assessment (did it work?)",
            id="problem.assess",
        ),
        Binding("x", "close", "Close", tooltip="Close the problem", id="problem.close"),
        Binding(
            "l",
            "link_cases",
            "Link",
            tooltip="Link more cases to the problem (type their references)",
            id="problem.link_cases",
        ),
        Binding(
            "u",
            "unlink_case",
            "Unlink",
            tooltip="Take the highlighted case out of the problem",
            id="problem.unlink_case",
        ),
        Binding("1", "section('problem-cases')", "Cases", id="problem.cases", show=False),
        Binding("2", "section('responses')", "Responses", id="problem.responses", show=False),
        Binding("f5", "refresh", "Refresh", id="problem.refresh", show=False),
    ]

    @dataclass
    class Loaded(Message):
        detail: ProblemDetail

    @dataclass
    class LoadFailed(Message):
        error: str

    def __init__(self, problem_id: str) -> None:
        super().__init__()
        self.problem_id = problem_id
        self.detail: ProblemDetail | None = None
        self.changed = False

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="problem-header")
        with VerticalScroll(id="problem-body"):
            yield Label(Text("Cases"), id="problem-cases-title", classes="section-title")
            yield DataTable(
                id="problem-cases", cursor_type="row", zebra_stripes=True, classes="section"
            )
            yield Label(Text("Analysis: the problem analysis triangle"), classes="section-title")
            yield Static(id="triangle")
            yield Label(Text("Responses"), id="responses-title", classes="section-title")
            yield DataTable(
                id="responses", cursor_type="row", zebra_stripes=True, classes="section"
            )
            yield Label(Text("Assessment"), classes="section-title")
            yield Static(id="assessment")
        yield Static(id="row-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#problem-cases", DataTable).add_columns(
            *(Text(h) for h in ("Case", "Status", "Reports", "Location"))
        )
        self.query_one("#responses", DataTable).add_columns(
            *(Text(h) for h in ("Response", "Owner", "Agency", "Due", "Done"))
        )
        self.load()
        self.query_one("#problem-cases", DataTable).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading the problem")
    def load(self) -> None:
        try:
            detail = service.problem_detail(self.asb.store, self.problem_id, now=self.asb.clock())
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.Loaded(detail))

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.notify(
            message.error, title="Could not load the problem", severity="error", markup=False
        )

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        d = self.detail = message.detail
        where = d.district.label if d.district else "No district"
        street = f" · street {one_line(d.street_label)}" if d.street_key else ""
        self.query_one("#problem-header", Static).update(
            Text.assemble(
                (one_line(d.title), "bold"),
                "\n",
                stage_line(d.stage),
                f"\n{where} · lead {one_line(d.owner) or 'none'} · opened "
                f"{format_date(d.opened_on)}{street} · id {d.short_id}",
            )
        )
        self._fill(
            "problem-cases",
            [
                [
                    Text(c.ref),
                    Text(c.status.label),
                    Text(str(c.incidents)),
                    Text(one_line(c.location, 40)),
                ]
                for c in d.cases
            ],
            [c.ref for c in d.cases],
            f"Cases ({len(d.cases)})",
        )
        done = sum(r.done for r in d.responses)
        self._fill(
            "responses",
            [
                [
                    Text(one_line(r.action, 28)),
                    Text(one_line(r.owner, 12)),
                    Text(one_line(r.agency, 14)),
                    Text(format_date(r.due_on)),
                    Text(format_date(r.done_on)) if r.done else Text("open", style="bold"),
                ]
                for r in d.responses
            ],
            [r.id for r in d.responses],
            f"Responses ({done} of {len(d.responses)} done)",
        )
        triangle = Table(box=None, expand=True, show_header=True, header_style="bold")
        for side in ("Victim", "Offender", "Location"):
            triangle.add_column(side, ratio=1)
        sides = (d.victim_analysis, d.offender_analysis, d.location_analysis)
        if any(sides):
            triangle.add_row(
                *(
                    Text(visible(s, keep_newlines=True)) if s else Text("not recorded", style="dim")
                    for s in sides
                )
            )
        else:
            triangle.add_row(*(Text("not analysed yet (a)", style="dim") for _ in sides))
        self.query_one("#triangle", Static).update(triangle)
        self.query_one("#assessment", Static).update(self._assessment(d))
        self.sub_title = one_line(d.title, 40)

    @staticmethod
    def _assessment(d: ProblemDetail) -> Group:
        a = d.assessment
        lines: list[Text] = []
        if a.measured:
            day_before = a.started_on - timedelta(days=1) if a.started_on else None
            lines.append(
                Text.assemble(
                    ("Reports before → after: ", "bold"),
                    before_after(a),
                    f" (responses started {format_date(a.started_on)})",
                    f"\nBefore, {format_date(a.before_from)} to {format_date(day_before)}: "
                    f"{plural(a.before_cases, 'case incident')}, "
                    f"{plural(a.before_imported, 'police.uk report')}",
                    f"\nAfter, {format_date(a.started_on)} to {format_date(a.after_until)}"
                    f"{'' if a.complete else ' (still running)'}: "
                    f"{plural(a.after_cases, 'case incident')}, "
                    f"{plural(a.after_imported, 'police.uk report')}",
                )
            )
        else:
            lines.append(
                Text("Reports are compared before and after the first response.", style="dim")
            )
        lines.append(
            Text(visible(d.assessment_text, keep_newlines=True))
            if d.assessment_text
            else Text("No assessment written yet (s).", style="dim")
        )
        return Group(*lines)

    def _fill(self, section: str, rows: list[list[Text]], keys: list[str], title: str) -> None:
        table = self.query_one(f"#{section}", DataTable)
        cursor = table.cursor_row
        table.clear()
        for key, row in zip(keys, rows, strict=True):
            table.add_row(*row, key=key)
        if not rows:
            table.add_row(
                *[Text("none yet", style="dim")] + [Text("")] * (len(table.columns) - 1),
                key=NONE_KEY,
            )
        table.move_cursor(row=min(cursor, table.row_count - 1))
        self.query_one(f"#{section}-title", Label).update(Text(title))

    # ------------------------------------------------------------------ rows

    def _highlighted(self, section: str) -> str | None:
        table = self.query_one(f"#{section}", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key == NONE_KEY else key

    @on(DataTable.RowHighlighted)
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus:
            self.show_row_detail(event.data_table.id or "", event.row_key.value)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, DataTable):
            self.show_row_detail(event.widget.id or "", self._highlighted(event.widget.id or ""))

    def show_row_detail(self, section: str, key: str | None) -> None:
        """The full text of the highlighted case or response, which the table cuts short."""
        d = self.detail
        text = Text()
        if d is not None and section == "problem-cases":
            c = next((c for c in d.cases if c.ref == key), None)
            if c is not None:
                reports = f"{c.incidents} report{'s' if c.incidents != 1 else ''}"
                text = Text(
                    f"{c.ref} · {c.status.label} · {reports} · "
                    f"{one_line(c.location)}\n{one_line(c.summary)}\n"
                    "enter opens the case · u takes it out of this problem"
                )
        elif d is not None and section == "responses":
            r = next((r for r in d.responses if r.id == key), None)
            if r is not None:
                who = " · ".join(one_line(x) for x in (r.owner, r.agency) if x)
                state = f"done {format_date(r.done_on)}" if r.done else "open: c marks it done"
                due = f" · due {format_date(r.due_on)}" if r.due_on else ""
                text = Text(f"{visible(r.action, keep_newlines=True)}\n{who}{due} · {state}")
        self.query_one("#row-detail", Static).update(text)

    @on(DataTable.RowSelected, "#problem-cases")
    def open_case(self, event: DataTable.RowSelected) -> None:
        ref = event.row_key.value
        if ref and ref != NONE_KEY:
            self.asb.open_case(ref, on_close=lambda changed: self.load() if changed else None)

    # ------------------------------------------------------------------ actions

    def _refused(self, step: ProblemStep) -> bool:
        if self.detail is None:
            return True
        message = service.refusal(self.detail.stage, step)
        if message:
            self.notify(
                message, title=f"At {self.detail.stage.label}", severity="warning", markup=False
            )
        return bool(message)

    def _today(self) -> date:
        return london_today(self.asb.clock())

    def _after_save(self, result: object) -> None:
        if result is not None:
            self.changed = True
            self.load()

    def action_analysis(self) -> None:
        if not self._refused(ProblemStep.ANALYSIS) and self.detail:
            self.app.push_screen(AnalysisForm(self.asb.store, self.detail), self._after_save)

    def action_add_response(self) -> None:
        if not self._refused(ProblemStep.RESPONSE) and self.detail:
            self.app.push_screen(
                ResponseForm(self.asb.store, self.detail, self._today()), self._after_save
            )

    def action_complete_response(self) -> None:
        d = self.detail
        if d is None:
            return
        if d.stage is ProblemStage.CLOSED:
            self.notify(service.CLOSED_MESSAGE, severity="warning", markup=False)
            return
        key = self._highlighted("responses")
        response = next((r for r in d.responses if r.id == key), None)
        if response is None:
            self.notify("Highlight a response in the Responses section (2) first.", markup=False)
        elif response.done:
            self.notify(f"That response was done on {format_date(response.done_on)}.", markup=False)
        else:
            self.app.push_screen(
                CompleteResponseForm(self.asb.store, response, self._today()), self._after_save
            )

    def action_assess(self) -> None:
        if not self._refused(ProblemStep.ASSESSMENT) and self.detail:
            self.app.push_screen(AssessmentForm(self.asb.store, self.detail), self._after_save)

    def action_close(self) -> None:
        if self._refused(ProblemStep.CLOSE) or self.detail is None:
            return

        def chosen(close: bool | None) -> None:
            if not close or self.detail is None:
                return
            try:
                service.close_problem(self.asb.store, self.detail.id)
            except AsbError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.notify("Problem closed.", title="Saved", markup=False)
            self._after_save(close)

        self.app.push_screen(
            ChoiceScreen(
                f"Close {one_line(self.detail.title, 50)}?",
                [("Close the problem", True), ("Keep it open", False)],
                False,
            ),
            chosen,
        )

    def _refused_when_closed(self) -> bool:
        if self.detail is not None and self.detail.stage is ProblemStage.CLOSED:
            self.notify(service.CLOSED_MESSAGE, severity="warning", markup=False)
            return True
        return self.detail is None

    def _may_not_solve(self) -> bool:
        """Tell a role that may not work problems so before it types or confirms anything
        (the service checks again)."""
        try:
            access.require(self.asb.store, Permission.SOLVE_PROBLEMS)
        except AsbError as error:
            self.notify(str(error), title="Not allowed", severity="error", markup=False)
            return True
        return False

    def action_link_cases(self) -> None:
        if self._refused_when_closed() or self._may_not_solve() or self.detail is None:
            return
        self.app.push_screen(LinkCasesForm(self.asb.store, self.detail), self._after_save)

    def action_unlink_case(self) -> None:
        d = self.detail
        if self._refused_when_closed() or self._may_not_solve() or d is None:
            return
        key = self._highlighted("problem-cases")
        case = next((c for c in d.cases if c.ref == key), None)
        if case is None:
            self.notify("Highlight a case in the Cases section (1) first.", markup=False)
            return

        def chosen(unlink: bool | None) -> None:
            if not unlink or self.detail is None:
                return
            try:
                service.unlink_case(self.asb.store, self.detail.id, case.ref)
            except AsbError as error:
                self.notify(str(error), title="Not unlinked", severity="error", markup=False)
                return
            self.notify(
                f"{one_line(case.ref)} is no longer part of this problem.",
                title="Saved",
                markup=False,
            )
            self._after_save(unlink)

        self.app.push_screen(
            ChoiceScreen(
                f"Take {one_line(case.ref)} ({one_line(case.summary, 40)}) out of "
                f"{one_line(d.title, 40)}?",
                [(f"Unlink {one_line(case.ref)}", True), ("Keep it linked", False)],
                False,
            ),
            chosen,
        )

    def action_section(self, section: str) -> None:
        table = self.query_one(f"#{section}", DataTable)
        table.focus()
        self.call_after_refresh(table.scroll_visible, animate=False)

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(self.changed)
