"""The vocabulary of the domain: enums and SQLModel tables.

Every table that syncs carries a UUID key made on the device, ``updated_at`` (a hybrid
logical clock stamp, see :mod:`asbtui.services.clock`), ``origin`` (the device id) and a
soft-delete flag. Incidents, partner notes and action records are append-only.
Instants are timezone-aware and stored in UTC; dates such as a review date are calendar
dates in Europe/London.

The tables the app's first frame reads (cases, officers, users, agencies, shares, the
audit log, the store's own values) are defined here; the other 24 in
:mod:`asbtui.casework_models`, imported the first time one of them is asked for from this
module (see ``__getattr__`` and ``every_table`` at the end).
"""

# No ``from __future__ import annotations`` here: pydantic would then evaluate each of the
# 380-odd field annotations from its string when the models are built, a fifth of the
# models' import time (about 40 ms of the app's start).
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

if TYPE_CHECKING:  # for type checkers: at run time, __getattr__ below imports them
    from asbtui.casework_models import (  # noqa: F401
        ActionStep,
        CaseLink,
        CaseReview,
        CaseTask,
        Conference,
        ConferenceAttendee,
        ConferenceCase,
        Correction,
        Deadline,
        EnforcementAction,
        FirstContact,
        ImportedIncident,
        Incident,
        LetterTemplate,
        NoteAudience,
        PartnerNote,
        Party,
        Problem,
        ProblemCase,
        ProblemResponse,
        Pspo,
        PspoExtension,
        VictimContact,
        VictimUpdatePlan,
    )


def enum_type(enum: type[StrEnum]) -> sa.Enum:
    """Store an enum by its value ('under_investigation'), which is what CLI and JSON show."""
    return sa.Enum(
        enum,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        create_constraint=False,
        length=32,
    )


def new_id() -> str:
    """A new primary key: a UUID4 as 32 hex digits, made offline on any device."""
    return uuid.uuid4().hex


class District(StrEnum):
    """Kent Police's 13 policing districts, each with a Community Safety Unit."""

    ASH = "ASH"
    CAN = "CAN"
    DAR = "DAR"
    DOV = "DOV"
    FOL = "FOL"
    GRA = "GRA"
    MAI = "MAI"
    MED = "MED"
    SEV = "SEV"
    SWA = "SWA"
    THA = "THA"
    TON = "TON"
    TUN = "TUN"

    @property
    def label(self) -> str:
        return DISTRICT_NAMES[self]


DISTRICT_NAMES: dict[District, str] = {
    District.ASH: "Ashford",
    District.CAN: "Canterbury",
    District.DAR: "Dartford",
    District.DOV: "Dover",
    District.FOL: "Folkestone and Hythe",
    District.GRA: "Gravesham",
    District.MAI: "Maidstone",
    District.MED: "Medway",
    District.SEV: "Sevenoaks",
    District.SWA: "Swale",
    District.THA: "Thanet",
    District.TON: "Tonbridge and Malling",
    District.TUN: "Tunbridge Wells",
}


class Category(StrEnum):
    """ASB categories of the National Standard for Incident Recording."""

    PERSONAL = "personal"
    NUISANCE = "nuisance"
    ENVIRONMENTAL = "environmental"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Channel(StrEnum):
    """How a report reached the police."""

    CALL_101 = "101"
    CALL_999 = "999"
    ONLINE = "online"
    PATROL = "patrol"
    PARTNER = "partner"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.CALL_101: "101 call",
    Channel.CALL_999: "999 call",
    Channel.ONLINE: "Online report",
    Channel.PATROL: "Officer on patrol",
    Channel.PARTNER: "Partner referral",
}


class CaseStatus(StrEnum):
    """Where a case stands. Every status but ``closed`` keeps the case in the queue."""

    OPEN = "open"
    UNDER_INVESTIGATION = "under_investigation"
    ACTION_IN_PROGRESS = "action_in_progress"
    MONITORING = "monitoring"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


