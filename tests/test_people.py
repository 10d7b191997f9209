"""Find a person across the force: name, date of birth, address or phone, every district
and closed cases, as the role allows; audited without personal data."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from test_cli import assert_one_line_error, run  # noqa: F401 - the fixture

from asbtui.errors import InvalidInput
from asbtui.models import AuditEvent, District, Role
from asbtui.services import cases, partners, users
from asbtui.services.people import PersonQuery, find_people

PIN = "correct-horse"


def test_a_person_is_found_on_each_case_with_their_role_in_any_district(
        store, open_case) -> None:
    born = date(1990, 5, 17)
    first = open_case(store, people=[cases.PersonInput(
        "Jo O'Neill", "perpetrator", date_of_birth=born, address="4 Kings Street, Ramsgate",
        phone="+44 7700 900123")])
    second = open_case(store, district="DOV", people=[cases.PersonInput(
        "Joanna Oneill", "victim", date_of_birth=born)])
    cases.change_status(store, second, "closed", "resolved")
    open_case(store, people=[cases.PersonInput("Jo Smith", "witness")])
    hits = find_people(store, PersonQuery(name="JO O'NEILL"))
    assert {(h.ref, h.role.value) for h in hits} == {(first, "perpetrator")}
    hits = find_people(store, PersonQuery(name="oneill jo", date_of_birth=born))
    assert {h.ref for h in hits} == {second}  # closed cases too; "oneill" begins one word
    assert hits[0].date_of_birth is None and not hits[0].details_shown
    by_phone = find_people(store, PersonQuery(phone="07700900123"), "Working this case")
    assert [(h.ref, h.phone) for h in by_phone] == [(first, "+44 7700 900123")]
    by_address = find_people(store, PersonQuery(address="kings st ramsgate"))
    assert [h.ref for h in by_address] == [first]
    with pytest.raises(InvalidInput, match="name, an address or a phone"):
        find_people(store, PersonQuery(date_of_birth=born))
    with pytest.raises(InvalidInput, match="6 digits"):
        find_people(store, PersonQuery(phone="0770"))
    with store.engine.connect() as connection:
        details = [r.detail for r in connection.execute(
            sa.select(AuditEvent.__table__).where(AuditEvent.__table__.c.record_type
                                                  == "person search"))]
    assert details[0] == "searched by name: 1 found"
    assert not any("jo" in d.lower() or "0770" in d for d in details)


def test_a_partner_finds_people_only_on_cases_shared_with_their_agency(store) -> None:
    users.add_user(store, "admin", Role.ADMIN, PIN)
    users.sign_in(store, "admin", PIN)
    partners.add_agency(store, "Thanet District Council", "council", "ISA-T", district="THA")
    users.add_user(store, "pc.thanet", "officer", PIN, districts=["THA"], collar="PC 101")
    users.add_user(store, "tdc", "partner", PIN, agency="Thanet District Council")
    users.sign_out(store)
    users.sign_in(store, "pc.thanet", PIN)
    shared, hidden = (cases.create_case(store, cases.NewCase(
        district=District.THA, category="personal", summary=s,
        people=[cases.PersonInput("Sam Example", "victim")])) for s in ("One", "Two"))
    partners.share_case(store, shared, "Thanet District Council", "Working this case")
    users.sign_out(store)
    users.sign_in(store, "tdc", PIN)
    assert [h.ref for h in find_people(store, PersonQuery(name="sam example"))] == [shared]
    assert hidden


def test_person_find_on_the_command_line(run, demo_path) -> None:  # noqa: F811
    shown = json.loads(run("--db", demo_path, "case", "list", "--district", "THA", "--json",
                           "--limit", "5").stdout)
    detail = json.loads(run("--db", demo_path, "case", "show", shown[0]["ref"],
                            "--json").stdout)
    name = detail["parties"][0]["name"]
    found = json.loads(run("--db", demo_path, "person", "find", "--name", name.upper(),
                           "--json").stdout)
    assert shown[0]["ref"] in {h["ref"] for h in found}
    assert all(h["date_of_birth"] is None for h in found)
    text = run("--db", demo_path, "person", "find", "--name", name, "--reason",
               "Working this case").stdout
    assert shown[0]["ref"] in text and "give --reason" not in text
    assert "name, an address or a phone" in assert_one_line_error(
        run("--db", demo_path, "person", "find"))


def test_a_phone_shared_by_many_reads_at_most_the_candidate_limit(
        store, open_case, monkeypatch) -> None:
    from asbtui.services import people

    for name in ("Ann Example", "Bob Example", "Cat Example"):
        open_case(store, people=[cases.PersonInput(name, "victim", phone="07700 900123")])
    assert len(find_people(store, PersonQuery(phone="07700900123"))) == 3
    monkeypatch.setattr(people, "CANDIDATE_CASES", 2)
    assert len(find_people(store, PersonQuery(phone="07700900123"))) == 2
