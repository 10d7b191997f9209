"""The district queue: order, keyset paging, filters and search, with known answers.

``board`` is a small store built by hand in which every case differs in a known way, so
each sort order and filter has one right answer written out below. The demo store (300
cases) checks that paging gives every row once, in order, for every sort, also under
hypothesis with random page sizes.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import AS_OF, TODAY, supervisor_everywhere
from hypothesis import given, settings
from hypothesis import strategies as st

from asbtui.db import Store, open_store
from asbtui.models import (
    OPEN_STATUSES,
    CaseStatus,
    Category,
    District,
    RiskLevel,
)
from asbtui.services import cases, queue
from asbtui.services.cases import NewCase, PersonInput
from asbtui.services.queue import QueueQuery, QueueRow, SortKey

# ---------------------------------------------------------------------------- the board


@dataclass(frozen=True)
class Spec:
    ref: str
    district: str
    category: str
    risk: str
    status: str
    due: int | None  # days from TODAY; None: no review date
    location: str
    owner: str | None  # officer name
    opened_days_ago: int
    summary: str = "Loud music late at night"
    people: tuple[PersonInput, ...] = ()


OFFICERS = {
    "Anne Archer": ("PC 1001", "THA"),
    "Zoe Zimmer": ("PC 1002", "THA"),
    "Mike Medway": ("PC 2001", "MED"),
}

SPECS = {
    "A": Spec(
        "THA-26-M4R9T",
        "THA",
        "nuisance",
        "standard",
        "open",
        -3,
        "3 Cherry Lane, Margate",
        "Anne Archer",
        40,
        people=(PersonInput("Alice Applegate", address="3 Cherry Lane, Margate"),),
    ),
    "B": Spec(
        "THA-26-7K3QX",
        "THA",
        "personal",
        "high",
        "under_investigation",
        -1,
        "14 Invicta Road, Margate",
        "Zoe Zimmer",
        5,
        summary="Drug dealing and gatherings at the house",
        people=(
            PersonInput("Bertha Quennell", address="12 Invicta Road, Margate", vulnerable=True),
        ),
    ),
    "C": Spec(
        "THA-26-ZZ10B",
        "THA",
        "environmental",
        "high",
        "monitoring",
        5,
        "Beach Walk, Ramsgate",
        None,
        25,
        summary="Graffiti tags on the shelter",
    ),
    "D": Spec(
        "THA-26-C0DE5",
        "THA",
        "personal",
        "medium",
        "action_in_progress",
        2,
        "7 Dane Road, Broadstairs",
        "Anne Archer",
        60,
        people=(PersonInput("Dora Dunn", address="9 Kingsgate Avenue, Broadstairs"),),
    ),
    "E": Spec(
        "THA-26-0A1B2",
        "THA",
        "nuisance",
        "standard",
        "open",
        1,
        "Eastern Esplanade, Margate",
        "Zoe Zimmer",
        1,
    ),
    "F": Spec(
        "MED-26-F00D5",
        "MED",
        "nuisance",
        "high",
        "open",
        3,
        "Fort Pitt Hill, Chatham",
        "Mike Medway",
        15,
    ),
    "G": Spec(
        "MED-26-G4T3S",
        "MED",
        "personal",
        "medium",
        "open",
        -10,
        "Gills Avenue, Gillingham",
        None,
        90,
    ),
    "H": Spec(
        "THA-26-HHHHH",
        "THA",
        "environmental",
        "standard",
        "open",
        0,
        "High Street, Margate",
        None,
        33,
    ),
    "I": Spec(
        "THA-26-1NV1C",
        "THA",
        "nuisance",
        "medium",
        "open",
        None,
        "Isle Road, Margate",
        "Zoe Zimmer",
        7,
    ),
    "X": Spec(
        "THA-26-XXXXX",
        "THA",
        "nuisance",
        "high",
        "closed",
        4,
        "Xenon Close, Margate",
        "Anne Archer",
        100,
        summary="Closed long ago",
    ),
}
OPEN_KEYS = [k for k, s in SPECS.items() if s.status != "closed"]
REF_TO_KEY = {s.ref: k for k, s in SPECS.items()}


def _build_board(store: Store) -> None:
    refs = iter(s.ref for s in SPECS.values())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cases, "make_ref", lambda district, day, rng=None: next(refs))
        for name, (collar, district) in OFFICERS.items():
            cases.add_officer(store, collar, name, district)
        for spec in SPECS.values():
            ref = cases.create_case(
                store,
                NewCase(
                    district=spec.district,
                    category=spec.category,
                    summary=spec.summary,
                    location=spec.location,
                    risk=spec.risk,
                    owner_collar=OFFICERS[spec.owner][0] if spec.owner else None,
                    people=list(spec.people),
                ),
                now=AS_OF - timedelta(days=spec.opened_days_ago),
            )
            assert ref == spec.ref
            if spec.due is not None:
                day = TODAY + timedelta(days=spec.due)
                cases.set_next_review(store, ref, day, today=day)
            if spec.status != "open":
                reason = "resolved" if spec.status == "closed" else None
                cases.change_status(store, ref, spec.status, reason)
        with store.engine.begin() as connection:
            connection.exec_driver_sql(
                'UPDATE "case" SET next_review = NULL WHERE ref = ?', (SPECS["I"].ref,)
            )


@pytest.fixture(scope="module")
def board_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("board") / "board.db"
    with open_store(path, create=True) as store:
        _build_board(store)
    return path


@pytest.fixture
def board(board_template: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "board.db"
    shutil.copyfile(board_template, copy)
    with open_store(copy) as store:
        yield store


@pytest.fixture(scope="module")
def demo_readonly(
    demo_template: tuple[Path, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A module's own copy of the demo store, only ever read (for hypothesis)."""
    copy = tmp_path_factory.mktemp("demo-readonly") / "demo.db"
    shutil.copyfile(demo_template[0], copy)
    with open_store(copy) as store:
        store.actor = supervisor_everywhere(store)
        yield store


