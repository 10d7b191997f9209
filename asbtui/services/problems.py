"""SARA problem profiles of the Problem-Solving Task Force.

A problem groups cases (and, through its street, the data.police.uk reports there) and
moves through Scan, Analyse, Respond, Assess, then closed: only forward, one stage at a
time (``STEPS`` says which write belongs to which stage). Assess is measured, not only
written: :func:`measure` counts the reports in the months before responses started and
in as many months after.

Every write is one transaction; bad input raises :class:`~asbtui.errors.InvalidInput`
naming its field, an unknown problem, response or case :class:`~asbtui.errors.NotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from asbtui.dates import LONDON, format_date, london_today, utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    Case,
    CaseStatus,
    District,
    ImportedIncident,
    Incident,
    Problem,
    ProblemCase,
    ProblemResponse,
    ProblemStage,
)
from asbtui.services import audit, places
from asbtui.services.access import Permission, current, permits
from asbtui.services.cases import load_case, optional_text, parse_district, required_text

if TYPE_CHECKING:
    from asbtui.db import Store

TITLE_MAX = 200
NAME_MAX = 120
TEXT_MAX = 4000
DEFAULT_MONTHS = 3
MAX_MONTHS = 24
SHORT_ID = 8
"""How many hex digits of an id the list shows; any unique prefix of 6 or more finds it."""


class ProblemStep(StrEnum):
    """A write that belongs to one stage of SARA."""

    ANALYSIS = "analysis"
    RESPONSE = "response"
    ASSESSMENT = "assessment"
    CLOSE = "close"


@dataclass(frozen=True)
class StepRule:
    allowed_in: frozenset[ProblemStage]
    moves_to: ProblemStage
    too_early: str
    too_late: str


# Rules as data: each write may be made in its own stage or the one just before it (which
# it moves on by one); earlier is skipping a stage, later is going back.
STEPS: dict[ProblemStep, StepRule] = {
    ProblemStep.ANALYSIS: StepRule(
        frozenset({ProblemStage.SCAN, ProblemStage.ANALYSE}),
        ProblemStage.ANALYSE,
        too_early="",
        too_late="Responses have started, so the analysis is settled: SARA only moves "
        "forward. Record what was learnt in the assessment.",
    ),
    ProblemStep.RESPONSE: StepRule(
        frozenset({ProblemStage.ANALYSE, ProblemStage.RESPOND}),
        ProblemStage.RESPOND,
        too_early="Analyse the problem first (victim, offender, location): SARA goes Scan, "
        "Analyse, Respond, Assess.",
        too_late="The problem is being assessed: no new responses (SARA only moves forward).",
    ),
    ProblemStep.ASSESSMENT: StepRule(
        frozenset({ProblemStage.RESPOND, ProblemStage.ASSESS}),
        ProblemStage.ASSESS,
        too_early="Add a response before assessing: there is nothing to assess yet.",
        too_late="",
    ),
    ProblemStep.CLOSE: StepRule(
        frozenset({ProblemStage.ASSESS}),
        ProblemStage.CLOSED,
        too_early="Assess the problem before closing it.",
        too_late="",
    ),
}
CLOSED_MESSAGE = "The problem is closed: nothing more can be recorded on it."
STAGE_ORDER = list(ProblemStage)


def refusal(stage: ProblemStage, step: ProblemStep) -> str | None:
    """Why ``step`` cannot be taken at ``stage``, in plain words; None when it can."""
    if stage is ProblemStage.CLOSED:
        return CLOSED_MESSAGE
    rule = STEPS[step]
    if stage in rule.allowed_in:
        return None
    earliest = min(STAGE_ORDER.index(s) for s in rule.allowed_in)
    return rule.too_early if STAGE_ORDER.index(stage) < earliest else rule.too_late


def _advance(problem: Problem, step: ProblemStep) -> None:
    stage = ProblemStage(problem.stage)
    message = refusal(stage, step)
    if message:
        raise InvalidInput(message, "stage")
    target = STEPS[step].moves_to
    if STAGE_ORDER.index(target) > STAGE_ORDER.index(stage):
        problem.stage = target


# ---------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class Assessment:
    """Reports before and after responses started: the Assess of SARA, computed.

    Case incidents on the linked cases count to the day. data.police.uk gives only the
    month, so its reports count by whole months: the ``months`` months before the month
    responses started, and that month with the ones after it.
    """

    started_on: date | None
    months: int
    before_from: date | None = None
    after_until: date | None = None
    """The last day counted after: the end of the period, or today while it runs."""
    complete: bool = False
    """The after period has run its full length (until then, 'after' is so far)."""
    before_cases: int = 0
    before_imported: int = 0
    after_cases: int = 0
    after_imported: int = 0
    before: int | None = None
    after: int | None = None
    change: int | None = None
    change_percent: float | None = None
    """None when there were no reports before (no percentage of nothing)."""

    @property
    def measured(self) -> bool:
        return self.started_on is not None

    def summary(self) -> str:
        """'12 → 5 (-7, -58.3%)', with 'so far' while the after period runs."""
        if self.before is None or self.after is None or self.change is None:
            return "not started"
        percent = f", {self.change_percent:+g}%" if self.change_percent is not None else ""
        so_far = "" if self.complete else " so far"
        return f"{self.before} → {self.after}{so_far} ({self.change:+d}{percent})"


@dataclass(frozen=True)
class ProblemCaseView:
    ref: str
    status: CaseStatus
    location: str
    summary: str
    incidents: int


@dataclass(frozen=True)
class ResponseView:
    id: str
    action: str
    owner: str
    agency: str
    due_on: date | None
    done_on: date | None

    @property
    def done(self) -> bool:
        return self.done_on is not None


@dataclass(frozen=True)
class ProblemSummary:
    """One row of the problem list."""

    id: str
    title: str
    district: District | None
    stage: ProblemStage
    owner: str
    opened_on: date
    cases: int
    responses_done: int
    responses_total: int
    assessment: Assessment

    @property
    def short_id(self) -> str:
        return self.id[:SHORT_ID]


@dataclass(frozen=True)
class ProblemDetail:
    """A problem profile with its cases, triangle, responses and measured result."""

    id: str
    title: str
    district: District | None
    stage: ProblemStage
    owner: str
    opened_on: date
    street_key: str
    victim_analysis: str
    offender_analysis: str
    location_analysis: str
    assessment_text: str
    responses_started_on: date | None
    cases: list[ProblemCaseView]
    responses: list[ResponseView]
    assessment: Assessment

    @property
    def short_id(self) -> str:
        return self.id[:SHORT_ID]

    @property
    def street_label(self) -> str:
        return self.street_key.title()


def _load(session: Session, problem_id: str) -> Problem:
    wanted = (problem_id or "").strip().lower()
    problem = session.get(Problem, wanted) if wanted else None
    if problem is None and len(wanted) >= 6 and wanted.isalnum():
        found = session.exec(
            select(Problem).where(Problem.id.startswith(wanted), ~Problem.deleted).limit(2)
        ).all()
        problem = found[0] if len(found) == 1 else None
    if problem is None or problem.deleted:
        raise NotFound(f"There is no problem {problem_id.strip()}.")
    return problem


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


def _linked_case_ids(problem_id: str) -> sa.Select:
    return sa.select(ProblemCase.case_id).where(
        ProblemCase.problem_id == problem_id, ~ProblemCase.deleted
    )


def _measure(session: Session, problem: Problem, months: int, now: datetime) -> Assessment:
    start = problem.responses_started_on
    if start is None:
        return Assessment(None, months)
    today = london_today(now)
    before_from = start - relativedelta(months=months)
    after_end = start + relativedelta(months=months)
    until = min(_london_midnight(after_end), now)
    starts = (_london_midnight(before_from), _london_midnight(start))
    occurred = Incident.occurred_at
    before_cases, after_cases = session.execute(
        sa.select(
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((sa.and_(occurred >= starts[0], occurred < starts[1]), 1), else_=0)
                ),
                0,
            ),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((sa.and_(occurred >= starts[1], occurred < until), 1), else_=0)
                ),
                0,
            ),
        )
        .join(Case, Case.id == Incident.case_id)
        .where(
            Incident.case_id.in_(_linked_case_ids(problem.id)),
            ~Incident.deleted,
            ~Case.deleted,
            occurred >= starts[0],
            occurred < until,
        )
    ).one()
    before_imported = after_imported = 0
    if problem.street_key and problem.district:
        first = start.replace(day=1)
        month = ImportedIncident.month
        before_imported, after_imported = session.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(sa.case((month < first, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((month >= first, 1), else_=0)), 0),
            ).where(
                ImportedIncident.district == problem.district,
                ImportedIncident.street_key == problem.street_key,
                ~ImportedIncident.deleted,
                month >= first - relativedelta(months=months),
                month < first + relativedelta(months=months),
            )
        ).one()
    before = int(before_cases) + int(before_imported)
    after = int(after_cases) + int(after_imported)
    change = after - before
    return Assessment(
        started_on=start,
        months=months,
        before_from=before_from,
        after_until=min(after_end - relativedelta(days=1), today),
        complete=after_end <= today,
        before_cases=int(before_cases),
        before_imported=int(before_imported),
        after_cases=int(after_cases),
        after_imported=int(after_imported),
        before=before,
        after=after,
        change=change,
        change_percent=round(100 * change / before, 1) if before else None,
    )


def _check_months(months: int) -> int:
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"Measure over 1 to {MAX_MONTHS} months.", "months")
    return months


@permits(Permission.READ_OVERVIEWS)
def measure(
    store: Store, problem_id: str, months: int = DEFAULT_MONTHS, *, now: datetime | None = None
) -> Assessment:
    """Reports in the ``months`` months before responses started and since (up to now)."""
    months = _check_months(months)
    with store.session() as session:
        return _measure(session, _load(session, problem_id), months, now or utc_now())


@permits(Permission.READ_OVERVIEWS)
def problem_detail(
    store: Store, problem_id: str, months: int = DEFAULT_MONTHS, *, now: datetime | None = None
) -> ProblemDetail:
    """Everything on one problem, with its before and after measured."""
    months = _check_months(months)
    with store.session() as session:
        problem = _load(session, problem_id)
        incidents = (
            sa.select(sa.func.count(Incident.id))
            .where(Incident.case_id == Case.id, ~Incident.deleted)
            .scalar_subquery()
        )
        case_rows = session.execute(
            sa.select(
                Case.ref, Case.status, Case.location, Case.summary, incidents.label("incidents")
            )
            .where(Case.id.in_(_linked_case_ids(problem.id)), ~Case.deleted)
            .order_by(Case.opened_at, Case.ref)
        ).all()
        responses = session.exec(
            select(ProblemResponse)
            .where(ProblemResponse.problem_id == problem.id, ~ProblemResponse.deleted)
            # Open ones first by due date (undated last), then those done.
            .order_by(
                ProblemResponse.done_on.is_not(None),
                ProblemResponse.done_on,
                ProblemResponse.due_on.is_(None),
                ProblemResponse.due_on,
                ProblemResponse.updated_at,
            )
        ).all()
        return ProblemDetail(
            id=problem.id,
            title=problem.title,
            district=District(problem.district) if problem.district else None,
            stage=ProblemStage(problem.stage),
            owner=problem.owner,
            opened_on=problem.opened_on,
            street_key=problem.street_key,
            victim_analysis=problem.victim_analysis,
            offender_analysis=problem.offender_analysis,
            location_analysis=problem.location_analysis,
            assessment_text=problem.assessment,
            responses_started_on=problem.responses_started_on,
            cases=[
                ProblemCaseView(r.ref, CaseStatus(r.status), r.location, r.summary, r.incidents)
                for r in case_rows
            ],
            responses=[
                ResponseView(r.id, r.action, r.owner, r.agency, r.due_on, r.done_on)
                for r in responses
            ],
            assessment=_measure(session, problem, months, now or utc_now()),
        )


@permits(Permission.READ_OVERVIEWS)
def problems(
    store: Store,
    district: District | str | None = None,
    *,
    months: int = DEFAULT_MONTHS,
    now: datetime | None = None,
) -> list[ProblemSummary]:
    """Problem profiles (of one district, or all): open ones first, newest first."""
    where = parse_district(district) if district else None
    months = _check_months(months)
    now = now or utc_now()
    with store.session() as session:
        query = select(Problem).where(~Problem.deleted)
        if where is not None:
            query = query.where(Problem.district == where)
        found = session.exec(query).all()
        case_counts = dict(
            session.execute(
                sa.select(ProblemCase.problem_id, sa.func.count(ProblemCase.case_id.distinct()))
                .join(Case, Case.id == ProblemCase.case_id)
                .where(
                    ProblemCase.problem_id.in_([p.id for p in found]),
                    ~ProblemCase.deleted,
                    ~Case.deleted,
                )
                .group_by(ProblemCase.problem_id)
            ).all()
        )
        response_counts = {
            row.problem_id: (int(row.done), int(row.total))
            for row in session.execute(
                sa.select(
                    ProblemResponse.problem_id,
                    sa.func.count(ProblemResponse.done_on).label("done"),
                    sa.func.count().label("total"),
                )
                .where(
                    ProblemResponse.problem_id.in_([p.id for p in found]), ~ProblemResponse.deleted
                )
                .group_by(ProblemResponse.problem_id)
            )
        }
        rows = [
            ProblemSummary(
                id=p.id,
                title=p.title,
                district=District(p.district) if p.district else None,
                stage=ProblemStage(p.stage),
                owner=p.owner,
                opened_on=p.opened_on,
                cases=case_counts.get(p.id, 0),
                responses_done=response_counts.get(p.id, (0, 0))[0],
                responses_total=response_counts.get(p.id, (0, 0))[1],
                assessment=_measure(session, p, months, now),
            )
            for p in found
        ]
    return sorted(
        rows,
        key=lambda r: (
            r.stage is ProblemStage.CLOSED,
            -r.opened_on.toordinal(),
            r.title.lower(),
            r.id,
        ),
    )


# ---------------------------------------------------------------------------- writes


def _link(session: Session, problem: Problem, refs: list[str]) -> int:
    """Link the cases named by ``refs``; returns how many were not linked already."""
    existing = {
        link.case_id: link
        for link in session.exec(select(ProblemCase).where(ProblemCase.problem_id == problem.id))
    }
    added = 0
    seen: set[str] = set()
    for ref in refs:
        if not (ref or "").strip():
            continue
        case = load_case(session, ref)
        if case.id in seen:
            continue
        seen.add(case.id)
        if problem.district and case.district != problem.district:
            raise InvalidInput(
                f"{case.ref} is a {District(case.district).label} case; this problem is in "
                f"{District(problem.district).label}.",
                "case_refs",
            )
        link = existing.get(case.id)
        if link is not None and not link.deleted:
            continue
        if link is None:
            session.add(ProblemCase(problem_id=problem.id, case_id=case.id))
        else:
            link.deleted = False
            session.add(link)
        added += 1
    return added


def _audit(session: Session, store: Store, problem_id: str, detail: str,
           action: audit.AuditAction = audit.AuditAction.CHANGE) -> None:
    audit.record(session, store, current(store), action, "problem", problem_id, detail=detail)


def _refuse_if_closed(problem: Problem) -> None:
    if ProblemStage(problem.stage) is ProblemStage.CLOSED:
        raise InvalidInput(CLOSED_MESSAGE, "stage")


@permits(Permission.SOLVE_PROBLEMS)
def open_problem(
    store: Store,
    title: str,
    district: District | str,
    owner: str = "",
    case_refs: list[str] | tuple[str, ...] = (),
    street_key: str = "",
    opened_on: date | None = None,
    *,
    today: date | None = None,
) -> str:
    """Open a problem profile at Scan, grouping the cases named; returns its id."""
    title = required_text(title, "title", "Title", TITLE_MAX)
    where = parse_district(district)
    owner = optional_text(owner, "owner", "Owner", NAME_MAX)
    street = places.street_key(optional_text(street_key, "street_key", "Street", 300))
    today = today or london_today()
    opened_on = opened_on or today
    if opened_on > today:
        raise InvalidInput("A problem cannot be opened in the future.", "opened_on")
    with store.session() as session:
        problem = Problem(
            title=title,
            district=where,
            owner=owner,
            opened_on=opened_on,
            street_key=street,
            stage=ProblemStage.SCAN,
        )
        session.add(problem)
        session.flush()
        linked = _link(session, problem, list(case_refs))
        _audit(session, store, problem.id, f"opened, {where.value}; {linked} cases",
               audit.AuditAction.CREATE)
        return problem.id


@permits(Permission.SOLVE_PROBLEMS)
def link_cases(store: Store, problem_id: str, case_refs: list[str] | tuple[str, ...]) -> int:
    """Group more cases into a problem; returns how many were newly linked."""
    with store.session() as session:
        problem = _load(session, problem_id)
        _refuse_if_closed(problem)
        linked = _link(session, problem, list(case_refs))
        _audit(session, store, problem.id, f"{linked} cases linked")
        return linked


@permits(Permission.SOLVE_PROBLEMS)
def unlink_case(store: Store, problem_id: str, case_ref: str) -> None:
    """Take a case out of a problem (the link is kept, marked deleted, for sync)."""
    with store.session() as session:
        problem = _load(session, problem_id)
        _refuse_if_closed(problem)
        case = load_case(session, case_ref)
        links = session.exec(
            select(ProblemCase).where(
                ProblemCase.problem_id == problem.id,
                ProblemCase.case_id == case.id,
                ~ProblemCase.deleted,
            )
        ).all()
        if not links:
            raise InvalidInput(f"{case.ref} is not part of this problem.", "case_refs")
        for link in links:
            link.deleted = True
            session.add(link)
        _audit(session, store, problem.id, f"case {case.ref} unlinked")


@permits(Permission.SOLVE_PROBLEMS)
def record_analysis(
    store: Store, problem_id: str, *, victim: str = "", offender: str = "", location: str = ""
) -> ProblemStage:
    """Record the problem analysis triangle; moves the problem from Scan to Analyse."""
    sides = {
        "victim": optional_text(victim, "victim", "Victim", TEXT_MAX),
        "offender": optional_text(offender, "offender", "Offender", TEXT_MAX),
        "location": optional_text(location, "location", "Location", TEXT_MAX),
    }
    if not any(sides.values()):
        raise InvalidInput(
            "Describe at least one side of the triangle: victim, offender or location.", "victim"
        )
    with store.session() as session:
        problem = _load(session, problem_id)
        _advance(problem, ProblemStep.ANALYSIS)
        problem.victim_analysis = sides["victim"]
        problem.offender_analysis = sides["offender"]
        problem.location_analysis = sides["location"]
        session.add(problem)
        _audit(session, store, problem.id, "analysis recorded")
        return ProblemStage(problem.stage)


@permits(Permission.SOLVE_PROBLEMS)
def add_response(
    store: Store,
    problem_id: str,
    action: str,
    owner: str = "",
    agency: str = "",
    due_on: date | None = None,
    *,
    today: date | None = None,
) -> str:
    """Add a response; the first one starts Respond (the date 'before' and 'after' turn on)."""
    action = required_text(action, "action", "Response", TEXT_MAX)
    owner = optional_text(owner, "owner", "Owner", NAME_MAX)
    agency = optional_text(agency, "agency", "Agency", NAME_MAX)
    today = today or london_today()
    with store.session() as session:
        problem = _load(session, problem_id)
        if due_on is not None and due_on < problem.opened_on:
            raise InvalidInput(
                f"Due before the problem was opened ({format_date(problem.opened_on)}).", "due_on"
            )
        _advance(problem, ProblemStep.RESPONSE)
        if problem.responses_started_on is None:
            problem.responses_started_on = max(today, problem.opened_on)
        session.add(problem)
        response = ProblemResponse(
            problem_id=problem.id, action=action, owner=owner, agency=agency, due_on=due_on
        )
        session.add(response)
        session.flush()
        _audit(session, store, problem.id, f"response {response.id} added")
        return response.id


@permits(Permission.SOLVE_PROBLEMS)
def complete_response(
    store: Store, response_id: str, done_on: date | None = None, *, today: date | None = None
) -> date:
    """Mark a response done on ``done_on`` (default today)."""
    today = today or london_today()
    done_on = done_on or today
    if done_on > today:
        raise InvalidInput("A response cannot be done in the future.", "done_on")
    with store.session() as session:
        response = session.get(ProblemResponse, (response_id or "").strip())
        if response is None or response.deleted:
            raise NotFound(f"There is no response {response_id}.")
        problem = _load(session, response.problem_id)
        _refuse_if_closed(problem)
        if response.done_on is not None:
            raise InvalidInput(
                f"That response was done on {format_date(response.done_on)} already.", "done_on"
            )
        started = problem.responses_started_on or problem.opened_on
        if done_on < started:
            raise InvalidInput(
                f"Responses started on {format_date(started)}: it cannot be done before then.",
                "done_on",
            )
        response.done_on = done_on
        session.add(response)
        _audit(session, store, problem.id, f"response {response.id} done")
        return done_on


@permits(Permission.SOLVE_PROBLEMS)
def assess(store: Store, problem_id: str, text: str) -> ProblemStage:
    """Write the assessment (did it work?); moves the problem from Respond to Assess."""
    text = required_text(text, "assessment", "Assessment", TEXT_MAX)
    with store.session() as session:
        problem = _load(session, problem_id)
        _advance(problem, ProblemStep.ASSESSMENT)
        problem.assessment = text
        session.add(problem)
        _audit(session, store, problem.id, "assessment recorded")
        return ProblemStage(problem.stage)


@permits(Permission.SOLVE_PROBLEMS)
def close_problem(store: Store, problem_id: str) -> ProblemStage:
    """Close an assessed problem."""
    with store.session() as session:
        problem = _load(session, problem_id)
        _advance(problem, ProblemStep.CLOSE)
        session.add(problem)
        _audit(session, store, problem.id, "closed")
        return ProblemStage(problem.stage)


__all__ = [
    "Assessment",
    "ProblemDetail",
    "ProblemStep",
    "ProblemSummary",
    "add_response",
    "assess",
    "close_problem",
    "complete_response",
    "link_cases",
    "measure",
    "open_problem",
    "problem_detail",
    "problems",
    "record_analysis",
    "refusal",
    "unlink_case",
]
