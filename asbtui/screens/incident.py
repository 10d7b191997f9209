"""Add an incident (a further report) to a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input, Select, Static, TextArea

from asbtui.dates import format_datetime, parse_datetime, utc_now
from asbtui.errors import AsbError
from asbtui.models import IncidentType
from asbtui.services import cases, matches
from asbtui.services.matches import CaseMatch, MatchQuery
from asbtui.services.refs import normalise_ref
from asbtui.widgets.form import FieldRow, FormScreen, channel_field

if TYPE_CHECKING:
    from asbtui.db import Store


class IncidentForm(FormScreen[str]):
    TITLE_TEXT = "Add incident"
    checks = {"occurred_at": lambda value: parse_datetime(value)}

    @dataclass
    class MatchesFound(Message):
        location: str
        found: list[CaseMatch]

    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.TITLE_TEXT = f"Add incident to {ref}"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "When",
            Input(value=format_datetime(utc_now()), id="occurred_at"),
            "occurred_at",
            "DD/MM/YYYY HH:MM, London time ('now' for now)",
        )
        yield channel_field()
        yield FieldRow(
            "Type",
            Select(
                [(t.label, t) for t in IncidentType], id="incident_type", prompt="Choose a type"
            ),
            "incident_type",
        )
        yield FieldRow(
            "Description",
            TextArea(id="description", soft_wrap=True),
            "description",
            "What happened (tab leaves this box)",
        )
        yield FieldRow(
            "Crime reference",
            Input(id="crime_ref", placeholder="if a crime was recorded", max_length=40),
            "crime_ref",
        )
        yield FieldRow(
            "Location",
            Input(id="location", max_length=300),
            "location",
            "If not the case's location",
        )
        panel = Static("", id="incident-matches", classes="form-note")
        panel.display = False  # shown only when other cases match the place
        yield panel

    @on(Input.Blurred, "#location")
    def place_left(self, event: Input.Blurred) -> None:
        if event.value.strip():
            self.find_matches(event.value)

    @work(thread=True, exclusive=True, group="matches", exit_on_error=False,
          description="Looking for other cases at this place")
    def find_matches(self, location: str) -> None:
        try:
            found = matches.intake_matches(self.store, MatchQuery(location=location))
        except AsbError:
            found = []
        self.post_message(self.MatchesFound(location, found))

    @on(MatchesFound)
    def show_matches(self, message: MatchesFound) -> None:
        from asbtui.screens.intake import describe_match

        others = [m for m in message.found if m.ref != normalise_ref(self.ref)]
        panel = self.query_one("#incident-matches", Static)
        panel.display = bool(others) and message.location == self.value("location")
        text = Text("Other cases at this place (L on the case links one):",
                    style="bold yellow")
        for m in others[:5]:
            text.append("\n")
            text.append_text(describe_match(m))
        panel.update(text)

    def save(self) -> str:
        occurred = parse_datetime(self.value("occurred_at"), field="occurred_at")
        cases.add_incident(
            self.store,
            self.ref,
            cases.NewIncident(
                occurred_at=occurred,
                channel=self.value("channel"),
                incident_type=self.value("incident_type") or "",
                description=self.value("description"),
                crime_ref=self.value("crime_ref"),
                location=self.value("location"),
            ),
        )
        return self.ref

    def confirmation(self, result: str) -> str:
        return f"Incident added to {result}."
