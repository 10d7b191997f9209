"""Signing in, the idle lock, partners' view of a case, personal details for a reason, and
partner notes, driven with the keys through Textual's pilot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from conftest import AS_OF
from pilot_wait import workers_done
from textual.widgets import DataTable, Input, Select, Static, TextArea

from asbtui.app import CASE_SCREEN, AsbApp
from asbtui.config import Settings
from asbtui.models import District, NoteVisibility, Role
from asbtui.screens.case import CaseScreen
from asbtui.screens.justification import JustificationScreen
from asbtui.screens.login import LockScreen, LoginScreen
from asbtui.screens.note import NoteForm
from asbtui.screens.queue import QueueScreen
from asbtui.screens.users import UsersScreen
from asbtui.services import audit, cases, partners, users
from asbtui.services.access import Actor
from asbtui.widgets.case_table import CaseTable

PINS = {
    "ada.admin": "admin-pin-77",
    "pc.jones": "jones-pin-11",
    "council.kim": "kim-pin-33",
    "orbit.ola": "ola-pin-44",
}
COUNCIL = "Thanet District Council"
ORBIT = "Orbit Housing"


@dataclass
class World:
    store: object
    shared: str  # a Thanet case shared with the council and Orbit
    private: str  # a Thanet case shared with no one
    orbit_note: str  # Orbit's note on the shared case, for police and Orbit only


@pytest.fixture
def world(store, open_case) -> World:
    """A store with an admin, an officer of Thanet, a council and a housing partner user,
    two cases (one shared with both agencies) and a note only Orbit and the police read."""
    users.add_user(store, "ada.admin", "admin", PINS["ada.admin"], full_name="Ada Admin")
    users.sign_in(store, "ada.admin", PINS["ada.admin"], now=AS_OF)
    partners.add_agency(store, COUNCIL, "council", "ISA-THA-01", district="THA")
    partners.add_agency(store, ORBIT, "housing", "ISA-ORB-02")
    users.add_user(store, "pc.jones", "officer", PINS["pc.jones"], full_name="Pat Jones",
                   districts=["THA"], collar="PC 4512")
    users.add_user(store, "council.kim", "partner", PINS["council.kim"], full_name="Kim Clark",
                   agency=COUNCIL)
    users.add_user(store, "orbit.ola", "partner", PINS["orbit.ola"], full_name="Ola Obi",
                   agency=ORBIT)
    store.actor = Actor("setup", Role.SUPERVISOR, frozenset(District))
    shared = open_case(store, people=[cases.PersonInput(
        name="Mary Victim", role="victim", address="12 Invicta Road", phone="07700 900123",
        vulnerable=True)])
    private = open_case(store, summary="Youths gathering by the shops")
    for agency in (COUNCIL, ORBIT):
        partners.share_case(store, shared, agency, "Working this case", now=AS_OF)
    partners.add_note(store, shared, "For all partners: visit booked", visibility="all_partners",
                      reason="Working this case", now=AS_OF)
    users.sign_in(store, "orbit.ola", PINS["orbit.ola"], now=AS_OF)
    note = partners.add_note(store, shared, "Tenancy warning served by Orbit", now=AS_OF)
    store.actor = None
    return World(store, shared, private, note.id)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime = AS_OF) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_app(store, clock=None) -> AsbApp:
    return AsbApp(store, settings=Settings(db=store.path, idle_lock_minutes=5),
                  clock=clock or Clock())


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


async def sign_in(pilot, username: str, pin: str) -> None:
    screen = pilot.app.screen
    screen.query_one("#username", Input).value = username
    screen.query_one("#pin", Input).value = pin
    screen.query_one("#pin", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


def error_text(screen) -> str:
    return str(screen.query_one(".sign-in-error", Static).render())


def table_texts(screen, table_id: str) -> list[str]:
    table = screen.query_one(f"#{table_id}", DataTable)
    return [" | ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def open_case_screen(pilot, ref: str) -> CaseScreen:
    pilot.app.open_case(ref)
    await settle(pilot)
    assert isinstance(pilot.app.screen, CaseScreen)
    return pilot.app.screen


# ---------------------------------------------------------------------------- sign-in


async def test_a_wrong_pin_is_refused_in_plain_words_then_the_right_one_opens_the_queue(
    world,
) -> None:
    app = make_app(world.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await sign_in(pilot, "pc.jones", "not-my-pin")
        assert isinstance(app.screen, LoginScreen)
        assert "do not match" in error_text(app.screen)
        assert app.screen.query_one("#pin", Input).value == ""

        await sign_in(pilot, "pc.jones", PINS["pc.jones"])
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_now.district is District.THA
        status = str(app.screen.query_one("#queue-status", Static).render())
        assert "Pat Jones (Officer)" in status

        # Signing out closes the session's screens and asks again.
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert len(app.screen_stack) == 2
        assert world.store.actor is None


@pytest.mark.parametrize("between", ["tab", "enter"])
async def test_a_name_and_pin_typed_in_one_burst_sign_in(world, between) -> None:
    """A password manager's auto-type sends the name, Tab (or Enter), the PIN and Enter at
    once: every key reaches the name field before the focus has moved; the PIN must not
    land in the name."""
    from textual import events

    app = make_app(world.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        name = app.screen.query_one("#username", Input)
        assert app.screen.focused is name
        burst = [*"pc.jones", between, *PINS["pc.jones"], "enter"]
        for key in burst:  # all queued on the name field before it handles the first
            name.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen), error_text(app.screen)
        assert world.store.actor is not None and world.store.actor.username == "pc.jones"


async def test_five_wrong_pins_lock_the_account_with_a_message(world) -> None:
    app = make_app(world.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for _ in range(5):
            await sign_in(pilot, "pc.jones", "wrong-pin-00")
        assert "locked" in error_text(app.screen)
        # Even the right PIN is refused now.
        await sign_in(pilot, "pc.jones", PINS["pc.jones"])
        assert isinstance(app.screen, LoginScreen)
        assert "locked" in error_text(app.screen)


async def test_palette_and_app_keys_do_nothing_before_sign_in(world) -> None:
    app = make_app(world.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for key in ("f3", "f8", "ctrl+p"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LoginScreen)


# ---------------------------------------------------------------------------- idle lock


async def test_idle_lock_covers_the_case_until_the_same_pin_is_typed(world) -> None:
    clock = Clock()
    users.sign_in(world.store, "pc.jones", PINS["pc.jones"], now=AS_OF)
    app = make_app(world.store, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await open_case_screen(pilot, world.shared)
        assert world.shared in app.export_screenshot()

        clock.now += timedelta(minutes=4)
        app.lock_when_idle()
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)  # not idle long enough

        await pilot.press("down")  # a key resets the idle time
        clock.now += timedelta(minutes=4)
        app.lock_when_idle()
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)

        clock.now += timedelta(minutes=6)
        app.lock_when_idle()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        shown = app.export_screenshot()
        assert world.shared not in shown and "Mary" not in shown
        assert "Pat" in shown  # who is signed in

        pin = app.screen.query_one("#pin", Input)
        pin.value = "not-my-pin"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert "do not match" in error_text(app.screen)

        app.screen.query_one("#pin", Input).value = PINS["pc.jones"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.ref == world.shared


async def test_signing_out_from_the_lock_screen_closes_the_case(world) -> None:
    clock = Clock()
    users.sign_in(world.store, "pc.jones", PINS["pc.jones"], now=AS_OF)
    app = make_app(world.store, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await open_case_screen(pilot, world.shared)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert not any(isinstance(s, CaseScreen) for s in app.screen_stack)
        # The case screen kept for reuse goes too: nothing of the session outlives it.
        assert not app.is_screen_installed(CASE_SCREEN)


# ---------------------------------------------------------------------------- partners


async def test_a_partner_sees_only_shared_cases_and_not_another_agencys_note(world) -> None:
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "council.kim", PINS["council.kim"])
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_now.district is None  # all districts
        refs = [str(key.value) for key in app.screen.query_one(CaseTable).rows]
        assert refs == [world.shared]

        # Force-wide views and casework keys are not offered to a partner.
        keys = {b.binding.action for b in app.screen.active_bindings.values()}
        assert not keys & {"dashboard", "deadlines", "pspos", "new_case", "patterns",
                           "trends", "problems", "case_reviews"}
        await pilot.press("f3")
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)

        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        notes = "\n".join(table_texts(screen, "notes"))
        assert "For all partners" in notes
        assert "Tenancy warning" not in notes
        assert "Orbit" not in notes
        keys = {b.binding.action for b in screen.active_bindings.values()}
        assert "add_note" in keys and "personal_details" in keys
        assert not keys & {"share", "audit", "add_incident", "status", "start_action"}

        # The timeline does not show it either.
        await pilot.press("T")
        await settle(pilot)
        timeline = "\n".join(table_texts(app.screen, "records"))
        assert "For all partners" in timeline and "Tenancy" not in timeline


async def test_a_partner_opening_a_case_not_shared_gets_a_message_not_a_crash(world) -> None:
    users.sign_in(world.store, "council.kim", PINS["council.kim"], now=AS_OF)
    app = make_app(world.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_case(world.private)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.return_code is None
        assert world.private not in "\n".join(table_texts(app.screen, "people"))


# ---------------------------------------------------------------------------- details


async def test_personal_details_need_a_reason_and_the_view_is_audited(world) -> None:
    users.sign_in(world.store, "pc.jones", PINS["pc.jones"], now=AS_OF)
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case_screen(pilot, world.shared)
        assert "Invicta" not in "\n".join(table_texts(screen, "people"))

        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, JustificationScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert "Invicta" not in "\n".join(table_texts(screen, "people"))

        # "Other", with a typed reason.
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("end", "enter")
        await settle(pilot)
        reason = app.screen.query_one("#other-reason", Input)
        assert reason.has_focus
        reason.value = "Call back the victim about [bold]the visit[/]"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        people = "\n".join(table_texts(screen, "people"))
        assert "12 Invicta Road" in people and "07700 900123" in people

    world.store.actor = Actor("sgt", Role.SUPERVISOR, frozenset({District.THA}))
    views = [e for e in audit.case_audit(world.store, world.shared)
             if e.action == "view" and e.record_type == "person"]
    assert len(views) == 1
    assert views[0].actor == "pc.jones"
    assert views[0].justification == "Call back the victim about [bold]the visit[/]"


async def test_the_case_audit_is_a_supervisors_screen(world) -> None:
    world.store.actor = Actor("sgt", Role.SUPERVISOR, frozenset({District.THA}))
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case_screen(pilot, world.shared)
        assert "audit" in {b.binding.action for b in screen.active_bindings.values()}
        await pilot.press("a")
        await settle(pilot)
        rows = "\n".join(table_texts(app.screen, "records"))
        assert "Disclosed case" in rows and "Working this case" in rows


# ---------------------------------------------------------------------------- notes


async def test_adding_a_note_and_a_correction_through_the_case_screen(world) -> None:
    users.sign_in(world.store, "pc.jones", PINS["pc.jones"], now=AS_OF)
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case_screen(pilot, world.shared)

        await pilot.press("N")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NoteForm)
        form.query_one("#text", TextArea).text = "Visited [red]victim[/], all quiet"
        form.query_one("#visibility", Select).value = NoteVisibility.NAMED
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Named agencies: which? And police notes partners read need a reason.
        assert app.screen is form
        assert "Name the agencies" in str(form.query_one("#audience-error", Static).render())
        form.query_one("#audience").select(COUNCIL)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "reason" in str(form.query_one("#justification-error", Static).render())
        form.query_one("#justification", Select).value = audit.JUSTIFICATIONS[0]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

        notes = partners.case_notes(world.store, world.shared)
        mine = next(n for n in notes if n.text.startswith("Visited"))
        assert mine.text == "Visited [red]victim[/], all quiet"
        assert mine.visibility is NoteVisibility.NAMED and mine.audience == (COUNCIL,)
        assert "Visited [red]victim[/]" in "\n".join(table_texts(screen, "notes"))

        # Correct it: highlight it in the notes section and press C.
        await pilot.press("3")
        table = screen.query_one("#notes", DataTable)
        table.move_cursor(row=table.get_row_index(mine.id))
        await pilot.press("C")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NoteForm)
        assert form.query_one("#text", TextArea).text == mine.text
        form.query_one("#text", TextArea).text = "Visited the victim, all quiet"
        form.query_one("#justification", Select).value = audit.JUSTIFICATIONS[0]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

        notes = {n.id: n for n in partners.case_notes(world.store, world.shared)}
        old = notes[mine.id]
        new = notes[old.superseded_by_id]
        assert new.supersedes_id == mine.id and new.text == "Visited the victim, all quiet"
        rows = table_texts(screen, "notes")
        assert any("corrected" in r and "Visited [red]victim[/]" in r for r in rows)
        assert any("correction" in r and "Visited the victim" in r for r in rows)

        # The old version cannot be corrected again.
        table.move_cursor(row=table.get_row_index(mine.id))
        await pilot.press("C")
        await settle(pilot)
        assert app.screen is screen


async def test_sharing_from_another_district_is_refused_as_a_message(world, open_case) -> None:
    world.store.actor = Actor("setup", Role.SUPERVISOR, frozenset(District))
    elsewhere = open_case(world.store, district="MAI")
    users.sign_in(world.store, "pc.jones", PINS["pc.jones"], now=AS_OF)
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case_screen(pilot, elsewhere)
        await pilot.press("S")
        await settle(pilot)
        await pilot.press("enter")  # the first agency
        await settle(pilot)
        await pilot.press("ctrl+s")  # the people it discloses: the default (the victims)
        await settle(pilot)
        assert isinstance(app.screen, JustificationScreen)
        await pilot.press("enter")  # the first reason
        await settle(pilot)
        assert app.screen is screen and app.return_code is None
    world.store.actor = Actor("setup", Role.SUPERVISOR, frozenset(District))
    assert partners.case_shares(world.store, elsewhere) == []


# ---------------------------------------------------------------------------- admin


async def test_an_admin_starts_on_users_and_adds_one(world) -> None:
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "ada.admin", PINS["ada.admin"])
        screen = app.screen
        assert isinstance(screen, UsersScreen)
        assert "back" not in {b.binding.action for b in screen.active_bindings.values()}
        assert "pc.jones" in "\n".join(table_texts(screen, "records"))

        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        for name, value in {"username": "sgt.lee", "full_name": "Sam Lee",
                            "district": "THA MAI", "pin": "lee-pin-22",
                            "pin_again": "lee-pin-22"}.items():
            form.query_one(f"#{name}", Input).value = value
        form.query_one("#role", Select).value = Role.SUPERVISOR
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "sgt.lee" in "\n".join(table_texts(screen, "records"))

        screen.query_one("#records", DataTable).move_cursor(
            row=screen.query_one("#records", DataTable).get_row_index("sgt.lee"))
        await pilot.press("x")
        await settle(pilot)
        assert "disabled" in "\n".join(table_texts(screen, "records"))


# ---------------------------------------------------------------------------- retention


async def test_retention_review_keeps_one_case_and_erases_another_after_typing_its_ref(
    world, open_case,
) -> None:
    from asbtui.screens.retention import EraseForm, KeepForm, RetentionScreen

    long_ago = AS_OF - timedelta(days=7 * 366)
    supervisor = Actor("sgt", Role.SUPERVISOR, frozenset({District.THA}))
    world.store.actor = supervisor
    old = [open_case(world.store, now=long_ago, summary=f"Old case {i}") for i in range(2)]
    for ref in old:
        cases.change_status(world.store, ref, "closed", "resolved", now=long_ago)
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RetentionScreen)
        assert sorted(screen.records) == sorted(old)
        table = screen.query_one("#records", DataTable)

        table.move_cursor(row=table.get_row_index(old[0]))
        await pilot.press("k")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, KeepForm)
        form.query_one("#until", Input).value = "25/11/2027"
        form.query_one("#justification", Select).value = audit.JUSTIFICATIONS[5]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert old[0] not in screen.records

        table.move_cursor(row=table.get_row_index(old[1]))
        await pilot.press("E")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EraseForm)
        form.query_one("#confirm", Input).value = "THA-WRONG"
        form.query_one("#justification", Select).value = audit.JUSTIFICATIONS[0]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # not confirmed: nothing erased
        form.query_one("#confirm", Input).value = old[1].lower()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.records == {}

    deleted = [e for e in audit.case_audit(world.store, old[1]) if e.action == "delete"]
    assert len(deleted) == 1 and deleted[0].justification == audit.JUSTIFICATIONS[0]


# ---------------------------------------------------------------------------- unsharing


async def test_an_officer_stops_sharing_a_case_after_confirming_it(world) -> None:
    from asbtui.widgets.choice import ChoiceScreen

    users.sign_in(world.store, "pc.jones", PINS["pc.jones"], now=AS_OF)
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case_screen(pilot, world.shared)
        assert "unshare" in {b.binding.action for b in screen.active_bindings.values()}
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        assert [v for _, v in app.screen.choices] == [ORBIT, COUNCIL]
        await pilot.press("enter")  # Orbit
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)  # are you sure? "No" is highlighted
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert len(partners.case_shares(world.store, world.shared)) == 2

        await pilot.press("U", "enter")
        await settle(pilot)
        await pilot.press("up", "enter")  # Yes: stop sharing
        await settle(pilot)
        assert app.screen is screen
        assert [s.agency for s in partners.case_shares(world.store, world.shared)] == [COUNCIL]
        assert [s.agency for s in screen.shares] == [COUNCIL]  # reloaded

    world.store.actor = Actor("sgt", Role.SUPERVISOR, frozenset({District.THA}))
    stopped = [e for e in audit.case_audit(world.store, world.shared)
               if e.detail == f"sharing with {ORBIT} stopped"]
    assert [e.actor for e in stopped] == ["pc.jones"]


async def test_partners_are_not_offered_unsharing_the_audit_log_or_verifying(world) -> None:
    users.sign_in(world.store, "council.kim", PINS["council.kim"], now=AS_OF)
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case_screen(pilot, world.shared)
        keys = {b.binding.action for b in screen.active_bindings.values()}
        assert "export" in keys and "change_pin" in keys
        assert not keys & {"unshare", "audit_log"}
        await pilot.press("U", "f12")
        await settle(pilot)
        assert app.screen is screen
    assert len(partners.case_shares(world.store, world.shared)) == 2


# ---------------------------------------------------------------------------- export


async def test_exporting_from_the_case_screen_writes_a_file_in_documents(
    world, tmp_path, monkeypatch,
) -> None:
    import json

    docs = tmp_path / "docs"
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(docs))
    users.sign_in(world.store, "council.kim", PINS["council.kim"], now=AS_OF)
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case_screen(pilot, world.shared)
        await pilot.press("X")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # PDF, Markdown, JSON
        await settle(pilot)
        assert isinstance(app.screen, JustificationScreen)
        await pilot.press("escape")  # thought better of it: nothing is written
        await settle(pilot)
        assert app.screen is screen and not docs.exists()

        await pilot.press("X", "down", "down", "enter")
        await settle(pilot)
        await pilot.press("enter")  # the first reason
        await settle(pilot)
        assert app.screen is screen
        written = docs / f"{world.shared}-20261125-1000.json"
        assert written.exists()
        data = json.loads(written.read_text())
        assert data["export"]["reason"] == audit.JUSTIFICATIONS[0]
        notes = [n["text"] for n in data["notes"]]
        assert notes == ["For all partners: visit booked"]  # not Orbit's note
        assert str(written) in " ".join(str(n.message) for n in app._notifications)

        # The same minute again: a new name, never an overwrite.
        await pilot.press("X", "enter")  # PDF
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert (docs / f"{world.shared}-20261125-1000.pdf").read_bytes().startswith(b"%PDF")

    world.store.actor = Actor("sgt", Role.SUPERVISOR, frozenset({District.THA}))
    exported = [e for e in audit.case_audit(world.store, world.shared) if e.action == "export"]
    assert [(e.actor, e.detail.split(";")[0]) for e in exported] == [
        ("council.kim", "format pdf"), ("council.kim", "format json")]


# ---------------------------------------------------------------------------- audit log


async def test_the_store_audit_log_filters_by_user_and_verifies_the_chain(world) -> None:
    import sqlite3

    from asbtui.screens.audit_log import AuditLogScreen

    app = make_app(world.store)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "ada.admin", PINS["ada.admin"])
        await pilot.press("f12")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditLogScreen)
        rows = "\n".join(table_texts(screen, "records"))
        assert "Disclosed" in rows and "orbit.ola" in rows and "ada.admin" in rows

        await pilot.press("slash")
        await pilot.press(*"ORBIT.ola", "enter")
        await settle(pilot)
        assert {r.actor for r in screen.records.values()} == {"orbit.ola"}
        assert "by orbit.ola" in str(screen.query_one("#records-title", Static).render())

        await pilot.press("V")
        await settle(pilot)
        status = str(screen.query_one("#chain-status", Static).render())
        assert "The audit log is intact" in status
        assert audit.verify(world.store).head_hash in status

        raw = sqlite3.connect(world.store.path)
        with raw:
            raw.execute("DROP TRIGGER audit_event_no_update")
            raw.execute("UPDATE audit_event SET justification = 'nothing' WHERE seq = 3")
        raw.close()
        await pilot.press("V")
        await settle(pilot)
        status = str(screen.query_one("#chain-status", Static).render())
        assert "broken at row 3" in status and "changed after it was written" in status


async def test_an_officer_has_no_audit_log(world) -> None:
    users.sign_in(world.store, "pc.jones", PINS["pc.jones"], now=AS_OF)
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue_screen = app.screen
        assert "audit_log" not in {b.binding.action for b in queue_screen.active_bindings.values()}
        await pilot.press("f12")
        await settle(pilot)
        assert app.screen is queue_screen


# ---------------------------------------------------------------------------- own PIN


async def test_a_user_changes_their_own_pin_after_typing_the_current_one(world) -> None:
    from asbtui.screens.pin import ChangePinForm

    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "pc.jones", PINS["pc.jones"])
        home = app.screen
        await pilot.press("ctrl+k")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ChangePinForm)

        def fill(current: str, new: str, again: str) -> None:
            for name, value in (("current", current), ("pin", new), ("pin_again", again)):
                form.query_one(f"#{name}", Input).value = value

        def error(name: str) -> str:
            return str(form.query_one(f"#{name}-error", Static).render())

        fill(PINS["pc.jones"], "new-pin-5150", "new-pin-5151")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "differ" in error("pin_again")

        fill("not-my-pin", "new-pin-5150", "new-pin-5150")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "do not match" in error("current")
        assert form.query_one("#current", Input).value == ""

        fill(PINS["pc.jones"], "new-pin-5150", "new-pin-5150")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is home
        assert world.store.actor.username == "pc.jones"

        await pilot.press("ctrl+o")
        await settle(pilot)
        await sign_in(pilot, "pc.jones", PINS["pc.jones"])
        assert isinstance(app.screen, LoginScreen)
        await sign_in(pilot, "pc.jones", "new-pin-5150")
        assert isinstance(app.screen, QueueScreen)


async def test_wrong_current_pins_lock_the_account_and_sign_out(world) -> None:
    from asbtui.screens.pin import ChangePinForm

    users.sign_in(world.store, "pc.jones", PINS["pc.jones"], now=AS_OF)
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+k")
        await settle(pilot)
        for _ in range(5):
            assert isinstance(app.screen, ChangePinForm)
            for name, value in (("current", "wrong-pin-00"), ("pin", "new-pin-5150"),
                                ("pin_again", "new-pin-5150")):
                app.screen.query_one(f"#{name}", Input).value = value
            await pilot.press("ctrl+s")
            await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "locked" in app.export_screenshot()
        assert world.store.actor is None


async def test_an_officer_withholds_a_person_and_the_partner_no_longer_sees_them(world) -> None:
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "pc.jones", PINS["pc.jones"])
        screen = await open_case_screen(pilot, world.shared)
        assert "Mary Victim" in "\n".join(table_texts(screen, "people"))
        await pilot.press("1", "W")
        await settle(pilot)
        people = "\n".join(table_texts(app.screen, "people"))
        assert "Victim (withheld) | Mary Victim" in people

    world.store.actor = None
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "council.kim", PINS["council.kim"])
        screen = await open_case_screen(pilot, world.shared)
        assert "Mary Victim" not in "\n".join(table_texts(screen, "people"))


async def test_sharing_a_case_without_people_discloses_nobody(world) -> None:
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "pc.jones", PINS["pc.jones"])
        screen = await open_case_screen(pilot, world.private)
        await pilot.press("S")
        await settle(pilot)
        await pilot.press("enter")  # the first agency
        await settle(pilot)
        assert "Which people" in app.screen.title_text
        await pilot.press("ctrl+s")  # nobody ticked: nobody
        await settle(pilot)
        assert isinstance(app.screen, JustificationScreen)
        await pilot.press("enter")  # the first reason
        await settle(pilot)
        assert app.screen is screen
    with world.store.engine.connect() as connection:
        chosen = connection.exec_driver_sql(
            "SELECT people FROM caseshare JOIN \"case\" ON \"case\".id = caseshare.case_id "
            "WHERE \"case\".ref = ?", (world.private,)).scalars().all()
    assert chosen == ["-"]


async def test_the_officer_ticks_the_people_a_share_discloses(world, open_case) -> None:
    from textual.widgets import SelectionList

    from asbtui.screens.share_people import SharePeopleScreen

    world.store.actor = Actor("setup", Role.SUPERVISOR, frozenset(District))
    ref = open_case(world.store, summary="Drug dealing from a flat", people=[
        cases.PersonInput("Vera Victim", "victim", "1 Flat Road", "07700 900001"),
        cases.PersonInput("Percy Perp", "perpetrator", "2 Flat Road"),
        cases.PersonInput("Rita Reporter", "reporter", "3 Flat Road", "07700 900003"),
        cases.PersonInput("Wanda Witness", "witness", "4 Flat Road", withheld=True)])
    world.store.actor = None
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "pc.jones", PINS["pc.jones"])
        await open_case_screen(pilot, ref)
        await pilot.press("S")
        await settle(pilot)
        await pilot.press("enter")  # the first agency: Orbit
        await settle(pilot)
        assert isinstance(app.screen, SharePeopleScreen)
        ticks = app.screen.query_one(SelectionList)
        names = {p.id: p.name for p in app.screen.people}
        assert [names[i] for i in ticks.selected] == ["Vera Victim"]  # the default
        witness = next(i for i, n in names.items() if n == "Wanda Witness")
        assert ticks.get_option(f"person-{witness}").disabled
        assert "withheld" in str(ticks.get_option(f"person-{witness}").prompt)
        order = [p.name for p in app.screen.people]
        await pilot.press("space")  # untick the victim (first, highlighted)
        for _ in range(order.index("Percy Perp") - order.index("Vera Victim")):
            await pilot.press("down")
        await pilot.press("space")  # tick the perpetrator
        await settle(pilot)
        assert [names[i] for i in ticks.selected] == ["Percy Perp"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, JustificationScreen)
        await pilot.press("enter")  # the first reason
        await settle(pilot)

    world.store.actor = Actor("setup", Role.SUPERVISOR, frozenset(District))
    assert [s.agency for s in partners.case_shares(world.store, ref)] == [ORBIT]
    world.store.actor = None
    app = make_app(world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "orbit.ola", PINS["orbit.ola"])
        screen = await open_case_screen(pilot, ref)
        shown = "\n".join(table_texts(screen, "people"))
        assert "Percy Perp" in shown
        for hidden in ("Vera Victim", "Rita Reporter", "Wanda Witness"):
            assert hidden not in shown, hidden
