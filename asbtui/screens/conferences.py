"""Case conferences: the list (`C` from My day), one conference, and their forms.

On the list `n` schedules a conference and `enter` opens one. On a conference, `enter`
on a case opens it, `m` records the minutes (a note on each case, shared as chosen) and
the decisions, `a` allocates an action (a task of the case) and `e` exports the agenda as
Markdown to your documents folder (audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Select

from asbtui.dates import format_date, format_datetime, parse_date, parse_datetime
from asbtui.literal import one_line, visible
from asbtui.models import NoteVisibility
from asbtui.screens.justification import reason_fields, reason_value
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import conferences, tasks
from asbtui.services.conferences import AgendaCase, Attendee, ConferenceView
from asbtui.services.tasks import TaskView
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store


class ConferencesScreen(RecordListScreen[ConferenceView]):
    """Every case conference, newest first."""

    BINDINGS = [
        Binding("n", "schedule", "Schedule", tooltip="Schedule a case conference",
                id="conferences.schedule"),
    ]
    COLUMNS = ("When", "District", "Cases", "Actions", "Minutes", "Title")
    FAILED_TITLE = "Could not load the conferences"
    EMPTY = "no conferences yet (n schedules one)"

    def title_text(self) -> Text:
        return Text(f"Case conferences ({len(self.records)})", style="bold")

    def fetch(self) -> list[ConferenceView]:
        return conferences.conferences(self.asb.store)

    def key(self, record: ConferenceView) -> str:
        return record.id

    def cells(self, record: ConferenceView) -> list[Text]:
        return [Text(format_datetime(record.held_at)), Text(record.district.value),
                Text(str(len(record.cases))), Text(str(len(record.actions))),
                Text("recorded" if record.minutes_recorded_at else "—"),
                Text(one_line(record.title, 50))]

    def detail(self, record: ConferenceView) -> Text:
        return Text(f"{visible(one_line(record.title))} · {visible(record.place)}\n"
                    f"Cases: {', '.join(c.ref for c in record.cases)}")

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        record = self.highlighted()
        if record is not None:
            self.app.push_screen(ConferenceScreen(record.id), self.saved)

    def action_schedule(self) -> None:
        self.app.push_screen(ScheduleForm(self.asb.store), self.saved)


Row = AgendaCase | Attendee | TaskView


class ConferenceScreen(RecordListScreen[Row]):
    """One conference: its cases, attendees and actions."""

    BINDINGS = [
        Binding("m", "minutes", "Minutes", tooltip="Record the minutes and decisions",
                id="conference.minutes"),
        Binding("a", "action", "Action", tooltip="Allocate an action (a task of a case)",
                id="conference.action"),
        Binding("e", "export", "Agenda", tooltip="Export the agenda (Markdown, audited)",
                id="conference.export"),
    ]
    COLUMNS = ("Item", "Who or what", "Due or state", "Details")
    FAILED_TITLE = "Could not load the conference"

    @dataclass
    class Exported(Message):
        text: str
        failed: bool = False

    def __init__(self, conference_id: str) -> None:
        super().__init__()
        self.conference_id = conference_id
        self.view: ConferenceView | None = None

    def title_text(self) -> Text:
        view = self.view
        if view is None:
            return Text("Case conference", style="bold")
        minutes = "minutes recorded" if view.minutes_recorded_at else "no minutes yet"
        return Text(f"{one_line(view.title, 50)} · {format_datetime(view.held_at)} · "
                    f"{one_line(view.place, 30)} · {minutes}", style="bold")

    def fetch(self) -> list[Row]:
        self.view = conferences.conference(self.asb.store, self.conference_id)
        return [*self.view.cases, *self.view.attendees, *self.view.actions]

    def key(self, record: Row) -> str:
        if isinstance(record, AgendaCase):
            return f"case:{record.ref}"
        if isinstance(record, Attendee):
            return f"attendee:{record.agency}:{record.name}"
        return f"task:{record.id}"

    def cells(self, record: Row) -> list[Text]:
        if isinstance(record, AgendaCase):
            return [Text("Case", style="bold"), Text(record.ref),
                    Text(f"{record.status.label}, {record.risk.value}"),
                    Text(one_line(record.summary, 40))]
        if isinstance(record, Attendee):
            return [Text("Attendee"), Text(one_line(record.agency, 30)), Text(""),
                    Text(one_line(record.name, 40))]
        state = f"done {format_date(record.done_on)}" if record.done_on else \
            f"due {format_date(record.due_on)}"
        return [Text("Action"), Text(one_line(record.owner, 30)), Text(state),
                Text(f"{record.case_ref}: {one_line(record.what, 30)}")]

    def detail(self, record: Row) -> Text:
        decisions = self.view.decisions if self.view else ""
        tail = f"\nDecisions: {visible(one_line(decisions))}" if decisions else ""
        if isinstance(record, AgendaCase):
            return Text(f"{record.ref}: {visible(one_line(record.summary))} · enter opens "
                        f"the case{tail}")
        if isinstance(record, TaskView):
            return Text(f"{visible(one_line(record.what))} · {visible(record.owner)}{tail}")
        return Text(tail.strip())

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        record = self.highlighted()
        if isinstance(record, AgendaCase):
            self.asb.open_case(record.ref)

    def action_minutes(self) -> None:
        self.app.push_screen(MinutesForm(self.asb.store, self.conference_id), self.saved)

    def action_action(self) -> None:
        if self.view is not None:
            self.app.push_screen(ActionForm(self.asb.store, self.view), self.saved)

    def action_export(self) -> None:
        self.export()

    @work(thread=True, exclusive=True, group="export", exit_on_error=False,
          description="Exporting the agenda")
    def export(self) -> None:
        from asbtui.services import exporter

        try:
            path = conferences.export_agenda(self.asb.store, self.conference_id,
                                             exporter.documents_folder())
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.Exported(str(error), failed=True))
            return
        self.post_message(self.Exported(str(path)))

    @on(Exported)
    def exported(self, message: Exported) -> None:
        if message.failed:
            self.notify(message.text, title="Agenda not exported", severity="error",
                        markup=False)
        else:
            self.notify(f"Saved to {message.text}", title="Agenda exported", markup=False)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class ScheduleForm(FormScreen[str]):
    TITLE_TEXT = "Schedule a case conference"

    def __init__(self, store: Store, refs: str = "") -> None:
        super().__init__()
        self.store, self.refs = store, refs

    def fields(self) -> ComposeResult:
        yield FieldRow("Title", Input(id="title", max_length=conferences.TITLE_MAX), "title")
        yield FieldRow("When", Input(id="held_at", placeholder="DD/MM/YYYY HH:MM",
                                     max_length=16), "held_at")
        yield FieldRow("Place", Input(id="place", max_length=300), "place")
        yield FieldRow("Cases", Input(self.refs, id="cases", placeholder="THA-26-7K3QX, ..."),
                       "cases", "References, separated by commas")
        yield FieldRow("Attendees", Input(id="attendees",
                                          placeholder="police: PC 4512; Thanet District Council"),
                       "attendees", "Agency, or agency: name; separated by semicolons")

    def save(self) -> str:
        when = parse_datetime(self.value("held_at"), field="held_at")
        people = []
        for entry in self.value("attendees").split(";"):
            if entry.strip():
                agency, _, name = entry.partition(":")
                people.append(Attendee(agency.strip(), name.strip()))
        return conferences.schedule(self.store, self.value("title"), when,
                                    _split(self.value("cases")), place=self.value("place"),
                                    attendees=people)

    def confirmation(self, result: str) -> str:
        return "Conference scheduled."


class MinutesForm(FormScreen[int]):
    TITLE_TEXT = "Minutes and decisions"

    def __init__(self, store: Store, conference_id: str) -> None:
        super().__init__()
        self.store, self.conference_id = store, conference_id

    def fields(self) -> ComposeResult:
        yield FieldRow("Minutes", Input(id="minutes", max_length=conferences.TEXT_MAX),
                       "minutes", "Written to each case as a note")
        yield FieldRow("Decisions", Input(id="decisions", max_length=conferences.TEXT_MAX),
                       "decisions")
        yield FieldRow("Seen by", Select([(v.label, v) for v in NoteVisibility], id="visibility",
                                         value=NoteVisibility.POLICE, allow_blank=False),
                       "visibility")
        yield FieldRow("Agencies", Input(id="audience", placeholder="For named agencies"),
                       "audience", "Separated by commas")
        yield from reason_fields("Needed when partners may read the minutes: a disclosure")

    def save(self) -> int:
        visibility: Any = self.value("visibility") or NoteVisibility.POLICE
        reason = ""
        if visibility is not NoteVisibility.POLICE:
            reason = reason_value(self.value("justification"), self.value("other_reason"))
        audience = _split(self.value("audience")) if visibility is NoteVisibility.NAMED else []
        return conferences.record_minutes(
            self.store, self.conference_id, self.value("minutes"), self.value("decisions"),
            visibility=visibility, audience=audience, reason=reason or None)

    def confirmation(self, result: int) -> str:
        return f"Minutes noted on {result} cases."


class ActionForm(FormScreen[str]):
    TITLE_TEXT = "Allocate an action"

    def __init__(self, store: Store, view: ConferenceView) -> None:
        super().__init__()
        self.store, self.view = store, view

    def fields(self) -> ComposeResult:
        cases = [(c.ref, c.ref) for c in self.view.cases]
        yield FieldRow("Case", Select(cases, id="case", value=cases[0][1], allow_blank=False),
                       "case")
        yield FieldRow("What", Input(id="what", max_length=tasks.WHAT_MAX), "what")
        yield FieldRow("Officer", Input(id="officer", placeholder="Collar number",
                                        max_length=20), "officer",
                       "An officer, or else an agency below")
        yield FieldRow("Agency", Input(id="agency", max_length=120), "agency")
        yield FieldRow("Due", Input(id="due_on", placeholder="DD/MM/YYYY", max_length=10),
                       "due_on")

    def save(self) -> str:
        due: date = parse_date(self.value("due_on"), field="due_on")
        try:
            return conferences.add_action(self.store, self.view.id, self.value("case"),
                                          self.value("what"), due,
                                          officer=self.value("officer"),
                                          agency=self.value("agency"))
        except Exception as problem:
            if getattr(problem, "field", None) == "owner":
                problem.field = "officer"  # type: ignore[attr-defined]
            raise

    def confirmation(self, result: str) -> str:
        return "Action allocated: it is a task of the case."
