"""Patterns of concern: repeat locations, victims and perpetrators, and hotspots.

Grouped SQL over the indexed keys of :mod:`asbtui.services.places`: case incidents and
incidents imported from data.police.uk are counted together wherever they share a key
(street, LSOA). Thresholds are configuration (:class:`PatternRules`); the defaults follow
``shared/domain.md``: a repeat is 3 or more reports in 12 months; a hotspot is a place
whose last 3 months are at least twice its usual level for 3 months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from asbtui.dates import london_today, utc_now
from asbtui.errors import InvalidInput
from asbtui.models import Case, District, ImportedIncident, Incident, Party, PartyRole
from asbtui.services.access import Permission, permits

if TYPE_CHECKING:
    from asbtui.db import Store

CASES_LISTED = 50


class PatternKind(StrEnum):
    ADDRESS = "repeat_address"
    STREET = "repeat_street"
    POSTCODE = "repeat_postcode"
    LSOA = "repeat_lsoa"
    VICTIM = "repeat_victim"
    PERPETRATOR = "repeat_perpetrator"
    HOTSPOT_STREET = "hotspot_street"
    HOTSPOT_LSOA = "hotspot_lsoa"

    @property
    def label(self) -> str:
        return {
            "repeat_address": "Repeat address",
            "repeat_street": "Repeat street",
            "repeat_postcode": "Repeat postcode",
            "repeat_lsoa": "Repeat LSOA",
            "repeat_victim": "Repeat victim",
            "repeat_perpetrator": "Repeat perpetrator",
            "hotspot_street": "Hotspot (street)",
            "hotspot_lsoa": "Hotspot (LSOA)",
        }[self.value]


@dataclass(frozen=True)
class PatternRules:
    """Thresholds, from configuration; see the module docstring for the defaults' source."""

    window_months: int = 12
    repeat_min_reports: int = 3
    hotspot_recent_months: int = 3
    hotspot_baseline_months: int = 12
    hotspot_factor: float = 2.0
    hotspot_min_reports: int = 5
    min_cases: int = 1
    """2 or more: only patterns that span several cases (what no single case shows)."""

    def __post_init__(self) -> None:
        if self.window_months < 1 or self.repeat_min_reports < 2:
            raise InvalidInput("A repeat needs a window of a month or more and 2 or more reports.")
        if self.hotspot_factor <= 1 or self.hotspot_recent_months < 1:
            raise InvalidInput("A hotspot needs a factor above 1 and a recent period of a month.")


@dataclass
class Pattern:
    kind: PatternKind
    district: District
    key: str
    label: str
    reports: int
    case_refs: list[str] = field(default_factory=list)
    imported_reports: int = 0
    usual: float | None = None
    """For hotspots: the usual number of reports in a period as long as the recent one."""


def _window_start(now: datetime, months: int) -> datetime:
    return now - relativedelta(months=months)


def _month_start(day: date, months_back: int) -> date:
    first = day.replace(day=1)
    return first - relativedelta(months=months_back)


def _live(since: datetime, until: datetime, district: District | None) -> list[sa.ColumnElement]:
    """Incidents in [since, until) on cases that are not deleted (of one district, if given)."""
    conditions = [Incident.occurred_at >= since, Incident.occurred_at < until, ~Incident.deleted,
                  # A handful at most, from the partial index ix_case_deleted.
                  Incident.case_ref.not_in(sa.select(Case.ref).where(Case.deleted == sa.true()))]
    if district is not None:
        conditions.append(Incident.district == district)
    return conditions


def _case_incidents(key: sa.ColumnElement[str], since: datetime, until: datetime,
                    district: District | None, *, counts_only: bool = False) -> sa.Select:
    # Each incident carries its case's ref, district, location and keys: the grouping reads
    # one covering index (ix_incident_address, _street, _postcode), no case rows. Postcodes
    # are labelled from the key alone, so their index leaves the location out.
    # With counts_only (a hotspot's usual level) no label or cases are collected.
    label = key if key is Incident.postcode_key or counts_only else Incident.case_location
    refs = sa.null() if counts_only else sa.func.group_concat(Incident.case_ref.distinct())
    return (
        sa.select(Incident.district, key.label("key"), sa.func.min(label).label("label"),
                  sa.func.count().label("reports"), refs.label("refs"))
        .where(*_live(since, until, district), key != "")
        .group_by(Incident.district, key)
    )


def _imported(key: sa.ColumnElement[str], since: date, until: date,
              district: District | None) -> sa.Select:
    query = (
        # The key itself is the label: reading each row's location would cost a table
        # lookup per report, where (district, key, month) is answered from the index.
        sa.select(ImportedIncident.district, key.label("key"), key.label("label"),
                  sa.func.count().label("reports"))
        .where(ImportedIncident.month >= since, ImportedIncident.month < until,
               ~ImportedIncident.deleted, key != "")
        .group_by(ImportedIncident.district, key)
    )
    if district is not None:
        query = query.where(ImportedIncident.district == district)
    return query


