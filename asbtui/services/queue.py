"""The district queue: open cases, filtered, sorted and paged in SQL.

Pages are fetched by key (seek), not by OFFSET: each page starts after the sort key of
the last row of the page before, so page 400 costs what page 1 costs. Rows are read with
Core selects (no ORM objects), one page at a time; nothing loads a whole table.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from asbtui.dates import london_today, utc_now
from asbtui.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Category,
    District,
    Officer,
    RiskLevel,
)
from asbtui.services import search
from asbtui.services.access import Permission, current, permits, readable_case_ids
from asbtui.services.periods import end_of_day

if TYPE_CHECKING:
    from asbtui.db import Store

PAGE_SIZE = 100


class SortKey(StrEnum):
    """The columns a queue can be sorted by; ``urgency`` is the default."""

    URGENCY = "urgency"
    REF = "ref"
    OPENED = "opened"
    CATEGORY = "category"
    RISK = "risk"
    STATUS = "status"
    LOCATION = "location"
    OWNER = "owner"
    DUE = "due"

    @property
    def label(self) -> str:
        return {"due": "Next due", "ref": "Reference"}.get(self.value, self.value.capitalize())


@dataclass(frozen=True)
class QueueQuery:
    """Which cases a queue shows and in what order. ``None`` or empty means any."""

    district: District | None = None
    statuses: tuple[CaseStatus, ...] = OPEN_STATUSES
    categories: tuple[Category, ...] = ()
    risks: tuple[RiskLevel, ...] = ()
    owner_id: str | None = None
    unallocated: bool = False
    search: str = ""
    sort: SortKey = SortKey.URGENCY
    descending: bool = False
    today: date | None = None
    now: datetime | None = None
    refs: tuple[str, ...] = ()
    """Only these cases (a pattern's cases, say); empty: any."""

    def without_order(self) -> QueueQuery:
        """The same filter in the default order (for caching counts)."""
        return replace(self, sort=SortKey.URGENCY, descending=False)


@dataclass(frozen=True)
class QueueRow:
    id: str
    ref: str
    opened_at: datetime
    category: Category
    risk: RiskLevel
    status: CaseStatus
    location: str
    owner: str
    next_review: date | None
    next_deadline_at: datetime | None
    overdue: bool
    vulnerable_victim: bool = False
    summary: str = ""

    @property
    def next_due(self) -> tuple[datetime, bool] | None:
        """The nearer of the review (end of its day) and the nearest statutory deadline,
        with True when it is a statutory deadline."""
        review = end_of_day(self.next_review) if self.next_review else None
        if self.next_deadline_at and (review is None or self.next_deadline_at < review):
            return self.next_deadline_at, True
        return (review, False) if review else None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    after: tuple[Any, ...] | None = field(default=None)
    """The sort key of the last row: pass it back to get the next page."""
    newest_first: bool = False
    """A search with very many matches: shown newest first, whatever the sort."""

    @property
    def has_more(self) -> bool:
        return self.after is not None


def _today(query: QueueQuery) -> date:
    return query.today or london_today(query.now)


def _now(query: QueueQuery) -> datetime:
    return query.now or utc_now()


# ------------------------------------------------------------------------ sort keys
#
# Every order is walked down an index (models.QUEUE_INDEXES) rather than sorted: each
# page is a seek to the key after the last row shown and a short walk. The urgency order
# depends on the hour (a case becomes overdue when its review day or deadline passes), so
# it is read as up to ten index ranges in turn, one per (priority, overdue, risk), each
# found by seeking due_key to the overdue boundary: no stored flag goes stale with time.

_URGENCY_SEGMENTS = [(p, o, r) for p in (0, 1) for o in (0, 1) for r in (0, 1, 2)
                     if not (p == 1 and r == 0)]
"""(priority_rank, overdue 0 / not 1, risk_rank): high risk or a vulnerable victim first
(domain.md), overdue before not, then by risk; within each by due_key, opened, id."""

_RISK_RANK = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.STANDARD: 2}
"""As models.RISK_RANK_SQL computes it."""

