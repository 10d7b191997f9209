"""Partner agencies, sharing cases with them, partner notes and the case timeline.

A case is disclosed to a partner agency by sharing it (with a reason, audited as a
disclosure); the agency's users then see the case, and of its notes only those their
agency wrote, those for all partners on the case, and those naming their agency. Police
see every note. A note is never edited: a correction is a new note that supersedes the
old one, and the history keeps both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, select

from asbtui.dates import utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.literal import one_line
from asbtui.models import (
    ActionStep,
    Agency,
    AgencyKind,
    CaseShare,
    Channel,
    District,
    EnforcementAction,
    Incident,
    IncidentType,
    NoteAudience,
    NoteVisibility,
    PartnerNote,
    Power,
)
from asbtui.services import audit, history
from asbtui.services.access import (
    NO_PEOPLE,
    Actor,
    Permission,
    current,
    ensure_readable,
    permits,
    require_district,
)
from asbtui.services.cases import find_person, load_case, optional_text, required_text
from asbtui.services.powers import stage

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from asbtui.db import Store

POLICE_AGENCY = "Kent Police"
NOTE_MAX = 4000
AGENCY_NAME_MAX = 120


# ---------------------------------------------------------------------------- agencies


@dataclass(frozen=True)
class AgencyView:
    id: str
    name: str
    kind: AgencyKind
    district: District | None
    contact_name: str
    contact_email: str
    contact_phone: str
    isa_ref: str
    active: bool


def _agency_view(a: Agency) -> AgencyView:
    return AgencyView(a.id, a.name, AgencyKind(a.kind), District(a.district) if a.district
                      else None, a.contact_name, a.contact_email, a.contact_phone, a.isa_ref,
                      a.active)


def find_agency(session: Session, name: str) -> Agency:
    """An active agency by its name (any case), or by the start of one name."""
    wanted = " ".join(name.split()).lower()
    if not wanted:
        raise InvalidInput("Name the agency.", "agency")
    rows = session.exec(select(Agency).where(~Agency.deleted, Agency.active)).all()
    exact = [a for a in rows if a.name.lower() == wanted]
    starts = [a for a in rows if a.name.lower().startswith(wanted)]
    found = exact or starts
    if len(found) == 1:
        return found[0]
    if not found:
        raise InvalidInput(f"There is no agency called '{one_line(name, 60)}'. "
                           "See the register: asbtui agency list.", "agency")
    raise InvalidInput(f"'{one_line(name, 60)}' could be any of "
                       f"{', '.join(a.name for a in found[:4])}: give more of the name.",
                       "agency")


@permits(Permission.READ_AGENCIES)
def agencies(store: Store, district: District | None = None, *,
             include_inactive: bool = False) -> list[AgencyView]:
    """The register, by name; a district's list includes force-wide agencies."""
    with store.session() as session:
        query = select(Agency).where(~Agency.deleted).order_by(Agency.name)
        if not include_inactive:
            query = query.where(Agency.active)
        if district is not None:
            query = query.where(sa.or_(Agency.district == district, Agency.district.is_(None)))
        return [_agency_view(a) for a in session.exec(query).all()]


@permits(Permission.MANAGE_AGENCIES)
def add_agency(store: Store, name: str, kind: AgencyKind | str, isa_ref: str, *,
               district: District | str | None = None, contact_name: str = "",
               contact_email: str = "", contact_phone: str = "") -> AgencyView:
    actor = current(store)
    clean = " ".join(required_text(name, "name", "Name", AGENCY_NAME_MAX).split())
    try:
        kind = AgencyKind(str(kind).strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in AgencyKind)
        raise InvalidInput(f"Unknown kind of agency '{kind}': use one of {kinds}.",
                           "kind") from None
    isa = required_text(isa_ref, "isa_ref", "Information sharing agreement reference", 60)
    try:
        where = District(str(district).strip().upper()) if district else None
    except ValueError:
        raise InvalidInput(f"Unknown district '{district}'.", "district") from None
    email = optional_text(contact_email, "contact_email", "Email", 120)
    if email and "@" not in email:
        raise InvalidInput("The contact email needs an '@'.", "contact_email")
    with store.session() as session:
        clash = session.exec(select(Agency).where(
            sa.func.lower(Agency.name) == clean.lower())).first()
        if clash is not None:
            raise InvalidInput(f"There is already an agency called {clash.name}.", "name")
        agency = Agency(name=clean, kind=kind, district=where, isa_ref=isa, contact_email=email,
                        contact_name=optional_text(contact_name, "contact_name", "Contact", 120),
                        contact_phone=optional_text(contact_phone, "contact_phone", "Phone", 40))
        session.add(agency)
        session.flush()
        audit.record(session, store, actor, audit.AuditAction.CREATE, "agency", agency.id,
                     detail=f"kind {kind.value}; ISA {isa}")
        return _agency_view(agency)


