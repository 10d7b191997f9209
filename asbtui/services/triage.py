"""Triage at intake: urgency factors give a priority, the priority a first-contact target.

The factors are the risk questionnaire's (domain.md: vulnerability, health impact,
frequency, duration, hate motive, fear of reprisal, isolation, previous reports) plus an
immediate threat of harm. The score and the targets are data (:data:`FACTORS`,
:class:`ResponseTargets`), set locally in settings: by default high priority is contacted
within 24 hours (by the clock: the police work every day), medium within 3 working days
and standard within 10 (to the end of that working day, UK time; weekends and England and
Wales bank holidays do not count, nor the day of the report). Recording the first contact
meets the target; a target passed without one is a breach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, select

from asbtui.dates import LONDON, to_london, utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import Case, CaseStatus, FirstContact, RiskLevel
from asbtui.services import audit
from asbtui.services.access import (
    Permission,
    current,
    ensure_readable,
    permits,
    require_district,
)
from asbtui.services.refs import normalise_ref
from asbtui.services.working_days import add_working_days

if TYPE_CHECKING:
    from asbtui.db import Store


@dataclass(frozen=True)
class Factor:
    key: str
    question: str
    weight: int
    makes_high: bool = False
    """Yes to this alone makes the priority high."""


# The questionnaire, in the order it is asked. Weights: 3 or more is medium, 6 or more high.
FACTORS: tuple[Factor, ...] = (
    Factor("threat", "Is there a threat of harm now, or violence used?", 6, makes_high=True),
    Factor("vulnerable", "Is the victim vulnerable (age, disability, health)?", 6,
           makes_high=True),
    Factor("hate", "Is it motivated by hate (a protected characteristic)?", 6, makes_high=True),
    Factor("health", "Is it affecting the victim's health or sleep?", 2),
    Factor("frequent", "Does it happen daily or several times a week?", 2),
    Factor("lasting", "Has it gone on for more than three months?", 1),
    Factor("reprisal", "Does the victim fear reprisal for reporting?", 2),
    Factor("isolated", "Is the victim isolated (lives alone, no support)?", 1),
    Factor("previous", "Has it been reported before (3 or more times in a year)?", 2),
)
FACTOR_KEYS = {f.key: f for f in FACTORS}
MEDIUM_SCORE = 3
HIGH_SCORE = 6
METHODS = ("visit", "phone", "video", "email", "letter")
END_OF_DAY = time(23, 59)


@dataclass(frozen=True)
class ResponseTargets:
    """Local first-contact targets (settings: ASBTUI_FIRST_CONTACT_*)."""

    high_hours: int = 24
    medium_working_days: int = 3
    standard_working_days: int = 10


def parse_factors(values: Iterable[str]) -> tuple[str, ...]:
    """The factor keys given (by key, any case), checked; unknown ones are refused."""
    keys: list[str] = []
    for value in values:
        for part in str(value).split(","):
            key = part.strip().lower()
            if not key:
                continue
            if key not in FACTOR_KEYS:
                allowed = ", ".join(FACTOR_KEYS)
                raise InvalidInput(f"'{part.strip()}' is not an urgency factor: use {allowed}.",
                                   "factors")
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def priority_for(factors: Iterable[str]) -> RiskLevel:
    """The priority the answered-yes factors give."""
    chosen = [FACTOR_KEYS[k] for k in parse_factors(factors)]
    score = sum(f.weight for f in chosen)
    if any(f.makes_high for f in chosen) or score >= HIGH_SCORE:
        return RiskLevel.HIGH
    return RiskLevel.MEDIUM if score >= MEDIUM_SCORE else RiskLevel.STANDARD


def first_contact_due(reported_at: datetime, priority: RiskLevel,
                      targets: ResponseTargets = ResponseTargets()) -> datetime:  # noqa: B008
    """When first contact is due for a report made at ``reported_at`` (an aware instant).

    High: ``high_hours`` later, to the minute. Medium and standard: 23:59 (UK time) on the
    N-th working day after the day of the report.
    """
    if reported_at.tzinfo is None:
        raise ValueError("reported_at must be timezone-aware")
    if priority is RiskLevel.HIGH:
        return (reported_at + timedelta(hours=targets.high_hours)).astimezone(UTC)
    days = (targets.medium_working_days if priority is RiskLevel.MEDIUM
            else targets.standard_working_days)
    last_day = add_working_days(to_london(reported_at).date(), days)
    return datetime.combine(last_day, END_OF_DAY, tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class FirstContactView:
    case_ref: str
    priority: RiskLevel
    factors: tuple[str, ...]
    reported_at: datetime
    due_at: datetime
    met_at: datetime | None
    met_by: str
    method: str

    def breached(self, now: datetime) -> bool:
        """Missed: met after the target, or not met and the target passed."""
        return (self.met_at or now) > self.due_at

    def time_left(self, now: datetime) -> timedelta | None:
        return None if self.met_at else self.due_at - now


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _view(ref: str, row: FirstContact) -> FirstContactView:
    return FirstContactView(ref, RiskLevel(row.priority),
                            tuple(k for k in row.factors.split(",") if k),
                            _aware(row.reported_at), _aware(row.due_at),
                            _aware(row.met_at) if row.met_at else None, row.met_by, row.method)


def add_to_case(session: Session, case: Case, factors: Iterable[str], reported_at: datetime,
                targets: ResponseTargets) -> FirstContact:
    """Write (or rewrite, until it is met) a case's triage in ``session``'s transaction.

    The case's risk is raised to the priority when that is higher (never lowered here).
    """
    keys = parse_factors(factors)
    priority = priority_for(keys)
    row = session.exec(select(FirstContact).where(FirstContact.case_id == case.id)).first()
    if row is not None and row.met_at is not None:
        raise InvalidInput("First contact has been made: the triage can no longer change.",
                           "factors")
    row = row or FirstContact(case_id=case.id, district=case.district, priority=priority,
                              reported_at=reported_at, due_at=reported_at)
    row.priority = priority
    row.factors = ",".join(keys)
    row.reported_at = reported_at
    row.due_at = first_contact_due(reported_at, priority, targets)
    session.add(row)
    if priority.rank > RiskLevel(case.risk).rank:
        case.risk = priority
        session.add(case)
    return row


def _case(session: Session, ref: str) -> Case:
    case = session.exec(select(Case).where(Case.ref == normalise_ref(ref), ~Case.deleted)).first()
    if case is None:
        raise NotFound(f"There is no case {ref.strip()}.")
    return case


@permits(Permission.WORK_CASES)
def triage(store: Store, ref: str, factors: Iterable[str], *,
           reported_at: datetime | None = None,
           targets: ResponseTargets = ResponseTargets(),  # noqa: B008
           ) -> FirstContactView:
    """Record (or redo, before first contact) a case's triage; the report time defaults to
    when the case was opened."""
    actor = current(store)
    with store.session() as session:
        case = _case(session, ref)
        require_district(actor, case.district, "triage cases")
        if case.status == CaseStatus.CLOSED:
            raise InvalidInput("The case is closed.", "factors")
        when = _aware(reported_at or case.opened_at)
        if when > utc_now() + timedelta(minutes=5):
            raise InvalidInput("The report cannot be in the future.", "reported_at")
        before = RiskLevel(case.risk)
        row = add_to_case(session, case, factors, when, targets)
        if RiskLevel(case.risk) is not before:
            from asbtui.dates import london_today
            from asbtui.services import victims

            victims.follow_risk(session, actor, case, london_today(),
                                reason=f"Triage raised the risk to {row.priority.label.lower()}")
        session.flush()
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "first contact", row.id,
                     case_ref=case.ref, detail=f"priority {row.priority}")
        return _view(case.ref, row)


@permits(Permission.READ_CASES)
def first_contact(store: Store, ref: str) -> FirstContactView | None:
    """A case's triage and first-contact target, or None if it was never triaged."""
    actor = current(store)
    with store.session() as session:
        case = _case(session, ref)
        ensure_readable(session, actor, case.id, ref)
        row = session.exec(select(FirstContact).where(FirstContact.case_id == case.id,
                                                      ~FirstContact.deleted)).first()
        return _view(case.ref, row) if row else None