_PLAIN_KEYS: dict[SortKey, list[Any]] = {
    SortKey.REF: [Case.ref, Case.id],
    SortKey.OPENED: [Case.opened_at, Case.id],
    SortKey.CATEGORY: [Case.category, Case.risk_rank, Case.id],
    SortKey.RISK: [Case.risk_rank, Case.due_key, Case.id],
    SortKey.STATUS: [Case.status, Case.risk_rank, Case.id],
    SortKey.LOCATION: [Case.location, Case.id],
    SortKey.DUE: [Case.due_key, Case.risk_rank, Case.id],
}
# Orders with an index of their own across all districts; the others merge one short
# walk per district.
_ALL_DISTRICT_INDEXES = {SortKey.OPENED}
_INDEX_OF = {
    SortKey.REF: "ix_case_by_ref",
    SortKey.OPENED: "ix_case_by_opened",
    SortKey.CATEGORY: "ix_case_by_category",
    SortKey.RISK: "ix_case_by_risk",
    SortKey.STATUS: "ix_case_by_status",
    SortKey.LOCATION: "ix_case_by_location",
    SortKey.DUE: "ix_case_by_due",
}


def _overdue(today: date, now: datetime) -> sa.ColumnElement[bool]:
    # Never NULL (a case with no review and no deadline is simply not overdue), so that
    # NOT gives exactly the other cases.
    return sa.or_(
        sa.and_(Case.next_review.is_not(None), Case.next_review < today),
        sa.and_(Case.next_deadline_at.is_not(None), Case.next_deadline_at < now),
    )


def _conditions(store: Store, query: QueueQuery,
                matches: Sequence[str] | sa.Select | None = None,
                ) -> list[sa.ColumnElement[bool]]:
    """The query's filters; ``matches`` (ids, or a select of them) stands for its search."""
    # deleted = 0 (not NOT deleted): an equality the indexes' first column can seek.
    conditions: list[sa.ColumnElement[bool]] = [Case.deleted == sa.false()]
    shared = readable_case_ids(current(store))
    if shared is not None:  # a partner: only the cases shared with their agency
        conditions.append(Case.id.in_(shared))
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
    if query.refs:
        conditions.append(Case.ref.in_(query.refs))
    if matches is None and query.search.strip():
        # A partner's search leaves out people's names and addresses: finding a case by
        # the name of someone not disclosed to them would disclose that they are on it.
        matches = search.matching_case_ids(query.search, with_people=shared is None)
    if matches is not None:
        conditions.append(Case.id.in_(matches))
    return conditions


def _row_columns() -> list[Any]:
    # The tables' columns, not the models' attributes: a statement naming a model is
    # compiled by the ORM, whose first statement sets up every model's mapping (tens of
    # milliseconds, on the way to the app's first frame).
    return [
        _CASE.id, _CASE.ref, _CASE.opened_at, _CASE.category, _CASE.risk, _CASE.status,
        _CASE.location, sa.func.coalesce(_OFFICER.name, "").label("owner"),
        _CASE.next_review, _CASE.next_deadline_at, _CASE.vulnerable_victim,
        _CASE.priority_rank, _CASE.risk_rank, _CASE.due_key, _CASE.owner_id, _CASE.summary,
    ]


def _after(keys: Sequence[Any], after: Sequence[Any], descending: bool) -> sa.ColumnElement:
    row_key = sa.tuple_(*keys)
    bound = sa.tuple_(*(sa.literal(v, type_=k.type) for k, v in zip(keys, after, strict=True)))
    return row_key < bound if descending else row_key > bound


def _expression(store: Store, query: QueueQuery) -> str | None:
    """The search's FTS5 query; a partner's leaves out people's names and addresses."""
    if not query.search.strip():
        return None
    return search.match_expression(
        query.search, with_people=readable_case_ids(current(store)) is None)


def _searching(query: QueueQuery) -> bool:
    return bool(search.match_expression(query.search)) if query.search.strip() else False


_CASE = Case.__table__.c  # type: ignore[attr-defined]
_OFFICER = Officer.__table__.c  # type: ignore[attr-defined]


