"""My day: what is due for an officer (or a supervisor's districts) today, this week, overdue.

One list of items from every source, each with its ``kind`` (first_contact, review,
deadline, victim_update, task, case_review), its ``due`` (an instant, or a date for things due on a
day), its ``case_ref`` and its officer. An officer sees the cases they own and the tasks
given to them; a supervisor sees their districts (every officer, and the unallocated);
a partner sees its agency's open tasks on the cases shared with it. Each source reads
its due date from an index and stops at the end of the window, so the list costs the
same on a store of a thousand cases or a million. Case Review prompts are the exception:
whether a case meets the threshold is counted from its reports, so that query is kept to
the officer's own open cases (a supervisor: their districts') and to the first
:data:`PROMPT_LIMIT` cases.

Conflicts to settle are not listed: the device keeps no record of the central store's
open conflicts (a sync only reports them), and My day does not call the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa

from asbtui.dates import LONDON, format_date, london_today, to_london, utc_now
from asbtui.errors import Forbidden, InvalidInput
from asbtui.literal import plural
from asbtui.models import (
    Agency,
    Case,
    CaseReview,
    CaseStatus,
    CaseTask,
    Deadline,
    DeadlineStatus,
    District,
    FirstContact,
    Incident,
    Officer,
    ReviewDecision,
    Role,
    StoreMeta,
    User,
    VictimUpdatePlan,
)
from asbtui.services import case_review
from asbtui.services import tasks as task_service
from asbtui.services.access import Actor, Permission, current, permits

if TYPE_CHECKING:
    from asbtui.db import Store

DEFAULT_DAYS = 7
UNALLOCATED = "Unallocated"
ITEM_LIMIT = 2000
PROMPT_LIMIT = 200
"""The most Case Review prompts listed (the cases with the most qualifying reports)."""


class ItemKind(StrEnum):
    FIRST_CONTACT = "first_contact"
    REVIEW = "review"
    DEADLINE = "deadline"
    VICTIM_UPDATE = "victim_update"
    TASK = "task"
    CASE_REVIEW = "case_review"
    CONFLICT = "conflict"

    @property
    def label(self) -> str:
        return {"first_contact": "First contact", "review": "Review", "deadline": "Deadline",
                "victim_update": "Victim update", "task": "Task",
                "case_review": "Case Review", "conflict": "Conflict"}[self.value]


class When(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    WEEK = "this week"


@dataclass(frozen=True)
class DayItem:
    kind: ItemKind
    due: datetime | date
    """An instant (UTC, aware) for first contacts and deadlines; a date for the rest."""
    case_ref: str
    what: str
    officer: str
    """The owner officer's collar and name (or the agency for a partner's task)."""
    district: District
    record_id: str = ""

    @property
    def due_at(self) -> datetime:
        """The instant it falls due: a date item at the end of that day, UK time."""
        if isinstance(self.due, datetime):
            return self.due
        return datetime.combine(self.due, time(23, 59), tzinfo=LONDON).astimezone(UTC)

    def when(self, now: datetime) -> When:
        if isinstance(self.due, datetime):
            if self.due < now:
                return When.OVERDUE
            day = to_london(self.due).date()
        else:
            day = self.due
            if day < london_today(now):
                return When.OVERDUE
        return When.TODAY if day <= london_today(now) else When.WEEK

    def as_json(self, now: datetime) -> dict[str, object]:
        return {"kind": self.kind.value, "due": self.due.isoformat(), "case_ref": self.case_ref,
                "what": self.what, "officer": self.officer, "district": self.district.value,
                "when": self.when(now).value, "id": self.record_id}


@dataclass(frozen=True)
class MyDay:
    title: str
    by_officer: bool
    """True for a supervisor's view: items grouped by officer."""
    items: list[DayItem] = field(default_factory=list)
    truncated: bool = False


def _officer_label(collar: str | None, name: str | None) -> str:
    return f"{collar} {name}" if collar else UNALLOCATED


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Scope:
    officer_ids: frozenset[str] | None
    """Only cases and tasks of these officers (None: every case of the districts)."""
    districts: frozenset[District]


