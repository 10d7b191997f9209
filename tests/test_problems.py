"""SARA problem profiles on constructed data with known answers, the CLI, and the keys."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fresh import new_store
from pilot_wait import workers_done
from typer.testing import CliRunner

from asbtui.app import AsbApp
from asbtui.cli import app as cli
from asbtui.config import Settings
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    District,
    ImportedIncident,
    Problem,
    ProblemCase,
    ProblemResponse,
    ProblemStage,
    new_id,
)
from asbtui.services import cases, places
from asbtui.services import problems as service

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def store(tmp_path):
    with new_store(tmp_path / "s.db") as opened:
        yield opened


def open_case(store, location: str, *reports: datetime, district: str = "THA") -> str:
    ref = cases.create_case(
        store,
        cases.NewCase(
            district=district,
            category="nuisance",
            summary="Drug dealing and gatherings",
            location=location,
        ),
        now=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )
    for moment in reports:
        cases.add_incident(
            store,
            ref,
            cases.NewIncident(
                occurred_at=moment,
                channel="101",
                incident_type="drug_activity",
                description="Visitors at all hours",
            ),
            now=NOW,
        )
    return ref


def imported(
    store, location: str, month: date, count: int, district: District = District.THA
) -> None:
    rows = [
        dict(
            id=new_id(),
            source_key=new_id(),
            month=month,
            district=district,
            reported_by="Kent Police",
            falls_within="Kent Police",
            longitude=1.38,
            latitude=51.38,
            location=location,
            street_key=places.street_key(location),
            lsoa_code="E01024321",
            lsoa_name="Thanet 001A",
            context="",
            source_file="t.csv",
            updated_at="0",
            origin="test",
            deleted=False,
        )
        for _ in range(count)
    ]
    with store.engine.begin() as connection:
        connection.execute(sa.insert(ImportedIncident.__table__), rows)


def london(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


def responding(store, refs: list[str], started: date, street: str = "") -> str:
    """A problem analysed and answered, with responses starting on ``started``."""
    problem = service.open_problem(
        store,
        "Invicta Road",
        "THA",
        "PC 4512",
        refs,
        street_key=street,
        opened_on=date(2026, 3, 1),
        today=TODAY,
    )
    service.record_analysis(store, problem, location="Alley behind the flats is unlit")
    service.add_response(store, problem, "Lighting in the alley", "Council", "TDC", today=started)
    return problem


def problem_row(store, problem_id: str) -> Problem:
    with store.session() as session:
        return session.get(Problem, problem_id)


def count(store, table) -> int:
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


# ---------------------------------------------------------------------------- measure


def test_reports_before_and_after_count_linked_case_incidents_and_police_uk_on_the_street(
    store,
) -> None:
    a = open_case(
        store,
        "14 Invicta Road, Margate",
        london(2026, 3, 31, 12, 0),  # before the 3 months before: not counted
        london(2026, 4, 10, 12, 0),  # before
        london(2026, 5, 20, 12, 0),  # before
        london(2026, 6, 30, 23, 30),  # before (22:30 UTC, BST)
        london(2026, 7, 1, 0, 30),  # after: London midnight, not UTC's
        london(2026, 9, 30, 12, 0),  # after
        london(2026, 10, 2, 12, 0),  # after the 3 months after: not counted
    )
    open_case(store, "18 Invicta Road, Margate", london(2026, 5, 5, 12, 0))  # not linked
    imported(store, "On or near Invicta Road", date(2026, 3, 1), 5)  # too early
    imported(store, "On or near Invicta Road", date(2026, 4, 1), 2)  # before
    imported(store, "On or near Invicta Road", date(2026, 6, 1), 3)  # before
    imported(store, "On or near Invicta Road", date(2026, 7, 1), 1)  # after
    imported(store, "On or near Invicta Road", date(2026, 9, 1), 1)  # after
    imported(store, "On or near Invicta Road", date(2026, 10, 1), 4)  # too late
    imported(store, "On or near Invicta Road", date(2026, 5, 1), 7, District.DOV)  # elsewhere
    imported(store, "On or near Other Street", date(2026, 5, 1), 6)  # another street

    problem = responding(store, [a], date(2026, 7, 1), street="invicta road")
    result = service.measure(store, problem, months=3, now=NOW)

    assert (result.before_cases, result.before_imported) == (3, 5)
    assert (result.after_cases, result.after_imported) == (2, 2)
    assert (result.before, result.after, result.change, result.change_percent) == (8, 4, -4, -50.0)
    assert result.complete and result.after_until == date(2026, 9, 30)
    assert result.summary() == "8 → 4 (-4, -50%)"


def test_without_a_street_only_the_linked_cases_count(store) -> None:
    a = open_case(store, "14 Invicta Road, Margate", london(2026, 6, 1, 12, 0))
    imported(store, "On or near Invicta Road", date(2026, 6, 1), 9)
    problem = responding(store, [a], date(2026, 7, 1))
    result = service.measure(store, problem, now=NOW)
    assert (result.before, result.after, result.before_imported) == (1, 0, 0)


def test_police_uk_months_count_whole_the_month_responses_started_counts_after(store) -> None:
    imported(store, "On or near Invicta Road", date(2026, 6, 1), 1)  # before
    imported(store, "On or near Invicta Road", date(2026, 7, 1), 2)  # after: started 15/07
    problem = responding(store, [], date(2026, 7, 15), street="Invicta Road")
    result = service.measure(store, problem, now=NOW)
    assert (result.before_imported, result.after_imported) == (1, 2)
    assert result.change_percent == 100.0


def test_after_a_recent_start_counts_up_to_now_and_says_so(store) -> None:
    a = open_case(store, "14 Invicta Road, Margate", london(2026, 11, 20, 12, 0))
    problem = responding(store, [a], date(2026, 10, 1))
    result = service.measure(store, problem, now=NOW)
    assert (result.before, result.after, result.change) == (0, 1, 1)
    assert result.change_percent is None  # no percentage of nothing
    assert not result.complete and result.after_until == TODAY
    assert result.summary() == "0 → 1 so far (+1)"


def test_no_response_yet_means_nothing_is_measured(store) -> None:
    problem = service.open_problem(store, "Gatherings at the park", "THA", today=TODAY)
    result = service.measure(store, problem)
    assert not result.measured and result.before is None and result.summary() == "not started"


# ---------------------------------------------------------------------------- SARA order


def test_sara_moves_forward_one_stage_at_a_time_and_refused_steps_change_nothing(store) -> None:
    ref = open_case(store, "14 Invicta Road, Margate")
    problem = service.open_problem(
        store, "Invicta Road", "THA", "PC 4512", [ref], opened_on=date(2026, 10, 1), today=TODAY
    )
    assert problem_row(store, problem).stage is ProblemStage.SCAN

    def refused(call, *args, **kwargs) -> str:
        before = (problem_row(store, problem), count(store, ProblemResponse.__table__))
        with pytest.raises(InvalidInput) as error:
            call(store, problem, *args, **kwargs)
        assert (problem_row(store, problem), count(store, ProblemResponse.__table__)) == before
        assert error.value.field == "stage"
        return str(error.value)

    # Skipping ahead from Scan.
    assert "Analyse the problem first" in refused(service.add_response, "Patrols")
    assert "nothing to assess" in refused(service.assess, "It worked")
    assert "Assess the problem before closing" in refused(service.close_problem)

    assert (
        service.record_analysis(
            store, problem, victim="Elderly neighbours", offender="Dealers visiting no. 14"
        )
        is ProblemStage.ANALYSE
    )
    assert (
        service.record_analysis(store, problem, victim="Elderly neighbours", location="Unlit alley")
        is ProblemStage.ANALYSE
    )
    assert "nothing to assess" in refused(service.assess, "It worked")

    first = service.add_response(
        store,
        problem,
        "Closure notice",
        "PC 4512",
        "Kent Police",
        date(2026, 12, 1),
        today=date(2026, 11, 2),
    )
    service.add_response(store, problem, "Lighting", "", "TDC", today=date(2026, 11, 9))
    row = problem_row(store, problem)
    assert row.stage is ProblemStage.RESPOND
    assert row.responses_started_on == date(2026, 11, 2)  # the first response, not the second

    # Going back from Respond.
    assert "analysis is settled" in refused(service.record_analysis, victim="Someone else")
    assert problem_row(store, problem).victim_analysis == "Elderly neighbours"
    assert "Assess the problem before closing" in refused(service.close_problem)

    assert service.complete_response(store, first, date(2026, 11, 20), today=TODAY) == date(
        2026, 11, 20
    )
    assert service.assess(store, problem, "Fewer reports") is ProblemStage.ASSESS
    assert service.assess(store, problem, "Far fewer reports") is ProblemStage.ASSESS
    assert "no new responses" in refused(service.add_response, "More patrols")

    assert service.close_problem(store, problem) is ProblemStage.CLOSED
    for call, args in (
        (service.record_analysis, {"victim": "x"}),
        (service.add_response, {"action": "x"}),
        (service.assess, {"text": "x"}),
        (service.close_problem, {}),
    ):
        assert "closed" in refused(call, **args)
    with pytest.raises(InvalidInput):
        service.link_cases(store, problem, [ref])
    detail = service.problem_detail(store, problem, now=NOW)
    assert detail.assessment_text == "Far fewer reports"
    assert [r.done for r in detail.responses] == [False, True]  # open ones first


def test_refusal_names_what_comes_first(store) -> None:
    assert service.refusal(ProblemStage.SCAN, service.ProblemStep.ANALYSIS) is None
    assert service.refusal(ProblemStage.ANALYSE, service.ProblemStep.RESPONSE) is None
    assert service.refusal(ProblemStage.SCAN, service.ProblemStep.CLOSE)
    assert service.refusal(ProblemStage.CLOSED, service.ProblemStep.ANALYSIS) == (
        service.CLOSED_MESSAGE
    )


# ---------------------------------------------------------------------------- input


def test_bad_input_names_its_field_and_writes_nothing(store) -> None:
    ref = open_case(store, "14 Invicta Road, Margate")
    dover = open_case(store, "1 High Street, Deal", district="DOV")
    with pytest.raises(InvalidInput) as error:
        service.open_problem(store, "  ", "THA", today=TODAY)
    assert error.value.field == "title"
    with pytest.raises(InvalidInput) as error:
        service.open_problem(store, "Invicta Road", "XX", today=TODAY)
    assert error.value.field == "district"
    with pytest.raises(NotFound):
        service.open_problem(
            store, "Invicta Road", "THA", case_refs=[ref, "THA-26-NONE1"], today=TODAY
        )
    with pytest.raises(InvalidInput) as error:
        service.open_problem(store, "Invicta Road", "THA", case_refs=[ref, dover], today=TODAY)
    assert error.value.field == "case_refs"
    assert count(store, Problem.__table__) == 0 and count(store, ProblemCase.__table__) == 0

    problem = service.open_problem(store, "Invicta Road", "THA", today=TODAY)
    with pytest.raises(InvalidInput) as error:
        service.record_analysis(store, problem, victim=" ")
    assert error.value.field == "victim"
    with pytest.raises(NotFound):
        service.problem_detail(store, "0" * 32)
    with pytest.raises(NotFound):
        service.complete_response(store, "0" * 32, today=TODAY)
    with pytest.raises(InvalidInput) as error:
        service.measure(store, problem, months=0)
    assert error.value.field == "months"


def test_completing_a_response_checks_the_date(store) -> None:
    problem = responding(store, [], date(2026, 11, 2))
    response = service.problem_detail(store, problem).responses[0].id
    with pytest.raises(InvalidInput) as error:
        service.complete_response(store, response, date(2026, 11, 26), today=TODAY)
    assert error.value.field == "done_on"
    with pytest.raises(InvalidInput):
        service.complete_response(store, response, date(2026, 11, 1), today=TODAY)
    service.complete_response(store, response, today=TODAY)
    with pytest.raises(InvalidInput, match="already"):
        service.complete_response(store, response, today=TODAY)


def test_linking_and_unlinking_cases(store) -> None:
    a = open_case(store, "14 Invicta Road, Margate", london(2026, 6, 1, 12, 0))
    b = open_case(store, "18 Invicta Road, Margate", london(2026, 6, 2, 12, 0))
    problem = service.open_problem(store, "Invicta Road", "THA", case_refs=[a, a], today=TODAY)
    assert service.link_cases(store, problem, [a, b]) == 1
    assert [c.ref for c in service.problem_detail(store, problem).cases] == sorted([a, b])
    service.unlink_case(store, problem, a)
    assert [c.ref for c in service.problem_detail(store, problem).cases] == [b]
    with pytest.raises(InvalidInput, match="not part"):
        service.unlink_case(store, problem, a)
    assert service.link_cases(store, problem, [a]) == 1  # the old link comes back
    assert count(store, ProblemCase.__table__) == 2
    assert service.problem_detail(store, problem[:8]).id == problem  # a short id finds it


def test_the_list_counts_cases_and_responses_and_filters_by_district(store) -> None:
    a = open_case(store, "14 Invicta Road, Margate", london(2026, 6, 10, 12, 0))
    problem = responding(store, [a], date(2026, 7, 1))
    service.add_response(store, problem, "Patrols", today=date(2026, 7, 2))
    service.complete_response(
        store, service.problem_detail(store, problem).responses[0].id, today=TODAY
    )
    service.open_problem(store, "Deal seafront", "DOV", today=TODAY)
    rows = service.problems(store, "THA", now=NOW)
    assert [(r.title, r.cases, r.responses_done, r.responses_total) for r in rows] == [
        ("Invicta Road", 1, 1, 2)
    ]
    assert (rows[0].assessment.before, rows[0].assessment.after) == (1, 0)
    assert {r.district for r in service.problems(store)} == {District.THA, District.DOV}


# ---------------------------------------------------------------------------- CLI


def test_problem_list_and_show_print_json(store) -> None:
    a = open_case(store, "14 Invicta Road, Margate", london(2026, 6, 10, 12, 0))
    problem = responding(store, [a], date(2026, 7, 1), street="invicta road")
    runner = CliRunner()
    listed = runner.invoke(
        cli, ["--db", str(store.path), "problem", "list", "--district", "THA", "--json"]
    )
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [problem]
    assert rows[0]["stage"] == "respond" and rows[0]["reports"]["before"] == 1

    shown = runner.invoke(cli, ["--db", str(store.path), "problem", "show", problem[:8], "--json"])
    assert shown.exit_code == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["cases"][0]["ref"] == a and data["responses"][0]["action"] == (
        "Lighting in the alley"
    )
    assert data["location_analysis"] == "Alley behind the flats is unlit"
    assert data["reports"]["started_on"] == "2026-07-01"

    text = runner.invoke(cli, ["--db", str(store.path), "problem", "show", problem])
    assert text.exit_code == 0 and "Lighting in the alley" in text.stdout
    missing = runner.invoke(cli, ["--db", str(store.path), "problem", "show", "nope"])
    assert missing.exit_code == 1 and "There is no problem nope" in missing.stderr
    assert "Traceback" not in missing.output


# ---------------------------------------------------------------------------- the keys


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


async def test_start_a_problem_from_a_pattern_then_respond_from_the_problem_list(store) -> None:
    from textual.widgets import DataTable

    from asbtui.screens.patterns import PatternsScreen
    from asbtui.screens.problems import ProblemScreen, ProblemsScreen

    a = open_case(
        store, "14 Invicta Road, Margate", NOW - timedelta(days=10), NOW - timedelta(days=40)
    )
    b = open_case(store, "18 Invicta Road, Margate", NOW - timedelta(days=70))
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, PatternsScreen)
        assert [p.label for p in app.screen.rows] == ["Invicta Road (Margate)"]

        await pilot.press("n")
        await pilot.pause()
        assert app.screen.query_one("#title").value == "Invicta Road (Margate)"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatternsScreen)

        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ProblemsScreen)
        assert [(r.title, r.cases, r.stage) for r in app.screen.rows] == [
            ("Invicta Road (Margate)", 2, ProblemStage.SCAN)
        ]
        problem = app.screen.rows[0].id
        assert problem_row(store, problem).street_key == "invicta road"

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProblemScreen)
        screen = app.screen
        assert [str(k.value) for k in screen.query_one("#problem-cases", DataTable).rows] == sorted(
            [a, b]
        )

        await pilot.press("n")  # refused at Scan: analyse first
        await pilot.pause()
        assert app.screen is screen

        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#offender").text = "Dealers visiting number 14"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and screen.detail.stage is ProblemStage.ANALYSE

        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#action").value = "Closure notice on number 14"
        app.screen.query_one("#agency").value = "Kent Police"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and screen.detail.stage is ProblemStage.RESPOND
        assert [r.done for r in screen.detail.responses] == [False]

        await pilot.press("2", "c")
        await pilot.pause()
        assert app.screen.query_one("#done_on").value == "25/11/2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert [r.done_on for r in screen.detail.responses] == [TODAY]

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProblemsScreen)
        row = app.screen.rows[0]
        assert (row.stage, row.responses_done, row.responses_total) == (ProblemStage.RESPOND, 1, 1)


async def open_problem_screen(pilot, problem: str):
    """f6, then enter on the only problem: its screen, loaded."""
    from asbtui.screens.problems import ProblemScreen, ProblemsScreen

    await settle(pilot)
    await pilot.press("f6")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ProblemsScreen)
    assert [r.id for r in pilot.app.screen.rows] == [problem]
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ProblemScreen)
    return pilot.app.screen


def listed_cases(screen) -> list[str]:
    from textual.widgets import DataTable

    return [str(k.value) for k in screen.query_one("#problem-cases", DataTable).rows]


def field_error(screen, name: str) -> str:
    return str(screen.query_one(f"#{name}-error").render())


async def test_link_cases_by_typing_refs_then_unlink_one_with_confirmation(store) -> None:
    from textual.widgets import DataTable

    from asbtui.screens.problems import LinkCasesForm
    from asbtui.widgets.choice import ChoiceScreen

    a = open_case(store, "14 Invicta Road, Margate", london(2026, 6, 1, 12, 0))
    b = open_case(store, "18 Invicta Road, Margate", london(2026, 6, 2, 12, 0))
    c = open_case(store, "20 Invicta Road, Margate", london(2026, 6, 3, 12, 0))
    problem = service.open_problem(store, "Invicta Road", "THA", case_refs=[a], today=TODAY)
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_problem_screen(pilot, problem)
        assert listed_cases(screen) == [a]
        keys = {b.binding.key: b.binding for b in screen.active_bindings.values()}
        assert keys["l"].id == "problem.link_cases" and keys["l"].tooltip
        assert keys["u"].id == "problem.unlink_case" and keys["u"].tooltip
        palette = {command.title for command in app.get_system_commands(screen)}
        assert {keys["l"].tooltip, keys["u"].tooltip} <= palette

        # Two refs typed, one with a comma and spaces, one in lower case.
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LinkCasesForm)
        await pilot.press(*f"{b}, {c.lower()}")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert listed_cases(screen) == sorted([a, b, c])
        assert [x.ref for x in service.problem_detail(store, problem).cases] == sorted([a, b, c])
        assert screen.changed

        # Unlink: escape keeps it; the confirmation names the case.
        await pilot.press("1")
        table = screen.query_one("#problem-cases", DataTable)
        table.move_cursor(row=listed_cases(screen).index(b))
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert b in app.screen.title_text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and listed_cases(screen) == sorted([a, b, c])

        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")  # the default is to keep it
        await settle(pilot)
        assert listed_cases(screen) == sorted([a, b, c])

        await pilot.press("u")
        await pilot.pause()
        await pilot.press("up", "enter")  # "Unlink ..."
        await settle(pilot)
        assert app.screen is screen
        assert listed_cases(screen) == sorted([a, c])
        assert [x.ref for x in service.problem_detail(store, problem).cases] == sorted([a, c])

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.rows[0].cases == 2


async def test_linking_a_bad_ref_says_why_beside_the_field_and_links_nothing(store) -> None:
    from asbtui.screens.problems import LinkCasesForm

    a = open_case(store, "14 Invicta Road, Margate", london(2026, 6, 1, 12, 0))
    b = open_case(store, "18 Invicta Road, Margate", london(2026, 6, 2, 12, 0))
    elsewhere = open_case(store, "1 Beach Street, Deal", london(2026, 6, 2, 12, 0), district="DOV")
    problem = service.open_problem(store, "Invicta Road", "THA", case_refs=[a], today=TODAY)
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_problem_screen(pilot, problem)
        await pilot.press("l")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, LinkCasesForm)

        await pilot.press("ctrl+s")  # nothing typed
        await pilot.pause()
        assert app.screen is form
        assert "at least one case reference" in field_error(form, "case_refs")

        # Markup in what was typed is shown as typed, not acted on.
        await pilot.press(*f"{b} [b]NOPE-1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "There is no case [b]NOPE-1" in field_error(form, "case_refs")
        assert form.query_one("#case_refs").value == f"{b} [b]NOPE-1"  # kept for correcting

        form.query_one("#case_refs").value = elsewhere
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "this problem is in Thanet" in field_error(form, "case_refs")

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert listed_cases(screen) == [a]
        assert [x.ref for x in service.problem_detail(store, problem).cases] == [a]


async def test_a_problem_closed_meanwhile_is_said_beside_the_field(store) -> None:
    from asbtui.screens.problems import LinkCasesForm

    a = open_case(store, "14 Invicta Road, Margate", london(2026, 6, 1, 12, 0))
    b = open_case(store, "18 Invicta Road, Margate", london(2026, 6, 2, 12, 0))
    problem = service.open_problem(store, "Invicta Road", "THA", case_refs=[a], today=TODAY)
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_problem_screen(pilot, problem)
        await pilot.press("l")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, LinkCasesForm)
        with store.session() as session:  # closed on another device while typing
            row = session.get(Problem, problem)
            row.stage = ProblemStage.CLOSED
            session.add(row)
        await pilot.press(*b, "ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert service.CLOSED_MESSAGE in field_error(form, "case_refs")
        await pilot.press("escape")
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen is screen and screen.detail.stage is ProblemStage.CLOSED

        app.clear_notifications()
        await pilot.press("l")  # now refused before the form opens
        await pilot.pause()
        assert app.screen is screen
        assert [n.message for n in app._notifications] == [service.CLOSED_MESSAGE]


async def test_a_role_that_may_not_work_problems_is_told_in_a_notification(store) -> None:
    from asbtui.models import Role
    from asbtui.services.access import Actor

    a = open_case(store, "14 Invicta Road, Margate", london(2026, 6, 1, 12, 0))
    problem = service.open_problem(store, "Invicta Road", "THA", case_refs=[a], today=TODAY)
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_problem_screen(pilot, problem)
        store.actor = Actor("admin", Role.ADMIN, full_name="An Admin")
        app.clear_notifications()
        await pilot.press("l")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("1", "u")
        await pilot.pause()
        assert app.screen is screen
        messages = [n.message for n in app._notifications]
        assert len(messages) == 2
        assert all("may not work problem profiles" in m for m in messages)
        assert listed_cases(screen) == [a]
    store.actor = None


def test_the_demo_has_problem_profiles_in_thanet(demo_store, demo_summary) -> None:
    found = service.problems(demo_store, "THA")
    assert demo_summary.problems == len(found) == 2
    invicta = next(p for p in found if "Invicta" in p.title)
    detail = service.problem_detail(demo_store, invicta.id)
    assert detail.stage is ProblemStage.RESPOND
    assert [c.ref for c in detail.cases] == [demo_summary.invicta_ref]
    assert detail.victim_analysis and detail.location_analysis
    other = next(p for p in found if p.id != invicta.id)
    assert len(service.problem_detail(demo_store, other.id).cases) >= 2
