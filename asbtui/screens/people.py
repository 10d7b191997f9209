"""Find a person across the force: a search form, then each case they are on."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input

from asbtui.dates import format_date, parse_date
from asbtui.literal import one_line
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import people
from asbtui.services.access import Permission
from asbtui.services.people import PersonHit, PersonQuery
from asbtui.widgets.form import FieldRow, FormScreen


def _check_date(value: str) -> None:
    if value.strip():
        parse_date(value)


class PersonSearchForm(FormScreen[PersonQuery]):
    """Name, date of birth, address, phone: any of them (a date of birth only narrows)."""

    TITLE_TEXT = "Find a person: every district, closed cases too"
    CONFIRM = False
    checks = {"date_of_birth": _check_date}

    def fields(self) -> ComposeResult:
        yield FieldRow("Name", Input(id="name", max_length=120), "name",
                       "Words the name begins with, in any order")
        yield FieldRow("Date of birth", Input(id="date_of_birth", placeholder="DD/MM/YYYY"),
                       "date_of_birth")
        yield FieldRow("Address", Input(id="address", max_length=300), "address")
        yield FieldRow("Phone", Input(id="phone", max_length=40), "phone")

    def save(self) -> PersonQuery:
        born = self.value("date_of_birth").strip()
        query = PersonQuery(
            name=self.value("name"), address=self.value("address"), phone=self.value("phone"),
            date_of_birth=parse_date(born, field="date_of_birth") if born else None)
        people.check_query(query)
        return query


class PeopleScreen(RecordListScreen[PersonHit]):
    """The people found, one row per case they are on; enter opens the case."""

    BINDINGS = [
        Binding("enter", "open_case", "Open case", id="people.open_case"),
        Binding("v", "show_details", "Details",
                tooltip="Show their dates of birth, addresses and phones (asks why; audited)",
                id="people.details"),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "show_details": Permission.VIEW_PEOPLE,
    }
    COLUMNS = ("Name", "Role", "Case", "District", "Status", "Born", "Address", "Phone")
    FAILED_TITLE = "Could not search"
    EMPTY = "no one found"

    def __init__(self, query: PersonQuery) -> None:
        super().__init__()
        self.search = query
        self.reason: str | None = None

    def title_text(self) -> Text:
        q = self.search
        what = " · ".join(one_line(x, 40) for x in (q.name, format_date(q.date_of_birth),
                                                    q.address, q.phone) if x)
        return Text(f"People matching {what}: {len(self.records)} on cases you may read",
                    style="bold")

    def fetch(self) -> list[PersonHit]:
        return people.find_people(self.asb.store, self.search, self.reason)

    def key(self, record: PersonHit) -> str:
        return record.party_id

    def cells(self, record: PersonHit) -> list[Text]:
        hidden = Text("hidden: v", style="dim") if not record.details_shown else None
        return [
            Text(one_line(record.name, 30) + (" (vulnerable)" if record.vulnerable else "")),
            Text(record.role.label),
            Text(record.ref),
            Text(record.district.label),
            Text(record.status.label),
            hidden or Text(format_date(record.date_of_birth)),
            Text("") if hidden else Text(one_line(record.address, 30)),
            Text("") if hidden else Text(one_line(record.phone, 16)),
        ]

    @on(DataTable.RowSelected)
    def row_chosen(self) -> None:
        self.action_open_case()

    def action_open_case(self) -> None:
        record = self.highlighted()
        if record is not None:
            self.asb.open_case(record.ref)

    def action_show_details(self) -> None:
        from asbtui.screens.justification import JustificationScreen

        def chosen(reason: str | None) -> None:
            if reason is not None:
                self.reason = reason
                self.load()

        self.app.push_screen(
            JustificationScreen("Why do you need these people's details?",
                                "Dates of birth, addresses and phones. Your reason is kept in "
                                "the audit log with your name."),
            chosen)