def _refs(text: str | None) -> list[str]:
    return sorted(set((text or "").split(",")) - {""})[:CASES_LISTED]


def _merge(connection: sa.Connection, kind: PatternKind, cases: sa.Select | None,
           imported: sa.Select | None) -> dict[tuple[District, str], Pattern]:
    found: dict[tuple[District, str], Pattern] = {}
    if cases is not None:
        for row in connection.execute(cases):
            district = District(row.district)
            found[(district, row.key)] = Pattern(kind, district, row.key, row.label,
                                                 row.reports, _refs(row.refs))
    if imported is not None:
        for row in connection.execute(imported):
            district = District(row.district)
            pattern = found.setdefault((district, row.key),
                                       Pattern(kind, district, row.key, row.label, 0))
            pattern.reports += row.reports
            pattern.imported_reports += row.reports
    return found


@permits(Permission.READ_OVERVIEWS)
def repeats(store: Store, *, district: District | None = None,
            rules: PatternRules = PatternRules(), now: datetime | None = None) -> list[Pattern]:
    """Places, victims and perpetrators with ``repeat_min_reports`` or more in the window."""
    now = now or utc_now()
    since = _window_start(now, rules.window_months)
    since_month = _month_start(london_today(now), rules.window_months - 1)
    until_month = _month_start(london_today(now), -1)
    result: list[Pattern] = []
    with store.engine.connect() as connection:
        plans = [
            (PatternKind.ADDRESS, Incident.address_key, None),
            (PatternKind.STREET, Incident.street_key, ImportedIncident.street_key),
            (PatternKind.POSTCODE, Incident.postcode_key, None),
            (PatternKind.LSOA, None, ImportedIncident.lsoa_code),
        ]
        for kind, case_key, imported_key in plans:
            cases = (_case_incidents(case_key, since, now, district)
                     if case_key is not None else None)
            if cases is not None and imported_key is None:
                # Nothing else will add to these counts: leave the small groups in SQL.
                cases = cases.having(
                    sa.func.count() >= rules.repeat_min_reports,
                    sa.func.count(Incident.case_ref.distinct()) >= rules.min_cases)
            imported = (_imported(imported_key, since_month, until_month, district)
                        if imported_key is not None else None)
            merged = _merge(connection, kind, cases, imported)
            if kind is PatternKind.LSOA:
                names = dict(connection.execute(
                    sa.select(ImportedIncident.lsoa_code, sa.func.min(ImportedIncident.lsoa_name))
                    .where(ImportedIncident.lsoa_code.in_([k for _, k in merged]))
                    .group_by(ImportedIncident.lsoa_code)).all())
                for pattern in merged.values():
                    pattern.label = f"{names.get(pattern.key, pattern.key)} ({pattern.key})"
            for pattern in merged.values():
                if kind in (PatternKind.STREET, PatternKind.POSTCODE):
                    pattern.label = _place_label(kind, pattern.key, pattern.label)
            result += [p for p in merged.values() if _qualifies(p, rules)]
        result += _people(connection, since, now, district, rules)
    return sorted(result, key=lambda p: (-p.reports, p.kind.value, p.district.value, p.key))


NARROW_MAX = 5000
"""Most keys or cases bound into one query; beyond it, every case is read."""
PEOPLE = {PartyRole.VICTIM: PatternKind.VICTIM, PartyRole.PERPETRATOR: PatternKind.PERPETRATOR}


