"""The intake form: open a new case with the first report's details and the victim."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select, SelectionList

from asbtui.errors import InvalidInput
from asbtui.models import Category, District, PartyRole, RiskLevel
from asbtui.services import cases, triage
from asbtui.widgets.form import FieldRow, FormScreen, channel_field

if TYPE_CHECKING:
    from asbtui.db import Store


def _required_check(label: str):  # noqa: ANN202
    def check(value: str) -> None:
        if not value.strip():
            raise InvalidInput(f"{label} is required.")

    return check


class IntakeForm(FormScreen[str]):
    """New case: district, category, channel, risk, location, summary, reporter or victim."""

    TITLE_TEXT = "New case"
    checks = {"summary_line": _required_check("Summary")}

    def __init__(self, store: Store, district: District | None) -> None:
        super().__init__()
        self.store = store
        self.district = district

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
            "Summary",
            Input(
                placeholder="What is happening, to whom, how often",
                id="summary_line",
                max_length=cases.SUMMARY_MAX,
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
        yield FieldRow("", Checkbox("Hate-motivated", id="hate_motivated"), "hate_motivated")
        yield FieldRow(
            "Urgency",
            SelectionList[str](*[(Text(f.question), f.key, False) for f in triage.FACTORS],
                               id="factors"),
            "factors",
            "Space ticks each yes: they set the priority and the first-contact target",
        )

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
                )
            )
        elif self.value("address").strip() or self.value("phone").strip():
            raise InvalidInput("Give the person's name, or clear their address and phone.", "name")
        try:
            return cases.create_case(
                self.store,
                cases.NewCase(
                    district=self.value("district") or "",
                    category=self.value("category") or "",
                    channel=self.value("channel"),
                    risk=self.value("risk"),
                    location=self.value("location"),
                    postcode=self.value("postcode"),
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

    def factors(self) -> tuple[str, ...]:
        """The urgency factors ticked."""
        return tuple(self.query_one("#factors", SelectionList).selected)

    def confirmation(self, result: str) -> str:
        return f"Case {result} opened."
