"""Enforcement actions: start a power, record each step, and keep every deadline.

Each step is checked against the Act before anything is written (a refused step changes
nothing), then recorded with its time, authority and documents; the deadlines it meets
are completed, those it replaces are superseded, and the new ones it sets are added.
The case keeps its nearest open deadline for the queue. Limits come from
:mod:`asbtui.services.rules` as in force on the day the action started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from asbtui.dates import (
    format_date,
    format_datetime,
    format_time_left,
    real_wall_time,
    to_london,
    utc_now,
)
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    ActionStep,
    Authority,
    Case,
    Deadline,
    DeadlineStatus,
    District,
    EnforcementAction,
    Party,
    Power,
    Pspo,
    PspoExtension,
)
from asbtui.services import audit, periods, powers
from asbtui.services.access import (
    Permission,
    current,
    ensure_readable,
    permits,
    require_district,
)
from asbtui.services.cases import load_case, optional_text, parse_district, required_text
from asbtui.services.powers import Stage
from asbtui.services.rules import rule, value

if TYPE_CHECKING:
    from asbtui.db import Store

FUTURE_GRACE = timedelta(minutes=5)


@dataclass
class StepInput:
    """What an officer records for one step."""

    occurred_at: datetime
    authority: Authority | str | None = None
    authorised_by: str = ""
    ends_at: datetime | None = None
    documents: str = ""
    notes: str = ""
    late_reason: str = ""
    """Why a deadline this step meets was missed, when the step comes after it passed."""


@dataclass
class NewAction:
    """What starting an action needs besides its first step."""

    power: Power | str
    stage: str | None = None
    subject_party_id: str | None = None
    concerns: str = ""
    conduct: str = ""
    pspo_id: str | None = None
    parent_action_id: str | None = None


@dataclass(frozen=True)
class NewDeadline:
    kind: str
    label: str
    due_at: datetime
    source: str


@dataclass
class _Context:
    session: Session
    case: Case
    action: EnforcementAction
    steps: list[ActionStep]
    stage: Stage
    step: StepInput
    authority: Authority | None
    now: datetime
    subject: Party | None
    rules_on: date
    new_deadlines: list[NewDeadline] = field(default_factory=list)

    @property
    def at(self) -> datetime:
        return self.step.occurred_at

    def first(self, stage_key: str) -> ActionStep | None:
        return next((s for s in self.steps if s.stage == stage_key), None)

    def last(self, *stage_keys: str) -> ActionStep | None:
        found = [s for s in self.steps if s.stage in stage_keys]
        return found[-1] if found else None

    def open_deadline(self, kind: str) -> Deadline | None:
        return self.session.exec(
            select(Deadline).where(
                Deadline.action_id == self.action.id,
                Deadline.kind == kind,
                Deadline.status == DeadlineStatus.OPEN,
            )
        ).first()

    def age_on(self, day: date) -> int | None:
        dob = self.subject.date_of_birth if self.subject else None
        if dob is None:
            return None
        return relativedelta(day, dob).years

    def set(self, kind: str, label: str, due_at: datetime | None, source: str) -> None:
        if due_at is not None:
            self.new_deadlines.append(NewDeadline(kind, label, due_at, source))


def _when(moment: datetime) -> str:
    return format_datetime(moment)


def _hours_text(hours: float) -> str:
    whole = int(hours)
    minutes = round((hours - whole) * 60)
    return f"{whole}h {minutes:02d}m" if minutes else f"{whole} hours"


def _months_text(months: int) -> str:
    """12 -> '1 year', 36 -> '3 years', 18 -> '18 months'."""
    if months % 12:
        return f"{months} month" + ("s" if months != 1 else "")
    years = months // 12
    return f"{years} year" + ("s" if years != 1 else "")


def _months_range_text(least: int, most: int) -> str:
    """12, 36 -> '1 to 3 years'; in months when either is not whole years."""
    if least % 12 == 0 and most % 12 == 0:
        return f"{least // 12} to {most // 12} years"
    return f"{least} to {most} months"


# ------------------------------------------------------------------ checks and deadlines
# One function per (power, stage) that needs more than the table in powers.py: it raises
# InvalidInput to refuse the step, and calls ctx.set(...) for each deadline it sets.

Rule = Callable[[_Context], None]
RULES: dict[tuple[Power, str], Rule] = {}


def _rule(power: Power, *stages: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for key in stages:
            RULES[(power, key)] = fn
        return fn

    return register


@_rule(Power.WARNING_LETTER, "issued")
def _warning(ctx: _Context) -> None:
    due = ctx.step.ends_at or periods.end_of_day(
        to_london(ctx.at).date() + timedelta(days=value("warning_review_days", ctx.rules_on))
    )
    ctx.set("warning_review", "Review the warning letter", due, "local policy")


@_rule(Power.ABC, "signed", "reviewed")
def _abc(ctx: _Context) -> None:
    months = value("abc_review_months", ctx.rules_on)
    due = ctx.step.ends_at or periods.end_of_day(
        to_london(periods.add_months(ctx.at, months)).date()
    )
    ctx.set("abc_review", "Review the Acceptable Behaviour Contract", due, "local policy")


@_rule(Power.CPW, "issued")
def _cpw(ctx: _Context) -> None:
    if not ctx.action.conduct.strip():
        raise InvalidInput("Describe the conduct the warning is about.", "conduct")
    ctx.set(
        "cpw_compliance",
        "Comply with the Community Protection Warning",
        ctx.step.ends_at,
        "ABCPA s43(5)",
    )


@_rule(Power.CPW, "not_complied")
def _cpw_not_complied(ctx: _Context) -> None:
    given = ctx.first("issued")
    if given and given.ends_at and ctx.at < given.ends_at:
        raise InvalidInput(
            f"The time given to comply runs until {_when(given.ends_at)}; the warning "
            "cannot be found ignored before then (s43(5)(b)).",
            "occurred_at",
        )


def _same(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


@_rule(Power.CPN, "issued")
def _cpn(ctx: _Context) -> None:
    action = ctx.action
    if not action.conduct.strip():
        raise InvalidInput("Describe the conduct the notice is about.", "conduct")
    warnings = ctx.session.exec(
        select(EnforcementAction).where(
            EnforcementAction.case_id == ctx.case.id,
            EnforcementAction.power == Power.CPW,
            ~EnforcementAction.deleted,
        )
    ).all()

    def ignored(cpw: EnforcementAction) -> bool:
        if cpw.started_at >= ctx.at:
            return False
        same_person = (
            cpw.subject_party_id == action.subject_party_id
            if action.subject_party_id
            else _same(cpw.concerns, action.concerns)
        )
        if not same_person or not _same(cpw.conduct, action.conduct):
            return False
        if cpw.stage == "not_complied":
            return True
        return cpw.stage == "issued" and cpw.ends_at is not None and cpw.ends_at <= ctx.at

    if not any(ignored(cpw) for cpw in warnings):
        raise InvalidInput(
            "A CPN needs an earlier written warning (CPW) to the same person about the "
            "same conduct, with the time to comply run out or the warning ignored (s43(5)).",
            "power",
        )
    minimum = value("cpn_min_age", ctx.rules_on)
    age = ctx.age_on(to_london(ctx.at).date())
    if age is not None and age < minimum:
        raise InvalidInput(
            f"A CPN can only be issued to someone aged {minimum} or over (s43(1)); they are {age}.",
            "power",
        )
    days = value("cpn_appeal_days", ctx.rules_on)
    ctx.set(
        "cpn_appeal",
        f"CPN appeal window closes ({days} days)",
        periods.within_days_beginning_with(ctx.at, days),
        "ABCPA s46(2)",
    )
    ctx.set(
        "cpn_compliance",
        "Comply with the Community Protection Notice",
        ctx.step.ends_at,
        "ABCPA s43(8)",
    )


@_rule(Power.CPN, "appealed")
def _cpn_appeal(ctx: _Context) -> None:
    issued = ctx.first("issued")
    assert issued is not None
    closes = periods.within_days_beginning_with(
        issued.occurred_at, value("cpn_appeal_days", ctx.rules_on)
    )
    if ctx.at >= periods.next_midnight(closes):
        raise InvalidInput(f"The appeal window (s46(2)) closed at {_when(closes)}.", "occurred_at")


@_rule(Power.FPN, "issued")
def _fpn(ctx: _Context) -> None:
    parent = (
        ctx.session.get(EnforcementAction, ctx.action.parent_action_id)
        if ctx.action.parent_action_id
        else None
    )
    breach_of_cpn = parent is not None and parent.power == Power.CPN and parent.stage == "breached"
    breach_of_pspo = parent is not None and parent.power == Power.PSPO_BREACH
    if parent is None or parent.case_id != ctx.case.id or not (breach_of_cpn or breach_of_pspo):
        raise InvalidInput(
            "A fixed penalty is given for a breach of a CPN (s52) or of a PSPO (s68): "
            "record the breach first and choose it.",
            "parent_action_id",
        )
    breach_steps = ctx.session.exec(
        select(ActionStep).where(
            ActionStep.action_id == parent.id, ActionStep.stage.in_(("breached", "recorded"))
        )
    ).all()
    breach_at = max(step.occurred_at for step in breach_steps)
    if ctx.at < breach_at:
        raise InvalidInput(
            f"A fixed penalty cannot be dated before the breach it is for ({_when(breach_at)}).",
            "occurred_at",
        )
    days = value("fpn_payment_days", ctx.rules_on)
    ctx.set(
        "fpn_payment",
        f"Fixed penalty to be paid ({days} days following)",
        periods.days_following(ctx.at, days),
        "ABCPA s52(5), s68(4)",
    )


@_rule(Power.FPN, "prosecution")
def _fpn_prosecution(ctx: _Context) -> None:
    issued = ctx.first("issued")
    assert issued is not None
    days = value("fpn_payment_days", ctx.rules_on)
    ends = periods.days_following(issued.occurred_at, days)
    if ctx.at < periods.next_midnight(ends):
        raise InvalidInput(
            f"No proceedings may be taken before the end of the {days} days following the "
            f"notice (s52(5)): that is after {_when(ends)}.",
            "occurred_at",
        )


def _within_hours(ctx: _Context, hours_key: str, what: str, source: str) -> None:
    limit = value(hours_key, ctx.rules_on)
    assert ctx.step.ends_at is not None
    hours = periods.hours_between(ctx.at, ctx.step.ends_at)
    if hours > limit:
        raise InvalidInput(
            f"{what} lasts at most {limit} hours ({source}); this would be {_hours_text(hours)}.",
            "ends_at",
        )


@_rule(Power.DISPERSAL, "authorised")
def _dispersal_authorised(ctx: _Context) -> None:
    _within_hours(ctx, "dispersal_authorisation_max_hours", "A dispersal authorisation", "s34(2)")
    ctx.set(
        "dispersal_authorisation", "Dispersal authorisation ends", ctx.step.ends_at, "ABCPA s34(2)"
    )


@_rule(Power.DISPERSAL, "direction_given")
def _dispersal_direction(ctx: _Context) -> None:
    authorised = ctx.first("authorised")
    assert authorised is not None and authorised.ends_at is not None
    if not (authorised.occurred_at <= ctx.at <= authorised.ends_at):
        raise InvalidInput(
            f"A direction can only be given while the authorisation is in force "
            f"({_when(authorised.occurred_at)} to {_when(authorised.ends_at)}).",
            "occurred_at",
        )
    _within_hours(ctx, "dispersal_exclusion_max_hours", "An exclusion", "s35(4)")
    minimum = value("dispersal_min_age", ctx.rules_on)
    age = ctx.age_on(to_london(ctx.at).date())
    if age is not None and age < minimum:
        raise InvalidInput(
            f"No direction may be given to a person under {minimum} (s36(1)).", "occurred_at"
        )
    ctx.set("dispersal_exclusion", "Exclusion from the area ends", ctx.step.ends_at, "ABCPA s35(4)")


@_rule(Power.CIVIL_INJUNCTION, "granted", "varied")
def _injunction(ctx: _Context) -> None:
    granted = ctx.first("granted")
    start = granted.occurred_at if granted else ctx.at
    age = ctx.age_on(to_london(start).date())
    minimum = value("injunction_min_age", ctx.rules_on)
    if age is not None and age < minimum:
        raise InvalidInput(
            f"An injunction can only be granted against a person aged {minimum} or over "
            f"(s1(1)); they were {age}.",
            "occurred_at",
        )
    adult = value("adult_age", ctx.rules_on)
    if age is not None and age < adult:
        months = value("injunction_youth_max_months", ctx.rules_on)
        latest = periods.add_months(start, months)
        if ctx.step.ends_at is None:
            raise InvalidInput(
                f"An injunction against someone under {adult} must say when it ends (s1(6)).",
                "ends_at",
            )
        if ctx.step.ends_at > latest:
            raise InvalidInput(
                f"An injunction against someone under {adult} lasts at most "
                f"{months} months (s1(6)): until {_when(latest)} at the latest.",
                "ends_at",
            )
    ctx.set("injunction_expiry", "Injunction ends", ctx.step.ends_at, "ABCPA s1(6)")


def _cbo_reviews(ctx: _Context, period_start: date, ends_at: datetime | None) -> None:
    """Set the next under-18 review if the offender will be under 18 at its end."""
    months = value("cbo_youth_review_months", ctx.rules_on)
    review_day = period_start + relativedelta(months=months) - timedelta(days=1)
    due = periods.end_of_day(review_day)
    age = ctx.age_on(review_day)
    adult = value("adult_age", ctx.rules_on)
    if age is not None and age < adult and (ends_at is None or ends_at >= due):
        ctx.set(
            "cbo_review",
            f"Review of an under-{adult} CBO due",
            due,
            rule("cbo_youth_review_months", ctx.rules_on).source,
        )


@_rule(Power.CBO, "made", "varied")
def _cbo(ctx: _Context) -> None:
    made = ctx.first("made")
    start = made.occurred_at if made else ctx.at
    age = ctx.age_on(to_london(start).date())
    ends = ctx.step.ends_at
    source = rule("cbo_adult_min_months", ctx.rules_on).source
    if age is None:
        raise InvalidInput(
            "Record the person's date of birth first: a CBO's length depends on "
            "their age when it is made.",
            "power",
        )
    adult = value("adult_age", ctx.rules_on)
    if age < adult:
        least_months = value("cbo_youth_min_months", ctx.rules_on)
        most_months = value("cbo_youth_max_months", ctx.rules_on)
        least = periods.add_months(start, least_months)
        most = periods.add_months(start, most_months)
        if ends is None or not (least <= ends <= most):
            raise InvalidInput(
                f"A CBO made on someone under {adult} lasts "
                f"{_months_range_text(least_months, most_months)} ({source}): "
                f"end between {format_date(least)} and {format_date(most)}.",
                "ends_at",
            )
    elif ends is not None:
        least_months = value("cbo_adult_min_months", ctx.rules_on)
        least = periods.add_months(start, least_months)
        if ends < least:
            raise InvalidInput(
                f"A CBO made on an adult lasts at least {_months_text(least_months)}, or "
                "indefinitely "
                f"({source}): end on or after {format_date(least)}, or leave "
                "it blank.",
                "ends_at",
            )
    ctx.set("cbo_expiry", "Criminal Behaviour Order ends", ends, source)
    _cbo_reviews(ctx, to_london(ctx.at).date(), ends)


@_rule(Power.CBO, "reviewed")
def _cbo_reviewed(ctx: _Context) -> None:
    current = ctx.open_deadline("cbo_review")
    if current is None:
        return
    next_start = to_london(current.due_at).date() + timedelta(days=1)
    _cbo_reviews(ctx, next_start, ctx.action.ends_at)


def _notice_issued(ctx: _Context) -> ActionStep:
    issued = ctx.first("notice_issued")
    assert issued is not None
    return issued


@_rule(Power.CLOSURE, "notice_issued")
def _closure_notice(ctx: _Context) -> None:
    assert ctx.step.ends_at is not None
    senior = ctx.authority in powers.SUPERINTENDENT_OR_ABOVE | {Authority.COUNCIL_CHIEF_EXECUTIVE}
    if senior:
        limit = value("closure_notice_senior_max_hours", ctx.rules_on)
        hours = periods.hours_between(ctx.at, ctx.step.ends_at, disregard_christmas=True)
        if hours > limit:
            raise InvalidInput(
                f"A closure notice lasts at most {limit} hours, Christmas Day disregarded "
                f"(s77(2)-(3)); this would be {_hours_text(hours)}.",
                "ends_at",
            )
    else:
        limit = value("closure_notice_max_hours", ctx.rules_on)
        hours = periods.hours_between(ctx.at, ctx.step.ends_at)
        if hours > limit:
            raise InvalidInput(
                f"A closure notice signed by an inspector or council officer lasts at most "
                f"{limit} hours (s77(1)); a superintendent or the council's chief executive "
                f"can sign for up to "
                f"{value('closure_notice_senior_max_hours', ctx.rules_on)}. "
                f"This would be {_hours_text(hours)}.",
                "ends_at",
            )
    ctx.set("closure_notice_expiry", "Closure notice ends", ctx.step.ends_at, "ABCPA s77")
    hearing_hours = value("closure_hearing_hours", ctx.rules_on)
    ctx.set(
        "closure_hearing",
        f"Closure order application heard (within {hearing_hours}h of service)",
        periods.add_hours(ctx.at, hearing_hours, disregard_christmas=True),
        "ABCPA s80(3)-(4)",
    )


@_rule(Power.CLOSURE, "notice_extended")
def _closure_extension(ctx: _Context) -> None:
    issued = _notice_issued(ctx)
    assert ctx.step.ends_at is not None
    current = ctx.action.ends_at
    if current is not None and ctx.at >= current:
        raise InvalidInput(
            f"The notice ended at {_when(current)}; an ended notice cannot be extended.",
            "occurred_at",
        )
    limit = value("closure_notice_senior_max_hours", ctx.rules_on)
    hours = periods.hours_between(issued.occurred_at, ctx.step.ends_at, disregard_christmas=True)
    if hours > limit:
        raise InvalidInput(
            f"A closure notice cannot be in force for more than {limit} hours in all, "
            f"Christmas Day disregarded (s77); this would be {_hours_text(hours)}.",
            "ends_at",
        )
    if current is not None:
        most = value("closure_extension_notice_max_hours", ctx.rules_on)
        extra = periods.hours_between(current, ctx.step.ends_at)
        if extra > most:
            raise InvalidInput(
                f"An extension notice adds at most {most} hours (s77(4)); this "
                f"would add {_hours_text(extra)}.",
                "ends_at",
            )
    ctx.set(
        "closure_notice_expiry", "Closure notice ends (extended)", ctx.step.ends_at, "ABCPA s77"
    )


@_rule(Power.CLOSURE, "hearing_adjourned")
def _closure_adjourned(ctx: _Context) -> None:
    assert ctx.step.ends_at is not None
    days = value("closure_adjournment_max_days", ctx.rules_on)
    latest = periods.add_days_london(ctx.at, days)
    if ctx.step.ends_at > latest:
        raise InvalidInput(
            f"The court may adjourn for at most {days} days (s81(3)): to "
            f"{_when(latest)} at the latest.",
            "ends_at",
        )
    ctx.set(
        "closure_adjourned_hearing", "Adjourned closure hearing", ctx.step.ends_at, "ABCPA s81(3)"
    )
    ctx.set(
        "closure_notice_expiry",
        "Closure notice ends (continued to the hearing)",
        ctx.step.ends_at,
        "ABCPA s81(4)",
    )


@_rule(Power.CLOSURE, "notice_continued")
def _closure_continued(ctx: _Context) -> None:
    _within_hours(ctx, "closure_continuation_max_hours", "A court's continuation of a notice",
                  "s81(2)")
    ctx.set(
        "closure_notice_expiry",
        "Closure notice ends (continued by the court)",
        ctx.step.ends_at,
        "ABCPA s81(2)",
    )
    ctx.set(
        "closure_adjourned_hearing", "Closure order decision due", ctx.step.ends_at, "ABCPA s81(2)"
    )


@_rule(Power.CLOSURE, "order_granted")
def _closure_order(ctx: _Context) -> None:
    assert ctx.step.ends_at is not None
    months = value("closure_order_max_months", ctx.rules_on)
    latest = periods.add_months(ctx.at, months)
    if ctx.step.ends_at > latest:
        raise InvalidInput(
            f"A closure order lasts at most {months} months (s80(6)): until "
            f"{_when(latest)} at the latest.",
            "ends_at",
        )
    ctx.set("closure_order_expiry", "Closure order ends", ctx.step.ends_at, "ABCPA s80(6)")


@_rule(Power.CLOSURE, "order_extended")
def _closure_order_extended(ctx: _Context) -> None:
    assert ctx.step.ends_at is not None
    granted = ctx.first("order_granted")
    assert granted is not None
    current = ctx.action.ends_at
    if current is not None and ctx.at >= current:
        raise InvalidInput(
            f"The order ended at {_when(current)}; an ended order cannot be extended (s82).",
            "occurred_at",
        )
    step_months = value("closure_extension_max_months", ctx.rules_on)
    if current is not None and ctx.step.ends_at > periods.add_months(current, step_months):
        raise InvalidInput(
            f"An extension is for at most {_months_text(step_months)} (s82(7)).", "ends_at"
        )
    total = value("closure_order_total_max_months", ctx.rules_on)
    latest = periods.add_months(granted.occurred_at, total)
    if ctx.step.ends_at > latest:
        raise InvalidInput(
            f"A closure order may not last more than {total} months in all "
            f"(s82(8)): until {_when(latest)} at the latest.",
            "ends_at",
        )
    ctx.set("closure_order_expiry", "Closure order ends (extended)", ctx.step.ends_at, "ABCPA s82")


def _expired(what: str, early_end: str) -> Rule:
    """An order is recorded as expired only once its end has come; an early end is the
    court's decision (discharge or variation), recorded as that step."""

    def check(ctx: _Context) -> None:
        ends = ctx.action.ends_at
        if ends is None:
            raise InvalidInput(
                f"This {what} has no end date, so it cannot expire: if the court ended it, "
                f"record that as {early_end}.",
                "stage",
            )
        if ctx.at < ends:
            raise InvalidInput(
                f"The {what} runs until {_when(ends)}; it cannot be recorded as expired "
                f"before then. If the court ended it early, record that as {early_end}.",
                "occurred_at",
            )

    return check


