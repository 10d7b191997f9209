"""Patterns of concern kept as a result in the store, refreshed for the keys that changed.

The grouped scans of :mod:`asbtui.services.patterns` read every incident of the window
(about 3M index entries at 1,000,000 cases, 15 s all districts). Here their figures are
kept per (district, kind, key) before any threshold (``pattern_snapshot``, migration
0020), as computed for one ``now`` and one set of windows (the months of
:class:`PatternRules`); thresholds are applied when the rows are read, so every rule set
with the same windows reads the same rows.

What changes them:
- incidents: the store's triggers log each incident changed in a kept district, as it was
  (-1) and as it is (+1), in ``pattern_change`` (migration 0021), whoever writes;
- people, a case deleted or given another ref, imported reports: the triggers list the
  keys they touch in ``pattern_dirty``; so do an incident's old keys when its key or
  location changed (their rows are forgotten at once: an erasure leaves nothing behind);
- time: between the rows' ``now`` and the next, the reports whose time (or month, for
  imported ones) crossed an edge of a window (now, 12 months ago, 3 months ago, 15 months
  ago...) are found by time (``ix_incident_occurred``).

A refresh, in one read transaction: the logged incidents (counted at the rows' instant)
and the incidents that crossed an edge (counted at both instants) are added to the kept
figures of their streets and their cases' victims and perpetrators as deltas: reports by
window; a case's ref added, or removed once an index seek finds it has no report left
there (a street's next refs then read from its index); the label (least location or
name) kept unless its holder left (a street's least location kept while an index walk
finds it still there). What a delta cannot tell (a row not kept, a person's 51st ref, a
label that may have left) and every marked
key, address and postcode (a few reports each: cheaper recounted) are recomputed with
the same scans, restricted to them. All is written back in one short transaction; a
district with no rows yet, other windows, or too many keys is computed in full. The
write checks that nobody moved the district's rows meanwhile (another process
refreshing), else it starts again; incidents logged after the read are marked, to be
recounted next time.
"""

from __future__ import annotations

import bisect
import json
import secrets
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from asbtui.models import Case, District, ImportedIncident, Incident
from asbtui.services import patterns as p
from asbtui.services.access import Permission, permits
from asbtui.services.patterns import Pattern, PatternKind, PatternRules

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from asbtui.db import Store

DELTA_MAX_MOVES = 1000
"""More moves than this on one street: recounted rather than moved. (Was 48, when a
street whose listed ref or least location left was recounted: at 1,000,000 cases, all
districts, a real day's move recounted 141 streets that way, ~0.2 s of SQL; moved, with
the next refs read from the street's index, 8.)"""
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

_Row = tuple[str, str, str, str | None, int, int, int, str, float | None, int, str | None]
"""(district, kind, key, label, reports, imported, spans, refs, usual, cases_first, example):
``example`` is the least case location in the row's window behind a street's label (None
if the window has no case report), an address's label itself."""


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
         usual: float | None = None, example: str | None = None) -> _Row:
    refs = pattern.case_refs
    spans = len(refs) + (1 if pattern.imported_reports else 0)
    return (district, kind.value, pattern.key, label, pattern.reports, pattern.imported_reports,
            spans, ",".join(refs), usual,
            1 if pattern.reports - pattern.imported_reports > 0 else 0, example)


def _example(pattern: Pattern) -> str | None:
    # A street's least case location in the window (its label before _place_label).
    return pattern.label if pattern.reports - pattern.imported_reports > 0 else None


def _figures(connection: sa.Connection, district: District, rules: PatternRules, now: datetime,
             keys: dict[str, list[str]] | None,
             beside: ThreadPoolExecutor | None = None,
             deleted: sa.Select | None | bool = True) -> list[_Row]:
    """The kept rows of ``district`` (only ``keys`` of each scan, when given; ``deleted``:
    the deleted cases' refs to leave out, if the caller read them)."""
    rules = _figure_rules(rules)
    scans = p._Scans(connection, district, rules, now, repeats=True, hotspots=True, keys=keys,
                     deleted=deleted)
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
                         None, 1, label if labelled else None))
    periods = rules.hotspot_baseline_months / rules.hotspot_recent_months
    for repeat, hotspot, found in (
            (PatternKind.STREET, PatternKind.HOTSPOT_STREET, scans.street(PatternKind.STREET)),
            (PatternKind.LSOA, PatternKind.HOTSPOT_LSOA, scans.lsoa(PatternKind.LSOA))):
        street = repeat is PatternKind.STREET
        for pattern in found["repeat"].values():
            if pattern.reports >= KEPT_MIN_REPORTS:
                # An LSOA's label (its name) is looked up when read.
                label = p._place_label(repeat, pattern.key, pattern.label) if street else None
                rows.append(_row(code, repeat, pattern, label,
                                 example=_example(pattern) if street else None))
        before = found["before"]
        for place, pattern in found["recent"].items():
            usual = before[place].reports / periods if place in before else 0.0
            label = (p._place_label(hotspot, pattern.key, pattern.label) if street
                     else pattern.label)
            rows.append(_row(code, hotspot, pattern, label, usual,
                             _example(pattern) if street else None))
    found_people = later.result() if later is not None else people(connection)
    for pattern in found_people:
        rows.append(_row(code, pattern.kind, pattern, pattern.label))
    return rows


@dataclass(frozen=True)
class _Kept:
    windows: str
    now: str
    version: str = ""
    """A fresh token with every write of the district's rows (migration 0022)."""


PENDING = _Kept("", "")
"""A district whose rows are being computed for the first time (its keys are marked)."""


def _comparable(kept_now: str, now: datetime) -> bool:
    """Whether the kept rows' instant can be compared with ``now`` (both aware or both
    naive); if not, the district is computed in full."""
    return (datetime.fromisoformat(kept_now).tzinfo is None) == (now.tzinfo is None)


def _now_text(now: datetime) -> str:
    return now.isoformat()


_Keys = dict[str, set[str]]

LAST = {"moved": 0, "fallback": 0, "marked": 0}
"""What the last refresh in this process did: keys moved by deltas, keys a delta could not
tell (recounted), keys marked or crossed by imported reports (recounted). For tests and
benchmarks."""


