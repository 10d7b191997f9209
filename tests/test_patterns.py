"""Patterns of concern on constructed data with known answers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from fresh import new_store
from typer.testing import CliRunner

from asbtui.cli import app as cli
from asbtui.models import District, ImportedIncident, new_id
from asbtui.services import cases, places
from asbtui.services.patterns import PatternKind, PatternRules, hotspots, patterns, repeats

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with new_store(tmp_path / "p.db") as opened:
        yield opened


def open_case(store, location: str, *reports_days_ago: int, district: str = "THA",
              victim: tuple[str, date] | None = None) -> str:
    people = [cases.PersonInput(name=victim[0], date_of_birth=victim[1])] if victim else []
    ref = cases.create_case(store, cases.NewCase(
        district=district, category="nuisance", summary="Noise", location=location,
        postcode="CT9 2QB" if "Invicta" in location else "", people=people),
        now=NOW - timedelta(days=400))
    for days in reports_days_ago:
        cases.add_incident(store, ref, cases.NewIncident(
            occurred_at=NOW - timedelta(days=days), channel="101", incident_type="noise",
            description="Loud music"), now=NOW)
    return ref


def imported(store, location: str, month: date, count: int, district=District.THA,
             lsoa=("E01024321", "Thanet 001A")) -> None:
    rows = [dict(id=new_id(), source_key=new_id(), month=month, district=district,
                 reported_by="Kent Police", falls_within="Kent Police", longitude=1.38,
                 latitude=51.38, location=location, street_key=places.street_key(location),
                 lsoa_code=lsoa[0], lsoa_name=lsoa[1], context="", source_file="t.csv",
                 updated_at="0", origin="test", deleted=False) for _ in range(count)]
    with store.engine.begin() as connection:
        connection.execute(sa.insert(ImportedIncident.__table__), rows)


def kinds(found, kind: PatternKind) -> dict[str, object]:
    return {p.key: p for p in found if p.kind is kind}


def test_one_street_reported_in_two_cases_is_a_repeat_location_across_cases(store) -> None:
    a = open_case(store, "14 Invicta Road, Margate", 10, 40)
    b = open_case(store, "Flat 2, 18 Invicta Road, Margate", 70)
    open_case(store, "3 Other Street, Margate", 5)
    found = repeats(store, rules=PatternRules(min_cases=2), now=NOW)
    streets = kinds(found, PatternKind.STREET)
    assert set(streets) == {"invicta road"}
    assert streets["invicta road"].reports == 3
    assert streets["invicta road"].case_refs == sorted([a, b])
    assert streets["invicta road"].label == "Invicta Road (Margate)"


def test_two_reports_are_not_a_repeat_and_old_reports_fall_out_of_the_window(store) -> None:
    open_case(store, "14 Invicta Road, Margate", 10, 20, 400)  # 400 days ago: outside 12 months
    assert kinds(repeats(store, now=NOW), PatternKind.STREET) == {}
    assert "invicta road" in kinds(repeats(store, rules=PatternRules(window_months=24), now=NOW),
                                   PatternKind.STREET)


def test_the_same_address_written_differently_is_one_address(store) -> None:
    open_case(store, "14 Invicta Road, Margate", 1, 2)
    open_case(store, "14, invicta road   MARGATE", 3)
    found = kinds(repeats(store, now=NOW), PatternKind.ADDRESS)
    assert found["14 invicta road margate"].reports == 3


def test_the_same_victim_on_several_cases_is_a_repeat_victim(store) -> None:
    victim = ("Ann Example", date(1950, 3, 1))
    a = open_case(store, "1 A Street, Margate", 5, victim=victim)
    b = open_case(store, "2 B Street, Ramsgate", 6, 7, victim=("ann  EXAMPLE", date(1950, 3, 1)))
    open_case(store, "3 C Street, Deal", 1, 2, 3, district="DOV",
              victim=("Ann Example", date(1961, 1, 1)))  # another person: other birth date
    found = [p for p in repeats(store, now=NOW) if p.kind is PatternKind.VICTIM]
    assert len(found) == 2
    across = [p for p in found if len(p.case_refs) == 2]
    assert across[0].case_refs == sorted([a, b]) and across[0].reports == 3


def test_imported_police_uk_reports_count_with_case_incidents_on_the_same_street(store) -> None:
    ref = open_case(store, "14 Invicta Road, Margate", 10)
    imported(store, "On or near Invicta Road", date(2026, 10, 1), 4)
    street = kinds(repeats(store, now=NOW), PatternKind.STREET)["invicta road"]
    assert (street.reports, street.imported_reports, street.case_refs) == (5, 4, [ref])
    lsoa = kinds(repeats(store, now=NOW), PatternKind.LSOA)["E01024321"]
    assert lsoa.reports == 4 and lsoa.label == "Thanet 001A (E01024321)"


@pytest.mark.parametrize(("before", "hot"), [(0, True), (12, True), (16, False)])
def test_a_hotspot_is_well_above_its_own_usual_level(store, before, hot) -> None:
    # 6 reports in the last 3 months; `before` spread over the 12 months before that:
    # usual = before / 4 per 3 months; hot when 6 >= 2 x max(usual, 1).
    recent = [5, 10, 20, 30, 40, 50]
    earlier = [100 + (i * 260 // max(before, 1)) for i in range(before)]
    open_case(store, "14 Invicta Road, Margate", *recent, *earlier)
    found = kinds(hotspots(store, now=NOW), PatternKind.HOTSPOT_STREET)
    assert ("invicta road" in found) is hot
    if hot:
        assert found["invicta road"].reports == 6
        assert found["invicta road"].usual == before / 4


def test_patterns_of_one_district_only(store) -> None:
    open_case(store, "14 Invicta Road, Margate", 1, 2, 3)
    open_case(store, "1 High Street, Deal", 1, 2, 3, district="DOV")
    found = patterns(store, district=District.DOV, now=NOW)
    assert found and {p.district for p in found} == {District.DOV}


def test_patterns_command_prints_json(store) -> None:
    open_case(store, "14 Invicta Road, Margate", 1, 2, 3)
    result = CliRunner().invoke(cli, ["--db", str(store.path), "patterns", "--json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {"kind", "district", "label", "reports", "case_refs"} <= set(rows[0])
    bad = CliRunner().invoke(cli, ["--db", str(store.path), "patterns", "--district", "XX"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output


def test_thresholds_below_their_floor_are_refused() -> None:
    from asbtui.errors import InvalidInput

    with pytest.raises(InvalidInput):
        PatternRules(repeat_min_reports=1)
    with pytest.raises(InvalidInput):
        PatternRules(hotspot_factor=1.0)


CASE_FACTS = ('SELECT count(*) FROM incident JOIN "case" AS c ON c.id = incident.case_id '
              "WHERE incident.district IS NOT c.district OR incident.case_ref IS NOT c.ref "
              "OR incident.case_location IS NOT c.location "
              "OR incident.address_key IS NOT c.address_key "
              "OR incident.street_key IS NOT c.street_key "
              "OR incident.postcode_key IS NOT c.postcode_key")


def test_an_incident_carries_its_cases_district_ref_location_and_keys(store) -> None:
    ref = open_case(store, "Flat 2, 18 Invicta Road, Margate", 3, 4)
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT district, case_ref, case_location, address_key, street_key, postcode_key "
            "FROM incident")).all()
        assert connection.execute(sa.text(CASE_FACTS)).scalar() == 0
    assert {tuple(r) for r in rows} == {("THA", ref, "Flat 2, 18 Invicta Road, Margate",
                                         "flat 2 18 invicta road margate", "invicta road",
                                         "CT92QB")}


def test_the_demo_store_incidents_carry_their_cases_facts(tmp_path) -> None:
    from asbtui.services import demo

    with new_store(tmp_path / "d.db") as opened:
        summary = demo.build_demo(opened, cases=60, seed=4, as_of=NOW)
        with opened.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM incident")).scalar() == (
                summary.incidents)
            assert connection.execute(sa.text(CASE_FACTS)).scalar() == 0


def test_a_deleted_cases_incidents_are_left_out(store) -> None:
    kept = open_case(store, "14 Invicta Road, Margate", 1, 2)
    gone = open_case(store, "14 Invicta Road, Margate", 3, 4,
                     victim=("Ann Example", date(1950, 3, 1)))
    open_case(store, "1 A Street, Margate", 5, 6, victim=("Ann Example", date(1950, 3, 1)))
    found = repeats(store, now=NOW)
    assert kinds(found, PatternKind.ADDRESS)["14 invicta road margate"].case_refs == sorted(
        [kept, gone])
    assert kinds(found, PatternKind.VICTIM)["annexample|1950-03-01"].reports == 4
    with store.engine.begin() as connection:
        connection.execute(sa.text('UPDATE "case" SET deleted = 1 WHERE ref = :r'), {"r": gone})
    found = repeats(store, now=NOW)
    assert "14 invicta road margate" not in kinds(found, PatternKind.ADDRESS)
    assert kinds(found, PatternKind.VICTIM) == {}
    assert kinds(repeats(store, rules=PatternRules(repeat_min_reports=2), now=NOW),
                 PatternKind.ADDRESS)["14 invicta road margate"].case_refs == [kept]


def test_across_cases_only_people_named_on_several_cases_are_repeat_people(store) -> None:
    victim = ("Ann Example", date(1950, 3, 1))
    a = open_case(store, "1 A Street, Margate", 5, victim=victim)
    b = open_case(store, "2 B Street, Margate", 6, 7, victim=victim)
    open_case(store, "3 C Street, Margate", 1, 2, 3, victim=("Bob Other", date(1960, 1, 1)))
    found = [p for p in repeats(store, rules=PatternRules(min_cases=2), now=NOW)
             if p.kind is PatternKind.VICTIM]
    assert [(p.key, p.reports, p.case_refs) for p in found] == [
        ("annexample|1950-03-01", 3, sorted([a, b]))]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from asbtui.db import open_store
    from asbtui.services import access, demo

    path = tmp_path_factory.mktemp("patterns-demo") / "demo.db"
    with open_store(path, create=True) as opened:
        demo.build_demo(opened, cases=300, seed=5, as_of=NOW)
    with open_store(path) as opened:
        opened.actor = access.Actor("test", None)
        yield opened


@pytest.mark.parametrize(("district", "min_cases"),
                         [(None, 1), (None, 2), (District.THA, 1)])
def test_people_read_beside_the_place_scans_give_the_one_connection_results(
        demo_store, district, min_cases) -> None:
    # The old computation: every scan, repeat people too, in turn on one connection.
    from asbtui.services import patterns as service

    rules = PatternRules(min_cases=min_cases)
    with demo_store.engine.connect() as connection:
        scans = service._Scans(connection, district, rules, NOW, repeats=True, hotspots=True)
        before = scans.hotspots() + scans.repeats()
    with demo_store.engine.connect() as connection:
        before_repeats = service._Scans(connection, district, rules, NOW, repeats=True,
                                        hotspots=False).repeats()
    after = patterns(demo_store, district=district, rules=rules, now=NOW)
    found = {p.kind for p in after}
    assert PatternKind.STREET in found
    assert min_cases > 1 or {PatternKind.VICTIM, PatternKind.PERPETRATOR} <= found
    assert after == before  # the same patterns, in the same order, with the same figures
    assert repeats(demo_store, district=district, rules=rules, now=NOW) == before_repeats