# ------------------------------------------------------------------ statements built once
#
# A page's statement depends on the query's shape (sort, direction, one district or all,
# which filters are set, whether it starts after a key), not on its values: each shape is
# built once, with bind parameters for the values, and kept. SQLAlchemy then finds its
# compiled form by the kept statement's (memoised) cache key, so a page costs a bound
# execute and reading its rows, not building and compiling thirteen district walks anew
# (15-25 ms of Python a page at 100,000 cases; SQLite's part was under 1 ms).

_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_STATEMENTS_KEPT = 512
_STATEMENTS_LOCK = threading.Lock()


def _statement(shape: tuple[Any, ...] | None, build: Callable[[], Any]) -> Any:
    """The statement of ``shape``, built by ``build`` the first time (``shape`` None: a
    statement holding values, such as a partner's shared cases, built every time)."""
    if shape is None:
        return build()
    key = (shape, _HINTED.get())
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = build()
        with _STATEMENTS_LOCK:  # pages are read in worker threads
            if len(_STATEMENTS) >= _STATEMENTS_KEPT:  # oldest first (names may change)
                del _STATEMENTS[next(iter(_STATEMENTS))]
            _STATEMENTS[key] = statement
    return statement


@dataclass(frozen=True)
class _Filter:
    """A query's filters as conditions over bind parameters, with their values."""

    conditions: list[Any]
    params: dict[str, Any]
    shape: tuple[Any, ...] | None
    """Which filters are set; None when a condition holds values (not to be kept)."""


def _bound(name: str, column: Any, expanding: bool = False) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=column.type, expanding=expanding)


def _filter(store: Store, query: QueueQuery) -> _Filter:
    """The query's filters (as :func:`_conditions`), each value a bind parameter."""
    conditions: list[Any] = [_CASE.deleted == sa.false()]
    params: dict[str, Any] = {}
    keep = True
    shared = readable_case_ids(current(store))
    if shared is not None:
        conditions.append(_CASE.id.in_(shared))
        keep = False
    if query.district is not None:
        conditions.append(_CASE.district == _bound("f_district", _CASE.district))
        params["f_district"] = query.district
    # One parameter per value (the shape holds how many), not an expanding list that
    # SQLAlchemy would splice into the SQL on every execute.
    for name, column, values in (("status", _CASE.status, query.statuses),
                                 ("category", _CASE.category, query.categories),
                                 ("risk", _CASE.risk, query.risks)):
        if values:
            conditions.append(column.in_(
                [_bound(f"f_{name}{i}", column) for i in range(len(values))]))
            params |= {f"f_{name}{i}": value for i, value in enumerate(values)}
    if query.owner_id:
        conditions.append(_CASE.owner_id == _bound("f_owner", _CASE.owner_id))
        params["f_owner"] = query.owner_id
    if query.unallocated:
        conditions.append(_CASE.owner_id.is_(None))
    if query.refs:
        conditions.append(_CASE.ref.in_(_bound("f_refs", _CASE.ref, True)))
        params["f_refs"] = list(query.refs)
    if query.search.strip():
        matches = search.matching_case_ids(query.search, with_people=shared is None)
        if matches is not None:
            conditions.append(_CASE.id.in_(matches))
            keep = False
    shape = (query.district is not None, len(query.statuses), len(query.categories),
             len(query.risks), bool(query.owner_id), query.unallocated, bool(query.refs))
    return _Filter(conditions, params, shape if keep else None)


def _after_bound(keys: Sequence[Any], descending: bool) -> sa.ColumnElement[bool]:
    """The rows after the key in bind parameters a0, a1... (see :func:`_after_params`)."""
    row_key = sa.tuple_(*keys)
    bound = sa.tuple_(*(_bound(f"a{i}", key) for i, key in enumerate(keys)))
    return row_key < bound if descending else row_key > bound


def _after_params(after: Sequence[Any]) -> dict[str, Any]:
    return {f"a{i}": value for i, value in enumerate(after)}


_LIMIT = sa.bindparam("limit", type_=sa.Integer)


