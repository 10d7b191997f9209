"""Casework: open a case, record incidents and parties, change status, owner and review.

Every public function here is one use-case and one transaction: it validates its input
(raising :class:`~asbtui.errors.InvalidInput` naming the field at fault), writes, keeps
the search index in step, and commits before it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from asbtui.dates import london_today, real_wall_time, utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Category,
    Channel,
    ClosureReason,
    District,
    IncidentType,
    Officer,
    PartyRole,
    RiskLevel,
    StoreMeta,
    VictimSatisfaction,
)
from asbtui.services import audit, history, places, search
from asbtui.services.access import (
    Permission,
    current,
    disclosed_party_ids,
    ensure_readable,
    no_such_case,
    permits,
    require,
    require_district,
)
from asbtui.services.refs import make_ref, normalise_ref

# geo (haversine) and triage (with the first-contact table) are imported where used: the
# app's first frame, which imports this module, uses neither.
if TYPE_CHECKING:
    from asbtui.db import Store
    from asbtui.models import Party
    from asbtui.services import geo
    from asbtui.services.access import Actor
    from asbtui.services.links import LinkView
    from asbtui.services.partners import NoteView
    from asbtui.services.triage import ResponseTargets
    from asbtui.services.victims import FrequencyChange

SUMMARY_MAX = 2000
TEXT_MAX = 4000
NAME_MAX = 120
LOCATION_MAX = 300
POSTCODE_MAX = 10

# Default days to the next review by risk to the victim (domain.md: high 7, medium 14,
# standard 28). A vulnerable victim is reviewed as often as a high-risk one.
REVIEW_INTERVAL_DAYS = {RiskLevel.HIGH: 7, RiskLevel.MEDIUM: 14, RiskLevel.STANDARD: 28}


def review_interval(risk: RiskLevel, vulnerable_victim: bool = False) -> timedelta:
    days = REVIEW_INTERVAL_DAYS[RiskLevel.HIGH if vulnerable_victim else risk]
    return timedelta(days=min(days, REVIEW_INTERVAL_DAYS[risk]))


# ---------------------------------------------------------------------------- inputs


def required_text(value: str, field_name: str, label: str, limit: int) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidInput(f"{label} is required.", field_name)
    if len(cleaned) > limit:
        raise InvalidInput(f"{label} is too long: at most {limit} characters.", field_name)
    return cleaned


def optional_text(value: str | None, field_name: str, label: str, limit: int) -> str:
    cleaned = (value or "").strip()
    if len(cleaned) > limit:
        raise InvalidInput(f"{label} is too long: at most {limit} characters.", field_name)
    return cleaned


def _point(latitude: float | None, longitude: float | None) -> geo.Point | None:
    if latitude is None or longitude is None:
        return None
    from asbtui.services import geo

    return geo.Point(latitude, longitude)


def _choice(enum: type, value: object, field_name: str, label: str):  # noqa: ANN202
    if isinstance(value, enum):
        return value
    text = str(value or "").strip()
    for member in enum:
        if text.lower() in (member.value.lower(), member.name.lower(), member.label.lower()):
            return member
    allowed = ", ".join(m.value for m in enum)
    what = ("an " if label[:1].lower() in "aeiou" else "a ") + label.lower()
    if not text:
        raise InvalidInput(f"Choose {what} ({allowed}).", field_name)
    raise InvalidInput(f"'{text}' is not {what}: use one of {allowed}.", field_name)


def parse_district(value: object, field_name: str = "district") -> District:
    text = str(value or "").strip()
    for district in District:
        if text.upper() == district.value or text.lower() == district.label.lower():
            return district
    return _choice(District, value, field_name, "District")


@dataclass
class PersonInput:
    """A person named on an intake or party form."""

    name: str
    role: PartyRole | str = PartyRole.VICTIM
    address: str = ""
    phone: str = ""
    date_of_birth: date | None = None
    vulnerable: bool = False
    notes: str = ""
    withheld: bool = False
    """Anonymous, or "do not disclose to partners": never shown to a partner."""


@dataclass
class NewCase:
    """What the intake form (or ``asbtui case add``) gives to open a case."""

    district: District | str
    category: Category | str
    summary: str
    channel: Channel | str = Channel.CALL_101
    location: str = ""
    postcode: str = ""
    coordinates: str = ""
    """Where the problem is, "latitude, longitude" (services/geo.py), if known."""
    risk: RiskLevel | str = RiskLevel.STANDARD
    hate_motivated: bool = False
    owner_collar: str | None = None
    people: list[PersonInput] = field(default_factory=list)
    factors: tuple[str, ...] | None = None
    """Urgency factors answered yes at triage (services/triage.py); None: not triaged."""
    targets: ResponseTargets | None = None
    """Local first-contact targets (settings); the defaults when None."""


@dataclass
class NewIncident:
    occurred_at: datetime
    channel: Channel | str
    incident_type: IncidentType | str
    description: str
    crime_ref: str = ""
    location: str = ""


# ---------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class PartyView:
    id: str
    role: PartyRole
    name: str
    address: str
    phone: str
    date_of_birth: date | None
    vulnerable: bool
    notes: str
    details_shown: bool = True
    """False when date of birth, address, phone and notes are held back (see
    :func:`person_details`, which shows them for a reason and audits the view)."""
    withheld: bool = False
    """Anonymous or "do not disclose to partners" (police see the mark; partners never
    see the person)."""


@dataclass(frozen=True)
class IncidentView:
    id: str
    occurred_at: datetime
    channel: Channel
    incident_type: IncidentType
    description: str
    crime_ref: str
    location: str


@dataclass(frozen=True)
class CaseDetail:
    """A case with everything recorded on it, for the case screen and ``case show``."""

    id: str
    ref: str
    district: District
    category: Category
    channel: Channel
    status: CaseStatus
    risk: RiskLevel
    hate_motivated: bool
    summary: str
    location: str
    postcode: str
    opened_at: datetime
    next_review: date | None
    next_deadline_at: datetime | None
    closed_at: datetime | None
    closure_reason: ClosureReason | None
    owner_collar: str | None
    owner_name: str | None
    parties: list[PartyView]
    incidents: list[IncidentView]
    notes: list[NoteView]  # partners.NoteView: the notes this actor may read
    closing_summary: str = ""
    victim_asked: bool | None = None
    victim_satisfaction: VictimSatisfaction | None = None
    links: list[LinkView] = field(default_factory=list)  # links.LinkView: linked cases
    point: geo.Point | None = None
    """Where the problem is, when known."""
    merged_refs: list[str] = field(default_factory=list)
    """Duplicates merged into this case: their references open it."""

    @property
    def has_vulnerable_party(self) -> bool:
        return any(p.vulnerable for p in self.parties)

    def review_overdue(self, today: date) -> bool:
        return (
            self.next_review is not None
            and self.next_review < today
            and (self.status is not CaseStatus.CLOSED)
        )


def load_case(session: Session, ref: str, actor: Actor | None = None) -> Case:
    """The case with this reference; a duplicate merged into another case opens that one.

    With an actor, a partner is refused a case not shared with their agency in the same
    words as a case that does not exist.
    """
    wanted = normalise_ref(ref)
    case = session.exec(select(Case).where(Case.ref == wanted, ~Case.deleted)).first()
    if case is None:
        raise no_such_case(actor, ref)
    for _ in range(5):  # a chain of merges, never a loop
        if not case.merged_into_id:
            break
        survivor = session.get(Case, case.merged_into_id)
        if survivor is None or survivor.deleted:
            break
        case = survivor
    return case


def _officer_by_collar(session: Session, collar: str, field_name: str = "owner") -> Officer:
    wanted = collar.strip()
    officer = session.exec(
        select(Officer).where(sa.func.upper(Officer.collar) == wanted.upper(), ~Officer.deleted)
    ).first()
    if officer is None:
        raise InvalidInput(f"There is no officer with collar number '{wanted}'.", field_name)
    return officer


@permits(Permission.READ_CASES)
def case_detail(store: Store, ref: str) -> CaseDetail:
    """Everything on one case the actor may see, found by its reference.

    People are listed by name and role; their date of birth, address, phone and notes are
    held back until :func:`person_details` is asked for them with a reason. Partners get
    only cases shared with their agency, and only the notes their agency may read. Each
    call is audited as a view of the case (DPA 2018 s62: consultation).
    """
    from asbtui.models import Incident
    from asbtui.services.links import linked_cases
    from asbtui.services.partners import visible_notes

    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        owner = session.get(Officer, case.owner_id) if case.owner_id else None
        incidents = session.exec(
            select(Incident)
            .where(Incident.case_id == case.id, ~Incident.deleted)
            .order_by(Incident.occurred_at.desc())
        ).all()
        detail = CaseDetail(
            id=case.id,
            ref=case.ref,
            district=District(case.district),
            category=Category(case.category),
            channel=Channel(case.channel),
            status=CaseStatus(case.status),
            risk=RiskLevel(case.risk),
            hate_motivated=case.hate_motivated,
            summary=case.summary,
            location=case.location,
            postcode=case.postcode,
            point=_point(case.latitude, case.longitude),
            opened_at=case.opened_at,
            next_review=case.next_review,
            next_deadline_at=case.next_deadline_at,
            closed_at=case.closed_at,
            closure_reason=ClosureReason(case.closure_reason) if case.closure_reason else None,
            owner_collar=owner.collar if owner else None,
            owner_name=owner.name if owner else None,
            parties=_parties(session, case.id, shown=False,
                             only=disclosed_party_ids(session, actor, case.id)),
            incidents=[
                IncidentView(
                    i.id,
                    i.occurred_at,
                    Channel(i.channel),
                    IncidentType(i.incident_type),
                    i.description,
                    i.crime_ref,
                    i.location,
                )
                for i in incidents
            ],
            notes=visible_notes(session, actor, case.id),
            closing_summary=case.closing_summary,
            victim_asked=case.victim_asked,
            victim_satisfaction=VictimSatisfaction(case.victim_satisfaction)
            if case.victim_satisfaction else None,
            links=linked_cases(session, case.id, actor),
            merged_refs=sorted(session.exec(select(Case.ref).where(
                Case.merged_into_id == case.id))),
        )
    with store.session() as session:
        audit.record(session, store, actor, audit.AuditAction.VIEW, "case", detail.id,
                     case_ref=detail.ref)
    return detail


def _parties(session: Session, case_id: str, *, shown: bool,
             only: set[str] | None = None) -> list[PartyView]:
    """The case's people; ``only`` (a partner's disclosed people) leaves out the rest."""
    from asbtui.models import Party

    parties = session.exec(select(Party).where(Party.case_id == case_id, ~Party.deleted)).all()
    role_order = {role: i for i, role in enumerate(PartyRole)}
    return [
        PartyView(p.id, PartyRole(p.role), p.name, p.address if shown else "",
                  p.phone if shown else "", p.date_of_birth if shown else None, p.vulnerable,
                  p.notes if shown else "", shown, p.withheld)
        for p in sorted(parties, key=lambda p: (role_order[PartyRole(p.role)], p.name))
        if only is None or p.id in only
    ]


@permits(Permission.VIEW_PEOPLE)
def person_details(store: Store, ref: str, reason: str) -> list[PartyView]:
    """The people of a case in full, for the reason given; each person's view is audited."""
    actor = current(store)
    why = audit.justification(reason)
    with store.session() as session:
        case = load_case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        people = _parties(session, case.id, shown=True,
                          only=disclosed_party_ids(session, actor, case.id))
        for person in people:
            audit.record(session, store, actor, audit.AuditAction.VIEW, "person", person.id,
                         case_ref=case.ref, detail=f"{person.role.value} details",
                         reason=why)
        return people


