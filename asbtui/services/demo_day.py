"""The demo's officer's day: triaged cases (first contacts met, due and breached), victims
with update plans and contact logs, action plan tasks of police and partners.

Written with Core in one transaction after the cases exist, from its own random generator
(so the cases, people and incidents of each seed stay as they were).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from asbtui.dates import LONDON, london_today
from asbtui.models import (
    Agency,
    Case,
    CaseShare,
    CaseStatus,
    CaseTask,
    Conference,
    ConferenceAttendee,
    ConferenceCase,
    FirstContact,
    PartnerNote,
    Party,
    PartyRole,
    RiskLevel,
    VictimContact,
    VictimUpdatePlan,
    new_id,
)
from asbtui.services import triage
from asbtui.services.access import permits
from asbtui.services.demo_copies import insert_rows
from asbtui.services.victims import default_frequency

if TYPE_CHECKING:
    from asbtui.db import Store

SAID = (
    "Explained the warning letter sent to the neighbour",
    "Told them a Community Protection Warning was served",
    "Agreed to fit a doorbell camera through the council scheme",
    "Passed on the housing provider's visit date",
    "Reassured that patrols in the street are increased",
)
VIEWS = ("Relieved, still worried at night", "Feels nothing has changed yet", "Happy with the "
         "progress", "Wants to be told before any court date", "")
POLICE_TASKS = ("Visit the neighbours on both sides", "Check CCTV from the corner shop",
                "Speak to the school's safeguarding lead", "Draft the warning letter",
                "Review the diary sheets with the victim")
PARTNER_TASKS = ("Noise monitoring kit for two weeks", "Tenancy warning visit",
                 "Clear the alley and fit lighting", "Check the licence conditions")
FACTOR_SETS = ((), ("lasting",), ("health", "frequent"), ("previous", "health"),
               ("vulnerable",), ("threat",), ("hate",), ("frequent", "reprisal", "isolated"))


@permits()  # part of build_demo, on a store being built (which holds no users yet)
def build(store: Store, now: datetime, invicta_ref: str, device_officer_id: str,
          seed: int, ids: Callable[[], str] = new_id) -> dict[str, int]:
    """Add the officer's day to a freshly built demo store; returns rows made per table."""
    with store.engine.begin() as connection:
        return build_on(connection, store, now, invicta_ref, device_officer_id, seed, ids)


