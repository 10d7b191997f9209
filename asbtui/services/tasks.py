"""A case's action plan: tasks with an owner (an officer or a partner agency), due and done.

Police working the case's district add tasks and complete any of them; a partner agency
sees, on the cases shared with it, only its own tasks, and completes them (with the
outcome). An open task past its due date is overdue: it shows in My day and to
supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, select

from asbtui.dates import london_today, utc_now
from asbtui.errors import Forbidden, InvalidInput, NotFound
from asbtui.models import Agency, Case, CaseShare, CaseStatus, CaseTask, District, Officer
from asbtui.services import audit
from asbtui.services.access import (
    Actor,
    Permission,
    current,
    ensure_readable,
    no_such_case,
    permits,
    require_district,
)
from asbtui.services.refs import normalise_ref

if TYPE_CHECKING:
    from asbtui.db import Store

WHAT_MAX = 500
OUTCOME_MAX = 2000


@dataclass(frozen=True)
class TaskView:
    id: str
    case_ref: str
    what: str
    owner: str
    """The officer's collar and name, or the agency's name."""
    owner_officer_id: str | None
    owner_agency_id: str | None
    due_on: date
    done_on: date | None
    outcome: str

    def overdue(self, today: date) -> bool:
        return self.done_on is None and self.due_on < today


def _case(session: Session, ref: str, actor: Actor | None = None) -> Case:
    case = session.exec(select(Case).where(Case.ref == normalise_ref(ref), ~Case.deleted)).first()
    if case is None:
        raise no_such_case(actor, ref)
    return case


def _owner_label(officer: Officer | None, agency: Agency | None) -> str:
    if officer is not None:
        return f"{officer.collar} {officer.name}"
    return agency.name if agency is not None else ""


def task_views(session: Session, rows: list[tuple[CaseTask, str]]) -> list[TaskView]:
    officers = {o.id: o for o in session.exec(select(Officer).where(Officer.id.in_(
        {t.owner_officer_id for t, _ in rows if t.owner_officer_id}))).all()}
    agencies = {a.id: a for a in session.exec(select(Agency).where(Agency.id.in_(
        {t.owner_agency_id for t, _ in rows if t.owner_agency_id}))).all()}
    return [TaskView(t.id, ref, t.what,
                     _owner_label(officers.get(t.owner_officer_id or ""),
                                  agencies.get(t.owner_agency_id or "")),
                     t.owner_officer_id, t.owner_agency_id, t.due_on, t.done_on, t.outcome)
            for t, ref in rows]


def create_task(session: Session, case: Case, actor: Actor, what: str, due_on: date, *,
                officer: Officer | None = None, agency: Agency | None = None,
                now: datetime | None = None) -> CaseTask:
    """Write a task in the caller's session (checked; not audited here)."""
    text = " ".join((what or "").split())
    if not text:
        raise InvalidInput("Say what is to be done.", "what")
    if len(text) > WHAT_MAX:
        raise InvalidInput(f"The task is too long: at most {WHAT_MAX} characters.", "what")
    if (officer is None) == (agency is None):
        raise InvalidInput("Give the task to an officer or to a partner agency (one of them).",
                           "owner")
    if officer is not None and officer.district != case.district:
        raise InvalidInput(f"{officer.collar} works in {District(officer.district).label}, "
                           f"not {District(case.district).label}.", "owner")
    task = CaseTask(case_id=case.id, district=case.district, what=text,
                    owner_officer_id=officer.id if officer else None,
                    owner_agency_id=agency.id if agency else None, due_on=due_on,
                    created_by=actor.username, created_at=now or utc_now())
    session.add(task)
    return task


def find_officer(session: Session, collar: str) -> Officer:
    wanted = collar.strip().upper()
    officer = session.exec(select(Officer).where(sa.func.upper(Officer.collar) == wanted,
                                                 ~Officer.deleted)).first()
    if officer is None:
        raise InvalidInput(f"There is no officer with collar number '{collar.strip()}'.",
                           "owner")
    return officer


