"""The intake form: open a new case with the first report's details and the victim."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Checkbox, Input, Select, SelectionList, Static, TextArea

from asbtui.dates import format_date
from asbtui.errors import AsbError, InvalidInput
from asbtui.literal import one_line, plural
from asbtui.models import Category, District, IncidentType, PartyRole, RiskLevel
from asbtui.services import cases, geo, links, matches, triage
from asbtui.services.matches import CaseMatch, MatchQuery
from asbtui.widgets.choice import ChoiceScreen
from asbtui.widgets.form import FieldRow, FormScreen, channel_field

if TYPE_CHECKING:
    from asbtui.db import Store


def _required_check(label: str):  # noqa: ANN202
    def check(value: str) -> None:
        if not value.strip():
            raise InvalidInput(f"{label} is required.")

    return check


NEW_CASE = "__new__"
LINKED_CASE = "__linked__"
MATCH_FIELDS = ("location", "postcode", "coordinates", "name")
SHOWN_MATCHES = 8


class IntakeForm(FormScreen[str]):
    """New case: district, category, channel, risk, location, summary, reporter or victim.

    As the place and the person are typed, open cases and recent reports about them are
    shown; saving while there are any asks whether the report belongs to one of them.
    """

    TITLE_TEXT = "New case"
    checks = {"summary_line": _required_check("Summary")}

    @dataclass
    class MatchesFound(Message):
        query: MatchQuery
        found: list[CaseMatch]

    def __init__(self, store: Store, district: District | None) -> None:
        super().__init__()
        self.store = store
        self.district = district
        self.matched: tuple[MatchQuery, list[CaseMatch]] | None = None
        self.answered: MatchQuery | None = None
        """The matches the officer has already chosen to go past (save a new case)."""
        self.link_to: list[str] = []
        """Cases the new case is to be linked to when it is saved."""

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "District",
            Select(
                [(f"{d.value} {d.label}", d) for d in District],
                id="district",
                value=self.district or Select.NULL,
                prompt="Choose a district",
            ),
            "district",
        )
        yield FieldRow(
            "Category",
            Select([(c.label, c) for c in Category], id="category", prompt="Choose a category"),
            "category",
            "Personal: targeted at a person; Nuisance: a community; Environmental: surroundings",
        )
        yield channel_field()
        yield FieldRow(
            "Risk to the victim",
            Select(
                [(r.label, r) for r in RiskLevel],
                id="risk",
                value=RiskLevel.STANDARD,
                allow_blank=False,
            ),
            "risk",
        )
        yield FieldRow(
            "Location",
            Input(placeholder="e.g. 14 Invicta Road, Margate", id="location", max_length=300),
            "location",
        )
        yield FieldRow(
            "Postcode", Input(placeholder="e.g. CT9 2QB", id="postcode", max_length=10), "postcode"
        )
        yield FieldRow(
            "Point",
            Input(placeholder="latitude, longitude, e.g. 51.3890, 1.3861", id="coordinates",
                  max_length=60),
            "coordinates",
            "If known: cases within 150 m are shown",
        )
        matches_panel = Static("", id="intake-matches", classes="form-note")
        matches_panel.display = False  # shown only when cases match
        yield matches_panel
        yield FieldRow(
            "Summary",
            TextArea(
                id="summary_line",
                soft_wrap=True,
                placeholder="What is happening, to whom, how often",
            ),
            "summary_line",
        )
        yield FieldRow(
            "Victim or reporter",
            Input(id="name", max_length=120, placeholder="Full name"),
            "name",
            "Leave blank to add people later",
        )
        yield FieldRow(
            "Their role",
            Select(
                [(r.label, r) for r in (PartyRole.VICTIM, PartyRole.REPORTER)],
                id="role",
                value=PartyRole.VICTIM,
                allow_blank=False,
            ),
            "role",
        )
        yield FieldRow("Their address", Input(id="address", max_length=300), "address")
        yield FieldRow("Their phone", Input(id="phone", max_length=40), "phone")
        yield FieldRow("", Checkbox("Vulnerable (reviewed weekly)", id="vulnerable"), "vulnerable")
        yield FieldRow("", Checkbox("Anonymous: never disclose to partners", id="withheld"),
                       "withheld")
        yield FieldRow("", Checkbox("Hate-motivated", id="hate_motivated"), "hate_motivated")
        yield FieldRow(
            "Urgency",
            SelectionList[str](*[(Text(f.question), f.key, False) for f in triage.FACTORS],
                               id="factors"),
            "factors",
            "Space ticks each yes: they set the priority and the first-contact target",
        )

    # ------------------------------------------------------------------ duplicates

    def match_query(self) -> MatchQuery:
        try:
            point = geo.parse_point(self.value("coordinates"))
        except InvalidInput:
            point = None  # half typed or wrong: saving says what is wrong with it
        return MatchQuery(location=self.value("location"), postcode=self.value("postcode"),
                          person_name=self.value("name"), point=point)

    @on(Input.Blurred)
    def place_or_person_left(self, event: Input.Blurred) -> None:
        if event.input.id in MATCH_FIELDS:
            query = self.match_query()
            if self.matched is None or self.matched[0] != query:
                self.find_matches(query)

    @work(thread=True, exclusive=True, group="matches", exit_on_error=False,
          description="Looking for matching cases")
    def find_matches(self, query: MatchQuery) -> None:
        try:
            found = [] if query.empty else matches.intake_matches(self.store, query)
        except AsbError:
            found = []
        self.post_message(self.MatchesFound(query, found))

    @on(MatchesFound)
    def show_matches(self, message: MatchesFound) -> None:
        if message.query != self.match_query():
            return  # typed on since: a newer search follows
        self.matched = (message.query, message.found)
        panel = self.query_one("#intake-matches", Static)
        panel.display = bool(message.found)
        if not message.found:
            panel.update("")
            return
        lines = Text(f"{plural(len(message.found), 'case')} may be about this already "
                     "(saving asks whether the report belongs to one):", style="bold yellow")
        for m in message.found[:SHOWN_MATCHES]:
            lines.append("\n")
            lines.append_text(describe_match(m))
        panel.update(lines)

    def action_save(self) -> None:
        query = self.match_query()
        if query.empty or query == self.answered:
            super().action_save()
            return
        try:
            found = matches.intake_matches(self.store, query)
        except AsbError:
            found = []
        if not found:
            super().action_save()
            return
        choices: list[tuple[str | Text, str]] = [
            (Text("Add this report to ") + describe_match(m), m.ref) for m in found[:SHOWN_MATCHES]]
        choices += [("Save a new case linked to them (related, not the same problem)",
                     LINKED_CASE),
                    ("Save a new case: none of these is the same problem", NEW_CASE),
                    ("Back to the form", "")]

        def chosen(answer: str | None) -> None:
            if answer in (NEW_CASE, LINKED_CASE):
                self.answered = query
                self.link_to = ([m.ref for m in found[:SHOWN_MATCHES]]
                                if answer == LINKED_CASE else [])
                super(IntakeForm, self).action_save()
            elif answer:
                self.add_to_case(answer, next(m for m in found if m.ref == answer))

        self.app.push_screen(
            ChoiceScreen(f"{plural(len(found), 'case')} may be about the same problem", choices),
            chosen)

    def add_to_case(self, ref: str, match: CaseMatch) -> None:
        """The report becomes an incident on the existing case (and its person is added,
        unless already named there)."""
        from asbtui.dates import utc_now

        self.clear_errors()
        try:
            summary = cases.required_text(self.value("summary_line"), "summary_line",
                                          "Summary", cases.TEXT_MAX)
            cases.add_incident(self.store, ref, cases.NewIncident(
                occurred_at=utc_now(), channel=self.value("channel"),
                incident_type=IncidentType.OTHER, description=summary,
                location=self.value("location")))
            name = self.value("name").strip()
            if name and not {matches.SAME_PERSON, matches.SAME_NAME} & set(match.reasons):
                cases.add_party(self.store, ref, cases.PersonInput(
                    name=name, role=self.value("role"), address=self.value("address"),
                    phone=self.value("phone"), vulnerable=self.value("vulnerable")))
        except InvalidInput as problem:
            self.show_error(problem.field, str(problem))
            return
        except AsbError as problem:
            self.show_error(None, str(problem))
            return
        self.app.notify(f"Report added to {ref} as an incident.", title="Saved", markup=False)
        self.dismiss(ref)

    def save(self) -> str:
        name = self.value("name").strip()
        people = []
        if name:
            people.append(
                cases.PersonInput(
                    name=name,
                    role=self.value("role"),
                    address=self.value("address"),
                    phone=self.value("phone"),
                    vulnerable=self.value("vulnerable"),
                    withheld=self.value("withheld"),
                )
            )
        elif self.value("address").strip() or self.value("phone").strip():
            raise InvalidInput("Give the person's name, or clear their address and phone.", "name")
        try:
            ref = cases.create_case(
                self.store,
                cases.NewCase(
                    district=self.value("district") or "",
                    category=self.value("category") or "",
                    channel=self.value("channel"),
                    risk=self.value("risk"),
                    location=self.value("location"),
                    postcode=self.value("postcode"),
                    coordinates=self.value("coordinates"),
                    summary=self.value("summary_line"),
                    hate_motivated=self.value("hate_motivated"),
                    people=people,
                    factors=self.factors(),
                    targets=self.app.settings.response_targets(),  # type: ignore[attr-defined]
                ),
            )
        except InvalidInput as problem:
            if problem.field == "summary":
                problem.field = "summary_line"
            raise
        self.linked: list[str] = []
        for other in self.link_to:
            # The case is saved: a link refused now is said, never a second case on retry.
            try:
                self.linked.append(links.link_cases(
                    self.store, ref, other, "Found at intake: may be a related problem"))
            except AsbError as problem:
                self.app.notify(str(problem), title=f"Not linked to {other}",
                                severity="warning", markup=False)
        return ref

    def factors(self) -> tuple[str, ...]:
        """The urgency factors ticked."""
        return tuple(self.query_one("#factors", SelectionList).selected)

    def confirmation(self, result: str) -> str:
        linked = getattr(self, "linked", [])
        return f"Case {result} opened" + (f", linked to {', '.join(linked)}." if linked else ".")


def describe_match(m: CaseMatch) -> Text:
    last = f", last report {format_date(m.last_report_at)}" if m.last_report_at else ""
    return Text(f"{m.ref} {m.district.value} {m.status.label.lower()} · "
                f"{one_line(m.location, 40)}{last} ({', '.join(m.reasons)})")