def find_person(session: Session, case_id: str, ref: str, person: str) -> Party:
    """One of a case's people by id, or by the first 6 or more characters of it."""
    from asbtui.models import Party

    wanted = person.strip().lower()
    if len(wanted) < 6:
        raise InvalidInput("Give a person's id (at least its first 6 characters, as "
                           "'case show --json' lists them).", "person")
    found = session.exec(select(Party).where(Party.case_id == case_id, ~Party.deleted,
                                             Party.id.startswith(wanted))).all()
    if len(found) != 1:
        raise NotFound(f"There is no person {person.strip()} on {ref.strip().upper()}"
                       if not found else f"{person.strip()} matches several people: give "
                       "more of the id.")
    return found[0]


@permits(Permission.WORK_CASES)
def set_withheld(store: Store, ref: str, person: str, withheld: bool) -> PartyView:
    """Mark a person anonymous / "do not disclose to partners" (or disclosable again)."""
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref)
        require_district(actor, case.district, "work cases")
        party = find_person(session, case.id, ref, person)
        before, party.withheld = party.withheld, withheld
        session.add(party)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "person", party.id,
                     case_ref=case.ref, detail=audit.changed(
                         {"withheld from partners": (before, withheld)}))
        session.flush()
        return next(p for p in _parties(session, case.id, shown=False) if p.id == party.id)