# ---------------------------------------------------------------------------- helpers


def every_row(store: Store, query: QueueQuery, page_size: int = 1000) -> list[QueueRow]:
    """All rows of the queue, page by page, checking each page's shape on the way."""
    rows: list[QueueRow] = []
    after = None
    for _ in range(100_000):
        page = queue.queue_page(store, query, after, limit=page_size)
        assert len(page.rows) <= page_size
        rows += page.rows
        if not page.has_more:
            assert page.after is None
            return rows
        assert len(page.rows) == page_size
        after = page.after
    raise AssertionError("paging never ended")


def keys_of(rows: list[QueueRow]) -> list[str]:
    return [REF_TO_KEY[r.ref] for r in rows]


_QUERY_FIELDS = {f.name for f in dataclasses.fields(QueueQuery)}


def board_query(**fields: Any) -> QueueQuery:
    """A query as of the fixed test day (and instant, where the queue takes one)."""
    fields.setdefault("today", TODAY)
    if "now" in _QUERY_FIELDS:
        fields.setdefault("now", AS_OF)
    return QueueQuery(**fields)


RISK_ORDER = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.STANDARD: 2}


def python_key(sort: SortKey) -> Callable[[QueueRow], tuple[Any, ...]]:
    """The documented order of each sort key, computed in Python from the rows shown."""

    def due(r: QueueRow) -> date:
        return r.next_review or date.max

    def tier(r: QueueRow) -> int:
        high = r.risk is RiskLevel.HIGH or r.vulnerable_victim
        return 0 if high and r.overdue else 1 if high else 2 if r.overdue else 3

    return {
        SortKey.URGENCY: lambda r: (tier(r), RISK_ORDER[r.risk], due(r), r.opened_at, r.id),
        SortKey.REF: lambda r: (r.ref, r.id),
        SortKey.OPENED: lambda r: (r.opened_at, r.id),
        SortKey.CATEGORY: lambda r: (r.category.value, RISK_ORDER[r.risk], r.id),
        SortKey.RISK: lambda r: (RISK_ORDER[r.risk], due(r), r.id),
        SortKey.STATUS: lambda r: (r.status.value, RISK_ORDER[r.risk], r.id),
        SortKey.LOCATION: lambda r: (r.location, r.id),
        SortKey.OWNER: lambda r: (r.owner, RISK_ORDER[r.risk], r.id),
        SortKey.DUE: lambda r: (due(r), RISK_ORDER[r.risk], r.id),
    }[sort]


