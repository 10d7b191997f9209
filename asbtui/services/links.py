"""Linked cases, and a duplicate merged into the case that stays.

A link says two cases concern related problems: each shows the other. A merge (a
supervisor's action, with a reason) moves everything recorded on a duplicate (incidents,
people, notes, enforcement actions with their steps and deadlines, case reviews, problem
profiles, history, links) onto the case that stays, closes the duplicate as such, and
keeps its reference as an alias: the services open the surviving case for it. Sharing
with partners does not move (the surviving case is disclosed only by sharing it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, select

from asbtui.dates import utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    ActionStep,
    Case,
    CaseLink,
    CaseReview,
    CaseShare,
    CaseStatus,
    CaseTask,
    ClosureReason,
    Correction,
    Deadline,
    DeadlineStatus,
    District,
    EnforcementAction,
    Incident,
    PartnerNote,
    Party,
    PartyRole,
    ProblemCase,
    RiskLevel,
    VictimContact,
    VictimUpdatePlan,
)
from asbtui.services import audit, history, search
from asbtui.services.access import (
    Actor,
    Permission,
    current,
    ensure_readable,
    permits,
    readable_case_ids,
    require_district,
)
from asbtui.services.cases import load_case
from asbtui.services.refs import normalise_ref

if TYPE_CHECKING:
    from asbtui.db import Store


@dataclass(frozen=True)
class LinkView:
    ref: str
    district: District
    status: CaseStatus
    reason: str
    linked_by: str
    linked_at: datetime


def _reason(text: str | None, what: str, required: bool = True) -> str:
    value = " ".join((text or "").split())
    if not value:
        if required:
            raise InvalidInput(f"Give the reason for {what}.", "reason")
        return ""
    return audit.justification(value)


def _links(session: Session, case_id: str) -> list[CaseLink]:
    return list(session.exec(select(CaseLink).where(
        sa.or_(CaseLink.case_id == case_id, CaseLink.other_case_id == case_id),
        ~CaseLink.deleted)))


def linked_cases(session: Session, case_id: str, actor: Actor | None = None) -> list[LinkView]:
    """The cases linked to one case (for its detail), by reference; a partner sees only
    those shared with their agency."""
    views = []
    shared = readable_case_ids(actor) if actor is not None else None
    for link in _links(session, case_id):
        other = session.get(Case, link.other_case_id if link.case_id == case_id
                            else link.case_id)
        if other is None or other.deleted:
            continue
        if shared is not None and session.execute(
                shared.where(CaseShare.case_id == other.id).limit(1)).first() is None:
            continue
        views.append(LinkView(other.ref, District(other.district), CaseStatus(other.status),
                              link.reason, link.linked_by, link.linked_at))
    return sorted(views, key=lambda v: v.ref)


@permits(Permission.WORK_CASES)
def link_cases(store: Store, ref: str, other_ref: str, reason: str = "", *,
               now: datetime | None = None) -> str:
    """Link two cases about related problems; returns the other case's reference."""
    now = now or utc_now()
    why = _reason(reason, "linking", required=False)
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref)
        other = load_case(session, other_ref)
        require_district(actor, case.district, "link cases")
        ensure_readable(session, actor, other.id, other_ref)
        if case.id == other.id:
            raise InvalidInput("A case cannot be linked to itself.", "other")
        if any(other.id in (link.case_id, link.other_case_id)
               for link in _links(session, case.id)):
            raise InvalidInput(f"{case.ref} and {other.ref} are already linked.", "other")
        session.add(CaseLink(case_id=case.id, other_case_id=other.id, linked_by=actor.username,
                             linked_at=now, reason=why))
        for one, two in ((case, other), (other, case)):
            history.record_change(session, actor, one.id, "case", one.id, "linked case", "",
                                  two.ref, reason=why, at=now)
            audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", one.id,
                         case_ref=one.ref, detail=f"linked to {two.ref}", reason=why)
        return other.ref


@permits(Permission.WORK_CASES)
def unlink_cases(store: Store, ref: str, other_ref: str, reason: str, *,
                 now: datetime | None = None) -> str:
    """Remove a link made in error (kept in both cases' history)."""
    now = now or utc_now()
    why = _reason(reason, "removing the link")
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref)
        other = load_case(session, other_ref)
        require_district(actor, case.district, "unlink cases")
        found = [link for link in _links(session, case.id)
                 if other.id in (link.case_id, link.other_case_id)]
        if not found:
            raise InvalidInput(f"{case.ref} and {other.ref} are not linked.", "other")
        for link in found:
            link.deleted = True
            session.add(link)
        for one, two in ((case, other), (other, case)):
            history.record_change(session, actor, one.id, "case", one.id, "linked case",
                                  two.ref, "", reason=why, at=now)
            audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", one.id,
                         case_ref=one.ref, detail=f"unlinked from {two.ref}", reason=why)
        return other.ref


def _exact(session: Session, ref: str) -> Case:
    """The case with this very reference (not the case an alias leads to)."""
    case = session.exec(select(Case).where(Case.ref == normalise_ref(ref),
                                           ~Case.deleted)).first()
    if case is None:
        raise NotFound(f"There is no case {ref.strip()}.")
    return case