RULES[(Power.CBO, "expired")] = _expired(
    "criminal behaviour order", "'Discharged' (or 'Varied' to a new end)"
)
RULES[(Power.CIVIL_INJUNCTION, "expired")] = _expired(
    "injunction", "'Discharged' (or 'Varied' to a new end)"
)
RULES[(Power.CLOSURE, "order_expired")] = _expired(
    "closure order", "'Closure order discharged' (s83)"
)


@_rule(Power.PSPO_BREACH, "recorded")
def _pspo_breach(ctx: _Context) -> None:
    pspo = ctx.session.get(Pspo, ctx.action.pspo_id) if ctx.action.pspo_id else None
    if pspo is None:
        raise InvalidInput("Choose the PSPO that was breached.", "pspo_id")
    day = to_london(ctx.at).date()
    if not (pspo.made_on <= day <= pspo.expires_on):
        raise InvalidInput(
            f"That PSPO was not in force on {format_date(day)} "
            f"({format_date(pspo.made_on)} to {format_date(pspo.expires_on)}).",
            "pspo_id",
        )


# ------------------------------------------------------------------ recording steps


def _check_common(ctx: _Context) -> None:
    stage, step = ctx.stage, ctx.step
    if step.occurred_at.tzinfo is None:
        raise InvalidInput("Give the time of the step.", "occurred_at")
    real_wall_time(step.occurred_at, "occurred_at")
    if step.ends_at is not None:
        if step.ends_at.tzinfo is None:
            raise InvalidInput(f"Give the time for '{stage.ends_label or 'Ends'}'.", "ends_at")
        real_wall_time(step.ends_at, "ends_at")
    if step.occurred_at > ctx.now + FUTURE_GRACE:
        raise InvalidInput(
            "A step that has been done cannot be dated in the future.", "occurred_at"
        )
    previous = ctx.steps[-1] if ctx.steps else None
    if previous is not None and step.occurred_at < previous.occurred_at:
        what = "A court's decision" if stage.court else "This step"
        previous_label = powers.stage(Power(ctx.action.power), previous.stage).label.lower()
        raise InvalidInput(
            f"{what} cannot be dated before the step before it "
            f"({previous_label}, {_when(previous.occurred_at)}).",
            "occurred_at",
        )
    if stage.authorities != powers.ANYONE:
        if ctx.authority is None:
            raise InvalidInput("Say who authorised this step (rank or role).", "authority")
        if ctx.authority not in stage.authorities:
            allowed = ", ".join(a.label.lower() for a in Authority if a in stage.authorities)
            raise InvalidInput(
                f"{stage.label} needs one of: {allowed}; not {ctx.authority.label.lower()}.",
                "authority",
            )
    if stage.ends_required and step.ends_at is None:
        raise InvalidInput(f"Give the date and time for '{stage.ends_label}'.", "ends_at")
    if step.ends_at is not None and step.ends_at <= step.occurred_at:
        raise InvalidInput(
            f"'{stage.ends_label or 'Ends'}' must be after the step itself.", "ends_at"
        )