# ---------------------------------------------------------------------------- order


def test_the_queue_puts_high_risk_first_with_overdue_ones_at_the_very_top(board):
    # Tiers (queue.py, domain.md "high risk ... puts the case at the top of the queue"):
    # high and overdue, high, other overdue, the rest; within a tier by risk, then due date.
    rows = every_row(board, board_query())
    assert keys_of(rows) == ["B", "F", "C", "G", "A", "D", "I", "H", "E"]
    assert [r.overdue for r in rows] == [True, False, False, True, True, False, False, False, False]


def test_an_overdue_review_outranks_one_not_yet_due_at_the_same_risk(board):
    rows = keys_of(every_row(board, board_query()))
    assert rows.index("A") < rows.index("H") < rows.index("E")  # standard: -3, 0, +1
    assert rows.index("G") < rows.index("D") < rows.index("I")  # medium: -10, +2, none


def test_a_high_risk_case_outranks_an_overdue_medium_one(board):
    rows = keys_of(every_row(board, board_query()))
    assert rows.index("C") < rows.index("G")


def test_a_review_due_today_is_not_overdue(board):
    [row] = [r for r in every_row(board, board_query()) if r.ref == SPECS["H"].ref]
    assert row.next_review == TODAY and not row.overdue


def test_overdue_is_judged_against_the_day_the_query_asks_about(board):
    rows = every_row(board, board_query(today=TODAY + timedelta(days=4)))
    # B F G D A H E are now overdue (due before +4); C (+5) and I (none) are not.
    assert keys_of(rows) == ["B", "F", "C", "G", "D", "A", "H", "E", "I"]


KNOWN_ORDERS = {
    SortKey.URGENCY: ["B", "F", "C", "G", "A", "D", "I", "H", "E"],
    SortKey.REF: ["F", "G", "E", "I", "B", "D", "H", "A", "C"],
    SortKey.OPENED: ["G", "D", "A", "H", "C", "F", "I", "B", "E"],
    SortKey.RISK: ["B", "F", "C", "G", "D", "I", "A", "H", "E"],
    SortKey.LOCATION: ["B", "A", "D", "C", "E", "F", "G", "H", "I"],
    SortKey.OWNER: ["C", "G", "H", "D", "A", "F", "B", "I", "E"],
    SortKey.DUE: ["G", "A", "B", "H", "E", "D", "F", "C", "I"],
}


@pytest.mark.parametrize("sort", list(KNOWN_ORDERS))
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_each_sort_key_gives_its_known_order_both_ways(board, sort, descending):
    expected = KNOWN_ORDERS[sort]
    rows = every_row(board, board_query(sort=sort, descending=descending))
    assert keys_of(rows) == (expected[::-1] if descending else expected)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_sorting_by_category_groups_categories_most_urgent_first(board, descending):
    rows = every_row(board, board_query(sort=SortKey.CATEGORY, descending=descending))
    if descending:
        rows = rows[::-1]
    assert [r.category.value for r in rows] == ["environmental"] * 2 + ["nuisance"] * 4 + [
        "personal"
    ] * 3
    assert keys_of(rows)[:3] == ["C", "H", "F"]  # high before standard; nuisance high first
    assert keys_of(rows)[3] == "I" and set(keys_of(rows)[4:6]) == {"A", "E"}
    assert keys_of(rows)[6] == "B" and set(keys_of(rows)[7:]) == {"D", "G"}
    assert rows == sorted(rows, key=python_key(SortKey.CATEGORY))


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_sorting_by_status_groups_statuses_most_urgent_first(board, descending):
    rows = every_row(board, board_query(sort=SortKey.STATUS, descending=descending))
    if descending:
        rows = rows[::-1]
    assert keys_of(rows)[:2] == ["D", "C"]  # action_in_progress, monitoring
    assert keys_of(rows)[2] == "F"  # the one high-risk open case leads the open ones
    assert set(keys_of(rows)[3:5]) == {"G", "I"}
    assert set(keys_of(rows)[5:8]) == {"A", "E", "H"}
    assert keys_of(rows)[8] == "B"  # under_investigation sorts last
    assert rows == sorted(rows, key=python_key(SortKey.STATUS))


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("page_size", [1, 2, 4, 8, 9, 10])
def test_paging_the_board_gives_the_same_rows_as_one_page(board, sort, descending, page_size):
    query = board_query(sort=sort, descending=descending, statuses=())
    whole = queue.queue_page(board, query, limit=1000)
    assert not whole.has_more and len(whole.rows) == len(SPECS)
    assert every_row(board, query, page_size) == whole.rows