OPEN_STATUSES = tuple(s for s in CaseStatus if s is not CaseStatus.CLOSED)


class ClosureReason(StrEnum):
    """Why a case was closed; a closed case must have one."""

    RESOLVED = "resolved"
    NO_FURTHER_REPORTS = "no_further_reports"
    ENFORCEMENT_COMPLETE = "enforcement_complete"
    REFERRED_TO_PARTNER = "referred_to_partner"
    VICTIM_WITHDREW = "victim_withdrew"
    NO_ASB_FOUND = "no_asb_found"
    DUPLICATE = "duplicate"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class VictimSatisfaction(StrEnum):
    """How satisfied the victim said they were with how the case was dealt with."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    NEITHER = "neither"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {"neither": "Neither satisfied nor dissatisfied",
                "declined": "Declined to say"}.get(
            self.value, self.value.replace("_", " ").capitalize())


class RiskLevel(StrEnum):
    """Risk to the victim, from the risk questionnaire."""

    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        """Higher is more urgent: standard 1, medium 2, high 3."""
        return {"standard": 1, "medium": 2, "high": 3}[self.value]


class PartyRole(StrEnum):
    """How a person is involved in a case."""

    VICTIM = "victim"
    PERPETRATOR = "perpetrator"
    WITNESS = "witness"
    REPORTER = "reporter"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class IncidentType(StrEnum):
    """What an incident was about (the behaviour reported)."""

    NOISE = "noise"
    DRUG_ACTIVITY = "drug_activity"
    GATHERINGS = "gatherings"
    HARASSMENT = "harassment"
    INTIMIDATION = "intimidation"
    VERBAL_ABUSE = "verbal_abuse"
    VEHICLE_NUISANCE = "vehicle_nuisance"
    CRIMINAL_DAMAGE = "criminal_damage"
    GRAFFITI = "graffiti"
    FLY_TIPPING = "fly_tipping"
    LITTER = "litter"
    DRUNKEN_BEHAVIOUR = "drunken_behaviour"
    NEIGHBOUR_DISPUTE = "neighbour_dispute"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Power(StrEnum):
    """The tools of the 2014 Act (and the informal measures before them)."""

    WARNING_LETTER = "warning_letter"
    ABC = "abc"
    CPW = "cpw"
    CPN = "cpn"
    FPN = "fpn"
    DISPERSAL = "dispersal"
    CIVIL_INJUNCTION = "civil_injunction"
    CBO = "cbo"
    CLOSURE = "closure"
    PSPO_BREACH = "pspo_breach"

    @property
    def label(self) -> str:
        return POWER_LABELS[self]


POWER_LABELS: dict[Power, str] = {
    Power.WARNING_LETTER: "Warning letter",
    Power.ABC: "Acceptable Behaviour Contract",
    Power.CPW: "Community Protection Warning",
    Power.CPN: "Community Protection Notice",
    Power.FPN: "Fixed Penalty Notice",
    Power.DISPERSAL: "Dispersal",
    Power.CIVIL_INJUNCTION: "Civil injunction",
    Power.CBO: "Criminal Behaviour Order",
    Power.CLOSURE: "Closure notice and order",
    Power.PSPO_BREACH: "PSPO breach",
}


class Authority(StrEnum):
    """Who authorised or made a step: police ranks, council roles, the court."""

    PCSO = "pcso"
    CONSTABLE = "constable"
    SERGEANT = "sergeant"
    INSPECTOR = "inspector"
    CHIEF_INSPECTOR = "chief_inspector"
    SUPERINTENDENT = "superintendent"
    CHIEF_SUPERINTENDENT = "chief_superintendent"
    COUNCIL_OFFICER = "council_officer"
    COUNCIL_CHIEF_EXECUTIVE = "council_chief_executive"
    HOUSING_PROVIDER = "housing_provider"
    PROSECUTOR = "prosecutor"
    COURT = "court"

    @property
    def label(self) -> str:
        return {"pcso": "PCSO"}.get(self.value, self.value.replace("_", " ").capitalize())


class DeadlineStatus(StrEnum):
    """An open deadline is never hidden: it is completed, superseded or marked missed."""

    OPEN = "open"
    COMPLETED = "completed"
    SUPERSEDED = "superseded"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Synced(SQLModel):
    """Columns that every synced row carries (stamped on flush by the store)."""

    # Each table's validator is built when first used, not at import: the app's first
    # frame reads the store with Core and uses none (about 30 ms of its start). The
    # fields, the tables and the validation itself are the same.
    model_config = {"defer_build": True}  # type: ignore[assignment]

    updated_at: str = Field(default="", index=True, description="Hybrid logical clock stamp")
    origin: str = Field(default="", description="Device id that made the last change")
    deleted: bool = Field(default=False, description="Soft delete: rows are never removed")


class Officer(Synced, table=True):
    """A CSU officer or PCSO who can own cases."""

    id: str = Field(default_factory=new_id, primary_key=True)
    collar: str = Field(unique=True, description="Collar or staff number, e.g. PC 4512")
    name: str
    district: District = Field(sa_type=enum_type(District), index=True)


# The queue's sort keys, computed by SQLite (see Case). 0 sorts first.
PRIORITY_RANK_SQL = "CASE WHEN risk = 'high' OR vulnerable_victim THEN 0 ELSE 1 END"
RISK_RANK_SQL = "CASE risk WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"
# The nearer of the review (the end of its day) and the nearest statutory deadline, as
# stored text (ISO dates and UTC times sort as text); '9999' when there is neither.
DUE_KEY_SQL = ("min(coalesce(strftime('%Y-%m-%d 23:59', next_review), '9999'), "
               "coalesce(CAST(next_deadline_at AS VARCHAR), '9999'))")
QUEUE_INDEXES: dict[str, tuple[str, ...]] = {
    "ix_case_urgency": ("deleted", "district", "priority_rank", "risk_rank", "due_key",
                        "opened_at", "id", "status"),
    "ix_case_urgency_all": ("deleted", "priority_rank", "risk_rank", "due_key", "opened_at",
                            "id", "status"),
    # "My cases" (one owner, any district or one) in urgency order (migration 0023).
    "ix_case_urgency_by_owner": ("deleted", "owner_id", "priority_rank", "risk_rank",
                                 "due_key", "opened_at", "id", "district", "status"),
    "ix_case_by_opened": ("deleted", "district", "opened_at", "id", "status"),
    "ix_case_by_opened_all": ("deleted", "opened_at", "id", "status"),
    "ix_case_by_ref": ("deleted", "district", "ref", "id", "status"),
    "ix_case_by_category": ("deleted", "district", "category", "risk_rank", "id", "status"),
    "ix_case_by_status": ("deleted", "district", "status", "risk_rank", "id"),
    "ix_case_by_risk": ("deleted", "district", "risk_rank", "due_key", "id", "status"),
    "ix_case_by_location": ("deleted", "district", "location", "id", "status"),
    "ix_case_by_due": ("deleted", "district", "due_key", "risk_rank", "id", "status"),
    "ix_case_by_owner": ("deleted", "district", "owner_id", "risk_rank", "id", "status"),
    "ix_case_by_owner_all": ("deleted", "owner_id", "risk_rank", "id", "status"),
}
# Closed cases across all districts in urgency order: a partial index of the closed cases
# alone. ix_case_urgency_all filters the status from the index, so a page of closed cases
# walked past every open case before them (17.8 ms a page at 1,000,000 cases, 3 ms with
# this one); within one district the open cases are few enough to pass over.
CLOSED_URGENCY_COLUMNS = ("deleted", "priority_rank", "risk_rank", "due_key", "opened_at", "id")


class Case(Synced, table=True):
    """An ASB case: one problem (person, household, place or group) and its incidents."""

    id: str = Field(default_factory=new_id, primary_key=True)
    ref: str = Field(unique=True, description="Human reference, e.g. THA-26-7K3QX")
    district: District = Field(sa_type=enum_type(District))
    category: Category = Field(sa_type=enum_type(Category))
    channel: Channel = Field(sa_type=enum_type(Channel), description="How the first report arrived")
    status: CaseStatus = Field(default=CaseStatus.OPEN, sa_type=enum_type(CaseStatus))
    risk: RiskLevel = Field(default=RiskLevel.STANDARD, sa_type=enum_type(RiskLevel))
    hate_motivated: bool = Field(default=False)
    summary: str
    location: str = Field(default="")
    postcode: str = Field(default="")
    street_key: str = Field(default="", description="Normalised street, for repeat locations")
    address_key: str = Field(default="", description="Normalised address")
    postcode_key: str = Field(default="", description="Postcode without spaces")
    owner_id: str | None = Field(default=None, foreign_key="officer.id", index=True)
    opened_at: datetime = Field(description="When the case was opened (UTC)")
    next_review: date | None = Field(default=None)
    vulnerable_victim: bool = Field(
        default=False, description="A victim on the case is vulnerable (kept by the services)"
    )
    next_deadline_at: datetime | None = Field(
        default=None, description="The nearest open statutory deadline (kept by enforcement)"
    )
    closed_at: datetime | None = Field(default=None)
    closure_reason: ClosureReason | None = Field(default=None, sa_type=enum_type(ClosureReason))
    closing_summary: str = Field(default="", description="What was done and how it ended")
    victim_asked: bool | None = Field(
        default=None, description="Whether the victim was asked how satisfied they are "
        "(None: closed before this was recorded, or still open)")
    victim_satisfaction: VictimSatisfaction | None = Field(
        default=None, sa_type=enum_type(VictimSatisfaction))
    retain_until: date | None = Field(
        default=None, description="Kept after a personal data review until this date"
    )
    # No foreign key: SQLite cannot add one to an existing table without rebuilding it.
    merged_into_id: str | None = Field(
        default=None, description="The case this duplicate was merged into; its ref opens "
        "that case")
    # Where the problem is, when known (WGS84 degrees): nearby cases match at intake.
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    # The queue's urgency order as data an index can walk. SQLite computes these from the
    # columns they read whenever a row is read or indexed, so no service has to keep them.
    # Whether a case is overdue depends on the hour, so it is not stored: the queue seeks
    # the overdue part of each (priority, risk) range of the index by due_key.
    priority_rank: int | None = Field(default=None, sa_column=sa.Column(
        "priority_rank", sa.Integer, sa.Computed(PRIORITY_RANK_SQL, persisted=False)))
    risk_rank: int | None = Field(default=None, sa_column=sa.Column(
        "risk_rank", sa.Integer, sa.Computed(RISK_RANK_SQL, persisted=False)))
    due_key: str | None = Field(default=None, sa_column=sa.Column(
        "due_key", sa.String, sa.Computed(DUE_KEY_SQL, persisted=False)))

    __table_args__ = (
        # The dashboard's figures per district, risk and status, read from this index alone.
        sa.Index("ix_case_queue", "deleted", "district", "status", "risk", "next_review",
                 "owner_id", "opened_at"),
        # One index per queue order, each ending with the id (every key unique) and the
        # status (filtered from the index): a page is a seek and a short walk.
        *(sa.Index(name, *columns) for name, columns in QUEUE_INDEXES.items()),
        sa.Index("ix_case_closed_urgency", *CLOSED_URGENCY_COLUMNS,
                 sqlite_where=sa.text("status = 'closed'")),
        sa.Index("ix_case_opened", "district", "opened_at"),
        sa.Index("ix_case_street", "district", "street_key"),
        # Duplicates at intake: a place's open cases newest first, from the index alone.
        sa.Index("ix_case_address", "address_key", "status", "opened_at", "ref", "deleted"),
        sa.Index("ix_case_postcode", "postcode_key", "status", "opened_at", "ref", "deleted"),
        # Cases near a point: a box of latitudes, longitudes filtered in the index.
        sa.Index("ix_case_point", "latitude", "longitude",
                 sqlite_where=sa.text("latitude IS NOT NULL")),
        # The few soft-deleted cases, whose incidents the patterns leave out.
        # (The condition is written as the services' queries write it, so SQLite uses it.)
        sa.Index("ix_case_deleted", "ref", sqlite_where=sa.text("deleted = 1")),
        # The few duplicates merged into a case, listed on it.
        sa.Index("ix_case_merged_into", "merged_into_id",
                 sqlite_where=sa.text("merged_into_id IS NOT NULL")),
    )


class NoteVisibility(StrEnum):
    """Who may read a partner note, besides the police and the author's own agency."""

    POLICE = "police"
    NAMED = "named"
    ALL_PARTNERS = "all_partners"

    @property
    def label(self) -> str:
        return {
            NoteVisibility.POLICE: "Police only",
            NoteVisibility.NAMED: "Named agencies",
            NoteVisibility.ALL_PARTNERS: "All partners on the case",
        }[self]