# ---------------------------------------------------------------------------- writes


def _person(session: Session, case_id: str, person: PersonInput) -> Party:
    from asbtui.models import Party

    name = required_text(person.name, "name", "Name", NAME_MAX)
    role = _choice(PartyRole, person.role, "role", "Role")
    dob = person.date_of_birth
    if dob is not None and dob > london_today():
        raise InvalidInput("Date of birth cannot be in the future.", "date_of_birth")
    party = Party(
        case_id=case_id,
        role=role,
        name=name,
        address=optional_text(person.address, "address", "Address", 300),
        phone=optional_text(person.phone, "phone", "Phone", 40),
        date_of_birth=dob,
        vulnerable=bool(person.vulnerable),
        notes=optional_text(person.notes, "notes", "Notes", TEXT_MAX),
        person_key=places.person_key(name, dob),
        phone_key=places.phone_key(person.phone),
        withheld=bool(person.withheld),
    )
    session.add(party)
    return party


@permits(Permission.WORK_CASES)
def create_case(store: Store, new: NewCase, *, now: datetime | None = None) -> str:
    """Open a case (with its first people) and return its reference."""
    actor = current(store)
    now = now or utc_now()
    district = parse_district(new.district)
    require_district(actor, district, "open cases")
    category = _choice(Category, new.category, "category", "Category")
    channel = _choice(Channel, new.channel, "channel", "Channel")
    risk = _choice(RiskLevel, new.risk, "risk", "Risk")
    summary = required_text(new.summary, "summary", "Summary", SUMMARY_MAX)
    location = optional_text(new.location, "location", "Location", LOCATION_MAX)
    postcode = optional_text(new.postcode, "postcode", "Postcode", POSTCODE_MAX).upper()
    from asbtui.services import geo

    point = geo.parse_point(new.coordinates)
    for attempt in range(5):
        try:
            with store.session() as session:
                owner = _officer_by_collar(session, new.owner_collar) if new.owner_collar else None
                if owner is not None and owner.id != actor.officer_id:
                    require(store, Permission.ASSIGN_CASES)
                if owner is not None and owner.district != district:
                    raise InvalidInput(
                        f"{owner.collar} works in {District(owner.district).label}, "
                        f"not {district.label}.",
                        "owner",
                    )
                vulnerable = any(
                    p.vulnerable and _choice(PartyRole, p.role, "role", "Role") is PartyRole.VICTIM
                    for p in new.people
                )
                today = london_today(now)
                case = Case(
                    ref=make_ref(district, today),
                    district=district,
                    category=category,
                    channel=channel,
                    risk=risk,
                    hate_motivated=bool(new.hate_motivated),
                    summary=summary,
                    location=location,
                    postcode=postcode,
                    street_key=places.street_key(location),
                    address_key=places.address_key(location),
                    postcode_key=places.postcode_key(postcode),
                    latitude=point.latitude if point else None,
                    longitude=point.longitude if point else None,
                    owner_id=owner.id if owner else None,
                    opened_at=now,
                    next_review=today + review_interval(risk, vulnerable),
                    vulnerable_victim=vulnerable,
                )
                session.add(case)
                session.flush()
                people = [_person(session, case.id, person) for person in new.people]
                session.flush()
                _officers_day_on_intake(session, case, people, new, now)
                search.reindex_case(session, case.id)
                audit.record(session, store, actor, audit.AuditAction.CREATE, "case", case.id,
                             case_ref=case.ref, detail=f"{category.value}, {risk.value} risk")
                for party in people:
                    audit.record(session, store, actor, audit.AuditAction.CREATE, "person",
                                 party.id, case_ref=case.ref, detail=party.role)
                return case.ref
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _officers_day_on_intake(session: Session, case: Case, people: list[Party], new: NewCase,
                            now: datetime) -> None:
    """The triage's first-contact target and each victim's update plan (the officer's day)."""
    from asbtui.services import triage, victims

    if new.factors is not None:
        before = RiskLevel(case.risk)
        triage.add_to_case(session, case, new.factors, now, new.targets or triage.ResponseTargets())
        if RiskLevel(case.risk) is not before:
            case.next_review = london_today(now) + review_interval(
                RiskLevel(case.risk), case.vulnerable_victim)
    for party in people:
        victims.start_plan(session, case, party, london_today(now))


