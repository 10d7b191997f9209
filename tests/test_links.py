"""Linked cases, and a duplicate merged into the case that stays: nothing lost or doubled,
the duplicate's ref opens the survivor, a supervisor's audited action."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import AS_OF
from test_cli import assert_one_line_error, run  # noqa: F401 - the fixture

from asbtui.errors import Forbidden, InvalidInput
from asbtui.models import District, Role
from asbtui.services import cases, enforcement, history, links, partners, queue
from asbtui.services.access import Actor


def incident(store, ref: str, days: int = 2) -> str:
    return cases.add_incident(store, ref, cases.NewIncident(
        AS_OF - timedelta(days=days), "101", "noise", "Music until 3am"), now=AS_OF)


def counts(store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {table: connection.execute(sa.text(
            f"SELECT count(*) FROM {table} WHERE deleted = 0")).scalar()
            for table in ("incident", "party", "partnernote", "enforcementaction",
                          "actionstep", "deadline")}


def test_two_cases_are_linked_each_shows_the_other_and_a_link_can_be_undone(
        store, open_case) -> None:
    one = open_case(store, summary="Noise at number 14")
    two = open_case(store, district="DOV", summary="Same family, Dover address")
    assert links.link_cases(store, one, two, "Same family") == two
    assert [v.ref for v in cases.case_detail(store, one).links] == [two]
    assert [v.ref for v in cases.case_detail(store, two).links] == [one]
    with pytest.raises(InvalidInput, match="already linked"):
        links.link_cases(store, two, one)
    with pytest.raises(InvalidInput, match="itself"):
        links.link_cases(store, one, one)
    links.unlink_cases(store, one, two, "Linked by mistake")
    assert cases.case_detail(store, one).links == []
    fields = [e.field for e in history.case_history(store, one)]
    assert fields.count("linked case") == 2


def test_a_duplicate_with_enforcement_and_open_deadlines_merges_with_nothing_lost_or_doubled(
        store, open_case) -> None:
    survivor = open_case(store, location="14 Invicta Road, Margate",
                         people=[cases.PersonInput("Ann Example", "victim")])
    duplicate = open_case(store, location="14 invicta road margate", risk="high", people=[
        cases.PersonInput("Bob Example", "victim", vulnerable=True),
        cases.PersonInput("Carl Example", "perpetrator")])
    incident(store, survivor)
    incident(store, duplicate, 3)
    incident(store, duplicate, 4)
    partners.add_note(store, duplicate, "Council visited")
    enforcement.start_action(store, duplicate, enforcement.NewAction(
        power="cpw", concerns="Carl Example", conduct="Loud music"),
        enforcement.StepInput(AS_OF - timedelta(hours=1), authority="constable",
                              ends_at=AS_OF + timedelta(days=14)), now=AS_OF)
    links.link_cases(store, duplicate, open_case(store, summary="Related"))
    before = counts(store)
    merged = links.merge_cases(store, duplicate, survivor, "Same address, same problem",
                               now=AS_OF)
    assert (merged.incidents, merged.people, merged.notes, merged.actions) == (2, 2, 1, 1)
    assert counts(store) == before  # moved, not copied or lost
    detail = cases.case_detail(store, survivor)
    assert len(detail.incidents) == 3 and len(detail.parties) == 3
    assert detail.has_vulnerable_party and detail.risk.value == "high"
    assert detail.next_deadline_at is not None and detail.merged_refs == [duplicate]
    assert len(detail.links) == 1
    assert len(enforcement.case_actions(store, detail.id)) == 1
    assert {d.status.value for d in enforcement.case_deadlines(store, detail.id)} == {"open"}
    # The duplicate's ref opens the surviving case; it has left the queue.
    assert cases.case_detail(store, duplicate).ref == survivor
    refs = [r.ref for r in queue.queue_page(store, queue.QueueQuery(district=District.THA)).rows]
    assert duplicate not in refs and survivor in refs
    with pytest.raises(InvalidInput, match="merged already"):
        links.merge_cases(store, duplicate, survivor, "again")
    with store.engine.connect() as connection:
        copies = connection.execute(sa.text(
            "SELECT DISTINCT case_ref FROM incident")).scalars().all()
    assert copies == [survivor]


def test_merging_is_a_supervisors_action_in_their_districts(store, open_case) -> None:
    one, two = open_case(store), open_case(store)
    store.actor = Actor("pc.thanet", Role.OFFICER, frozenset({District.THA}))
    with pytest.raises(Forbidden):
        links.merge_cases(store, one, two, "Duplicate")
    store.actor = Actor("sup.dover", Role.SUPERVISOR, frozenset({District.DOV}))
    with pytest.raises(Forbidden, match="Thanet"):
        links.merge_cases(store, one, two, "Duplicate")
    store.actor = Actor("sup.thanet", Role.SUPERVISOR, frozenset({District.THA}))
    with pytest.raises(InvalidInput, match="reason"):
        links.merge_cases(store, one, two, " ")
    assert links.merge_cases(store, one, two, "Duplicate").survivor == two


def test_link_and_merge_on_the_command_line(run, demo_path) -> None:  # noqa: F811
    rows = json.loads(run("--db", demo_path, "case", "list", "--district", "THA", "--json",
                          "--limit", "3").stdout)
    a, b, c = (r["ref"] for r in rows)
    done = run("--db", demo_path, "case", "link", a, b, "--reason", "Same family")
    assert done.exit_code == 0, done.stderr
    shown = json.loads(run("--db", demo_path, "case", "show", b, "--json").stdout)
    assert [link["ref"] for link in shown["links"]] == [a]
    merged = run("--db", demo_path, "case", "merge", c, "--into", a, "--reason", "Duplicate")
    assert merged.exit_code == 0, merged.stderr
    assert f"{c} merged into {a}" in merged.stdout
    assert json.loads(run("--db", demo_path, "case", "show", c, "--json").stdout)["ref"] == a
    assert "reason" in assert_one_line_error(
        run("--db", demo_path, "case", "merge", b, "--into", a, "--reason", ""))


def test_erasing_a_case_blanks_the_words_of_its_links(store, open_case) -> None:
    from asbtui.services import retention

    long_ago = AS_OF - timedelta(days=7 * 365)
    old = open_case(store, now=long_ago)
    other = open_case(store)
    links.link_cases(store, old, other, "The same dispute over the hedge", now=long_ago)
    cases.change_status(store, old, "closed", "resolved", now=long_ago)
    retention.erase(store, old, "Retention period over", today=AS_OF.date(), now=AS_OF)
    with store.engine.connect() as connection:
        reasons = connection.execute(sa.text("SELECT reason FROM caselink")).scalars().all()
    assert reasons == [""]


def test_a_merged_duplicates_victim_keeps_their_update_plan_on_the_surviving_case(
        store, open_case) -> None:
    from asbtui.services import victims

    survivor = open_case(store, people=[cases.PersonInput("Ann Example", "victim")])
    duplicate = open_case(store, people=[cases.PersonInput("Bob Example", "victim",
                                                           vulnerable=True)])
    [bob] = victims.victim_plans(store, duplicate)
    links.merge_cases(store, duplicate, survivor, "Same problem", now=AS_OF)
    plans = {p.name: p for p in victims.victim_plans(store, survivor)}
    assert set(plans) == {"Ann Example", "Bob Example"}
    assert (plans["Bob Example"].frequency_days, plans["Bob Example"].next_due) == (
        bob.frequency_days, bob.next_due)