def _authority(value_: Authority | str | None) -> Authority | None:
    if value_ is None or value_ == "":
        return None
    if isinstance(value_, Authority):
        return value_
    try:
        return Authority(str(value_).strip().lower().replace(" ", "_"))
    except ValueError:
        raise InvalidInput(f"'{value_}' is not a rank or role I know.", "authority") from None


def _apply(session: Session, ctx: _Context) -> ActionStep:
    """Checks first (nothing written if refused), then the step and its deadlines."""
    _check_common(ctx)
    check = RULES.get((Power(ctx.action.power), ctx.stage.key))
    if check is not None:
        check(ctx)
    for new in ctx.new_deadlines:
        if new.due_at < ctx.at:
            raise AssertionError(f"deadline {new.kind} precedes the step that sets it")
    open_rows = session.exec(
        select(Deadline).where(
            Deadline.action_id == ctx.action.id, Deadline.status == DeadlineStatus.OPEN
        )
    ).all()
    replaced_kinds = set(ctx.stage.supersedes) | {d.kind for d in ctx.new_deadlines}
    changes: list[tuple[Deadline, DeadlineStatus]] = []
    for row in open_rows:
        if ctx.stage.closes or row.kind in ctx.stage.completes:
            changes.append((row, DeadlineStatus.COMPLETED))
        elif row.kind in replaced_kinds:
            changes.append((row, DeadlineStatus.SUPERSEDED))
    late = [row for row, _ in changes if _met_late(row, ctx.at)]
    reason = optional_text(ctx.step.late_reason, "late_reason", "Why it was missed", 1000)
    if late and not reason:
        first = late[0]
        raise InvalidInput(
            f"'{first.label}' was due by {_when(first.due_at)} ({first.source}); this step "
            f"comes {format_time_left(ctx.at - first.due_at)} after it. It will be recorded "
            "as missed (met late): say why it was missed.",
            "late_reason",
        )
    step = ActionStep(
        action_id=ctx.action.id,
        case_id=ctx.case.id,
        stage=ctx.stage.key,
        occurred_at=ctx.at,
        authorised_by=optional_text(ctx.step.authorised_by, "authorised_by", "Authorised by", 120),
        authority=ctx.authority,
        documents=optional_text(ctx.step.documents, "documents", "Documents", 500),
        notes=optional_text(ctx.step.notes, "notes", "Notes", 4000),
        ends_at=ctx.step.ends_at,
    )
    session.add(ctx.action)
    session.flush()
    session.add(step)
    session.flush()
    now = ctx.now
    done = ctx.stage.label
    if ctx.stage.ends_label and ctx.step.ends_at is not None:
        done = f"{done}: {ctx.stage.ends_label.lower()} {_when(ctx.step.ends_at)}"
    for row, status in changes:
        if row in late:
            row.status, row.met_at = DeadlineStatus.MISSED, ctx.at
            row.resolution = f"{reason} (met late: {ctx.stage.label.lower()}, {_when(ctx.at)})"
        else:
            row.status, row.resolution = status, done
        row.resolved_at = now
        session.add(row)
    for new in ctx.new_deadlines:
        session.add(
            Deadline(
                case_id=ctx.case.id,
                action_id=ctx.action.id,
                step_id=step.id,
                district=ctx.case.district,
                kind=new.kind,
                label=new.label,
                due_at=new.due_at,
                source=new.source,
            )
        )
    ctx.action.stage = ctx.stage.key
    ctx.action.closed = ctx.stage.closes
    if ctx.stage.ends_label and ctx.step.ends_at is not None:
        ctx.action.ends_at = ctx.step.ends_at
    session.flush()
    ctx.action.next_deadline_at = _nearest(session, Deadline.action_id == ctx.action.id)
    ctx.case.next_deadline_at = _nearest(session, Deadline.case_id == ctx.case.id)
    session.add(ctx.action)
    session.add(ctx.case)
    return step


