"""Go to any case: a reference read out over the radio, or its first characters, opens
the case whatever the queue shows; a district search that finds nothing says where."""

from __future__ import annotations

from conftest import AS_OF
from pilot_wait import workers_done
from textual.widgets import Input, Static

from asbtui.app import HOME, AsbApp
from asbtui.config import Settings
from asbtui.models import District, Role
from asbtui.screens.case import CaseScreen
from asbtui.screens.goto import GoToCaseScreen
from asbtui.screens.queue import QueueScreen
from asbtui.services import lookup, partners, queue
from asbtui.services.access import Actor


def refs_of(store, district: District) -> list[str]:
    return [r.ref for r in queue.queue_page(store, queue.QueueQuery(district=district)).rows]


def test_a_reference_is_found_as_typed_read_or_begun(demo_store) -> None:
    ref = refs_of(demo_store, District.FOL)[0]
    tail = ref[-5:]
    assert [m.ref for m in lookup.find_refs(demo_store, ref)] == [ref]
    assert ref in [m.ref for m in lookup.find_refs(demo_store, ref.lower().replace("-", " "))]
    assert ref in [m.ref for m in lookup.find_refs(demo_store, ref.replace("-", "")[:8])]
    assert ref in [m.ref for m in lookup.find_refs(demo_store, tail, today=AS_OF.date())]
    spoken = ref[:7] + tail.replace("0", "O").replace("1", "I")
    assert ref in [m.ref for m in lookup.find_refs(demo_store, spoken)]
    every = lookup.find_refs(demo_store, "FOL", limit=500)
    assert every and all(m.district is District.FOL for m in every)
    assert lookup.find_refs(demo_store, "zz") == []
    assert lookup.find_refs(demo_store, "XYZ-26") == []
    assert lookup.ref_prefix("tha26jy") == "THA-26-JY"
    assert lookup.ref_prefix("THA-") == "THA-"


def test_a_partner_finds_only_the_cases_shared_with_their_agency(demo_store) -> None:
    council = "Thanet District Council"
    agency = next(a for a in partners.agencies(demo_store, District.THA) if a.name == council)
    thanet = refs_of(demo_store, District.THA)
    shared = {ref for ref in thanet
              if any(s.agency == council for s in partners.case_shares(demo_store, ref))}
    demo_store.actor = Actor("tdc", Role.PARTNER, agency_id=agency.id)
    found = {m.ref for m in lookup.find_refs(demo_store, "THA", limit=1000)}
    assert shared and found & set(thanet) == shared
    unshared = next(ref for ref in thanet if ref not in shared)
    assert lookup.find_refs(demo_store, unshared) == []


def make_app(store) -> AsbApp:
    return AsbApp(store, settings=Settings(db=store.path), clock=lambda: AS_OF,
                  start_view=HOME)


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


