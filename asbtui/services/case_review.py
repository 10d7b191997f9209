"""The ASB Case Review (Community Trigger, s104 of the 2014 Act): threshold, request, steps.

A victim may apply for a review of how their reports were handled. The relevant bodies
must decide that the threshold for a review is met when at least N *qualifying
complaints* were made about the behaviour (s104(4)); N is set locally, and may be lower
than three but not higher. A complaint qualifies (s104(11)) when it was

- made within the month beginning with the date of the behaviour it reports, and
- the application is made within the six months beginning with the date of the complaint.

"Beginning with" counts the first day as day one, so the windows end the day before the
corresponding date: a report of behaviour on 15 March qualifies if made by 14 April, and a
report made on 14 April counts for an application made by 13 October. Months are calendar
months (dateutil), and dates are calendar dates in Europe/London.

Each incident on a case is one report of the same problem, from any channel. An incident
without ``reported_at`` (made before that was recorded) is taken as reported when it
happened.

Every write here is one transaction, and refuses bad input with
:class:`~asbtui.errors.InvalidInput` naming the form field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from asbtui.dates import LONDON, format_date, london_today, to_london
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    OPEN_STATUSES,
    Case,
    CaseReview,
    Channel,
    District,
    Incident,
    IncidentType,
    Officer,
    ReviewDecision,
    RiskLevel,
)
from asbtui.services import audit, rules
from asbtui.services.access import (
    Actor,
    Permission,
    current,
    ensure_readable,
    permits,
    require_district,
)
from asbtui.services.cases import load_case, optional_text, required_text

if TYPE_CHECKING:
    from asbtui.db import Store

DEFAULT_THRESHOLD = 3
"""s104(4): at least three qualifying complaints, or a lower local number."""
# The months of s104(11) and the threshold range of s104(4) are rule rows
# (asbtui.services.rules), read as in force on the day of the application.
SOURCE = "ABCPA 2014 s104"

NAME_MAX = 120
TEXT_MAX = 4000


# ---------------------------------------------------------------------------- the rule


def complaint_months(on: date) -> int:
    """s104(11)(a): the months (beginning with the behaviour) a complaint has, on ``on``."""
    return rules.value("case_review_complaint_months", on)


def application_months(on: date) -> int:
    """s104(11)(b): the months (beginning with the complaint) an application has."""
    return rules.value("case_review_application_months", on)


def threshold_range(on: date) -> tuple[int, int]:
    """s104(4): the lowest and highest local threshold the law allows on ``on``."""
    return (rules.value("case_review_threshold_min", on),
            rules.value("case_review_threshold_max", on))


def complaint_deadline(behaviour_on: date, on: date | None = None) -> date:
    """The last day a report of behaviour on ``behaviour_on`` can be made and qualify
    (the rule in force on ``on``, the application's day; by default the behaviour's)."""
    months = complaint_months(on or behaviour_on)
    return behaviour_on + relativedelta(months=months) - timedelta(days=1)


def application_deadline(reported_on: date, on: date | None = None) -> date:
    """The last day an application can be made and still count a report of ``reported_on``
    (the rule in force on ``on``; by default on the report's day)."""
    months = application_months(on or reported_on)
    return reported_on + relativedelta(months=months) - timedelta(days=1)


def earliest_report_day(on: date) -> date:
    """The earliest report date that an application made on ``on`` still counts.

    Not simply ``on`` less six months: calendar months are clamped at month ends, so the
    answer is found as the first day whose :func:`application_deadline` reaches ``on``.
    """
    day = on - relativedelta(months=application_months(on)) - timedelta(days=4)
    while application_deadline(day, on) < on:
        day += timedelta(days=1)
    return day


def check_threshold(threshold: int, on: date | None = None) -> int:
    """The local threshold: a whole number in the range s104(4) allows on ``on``."""
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise InvalidInput("The threshold is a whole number of complaints.", "threshold")
    least, most = threshold_range(on or london_today())
    if not least <= threshold <= most:
        raise InvalidInput(
            f"The local threshold must be from {least} to {most} qualifying complaints: "
            f"s104(4) allows a lower number than {most}, never a higher one.",
            "threshold",
        )
    return threshold


def london_day(moment: datetime) -> date:
    """The Europe/London calendar date of an instant (naive instants are UTC, as stored)."""
    return to_london(moment).date()


def _london_day_sql(moment: sa.ColumnElement[datetime]) -> sa.ColumnElement[str]:
    """:func:`london_day` in SQLite, for a stored UTC time: 'YYYY-MM-DD'.

    SQLite has no time zones, so British Summer Time is written out: it runs from 01:00
    UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October (the first
    Sunday on or after the 25th; SQLite's 'weekday 0' finds it).
    """
    spring = sa.func.datetime(sa.func.strftime("%Y-03-25", moment), "weekday 0", "+1 hour")
    autumn = sa.func.datetime(sa.func.strftime("%Y-10-25", moment), "weekday 0", "+1 hour")
    summer = sa.and_(moment >= spring, moment < autumn)
    return sa.func.date(moment, sa.case((summer, "+1 hour"), else_="+0 hours"))


def _months_after_sql(day: sa.ColumnElement[str], months: int) -> sa.ColumnElement[str]:
    """``day`` plus calendar ``months``, clamped at the month's end as dateutil does.

    SQLite's own '+1 month' rolls 31 January over to 3 March; the last day of the month
    ``months`` on caps it.
    """
    return sa.func.min(
        sa.func.date(day, f"+{months} months"),
        sa.func.date(day, "start of month", f"+{months + 1} months", "-1 day"),
    )


def _start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in London, in UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


# ---------------------------------------------------------------------------- threshold


@dataclass(frozen=True)
class QualifyingReport:
    """One report (incident) that counts towards the threshold for an application."""

    incident_id: str
    behaviour_on: date
    reported_on: date
    channel: Channel
    incident_type: IncidentType
    description: str

    @property
    def apply_by(self) -> date:
        """The last day an application can be made and still count this report."""
        return application_deadline(self.reported_on, self.reported_on)


@dataclass(frozen=True)
class ThresholdStatus:
    """How many qualifying complaints an application made on ``on`` would have."""

    ref: str
    on: date
    threshold: int
    reports: list[QualifyingReport]

    @property
    def count(self) -> int:
        return len(self.reports)

    @property
    def met(self) -> bool:
        return self.count >= self.threshold

    @property
    def met_until(self) -> date | None:
        """The last application date on which the threshold stays met (None if not met)."""
        if not self.met:
            return None
        # The threshold holds while the threshold-th most recent report still counts.
        days = sorted((r.reported_on for r in self.reports), reverse=True)
        return application_deadline(days[self.threshold - 1], self.on)

    @property
    def months(self) -> int:
        """The months an application looks back over (s104(11)(b)), as on ``on``."""
        return application_months(self.on)


def _qualifying(session: Session, case_id: str, on: date) -> list[QualifyingReport]:
    incidents = session.exec(
        select(Incident)
        .where(Incident.case_id == case_id, ~Incident.deleted)
        .order_by(Incident.occurred_at, Incident.id)
    ).all()
    earliest = earliest_report_day(on)
    found: list[QualifyingReport] = []
    for incident in incidents:
        behaviour_on = london_day(incident.occurred_at)
        # Rows from before reported_at was kept count as reported when they happened.
        reported_on = london_day(incident.reported_at or incident.occurred_at)
        if reported_on > complaint_deadline(behaviour_on, on):
            continue  # s104(11)(a): reported more than a month after the behaviour
        if not earliest <= reported_on <= on:
            continue  # s104(11)(b): more than six months before the application, or after
        found.append(
            QualifyingReport(
                incident.id,
                behaviour_on,
                reported_on,
                Channel(incident.channel),
                IncidentType(incident.incident_type),
                incident.description,
            )
        )
    found.sort(key=lambda r: (r.reported_on, r.behaviour_on, r.incident_id))
    return found


def _readable_case(session: Session, store: Store, ref: str) -> Case:
    case = load_case(session, ref, current(store))
    ensure_readable(session, current(store), case.id, ref)
    return case


@permits(Permission.READ_CASES)
def qualifying_reports(store: Store, ref: str, on: date) -> list[QualifyingReport]:
    """The case's reports that qualify for an application made on ``on``, oldest first."""
    with store.session() as session:
        case = _readable_case(session, store, ref)
        return _qualifying(session, case.id, on)


@permits(Permission.READ_CASES)
def threshold_status(
    store: Store, ref: str, on: date, threshold: int = DEFAULT_THRESHOLD
) -> ThresholdStatus:
    """Whether an application made on ``on`` would meet the (local) threshold."""
    threshold = check_threshold(threshold, on)
    with store.session() as session:
        case = _readable_case(session, store, ref)
        return ThresholdStatus(case.ref, on, threshold, _qualifying(session, case.id, on))


@permits(Permission.READ_OVERVIEWS)
def cases_meeting_threshold(
    store: Store,
    district: District | None = None,
    on: date | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> list[tuple[str, int]]:
    """Open cases whose qualifying reports, for an application made on ``on``, meet the
    threshold: (reference, count), most reports first. One grouped query over the store.

    The same rule as :func:`qualifying_reports`, written in SQL (tests hold the two to the
    same answers).
    """
    return [(row.ref, row.reports) for row in _meeting(store, district, on, threshold)]


@dataclass(frozen=True)
class ThresholdCase:
    """An open case meeting the threshold, with what a supervisor decides by."""

    ref: str
    reports: int
    """Qualifying reports for an application made today."""
    latest_report: date
    risk: RiskLevel
    owner: str
    """The owner's name, or "" when unallocated."""


@permits(Permission.READ_OVERVIEWS)
def threshold_cases(
    store: Store,
    district: District | None = None,
    on: date | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> list[ThresholdCase]:
    """As :func:`cases_meeting_threshold`, with each case's latest qualifying report, risk
    and owner."""
    return [
        ThresholdCase(row.ref, row.reports, date.fromisoformat(row.latest),
                      RiskLevel(row.risk), row.owner or "")
        for row in _meeting(store, district, on, threshold, detail=True)
    ]


def oldest_counted(on: date) -> datetime:
    """A cheap bound on the stored time of a report that counts for an application made
    on ``on``: the behaviour cannot be more than the complaint window (and a day or two
    of clock slack) before the earliest report that counts. No older incident counts."""
    months = complaint_months(on)
    return _start_of_day(earliest_report_day(on) - relativedelta(months=months)
                         - timedelta(days=2))


def qualifying_sql(on: date) -> sa.ColumnElement[bool]:
    """Whether an incident is a qualifying report for an application made on ``on``: the
    rule of :func:`_qualifying` in SQL (the incident's stored UTC times, London days).

    Working out London days in SQLite takes a dozen date functions a row, so plain bounds
    decide first, each with a day or more to spare: a report made well inside the six
    months, well within (or well after) the month of its behaviour. Only the few reports
    within a day or two of an edge are worked out to the day, as they always were.
    """
    earliest = earliest_report_day(on)
    months = complaint_months(on)
    behaviour = _london_day_sql(Incident.occurred_at)
    moment = sa.func.coalesce(Incident.reported_at, Incident.occurred_at)
    reported = _london_day_sql(moment)
    first, after = _start_of_day(earliest), _start_of_day(on + timedelta(days=1))
    day = timedelta(days=1)
    # Dates are stored as ISO text, so instants compare as strings (a day's slack covers
    # any difference in how the time of day is written).
    when_reported = sa.case(
        (sa.and_(moment >= first + day, moment < after - day), sa.true()),
        (sa.or_(moment < first - day, moment >= after + day), sa.false()),
        else_=sa.and_(reported >= earliest.isoformat(), reported <= on.isoformat()),
    )
    # The complaint window: ``months`` calendar months are from 28 to 31 days each, and
    # a London day differs from the UTC instant by under a day and an hour.
    lag = sa.func.julianday(moment) - sa.func.julianday(Incident.occurred_at)
    within_month = sa.case(
        (lag < 28 * months - 3, sa.true()),
        (lag >= 31 * months + 2, sa.false()),
        else_=reported < _months_after_sql(behaviour, months),
    )
    return sa.and_(~Incident.deleted, Incident.occurred_at >= oldest_counted(on),
                   when_reported, within_month)


def meeting_query(on: date, threshold: int, *columns: sa.ColumnElement) -> sa.Select:
    """The grouped query of open cases whose qualifying reports, for an application made
    on ``on``, meet ``threshold``: ``columns`` and the count (labelled ``reports``), one
    row a case. Callers narrow it (a district, an officer's cases) and run it."""
    threshold = check_threshold(threshold, on)
    count = sa.func.count(Incident.id).label("reports")
    return (
        sa.select(*columns, count)
        .join(Incident, Incident.case_id == Case.id)
        .where(~Case.deleted, Case.status.in_(OPEN_STATUSES), qualifying_sql(on))
        .group_by(Case.id, Case.ref, Case.risk)
        .having(count >= threshold)
    )


def _meeting(
    store: Store, district: District | None, on: date | None, threshold: int,
    *, detail: bool = False,
) -> list[sa.Row]:
    query = _meeting_select(district, on or london_today(), threshold, detail=detail)
    with store.engine.connect() as connection:
        return list(connection.execute(query))


def _meeting_select(
    district: District | None, on: date, threshold: int, *, detail: bool = False,
) -> sa.Select:
    if detail:
        reported = _london_day_sql(sa.func.coalesce(Incident.reported_at, Incident.occurred_at))
        columns = [Case.ref, sa.func.max(reported).label("latest"), Case.risk,
                   sa.func.max(Officer.name).label("owner")]
        query = (meeting_query(on, threshold, *columns)
                 .outerjoin(Officer, Officer.id == Case.owner_id))
        if district is not None:
            query = query.where(Case.district == district)
        return query.order_by(sa.desc("reports"), Case.ref)
    # The marks of the queue: the open cases of the district down the ref index (which
    # holds the status), each one's reports since the oldest that can count from the
    # incident index by district, case and time (its reported_at too: no incident's row
    # is read). Grouped in the index's order, so only the cases found are sorted.
    threshold = check_threshold(threshold, on)
    count = sa.func.count().label("reports")
    query = (
        sa.select(Case.ref, count)
        .join(Incident, sa.and_(Incident.district == Case.district,
                                Incident.case_id == Case.id))
        .where(~Case.deleted, Case.status.in_(OPEN_STATUSES), qualifying_sql(on))
        .group_by(Case.district, Case.ref, Case.id)
        .having(count >= threshold)
        .order_by(sa.desc("reports"), Case.ref)
    )
    if district is not None:
        query = query.where(Case.district == district)
    return query


# ---------------------------------------------------------------------------- reviews


class ReviewStep(StrEnum):
    """What a review in progress waits for next."""

    DECISION = "decision"
    MEETING = "meeting"
    OUTCOME = "outcome"

    @property
    def label(self) -> str:
        return {
            "decision": "Decision on the threshold",
            "meeting": "Review meeting",
            "outcome": "Outcome of the review",
        }[self.value]


@dataclass(frozen=True)
class ReviewView:
    """A case review with the reference of its case, for lists and forms."""

    id: str
    case_ref: str
    district: District
    requested_on: date
    requested_by: str
    qualifying_reports: int
    threshold_met: bool
    decision: ReviewDecision
    decided_on: date | None
    decision_reason: str
    meeting_on: date | None
    outcome: str
    outcome_on: date | None

    @property
    def next_step(self) -> ReviewStep | None:
        """The step it waits for, or None when it is finished."""
        if self.decision is ReviewDecision.PENDING:
            return ReviewStep.DECISION
        if self.decision is ReviewDecision.NO_REVIEW or self.outcome_on is not None:
            return None
        return ReviewStep.MEETING if self.meeting_on is None else ReviewStep.OUTCOME

    @property
    def finished(self) -> bool:
        return self.next_step is None

    @property
    def state(self) -> str:
        """Where it stands, in a few words."""
        if self.decision is ReviewDecision.PENDING:
            return "Awaiting decision"
        if self.decision is ReviewDecision.NO_REVIEW:
            return "No review"
        if self.outcome_on is not None:
            return "Outcome recorded"
        if self.meeting_on is None:
            return "Review: meeting to arrange"
        return "Review: outcome awaited"


def _unfinished() -> sa.ColumnElement[bool]:
    return sa.or_(
        CaseReview.decision == ReviewDecision.PENDING,
        sa.and_(CaseReview.decision == ReviewDecision.REVIEW, CaseReview.outcome_on.is_(None)),
    )


def _views(store: Store, *conditions: sa.ColumnElement[bool]) -> list[ReviewView]:
    query = (
        sa.select(CaseReview, Case.ref)
        .join(Case, Case.id == CaseReview.case_id)
        .where(~CaseReview.deleted, *conditions)
        # Reviews in progress first, then the newest.
        .order_by(
            sa.case((_unfinished(), 0), else_=1),
            CaseReview.requested_on.desc(),
            Case.ref,
            CaseReview.id,
        )
    )
    with store.session() as session:
        return [
            ReviewView(
                id=r.id,
                case_ref=ref,
                district=District(r.district),
                requested_on=r.requested_on,
                requested_by=r.requested_by,
                qualifying_reports=r.qualifying_reports,
                threshold_met=r.threshold_met,
                decision=ReviewDecision(r.decision),
                decided_on=r.decided_on,
                decision_reason=r.decision_reason,
                meeting_on=r.meeting_on,
                outcome=r.outcome,
                outcome_on=r.outcome_on,
            )
            for r, ref in session.execute(query).all()
        ]


@permits(Permission.READ_OVERVIEWS)
def reviews(store: Store, district: District | None = None) -> list[ReviewView]:
    """Case reviews (of one district, or all): those in progress first, then newest."""
    return _views(store, *(() if district is None else (CaseReview.district == district,)))


@permits(Permission.READ_CASES)
def case_reviews(store: Store, ref: str) -> list[ReviewView]:
    """The reviews of one case: one in progress first, then newest."""
    with store.session() as session:
        case_id = _readable_case(session, store, ref).id
    return _views(store, CaseReview.case_id == case_id)


@permits(Permission.READ_CASES)
def review_in_progress(store: Store, ref: str) -> ReviewView | None:
    """The case's review that waits for a next step, if there is one."""
    return next((r for r in case_reviews(store, ref) if not r.finished), None)


def _review_to_work(session: Session, store: Store,
                    review_id: str) -> tuple[CaseReview, Actor, str]:
    """The review, the actor (if they may act in its district) and the case's ref."""
    review = session.get(CaseReview, review_id)
    if review is None or review.deleted:
        raise NotFound(f"There is no case review {review_id}.")
    actor = current(store)
    require_district(actor, review.district, "record case reviews")
    case = session.get(Case, review.case_id)
    return review, actor, case.ref if case else ""


def _audit(session: Session, store: Store, actor: Actor, review: CaseReview, ref: str,
           detail: str, action: audit.AuditAction = audit.AuditAction.CHANGE) -> None:
    audit.record(session, store, actor, action, "case review", review.id, case_ref=ref,
                 detail=detail)


def _parse_decision(value: ReviewDecision | str) -> ReviewDecision:
    text = str(value.value if isinstance(value, ReviewDecision) else value or "").strip().lower()
    for decision in (ReviewDecision.REVIEW, ReviewDecision.NO_REVIEW):
        if text in (decision.value, decision.value.replace("_", " ")):
            return decision
    raise InvalidInput("Choose the decision: review or no_review.", "decision")


@permits(Permission.SOLVE_PROBLEMS)
def request_review(
    store: Store,
    ref: str,
    requested_on: date,
    requested_by: str,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    today: date | None = None,
) -> str:
    """Record an application for an ASB Case Review; returns the review's id.

    The qualifying reports are counted as they stand on ``requested_on``, and kept with
    the review, so later reports do not change what the application had.
    """
    threshold = check_threshold(threshold, requested_on)
    today = today or london_today()
    if requested_on > today:
        raise InvalidInput("An application cannot be dated in the future.", "requested_on")
    by = required_text(requested_by, "requested_by", "Who applied", NAME_MAX)
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref)
        require_district(actor, case.district, "record case reviews")
        open_review = session.exec(
            select(CaseReview).where(
                CaseReview.case_id == case.id, ~CaseReview.deleted, _unfinished()
            )
        ).first()
        if open_review is not None:
            raise InvalidInput(
                f"{case.ref} already has a case review in progress (applied for "
                f"{format_date(open_review.requested_on)}): record its next step first.",
                None,
            )
        count = len(_qualifying(session, case.id, requested_on))
        review = CaseReview(
            case_id=case.id,
            district=case.district,
            requested_on=requested_on,
            requested_by=by,
            qualifying_reports=count,
            threshold_met=count >= threshold,
        )
        session.add(review)
        session.flush()
        _audit(session, store, actor, review, case.ref,
               f"requested; {count} qualifying reports", audit.AuditAction.CREATE)
        return review.id


@permits(Permission.SOLVE_PROBLEMS)
def decide(
    store: Store,
    review_id: str,
    decision: ReviewDecision | str,
    decided_on: date,
    reason: str = "",
    *,
    today: date | None = None,
) -> ReviewDecision:
    """Record the decision on an application: hold a review, or not (with the reason).

    Where the threshold was met the relevant bodies must decide that it is (s104(4)), so
    the only decision is to hold a review. Below it the decision is theirs (s104(5)).
    """
    chosen = _parse_decision(decision)
    why = optional_text(reason, "reason", "Reason", TEXT_MAX)
    today = today or london_today()
    with store.session() as session:
        review, actor, ref = _review_to_work(session, store, review_id)
        if ReviewDecision(review.decision) is not ReviewDecision.PENDING:
            raise InvalidInput(
                f"This application was already decided on {format_date(review.decided_on)}.",
                "decision",
            )
        if chosen is ReviewDecision.NO_REVIEW and review.threshold_met:
            raise InvalidInput(
                f"The threshold was met ({review.qualifying_reports} qualifying reports), so "
                "a review must be held (s104(4)): the decision can only be review.",
                "decision",
            )
        if chosen is ReviewDecision.NO_REVIEW and not why:
            raise InvalidInput("Give the reason for not holding a review.", "reason")
        if decided_on < review.requested_on:
            raise InvalidInput(
                f"The decision cannot be before the application "
                f"({format_date(review.requested_on)}).",
                "decided_on",
            )
        if decided_on > today:
            raise InvalidInput("A decision cannot be dated in the future.", "decided_on")
        review.decision = chosen
        review.decided_on = decided_on
        review.decision_reason = why
        session.add(review)
        _audit(session, store, actor, review, ref, f"decision: {chosen.value}")
        return chosen


@permits(Permission.SOLVE_PROBLEMS)
def record_meeting(
    store: Store, review_id: str, meeting_on: date, *, today: date | None = None
) -> date:
    """Record the date of the review meeting (held or arranged; it may be moved until the
    outcome is recorded)."""
    today = today or london_today()
    with store.session() as session:
        review, actor, ref = _review_to_work(session, store, review_id)
        if ReviewDecision(review.decision) is not ReviewDecision.REVIEW:
            raise InvalidInput("A meeting is only held once it is decided to review.", "meeting_on")
        if review.outcome_on is not None:
            raise InvalidInput("The outcome of this review is already recorded.", "meeting_on")
        if review.decided_on is not None and meeting_on < review.decided_on:
            raise InvalidInput(
                f"The meeting cannot be before the decision ({format_date(review.decided_on)}).",
                "meeting_on",
            )
        if meeting_on > today + timedelta(days=366):
            raise InvalidInput("The meeting must be within a year from today.", "meeting_on")
        review.meeting_on = meeting_on
        session.add(review)
        _audit(session, store, actor, review, ref, f"meeting on {meeting_on.isoformat()}")
        return meeting_on


@permits(Permission.SOLVE_PROBLEMS)
def record_outcome(
    store: Store, review_id: str, outcome: str, outcome_on: date, *, today: date | None = None
) -> date:
    """Record what the review concluded (its recommendations) and when."""
    text = required_text(outcome, "outcome", "Outcome", TEXT_MAX)
    today = today or london_today()
    with store.session() as session:
        review, actor, ref = _review_to_work(session, store, review_id)
        if ReviewDecision(review.decision) is not ReviewDecision.REVIEW:
            raise InvalidInput("Only a review that was held has an outcome.", "outcome")
        if review.outcome_on is not None:
            raise InvalidInput(
                f"The outcome was already recorded on {format_date(review.outcome_on)}.",
                "outcome",
            )
        if review.meeting_on is None:
            raise InvalidInput("Record the review meeting first.", "outcome_on")
        if outcome_on < review.meeting_on:
            raise InvalidInput(
                f"The outcome cannot be before the meeting ({format_date(review.meeting_on)}).",
                "outcome_on",
            )
        if outcome_on > today:
            raise InvalidInput("An outcome cannot be dated in the future.", "outcome_on")
        review.outcome = text
        review.outcome_on = outcome_on
        session.add(review)
        _audit(session, store, actor, review, ref, "outcome recorded")
        return outcome_on


__all__ = [
    "DEFAULT_THRESHOLD",
    "QualifyingReport",
    "ReviewStep",
    "ReviewView",
    "ThresholdStatus",
    "application_deadline",
    "application_months",
    "case_reviews",
    "cases_meeting_threshold",
    "complaint_deadline",
    "complaint_months",
    "decide",
    "meeting_query",
    "qualifying_reports",
    "record_meeting",
    "record_outcome",
    "request_review",
    "review_in_progress",
    "reviews",
    "threshold_range",
    "threshold_status",
]
