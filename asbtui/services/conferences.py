"""Case conferences: a multi-agency meeting about one or more cases.

A conference is scheduled for a district (when, where, the cases on its agenda and who is
asked, by agency). Its minutes are written onto each case as a partner note, with the
same sharing controls as any note (police only, named agencies, all partners on the
case; a police note partners may read needs a reason). Its decisions are kept with it,
and each action it allocates to an officer or an agency becomes a task of the case's
action plan (tagged with the conference). The agenda (the cases with their state, open
tasks and deadlines) exports as Markdown for the attendees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from asbtui.dates import format_date, format_datetime, utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import (
    Case,
    CaseShare,
    CaseStatus,
    CaseTask,
    Conference,
    ConferenceAttendee,
    ConferenceCase,
    Deadline,
    DeadlineStatus,
    District,
    NoteVisibility,
    RiskLevel,
)
from asbtui.services import audit
from asbtui.services.access import Permission, current, permits, require_district
from asbtui.services.refs import normalise_ref
from asbtui.services.tasks import TaskView

if TYPE_CHECKING:
    from asbtui.db import Store

POLICE = "Kent Police"
TITLE_MAX = 200
TEXT_MAX = 8000


@dataclass(frozen=True)
class Attendee:
    agency: str
    name: str = ""


@dataclass(frozen=True)
class AgendaCase:
    ref: str
    summary: str
    status: CaseStatus
    risk: RiskLevel
    location: str


@dataclass(frozen=True)
class ConferenceView:
    id: str
    district: District
    title: str
    held_at: datetime
    place: str
    cases: list[AgendaCase]
    attendees: list[Attendee]
    decisions: str
    minutes_recorded_at: datetime | None
    actions: list[TaskView]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(value: str, field: str, label: str, limit: int, *, required: bool = False) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise InvalidInput(f"{label} is required.", field)
    if len(cleaned) > limit:
        raise InvalidInput(f"{label} is too long: at most {limit} characters.", field)
    return cleaned


def _cases(session: Session, refs: Iterable[str]) -> list[Case]:
    found = []
    for ref in refs:
        if not ref.strip():
            continue
        case = session.exec(select(Case).where(Case.ref == normalise_ref(ref),
                                               ~Case.deleted)).first()
        if case is None:
            raise InvalidInput(f"There is no case {ref.strip()}.", "cases")
        if case.id not in {c.id for c in found}:
            found.append(case)
    if not found:
        raise InvalidInput("Put at least one case on the agenda.", "cases")
    return found


@permits(Permission.WORK_CASES)
def schedule(store: Store, title: str, held_at: datetime, refs: Sequence[str], *,
             place: str = "", attendees: Sequence[Attendee] = ()) -> str:
    """Schedule a conference about cases of one district; returns its id."""
    from asbtui.services.partners import find_agency

    actor = current(store)
    name = _text(title, "title", "Title", TITLE_MAX, required=True)
    if held_at.tzinfo is None:
        raise InvalidInput("Give the meeting's time with its time zone.", "held_at")
    with store.session() as session:
        cases = _cases(session, refs)
        districts = {District(c.district) for c in cases}
        if len(districts) > 1:
            raise InvalidInput("A conference's cases are of one district.", "cases")
        district = districts.pop()
        require_district(actor, district, "hold case conferences")
        conference = Conference(district=district, title=name, held_at=held_at,
                                place=_text(place, "place", "Place", 300),
                                created_by=actor.username)
        session.add(conference)
        session.flush()
        for case in cases:
            session.add(ConferenceCase(conference_id=conference.id, case_id=case.id))
        for person in attendees:
            agency_name = " ".join(person.agency.split())
            agency_id = None
            if agency_name.lower() not in ("police", POLICE.lower()):
                agency = find_agency(session, agency_name)
                agency_name, agency_id = agency.name, agency.id
            else:
                agency_name = POLICE
            session.add(ConferenceAttendee(conference_id=conference.id, agency=agency_name,
                                           agency_id=agency_id,
                                           name=_text(person.name, "attendees", "Name", 120)))
        audit.record(session, store, actor, audit.AuditAction.CREATE, "conference",
                     conference.id, detail=f"{len(cases)} cases, {len(attendees)} attendees")
        return conference.id


def _conference(session: Session, conference_id: str) -> Conference:
    wanted = (conference_id or "").strip().lower()
    if len(wanted) < 6:
        raise InvalidInput("Give the conference's id (at least its first 6 characters).",
                           "conference")
    rows = session.exec(select(Conference).where(Conference.id.startswith(wanted),
                                                 ~Conference.deleted).limit(2)).all()
    if len(rows) != 1:
        raise NotFound(f"There is no conference {conference_id.strip()}." if not rows else
                       f"'{conference_id.strip()}' could be more than one conference.")
    return rows[0]


def _view(session: Session, conference: Conference) -> ConferenceView:
    from asbtui.services.tasks import task_views

    cases = session.exec(select(Case).join(ConferenceCase, ConferenceCase.case_id == Case.id)
                         .where(ConferenceCase.conference_id == conference.id,
                                ~ConferenceCase.deleted).order_by(Case.ref)).all()
    people = session.exec(select(ConferenceAttendee).where(
        ConferenceAttendee.conference_id == conference.id, ~ConferenceAttendee.deleted)
        .order_by(ConferenceAttendee.agency, ConferenceAttendee.name)).all()
    actions = session.exec(select(CaseTask, Case.ref).join(Case, Case.id == CaseTask.case_id)
                           .where(CaseTask.conference_id == conference.id, ~CaseTask.deleted)
                           .order_by(CaseTask.due_on)).all()
    return ConferenceView(
        conference.id, District(conference.district), conference.title,
        _aware(conference.held_at), conference.place,
        [AgendaCase(c.ref, c.summary, CaseStatus(c.status), RiskLevel(c.risk), c.location)
         for c in cases],
        [Attendee(p.agency, p.name) for p in people], conference.decisions,
        _aware(conference.minutes_recorded_at) if conference.minutes_recorded_at else None,
        task_views(session, list(actions)))


@permits(Permission.WORK_CASES)
def conferences(store: Store, district: District | None = None) -> list[ConferenceView]:
    """Conferences (of one district, or all), newest first."""
    with store.session() as session:
        query = select(Conference).where(~Conference.deleted)
        if district is not None:
            query = query.where(Conference.district == district)
        rows = session.exec(query.order_by(Conference.held_at.desc()).limit(500)).all()
        return [_view(session, c) for c in rows]


@permits(Permission.WORK_CASES)
def conference(store: Store, conference_id: str) -> ConferenceView:
    with store.session() as session:
        return _view(session, _conference(session, conference_id))


@permits(Permission.WORK_CASES)
def record_minutes(store: Store, conference_id: str, minutes: str, decisions: str, *,
                   visibility: NoteVisibility | str = NoteVisibility.POLICE,
                   audience: Iterable[str] = (), reason: str | None = None) -> int:
    """Write the minutes onto each case as a note (with its sharing) and keep the decisions;
    returns the number of cases noted."""
    from asbtui.services import partners

    actor = current(store)
    text = _text(minutes, "minutes", "Minutes", TEXT_MAX, required=True)
    decided = _text(decisions, "decisions", "Decisions", TEXT_MAX)
    named = [a for a in audience if a.strip()]
    with store.session() as session:
        row = _conference(session, conference_id)
        require_district(actor, row.district, "record minutes")
        view = _view(session, row)
        # Check every case can take the note before writing any (all or none).
        if str(visibility) == NoteVisibility.NAMED.value:
            for name in named:
                agency = partners.find_agency(session, name)
                for case in view.cases:
                    case_id = session.exec(select(Case.id).where(Case.ref == case.ref)).one()
                    shared = session.exec(select(CaseShare.id).where(
                        CaseShare.case_id == case_id, CaseShare.agency_id == agency.id,
                        CaseShare.revoked_at.is_(None), ~CaseShare.deleted)).first()
                    if shared is None:
                        raise InvalidInput(f"{case.ref} is not shared with {agency.name}: "
                                           "share it first, or choose another agency.",
                                           "audience")
    held = format_date(view.held_at)
    body = f"Case conference {held}: {view.title}\n{text}"
    if decided:
        body += f"\nDecisions: {decided}"
    for case in view.cases:
        partners.add_note(store, case.ref, body, visibility=visibility, audience=named,
                          reason=reason)
    with store.session() as session:
        row = _conference(session, conference_id)
        row.decisions = decided
        row.minutes_recorded_at = utc_now()
        session.add(row)
        audit.record(session, store, actor, audit.AuditAction.CHANGE, "conference", row.id,
                     detail=f"minutes on {len(view.cases)} cases")
    return len(view.cases)


@permits(Permission.WORK_CASES)
def add_action(store: Store, conference_id: str, ref: str, what: str, due_on: date, *,
               officer: str | None = None, agency: str | None = None) -> str:
    """An action the conference allocated: a task on the case, tagged with the conference."""
    from asbtui.services import tasks

    with store.session() as session:
        row = _conference(session, conference_id)
        view = _view(session, row)
    if normalise_ref(ref) not in {c.ref for c in view.cases}:
        raise InvalidInput(f"{ref.strip()} is not on this conference's agenda.", "case")
    task_id = tasks.add_task(store, ref, what, due_on, officer=officer, agency=agency)
    with store.session() as session:
        task = session.get(CaseTask, task_id)
        assert task is not None
        task.conference_id = row.id
        session.add(task)
    return task_id


@permits(Permission.WORK_CASES)
def agenda_markdown(store: Store, conference_id: str) -> str:
    """The agenda for the attendees: each case's state, open tasks and next deadlines.

    No personal details (names, addresses) are included; exporting it is audited.
    """
    actor = current(store)
    with store.session() as session:
        row = _conference(session, conference_id)
        view = _view(session, row)
        lines = [f"# {view.title}", "",
                 f"{format_datetime(view.held_at)} · {view.place or 'place to be confirmed'} · "
                 f"{view.district.label}", "", "## Attendees", ""]
        lines += [f"- {a.agency}{': ' + a.name if a.name else ''}" for a in view.attendees] \
            or ["- (none listed)"]
        lines += ["", "## Cases", ""]
        for number, item in enumerate(view.cases, 1):
            case_id = session.exec(select(Case.id).where(Case.ref == item.ref)).one()
            lines += [f"### {number}. {item.ref}: {item.summary}", "",
                      f"- Status: {item.status.label}; risk: {item.risk.label}"]
            if item.location:
                lines.append(f"- Location: {item.location}")
            open_tasks = session.exec(select(CaseTask).where(
                CaseTask.case_id == case_id, CaseTask.done_on.is_(None), ~CaseTask.deleted)
                .order_by(CaseTask.due_on)).all()
            for task in open_tasks:
                lines.append(f"- Task due {format_date(task.due_on)}: {task.what}")
            deadlines = session.exec(select(Deadline).where(
                Deadline.case_id == case_id, Deadline.status == DeadlineStatus.OPEN,
                ~Deadline.deleted).order_by(Deadline.due_at).limit(3)).all()
            for deadline in deadlines:
                lines.append(f"- Deadline {format_datetime(_aware(deadline.due_at))}: "
                             f"{deadline.label}")
            lines.append("")
        if view.decisions:
            lines += ["## Decisions", "", view.decisions, ""]
        audit.record(session, store, actor, audit.AuditAction.EXPORT, "conference", row.id,
                     detail=f"agenda of {len(view.cases)} cases")
    return "\n".join(lines)


@permits(Permission.WORK_CASES)
def export_agenda(store: Store, conference_id: str, folder: Path) -> Path:
    """Write the agenda as Markdown to a new file in ``folder``; returns its path."""
    text = agenda_markdown(store, conference_id)
    stem = f"agenda-{conference_id.strip().lower()[:8]}"
    target = folder / f"{stem}.md"
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{stem}-{number}.md"
    try:
        target.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"Could not write {target}: {error.strerror}.") from None
    return target