_HINTED: ContextVar[bool] = ContextVar("queue_hints", default=True)
"""Whether the statements name their index (``INDEXED BY``); off only while a bulk load
(a first sync, or one cut short) has dropped the indexes (see :func:`queue_page`)."""


def _hinted(select: sa.Select[Any], index: str | None) -> sa.Select[Any]:
    return select if index is None or not _HINTED.get() else select.with_hint(
        Case, f"INDEXED BY {index}", "sqlite")


def _row_select() -> sa.Select[Any]:
    return sa.select(*_row_columns()).outerjoin(
        Officer.__table__, _OFFICER.id == _CASE.owner_id)  # type: ignore[attr-defined]


def _walk(connection: sa.Connection, shape: tuple[Any, ...] | None,
          conditions: Callable[[], list[Any]], keys: list[Any], descending: bool,
          params: dict[str, Any], limit: int, index: str | None) -> list[Any]:
    """One index walk: the rows matching ``conditions`` in ``keys`` order."""
    def build() -> sa.Select[Any]:
        order = [key.desc() if descending else key.asc() for key in keys]
        return _hinted(_row_select(), index).where(*conditions()).order_by(*order).limit(
            _LIMIT)

    statement = _statement(shape, build)
    return list(connection.execute(statement, {**params, "limit": limit}).all())


_Parts = Callable[[], list[tuple[list[Any], list[Any], str | None]]]


def _union(parts: list[tuple[list[Any], list[Any], str | None]],
           descending: bool) -> sa.Select[Any]:
    members = []
    for conditions, keys, index in parts:
        member = _hinted(sa.select(*(key.label(f"k{i}") for i, key in enumerate(keys))),
                         index).where(*conditions)
        order = [k.desc() if descending else k.asc() for k in keys
                 if not isinstance(k, sa.BindParameter)]
        members.append(sa.select(member.order_by(*order).limit(_LIMIT).subquery()))
    union = (sa.union_all(*members) if len(members) > 1 else members[0]).subquery()
    order = [union.c[f"k{i}"] for i in range(len(parts[0][1]))]
    return sa.select(union).order_by(
        *[k.desc() if descending else k.asc() for k in order]).limit(_LIMIT)


_BY_ID: list[sa.Select[Any]] = []


def _rows_by_id(connection: sa.Connection, ids: list[str]) -> dict[str, Any]:
    if not _BY_ID:
        # The ids as one JSON parameter: the same SQL whatever their number.
        listed = sa.func.json_each(sa.bindparam("ids", type_=sa.String)).table_valued(
            "value", name="listed")
        _BY_ID.append(_row_select().where(_CASE.id.in_(sa.select(listed.c.value))))
    return {row.id: row for row in connection.execute(_BY_ID[0], {"ids": json.dumps(ids)})}


def _merged(connection: sa.Connection, shape: tuple[Any, ...] | None, parts: _Parts,
            descending: bool, params: dict[str, Any], limit: int) -> list[tuple[tuple, Any]]:
    """Several index walks merged in one statement, then the page's rows by key.

    Each part is (conditions, key expressions, index): a walk of at most ``limit`` keys,
    read from its index alone. SQLite merges the parts' keys (a few hundred at most) and
    keeps the first ``limit``; only those rows are then read in full. ``parts`` is called
    only when the statement of ``shape`` is not yet built.
    """
    statement = _statement(shape, lambda: _union(parts(), descending))
    keyed = connection.execute(statement, {**params, "limit": limit}).all()
    if not keyed:
        return []
    rows = _rows_by_id(connection, [key[-1] for key in keyed])
    return [(tuple(key), rows[key[-1]]) for key in keyed]


def _in_turn(connection: sa.Connection, batches: list[tuple[tuple[Any, ...] | None, _Parts]],
             descending: bool, params: dict[str, Any], limit: int) -> list[tuple[tuple, Any]]:
    """Walks that follow one another in the order (urgency ranges, owners by name), merged
    a batch at a time until the page is full: the first few usually fill it."""
    found: list[tuple[tuple, Any]] = []
    for shape, parts in batches:
        found += _merged(connection, shape, parts, descending, params, limit - len(found))
        if len(found) >= limit:
            break
    return found


