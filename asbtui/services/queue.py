"""The district queue: open cases, filtered, sorted and paged in SQL.

Pages are fetched by key (seek), not by OFFSET: each page starts after the sort key of
the last row of the page before, so page 400 costs what page 1 costs. Rows are read with
Core selects (no ORM objects), one page at a time; nothing loads a whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    @property
    def has_more(self) -> bool:
        return self.after is not None


def _today(query: QueueQuery) -> date:
    return query.today or london_today(query.now)


def _now(query: QueueQuery) -> datetime:
    return query.now or utc_now()


def _risk_order() -> sa.ColumnElement[int]:
    # 0 = high, so that ascending order puts the most urgent first.
    return sa.case((Case.risk == RiskLevel.HIGH, 0), (Case.risk == RiskLevel.MEDIUM, 1), else_=2)


def _urgency_tier(today: date, now: datetime) -> sa.ColumnElement[int]:
    overdue = sa.or_(Case.next_review < today, Case.next_deadline_at < now)
    # domain.md: high risk or a vulnerable victim puts the case at the top of the queue.
    high = sa.or_(Case.risk == RiskLevel.HIGH, Case.vulnerable_victim)
    return sa.case((sa.and_(high, overdue), 0), (high, 1), (overdue, 2), else_=3)


def _due() -> sa.ColumnElement[str]:
    """The nearest of the review (end of its day) and the nearest statutory deadline.

    Compared as SQLite's stored text (ISO dates and UTC times sort as text), which is
    exact to within the hour that London is ahead of UTC in summer: close enough to order.
    """
    review = sa.func.coalesce(sa.func.strftime("%Y-%m-%d 23:59", Case.next_review), "9999")
    deadline = sa.func.coalesce(sa.cast(Case.next_deadline_at, sa.String), "9999")
    return sa.func.min(review, deadline)


def _sort_columns(query: QueueQuery) -> list[sa.ColumnElement[Any]]:
    """The sort key columns, all ascending; ``Case.id`` last makes every key unique."""
    owner = sa.func.coalesce(Officer.name, "")
    columns: dict[SortKey, list[sa.ColumnElement[Any]]] = {
        # High risk or a vulnerable victim first (overdue ones at the very top), then
        # overdue reviews and deadlines, then the rest; each by risk and the nearest due.
        SortKey.URGENCY: [
            _urgency_tier(_today(query), _now(query)),
            _risk_order(),
            _due(),
            Case.opened_at,
        ],
        SortKey.REF: [Case.ref],
        SortKey.OPENED: [Case.opened_at],
        SortKey.CATEGORY: [Case.category, _risk_order()],
        SortKey.RISK: [_risk_order(), _due()],
        SortKey.STATUS: [Case.status, _risk_order()],
        SortKey.LOCATION: [Case.location],
        SortKey.OWNER: [owner, _risk_order()],
        SortKey.DUE: [_due(), _risk_order()],
    }
    return [*columns[query.sort], Case.id]


def _filtered(store: Store, query: QueueQuery, select: sa.Select) -> sa.Select:
    conditions: list[sa.ColumnElement[bool]] = [~Case.deleted]
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
    # A partner's search leaves out people's names and addresses: finding a case by the
    # name of someone not disclosed to them would disclose that they are on it.
    matches = search.matching_case_ids(
        query.search, with_people=shared is None) if query.search.strip() else None
    if matches is not None:
        conditions.append(Case.id.in_(matches))
    return select.where(*conditions)


@permits(Permission.READ_CASES)
def queue_page(
    store: Store,
    query: QueueQuery,
    after: Sequence[Any] | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue, starting after the sort key ``after`` (None: the first page)."""
    keys = _sort_columns(query)
    labelled = [key.label(f"k{i}") for i, key in enumerate(keys)]
    select = sa.select(
        Case.id,
        Case.ref,
        Case.opened_at,
        Case.category,
        Case.risk,
        Case.status,
        Case.location,
        sa.func.coalesce(Officer.name, "").label("owner"),
        Case.next_review,
        Case.next_deadline_at,
        Case.vulnerable_victim,
        Case.summary,
        *labelled,
    ).outerjoin(Officer, Officer.id == Case.owner_id)
    select = _filtered(store, query, select)
    if after is not None:
        row_key = sa.tuple_(*keys)
        bound = sa.tuple_(*(sa.literal(v, type_=k.type) for k, v in zip(keys, after, strict=True)))
        select = select.where(row_key < bound if query.descending else row_key > bound)
    order = [key.desc() if query.descending else key.asc() for key in keys]
    select = select.order_by(*order).limit(limit + 1)
    today, now = _today(query), _now(query)
    with store.engine.connect() as connection:
        result = connection.execute(select).all()
    more = len(result) > limit
    result = result[:limit]
    rows = [
        QueueRow(
            id=r.id,
            ref=r.ref,
            opened_at=r.opened_at,
            category=Category(r.category),
            risk=RiskLevel(r.risk),
            status=CaseStatus(r.status),
            location=r.location,
            owner=r.owner,
            next_review=r.next_review,
            next_deadline_at=r.next_deadline_at,
            overdue=(r.next_review is not None and r.next_review < today)
            or (r.next_deadline_at is not None and r.next_deadline_at < now),
            vulnerable_victim=r.vulnerable_victim,
            summary=r.summary,
        )
        for r in result
    ]
    after_key = tuple(result[-1][-len(keys) :]) if more and result else None
    return QueuePage(rows=rows, after=after_key)


@permits(Permission.READ_CASES)
def queue_count(store: Store, query: QueueQuery) -> int:
    """How many cases the query matches (the caller caches it per filter)."""
    select = _filtered(store, query, sa.select(sa.func.count()).select_from(Case))
    with store.engine.connect() as connection:
        return connection.execute(select).scalar_one()
