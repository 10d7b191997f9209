"""Add an incident (a further report) to a case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Input, Select, TextArea

from asbtui.dates import format_datetime, parse_datetime, utc_now
from asbtui.models import IncidentType
from asbtui.services import cases
from asbtui.widgets.form import FieldRow, FormScreen, channel_field

if TYPE_CHECKING:
    from asbtui.db import Store


class IncidentForm(FormScreen[str]):
    TITLE_TEXT = "Add incident"
    checks = {"occurred_at": lambda value: parse_datetime(value)}

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