@permits(Permission.MANAGE_AGENCIES)
def set_agency_active(store: Store, name: str, active: bool) -> AgencyView:
    actor = current(store)
    with store.session() as session:
        agency = session.exec(select(Agency).where(
            sa.func.lower(Agency.name) == " ".join(name.split()).lower())).first()
        if agency is None:
            raise InvalidInput(f"There is no agency called '{one_line(name, 60)}'.", "agency")
        before, agency.active = agency.active, active
        session.add(agency)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "agency", agency.id,
                     detail=f"active: {before} -> {active}")
        return _agency_view(agency)


# ---------------------------------------------------------------------------- sharing


@dataclass(frozen=True)
class ShareView:
    agency: str
    agency_id: str
    isa_ref: str
    shared_at: datetime
    shared_by: str
    justification: str


def _shares(session: Session, case_id: str) -> list[ShareView]:
    rows = session.exec(
        select(CaseShare, Agency).join(Agency, Agency.id == CaseShare.agency_id)
        .where(CaseShare.case_id == case_id, CaseShare.revoked_at.is_(None), ~CaseShare.deleted)
        .order_by(Agency.name)).all()
    return [ShareView(a.name, a.id, a.isa_ref, s.shared_at, s.shared_by, s.justification)
            for s, a in rows]


@permits(Permission.READ_CASES)
def case_shares(store: Store, ref: str) -> list[ShareView]:
    """The agencies a case is shared with now."""
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        return _shares(session, case.id)


@permits(Permission.SHARE_CASES)
def share_case(store: Store, ref: str, agency: str, reason: str, *,
               people: Sequence[str] | None = None, now: datetime | None = None) -> ShareView:
    """Disclose a case to a partner agency: audited with the reason given.

    ``people`` are the ids (or their first 6+ characters) of the people disclosed with it;
    None is the default (the victims only), an empty list nobody. A withheld
    person (anonymous, or "do not disclose to partners") is never disclosed.
    """
    actor = current(store)
    why = audit.justification(reason)
    with store.session() as session:
        case = load_case(session, ref)
        require_district(actor, case.district, "share cases")
        partner = find_agency(session, agency)
        if any(s.agency_id == partner.id for s in _shares(session, case.id)):
            raise InvalidInput(f"{case.ref} is already shared with {partner.name}.", "agency")
        chosen = ""
        if people is not None:
            parties = [find_person(session, case.id, ref, p) for p in people]
            withheld = [p for p in parties if p.withheld]
            if withheld:
                raise InvalidInput(f"Person {withheld[0].id[:8]} is withheld from partners "
                                   "(anonymous, or not to be disclosed).", "people")
            chosen = ",".join(dict.fromkeys(p.id for p in parties)) or NO_PEOPLE
        share = CaseShare(case_id=case.id, agency_id=partner.id, shared_at=now or utc_now(),
                          shared_by=actor.username, justification=why, people=chosen)
        session.add(share)
        session.flush()
        disclosed = ("people disclosed: victims (default)" if not chosen
                     else "people disclosed: none" if chosen == NO_PEOPLE
                     else f"people disclosed: {', '.join(i[:8] for i in chosen.split(','))}")
        audit.record(session, store, actor, audit.AuditAction.DISCLOSE, "case", case.id,
                     case_ref=case.ref, detail=f"shared with {partner.name} "
                     f"(ISA {partner.isa_ref}); {disclosed}", reason=why)
        return ShareView(partner.name, partner.id, partner.isa_ref, share.shared_at,
                         share.shared_by, why)


@permits(Permission.SHARE_CASES)
def revoke_share(store: Store, ref: str, agency: str, *, now: datetime | None = None) -> None:
    """Stop sharing a case with an agency (what it saw already stays in the audit)."""
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref)
        require_district(actor, case.district, "change sharing")
        partner = find_agency(session, agency)
        share = session.exec(select(CaseShare).where(
            CaseShare.case_id == case.id, CaseShare.agency_id == partner.id,
            CaseShare.revoked_at.is_(None))).first()
        if share is None:
            raise InvalidInput(f"{case.ref} is not shared with {partner.name}.", "agency")
        share.revoked_at = now or utc_now()
        session.add(share)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "case", case.id,
                     case_ref=case.ref, detail=f"sharing with {partner.name} stopped")