def _people(connection: sa.Connection, since: datetime, now: datetime,
            district: District | None, rules: PatternRules) -> list[Pattern]:
    """Repeat victims and perpetrators, both in one pass over the incidents."""
    # The same person (name and date of birth) on any case: count the reports on all of them.
    # Reports per case first (ix_incident_case), then each case's victims and perpetrators
    # (ix_party_case_role): one row per person and case, however often they are named on it.
    cases = sa.select(Incident.case_id).where(*_live(since, now, district))
    named = [Party.role.in_(list(PEOPLE)), ~Party.deleted, Party.person_key != ""]
    if rules.min_cases > 1:
        # Only people named on enough cases can qualify (usually a handful): read just their
        # cases' incidents. The HAVING below still decides; this only narrows the reading.
        keys = connection.execute(
            sa.select(Party.person_key).distinct().where(*named)
            .group_by(Party.role, Party.person_key)
            .having(sa.func.count(Party.case_id.distinct()) >= rules.min_cases)).scalars().all()
        if not keys:
            return []
        if len(keys) <= NARROW_MAX:
            named.append(Party.person_key.in_(keys))
            case_ids = connection.execute(
                sa.select(Party.case_id).distinct().where(*named)).scalars().all()
            if len(case_ids) <= NARROW_MAX:
                cases = cases.where(Incident.case_id.in_(case_ids))
    per_case = (
        cases.add_columns(Incident.district, sa.func.min(Incident.case_ref).label("ref"),
                          sa.func.count().label("reports"))
        .group_by(Incident.district, Incident.case_id)
        .subquery()
    )
    per_person = (
        sa.select(per_case.c.district, Party.role, Party.person_key, per_case.c.ref,
                  sa.func.max(per_case.c.reports).label("reports"),
                  sa.func.min(Party.name).label("name"))
        .join(Party, Party.case_id == per_case.c.case_id)
        .where(*named)
        .group_by(per_case.c.district, Party.role, Party.person_key, per_case.c.case_id)
        .subquery()
    )
    reports = sa.func.sum(per_person.c.reports)
    query = (
        sa.select(per_person.c.district, per_person.c.role, per_person.c.person_key,
                  sa.func.min(per_person.c.name).label("label"), reports.label("reports"),
                  sa.func.group_concat(per_person.c.ref).label("refs"))
        .group_by(per_person.c.district, per_person.c.role, per_person.c.person_key)
        .having(reports >= rules.repeat_min_reports, sa.func.count() >= rules.min_cases)
    )
    found = [Pattern(PEOPLE[PartyRole(row.role)], District(row.district), row.person_key,
                     row.label, row.reports, _refs(row.refs))
             for row in connection.execute(query)]
    return [p for p in found if _qualifies(p, rules)]


def _qualifies(pattern: Pattern, rules: PatternRules) -> bool:
    spans = len(pattern.case_refs) + (1 if pattern.imported_reports else 0)
    return pattern.reports >= rules.repeat_min_reports and spans >= rules.min_cases


def _place_label(kind: PatternKind, key: str, example: str) -> str:
    """A street as 'Invicta Road (Margate)', a postcode as 'CT9 2QB'."""
    if kind in (PatternKind.POSTCODE,):
        return f"{key[:-3]} {key[-3:]}" if len(key) > 4 else key
    town = example.rsplit(",", 1)[1].strip() if "," in (example or "") else ""
    return key.title() + (f" ({town})" if town else "")


@permits(Permission.READ_OVERVIEWS)
def hotspots(store: Store, *, district: District | None = None,
             rules: PatternRules = PatternRules(), now: datetime | None = None) -> list[Pattern]:
    """Streets and LSOAs whose recent reports are well above their own usual level."""
    now = now or utc_now()
    recent_since = _window_start(now, rules.hotspot_recent_months)
    base_since = _window_start(recent_since, rules.hotspot_baseline_months)
    today = london_today(now)
    recent_month = _month_start(today, rules.hotspot_recent_months - 1)
    base_month = _month_start(recent_month, rules.hotspot_baseline_months)
    next_month = _month_start(today, -1)
    periods = rules.hotspot_baseline_months / rules.hotspot_recent_months
    result: list[Pattern] = []
    with store.engine.connect() as connection:
        for kind, case_key, imported_key in (
            (PatternKind.HOTSPOT_STREET, Incident.street_key, ImportedIncident.street_key),
            (PatternKind.HOTSPOT_LSOA, None, ImportedIncident.lsoa_code),
        ):
            recent = _merge(
                connection, kind,
                _case_incidents(case_key, recent_since, now, district) if case_key is not None
                else None,
                _imported(imported_key, recent_month, next_month, district))
            before = _merge(
                connection, kind,
                _case_incidents(case_key, base_since, recent_since, district, counts_only=True)
                if case_key is not None else None,
                _imported(imported_key, base_month, recent_month, district))
            for place, pattern in recent.items():
                usual = before[place].reports / periods if place in before else 0.0
                spans = len(pattern.case_refs) + (1 if pattern.imported_reports else 0)
                if pattern.reports >= rules.hotspot_min_reports and spans >= rules.min_cases and (
                        pattern.reports >= rules.hotspot_factor * max(usual, 1.0)):
                    pattern.usual = round(usual, 1)
                    if kind is PatternKind.HOTSPOT_STREET:
                        pattern.label = _place_label(kind, pattern.key, pattern.label)
                    result.append(pattern)
    return sorted(result, key=lambda p: (-(p.reports / max(p.usual or 0, 1.0)), p.key))


@permits(Permission.READ_OVERVIEWS)
def patterns(store: Store, *, district: District | None = None,
             rules: PatternRules = PatternRules(), now: datetime | None = None) -> list[Pattern]:
    """Every pattern of concern: hotspots first, then repeats by number of reports."""
    return hotspots(store, district=district, rules=rules, now=now) + repeats(
        store, district=district, rules=rules, now=now)