def test_a_page_knows_whether_more_rows_follow(board):
    query = board_query()
    exact = queue.queue_page(board, query, limit=9)
    assert len(exact.rows) == 9 and not exact.has_more and exact.after is None
    first = queue.queue_page(board, query, limit=8)
    assert len(first.rows) == 8 and first.has_more
    second = queue.queue_page(board, query, first.after, limit=8)
    assert keys_of(second.rows) == ["E"] and not second.has_more


def test_the_queue_rows_carry_what_the_table_shows(board):
    [row] = [r for r in every_row(board, board_query()) if r.ref == SPECS["D"].ref]
    assert row.category is Category.PERSONAL
    assert row.risk is RiskLevel.MEDIUM
    assert row.status is CaseStatus.ACTION_IN_PROGRESS
    assert row.location == "7 Dane Road, Broadstairs"
    assert row.owner == "Anne Archer"
    assert row.next_review == TODAY + timedelta(days=2)
    assert row.opened_at == AS_OF - timedelta(days=60)
    unallocated = [r for r in every_row(board, board_query()) if r.ref == SPECS["C"].ref][0]
    assert unallocated.owner == ""


# ---------------------------------------------------------------------------- demo store


# Sorts whose key has no due date are checked in full; for the others, what "due" means
# (a review date, or also a statutory deadline) is the queue's business, so only the
# leading keys (tier, risk) are checked here. The board above checks due order exactly.
LEADING_KEYS = {
    SortKey.URGENCY: lambda r: python_key(SortKey.URGENCY)(r)[:2],
    SortKey.RISK: lambda r: python_key(SortKey.RISK)(r)[:1],
    SortKey.DUE: None,
}


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_every_sort_of_the_demo_queue_is_in_documented_order_and_pages_cleanly(
    demo_readonly, sort, descending
):
    query = board_query(sort=sort, descending=descending, statuses=())
    whole = queue.queue_page(demo_readonly, query, limit=10_000).rows
    assert len(whole) == queue.queue_count(demo_readonly, query) == 300
    if sort not in LEADING_KEYS:
        assert whole == sorted(whole, key=python_key(sort), reverse=descending)
    elif LEADING_KEYS[sort] is not None:
        leading = [LEADING_KEYS[sort](r) for r in whole]
        assert leading == sorted(leading, reverse=descending)
    paged = every_row(demo_readonly, query, page_size=37)
    assert paged == whole
    assert len({r.id for r in paged}) == len(paged)


def test_the_demo_queue_has_open_overdue_and_unallocated_cases(demo_readonly):
    rows = every_row(demo_readonly, board_query())
    assert all(r.status in OPEN_STATUSES for r in rows)
    assert any(r.overdue for r in rows) and not all(r.overdue for r in rows)
    assert any(r.owner == "" for r in rows)
    assert {r.risk for r in rows} == set(RiskLevel)


