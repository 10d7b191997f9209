"""A synthetic Kent store for demonstrations, tests and benchmarks.

Everything is made up with faker's ``en_GB`` locale and a seeded random generator, so
the same seed gives the same store. Towns and postcode districts are real Kent places so
that the queue reads like a real one; people, house numbers and events are invented.
The Invicta Road, Margate case from ``shared/domain.md`` is always included.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from dateutil.relativedelta import relativedelta
from faker import Faker

from asbtui.dates import LONDON, london_today, to_london, utc_now
from asbtui.db import bulk_writes, drop_secondary_indexes
from asbtui.errors import InvalidInput
from asbtui.models import (
    OPEN_STATUSES,
    Agency,
    AgencyKind,
    Authority,
    Case,
    CaseShare,
    CaseStatus,
    CaseTask,
    Category,
    Channel,
    ClosureReason,
    District,
    EnforcementAction,
    FirstContact,
    Incident,
    IncidentType,
    NoteAudience,
    NoteVisibility,
    Officer,
    PartnerNote,
    Party,
    PartyRole,
    Power,
    RiskLevel,
    Role,
    StoreMeta,
    User,
    VictimContact,
    VictimUpdatePlan,
)
from asbtui.services import (
    audit,
    demo_copies,
    demo_day,
    enforcement,
    pattern_snapshot,
    patterns,
    periods,
    places,
    problems,
    search,
)
from asbtui.services.access import LOCAL, permits
from asbtui.services.audit import JUSTIFICATIONS
from asbtui.services.cases import REVIEW_INTERVAL_DAYS, case_detail
from asbtui.services.enforcement import NewAction, StepInput
from asbtui.services.refs import make_ref

if TYPE_CHECKING:
    from asbtui.db import Store

# Real towns of each district with their postcode districts.
TOWNS: dict[District, list[tuple[str, list[str]]]] = {
    District.ASH: [("Ashford", ["TN23", "TN24", "TN25"]), ("Tenterden", ["TN30"])],
    District.CAN: [("Canterbury", ["CT1", "CT2"]), ("Whitstable", ["CT5"]), ("Herne Bay", ["CT6"])],
    District.DAR: [("Dartford", ["DA1", "DA2"]), ("Greenhithe", ["DA9"]), ("Swanscombe", ["DA10"])],
    District.DOV: [("Dover", ["CT16", "CT17"]), ("Deal", ["CT14"]), ("Sandwich", ["CT13"])],
    District.FOL: [("Folkestone", ["CT19", "CT20"]), ("Hythe", ["CT21"]), ("New Romney", ["TN28"])],
    District.GRA: [("Gravesend", ["DA11", "DA12"]), ("Northfleet", ["DA11"])],
    District.MAI: [("Maidstone", ["ME14", "ME15", "ME16"]), ("Headcorn", ["TN27"])],
    District.MED: [
        ("Chatham", ["ME4", "ME5"]),
        ("Gillingham", ["ME7", "ME8"]),
        ("Rochester", ["ME1"]),
        ("Strood", ["ME2"]),
    ],
    District.SEV: [("Sevenoaks", ["TN13", "TN14"]), ("Swanley", ["BR8"]), ("Edenbridge", ["TN8"])],
    District.SWA: [("Sittingbourne", ["ME10"]), ("Faversham", ["ME13"]), ("Sheerness", ["ME12"])],
    District.THA: [("Margate", ["CT9"]), ("Ramsgate", ["CT11", "CT12"]), ("Broadstairs", ["CT10"])],
    District.TON: [
        ("Tonbridge", ["TN9", "TN10"]),
        ("West Malling", ["ME19"]),
        ("Snodland", ["ME6"]),
        ("Aylesford", ["ME20"]),
    ],
    District.TUN: [
        ("Tunbridge Wells", ["TN1", "TN2", "TN4"]),
        ("Paddock Wood", ["TN12"]),
        ("Cranbrook", ["TN17"]),
    ],
}
# Districts' share of cases, roughly by population (Medway largest, Sevenoaks smallest).
WEIGHTS = {
    District.MED: 2.2,
    District.THA: 1.4,
    District.MAI: 1.4,
    District.SWA: 1.2,
    District.CAN: 1.2,
    District.DOV: 0.9,
    District.FOL: 0.9,
    District.ASH: 1.0,
    District.DAR: 0.9,
    District.GRA: 0.8,
    District.TON: 1.0,
    District.TUN: 0.9,
    District.SEV: 0.9,
}

# Partner agencies: each district's council, the main housing providers, and two
# force-wide services. Names are real; contacts and sharing agreement refs are invented.
COUNCILS: dict[District, str] = {
    District.ASH: "Ashford Borough Council",
    District.CAN: "Canterbury City Council",
    District.DAR: "Dartford Borough Council",
    District.DOV: "Dover District Council",
    District.FOL: "Folkestone and Hythe District Council",
    District.GRA: "Gravesham Borough Council",
    District.MAI: "Maidstone Borough Council",
    District.MED: "Medway Council",
    District.SEV: "Sevenoaks District Council",
    District.SWA: "Swale Borough Council",
    District.THA: "Thanet District Council",
    District.TON: "Tonbridge and Malling Borough Council",
    District.TUN: "Tunbridge Wells Borough Council",
}
ORBIT = "Orbit Housing"
HOUSING_PROVIDERS: dict[str, District | None] = {
    ORBIT: None,
    "Clarion Housing": None,
    "Moat Homes": None,
    "Golding Homes": District.MAI,
    "Town and Country Housing": District.TUN,
    "Southern Housing": None,
    "Hyde Housing": None,
    "Sanctuary Housing": None,
}
# The providers with most homes in each district (synthetic, roughly right), first the
# one a district's cases go to most.
DISTRICT_HOUSING: dict[District, list[str]] = {
    District.ASH: ["Clarion Housing", "Sanctuary Housing"],
    District.CAN: [ORBIT, "Southern Housing"],
    District.DAR: ["Clarion Housing", "Moat Homes"],
    District.DOV: [ORBIT, "Clarion Housing"],
    District.FOL: ["Southern Housing", "Sanctuary Housing"],
    District.GRA: ["Moat Homes", "Clarion Housing"],
    District.MAI: ["Golding Homes", "Moat Homes"],
    District.MED: ["Moat Homes", "Hyde Housing", "Clarion Housing"],
    District.SEV: ["Moat Homes", "Clarion Housing"],
    District.SWA: ["Southern Housing", ORBIT],
    District.THA: [ORBIT, "Southern Housing"],
    District.TON: ["Clarion Housing", "Moat Homes"],
    District.TUN: ["Town and Country Housing", "Clarion Housing"],
}
FIRE_SERVICE = "Kent Fire and Rescue Service"
YOUTH_SERVICE = "Kent Youth Justice Service"

PARTNER_TEXT: dict[str, list[str]] = {
    "council": [
        "Environmental health visited; noise diary issued to the complainant.",
        "Case discussed at the monthly ASB partnership meeting.",
        "CCTV request made for the area; footage retained for 30 days.",
        "Community warden patrols increased on the street for four weeks.",
        "Fly-tipping cleared; enforcement officer checking the waste for evidence.",
        "Statutory nuisance abatement notice being considered; monitoring equipment booked.",
    ],
    "housing": [
        "Tenancy file checked; warning letter sent to the tenant.",
        "Housing officer visited; tenant reminded of the tenancy conditions on nuisance.",
        "Acceptable Behaviour Contract offered to the tenant; meeting arranged.",
        "Victim offered a management move; considering it.",
        "Notice of seeking possession being prepared if the nuisance continues.",
    ],
    "fire": [
        "Home fire safety visit done; smoke alarms fitted.",
        "Deliberate fires in the bin store reported; arson reduction officer informed.",
    ],
    "youth_offending": [
        "Young person known to the service; worker will discuss the behaviour at the "
        "next appointment.",
        "Referral accepted for a prevention programme.",
    ],
}
POLICE_TEXT = [
    "Visited the victim; reassurance given and crime prevention advice left.",
    "Perpetrator spoken to; words of advice given and recorded.",
    "Patrols tasked for the evenings over the next two weeks.",
    "Intelligence report submitted about visitors to the address.",
    "Victim's vulnerability assessed; referral to victim support made.",
    "Checked for linked reports in the area; none found this month.",
]
CORRECTIONS = [
    "Correction to the earlier note: the visit was on the following day, not as recorded.",
    "Correction: the warning letter went to the tenant at the neighbouring address; "
    "re-sent to the right tenant.",
    "Correction: wrong date of the partnership meeting given earlier; it is next month.",
]

DEMO_KEY = "demo"
"""Set in StoreMeta by the demo builder: the sign-in screen then lists the demo's users."""

