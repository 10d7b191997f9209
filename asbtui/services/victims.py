"""Keeping victims informed: an agreed update frequency per victim, and a contact log.

Each victim on an open case has a plan: how often they are updated (by default from the
case's risk: high 7 days, medium 14, standard 28; a vulnerable victim as for high risk),
which can be changed with the victim's agreement (what was agreed is recorded), and when
the next update is due. Recording a contact (when, how, by whom, what was said, the
victim's view) moves the next update on by the frequency. When the case's risk changes
later (or a victim is found vulnerable, or no longer), a frequency that was the default
follows the new risk (:func:`follow_risk`); one agreed with the victim is kept, and the
plan says the risk's default differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from asbtui.dates import format_date, london_today, utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.literal import plural
from asbtui.models import (
    Case,
    CaseStatus,
    Party,
    PartyRole,
    RiskLevel,
    VictimContact,
    VictimUpdatePlan,
)
from asbtui.services import audit
from asbtui.services.access import (
    Actor,
    Permission,
    current,
    ensure_readable,
    permits,
    require_district,
)
from asbtui.services.history import record_change
from asbtui.services.refs import normalise_ref

if TYPE_CHECKING:
    from asbtui.db import Store

DEFAULT_FREQUENCY_DAYS = {RiskLevel.HIGH: 7, RiskLevel.MEDIUM: 14, RiskLevel.STANDARD: 28}
METHODS = ("visit", "phone", "video", "email", "letter", "text")
TEXT_MAX = 2000


def default_frequency(risk: RiskLevel, vulnerable: bool = False) -> int:
    return DEFAULT_FREQUENCY_DAYS[RiskLevel.HIGH if vulnerable else RiskLevel(risk)]


@dataclass(frozen=True)
class FrequencyChange:
    """What a change of risk did to one victim's plan."""

    name: str
    before: int
    after: int
    """The frequency now (``before`` when the agreed one was kept)."""
    default: int
    """The new risk's default frequency."""
    next_due: date

    @property
    def kept_agreed(self) -> bool:
        return self.after != self.default

    def describe(self) -> str:
        if self.kept_agreed:
            return (f"{self.name}: updates every {plural(self.after, 'day')} as agreed with "
                    f"them (kept; the default is now {plural(self.default, 'day')})")
        return (f"{self.name}: updates every {plural(self.after, 'day')} (was "
                f"{plural(self.before, 'day')}), next due {format_date(self.next_due)}")


def follow_risk(session: Session, actor: Actor, case: Case, today: date, *,
                reason: str, at: datetime | None = None) -> list[FrequencyChange]:
    """Recalculate the victims' update frequencies of ``case`` after its risk (or a
    victim's vulnerability) changed, in the caller's transaction.

    A frequency agreed with the victim is kept (and reported as kept). A default one
    becomes the new risk's default, counted from the same start (the last update, or the
    plan's start): the next update comes sooner or later by the difference, but a change
    never makes it overdue (it is then due today) nor more overdue than it was. Each change
    goes into the case's history.
    """
    if CaseStatus(case.status) is CaseStatus.CLOSED:
        return []
    rows = session.exec(
        select(VictimUpdatePlan, Party).join(Party, Party.id == VictimUpdatePlan.party_id)
        .where(VictimUpdatePlan.case_id == case.id, ~VictimUpdatePlan.deleted,
               Party.role == PartyRole.VICTIM, ~Party.deleted)
        .order_by(Party.name)).all()
    changes = []
    for plan, victim in rows:
        default = default_frequency(RiskLevel(case.risk), victim.vulnerable)
        before = plan.frequency_days
        if default == before:
            continue
        if plan.agreed:
            changes.append(FrequencyChange(victim.name, before, before, default, plan.next_due))
            continue
        start = plan.next_due - timedelta(days=before)
        due = start + timedelta(days=default)
        if due < today:
            due = max(due, min(plan.next_due, today))
        record_change(session, actor, case.id, "person", victim.id, "update frequency",
                      f"every {plural(before, 'day')}", f"every {plural(default, 'day')}",
                      reason=reason, at=at)
        plan.frequency_days, plan.next_due = default, due
        session.add(plan)
        changes.append(FrequencyChange(victim.name, before, default, default, due))
    return changes


