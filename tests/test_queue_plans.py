"""The queue at scale: every order is walked down an index, with the same answers as before.

The queue used to sort computed expressions (an urgency tier, a risk order, the nearest
due date) for every page. It now walks one index per order. Two things are checked on
the seeded demo store: that each queue and search statement is answered from an index
(SQLite's EXPLAIN QUERY PLAN, not a timing), and that every sort, filter and district
gives the same cases in the same order as the old SQL, kept below as the oracle.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import AS_OF, supervisor_everywhere

from asbtui.db import Store, open_store
from asbtui.models import Case, CaseStatus, Category, District, Officer, RiskLevel
from asbtui.services import dashboard, queue, search
from asbtui.services.queue import QueueQuery, SortKey


@pytest.fixture(scope="module")
def demo(demo_template: tuple[Path, Any], tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Store]:
    copy = tmp_path_factory.mktemp("demo-plans") / "demo.db"
    shutil.copyfile(demo_template[0], copy)
    with open_store(copy) as store:
        store.actor = supervisor_everywhere(store)
        yield store


# ---------------------------------------------------------------- the old SQL, as oracle


def _old_risk_order() -> Any:
    return sa.case((Case.risk == RiskLevel.HIGH, 0), (Case.risk == RiskLevel.MEDIUM, 1), else_=2)


def _old_due() -> Any:
    review = sa.func.coalesce(sa.func.strftime("%Y-%m-%d 23:59", Case.next_review), "9999")
    deadline = sa.func.coalesce(sa.cast(Case.next_deadline_at, sa.String), "9999")
    return sa.func.min(review, deadline)


def _old_keys(query: QueueQuery) -> list[Any]:
    overdue = sa.or_(Case.next_review < query.today, Case.next_deadline_at < query.now)
    high = sa.or_(Case.risk == RiskLevel.HIGH, Case.vulnerable_victim)
    tier = sa.case((sa.and_(high, overdue), 0), (high, 1), (overdue, 2), else_=3)
    keys = {
        SortKey.URGENCY: [tier, _old_risk_order(), _old_due(), Case.opened_at],
        SortKey.REF: [Case.ref],
        SortKey.OPENED: [Case.opened_at],
        SortKey.CATEGORY: [Case.category, _old_risk_order()],
        SortKey.RISK: [_old_risk_order(), _old_due()],
        SortKey.STATUS: [Case.status, _old_risk_order()],
        SortKey.LOCATION: [Case.location],
        SortKey.OWNER: [sa.func.coalesce(Officer.name, ""), _old_risk_order()],
        SortKey.DUE: [_old_due(), _old_risk_order()],
    }[query.sort]
    return [*keys, Case.id]


def old_order(store: Store, query: QueueQuery) -> list[str]:
    """The refs in the order the queue gave before it walked indexes (one sorted select)."""
    conditions = [~Case.deleted]
    if query.district is not None:
        conditions.append(Case.district == query.district)
    if query.statuses:
        conditions.append(Case.status.in_(query.statuses))
    if query.categories:
        conditions.append(Case.category.in_(query.categories))
    if query.risks:
        conditions.append(Case.risk.in_(query.risks))
    if query.owner_id:
        conditions.append(Case.owner_id == query.owner_id)
    if query.unallocated:
        conditions.append(Case.owner_id.is_(None))
    matches = search.matching_case_ids(query.search)
    if matches is not None:
        conditions.append(Case.id.in_(matches))
    order = [k.desc() if query.descending else k.asc() for k in _old_keys(query)]
    select = (sa.select(Case.ref).outerjoin(Officer, Officer.id == Case.owner_id)
              .where(*conditions).order_by(*order))
    with store.engine.connect() as connection:
        return list(connection.execute(select).scalars())


def paged(store: Store, query: QueueQuery, size: int) -> list[str]:
    refs: list[str] = []
    after = None
    while True:
        page = queue.queue_page(store, query, after, limit=size)
        refs += [row.ref for row in page.rows]
        if page.after is None:
            return refs
        after = page.after


FILTERS: dict[str, dict[str, Any]] = {
    "open": {},
    "any status": {"statuses": ()},
    "closed": {"statuses": (CaseStatus.CLOSED,)},
    "high risk": {"risks": (RiskLevel.HIGH,)},
    "open, high and medium": {"statuses": (CaseStatus.OPEN,),
                              "risks": (RiskLevel.HIGH, RiskLevel.MEDIUM)},
    "personal": {"categories": (Category.PERSONAL,)},
    "unallocated": {"unallocated": True},
    "searched": {"search": "road", "statuses": ()},
}


@pytest.mark.parametrize("district", [District.THA, None], ids=["Thanet", "all districts"])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", list(SortKey))
def test_every_sort_and_filter_gives_the_same_cases_in_the_same_order_as_before(
    demo, sort, descending, district
):
    mine = {"my cases": {"owner_id": _an_owner(demo)},
            "my cases, any status, personal": {"owner_id": _an_owner(demo), "statuses": (),
                                               "categories": (Category.PERSONAL,)}}
    for name, fields in (FILTERS | mine).items():
        query = QueueQuery(district=district, sort=sort, descending=descending,
                           today=AS_OF.date(), now=AS_OF, **fields)
        expected = old_order(demo, query)
        assert paged(demo, query, 7) == expected, name
        assert queue.queue_count(demo, query) == len(expected), name


def _an_owner(store: Store) -> str:
    with store.engine.connect() as connection:
        return connection.execute(sa.select(Case.owner_id).where(
            Case.district == "THA", Case.owner_id.is_not(None)).order_by(Case.ref).limit(1)
        ).scalar_one()


@pytest.mark.parametrize("district", [District.THA, None], ids=["Thanet", "all districts"])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_officers_of_the_same_name_share_their_place_in_the_owner_order(
    demo_store, district, descending
):
    # Each officer is walked on their own; two of one name must interleave by risk and id
    # as one group did, also across a page break and when a statement is reused.
    # Named to come seventh and eighth after the unallocated cases in ascending order:
    # where owners' walks are split into statements of eight.
    with demo_store.engine.connect() as connection:
        named = sa.select(Officer.name).distinct().order_by(Officer.name)
        if district is not None:
            named = named.where(Officer.district == district)
        name = f"{list(connection.execute(named).scalars())[5]} Zz"
    twins = [Officer(collar=f"PC 99{i}", name=name, district=District.THA) for i in range(2)]
    with demo_store.session() as session:
        session.add_all(twins)
        refs = list(session.execute(sa.select(Case.ref).where(
            Case.district == "THA", ~Case.deleted).order_by(Case.ref).limit(24)).scalars())
        for i, ref in enumerate(refs):
            session.execute(sa.update(Case).where(Case.ref == ref).values(
                owner_id=twins[i % 2].id))
    query = QueueQuery(district=district, sort=SortKey.OWNER, descending=descending,
                       statuses=(), today=AS_OF.date(), now=AS_OF)
    expected = old_order(demo_store, query)
    for size in (5, 7, 100):
        assert paged(demo_store, query, size) == expected
    named = [ref for ref in expected if ref in refs]
    assert set(named) == set(refs)


def test_my_cases_in_urgency_order_are_as_before(demo):
    with demo.engine.connect() as connection:
        owner = connection.execute(sa.select(Case.owner_id).where(
            Case.district == "THA", Case.owner_id.is_not(None)).limit(1)).scalar_one()
    query = QueueQuery(district=District.THA, owner_id=owner, today=AS_OF.date(), now=AS_OF)
    assert paged(demo, query, 3) == old_order(demo, query)


def test_the_overdue_test_is_exact_on_the_day_itself_and_when_london_is_a_day_ahead(demo):
    # Only a case due between the two bounds (today's date and the instant now) needs its
    # row read; either side the bound decides. In summer, just before midnight UTC,
    # London's today is already the next day: the later bound is then today, not now.
    with demo.engine.connect() as connection:
        dues = list(connection.execute(sa.select(Case.next_deadline_at).where(
            Case.next_deadline_at.is_not(None)).order_by(Case.next_deadline_at)).scalars())
        reviews = list(connection.execute(sa.select(Case.next_review).where(
            Case.next_review.is_not(None)).order_by(Case.next_review)).scalars())
    instants = [(due.date(), due) for due in dues[:: max(1, len(dues) // 6)]]
    instants += [(review, datetime.combine(review, time(12), UTC))
                 for review in reviews[:: max(1, len(reviews) // 6)]]
    instants += [(now.date() + timedelta(days=1), now) for _, now in instants[:6]]
    for today, now in instants:
        for district in (District.THA, None):
            query = QueueQuery(district=district, statuses=(), today=today, now=now)
            assert paged(demo, query, 40) == old_order(demo, query), (today, now)


def test_overdue_moves_with_the_hour_asked_about_without_any_rewrite(demo):
    # The same store, asked about two instants a month apart: more cases are overdue at
    # the later one, and each answer is the old SQL's for that instant.
    for days in (0, 30):
        now = AS_OF + timedelta(days=days)
        query = QueueQuery(district=None, today=now.date(), now=now)
        assert paged(demo, query, 25) == old_order(demo, query)


# ---------------------------------------------------------------- query plans


def plans_of(store: Store, run: Any) -> list[str]:
    """The query plan of every statement ``run`` sends that reads cases."""
    found: list[str] = []

    def explain(_conn, cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and '"case"' in statement:
            rows = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}",
                                             parameters).fetchall()
            found.append(" | ".join(row[3] for row in rows))

    sa.event.listen(store.engine, "before_cursor_execute", explain)
    try:
        run()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", explain)
    return found


@pytest.mark.parametrize("district", [District.THA, None], ids=["Thanet", "all districts"])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", list(SortKey))
def test_each_queue_page_walks_an_index_without_sorting(demo, sort, descending, district):
    query = QueueQuery(district=district, sort=sort, descending=descending,
                       today=AS_OF.date(), now=AS_OF)
    first = queue.queue_page(demo, query, limit=5)
    plans = plans_of(demo, lambda: queue.queue_page(demo, query, first.after, limit=5))
    assert plans
    assert "INDEX ix_case_" in plans[0], plans[0]
    for plan in plans:
        if "INDEX ix_case_" in plan:
            # A walk down a queue index; where several walks merge (districts, urgency
            # ranges, owners: more batches while the page is not full), SQLite sorts only
            # each walk's few keys (SCAN anon_n), never the cases.
            assert "SCAN case " not in plan + " ", plan
            steps = plan.split(" | ")
            for i, step in enumerate(steps):
                if "TEMP B-TREE" in step:
                    assert steps[i - 1].startswith("SCAN anon_"), plan
        else:
            # then, when the walk read keys only, the page's rows by their keys
            assert plan.startswith("SEARCH case USING INDEX sqlite_autoindex_case_1 (id=?)"), plan


def test_a_search_with_few_matches_reads_only_them(demo):
    query = QueueQuery(search="invicta", today=AS_OF.date(), now=AS_OF)
    plans = plans_of(demo, lambda: queue.queue_page(demo, query))
    assert len(plans) == 1
    # the matches' ids are looked up by key, then the few rows sorted
    assert "SEARCH case USING INDEX sqlite_autoindex_case_1 (id=?)" in plans[0]


def test_a_search_with_many_matches_reads_the_search_index_newest_first(demo, monkeypatch):
    monkeypatch.setattr(search, "FEW", 5)
    query = QueueQuery(search="road", statuses=(), today=AS_OF.date(), now=AS_OF)
    page = queue.queue_page(demo, query, limit=10)
    assert page.newest_first and len(page.rows) == 10
    plans = plans_of(demo, lambda: queue.queue_page(demo, query, page.after, limit=10))
    assert len(plans) == 1
    assert "SCAN case_search VIRTUAL TABLE" in plans[0]
    assert "SEARCH case USING INDEX sqlite_autoindex_case_1 (id=?)" in plans[0]
    assert "TEMP B-TREE" not in plans[0]
    # and the pages hold every match once, newest indexed first
    refs = paged(demo, query, 10)
    assert sorted(refs) == sorted(old_order(demo, query))
    assert queue.queue_count(demo, query, cap=5) == 6


def test_a_single_letter_matches_whole_words_not_every_word_it_begins():
    assert search.match_expression("s") == '{ref summary location people} : "s"'
    assert search.match_expression("sm") == '{ref summary location people} : "sm"*'


def test_a_built_store_has_planner_statistics_so_lookups_use_their_own_index(demo_store):
    # Without sqlite_stat1 SQLite took the queue's index (deleted = ?) for a reference
    # range and sorted every case: go-to-case 200 ms on 100,000 cases instead of 0.3 ms.
    with demo_store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM sqlite_stat1").scalar() > 0
        plan = " | ".join(row[3] for row in connection.exec_driver_sql(
            'EXPLAIN QUERY PLAN SELECT ref, district, status, category FROM "case" '
            "WHERE deleted = 0 AND ref >= 'THA-26-A' AND ref < 'THA-26-A~' "
            "ORDER BY ref LIMIT 20"))
    assert "sqlite_autoindex_case_2" in plan and "TEMP B-TREE" not in plan, plan



# ---------------------------------------------------------------- plans at 1,000,000 cases


# The planner's statistics of the case table of the 1,000,000-case demo store built on
# 07/12/2026 (`asbtui demo --cases 1000000 --seed 1`, ANALYZE of 1,000 rows per index).
M1_CASE_STATISTICS = [
    ("ix_case_address", "912870 2 1 1 1 1"),
    ("ix_case_by_category", "842400 1001 1001 1001 1001 1 1"),
    ("ix_case_by_due", "719712 1001 1001 84 77 1 1"),
    ("ix_case_by_location", "882096 1001 1001 2 1 1"),
    ("ix_case_by_opened", "866304 1001 1001 1 1 1"),
    ("ix_case_by_opened_all", "907578 1001 1 1 1"),
    ("ix_case_by_owner", "2021448 1001 1001 1001 501 1 1"),
    ("ix_case_by_owner_all", "3465000 1001 1001 1001 1 1"),
    ("ix_case_by_ref", "940500 1001 1001 1 1 1"),
    ("ix_case_by_risk", "712800 1001 1001 1001 251 1 1"),
    ("ix_case_by_status", "647280 1001 1001 1001 501 1"),
    ("ix_case_district_review", "1958400 1001 1001 1001 1001"),
    ("ix_case_opened", "938600 1001 1"),
    ("ix_case_owner_id", "14358870 1001"),
    ("ix_case_owner_review", "3249015 1001 1001 1"),
    ("ix_case_point", "1 1 1"),
    ("ix_case_postcode", "861184 101 101 1 1 1"),
    ("ix_case_queue", "738720 1001 1001 1001 501 84 63 1"),
    ("ix_case_street", "1035440 1001 201"),
    ("ix_case_updated_at", "852840 1"),
    ("ix_case_urgency", "740962 1001 1001 1001 1001 251 1 1 1"),
    ("ix_case_urgency_all", "790704 1001 1001 1001 334 1 1 1"),
    # Made by migration 0023; ANALYZE'd the same way on the 1M store of 08/12/2026.
    ("ix_case_urgency_by_owner", "1558440 1001 1001 1001 1001 1001 1 1 1 1"),
    ("sqlite_autoindex_case_1", "514188 1"),
    ("sqlite_autoindex_case_2", "1102140 1"),
]


@pytest.fixture(scope="module", params=["m1", "goto"],
                ids=["1M store of 07-12-2026", "1M store of go-to-case's test"])
def million(request: pytest.FixtureRequest, demo_template: tuple[Path, Any],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The seeded store with the planner statistics of a 1,000,000-case demo store: the
    plans SQLite chooses follow the statistics, not the rows. (With them, and no hint,
    SQLite read ix_case_queue and sorted every open case of each district.)"""
    from test_goto import MILLION_CASE_STATISTICS, plan_with_case_statistics

    statistics = M1_CASE_STATISTICS if request.param == "m1" else MILLION_CASE_STATISTICS
    copy = tmp_path_factory.mktemp("demo-plans-1m") / "demo.db"
    shutil.copyfile(demo_template[0], copy)
    with open_store(copy) as store:
        plan_with_case_statistics(store, statistics)
        store.actor = supervisor_everywhere(store)
        yield store


