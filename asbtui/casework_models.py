"""The tables of what a case holds and the work done on it, beyond the case itself: its
incidents, people and corrections, links, partner notes, enforcement actions and their
steps, deadlines, PSPOs, imported incidents, ASB Case Reviews, problem profiles, first
contact, victim updates, conferences, tasks and letter templates.

Defined here and imported on their first use (``from asbtui.models import Deadline``
works as before: :mod:`asbtui.models` imports this module when one of these names is
first asked for), which the app's first frame never makes (it reads the cases, their
officers and the users): these 24 of the 31 tables were three quarters of the models'
import time (about 80 ms of the app's start). Each table is still defined once, here; the
enums they use stay in :mod:`asbtui.models`.
"""

# No ``from __future__ import annotations`` here, as in asbtui.models (pydantic would
# evaluate every field annotation from its string).
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from asbtui.models import (
    Authority,
    Channel,
    DeadlineStatus,
    District,
    IncidentType,
    NoteVisibility,
    PartyRole,
    ProblemStage,
    ReviewDecision,
    RiskLevel,
    Synced,
    enum_type,
    new_id,
)


class Incident(Synced, table=True):
    """One report of behaviour, linked to a case. Append-only."""

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    occurred_at: datetime
    reported_at: datetime | None = Field(
        default=None, description="When it was reported (ASB Case Review counts reports made "
        "within a month of the behaviour); None for rows made before this was recorded")
    channel: Channel = Field(sa_type=enum_type(Channel))
    incident_type: IncidentType = Field(sa_type=enum_type(IncidentType))
    description: str
    crime_ref: str = Field(default="", description="Crime reference where a crime was recorded")
    location: str = Field(default="")
    # Copies of facts about the case (its reference, district and location, with the
    # location's keys), written with the incident so that the patterns of concern count
    # incidents from one covering index, not by joining each one to its case. A correction
    # of the case's district or location rewrites them (services/corrections.py).
    district: District = Field(sa_type=enum_type(District), description="The case's district")
    case_ref: str = Field(default="", description="The case's ref")
    case_location: str = Field(default="", description="The case's location")
    address_key: str = Field(default="", description="The case's address_key")
    street_key: str = Field(default="", description="The case's street_key")
    postcode_key: str = Field(default="", description="The case's postcode_key")

    __table_args__ = (
        sa.Index("ix_incident_address", "district", "address_key", "case_ref", "case_location",
                 "occurred_at", "deleted"),
        sa.Index("ix_incident_street", "district", "street_key", "case_ref", "case_location",
                 "occurred_at", "deleted"),
        sa.Index("ix_incident_postcode", "district", "postcode_key", "case_ref", "occurred_at",
                 "deleted"),
        # A case's reports by time; with reported_at, the ASB Case Review marks count
        # them from the index alone (services/case_review.py).
        sa.Index("ix_incident_case", "district", "case_id", "occurred_at", "deleted", "case_ref",
                 "reported_at"),
        # The reports whose time crossed a window's edge as time moved: the keys of the
        # kept patterns to refresh (services/pattern_snapshot.py).
        sa.Index("ix_incident_occurred", "occurred_at", "district"),
    )


class Party(Synced, table=True):
    """A person involved in a case: victim, perpetrator, witness or reporter."""

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    role: PartyRole = Field(sa_type=enum_type(PartyRole))
    name: str
    date_of_birth: date | None = Field(default=None)
    address: str = Field(default="")
    phone: str = Field(default="")
    vulnerable: bool = Field(default=False)
    notes: str = Field(default="")
    person_key: str = Field(default="", index=True, description="Name and birth date, normalised")
    phone_key: str = Field(default="", description="Phone digits only, UK form (07..., 01...)")
    withheld: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()},
                           description="Anonymous, or not to be disclosed to partners")

    __table_args__ = (
        # Repeat victims and perpetrators: a case's people of one role, from the index alone.
        sa.Index("ix_party_case_role", "case_id", "role", "person_key", "name", "deleted"),
        # People named on several cases, counted in order without sorting.
        sa.Index("ix_party_role_person", "role", "person_key", "case_id", "deleted"),
        # Finding a person across the force by phone (a few rows; never a scan).
        sa.Index("ix_party_phone", "phone_key", sqlite_where=sa.text("phone_key != ''")),
    )