def build_on(connection: sa.Connection, store: Store, now: datetime, invicta_ref: str,
             device_officer_id: str, seed: int,
             ids: Callable[[], str] = new_id) -> dict[str, int]:
    """:func:`build` in the caller's transaction. A demo larger than its templates makes
    the day of the templates only, before they are copied: each copy then takes its
    template's day (``demo_copies.copy_cases``), rather than drawing one in Python for each
    of half a million open cases."""
    rng = random.Random(f"day-{seed}")
    today = london_today(now)
    made: dict[str, list[dict[str, Any]]] = {}

    def add(table: str, **values: Any) -> str:
        values.setdefault("id", ids())
        values.update(updated_at=store.stamp(), origin=store.device_id, deleted=False)
        made.setdefault(table, []).append(values)
        return values["id"]

    open_cases = connection.execute(
        sa.select(Case.id, Case.ref, Case.district, Case.risk, Case.opened_at, Case.owner_id)
        .where(Case.status != CaseStatus.CLOSED, ~Case.deleted)
        # The order ix_case_queue gave before there was an ORDER BY (the cases the day
        # draws for stay those of the snapshots), made total by the rowid.
        .order_by(Case.deleted, Case.district, Case.status, Case.risk, Case.next_review,
                  Case.owner_id, Case.opened_at, sa.literal_column('"case".rowid'))).all()
    victims = connection.execute(
        sa.select(Party.id, Party.case_id, Party.vulnerable)
        .join(Case, Case.id == Party.case_id)
        .where(Party.role == PartyRole.VICTIM, ~Party.deleted,
               Case.status != CaseStatus.CLOSED)
        # Likewise ix_party_role_person's order.
        .order_by(Party.role, Party.person_key, Party.case_id, Party.deleted,
                  sa.literal_column("party.rowid"))).all()
    shares = dict(connection.execute(
        sa.select(CaseShare.case_id, CaseShare.agency_id)
        .where(CaseShare.revoked_at.is_(None))
        .order_by(sa.literal_column("caseshare.rowid"))).all())
    agencies = dict(connection.execute(sa.select(Agency.name, Agency.id)).all())
    by_id = {c.id: c for c in open_cases}

    # Victim update plans: due dates spread so that some are overdue today.
    for victim in victims:
        case = by_id[victim.case_id]
        every = default_frequency(RiskLevel(case.risk), victim.vulnerable)
        due = today + timedelta(days=rng.randint(-4, every))
        last = datetime.combine(due - timedelta(days=every), datetime.min.time(),
                                tzinfo=UTC) + timedelta(hours=rng.randint(9, 17))
        opened = _aware(case.opened_at)
        has_contact = last > opened and last < now
        add("victimupdateplan", party_id=victim.id, case_id=case.id,
            district=case.district, frequency_days=every, agreed="",
            next_due=due, last_contact_at=last if has_contact else None)
        if has_contact:
            add("victimcontact", party_id=victim.id, case_id=case.id, contacted_at=last,
                method=rng.choice(("phone", "visit", "phone", "email")),
                by_user="pc.thanet" if case.owner_id == device_officer_id else "demo",
                said=rng.choice(SAID), victim_view=rng.choice(VIEWS))

    # Triage of the cases opened in the last three weeks: most first contacts met in
    # time, some late, some still to make.
    recent = [c for c in open_cases if _aware(c.opened_at) > now - timedelta(days=21)]
    # By id: a row compared with each of the recent ones was quadratic (hours at 1M).
    recent_ids = {c.id for c in recent}
    mine = sorted((c for c in open_cases if c.owner_id == device_officer_id
                   and c.id not in recent_ids), key=lambda c: c.opened_at, reverse=True)[:3]
    for case in recent:
        factors = rng.choice(FACTOR_SETS)
        reported = _aware(case.opened_at)
        due = triage.first_contact_due(reported, triage.priority_for(factors))
        roll = rng.random()
        met_at = None
        if roll < 0.6:
            met_at = reported + (due - reported) * rng.uniform(0.1, 0.9)
        elif roll < 0.75:
            met_at = reported + (due - reported) * rng.uniform(1.05, 1.5)
        _triage(add, rng, case, factors, reported, met_at if met_at and met_at < now
                else None)
    # The device officer's newest cases, each with a new report: one to contact within
    # days, one high-priority target already breached, one met in time.
    for case, (hours_ago, factors, met_after) in zip(mine, (
            (3, ("health", "frequent"), None),
            (40, ("threat",), None),
            (150, ("previous", "health"), timedelta(hours=20))), strict=False):
        reported = now - timedelta(hours=hours_ago)
        _triage(add, rng, case, factors, reported,
                reported + met_after if met_after else None)

    # Tasks: about one open case in eight, for its officer or its partner agency.
    for case in open_cases:
        if case.ref != invicta_ref and rng.random() >= 0.125:
            continue
        _tasks_for(add, rng, case, shares.get(case.id), today)
    invicta = next((c for c in open_cases if c.ref == invicta_ref), None)
    if invicta is not None:
        _invicta_conference(add, invicta, agencies, device_officer_id, now, today)

    # A triaged priority above the case's risk raises it, as at intake.
    raised = [{"key": row["case_id"], "risk": row["priority"]}
              for row in made.get("firstcontact", [])
              if RiskLevel(row["priority"]).rank > RiskLevel(by_id[row["case_id"]].risk).rank]
    if raised:
        connection.execute(sa.update(Case).where(Case.id == sa.bindparam("key"))
                           .values(risk=sa.bindparam("risk")), raised)
    for name, model in (("firstcontact", FirstContact), ("victimupdateplan", VictimUpdatePlan),
                        ("victimcontact", VictimContact), ("conference", Conference),
                        ("conferencecase", ConferenceCase),
                        ("conferenceattendee", ConferenceAttendee), ("casetask", CaseTask),
                        ("partnernote", PartnerNote)):
        rows = made.get(name)
        if rows:
            insert_rows(connection, model.__table__, rows)  # type: ignore[attr-defined]
    return {name: len(rows) for name, rows in made.items()}


