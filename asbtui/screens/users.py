"""Users (admins): who may sign in, their role, districts or agency; add, unlock, disable."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Select

from asbtui.dates import format_datetime
from asbtui.errors import AsbError, InvalidInput
from asbtui.literal import one_line
from asbtui.models import Role
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import partners, users
from asbtui.services.access import ROLE_LABELS, Permission
from asbtui.services.users import UserView
from asbtui.widgets.form import FieldRow, FormScreen
from asbtui.widgets.permitted import actor_of

if TYPE_CHECKING:
    from asbtui.db import Store


class UsersScreen(RecordListScreen[UserView]):
    """The users of this store. An admin's home screen (then escape does not leave it)."""

    BINDINGS = [
        Binding("a", "add", "Add user", id="users.add"),
        Binding("u", "unlock", "Unlock", tooltip="Unlock the highlighted user's account",
                id="users.unlock"),
        Binding("x", "toggle_active", "Disable/enable",
                tooltip="Disable the highlighted user's account, or enable it again",
                id="users.toggle_active"),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "add": Permission.MANAGE_USERS,
        "unlock": Permission.MANAGE_USERS,
        "toggle_active": Permission.MANAGE_USERS,
    }
    COLUMNS = ("User", "Name", "Role", "Districts", "Agency", "Collar", "Account")
    FAILED_TITLE = "Could not load the users"
    EMPTY = "no users yet: a adds the first (make it an admin)"

    def __init__(self, *, home: bool = False) -> None:
        super().__init__()
        self.home = home

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and self.home:
            return False
        return super().check_action(action, parameters)

    def title_text(self) -> Text:
        return Text(f"Users ({len(self.records)})", style="bold")

    def fetch(self) -> list[UserView]:
        return users.users(self.asb.store)

    def key(self, record: UserView) -> str:
        return record.username

    def cells(self, record: UserView) -> list[Text]:
        return [
            Text(one_line(record.username)),
            Text(one_line(record.full_name, 24)),
            Text(ROLE_LABELS[record.role]),
            Text(", ".join(d.value for d in record.districts)),
            Text(one_line(record.agency, 24)),
            Text(one_line(record.collar)),
            self._state(record),
        ]

    def _state(self, record: UserView) -> Text:
        if not record.active:
            return Text("disabled", style="dim")
        if record.locked_until is not None and record.locked_until > self.asb.clock():
            return Text(f"locked until {format_datetime(record.locked_until)}", style="bold red")
        return Text("active")

    def detail(self, record: UserView) -> Text:
        where = ", ".join(f"{d.label} ({d.value})" for d in record.districts)
        return Text(
            f"{one_line(record.username)} · {one_line(record.full_name)} · "
            f"{ROLE_LABELS[record.role]}"
            + (f" · {where}" if where else "")
            + (f" · {one_line(record.agency)}" if record.agency else "")
            + f"\nAccount: {self._state(record).plain} · u unlocks · x disables or enables"
        )

    def action_add(self) -> None:
        actor = actor_of(self)
        first = actor is not None and actor.is_local

        def added(result: UserView | None) -> None:
            if result is None:
                return
            if first:
                self.notify(
                    f"{result.username} added. This store now has users: sign in.",
                    markup=False,
                )
                self.asb.sign_out()
                return
            self.saved(result)

        self.app.push_screen(UserForm(self.asb.store, first=first), added)

    def action_unlock(self) -> None:
        record = self.highlighted()
        if record is None:
            return
        try:
            users.unlock(self.asb.store, record.username)
        except AsbError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(f"{record.username} can sign in again.", title="Saved", markup=False)
        self.saved(record)

    def action_toggle_active(self) -> None:
        record = self.highlighted()
        if record is None:
            return
        try:
            users.set_active(self.asb.store, record.username, not record.active)
        except AsbError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        state = "enabled" if not record.active else "disabled"
        self.notify(f"{record.username} {state}.", title="Saved", markup=False)
        self.saved(record)


class UserForm(FormScreen[UserView]):
    """Add a user. The PIN is typed twice; it is stored only as an argon2 hash."""

    TITLE_TEXT = "Add a user"

    def __init__(self, store: Store, *, first: bool = False) -> None:
        super().__init__()
        self.store = store
        self.first = first
        if first:
            self.TITLE_TEXT = "Add the first user (make it an admin)"

    def fields(self) -> ComposeResult:
        yield FieldRow("User name", Input(id="username", max_length=40), "username",
                       "Lower case, e.g. j.smith")
        yield FieldRow("Full name", Input(id="full_name", max_length=120), "full_name")
        yield FieldRow(
            "Role",
            Select([(ROLE_LABELS[r], r) for r in Role], id="role",
                   value=Role.ADMIN if self.first else Role.OFFICER, allow_blank=False),
            "role",
        )
        yield FieldRow("Districts", Input(id="district", placeholder="THA, MAI"), "district",
                       "Officers: one; supervisors: one or more")
        try:
            register = [] if self.first else partners.agencies(self.store)
        except AsbError:
            register = []
        yield FieldRow(
            "Agency",
            Select([(one_line(a.name, 50), a.name) for a in register], id="agency",
                   prompt="Partners only"),
            "agency",
        )
        yield FieldRow("Collar number", Input(id="collar", max_length=20), "collar",
                       "Officers and supervisors, if known")
        yield FieldRow("PIN", Input(id="pin", password=True, max_length=users.PIN_MAX), "pin",
                       f"At least {users.PIN_MIN} characters")
        yield FieldRow("PIN again", Input(id="pin_again", password=True,
                                          max_length=users.PIN_MAX), "pin_again")

    def save(self) -> UserView:
        pin = self.value("pin")
        if pin != self.value("pin_again"):
            raise InvalidInput("The two PINs differ: type the same PIN twice.", "pin_again")
        districts = [d for d in self.value("district").replace(",", " ").split() if d]
        return users.add_user(
            self.store, self.value("username"), self.value("role") or "", pin,
            full_name=self.value("full_name"), districts=districts,
            agency=self.value("agency") or None, collar=self.value("collar") or None,
        )

    def confirmation(self, result: UserView) -> str:
        return f"User {result.username} added ({ROLE_LABELS[result.role].lower()})."
