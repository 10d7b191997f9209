"""The audit log: who created, changed, viewed, exported or disclosed what, and why.

Data Protection Act 2018 s62 asks law-enforcement processing to log collection,
alteration, consultation (viewing), disclosure, combination and erasure, with who did it
and when, so that lawfulness can be checked. Each event is one ``audit_event`` row,
written in the same transaction as the change it records, so the two commit or fail
together.

The log is append-only and hash-chained: each row's ``hash`` is SHA-256 over its own
fields and the previous row's hash, and ``seq`` counts from 1 with no gaps. Triggers
refuse UPDATE and DELETE; anyone who gets round them (the sqlite3 shell can drop a
trigger) breaks the chain, and :func:`verify` names the first broken link. The chain head
(``seq`` and hash of the last row) is also kept in ``store_meta`` and in SQLite's own
autoincrement counter, so removing the newest rows is found too. A chain rewritten in
full from the tampered row onwards can only be caught against a head recorded
elsewhere: ``asbtui audit verify`` prints the head for that purpose.

The log holds no personal data: people are named by record id, changes by field name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from asbtui.dates import utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import AuditEvent, Case, District, Role, StoreMeta
from asbtui.services.access import Actor, Permission, current, permits, require_district

if TYPE_CHECKING:
    from asbtui.db import Store

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
JUSTIFICATION_MAX = 500

# The reasons a user can choose for viewing personal data or disclosing it to a partner;
# "Other" asks for the reason in words.
JUSTIFICATIONS = (
    "Working this case",
    "Safeguarding a vulnerable person",
    "Preventing or detecting crime",
    "Partnership problem-solving under the information sharing agreement",
    "Supervisor review",
    "Legal request or subject access request",
)


class AuditAction(StrEnum):
    CREATE = "create"
    CHANGE = "change"
    VIEW = "view"
    EXPORT = "export"
    DISCLOSE = "disclose"
    DELETE = "delete"
    SIGN_IN = "sign-in"
    SIGN_IN_FAILED = "sign-in failed"
    LOCK = "lock"
    UNLOCK = "unlock"


def justification(text: str | None) -> str:
    """A user's reason for a view or disclosure, checked: it must say something."""
    value = " ".join((text or "").split())
    if not value:
        raise InvalidInput("Give a reason: choose one, or type your own.", "justification")
    if len(value) > JUSTIFICATION_MAX:
        raise InvalidInput(f"The reason is too long (at most {JUSTIFICATION_MAX} characters).",
                           "justification")
    return value


def _digest(fields: list[object]) -> str:
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_CHAINED = ("seq", "at", "device", "actor", "role", "action", "record_type", "record_id",
            "case_ref", "detail", "justification", "prev_hash")


def _row_hash(row: dict[str, object]) -> str:
    return _digest([row[name] for name in _CHAINED])


def record(session: Session, store: Store, actor: Actor, action: AuditAction,
           record_type: str, record_id: str = "", *, case_ref: str = "", detail: str = "",
           reason: str = "", at: datetime | None = None) -> int:
    """Append one event in ``session``'s transaction; returns its sequence number."""
    connection = session.connection()
    meta = StoreMeta.__table__
    # Take the write lock first (an upsert of the head), so that the last row read below
    # is the newest in the store and no other writer can append in between.
    connection.execute(sa.text(
        "INSERT INTO store_meta(key, value) VALUES (:k, '') "
        "ON CONFLICT(key) DO UPDATE SET value = value"), {"k": HEAD_KEY})
    table = AuditEvent.__table__
    last = connection.execute(
        sa.select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)).first()
    # Number the row after the recorded head too, so that removing the newest rows leaves
    # a gap that verify() finds, rather than being papered over by the next event.
    head = connection.execute(sa.select(meta.c.value).where(meta.c.key == HEAD_KEY)).scalar()
    head_seq = (head or "").partition(":")[0]
    after = max(last.seq if last else 0, int(head_seq) if head_seq.isdigit() else 0)
    row: dict[str, object] = {
        "seq": after + 1,
        "at": (at or utc_now()).isoformat(timespec="microseconds"),
        "device": store.device_id,
        "actor": actor.username,
        "role": actor.role_name,
        "action": action.value,
        "record_type": record_type,
        "record_id": record_id,
        "case_ref": case_ref,
        "detail": detail,
        "justification": reason,
        "prev_hash": last.hash if last else GENESIS,
    }
    row["hash"] = _row_hash(row)
    connection.execute(sa.insert(table).values(**row))
    connection.execute(sa.update(meta).where(meta.c.key == HEAD_KEY)
                       .values(value=f"{row['seq']}:{row['hash']}"))
    return int(row["seq"])  # type: ignore[call-overload]


