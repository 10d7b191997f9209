"""Find a person across the force: by name, date of birth, address or phone, in every
district and in closed cases, as the role allows, with each case they are on.

Names and addresses are found through the cases' full-text index (its people column
holds each person's name and address: every word typed must begin a word there), phones
through their own index of digits; a date of birth narrows what those find. No table is
scanned. Each search is audited as a consultation of personal data (which fields were
searched, never the values); dates of birth, addresses and phones are shown only for a
reason, as on a case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from asbtui.errors import InvalidInput
from asbtui.models import Case, CaseStatus, District, Party, PartyRole
from asbtui.services import audit, places, search
from asbtui.services.access import Permission, current, permits, readable_case_ids, require

if TYPE_CHECKING:
    from asbtui.db import Store

CANDIDATE_CASES = 300
"""At most this many cases are read for one search (a common name: type more of it)."""
LIMIT = 200
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PersonQuery:
    name: str = ""
    date_of_birth: date | None = None
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PersonHit:
    """One person on one case: who, their role, and the case."""

    party_id: str
    name: str
    role: PartyRole
    vulnerable: bool
    ref: str
    district: District
    status: CaseStatus
    opened_at: datetime
    date_of_birth: date | None = None
    address: str = ""
    phone: str = ""
    details_shown: bool = False


def _words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())


def _begins_words(wanted: list[str], text: str) -> bool:
    have = _words(text)
    return all(any(h.startswith(w) for h in have) for w in wanted)


def check_query(query: PersonQuery) -> None:
    """Refuse a search that would find everyone, or by too few digits of a phone."""
    phone = places.phone_key(query.phone)
    if query.phone.strip() and len(phone) < 6:
        raise InvalidInput("Give at least 6 digits of the phone number.", "phone")
    if not (_words(query.name) or _words(query.address) or phone):
        raise InvalidInput("Give a name, an address or a phone number to search for "
                           "(a date of birth narrows the search).", "name")


@permits(Permission.READ_CASES, Permission.VIEW_PEOPLE)
def find_people(store: Store, query: PersonQuery, reason: str | None = None, *,
                limit: int = LIMIT) -> list[PersonHit]:
    """People matching every part of ``query`` given, on the cases the actor may read."""
    actor = current(store)
    check_query(query)
    names, addresses = _words(query.name), _words(query.address)
    phone = places.phone_key(query.phone)
    why = None
    if reason is not None:
        require(store, Permission.VIEW_PEOPLE)
        why = audit.justification(reason)
    party, case = Party.__table__, Case.__table__
    columns = (party.c.id, party.c.name, party.c.role, party.c.vulnerable,
               party.c.date_of_birth, party.c.address, party.c.phone, party.c.case_id,
               case.c.ref, case.c.district, case.c.status, case.c.opened_at)
    query_sql = sa.select(*columns).join(case, case.c.id == party.c.case_id).where(
        ~party.c.deleted, ~case.c.deleted)
    if phone:
        # As for names, at most CANDIDATE_CASES people are read (a number shared by
        # thousands, as the demo's synthetic ones are at a million cases, stops there).
        candidates = (sa.select(party.c.id).where(party.c.phone_key != "",
                                                  party.c.phone_key == phone)
                      .limit(CANDIDATE_CASES))
        query_sql = query_sql.where(party.c.id.in_(candidates))
    else:
        match = search.match_expression(" ".join(names + addresses))
        candidates = (sa.select(sa.column("case_id")).select_from(sa.table("case_search"))
                      .where(sa.text("case_search MATCH :people_match")
                             .bindparams(people_match=match.replace(
                                 search.SEARCHED_COLUMNS, "people") if match else ""))
                      .limit(CANDIDATE_CASES))
        query_sql = query_sql.where(party.c.case_id.in_(candidates))
    if query.date_of_birth is not None:
        query_sql = query_sql.where(party.c.date_of_birth == query.date_of_birth)
    shared = readable_case_ids(actor)
    if shared is not None:
        query_sql = query_sql.where(case.c.id.in_(shared))
    query_sql = query_sql.order_by(case.c.opened_at.desc())
    if not (names or addresses):
        query_sql = query_sql.limit(limit)  # nothing left to filter here: let SQL stop
    with store.session() as session:
        rows = session.execute(query_sql).all()
        hits = []
        for r in rows:
            if names and not _begins_words(names, r.name):
                continue
            if addresses and not _begins_words(addresses, r.address):
                continue
            if query.date_of_birth is not None and r.date_of_birth != query.date_of_birth:
                continue
            shown = why is not None
            hits.append(PersonHit(
                r.id, r.name, PartyRole(r.role), bool(r.vulnerable), r.ref,
                District(r.district), CaseStatus(r.status), r.opened_at,
                r.date_of_birth if shown else None, r.address if shown else "",
                r.phone if shown else "", shown))
            if len(hits) >= limit:
                break
        searched = ", ".join(f for f, v in (("name", names), ("date of birth",
                             query.date_of_birth), ("address", addresses), ("phone", phone))
                             if v)
        audit.record(session, store, actor, audit.AuditAction.VIEW, "person search", "",
                     detail=f"searched by {searched}: {len(hits)} found"
                     + ("; details shown" if why else ""), reason=why or "")
    return hits