def _met_late(row: Deadline, at: datetime) -> bool:
    """A duty's deadline (a hearing, a review) met at ``at``, a minute or more after it."""
    return row.kind in powers.DUTIES and at - row.due_at >= timedelta(minutes=1)


def _nearest(session: Session, where: sa.ColumnElement[bool]) -> datetime | None:
    return session.exec(
        select(sa.func.min(Deadline.due_at)).where(
            where, Deadline.status == DeadlineStatus.OPEN, ~Deadline.deleted
        )
    ).one()


@permits(Permission.WORK_CASES)
def start_action(
    store: Store, ref: str, new: NewAction, step: StepInput, *, now: datetime | None = None
) -> str:
    """Start an enforcement action on a case with its first step; returns the action id."""
    try:
        power = Power(str(new.power))
    except ValueError:
        raise InvalidInput(f"'{new.power}' is not a power I know.", "power") from None
    firsts = powers.first_stages(power)
    stage = next((s for s in firsts if s.key == new.stage), None) if new.stage else firsts[0]
    if stage is None:
        raise InvalidInput(
            f"{power.label} cannot start at '{new.stage}'; it starts with: "
            + ", ".join(s.label.lower() for s in firsts)
            + ".",
            "stage",
        )
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref)
        require_district(actor, case.district, "use powers")
        subject = None
        if new.subject_party_id:
            subject = session.get(Party, new.subject_party_id)
            if subject is None or subject.case_id != case.id:
                raise InvalidInput("That person is not on this case.", "subject_party_id")
        concerns = optional_text(new.concerns, "concerns", "Concerns", 300) or (
            subject.name if subject else ""
        )
        if not concerns and power not in (Power.DISPERSAL, Power.PSPO_BREACH):
            raise InvalidInput("Say which person or premises this concerns.", "concerns")
        action = EnforcementAction(
            case_id=case.id,
            power=power,
            stage=stage.key,
            started_at=step.occurred_at,
            concerns=concerns,
            conduct=optional_text(new.conduct, "conduct", "Conduct", 1000),
            subject_party_id=subject.id if subject else None,
            pspo_id=new.pspo_id or None,
            parent_action_id=new.parent_action_id or None,
            notes="",
        )
        ctx = _Context(
            session,
            case,
            action,
            [],
            stage,
            step,
            _authority(step.authority),
            now or utc_now(),
            subject,
            to_london(step.occurred_at).date(),
        )
        made = _apply(session, ctx)
        audit.record(session, store, actor, audit.AuditAction.CREATE, "action", action.id,
                     case_ref=case.ref, detail=f"{power.value}: {stage.key}")
        audit.record(session, store, actor, audit.AuditAction.CREATE, "action step", made.id,
                     case_ref=case.ref, detail=f"{power.value}: {stage.key}")
        return action.id


