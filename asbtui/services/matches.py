"""Duplicates at intake: open cases and recent reports about the same place or person.

While a new case is entered, the officer sees the cases that may be about the same
problem: open cases, and cases with an incident in the last 12 months, at the same
normalised address or postcode ("14, invicta road  MARGATE" is "14 Invicta Road,
Margate"; "ct92qb" is "CT9 2QB"), or naming the same person (name and date of birth; a
name without a date of birth matches that name with any) or, where the report's point is
known, a case within 150 metres of it (services/geo.py). Each key is looked up on an
index (the district is part of the address indexes, so every district is probed in
one ``IN``): no keystroke ever scans a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from asbtui.dates import utc_now
from asbtui.models import Case, CaseStatus, Category, District, Incident, Party
from asbtui.services import geo, places
from asbtui.services.access import Permission, current, permits, readable_case_ids

if TYPE_CHECKING:
    from asbtui.db import Store

WINDOW = timedelta(days=365)
"""Closed cases match when they had a report within this window (12 months)."""
LIMIT = 20
CANDIDATES = 50
"""At most this many cases are read for one key (and one way of matching it): a street
shared by thousands of cases (the demo's copies) stops here."""

SAME_ADDRESS = "same address"
SAME_POSTCODE = "same postcode"
SAME_PERSON = "same person"
SAME_NAME = "same name"


def nearby(metres: float) -> str:
    """The reason given for a case within :data:`geo.NEAR_METRES`: "89 m away"."""
    return f"{metres:,.0f} m away"


@dataclass
class CaseMatch:
    """A case that may be about the same problem, and why it matched."""

    ref: str
    district: District
    status: CaseStatus
    category: Category
    location: str
    opened_at: datetime
    last_report_at: datetime | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status is not CaseStatus.CLOSED


@dataclass(frozen=True)
class MatchQuery:
    location: str = ""
    postcode: str = ""
    person_name: str = ""
    date_of_birth: date | None = None
    point: geo.Point | None = None

    @property
    def empty(self) -> bool:
        return not (places.address_key(self.location) or places.postcode_key(self.postcode)
                    or places.person_key(self.person_name, None).strip("|")
                    or self.point is not None)


def _districts() -> list[str]:
    return [d.value for d in District]


def _person_condition(query: MatchQuery) -> tuple[sa.ColumnElement[bool] | None, str]:
    key = places.person_key(query.person_name, query.date_of_birth)
    name = key.partition("|")[0]
    if not name:
        return None, ""
    if query.date_of_birth is not None:
        return Party.person_key == key, SAME_PERSON
    # A name alone: that name with any date of birth (a range of the index).
    return sa.and_(Party.person_key >= f"{name}|", Party.person_key < f"{name}|~"), SAME_NAME


@permits(Permission.READ_CASES)
def intake_matches(store: Store, query: MatchQuery, *, now: datetime | None = None,
                   limit: int = LIMIT) -> list[CaseMatch]:
    """Cases that may already be about this report: open first, most recent first.

    Each key is read from its index and stops at :data:`CANDIDATES` cases (an address
    or postcode: its open cases newest first, and its cases reported most recently; a
    person: the first found), so a place or name shared by thousands of cases costs what
    fifty cost. Only the candidates' rows are read, and only the shown cases' last report.
    """
    from asbtui.services.cases import LOCATION_MAX, NAME_MAX, POSTCODE_MAX, optional_text

    # The bounds of a new case's own fields: a longer one could match no case.
    optional_text(query.location, "location", "Location", LOCATION_MAX)
    optional_text(query.postcode, "postcode", "Postcode", POSTCODE_MAX)
    optional_text(query.person_name, "person_name", "Name", NAME_MAX)
    actor = current(store)
    now = now or utc_now()
    cutoff = now - WINDOW
    address = places.address_key(query.location)
    postcode = places.postcode_key(query.postcode)
    person, person_reason = _person_condition(query)
    reasons: dict[str, list[str]] = {}
    last: dict[str, datetime] = {}

    def note(ref: str, why: str) -> None:
        found = reasons.setdefault(ref, [])
        if why not in found:
            found.append(why)

    with store.engine.connect() as connection:
        districts = _districts()
        for key, column, incident_column, why in (
            (address, Case.address_key, Incident.address_key, SAME_ADDRESS),
            (postcode, Case.postcode_key, Incident.postcode_key, SAME_POSTCODE),
        ):
            if not key:
                continue
            # Open cases at the place, newest first, from the covering index. A closed one
            # matches only with a recent report, which the incidents below find (an
            # incident carries its case's address and postcode keys).
            for (ref,) in connection.execute(
                    sa.select(Case.ref).where(column == key, Case.status != CaseStatus.CLOSED,
                                              ~Case.deleted)
                    .order_by(Case.opened_at.desc()).limit(CANDIDATES)):
                note(ref, why)
            # Recent reports at the place, read from the covering index by the case's ref.
            latest_at = sa.func.max(Incident.occurred_at).label("latest")
            for ref, latest in connection.execute(
                    sa.select(Incident.case_ref, latest_at)
                    .where(Incident.district.in_(districts), incident_column == key,
                           Incident.occurred_at >= cutoff, ~Incident.deleted)
                    .group_by(Incident.case_ref).order_by(sa.desc("latest"))
                    .limit(CANDIDATES)):
                note(ref, why)
                last[ref] = latest
        if query.point is not None:
            for ref, metres in _near(connection, query.point):
                note(ref, nearby(metres))
        if person is not None:
            for (ref,) in connection.execute(
                    sa.select(Case.ref).join(Party, Party.case_id == Case.id)
                    .where(person, ~Party.deleted).limit(CANDIDATES)):
                note(ref, person_reason)
        if not reasons:
            return []
        cases = sa.select(Case.id, Case.ref, Case.district, Case.status, Case.category,
                          Case.location, Case.opened_at).where(
            Case.ref.in_(list(reasons)), ~Case.deleted)
        shared = readable_case_ids(actor)
        if shared is not None:
            cases = cases.where(Case.id.in_(shared))
        rows = connection.execute(cases).all()
        # The last report of the cases found by their keys alone (by district: a seek of
        # the covering index per case).
        missing: dict[str, dict[str, str]] = {}
        for r in rows:
            if r.ref not in last:
                missing.setdefault(r.district, {})[r.id] = r.ref
        for district, ids in missing.items():
            for case_id, latest in connection.execute(
                    sa.select(Incident.case_id, sa.func.max(Incident.occurred_at))
                    .where(Incident.district == district, Incident.case_id.in_(list(ids)),
                           ~Incident.deleted)
                    .group_by(Incident.case_id)):
                last[ids[case_id]] = latest
    found = []
    for r in rows:
        status = CaseStatus(r.status)
        latest = _aware(last.get(r.ref))
        recent = latest is not None and latest >= cutoff
        if status is CaseStatus.CLOSED and not recent:
            continue
        found.append(CaseMatch(r.ref, District(r.district), status, Category(r.category),
                               r.location, _aware(r.opened_at), latest, reasons[r.ref]))
    found.sort(key=lambda m: (not m.open, -len(m.reasons),
                              -(m.last_report_at or m.opened_at).timestamp()))
    return found[:limit]


NEAR_SQL = sa.text(
    # INDEXED BY: with no planner statistics (a new store) SQLite would take the queue's
    # index that starts with ``deleted`` and read every case. (SQLAlchemy's table hints
    # are not rendered for SQLite, hence the text.)
    'SELECT ref, latitude, longitude FROM "case" INDEXED BY ix_case_point '
    "WHERE latitude IS NOT NULL AND latitude >= :south AND latitude <= :north "
    "AND longitude >= :west AND longitude <= :east AND deleted = 0 LIMIT 500")


def _near(connection: sa.Connection, point: geo.Point) -> list[tuple[str, float]]:
    """Cases within :data:`geo.NEAR_METRES` of ``point``, nearest first: the box is read
    from ``ix_case_point`` (latitude range, longitude filtered in the index)."""
    south, north, west, east = geo.box_around(point, geo.NEAR_METRES)
    rows = connection.execute(NEAR_SQL, {"south": south, "north": north, "west": west,
                                         "east": east})
    found = [(r.ref, geo.metres_between(point, geo.Point(r.latitude, r.longitude)))
             for r in rows]
    return sorted(((ref, m) for ref, m in found if m <= geo.NEAR_METRES),
                  key=lambda pair: pair[1])


def _aware(moment: datetime | None) -> datetime | None:
    from datetime import UTC

    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
