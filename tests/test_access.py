"""Users, roles, partner isolation and the audit chain, through the services.

The screens and the CLI hide what a role cannot do; these tests prove the services refuse
it anyway, whoever calls them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from conftest import AS_OF

import asbtui.services
from asbtui.errors import Forbidden, InvalidInput, NotFound, NotSignedIn, SignInFailed
from asbtui.models import NoteVisibility, Role
from asbtui.services import (
    audit,
    cases,
    dashboard,
    enforcement,
    partners,
    patterns,
    queue,
    users,
)
from asbtui.services.enforcement import NewAction, StepInput

PIN = "482915"


def test_every_service_function_that_takes_a_store_declares_its_permissions() -> None:
    unchecked = []
    for info in pkgutil.iter_modules(asbtui.services.__path__):
        module = importlib.import_module(f"asbtui.services.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if (name.startswith("_") or function.__module__ != module.__name__
                    or info.name == "access"):  # the checks themselves
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters[:1] == ["store"] and not hasattr(function, "__permissions__"):
                unchecked.append(f"{info.name}.{name}")
    assert unchecked == []


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def world(store, make_officer):
    """A store with an admin, officers in Thanet and Maidstone, a Thanet supervisor, two
    agencies and two partner users; nobody signed in at the end."""
    users.add_user(store, "admin", Role.ADMIN, PIN, full_name="Ada Admin")
    users.sign_in(store, "admin", PIN)
    for name, district in (("Thanet District Council", "THA"), ("Orbit Housing", None)):
        partners.add_agency(store, name, "council" if district else "housing",
                            f"ISA-{name[:3].upper()}", district=district)
    users.add_user(store, "pc.thanet", "officer", PIN, districts=["THA"], collar="PC 101",
                   full_name="Pat Thanet")
    users.add_user(store, "pc.maid", "officer", PIN, districts=["MAI"], collar="PC 202")
    users.add_user(store, "sup.thanet", "supervisor", PIN, districts=["THA"], collar="PS 303")
    users.add_user(store, "tdc", "partner", PIN, agency="Thanet District Council")
    users.add_user(store, "orbit", "partner", PIN, agency="orbit")
    users.sign_out(store)
    return store


def as_user(store, name: str):
    users.sign_out(store)
    return users.sign_in(store, name, PIN)


def new_case(store, district="THA", summary="Loud music late at night", **extra) -> str:
    return cases.create_case(store, cases.NewCase(district=district, category="nuisance",
                                                  summary=summary, **extra), now=AS_OF)


# ---------------------------------------------------------------------------- users


def test_a_store_without_users_is_worked_by_whoever_holds_it(store) -> None:
    ref = new_case(store)
    assert cases.case_detail(store, ref).ref == ref
    assert audit.case_audit(store, ref)[-1].actor == "local"


def test_once_users_exist_every_call_needs_a_signed_in_user(world) -> None:
    with pytest.raises(NotSignedIn, match="sign in first"):
        queue.queue_count(world, queue.QueueQuery(district=None))


def test_only_an_admin_adds_users_after_the_first(world) -> None:
    as_user(world, "sup.thanet")
    with pytest.raises(Forbidden, match="manage users"):
        users.add_user(world, "pc.new", "officer", PIN, districts=["THA"])
    as_user(world, "admin")
    with pytest.raises(InvalidInput, match="already a user called pc.thanet"):
        users.add_user(world, "PC.Thanet", "officer", PIN, districts=["THA"])
    with pytest.raises(InvalidInput, match="no agency called 'Nowhere Council'"):
        users.add_user(world, "nowhere", "partner", PIN, agency="Nowhere Council")
    with pytest.raises(InvalidInput, match="needs a district"):
        users.add_user(world, "pc.lost", "officer", PIN)
    with pytest.raises(InvalidInput, match="Unknown role"):
        users.add_user(world, "chief", "chief", PIN)
    with pytest.raises(InvalidInput, match="too easy"):
        users.add_user(world, "pc.easy", "officer", "111111", districts=["THA"])


def test_pins_are_stored_hashed_with_argon2(world) -> None:
    with sqlite3.connect(world.path) as raw:
        hashes = [h for (h,) in raw.execute("SELECT pin_hash FROM app_user")]
    assert all(h.startswith("$argon2id$") and PIN not in h for h in hashes)


def test_wrong_pins_lock_the_account_then_the_lock_passes(world) -> None:
    for _ in range(4):
        with pytest.raises(SignInFailed, match="do not match") as wrong:
            users.sign_in(world, "pc.thanet", "000000", now=AS_OF)
        assert not wrong.value.locked
    with pytest.raises(SignInFailed) as fifth:
        users.sign_in(world, "pc.thanet", "000000", now=AS_OF)
    assert fifth.value.locked
    with pytest.raises(SignInFailed) as locked:
        users.sign_in(world, "pc.thanet", PIN, now=AS_OF + timedelta(minutes=5))
    assert locked.value.locked and str(locked.value) == str(fifth.value)
    actor = users.sign_in(world, "pc.thanet", PIN, now=AS_OF + timedelta(minutes=16))
    assert actor.role is Role.OFFICER
    as_user(world, "admin")
    events = [e.action for e in audit.recent(world, limit=50, actor_name="pc.thanet")]
    assert events.count("sign-in failed") == 5 and "lock" in events and "sign-in" in events


def test_an_unknown_user_gets_the_same_message_as_a_wrong_pin(world) -> None:
    with pytest.raises(SignInFailed) as unknown:
        users.sign_in(world, "nobody", PIN)
    with pytest.raises(SignInFailed) as wrong:
        users.sign_in(world, "pc.thanet", "999999")
    as_user(world, "admin")
    users.set_active(world, "pc.maid", False)
    users.sign_out(world)
    with pytest.raises(SignInFailed) as disabled:
        users.sign_in(world, "pc.maid", PIN)
    assert str(unknown.value) == str(wrong.value) == str(disabled.value)
    assert "more wrong" not in str(wrong.value)


def test_an_admin_unlocks_and_disables_accounts(world) -> None:
    for _ in range(5):
        with pytest.raises(SignInFailed):
            users.sign_in(world, "pc.maid", "000000")
    as_user(world, "admin")
    users.unlock(world, "pc.maid")
    users.set_active(world, "pc.thanet", False)
    users.sign_out(world)
    assert users.sign_in(world, "pc.maid", PIN).username == "pc.maid"
    users.sign_out(world)
    with pytest.raises(SignInFailed, match="disabled"):
        users.sign_in(world, "pc.thanet", PIN)


# ---------------------------------------------------------------------------- roles


def test_an_officer_cannot_act_in_another_district(world) -> None:
    as_user(world, "pc.maid")
    maidstone = new_case(world, "MAI")
    as_user(world, "pc.thanet")
    thanet = new_case(world, "THA")
    with pytest.raises(Forbidden, match="Maidstone"):
        new_case(world, "MAI")
    with pytest.raises(Forbidden, match="your districts are THA"):
        cases.add_incident(world, maidstone, cases.NewIncident(
            occurred_at=AS_OF - timedelta(hours=1), channel="101", incident_type="noise",
            description="Shouting"), now=AS_OF)
    with pytest.raises(Forbidden):
        cases.set_risk(world, maidstone, "high")
    with pytest.raises(Forbidden):
        enforcement.start_action(world, maidstone, NewAction(power="warning_letter",
                                                              concerns="14 High Street"),
                                 StepInput(occurred_at=AS_OF), now=AS_OF)
    # Reading another district is allowed: a force-wide case system.
    assert cases.case_detail(world, maidstone).district.value == "MAI"
    cases.set_risk(world, thanet, "high")


def test_closing_and_reassigning_are_for_supervisors_of_the_district(world) -> None:
    as_user(world, "pc.thanet")
    ref = new_case(world)
    with pytest.raises(Forbidden, match="close cases"):
        cases.change_status(world, ref, "closed", "resolved")
    with pytest.raises(Forbidden, match="assign cases"):
        cases.assign_owner(world, ref, "PC 101")
    with pytest.raises(Forbidden, match="assign cases"):
        dashboard.assign_owner_bulk(world, [ref], "PC 101")
    as_user(world, "pc.maid")
    other = new_case(world, "MAI")
    as_user(world, "sup.thanet")
    assert dashboard.assign_owner_bulk(world, [ref], "PC 101") == 1
    assert cases.change_status(world, ref, "closed", "resolved").value == "closed"
    with pytest.raises(Forbidden, match="Maidstone"):
        cases.change_status(world, other, "closed", "resolved")
    trail = audit.case_audit(world, ref)
    assert any(e.detail.startswith("owner: (none) -> PC 101 (bulk") for e in trail)
    assert any("status: open -> closed" in e.detail for e in trail)


def test_admins_manage_but_do_not_read_cases_and_partners_see_no_force_views(world) -> None:
    as_user(world, "admin")
    with pytest.raises(Forbidden, match="read cases"):
        queue.queue_count(world, queue.QueueQuery(district=None))
    as_user(world, "tdc")
    with pytest.raises(Forbidden, match="force-wide"):
        dashboard.district_summaries(world)
    with pytest.raises(Forbidden, match="force-wide"):
        patterns.patterns(world)
    with pytest.raises(Forbidden, match="work cases"):
        new_case(world)


# ---------------------------------------------------------------------------- partners


@pytest.fixture
def shared(world):
    """Two Thanet cases: one shared with the council and the housing provider, one not;
    notes of every visibility on the shared one."""
    as_user(world, "pc.thanet")
    ref = new_case(world, summary="Parties at 14 Invicta Road",
                   people=[cases.PersonInput(role="victim", name="Ann Example",
                                             address="12 Invicta Road")])
    secret = new_case(world, summary="Drug dealing from a flat")
    partners.share_case(world, ref, "Thanet District Council", "Working this case")
    partners.share_case(world, ref, "Orbit", "Partnership problem-solving")
    partners.add_note(world, ref, "Police only: informant details")
    partners.add_note(world, ref, "For all partners: closure considered",
                      visibility="all_partners", reason="Working this case")
    partners.add_note(world, ref, "For the council only: licensing history",
                      visibility="named", audience=["Thanet District Council"],
                      reason="Working this case")
    as_user(world, "orbit")
    partners.add_note(world, ref, "Orbit: tenancy warning served", visibility="police")
    return world, ref, secret


def test_a_share_discloses_the_victims_by_default_and_whom_the_officer_chooses(world) -> None:
    as_user(world, "pc.thanet")
    ref = new_case(world, summary="Drug dealing from a flat", people=[
        cases.PersonInput(role="victim", name="Vera Victim", phone="07700 900001"),
        cases.PersonInput(role="perpetrator", name="Percy Perp"),
        cases.PersonInput(role="reporter", name="Rita Reporter"),
        cases.PersonInput(role="witness", name="Walt Witness"),
        cases.PersonInput(role="victim", name="Vic Withheld", withheld=True)])
    ids = {p.name: p.id for p in cases.case_detail(world, ref).parties}
    partners.share_case(world, ref, "Thanet District Council", "Working this case")
    partners.share_case(world, ref, "Orbit", "Working this case",
                        people=[ids["Percy Perp"], ids["Rita Reporter"]])
    as_user(world, "tdc")
    assert {p.name for p in cases.case_detail(world, ref).parties} == {"Vera Victim"}
    assert [p.phone for p in cases.person_details(world, ref, "Safeguarding visit")] == [
        "07700 900001"]
    as_user(world, "orbit")
    assert {p.name for p in cases.case_detail(world, ref).parties} == {
        "Percy Perp", "Rita Reporter"}
    as_user(world, "sup.thanet")
    detail = [e.detail for e in audit.case_audit(world, ref) if e.action == "disclose"]
    assert any("people disclosed: victims (default)" in d for d in detail)


def note_texts(notes) -> set[str]:
    return {n.text.split(":")[0] for n in notes}


def test_partners_read_only_the_notes_their_agency_may_see(shared) -> None:
    store, ref, _ = shared
    as_user(store, "tdc")
    assert note_texts(cases.case_detail(store, ref).notes) == {
        "For all partners", "For the council only"}
    assert note_texts(partners.case_notes(store, ref)) == {
        "For all partners", "For the council only"}
    timeline = [e.text for e in partners.timeline(store, ref) if e.kind == "note"]
    assert not any("informant" in t or "tenancy" in t for t in timeline)
    as_user(store, "orbit")
    assert note_texts(cases.case_detail(store, ref).notes) == {
        "For all partners", "Orbit"}
    as_user(store, "pc.thanet")
    assert len(cases.case_detail(store, ref).notes) == 4


def test_partners_see_only_cases_shared_with_their_agency(shared) -> None:
    store, ref, secret = shared
    as_user(store, "tdc")
    everything = queue.QueueQuery(district=None)
    page = queue.queue_page(store, everything)
    assert [r.ref for r in page.rows] == [ref]
    assert queue.queue_count(store, everything) == 1
    searched = queue.queue_page(store, queue.QueueQuery(district=None, search="drug"))
    assert searched.rows == []
    for read in (cases.case_detail, partners.case_notes, partners.timeline,
                 partners.case_shares):
        with pytest.raises(NotFound, match="shared with your agency"):
            read(store, secret)
    with pytest.raises(NotFound):
        cases.person_details(store, secret, "Working this case")


def test_a_revoked_share_hides_the_case_again(shared) -> None:
    store, ref, _ = shared
    as_user(store, "pc.thanet")
    partners.revoke_share(store, ref, "Thanet District Council")
    as_user(store, "tdc")
    with pytest.raises(NotFound):
        cases.case_detail(store, ref)


def test_a_named_audience_must_be_agencies_the_case_is_shared_with(shared) -> None:
    store, ref, secret = shared
    as_user(store, "pc.thanet")
    with pytest.raises(InvalidInput, match="not shared with Orbit"):
        partners.add_note(store, secret, "x", visibility="named", audience=["Orbit"],
                          reason="Working this case")
    with pytest.raises(InvalidInput, match="Give a reason"):
        partners.add_note(store, ref, "x", visibility="all_partners")
    with pytest.raises(InvalidInput, match="no agency called"):
        partners.share_case(store, ref, "Nowhere Council", "Working this case")


def test_a_correction_supersedes_a_note_and_both_stay(shared) -> None:
    store, ref, _ = shared
    as_user(store, "pc.thanet")
    original = next(n for n in partners.case_notes(store, ref) if n.text.startswith("For all"))
    fixed = partners.add_note(store, ref, "For all partners: closure order applied for",
                              visibility="all_partners", supersedes=original.id,
                              reason="Working this case")
    notes = {n.id: n for n in partners.case_notes(store, ref)}
    assert notes[original.id].superseded_by_id == fixed.id
    assert notes[fixed.id].supersedes_id == original.id and notes[fixed.id].current
    with pytest.raises(InvalidInput, match="already been corrected"):
        partners.add_note(store, ref, "again", supersedes=original.id)
    orbit_note = next(n for n in notes.values() if n.agency == "Orbit Housing")
    with pytest.raises(InvalidInput, match="Only Orbit Housing can correct"):
        partners.add_note(store, ref, "police rewrite", supersedes=orbit_note.id)
    as_user(store, "tdc")
    with pytest.raises(NotFound):  # the council cannot even see Orbit's note
        partners.add_note(store, ref, "council rewrite", supersedes=orbit_note.id)


# ---------------------------------------------------------------------------- audit


def test_personal_details_are_shown_only_for_a_reason_and_each_view_is_audited(shared) -> None:
    store, ref, _ = shared
    as_user(store, "tdc")
    hidden = cases.case_detail(store, ref).parties[0]
    assert (hidden.name, hidden.address, hidden.details_shown) == ("Ann Example", "", False)
    with pytest.raises(InvalidInput, match="Give a reason"):
        cases.person_details(store, ref, "  ")
    shown = cases.person_details(store, ref, "Safeguarding a vulnerable person")
    assert shown[0].address == "12 Invicta Road"
    as_user(store, "sup.thanet")
    views = [e for e in audit.case_audit(store, ref) if e.record_type == "person"
             and e.action == "view"]
    assert [(e.actor, e.role, e.justification) for e in views] == [
        ("tdc", "partner", "Safeguarding a vulnerable person")]
    disclosures = [e for e in audit.case_audit(store, ref) if e.action == "disclose"]
    assert len(disclosures) == 4  # two shares, two partner-visible police notes
    assert "Ann Example" not in str(audit.case_audit(store, ref))


def test_supervisors_read_the_audit_of_their_own_districts_only(world) -> None:
    as_user(world, "pc.maid")
    ref = new_case(world, "MAI")
    as_user(world, "sup.thanet")
    with pytest.raises(Forbidden, match="read the audit"):
        audit.case_audit(world, ref)
    as_user(world, "pc.thanet")
    with pytest.raises(Forbidden, match="read the audit log"):
        audit.case_audit(world, ref)


def _tamper(path, *statements: str) -> None:
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("DROP TRIGGER audit_event_no_update")
        raw.execute("DROP TRIGGER audit_event_no_delete")
        for statement in statements:
            raw.execute(statement)
    raw.close()


@pytest.fixture
def audited(store):
    for n in range(5):
        new_case(store, summary=f"Case {n}")
    report = audit.verify(store)
    assert report.intact and report.rows == 5 and report.head_seq == 5
    return store


def test_the_audit_log_refuses_changes_made_directly(audited) -> None:
    raw = sqlite3.connect(audited.path)
    for statement in ("UPDATE audit_event SET actor = 'someone' WHERE seq = 2",
                      "DELETE FROM audit_event WHERE seq = 2"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute(statement)
    raw.close()


@pytest.mark.parametrize(("statements", "seq", "problem"), [
    (["UPDATE audit_event SET actor = 'someone' WHERE seq = 3"], 3, "changed after"),
    (["DELETE FROM audit_event WHERE seq = 2"], 2, "row 2 is missing"),
    (["DELETE FROM audit_event WHERE seq = 5"], 5, "newest rows were removed"),
    (["DELETE FROM audit_event WHERE seq >= 4", "DELETE FROM store_meta WHERE key = "
      "'audit_head'"], 4, "5 rows were written"),
    (["UPDATE audit_event SET seq = seq + 100 WHERE seq >= 3",
      "UPDATE audit_event SET seq = seq - 99 WHERE seq >= 103"], 3, "row 3 is missing"),
    (["INSERT INTO audit_event (seq, at, device, actor, role, action, record_type, "
      "record_id, case_ref, detail, justification, prev_hash, hash) SELECT 6, at, device, "
      "actor, role, action, record_type, record_id, case_ref, detail, justification, hash, "
      "hash FROM audit_event WHERE seq = 5"], 6, "changed after"),
])
def test_audit_verify_finds_the_first_broken_link(audited, statements, seq, problem) -> None:
    _tamper(audited.path, *statements)
    report = audit.verify(audited)
    assert not report.intact
    assert report.broken_seq == seq
    assert problem in report.problem


def test_a_row_inserted_with_a_good_hash_breaks_the_link_after_it(audited) -> None:
    raw = sqlite3.connect(audited.path)
    raw.row_factory = sqlite3.Row
    row = dict(raw.execute("SELECT * FROM audit_event WHERE seq = 2").fetchone())
    raw.close()
    forged = row | {"seq": 3, "actor": "intruder", "prev_hash": row["hash"]}
    forged["hash"] = audit._row_hash(forged)
    columns = ", ".join(forged)
    values = ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in forged.values())
    _tamper(audited.path, "UPDATE audit_event SET seq = seq + 100 WHERE seq >= 3",
            "UPDATE audit_event SET seq = seq - 99 WHERE seq >= 103",
            f"INSERT INTO audit_event ({columns}) VALUES ({values})")
    report = audit.verify(audited)
    assert (report.broken_seq, report.rows) == (4, 3)
    assert "row 4 does not follow row 3" in report.problem


def test_the_chain_carries_on_across_sessions_and_devices_of_one_store(audited) -> None:
    for n in range(3):
        new_case(audited, summary=f"More {n}")
    assert audit.verify(audited).rows == 8


def test_an_audit_row_holds_who_when_what_and_why(shared) -> None:
    store, ref, _ = shared
    as_user(store, "sup.thanet")
    share = next(e for e in audit.case_audit(store, ref) if e.action == "disclose"
                 and "Orbit" in e.detail)
    assert (share.actor, share.role, share.record_type) == ("pc.thanet", "officer", "case")
    assert share.justification == "Partnership problem-solving"
    assert abs(share.at - datetime.now(UTC)) < timedelta(minutes=5)


def test_note_visibility_values_are_the_three_of_the_brief() -> None:
    assert [v.value for v in NoteVisibility] == ["police", "named", "all_partners"]


def test_the_real_pin_hasher_uses_argon2id_at_its_recommended_cost(monkeypatch) -> None:
    monkeypatch.undo()  # the hasher as shipped, not the tests' cheap one
    real = users._hasher
    assert real.type.name == "ID" and real.memory_cost >= 65536 and real.time_cost >= 3