@permits(Permission.WORK_CASES)
def record_step(
    store: Store, action_id: str, stage_key: str, step: StepInput, *, now: datetime | None = None
) -> str:
    """Record the next step of an action; returns the step id."""
    with store.session() as session:
        action = session.get(EnforcementAction, action_id)
        if action is None or action.deleted:
            raise NotFound("There is no such enforcement action.")
        power = Power(action.power)
        allowed = powers.next_stages(power, action.stage, action.closed)
        stage = next((s for s in allowed if s.key == stage_key), None)
        if stage is None:
            now_at = powers.stage(power, action.stage).label.lower()
            if action.closed:
                raise InvalidInput(f"This {power.label} has ended ({now_at}).", "stage")
            names = ", ".join(s.label.lower() for s in allowed) or "nothing"
            raise InvalidInput(f"After '{now_at}' the next step can be: {names}.", "stage")
        case = session.get(Case, action.case_id)
        assert case is not None
        actor = current(store)
        require_district(actor, case.district, "use powers")
        steps = list(
            session.exec(
                select(ActionStep)
                .where(ActionStep.action_id == action.id)
                .order_by(ActionStep.occurred_at)
            ).all()
        )
        subject = session.get(Party, action.subject_party_id) if action.subject_party_id else None
        ctx = _Context(
            session,
            case,
            action,
            steps,
            stage,
            step,
            _authority(step.authority),
            now or utc_now(),
            subject,
            to_london(action.started_at).date(),
        )
        made = _apply(session, ctx)
        audit.record(session, store, actor, audit.AuditAction.CREATE, "action step", made.id,
                     case_ref=case.ref, detail=f"{power.value}: {stage.key}")
        return made.id