class Correction(Synced, table=True):
    """One field of a case, incident or person put right, or a record removed. Append-only.

    The history of a case: what changed, from what, to what, by whom, when and why. A
    removal (a wrongly entered incident or person, soft-deleted) has ``field`` "removed".
    Values are kept as shown to users (dates DD/MM/YYYY); people's details among them
    are personal data, shown only as people's details are, and erased with the case.
    """

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id")
    record_type: str = Field(description="case, incident or person")
    record_id: str
    field_name: str = Field(description="The field's name as users know it, or 'removed'")
    old_value: str = Field(default="")
    new_value: str = Field(default="")
    reason: str = Field(default="")
    corrected_by: str = Field(description="Username, or 'local'")
    corrected_at: datetime

    __table_args__ = (sa.Index("ix_correction_case", "case_id", "corrected_at"),)


class CaseLink(Synced, table=True):
    """Two cases about related problems, linked: each shows and opens the other."""

    __tablename__ = "caselink"

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    other_case_id: str = Field(foreign_key="case.id", index=True)
    linked_by: str
    linked_at: datetime
    reason: str = Field(default="")


class PartnerNote(Synced, table=True):
    """A note from or about a partner agency on a case. Append-only.

    A correction is a new note whose ``supersedes_id`` names the note it corrects; both
    stay in the history. ``agency`` is the author's agency name as written (police notes
    say "Kent Police"); ``agency_id`` is set when it is a registered partner agency.
    """

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    agency: str
    author: str
    written_at: datetime
    text: str
    agency_id: str | None = Field(default=None, foreign_key="agency.id", index=True)
    visibility: NoteVisibility = Field(
        default=NoteVisibility.POLICE, sa_type=enum_type(NoteVisibility)
    )
    supersedes_id: str | None = Field(default=None, foreign_key="partnernote.id")


class NoteAudience(Synced, table=True):
    """A named agency that may read a note whose visibility is 'named agencies'."""

    __tablename__ = "noteaudience"

    id: str = Field(default_factory=new_id, primary_key=True)
    note_id: str = Field(foreign_key="partnernote.id", index=True)
    agency_id: str = Field(foreign_key="agency.id", index=True)


class EnforcementAction(Synced, table=True):
    """A power of the 2014 Act used on a case; its steps are ActionStep rows."""

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    power: str = Field(description="A Power value, e.g. closure, cpw")
    stage: str = Field(description="The stage of its latest step")
    started_at: datetime
    next_deadline_at: datetime | None = Field(default=None)
    concerns: str = Field(default="", description="The person or premises it concerns")
    notes: str = Field(default="")
    subject_party_id: str | None = Field(default=None, foreign_key="party.id")
    conduct: str = Field(default="", description="The conduct a CPW or CPN is about")
    pspo_id: str | None = Field(default=None, foreign_key="pspo.id")
    parent_action_id: str | None = Field(default=None, foreign_key="enforcementaction.id")
    ends_at: datetime | None = Field(default=None, description="When the order or notice ends")
    closed: bool = Field(default=False)