async def test_ctrl_g_opens_a_case_of_another_district_from_the_thanet_queue(demo_store) -> None:
    ref = refs_of(demo_store, District.FOL)[0]
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, GoToCaseScreen)
        await pilot.press(*ref[:9].lower())
        await pilot.pause()
        assert ref in [m.ref for m in app.screen.matches]
        await pilot.press(*ref[9:].lower(), "enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == ref
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press(*"THA-26-ZZZZZ", "enter")
        await pilot.pause()
        assert "No case" in str(app.screen.query_one("#goto-message", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)


async def test_the_command_palette_opens_a_case_by_its_reference(demo_store) -> None:
    ref = refs_of(demo_store, District.DOV)[0]
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*ref)
        for _ in range(20):  # the palette searches in the background
            await pilot.pause(0.05)
            if "Open case" in str(app.screen.query_one("CommandList").get_option_at_index(0)
                                  .prompt if app.screen.query_one("CommandList").option_count
                                  else ""):
                break
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == ref


async def test_a_thanet_search_that_finds_nothing_says_what_other_districts_hold(
        demo_store) -> None:
    ref = refs_of(demo_store, District.FOL)[0]
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.query_now.district is District.THA
        await pilot.press("slash", *ref, "enter")
        await pilot.pause(0.3)
        await settle(pilot)
        status = str(screen.query_one("#queue-status", Static).render())
        assert "No cases match in Thanet" in status and "1 in other districts" in status
        screen.query_one("#cases").focus()
        await pilot.press("a")
        await settle(pilot)
        assert screen.query_now.district is None
        assert screen.query_one("#search", Input).value == ref
        from asbtui.widgets.case_table import CaseTable
        assert [str(k.value) for k in screen.query_one(CaseTable).rows] == [ref]


def test_a_reference_is_found_on_its_own_index_in_order(demo_store) -> None:
    """Not on an index that starts with ``deleted`` and a sort of every case: at 1,000,000
    cases the planner's statistics once chose that, and go-to-case took 3 s."""
    import sqlalchemy as sa

    # The planner's statistics of the 1,000,000-case demo store (ANALYZE, 1,000 rows
    # sampled per index), where the bad plan was seen.
    plan_with_case_statistics(demo_store, MILLION_CASE_STATISTICS)
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        seen.append((statement, parameters))

    sa.event.listen(demo_store.engine, "before_cursor_execute", record)
    try:
        ref = queue.queue_page(demo_store, queue.QueueQuery(district=District.THA)).rows[0].ref
        seen.clear()
        lookup.find_refs(demo_store, ref[:8])
    finally:
        sa.event.remove(demo_store.engine, "before_cursor_execute", record)
    [(statement, parameters)] = [s for s in seen if 'FROM "case"' in s[0]]
    with demo_store.engine.connect() as connection:
        plan = [r[-1] for r in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", parameters)]
    assert any("(ref>? AND ref<?)" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


MILLION_CASE_STATISTICS = [
    ("ix_case_queue", "805120 1001 1001 1001 501 84 63 1"),
    ("ix_case_by_owner_all", "2435730 1001 1001 1001 1 1"),
    ("ix_case_by_owner", "2198768 1001 1001 1001 501 1 1"),
    ("ix_case_by_due", "779100 1001 1001 91 84 1 1"),
    ("ix_case_by_location", "882096 1001 1001 2 1 1"),
    ("ix_case_by_risk", "665280 1001 1001 1001 201 1 1"),
    ("ix_case_by_status", "568620 1001 1001 1001 501 1"),
    ("ix_case_by_category", "983892 1001 1001 1001 1001 1 1"),
    ("ix_case_by_ref", "940500 1001 1001 1 1 1"),
    ("ix_case_by_opened_all", "907578 1001 1 1 1"),
    ("ix_case_by_opened", "866304 1001 1001 1 1 1"),
    ("ix_case_urgency_all", "886464 1001 1001 1001 334 1 1 1"),
    ("ix_case_urgency", "681318 1001 1001 1001 1001 201 1 1 1"),
    # Made by migration 0023 (its statistics from the 1M store of 08/12/2026).
    ("ix_case_urgency_by_owner", "1558440 1001 1001 1001 1001 1001 1 1 1 1"),
    ("ix_case_owner_review", "3202640 1001 1001 1"),
    ("ix_case_street", "1035440 1001 201"),
    ("ix_case_owner_id", "14358870 1001"),
    ("ix_case_opened", "938600 1001 1"),
    ("sqlite_autoindex_case_2", "1102140 1"),
    ("sqlite_autoindex_case_1", "521637 1"),
]


def plan_with_case_statistics(store, statistics: list[tuple[str, str]]) -> None:
    """Make the planner of ``store`` see the case table as ``statistics`` (rows of
    ``sqlite_stat1``: index name, stat) describe it, e.g. those of a 1,000,000-case store."""
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'case'")
        connection.exec_driver_sql(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",
            [("case", idx, stat) for idx, stat in statistics])
    store.engine.dispose()  # statistics are read when a connection opens
