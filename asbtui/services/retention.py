"""The personal data lifecycle: closed cases due for review, keeping them, erasing them.

A case closed longer ago than the local review period (``retention_review_months``, 72
months by default: 6 years) comes up for review, unless a reviewer decided to keep it
until a date that has not yet come. The reviewer either keeps it longer (for a reason,
up to one more review period) or erases its personal data: a deliberate act, for a
reason, in one transaction, recorded in the audit log as a deletion (DPA 2018 s62:
erasure). Erased rows are blanked and soft-deleted (they stay as tombstones for sync);
the case leaves the search index and stops being shared.

Supervisors review their own districts; admins every district. The review list holds no
personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from asbtui.dates import LONDON, london_today, utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    ActionStep,
    AuditEvent,
    Case,
    CaseLink,
    CaseReview,
    CaseShare,
    CaseStatus,
    Category,
    ClosureReason,
    Correction,
    Deadline,
    District,
    EnforcementAction,
    Incident,
    NoteAudience,
    PartnerNote,
    Party,
    ProblemCase,
    Role,
)
from asbtui.services import audit, search
from asbtui.services.access import (
    DISTRICT_ROLES,
    Actor,
    Permission,
    current,
    permits,
    require_district,
)
from asbtui.services.refs import normalise_ref

if TYPE_CHECKING:
    from asbtui.db import Store

DEFAULT_REVIEW_MONTHS = 72
"""The local review period: closed cases come up for review after 6 years."""


@dataclass(frozen=True)
class DueCase:
    """A closed case due for review: what a reviewer needs, and no personal data."""

    ref: str
    district: District
    category: Category
    closed_on: date
    closure_reason: ClosureReason | None
    retain_until: date | None
    incidents: int


def _cutoff(today: date, review_months: int) -> datetime:
    """The instant before which a case must have closed to be due (start of a UK day)."""
    day = today - relativedelta(months=review_months)
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def _months(review_months: int | None) -> int:
    months = DEFAULT_REVIEW_MONTHS if review_months is None else review_months
    if months < 1:
        raise InvalidInput("The review period must be at least a month.", "review_months")
    return months


def _due(today: date, review_months: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        Case.status == CaseStatus.CLOSED,
        Case.closed_at.is_not(None),
        Case.closed_at < _cutoff(today, review_months),
        sa.or_(Case.retain_until.is_(None), Case.retain_until < today),
        ~Case.deleted,
    )


def _scoped(query: sa.Select, actor: Actor) -> sa.Select:
    if actor.role in DISTRICT_ROLES:
        return query.where(Case.district.in_(sorted(d.value for d in actor.districts)))
    return query


@permits(Permission.REVIEW_RETENTION)
def due_for_review(store: Store, *, today: date | None = None,
                   review_months: int | None = None) -> list[DueCase]:
    """Closed cases due for a personal data review, longest closed first."""
    actor = current(store)
    today = today or london_today()
    months = _months(review_months)
    incidents = (sa.select(sa.func.count()).select_from(Incident)
                 .where(Incident.case_id == Case.id, ~Incident.deleted)
                 .correlate(Case).scalar_subquery())
    query = _scoped(sa.select(Case.ref, Case.district, Case.category, Case.closed_at,
                              Case.closure_reason, Case.retain_until, incidents.label("n"))
                    .where(_due(today, months)), actor).order_by(Case.closed_at, Case.ref)
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [DueCase(r.ref, District(r.district), Category(r.category),
                    _london_date(r.closed_at),
                    ClosureReason(r.closure_reason) if r.closure_reason else None,
                    r.retain_until, int(r.n)) for r in rows]


def _london_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON).date()


def _case(session: Session, actor: Actor, ref: str, doing: str) -> Case:
    case = session.exec(select(Case).where(Case.ref == normalise_ref(ref),
                                           ~Case.deleted)).first()
    if case is None:
        raise NotFound(f"There is no case {ref.strip()}.")
    if actor.role is Role.SUPERVISOR:
        require_district(actor, case.district, doing)
    return case


@permits(Permission.REVIEW_RETENTION)
def keep(store: Store, ref: str, until: date, reason: str, *, today: date | None = None,
         review_months: int | None = None) -> date:
    """Keep a closed case's personal data until ``until`` (audited with the reason)."""
    actor = current(store)
    today = today or london_today()
    months = _months(review_months)
    why = audit.justification(reason)
    if until <= today:
        raise InvalidInput("Keep it until a date after today.", "until")
    latest = today + relativedelta(months=months)
    if until > latest:
        raise InvalidInput(f"Keep it at most one review period ({months} months) ahead: "
                           f"until {latest:%d/%m/%Y} at the latest.", "until")
    with store.session() as session:
        case = _case(session, actor, ref, "review cases")
        if case.status != CaseStatus.CLOSED:
            raise InvalidInput(f"{case.ref} is not closed: only closed cases are reviewed.",
                               "ref")
        before, case.retain_until = case.retain_until, until
        session.add(case)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                     case_ref=case.ref,
                     detail=audit.changed({"retain until": (before, until)}), reason=why)
        return until


