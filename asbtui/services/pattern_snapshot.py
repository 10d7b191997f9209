"""Patterns of concern kept as a result in the store, refreshed for the keys that changed.

The grouped scans of :mod:`asbtui.services.patterns` read every incident of the window
(about 3M index entries at 1,000,000 cases, 15 s all districts). Here their figures are
kept per (district, kind, key) before any threshold (``pattern_snapshot``, migration
0020), as computed for one ``now`` and one set of windows (the months of
:class:`PatternRules`); thresholds are applied when the rows are read, so every rule set
with the same windows reads the same rows.

What changes them:
- writes: the store's triggers list each key a write touches in ``pattern_dirty`` (an
  incident's address, street and postcode and its case's people, before and after; a
  person; a case deleted or given another ref; an imported incident's street and LSOA),
  whoever writes;
- time: between the rows' ``now`` and the next, the reports whose time (or month, for
  imported ones) crossed an edge of a window (now, 12 months ago, 3 months ago, 15 months
  ago...) are found by time (``ix_incident_occurred``), and their keys refreshed too.

A refresh recomputes just those keys with the same scans, restricted to them, and writes
them back in one short transaction; a district with no rows yet, other windows, or too
many keys to refresh is computed in full. The write checks that nobody moved the
district's rows meanwhile (another process refreshing), else it starts again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from asbtui.models import District, ImportedIncident, Incident, Party
from asbtui.services import patterns as p
from asbtui.services.access import Permission, permits
from asbtui.services.patterns import Pattern, PatternKind, PatternRules

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from asbtui.db import Store

REFRESH_MAX_KEYS = 20_000
"""More keys than this to refresh in one district: computed in full instead."""
ATTEMPTS = 3
TRIGGER_PREFIX = "pattern\\_"
"""The names of the triggers that mark keys (LIKE, escaped): set aside in bulk loads."""

# The kinds of pattern each scan (the kind of key marked dirty) gives.
SCANS: dict[str, tuple[PatternKind, ...]] = {
    "address": (PatternKind.ADDRESS,),
    "postcode": (PatternKind.POSTCODE,),
    "street": (PatternKind.STREET, PatternKind.HOTSPOT_STREET),
    "lsoa": (PatternKind.LSOA, PatternKind.HOTSPOT_LSOA),
    "person": (PatternKind.VICTIM, PatternKind.PERPETRATOR),
}
REPEAT_KINDS = frozenset({PatternKind.ADDRESS, PatternKind.POSTCODE, PatternKind.STREET,
                          PatternKind.LSOA, PatternKind.VICTIM, PatternKind.PERPETRATOR})
HOTSPOT_KINDS = frozenset({PatternKind.HOTSPOT_STREET, PatternKind.HOTSPOT_LSOA})
KEPT_MIN_REPORTS = 2
"""PatternRules refuses a repeat of fewer reports: smaller groups are not kept."""

_Row = tuple[str, str, str, str | None, int, int, int, str, float | None, int]
"""(district, kind, key, label, reports, imported, spans, refs, usual, cases_first)."""


def windows_of(rules: PatternRules) -> str:
    """What the kept figures depend on in ``rules`` (the rest are thresholds)."""
    return (f"{rules.window_months}/{rules.hotspot_recent_months}/"
            f"{rules.hotspot_baseline_months}")


def _figure_rules(rules: PatternRules) -> PatternRules:
    # The windows of ``rules``, no threshold beyond what every rule set requires.
    return PatternRules(window_months=rules.window_months,
                        hotspot_recent_months=rules.hotspot_recent_months,
                        hotspot_baseline_months=rules.hotspot_baseline_months,
                        repeat_min_reports=KEPT_MIN_REPORTS, min_cases=0)


def _row(district: str, kind: PatternKind, pattern: Pattern, label: str | None,
         usual: float | None = None) -> _Row:
    refs = pattern.case_refs
    spans = len(refs) + (1 if pattern.imported_reports else 0)
    return (district, kind.value, pattern.key, label, pattern.reports, pattern.imported_reports,
            spans, ",".join(refs), usual,
            1 if pattern.reports - pattern.imported_reports > 0 else 0)


def _figures(connection: sa.Connection, district: District, rules: PatternRules, now: datetime,
             keys: dict[str, list[str]] | None,
             beside: ThreadPoolExecutor | None = None) -> list[_Row]:
    """The kept rows of ``district`` (only ``keys`` of each scan, when given)."""
    rules = _figure_rules(rules)
    scans = p._Scans(connection, district, rules, now, repeats=True, hotspots=True, keys=keys)
    code = district.value
    person_keys = None if keys is None else keys.get("person", [])

    def people(engine_or_connection: sa.Engine | sa.Connection) -> list[Pattern]:
        if isinstance(engine_or_connection, sa.Engine):
            with engine_or_connection.connect() as own:
                return people(own)
        return p._people(engine_or_connection, scans.since, now, district, rules,
                         scans.deleted, person_keys)

    # The longest statement, on a second connection beside the place scans when it can.
    later = beside.submit(people, connection.engine) if beside is not None else None
    rows: list[_Row] = []
    for scan, kind, column in (("address", PatternKind.ADDRESS, Incident.address_key),
                               ("postcode", PatternKind.POSTCODE, Incident.postcode_key)):
        wanted = None if keys is None else keys.get(scan, [])
        if wanted == []:
            continue
        query = p._case_scan(column, [scans.case_windows["repeat"]], district, scans.deleted,
                             wanted).having(sa.func.count() >= KEPT_MIN_REPORTS)
        labelled = kind is PatternKind.ADDRESS
        for row in connection.execute(query):
            refs = p._refs(row[-1], distinct=True)
            label = row[3] if labelled else p._place_label(kind, row[1], row[1])
            rows.append((code, kind.value, row[1], label, row[2], 0, len(refs), ",".join(refs),
                         None, 1))
    periods = rules.hotspot_baseline_months / rules.hotspot_recent_months
    for repeat, hotspot, found in (
            (PatternKind.STREET, PatternKind.HOTSPOT_STREET, scans.street(PatternKind.STREET)),
            (PatternKind.LSOA, PatternKind.HOTSPOT_LSOA, scans.lsoa(PatternKind.LSOA))):
        street = repeat is PatternKind.STREET
        for pattern in found["repeat"].values():
            if pattern.reports >= KEPT_MIN_REPORTS:
                # An LSOA's label (its name) is looked up when read.
                label = p._place_label(repeat, pattern.key, pattern.label) if street else None
                rows.append(_row(code, repeat, pattern, label))
        before = found["before"]
        for place, pattern in found["recent"].items():
            usual = before[place].reports / periods if place in before else 0.0
            label = (p._place_label(hotspot, pattern.key, pattern.label) if street
                     else pattern.label)
            rows.append(_row(code, hotspot, pattern, label, usual))
    found_people = later.result() if later is not None else people(connection)
    for pattern in found_people:
        rows.append(_row(code, pattern.kind, pattern, pattern.label))
    return rows


@dataclass(frozen=True)
class _Kept:
    windows: str
    now: str


PENDING = _Kept("", "")
"""A district whose rows are being computed for the first time (its keys are marked)."""


def _comparable(kept_now: str, now: datetime) -> bool:
    """Whether the kept rows' instant can be compared with ``now`` (both aware or both
    naive); if not, the district is computed in full."""
    return (datetime.fromisoformat(kept_now).tzinfo is None) == (now.tzinfo is None)


def _now_text(now: datetime) -> str:
    return now.isoformat()


_Keys = dict[str, set[str]]


def _crossed(connection: sa.Connection, districts: list[District], rules: PatternRules,
             then: datetime, now: datetime) -> dict[str, _Keys]:
    """Per district, the keys whose reports crossed an edge of a window between ``then``
    and ``now`` (read from ``ix_incident_occurred`` and the imported reports' month)."""
    rules = _figure_rules(rules)
    # The scans' own bounds at both instants (no statement is run making them).
    edges = [p._Scans(connection, None, rules, at, repeats=True, hotspots=True, keys={})
             for at in (then, now)]
    codes = [d.value for d in districts]
    found: dict[str, _Keys] = {code: {scan: set() for scan in SCANS} for code in codes}
    for name in ("now", "since", "recent_since", "base_since"):
        lo, hi = sorted(getattr(scans, name) for scans in edges)
        if lo == hi:
            continue
        # Led by the time: a few minutes' or a day's reports, whatever their district.
        crossing = [Incident.occurred_at >= lo, Incident.occurred_at < hi,
                    Incident.district.in_(districts)]
        for district, address, street, postcode in connection.execute(
                sa.select(p._text(Incident.district), Incident.address_key,
                          Incident.street_key, Incident.postcode_key).distinct()
                .with_hint(Incident, "INDEXED BY ix_incident_occurred").where(*crossing)):
            keys = found[district]
            keys["address"].add(address)
            keys["street"].add(street)
            keys["postcode"].add(postcode)
        for district, person in connection.execute(
                sa.select(p._text(Incident.district), Party.person_key).distinct()
                .select_from(Incident).join(Party, Party.case_id == Incident.case_id)
                .with_hint(Incident, "INDEXED BY ix_incident_occurred")
                .where(*crossing, Party.role.in_(list(p.PEOPLE)))):
            found[district]["person"].add(person)
    for name in ("since_month", "until_month", "recent_month", "base_month"):
        lo, hi = sorted(getattr(scans, name) for scans in edges)
        if lo == hi:
            continue
        for district, street, lsoa in connection.execute(
                sa.select(p._text(ImportedIncident.district), ImportedIncident.street_key,
                          ImportedIncident.lsoa_code).distinct()
                .where(ImportedIncident.district.in_(districts), ImportedIncident.month >= lo,
                       ImportedIncident.month < hi)):
            found[district]["street"].add(street)
            found[district]["lsoa"].add(lsoa)
    for keys in found.values():
        for each in keys.values():
            each.discard("")
    return found


def _kept(connection: sa.Connection) -> dict[str, _Kept]:
    return {district: _Kept(windows, now) for district, windows, now in connection.execute(
        sa.text("SELECT district, windows, now FROM pattern_snapshot_district"))}


@dataclass
class _Change:
    """What a refresh writes for one district: all its rows, or those of ``keys``."""

    district: District
    expected: _Kept | None
    rows: list[_Row]
    keys: dict[str, list[str]] | None
    consumed: list[tuple[str, str, int]]
    """The dirty marks now answered (kind, key, generation): each is removed if it has not
    been marked again since it was read."""


def _write(connection: sa.Connection, changes: list[_Change], kept: _Kept) -> bool:
    """The changes in one transaction; False (nothing written) if another process moved
    the rows of one of their districts since they were read."""
    try:
        # A write first: the lock is taken now, so what is checked below stays true.
        connection.exec_driver_sql("UPDATE pattern_snapshot_district SET now = now WHERE 0")
        current = _kept(connection)
        if any(current.get(c.district.value) != c.expected for c in changes):
            connection.rollback()
            return False
        for change in changes:
            code = change.district.value
            if change.keys is None:
                connection.execute(sa.text("DELETE FROM pattern_snapshot WHERE district = :d"),
                                   {"d": code})
            else:
                for scan, wanted in change.keys.items():
                    connection.execute(sa.text(
                        "DELETE FROM pattern_snapshot WHERE district = :d AND kind IN "
                        "(SELECT value FROM json_each(:kinds)) "
                        "AND key IN (SELECT value FROM json_each(:keys))"),
                        {"d": code, "kinds": json.dumps([k.value for k in SCANS[scan]]),
                         "keys": json.dumps(wanted)})
            if change.consumed:
                connection.exec_driver_sql(
                    "DELETE FROM pattern_dirty WHERE district = ? AND kind = ? AND key = ? "
                    "AND gen = ?", [(code, *mark) for mark in change.consumed])
            if change.rows:
                connection.exec_driver_sql(
                    "INSERT INTO pattern_snapshot (district, kind, key, label, reports, "
                    "imported, spans, refs, usual, cases_first) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", change.rows)
            connection.execute(sa.text(
                "INSERT OR REPLACE INTO pattern_snapshot_district (district, windows, now) "
                "VALUES (:d, :w, :n)"), {"d": code, "w": kept.windows, "n": kept.now})
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return True


def _refresh_once(connection: sa.Connection, districts: list[District], rules: PatternRules,
                  now: datetime, beside: ThreadPoolExecutor | None) -> bool:
    """One attempt at bringing the districts' kept rows to ``now``: the districts kept
    with these windows refreshed for their changed keys, in one transaction; then each
    of the others computed in full, in its own. False if another process moved them."""
    windows = windows_of(rules)
    target = _Kept(windows, _now_text(now))
    kept = _kept(connection)
    current = [d for d in districts if (k := kept.get(d.value)) is not None
               and k.windows == windows and _comparable(k.now, now)]
    full = [d for d in districts if d not in current]
    marked: dict[str, list[tuple[str, str, int]]] = {}
    for district, scan, key, gen in connection.execute(sa.text(
            "SELECT district, kind, key, gen FROM pattern_dirty")):
        marked.setdefault(district, []).append((scan, key, gen))
    crossed: dict[str, _Keys] = {}
    for then in sorted({kept[d.value].now for d in current}):
        group = [d for d in current if kept[d.value].now == then]
        crossed |= _crossed(connection, group, rules, datetime.fromisoformat(then), now)
    connection.rollback()  # the figures are read afresh below
    changes: list[_Change] = []
    for district in current:
        keys = crossed[district.value]
        mine = marked.get(district.value, [])
        for scan, key, _gen in mine:
            keys.setdefault(scan, set()).add(key)
        size = sum(len(found) for found in keys.values())
        if size == 0:
            continue  # nothing moved: the rows stand for ``now`` as they are
        if size > REFRESH_MAX_KEYS:
            full.append(district)
            continue
        wanted = {scan: sorted(found) for scan, found in keys.items() if found}
        rows = _figures(connection, district, rules, now, wanted, beside)
        connection.rollback()
        changes.append(_Change(district, kept[district.value], rows, wanted, mine))
    if changes and not _write(connection, changes, target):
        return False
    for district in sorted(full, key=lambda d: d.value):
        expected = kept.get(district.value)
        if expected is None:
            # Noted as being computed first: from now on the triggers mark its keys, so a
            # write made while its figures are read is refreshed next time.
            connection.execute(sa.text(
                "INSERT OR IGNORE INTO pattern_snapshot_district (district, windows, now) "
                "VALUES (:d, '', '')"), {"d": district.value})
            connection.commit()
            if _kept(connection).get(district.value) != PENDING:
                return False  # another process got there first
            expected = PENDING
        # Every mark read before the figures are read is answered by them.
        mine = [tuple(row) for row in connection.execute(sa.text(
            "SELECT kind, key, gen FROM pattern_dirty WHERE district = :d"),
            {"d": district.value})]
        connection.rollback()
        rows = _figures(connection, district, rules, now, None, beside)
        connection.rollback()
        if not _write(connection, [_Change(district, expected, rows, None, mine)], target):
            return False
    return True


@permits(Permission.READ_OVERVIEWS)
def refresh(store: Store, districts: list[District], rules: PatternRules, now: datetime,
            beside: ThreadPoolExecutor | None = None) -> bool:
    """Bring the kept rows of ``districts`` to ``now`` and ``rules``' windows; False if
    other processes kept moving them (the caller then computes without them)."""
    with store.engine.connect() as connection:
        for _attempt in range(ATTEMPTS):
            if _refresh_once(connection, districts, rules, now, beside):
                return True
            connection.rollback()
    return False


@permits(Permission.READ_OVERVIEWS)
def read(store: Store, districts: list[District], rules: PatternRules, *, repeats: bool,
         hotspots: bool) -> list[Pattern] | None:
    """The kept patterns of ``districts`` that meet ``rules``' thresholds, in the order the
    full computation gives: hotspots first (most above their usual level), then repeats.
    None if a district's rows are not kept for these windows any more (a first sync or
    another process came between the refresh and this read)."""
    kinds = (REPEAT_KINDS if repeats else frozenset()) | (HOTSPOT_KINDS if hotspots
                                                          else frozenset())
    if rules.min_cases > 1:
        # Imported reports alone (LSOAs) span one "case" at most: not counted at all.
        kinds -= {PatternKind.LSOA, PatternKind.HOTSPOT_LSOA}
    wanted = {k.value: k for k in kinds}
    least = min(rules.repeat_min_reports if repeats else 1 << 62,
                rules.hotspot_min_reports if hotspots else 1 << 62)
    found: list[Pattern] = []
    hot: list[tuple[tuple, Pattern]] = []
    kind_order = {PatternKind.HOTSPOT_STREET: 0, PatternKind.HOTSPOT_LSOA: 1}
    qualifies = p._qualifies
    with store.engine.connect() as connection:
        # The driver's own cursor: tens of thousands of rows at 1,000,000 cases.
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            # One read transaction: the rows read are those the districts' marks say.
            cursor.execute("BEGIN")
            windows = windows_of(rules)
            cursor.execute("SELECT district, windows FROM pattern_snapshot_district")
            standing = {code for code, kept in cursor if kept == windows}
            if any(d.value not in standing for d in districts):
                return None
            for district in sorted(districts, key=lambda d: d.value):
                cursor.execute(
                    "SELECT kind, key, label, reports, imported, refs, usual, cases_first "
                    "FROM pattern_snapshot WHERE district = ? AND spans >= ? AND reports >= ?",
                    (district.value, rules.min_cases, least))
                for kind_text, key, label, reports, imported, refs, usual, first in cursor:
                    kind = wanted.get(kind_text)
                    if kind is None:
                        continue
                    pattern = Pattern(kind, district, key, label, reports,
                                      refs.split(",") if refs else [], imported)
                    if kind in HOTSPOT_KINDS:
                        spans = len(pattern.case_refs) + (1 if imported else 0)
                        if (reports >= rules.hotspot_min_reports and spans >= rules.min_cases
                                and reports >= rules.hotspot_factor * max(usual, 1.0)):
                            pattern.usual = round(usual, 1)
                            # The full computation's order before its sort: streets, then
                            # LSOAs; places with case reports first; by district, key.
                            hot.append(((kind_order[kind], 0 if first else 1, district.value,
                                         key), pattern))
                    elif qualifies(pattern, rules):
                        found.append(pattern)
            lsoas = [x for x in found if x.kind is PatternKind.LSOA]
            names = p._lsoa_names(connection, [x.key for x in lsoas])
        finally:
            cursor.close()
            driver = connection.connection.driver_connection
            if driver is not None and driver.in_transaction:
                driver.rollback()  # the read transaction begun above
            connection.rollback()
    for pattern in lsoas:
        pattern.label = f"{names.get(pattern.key, pattern.key)} ({pattern.key})"
    hot.sort(key=lambda pair: pair[0])
    hot_patterns = sorted((pattern for _order, pattern in hot),
                          key=lambda x: (-(x.reports / max(x.usual or 0, 1.0)), x.key))
    found.sort(key=lambda x: (-x.reports, x.kind, x.district, x.key))
    return hot_patterns + found


@permits(Permission.READ_OVERVIEWS)
def kept_patterns(store: Store, district: District | None, rules: PatternRules, now: datetime,
                  *, repeats: bool, hotspots: bool,
                  beside: ThreadPoolExecutor | None = None) -> list[Pattern] | None:
    """Patterns from the kept rows, refreshed first; None if they could not be refreshed."""
    districts = [district] if district is not None else list(District)
    for _attempt in range(ATTEMPTS):
        if not refresh(store, districts, rules, now, beside):
            return None
        found = read(store, districts, rules, repeats=repeats, hotspots=hotspots)
        if found is not None:
            return found
    return None


def mark_stale(connection: sa.Connection) -> None:
    """Forget every kept row (a bulk load is about to write with the triggers set aside):
    the next read computes in full. In the caller's transaction."""
    connection.exec_driver_sql("DELETE FROM pattern_snapshot_district")
    connection.exec_driver_sql("DELETE FROM pattern_snapshot")
    connection.exec_driver_sql("DELETE FROM pattern_dirty")


def trigger_names(connection: sa.Connection) -> list[str]:
    """The triggers that mark keys dirty (set aside with the snapshot marked stale)."""
    return list(connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
        f"AND name LIKE '{TRIGGER_PREFIX}%' ESCAPE '\\'").scalars())