def _case_to_work(session: Session, store: Store, ref: str, doing: str) -> tuple[Case, Actor]:
    """The case, if the actor may work cases in its district."""
    actor = current(store)
    case = load_case(session, ref)
    require_district(actor, case.district, doing)
    return case, actor


@permits(Permission.WORK_CASES)
def add_incident(store: Store, ref: str, new: NewIncident, *, now: datetime | None = None) -> str:
    """Record an incident on a case; returns the incident's id."""
    now = now or utc_now()
    channel = _choice(Channel, new.channel, "channel", "Channel")
    kind = _choice(IncidentType, new.incident_type, "incident_type", "Incident type")
    description = required_text(new.description, "description", "Description", TEXT_MAX)
    if new.occurred_at.tzinfo is None:
        raise InvalidInput("Give the time of the incident with its time zone.", "occurred_at")
    real_wall_time(new.occurred_at, "occurred_at")
    if new.occurred_at > now + timedelta(minutes=5):
        raise InvalidInput("An incident cannot be dated in the future.", "occurred_at")
    from asbtui.models import Incident

    with store.session() as session:
        case, actor = _case_to_work(session, store, ref, "record incidents")
        if new.occurred_at < case.opened_at - timedelta(days=366 * 5):
            raise InvalidInput(
                "That date is more than five years before the case was opened.", "occurred_at"
            )
        incident = Incident(
            case_id=case.id,
            occurred_at=new.occurred_at,
            reported_at=now,
            channel=channel,
            incident_type=kind,
            description=description,
            crime_ref=optional_text(new.crime_ref, "crime_ref", "Crime reference", 40).upper(),
            location=optional_text(new.location, "location", "Location", LOCATION_MAX),
            # Facts of the case fixed when it was opened, copied for the patterns of concern.
            district=case.district,
            case_ref=case.ref,
            case_location=case.location,
            address_key=case.address_key,
            street_key=case.street_key,
            postcode_key=case.postcode_key,
        )
        session.add(incident)
        session.flush()
        audit.record(session, store, actor, audit.AuditAction.CREATE, "incident", incident.id,
                     case_ref=case.ref, detail=kind.value)
        return incident.id