# ------------------------------------------------------------------ deadlines


@dataclass(frozen=True)
class DeadlineView:
    id: str
    district: District
    case_ref: str | None
    power: Power | None
    pspo_title: str | None
    kind: str
    label: str
    source: str
    due_at: datetime
    status: DeadlineStatus
    resolution: str
    met_at: datetime | None = None
    """When a step met it after it passed (it is then missed, met late)."""

    def time_left(self, now: datetime) -> timedelta:
        return self.due_at - now

    def overdue(self, now: datetime) -> bool:
        return self.status is DeadlineStatus.OPEN and self.due_at < now

    def minutes_overdue(self, now: datetime) -> int:
        """Whole minutes past due (0 unless overdue)."""
        return int((now - self.due_at).total_seconds() // 60) if self.overdue(now) else 0


def _deadline_select() -> sa.Select:
    return (
        sa.select(
            Deadline.id,
            Deadline.district,
            Case.ref,
            EnforcementAction.power,
            Pspo.title,
            Deadline.kind,
            Deadline.label,
            Deadline.source,
            Deadline.due_at,
            Deadline.status,
            Deadline.resolution,
            Deadline.met_at,
        )
        .outerjoin(Case, Case.id == Deadline.case_id)
        .outerjoin(EnforcementAction, EnforcementAction.id == Deadline.action_id)
        .outerjoin(Pspo, Pspo.id == Deadline.pspo_id)
        .where(~Deadline.deleted)
    )


def _view(row: sa.Row) -> DeadlineView:
    return DeadlineView(
        row[0],
        District(row[1]),
        row[2],
        Power(row[3]) if row[3] else None,
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        DeadlineStatus(row[9]),
        row[10],
        row[11],
    )


DeadlineKey = tuple[datetime, str]
"""Where a page of deadlines ends: (due, id), the order they are listed in."""


@dataclass(frozen=True)
class DeadlinePage:
    """One page of the deadlines list, with the true totals of the whole list."""

    rows: list[DeadlineView]
    total: int
    """Every open deadline due within the window, overdue ones included."""
    overdue: int
    next_key: DeadlineKey | None
    """Pass as ``after`` for the next page; None when this page is the last."""


def _due_within(days: int, now: datetime, district: District | None) -> sa.ColumnElement[bool]:
    if days < 0:
        raise InvalidInput("Days must be 0 or more.", "days")
    where = sa.and_(
        ~Deadline.deleted,
        Deadline.status == DeadlineStatus.OPEN,
        Deadline.due_at <= now + timedelta(days=days),
    )
    if district is not None:
        where = sa.and_(where, Deadline.district == district)
    return where


@permits(Permission.READ_OVERVIEWS)
def deadlines_page(
    store: Store,
    *,
    district: District | None = None,
    days: int = 14,
    now: datetime | None = None,
    after: DeadlineKey | None = None,
    limit: int = 200,
) -> DeadlinePage:
    """A page of open deadlines due within ``days`` (every overdue one), soonest first.

    Pages by key (due, id), so a page costs the same wherever it is in the list, and the
    totals count the whole list: no deadline is ever cut off unseen.
    """
    now = now or utc_now()
    if limit < 1:
        raise InvalidInput("A page holds at least one deadline.", "limit")
    where = _due_within(days, now, district)
    past_due = sa.func.coalesce(sa.func.sum(sa.case((Deadline.due_at < now, 1), else_=0)), 0)
    counts = sa.select(sa.func.count(), past_due).where(where)
    with store.engine.connect() as connection:
        rows, next_key = _page_rows(connection, where, after, limit)
        total, overdue = connection.execute(counts).one()
    return DeadlinePage(rows, int(total), int(overdue), next_key)


def _page_rows(
    connection: sa.Connection,
    where: sa.ColumnElement[bool],
    after: DeadlineKey | None,
    limit: int,
) -> tuple[list[DeadlineView], DeadlineKey | None]:
    """Up to ``limit`` deadlines after the key ``after``, and the key of the next page."""
    query = _deadline_select().where(where)
    if after is not None:
        due, key = after
        # A row value: SQLite seeks the index to it (an OR of the two would scan).
        query = query.where(sa.tuple_(Deadline.due_at, Deadline.id) > sa.tuple_(due, key))
    query = query.order_by(Deadline.due_at, Deadline.id).limit(limit + 1)
    rows = [_view(row) for row in connection.execute(query)]
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, (rows[-1].due_at, rows[-1].id)


@permits(Permission.READ_OVERVIEWS)
def upcoming_deadlines(
    store: Store,
    *,
    district: District | None = None,
    days: int = 14,
    now: datetime | None = None,
) -> list[DeadlineView]:
    """Every open deadline due within ``days`` (every overdue one included), soonest first.

    All of them, page by page: for scripts and exports. Screens page with
    :func:`deadlines_page`.
    """
    now = now or utc_now()
    where = _due_within(days, now, district)
    found: list[DeadlineView] = []
    after: DeadlineKey | None = None
    with store.engine.connect() as connection:
        while True:
            rows, after = _page_rows(connection, where, after, 1000)
            found.extend(rows)
            if after is None:
                return found


@permits(Permission.READ_CASES)
def case_deadlines(store: Store, case_id: str) -> list[DeadlineView]:
    """Every deadline of a case (open first, then by due time)."""
    _readable(store, case_id)
    query = (
        _deadline_select()
        .where(Deadline.case_id == case_id)
        .order_by(Deadline.status != DeadlineStatus.OPEN, Deadline.due_at)
    )
    with store.engine.connect() as connection:
        return [_view(row) for row in connection.execute(query)]


def _readable(store: Store, case_id: str) -> None:
    actor = current(store)
    if actor.is_partner:
        with store.session() as session:
            ensure_readable(session, actor, case_id, "of this action")


@permits(Permission.WORK_CASES)
def resolve_deadline(
    store: Store, deadline_id: str, *, missed: bool, note: str, now: datetime | None = None
) -> DeadlineStatus:
    """Complete an open deadline, or mark it missed (a reason is required).

    A duty's deadline (a hearing, a review) marked met after it passed is recorded as
    missed, met late now, and needs the reason too: it is never silently met.
    """
    note = (note or "").strip()
    if missed and not note:
        raise InvalidInput("Say why the deadline was missed.", "note")
    now = now or utc_now()
    with store.session() as session:
        row = session.get(Deadline, deadline_id)
        if row is None or row.deleted:
            raise NotFound("There is no such deadline.")
        if row.status is not DeadlineStatus.OPEN:
            raise InvalidInput(
                f"That deadline is already {DeadlineStatus(row.status).label.lower()}.", "note"
            )
        actor = current(store)
        require_district(actor, row.district, "resolve deadlines")
        late = not missed and _met_late(row, now)
        if late and not note:
            raise InvalidInput(
                f"That deadline passed at {_when(row.due_at)} ({row.source}): it will be "
                "recorded as missed, met late now. Say why it was missed.",
                "note",
            )
        row.status = DeadlineStatus.MISSED if missed or late else DeadlineStatus.COMPLETED
        row.resolution = optional_text(note, "note", "Note", 1000) or "Done"
        if late:
            row.met_at = now
            row.resolution += f" (met late, {_when(now)})"
        row.resolved_at = now
        session.add(row)
        session.flush()
        if row.case_id:
            case = session.get(Case, row.case_id)
            assert case is not None
            case.next_deadline_at = _nearest(session, Deadline.case_id == case.id)
            session.add(case)
        if row.action_id:
            action = session.get(EnforcementAction, row.action_id)
            assert action is not None
            action.next_deadline_at = _nearest(session, Deadline.action_id == action.id)
            session.add(action)
        case_ref = case.ref if row.case_id else ""
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "deadline", row.id,
                     case_ref=case_ref, detail=f"status: open -> {row.status}")
        return DeadlineStatus(row.status)