class ActionStep(Synced, table=True):
    """One step of an enforcement action, as it happened. Append-only."""

    __tablename__ = "actionstep"

    id: str = Field(default_factory=new_id, primary_key=True)
    action_id: str = Field(foreign_key="enforcementaction.id", index=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    stage: str
    occurred_at: datetime
    authorised_by: str = Field(default="")
    authority: Authority | None = Field(default=None, sa_type=enum_type(Authority))
    documents: str = Field(default="", description="References of the documents")
    notes: str = Field(default="")
    ends_at: datetime | None = Field(default=None)


class Deadline(Synced, table=True):
    """A statutory or review deadline set by a step, until completed or marked missed."""

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str | None = Field(default=None, foreign_key="case.id", index=True)
    action_id: str | None = Field(default=None, foreign_key="enforcementaction.id", index=True)
    pspo_id: str | None = Field(default=None, foreign_key="pspo.id", index=True)
    step_id: str | None = Field(default=None, foreign_key="actionstep.id")
    district: District = Field(sa_type=enum_type(District))
    kind: str
    label: str
    source: str = Field(default="", description="The provision the period comes from")
    due_at: datetime
    status: DeadlineStatus = Field(default=DeadlineStatus.OPEN, sa_type=enum_type(DeadlineStatus))
    resolved_at: datetime | None = Field(default=None)
    resolution: str = Field(default="", description="How it was met, or why it was missed")
    met_at: datetime | None = Field(
        default=None, description="When a step met it after it had passed (missed, met late)"
    )

    __table_args__ = (
        sa.Index("ix_deadline_due", "status", "district", "due_at"),
        sa.Index("ix_deadline_open_due", "status", "deleted", "due_at", "id"),
        sa.Index("ix_deadline_open_district", "status", "deleted", "district", "due_at", "id"),
    )


class Pspo(Synced, table=True):
    """A Public Spaces Protection Order made by a council (ABCPA s59)."""

    id: str = Field(default_factory=new_id, primary_key=True)
    district: District = Field(sa_type=enum_type(District), index=True)
    council: str
    title: str
    area: str
    prohibitions: str
    made_on: date
    expires_on: date
    reference: str = Field(default="")


class PspoExtension(Synced, table=True):
    """An extension of a PSPO (ABCPA s60(2)). Append-only."""

    __tablename__ = "pspoextension"

    id: str = Field(default_factory=new_id, primary_key=True)
    pspo_id: str = Field(foreign_key="pspo.id", index=True)
    decided_on: date
    new_expiry: date


class ImportedIncident(Synced, table=True):
    """An ASB report from a data.police.uk street-level file. Imported once, never edited."""

    __tablename__ = "importedincident"

    id: str = Field(default_factory=new_id, primary_key=True)
    source_key: str = Field(unique=True, description="Same row, same key: re-imports add nothing")
    month: date = Field(description="The first day of the month reported")
    district: District = Field(sa_type=enum_type(District))
    reported_by: str = Field(default="")
    falls_within: str = Field(default="")
    longitude: float | None = Field(default=None)
    latitude: float | None = Field(default=None)
    location: str = Field(default="")
    street_key: str = Field(default="")
    lsoa_code: str = Field(default="")
    lsoa_name: str = Field(default="")
    context: str = Field(default="")
    source_file: str = Field(default="")

    __table_args__ = (
        sa.Index("ix_imported_district_month", "district", "month"),
        # Counted from the index alone (the soft-delete flag included).
        sa.Index("ix_imported_street", "district", "street_key", "month", "deleted"),
        sa.Index("ix_imported_lsoa", "district", "lsoa_code", "month", "deleted"),
        sa.Index("ix_imported_lsoa_name", "lsoa_code", "lsoa_name"),
    )


class CaseReview(Synced, table=True):
    """An ASB Case Review (Community Trigger) application and what came of it."""

    __tablename__ = "casereview"

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    district: District = Field(sa_type=enum_type(District))
    requested_on: date
    requested_by: str = Field(default="")
    qualifying_reports: int = Field(default=0, description="Counted when the request was made")
    threshold_met: bool = Field(default=False)
    decision: ReviewDecision = Field(default=ReviewDecision.PENDING,
                                     sa_type=enum_type(ReviewDecision))
    decided_on: date | None = Field(default=None)
    decision_reason: str = Field(default="")
    meeting_on: date | None = Field(default=None)
    outcome: str = Field(default="")
    outcome_on: date | None = Field(default=None)


class Problem(Synced, table=True):
    """A problem profile of the Problem-Solving Task Force: cases grouped, analysed, answered."""

    id: str = Field(default_factory=new_id, primary_key=True)
    district: District | None = Field(default=None, sa_type=enum_type(District))
    title: str
    owner: str = Field(default="", description="Collar number or name of its lead")
    stage: ProblemStage = Field(default=ProblemStage.SCAN, sa_type=enum_type(ProblemStage))
    opened_on: date
    street_key: str = Field(default="", description="The place it is about, if one street")
    victim_analysis: str = Field(default="")
    offender_analysis: str = Field(default="")
    location_analysis: str = Field(default="")
    assessment: str = Field(default="")
    responses_started_on: date | None = Field(default=None)


class ProblemCase(Synced, table=True):
    """A case grouped into a problem profile."""

    __tablename__ = "problemcase"

    id: str = Field(default_factory=new_id, primary_key=True)
    problem_id: str = Field(foreign_key="problem.id", index=True)
    case_id: str = Field(foreign_key="case.id", index=True)


class ProblemResponse(Synced, table=True):
    """A response to a problem: what, by whom (owner, partner agency), by when, done when."""

    __tablename__ = "problemresponse"

    id: str = Field(default_factory=new_id, primary_key=True)
    problem_id: str = Field(foreign_key="problem.id", index=True)
    action: str
    owner: str = Field(default="")
    agency: str = Field(default="")
    due_on: date | None = Field(default=None)
    done_on: date | None = Field(default=None)


class VictimUpdatePlan(Synced, table=True):
    """How often a victim is kept informed (agreed with them), and when the next update is due."""

    __tablename__ = "victimupdateplan"

    id: str = Field(default_factory=new_id, primary_key=True)
    party_id: str = Field(foreign_key="party.id", unique=True)
    case_id: str = Field(foreign_key="case.id")
    district: District = Field(sa_type=enum_type(District))
    frequency_days: int
    agreed: str = Field(default="", description="What was agreed with the victim, if changed")
    next_due: date
    last_contact_at: datetime | None = Field(default=None)

    __table_args__ = (
        sa.Index("ix_victimupdate_due", "district", "next_due"),  # a supervisor's districts
        sa.Index("ix_victimupdate_case", "case_id", "next_due"),  # an officer's cases
    )


class VictimContact(Synced, table=True):
    """One update given to a victim: when, how, by whom, what was said, their view. Append-only."""

    __tablename__ = "victimcontact"

    id: str = Field(default_factory=new_id, primary_key=True)
    party_id: str = Field(foreign_key="party.id", index=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    contacted_at: datetime
    method: str
    by_user: str
    said: str = Field(default="")
    victim_view: str = Field(default="")


class Conference(Synced, table=True):
    """A multi-agency case conference about one or more cases."""

    id: str = Field(default_factory=new_id, primary_key=True)
    district: District = Field(sa_type=enum_type(District))
    title: str
    held_at: datetime
    place: str = Field(default="")
    created_by: str = Field(default="")
    minutes_recorded_at: datetime | None = Field(default=None)
    decisions: str = Field(default="", description="What the meeting decided")

    __table_args__ = (sa.Index("ix_conference_district", "district", "held_at"),)


class ConferenceCase(Synced, table=True):
    """A case on a conference's agenda."""

    __tablename__ = "conferencecase"

    id: str = Field(default_factory=new_id, primary_key=True)
    conference_id: str = Field(foreign_key="conference.id", index=True)
    case_id: str = Field(foreign_key="case.id", index=True)


class ConferenceAttendee(Synced, table=True):
    """Someone asked to a conference, by agency (the police, or a partner agency)."""

    __tablename__ = "conferenceattendee"

    id: str = Field(default_factory=new_id, primary_key=True)
    conference_id: str = Field(foreign_key="conference.id", index=True)
    agency: str = Field(description="The agency's name as written (the police: Kent Police)")
    agency_id: str | None = Field(default=None, foreign_key="agency.id")
    name: str = Field(default="")


class CaseTask(Synced, table=True):
    """A task of a case's action plan, owned by an officer or a partner agency."""

    __tablename__ = "casetask"

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    district: District = Field(sa_type=enum_type(District))
    what: str
    owner_officer_id: str | None = Field(default=None, foreign_key="officer.id")
    owner_agency_id: str | None = Field(default=None, foreign_key="agency.id")
    due_on: date
    done_on: date | None = Field(default=None)
    outcome: str = Field(default="")
    created_by: str = Field(default="")
    created_at: datetime
    conference_id: str | None = Field(default=None, foreign_key="conference.id", index=True,
                                      description="The case conference that agreed it")

    __table_args__ = (
        sa.Index("ix_casetask_officer", "owner_officer_id", "done_on", "due_on"),
        sa.Index("ix_casetask_agency", "owner_agency_id", "done_on", "due_on"),
        sa.Index("ix_casetask_district", "district", "done_on", "due_on"),
    )


class LetterTemplate(Synced, table=True):
    """A local template for a letter or notice (warning letter, CPW, CPN), set by an admin;
    without one the built-in template is used."""

    __tablename__ = "lettertemplate"

    id: str = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(unique=True, description="warning_letter, cpw or cpn")
    text: str
    updated_by: str = Field(default="")


class FirstContact(Synced, table=True):
    """A case's triage: its priority, the first-contact target it sets, and when it was met.

    One row per case, written at intake (or when a case is triaged later). ``factors``
    lists the urgency factors answered yes, by key, comma-separated.
    """

    __tablename__ = "firstcontact"

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", unique=True)
    district: District = Field(sa_type=enum_type(District))
    priority: RiskLevel = Field(sa_type=enum_type(RiskLevel))
    factors: str = Field(default="")
    reported_at: datetime = Field(description="When the report was made (the clock starts)")
    due_at: datetime = Field(description="The first-contact target (UTC)")
    met_at: datetime | None = Field(default=None, description="When first contact was made")
    met_by: str = Field(default="", description="Username of who made it")
    method: str = Field(default="", description="How: visit, phone, ...")

    __table_args__ = (
        # Open targets by district, soonest first: My day, the dashboard's breaches.
        sa.Index("ix_firstcontact_open", "district", "due_at",
                 sqlite_where=sa.text("met_at IS NULL AND deleted = 0")),
    )
