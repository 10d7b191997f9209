"""Patterns of concern: repeat locations, victims and perpetrators, and hotspots.

Grouped SQL over the indexed keys of :mod:`asbtui.services.places`: case incidents and
incidents imported from data.police.uk are counted together wherever they share a key
(street, LSOA). Thresholds are configuration (:class:`PatternRules`); the defaults follow
``shared/domain.md``: a repeat is 3 or more reports in 12 months; a hotspot is a place
whose last 3 months are at least twice its usual level for 3 months.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
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


_DISTRICTS = {d.value: d for d in District}
_KINDS_BY_ROLE = {PartyRole.VICTIM.value: PatternKind.VICTIM,
                  PartyRole.PERPETRATOR.value: PatternKind.PERPETRATOR}


def _text(column: sa.ColumnElement) -> sa.ColumnElement[str]:
    # An enum column read as its stored text: the districts are looked up in _DISTRICTS,
    # cheaper than the enum type's result processing on every row.
    return sa.type_coerce(column, sa.String)


@dataclass(frozen=True)
class _Window:
    """A period counted in a scan; with ``cases`` its label and case refs are collected."""

    since: datetime | date
    until: datetime | date
    cases: bool = False


def _in(column: sa.ColumnElement, window: _Window, lo: object,
        hi: object) -> sa.ColumnElement | None:
    """The condition that a row of a scan over [lo, hi) falls in ``window`` (None: all do)."""
    conditions = []
    if window.since != lo:
        conditions.append(column >= window.since)
    if window.until != hi:
        conditions.append(column < window.until)
    return sa.and_(*conditions) if conditions else None


def _among(column: sa.ColumnElement, keys: list[str]) -> sa.ColumnElement[bool]:
    """``column`` is one of ``keys``: bound as one JSON array, however many there are."""
    each = sa.func.json_each(json.dumps(keys)).table_valued("value")
    return column.in_(sa.select(each.c.value))


def _deleted_refs(connection: sa.Connection) -> sa.Select | None:
    """The refs of soft-deleted cases (a select to leave out), or None if there are none."""
    deleted = sa.select(Case.ref).where(Case.deleted == sa.true())
    # A handful at most, from the partial index ix_case_deleted: when there are none, the
    # scans skip a lookup per incident.
    return deleted if connection.execute(deleted.limit(1)).first() is not None else None


def _case_scan(key: sa.ColumnElement[str], windows: list[_Window], district: District | None,
               deleted: sa.Select | None, keys: list[str] | None = None) -> sa.Select:
    """Case incidents per (district, key): for each window, reports (and label and refs).

    One pass over the covering index of ``key`` (ix_incident_address, _street, _postcode:
    each incident carries its case's ref, district, location and keys, so no case rows are
    read) counts every window at once. Postcodes are labelled from the key alone, so their
    index leaves the location out.
    """
    lo = min(w.since for w in windows)
    hi = max(w.until for w in windows)
    columns: list[sa.ColumnElement] = [_text(Incident.district), key]
    for window in windows:
        condition = _in(Incident.occurred_at, window, lo, hi)
        if condition is None:
            columns.append(sa.func.count())
        else:
            columns.append(sa.func.count(sa.case((condition, 1))))
        if window.cases:
            ref = (Incident.case_ref if condition is None
                   else sa.case((condition, Incident.case_ref)))
            if key is not Incident.postcode_key:
                label = (Incident.case_location if condition is None
                         else sa.case((condition, Incident.case_location)))
                columns.append(sa.func.min(label))
            columns.append(sa.func.group_concat(ref.distinct()))
    conditions = [Incident.occurred_at >= lo, Incident.occurred_at < hi, ~Incident.deleted,
                  key != ""]
    if deleted is not None:
        conditions.append(Incident.case_ref.not_in(deleted))
    if district is not None:
        conditions.append(Incident.district == district)
    if keys is not None:  # only these keys (a refresh of kept patterns)
        conditions.append(_among(key, keys))
    return sa.select(*columns).where(*conditions).group_by(Incident.district, key)


def _imported_scan(key: sa.ColumnElement[str], windows: list[_Window],
                   district: District | None, keys: list[str] | None = None) -> sa.Select:
    """Imported incidents per (district, key), counted in each window (of months) at once.

    The key itself is the label: reading each row's location would cost a table lookup per
    report, where (district, key, month) is answered from the index.
    """
    lo = min(w.since for w in windows)
    hi = max(w.until for w in windows)
    columns: list[sa.ColumnElement] = [_text(ImportedIncident.district), key]
    for window in windows:
        condition = _in(ImportedIncident.month, window, lo, hi)
        columns.append(sa.func.count() if condition is None
                       else sa.func.count(sa.case((condition, 1))))
    query = (
        sa.select(*columns)
        .where(ImportedIncident.month >= lo, ImportedIncident.month < hi,
               ~ImportedIncident.deleted, key != "")
        .group_by(ImportedIncident.district, key)
    )
    if district is not None:
        query = query.where(ImportedIncident.district == district)
    if keys is not None:
        query = query.where(_among(key, keys))
    return query


def _refs(text: str | None, *, distinct: bool = False) -> list[str]:
    """The first CASES_LISTED refs, in order, of a group_concat (``distinct``: no repeats)."""
    if not text:
        return []
    if "," not in text:
        return [text]
    refs = sorted(text.split(",") if distinct else set(text.split(",")))
    if not refs[0]:
        del refs[0]
    return refs[:CASES_LISTED] if len(refs) > CASES_LISTED else refs


_Found = dict[tuple[District, str], Pattern]


class _Scans:
    """The grouped scans behind repeats and hotspots, each run once however often read.

    A street's repeats (12 months), recent reports and usual level (the 12 months before
    the recent 3) come from one pass over its incidents; so do the imported incidents' of
    a street or an LSOA.
    """

    def __init__(self, connection: sa.Connection, district: District | None,
                 rules: PatternRules, now: datetime, *, repeats: bool, hotspots: bool,
                 people: ThreadPoolExecutor | None = None,
                 keys: dict[str, list[str]] | None = None,
                 deleted: sa.Select | None | bool = True) -> None:
        self.connection = connection
        self.keys = keys
        """Only these keys of each scan ('street', 'lsoa'), when given."""
        self.district = district
        self.rules = rules
        self.now = now
        today = london_today(now)
        self.since = _window_start(now, rules.window_months)
        self.since_month = _month_start(today, rules.window_months - 1)
        self.until_month = _month_start(today, -1)
        self.recent_since = _window_start(now, rules.hotspot_recent_months)
        self.base_since = _window_start(self.recent_since, rules.hotspot_baseline_months)
        self.recent_month = _month_start(today, rules.hotspot_recent_months - 1)
        self.base_month = _month_start(self.recent_month, rules.hotspot_baseline_months)
        # ``deleted``: the refs to leave out as the caller read them (True: read here).
        self.deleted = _deleted_refs(connection) if deleted is True else deleted
        # Which windows each scan counts: repeats, hotspots' recent and before.
        self.case_windows: dict[str, _Window] = {}
        self.imported_windows: dict[str, _Window] = {}
        if repeats:
            self.case_windows["repeat"] = _Window(self.since, now, cases=True)
            self.imported_windows["repeat"] = _Window(self.since_month, self.until_month)
        if hotspots:
            self.case_windows["recent"] = _Window(self.recent_since, now, cases=True)
            self.case_windows["before"] = _Window(self.base_since, self.recent_since)
            self.imported_windows["recent"] = _Window(self.recent_month, self.until_month)
            self.imported_windows["before"] = _Window(self.base_month, self.recent_month)
        self._rows: dict[str, tuple[list[sa.Row], list[sa.Row]]] = {}
        # Repeat victims and perpetrators are the longest statement (about 60% of all
        # patterns at 1,000,000 cases, all districts): started first on a second
        # connection of its own, it runs beside the place scans on another core (SQLite
        # releases the GIL while it steps). Same statement, same results.
        self._people: Future[list[Pattern]] | None = None
        if repeats and people is not None:
            engine = connection.engine
            self._people = people.submit(self._read_people, engine)

    def _read_people(self, engine: sa.Engine) -> list[Pattern]:
        with engine.connect() as connection:
            return _people(connection, self.since, self.now, self.district, self.rules,
                           self.deleted)

    def street(self, kind: PatternKind) -> dict[str, _Found]:
        """Case and imported incidents by street, merged, for each window."""
        return self._merged(kind, Incident.street_key, ImportedIncident.street_key)

    def lsoa(self, kind: PatternKind) -> dict[str, _Found]:
        """Imported incidents by LSOA, for each window."""
        return self._merged(kind, None, ImportedIncident.lsoa_code)

    def _merged(self, kind: PatternKind, case_key: sa.ColumnElement[str] | None,
                imported_key: sa.ColumnElement[str]) -> dict[str, _Found]:
        names = list(self.imported_windows)
        case_windows = [self.case_windows[name] for name in names]
        imported_windows = [self.imported_windows[name] for name in names]
        cached = self._rows.get(imported_key.key)
        keys = None if self.keys is None else self.keys.get(
            "street" if imported_key is ImportedIncident.street_key else "lsoa", [])
        if keys == []:
            cached = ([], [])
        if cached is None:
            # Repeats and hotspots both read these rows: scan once, keep the rows.
            cached = self._rows[imported_key.key] = (
                self.connection.execute(_case_scan(case_key, case_windows, self.district,
                                                   self.deleted, keys)).all()
                if case_key is not None else [],
                self.connection.execute(
                    _imported_scan(imported_key, imported_windows, self.district, keys)).all())
        case_rows, imported_rows = cached
        found: dict[str, _Found] = {name: {} for name in names}
        for row in case_rows:
            district = _DISTRICTS[row[0]]
            key = row[1]
            place = (district, key)
            at = 2
            for name, window in zip(names, case_windows, strict=True):
                reports = row[at]
                if window.cases:
                    label, refs = row[at + 1], row[at + 2]
                    at += 3
                else:
                    at += 1
                if reports:
                    found[name][place] = Pattern(
                        kind, district, key, label if window.cases else key, reports,
                        _refs(refs, distinct=True) if window.cases else [])
        for row in imported_rows:
            district = _DISTRICTS[row[0]]
            key = row[1]
            place = (district, key)
            for name, reports in zip(names, row[2:], strict=True):
                if not reports:
                    continue
                pattern = found[name].get(place)
                if pattern is None:
                    pattern = found[name][place] = Pattern(kind, district, key, key, 0)
                pattern.reports += reports
                pattern.imported_reports += reports
        return found

    def repeats(self) -> list[Pattern]:
        """Places, victims and perpetrators with ``repeat_min_reports`` or more."""
        rules = self.rules
        result: list[Pattern] = []
        for kind, key in ((PatternKind.ADDRESS, Incident.address_key),
                          (PatternKind.POSTCODE, Incident.postcode_key)):
            result += self._case_repeats(kind, key)
        for pattern in self.street(PatternKind.STREET)["repeat"].values():
            if _qualifies(pattern, rules):
                pattern.label = _place_label(PatternKind.STREET, pattern.key, pattern.label)
                result.append(pattern)
        if rules.min_cases <= 1:
            # Imported reports alone span one "case" at most: with min_cases of 2 or more
            # no LSOA (imported reports only) can qualify, so it is not counted at all.
            merged = self.lsoa(PatternKind.LSOA)["repeat"]
            found = [p for p in merged.values() if _qualifies(p, rules)]
            names = _lsoa_names(self.connection, [p.key for p in found])
            for pattern in found:
                pattern.label = f"{names.get(pattern.key, pattern.key)} ({pattern.key})"
            result += found
        if self._people is not None:
            result += self._people.result()
        else:
            result += _people(self.connection, self.since, self.now, self.district, rules,
                              self.deleted)
        result.sort(key=lambda p: (-p.reports, p.kind, p.district, p.key))
        return result

    def _case_repeats(self, kind: PatternKind, key: sa.ColumnElement[str]) -> list[Pattern]:
        # Nothing else adds to these counts: leave the small groups in SQL.
        rules = self.rules
        query = _case_scan(key, [self.case_windows["repeat"]], self.district, self.deleted)
        refs = list(query.selected_columns)[-1]
        # The number of distinct refs, from the list already collected (no second distinct
        # count); the Python check below still decides (it counts no empty ref).
        listed = sa.func.length(refs) - sa.func.length(sa.func.replace(refs, ",", "")) + 1
        query = query.having(sa.func.count() >= rules.repeat_min_reports)
        if rules.min_cases > 1:
            query = query.having(listed >= rules.min_cases)
        result = []
        labelled = key is not Incident.postcode_key
        for row in self.connection.execute(query).all():
            district = _DISTRICTS[row[0]]
            # (district, key, reports, [label,] refs): a postcode is labelled by its key.
            label = row[3] if labelled else row[1]
            pattern = Pattern(kind, district, row[1], label, row[2],
                              _refs(row[-1], distinct=True))
            if _qualifies(pattern, rules):
                if not labelled:
                    pattern.label = _place_label(kind, pattern.key, pattern.label)
                result.append(pattern)
        return result

    def hotspots(self) -> list[Pattern]:
        """Streets and LSOAs whose recent reports are well above their own usual level."""
        rules = self.rules
        periods = rules.hotspot_baseline_months / rules.hotspot_recent_months
        result: list[Pattern] = []
        kinds = [(PatternKind.HOTSPOT_STREET, self.street)]
        if rules.min_cases <= 1:  # LSOAs: imported reports only, as in repeats
            kinds.append((PatternKind.HOTSPOT_LSOA, self.lsoa))
        for kind, scan in kinds:
            found = scan(kind)
            before = found["before"]
            for place, pattern in found["recent"].items():
                usual = before[place].reports / periods if place in before else 0.0
                spans = len(pattern.case_refs) + (1 if pattern.imported_reports else 0)
                if pattern.reports >= rules.hotspot_min_reports and spans >= rules.min_cases and (
                        pattern.reports >= rules.hotspot_factor * max(usual, 1.0)):
                    pattern.usual = round(usual, 1)
                    if kind is PatternKind.HOTSPOT_STREET:
                        pattern.label = _place_label(kind, pattern.key, pattern.label)
                    result.append(pattern)
        return sorted(result, key=lambda p: (-(p.reports / max(p.usual or 0, 1.0)), p.key))


def _lsoa_names(connection: sa.Connection, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(connection.execute(
        sa.select(ImportedIncident.lsoa_code, sa.func.min(ImportedIncident.lsoa_name))
        .where(ImportedIncident.lsoa_code.in_(codes))
        .group_by(ImportedIncident.lsoa_code)).all())


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold back Python's cyclic garbage collector while tens of thousands of patterns are made.

    They hold no reference cycles, but so many new objects start collection after collection
    over every live object in the process (about a second of the all-districts patterns on
    a 200,000-case store). Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _beside() -> Iterator[ThreadPoolExecutor]:
    """One thread for a statement run beside the caller's; waited for on the way out."""
    executor = ThreadPoolExecutor(1, thread_name_prefix="patterns")
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _kept(store: Store, district: District | None, rules: PatternRules, now: datetime, *,
          repeats: bool, hotspots: bool) -> list[Pattern] | None:
    """The patterns from the result kept in the store (:mod:`pattern_snapshot`), refreshed
    for what changed; None if other processes kept moving it (then computed here)."""
    from asbtui.services import pattern_snapshot

    with _gc_paused(), _beside() as beside:
        try:
            return pattern_snapshot.kept_patterns(store, district, rules, now, repeats=repeats,
                                                  hotspots=hotspots, beside=beside)
        except sa.exc.OperationalError as error:
            # A store this process may only read, or a writer holding the lock past the
            # busy timeout: the patterns are computed here, as before. (Nothing else: a
            # mistake in the kept rows' SQL must fail the tests, not fall back quietly.)
            if not any(word in str(error.orig).lower() for word in ("locked", "readonly",
                                                                  "read-only", "busy")):
                raise
            return None