# The demo's users and their PINs (synthetic; printed by ``asbtui demo``):
# (username, role, PIN, district or None, agency or None).
DEMO_USERS: list[tuple[str, str, str, District | None, str | None]] = [
    ("admin", "admin", "802468", None, None),
    ("sup.thanet", "supervisor", "314159", District.THA, None),
    ("pc.thanet", "officer", "271828", District.THA, None),
    ("pc.medway", "officer", "161803", District.MED, None),
    ("tdc.partner", "partner", "141421", None, COUNCILS[District.THA]),
    ("orbit.partner", "partner", "173205", None, ORBIT),
]

# (category, incident types, summary templates): {place} is the address or street.
PROBLEMS: list[tuple[Category, list[IncidentType], list[str]]] = [
    (
        Category.NUISANCE,
        [IncidentType.NOISE],
        [
            "Loud music and parties late at night at {place}",
            "Persistent shouting and banging from {place} into the early hours",
        ],
    ),
    (
        Category.NUISANCE,
        [IncidentType.DRUG_ACTIVITY, IncidentType.GATHERINGS],
        [
            "Suspected drug dealing from {place}; frequent short visits day and night",
            "Cannabis smoke and callers at all hours at {place}",
        ],
    ),
    (
        Category.NUISANCE,
        [IncidentType.GATHERINGS, IncidentType.DRUNKEN_BEHAVIOUR],
        [
            "Groups gathering and drinking outside shops on {street}",
            "Youths congregating in the park off {street}, drinking and shouting",
        ],
    ),
    (
        Category.NUISANCE,
        [IncidentType.VEHICLE_NUISANCE],
        [
            "Off-road bikes ridden dangerously around {street}",
            "Cars racing and revving engines in the car park by {street} at night",
        ],
    ),
    (
        Category.PERSONAL,
        [IncidentType.HARASSMENT, IncidentType.VERBAL_ABUSE],
        [
            "Neighbour at {place} shouting abuse and threats at the victim",
            "Victim harassed on the doorstep and online by a former neighbour, {street}",
        ],
    ),
    (
        Category.PERSONAL,
        [IncidentType.INTIMIDATION, IncidentType.CRIMINAL_DAMAGE],
        [
            "Group intimidating an elderly resident and damaging her car on {street}",
            "Eggs thrown at windows and door of {place}; residents afraid to go out",
        ],
    ),
    (
        Category.PERSONAL,
        [IncidentType.NEIGHBOUR_DISPUTE, IncidentType.VERBAL_ABUSE],
        ["Long-running boundary dispute at {place} now with threats of violence"],
    ),
    (
        Category.ENVIRONMENTAL,
        [IncidentType.FLY_TIPPING],
        [
            "Repeated fly-tipping of household waste in the alley behind {street}",
            "Builders' rubble dumped on the verge of {street}",
        ],
    ),
    (
        Category.ENVIRONMENTAL,
        [IncidentType.GRAFFITI, IncidentType.CRIMINAL_DAMAGE],
        [
            "Graffiti tags on the bus shelter and underpass at {street}",
            "Offensive graffiti sprayed on garages off {street}",
        ],
    ),
    (
        Category.ENVIRONMENTAL,
        [IncidentType.LITTER],
        ["Litter and drug paraphernalia left in the play area on {street}"],
    ),
]

INCIDENT_TEXT: dict[IncidentType, list[str]] = {
    IncidentType.NOISE: [
        "Music audible from the street until 3am",
        "Shouting and doors slamming after midnight",
    ],
    IncidentType.DRUG_ACTIVITY: [
        "Several callers in ten minutes, brief exchanges at the door",
        "Smell of cannabis; needles found in the front garden",
    ],
    IncidentType.GATHERINGS: [
        "Around fifteen people gathered outside, blocking the pavement",
        "Large group arrived in cars, music from vehicles",
    ],
    IncidentType.HARASSMENT: [
        "Victim followed to the bus stop and shouted at",
        "Messages left on the victim's car windscreen",
    ],
    IncidentType.INTIMIDATION: [
        "Group stood at the victim's gate staring and laughing",
        "Victim blocked from leaving her front path",
    ],
    IncidentType.VERBAL_ABUSE: [
        "Threats shouted across the street at the victim",
        "Abuse shouted at the victim's children",
    ],
    IncidentType.VEHICLE_NUISANCE: [
        "Two off-road bikes on the footpath, near miss with a pedestrian",
        "Cars doing doughnuts in the car park",
    ],
    IncidentType.CRIMINAL_DAMAGE: [
        "Wing mirror snapped off the victim's car",
        "Fence panels kicked in overnight",
    ],
    IncidentType.GRAFFITI: [
        "New tags sprayed on the shelter overnight",
        "Graffiti on the school wall",
    ],
    IncidentType.FLY_TIPPING: [
        "Mattress and bin bags dumped in the alley",
        "Van seen unloading rubble at dusk",
    ],
    IncidentType.LITTER: [
        "Broken glass and cans across the play area",
        "Nitrous oxide canisters by the benches",
    ],
    IncidentType.DRUNKEN_BEHAVIOUR: [
        "Drunk group shouting at passers-by",
        "Man urinating in a doorway and swearing at staff",
    ],
    IncidentType.NEIGHBOUR_DISPUTE: [
        "Argument over the fence escalated to threats",
        "Neighbour filmed the victim over the fence",
    ],
    IncidentType.OTHER: ["Further report from a resident"],
}