class ReviewDecision(StrEnum):
    """The partnership's decision on an ASB Case Review application (s104)."""

    PENDING = "pending"
    REVIEW = "review"
    NO_REVIEW = "no_review"

    @property
    def label(self) -> str:
        return {"pending": "Awaiting decision", "review": "Review held",
                "no_review": "No review"}[self.value]


class ProblemStage(StrEnum):
    """SARA: Scan, Analyse, Respond, Assess; then closed."""

    SCAN = "scan"
    ANALYSE = "analyse"
    RESPOND = "respond"
    ASSESS = "assess"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class AgencyKind(StrEnum):
    """The kinds of partner agency a CSU shares information with."""

    COUNCIL = "council"
    HOUSING = "housing"
    BUSINESS = "business"
    FIRE = "fire"
    HEALTH = "health"
    SCHOOL = "school"
    YOUTH_OFFENDING = "youth_offending"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            AgencyKind.COUNCIL: "Council",
            AgencyKind.HOUSING: "Housing provider",
            AgencyKind.BUSINESS: "Business",
            AgencyKind.FIRE: "Fire and rescue",
            AgencyKind.HEALTH: "Health",
            AgencyKind.SCHOOL: "School",
            AgencyKind.YOUTH_OFFENDING: "Youth offending service",
            AgencyKind.OTHER: "Other",
        }[self]