@settings(max_examples=40, deadline=None)
@given(
    sort=st.sampled_from(list(SortKey)),
    descending=st.booleans(),
    page_size=st.integers(min_value=1, max_value=60),
    statuses=st.sampled_from(
        [OPEN_STATUSES, (), (CaseStatus.CLOSED,), (CaseStatus.OPEN, CaseStatus.MONITORING)]
    ),
    district=st.none() | st.sampled_from(list(District)),
    risks=st.sets(st.sampled_from(list(RiskLevel)), max_size=2).map(tuple),
    unallocated=st.booleans(),
)
def test_keyset_paging_yields_every_row_exactly_once(
    demo_readonly, sort, descending, page_size, statuses, district, risks, unallocated
):
    query = board_query(
        sort=sort,
        descending=descending,
        statuses=statuses,
        district=district,
        risks=risks,
        unallocated=unallocated,
    )
    whole = queue.queue_page(demo_readonly, query, limit=10_000).rows
    paged = every_row(demo_readonly, query, page_size=page_size)
    assert [r.id for r in paged] == [r.id for r in whole]
    assert len({r.id for r in paged}) == len(paged)
    assert len(paged) == queue.queue_count(demo_readonly, query)


# ---------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, set(OPEN_KEYS)),
        ({"district": District.MED}, {"F", "G"}),
        ({"district": District.THA}, {"A", "B", "C", "D", "E", "H", "I"}),
        ({"district": District.DOV}, set()),
        ({"statuses": (CaseStatus.CLOSED,)}, {"X"}),
        ({"statuses": ()}, set(SPECS)),
        ({"statuses": (CaseStatus.MONITORING, CaseStatus.ACTION_IN_PROGRESS)}, {"C", "D"}),
        ({"categories": (Category.ENVIRONMENTAL,)}, {"C", "H"}),
        ({"categories": (Category.PERSONAL, Category.ENVIRONMENTAL)}, {"B", "C", "D", "G", "H"}),
        ({"risks": (RiskLevel.HIGH,)}, {"B", "C", "F"}),
        ({"risks": (RiskLevel.HIGH,), "statuses": ()}, {"B", "C", "F", "X"}),
        ({"risks": (RiskLevel.MEDIUM, RiskLevel.STANDARD)}, {"A", "D", "E", "G", "H", "I"}),
        ({"unallocated": True}, {"C", "G", "H"}),
        ({"district": District.THA, "risks": (RiskLevel.HIGH,)}, {"B", "C"}),
        (
            {
                "district": District.THA,
                "unallocated": True,
                "categories": (Category.ENVIRONMENTAL,),
            },
            {"C", "H"},
        ),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, dict) else None,
)
def test_filters_narrow_the_queue_to_the_known_cases(board, fields, expected):
    query = board_query(**fields)
    rows = every_row(board, query, page_size=2)
    assert set(keys_of(rows)) == expected
    assert len(rows) == len(expected) == queue.queue_count(board, query)


@pytest.mark.parametrize(
    ("officer", "expected"),
    [("Anne Archer", {"A", "D"}), ("Zoe Zimmer", {"B", "E", "I"}), ("Mike Medway", {"F"})],
)
def test_my_cases_shows_only_the_officers_open_cases(board, officer, expected):
    owner_id = cases.find_officer(board, OFFICERS[officer][0]).id
    query = board_query(owner_id=owner_id)
    assert set(keys_of(every_row(board, query))) == expected
    assert queue.queue_count(board, query) == len(expected)


def test_the_count_ignores_the_sort_order(board):
    query = board_query(sort=SortKey.OWNER, descending=True, district=District.THA)
    assert query.without_order() == board_query(district=District.THA)
    assert queue.queue_count(board, query) == queue.queue_count(board, query.without_order()) == 7


# ---------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("THA-26-7K3QX", ["B"]),
        ("tha-26-7k3qx", ["B"]),
        ("7K3QX", ["B"]),
        ("7k3", ["B"]),
        ("THA 26 7K", ["B"]),
        ("MED", ["F", "G"]),
        ("quennell", ["B"]),
        ("Bertha Quennell", ["B"]),
        ("bert quen", ["B"]),
        ("Dora", ["D"]),
        ("kingsgate", ["D"]),
        ("esplanade", ["E"]),
        ("graffiti", ["C"]),
        ("graf shel", ["C"]),
        ("invicta", ["B"]),
        ("inv marg", ["B"]),
        ("Invicta Road Margate", ["B"]),
        ("invicta ramsgate", []),
        ("broadstairs", ["D"]),
        ("margate", ["B", "A", "I", "H", "E"]),
        ("xenon", []),  # the closed case is not in the open queue
        ("zzzzzz", []),
    ],
)
def test_search_finds_cases_by_ref_name_address_and_words(board, text, expected):
    query = board_query(search=text)
    rows = every_row(board, query, page_size=2)
    assert keys_of(rows) == expected  # still in urgency order
    assert queue.queue_count(board, query) == len(expected)


