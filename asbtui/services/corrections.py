"""Putting records right: correct a case, an incident or a person; remove a wrong entry.

Each correction changes the record and appends what it was to the case's history
(:mod:`asbtui.services.history`) in one transaction, audited by field name (never the
values: the audit log holds no personal data). A reason is required for corrections of
people and of incidents' dates, and for every removal. A removal is a soft delete: the
record leaves the case, and the history keeps what it was.

Incidents carry copies of their case's district, location and place keys (for the
patterns of concern); a correction of the case's district or location rewrites them, and
the case's deadlines and ASB Case Reviews follow it to its new district. The case keeps
its reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from asbtui.dates import format_datetime, london_today, utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    Case,
    CaseReview,
    CaseStatus,
    CaseTask,
    Category,
    Channel,
    Deadline,
    District,
    FirstContact,
    Incident,
    IncidentType,
    Officer,
    Party,
    PartyRole,
    RiskLevel,
    VictimUpdatePlan,
)
from asbtui.services import audit, geo, places, search, victims
from asbtui.services.access import Permission, current, permits, require_district
from asbtui.services.cases import (
    LOCATION_MAX,
    NAME_MAX,
    POSTCODE_MAX,
    SUMMARY_MAX,
    TEXT_MAX,
    _choice,
    load_case,
    optional_text,
    parse_district,
    required_text,
    review_interval,
)
from asbtui.services.history import REMOVED, record_change

if TYPE_CHECKING:
    from asbtui.db import Store
    from asbtui.services.access import Actor

KEEP = None
"""A field left as it is (every field of a correction defaults to this)."""


@dataclass
class CaseCorrection:
    """The case's fields to put right; None leaves a field as it is."""

    summary: str | None = None
    category: Category | str | None = None
    channel: Channel | str | None = None
    location: str | None = None
    postcode: str | None = None
    district: District | str | None = None
    hate_motivated: bool | None = None
    coordinates: str | None = None
    """Where the problem is, "latitude, longitude"; '' clears it."""


@dataclass
class IncidentCorrection:
    occurred_at: datetime | None = None
    channel: Channel | str | None = None
    incident_type: IncidentType | str | None = None
    description: str | None = None
    crime_ref: str | None = None
    location: str | None = None


@dataclass
class PersonCorrection:
    name: str | None = None
    role: PartyRole | str | None = None
    date_of_birth: date | None = None
    clear_date_of_birth: bool = False
    address: str | None = None
    phone: str | None = None
    vulnerable: bool | None = None
    notes: str | None = None


def _reason(text: str | None, required: bool, what: str) -> str:
    value = " ".join((text or "").split())
    if required and not value:
        raise InvalidInput(f"Give the reason for {what}.", "reason")
    if len(value) > audit.JUSTIFICATION_MAX:
        raise InvalidInput(f"The reason is too long (at most {audit.JUSTIFICATION_MAX} "
                           "characters).", "reason")
    return value


def _nothing(changed: list[str]) -> None:
    if not changed:
        raise InvalidInput("Nothing to correct: every value given is the same as before.")


def _work(session: Session, store: Store, case: Case, doing: str) -> Actor:
    actor = current(store)
    require_district(actor, case.district, doing)
    return actor


def _recount_vulnerable(session: Session, case: Case) -> None:
    """The case's vulnerable-victim flag from its people, as they now stand."""
    case.vulnerable_victim = session.exec(select(Party.id).where(
        Party.case_id == case.id, Party.role == PartyRole.VICTIM, Party.vulnerable,
        ~Party.deleted).limit(1)).first() is not None
    session.add(case)


# ---------------------------------------------------------------------------- the case


