"""Duplicates at intake: the same address, postcode or person, whatever the case and
spacing they were typed with, in open cases and reports of the last 12 months."""

from __future__ import annotations

import json
from datetime import date, timedelta

from conftest import AS_OF
from test_cli import assert_one_line_error, run  # noqa: F401 - the fixture

from asbtui.services import cases
from asbtui.services.matches import MatchQuery, intake_matches


def refs(found) -> list[str]:
    return [m.ref for m in found]


def test_an_address_typed_differently_finds_the_open_case_in_any_district(
        store, open_case) -> None:
    thanet = open_case(store, location="14 Invicta Road, Margate", postcode="CT9 2QB")
    dover = open_case(store, district="DOV", location="14 INVICTA ROAD MARGATE")
    open_case(store, location="15 Invicta Road, Margate")
    found = intake_matches(store, MatchQuery(location="14,  invicta road   margate"), now=AS_OF)
    assert set(refs(found)) == {thanet, dover}
    assert all(m.reasons == ["same address"] for m in found)
    by_postcode = intake_matches(store, MatchQuery(postcode="ct92qb"), now=AS_OF)
    assert refs(by_postcode) == [thanet] and by_postcode[0].reasons == ["same postcode"]
    both = intake_matches(store, MatchQuery(location="14 Invicta Road, Margate",
                                            postcode=" ct9  2qb "), now=AS_OF)
    assert refs(both)[0] == thanet  # two reasons rank first
    assert both[0].reasons == ["same address", "same postcode"]


def test_a_closed_case_matches_only_with_a_report_in_the_last_12_months(
        store, open_case) -> None:
    old = open_case(store, location="2 Castle Street, Dover", now=AS_OF - timedelta(days=800))
    cases.change_status(store, old, "closed", "resolved", now=AS_OF - timedelta(days=700))
    recent = open_case(store, location="2 Castle Street, Dover", now=AS_OF - timedelta(days=90))
    cases.add_incident(store, recent, cases.NewIncident(
        AS_OF - timedelta(days=60), "101", "noise", "Shouting"), now=AS_OF)
    cases.change_status(store, recent, "closed", "resolved", now=AS_OF - timedelta(days=30))
    found = intake_matches(store, MatchQuery(location="2 castle street dover"), now=AS_OF)
    assert refs(found) == [recent]
    assert found[0].last_report_at is not None and not found[0].open


def test_the_same_person_by_name_and_date_of_birth(store, open_case) -> None:
    born = date(1990, 5, 17)
    ref = open_case(store, people=[cases.PersonInput("Jo O'Neill", "perpetrator",
                                                     date_of_birth=born)])
    other = open_case(store, people=[cases.PersonInput("Jo O'Neill", "victim",
                                                       date_of_birth=date(1960, 1, 1))])
    found = intake_matches(store, MatchQuery(person_name="jo oneill", date_of_birth=born),
                           now=AS_OF)
    assert refs(found) == [ref] and found[0].reasons == ["same person"]
    by_name = intake_matches(store, MatchQuery(person_name="JO O NEILL"), now=AS_OF)
    assert set(refs(by_name)) == {ref, other} and by_name[0].reasons == ["same name"]
    assert intake_matches(store, MatchQuery(), now=AS_OF) == []


def test_case_matches_on_the_command_line(run, demo_path) -> None:  # noqa: F811
    listed = json.loads(run("--db", demo_path, "case", "list", "--district", "THA",
                            "--json", "--limit", "5").stdout)
    location = next(r["location"] for r in listed if r["location"])
    result = run("--db", demo_path, "case", "matches", "--location", location.upper(), "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert found and {"ref", "district", "status", "reasons"} <= set(found[0])
    assert all("same address" in m["reasons"] for m in found)
    text = run("--db", demo_path, "case", "matches", "--location", location).stdout
    assert found[0]["ref"] in text
    assert "Give a location" in assert_one_line_error(run("--db", demo_path, "case", "matches"))
    assert "not a date" in assert_one_line_error(run(
        "--db", demo_path, "case", "matches", "--person", "A B", "--dob", "1/2"))