@permits(Permission.WORK_CASES)
def add_party(store: Store, ref: str, person: PersonInput) -> str:
    """Add a victim, perpetrator, witness or reporter to a case; returns the party's id."""
    with store.session() as session:
        case, actor = _case_to_work(session, store, ref, "add people")
        party = _person(session, case.id, person)
        session.flush()
        from asbtui.services.victims import start_plan

        start_plan(session, case, party, london_today())
        if party.vulnerable and party.role == PartyRole.VICTIM:
            case.vulnerable_victim = True
            session.add(case)
        if party.vulnerable and party.role == PartyRole.VICTIM and case.status != CaseStatus.CLOSED:
            # A vulnerable victim is reviewed as often as a high-risk case.
            sooner = london_today() + review_interval(RiskLevel(case.risk), True)
            if case.next_review is None or sooner < case.next_review:
                case.next_review = sooner
                session.add(case)
        session.flush()
        search.reindex_case(session, case.id)
        audit.record(session, store, actor, audit.AuditAction.CREATE, "person", party.id,
                     case_ref=case.ref, detail=party.role)
        return party.id


@permits(Permission.WORK_CASES)
def change_status(
    store: Store,
    ref: str,
    status: CaseStatus | str,
    closure_reason: ClosureReason | str | None = None,
    *,
    now: datetime | None = None,
) -> CaseStatus:
    """Move an open case to another status; closing needs a reason. A closed case is
    reopened only by :func:`reopen_case` (a supervisor's call, with a reason)."""
    new_status = _choice(CaseStatus, status, "status", "Status")
    reason = None
    if new_status is CaseStatus.CLOSED:
        if not closure_reason:
            raise InvalidInput("Give a reason for closing the case.", "closure_reason")
        reason = _choice(ClosureReason, closure_reason, "closure_reason", "Closure reason")
    elif closure_reason:
        raise InvalidInput("A closure reason is only given when closing a case.", "closure_reason")
    if new_status is CaseStatus.CLOSED:
        require(store, Permission.CLOSE_CASES)
    with store.session() as session:
        case, actor = _case_to_work(session, store, ref, "change cases")
        before = CaseStatus(case.status)
        if CaseStatus(case.status) is new_status:
            raise InvalidInput(f"The case is already {new_status.label.lower()}.", "status")
        if before is CaseStatus.CLOSED:
            # Reopening is a supervisor's audited action with a reason: reopen_case.
            raise InvalidInput("The case is closed: reopen it with a reason "
                               "(asbtui case reopen, or the status form).", "status")
        _set_status(session, actor, case, new_status, reason, now=now or utc_now())
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                     case_ref=case.ref, detail=audit.changed({
                         "status": (before, new_status), "closure reason": (None, reason)}))
        return new_status