def _items(connection: sa.Connection, scope: _Scope, now: datetime, days: int,
           threshold: int, limit: int, prompts: bool) -> tuple[list[DayItem], bool]:
    """The items of every source, each read soonest first and stopped after ``limit``
    (so a million cases cost what a hundred do); True when some source had more."""
    horizon_day = london_today(now) + timedelta(days=days - 1)
    horizon = datetime.combine(horizon_day, time(23, 59), tzinfo=LONDON).astimezone(UTC)
    owner = (Case.owner_id.in_(scope.officer_ids) if scope.officer_ids is not None
             else Case.district.in_(scope.districts))
    # Each source walks its due-date index in order (the districts' first contacts,
    # deadlines and victim updates; an officer's reviews and tasks by owner), keeps the
    # officer's and stops at ``limit`` + 1.
    is_open = sa.and_(Case.status != CaseStatus.CLOSED, ~Case.deleted)
    items: list[DayItem] = []
    more = False

    def read(query: sa.Select) -> list[sa.Row]:
        nonlocal more
        rows = connection.execute(query.limit(limit + 1)).all()
        if len(rows) > limit:
            more = True
        return rows[:limit]

    # First contacts not yet made (the partial index on open targets).
    rows = read(
        sa.select(FirstContact.id, FirstContact.due_at, FirstContact.priority, Case.ref,
                  Case.district, Officer.collar, Officer.name)
        .join(Case, Case.id == FirstContact.case_id)
        .outerjoin(Officer, Officer.id == Case.owner_id)
        .where(FirstContact.met_at.is_(None), FirstContact.deleted == sa.false(),
               FirstContact.district.in_(scope.districts), FirstContact.due_at <= horizon,
               owner, is_open)
        .order_by(FirstContact.due_at))
    for rid, due, priority, ref, district, collar, name in rows:
        items.append(DayItem(ItemKind.FIRST_CONTACT, _aware(due), ref,
                             f"First contact ({priority} priority)",
                             _officer_label(collar, name), District(district), rid))

    # Reviews due.
    rows = read(
        sa.select(Case.id, Case.next_review, Case.ref, Case.district, Case.summary,
                  Officer.collar, Officer.name)
        .outerjoin(Officer, Officer.id == Case.owner_id)
        .where(owner, is_open, Case.next_review <= horizon_day)
        .order_by(Case.next_review))
    for rid, due, ref, district, summary, collar, name in rows:
        items.append(DayItem(ItemKind.REVIEW, due, ref, f"Review: {summary[:60]}",
                             _officer_label(collar, name), District(district), rid))

    # Statutory deadlines of the cases.
    rows = read(
        sa.select(Deadline.id, Deadline.due_at, Deadline.label, Case.ref, Case.district,
                  Officer.collar, Officer.name)
        .join(Case, Case.id == Deadline.case_id)
        .outerjoin(Officer, Officer.id == Case.owner_id)
        .where(Deadline.status == DeadlineStatus.OPEN, ~Deadline.deleted,
               Deadline.district.in_(scope.districts), Deadline.due_at <= horizon, owner,
               is_open)
        .order_by(Deadline.due_at))
    for rid, due, label, ref, district, collar, name in rows:
        items.append(DayItem(ItemKind.DEADLINE, _aware(due), ref, label,
                             _officer_label(collar, name), District(district), rid))

    # Victim updates due.
    rows = read(
        sa.select(VictimUpdatePlan.id, VictimUpdatePlan.next_due,
                  VictimUpdatePlan.frequency_days, Case.ref, Case.district, Officer.collar,
                  Officer.name)
        .join(Case, Case.id == VictimUpdatePlan.case_id)
        .outerjoin(Officer, Officer.id == Case.owner_id)
        .where(VictimUpdatePlan.district.in_(scope.districts), ~VictimUpdatePlan.deleted,
               VictimUpdatePlan.next_due <= horizon_day, owner, is_open)
        .order_by(VictimUpdatePlan.next_due))
    for rid, due, every, ref, district, collar, name in rows:
        items.append(DayItem(ItemKind.VICTIM_UPDATE, due, ref,
                             f"Update the victim (every {plural(every, 'day')})",
                             _officer_label(collar, name), District(district), rid))

    # Tasks: an officer's own; a supervisor's districts' (officers' and agencies').
    task_owner = (CaseTask.owner_officer_id.in_(scope.officer_ids)
                  if scope.officer_ids is not None else CaseTask.district.in_(scope.districts))
    rows = read(
        sa.select(CaseTask.id, CaseTask.due_on, CaseTask.what, Case.ref, Case.district,
                  Officer.collar, Officer.name, Agency.name)
        .join(Case, Case.id == CaseTask.case_id)
        .outerjoin(Officer, Officer.id == CaseTask.owner_officer_id)
        .outerjoin(Agency, Agency.id == CaseTask.owner_agency_id)
        .where(task_owner, CaseTask.done_on.is_(None), ~CaseTask.deleted,
               CaseTask.due_on <= horizon_day, is_open)
        .order_by(CaseTask.due_on))
    for rid, due, what, ref, district, collar, name, agency in rows:
        items.append(DayItem(ItemKind.TASK, due, ref, what,
                             agency or _officer_label(collar, name), District(district), rid))
    if prompts:
        items += _case_reviews(connection, owner, scope, london_today(now), threshold)
    return items, more