def _walked_index(sort: SortKey, district: District | None) -> str:
    name = {SortKey.URGENCY: "ix_case_urgency", SortKey.OWNER: "ix_case_by_owner"}.get(
        sort, queue._INDEX_OF.get(sort, ""))
    return f"{name}_all" if district is None and sort in (
        SortKey.URGENCY, SortKey.OWNER, SortKey.OPENED) else name


def assert_walks(plans: list[str], index: str) -> None:
    walks = [plan for plan in plans if "INDEX ix_case_" in plan]
    assert walks, plans
    for plan in plans:
        steps = plan.split(" | ")
        if plan in walks:
            used = {re.match(r"(?:SEARCH|SCAN) case (?:USING (?:COVERING )?INDEX (\w+))?",
                             step).group(1)
                    for step in steps if step.startswith(("SEARCH case ", "SCAN case "))}
            assert used == {index}, plan  # (None: a scan of the table)
            for i, step in enumerate(steps):
                if "TEMP B-TREE" in step:
                    assert steps[i - 1].startswith("SCAN anon_"), plan
        else:
            assert plan.startswith("SEARCH case USING INDEX sqlite_autoindex_case_1 (id=?)"), plan


@pytest.mark.parametrize("district", [District.THA, None], ids=["Thanet", "all districts"])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", list(SortKey))
def test_at_a_million_cases_each_page_walks_its_own_index(million, sort, descending, district):
    query = QueueQuery(district=district, sort=sort, descending=descending,
                       today=AS_OF.date(), now=AS_OF)
    first = queue.queue_page(million, query, limit=5)
    assert first.after is not None
    for after in (None, first.after):
        plans = plans_of(million, lambda after=after: queue.queue_page(million, query, after,
                                                                       limit=5))
        assert_walks(plans, _walked_index(sort, district))


