"""The supervisor's dashboard: each district's open casework in figures, and reassignment.

Figures come from a few grouped queries over every district at once (one over open
cases, one over open deadlines), never from loading cases: the cost does not grow with
the number of districts shown. ``assign_owner_bulk`` gives a batch of cases to one
officer in a single transaction, or refuses the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import select

from asbtui.dates import london_today, to_london, utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Deadline,
    DeadlineStatus,
    District,
    Officer,
    RiskLevel,
)
from asbtui.services import audit
from asbtui.services.access import Permission, current, permits, require_district
from asbtui.services.refs import normalise_ref

if TYPE_CHECKING:
    from asbtui.db import Store

# SQLite allows 32,766 bound values; a batch far below that keeps each IN list cheap.
REF_BATCH = 500


@dataclass(frozen=True)
class DistrictSummary:
    """One district's open cases in figures (``district`` None: the total of several)."""

    district: District | None
    open: int = 0
    by_risk: Mapping[RiskLevel, int] = field(default_factory=dict)
    by_status: Mapping[CaseStatus, int] = field(default_factory=dict)
    overdue_reviews: int = 0
    """Open cases whose next review date has passed."""
    overdue_deadlines: int = 0
    """Open statutory and review deadlines (cases' and PSPOs') past their due time."""
    unallocated: int = 0
    first_contact_breaches: int = 0
    """Open cases whose first-contact target has passed with no contact made."""
    oldest_opened_at: datetime | None = None
    oldest_days: int | None = None
    """Days since the oldest open case was opened (None: no open case)."""

    def risk(self, level: RiskLevel) -> int:
        return self.by_risk.get(level, 0)

    def status(self, status: CaseStatus) -> int:
        return self.by_status.get(status, 0)


@dataclass(frozen=True)
class Workload:
    """One officer's open cases: how many, how many high risk, how many overdue."""

    officer_id: str
    collar: str
    name: str
    open: int
    high: int
    overdue: int
    """Open cases with a review date or statutory deadline that has passed."""


def _days_since(opened_at: datetime | None, today: date) -> int | None:
    if opened_at is None:
        return None
    return (today - to_london(opened_at).date()).days


@permits(Permission.READ_OVERVIEWS)
def district_summaries(
    store: Store,
    districts: Iterable[District] | None = None,
    *,
    now: datetime | None = None,
) -> list[DistrictSummary]:
    """Figures for each district asked for (all 13 by default), in District order."""
    now = now or utc_now()
    today = london_today(now)
    wanted = [d for d in District if districts is None or d in set(districts)]
    is_open = sa.and_(~Case.deleted, Case.status.in_(OPEN_STATUSES))
    cases_q = (
        sa.select(
            Case.district,
            Case.risk,
            Case.status,
            sa.func.count(),
            sa.func.sum(sa.case((Case.next_review < today, 1), else_=0)),
            sa.func.sum(sa.case((Case.owner_id.is_(None), 1), else_=0)),
            sa.func.min(Case.opened_at),
        )
        .where(is_open, Case.district.in_(wanted))
        .group_by(Case.district, Case.risk, Case.status)
    )
    deadlines_q = (
        sa.select(Deadline.district, sa.func.count())
        .where(
            ~Deadline.deleted,
            Deadline.status == DeadlineStatus.OPEN,
            Deadline.due_at < now,
            Deadline.district.in_(wanted),
        )
        .group_by(Deadline.district)
    )
    with store.engine.connect() as connection:
        groups = connection.execute(cases_q).all()
        overdue_deadlines = {District(d): n for d, n in connection.execute(deadlines_q)}
    from asbtui.services.triage import breaches_by_district  # the officer's day

    breaches = breaches_by_district(store, now=now)

    figures: dict[District, dict] = {
        d: {"open": 0, "risk": {}, "status": {}, "reviews": 0, "unallocated": 0, "oldest": None}
        for d in wanted
    }
    for district, risk, status, count, reviews, unallocated, oldest in groups:
        f = figures[District(district)]
        f["open"] += count
        f["risk"][RiskLevel(risk)] = f["risk"].get(RiskLevel(risk), 0) + count
        f["status"][CaseStatus(status)] = f["status"].get(CaseStatus(status), 0) + count
        f["reviews"] += reviews or 0
        f["unallocated"] += unallocated or 0
        if oldest is not None and (f["oldest"] is None or oldest < f["oldest"]):
            f["oldest"] = oldest
    return [
        DistrictSummary(
            district=d,
            open=f["open"],
            by_risk=f["risk"],
            by_status=f["status"],
            overdue_reviews=f["reviews"],
            overdue_deadlines=overdue_deadlines.get(d, 0),
            unallocated=f["unallocated"],
            first_contact_breaches=breaches.get(d.value, 0),
            oldest_opened_at=f["oldest"],
            oldest_days=_days_since(f["oldest"], today),
        )
        for d, f in figures.items()
    ]