def _conflicts(connection: sa.Connection, scope: _Scope) -> list[DayItem]:
    """Sync conflicts of the districts to settle, as the device held them at its last sync
    (``asbtui conflicts resolve``): due the day they were opened."""
    marks = ", ".join("?" * len(scope.districts))
    rows = connection.exec_driver_sql(
        "SELECT k.id, k.opened_at, k.case_ref, k.district, k.field, k.tbl, o.collar, o.name "
        'FROM sync_conflict k LEFT JOIN "case" c ON c.ref = k.case_ref '
        f"LEFT JOIN officer o ON o.id = c.owner_id WHERE k.district IN ({marks})",
        tuple(d.value for d in scope.districts)).all()
    return [DayItem(ItemKind.CONFLICT, to_london(datetime.fromisoformat(opened)).date(),
                    ref or "", f"Settle conflict {cid}: {name} changed on two devices "
                    f"({table})", _officer_label(collar, officer), District(district), str(cid))
            for cid, opened, ref, district, name, table, collar, officer in rows]


def _case_reviews(connection: sa.Connection, owner: sa.ColumnElement[bool], scope: _Scope,
                  today: date, threshold: int) -> list[DayItem]:
    """Applications awaiting their decision, and open cases that meet the ASB Case Review
    threshold today with no application made since their reports began to count."""
    items: list[DayItem] = []
    # No rule sets a time for the decision: it is due today until it is made.
    review_scope = CaseReview.district.in_(scope.districts)
    rows = connection.execute(
        sa.select(CaseReview.id, CaseReview.requested_on, CaseReview.qualifying_reports,
                  Case.ref, Case.district, Officer.collar, Officer.name)
        .join(Case, Case.id == CaseReview.case_id)
        .outerjoin(Officer, Officer.id == Case.owner_id)
        .where(CaseReview.decision == ReviewDecision.PENDING, ~CaseReview.deleted,
               ~Case.deleted, review_scope, owner))
    for rid, requested_on, reports, ref, district, collar, name in rows:
        items.append(DayItem(
            ItemKind.CASE_REVIEW, today, ref,
            f"Decide on the ASB Case Review applied for {format_date(requested_on)} "
            f"({reports} qualifying reports)",
            _officer_label(collar, name), District(district), rid))

    since = case_review.earliest_report_day(today)
    applied = sa.exists().where(
        CaseReview.case_id == Case.id, ~CaseReview.deleted,
        sa.or_(CaseReview.requested_on >= since,
               CaseReview.decision == ReviewDecision.PENDING,
               sa.and_(CaseReview.decision == ReviewDecision.REVIEW,
                       CaseReview.outcome_on.is_(None))))
    # First the cases with enough reports since the oldest that can count, from two
    # covering indexes (the cases by district and owner, the reports by district, case and
    # time): only those have their reports' dates worked out exactly.
    enough = (sa.select(Case.id)
              .join(Incident, sa.and_(Incident.district == Case.district,
                                      Incident.case_id == Case.id))
              .where(~Case.deleted, Case.district.in_(scope.districts), owner,
                     Case.status.in_(case_review.OPEN_STATUSES),
                     Incident.occurred_at >= case_review.oldest_counted(today),
                     ~Incident.deleted)
              .group_by(Case.id).having(sa.func.count() >= threshold))
    query = (case_review.meeting_query(today, threshold, Case.id, Case.ref, Case.district,
                                       Officer.collar, Officer.name)
             .outerjoin(Officer, Officer.id == Case.owner_id)
             .where(Case.id.in_(enough), owner, ~applied)
             .order_by(sa.desc("reports"), Case.ref)
             .limit(PROMPT_LIMIT))
    for rid, ref, district, collar, name, reports in connection.execute(query):
        items.append(DayItem(ItemKind.CASE_REVIEW, today, ref,
                             f"Consider an ASB Case Review: {reports} qualifying reports",
                             _officer_label(collar, name), District(district), rid))
    return items


def _sorted(items: Iterable[DayItem], by_officer: bool) -> list[DayItem]:
    if by_officer:
        return sorted(items, key=lambda i: (i.officer == UNALLOCATED, i.officer, i.due_at,
                                            i.case_ref))
    return sorted(items, key=lambda i: (i.due_at, i.case_ref, i.kind.value))


def _resolve_officer(connection: sa.Connection, name: str) -> Officer | None:
    wanted = name.strip()
    row = connection.execute(
        sa.select(Officer).where(sa.func.upper(Officer.collar) == wanted.upper(),
                                 ~Officer.deleted)).first()
    if row is None:
        user = connection.execute(sa.select(User.officer_id).where(
            User.username == wanted.lower(), ~User.deleted)).first()
        if user is not None and user[0]:
            row = connection.execute(sa.select(Officer).where(Officer.id == user[0])).first()
    if row is None:
        row = connection.execute(sa.select(Officer).where(
            sa.func.lower(Officer.name) == wanted.lower(), ~Officer.deleted)).first()
    return Officer(**row._mapping) if row is not None else None