@permits(Permission.READ_OVERVIEWS)
def repeats(store: Store, *, district: District | None = None,
            rules: PatternRules = PatternRules(), now: datetime | None = None,
            kept: bool = True) -> list[Pattern]:
    """Places, victims and perpetrators with ``repeat_min_reports`` or more in the window.

    ``kept``: read from the result kept in the store, refreshed first (the same patterns,
    without reading every incident); False computes them from the incidents.
    """
    if kept:
        found = _kept(store, district, rules, now or utc_now(), repeats=True, hotspots=False)
        if found is not None:
            return found
    with _gc_paused(), _beside() as people, store.engine.connect() as connection:
        return _Scans(connection, district, rules, now or utc_now(), repeats=True,
                      hotspots=False, people=people).repeats()


NARROW_MAX = 5000
"""Most keys or cases bound into one query; beyond it, every case is read."""
PEOPLE = {PartyRole.VICTIM: PatternKind.VICTIM, PartyRole.PERPETRATOR: PatternKind.PERPETRATOR}


def _people(connection: sa.Connection, since: datetime, now: datetime,
            district: District | None, rules: PatternRules,
            deleted: sa.Select | None, keys: list[str] | None = None) -> list[Pattern]:
    """Repeat victims and perpetrators, both in one pass over the incidents."""
    # The same person (name and date of birth) on any case: count the reports on all of them.
    # Reports per case first (ix_incident_case), then each case's victims and perpetrators
    # (ix_party_case_role): one row per person and case, however often they are named on it.
    live = [Incident.occurred_at >= since, Incident.occurred_at < now, ~Incident.deleted]
    if deleted is not None:
        live.append(Incident.case_ref.not_in(deleted))
    if district is not None:
        live.append(Incident.district == district)
    cases = sa.select(Incident.case_id).where(*live)
    named = [Party.role.in_(list(PEOPLE)), ~Party.deleted, Party.person_key != ""]
    if keys is not None:
        # Only these people (a refresh of kept patterns): their cases' incidents alone.
        if not keys:
            return []
        named.append(_among(Party.person_key, keys))
        cases = cases.where(Incident.case_id.in_(sa.select(Party.case_id).where(*named)))
    elif rules.min_cases > 1:
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
        sa.select(_text(per_person.c.district), _text(per_person.c.role), per_person.c.person_key,
                  sa.func.min(per_person.c.name), reports,
                  sa.func.group_concat(per_person.c.ref))
        .group_by(per_person.c.district, per_person.c.role, per_person.c.person_key)
        .having(reports >= rules.repeat_min_reports, sa.func.count() >= rules.min_cases)
    )
    found = [Pattern(_KINDS_BY_ROLE[role], _DISTRICTS[district_code], person_key, label,
                     count, _refs(refs))
             for district_code, role, person_key, label, count, refs in connection.execute(query)]
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
             rules: PatternRules = PatternRules(), now: datetime | None = None,
             kept: bool = True) -> list[Pattern]:
    """Streets and LSOAs whose recent reports are well above their own usual level."""
    if kept:
        found = _kept(store, district, rules, now or utc_now(), repeats=False, hotspots=True)
        if found is not None:
            return found
    with _gc_paused(), store.engine.connect() as connection:
        return _Scans(connection, district, rules, now or utc_now(), repeats=False,
                      hotspots=True).hotspots()


@permits(Permission.READ_OVERVIEWS)
def patterns(store: Store, *, district: District | None = None,
             rules: PatternRules = PatternRules(), now: datetime | None = None,
             kept: bool = True) -> list[Pattern]:
    """Every pattern of concern: hotspots first, then repeats by number of reports."""
    if kept:
        found = _kept(store, district, rules, now or utc_now(), repeats=True, hotspots=True)
        if found is not None:
            return found
    with _gc_paused(), _beside() as people, store.engine.connect() as connection:
        scans = _Scans(connection, district, rules, now or utc_now(), repeats=True,
                       hotspots=True, people=people)
        return scans.hotspots() + scans.repeats()