def _set_status(session: Session, actor: Actor, case: Case, new_status: CaseStatus,
                reason: ClosureReason | None, *, now: datetime, why: str = "") -> None:
    """Move the case to ``new_status``, keeping the history; a closed case has no review
    due, and a reopened one gets its next review by its risk."""
    history.record_change(session, actor, case.id, "case", case.id, "status",
                          CaseStatus(case.status), new_status, reason=why, at=now)
    case.status = new_status
    case.closure_reason = reason
    case.closed_at = now if reason else None
    if new_status is CaseStatus.CLOSED:
        case.next_review = None
    elif case.next_review is None:
        case.next_review = london_today(now) + review_interval(
            RiskLevel(case.risk), case.vulnerable_victim)
    session.add(case)


@permits(Permission.CLOSE_CASES)
def close_case(store: Store, ref: str, closure_reason: ClosureReason | str, summary: str,
               victim_asked: bool | None, satisfaction: VictimSatisfaction | str | None = None,
               *, now: datetime | None = None) -> ClosureReason:
    """Close a case properly: why, a closing summary, and whether the victim was asked how
    satisfied they are (with their answer). A closed case has no review due."""
    now = now or utc_now()
    if not closure_reason:
        raise InvalidInput("Give a reason for closing the case.", "closure_reason")
    reason = _choice(ClosureReason, closure_reason, "closure_reason", "Closure reason")
    text = required_text(summary, "closing_summary", "Closing summary", SUMMARY_MAX)
    if victim_asked is None:
        raise InvalidInput("Say whether the victim was asked how satisfied they are.",
                           "victim_asked")
    answer = None
    if victim_asked:
        if not satisfaction:
            raise InvalidInput("Give the victim's answer: how satisfied they are.",
                               "victim_satisfaction")
        answer = _choice(VictimSatisfaction, satisfaction, "victim_satisfaction",
                         "Satisfaction")
    elif satisfaction:
        raise InvalidInput("The victim was not asked: leave their answer empty.",
                           "victim_satisfaction")
    with store.session() as session:
        case, actor = _case_to_work(session, store, ref, "close cases")
        if CaseStatus(case.status) is CaseStatus.CLOSED:
            raise InvalidInput("The case is already closed.", "status")
        before = CaseStatus(case.status)
        _set_status(session, actor, case, CaseStatus.CLOSED, reason, now=now)
        case.closing_summary = text
        case.victim_asked = bool(victim_asked)
        case.victim_satisfaction = answer
        session.add(case)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                     case_ref=case.ref, detail=audit.changed({
                         "status": (before, CaseStatus.CLOSED),
                         "closure reason": (None, reason),
                         "victim asked": (None, "yes" if victim_asked else "no"),
                         "victim satisfaction": (None, answer)}) + "; closing summary")
        return reason


