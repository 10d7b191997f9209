"""A case's plan: the first-contact target, each victim's updates, and the action plan tasks.

`f` records the first contact; on a victim, `u` logs an update given to them and `F`
changes how often they are updated (with what they agreed); `n` adds a task (for an
officer or a partner agency) and `c` marks the highlighted task done with its outcome.
Partners see only their agency's tasks, and complete them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Select

from asbtui.dates import format_date, format_datetime, format_time_left, parse_date
from asbtui.errors import InvalidInput
from asbtui.literal import one_line, plural, visible
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import tasks, triage, victims
from asbtui.services.access import Permission
from asbtui.services.tasks import TaskView
from asbtui.services.triage import FirstContactView
from asbtui.services.victims import VictimPlanView
from asbtui.widgets.form import FieldRow, FormScreen
from asbtui.widgets.permitted import actor_of

if TYPE_CHECKING:
    from asbtui.db import Store

PlanRecord = FirstContactView | VictimPlanView | TaskView


@dataclass(frozen=True)
class PlanRows:
    first: FirstContactView | None
    victims: list[VictimPlanView]
    tasks: list[TaskView]


class CasePlanScreen(RecordListScreen[PlanRecord]):
    """First contact, victims' updates and tasks of one case."""

    BINDINGS = [
        Binding("f", "first_contact", "First contact", tooltip="Record the first contact",
                id="plan.first_contact"),
        Binding("u", "victim_update", "Victim update",
                tooltip="Log an update given to the highlighted victim", id="plan.victim_update"),
        Binding("F", "frequency", "Frequency",
                tooltip="Change how often the highlighted victim is updated (as agreed)",
                id="plan.frequency", show=False),
        Binding("n", "add_task", "New task", tooltip="Add a task to the action plan",
                id="plan.add_task"),
        Binding("c", "complete_task", "Task done",
                tooltip="Mark the highlighted task done, with its outcome", id="plan.done"),
        Binding("L", "letter", "Letter",
                tooltip="Produce a warning letter, CPW or CPN from the case's action (audited)",
                id="plan.letter", show=False),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "first_contact": Permission.WORK_CASES,
        "victim_update": Permission.WORK_CASES,
        "frequency": Permission.WORK_CASES,
        "add_task": Permission.WORK_CASES,
        "letter": Permission.WORK_CASES,
    }
    COLUMNS = ()
    WIDTHS = (("Item", 13), ("Who", 16), ("Due", 16), ("State", 13), ("Details", 44))
    FAILED_TITLE = "Could not load the plan"
    EMPTY = "no first-contact target, victims or tasks yet (n adds a task)"

    @dataclass
    class LetterSaved(Message):
        text: str
        failed: bool = False

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def on_mount(self) -> None:
        table = self.query_one("#records", DataTable)
        for label, width in self.WIDTHS:
            table.add_column(Text(label), width=width)
        super().on_mount()

    def title_text(self) -> Text:
        return Text(f"Plan of {self.ref}: first contact, victim updates, action plan tasks",
                    style="bold")

    def fetch(self) -> list[PlanRecord]:
        store = self.asb.store
        actor = actor_of(self)
        police = actor is not None and actor.may(Permission.WORK_CASES)
        first = triage.first_contact(store, self.ref) if police else None
        plans = victims.victim_plans(store, self.ref) if police else []
        rows: list[PlanRecord] = [first] if first else []
        return [*rows, *plans, *tasks.case_tasks(store, self.ref)]

    def key(self, record: PlanRecord) -> str:
        if isinstance(record, FirstContactView):
            return "first"
        if isinstance(record, VictimPlanView):
            return f"victim:{record.party_id}"
        return f"task:{record.id}"

    def cells(self, record: PlanRecord) -> list[Text]:
        now = self.asb.clock()
        today = now.date()
        if isinstance(record, FirstContactView):
            if record.met_at:
                state = Text("met late" if record.breached(now) else "met in time",
                             style="red" if record.breached(now) else "green")
            else:
                left = record.due_at - now
                state = Text(format_time_left(left),
                             style="bold white on red" if record.breached(now) else "yellow")
            return [Text("First contact", style="bold"),
                    Text(f"{record.priority.value} priority"),
                    Text(format_datetime(record.due_at)), state,
                    Text(f"{record.method} {format_datetime(record.met_at)}"
                         if record.met_at else "f records it")]
        if isinstance(record, VictimPlanView):
            overdue = record.overdue(today)
            last = record.contacts[0] if record.contacts else None
            return [Text("Victim update", style="bold"), Text(one_line(record.name, 24)),
                    Text(format_date(record.next_due)),
                    Text("overdue" if overdue else f"every {plural(record.frequency_days, 'day')}",
                         style="bold white on red" if overdue else ""),
                    Text(f"last {format_datetime(last.contacted_at)} {last.method}"
                         if last else "no update logged yet")]
        overdue = record.overdue(today)
        state = (Text(f"done {format_date(record.done_on)}", style="green") if record.done_on
                 else Text("overdue", style="bold white on red") if overdue else Text("open"))
        return [Text("Task", style="bold"), Text(one_line(record.owner, 24)),
                Text(format_date(record.due_on)), state,
                Text(one_line(record.outcome or record.what, 44))]

    def detail(self, record: PlanRecord) -> Text:
        if isinstance(record, FirstContactView):
            factors = ", ".join(record.factors) or "none"
            return Text(f"Reported {format_datetime(record.reported_at)} · urgency factors: "
                        f"{factors} · due by {format_datetime(record.due_at)}")
        if isinstance(record, VictimPlanView):
            agreed = f" · agreed: {visible(one_line(record.agreed))}" if record.agreed else ""
            lines = [f"{visible(record.name)}: {record.frequency_text()}{agreed}"]
            for c in record.contacts[:3]:
                lines.append(f"{format_datetime(c.contacted_at)} {c.method} by {c.by_user}: "
                             f"{visible(one_line(c.said, 60))} · view: "
                             f"{visible(one_line(c.victim_view, 40))}")
            return Text("\n".join(lines))
        outcome = f"\nOutcome: {visible(one_line(record.outcome))}" if record.outcome else ""
        return Text(f"{visible(one_line(record.what))} · {visible(record.owner)} · due "
                    f"{format_date(record.due_on)}{outcome}")

    # ------------------------------------------------------------------ actions

    def action_first_contact(self) -> None:
        self.app.push_screen(FirstContactForm(self.asb.store, self.ref), self.saved)

    def _victim(self) -> VictimPlanView | None:
        record = self.highlighted()
        if isinstance(record, VictimPlanView):
            return record
        self.notify("Highlight a victim first.", markup=False)
        return None

    def action_victim_update(self) -> None:
        victim = self._victim()
        if victim is not None:
            self.app.push_screen(VictimContactForm(self.asb.store, self.ref, victim),
                                 self.saved)

    def action_frequency(self) -> None:
        victim = self._victim()
        if victim is not None:
            self.app.push_screen(FrequencyForm(self.asb.store, self.ref, victim), self.saved)

    def action_add_task(self) -> None:
        self.app.push_screen(TaskForm(self.asb.store, self.ref), self.saved)

    def action_complete_task(self) -> None:
        record = self.highlighted()
        if not isinstance(record, TaskView) or record.done_on is not None:
            self.notify("Highlight an open task first.", markup=False)
            return
        self.app.push_screen(TaskDoneForm(self.asb.store, record), self.saved)


    def action_letter(self) -> None:
        from asbtui.services.letters import LetterFormat, LetterKind
        from asbtui.widgets.choice import ChoiceScreen

        def kind_chosen(kind: LetterKind | None) -> None:
            if kind is None:
                return

            def format_chosen(fmt: LetterFormat | None) -> None:
                if fmt is not None:
                    self.save_letter(kind, fmt)

            self.app.push_screen(ChoiceScreen("Format", [("PDF", LetterFormat.PDF),
                                                         ("Markdown", LetterFormat.MD)]),
                                 format_chosen)

        self.app.push_screen(ChoiceScreen("Produce which letter?",
                                          [(k.label, k) for k in LetterKind]), kind_chosen)

    @work(thread=True, exclusive=True, group="letter", exit_on_error=False,
          description="Producing the letter")
    def save_letter(self, kind: object, fmt: object) -> None:
        from asbtui.services import exporter, letters

        try:
            path = letters.save(self.asb.store, self.ref, kind, fmt,  # type: ignore[arg-type]
                                exporter.documents_folder())
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LetterSaved(str(error), failed=True))
            return
        self.post_message(self.LetterSaved(str(path)))

    @on(LetterSaved)
    def letter_saved(self, message: LetterSaved) -> None:
        if message.failed:
            self.notify(message.text, title="No letter produced", severity="error",
                        markup=False)
        else:
            self.notify(f"Saved to {message.text}", title="Letter produced", markup=False)