@permits(Permission.READ_CASES)
def my_day(store: Store, *, officer: str | None = None, days: int = DEFAULT_DAYS,
           now: datetime | None = None,
           threshold: int = case_review.DEFAULT_THRESHOLD, limit: int = ITEM_LIMIT,
           prompts: bool = True) -> MyDay:
    """What is due for the actor (or ``officer``: a collar, username or name) within
    ``days`` days (today counts as the first), every overdue item included; ``threshold``
    is the local ASB Case Review threshold (qualifying reports).

    At most the ``limit`` soonest items (``truncated`` says there were more); a supervisor's
    are then grouped by officer. ``prompts=False`` leaves out the Case Review prompts,
    which are counted from each open case's reports (the screen adds them after it shows
    the rest).
    """
    if not 1 <= days <= 31:
        raise InvalidInput("Days must be 1 to 31.", "days")
    actor = current(store)
    now = now or utc_now()
    if actor.is_partner:
        return _partner_day(store, actor, now, days)
    with store.engine.connect() as connection:
        scope, title, by_officer = _scope_for(connection, store, actor, officer)
        items, more = _items(connection, scope, now, days, threshold, limit, prompts)
        if by_officer:
            items += _conflicts(connection, scope)
    soonest = _sorted(items, False)
    truncated = more or len(soonest) > limit
    return MyDay(title, by_officer, _sorted(soonest[:limit], by_officer), truncated)


def _scope_for(connection: sa.Connection, store: Store, actor: Actor, officer: str | None
               ) -> tuple[_Scope, str, bool]:
    if officer and officer.strip():
        found = _resolve_officer(connection, officer)
        if found is None:
            raise InvalidInput(f"There is no officer '{officer.strip()}' (give a collar "
                               "number, a username or a name).", "officer")
        if found.id != actor.officer_id and not actor.is_local:
            district = District(found.district)
            if actor.role is not Role.SUPERVISOR or district not in actor.districts:
                raise Forbidden("Only a supervisor of their district may see another "
                                "officer's day.")
        return (_Scope(frozenset({found.id}), frozenset({District(found.district)})),
                f"{found.collar} {found.name}", False)
    if actor.role is Role.SUPERVISOR:
        districts = actor.districts
        names = ", ".join(d.label for d in sorted(districts))
        return _Scope(None, frozenset(districts)), f"{names} by officer", True
    officer_id = actor.officer_id
    if officer_id is None and actor.is_local:
        meta = connection.execute(sa.select(StoreMeta.value).where(
            StoreMeta.key == "officer")).first()
        officer_id = meta[0] if meta else None
    if officer_id is None:
        raise InvalidInput("You have no officer record: give --officer COLLAR.", "officer")
    row = connection.execute(sa.select(Officer.collar, Officer.name, Officer.district)
                             .where(Officer.id == officer_id)).first()
    if row is None:
        raise InvalidInput("Your officer record is missing: give --officer COLLAR.", "officer")
    return (_Scope(frozenset({officer_id}), frozenset({District(row[2])})),
            f"{row[0]} {row[1]}", False)


def _partner_day(store: Store, actor: Actor, now: datetime, days: int) -> MyDay:
    horizon_day = london_today(now) + timedelta(days=days - 1)
    views = task_service.agency_tasks(store)
    with store.engine.connect() as connection:
        districts = dict(connection.execute(
            sa.select(Case.ref, Case.district).where(Case.ref.in_({v.case_ref for v in views})))
            .all())
    items = [DayItem(ItemKind.TASK, v.due_on, v.case_ref, v.what, v.owner,
                     District(districts[v.case_ref]), v.id)
             for v in views if v.due_on <= horizon_day]
    return MyDay(actor.agency_name or "Your agency", False, _sorted(items, False))




@dataclass(frozen=True)
class QueueMark:
    """What the queue shows of the officer's day on a case's row."""

    first_contact_due: datetime | None
    """When first contact is due, if it has not been made."""
    victim_update_overdue: bool


@permits(Permission.READ_CASES)
def queue_marks(store: Store, refs: Iterable[str], *, today: date | None = None
                ) -> dict[str, QueueMark]:
    """Pending first contacts and overdue victim updates of the given cases (a page's)."""
    from asbtui.services import triage, victims

    wanted = list(refs)
    if current(store).is_partner:
        return {}
    pending = triage.pending_by_ref(store, wanted)
    overdue = victims.overdue_by_ref(store, wanted, today=today)
    return {ref: QueueMark(pending[ref].due_at if ref in pending else None, ref in overdue)
            for ref in set(pending) | overdue}


__all__ = ["DayItem", "ItemKind", "MyDay", "QueueMark", "When", "my_day", "queue_marks"]