@dataclass(frozen=True)
class Merged:
    duplicate: str
    survivor: str
    incidents: int
    people: int
    notes: int
    actions: int
    deadlines: int

    def describe(self) -> str:
        return (f"{self.duplicate} merged into {self.survivor}: {self.incidents} incidents, "
                f"{self.people} people, {self.notes} notes, {self.actions} actions, "
                f"{self.deadlines} deadlines moved")


@permits(Permission.WORK_CASES, Permission.CLOSE_CASES)
def merge_cases(store: Store, duplicate_ref: str, survivor_ref: str, reason: str, *,
                now: datetime | None = None) -> Merged:
    """Merge a duplicate into the case that stays (a supervisor's action, for a reason)."""
    now = now or utc_now()
    why = _reason(reason, "merging the cases")
    actor = current(store)
    with store.session() as session:
        duplicate = _exact(session, duplicate_ref)
        survivor = load_case(session, survivor_ref)
        if duplicate.merged_into_id:
            raise InvalidInput(f"{duplicate.ref} was merged already.", "duplicate")
        if duplicate.id == survivor.id:
            raise InvalidInput("A case cannot be merged into itself.", "survivor")
        require_district(actor, duplicate.district, "merge cases")
        require_district(actor, survivor.district, "merge cases")
        moved: dict[str, int] = {}
        for model in (Incident, Party, PartnerNote, EnforcementAction, ActionStep, Deadline,
                      CaseReview, Correction, VictimUpdatePlan, VictimContact, CaseTask):
            rows = list(session.exec(select(model).where(model.case_id == duplicate.id)))
            for row in rows:
                row.case_id = survivor.id
                if isinstance(row, Incident):
                    row.district, row.case_ref = survivor.district, survivor.ref
                    row.case_location, row.address_key = survivor.location, survivor.address_key
                    row.street_key, row.postcode_key = survivor.street_key, survivor.postcode_key
                if isinstance(row, Deadline | CaseReview | VictimUpdatePlan | CaseTask):
                    row.district = survivor.district
                session.add(row)
            moved[model.__name__] = sum(not r.deleted for r in rows)
        in_problems = {p.problem_id for p in session.exec(select(ProblemCase).where(
            ProblemCase.case_id == survivor.id, ~ProblemCase.deleted))}
        for member in session.exec(select(ProblemCase).where(
                ProblemCase.case_id == duplicate.id, ~ProblemCase.deleted)):
            if member.problem_id in in_problems:
                member.deleted = True  # the problem has the surviving case already
            else:
                member.case_id = survivor.id
            session.add(member)
        for link in _links(session, duplicate.id):
            ends = {link.case_id, link.other_case_id} - {duplicate.id}
            if survivor.id in ends or any(
                    (ends & {x.case_id, x.other_case_id}) for x in _links(session, survivor.id)):
                link.deleted = True  # would link the survivor to itself, or twice
            elif link.case_id == duplicate.id:
                link.case_id = survivor.id
            else:
                link.other_case_id = survivor.id
            session.add(link)
        session.flush()
        # The surviving case now answers for everything: its flags and nearest deadline.
        survivor.vulnerable_victim = session.exec(select(Party.id).where(
            Party.case_id == survivor.id, Party.role == PartyRole.VICTIM, Party.vulnerable,
            ~Party.deleted).limit(1)).first() is not None
        survivor.next_deadline_at = session.exec(select(sa.func.min(Deadline.due_at)).where(
            Deadline.case_id == survivor.id, Deadline.status == DeadlineStatus.OPEN,
            ~Deadline.deleted)).first()
        if RiskLevel(duplicate.risk).rank > RiskLevel(survivor.risk).rank:
            history.record_change(session, actor, survivor.id, "case", survivor.id, "risk",
                                  RiskLevel(survivor.risk), RiskLevel(duplicate.risk),
                                  reason=f"Merged with {duplicate.ref}", at=now)
            survivor.risk = duplicate.risk
        session.add(survivor)
        history.record_change(session, actor, survivor.id, "case", survivor.id, "merged case",
                              "", duplicate.ref, reason=why, at=now)
        duplicate.status = CaseStatus.CLOSED
        duplicate.closure_reason = ClosureReason.DUPLICATE
        duplicate.closed_at = now
        duplicate.next_review = None
        duplicate.next_deadline_at = None
        duplicate.vulnerable_victim = False
        duplicate.merged_into_id = survivor.id
        duplicate.closing_summary = f"Merged into {survivor.ref}"
        session.add(duplicate)
        session.flush()
        search.reindex_case(session, survivor.id)
        search.reindex_case(session, duplicate.id)
        result = Merged(duplicate.ref, survivor.ref, moved["Incident"], moved["Party"],
                        moved["PartnerNote"], moved["EnforcementAction"], moved["Deadline"])
        for one, detail in ((duplicate, f"merged into {survivor.ref}"),
                            (survivor, f"{duplicate.ref} merged in: " + result.describe()
                             .split(": ", 1)[1])):
            audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", one.id,
                         case_ref=one.ref, detail=detail, reason=why)
        return result


@permits(Permission.READ_CASES)
def case_links(store: Store, ref: str) -> list[LinkView]:
    """The cases linked to a case, and the duplicates merged into it."""
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        return linked_cases(session, case.id, actor)


@permits(Permission.READ_CASES)
def merged_refs(store: Store, ref: str) -> list[str]:
    """The references of duplicates merged into a case (each opens it)."""
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        return sorted(session.exec(select(Case.ref).where(Case.merged_into_id == case.id)))