STREET_SUFFIXES = [
    "Road",
    "Road",
    "Street",
    "Street",
    "Lane",
    "Close",
    "Avenue",
    "Gardens",
    "Crescent",
    "Way",
    "Drive",
    "Place",
    "Grove",
    "Terrace",
    "Hill",
    "Rise",
    "Walk",
]
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
INVICTA_ROAD = "Invicta Road, Margate"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    where: str
    """District code(s), or the partner's agency."""
    pin: str


@dataclass(frozen=True)
class DemoSummary:
    cases: int
    incidents: int
    parties: int
    officers: list[tuple[str, str, District]]
    invicta_ref: str
    device_officer: str
    users: list[DemoUser] = field(default_factory=list)
    agencies: int = 0
    shares: int = 0
    notes: int = 0
    old_closed: int = 0
    """Cases closed more than 6 years before, for the personal data review."""
    problems: int = 0


class _Names:
    """Pools of faker names and streets, drawn once: faker per row is far too slow."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        self.rng = rng
        self.first = [fake.first_name() for _ in range(400)]
        self.last = [fake.last_name() for _ in range(600)]
        # faker's en_GB street suffixes include American ones ("Highway", "Unions"):
        # make streets from British surnames and place words with British suffixes.
        stems = {fake.last_name() for _ in range(700)} | {fake.city_prefix() for _ in range(5)}
        self.streets = [f"{stem} {rng.choice(STREET_SUFFIXES)}" for stem in sorted(stems)]
        self.phones = [fake.phone_number() for _ in range(300)]

    def person(self) -> str:
        return f"{self.rng.choice(self.first)} {self.rng.choice(self.last)}"

    def street(self) -> str:
        return self.rng.choice(self.streets)

    def phone(self) -> str:
        return self.rng.choice(self.phones)


def _postcode(rng: random.Random, outward: str) -> str:
    return (
        f"{outward} {rng.randint(1, 9)}{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
    )


class _Writer:
    """Collects rows per table and writes them in batches of plain tuples
    (:func:`demo_copies.insert_rows`), each keyed by :class:`demo_copies.OrderedIds`."""

    BATCH = 20_000

    def __init__(self, connection: sa.Connection, stamp: Callable[[], str], origin: str,
                 ids: demo_copies.OrderedIds) -> None:
        self.connection = connection
        self.stamp = stamp
        self.origin = origin
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}
        self.case_places: dict[str, dict[str, Any]] = {}
        """Each case's ref, district, location and its keys, which its incidents carry too."""
        self.new_id = ids

    def add(self, table: sa.Table, **values: Any) -> str:
        if "id" not in values:
            values["id"] = self.new_id()
        name = table.name
        if name == "case":
            values.update(street_key=places.street_key(values["location"]),
                          address_key=places.address_key(values["location"]),
                          postcode_key=places.postcode_key(values["postcode"]))
            self.case_places[values["id"]] = dict(
                district=values["district"], case_ref=values["ref"],
                case_location=values["location"], street_key=values["street_key"],
                address_key=values["address_key"], postcode_key=values["postcode_key"])
        elif name == "incident":
            values.update(self.case_places[values["case_id"]])
        elif name == "party":
            values["person_key"] = places.person_key(values["name"], values["date_of_birth"])
            values["phone_key"] = places.phone_key(values.get("phone", ""))
        values["updated_at"] = self.stamp()
        values["origin"] = self.origin
        values["deleted"] = False
        rows = self.pending.get(name)
        if rows is None:
            rows = self.pending[name] = []
        rows.append(values)
        self.counts[name] = self.counts.get(name, 0) + 1
        if len(rows) >= self.BATCH:
            self.flush()
        return values["id"]

    def flush(self) -> None:
        # Parents first, so foreign keys hold at every statement.
        for name in ("officer", "agency", "case", "incident", "party", "caseshare",
                     "partnernote", "noteaudience", "enforcementaction"):
            rows = self.pending.pop(name, None)
            if rows:
                self._insert(SQL_TABLES[name], rows)

    def _insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        demo_copies.insert_rows(self.connection, table, rows)


BULK_TABLES = ("case", "incident", "party", "caseshare", "partnernote", "noteaudience",
               "firstcontact", "victimupdateplan", "victimcontact", "casetask")


@contextlib.contextmanager
def _outbox_set_aside(store: Store) -> Iterator[None]:
    """The sync outbox's triggers dropped while the demo is loaded, and made again as they
    were at the end. They would test ``sync_state`` for every row inserted; a store being
    built is never enrolled (:func:`build_demo` refuses one that is), so they would record
    nothing."""
    with store.engine.begin() as connection:
        # The kept patterns' triggers too (services/pattern_snapshot.py): with none kept yet
        # they would only find that there is nothing to mark; any kept are forgotten.
        pattern_snapshot.mark_stale(connection)
        triggers = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND (name LIKE 'sync\\_%' ESCAPE '\\' OR name LIKE 'pattern\\_%' ESCAPE '\\')"
        ).all()
        for name, _sql in triggers:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        with store.engine.begin() as connection:
            for _name, sql in triggers:
                connection.exec_driver_sql(sql)


SQL_TABLES: dict[str, sa.Table] = {
    model.__table__.name: model.__table__  # type: ignore[attr-defined]
    for model in (Officer, Agency, Case, Incident, Party, CaseShare, PartnerNote, NoteAudience,
                  EnforcementAction, FirstContact, VictimUpdatePlan, VictimContact, CaseTask)
}