class Agency(Synced, table=True):
    """A partner agency, and the information sharing agreement data is shared under."""

    id: str = Field(default_factory=new_id, primary_key=True)
    name: str = Field(unique=True)
    kind: AgencyKind = Field(sa_type=enum_type(AgencyKind))
    district: District | None = Field(
        default=None, sa_type=enum_type(District), description="Its district, if only one"
    )
    contact_name: str = Field(default="")
    contact_email: str = Field(default="")
    contact_phone: str = Field(default="")
    isa_ref: str = Field(description="Reference of the information sharing agreement")
    active: bool = Field(default=True)


class Role(StrEnum):
    """What a user may do (see services/access.py for each role's permissions)."""

    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    PARTNER = "partner"
    ADMIN = "admin"


class User(Synced, table=True):
    """Someone who signs in: a role, their districts or agency, and a hashed PIN."""

    __tablename__ = "app_user"

    id: str = Field(default_factory=new_id, primary_key=True)
    username: str = Field(unique=True, description="Sign-in name, lower case")
    full_name: str = Field(default="")
    role: Role = Field(sa_type=enum_type(Role))
    districts: str = Field(default="", description="District codes, comma-separated")
    agency_id: str | None = Field(default=None, foreign_key="agency.id")
    officer_id: str | None = Field(default=None, foreign_key="officer.id")
    pin_hash: str = Field(description="argon2id hash of the PIN or passphrase")
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = Field(default=None)
    active: bool = Field(default=True)