@permits(Permission.WORK_CASES)
def record_first_contact(store: Store, ref: str, method: str, *,
                         at: datetime | None = None) -> FirstContactView:
    """Record that first contact was made (by the signed-in user); this meets the target."""
    actor = current(store)
    how = (method or "").strip().lower()
    if how not in METHODS:
        raise InvalidInput(f"How was contact made? Use one of {', '.join(METHODS)}.", "method")
    now = utc_now()
    when = _aware(at) if at else now
    if when > now + timedelta(minutes=5):
        raise InvalidInput("First contact cannot be in the future.", "at")
    with store.session() as session:
        case = _case(session, ref)
        require_district(actor, case.district, "record contacts")
        row = session.exec(select(FirstContact).where(FirstContact.case_id == case.id,
                                                      ~FirstContact.deleted)).first()
        if row is None:
            raise InvalidInput("This case was not triaged, so it has no first-contact target.",
                               "method")
        if row.met_at is not None:
            raise InvalidInput("First contact is already recorded.", "method")
        if when < _aware(row.reported_at):
            raise InvalidInput("First contact cannot be before the report.", "at")
        row.met_at, row.met_by, row.method = when, actor.username, how
        session.add(row)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "first contact", row.id,
                     case_ref=case.ref, detail=f"met by {how}")
        return _view(case.ref, row)


@permits(Permission.READ_CASES)
def pending_by_ref(store: Store, refs: Iterable[str]) -> dict[str, FirstContactView]:
    """Open (not yet met) first-contact targets of the given cases, for the queue's marks."""
    wanted = [normalise_ref(r) for r in refs]
    if not wanted:
        return {}
    with store.session() as session:
        rows = session.exec(
            select(Case.ref, FirstContact)
            .join(FirstContact, FirstContact.case_id == Case.id)
            .where(Case.ref.in_(wanted), FirstContact.met_at.is_(None),
                   ~FirstContact.deleted)).all()
        return {ref: _view(ref, row) for ref, row in rows}


@permits(Permission.READ_OVERVIEWS)
def breaches_by_district(store: Store, *, now: datetime | None = None) -> dict[str, int]:
    """Open cases whose first-contact target has passed unmet, counted by district."""
    now = now or utc_now()
    with store.session() as session:
        # The open targets from their partial index, each case's status by its key: as a
        # join, SQLite's plan read every case of a big store first (0.62 s at 1,000,000
        # cases, 30 ms this way).
        case_still_open = sa.exists().where(
            Case.id == FirstContact.case_id, Case.status != CaseStatus.CLOSED, ~Case.deleted)
        rows = session.execute(
            sa.select(FirstContact.district, sa.func.count())
            .where(FirstContact.met_at.is_(None), ~FirstContact.deleted,
                   FirstContact.due_at < now, case_still_open)
            .group_by(FirstContact.district)).all()
        return {str(d): n for d, n in rows}