def _methods(methods: tuple[str, ...]) -> Select:
    return Select([(m.capitalize(), m) for m in methods], id="method", value=methods[0],
                  allow_blank=False)


class FirstContactForm(FormScreen[FirstContactView]):
    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store, self.ref = store, ref
        self.TITLE_TEXT = f"First contact on {ref}"

    def fields(self) -> ComposeResult:
        yield FieldRow("How", _methods(triage.METHODS), "method",
                       "Recorded as now, by you: it meets the first-contact target")

    def save(self) -> FirstContactView:
        return triage.record_first_contact(self.store, self.ref, self.value("method"))

    def confirmation(self, result: FirstContactView) -> str:
        return f"First contact on {self.ref} recorded."


class VictimContactForm(FormScreen[date]):
    def __init__(self, store: Store, ref: str, victim: VictimPlanView) -> None:
        super().__init__()
        self.store, self.ref, self.victim = store, ref, victim
        self.TITLE_TEXT = f"Update given to {one_line(victim.name, 40)} ({ref})"

    def fields(self) -> ComposeResult:
        yield FieldRow("How", _methods(victims.METHODS), "method")
        yield FieldRow("What was said", Input(id="said", max_length=victims.TEXT_MAX), "said")
        yield FieldRow("Their view", Input(id="victim_view", max_length=victims.TEXT_MAX),
                       "victim_view", "How the victim feels about progress")

    def save(self) -> date:
        return victims.record_contact(self.store, self.ref, self.victim.party_id,
                                      self.value("method"), self.value("said"),
                                      self.value("victim_view"))

    def confirmation(self, result: date) -> str:
        return f"Update logged; the next is due {format_date(result)}."