class CaseShare(Synced, table=True):
    """A case disclosed to a partner agency: when, by whom, why; until revoked."""

    __tablename__ = "caseshare"

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    agency_id: str = Field(foreign_key="agency.id", index=True)
    shared_at: datetime
    shared_by: str
    justification: str
    revoked_at: datetime | None = Field(default=None)
    people: str = Field(default="", sa_column_kwargs={"server_default": ""},
                        description="Ids of the people disclosed, comma-separated; '' the "
                        "default (victims only); '-' none")


class AuditEvent(SQLModel, table=True):
    """One link of the append-only, hash-chained audit log (DPA 2018 s62).

    ``hash`` is SHA-256 over this row's fields and the previous row's hash; ``seq``
    counts from 1 with no gaps. The log never syncs and is never updated.
    """

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_case", "case_ref", "seq"),
                      {"sqlite_autoincrement": True})

    seq: int | None = Field(default=None, primary_key=True)
    at: str = Field(description="UTC instant, ISO 8601")
    device: str
    actor: str = Field(description="Username, or 'local' on a store with no users")
    role: str
    action: str = Field(description="create, change, view, export, disclose, delete, sign-in...")
    record_type: str
    record_id: str = Field(default="")
    case_ref: str = Field(default="")
    detail: str = Field(default="", description="What changed (field names, no personal data)")
    justification: str = Field(default="")
    prev_hash: str
    hash: str