@permits(Permission.WORK_CASES)
def add_task(store: Store, ref: str, what: str, due_on: date, *, officer: str | None = None,
             agency: str | None = None, today: date | None = None) -> str:
    """Add a task to the case's action plan, for an officer (collar) or an agency (name)."""
    from asbtui.services.partners import find_agency

    actor = current(store)
    today = today or london_today()
    if due_on < today:
        raise InvalidInput("A task cannot be due in the past.", "due_on")
    if due_on > today + timedelta(days=366):
        raise InvalidInput("A task must be due within a year.", "due_on")
    with store.session() as session:
        case = _case(session, ref)
        require_district(actor, case.district, "add tasks")
        if case.status == CaseStatus.CLOSED:
            raise InvalidInput("The case is closed.", "what")
        owner_officer = find_officer(session, officer) if officer and officer.strip() else None
        owner_agency = find_agency(session, agency) if agency and agency.strip() else None
        task = create_task(session, case, actor, what, due_on, officer=owner_officer,
                           agency=owner_agency)
        session.flush()
        audit.record(session, store, actor, audit.AuditAction.CREATE, "task", task.id,
                     case_ref=case.ref,
                     detail="for an agency" if owner_agency else "for an officer")
        return task.id


@permits(Permission.READ_CASES)
def case_tasks(store: Store, ref: str) -> list[TaskView]:
    """The case's tasks, open ones first by due date; a partner sees only its agency's."""
    actor = current(store)
    with store.session() as session:
        case = _case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        query = select(CaseTask, Case.ref).join(Case, Case.id == CaseTask.case_id).where(
            CaseTask.case_id == case.id, ~CaseTask.deleted)
        if actor.is_partner:
            query = query.where(CaseTask.owner_agency_id == (actor.agency_id or ""))
        rows = session.exec(query.order_by(CaseTask.done_on.is_not(None), CaseTask.due_on)).all()
        return task_views(session, list(rows))


def _may_complete(session: Session, actor: Actor, task: CaseTask, case: Case) -> None:
    if actor.is_partner:
        shared = session.exec(select(CaseShare.id).where(
            CaseShare.case_id == case.id, CaseShare.agency_id == (actor.agency_id or ""),
            CaseShare.revoked_at.is_(None), ~CaseShare.deleted)).first()
        if shared is None or task.owner_agency_id != actor.agency_id:
            raise NotFound("There is no such task for your agency.")
        return
    if not actor.may(Permission.WORK_CASES):
        raise Forbidden(f"Your role ({actor.role_name}) may not {Permission.WORK_CASES.value}.")
    require_district(actor, case.district, "complete tasks")


def _task(session: Session, task_id: str) -> CaseTask:
    wanted = (task_id or "").strip().lower()
    if len(wanted) < 6:
        raise InvalidInput("Give the task's id (at least its first 6 characters).", "task")
    rows = session.exec(select(CaseTask).where(CaseTask.id.startswith(wanted),
                                               ~CaseTask.deleted).limit(2)).all()
    if len(rows) != 1:
        raise NotFound(f"There is no task {task_id.strip()}." if not rows
                       else f"'{task_id.strip()}' could be more than one task: give more of it.")
    return rows[0]


@permits(Permission.READ_CASES)  # partners complete their agency's tasks; checked inside
def complete_task(store: Store, task_id: str, outcome: str, *,
                  done_on: date | None = None) -> TaskView:
    """Mark a task done with its outcome (today unless a date is given)."""
    actor = current(store)
    text = (outcome or "").strip()
    if not text:
        raise InvalidInput("Record the outcome.", "outcome")
    if len(text) > OUTCOME_MAX:
        raise InvalidInput(f"The outcome is too long: at most {OUTCOME_MAX} characters.",
                           "outcome")
    today = london_today()
    done = done_on or today
    if done > today:
        raise InvalidInput("A task cannot be done in the future.", "done_on")
    with store.session() as session:
        task = _task(session, task_id)
        case = session.get(Case, task.case_id)
        assert case is not None
        _may_complete(session, actor, task, case)
        if task.done_on is not None:
            raise InvalidInput("That task is already done.", "task")
        task.done_on, task.outcome = done, text
        session.add(task)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "task", task.id,
                     case_ref=case.ref, detail="done")
        return task_views(session, [(task, case.ref)])[0]


@permits(Permission.READ_CASES)
def agency_tasks(store: Store, *, open_only: bool = True) -> list[TaskView]:
    """A partner's own agency's tasks on the cases shared with it (police: none)."""
    actor = current(store)
    if not actor.is_partner:
        return []
    with store.session() as session:
        shared = select(CaseShare.case_id).where(
            CaseShare.agency_id == (actor.agency_id or ""), CaseShare.revoked_at.is_(None),
            ~CaseShare.deleted)
        query = select(CaseTask, Case.ref).join(Case, Case.id == CaseTask.case_id).where(
            CaseTask.owner_agency_id == (actor.agency_id or ""), ~CaseTask.deleted,
            CaseTask.case_id.in_(shared))
        if open_only:
            query = query.where(CaseTask.done_on.is_(None))
        rows = session.exec(query.order_by(CaseTask.due_on)).all()
        return task_views(session, list(rows))