@permits(Permission.WORK_CASES)
def correct_case(store: Store, ref: str, fix: CaseCorrection, reason: str = "", *,
                 now: datetime | None = None) -> list[str]:
    """Put a case's summary, category, channel, location, postcode, point, district or hate
    flag right; returns the names of the fields changed.

    A new district moves the case to that district's queue with its reference kept; an
    owner who works elsewhere no longer owns it (it is unallocated there).
    """
    now = now or utc_now()
    why = _reason(reason, False, "the correction")
    with store.session() as session:
        case = load_case(session, ref)
        actor = _work(session, store, case, "correct cases")
        new: dict[str, object] = {}
        if fix.summary is not None:
            new["summary"] = required_text(fix.summary, "summary", "Summary", SUMMARY_MAX)
        if fix.category is not None:
            new["category"] = _choice(Category, fix.category, "category", "Category")
        if fix.channel is not None:
            new["channel"] = _choice(Channel, fix.channel, "channel", "Channel")
        if fix.location is not None:
            new["location"] = optional_text(fix.location, "location", "Location", LOCATION_MAX)
        if fix.postcode is not None:
            new["postcode"] = optional_text(fix.postcode, "postcode", "Postcode",
                                            POSTCODE_MAX).upper()
        if fix.district is not None:
            new["district"] = parse_district(fix.district)
        if fix.hate_motivated is not None:
            new["hate_motivated"] = bool(fix.hate_motivated)
        labels = {"summary": "summary", "category": "category", "channel": "channel",
                  "location": "location", "postcode": "postcode", "district": "district",
                  "hate_motivated": "hate-motivated"}
        changed = []
        audit_values: dict[str, tuple[object, object]] = {}
        for name, value in new.items():
            old = getattr(case, name)
            if record_change(session, actor, case.id, "case", case.id, labels[name], old,
                             value, reason=why, at=now):
                changed.append(labels[name])
                setattr(case, name, value)
                if name in ("category", "channel", "district", "hate_motivated"):
                    audit_values[labels[name]] = (old, value)
        if fix.coordinates is not None:
            point = geo.parse_point(fix.coordinates)
            before = (str(geo.Point(case.latitude, case.longitude))
                      if case.latitude is not None and case.longitude is not None else "")
            if record_change(session, actor, case.id, "case", case.id, "coordinates", before,
                             str(point) if point else "", reason=why, at=now):
                changed.append("coordinates")
                case.latitude = point.latitude if point else None
                case.longitude = point.longitude if point else None
        _nothing(changed)
        if "location" in changed or "postcode" in changed:
            case.street_key = places.street_key(case.location)
            case.address_key = places.address_key(case.location)
            case.postcode_key = places.postcode_key(case.postcode)
        if "district" in changed:
            _move_district(session, actor, case, now, why)
        session.add(case)
        if {"location", "postcode", "district"} & set(changed):
            for incident in session.exec(select(Incident).where(Incident.case_id == case.id)):
                incident.district = case.district
                incident.case_location = case.location
                incident.street_key = case.street_key
                incident.address_key = case.address_key
                incident.postcode_key = case.postcode_key
                session.add(incident)
        session.flush()
        search.reindex_case(session, case.id)
        names = [n for n in changed if n not in audit_values]
        detail = "; ".join(filter(None, ["corrected: " + ", ".join(names) if names else "",
                                         audit.changed(audit_values)]))
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                     case_ref=case.ref, detail=detail, reason=why)
        return changed


def _move_district(session: Session, actor: Actor, case: Case, now: datetime,
                   why: str) -> None:
    """What follows a case to its new district: deadlines, reviews; not its owner."""
    district = District(case.district)
    for deadline in session.exec(select(Deadline).where(Deadline.case_id == case.id)):
        deadline.district = district
        session.add(deadline)
    for review in session.exec(select(CaseReview).where(CaseReview.case_id == case.id)):
        review.district = district
        session.add(review)
    # The officer's day reads these by district (My day's due-date indexes).
    for model in (FirstContact, VictimUpdatePlan, CaseTask):
        for row in session.exec(select(model).where(model.case_id == case.id)):
            row.district = district
            session.add(row)
    owner = session.get(Officer, case.owner_id) if case.owner_id else None
    if owner is not None and owner.district != district:
        record_change(session, actor, case.id, "case", case.id, "owner", owner.collar, None,
                      reason="The case moved to another district", at=now)
        case.owner_id = None


# ---------------------------------------------------------------------------- incidents


def _incident(session: Session, incident_id: str) -> tuple[Incident, Case]:
    wanted = (incident_id or "").strip().lower()
    incident = session.get(Incident, wanted)
    if incident is None and len(wanted) >= 6:
        found = session.exec(select(Incident).where(
            Incident.id >= wanted, Incident.id < wanted + "g").limit(2)).all()
        incident = found[0] if len(found) == 1 else None
    if incident is None or incident.deleted:
        raise NotFound(f"There is no incident {incident_id.strip()}.")
    case = session.get(Case, incident.case_id)
    if case is None or case.deleted:
        raise NotFound(f"There is no incident {incident_id.strip()}.")
    return incident, case


