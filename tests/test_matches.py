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


# ---------------------------------------------------------------------------- nearby

MARGATE = "51.38890, 1.38260"


def test_coordinates_are_read_as_latitude_then_longitude_in_great_britain() -> None:
    import pytest

    from asbtui.errors import InvalidInput
    from asbtui.services import geo

    assert geo.parse_point(" 51.3889, 1.3826 ") == geo.Point(51.3889, 1.3826)
    assert geo.parse_point("51.3889 1.3826") == geo.Point(51.3889, 1.3826)
    assert geo.parse_point("") is None and geo.parse_point(None) is None
    for text, says in (("1.3826, 51.3889", "look swapped"),
                       ("40.7128, -74.0060", "not in Great Britain"),
                       ("51.38 north", "latitude, longitude"),
                       ("nan, nan", "latitude, longitude"),
                       ("9" * 100_000, "latitude, longitude")):
        with pytest.raises(InvalidInput) as caught:
            geo.parse_point(text)
        assert says in str(caught.value) and caught.value.field == "coordinates"


def test_a_case_within_150_metres_matches_and_one_further_away_does_not(
        store, open_case) -> None:
    from asbtui.services import geo

    here = geo.parse_point(MARGATE)
    assert here is not None
    near = open_case(store, location="Invicta Road, Margate", coordinates="51.38970, 1.38260")
    far = open_case(store, district="DOV", coordinates="51.39100, 1.38260")  # ~234 m north
    open_case(store, location="No point recorded")
    assert geo.metres_between(here, geo.Point(51.3897, 1.3826)) < 100
    found = intake_matches(store, MatchQuery(point=here), now=AS_OF)
    assert refs(found) == [near]
    assert found[0].reasons == ["89 m away"]
    assert far not in refs(found)
    # Closer to the other one: both a little over 100 m, each within 150 m.
    between = geo.Point(51.39035, 1.38260)
    assert set(refs(intake_matches(store, MatchQuery(point=between), now=AS_OF))) == {near, far}
    # East and west: the box is wider in degrees of longitude than of latitude.
    east = geo.Point(51.3897, 1.3826 + 0.0019)  # ~132 m east
    assert refs(intake_matches(store, MatchQuery(point=east), now=AS_OF)) == [near]
    assert intake_matches(store, MatchQuery(point=geo.Point(51.3897, 1.3826 + 0.0023)),
                          now=AS_OF) == []  # ~160 m east


def test_the_point_is_shown_corrected_with_its_history_and_cleared(store, open_case) -> None:
    from asbtui.services import corrections, history
    from asbtui.services.corrections import CaseCorrection

    ref = open_case(store, coordinates=MARGATE)
    assert str(cases.case_detail(store, ref).point) == MARGATE
    assert corrections.correct_case(store, ref, CaseCorrection(
        coordinates="51.3900, 1.3826"), "Caller gave the wrong end of the road") == ["coordinates"]
    entry = [e for e in history.case_history(store, ref) if e.field == "coordinates"][-1]
    assert (entry.old, entry.new) == (MARGATE, "51.39000, 1.38260")
    assert intake_matches(store, MatchQuery(point=cases.case_detail(store, ref).point),
                          now=AS_OF)[0].ref == ref
    corrections.correct_case(store, ref, CaseCorrection(coordinates=""), "Not known after all")
    assert cases.case_detail(store, ref).point is None


def test_the_nearby_lookup_reads_the_point_index(store) -> None:
    import sqlalchemy as sa

    from asbtui.services import geo
    from asbtui.services.matches import _near

    with store.engine.connect() as connection:
        plans: list[str] = []
        original = connection.execute

        def explain(statement, parameters=None, **kwargs):
            plans.extend(r[-1] for r in original(
                sa.text(f"EXPLAIN QUERY PLAN {statement.text}"), parameters))
            return original(statement, parameters, **kwargs)

        connection.execute = explain  # type: ignore[method-assign]
        _near(connection, geo.Point(51.3889, 1.3826))
    assert any("ix_case_point" in p for p in plans), plans
    assert not any(p.startswith("SCAN") for p in plans), plans


def test_points_on_the_command_line(run, demo_path) -> None:  # noqa: F811
    added = run("--db", demo_path, "case", "add", "--district", "THA", "--category", "nuisance",
                "--summary", "Youths on the sea front", "--coordinates", "51.3905, 1.3790")
    assert added.exit_code == 0, added.stderr
    ref = added.stdout.strip()
    shown = run("--db", demo_path, "case", "show", ref, "--json")
    assert json.loads(shown.stdout)["point"] == {"latitude": 51.3905, "longitude": 1.379}
    assert "(51.39050, 1.37900)" in run("--db", demo_path, "case", "show", ref).stdout
    found = json.loads(run("--db", demo_path, "case", "matches", "--near", "51.3906 1.3790",
                           "--json").stdout)
    assert [m["ref"] for m in found if m["reasons"][0].endswith(" m away")][:1] == [ref]
    assert "look swapped" in assert_one_line_error(run(
        "--db", demo_path, "case", "matches", "--near", "1.379, 51.39"))
    assert "latitude, longitude" in assert_one_line_error(run(
        "--db", demo_path, "case", "add", "--district", "THA", "--category", "nuisance",
        "--summary", "x", "--coordinates", "here"))
    edited = run("--db", demo_path, "case", "edit", ref, "--coordinates", "")
    assert edited.exit_code == 0 and "coordinates" in edited.stdout
    assert json.loads(run("--db", demo_path, "case", "show", ref, "--json").stdout)["point"] is None