@permits(Permission.CLOSE_CASES)
def reopen_case(store: Store, ref: str, reason: str, *, status: CaseStatus | str =
                CaseStatus.OPEN, now: datetime | None = None) -> CaseStatus:
    """Reopen a closed case (a supervisor's call), for a reason kept in the history and
    the audit log; its next review is set by its risk."""
    now = now or utc_now()
    why = " ".join((reason or "").split())
    if not why:
        raise InvalidInput("Give the reason for reopening the case.", "reason")
    why = audit.justification(why)
    new_status = _choice(CaseStatus, status, "status", "Status")
    if new_status is CaseStatus.CLOSED:
        raise InvalidInput("Reopen the case to an open status.", "status")
    with store.session() as session:
        case, actor = _case_to_work(session, store, ref, "reopen cases")
        if CaseStatus(case.status) is not CaseStatus.CLOSED:
            raise InvalidInput("The case is not closed.", "status")
        _set_status(session, actor, case, new_status, None, now=now, why=why)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                     case_ref=case.ref, detail=audit.changed({
                         "status": (CaseStatus.CLOSED, new_status)}) + " (reopened)",
                     reason=why)
        return new_status


@permits(Permission.ASSIGN_CASES)
def assign_owner(store: Store, ref: str, collar: str | None) -> str | None:
    """Give the case to the officer with ``collar`` (None leaves it unallocated)."""
    with store.session() as session:
        case, actor = _case_to_work(session, store, ref, "assign cases")
        before = session.get(Officer, case.owner_id) if case.owner_id else None
        if collar and collar.strip():
            officer = _officer_by_collar(session, collar)
            if officer.district != case.district:
                raise InvalidInput(
                    f"{officer.collar} works in {District(officer.district).label}, "
                    f"not {District(case.district).label}.",
                    "owner",
                )
            case.owner_id = officer.id
            name = officer.name
        else:
            case.owner_id = None
            name = None
        session.add(case)
        after = session.get(Officer, case.owner_id) if case.owner_id else None
        history.record_change(session, actor, case.id, "case", case.id, "owner",
                              before.collar if before else None,
                              after.collar if after else None)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                     case_ref=case.ref, detail=audit.changed({
                         "owner": (before.collar if before else None,
                                   after.collar if after else None)}))
        return name


@permits(Permission.WORK_CASES)
def set_next_review(store: Store, ref: str, day: date, *, today: date | None = None) -> date:
    """Set the date by which the case must next be reviewed (today or later)."""
    today = today or london_today()
    if day < today:
        raise InvalidInput("The next review cannot be in the past.", "next_review")
    if day > today + timedelta(days=366):
        raise InvalidInput("The next review must be within a year.", "next_review")
    with store.session() as session:
        case, actor = _case_to_work(session, store, ref, "change cases")
        if case.status == CaseStatus.CLOSED:
            raise InvalidInput("A closed case has no reviews; reopen it first.", "next_review")
        before, case.next_review = case.next_review, day
        history.record_change(session, actor, case.id, "case", case.id, "next review", before,
                              day)
        session.add(case)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                     case_ref=case.ref, detail=audit.changed({"next review": (before, day)}))
        return day


@dataclass(frozen=True)
class RiskChange:
    """A new risk level and what it did to the victims' update plans."""

    risk: RiskLevel
    victim_updates: list[FrequencyChange]

    def describe(self) -> str:
        return "; ".join(c.describe() for c in self.victim_updates)


@permits(Permission.WORK_CASES)
def set_risk(
    store: Store, ref: str, risk: RiskLevel | str, *, today: date | None = None
) -> RiskLevel:
    """Record a new risk level; a higher risk brings the next review forward, and the
    victims' update frequencies follow it unless agreed with them (:func:`change_risk`)."""
    return change_risk(store, ref, risk, today=today).risk