@permits(Permission.WORK_CASES)
def correct_incident(store: Store, incident_id: str, fix: IncidentCorrection,
                     reason: str = "", *, now: datetime | None = None) -> list[str]:
    """Put an incident's date and time, channel, type, description, crime reference or
    location right (a new date needs a reason); returns the names of the fields changed."""
    now = now or utc_now()
    with store.session() as session:
        incident, case = _incident(session, incident_id)
        actor = _work(session, store, case, "correct incidents")
        new: dict[str, object] = {}
        if fix.occurred_at is not None:
            when = fix.occurred_at
            if when.tzinfo is None:
                raise InvalidInput("Give the time of the incident with its time zone.",
                                   "occurred_at")
            if when > now + timedelta(minutes=5):
                raise InvalidInput("An incident cannot be dated in the future.", "occurred_at")
            if when < case.opened_at - timedelta(days=366 * 5):
                raise InvalidInput("That date is more than five years before the case was "
                                   "opened.", "occurred_at")
            new["occurred_at"] = when
        if fix.channel is not None:
            new["channel"] = _choice(Channel, fix.channel, "channel", "Channel")
        if fix.incident_type is not None:
            new["incident_type"] = _choice(IncidentType, fix.incident_type, "incident_type",
                                           "Incident type")
        if fix.description is not None:
            new["description"] = required_text(fix.description, "description", "Description",
                                               TEXT_MAX)
        if fix.crime_ref is not None:
            new["crime_ref"] = optional_text(fix.crime_ref, "crime_ref", "Crime reference",
                                             40).upper()
        if fix.location is not None:
            new["location"] = optional_text(fix.location, "location", "Location", LOCATION_MAX)
        dated = "occurred_at" in new and _same_minute(new["occurred_at"],
                                                      incident.occurred_at) is False
        why = _reason(reason, dated, "changing the incident's date")
        labels = {"occurred_at": "date and time", "channel": "channel",
                  "incident_type": "type", "description": "description",
                  "crime_ref": "crime reference", "location": "location"}
        changed = []
        for name, value in new.items():
            old = getattr(incident, name)
            if record_change(session, actor, case.id, "incident", incident.id, labels[name],
                             old, value, reason=why, at=now):
                changed.append(labels[name])
                setattr(incident, name, value)
        _nothing(changed)
        session.add(incident)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "incident", incident.id,
                     case_ref=case.ref, detail="corrected: " + ", ".join(changed), reason=why)
        return changed


def _same_minute(a: object, b: datetime) -> bool:
    return format_datetime(a) == format_datetime(b)  # type: ignore[arg-type]


@permits(Permission.WORK_CASES)
def remove_incident(store: Store, incident_id: str, reason: str, *,
                    now: datetime | None = None) -> str:
    """Remove a wrongly entered incident (a soft delete, kept in the history); returns
    the case's reference."""
    why = _reason(reason, True, "removing the incident")
    with store.session() as session:
        incident, case = _incident(session, incident_id)
        actor = _work(session, store, case, "remove incidents")
        what = incident.description
        record_change(session, actor, case.id, "incident", incident.id, REMOVED, what, "",
                      reason=why, at=now)
        incident.deleted = True
        session.add(incident)
        audit.record(session, store, actor, audit.AuditAction.DELETE, "incident", incident.id,
                     case_ref=case.ref, detail="removed as wrongly entered", reason=why)
        return case.ref


# ---------------------------------------------------------------------------- people


def _party(session: Session, party_id: str) -> tuple[Party, Case]:
    wanted = (party_id or "").strip().lower()
    party = session.get(Party, wanted)
    if party is None and len(wanted) >= 6:
        found = session.exec(select(Party).where(
            Party.id >= wanted, Party.id < wanted + "g").limit(2)).all()
        party = found[0] if len(found) == 1 else None
    if party is None or party.deleted:
        raise NotFound(f"There is no person {party_id.strip()}.")
    case = session.get(Case, party.case_id)
    if case is None or case.deleted:
        raise NotFound(f"There is no person {party_id.strip()}.")
    return party, case