@permits()  # only an empty store: the check is that it holds no cases (and so no users)
def build_demo(
    store: Store,
    cases: int = 2000,
    seed: int = 1,
    as_of: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Fill an empty store with ``cases`` synthetic cases dated up to ``as_of``."""
    if cases < 1:
        raise ValueError("cases must be at least 1")
    now = (as_of or utc_now()).astimezone(UTC)
    with store.engine.connect() as connection:
        enrolled = connection.exec_driver_sql(
            "SELECT 1 FROM sync_state WHERE key = 'key' OR (key = 'recording' AND value = '1')"
        ).first()
    if enrolled:
        from asbtui.errors import StoreError

        # Its outbox would send the synthetic force to the central store.
        raise StoreError(f"The store {store.path} is enrolled for sync: build the demo in a "
                         "new file.")
    with bulk_writes(store, durable=False), _outbox_set_aside(store):
        return _build(store, cases, seed, now, progress)


def _build(store: Store, cases: int, seed: int, now: datetime,
           progress: Callable[[int], None] | None) -> DemoSummary:
    today = london_today(now)
    rng = random.Random(seed)
    names = _Names(rng, seed)
    # Partners, notes, shares and old cases draw from their own generator, so that they
    # leave the cases, people and incidents of each seed as they were before them.
    partner_rng = random.Random(f"partners-{seed}")
    used_refs: set[str] = set()

    def ref(district: District, day: date) -> str:
        while True:
            candidate = make_ref(district, day, rng)
            if candidate not in used_refs:
                used_refs.add(candidate)
                return candidate

    with store.engine.begin() as connection:
        existing = connection.execute(
            sa.select(sa.func.count()).select_from(Case.__table__)
        ).scalar()
        if existing:
            from asbtui.errors import StoreError

            raise StoreError(
                f"The store {store.path} already holds cases; use a new file for a demo."
            )
        deferred = drop_secondary_indexes(connection, BULK_TABLES)
        ids = demo_copies.OrderedIds()
        writer = _Writer(connection, store.stamp, store.device_id, ids)
        officer_table = Officer.__table__  # type: ignore[attr-defined]
        officers: dict[District, list[tuple[str, str, str]]] = {}
        collar = 4100
        for district in District:
            for _ in range(rng.randint(5, 8)):
                collar += rng.randint(1, 37)
                name = names.person()
                rank = "PCSO" if rng.random() < 0.35 else "PC"
                collar_no = f"{rank} {collar}"
                officer_id = writer.add(
                    officer_table, collar=collar_no, name=name, district=district
                )
                officers.setdefault(district, []).append((officer_id, collar_no, name))

        partners = _Partners(writer, partner_rng, names, officers, now)
        partners.add_agencies()
        invicta = _invicta_road(writer, rng, names, officers[District.THA][0][0], now, ref,
                                partners)
        districts = list(WEIGHTS)
        weights = [WEIGHTS[d] for d in districts]
        # A handful of cases closed more than 6 years ago, for the personal data review.
        old_wanted, old_made = min(8, max(1, cases // 150)), 0
        drawn = min(cases, demo_copies.TEMPLATES) - 1
        templates: list[tuple[str, str]] = []
        for index in range(drawn):
            district = rng.choices(districts, weights)[0]
            shift = None
            if old_made < old_wanted and partner_rng.random() < 0.15:
                shift = timedelta(days=partner_rng.randint(6 * 365 + 120, 9 * 365))
            made = _random_case(writer, rng, names, district, officers[district], now, today,
                                ref, shift)
            old_made += made.shifted
            if not made.shifted:
                templates.append((made.case_id, writer.case_places[made.case_id]["case_ref"]))
            partners.on_case(made)
            if progress and index % 1000 == 0:
                progress(index)
        writer.flush()
        device = officers[District.THA][0]
        day_rows: dict[str, int] | None = None
        if cases - 1 > drawn:
            # The templates' day first, copied with them (demo_day.build_on).
            day_rows = demo_day.build_on(connection, store, now, invicta, device[0], seed, ids)
        copied = demo_copies.copy_cases(connection, SQL_TABLES, templates, cases - 1 - drawn,
                                        used_refs, store.stamp(), ids)
        for name, count in copied.items():
            writer.counts[name] = writer.counts.get(name, 0) + count
        # Each index is built once from sorted keys, not grown row by row under random keys.
        for sql in deferred:
            connection.exec_driver_sql(sql)
        search.rebuild_index(connection)
        connection.execute(
            sa.insert(StoreMeta.__table__).prefix_with("OR REPLACE"),  # type: ignore[attr-defined]
            [{"key": "officer", "value": device[0]}, {"key": DEMO_KEY, "value": "synthetic data"}],
        )
    _enforcement(store, rng, now, invicta, connection_counts=writer.counts)
    problem_count = _problems(store, now, invicta, officers[District.THA][0][1])
    if day_rows is None:  # the officer's day
        day_rows = demo_day.build(store, now, invicta, device[0], seed, ids)
    else:
        for name in ("firstcontact", "victimupdateplan", "victimcontact", "casetask"):
            day_rows[name] = day_rows.get(name, 0) + copied.get(name, 0)
    # Users last: until the first exists the store is worked by its holder, which is how
    # everything above was written.
    demo_users = _users(store, officers, partners.ids, partner_rng, names)
    return DemoSummary(
        cases=writer.counts.get("case", 0),
        incidents=writer.counts.get("incident", 0),
        parties=writer.counts.get("party", 0),
        officers=[(c, n, d) for d, rows in officers.items() for _, c, n in rows],
        invicta_ref=invicta,
        device_officer=device[1],
        users=demo_users,
        agencies=writer.counts.get("agency", 0),
        shares=writer.counts.get("caseshare", 0),
        notes=writer.counts.get("partnernote", 0) + day_rows.get("partnernote", 0),
        old_closed=old_made,
        problems=problem_count,
    )


def _problems(store: Store, now: datetime, invicta: str, lead: str) -> int:
    """Two Thanet problem profiles (SARA): Invicta Road at Respond, and the street with
    the most repeat reports at Scan, each grouping its cases."""
    today = london_today(now)
    invicta_problem = problems.open_problem(
        store, "Invicta Road, Margate: drug dealing and gatherings", District.THA, lead,
        [invicta], "Invicta Road", opened_on=today - timedelta(days=120), today=today)
    problems.record_analysis(
        store, invicta_problem,
        victim="Older and disabled neighbours on both sides; two afraid to go out at night",
        offender="Tenant of no. 14 and visitors from outside the area",
        location="Terraced house with a rear alley; no lighting in the alley")
    done = problems.add_response(store, invicta_problem, "Closure notice and order",
                                 lead, "", today - timedelta(days=40),
                                 today=today - timedelta(days=50))
    problems.complete_response(store, done, today - timedelta(days=38), today=today)
    problems.add_response(store, invicta_problem, "Alley lighting and gating", "",
                          "Thanet District Council", today + timedelta(days=30), today=today)
    # Computed, not kept: the demo's rows go in with the kept patterns' triggers set aside.
    streets = [p for p in patterns.repeats(store, district=District.THA, now=now, kept=False)
               if p.kind is patterns.PatternKind.STREET and invicta not in p.case_refs]
    if not streets:
        return 1
    busiest = max(streets, key=lambda p: (len(p.case_refs) > 1, p.reports, p.key))
    problems.open_problem(store, f"{busiest.label}: repeat reports", District.THA, lead,
                          busiest.case_refs, busiest.key, today=today)
    return 2


def _users(store: Store, officers: dict[District, list[tuple[str, str, str]]],
           agency_ids: dict[str, str], rng: random.Random, names: _Names) -> list[DemoUser]:
    """One user of each role (and a second officer and partner), with known PINs.

    Their PINs are hashed with light argon2id parameters so that the demo builds in
    seconds; the first sign-in rehashes each with the full ones (users.sign_in does).
    """
    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    linked = {"pc.thanet": officers[District.THA][0], "pc.medway": officers[District.MED][0]}
    made: list[DemoUser] = []
    with store.session() as session:
        for username, role, pin, district, agency in DEMO_USERS:
            officer = linked.get(username)
            full_name = officer[2] if officer else (
                f"{rng.choice(names.first)} {rng.choice(names.last)}")
            user = User(username=username, full_name=full_name, role=Role(role),
                        districts=district.value if district else "",
                        agency_id=agency_ids[agency] if agency else None,
                        officer_id=officer[0] if officer else None, pin_hash=light.hash(pin))
            session.add(user)
            session.flush()
            audit.record(session, store, LOCAL, audit.AuditAction.CREATE, "user", user.id,
                         detail=f"username {username}; role {role}; districts "
                         f"{user.districts or '-'}")
            made.append(DemoUser(username, role, district.value if district else agency or "",
                                 pin))
    return made


@dataclass(frozen=True)
class _Made:
    """What :func:`_random_case` drew, for the partner notes and shares made after it."""

    case_id: str
    district: District
    category: Category
    opened: datetime
    end: datetime
    shifted: bool
    note_agency: str | None = None
    note_author: str = ""
    note_at: datetime | None = None
    note_text: str = ""


class _Partners:
    """Partner agencies, cases shared with them, and notes from police and partners."""

    def __init__(self, writer: _Writer, rng: random.Random, names: _Names,
                 officers: dict[District, list[tuple[str, str, str]]], now: datetime) -> None:
        self.writer, self.rng, self.names = writer, rng, names
        self.officers, self.now = officers, now
        self.ids: dict[str, str] = {}
        self.kinds: dict[str, AgencyKind] = {}

    def person(self) -> str:
        return f"{self.rng.choice(self.names.first)} {self.rng.choice(self.names.last)}"

    def add_agencies(self) -> None:
        table = Agency.__table__  # type: ignore[attr-defined]
        rows: list[tuple[str, AgencyKind, District | None, str]] = [
            (name, AgencyKind.COUNCIL, district, district.value)
            for district, name in COUNCILS.items()
        ]
        rows += [(name, AgencyKind.HOUSING, district,
                  name.split()[0][:3].upper())
                 for name, district in HOUSING_PROVIDERS.items()]
        rows += [(FIRE_SERVICE, AgencyKind.FIRE, None, "KFRS"),
                 (YOUTH_SERVICE, AgencyKind.YOUTH_OFFENDING, None, "KYJS")]
        for name, kind, district, code in rows:
            contact = self.person()
            domain = "".join(c for c in name.lower() if c.isalpha())[:24] + ".example.org.uk"
            self.ids[name] = self.writer.add(
                table, name=name, kind=kind, district=district,
                contact_name=contact,
                contact_email=f"{contact.split()[0].lower()}.{contact.split()[-1].lower()}"
                f"@{domain}",
                contact_phone=self.rng.choice(self.names.phones),
                isa_ref=f"KCC-ISA-{2022 + self.rng.randint(0, 3)}-{code}",
                active=True)
            self.kinds[name] = kind

    def share(self, case_id: str, agency: str, at: datetime, district: District) -> None:
        self.writer.add(
            CaseShare.__table__,  # type: ignore[attr-defined]
            case_id=case_id, agency_id=self.ids[agency], shared_at=at,
            shared_by="pc.thanet" if district is District.THA else f"csu.{district.value.lower()}",
            justification=self.rng.choice(JUSTIFICATIONS[:4]), revoked_at=None)

    def note(self, case_id: str, agency: str | None, author: str, at: datetime, text: str,
             visibility: NoteVisibility, audience: tuple[str, ...] = (),
             supersedes: str | None = None) -> str:
        note_id = self.writer.add(
            PartnerNote.__table__,  # type: ignore[attr-defined]
            case_id=case_id, agency=agency or "Kent Police",
            agency_id=self.ids[agency] if agency else None, author=author, written_at=at,
            text=text, visibility=visibility, supersedes_id=supersedes)
        for name in audience:
            self.writer.add(NoteAudience.__table__,  # type: ignore[attr-defined]
                            note_id=note_id, agency_id=self.ids[name])
        return note_id

    def _between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.uniform(0.05, 0.95)

    def on_case(self, made: _Made) -> None:
        rng = self.rng
        council, housing = COUNCILS[made.district], DISTRICT_HOUSING[made.district][0]
        shared: list[str] = []
        first = made.opened + (made.end - made.opened) * 0.1
        lead = made.note_agency
        if lead is None and rng.random() < 0.15:
            lead = council if made.category.value == "environmental" or rng.random() < 0.5 \
                else housing
        if lead is not None:
            shared.append(lead)
            if rng.random() < 0.3:
                shared.append(housing if lead == council else council)
            if rng.random() < 0.04:
                shared.append(rng.choice([FIRE_SERVICE, YOUTH_SERVICE]))
            for name in shared:
                self.share(made.case_id, name, first, made.district)
        if made.note_agency is not None and made.note_at is not None:
            self._partner_note(made, made.note_agency, made.note_author, made.note_at,
                               made.note_text, shared)
        elif lead is not None:
            self._partner_note(made, lead, self.person(), self._between(first, made.end),
                               rng.choice(PARTNER_TEXT[self.kinds[lead].value]), shared)
        for extra in shared[1:]:
            if rng.random() < 0.6:
                self._partner_note(made, extra, self.person(), self._between(first, made.end),
                                   rng.choice(PARTNER_TEXT[self.kinds[extra].value]), shared)
        if rng.random() < 0.25:
            officer = rng.choice(self.officers[made.district])[2]
            visibility, audience = NoteVisibility.POLICE, ()
            if shared:
                visibility = rng.choice([NoteVisibility.POLICE, NoteVisibility.ALL_PARTNERS,
                                         NoteVisibility.NAMED])
                if visibility is NoteVisibility.NAMED:
                    audience = (rng.choice(shared),)
            at = self._between(first if shared else made.opened, made.end)
            note = self.note(made.case_id, None, officer, at, rng.choice(POLICE_TEXT),
                             visibility, audience)
            if rng.random() < 0.08:
                self.note(made.case_id, None, officer, at + (made.end - at) * 0.5,
                          rng.choice(CORRECTIONS), visibility, audience, supersedes=note)

    def _partner_note(self, made: _Made, agency: str, author: str, at: datetime, text: str,
                      shared: list[str]) -> None:
        rng = self.rng
        others = tuple(a for a in shared if a != agency)
        roll = rng.random()
        if roll < 0.5:
            visibility, audience = NoteVisibility.ALL_PARTNERS, ()
        elif roll < 0.75 or not others:
            visibility, audience = NoteVisibility.POLICE, ()
        else:
            visibility, audience = NoteVisibility.NAMED, (rng.choice(others),)
        note = self.note(made.case_id, agency, author, at, text, visibility, audience)
        if rng.random() < 0.1:
            self.note(made.case_id, agency, author, at + (made.end - at) * 0.5,
                      rng.choice(CORRECTIONS), visibility, audience, supersedes=note)


def _random_case(
    writer: _Writer,
    rng: random.Random,
    names: _Names,
    district: District,
    officers: list[tuple[str, str, str]],
    now: datetime,
    today: date,
    ref: Callable[[District, date], str],
    shift: timedelta | None = None,
) -> _Made:
    """One random case. ``shift`` moves a closed case that much into the past."""
    town, outwards = rng.choice(TOWNS[district])
    street = names.street()
    number = rng.randint(1, 180)
    postcode = _postcode(rng, rng.choice(outwards))
    category, kinds, templates = rng.choice(PROBLEMS)
    address = f"{number} {street}, {town}"
    targeted = "{place}" in templates[0] or category is Category.PERSONAL
    summary = rng.choice(templates).format(place=address, street=f"{street}, {town}")
    location = address if targeted else f"{street}, {town}"
    # Opened at some moment in the last two years, more of them recent.
    age = timedelta(minutes=int((rng.random() ** 1.6) * 730 * 24 * 60))
    opened = now - age
    age_days = age.days
    closed_chance = min(0.85, age_days / 500)
    status = (
        CaseStatus.CLOSED
        if rng.random() < closed_chance
        else rng.choices(OPEN_STATUSES, [40, 25, 12, 23])[0]
    )
    risk = rng.choices(list(RiskLevel), [60, 28, 12])[0]
    owner = None if rng.random() < 0.14 else rng.choice(officers)[0]
    vulnerable = rng.random() < 0.15
    next_review = None
    closure_reason = closed_at = None
    if status is CaseStatus.CLOSED:
        closed_at = opened + (now - opened) * rng.uniform(0.2, 0.95)
        closure_reason = rng.choice(list(ClosureReason))
    else:
        interval = REVIEW_INTERVAL_DAYS[RiskLevel.HIGH if vulnerable else risk]
        # Most reviews are in hand; some are a few days overdue; none precede the opening.
        next_review = today + timedelta(days=rng.randint(-interval // 4, interval))
        next_review = max(next_review, opened.date() + timedelta(days=interval))
    back = shift if shift is not None and status is CaseStatus.CLOSED else timedelta(0)
    has_victim = category is not Category.ENVIRONMENTAL or rng.random() < 0.5
    case_id = writer.add(
        Case.__table__,  # type: ignore[attr-defined]
        ref=ref(district, (opened - back).date()),
        district=district,
        category=category,
        channel=rng.choices(list(Channel), [45, 3, 25, 12, 15])[0],
        status=status,
        risk=risk,
        hate_motivated=category is Category.PERSONAL and rng.random() < 0.08,
        summary=summary,
        location=location,
        postcode=postcode,
        owner_id=owner,
        opened_at=opened - back,
        next_review=next_review,
        vulnerable_victim=vulnerable and has_victim,
        closed_at=closed_at - back if closed_at else None,
        closure_reason=closure_reason,
    )
    end = closed_at or now
    span = (end - opened).total_seconds()
    for _ in range(rng.choices([1, 2, 3, 4, 5, 6, 8], [25, 25, 18, 12, 8, 7, 5])[0]):
        kind = rng.choice(kinds)
        occurred = opened + timedelta(seconds=rng.random() * span)
        # Most reports come within a day or two; some weeks later (too late to count
        # towards an ASB Case Review, which needs a report within a month).
        delay = timedelta(hours=rng.choice([1, 2, 6, 20, 48, 24 * 10, 24 * 40]))
        writer.add(
            Incident.__table__,  # type: ignore[attr-defined]
            case_id=case_id,
            occurred_at=occurred - back,
            reported_at=min(occurred + delay, now) - back,
            channel=rng.choices(list(Channel), [50, 3, 22, 13, 12])[0],
            incident_type=kind,
            description=rng.choice(INCIDENT_TEXT[kind]),
            crime_ref=f"46/{rng.randint(10000, 99999)}/{opened.year % 100:02d}"
            if kind is IncidentType.CRIMINAL_DAMAGE and rng.random() < 0.6
            else "",
            location=location,
        )
    party_table = Party.__table__  # type: ignore[attr-defined]
    if has_victim:
        victim_address = address if targeted else f"{rng.randint(1, 180)} {street}, {town}"
        writer.add(
            party_table,
            case_id=case_id,
            role=PartyRole.VICTIM,
            name=names.person(),
            date_of_birth=today - timedelta(days=rng.randint(18 * 365, 88 * 365)),
            address=victim_address,
            phone=names.phone(),
            vulnerable=vulnerable,
            notes="Lives alone; anxious about reprisals" if vulnerable else "",
        )
    if rng.random() < 0.35:
        writer.add(
            party_table,
            case_id=case_id,
            role=PartyRole.REPORTER,
            name=names.person(),
            date_of_birth=None,
            address=f"{rng.randint(1, 180)} {street}, {town}",
            phone=names.phone(),
            vulnerable=False,
            notes="",
        )
    if rng.random() < 0.6:
        young = rng.random() < 0.25
        writer.add(
            party_table,
            case_id=case_id,
            role=PartyRole.PERPETRATOR,
            name=names.person(),
            date_of_birth=today
            - timedelta(
                days=rng.randint(14 * 365, 17 * 365) if young else rng.randint(18 * 365, 60 * 365)
            ),
            address=address if targeted else "",
            phone="",
            vulnerable=False,
            notes="",
        )
    if rng.random() < 0.3:
        writer.add(
            party_table,
            case_id=case_id,
            role=PartyRole.WITNESS,
            name=names.person(),
            date_of_birth=None,
            address=f"{rng.randint(1, 180)} {street}, {town}",
            phone=names.phone(),
            vulnerable=False,
            notes="",
        )
    made = _Made(case_id, district, category, opened - back, end - back, bool(back))
    if rng.random() < 0.2:
        # The same draws as when this note had no agency record, so each seed's cases stay.
        housing = DISTRICT_HOUSING[district]
        provider = housing[rng.choice(range(4)) % len(housing)]
        agency = rng.choice([COUNCILS[district], provider])
        return replace(
            made, note_agency=agency, note_author=names.person(),
            note_at=opened + timedelta(seconds=rng.random() * span) - back,
            note_text=rng.choice(
                [
                    "Tenancy file checked; warning letter sent to the tenant.",
                    "Environmental health visited; noise diary issued to the complainant.",
                    "Case discussed at the monthly ASB partnership meeting.",
                    "CCTV request made for the area; footage retained for 30 days.",
                ]
            ),
        )
    return made


def _invicta_road(
    writer: _Writer,
    rng: random.Random,
    names: _Names,
    owner_id: str,
    now: datetime,
    ref: Callable[[District, date], str],
    partners: _Partners,
) -> str:
    """The seed example of domain.md: a Margate house closed by court order, worked with
    Thanet District Council and the housing provider (the case is shared with both)."""
    opened = now - timedelta(days=150)
    address = f"14 {INVICTA_ROAD}"
    case_ref = ref(District.THA, opened.date())
    case_id = writer.add(
        Case.__table__,  # type: ignore[attr-defined]
        ref=case_ref,
        district=District.THA,
        category=Category.NUISANCE,
        channel=Channel.CALL_101,
        status=CaseStatus.ACTION_IN_PROGRESS,
        risk=RiskLevel.HIGH,
        hate_motivated=False,
        summary="Drug dealing, large gatherings and excessive noise at 14 Invicta Road, "
        "Margate; repeated reports from neighbours; premises closed by court order",
        location=address,
        postcode="CT9 2QB",
        latitude=51.38890,
        longitude=1.38260,
        owner_id=owner_id,
        opened_at=opened,
        next_review=london_today(now) + timedelta(days=7),
        vulnerable_victim=True,
        closed_at=None,
        closure_reason=None,
    )
    story = [
        (
            0,
            Channel.CALL_101,
            IncidentType.DRUG_ACTIVITY,
            "Neighbour reports constant callers and suspected dealing",
        ),
        (
            6,
            Channel.ONLINE,
            IncidentType.NOISE,
            "Music and shouting until 4am, third night running",
        ),
        (
            15,
            Channel.CALL_101,
            IncidentType.GATHERINGS,
            "Twenty people in the front garden, cars blocking the road",
        ),
        (
            22,
            Channel.PATROL,
            IncidentType.DRUG_ACTIVITY,
            "Patrol saw two exchanges at the door; one man searched",
        ),
        (37, Channel.CALL_101, IncidentType.NOISE, "Loud party, bottles thrown into the road"),
        (
            51,
            Channel.PARTNER,
            IncidentType.DRUG_ACTIVITY,
            "Housing officer found drug paraphernalia in the communal area",
        ),
        (
            64,
            Channel.ONLINE,
            IncidentType.GATHERINGS,
            "Neighbour afraid to leave home; groups on the doorstep nightly",
        ),
        (
            79,
            Channel.CALL_999,
            IncidentType.INTIMIDATION,
            "Neighbour threatened after complaining about noise",
        ),
        (
            92,
            Channel.CALL_101,
            IncidentType.DRUG_ACTIVITY,
            "Callers every few minutes through the night",
        ),
        (
            104,
            Channel.PATROL,
            IncidentType.DRUG_ACTIVITY,
            "Warrant executed; class A drugs and cash seized",
        ),
    ]
    for day, channel, kind, text in story:
        occurred = opened + timedelta(days=day, hours=rng.randint(0, 20))
        writer.add(
            Incident.__table__,
            case_id=case_id,  # type: ignore[attr-defined]
            occurred_at=occurred,
            reported_at=occurred + timedelta(hours=2),
            channel=channel,
            incident_type=kind,
            description=text,
            crime_ref=f"46/{rng.randint(10000, 99999)}/{opened.year % 100:02d}"
            if kind in (IncidentType.INTIMIDATION,) or day == 104
            else "",
            location=address,
        )
    party = Party.__table__  # type: ignore[attr-defined]
    writer.add(
        party,
        case_id=case_id,
        role=PartyRole.VICTIM,
        name=names.person(),
        date_of_birth=date(1941, 3, 9),
        address=f"12 {INVICTA_ROAD}",
        phone=names.phone(),
        vulnerable=True,
        notes="Elderly neighbour; frightened to leave home",
    )
    writer.add(
        party,
        case_id=case_id,
        role=PartyRole.VICTIM,
        name=names.person(),
        date_of_birth=date(1986, 7, 22),
        address=f"16 {INVICTA_ROAD}",
        phone=names.phone(),
        vulnerable=False,
        notes="Young children in the household",
    )
    writer.add(
        party,
        case_id=case_id,
        role=PartyRole.PERPETRATOR,
        name=names.person(),
        date_of_birth=date(1994, 11, 2),
        address=address,
        phone="",
        vulnerable=False,
        notes="Tenant of the premises",
    )
    writer.add(
        party,
        case_id=case_id,
        role=PartyRole.REPORTER,
        name=names.person(),
        date_of_birth=None,
        address=f"18 {INVICTA_ROAD}",
        phone=names.phone(),
        vulnerable=False,
        notes="",
    )
    council = COUNCILS[District.THA]
    for agency in (council, ORBIT):
        partners.share(case_id, agency, opened + timedelta(days=20), District.THA)
    partners.note(
        case_id, council, names.person(), opened + timedelta(days=30),
        "Environmental health noise monitoring installed at no. 12; statutory "
        "nuisance confirmed on three nights.", NoteVisibility.ALL_PARTNERS)
    partners.note(
        case_id, ORBIT, names.person(), opened + timedelta(days=55),
        "Tenancy enforcement started; the tenant has been served notice of "
        "seeking possession. Supports a closure.", NoteVisibility.ALL_PARTNERS)
    return case_ref


# Thanet's PSPOs (in the style of Thanet District Council's orders; wording synthetic).
THANET_PSPOS = [
    (
        "Margate town centre and seafront",
        "Margate Main Sands, the Harbour Arm, Marine Terrace and the High Street, as mapped",
        "Drinking alcohol when asked to stop; urinating or "
        "defecating in public; aggressive begging",
        700,
        3,
    ),
    (
        "Dog control: Thanet beaches",
        "All Thanet beaches between 1 May and 30 September",
        "Dogs on beaches from 10:00 to 18:00; failing to pick up after a dog",
        1000,
        3,
    ),
    (
        "Ramsgate Royal Harbour",
        "Royal Harbour, Harbour Parade and the Military Road arches",
        "Gathering in groups of three or more causing alarm; riding motorcycles or e-scooters on "
        "the harbour walls",
        1040,
        3,
    ),
]


def _enforcement(
    store: Store, rng: random.Random, now: datetime, invicta: str, connection_counts: dict[str, int]
) -> None:
    """Actions go through the enforcement service, so the demo obeys the same rules."""
    _invicta_closure(store, invicta, now)
    for title, area, prohibitions, age_days, years in THANET_PSPOS:
        made = (now - timedelta(days=age_days)).date()
        enforcement.add_pspo(
            store,
            District.THA,
            "Thanet District Council",
            title,
            area,
            prohibitions,
            made,
            made + relativedelta(years=years, days=-1),
            reference=f"TDC-PSPO-{made.year}-{rng.randint(1, 99):02d}",
        )
    _community_protection(store, rng, now)


def _invicta_closure(store: Store, ref: str, now: datetime) -> None:
    served = (
        (now - timedelta(days=40))
        .astimezone(LONDON)
        .replace(hour=14, minute=10, second=0, microsecond=0)
    )
    detail = case_detail(store, ref)
    tenant = next(p for p in detail.parties if p.role is PartyRole.PERPETRATOR)
    action = enforcement.start_action(
        store,
        ref,
        NewAction(power=Power.CLOSURE, concerns=f"14 {INVICTA_ROAD}", subject_party_id=tenant.id),
        StepInput(
            occurred_at=served,
            authority=Authority.INSPECTOR,
            authorised_by="Inspector (Thanet CSU)",
            ends_at=served + timedelta(hours=24),
            documents="CN-THA-0142",
            notes="Served on the premises and fixed to the door",
        ),
        now=now,
    )
    enforcement.record_step(
        store,
        action,
        "notice_extended",
        StepInput(
            occurred_at=served + timedelta(hours=20),
            authority=Authority.SUPERINTENDENT,
            authorised_by="Superintendent (East Kent)",
            ends_at=served + timedelta(hours=48),
            documents="CN-THA-0142-X",
        ),
        now=now,
    )
    granted = served + timedelta(hours=45)
    enforcement.record_step(
        store,
        action,
        "order_granted",
        StepInput(
            occurred_at=granted,
            authority=Authority.COURT,
            authorised_by="Margate Magistrates' Court",
            ends_at=periods.add_months(granted, 3),
            documents="CO-MAR-2026-311",
            notes="Granted for 3 months; premises secured",
        ),
        now=now,
    )


# Warnings go through the enforcement service one by one (a few dozen milliseconds each):
# enough to show the powers at work, few enough that a million-case demo builds in time.
# Demos of up to some 10,000 cases give fewer than this, so they are as they were.
MAX_WARNINGS = 120


def _perpetrators(store: Store, chunk: int = 2000) -> Iterator[tuple[str, str]]:
    """(case ref, party id) of each perpetrator on an open, non-environmental case under
    investigation or in action, in ref order (then party rowid), read a few thousand refs
    at a time: the warnings want the first thousand or so, not all of a million cases."""
    after = ""
    while True:
        with store.engine.connect() as connection:
            upto = connection.exec_driver_sql(
                'SELECT max(ref) FROM (SELECT ref FROM "case" WHERE ref > ? ORDER BY ref '
                "LIMIT ?)", (after, chunk)).scalar()
            if upto is None:
                return
            # CROSS JOIN: the cases down the ref index, each one's parties by case_id (in
            # rowid order there), so nothing is sorted.
            rows = connection.exec_driver_sql(
                'SELECT c.ref, p.id FROM "case" c CROSS JOIN party p ON p.case_id = c.id '
                "WHERE c.ref > ? AND c.ref <= ? "
                "AND c.status IN ('under_investigation', 'action_in_progress') "
                "AND p.role = 'perpetrator' AND c.category != 'environmental' "
                "ORDER BY c.ref, p.rowid", (after, upto)).all()
        yield from ((ref, party_id) for ref, party_id in rows)
        after = upto


def _community_protection(store: Store, rng: random.Random, now: datetime) -> None:
    """CPWs on a few open cases with a perpetrator; some ignored and followed by a CPN."""
    rows = _perpetrators(store)
    given_count = 0
    for ref, party_id in rows:
        if given_count >= MAX_WARNINGS:
            break
        if rng.random() > 0.12:
            continue
        given_count += 1
        given = now - timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 8))
        conduct = rng.choice(
            [
                "Playing amplified music audible outside the property",
                "Allowing visitors to gather and shout outside the property",
                "Riding a motorcycle on footpaths and the recreation ground",
            ]
        )
        comply_by = periods.end_of_day(to_london(given).date() + timedelta(days=14))
        cpw = enforcement.start_action(
            store,
            ref,
            NewAction(power=Power.CPW, subject_party_id=party_id, conduct=conduct),
            StepInput(
                occurred_at=given,
                authority=Authority.CONSTABLE,
                ends_at=comply_by,
                documents=f"CPW-{rng.randint(1000, 9999)}",
            ),
            now=now,
        )
        if comply_by >= now:
            continue
        found = comply_by + min(timedelta(days=1), (now - comply_by) / 2)
        outcome = rng.random()
        if outcome < 0.4:
            enforcement.record_step(store, cpw, "complied", StepInput(occurred_at=found), now=now)
        elif outcome < 0.85:  # the rest are left for the officer to follow up: overdue
            enforcement.record_step(
                store, cpw, "not_complied", StepInput(occurred_at=found), now=now
            )
            issued = found + timedelta(hours=3)
            if issued >= now:
                continue
            with contextlib.suppress(InvalidInput):  # e.g. under 16: the law says no CPN
                enforcement.start_action(
                    store,
                    ref,
                    NewAction(power=Power.CPN, subject_party_id=party_id, conduct=conduct),
                    StepInput(
                        occurred_at=issued,
                        authority=Authority.CONSTABLE,
                        ends_at=issued + timedelta(days=28),
                        documents=f"CPN-{rng.randint(1000, 9999)}",
                    ),
                    now=now,
                )


@permits()  # before anyone signs in: the sign-in screen of a demo store offers its users
def demo_sign_ins(store: Store) -> list[tuple[str, str, str]]:
    """(user, PIN, role) of the demo's users, for a store the demo builder made (and
    marked); empty for any other store."""
    with store.engine.connect() as connection:
        marked = connection.execute(
            sa.select(StoreMeta.__table__.c.value).where(  # type: ignore[attr-defined]
                StoreMeta.__table__.c.key == DEMO_KEY)  # type: ignore[attr-defined]
        ).scalar()
    if marked is None:
        return []
    return [(username, pin, role) for username, role, pin, _district, _agency in DEMO_USERS]