def _at_text(at: datetime) -> str:
    """An instant as the store writes ``occurred_at`` (UTC, text), to compare with it."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class _Bounds:
    """The windows of the case scans at one instant, as text: repeats [since, now), recent
    [recent, now), before [base, recent)."""

    since: str
    recent: str
    base: str
    now: str

    @classmethod
    def of(cls, scans: p._Scans) -> _Bounds:
        return cls(_at_text(scans.since), _at_text(scans.recent_since),
                   _at_text(scans.base_since), _at_text(scans.now))

    def windows(self, occurred: str) -> tuple[str, ...]:
        if occurred >= self.now:
            return ()
        found = ("repeat",) if occurred >= self.since else ()
        if occurred >= self.recent:
            return (*found, "recent")
        return (*found, "before") if occurred >= self.base else found


_Image = tuple[str, str, str, str, str, int, str, str, str]
"""An incident as logged: (district, case_id, case_ref, case_location, occurred_at, deleted,
address_key, street_key, postcode_key)."""
IMAGE_COLUMNS = ("district, case_id, case_ref, case_location, occurred_at, deleted, "
                 "address_key, street_key, postcode_key")
RECOUNTED = (("address", 6), ("postcode", 8))
"""Streets and people are moved by deltas (a street holds ~1,100 reports at 1,000,000
cases, a repeat perpetrator ~100 cases); an address or a postcode holds a few reports:
recounting it from its index costs less than its delta."""
REF_WINDOWS = ("repeat", "recent")
"""The windows whose case refs and label a row keeps (repeats, a hotspot's recent)."""


def _crossed(connection: sa.Connection, cursor: Any, districts: list[District],
             rules: PatternRules, then: datetime, now: datetime
             ) -> tuple[dict[str, _Keys], dict[str, list[_Image]]]:
    """Per district, the imported reports' keys whose month crossed an edge of a window
    between ``then`` and ``now`` (recounted), and the incidents whose time crossed one
    (read from ``ix_incident_occurred``: their figures move by delta)."""
    rules = _figure_rules(rules)
    # The scans' own bounds at both instants (no statement is run making them).
    edges = [p._Scans(connection, None, rules, at, repeats=True, hotspots=True, keys={},
                      deleted=None)
             for at in (then, now)]
    codes = [d.value for d in districts]
    found: dict[str, _Keys] = {code: {scan: set() for scan in SCANS} for code in codes}
    images: dict[str, dict[int, _Image]] = {code: {} for code in codes}
    for name in ("now", "since", "recent_since", "base_since"):
        lo, hi = sorted(getattr(scans, name) for scans in edges)
        if lo == hi:
            continue
        # Led by the time: a few minutes' or a day's reports, whatever their district.
        cursor.execute(f"SELECT rowid, {IMAGE_COLUMNS} FROM incident "
                       "INDEXED BY ix_incident_occurred WHERE occurred_at >= ? "
                       "AND occurred_at < ? AND district IN (SELECT value FROM json_each(?))",
                       (_at_text(lo), _at_text(hi), json.dumps(codes)))
        for row in cursor:
            images[row[1]][row[0]] = row[1:]
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
    return found, {code: list(rows.values()) for code, rows in images.items()}


class _Tally:
    """What the incidents moved of one key's figures: reports by window, and by window the
    net reports of each case (its ref, or for people its id and ref) and of each location."""

    __slots__ = ("reports", "cases", "locations")

    def __init__(self) -> None:
        self.reports: dict[str, int] = {}
        self.cases: dict[str, dict[tuple[str, str], int]] = {}
        self.locations: dict[str, dict[str, int]] = {}

    def add(self, sign: int, window: str, case: tuple[str, str], location: str | None) -> None:
        self.reports[window] = self.reports.get(window, 0) + sign
        if window in REF_WINDOWS:
            cases = self.cases.setdefault(window, {})
            cases[case] = cases.get(case, 0) + sign
            if location is not None:
                places = self.locations.setdefault(window, {})
                places[location] = places.get(location, 0) + sign

    def moved(self, window: str) -> bool:
        """Whether anything in ``window`` moved (net of the -1s and +1s)."""
        return bool(self.reports.get(window) or any(self.cases.get(window, {}).values())
                    or any(self.locations.get(window, {}).values()))


class _Fallback(Exception):
    """A key whose figures a delta cannot tell (e.g. its least location left): recounted."""


_Move = tuple[_Image, tuple[tuple[str, int], ...]]
"""An incident and how it moved in each window it entered (+1) or left (-1)."""


def _moves(district: str, logged: list[tuple[int, _Image]], crossing: list[_Image],
           then: _Bounds, now: _Bounds, deleted: set[str]) -> list[_Move]:
    """What each change moved, as the scans count: logged changes at the rows' instant,
    crossings by the windows they left and entered between the two instants. (No deleted
    incident or case; nothing from another district.)"""
    moves: list[_Move] = []
    for sign, image in logged:
        if image[0] != district or image[5] or image[2] in deleted:
            continue
        windows = then.windows(image[4])
        if windows:
            moves.append((image, tuple((window, sign) for window in windows)))
    for image in crossing:
        if image[0] != district or image[5] or image[2] in deleted:
            continue
        before, after = then.windows(image[4]), now.windows(image[4])
        changes = tuple([(w, -1) for w in before if w not in after]
                        + [(w, 1) for w in after if w not in before])
        if changes:
            moves.append((image, changes))
    return moves


def _tally(moves: list[_Move], parties: dict[str, list[tuple[str, str]]], recount: _Keys
           ) -> tuple[dict[tuple[str, str], _Tally], dict[tuple[str, str], tuple[bool, int]]]:
    """Per (scan, key): the moves added up (a case's victims and perpetrators as named
    now); and per address and postcode (recounted, not moved): whether its reports, cases
    or labels moved at all (False: only net of each other), and its reports' net move."""
    tallies: dict[tuple[str, str], _Tally] = {}
    nets: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
    streets = recount.get("street", set())
    people = recount.get("person", set())
    for image, changes in moves:
        ref, location = image[2], image[3]
        street = image[7] if image[7] not in streets else ""
        for window, sign in changes:
            if street:
                tally = tallies.get(("street", street))
                if tally is None:
                    tally = tallies[("street", street)] = _Tally()
                tally.add(sign, window, ("", ref), location)
            if window != "repeat":
                continue
            for scan, at in RECOUNTED:
                key = image[at]
                if key:
                    net = nets.setdefault((scan, key), {})
                    net[(ref, location)] = net.get((ref, location), 0) + sign
            for role, person in parties.get(image[1], ()):
                if person in people:
                    continue
                tally = tallies.get((role, person))
                if tally is None:
                    tally = tallies[(role, person)] = _Tally()
                tally.add(sign, "repeat", (image[1], ref), None)
    moved = {key: (any(net.values()), sum(net.values())) for key, net in nets.items()}
    return tallies, moved


PERSON_KINDS = {"victim": PatternKind.VICTIM, "perpetrator": PatternKind.PERPETRATOR}
PRESENCE = {
    # Whether a case still has a report at a place in a window: a seek in the key-led index.
    "address": ("ix_incident_address", "address_key"),
    "street": ("ix_incident_street", "street_key"),
    "postcode": ("ix_incident_postcode", "postcode_key"),
}


def _present(cursor: Any, district: str, scan: str, asked: list[tuple[str, str]],
             lo: str, hi: str) -> dict[tuple[str, str], str | None]:
    """For each (key, case) asked (a case ref, or for people a case id), the ref of the
    case's reports in [lo, hi) (None: none left), read in one statement."""
    if not asked:
        return {}
    if scan in PRESENCE:
        index, column = PRESENCE[scan]
        sql = (f"SELECT j.value ->> 0, j.value ->> 1, (SELECT min(case_ref) FROM incident "
               f"INDEXED BY {index} WHERE district = ? AND {column} = j.value ->> 0 "
               f"AND case_ref = j.value ->> 1 AND occurred_at >= ? AND occurred_at < ? "
               f"AND NOT deleted) FROM json_each(?) AS j")
    else:
        # A case's answer is the same for each of its people: asked once per case.
        cursor.execute(
            "SELECT j.value, (SELECT min(case_ref) FROM incident INDEXED BY ix_incident_case "
            "WHERE district = ? AND case_id = j.value AND occurred_at >= ? AND occurred_at < ? "
            "AND NOT deleted) FROM json_each(?) AS j",
            (district, lo, hi, json.dumps(sorted({case for _key, case in asked}))))
        refs = dict(cursor.fetchall())
        return {(key, case): refs[case] for key, case in asked}
    cursor.execute(sql, (district, lo, hi, json.dumps(asked)))
    return {(key, case): ref for key, case, ref in cursor}


def _next_refs(cursor: Any, district: str, street: str, after: str, lo: str, hi: str,
               deleted: set[str], count: int) -> list[str]:
    """The first ``count`` refs after ``after`` of the cases with a report on ``street``
    in [lo, hi), in order, as the street scan lists them."""
    cursor.execute(
        "SELECT DISTINCT case_ref FROM incident INDEXED BY ix_incident_street "
        "WHERE district = ? AND street_key = ? AND case_ref > ? AND occurred_at >= ? "
        "AND occurred_at < ? AND NOT deleted ORDER BY case_ref", (district, street, after, lo, hi))
    found: list[str] = []
    for (ref,) in cursor:
        if ref in deleted:
            continue
        found.append(ref)
        if len(found) == count:
            break
    return found


def _located(cursor: Any, district: str, street: str, location: str, lo: str, hi: str,
             deleted: set[str]) -> bool:
    """Whether a case report on ``street`` in [lo, hi) is still at ``location`` (its
    least location stands)."""
    cursor.execute(
        "SELECT case_ref FROM incident INDEXED BY ix_incident_street WHERE district = ? "
        "AND street_key = ? AND case_location = ? AND occurred_at >= ? AND occurred_at < ? "
        "AND NOT deleted", (district, street, location, lo, hi))
    return any(ref not in deleted for (ref,) in cursor)


def _moved_rows(cursor: Any, district: District, rules: PatternRules, bounds: _Bounds,
                tallies: dict[tuple[str, str], _Tally], deleted: set[str],
                named: dict[tuple[str, str, str], str]
                ) -> tuple[list[_Row], list[tuple[str, str]], set[tuple[str, str]]]:
    """The kept rows of the keys ``tallies`` moved, with the deltas added: (rows to write,
    (kind, key) rows to remove, (scan, key) to recount instead). ``named``: each moved
    case's victims' and perpetrators' least name there, by (role, person, case id)."""
    code = district.value
    periods = rules.hotspot_baseline_months / rules.hotspot_recent_months
    recount: set[tuple[str, str]] = set()
    # The kept rows of those keys, by kind.
    wanted: dict[str, list[str]] = {}
    for (scan, key) in tallies:
        kinds = ([PERSON_KINDS[scan].value] if scan in PERSON_KINDS
                 else [k.value for k in SCANS[scan]])
        for kind in kinds:
            wanted.setdefault(kind, []).append(key)
    held: dict[tuple[str, str], list] = {}
    for kind, keys in wanted.items():
        cursor.execute(
            "SELECT kind, key, label, reports, imported, refs, usual, cases_first, example "
            "FROM pattern_snapshot WHERE district = ? AND kind = ? "
            "AND key IN (SELECT value FROM json_each(?))", (code, kind, json.dumps(keys)))
        for row in cursor:
            held[(row[0], row[1])] = list(row)
    # Which (key, case) to look up: a case whose net reports fell in a window may have none
    # left there (its ref then leaves the row).
    # (Not asked where the answer changes nothing: a key with no kept row for the window
    # (it stays unkept or is recounted), a street's case not listed in its row (it is not
    # listed, or past the last ref listed, or the row is recounted).)
    asked: dict[tuple[str, str], list[tuple[str, str]]] = {}
    street_kinds = {"repeat": PatternKind.STREET.value, "recent": PatternKind.HOTSPOT_STREET.value}
    for (scan, key), tally in tallies.items():
        for window, cases in tally.cases.items():
            person = scan in PERSON_KINDS
            row = held.get((PERSON_KINDS[scan].value if person else street_kinds[window], key))
            if row is None:
                continue
            listed = None if person else set(row[5].split(",")) if row[5] else set()
            for (case_id, ref), net in cases.items():
                if net < 0 and (listed is None or ref in listed):
                    asked.setdefault((scan if scan in PRESENCE else "person", window), []
                                     ).append((key, case_id or ref))
    spans = {"repeat": (bounds.since, bounds.now), "recent": (bounds.recent, bounds.now)}
    left: dict[tuple[str, str], dict[tuple[str, str], str | None]] = {}
    for (scan, window), pairs in asked.items():
        left[(scan, window)] = _present(cursor, code, scan, sorted(set(pairs)), *spans[window])
    # A person's name on a case that came into their window (or may have left it): their
    # label may be it. (A case already listed was there before: the label stands.)
    wanted_names = []
    for (role, key), tally in tallies.items():
        if role not in PERSON_KINDS:
            continue
        row = held.get((PERSON_KINDS[role].value, key))
        listed = set(row[5].split(",")) if row is not None and row[5] else set()
        gone = left.get(("person", "repeat"), {})
        for (case_id, ref), net in tally.cases.get("repeat", {}).items():
            if (net > 0 and ref not in listed) or (net < 0 and gone.get((key, case_id)) is None):
                wanted_names.append((role, key, case_id))
    # (Read with the cases' people, in the same transaction.)
    names = {wanted: named[wanted] for wanted in wanted_names if wanted in named}

    rows: list[_Row] = []
    removed: list[tuple[str, str]] = []
    for (scan, key), tally in tallies.items():
        kinds = ([PERSON_KINDS[scan]] if scan in PERSON_KINDS
                 else list(SCANS[scan]))
        try:
            made: list[_Row] = []
            gone: list[tuple[str, str]] = []
            for kind in kinds:
                window = "recent" if kind in HOTSPOT_KINDS else "repeat"
                row = held.get((kind.value, key))
                if row is None:
                    # Not kept: fewer than two reports (a repeat), or none (recent). Fewer
                    # still stays so; more must be counted.
                    if tally.reports.get(window, 0) > 0:
                        raise _Fallback
                    continue
                if not tally.moved(window) and not (kind in HOTSPOT_KINDS
                                                   and tally.reports.get("before")):
                    continue
                _kind, _key, label, reports, imported, refs_text, usual, _first, example = row
                reports += tally.reports.get(window, 0)
                if kind in HOTSPOT_KINDS:
                    before = round((usual or 0.0) * periods) + tally.reports.get("before", 0)
                    usual = before / periods if before else 0.0
                    if reports <= 0:
                        gone.append((kind.value, key))
                        continue
                elif reports < KEPT_MIN_REPORTS:
                    gone.append((kind.value, key))
                    continue
                refs = refs_text.split(",") if refs_text else []
                # Every ref in the window up to ``bound`` is listed (None: every ref is).
                bound = refs[-1] if len(refs) >= p.CASES_LISTED else None
                person = scan in PERSON_KINDS
                scan_of = "person" if person else scan
                for (case_id, ref), net in sorted(tally.cases.get(window, {}).items()):
                    if net == 0 or not ref:
                        continue
                    listed = ref in refs
                    if net > 0:
                        # It has reports there now: listed if among the first refs.
                        if not listed and (bound is None or ref < bound):
                            refs.append(ref)
                            refs.sort()
                            if len(refs) > p.CASES_LISTED:
                                del refs[p.CASES_LISTED:]
                                bound = refs[-1]
                        if person:
                            name = names.get((scan, key, case_id))
                            if name is not None and (label is None or name < label):
                                label = name
                        continue
                    now_ref = left.get((scan_of, window), {}).get((key, case_id or ref))
                    beyond = bound is not None and ref > bound
                    if now_ref is not None:
                        if now_ref != ref or (not listed and not beyond):
                            raise _Fallback  # refs not as logged: recount
                        continue
                    if person and names.get((scan, key, case_id)) == label:
                        raise _Fallback  # their least name may have left with the case
                    if not listed:
                        if not beyond:
                            raise _Fallback
                        continue
                    if bound is not None and person:
                        raise _Fallback  # the next ref after the listed ones is not kept
                    refs.remove(ref)
                if bound is not None and len(refs) < p.CASES_LISTED:
                    # A street's listed ref left: the next refs in the window after the
                    # last one known, from the street's index (a few entries, not the
                    # street's thousands of reports a recount reads).
                    lo, hi = spans[window]
                    refs += _next_refs(cursor, code, key, bound, lo, hi, deleted,
                                       p.CASES_LISTED - len(refs))
                if scan in ("address", "street"):
                    locations = tally.locations.get(window, {})
                    for location, net in locations.items():
                        if net < 0 and (example is None or location <= example) and not (
                                scan == "street" and location == example
                                and _located(cursor, code, key, location, *spans[window],
                                             deleted)):
                            raise _Fallback  # the least location may have left
                    added = [location for location, net in locations.items() if net > 0]
                    if added and (example is None or min(added) < example):
                        example = min(added)
                    if reports - imported <= 0:
                        example = None
                    if scan == "address":
                        label = example
                    else:
                        label = p._place_label(kind, key, example if example is not None
                                               else key)
                spans_now = len(refs) + (1 if imported else 0)
                made.append((code, kind.value, key, label, reports, imported, spans_now,
                             ",".join(refs), usual if kind in HOTSPOT_KINDS else None,
                             1 if reports - imported > 0 else 0,
                             example if scan in ("address", "street") else None))
            rows += made
            removed += gone
        except _Fallback:
            recount.add((scan if scan not in PERSON_KINDS else "person", key))
    return rows, removed, recount


def _kept(connection: sa.Connection) -> dict[str, _Kept]:
    return {district: _Kept(windows, now, version)
            for district, windows, now, version in connection.execute(sa.text(
                "SELECT district, windows, now, version FROM pattern_snapshot_district"))}


_Held = tuple[str | None, int, int, str, float | None, int, int]
"""A kept row as read, by (kind, key): (label, reports, imported, refs, usual, cases_first,
spans). The refs stay one text, split when read: split once and held, the 1M store's
~1.3M refs cost ~145 MB in the process, as text ~35 MB (the split ~0.15 s a look)."""


_Asked = tuple[int, int, int, float, frozenset[str], int]
"""What decides which of a district's rows a look returns: (min_cases, repeat_min_reports,
hotspot_min_reports, hotspot_factor, the kinds wanted, the least reports of any)."""


@dataclass(frozen=True)
class _HeldRows:
    """The kept rows of one district with ``spans`` and ``reports`` at least these, as
    they stood at ``version``. Never changed in place: a refresh makes a new one."""

    version: str
    spans: int
    reports: int
    rows: dict[tuple[str, str], _Held]
    made: dict[tuple[str, str], Pattern] = field(default_factory=dict, compare=False)
    """The patterns looks made of these rows, by (kind, key), whatever their thresholds
    (a pattern depends on its row alone): made once, not at every look (69,000 patterns
    at 1,000,000 cases, their refs split, took 0.3-0.5 s a look). A refresh carries over
    those of the rows it did not touch. Shared by the looks that return them: callers
    must not change a pattern."""
    chosen: dict[_Asked, tuple[list[Pattern], list[Pattern]]] = field(
        default_factory=dict, compare=False)
    """Per thresholds asked, the hotspots and repeats of these rows that meet them, each
    in order: a refresh carries them over, less the rows it touched, plus those rows as
    they are now (a look after a day's move then makes and sorts a few thousand
    patterns, not every row's)."""


_KIND_ORDER = {PatternKind.HOTSPOT_STREET: 0, PatternKind.HOTSPOT_LSOA: 1}
_KINDS = {kind.value: kind for kind in PatternKind}


def _make(district: District, kind: PatternKind, key: str, held: _Held) -> Pattern:
    """A held row's pattern (a hotspot's usual level set)."""
    label, reports, imported, refs, usual, _first, _spans = held
    pattern = Pattern(kind, district, key, label, reports, refs.split(",") if refs else [],
                      imported)
    if kind in HOTSPOT_KINDS:
        pattern.usual = round(usual, 1)
    return pattern


def _repeat_order(pattern: Pattern) -> tuple:
    """A repeat's place: most reports first, then kind, district, key."""
    return -pattern.reports, pattern.kind, pattern.district, pattern.key


def _hot_order(pattern: Pattern) -> tuple:
    """A hotspot's place before the sort by how far above its usual level: kind, places
    with case reports first, district, key (a row's cases_first is reports - imported > 0)."""
    return (_KIND_ORDER[pattern.kind], 0 if pattern.reports - pattern.imported_reports > 0
            else 1, pattern.district.value, pattern.key)


def _choose(district: District, held: _HeldRows, asked: _Asked,
            keys: Iterable[tuple[str, str]]) -> tuple[list[Pattern], list[Pattern]]:
    """The hotspots and repeats among the rows ``keys`` of ``held`` that meet ``asked``
    (in no order)."""
    min_cases, repeat_min, hot_min, factor, wanted, least = asked
    rows, made = held.rows, held.made
    hot: list[Pattern] = []
    found: list[Pattern] = []
    for row_key in keys:
        row = rows.get(row_key)
        if row is None:
            continue
        _label, reports, imported, _refs, usual, _first, spans = row
        if spans < min_cases or reports < least or row_key[0] not in wanted:
            continue
        kind = _KINDS[row_key[0]]
        hotspot = kind in HOTSPOT_KINDS
        if hotspot:
            if reports < hot_min or reports < factor * max(usual, 1.0):
                continue
        elif reports < repeat_min:
            continue
        pattern = made.get(row_key)
        if pattern is None:
            pattern = made[row_key] = _make(district, kind, row_key[1], row)
        # The spans as the refs give them (as the full computation counts).
        if len(pattern.case_refs) + (1 if imported else 0) < min_cases:
            continue
        (hot if hotspot else found).append(pattern)
    return hot, found


def _chosen(district: District, held: _HeldRows, asked: _Asked
            ) -> tuple[list[Pattern], list[Pattern]]:
    """The hotspots and repeats of ``held`` that meet ``asked``, each in order (chosen
    once per thresholds, then carried over by refreshes)."""
    chosen = held.chosen.get(asked)
    if chosen is None:
        hot, found = _choose(district, held, asked, held.rows)
        hot.sort(key=_hot_order)
        found.sort(key=_repeat_order)
        chosen = held.chosen[asked] = (hot, found)
    return chosen


def _carried(district: District, old: _HeldRows, new: _HeldRows,
             touched: set[tuple[str, str]]) -> None:
    """The thresholds' choices of ``old`` carried to ``new``: less the rows ``touched``,
    plus those rows as ``new`` holds them (each found by bisection: a refresh touches a
    few hundred of a district's thousands)."""
    for asked, lists in old.chosen.items():
        hot, found = _choose(district, new, asked, touched)
        carried = []
        for before, added, order in zip(lists, (hot, found), (_hot_order, _repeat_order),
                                        strict=True):
            kept = list(before)
            for row_key in touched:
                pattern = old.made.get(row_key)
                if pattern is None or (pattern.kind in HOTSPOT_KINDS) != (order is _hot_order):
                    continue  # never chosen, or in the other list
                at = bisect.bisect_left(kept, order(pattern), key=order)
                if at < len(kept) and kept[at] is pattern:
                    del kept[at]
            for pattern in added:
                bisect.insort(kept, pattern, key=order)
            carried.append(kept)
        new.chosen[asked] = (carried[0], carried[1])


RESULTS_KEPT = 4
"""The looks' results a process keeps (each rule set and kinds asked: usually one)."""


class _Memo:
    """The kept rows this process last read or wrote, per district (on the store: each
    process, or each open store, its own). A look reads again only the districts whose
    version moved (another process wrote them) or whose keys are marked (a trigger forgot
    rows: it always marks them); a refresh patches in what it wrote itself."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.districts: dict[str, _HeldRows] = {}
        self.results: dict[tuple, tuple[list[_HeldRows], _Result]] = {}
        """The last looks' patterns, by what they asked (rule set, kinds, districts), with
        the rows they were made of: while no district's rows moved, a look with the same
        rules takes them as they are."""

    def result(self, asked: tuple, helds: list[_HeldRows]) -> _Result | None:
        with self.lock:
            kept = self.results.get(asked)
        if kept is None or len(kept[0]) != len(helds) or any(
                a is not b for a, b in zip(kept[0], helds, strict=True)):
            return None
        return kept[1]

    def keep_result(self, asked: tuple, helds: list[_HeldRows], result: _Result) -> None:
        with self.lock:
            self.results.pop(asked, None)
            while len(self.results) >= RESULTS_KEPT:
                del self.results[next(iter(self.results))]
            self.results[asked] = (helds, result)

    def get(self, district: str) -> _HeldRows | None:
        with self.lock:
            return self.districts.get(district)

    def put(self, district: str, held: _HeldRows) -> None:
        with self.lock:
            self.districts[district] = held

    def forget(self, district: str) -> None:
        with self.lock:
            self.districts.pop(district, None)

    def written(self, change: _Change, version: str) -> None:
        """What ``_write`` did to the district's rows, done to the held ones too (if they
        stood at the version it replaced; otherwise they are dropped)."""
        code = change.district.value
        with self.lock:
            old = self.districts.pop(code, None)
        if old is None or change.expected is None or old.version != change.expected.version:
            return
        if change.keys is None:
            self.put(code, _HeldRows(version, old.spans, old.reports, {
                (kind, key): (label, reports, imported, refs, usual, first, spans)
                for (_d, kind, key, label, reports, imported, spans, refs, usual, first,
                     _example) in change.rows if spans >= old.spans and reports >= old.reports}))
            return
        rows = dict(old.rows)
        made = dict(old.made)
        touched: set[tuple[str, str]] = set(change.removed)
        for scan, wanted in change.keys.items():
            for kind in SCANS[scan]:
                touched.update((kind.value, key) for key in wanted)
        touched.update((kind, key) for (_d, kind, key, *_rest) in change.rows)
        for row_key in touched:
            rows.pop(row_key, None)
            made.pop(row_key, None)
        for (_d, kind, key, label, reports, imported, spans, refs, usual, first,
             _example) in change.rows:
            if spans >= old.spans and reports >= old.reports:
                rows[(kind, key)] = (label, reports, imported, refs, usual, first, spans)
        new = _HeldRows(version, old.spans, old.reports, rows, made)
        _carried(change.district, old, new, touched)
        self.put(code, new)


def _memo(store: Store) -> _Memo:
    return store.cache.setdefault("kept_patterns", _Memo())  # type: ignore[return-value]


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
    logged: int = 0
    """The incident changes answered: those logged up to this seq (later ones are marked)."""
    removed: list[tuple[str, str]] = field(default_factory=list)
    """(kind, key) rows gone (moved by deltas below what is kept)."""


MARK = " ON CONFLICT DO UPDATE SET gen = gen + 1"


def _write(connection: sa.Connection, changes: list[_Change], kept: _Kept,
           memo: _Memo | None = None) -> bool:
    """The changes in one transaction; False (nothing written) if another process moved
    the rows of one of their districts since they were read. ``memo``: the rows this
    process holds, patched alike once committed."""
    versions = []
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
            # The rows of the keys recounted that are not written again (those written
            # are updated in place, below), and those moved below what is kept.
            written = {(row[1], row[2]) for row in change.rows}
            gone = [(code, kind.value, key) for scan, wanted in (change.keys or {}).items()
                    for kind in SCANS[scan] for key in wanted
                    if (kind.value, key) not in written]
            gone += [(code, *row) for row in change.removed]
            if gone:
                connection.exec_driver_sql(
                    "DELETE FROM pattern_snapshot WHERE district = ? AND kind = ? AND key = ?",
                    gone)
            if change.consumed:
                connection.exec_driver_sql(
                    "DELETE FROM pattern_dirty WHERE district = ? AND kind = ? AND key = ? "
                    "AND gen = ?", [(code, *mark) for mark in change.consumed])
            # Incidents changed after the figures were read: their keys are marked (and
            # recounted next time); all that was logged is answered.
            later = {"d": code, "seq": change.logged}
            connection.execute(sa.text(
                "INSERT INTO pattern_dirty (district, kind, key) "
                "SELECT district, 'address', address_key FROM pattern_change "
                "WHERE district = :d AND seq > :seq AND address_key != '' "
                "UNION SELECT district, 'street', street_key FROM pattern_change "
                "WHERE district = :d AND seq > :seq AND street_key != '' "
                "UNION SELECT district, 'postcode', postcode_key FROM pattern_change "
                "WHERE district = :d AND seq > :seq AND postcode_key != '' "
                "UNION SELECT c.district, 'person', p.person_key FROM pattern_change c "
                "JOIN party p ON p.case_id = c.case_id WHERE c.district = :d AND c.seq > :seq "
                "AND p.role IN ('victim', 'perpetrator') AND p.person_key != ''" + MARK), later)
            connection.execute(sa.text("DELETE FROM pattern_change WHERE district = :d"),
                               {"d": code})
            if change.rows:
                # Moved and recounted rows replace their kept selves, in place.
                connection.exec_driver_sql(
                    "INSERT INTO pattern_snapshot (district, kind, key, label, reports, "
                    "imported, spans, refs, usual, cases_first, example) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (district, kind, key) DO UPDATE SET label = excluded.label, "
                    "reports = excluded.reports, imported = excluded.imported, "
                    "spans = excluded.spans, refs = excluded.refs, usual = excluded.usual, "
                    "cases_first = excluded.cases_first, example = excluded.example",
                    change.rows)
            versions.append(secrets.token_hex(8))
            connection.execute(sa.text(
                "INSERT OR REPLACE INTO pattern_snapshot_district (district, windows, now, "
                "version) VALUES (:d, :w, :n, :v)"),
                {"d": code, "w": kept.windows, "n": kept.now, "v": versions[-1]})
        connection.commit()
    except BaseException:
        connection.rollback()
        if memo is not None:
            for change in changes:
                memo.forget(change.district.value)
        raise
    if memo is not None:
        for change, version in zip(changes, versions, strict=True):
            memo.written(change, version)
    return True


def _refresh_once(connection: sa.Connection, districts: list[District], rules: PatternRules,
                  now: datetime, beside: ThreadPoolExecutor | None,
                  memo: _Memo | None = None) -> bool:
    """One attempt at bringing the districts' kept rows to ``now``: the districts kept
    with these windows moved by the incidents changed and crossed (deltas) and recounted
    for their marked keys, in one transaction; then each of the others computed in full,
    in its own. False if another process moved them."""
    windows = windows_of(rules)
    target = _Kept(windows, _now_text(now))
    LAST.update(dict.fromkeys(LAST, 0))
    driver = connection.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    changes: list[_Change] = []
    full: list[District] = []
    try:
        # One read transaction: the log, the marks, the kept rows and the figures recounted
        # all as of one instant (what was logged up to ``logged`` is in them, no more).
        cursor.execute("BEGIN")
        kept = _kept(connection)
        current = [d for d in districts if (k := kept.get(d.value)) is not None
                   and k.windows == windows and _comparable(k.now, now)]
        full = [d for d in districts if d not in current]
        cursor.execute("SELECT coalesce(max(seq), 0) FROM pattern_change")
        logged = cursor.fetchone()[0]
        marked: dict[str, list[tuple[str, str, int]]] = {}
        for district, scan, key, gen in connection.execute(sa.text(
                "SELECT district, kind, key, gen FROM pattern_dirty")):
            marked.setdefault(district, []).append((scan, key, gen))
        changed: dict[str, list[tuple[int, _Image]]] = {}
        if current:
            cursor.execute(f"SELECT district, sign, {IMAGE_COLUMNS} FROM pattern_change "
                           "WHERE seq <= ? AND district IN (SELECT value FROM json_each(?))",
                           (logged, json.dumps([d.value for d in current])))
            for district, sign, *image in cursor:
                changed.setdefault(district, []).append((sign, tuple(image)))  # type: ignore
        crossed: dict[str, _Keys] = {}
        crossing: dict[str, list[_Image]] = {}
        for then in sorted({kept[d.value].now for d in current}):
            group = [d for d in current if kept[d.value].now == then]
            keys_of, images_of = _crossed(connection, cursor, group, rules,
                                          datetime.fromisoformat(then), now)
            crossed |= keys_of
            crossing |= images_of
        figure_rules = _figure_rules(rules)
        deleted = set(connection.execute(
            sa.select(Case.ref).where(Case.deleted == sa.true())).scalars())
        # As the scans leave them out (read once, not by each district's scans).
        left_out = sa.select(Case.ref).where(Case.deleted == sa.true()) if deleted else None
        at_now = _Bounds.of(p._Scans(connection, None, figure_rules, now, repeats=True,
                                     hotspots=True, keys={}, deleted=None))
        for district in current:
            code = district.value
            keys = crossed[code]
            mine = marked.get(code, [])
            for scan, key, _gen in mine:
                keys.setdefault(scan, set()).add(key)
            then = _Bounds.of(p._Scans(connection, None, figure_rules,
                                       datetime.fromisoformat(kept[code].now), repeats=True,
                                       hotspots=True, keys={}, deleted=None))
            # Logged changes counted at the rows' instant; crossings at both instants.
            moves = _moves(code, changed.get(code, []), crossing.get(code, []), then, at_now,
                           deleted)
            if not changed.get(code) and not crossing.get(code) and not any(keys.values()):
                continue  # nothing moved: the rows stand for ``now`` as they are
            case_ids = sorted({image[1] for image, moved_in in moves
                               if ("repeat", 1) in moved_in or ("repeat", -1) in moved_in})
            parties: dict[str, list[tuple[str, str]]] = {}
            named: dict[tuple[str, str, str], str] = {}
            if case_ids:
                cursor.execute(
                    "SELECT case_id, role, person_key, min(name) FROM party "
                    "WHERE case_id IN (SELECT value FROM json_each(?)) "
                    "AND role IN ('victim', 'perpetrator') AND NOT deleted "
                    "AND person_key != '' GROUP BY case_id, role, person_key",
                    (json.dumps(case_ids),))
                for case_id, role, person, name in cursor:
                    parties.setdefault(case_id, []).append((role, person))
                    named[(role, person, case_id)] = name
            # A street moved by many incidents (a day's reports) is recounted from its
            # index: cheaper than adding up each move. (Not a person: their recount reads
            # all their cases, thousands for the most prolific.)
            many: Counter[str] = Counter()
            for image, moved_in in moves:
                if image[7]:
                    many[image[7]] += len(moved_in)
            keys.setdefault("street", set()).update(
                key for key, count in many.items() if count > DELTA_MAX_MOVES)
            tallies, moved = _tally(moves, parties, keys)
            # Addresses and postcodes: recounted if kept (or now with more reports); one not
            # kept (fewer than two reports) with fewer or as many still is not.
            for scan, _at in RECOUNTED:
                asked = {key: net for (which, key), (any_move, net) in moved.items()
                         if which == scan and any_move}
                if not asked:
                    continue
                cursor.execute("SELECT key FROM pattern_snapshot WHERE district = ? AND kind = ? "
                               "AND key IN (SELECT value FROM json_each(?))",
                               (code, SCANS[scan][0].value, json.dumps(list(asked))))
                held = {key for (key,) in cursor}
                for key, net in asked.items():
                    if key in held or net > 0:
                        keys.setdefault(scan, set()).add(key)
            # Keys recounted (marked) take no delta: their figures are read afresh.
            for scan, found in keys.items():
                for key in found:
                    if scan == "person":
                        for role in PERSON_KINDS:
                            tallies.pop((role, key), None)
                    else:
                        tallies.pop((scan, key), None)
            if len(tallies) + sum(len(found) for found in keys.values()) > REFRESH_MAX_KEYS:
                full.append(district)
                continue
            rows, removed, recount = _moved_rows(cursor, district, figure_rules, at_now,
                                                 tallies, deleted, named)
            LAST["moved"] += len(tallies) - len(recount)
            LAST["fallback"] += len(recount)
            LAST["marked"] += sum(len(found) for found in keys.values())
            for scan, key in recount:
                keys.setdefault(scan, set()).add(key)
            wanted = {scan: sorted(found) for scan, found in keys.items() if found}
            # Rows recounted replace the moved ones of the same scan and key.
            recounted = {(kind.value, key) for scan, found in wanted.items()
                         for kind in SCANS[scan] for key in found}
            rows = [row for row in rows if (row[1], row[2]) not in recounted]
            removed = [row for row in removed if row not in recounted]
            if wanted:
                rows += _figures(connection, district, rules, now, wanted, beside,
                                 left_out)
            changes.append(_Change(district, kept[code], rows, wanted, mine, logged, removed))
    finally:
        cursor.close()
        connection.rollback()
        if driver is not None and driver.in_transaction:
            driver.rollback()
    if changes and not _write(connection, changes, target, memo):
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
        # Every mark and change logged before the figures are read is answered by them.
        mine = [tuple(row) for row in connection.execute(sa.text(
            "SELECT kind, key, gen FROM pattern_dirty WHERE district = :d"),
            {"d": district.value})]
        logged = connection.execute(sa.text(
            "SELECT coalesce(max(seq), 0) FROM pattern_change")).scalar()
        connection.rollback()
        rows = _figures(connection, district, rules, now, None, beside)
        connection.rollback()
        if not _write(connection, [_Change(district, expected, rows, None, mine, logged)],
                      target, memo):
            return False
    return True


@permits(Permission.READ_OVERVIEWS)
def refresh(store: Store, districts: list[District], rules: PatternRules, now: datetime,
            beside: ThreadPoolExecutor | None = None) -> bool:
    """Bring the kept rows of ``districts`` to ``now`` and ``rules``' windows; False if
    other processes kept moving them (the caller then computes without them)."""
    with store.engine.connect() as connection:
        for _attempt in range(ATTEMPTS):
            if _refresh_once(connection, districts, rules, now, beside, _memo(store)):
                _trim_log(connection)
                return True
            connection.rollback()
    return False


LOG_MAX = 50_000
"""Incident images logged for a district kept but not looked at since: beyond this, its
rows are forgotten (computed in full when next looked at) rather than the log kept."""


def _trim_log(connection: sa.Connection) -> None:
    """Forget the kept rows of districts whose log has grown past ``LOG_MAX`` (kept, but
    not looked at while many incidents changed there): the log stays small."""
    low, high = connection.exec_driver_sql(
        "SELECT min(seq), max(seq) FROM pattern_change").one()
    if low is None or high - low < LOG_MAX:
        connection.rollback()
        return
    try:
        for (district,) in connection.exec_driver_sql(
                "SELECT district FROM pattern_change GROUP BY district "
                "HAVING count(*) > ?", (LOG_MAX,)).all():
            for table in ("pattern_snapshot_district", "pattern_snapshot", "pattern_dirty",
                          "pattern_change"):
                connection.exec_driver_sql(f"DELETE FROM {table} WHERE district = ?",
                                           (district,))
        connection.commit()
    except BaseException:
        connection.rollback()
        raise


def _read_rows(cursor: Any, district: str, version: str, spans: int, reports: int
               ) -> _HeldRows:
    """The kept rows of ``district`` with at least ``spans`` and ``reports``."""
    cursor.execute(
        "SELECT kind, key, label, reports, imported, refs, usual, cases_first, spans "
        "FROM pattern_snapshot WHERE district = ? AND spans >= ? AND reports >= ?",
        (district, spans, reports))
    return _HeldRows(version, spans, reports, {
        (kind, key): (label, count, imported, refs, usual, first, spread)
        for kind, key, label, count, imported, refs, usual, first, spread in cursor})


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
    memo = _memo(store)
    ordered = sorted(districts, key=lambda d: d.value)
    with store.engine.connect() as connection:
        # The driver's own cursor: tens of thousands of rows at 1,000,000 cases.
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            # One read transaction: the rows read are those the districts' marks say.
            cursor.execute("BEGIN")
            windows = windows_of(rules)
            cursor.execute("SELECT district, windows, version FROM pattern_snapshot_district")
            standing = {code: version for code, kept, version in cursor if kept == windows}
            if any(d.value not in standing for d in districts):
                return None
            # A district with keys marked may have had rows forgotten by a trigger since.
            cursor.execute("SELECT DISTINCT district FROM pattern_dirty")
            marked = {code for (code,) in cursor}
            helds: list[_HeldRows] = []
            for district in ordered:
                code = district.value
                held = memo.get(code)
                if (held is None or held.version != standing[code] or code in marked
                        or held.spans > rules.min_cases or held.reports > least):
                    held = _read_rows(cursor, code, standing[code], rules.min_cases, least)
                    if code not in marked:
                        memo.put(code, held)
                helds.append(held)
            asked = (rules, repeats, hotspots, tuple(d.value for d in ordered))
            result = memo.result(asked, helds)
            if result is None:
                result = _patterns(ordered, helds, rules, wanted, least)
                memo.keep_result(asked, helds, result)
            hot_patterns, found, lsoas = result
            names = p._lsoa_names(connection, [x.key for x in lsoas])
        finally:
            cursor.close()
            driver = connection.connection.driver_connection
            if driver is not None and driver.in_transaction:
                driver.rollback()  # the read transaction begun above
            connection.rollback()
    for pattern in lsoas:
        pattern.label = f"{names.get(pattern.key, pattern.key)} ({pattern.key})"
    return hot_patterns + found


_Result = tuple[list[Pattern], list[Pattern], list[Pattern]]
"""A look's hotspots and repeats, in order, and its LSOAs among the repeats (labelled
by their names when read)."""


def _patterns(districts: list[District], helds: list[_HeldRows], rules: PatternRules,
              wanted: dict[str, PatternKind], least: int) -> _Result:
    """The patterns of the rows held that meet ``rules``' thresholds, in the full
    computation's order (each district's chosen once: ``_HeldRows.chosen``)."""
    asked: _Asked = (rules.min_cases, rules.repeat_min_reports, rules.hotspot_min_reports,
                     rules.hotspot_factor, frozenset(wanted), least)
    hot: list[Pattern] = []
    repeats: list[Pattern] = []
    for district, held in zip(districts, helds, strict=True):
        district_hot, district_found = _chosen(district, held, asked)
        hot += district_hot
        repeats += district_found
    # One run in order per district: the sorts merge them.
    hot.sort(key=_hot_order)
    hot_patterns = sorted(hot, key=lambda x: (-(x.reports / max(x.usual or 0, 1.0)), x.key))
    repeats.sort(key=_repeat_order)
    lsoas = ([x for x in repeats if x.kind is PatternKind.LSOA]
             if PatternKind.LSOA.value in wanted else [])
    return hot_patterns, repeats, lsoas


@permits(Permission.READ_OVERVIEWS)
def kept_patterns(store: Store, district: District | None, rules: PatternRules, now: datetime,
                  *, repeats: bool, hotspots: bool,
                  beside: ThreadPoolExecutor | None = None) -> list[Pattern] | None:
    """Patterns from the kept rows, refreshed first; None if they could not be refreshed,
    or if the triggers that log each change were dropped or rewritten behind the app's
    back (then the kept rows are forgotten: they may have missed changes)."""
    from asbtui.db import triggers_changed

    with store.engine.connect() as connection:
        untrusted = triggers_changed(connection, ["pattern"])
    if untrusted:
        with store.engine.begin() as connection:
            mark_stale(connection)
        return None
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
    connection.exec_driver_sql("DELETE FROM pattern_change")


def trigger_names(connection: sa.Connection) -> list[str]:
    """The triggers that mark keys dirty (set aside with the snapshot marked stale)."""
    return list(connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
        f"AND name LIKE '{TRIGGER_PREFIX}%' ESCAPE '\\'").scalars())