def _growing(count: int, largest: int) -> list[tuple[int, int]]:
    """(start, size) of batches of 1, 2, 4... walks up to ``largest``: the first walk
    usually fills the page (each walk reads up to a page of matches, so merging more
    than needed multiplies the rows read), while many short ones still go a few at once."""
    found, start, size = [], 0, 1
    while start < count:
        found.append((start, size))
        start, size = start + size, min(size * 2, largest)
    return found


def _shape(filters: _Filter, *shape: Any) -> tuple[Any, ...] | None:
    return None if filters.shape is None else (*shape, filters.shape)


def _plain_page(connection: sa.Connection, query: QueueQuery, filters: _Filter,
                after: Sequence[Any] | None, limit: int) -> list[tuple[tuple, Any]]:
    keys = [_CASE[key.key] for key in _PLAIN_KEYS[query.sort]]
    # Sorted by the one status (or category) the filter allows: every row has it, so the
    # key after which to start leaves it out. (With it in the row value, SQLite read the
    # rest of the status from the index and sorted it for every page.)
    fixed = int((query.sort is SortKey.STATUS and len(query.statuses) == 1)
                or (query.sort is SortKey.CATEGORY and len(query.categories) == 1))
    params = {**filters.params, **_after_params(after[fixed:] if after is not None else ())}

    def conditions() -> list[Any]:
        bound = [_after_bound(keys[fixed:], query.descending)] if after is not None else []
        return [*filters.conditions, *bound]

    # A search's matches are few or are found by the search index: let SQLite choose.
    forced = not _searching(query)
    if query.district is not None or query.sort in _ALL_DISTRICT_INDEXES:
        index = _INDEX_OF[query.sort]
        if query.district is None:
            index = f"{index}_all"
        hint = index if forced else None
        shape = _shape(filters, "walk", query.sort, query.descending, after is not None, hint,
                       fixed)
        rows = _walk(connection, shape, conditions, keys, query.descending, params, limit,
                     hint)
        return [(tuple(getattr(row, key.key) for key in keys), row) for row in rows]
    # Across districts: one short walk per district down its index, merged.
    hint = _INDEX_OF[query.sort] if forced else None
    shape = _shape(filters, "districts", query.sort, query.descending, after is not None, hint,
                   fixed)
    return _merged(connection, shape, lambda: [
        ([*conditions(), _CASE.district == district], keys, hint) for district in District],
        query.descending, params, limit)