# ---------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class NoteView:
    id: str
    agency: str
    author: str
    written_at: datetime
    text: str
    visibility: NoteVisibility = NoteVisibility.POLICE
    audience: tuple[str, ...] = ()
    supersedes_id: str | None = None
    superseded_by_id: str | None = None

    @property
    def current(self) -> bool:
        return self.superseded_by_id is None

    @property
    def seen_by(self) -> str:
        """Who may read it: police and the author's own agency always, and its audience."""
        if self.visibility is NoteVisibility.ALL_PARTNERS:
            return self.visibility.label
        readers = ["Police"]
        if self.agency != POLICE_AGENCY:
            readers.append(self.agency)
        readers += [a for a in self.audience if a not in readers]
        if len(readers) == 1:
            return "Police only"
        return ", ".join(readers[:-1]) + " and " + readers[-1]


def visible_notes(session: Session, actor: Actor, case_id: str) -> list[NoteView]:
    """The notes of a case that ``actor`` may read, newest first."""
    query = select(PartnerNote).where(PartnerNote.case_id == case_id, ~PartnerNote.deleted)
    if actor.is_partner:
        mine = actor.agency_id or ""
        named = sa.select(NoteAudience.note_id).where(NoteAudience.agency_id == mine,
                                                      ~NoteAudience.deleted)
        query = query.where(sa.or_(
            PartnerNote.agency_id == mine,
            PartnerNote.visibility == NoteVisibility.ALL_PARTNERS,
            sa.and_(PartnerNote.visibility == NoteVisibility.NAMED,
                    PartnerNote.id.in_(named))))
    elif not actor.is_police:
        return []
    notes = session.exec(query.order_by(PartnerNote.written_at.desc())).all()
    ids = [n.id for n in notes]
    audience: dict[str, list[str]] = {}
    for note_id, name in session.execute(
            sa.select(NoteAudience.note_id, Agency.name)
            .join(Agency, Agency.id == NoteAudience.agency_id)
            .where(NoteAudience.note_id.in_(ids), ~NoteAudience.deleted)
            .order_by(Agency.name)):
        audience.setdefault(note_id, []).append(name)
    # Which notes are superseded: by any note of the case, even one this actor cannot
    # read (a partner still learns that a note was corrected, never what it says).
    superseded = dict(session.execute(
        sa.select(PartnerNote.supersedes_id, PartnerNote.id)
        .where(PartnerNote.case_id == case_id, PartnerNote.supersedes_id.is_not(None),
               ~PartnerNote.deleted)).all())
    return [NoteView(n.id, n.agency, n.author, n.written_at, n.text,
                     NoteVisibility(n.visibility), tuple(audience.get(n.id, ())),
                     n.supersedes_id, superseded.get(n.id)) for n in notes]