@permits(Permission.WORK_CASES)
def correct_person(store: Store, party_id: str, fix: PersonCorrection, reason: str, *,
                   now: datetime | None = None, today: date | None = None) -> list[str]:
    """Put a person's name, role, date of birth, address, phone, vulnerable flag or notes
    right, for a reason; returns the names of the fields changed."""
    now = now or utc_now()
    today = today or london_today(now)
    why = _reason(reason, True, "correcting a person's details")
    with store.session() as session:
        party, case = _party(session, party_id)
        actor = _work(session, store, case, "correct people")
        new: dict[str, object] = {}
        if fix.name is not None:
            new["name"] = required_text(fix.name, "name", "Name", NAME_MAX)
        if fix.role is not None:
            new["role"] = _choice(PartyRole, fix.role, "role", "Role")
        if fix.clear_date_of_birth:
            new["date_of_birth"] = None
        elif fix.date_of_birth is not None:
            if fix.date_of_birth > today:
                raise InvalidInput("Date of birth cannot be in the future.", "date_of_birth")
            new["date_of_birth"] = fix.date_of_birth
        if fix.address is not None:
            new["address"] = optional_text(fix.address, "address", "Address", 300)
        if fix.phone is not None:
            new["phone"] = optional_text(fix.phone, "phone", "Phone", 40)
        if fix.vulnerable is not None:
            new["vulnerable"] = bool(fix.vulnerable)
        if fix.notes is not None:
            new["notes"] = optional_text(fix.notes, "notes", "Notes", TEXT_MAX)
        labels = {"name": "name", "role": "role", "date_of_birth": "date of birth",
                  "address": "address", "phone": "phone", "vulnerable": "vulnerable",
                  "notes": "notes"}
        changed = []
        for name, value in new.items():
            old = getattr(party, name)
            if name == "role":
                old = PartyRole(old)
            if record_change(session, actor, case.id, "person", party.id, labels[name], old,
                             value, reason=why, at=now):
                changed.append(labels[name])
                setattr(party, name, value)
        _nothing(changed)
        party.person_key = places.person_key(party.name, party.date_of_birth)
        party.phone_key = places.phone_key(party.phone)
        session.add(party)
        session.flush()
        was_vulnerable = case.vulnerable_victim
        _recount_vulnerable(session, case)
        if "vulnerable" in changed and PartyRole(party.role) is PartyRole.VICTIM:
            # A vulnerable victim is updated as often as on a high-risk case.
            victims.follow_risk(session, actor, case, today, reason=why, at=now)
        if case.vulnerable_victim and not was_vulnerable and case.status != CaseStatus.CLOSED:
            # A vulnerable victim is reviewed as often as a high-risk case (as on intake).
            sooner = today + review_interval(RiskLevel(case.risk), True)
            if case.next_review is None or sooner < case.next_review:
                record_change(session, actor, case.id, "case", case.id, "next review",
                              case.next_review, sooner, reason="A victim is vulnerable",
                              at=now)
                case.next_review = sooner
                session.add(case)
        search.reindex_case(session, case.id)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "person", party.id,
                     case_ref=case.ref, detail="corrected: " + ", ".join(changed), reason=why)
        return changed


@permits(Permission.WORK_CASES)
def remove_person(store: Store, party_id: str, reason: str, *,
                  now: datetime | None = None) -> str:
    """Remove a person wrongly entered on a case (a soft delete, kept in the history);
    returns the case's reference."""
    why = _reason(reason, True, "removing the person")
    with store.session() as session:
        party, case = _party(session, party_id)
        actor = _work(session, store, case, "remove people")
        what = f"{PartyRole(party.role).label}: {party.name}"
        record_change(session, actor, case.id, "person", party.id, REMOVED, what, "",
                      reason=why, at=now)
        party.deleted = True
        session.add(party)
        session.flush()
        _recount_vulnerable(session, case)
        search.reindex_case(session, case.id)
        audit.record(session, store, actor, audit.AuditAction.DELETE, "person", party.id,
                     case_ref=case.ref, detail="removed as wrongly entered", reason=why)
        return case.ref


__all__ = [
    "CaseCorrection",
    "IncidentCorrection",
    "PersonCorrection",
    "correct_case",
    "correct_incident",
    "correct_person",
    "remove_incident",
    "remove_person",
]