class FrequencyForm(FormScreen[date]):
    def __init__(self, store: Store, ref: str, victim: VictimPlanView) -> None:
        super().__init__()
        self.store, self.ref, self.victim = store, ref, victim
        self.TITLE_TEXT = f"How often {one_line(victim.name, 40)} is updated"

    def fields(self) -> ComposeResult:
        yield FieldRow("Every (days)", Input(str(self.victim.frequency_days), id="days",
                                             type="integer", max_length=2), "days")
        yield FieldRow("Agreed", Input(self.victim.agreed, id="agreed", max_length=500),
                       "agreed", "What the victim agreed to")

    def save(self) -> date:
        text = self.value("days").strip()
        if not text.isdigit():
            raise InvalidInput("Give the days between updates as a number.", "days")
        return victims.set_frequency(self.store, self.ref, self.victim.party_id, int(text),
                                     self.value("agreed"))

    def confirmation(self, result: date) -> str:
        return f"Changed; the next update is due {format_date(result)}."


class TaskForm(FormScreen[str]):
    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store, self.ref = store, ref
        self.TITLE_TEXT = f"New task on {ref}"

    def fields(self) -> ComposeResult:
        yield FieldRow("What", Input(id="what", max_length=tasks.WHAT_MAX), "what")
        yield FieldRow("Officer", Input(id="officer", placeholder="Collar number, e.g. PC 4512",
                                        max_length=20), "officer",
                       "An officer, or else a partner agency below")
        yield FieldRow("Agency", Input(id="agency", placeholder="e.g. Thanet District Council",
                                       max_length=120), "agency")
        yield FieldRow("Due", Input(id="due_on", placeholder="DD/MM/YYYY", max_length=10),
                       "due_on")

    def save(self) -> str:
        due = parse_date(self.value("due_on"), field="due_on")
        try:
            return tasks.add_task(self.store, self.ref, self.value("what"), due,
                                  officer=self.value("officer"), agency=self.value("agency"))
        except InvalidInput as problem:
            if problem.field == "owner":
                problem.field = "officer"
            raise

    def confirmation(self, result: str) -> str:
        return f"Task added to {self.ref}."


class TaskDoneForm(FormScreen[TaskView]):
    def __init__(self, store: Store, task: TaskView) -> None:
        super().__init__()
        self.store, self.done_task = store, task
        self.TITLE_TEXT = f"Done: {one_line(task.what, 50)}"

    def fields(self) -> ComposeResult:
        yield FieldRow("Outcome", Input(id="outcome", max_length=tasks.OUTCOME_MAX), "outcome",
                       "What came of it (done today)")

    def save(self) -> TaskView:
        return tasks.complete_task(self.store, self.done_task.id, self.value("outcome"))

    def confirmation(self, result: TaskView) -> str:
        return f"Task done on {result.case_ref}."