def start_plan(session: Session, case: Case, party: Party, today: date) -> VictimUpdatePlan | None:
    """Give a new victim an update plan at the default frequency (in the caller's session)."""
    if PartyRole(party.role) is not PartyRole.VICTIM:
        return None
    days = default_frequency(RiskLevel(case.risk), party.vulnerable)
    plan = VictimUpdatePlan(party_id=party.id, case_id=case.id, district=case.district,
                            frequency_days=days, next_due=today + timedelta(days=days))
    session.add(plan)
    return plan


@dataclass(frozen=True)
class ContactView:
    contacted_at: datetime
    method: str
    by_user: str
    said: str
    victim_view: str


@dataclass(frozen=True)
class VictimPlanView:
    party_id: str
    name: str
    vulnerable: bool
    frequency_days: int
    agreed: str
    next_due: date
    last_contact_at: datetime | None
    contacts: list[ContactView]
    default_days: int = 0
    """The case's risk's default frequency for this victim (as it stands now)."""

    def overdue(self, today: date) -> bool:
        return self.next_due < today

    @property
    def kept_agreed(self) -> bool:
        """True when an agreed frequency differs from the risk's default (and is kept)."""
        return bool(self.agreed) and bool(self.default_days) and \
            self.default_days != self.frequency_days

    def frequency_text(self) -> str:
        """"every 28 days", with what was agreed and the risk's default when they differ."""
        text = f"every {plural(self.frequency_days, 'day')}"
        if self.agreed:
            text += " as agreed with the victim"
        if self.kept_agreed:
            default = plural(self.default_days, "day")
            text += f" (kept: the default for the case's risk is {default})"
        return text


def _case(session: Session, ref: str) -> Case:
    case = session.exec(select(Case).where(Case.ref == normalise_ref(ref), ~Case.deleted)).first()
    if case is None:
        raise NotFound(f"There is no case {ref.strip()}.")
    return case


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@permits(Permission.WORK_CASES)
def victim_plans(store: Store, ref: str) -> list[VictimPlanView]:
    """The case's victims with their update plans and contact logs (newest contact first).

    Victims without a plan yet (recorded before plans existed) get one now, from today.
    Reading the contact log is audited (it holds what victims said).
    """
    actor = current(store)
    today = london_today()
    with store.session() as session:
        case = _case(session, ref)
        ensure_readable(session, actor, case.id, ref)
        victims = session.exec(select(Party).where(
            Party.case_id == case.id, Party.role == PartyRole.VICTIM, ~Party.deleted)
            .order_by(Party.name)).all()
        plans = {p.party_id: p for p in session.exec(select(VictimUpdatePlan).where(
            VictimUpdatePlan.case_id == case.id, ~VictimUpdatePlan.deleted)).all()}
        views = []
        for victim in victims:
            plan = plans.get(victim.id)
            if plan is None and case.status != CaseStatus.CLOSED:
                plan = start_plan(session, case, victim, today)
            if plan is None:
                continue
            contacts = session.exec(select(VictimContact).where(
                VictimContact.party_id == victim.id, ~VictimContact.deleted)
                .order_by(VictimContact.contacted_at.desc())).all()
            views.append(VictimPlanView(
                victim.id, victim.name, victim.vulnerable, plan.frequency_days, plan.agreed,
                plan.next_due, _aware(plan.last_contact_at),
                [ContactView(_aware(c.contacted_at), c.method, c.by_user, c.said,  # type: ignore[arg-type]
                             c.victim_view) for c in contacts],
                default_days=default_frequency(RiskLevel(case.risk), victim.vulnerable)))
        audit.record(session, store, actor, audit.AuditAction.VIEW, "victim contacts", case.id,
                     case_ref=case.ref, detail=f"{len(views)} victims")
        return views