# ------------------------------------------------------------------ reading actions


@dataclass(frozen=True)
class StepView:
    id: str
    stage: str
    label: str
    occurred_at: datetime
    authority: Authority | None
    authorised_by: str
    documents: str
    notes: str
    ends_at: datetime | None


@dataclass(frozen=True)
class ActionDetail:
    id: str
    power: Power
    stage: str
    stage_label: str
    closed: bool
    started_at: datetime
    ends_at: datetime | None
    next_deadline_at: datetime | None
    concerns: str
    conduct: str
    steps: list[StepView]
    next_stages: list[tuple[str, str]]


@permits(Permission.READ_CASES)
def case_actions(store: Store, case_id: str) -> list[ActionDetail]:
    """Every action on a case with its steps, newest action first."""
    _readable(store, case_id)
    with store.session() as session:
        actions = session.exec(
            select(EnforcementAction)
            .where(EnforcementAction.case_id == case_id, ~EnforcementAction.deleted)
            .order_by(EnforcementAction.started_at.desc())
        ).all()
        result = []
        for a in actions:
            power = Power(a.power)
            steps = session.exec(
                select(ActionStep)
                .where(ActionStep.action_id == a.id)
                .order_by(ActionStep.occurred_at)
            ).all()
            result.append(
                ActionDetail(
                    a.id,
                    power,
                    a.stage,
                    _stage_label(power, a.stage),
                    a.closed,
                    a.started_at,
                    a.ends_at,
                    a.next_deadline_at,
                    a.concerns,
                    a.conduct,
                    [
                        StepView(
                            s.id,
                            s.stage,
                            _stage_label(power, s.stage),
                            s.occurred_at,
                            Authority(s.authority) if s.authority else None,
                            s.authorised_by,
                            s.documents,
                            s.notes,
                            s.ends_at,
                        )
                        for s in steps
                    ],
                    [(s.key, s.label) for s in powers.next_stages(power, a.stage, a.closed)],
                )
            )
        return result


def _stage_label(power: Power, key: str) -> str:
    found = powers.BY_KEY.get((power, key))
    return found.label if found else key.replace("_", " ").capitalize()


# ------------------------------------------------------------------ PSPO register


@dataclass(frozen=True)
class PspoView:
    id: str
    district: District
    council: str
    title: str
    area: str
    prohibitions: str
    made_on: date
    expires_on: date
    reference: str
    breaches: int
    challenge_until: date | None = None
    """The last day of the latest High Court challenge window (s66(3)), open or closed."""

    def in_force(self, day: date) -> bool:
        return self.made_on <= day <= self.expires_on

    def challenge_open(self, day: date) -> bool:
        return self.challenge_until is not None and day <= self.challenge_until


PSPO_TERM_KINDS = ("pspo_renewal", "pspo_expiry")
"""The deadlines an extension replaces; a challenge window runs on whatever comes later."""


def _pspo_challenge(session: Session, pspo: Pspo, decided_on: date, what: str) -> None:
    """The s66(3) window: six weeks beginning with the day the order is made or varied.

    An order registered after its window closed keeps the window, closed, on the record.
    """
    days = value("pspo_challenge_days", decided_on)
    closes = periods.end_of_day(decided_on + timedelta(days=days - 1))
    row = Deadline(
        pspo_id=pspo.id,
        district=pspo.district,
        kind="pspo_challenge",
        label=f"High Court challenge window closes (order {what} {format_date(decided_on)}): "
        f"{pspo.title}",
        due_at=closes,
        source=rule("pspo_challenge_days", decided_on).source,
    )
    now = utc_now()
    if periods.next_midnight(closes) <= now:
        row.status, row.resolved_at = DeadlineStatus.COMPLETED, now
        row.resolution = "The window had closed when this was registered"
    session.add(row)


def _pspo_deadlines(session: Session, pspo: Pspo) -> None:
    for row in session.exec(
        select(Deadline).where(
            Deadline.pspo_id == pspo.id,
            Deadline.status == DeadlineStatus.OPEN,
            Deadline.kind.in_(PSPO_TERM_KINDS),
        )
    ):
        row.status, row.resolution, row.resolved_at = (
            DeadlineStatus.SUPERSEDED,
            "Order extended",
            utc_now(),
        )
        session.add(row)
    prompt = value("pspo_renewal_prompt_months", pspo.made_on)
    renew_by = pspo.expires_on - relativedelta(months=prompt)
    session.add(
        Deadline(
            pspo_id=pspo.id,
            district=pspo.district,
            kind="pspo_renewal",
            label=f"Decide on renewing PSPO: {pspo.title}",
            due_at=periods.end_of_day(renew_by),
            source="local policy",
        )
    )
    session.add(
        Deadline(
            pspo_id=pspo.id,
            district=pspo.district,
            kind="pspo_expiry",
            label=f"PSPO expires: {pspo.title}",
            due_at=periods.end_of_day(pspo.expires_on),
            source="ABCPA s60",
        )
    )