def _urgency_page(connection: sa.Connection, query: QueueQuery, filters: _Filter,
                  after: Sequence[Any] | None, limit: int) -> list[tuple[tuple, Any]]:
    today, now = _today(query), _now(query)
    tail = [_CASE.due_key, _CASE.opened_at, _CASE.id]
    index = "ix_case_urgency" if query.district is not None else "ix_case_urgency_all"
    if query.owner_id:  # one officer's cases: walked from the owner, not the district
        index = "ix_case_urgency_by_owner"
    # Closed cases of all districts walk the partial index of the closed ones, whose
    # condition SQLite recognises only written as a literal (not the bound status).
    closed_only = (query.district is None and tuple(query.statuses) == (CaseStatus.CLOSED,)
                   and not _searching(query))
    if closed_only:
        index = "ix_case_closed_urgency"
        filters = replace(filters, conditions=[
            *filters.conditions, _CASE.status == sa.literal_column("'closed'")])
    forced = index if not _searching(query) else None
    segments = list(reversed(_URGENCY_SEGMENTS)) if query.descending else _URGENCY_SEGMENTS
    if after is not None:
        segments = segments[segments.index(tuple(after[:3])):]
    if query.risks:  # a risk filter leaves out whole ranges: do not walk them to find none
        ranks = {_RISK_RANK[risk] for risk in query.risks}
        segments = [segment for segment in segments if segment[2] in ranks]
    start = tuple(after[:3]) if after is not None else None
    params = {**filters.params, **_after_params(after[3:] if after is not None else ()),
              "today": today, "now": now, "review_today": today, "deadline_now": now}

    def parts(batch: list[tuple[int, int, int]]) -> list[tuple[list[Any], list[Any], Any]]:
        overdue = sa.or_(
            sa.and_(_CASE.next_review.is_not(None),
                    _CASE.next_review < _bound("review_today", _CASE.next_review)),
            sa.and_(_CASE.next_deadline_at.is_not(None),
                    _CASE.next_deadline_at < _bound("deadline_now", _CASE.next_deadline_at)))
        # Overdue rows have due_key below the later of today and now; the rest at or above
        # the earlier: bounds that let each range be a seek. Only between the two bounds
        # (due today, before now) is the exact test needed: below the earlier a case is
        # overdue, at or above the later it is not. Tested first, from the index, the
        # bound spares reading the case's row (SQLite seeks the table only when a column
        # of it is needed) except for the few due today.
        today_bound = sa.bindparam("today", type_=sa.Date)
        now_bound = _bound("now", _CASE.opened_at)
        earlier = sa.func.min(today_bound, now_bound)
        later = sa.func.max(today_bound, now_bound)
        late = sa.and_(_CASE.due_key < later, sa.or_(_CASE.due_key < earlier, overdue))
        not_late = sa.and_(_CASE.due_key >= earlier,
                           sa.or_(_CASE.due_key >= later, sa.not_(overdue)))
        found = []
        for segment in batch:
            priority, late_rank, risk = segment
            conditions = [*filters.conditions, _CASE.priority_rank == priority,
                          _CASE.risk_rank == risk]
            conditions.append(late if late_rank == 0 else not_late)
            if segment == start:
                conditions.append(_after_bound(tail, query.descending))
            constants = [sa.literal(value, sa.Integer) for value in segment]
            found.append((conditions, [*constants, *tail], forced))
        return found

    batches = []
    for first, size in _growing(len(segments), 4):
        batch = segments[first:first + size]
        shape = _shape(filters, "urgency", query.descending, tuple(batch),
                       start if start in batch else None, forced)
        batches.append((shape, lambda batch=batch: parts(batch)))
    return _in_turn(connection, batches, query.descending, params, limit)


def _owners(connection: sa.Connection, district: District | None) -> list[tuple[str, str]]:
    def build() -> sa.Select[Any]:
        officers = sa.select(_OFFICER.id, _OFFICER.name)
        if district is not None:
            officers = officers.where(_OFFICER.district == _bound("district", _OFFICER.district))
        return officers

    statement = _statement(("officers", district is not None), build)
    return [(officer_id, name) for officer_id, name in
            connection.execute(statement, {"district": district} if district else {})]


def _owner_page(connection: sa.Connection, query: QueueQuery, filters: _Filter,
                after: Sequence[Any] | None, limit: int) -> list[tuple[tuple, Any]]:
    # By the owner's name: one walk per officer (unallocated, '', first), in name order;
    # officers of the same name are walked side by side, merged in one batch. A case's
    # owner is an officer of its district (cases.py and dashboard.py refuse any other),
    # so one district's queue needs only that district's officers.
    names: dict[str, list[str]] = {}
    for officer_id, name in _owners(connection, query.district):
        names.setdefault(name, []).append(officer_id)
    groups: list[tuple[str, list[str] | None]] = [
        ("", None), *((name, sorted(ids)) for name, ids in sorted(names.items()))]
    if query.owner_id:
        groups = [(n, [query.owner_id]) for n, ids in groups if ids and query.owner_id in ids]
    elif query.unallocated:
        groups = groups[:1]
    if query.descending:
        groups.reverse()
    if after is not None:
        groups = [g for g in groups if (g[0] <= after[0] if query.descending
                                        else g[0] >= after[0])]
    start = after[0] if after is not None else None
    tail = [_CASE.risk_rank, _CASE.id]
    index = "ix_case_by_owner" if query.district is not None else "ix_case_by_owner_all"
    hint = index if not _searching(query) else None
    params = {**filters.params, **_after_params(after[1:] if after is not None else ())}

    def parts(batch: list[tuple[str, str | None]]) -> list[tuple[list[Any], list[Any], Any]]:
        found = []
        for name, officer_id in batch:
            owned = (_CASE.owner_id.is_(None) if officer_id is None
                     else _CASE.owner_id == officer_id)
            conditions = [*filters.conditions, owned]
            if name == start:
                conditions.append(_after_bound(tail, query.descending))
            found.append((conditions, [sa.literal(name, sa.String), *tail], hint))
        return found

    # Batches of 1, 2, 4, then 8 walks (see _growing), each name's officers in the same
    # batch (their cases interleave in the order).
    batches, batch = [], []
    for position, (name, ids) in enumerate(groups):
        batch += [(name, officer_id) for officer_id in (ids or [None])]
        if len(batch) >= min(8, 2 ** len(batches)) or position == len(groups) - 1:
            shape = _shape(filters, "owner", query.descending, tuple(batch),
                           start if any(name == start for name, _ in batch) else None, hint)
            batches.append((shape, lambda batch=batch: parts(batch)))
            batch = []
    return _in_turn(connection, batches, query.descending, params, limit)


