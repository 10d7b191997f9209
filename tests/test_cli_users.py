"""Signing in on the command line, users, agencies, sharing, partner notes and the audit.

Signed-in runs give ``ASBTUI_USER`` and ``ASBTUI_PIN`` in the environment, as a script
would; the demo copy (``demo_path``) has one user of each role (see services/demo.py).
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from asbtui.cli import app
from asbtui.db import open_store
from asbtui.models import District, NoteVisibility
from asbtui.services.demo import COUNCILS, DEMO_USERS, ORBIT

PINS = {name: pin for name, _, pin, _, _ in DEMO_USERS}


@pytest.fixture
def run(monkeypatch):
    for name in ("ASBTUI_USER", "ASBTUI_PIN", "ASBTUI_NEW_PIN"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: object, user: str | None = None, pin: str | None = None,
               new_pin: str | None = None, input: str | None = None):
        env = {}
        if user is not None:
            env["ASBTUI_USER"] = user
            if pin is not None or user in PINS:
                env["ASBTUI_PIN"] = pin if pin is not None else PINS[user]
        if new_pin is not None:
            env["ASBTUI_NEW_PIN"] = new_pin
        result = runner.invoke(app, [str(a) for a in args], env=env, input=input)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        if result.exception is not None:
            assert isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    return invoke


def error_line(result, code: int = 1) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("asbtui: ")
    return lines[0]


# ---------------------------------------------------------------------------- users


def test_the_first_user_then_only_an_admin_adds_users(run, store_path):
    db = ("--db", store_path)
    first = run(*db, "user", "add", "boss", "--role", "admin", "--full-name", "Ann Boss",
                new_pin="802468")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == "Added boss (admin, -).\n"
    # Now the store has users: commands need a signed-in user.
    line = error_line(run(*db, "user", "add", "pc.one", "--role", "officer", "--district",
                          "THA", new_pin="271828"))
    assert "sign in first" in line and "--user" in line
    added = run(*db, "user", "add", "pc.one", "--role", "officer", "--district", "THA",
                "--collar", "PC 1234", user="boss", pin="802468", new_pin="271828")
    assert added.exit_code == 0, added.stderr
    assert added.stdout == "Added pc.one (officer, THA).\n"
    listed = json.loads(run(*db, "user", "list", "--json", user="boss", pin="802468").stdout)
    assert [(u["username"], u["role"], u["districts"], u["collar"]) for u in listed] == [
        ("boss", "admin", [], None), ("pc.one", "officer", ["THA"], "PC 1234")]
    # An officer may not add users.
    line = error_line(run(*db, "user", "add", "pc.two", "--role", "officer", "--district",
                          "THA", user="pc.one", pin="271828", new_pin="161803"))
    assert "may not manage users" in line


def test_bad_input_when_adding_users_is_one_plain_line(run, store_path):
    db = ("--db", store_path)
    assert run(*db, "user", "add", "boss", "--role", "admin", new_pin="802468").exit_code == 0
    as_boss = {"user": "boss", "pin": "802468", "new_pin": "271828"}
    cases = [
        (("user", "add", "BOSS", "--role", "admin"), "already a user called boss"),
        (("user", "add", "x.y", "--role", "chief"), "Unknown role 'chief'"),
        (("user", "add", "x.y", "--role", "officer"), "needs a district"),
        (("user", "add", "x.y", "--role", "officer", "--district", "XYZ"),
         "There is no district 'XYZ'"),
        (("user", "add", "x.y", "--role", "partner", "--agency", "Nowhere Council"),
         "There is no agency called 'Nowhere Council'"),
    ]
    for args, words in cases:
        assert words in error_line(run(*db, *args, **as_boss))
    weak = run(*db, "user", "add", "x.y", "--role", "admin", user="boss", pin="802468",
               new_pin="111111")
    assert "too easy to guess" in error_line(weak)


def test_a_pin_typed_twice_at_the_prompt(run, store_path):
    result = run("--db", store_path, "user", "add", "boss", "--role", "admin",
                 input="802468\n802468\n")
    assert result.exit_code == 0, result.stderr
    signed = run("--db", store_path, "user", "list", user="boss", input="802468\n")
    assert signed.exit_code == 0, signed.stderr
    assert "boss" in signed.stdout
    # No PIN at all (nothing typed, none in the environment): a plain message.
    none = run("--db", store_path, "user", "list", user="boss", input="")
    assert none.exit_code == 1 and none.stdout.strip() == ""
    assert none.stderr.splitlines()[-1].startswith("asbtui: No PIN was given")


def test_wrong_pins_lock_the_account_and_an_admin_unlocks_it(run, demo_path):
    db = ("--db", demo_path)
    assert run(*db, "case", "list", "--limit", 1, user="pc.thanet").exit_code == 0
    for _ in range(5):
        line = error_line(run(*db, "case", "list", user="pc.thanet", pin="999999"))
        assert "That user name and PIN do not match, or the account is locked" in line
    # Locked: even the right PIN is refused, with the same message (names cannot be probed).
    assert error_line(run(*db, "case", "list", user="pc.thanet")) == line
    assert "ask an admin" not in line and "an admin can unlock it" in line
    assert run(*db, "user", "unlock", "pc.thanet", user="admin").stdout == "Unlocked pc.thanet.\n"
    assert run(*db, "case", "list", "--limit", 1, user="pc.thanet").exit_code == 0
    # An unknown user gets the same message as a wrong PIN.
    assert error_line(run(*db, "case", "list", user="nobody", pin="123457")) == line


def test_disable_enable_and_change_a_pin(run, demo_path):
    db = ("--db", demo_path)
    assert run(*db, "user", "disable", "pc.medway", user="admin").exit_code == 0
    assert "or disabled" in error_line(run(*db, "case", "list", user="pc.medway"))
    assert run(*db, "user", "enable", "pc.medway", user="admin").exit_code == 0
    changed = run(*db, "user", "pin", "pc.medway", user="pc.medway", new_pin="583920")
    assert changed.exit_code == 0, changed.stderr
    assert "do not match" in error_line(run(*db, "case", "list", user="pc.medway"))
    assert run(*db, "case", "list", "--limit", 1, user="pc.medway", pin="583920").exit_code == 0
    # An officer may not change someone else's PIN.
    line = error_line(run(*db, "user", "pin", "pc.thanet", user="pc.medway", pin="583920",
                          new_pin="482916"))
    assert "may not manage users" in line


def test_a_store_with_users_needs_a_signed_in_user(run, demo_path):
    line = error_line(run("--db", demo_path, "case", "list"))
    assert "sign in first" in line


# ---------------------------------------------------------------------------- agencies


def test_agency_add_and_list(run, demo_path):
    db = ("--db", demo_path)
    added = run(*db, "agency", "add", "Margate BID", "--kind", "business", "--isa",
                "KCC-ISA-2026-BID", "--district", "THA", "--contact-email", "bid@example.org",
                user="admin")
    assert added.exit_code == 0, added.stderr
    assert added.stdout == "Added Margate BID (business, ISA KCC-ISA-2026-BID).\n"
    listed = json.loads(run(*db, "agency", "list", "--district", "THA", "--json",
                            user="pc.thanet").stdout)
    names = [a["name"] for a in listed]
    assert "Margate BID" in names and COUNCILS[District.THA] in names
    assert "Thanet District Council" in names and "Medway Council" not in names
    assert set(listed[0]) == {"name", "kind", "district", "isa_ref", "contact_name",
                              "contact_email", "contact_phone", "active"}
    assert "already an agency" in error_line(
        run(*db, "agency", "add", "margate bid", "--kind", "business", "--isa", "X",
            user="admin"))
    assert "Unknown kind" in error_line(
        run(*db, "agency", "add", "New One", "--kind", "church", "--isa", "X", user="admin"))
    assert "may not manage partner agencies" in error_line(
        run(*db, "agency", "add", "New One", "--kind", "other", "--isa", "X",
            user="pc.thanet"))


# ---------------------------------------------------------------------------- partners


def thanet_case_not_shared(demo_path) -> str:
    with open_store(demo_path) as store, store.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT ref FROM \"case\" c WHERE district = 'THA' AND status != 'closed' AND NOT "
            "EXISTS (SELECT 1 FROM caseshare s WHERE s.case_id = c.id) ORDER BY ref LIMIT 1"
        ).scalar()


def invicta_ref(demo_path) -> str:
    with open_store(demo_path) as store, store.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT ref FROM \"case\" WHERE location = '14 Invicta Road, Margate'").scalar()


def test_share_a_case_then_the_partner_reads_it(run, demo_path):
    db = ("--db", demo_path)
    ref = thanet_case_not_shared(demo_path)
    hidden = error_line(run(*db, "case", "show", ref, user="tdc.partner"))
    assert f"no case {ref} shared with your agency" in hidden
    assert "There is no agency called 'Nowhere'" in error_line(
        run(*db, "case", "share", ref, "--agency", "Nowhere", "--reason", "x",
            user="pc.thanet"))
    assert "Give a reason" in error_line(
        run(*db, "case", "share", ref, "--agency", "Thanet District", "--reason", " ",
            user="pc.thanet"))
    shared = run(*db, "case", "share", ref, "--agency", "thanet district", "--reason",
                 "Partnership problem-solving", user="pc.thanet")
    assert shared.exit_code == 0, shared.stderr
    assert "shared with Thanet District Council (ISA KCC-ISA-" in shared.stdout
    shown = json.loads(run(*db, "case", "show", ref, "--json", user="tdc.partner").stdout)
    assert shown["ref"] == ref
    # An officer of another district may not share a Thanet case.
    assert "Thanet" in error_line(run(*db, "case", "share", ref, "--agency", ORBIT,
                                      "--reason", "x", user="pc.medway"))
    assert run(*db, "case", "unshare", ref, "--agency", "Thanet District Council",
               user="pc.thanet").exit_code == 0
    assert "shared with your agency" in error_line(run(*db, "case", "show", ref,
                                                       user="tdc.partner"))
    audit = json.loads(run(*db, "audit", "show", ref, "--json", user="sup.thanet").stdout)
    disclose = [e for e in audit if e["action"] == "disclose"]
    assert disclose and disclose[0]["justification"] == "Partnership problem-solving"


def test_a_partner_never_reads_another_agencys_police_only_or_named_notes(run, demo_path):
    db = ("--db", demo_path)
    invicta = invicta_ref(demo_path)
    police_only = run(*db, "note", "add", invicta, "--text", "Police only: informant details",
                      user="pc.thanet")
    assert police_only.exit_code == 0, police_only.stderr
    named = run(*db, "note", "add", invicta, "--text", "For Orbit only: tenancy file",
                "--visibility", "named", "--agency", ORBIT, "--reason", "Working this case",
                user="pc.thanet")
    assert named.exit_code == 0, named.stderr
    orbit_own = run(*db, "note", "add", invicta, "--text", "Orbit internal note",
                    "--visibility", "police", user="orbit.partner")
    assert orbit_own.exit_code == 0, orbit_own.stderr

    def texts(user):
        result = run(*db, "note", "list", invicta, "--json", user=user)
        assert result.exit_code == 0, result.stderr
        return {n["text"] for n in json.loads(result.stdout)}

    council = texts("tdc.partner")
    assert not council & {"Police only: informant details", "For Orbit only: tenancy file",
                          "Orbit internal note"}
    assert any("Environmental health" in t for t in council)
    orbit = texts("orbit.partner")
    assert {"For Orbit only: tenancy file", "Orbit internal note"} <= orbit
    assert "Police only: informant details" not in orbit
    police = texts("pc.thanet")
    assert {"Police only: informant details", "For Orbit only: tenancy file",
            "Orbit internal note"} <= police
    # Nor through the timeline, case show or search.
    timeline = run(*db, "case", "timeline", invicta, "--json", user="tdc.partner").stdout
    shown = run(*db, "case", "show", invicta, "--json", user="tdc.partner").stdout
    for text in ("informant details", "For Orbit only", "Orbit internal"):
        assert text not in timeline and text not in shown
    found = run(*db, "case", "list", "--search", "informant", "--json", user="tdc.partner")
    assert found.exit_code == 0 and json.loads(found.stdout) == []


def test_every_note_a_partner_lists_is_one_their_agency_may_read(run, demo_path):
    db = ("--db", demo_path)
    with open_store(demo_path) as store, store.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT c.ref FROM caseshare s JOIN agency a ON a.id = s.agency_id "
            "JOIN \"case\" c ON c.id = s.case_id WHERE a.name = 'Thanet District Council' "
            "ORDER BY c.ref LIMIT 12").all()
    assert len(rows) >= 5
    seen_hidden = 0
    for (ref,) in rows:
        notes = json.loads(run(*db, "note", "list", ref, "--json", user="tdc.partner").stdout)
        everyone = json.loads(run(*db, "note", "list", ref, "--json", user="sup.thanet").stdout)
        seen_hidden += len(everyone) - len(notes)
        for n in notes:
            assert (n["agency"] == "Thanet District Council"
                    or n["visibility"] == NoteVisibility.ALL_PARTNERS.value
                    or "Thanet District Council" in n["audience"]), n
    assert seen_hidden > 0  # the demo has notes a council may not read


def test_note_corrections_and_the_timeline(run, demo_path):
    db = ("--db", demo_path)
    ref = thanet_case_not_shared(demo_path)
    first = run(*db, "note", "add", ref, "--text", "Visited on Monday", user="pc.thanet")
    assert first.exit_code == 0, first.stderr
    note_id = first.stdout.strip()
    fix = run(*db, "note", "add", ref, "--text", "Visited on Tuesday, not Monday",
              "--supersedes", note_id[:8], user="pc.thanet")
    assert fix.exit_code == 0, fix.stderr
    listed = json.loads(run(*db, "note", "list", ref, "--json", user="pc.thanet").stdout)
    by_text = {n["text"]: n for n in listed}
    assert by_text["Visited on Tuesday, not Monday"]["supersedes"] == note_id
    assert by_text["Visited on Monday"]["superseded_by"] == fix.stdout.strip()
    assert not by_text["Visited on Monday"]["current"]
    table = run(*db, "note", "list", ref, user="pc.thanet").stdout
    assert f"corrects {note_id[:8]}" in table and "corrected by" in table
    assert "already been corrected" in error_line(
        run(*db, "note", "add", ref, "--text", "again", "--supersedes", note_id,
            user="pc.thanet"))
    assert "Visibility is police, named or all_partners" in error_line(
        run(*db, "note", "add", ref, "--text", "x", "--visibility", "everyone",
            user="pc.thanet"))
    timeline = json.loads(run(*db, "case", "timeline", ref, "--json", user="pc.thanet").stdout)
    assert {e["kind"] for e in timeline} >= {"incident", "note"}
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)


# ---------------------------------------------------------------------------- people


def test_case_show_hides_peoples_details_without_a_reason(run, demo_path):
    db = ("--db", demo_path)
    invicta = invicta_ref(demo_path)
    hidden = json.loads(run(*db, "case", "show", invicta, "--json", user="pc.thanet").stdout)
    for person in hidden["parties"]:
        assert person["details_shown"] is False
        assert (person["address"], person["phone"], person["date_of_birth"],
                person["notes"]) == (None, None, None, None)
        assert person["name"]
    text = run(*db, "case", "show", invicta, user="pc.thanet").stdout
    assert "12 Invicta Road" not in text and "1941" not in text and "--reason" in text
    shown = json.loads(run(*db, "case", "show", invicta, "--json", "--reason",
                           "Safeguarding a vulnerable person", user="pc.thanet").stdout)
    assert set(shown) == set(hidden)
    assert "1941-03-09" in [p["date_of_birth"] for p in shown["parties"]]
    assert all(p["details_shown"] for p in shown["parties"])
    text = run(*db, "case", "show", invicta, "--reason", "Working this case",
               user="pc.thanet").stdout
    assert "born 09/03/1941; 12 Invicta Road, Margate" in text
    views = [e for e in json.loads(run(*db, "audit", "show", invicta, "--json",
                                       user="sup.thanet").stdout)
             if e["action"] == "view" and e["record_type"] == "person"]
    assert len(views) == 8
    assert {e["justification"] for e in views} == {"Safeguarding a vulnerable person",
                                                   "Working this case"}
    assert {e["actor"] for e in views} == {"pc.thanet"}


# ---------------------------------------------------------------------------- audit


def test_audit_verify_on_a_clean_store(run, store_path):
    result = run("--db", store_path, "audit", "verify")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Audit log intact: 0 rows checked")


def _tamper(path, sql: str) -> None:
    connection = sqlite3.connect(path)
    connection.execute("DROP TRIGGER audit_event_no_update")
    connection.execute("DROP TRIGGER audit_event_no_delete")
    connection.execute(sql)
    connection.commit()
    connection.close()


def test_audit_verify_finds_an_edited_row(run, demo_path):
    db = ("--db", demo_path)
    clean = run(*db, "audit", "verify", user="admin")
    assert clean.exit_code == 0, clean.stderr
    assert "head row" in clean.stdout and "hash " in clean.stdout
    connection = sqlite3.connect(demo_path)
    with pytest.raises(sqlite3.DatabaseError):  # the triggers refuse a plain edit
        connection.execute("UPDATE audit_event SET actor = 'someone' WHERE seq = 3")
    connection.close()
    _tamper(demo_path, "UPDATE audit_event SET detail = 'nothing to see' WHERE seq = 3")
    line = error_line(run(*db, "audit", "verify", user="admin"))
    assert "broken at row 3" in line and "changed after it was written" in line


def test_audit_verify_finds_a_deleted_row(run, demo_path):
    db = ("--db", demo_path)
    _tamper(demo_path, "DELETE FROM audit_event WHERE seq = 4")
    line = error_line(run(*db, "audit", "verify", user="admin"))
    assert "broken at row 4" in line and "missing" in line


def test_audit_verify_finds_the_newest_row_removed(run, demo_path):
    db = ("--db", demo_path)
    _tamper(demo_path, "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)")
    with open_store(demo_path) as store, store.engine.connect() as connection:
        last = connection.exec_driver_sql("SELECT max(seq) FROM audit_event").scalar()
    # Signing in appends an event: it must not paper over the removed newest row.
    line = error_line(run(*db, "audit", "verify", user="admin"))
    assert f"broken at row {last + 1}: row {last + 1} is missing" in line


def test_audit_recent_and_who_may_read_it(run, demo_path):
    db = ("--db", demo_path)
    assert run(*db, "case", "list", "--limit", 1, user="pc.thanet").exit_code == 0
    recent = json.loads(run(*db, "audit", "recent", "--user", "pc.thanet", "--json",
                            user="admin").stdout)
    assert recent and {e["actor"] for e in recent} == {"pc.thanet"}
    assert recent[0]["action"] == "sign-in"
    table = run(*db, "audit", "recent", "--limit", 3, user="sup.thanet")
    assert table.exit_code == 0 and "3 events, newest first" in table.stdout
    assert "may not read the audit log" in error_line(
        run(*db, "audit", "recent", user="pc.thanet"))
    assert "may not read the audit log" in error_line(
        run(*db, "audit", "verify", user="tdc.partner"))
