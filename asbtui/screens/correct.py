"""Put a record right: forms prefilled with a case's, an incident's or a person's values,
and the removal of a wrongly entered incident or person (with the reason).

Each form hands every field to :mod:`asbtui.services.corrections`, which changes only
what differs and keeps the old values in the case's history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from asbtui.dates import format_date, format_datetime, parse_date, parse_datetime
from asbtui.literal import one_line
from asbtui.models import Category, Channel, District, IncidentType, PartyRole
from asbtui.services import corrections
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store
    from asbtui.services.cases import CaseDetail, IncidentView, PartyView


def _reason_field(hint: str) -> FieldRow:
    return FieldRow("Reason", Input(id="reason", max_length=500), "reason", hint)


def _check_date(value: str) -> None:
    if value.strip():
        parse_date(value)


class CaseCorrectForm(FormScreen[list[str]]):
    """The case's summary, category, channel, location, postcode, point, district, hate
    flag."""

    def __init__(self, store: Store, detail: CaseDetail) -> None:
        super().__init__()
        self.store = store
        self.detail = detail
        self.TITLE_TEXT = f"Correct {detail.ref}"

    def fields(self) -> ComposeResult:
        d = self.detail
        yield FieldRow("District", Select([(f"{x.value} {x.label}", x) for x in District],
                                          id="district", value=d.district, allow_blank=False),
                       "district", "Another district moves the case to its queue (same ref)")
        yield FieldRow("Category", Select([(c.label, c) for c in Category], id="category",
                                          value=d.category, allow_blank=False), "category")
        yield FieldRow("Channel", Select([(c.label, c) for c in Channel], id="channel",
                                         value=d.channel, allow_blank=False), "channel")
        yield FieldRow("Location", Input(d.location, id="location", max_length=300), "location")
        yield FieldRow("Postcode", Input(d.postcode, id="postcode", max_length=10), "postcode")
        yield FieldRow("Point", Input(str(d.point) if d.point else "", id="coordinates",
                                      max_length=60, placeholder="latitude, longitude"),
                       "coordinates", "Where the problem is; empty clears it")
        yield FieldRow("Summary", TextArea(d.summary, id="summary", soft_wrap=True), "summary",
                       "tab leaves this box")
        yield FieldRow("", Checkbox("Hate-motivated", d.hate_motivated, id="hate_motivated"),
                       "hate_motivated")
        yield _reason_field("Why (kept in the history)")

    def save(self) -> list[str]:
        return corrections.correct_case(
            self.store, self.detail.ref,
            corrections.CaseCorrection(
                summary=self.value("summary"), category=self.value("category"),
                channel=self.value("channel"), location=self.value("location"),
                postcode=self.value("postcode"), district=self.value("district"),
                hate_motivated=self.value("hate_motivated"),
                coordinates=self.value("coordinates")),
            self.value("reason"))

    def confirmation(self, result: list[str]) -> str:
        return f"{self.detail.ref} corrected: {', '.join(result)}."


class IncidentCorrectForm(FormScreen[list[str]]):
    """An incident's date and time, channel, type, description, crime ref and location."""

    checks = {"occurred_at": lambda value: parse_datetime(value)}

    def __init__(self, store: Store, ref: str, incident: IncidentView) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.incident = incident
        self.TITLE_TEXT = f"Correct an incident on {ref}"

    def fields(self) -> ComposeResult:
        i = self.incident
        yield FieldRow("When", Input(format_datetime(i.occurred_at), id="occurred_at"),
                       "occurred_at", "DD/MM/YYYY HH:MM, London time")
        yield FieldRow("Channel", Select([(c.label, c) for c in Channel], id="channel",
                                         value=i.channel, allow_blank=False), "channel")
        yield FieldRow("Type", Select([(t.label, t) for t in IncidentType], id="incident_type",
                                      value=i.incident_type, allow_blank=False), "incident_type")
        yield FieldRow("Description", TextArea(i.description, id="description", soft_wrap=True),
                       "description", "tab leaves this box")
        yield FieldRow("Crime reference", Input(i.crime_ref, id="crime_ref", max_length=40),
                       "crime_ref")
        yield FieldRow("Location", Input(i.location, id="location", max_length=300), "location")
        yield _reason_field("Required when the date or time changes")

    def save(self) -> list[str]:
        when = parse_datetime(self.value("occurred_at"), field="occurred_at")
        if format_datetime(when) == format_datetime(self.incident.occurred_at):
            when = None  # unchanged to the minute: keep the seconds it was recorded with
        return corrections.correct_incident(
            self.store, self.incident.id,
            corrections.IncidentCorrection(
                occurred_at=when, channel=self.value("channel"),
                incident_type=self.value("incident_type"),
                description=self.value("description"), crime_ref=self.value("crime_ref"),
                location=self.value("location")),
            self.value("reason"))

    def confirmation(self, result: list[str]) -> str:
        return f"Incident on {self.ref} corrected: {', '.join(result)}."