def test_search_combines_with_the_other_filters(board):
    assert keys_of(every_row(board, board_query(search="margate", risks=(RiskLevel.HIGH,)))) == [
        "B"
    ]
    assert every_row(board, board_query(search="margate", district=District.MED)) == []
    closed = board_query(search="xenon", statuses=())
    assert keys_of(every_row(board, closed)) == ["X"]


def test_search_does_not_match_the_hidden_case_id(board):
    case_id = cases.case_detail(board, SPECS["B"].ref).id
    assert every_row(board, board_query(search=case_id)) == []
    assert every_row(board, board_query(search=case_id[:6])) == []


def test_search_sees_a_case_opened_after_the_store_was_built(board):
    ref = cases.create_case(
        board,
        NewCase(
            district="THA", category="nuisance", summary="Trampoline noise", location="Pier Road"
        ),
    )
    assert [r.ref for r in every_row(board, board_query(search="trampol pier"))] == [ref]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        "*",
        "-",
        "^",
        ":",
        "(",
        ")",
        "{",
        "+",
        "AND",
        "OR",
        "NOT",
        "NEAR(",
        "NEAR(a b)",
        '"invicta',
        'invicta"',
        "invicta*",
        "-invicta",
        "invicta AND margate",
        "invicta OR xyz",
        "NOT invicta",
        "ref:THA",
        "{ref summary}: x",
        "col : invicta",
        "a NEAR/2 b",
        "_",
        "__init__",
        "'; DROP TABLE case; --",
        "\x00",
        "invicta\x1b[2J",
        "é",
        "文字",
        "Ḉ",
        "x" * 200,
        "a " * 12,
    ],
)
def test_search_operators_typed_by_a_user_do_not_raise(board, text):
    query = board_query(search=text, statuses=())
    rows = every_row(board, query, page_size=3)
    assert len(rows) == queue.queue_count(board, query)


@pytest.mark.parametrize(("text", "message"), [("x" * 201, "too long"),
                                               ("a " * 13, "too many words")])
def test_a_search_past_its_bounds_is_refused_in_plain_words(board, text, message):
    from asbtui.errors import InvalidInput

    with pytest.raises(InvalidInput, match=message):
        queue.queue_page(board, board_query(search=text, statuses=()))


@pytest.mark.parametrize("text", ['"', "*", "-", "^", ":", "()", "   ", "", "+ - *"])
def test_search_with_no_words_shows_the_whole_queue(board, text):
    assert keys_of(every_row(board, board_query(search=text))) == KNOWN_ORDERS[SortKey.URGENCY]


@pytest.mark.parametrize(
    "text", ['"invicta"', "invicta*", "-invicta", "invicta)", "(invicta)", "invicta:", "INVICTA"]
)
def test_operators_around_a_word_are_searched_as_the_word(board, text):
    assert keys_of(every_row(board, board_query(search=text))) == ["B"]


def test_the_word_and_is_searched_for_not_obeyed(board):
    # "AND" must itself match a word: B's summary has "and"; nothing else has "and..." words.
    assert keys_of(every_row(board, board_query(search="invicta AND"))) == ["B"]
    assert keys_of(every_row(board, board_query(search="AND"))) == ["B"]
    assert every_row(board, board_query(search="graffiti AND")) == []


def test_search_finds_the_invicta_road_case_in_the_demo_store(demo_readonly, demo_summary):
    rows = every_row(demo_readonly, board_query(search="inv marg"))
    assert [r.ref for r in rows] == [demo_summary.invicta_ref]
    tail = demo_summary.invicta_ref[-5:].lower()
    assert demo_summary.invicta_ref in [
        r.ref for r in every_row(demo_readonly, board_query(search=tail, statuses=()))
    ]
