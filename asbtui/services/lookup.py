"""Go to a case by its reference, or the first characters of it, whatever its district.

A reference read out over the radio (``THA-26-JYZXE``, ``tha 26 jyzxe``, ``THA26JY``, or
just its last five characters ``JYZXE``) is looked up on the unique index of references:
a prefix is a range of that index, the last five characters a few exact probes (each
district and recent year), never a scan. Officers and supervisors find cases of every
district (they read them all); partners only those shared with their agency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa

from asbtui.dates import london_today
from asbtui.models import Case, CaseStatus, Category, District
from asbtui.services.access import Permission, current, permits, readable_case_ids
from asbtui.services.refs import ALPHABET

if TYPE_CHECKING:
    from asbtui.db import Store

_TAIL = re.compile(f"^[{ALPHABET}]{{5}}$")
TAIL_YEARS = 12
"""How many years back a reference's last five characters alone are looked for."""


@dataclass(frozen=True)
class RefMatch:
    ref: str
    district: District
    status: CaseStatus
    category: Category

    def describe(self) -> str:
        return (f"{self.ref}  {self.district.label} · {self.category.label} · "
                f"{self.status.label}")


def _tail(text: str) -> str:
    return text.replace("O", "0").replace("I", "1").replace("L", "1")


def ref_prefix(text: str) -> str:
    """What was typed, in the stored form of a reference as far as it goes:
    ``tha26jy`` -> ``THA-26-JY``; ``THA-26-`` stays as it is."""
    letters = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    parts = [letters[:3], letters[3:5], _tail(letters[5:10])]
    prefix = "-".join(p for p in parts if p)
    # A trailing dash typed after a whole part narrows the range as the user meant it.
    if (text or "").rstrip().endswith("-") and len(letters) in (3, 5):
        prefix += "-"
    return prefix


def _district_codes() -> set[str]:
    return {d.value for d in District}


@permits(Permission.READ_CASES)
def find_refs(store: Store, text: str, *, limit: int = 20,
              today: date | None = None) -> list[RefMatch]:
    """Cases whose reference starts with ``text`` (or ends with it, for five characters
    typed without a district), in reference order; at most ``limit``."""
    actor = current(store)
    prefix = ref_prefix(text)
    if len(prefix) < 3:
        return []
    table = Case.__table__
    # '+deleted': the unary plus keeps the planner from taking an index that starts with
    # ``deleted`` (the queue's) and sorting a million cases; the reference's own index
    # reads the range in order (3 s -> milliseconds at 1,000,000 cases).
    query = sa.select(table.c.ref, table.c.district, table.c.status, table.c.category).where(
        sa.text('+"case".deleted = 0'))
    letters = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    if prefix[:3] in _district_codes():
        # '~' sorts after every character of a reference: the range is the prefix's.
        query = query.where(table.c.ref >= prefix, table.c.ref < prefix + "~")
    elif len(letters) == 5 and _TAIL.match(_tail(letters)):
        year = (today or london_today()).year % 100
        candidates = [f"{d.value}-{(year - back) % 100:02d}-{_tail(letters)}"
                      for d in District for back in range(TAIL_YEARS)]
        query = query.where(table.c.ref.in_(candidates))
    else:
        return []
    shared = readable_case_ids(actor)
    if shared is not None:
        query = query.where(table.c.id.in_(shared))
    with store.engine.connect() as connection:
        rows = connection.execute(query.order_by(table.c.ref).limit(limit)).all()
    return [RefMatch(r.ref, District(r.district), CaseStatus(r.status), Category(r.category))
            for r in rows]
