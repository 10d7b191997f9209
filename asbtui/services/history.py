"""A case's history of corrections: each field put right, and each record removed.

Rows are appended (:func:`record_change`) in the same transaction as the change they
record, and never updated. People's dates of birth, addresses, phones and notes are
personal data: the history shows their old and new values only for a reason (audited
as a view, as :func:`asbtui.services.cases.person_details` does), and otherwise says
which field changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from asbtui.dates import format_date, format_datetime, utc_now
from asbtui.models import IncidentType, PartyRole
from asbtui.services import audit
from asbtui.services.access import Permission, current, ensure_readable, permits

# The corrections, incidents and people tables are imported where used (asbtui.casework_models):
# the app's first frame imports this module (with services.cases) and uses none of them.
if TYPE_CHECKING:
    from asbtui.db import Store
    from asbtui.models import Correction
    from asbtui.services.access import Actor

REMOVED = "removed"
PERSONAL_FIELDS = frozenset({"date of birth", "address", "phone", "notes"})
"""People's fields whose values the history holds back unless a reason is given."""


def shown(value: object) -> str:
    """A value as users read it: dates DD/MM/YYYY, enums by label, flags yes or no."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, Enum):
        return str(getattr(value, "label", value.value))
    return str(value)


def record_change(session: Session, actor: Actor, case_id: str, record_type: str,
                  record_id: str, field_name: str, old: object, new: object, *,
                  reason: str = "", at: datetime | None = None) -> bool:
    """Append one field's change to the case's history; False when nothing changed."""
    from asbtui.models import Correction

    before, after = shown(old), shown(new)
    if before == after and field_name != REMOVED:
        return False
    session.add(Correction(case_id=case_id, record_type=record_type, record_id=record_id,
                           field_name=field_name, old_value=before, new_value=after,
                           reason=reason, corrected_by=actor.username,
                           corrected_at=at or utc_now()))
    return True


@dataclass(frozen=True)
class HistoryEntry:
    """One correction or removal, as the case screen and ``case timeline`` show it."""

    at: datetime
    by: str
    record_type: str
    record_id: str
    record: str
    """What was corrected, in words: "the case", "victim Ann Example", "incident of 12/11/2026"."""
    field: str
    old: str
    new: str
    reason: str
    hidden: bool = False
    """True when the values are people's details held back (a reason shows them)."""

    @property
    def removal(self) -> bool:
        return self.field == REMOVED

    def describe(self) -> str:
        """One line: what changed, from what, to what."""
        if self.removal:
            what = f": {self.old}" if self.record_type == "incident" and self.old else ""
            return f"Removed {self.record}{what}"
        if self.hidden:
            return f"Corrected {self.field} of {self.record} (values hidden: v shows them)"
        return (f"Corrected {self.field} of {self.record}: "
                f"{self.old or '(none)'} → {self.new or '(none)'}")


def _labels(session: Session, rows: list[Correction]) -> dict[str, str]:
    from asbtui.models import Incident, Party

    people = {r.record_id for r in rows if r.record_type == "person"}
    incidents = {r.record_id for r in rows if r.record_type == "incident"}
    labels: dict[str, str] = {}
    if people:
        for p in session.exec(select(Party).where(Party.id.in_(people))).all():
            labels[p.id] = f"{PartyRole(p.role).label.lower()} {p.name}".rstrip()
    if incidents:
        for i in session.exec(select(Incident).where(Incident.id.in_(incidents))).all():
            labels[i.id] = (f"incident ({IncidentType(i.incident_type).label.lower()}) of "
                            f"{format_datetime(i.occurred_at)}")
    return labels


def entries(session: Session, case_id: str, *, details: bool = False) -> list[HistoryEntry]:
    """The history of one case, oldest first (people's details held back unless
    ``details``)."""
    from asbtui.models import Correction

    rows = list(session.exec(select(Correction).where(
        Correction.case_id == case_id, ~Correction.deleted).order_by(Correction.corrected_at)))
    labels = _labels(session, rows)
    out = []
    for r in rows:
        hide = (not details and r.record_type == "person" and r.field_name in PERSONAL_FIELDS)
        label = "the case" if r.record_type == "case" else labels.get(r.record_id, r.record_type)
        out.append(HistoryEntry(r.corrected_at, r.corrected_by, r.record_type, r.record_id,
                                label, r.field_name, "" if hide else r.old_value,
                                "" if hide else r.new_value, r.reason, hide))
    return out


@permits(Permission.READ_CASES)
def case_history(store: Store, ref: str, reason: str | None = None) -> list[HistoryEntry]:
    """What was corrected or removed on a case, oldest first: by whom, when and why.

    The old and new values of people's dates of birth, addresses, phones and notes are
    shown only with a reason (and the permission to see people's details); that view is
    audited.
    """
    from asbtui.services.access import require
    from asbtui.services.cases import load_case

    actor = current(store)
    why = None
    if reason is not None:
        require(store, Permission.VIEW_PEOPLE)
        why = audit.justification(reason)
    with store.session() as session:
        case = load_case(session, ref, actor)
        ensure_readable(session, actor, case.id, ref)
        found = entries(session, case.id, details=why is not None)
        if why is not None:
            audit.record(session, store, actor, audit.AuditAction.VIEW, "case", case.id,
                         case_ref=case.ref, detail="history with people's details",
                         reason=why)
    return found