@pytest.mark.parametrize("district", [District.THA, None], ids=["Thanet", "all districts"])
@pytest.mark.parametrize("sort", [SortKey.URGENCY, SortKey.OPENED, SortKey.STATUS,
                                  SortKey.CATEGORY, SortKey.RISK, SortKey.OWNER])
@pytest.mark.parametrize("name", ["closed", "high risk", "personal", "unallocated", "my cases"])
def test_at_a_million_cases_a_filtered_page_walks_the_order_index(million, name, sort,
                                                                   district):
    fields = {"my cases": {"owner_id": _an_owner(million)}}.get(name) or FILTERS.get(name) or {
        "closed": {"statuses": (CaseStatus.CLOSED,)}}[name]
    query = QueueQuery(district=district, sort=sort, today=AS_OF.date(), now=AS_OF, **fields)
    first = queue.queue_page(million, query, limit=3)
    # Closed cases of all districts in urgency order have an index of their own (the
    # status at the end of ix_case_urgency_all made a page walk past every open case).
    closed_urgency = (name, sort, district) == ("closed", SortKey.URGENCY, None)
    index = "ix_case_closed_urgency" if closed_urgency else _walked_index(sort, district)
    # One officer's cases in urgency order are walked from the owner (migration 0023: the
    # district's index tested the owner on every entry, 14-19 ms a first page at 1M).
    if (name, sort) == ("my cases", SortKey.URGENCY):
        index = "ix_case_urgency_by_owner"
    for after in (None, first.after):
        plans = plans_of(million, lambda after=after: queue.queue_page(million, query, after,
                                                                       limit=3))
        assert_walks(plans, index)