@permits(Permission.SOLVE_PROBLEMS)
def add_pspo(
    store: Store,
    district: District | str,
    council: str,
    title: str,
    area: str,
    prohibitions: str,
    made_on: date,
    expires_on: date,
    reference: str = "",
) -> str:
    """Register a PSPO; it may not have effect for more than 3 years (s60(1))."""
    where = parse_district(district)
    actor = current(store)
    require_district(actor, where, "register PSPOs")
    years = value("pspo_max_years", made_on)
    if expires_on <= made_on:
        raise InvalidInput("A PSPO must expire after the day it is made.", "expires_on")
    # The expiry day is a day in force: made 01/03/2027, the last day is 28/02/2030.
    if expires_on >= made_on + relativedelta(years=years):
        raise InvalidInput(
            f"A PSPO may not have effect for more than {years} years (s60(1)): "
            f"the last day can be "
            f"{format_date(made_on + relativedelta(years=years, days=-1))}.",
            "expires_on",
        )
    with store.session() as session:
        pspo = Pspo(
            district=where,
            council=required_text(council, "council", "Council", 120),
            title=required_text(title, "title", "Title", 200),
            area=required_text(area, "area", "Area", 2000),
            prohibitions=required_text(prohibitions, "prohibitions", "Prohibitions", 4000),
            made_on=made_on,
            expires_on=expires_on,
            reference=optional_text(reference, "reference", "Reference", 60),
        )
        session.add(pspo)
        session.flush()
        _pspo_deadlines(session, pspo)
        _pspo_challenge(session, pspo, made_on, "made")
        audit.record(session, store, actor, audit.AuditAction.CREATE, "pspo", pspo.id,
                     detail=f"{where.value}, expires {expires_on.isoformat()}")
        return pspo.id


@permits(Permission.SOLVE_PROBLEMS)
def extend_pspo(store: Store, pspo_id: str, decided_on: date, new_expiry: date) -> date:
    """Extend a PSPO before it expires, by up to 3 years at a time (s60(2)-(4))."""
    actor = current(store)
    with store.session() as session:
        pspo = session.get(Pspo, pspo_id)
        if pspo is None:
            raise NotFound("There is no such PSPO.")
        require_district(actor, pspo.district, "extend PSPOs")
        if decided_on > pspo.expires_on:
            raise InvalidInput(
                f"The PSPO expired on {format_date(pspo.expires_on)}; it can only "
                "be extended before it expires (s60(2)).",
                "decided_on",
            )
        years = value("pspo_extension_max_years", decided_on)
        if new_expiry <= pspo.expires_on:
            raise InvalidInput("The new expiry must be after the current one.", "new_expiry")
        if new_expiry > pspo.expires_on + relativedelta(years=years):
            raise InvalidInput(
                f"An extension is for at most {years} years at a time (s60(2)).", "new_expiry"
            )
        session.add(PspoExtension(pspo_id=pspo.id, decided_on=decided_on, new_expiry=new_expiry))
        before, pspo.expires_on = pspo.expires_on, new_expiry
        session.add(pspo)
        session.flush()
        _pspo_deadlines(session, pspo)
        _pspo_challenge(session, pspo, decided_on, "extended")
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "pspo", pspo.id,
                     detail=audit.changed({"expires": (before, new_expiry)}))
        return new_expiry


@permits(Permission.SOLVE_PROBLEMS)
def vary_pspo(
    store: Store, pspo_id: str, decided_on: date, *, area: str = "", prohibitions: str = ""
) -> None:
    """Vary a PSPO in force (s61): its area, its prohibitions, or both.

    A variation opens its own High Court challenge window (s66(1)(b), (3)); the order's
    term is unchanged (an extension is :func:`extend_pspo`).
    """
    actor = current(store)
    new_area = optional_text(area, "area", "Area", 2000)
    new_prohibitions = optional_text(prohibitions, "prohibitions", "Prohibitions", 4000)
    if not new_area and not new_prohibitions:
        raise InvalidInput("Give the varied area, the varied prohibitions, or both.", "area")
    with store.session() as session:
        pspo = session.get(Pspo, pspo_id)
        if pspo is None or pspo.deleted:
            raise NotFound("There is no such PSPO.")
        require_district(actor, pspo.district, "vary PSPOs")
        if not pspo.made_on <= decided_on <= pspo.expires_on:
            raise InvalidInput(
                f"A PSPO can be varied only while it is in force ({format_date(pspo.made_on)} "
                f"to {format_date(pspo.expires_on)}) (s61).",
                "decided_on",
            )
        changes: dict[str, tuple[object, object]] = {}
        if new_area and new_area != pspo.area:
            changes["area"] = (pspo.area, new_area)
            pspo.area = new_area
        if new_prohibitions and new_prohibitions != pspo.prohibitions:
            changes["prohibitions"] = (pspo.prohibitions, new_prohibitions)
            pspo.prohibitions = new_prohibitions
        if not changes:
            raise InvalidInput("That is the order as it stands: nothing would change.", "area")
        session.add(pspo)
        session.flush()
        _pspo_challenge(session, pspo, decided_on, "varied")
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "pspo", pspo.id,
                     detail=f"varied {format_date(decided_on)}: " + ", ".join(changes))


@permits(Permission.READ_OVERVIEWS)
def pspo_register(store: Store, district: District | None = None) -> list[PspoView]:
    """The PSPOs of a district (or all), soonest expiry first, with their breach counts."""
    breaches = (
        sa.select(sa.func.count())
        .where(EnforcementAction.pspo_id == Pspo.id, ~EnforcementAction.deleted)
        .scalar_subquery()
    )
    challenge = (
        sa.select(sa.func.max(Deadline.due_at))
        .where(Deadline.pspo_id == Pspo.id, Deadline.kind == "pspo_challenge", ~Deadline.deleted)
        .scalar_subquery()
    )
    query = (
        sa.select(Pspo, breaches, challenge).where(~Pspo.deleted).order_by(Pspo.expires_on)
    )
    if district is not None:
        query = query.where(Pspo.district == district)
    with store.session() as session:
        return [
            PspoView(
                p.id,
                District(p.district),
                p.council,
                p.title,
                p.area,
                p.prohibitions,
                p.made_on,
                p.expires_on,
                p.reference,
                count,
                to_london(closes).date() if closes else None,
            )
            for p, count, closes in session.exec(query).all()
        ]