def _invicta_conference(add: Any, invicta: Any, agencies: dict[str, str], officer_id: str,
                        now: datetime, today: date) -> None:
    """A Thanet case conference about Invicta Road a week ago: minutes for all partners on
    the case, decisions, and its actions as tasks of the council, the housing provider and
    the officer."""
    held = datetime.combine(today - timedelta(days=7), time(10, 0), tzinfo=LONDON)
    conference = add("conference", district=invicta.district,
                     title="Invicta Road, Margate: multi-agency case conference", held_at=held,
                     place="Margate police station", created_by="pc.thanet",
                     minutes_recorded_at=held + timedelta(hours=3),
                     decisions="Keep the closure order in force; gate and light the alley; "
                               "tenancy review by the housing provider")
    add("conferencecase", conference_id=conference, case_id=invicta.id)
    for agency, name in (("Kent Police", "PC, Thanet CSU"), ("Thanet District Council",
                         "ASB officer"), ("Orbit Housing", "Neighbourhood officer")):
        add("conferenceattendee", conference_id=conference, agency=agency,
            agency_id=agencies.get(agency), name=name)
    add("partnernote", case_id=invicta.id, agency="Kent Police", author="PC, Thanet CSU",
        written_at=held + timedelta(hours=3), visibility="all_partners", agency_id=None,
        supersedes_id=None,
        text="Case conference: Invicta Road, Margate. Closure order working: no gatherings "
             "since it was granted. Decisions: keep the order in force; gate and light the "
             "alley; tenancy review by the housing provider.")
    for owner, what, days in (
            ("Thanet District Council", "Gate and light the rear alley", 5),
            ("Orbit Housing", "Notice seeking possession: tenancy review", -2),
            (None, "Visit the neighbours at 12 and 16 to update them", 1)):
        if owner is not None and owner not in agencies:
            continue
        add("casetask", case_id=invicta.id, district=invicta.district, what=what,
            owner_officer_id=None if owner else officer_id,
            owner_agency_id=agencies[owner] if owner else None,
            due_on=today + timedelta(days=days), done_on=None, outcome="", created_by="demo",
            created_at=held, conference_id=conference)


def _triage(add: Any, rng: random.Random, case: Any, factors: tuple[str, ...],
            reported: datetime, met_at: datetime | None) -> None:
    priority = triage.priority_for(factors)
    add("firstcontact", case_id=case.id, district=case.district, priority=priority,
        factors=",".join(factors), reported_at=reported,
        due_at=triage.first_contact_due(reported, priority), met_at=met_at,
        met_by="demo" if met_at else "", method=rng.choice(triage.METHODS[:2]) if met_at else "")


def _tasks_for(add: Any, rng: random.Random, case: Any, agency_id: str | None,
               today: date) -> None:
    partner = agency_id is not None and rng.random() < 0.5
    if not partner and case.owner_id is None:
        return
    due = today + timedelta(days=rng.randint(-5, 14))
    done = due - timedelta(days=rng.randint(0, 3)) if rng.random() < 0.3 else None
    if done is not None and done > today:
        done = today
    add("casetask", case_id=case.id, district=case.district,
        what=rng.choice(PARTNER_TASKS if partner else POLICE_TASKS),
        owner_officer_id=None if partner else case.owner_id,
        owner_agency_id=agency_id if partner else None, due_on=due, done_on=done,
        outcome="Done as planned" if done else "", created_by="demo", conference_id=None,
        created_at=datetime.combine(today - timedelta(days=20), datetime.min.time(),
                                    tzinfo=UTC))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