def test_a_kept_statement_answers_each_query_with_its_own_values(demo):
    # One shape (a district, urgency, a risk and a status filter, after a key), built once
    # and bound anew: each district, risk, status and day gets its own cases.
    for district, risk, status, days in [(District.THA, RiskLevel.HIGH, CaseStatus.OPEN, 0),
                                         (District.MED, RiskLevel.STANDARD, CaseStatus.OPEN, 9),
                                         (District.THA, RiskLevel.MEDIUM, CaseStatus.CLOSED, 0),
                                         (District.DOV, RiskLevel.HIGH, CaseStatus.CLOSED, 40)]:
        now = AS_OF + timedelta(days=days)
        query = QueueQuery(district=district, risks=(risk,), statuses=(status,),
                           today=now.date(), now=now)
        assert paged(demo, query, 2) == old_order(demo, query)
    assert len(queue._STATEMENTS) <= queue._STATEMENTS_KEPT


@pytest.mark.parametrize("district", [District.THA, None], ids=["Thanet", "all districts"])
def test_while_a_first_sync_has_dropped_the_indexes_every_sort_still_pages_whole(
        demo_store: Store, district: District | None) -> None:
    """The statements name their index; a first sync drops the indexes while it loads (and
    one cut short leaves them dropped until the next open): the queue still reads."""
    from asbtui import db

    queries = [QueueQuery(district=district, sort=sort, descending=descending,
                          today=AS_OF.date(), now=AS_OF)
               for sort in SortKey for descending in (False, True)]

    def pages() -> list[list[str]]:
        walked = []
        for query in queries:
            first = queue.queue_page(demo_store, query, limit=7)
            second = queue.queue_page(demo_store, query, first.after, limit=7)
            walked.append([r.ref for r in first.rows + second.rows])
        return walked

    indexed = pages()
    with demo_store.engine.begin() as connection:
        assert db.defer_indexes(connection, ["case"]) > 0
    assert pages() == indexed
    with demo_store.engine.begin() as connection:
        db.rebuild_deferred_indexes(connection)
    assert pages() == indexed


# The first-contact table's statistics in the same 1M store (104,988 targets).
M1_FIRST_CONTACT_STATISTICS = [
    ("ix_firstcontact_open", "41516 1001 1"),
    ("ix_firstcontact_updated_at", "105248 1"),
    ("sqlite_autoindex_firstcontact_2", "118170 1"),
    ("sqlite_autoindex_firstcontact_1", "104328 1"),
]


def test_at_a_million_cases_the_dashboard_counts_breaches_from_the_open_targets(million):
    # Joined to the case table, the count of first-contact breaches read every case of
    # the store first (0.62 s of the all-districts dashboard's 0.9 s at 1M).
    with million.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'firstcontact'")
        connection.exec_driver_sql(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('firstcontact', ?, ?)",
            M1_FIRST_CONTACT_STATISTICS)
    million.engine.dispose()
    plans = [plan for plan in plans_of(million, lambda: dashboard.district_summaries(
        million, now=AS_OF)) if "firstcontact" in plan]
    assert plans and all(plan.startswith(
        "SEARCH firstcontact USING INDEX ix_firstcontact_open") for plan in plans), plans
