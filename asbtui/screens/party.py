"""Add a person to a case: victim, perpetrator, witness or reporter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select

from asbtui.dates import parse_date
from asbtui.models import PartyRole
from asbtui.services import cases
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store


def _check_dob(value: str) -> None:
    if value.strip():
        parse_date(value)


class PartyForm(FormScreen[str]):
    checks = {"date_of_birth": _check_dob}

    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.TITLE_TEXT = f"Add a person to {ref}"

    def fields(self) -> ComposeResult:
        yield FieldRow(
            "Role",
            Select([(r.label, r) for r in PartyRole], id="role", prompt="Choose a role"),
            "role",
        )
        yield FieldRow("Name", Input(id="name", max_length=120), "name")
        yield FieldRow(
            "Date of birth",
            Input(id="date_of_birth", placeholder="DD/MM/YYYY"),
            "date_of_birth",
            "If known",
        )
        yield FieldRow("Address", Input(id="address", max_length=300), "address")
        yield FieldRow("Phone", Input(id="phone", max_length=40), "phone")
        yield FieldRow("", Checkbox("Vulnerable", id="vulnerable"), "vulnerable")
        yield FieldRow("", Checkbox("Anonymous: never disclose to partners", id="withheld"),
                       "withheld")
        yield FieldRow("Notes", Input(id="notes"), "notes")

    def save(self) -> str:
        dob_text = self.value("date_of_birth").strip()
        dob = parse_date(dob_text, field="date_of_birth") if dob_text else None
        role = self.value("role") or ""
        cases.add_party(
            self.store,
            self.ref,
            cases.PersonInput(
                name=self.value("name"),
                role=role,
                address=self.value("address"),
                phone=self.value("phone"),
                date_of_birth=dob,
                vulnerable=self.value("vulnerable"),
                notes=self.value("notes"),
                withheld=self.value("withheld"),
            ),
        )
        return str(role)

    def confirmation(self, result: str) -> str:
        return f"{result.capitalize()} added to {self.ref}."