def changed(fields: dict[str, tuple[object, object]]) -> str:
    """A change's detail: each field's old and new value (only non-personal fields)."""
    return "; ".join(f"{name}: {_plain(old)} -> {_plain(new)}"
                     for name, (old, new) in fields.items() if old != new)


def _plain(value: object) -> str:
    if value is None or value == "":
        return "(none)"
    return str(getattr(value, "value", value))


@dataclass(frozen=True)
class ChainReport:
    rows: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


@permits(Permission.READ_AUDIT)
def verify(store: Store) -> ChainReport:
    """Walk the whole chain; the report names the first broken link, if any."""
    table = AuditEvent.__table__
    expected_seq, prev, count = 1, GENESIS, 0
    with store.engine.connect() as connection:
        head_text = connection.execute(sa.select(StoreMeta.__table__.c.value).where(
            StoreMeta.__table__.c.key == HEAD_KEY)).scalar() or ""
        counter = connection.exec_driver_sql(
            "SELECT seq FROM sqlite_sequence WHERE name = 'audit_event'").scalar() or 0
        result = connection.execution_options(stream_results=True).execute(
            sa.select(*[table.c[name] for name in (*_CHAINED, "hash")]).order_by(table.c.seq))
        for raw in result:
            row = dict(raw._mapping)
            count += 1
            if row["seq"] != expected_seq:
                missing = f"{expected_seq}" if row["seq"] == expected_seq + 1 else (
                    f"{expected_seq} to {row['seq'] - 1}")
                return _broken(count - 1, prev, expected_seq,
                               f"row {missing} is missing: the log goes from "
                               f"{expected_seq - 1} to {row['seq']}")
            if row["prev_hash"] != prev:
                return _broken(count - 1, prev, expected_seq,
                               f"row {expected_seq} does not follow row {expected_seq - 1}: "
                               "a row before it was changed, removed or inserted")
            if _row_hash(row) != row["hash"]:
                return _broken(count - 1, prev, expected_seq,
                               f"row {expected_seq} was changed after it was written")
            prev, expected_seq = row["hash"], expected_seq + 1
    last_seq = expected_seq - 1
    head_seq, _, head_hash = head_text.partition(":")
    if head_text and (head_seq != str(last_seq) or head_hash != prev):
        return _broken(count, prev, last_seq + 1,
                       f"the log ends at row {last_seq}, but its recorded head is row "
                       f"{head_seq}: the newest rows were removed or replaced")
    if counter > last_seq:
        return _broken(count, prev, last_seq + 1,
                       f"the log ends at row {last_seq}, but {counter} rows were written: "
                       "the newest rows were removed")
    return ChainReport(count, last_seq, prev)


def _broken(rows: int, prev: str, seq: int, problem: str) -> ChainReport:
    return ChainReport(rows, seq - 1, prev, broken_seq=seq, problem=problem)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    record_type: str
    record_id: str
    case_ref: str
    detail: str
    justification: str


def _entries(rows: list[sa.Row]) -> list[AuditEntry]:
    return [AuditEntry(r.seq, datetime.fromisoformat(r.at), r.actor, r.role, r.action,
                       r.record_type, r.record_id, r.case_ref, r.detail, r.justification)
            for r in rows]


@permits(Permission.READ_AUDIT)
def case_audit(store: Store, ref: str, *, limit: int = 1000) -> list[AuditEntry]:
    """The audit of one case, newest first (supervisors: their own districts' cases)."""
    actor = current(store)
    wanted = ref.strip().upper()
    table = AuditEvent.__table__
    with store.engine.connect() as connection:
        district = connection.execute(
            sa.select(Case.district).where(Case.ref == wanted)).scalar()
        if district is None and not connection.execute(
                sa.select(table.c.seq).where(table.c.case_ref == wanted).limit(1)).first():
            raise NotFound(f"There is no case {ref.strip()}.")
        if district is not None and actor.role is Role.SUPERVISOR:
            require_district(actor, District(district), "read the audit")
        rows = connection.execute(
            sa.select(table).where(table.c.case_ref == wanted)
            .order_by(table.c.seq.desc()).limit(limit)).all()
    return _entries(rows)


@permits(Permission.READ_AUDIT)
def recent(store: Store, *, limit: int = 200, actor_name: str | None = None) -> list[AuditEntry]:
    """The newest events of the whole store (admins and supervisors)."""
    table = AuditEvent.__table__
    query = sa.select(table).order_by(table.c.seq.desc()).limit(limit)
    if actor_name:
        query = query.where(table.c.actor == actor_name.strip().lower())
    with store.engine.connect() as connection:
        return _entries(connection.execute(query).all())