class PersonCorrectForm(FormScreen[list[str]]):
    """A person's name, role, flag and, once shown for a reason (v), their details."""

    checks = {"date_of_birth": _check_date}

    def __init__(self, store: Store, ref: str, person: PartyView) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.person = person
        self.TITLE_TEXT = f"Correct {one_line(person.name, 40)} on {ref}"

    def fields(self) -> ComposeResult:
        p = self.person
        yield FieldRow("Role", Select([(r.label, r) for r in PartyRole], id="role",
                                      value=p.role, allow_blank=False), "role")
        yield FieldRow("Name", Input(p.name, id="name", max_length=120), "name")
        hidden = not p.details_shown
        hint = "Hidden: close this, press v (asks why), then correct" if hidden else ""
        yield FieldRow("Date of birth", Input(format_date(p.date_of_birth), id="date_of_birth",
                                              placeholder="DD/MM/YYYY", disabled=hidden),
                       "date_of_birth", hint)
        yield FieldRow("Address", Input(p.address, id="address", max_length=300,
                                        disabled=hidden), "address")
        yield FieldRow("Phone", Input(p.phone, id="phone", max_length=40, disabled=hidden),
                       "phone")
        yield FieldRow("", Checkbox("Vulnerable", p.vulnerable, id="vulnerable"), "vulnerable")
        yield FieldRow("Notes", Input(p.notes, id="notes", disabled=hidden), "notes")
        yield _reason_field("Required: why the record was wrong")

    def save(self) -> list[str]:
        fix = corrections.PersonCorrection(name=self.value("name"), role=self.value("role"),
                                           vulnerable=self.value("vulnerable"))
        if self.person.details_shown:
            born = self.value("date_of_birth").strip()
            fix.date_of_birth = parse_date(born, field="date_of_birth") if born else None
            fix.clear_date_of_birth = not born
            fix.address = self.value("address")
            fix.phone = self.value("phone")
            fix.notes = self.value("notes")
        return corrections.correct_person(self.store, self.person.id, fix, self.value("reason"))

    def confirmation(self, result: list[str]) -> str:
        return f"{one_line(self.person.name, 40)} corrected: {', '.join(result)}."


class RemoveForm(FormScreen[str]):
    """Remove a wrongly entered incident or person: a soft delete, for a reason."""

    def __init__(self, store: Store, ref: str, kind: str, record_id: str, what: str) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.kind = kind
        self.record_id = record_id
        self.what = what
        self.TITLE_TEXT = f"Remove {kind} from {ref}"

    def fields(self) -> ComposeResult:
        yield Static(Text(f"{self.what}\nIt leaves the case; the history keeps it, struck "
                          "through, with your reason.", style="dim"), classes="form-note")
        yield _reason_field("Required: why it was entered wrongly")

    def save(self) -> str:
        if self.kind == "incident":
            return corrections.remove_incident(self.store, self.record_id, self.value("reason"))
        return corrections.remove_person(self.store, self.record_id, self.value("reason"))

    def confirmation(self, result: str) -> str:
        return f"The {self.kind} is removed from {self.ref}."


class LinkForm(FormScreen[str]):
    """Link this case to another (its reference, or its first characters)."""

    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.TITLE_TEXT = f"Link {ref} to another case"

    def fields(self) -> ComposeResult:
        yield FieldRow("Other case", Input(id="other", max_length=20), "other",
                       "Its reference, e.g. THA-26-7K3QX")
        yield _reason_field("Why they are linked (optional)")

    def save(self) -> str:
        from asbtui.services import links

        return links.link_cases(self.store, self.ref, _one_ref(self.store, self.value("other")),
                                self.value("reason"))

    def confirmation(self, result: str) -> str:
        return f"{self.ref} linked to {result}."


class MergeForm(FormScreen[str]):
    """Merge this case, a duplicate, into the case that stays (a supervisor's action)."""

    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.TITLE_TEXT = f"Merge {ref} into the case that stays"

    def fields(self) -> ComposeResult:
        yield Static(Text(f"{self.ref}'s incidents, people, notes and actions move to the case "
                          f"that stays; {self.ref} closes as a duplicate and its reference "
                          "then opens the case that stays.", style="dim"), classes="form-note")
        yield FieldRow("Case that stays", Input(id="survivor", max_length=20), "survivor",
                       "Its reference")
        yield _reason_field("Required: why they are the same problem")

    def save(self) -> str:
        from asbtui.services import links

        survivor = _one_ref(self.store, self.value("survivor"), "survivor")
        return links.merge_cases(self.store, self.ref, survivor, self.value("reason")).survivor

    def confirmation(self, result: str) -> str:
        return f"{self.ref} merged into {result}."


def _one_ref(store: Store, text: str, field: str = "other") -> str:
    """The one case whose reference starts with what was typed."""
    from asbtui.errors import InvalidInput
    from asbtui.services import lookup

    found = lookup.find_refs(store, text, limit=2)
    if not text.strip() or not found:
        raise InvalidInput("Type the reference of a case you may read.", field)
    if len(found) > 1 and found[0].ref != lookup.ref_prefix(text):
        raise InvalidInput("More than one case begins so: type more of the reference.", field)
    return found[0].ref
