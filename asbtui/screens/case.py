"""The case screen: everything recorded on one case, and the casework keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from asbtui.dates import format_date, format_datetime, format_time_left, london_today
from asbtui.errors import AsbError
from asbtui.literal import one_line, plural, visible
from asbtui.models import CaseStatus, DeadlineStatus, District, Power, RiskLevel
from asbtui.services import case_review, cases, enforcement, exporter, partners
from asbtui.services.access import Permission
from asbtui.services.case_review import ReviewView, ThresholdStatus
from asbtui.services.cases import CaseDetail, PartyView
from asbtui.services.enforcement import ActionDetail, DeadlineView
from asbtui.services.exporter import ExportFormat
from asbtui.services.partners import NoteView, ShareView
from asbtui.widgets.badges import due_badge, literal, next_due_badge, risk_badge, status_badge
from asbtui.widgets.choice import ChoiceScreen
from asbtui.widgets.footer import Footer
from asbtui.widgets.permitted import PermittedActions, actor_of

if TYPE_CHECKING:
    from asbtui.app import AsbApp

SECTIONS = ("people", "incidents", "notes", "actions", "deadlines")
TITLES = ("People", "Incidents", "Partner notes", "Enforcement actions", "Deadlines")
UNALLOCATED = ""
LEAST = 8
"""The narrowest a column of typed text is cut to (then the table scrolls sideways)."""


@dataclass(frozen=True)
class Cut:
    """A table cell of typed text, cut with "…" to what the screen leaves it (and to at
    most ``cap``); the detail line below the tables has it in full."""

    text: str | None
    cap: int | None = None
    style: str = ""
    prefix: tuple[str, str] = ("", "")
    """Words shown before the text (and their style), never cut: "corrected · "."""

    @property
    def want(self) -> int:
        full = len(self.prefix[0]) + len(one_line(self.text))
        return full if self.cap is None else min(full, self.cap)

    def render(self, width: int) -> Text:
        label, label_style = self.prefix
        cut = one_line(self.text, max(min(width, self.cap or width) - len(label), 1))
        return Text.assemble((label, label_style), cut, style=self.style)


def fit_widths(wants: list[int], least: list[int | None], room: int) -> list[int]:
    """Column widths that fit ``room``: the widest flexible column gives up a cell at a
    time, down to its ``least`` (None: a fixed column, a date or a badge, keeps its width)."""
    widths = list(wants)
    while sum(widths) > room:
        shrinkable = [i for i, floor in enumerate(least)
                      if floor is not None and widths[i] > floor]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def deadline_state(deadline: DeadlineView, now: datetime) -> Text:
    """Open, OVERDUE (with how long), or how it was closed; missed ones met late say so."""
    if deadline.overdue(now):
        return Text(f"OVERDUE {format_time_left(now - deadline.due_at)}", "bold white on red")
    if deadline.met_at is not None:
        return Text("Missed (met late)", "bold red")
    if deadline.status is DeadlineStatus.MISSED:
        return Text("Missed", "bold red")
    return Text(deadline.status.label)


class CaseScreen(PermittedActions, Screen[bool]):
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
        Binding("n", "review", "Review", tooltip="Set the next review date", id="case.review"),
        Binding(
            "v",
            "personal_details",
            "Details",
            tooltip="Show people's personal details (asks why; the view is audited)",
            id="case.personal_details",
        ),
        Binding("N", "add_note", "Note", tooltip="Add a partner note", id="case.add_note"),
        Binding(
            "C",
            "correct_note",
            "Correct note",
            tooltip="Write a correction of the highlighted note (the old one stays in history)",
            id="case.correct_note",
            show=False,
        ),
        Binding(
            "S",
            "share",
            "Share",
            tooltip="Share the case with a partner agency (a disclosure: asks why)",
            id="case.share",
        ),
        Binding(
            "W",
            "withhold",
            "Withhold",
            tooltip="Mark the highlighted person anonymous: never disclosed to partners "
            "(again: disclosable)",
            id="case.withhold",
            show=False,
        ),
        Binding(
            "U",
            "unshare",
            "Unshare",
            tooltip="Stop sharing the case with a partner agency",
            id="case.unshare",
            show=False,
        ),
        Binding(
            "X",
            "export",
            "Export",
            tooltip="Export the case file (PDF, Markdown or JSON; asks why, audited)",
            id="case.export",
        ),
        Binding(
            "T",
            "timeline",
            "Timeline",
            tooltip="Timeline: incidents, notes and action steps by date",
            id="case.timeline",
        ),
        Binding("a", "audit", "Audit", tooltip="Audit of this case", id="case.audit",
                show=False),
        Binding("P", "plan", "Plan", tooltip="Plan: first contact, victim updates, tasks",
                id="case.plan", show=False),
        Binding(
            "r",
            "case_review",
            "Case review",
            tooltip="ASB Case Review (Community Trigger)",
            id="case.case_review",
        ),
        Binding("k", "risk", "Risk", tooltip="Set the risk to the victim", id="case.risk"),
        Binding(
            "E",
            "correct",
            "Correct",
            tooltip="Correct the highlighted person or incident (the old values stay in "
            "the history)",
            id="case.correct",
        ),
        Binding(
            "d",
            "correct_case",
            "Correct case",
            tooltip="Correct the case's summary, category, channel, location, postcode, "
            "district (the old values stay in the history)",
            id="case.correct_case",
            show=False,
        ),
        Binding(
            "D",
            "remove",
            "Remove",
            tooltip="Remove the highlighted person or incident, entered wrongly (asks why)",
            id="case.remove",
            show=False,
        ),
        Binding(
            "L",
            "link",
            "Link",
            tooltip="Link this case to another about a related problem",
            id="case.link",
            show=False,
        ),
        Binding(
            "g",
            "go_linked",
            "Go to linked",
            tooltip="Open a linked case",
            id="case.go_linked",
            show=False,
        ),
        Binding(
            "M",
            "merge",
            "Merge",
            tooltip="Merge this case, a duplicate, into the case that stays (supervisors)",
            id="case.merge",
            show=False,
        ),
        Binding(
            "H",
            "history",
            "History",
            tooltip="History: what was corrected or removed, from what, by whom, when, why",
            id="case.history",
        ),
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
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "add_incident": Permission.WORK_CASES,
        "add_party": Permission.WORK_CASES,
        "start_action": Permission.WORK_CASES,
        "next_step": Permission.WORK_CASES,
        "status": Permission.WORK_CASES,
        "assign": Permission.ASSIGN_CASES,
        "review": Permission.WORK_CASES,
        "case_review": Permission.SOLVE_PROBLEMS,
        "risk": Permission.WORK_CASES,
        "correct": Permission.WORK_CASES,
        "correct_case": Permission.WORK_CASES,
        "remove": Permission.WORK_CASES,
        "link": Permission.WORK_CASES,
        "merge": Permission.CLOSE_CASES,
        "resolve_deadline": Permission.WORK_CASES,
        "personal_details": Permission.VIEW_PEOPLE,
        "add_note": Permission.WRITE_NOTES,
        "correct_note": Permission.WRITE_NOTES,
        "share": Permission.SHARE_CASES,
        "unshare": Permission.SHARE_CASES,
        "withhold": Permission.WORK_CASES,
        "export": Permission.READ_CASES,
        "audit": Permission.READ_AUDIT,
        "plan": Permission.READ_CASES,
    }

    @dataclass
    class DetailLoaded(Message):
        detail: CaseDetail
        actions: list[ActionDetail]
        deadlines: list[DeadlineView]
        threshold: ThresholdStatus | None = None
        review: ReviewView | None = None
        shares: list[ShareView] = field(default_factory=list)
        ref: str | None = None
        """The ref it was read for: a late answer for a case no longer shown is dropped."""

    @dataclass
    class LoadFailed(Message):
        error: str

    @dataclass
    class ExportSaved(Message):
        path: Path

    @dataclass
    class ExportFailed(Message):
        error: str

    def __init__(self, ref: str) -> None:
        super().__init__()
        self._forget(ref)

    def _forget(self, ref: str) -> None:
        """The state of a visit to ``ref``, as on a new screen."""
        self.ref = ref
        self.detail: CaseDetail | None = None
        self.actions: list[ActionDetail] = []
        self.deadlines: list[DeadlineView] = []
        self.changed = False
        self.shares: list[ShareView] = []
        self.people_shown: dict[str, PartyView] = {}
        """People's full details, asked for with a reason: kept for this visit only."""
        self.shown: CaseScreen.DetailLoaded | None = None
        """What the screen last showed, shown again (cut to the new width) on a resize."""

    def reopen(self, ref: str) -> None:
        """The same screen, already composed, for another case (or the same one again).

        Composing the screen (a scroll area, five tables, the footer and their styles)
        cost more than reading the case: the app keeps one case screen and refills it.
        Everything of the last visit goes first (its data, the people's details shown for
        a reason, the scroll position, the focus and the cursors), so the screen starts
        as a new one would, then the case is read again.
        """
        self._forget(ref)
        self.sub_title = None
        self.query_one("#case-header", Static).update(Text(ref, style="bold"))
        self.query_one("#case-summary", Static).update("")
        self.query_one("#row-detail", Static).update("")
        for section, title in zip(SECTIONS, TITLES, strict=True):
            self.query_one(f"#{section}", DataTable).clear()
            self.query_one(f"#{section}-title", Label).update(Text(title))
        self.query_one("#case-body", VerticalScroll).scroll_home(animate=False)
        # Focus where a new screen's would start (moving it restyles both widgets: only
        # when the last visit moved it).
        auto_focus = self.app.AUTO_FOCUS if self.AUTO_FOCUS is None else self.AUTO_FOCUS
        first = next((w for w in self.query(auto_focus) if w.focusable),
                     None) if auto_focus else None
        if self.focused is not first:
            self.set_focus(first)
        self.load()

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
            "notes": ["Date", "Agency", "Author", "Seen by", "Note"],
            "actions": ["Power", "Stage", "Since", "Next deadline", "Concerns"],
            "deadlines": ["Due", "Deadline", "Status", "Law"],
        }
        for section, headings in columns.items():
            self.query_one(f"#{section}", DataTable).add_columns(*(Text(h) for h in headings))
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading the case")
    def load(self) -> None:
        ref = self.ref
        try:
            detail = cases.case_detail(self.asb.store, ref)
            actions = enforcement.case_actions(self.asb.store, detail.id)
            deadlines = enforcement.case_deadlines(self.asb.store, detail.id)
            threshold = case_review.threshold_status(
                self.asb.store,
                ref,
                london_today(self.asb.clock()),
                self.asb.settings.case_review_threshold,
            )
            review = case_review.review_in_progress(self.asb.store, ref)
            shares = partners.case_shares(self.asb.store, ref)
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(
            self.DetailLoaded(detail, actions, deadlines, threshold, review, shares, ref)
        )

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title="Could not load the case", severity="error", markup=False)

    def on_resize(self, event: events.Resize) -> None:
        # Typed text is cut to the width there is: a new width cuts it again.
        if self.shown is not None:
            self.show(self.shown)

    @on(DetailLoaded)
    def show(self, message: DetailLoaded) -> None:
        if message.ref is not None and message.ref != self.ref:
            return  # read for the case this screen showed before
        self.shown = message
        d = self.detail = message.detail
        self.actions, self.deadlines = message.actions, message.deadlines
        self.shares = message.shares
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
            # A closed case has no review due, whatever date it had when it closed.
            due_badge(d.next_review, today)
            if d.next_review and d.status is not CaseStatus.CLOSED
            else Text("none"),
        )
        if d.next_deadline_at:
            header.append(" · Next deadline: ")
            header.append(next_due_badge((d.next_deadline_at, True), now, full=True))
        flags = []
        # The list of cases meeting the threshold (f4) is of open cases; so is this prompt.
        if message.threshold and message.threshold.met and d.status is not CaseStatus.CLOSED:
            count, months = message.threshold.count, message.threshold.months
            flag = (f"CASE REVIEW THRESHOLD MET ({plural(count, 'report')} in "
                    f"{plural(months, 'month')})")
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
        if d.point:
            location = f"{location} ({d.point})".strip()
        summary = [
            Text("Location: ", style="bold") + Text(location or "not recorded"),
            Text(visible(d.summary, keep_newlines=True)),
        ]
        if d.status is CaseStatus.CLOSED and d.closing_summary:
            summary.append(Text("Closing summary: ", style="bold")
                           + Text(visible(d.closing_summary, keep_newlines=True)))
        if d.status is CaseStatus.CLOSED and d.victim_asked is not None:
            answer = ((d.victim_satisfaction.label if d.victim_satisfaction else "not recorded")
                      if d.victim_asked else "not asked")
            summary.append(Text("Victim's satisfaction: ", style="bold") + Text(answer))
        if d.links:
            summary.append(Text("Linked cases (g): ", style="bold") + Text(", ".join(
                f"{v.ref} ({v.district.value}, {v.status.label.lower()})" for v in d.links)))
        if d.merged_refs:
            summary.append(Text("Duplicates merged in: ", style="bold")
                           + Text(", ".join(d.merged_refs)))
        if self.shares:
            summary.append(
                Text("Shared with: ", style="bold")
                + Text(", ".join(one_line(s.agency) for s in self.shares))
            )
        self.query_one("#case-summary", Static).update(Group(*summary))
        self._show_people()
        self._fill(
            "incidents",
            [
                [
                    Text(format_datetime(i.occurred_at)),
                    Cut(i.channel.label),
                    Cut(i.incident_type.label),
                    Cut(i.description, 50),
                    Cut(i.crime_ref),
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
                    Text(format_date(n.written_at), style="" if n.current else "dim"),
                    Cut(n.agency, 28),
                    Cut(n.author),
                    Cut(n.seen_by, 30),
                    _note_text(n),
                ]
                for n in d.notes
            ],
            [n.id for n in d.notes],
            f"Partner notes ({sum(n.current for n in d.notes)})",
        )
        self._fill(
            "actions",
            [
                [
                    Cut(a.power.label),
                    Cut(a.stage_label + (" (ended)" if a.closed else "")),
                    Text(format_datetime(a.started_at)),
                    next_due_badge((a.next_deadline_at, True), now)
                    if a.next_deadline_at
                    else Text(""),
                    Cut(a.concerns, 30),
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
                    Cut(dl.label, 50),
                    deadline_state(dl, now),
                    Cut(dl.source),
                ]
                for dl in self.deadlines
            ],
            [dl.id for dl in self.deadlines],
            f"Deadlines ({open_count} open)",
        )
        self.sub_title = d.ref

    def _show_people(self) -> None:
        d = self.detail
        if d is None:
            return
        people = [self.people_shown.get(p.id, p) for p in d.parties]
        hidden = Text("hidden: v", style="dim")
        self._fill(
            "people",
            [
                [
                    Text(p.role.label + (" (withheld)" if p.withheld else "")),
                    Cut(p.name),
                    Text("Yes", style="bold red") if p.vulnerable else Text(""),
                    Text(format_date(p.date_of_birth)) if p.details_shown else hidden,
                    Cut(p.address, 40) if p.details_shown else Text(""),
                    Cut(p.phone) if p.details_shown else Text(""),
                ]
                for p in people
            ],
            [p.id for p in people],
            f"People ({len(people)})"
            + ("" if all(p.details_shown for p in people) or not people
               else " · personal details hidden: v shows them, for a reason"),
        )

    def _fill(
        self, section: str, rows: list[list[Text | Cut]], keys: list[str], title: str
    ) -> None:
        table = self.query_one(f"#{section}", DataTable)
        cursor = table.cursor_row
        table.clear()
        headings = [column.label.cell_len for column in table.columns.values()]
        wants = [
            max([heading] + [c.want if isinstance(c, Cut) else c.cell_len
                             for c in (row[i] for row in rows)])
            for i, heading in enumerate(headings)
        ]
        least = [max(LEAST, heading) if any(isinstance(row[i], Cut) for row in rows) else None
                 for i, heading in enumerate(headings)]
        # The body's padding and scroll bar, the table's own scroll bar, a cell's padding.
        room = self.app.size.width - 6 - 2 * len(headings)
        widths = fit_widths(wants, least, room)
        for key, row in zip(keys, rows, strict=True):
            table.add_row(
                *(cell.render(width) if isinstance(cell, Cut) else cell
                  for cell, width in zip(row, widths, strict=True)),
                key=key,
            )
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
            p = self.people_shown.get(key) or next(p for p in d.parties if p.id == key)
            head = f"{p.role.label}: {one_line(p.name)}" + (" (vulnerable)" if p.vulnerable else "")
            if p.details_shown:
                born = f"born {format_date(p.date_of_birth)}  " if p.date_of_birth else ""
                text = Text(
                    f"{head}\n{born}{one_line(p.address)}  {one_line(p.phone)}\n"
                    + visible(p.notes, keep_newlines=True)
                )
            else:
                text = Text(f"{head}\nDate of birth, address, phone and notes: v shows "
                            "them (you are asked why; the view is audited).")
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
            status = ""
            if n.superseded_by_id:
                status = " · corrected by a later note"
            elif n.supersedes_id:
                status = " · a correction of an earlier note"
            text = Text(
                f"{format_datetime(n.written_at)} · {one_line(n.agency)} · "
                f"{one_line(n.author)} · seen by {one_line(n.seen_by)}{status}\n"
                + visible(n.text, keep_newlines=True)
            )
        elif section == "actions":
            a = next(a for a in self.actions if a.id == key)
            lines = [
                f"{a.power.label} · {a.stage_label}{' (ended)' if a.closed else ''} · "
                f"{one_line(a.concerns)}"
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
                f"{deadline_state(dl, self.asb.clock()).plain}"
                + (f" · met late {format_datetime(dl.met_at)}" if dl.met_at else "")
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
        try:
            pspos = enforcement.pspo_register(self.asb.store, self.detail.district)
        except AsbError as error:
            self.notify(str(error), severity="error", markup=False)
            return
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
                    self.app.push_screen(StepForm(self.asb.store, picked_action),
                                         partial(self._after_step, picked_action.id))

            self.app.push_screen(ChoiceScreen("Next step of which action?", choices), picked)
            return
        self.app.push_screen(StepForm(self.asb.store, action), partial(self._after_step, action.id))

    def _after_step(self, action_id: str, result: object) -> None:
        """After a step: offer at once what the law allows next (a next step, or a CPN
        carrying the person and conduct of a CPW not complied with)."""
        from asbtui.screens.action import LATER, ActionForm, StepForm, next_choices

        self._after_save(result)
        if result is None or self.detail is None:
            return
        detail = self.detail
        try:
            actions = enforcement.case_actions(self.asb.store, detail.id)
            pspos = enforcement.pspo_register(self.asb.store, detail.district)
        except AsbError:
            return
        action = next((a for a in actions if a.id == action_id), None)
        choices = next_choices(action) if action else []
        if action is None or not choices:
            return

        def chosen(value: str | None) -> None:
            kind, _, key = (value or LATER).partition(":")
            if kind == "step":
                self.app.push_screen(StepForm(self.asb.store, action, key),
                                     partial(self._after_step, action.id))
            elif kind == "power":
                self.app.push_screen(
                    ActionForm(self.asb.store, self.ref, detail.parties, actions, pspos,
                               power=Power(key), after=action),
                    self._after_save,
                )

        self.app.push_screen(
            ChoiceScreen(f"{action.power.label} now: {action.stage_label}. What next?",
                         choices, LATER),
            chosen,
        )

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
        from asbtui.screens.officer_choice import officer_choices

        try:
            choices = officer_choices(self.asb.store, District(district), self.asb.clock())
        except AsbError as error:
            self.notify(str(error), severity="error", markup=False)
            return
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
                followed = cases.change_risk(self.asb.store, self.ref, risk).describe()
            except AsbError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.notify(
                f"{self.ref} risk is now {risk.label.lower()}."
                + (f" Victim updates: {followed}." if followed else ""),
                title="Saved", markup=False
            )
            self._after_save(risk)

        self.app.push_screen(
            ChoiceScreen(f"Risk to the victim on {self.ref}", choices, self.detail.risk), chosen
        )

    # ------------------------------------------------------------------ people and partners

    def action_personal_details(self) -> None:
        from asbtui.screens.justification import JustificationScreen

        if self.detail is None:
            return
        if not self.detail.parties:
            self.notify("No one is recorded on this case.", markup=False)
            return

        def chosen(reason: str | None) -> None:
            if reason is None:
                return
            try:
                people = cases.person_details(self.asb.store, self.ref, reason)
            except AsbError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.people_shown = {p.id: p for p in people}
            self._show_people()
            self.action_section("people")

        self.app.push_screen(
            JustificationScreen(
                f"Why do you need the personal details on {self.ref}?",
                "Dates of birth, addresses, phone numbers and notes. Your reason is kept "
                "in the audit log with your name.",
            ),
            chosen,
        )

    def action_add_note(self) -> None:
        from asbtui.screens.note import NoteForm

        if self.detail is None:
            return
        actor = actor_of(self)
        self.app.push_screen(
            NoteForm(self.asb.store, self.ref, self.shares, police=bool(actor and actor.is_police)),
            self._after_save,
        )

    def action_correct_note(self) -> None:
        from asbtui.screens.note import NoteForm

        if self.detail is None:
            return
        key = self._highlighted("notes")
        note = next((n for n in self.detail.notes if n.id == key), None)
        if note is None:
            self.notify("Highlight a note in the Partner notes section (3) first.", markup=False)
            return
        if not note.current:
            self.notify("That note has been corrected already: correct the newest version.",
                        markup=False)
            return
        actor = actor_of(self)
        self.app.push_screen(
            NoteForm(self.asb.store, self.ref, self.shares,
                     police=bool(actor and actor.is_police), correcting=note),
            self._after_save,
        )

    def action_share(self) -> None:
        from asbtui.screens.justification import JustificationScreen
        from asbtui.screens.share_people import SharePeopleScreen

        if self.detail is None:
            return
        try:
            register = partners.agencies(self.asb.store, self.detail.district)
        except AsbError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        shared = {s.agency_id for s in self.shares}
        choices = [
            (Text(f"{one_line(a.name)} ({a.kind.label.lower()}, ISA {one_line(a.isa_ref)})"),
             a.name)
            for a in register
            if a.id not in shared
        ]
        if not choices:
            self.notify("Every agency in the register already has this case; add agencies "
                        "with f9.", markup=False)
            return

        detail = self.detail

        def reason_given(agency: str, people: list[str], reason: str | None) -> None:
            if reason is None:
                return
            try:
                share = partners.share_case(self.asb.store, self.ref, agency, reason,
                                            people=people)
            except AsbError as error:
                self.notify(str(error), title="Not shared", severity="error", markup=False)
                return
            self.notify(f"{self.ref} shared with {share.agency}.", title="Saved", markup=False)
            self._after_save(share)

        def people_chosen(agency: str, people: list[str] | None) -> None:
            if people is None:
                return
            self.app.push_screen(
                JustificationScreen(
                    f"Why share {self.ref} with {agency}?",
                    "Sharing discloses the case to the agency's users; the reason is kept "
                    "in the audit log.",
                ),
                lambda reason: reason_given(agency, people, reason),
            )

        def agency_chosen(agency: str | None) -> None:
            if agency is None:
                return
            self.app.push_screen(
                SharePeopleScreen(f"Which people does sharing with {one_line(agency, 40)} "
                                  "disclose?", detail.parties),
                lambda people: people_chosen(agency, people),
            )

        self.app.push_screen(ChoiceScreen(f"Share {self.ref} with", choices), agency_chosen)

    def action_withhold(self) -> None:
        if self.detail is None:
            return
        key = self._highlighted("people")
        person = next((p for p in self.detail.parties if p.id == key), None)
        if person is None:
            self.notify("Highlight a person in the People section (1) first.", markup=False)
            return
        try:
            cases.set_withheld(self.asb.store, self.ref, person.id, not person.withheld)
        except AsbError as error:
            self.notify(str(error), title="Not changed", severity="error", markup=False)
            return
        state = ("may be disclosed to partners again" if person.withheld
                 else "is withheld: never disclosed to partners")
        self.notify(f"{one_line(person.name, 40)} {state}.", title="Saved", markup=False)
        self._after_save(person.id)

    def action_unshare(self) -> None:
        if self.detail is None:
            return
        if not self.shares:
            self.notify(f"{self.ref} is not shared with any partner agency.", markup=False)
            return
        choices = [(Text(f"{one_line(s.agency)} (since {format_date(s.shared_at)})"), s.agency)
                   for s in self.shares]

        def confirmed(agency: str, yes: bool | None) -> None:
            if not yes:
                return
            try:
                partners.revoke_share(self.asb.store, self.ref, agency)
            except AsbError as error:
                self.notify(str(error), title="Still shared", severity="error", markup=False)
                return
            self.notify(f"{self.ref} is no longer shared with {agency}.", title="Saved",
                        markup=False)
            self._after_save(agency)

        def agency_chosen(agency: str | None) -> None:
            if agency is None:
                return
            question = [(f"Yes: stop sharing with {one_line(agency, 60)}", True),
                        ("No: keep sharing", False)]
            self.app.push_screen(
                ChoiceScreen(f"Stop sharing {self.ref} with {one_line(agency, 60)}? Its users "
                             "will no longer see the case.", question, False),
                lambda yes: confirmed(agency, yes),
            )

        self.app.push_screen(ChoiceScreen(f"Stop sharing {self.ref} with", choices),
                             agency_chosen)

    def action_export(self) -> None:
        from asbtui.screens.justification import JustificationScreen

        if self.detail is None:
            return
        formats = [(f.label, f) for f in ExportFormat]

        def reason_given(fmt: ExportFormat, reason: str | None) -> None:
            if reason is not None:
                self.notify(f"Exporting {self.ref} as {fmt.label}…", markup=False)
                self.export(fmt, reason)

        def format_chosen(fmt: ExportFormat | None) -> None:
            if fmt is None:
                return
            self.app.push_screen(
                JustificationScreen(
                    f"Why export {self.ref}?",
                    "The file holds the case and people's personal details, as you may see "
                    "them; your reason is kept in the audit log with your name.",
                ),
                lambda reason: reason_given(fmt, reason),
            )

        self.app.push_screen(ChoiceScreen(f"Export {self.ref} as", formats), format_chosen)

    @work(thread=True, group="export", exit_on_error=False, description="Exporting the case")
    def export(self, fmt: ExportFormat, reason: str) -> None:
        actor = actor_of(self)
        try:
            folder = exporter.documents_folder()
            path = exporter.save_case(
                self.asb.store, self.ref, fmt, reason,
                exporter.new_path(folder, self.ref, fmt, self.asb.clock()),
                include_people=bool(actor and actor.may(Permission.VIEW_PEOPLE)),
                now=self.asb.clock())
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.ExportFailed(str(error)))
            return
        self.post_message(self.ExportSaved(path))

    @on(ExportSaved)
    def export_saved(self, message: ExportSaved) -> None:
        self.notify(f"Saved to {message.path}", title=f"{self.ref} exported", markup=False)

    @on(ExportFailed)
    def export_failed(self, message: ExportFailed) -> None:
        self.notify(message.error, title="Not exported", severity="error", markup=False)

    def action_timeline(self) -> None:
        from asbtui.screens.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(self.ref))

    # ------------------------------------------------------------------ corrections

    def _focused_section(self) -> str | None:
        focused = self.focused
        return focused.id if isinstance(focused, DataTable) else None

    def action_correct(self) -> None:
        from asbtui.screens.correct import (
            CaseCorrectForm,
            IncidentCorrectForm,
            PersonCorrectForm,
        )

        d = self.detail
        if d is None:
            return
        section = self._focused_section()
        key = self._highlighted(section) if section in ("people", "incidents") else None
        if section == "people" and key:
            person = self.people_shown.get(key) or next(p for p in d.parties if p.id == key)
            self.app.push_screen(PersonCorrectForm(self.asb.store, d.ref, person),
                                 self._after_save)
        elif section == "incidents" and key:
            incident = next(i for i in d.incidents if i.id == key)
            self.app.push_screen(IncidentCorrectForm(self.asb.store, d.ref, incident),
                                 self._after_save)
        else:
            self.app.push_screen(CaseCorrectForm(self.asb.store, d), self._after_save)

    def action_correct_case(self) -> None:
        from asbtui.screens.correct import CaseCorrectForm

        if self.detail is not None:
            self.app.push_screen(CaseCorrectForm(self.asb.store, self.detail), self._after_save)

    def action_remove(self) -> None:
        from asbtui.screens.correct import RemoveForm

        d = self.detail
        if d is None:
            return
        section = self._focused_section()
        key = self._highlighted(section) if section in ("people", "incidents") else None
        if section == "people" and key:
            p = next(p for p in d.parties if p.id == key)
            what = f"{p.role.label}: {one_line(p.name, 60)}"
            form = RemoveForm(self.asb.store, d.ref, "person", key, what)
        elif section == "incidents" and key:
            i = next(i for i in d.incidents if i.id == key)
            what = (f"{format_datetime(i.occurred_at)} {i.incident_type.label}: "
                    f"{one_line(i.description, 60)}")
            form = RemoveForm(self.asb.store, d.ref, "incident", key, what)
        else:
            self.notify("Highlight a person (1) or an incident (2) to remove first.",
                        markup=False)
            return
        self.app.push_screen(form, self._after_save)

    def action_link(self) -> None:
        from asbtui.screens.correct import LinkForm

        if self.detail is not None:
            self.app.push_screen(LinkForm(self.asb.store, self.detail.ref), self._after_save)

    def action_merge(self) -> None:
        from asbtui.screens.correct import MergeForm

        if self.detail is not None:
            self.app.push_screen(MergeForm(self.asb.store, self.detail.ref), self._merged)

    def _merged(self, survivor: str | None) -> None:
        if survivor:
            self.changed = True
            self.ref = survivor  # this case's ref now opens the case that stays
            self.load()

    def action_go_linked(self) -> None:
        d = self.detail
        if d is None or not d.links:
            self.notify("No case is linked to this one; L links one.", markup=False)
            return
        if len(d.links) == 1:
            self.asb.open_case(d.links[0].ref)
            return
        choices = [(Text(f"{v.ref}  {v.district.label} · {v.status.label}"), v.ref)
                   for v in d.links]
        self.app.push_screen(ChoiceScreen("Open which linked case?", choices),
                             lambda ref: self.asb.open_case(ref) if ref else None)

    def action_history(self) -> None:
        from asbtui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.ref))

    def action_audit(self) -> None:
        from asbtui.screens.audit import AuditScreen

        self.app.push_screen(AuditScreen(self.ref))

    def action_plan(self) -> None:
        from asbtui.screens.case_plan import CasePlanScreen

        self.app.push_screen(CasePlanScreen(self.ref))


def _note_text(note: NoteView) -> Cut:
    """A note's text in the table; a corrected note is dim and says so."""
    if not note.current:
        return Cut(note.text, 50, "dim", ("corrected · ", "italic"))
    if note.supersedes_id:
        return Cut(note.text, 50, prefix=("correction · ", "bold"))
    return Cut(note.text, 50)