@permits(Permission.WRITE_NOTES)
def add_note(store: Store, ref: str, text: str, *,
             visibility: NoteVisibility | str = NoteVisibility.POLICE,
             audience: Iterable[str] = (), supersedes: str | None = None,
             reason: str | None = None, now: datetime | None = None) -> NoteView:
    """Add a note (or a correction of one) to a case, for the readers ``visibility`` names.

    Police notes that partners may read are disclosures: they need a reason. A partner
    writes as their agency, on cases shared with it; police and the author's own agency
    always read a note.
    """
    actor = current(store)
    body = required_text(text, "text", "Note", NOTE_MAX)
    try:
        visibility = NoteVisibility(str(visibility).strip().lower())
    except ValueError:
        raise InvalidInput("Visibility is police, named or all_partners.",
                           "visibility") from None
    named = [a for a in audience if a.strip()]
    if visibility is NoteVisibility.NAMED and not named:
        raise InvalidInput("Name the agencies that may read this note.", "audience")
    if visibility is not NoteVisibility.NAMED and named:
        raise InvalidInput("Only a note for named agencies takes a list of agencies.",
                           "audience")
    why = ""
    if actor.is_police and visibility is not NoteVisibility.POLICE:
        why = audit.justification(reason)
    with store.session() as session:
        case = load_case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        if actor.is_police:
            require_district(actor, case.district, "write notes")
        shares = {s.agency_id: s for s in _shares(session, case.id)}
        readers = []
        for name in named:
            partner = find_agency(session, name)
            if partner.id not in shares:
                raise InvalidInput(f"{case.ref} is not shared with {partner.name}: share it "
                                   "first, or choose another agency.", "audience")
            readers.append(partner)
        if visibility is NoteVisibility.ALL_PARTNERS and not shares and actor.is_police:
            raise InvalidInput(f"{case.ref} is not shared with any partner agency yet.",
                               "visibility")
        previous = _note_to_correct(session, actor, case.id, supersedes)
        note = PartnerNote(
            case_id=case.id, text=body, written_at=now or utc_now(), visibility=visibility,
            agency=POLICE_AGENCY if actor.is_police else actor.agency_name,
            agency_id=None if actor.is_police else actor.agency_id,
            author=actor.full_name or actor.username,
            supersedes_id=previous.id if previous else None)
        session.add(note)
        session.flush()
        for partner in readers:
            session.add(NoteAudience(note_id=note.id, agency_id=partner.id))
        detail = f"visibility {visibility.value}"
        if readers:
            detail += f" ({', '.join(p.name for p in readers)})"
        if previous:
            detail += f"; supersedes note {previous.id}"
        audit.record(session, store, actor, audit.AuditAction.CREATE, "note", note.id,
                     case_ref=case.ref, detail=detail)
        if why:
            audit.record(session, store, actor, audit.AuditAction.DISCLOSE, "note", note.id,
                         case_ref=case.ref, detail=f"note for {visibility.label.lower()}",
                         reason=why)
        session.flush()
        return next(n for n in visible_notes(session, actor, case.id) if n.id == note.id)


def _note_to_correct(session: Session, actor: Actor, case_id: str,
                     note_id: str | None) -> PartnerNote | None:
    if not note_id:
        return None
    visible = {n.id: n for n in visible_notes(session, actor, case_id)}
    note = visible.get(note_id)
    if note is None:
        raise NotFound("There is no such note on this case.")
    own = (note.agency == POLICE_AGENCY) if actor.is_police else (
        session.get(PartnerNote, note_id).agency_id == actor.agency_id)
    if not own:
        raise InvalidInput(f"Only {note.agency} can correct its own note.", "supersedes")
    if note.superseded_by_id is not None:
        raise InvalidInput("That note has already been corrected: correct the newest "
                           "version.", "supersedes")
    return session.get(PartnerNote, note_id)


@permits(Permission.READ_CASES)
def case_notes(store: Store, ref: str) -> list[NoteView]:
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        return visible_notes(session, actor, case.id)


# ---------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # incident, note, action, correction, removal
    title: str
    text: str
    who: str = ""


@permits(Permission.READ_CASES)
def timeline(store: Store, ref: str) -> list[TimelineEntry]:
    """Incidents, notes, enforcement steps and corrections of one case, by date, oldest
    first (people's details corrected are named, their values held back)."""
    actor = current(store)
    with store.session() as session:
        case = load_case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        entries = [
            TimelineEntry(i.occurred_at, "incident",
                          f"Incident: {IncidentType(i.incident_type).label.lower()}",
                          i.description, Channel(i.channel).label)
            for i in session.exec(select(Incident).where(Incident.case_id == case.id,
                                                         ~Incident.deleted)).all()
        ]
        for note in visible_notes(session, actor, case.id):
            title = "Correction" if note.supersedes_id else "Note"
            if not note.current:
                title += " (corrected later)"
            entries.append(TimelineEntry(note.written_at, "note", f"{title}: {note.agency}",
                                         note.text, note.author))
        for step, action in session.exec(
                select(ActionStep, EnforcementAction)
                .join(EnforcementAction, EnforcementAction.id == ActionStep.action_id)
                .where(EnforcementAction.case_id == case.id, ~ActionStep.deleted)).all():
            power = Power(action.power)
            entries.append(TimelineEntry(step.occurred_at, "action",
                                         f"{power.label}: {stage(power, step.stage).label}",
                                         step.notes, step.authorised_by))
        for change in history.entries(session, case.id):
            # Corrections and removals: what changed, from what, by whom, when and why.
            kind = "removal" if change.removal else "correction"
            text = f"why: {change.reason}" if change.reason else ""
            entries.append(TimelineEntry(change.at, kind, change.describe(), text, change.by))
    entries.sort(key=lambda e: e.at)
    return entries