def total(summaries: Sequence[DistrictSummary]) -> DistrictSummary:
    """The figures of several districts added up (the oldest case is the oldest of all)."""
    opened = [s.oldest_opened_at for s in summaries if s.oldest_opened_at is not None]
    ages = [s.oldest_days for s in summaries if s.oldest_days is not None]
    return DistrictSummary(
        district=None,
        open=sum(s.open for s in summaries),
        by_risk={r: sum(s.risk(r) for s in summaries) for r in RiskLevel},
        by_status={c: sum(s.status(c) for s in summaries) for c in OPEN_STATUSES},
        overdue_reviews=sum(s.overdue_reviews for s in summaries),
        overdue_deadlines=sum(s.overdue_deadlines for s in summaries),
        unallocated=sum(s.unallocated for s in summaries),
        first_contact_breaches=sum(s.first_contact_breaches for s in summaries),
        oldest_opened_at=min(opened) if opened else None,
        oldest_days=max(ages) if ages else None,
    )


@permits(Permission.READ_OVERVIEWS)
def officer_workloads(
    store: Store, district: District, *, now: datetime | None = None
) -> list[Workload]:
    """Every officer of the district with their open cases, busiest first."""
    now = now or utc_now()
    today = london_today(now)
    overdue = sa.or_(Case.next_review < today, Case.next_deadline_at < now)
    open_count = sa.func.count(Case.id)
    query = (
        sa.select(
            Officer.id,
            Officer.collar,
            Officer.name,
            open_count,
            sa.func.sum(sa.case((Case.risk == RiskLevel.HIGH, 1), else_=0)),
            sa.func.sum(sa.case((overdue, 1), else_=0)),
        )
        .outerjoin(
            Case,
            sa.and_(Case.owner_id == Officer.id, ~Case.deleted, Case.status.in_(OPEN_STATUSES)),
        )
        .where(Officer.district == district, ~Officer.deleted)
        .group_by(Officer.id, Officer.collar, Officer.name)
        .order_by(open_count.desc(), Officer.name, Officer.collar)
    )
    with store.engine.connect() as connection:
        return [
            Workload(id_, collar, name, count, high or 0, late or 0)
            for id_, collar, name, count, high, late in connection.execute(query)
        ]


@permits(Permission.ASSIGN_CASES)
def assign_owner_bulk(store: Store, refs: Iterable[str], collar: str | None) -> int:
    """Give every case in ``refs`` to the officer with ``collar`` (None or "": unallocate).

    One transaction: if any case is unknown, or not in the officer's district, nothing
    changes and the error names the first such reference. Returns how many cases.
    """
    wanted = list(dict.fromkeys(normalise_ref(r) for r in refs if r and r.strip()))
    if not wanted:
        raise InvalidInput("Choose at least one case.", "refs")
    actor = current(store)
    with store.session() as session:
        officer = None
        if collar and collar.strip():
            officer = session.exec(
                select(Officer).where(
                    sa.func.upper(Officer.collar) == collar.strip().upper(), ~Officer.deleted
                )
            ).first()
            if officer is None:
                raise InvalidInput(
                    f"There is no officer with collar number '{collar.strip()}'.", "owner"
                )
        found: dict[str, Case] = {}
        for start in range(0, len(wanted), REF_BATCH):
            batch = wanted[start : start + REF_BATCH]
            for case in session.exec(select(Case).where(Case.ref.in_(batch), ~Case.deleted)):
                found[case.ref] = case
        for ref in wanted:
            case = found.get(ref)
            if case is None:
                raise NotFound(f"There is no case {ref}; no case was changed.")
            require_district(actor, case.district, f"assign cases ({ref})")
            if officer is not None and case.district != officer.district:
                raise InvalidInput(
                    f"{ref} is in {District(case.district).label}, but {officer.collar} works "
                    f"in {District(officer.district).label}; no case was changed.",
                    "owner",
                )
        owner_id = officer.id if officer else None
        collars = dict(session.execute(sa.select(Officer.id, Officer.collar).where(
            Officer.id.in_({c.owner_id for c in found.values() if c.owner_id}))).all())
        for case in found.values():
            if case.owner_id != owner_id:
                before = collars.get(case.owner_id) if case.owner_id else None
                case.owner_id = owner_id
                session.add(case)
                audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                             case_ref=case.ref, detail=audit.changed({
                                 "owner": (before, officer.collar if officer else None)})
                             + f" (bulk, {len(wanted)} cases)")
        return len(wanted)


__all__ = [
    "DistrictSummary",
    "Workload",
    "assign_owner_bulk",
    "district_summaries",
    "officer_workloads",
    "total",
]