def _set_keys(query: QueueQuery) -> list[Any]:
    """The order as expressions, for sorting a small set of search matches in one go."""
    if query.sort is SortKey.URGENCY:
        overdue = _overdue(_today(query), _now(query))
        high = Case.priority_rank == 0
        tier = sa.case((sa.and_(high, overdue), 0), (high, 1), (overdue, 2), else_=3)
        return [tier, Case.risk_rank, Case.due_key, Case.opened_at, Case.id]
    if query.sort is SortKey.OWNER:
        return [sa.func.coalesce(Officer.name, ""), Case.risk_rank, Case.id]
    return _PLAIN_KEYS[query.sort]


def _set_page(connection: sa.Connection, query: QueueQuery, base: list[Any],
              after: Sequence[Any] | None, limit: int,
              ids: Sequence[str] | None) -> list[tuple[tuple, Any]]:
    """A few search matches (``ids``; None: ``base`` holds the search), sorted like the
    queue."""
    if ids is not None and not ids:
        return []
    keys = _set_keys(query)
    labelled = [key.label(f"k{i}") for i, key in enumerate(keys)]
    select = sa.select(*_row_columns(), *labelled)
    if ids is not None:
        # Joined from a list of the ids, so SQLite looks each one up rather than walking
        # a district's index to test every case against the list.
        # One JSON parameter, not one per id: the statement stays the same (and cached)
        # whatever the number of matches.
        matched = sa.func.json_each(json.dumps(list(ids))).table_valued(
            "value", name="matched")
        select = select.select_from(matched.join(Case, Case.id == matched.c.value))
    select = select.outerjoin(Officer, Officer.id == Case.owner_id).where(*base)
    if after is not None:
        select = select.where(_after(keys, after, query.descending))
    order = [key.desc() if query.descending else key.asc() for key in keys]
    rows = connection.execute(select.order_by(*order).limit(limit)).all()
    return [(tuple(row[-len(keys):]), row) for row in rows]


def _recent_page(connection: sa.Connection, expression: str, base: list[Any],
                 after: Sequence[Any] | None, limit: int) -> list[tuple[tuple, Any]]:
    """Many matches: newest first, read down the search index and stopped at the page."""
    fts = search.search_table()
    select = (sa.select(*_row_columns(), fts.c.rowid.label("search_rowid"))
              .select_from(fts.join(Case, Case.id == fts.c.case_id))
              .outerjoin(Officer, Officer.id == Case.owner_id)
              .where(search.match(expression), *base))
    if after is not None:
        select = select.where(fts.c.rowid > after[0])
    rows = connection.execute(select.order_by(fts.c.rowid).limit(limit)).all()
    return [((row.search_rowid,), row) for row in rows]