class StoreMeta(SQLModel, table=True):
    """Facts about this store: its device id, the schema's creation time."""

    __tablename__ = "store_meta"

    key: str = Field(primary_key=True)
    value: str


# ---------------------------------------------------------------- the officer's day
# First-contact targets, victim updates and action plan tasks (services/triage.py,
# services/victims.py, services/tasks.py, services/day.py).


# An officer's reviews due, in date order, for My day (kept here, beside the day's tables).
# With the id, an officer's open cases are read from the index alone (no table lookups).
sa.Index("ix_case_owner_review", Case.owner_id, Case.next_review, Case.id)
# A supervisor's reviews due in a district, soonest first (My day stops at its limit).
sa.Index("ix_case_district_review", Case.district, Case.next_review, Case.status, Case.deleted)


# The tables of what a case holds and the work done on it (incidents, people, notes,
# enforcement, deadlines, reviews, problems, conferences...) live in asbtui.casework_models,
# imported when one of them is first asked for: ``from asbtui.models import Deadline``
# works as it always did.
CASEWORK_TABLES = frozenset({
    "ActionStep",
    "CaseLink",
    "CaseReview",
    "CaseTask",
    "Conference",
    "ConferenceAttendee",
    "ConferenceCase",
    "Correction",
    "Deadline",
    "EnforcementAction",
    "FirstContact",
    "ImportedIncident",
    "Incident",
    "LetterTemplate",
    "NoteAudience",
    "PartnerNote",
    "Party",
    "Problem",
    "ProblemCase",
    "ProblemResponse",
    "Pspo",
    "PspoExtension",
    "VictimContact",
    "VictimUpdatePlan",
})


def __getattr__(name: str) -> Any:
    if name in CASEWORK_TABLES:
        from asbtui import casework_models

        # Bound here once loaded: later look-ups no longer come through this function.
        globals().update({table: getattr(casework_models, table) for table in CASEWORK_TABLES})
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def every_table() -> sa.MetaData:
    """The metadata of every table, the casework tables imported if they were not yet:
    what anything walking all the tables (sync, migrations) must read, never
    ``SQLModel.metadata`` alone, which holds only the tables imported so far."""
    import asbtui.casework_models  # noqa: F401 - their tables join the metadata

    return SQLModel.metadata
