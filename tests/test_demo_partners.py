"""The demo's partnership side: agencies, shares, notes of every visibility, users, old cases."""

from __future__ import annotations

import re

import sqlalchemy as sa
from conftest import AS_OF, TODAY
from typer.testing import CliRunner

from asbtui.cli import app
from asbtui.db import open_store
from asbtui.models import Agency, CaseShare, NoteVisibility, PartnerNote, User
from asbtui.services import partners, retention, users
from asbtui.services.demo import COUNCILS, DEMO_USERS, HOUSING_PROVIDERS, ORBIT, build_demo


def test_every_district_has_its_council_and_the_housing_providers_are_registered(demo_store):
    registered = {a.name: a for a in partners.agencies(demo_store)}
    for district, council in COUNCILS.items():
        assert registered[council].district is district
        assert registered[council].kind.value == "council"
        assert re.fullmatch(r"KCC-ISA-20\d\d-[A-Z]{3,4}", registered[council].isa_ref)
        assert registered[council].contact_name and "@" in registered[council].contact_email
    for provider in HOUSING_PROVIDERS:
        assert registered[provider].kind.value == "housing"
    assert registered["Kent Fire and Rescue Service"].kind.value == "fire"
    assert registered["Kent Youth Justice Service"].kind.value == "youth_offending"
    assert len(registered) == 13 + len(HOUSING_PROVIDERS) + 2


def test_invicta_road_is_shared_with_thanet_council_and_its_housing_provider(demo_store,
                                                                           demo_summary):
    ref = demo_summary.invicta_ref
    shares = {s.agency for s in partners.case_shares(demo_store, ref)}
    assert shares == {"Thanet District Council", ORBIT}
    notes = partners.case_notes(demo_store, ref)
    assert {n.agency for n in notes} >= {"Thanet District Council", ORBIT}


def test_many_cases_carry_notes_of_every_visibility_and_corrections(demo_path, demo_summary):
    with open_store(demo_path) as store, store.engine.connect() as connection:
        notes = connection.execute(sa.select(PartnerNote)).all()
        shares = connection.execute(sa.select(CaseShare)).all()
        cases = connection.exec_driver_sql('SELECT count(*) FROM "case"').scalar()
        agencies = {a.id: a.name for a in connection.execute(sa.select(Agency))}
    assert len({n.case_id for n in notes}) > cases // 4
    assert {n.visibility for n in notes} == {v.value for v in NoteVisibility}
    assert any(n.supersedes_id for n in notes)
    assert any(n.agency == "Kent Police" and n.agency_id is None for n in notes)
    assert any(n.agency_id for n in notes)
    assert len({s.case_id for s in shares}) > cases // 5
    assert all(s.justification for s in shares)
    # A partner writes only on cases shared with their agency, as the service requires.
    shared = {(s.case_id, s.agency_id) for s in shares}
    for n in notes:
        if n.agency_id:
            assert (n.case_id, n.agency_id) in shared, (n.agency, agencies[n.agency_id])
            assert n.agency == agencies[n.agency_id]
    assert (demo_summary.shares, demo_summary.notes) == (len(shares), len(notes))


def test_the_demo_has_a_user_of_each_role_with_known_pins(demo_path, demo_summary):
    assert [(u.username, u.role, u.pin) for u in demo_summary.users] == [
        (name, role, pin) for name, role, pin, _, _ in DEMO_USERS]
    assert {u.role for u in demo_summary.users} == {"admin", "supervisor", "officer", "partner"}
    with open_store(demo_path) as store:
        for username, _, pin, _, _ in DEMO_USERS:
            actor = users.sign_in(store, username, pin, now=AS_OF)
            assert actor.username == username
        thanet = users.sign_in(store, "pc.thanet", "271828")
        assert thanet.districts == {"THA"} and thanet.officer_id
        from asbtui.services import cases

        assert cases.device_officer(store).collar == demo_summary.device_officer
        assert users.sign_in(store, "tdc.partner", "141421").agency_name == COUNCILS["THA"]
        with store.engine.connect() as connection:
            hashes = connection.execute(sa.select(User.pin_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(pin in h for _, _, pin, _, _ in DEMO_USERS for h in hashes)


def test_the_review_list_has_cases_closed_over_six_years_ago(demo_path, demo_summary):
    assert demo_summary.old_closed >= 1
    with open_store(demo_path) as store:
        users.sign_in(store, "admin", "802468")
        due = retention.due_for_review(store, today=TODAY)
    assert len(due) == demo_summary.old_closed
    assert all((TODAY - d.closed_on).days > 6 * 365 for d in due)


def test_the_demo_is_the_same_for_the_same_seed(tmp_path):
    def facts(name):
        with open_store(tmp_path / name, create=True) as store:
            summary = build_demo(store, cases=60, seed=5, as_of=AS_OF)
            with store.engine.connect() as connection:
                notes = connection.exec_driver_sql(
                    "SELECT c.ref, n.agency, n.visibility, n.text, n.written_at FROM partnernote n "
                    'JOIN "case" c ON c.id = n.case_id ORDER BY c.ref, n.written_at, n.text'
                ).all()
                shares = connection.exec_driver_sql(
                    "SELECT c.ref, a.name FROM caseshare s JOIN agency a ON a.id = s.agency_id "
                    'JOIN "case" c ON c.id = s.case_id ORDER BY 1, 2').all()
        return summary.invicta_ref, summary.users, notes, shares

    assert facts("one.db") == facts("two.db")


def test_asbtui_demo_prints_the_users_and_pins(tmp_path, monkeypatch):
    for name in ("ASBTUI_USER", "ASBTUI_PIN"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["demo", "--db", str(tmp_path / "d.db"), "--cases", "30"])
    assert result.exit_code == 0, result.stderr
    for username, role, pin, _, agency in DEMO_USERS:
        line = next(x for x in result.stdout.splitlines() if x.strip().startswith(username + " "))
        assert role in line and f"PIN {pin}" in line
        if agency:
            assert agency in line
    assert "Partner agencies: 23" in result.stdout