def _plan(session: Session, case: Case, party_id: str) -> tuple[Party, VictimUpdatePlan]:
    victim = session.get(Party, party_id)
    if (victim is None or victim.deleted or victim.case_id != case.id
            or PartyRole(victim.role) is not PartyRole.VICTIM):
        raise InvalidInput("Choose a victim of this case.", "victim")
    plan = session.exec(select(VictimUpdatePlan).where(
        VictimUpdatePlan.party_id == party_id, ~VictimUpdatePlan.deleted)).first()
    if plan is None:
        plan = start_plan(session, case, victim, london_today())
        assert plan is not None
    return victim, plan


def _text(value: str, field: str, label: str) -> str:
    cleaned = (value or "").strip()
    if len(cleaned) > TEXT_MAX:
        raise InvalidInput(f"{label} is too long: at most {TEXT_MAX} characters.", field)
    return cleaned


@permits(Permission.WORK_CASES)
def record_contact(store: Store, ref: str, party_id: str, method: str, said: str,
                   victim_view: str = "", *, at: datetime | None = None) -> date:
    """Log an update given to a victim; returns the next update's due date (moved on)."""
    actor = current(store)
    how = (method or "").strip().lower()
    if how not in METHODS:
        raise InvalidInput(f"How was the victim updated? Use one of {', '.join(METHODS)}.",
                           "method")
    said = _text(said, "said", "What was said")
    if not said:
        raise InvalidInput("Say what the victim was told.", "said")
    view = _text(victim_view, "victim_view", "The victim's view")
    now = utc_now()
    when = at or now
    if when > now + timedelta(minutes=5):
        raise InvalidInput("A contact cannot be in the future.", "at")
    with store.session() as session:
        case = _case(session, ref)
        require_district(actor, case.district, "record victim contacts")
        _victim, plan = _plan(session, case, party_id)
        contact = VictimContact(party_id=party_id, case_id=case.id, contacted_at=when,
                                method=how, by_user=actor.username, said=said, victim_view=view)
        session.add(contact)
        last = _aware(plan.last_contact_at)
        if last is None or when >= last:
            plan.last_contact_at = when
            plan.next_due = london_today(when) + timedelta(days=plan.frequency_days)
        session.add(plan)
        session.flush()
        audit.record(session, store, actor, audit.AuditAction.CREATE, "victim contact",
                     contact.id, case_ref=case.ref, detail=how)
        return plan.next_due


@permits(Permission.WORK_CASES)
def set_frequency(store: Store, ref: str, party_id: str, days: int, agreed: str) -> date:
    """Change how often a victim is updated, as agreed with them; returns the next due date."""
    actor = current(store)
    if not 1 <= int(days) <= 90:
        raise InvalidInput("Updates are due every 1 to 90 days.", "days")
    agreed = _text(agreed, "agreed", "What was agreed")
    if not agreed:
        raise InvalidInput("Record what the victim agreed to.", "agreed")
    with store.session() as session:
        case = _case(session, ref)
        require_district(actor, case.district, "change victim updates")
        _victim, plan = _plan(session, case, party_id)
        before = plan.frequency_days
        plan.frequency_days, plan.agreed = int(days), agreed
        start = london_today(_aware(plan.last_contact_at) or utc_now())
        plan.next_due = max(london_today(), start + timedelta(days=int(days))) \
            if plan.last_contact_at is None else start + timedelta(days=int(days))
        session.add(plan)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "victim update plan",
                     plan.id, case_ref=case.ref,
                     detail=audit.changed({"frequency days": (before, int(days))}))
        return plan.next_due


@permits(Permission.READ_CASES)
def overdue_by_ref(store: Store, refs: Iterable[str], *, today: date | None = None) -> set[str]:
    """Which of the given cases have a victim update overdue (for the queue's marks)."""
    wanted = [normalise_ref(r) for r in refs]
    if not wanted:
        return set()
    today = today or london_today()
    with store.session() as session:
        rows = session.exec(
            select(Case.ref).join(VictimUpdatePlan, VictimUpdatePlan.case_id == Case.id)
            .where(Case.ref.in_(wanted), VictimUpdatePlan.next_due < today,
                   ~VictimUpdatePlan.deleted, Case.status != CaseStatus.CLOSED)).all()
        return set(rows)