def _page(store: Store, connection: sa.Connection, query: QueueQuery,
          after: Sequence[Any] | None, limit: int) -> list[tuple[tuple, Any]]:
    """The rows of a page with their keys; a key's first item names the way it was read."""
    expression = _expression(store, query)
    way = after[0] if after is not None else None
    rest = after[1:] if after is not None else None
    if expression is not None and way != "index":
        # The search is joined in (read in its own order, or as a list of a few ids), so
        # it is not also a filter.
        unsearched = _conditions(store, replace(query, search=""))
        ids: list[str] = []
        if way != "recent":
            ids = search.newest_matches(connection, expression, search.FEW + 1)
            if way is None:
                way = "recent" if len(ids) > search.FEW else "set"
        if way == "recent":
            found = _recent_page(connection, expression, unsearched, rest, limit)
        elif len(ids) <= search.FEW:
            found = _set_page(connection, query, unsearched, rest, limit, ids)
        else:  # the matches grew past the few since the first page: the same order still
            whole = _conditions(store, query)
            found = _set_page(connection, query, whole, rest, limit, None)
    else:
        way = "index"
        pager = {SortKey.URGENCY: _urgency_page, SortKey.OWNER: _owner_page}.get(
            query.sort, _plain_page)
        found = pager(connection, query, _filter(store, query), rest, limit)
    return [((way, *key), row) for key, row in found]


@permits(Permission.READ_CASES)
def queue_page(
    store: Store,
    query: QueueQuery,
    after: Sequence[Any] | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue, starting after the key ``after`` (None: the first page).

    A search with more than :data:`search.FEW` matches is shown newest first (the
    page's ``newest_first`` says so); fewer are sorted like the rest of the queue.
    """
    today, now = _today(query), _now(query)
    with store.engine.connect() as connection:
        try:
            found = _page(store, connection, query, after, limit + 1)
        except sa.exc.OperationalError as error:
            if "no such index" not in str(error.orig):
                raise
            # A first sync drops the indexes while it loads (and one cut short leaves them
            # to the next open): the page is read as the planner can, slower but whole.
            token = _HINTED.set(False)
            try:
                found = _page(store, connection, query, after, limit + 1)
            finally:
                _HINTED.reset(token)
    more = len(found) > limit
    found = found[:limit]
    rows = []
    for _key, r in found:
        # By position (the order of _row_columns): a Row's attributes by name cost more
        # than the rest of a page's Python. The enum columns come back as members.
        (case_id, ref, opened_at, category, risk, status, location, owner, next_review,
         next_deadline_at, vulnerable, _priority, _risk_rank, _due, _owner_id,
         summary) = r[:16]
        rows.append(QueueRow(
            id=case_id, ref=ref, opened_at=opened_at, category=category, risk=risk,
            status=status, location=location, owner=owner, next_review=next_review,
            next_deadline_at=next_deadline_at,
            overdue=(next_review is not None and next_review < today)
            or (next_deadline_at is not None and next_deadline_at < now),
            vulnerable_victim=vulnerable, summary=summary))
    after_key = found[-1][0] if more and found else None
    newest_first = bool(found) and found[0][0][0] == "recent"
    return QueuePage(rows=rows, after=after_key, newest_first=newest_first)


@permits(Permission.READ_CASES)
def queue_count(store: Store, query: QueueQuery, cap: int | None = None) -> int:
    """How many cases the query matches (the caller caches it per filter).

    With ``cap`` the counting stops at ``cap + 1`` (shown as "1,000+"): a search for a
    common word then costs what a page costs.
    """
    expression = _expression(store, query)
    if cap is not None and expression is not None:
        fts = search.search_table()
        inner = (sa.select(sa.literal(1)).select_from(fts.join(Case, Case.id == fts.c.case_id))
                 .where(search.match(expression),
                        *_conditions(store, replace(query, search=""))))
    else:
        inner = sa.select(sa.literal(1)).select_from(Case).where(*_conditions(store, query))
    if cap is not None:
        inner = inner.limit(cap + 1)
    select = sa.select(sa.func.count()).select_from(inner.subquery())
    with store.engine.connect() as connection:
        return connection.execute(select).scalar_one()
