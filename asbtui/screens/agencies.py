"""The register of partner agencies: contacts and the information sharing agreement."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Select

from asbtui.errors import AsbError
from asbtui.literal import one_line
from asbtui.models import AgencyKind, District
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import partners
from asbtui.services.access import Permission
from asbtui.services.partners import AgencyView
from asbtui.widgets.form import FieldRow, FormScreen
from asbtui.widgets.permitted import may

if TYPE_CHECKING:
    from asbtui.db import Store


class AgenciesScreen(RecordListScreen[AgencyView]):
    BINDINGS = [
        Binding("a", "add", "Add agency", id="agencies.add"),
        Binding("x", "toggle_active", "Withdraw/restore",
                tooltip="Withdraw the highlighted agency from the register, or restore it",
                id="agencies.toggle_active"),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "add": Permission.MANAGE_AGENCIES,
        "toggle_active": Permission.MANAGE_AGENCIES,
    }
    COLUMNS = ("Agency", "Kind", "District", "Contact", "Email", "Phone", "ISA ref")
    FAILED_TITLE = "Could not load the agencies"
    EMPTY = "no agencies yet"

    def title_text(self) -> Text:
        return Text(f"Partner agencies ({len(self.records)})", style="bold")

    def fetch(self) -> list[AgencyView]:
        # Admins see withdrawn agencies too, so that they can restore them.
        return partners.agencies(self.asb.store,
                                 include_inactive=may(self, Permission.MANAGE_AGENCIES))

    def key(self, record: AgencyView) -> str:
        return record.id

    def cells(self, record: AgencyView) -> list[Text]:
        style = "" if record.active else "dim"
        return [
            Text(one_line(record.name, 36) + ("" if record.active else " (withdrawn)"),
                 style=style),
            Text(record.kind.label, style=style),
            Text(record.district.value if record.district else "all", style=style),
            Text(one_line(record.contact_name, 20), style=style),
            Text(one_line(record.contact_email, 28), style=style),
            Text(one_line(record.contact_phone, 16), style=style),
            Text(one_line(record.isa_ref, 20), style=style),
        ]

    def detail(self, record: AgencyView) -> Text:
        where = f"{record.district.label} ({record.district.value})" if record.district \
            else "all districts"
        contact = " · ".join(one_line(x) for x in (record.contact_name, record.contact_email,
                                                    record.contact_phone) if x)
        return Text(
            f"{one_line(record.name)} · {record.kind.label} · {where}"
            + ("" if record.active else " · withdrawn")
            + f"\nContact: {contact or 'none recorded'} · ISA {one_line(record.isa_ref)}"
        )

    def action_add(self) -> None:
        self.app.push_screen(AgencyForm(self.asb.store), self.saved)

    def action_toggle_active(self) -> None:
        record = self.highlighted()
        if record is None:
            return
        try:
            partners.set_agency_active(self.asb.store, record.name, not record.active)
        except AsbError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        state = "restored to" if not record.active else "withdrawn from"
        self.notify(f"{record.name} {state} the register.", title="Saved", markup=False)
        self.saved(record)


class AgencyForm(FormScreen[AgencyView]):
    TITLE_TEXT = "Add a partner agency"

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def fields(self) -> ComposeResult:
        yield FieldRow("Name", Input(id="name", max_length=partners.AGENCY_NAME_MAX), "name")
        yield FieldRow("Kind", Select([(k.label, k) for k in AgencyKind], id="kind",
                                      prompt="Choose a kind"), "kind")
        yield FieldRow(
            "District",
            Select([(f"{d.value}  {d.label}", d) for d in District], id="district",
                   prompt="All districts (force-wide)"),
            "district",
        )
        yield FieldRow("ISA reference", Input(id="isa_ref", max_length=60), "isa_ref",
                       "The information sharing agreement data is shared under")
        yield FieldRow("Contact name", Input(id="contact_name", max_length=120),
                       "contact_name")
        yield FieldRow("Contact email", Input(id="contact_email", max_length=120),
                       "contact_email")
        yield FieldRow("Contact phone", Input(id="contact_phone", max_length=40),
                       "contact_phone")

    def save(self) -> AgencyView:
        return partners.add_agency(
            self.store, self.value("name"), self.value("kind") or "", self.value("isa_ref"),
            district=self.value("district"), contact_name=self.value("contact_name"),
            contact_email=self.value("contact_email"),
            contact_phone=self.value("contact_phone"),
        )

    def confirmation(self, result: AgencyView) -> str:
        return f"{result.name} added to the register."