@dataclass(frozen=True)
class Erased:
    """What an erasure blanked (or, before it, would blank)."""

    ref: str
    people: int
    incidents: int
    notes: int
    actions: int
    steps: int
    shares: int
    copies: tuple[str, ...] = ()
    """Files the audit knows hold this case (its exports, store backups made since it was
    opened): an erasure cannot reach them, so they are named to be destroyed."""

    def describe(self) -> str:
        parts = [f"{_count(self.people, 'person', 'people')} (names, addresses, phones, "
                 "dates of birth, notes)",
                 f"{_count(self.incidents, 'incident')} (descriptions, locations)",
                 _count(self.notes, "partner note"),
                 f"{_count(self.actions, 'enforcement action')} and "
                 f"{_count(self.steps, 'step')} (concerns, notes, documents)",
                 "the case's summary and location"]
        if self.shares:
            parts.append(f"{_count(self.shares, 'share')} with partner agencies (revoked)")
        return "; ".join(parts)

    def copies_note(self) -> str:
        """The copies to destroy by hand, in words ('' when the audit knows of none)."""
        if not self.copies:
            return ""
        one = len(self.copies) == 1
        return (f"{_count(len(self.copies), 'file')} made earlier still "
                f"hold{'s' if one else ''} this case (exports and store backups, as the "
                f"audit records them): destroy {'it' if one else 'them'} too: "
                f"{', '.join(self.copies)}")


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _due_case(session: Session, actor: Actor, ref: str, today: date, months: int) -> Case:
    case = _case(session, actor, ref, "erase cases")
    due = session.execute(sa.select(Case.id).where(Case.id == case.id,
                                                   _due(today, months))).first()
    if due is None:
        if case.status != CaseStatus.CLOSED:
            raise InvalidInput(f"{case.ref} is not closed: only cases due for review can be "
                               "erased.", "ref")
        if case.retain_until is not None and case.retain_until >= today:
            raise InvalidInput(f"{case.ref} is kept until {case.retain_until:%d/%m/%Y}; it "
                               "cannot be erased before then.", "ref")
        raise InvalidInput(f"{case.ref} is not due for review yet: it closed less than "
                           f"{months} months ago.", "ref")
    return case


def _rows(session: Session, model: type, case_id: str) -> list:  # noqa: ANN001
    return list(session.exec(select(model).where(model.case_id == case_id,
                                                 ~model.deleted)).all())


@permits(Permission.REVIEW_RETENTION)
def erasure_preview(store: Store, ref: str, *, today: date | None = None,
                    review_months: int | None = None) -> Erased:
    """What :func:`erase` would blank on a due case, without changing anything."""
    actor = current(store)
    today = today or london_today()
    months = _months(review_months)
    with store.session() as session:
        case = _due_case(session, actor, ref, today, months)
        return _counts(session, case)


def _counts(session: Session, case: Case) -> Erased:
    shares = [s for s in _rows(session, CaseShare, case.id) if s.revoked_at is None]
    return Erased(case.ref, len(_rows(session, Party, case.id)),
                  len(_rows(session, Incident, case.id)), len(_rows(session, PartnerNote, case.id)),
                  len(_rows(session, EnforcementAction, case.id)),
                  len(_rows(session, ActionStep, case.id)), len(shares),
                  _copies(session, case))