@permits(Permission.WORK_CASES)
def change_risk(
    store: Store, ref: str, risk: RiskLevel | str, *, today: date | None = None
) -> RiskChange:
    """:func:`set_risk`, saying what became of each victim's update frequency."""
    from asbtui.services import victims

    level = _choice(RiskLevel, risk, "risk", "Risk")
    today = today or london_today()
    with store.session() as session:
        case, actor = _case_to_work(session, store, ref, "change cases")
        before, case.risk = RiskLevel(case.risk), level
        history.record_change(session, actor, case.id, "case", case.id, "risk", before, level)
        sooner = today + review_interval(level)
        if case.status != CaseStatus.CLOSED and (
            case.next_review is None or sooner < case.next_review
        ):
            history.record_change(session, actor, case.id, "case", case.id, "next review",
                                  case.next_review, sooner)
            case.next_review = sooner
        session.add(case)
        updates = [] if level is before else victims.follow_risk(
            session, actor, case, today, reason=f"Risk changed to {level.label.lower()}")
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                     case_ref=case.ref, detail=audit.changed({"risk": (before, level)}))
        return RiskChange(level, updates)


# ---------------------------------------------------------------------------- officers


@dataclass(frozen=True)
class OfficerView:
    id: str
    collar: str
    name: str
    district: District


@permits(Permission.READ_CASES)
def officers(store: Store, district: District | None = None) -> list[OfficerView]:
    """Officers (of one district, or all), by name."""
    with store.session() as session:
        query = select(Officer).where(~Officer.deleted).order_by(Officer.name)
        if district is not None:
            query = query.where(Officer.district == district)
        return [
            OfficerView(o.id, o.collar, o.name, District(o.district))
            for o in session.exec(query).all()
        ]


@permits(Permission.READ_CASES)
def find_officer(store: Store, collar: str) -> OfficerView:
    with store.session() as session:
        o = _officer_by_collar(session, collar)
        return OfficerView(o.id, o.collar, o.name, District(o.district))


@permits()  # a fact about the device, read before anyone signs in
def device_officer(store: Store) -> OfficerView | None:
    """The officer using the app: the signed-in user's, else this device's (set by
    ``--officer`` or the demo), if any."""
    actor = getattr(store, "actor", None)
    # Core, not the ORM: read as the app starts, before its first frame, and the ORM's
    # first query sets up every model's mapping (tens of milliseconds).
    meta, officers = StoreMeta.__table__, Officer.__table__
    with store.engine.connect() as connection:
        officer_id = actor.officer_id if actor is not None else connection.execute(
            sa.select(meta.c.value).where(meta.c.key == "officer")).scalar()
        if officer_id is None:
            return None
        officer = connection.execute(
            sa.select(officers.c.id, officers.c.collar, officers.c.name, officers.c.district)
            .where(officers.c.id == officer_id, ~officers.c.deleted)).first()
        if officer is None:
            return None
        return OfficerView(officer.id, officer.collar, officer.name, District(officer.district))


@permits(Permission.READ_CASES)
def set_device_officer(store: Store, collar: str) -> OfficerView:
    """Make the officer with ``collar`` this device's user ("my cases", default district)."""
    with store.session() as session:
        officer = _officer_by_collar(session, collar, "officer")
        meta = session.get(StoreMeta, "officer") or StoreMeta(key="officer", value="")
        meta.value = officer.id
        session.add(meta)
        return OfficerView(officer.id, officer.collar, officer.name, District(officer.district))


@permits(Permission.MANAGE_USERS)
def add_officer(store: Store, collar: str, name: str, district: District | str) -> OfficerView:
    collar = required_text(collar, "collar", "Collar number", 20).upper()
    name = required_text(name, "name", "Name", NAME_MAX)
    where = parse_district(district)
    with store.session() as session:
        clash = session.exec(select(Officer).where(sa.func.upper(Officer.collar) == collar)).first()
        if clash is not None:
            raise InvalidInput(f"An officer with collar number {collar} already exists.", "collar")
        officer = Officer(collar=collar, name=name, district=where)
        session.add(officer)
        session.flush()
        audit.record(session, store, current(store), audit.AuditAction.CREATE, "officer",
                     officer.id, detail=f"{collar}, {where.value}")
        return OfficerView(officer.id, officer.collar, officer.name, where)


__all__ = [
    "OPEN_STATUSES",
    "CaseDetail",
    "NewCase",
    "NewIncident",
    "PersonInput",
    "add_incident",
    "add_officer",
    "add_party",
    "assign_owner",
    "case_detail",
    "change_status",
    "close_case",
    "create_case",
    "officers",
    "reopen_case",
    "set_next_review",
    "set_risk",
    "change_risk",
    "RiskChange",
]