SAVED_TO = "saved to "


def _copies(session: Session, case: Case) -> tuple[str, ...]:
    """The files the audit says hold ``case``: its exports, and every store backup made
    since the case was opened (a backup holds every case)."""
    table = AuditEvent.__table__
    opened = case.opened_at.astimezone(UTC).isoformat(timespec="microseconds")
    rows = session.execute(
        sa.select(table.c.detail).where(
            table.c.action == audit.AuditAction.EXPORT.value,
            table.c.detail.contains(SAVED_TO),
            sa.or_(table.c.case_ref == case.ref,
                   sa.and_(table.c.record_type == "store", table.c.at >= opened)))
        .order_by(table.c.seq)).scalars().all()
    found: list[str] = []
    for detail in rows:
        path = detail.split(SAVED_TO, 1)[1].split("; ")[0]
        if path and path not in found:
            found.append(path)
    return tuple(found)


@permits(Permission.REVIEW_RETENTION)
def erase(store: Store, ref: str, reason: str, *, today: date | None = None,
          review_months: int | None = None, now: datetime | None = None) -> Erased:
    """Erase the personal data of a case due for review, in one audited transaction."""
    actor = current(store)
    now = now or utc_now()
    today = today or london_today(now)
    months = _months(review_months)
    why = audit.justification(reason)
    with store.session() as session:
        case = _due_case(session, actor, ref, today, months)
        erased = _counts(session, case)
        for party in _rows(session, Party, case.id):
            party.name = party.address = party.phone = party.notes = party.person_key = ""
            party.phone_key = ""
            party.date_of_birth = None
            party.deleted = True
            session.add(party)
        for incident in _rows(session, Incident, case.id):
            incident.description = incident.location = incident.case_location = ""
            incident.address_key = incident.street_key = incident.postcode_key = ""
            incident.deleted = True
            session.add(incident)
        notes = _rows(session, PartnerNote, case.id)
        for note in notes:
            note.text = ""
            note.deleted = True
            session.add(note)
        if notes:
            for audience in session.exec(select(NoteAudience).where(
                    NoteAudience.note_id.in_([n.id for n in notes]), ~NoteAudience.deleted)):
                audience.deleted = True
                session.add(audience)
        for action in _rows(session, EnforcementAction, case.id):
            action.concerns = action.notes = action.conduct = ""
            action.deleted = True
            session.add(action)
        for step in _rows(session, ActionStep, case.id):
            step.notes = step.documents = ""
            step.deleted = True
            session.add(step)
        for review in _rows(session, CaseReview, case.id):
            review.requested_by = review.decision_reason = review.outcome = ""
            review.deleted = True
            session.add(review)
        for row in _rows(session, Deadline, case.id) + _rows(session, ProblemCase, case.id):
            row.deleted = True
            session.add(row)
        for link in session.exec(select(CaseLink).where(
                sa.or_(CaseLink.case_id == case.id, CaseLink.other_case_id == case.id),
                ~CaseLink.deleted)):
            link.reason = ""  # the link stays (ids only); its words may name people
            session.add(link)
        for correction in _rows(session, Correction, case.id):
            correction.old_value = correction.new_value = correction.reason = ""
            correction.deleted = True
            session.add(correction)
        for share in _rows(session, CaseShare, case.id):
            if share.revoked_at is None:
                share.revoked_at = now
            share.deleted = True
            session.add(share)
        case.summary = case.location = case.postcode = ""
        case.street_key = case.address_key = case.postcode_key = ""
        case.deleted = True
        session.add(case)
        session.flush()
        search.reindex_case(session, case.id)
        audit.record(session, store, actor, audit.AuditAction.DELETE, "case", case.id,
                     case_ref=case.ref, detail=f"personal data erased: {erased.people} people, "
                     f"{erased.incidents} incidents, {erased.notes} notes, {erased.actions} "
                     f"actions, {erased.steps} steps, {erased.shares} shares revoked",
                     reason=why)
    return erased
