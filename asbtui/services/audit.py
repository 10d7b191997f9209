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
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from asbtui.dates import utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import AuditEvent, Case, District, Role, StoreMeta, User
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


_PHONE = re.compile(r"(?<!\d)(?:\+44[\s-]?|0)(?:\d[\s-]?){9,10}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-z'-]+")
_CAPITALISED_PAIR = re.compile(r"\b([A-Z][a-z'-]+)\s+([A-Z][a-z'-]+)\b")


def _first_names() -> frozenset[str]:
    # faker (a dependency for the demo) carries common UK first names: enough to spot
    # "John Smith" in a reason without flagging "Kent County Council".
    from faker.providers.person.en_GB import Provider

    return frozenset(Provider.first_names_male) | frozenset(Provider.first_names_female)


def personal_data_in(text: str) -> str | None:
    """What in a reason looks like personal data (a phone, email, postcode or name)."""
    for pattern, what in ((_PHONE, "a phone number"), (_EMAIL, "an email address"),
                          (_POSTCODE, "a postcode"), (_TITLED, "a name")):
        if pattern.search(text):
            return what
    names = _first_names()
    if any(first in names for first, _ in _CAPITALISED_PAIR.findall(text)):
        return "a name"
    return None


def justification(text: str | None) -> str:
    """A user's reason for a view or disclosure, checked: it must say something, and not
    hold personal data (the audit keeps reasons for ever; an erasure cannot reach them)."""
    value = " ".join((text or "").split())
    if not value:
        raise InvalidInput("Give a reason: choose one, or type your own.", "justification")
    if len(value) > JUSTIFICATION_MAX:
        raise InvalidInput(f"The reason is too long (at most {JUSTIFICATION_MAX} characters).",
                           "justification")
    found = personal_data_in(value)
    if found:
        raise InvalidInput(f"The reason seems to hold {found}: say why, not who. The audit "
                           "keeps reasons for ever, out of reach of an erasure.",
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
    head_seq, _, head_hash = (head or "").partition(":")
    after = max(last.seq if last else 0, int(head_seq) if head_seq.isdigit() else 0)
    # Chain onto the recorded head, not onto whatever row is last: a row forged at the end
    # (without rewriting the head) is then left dangling, and verify() finds the break,
    # instead of this event vouching for it.
    prev_hash = head_hash if head_seq.isdigit() and len(head_hash) == 64 else (
        last.hash if last else GENESIS)
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
        "prev_hash": prev_hash,
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
        return self.broken_seq is None and not self.problem

    @property
    def headline(self) -> str:
        """The finding in a few words: where the chain broke, or what guard is gone."""
        if self.broken_seq is not None:
            return f"the audit log is broken at row {self.broken_seq}"
        return "the audit log is no longer protected" if self.problem else "intact"

    @property
    def anchor(self) -> str:
        """The head as ``SEQ:HASH``: keep it elsewhere, check it with ``verify --expect``."""
        return f"{self.head_seq}:{self.head_hash}"


# The triggers that make the log append-only (migration 0005); verify() checks they exist.
GUARD_TRIGGERS = {"audit_event_no_update": "UPDATE", "audit_event_no_delete": "DELETE"}


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` as printed by ``audit head``, checked."""
    seq, _, digest = text.strip().partition(":")
    digest = digest.lower()
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef"
                                                     for c in digest):
        raise InvalidInput("An anchor is SEQ:HASH, as printed by 'asbtui audit head' "
                           "(a row number, a colon and 64 hexadecimal digits).", "expect")
    return int(seq), digest


@permits()  # the number of the newest row says nothing about anyone
def last_seq(store: Store) -> int:
    """The newest row's number, read before a command signs in (and so adds a row)."""
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.max(AuditEvent.__table__.c.seq))).scalar() \
            or 0


def _missing_guards(connection: sa.Connection) -> list[str]:
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name = 'audit_event'").all()
    found = {name: (sql or "").upper() for name, sql in rows}
    return [name for name, verb in GUARD_TRIGGERS.items()
            if verb not in found.get(name, "") or "RAISE(ABORT" not in
            found.get(name, "").replace(" ", "")]


@permits(Permission.READ_AUDIT)
def verify(store: Store, *, upto: int | None = None,
           expect: tuple[int, str] | None = None) -> ChainReport:
    """Walk the whole chain; the report names the first broken link, if any.

    The report's head is row ``upto`` when given (the newest row before this command
    signed in), else the newest row. ``expect`` (SEQ, HASH), a head kept elsewhere, must
    still be in the chain: that catches a log cut short or rewritten in full, which no
    check inside the file can.
    """
    table = AuditEvent.__table__
    expected_seq, prev, count = 1, GENESIS, 0
    at_upto: tuple[int, str] | None = None
    anchor_found = expect is None
    with store.engine.connect() as connection:
        missing = _missing_guards(connection)
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
                missing_rows = f"{expected_seq}" if row["seq"] == expected_seq + 1 else (
                    f"{expected_seq} to {row['seq'] - 1}")
                return _broken(count - 1, prev, expected_seq,
                               f"row {missing_rows} is missing: the log goes from "
                               f"{expected_seq - 1} to {row['seq']}")
            if row["prev_hash"] != prev:
                return _broken(count - 1, prev, expected_seq,
                               f"row {expected_seq} does not follow row {expected_seq - 1}: "
                               "a row before it was changed, removed or inserted")
            if _row_hash(row) != row["hash"]:
                return _broken(count - 1, prev, expected_seq,
                               f"row {expected_seq} was changed after it was written")
            if expect is not None and row["seq"] == expect[0]:
                if row["hash"] != expect[1]:
                    return _broken(count - 1, prev, expected_seq,
                                   f"row {expected_seq} is not the row of the anchor kept "
                                   "elsewhere: the log was rewritten from there on")
                anchor_found = True
            if upto is not None and row["seq"] == upto:
                at_upto = (row["seq"], row["hash"])
            prev, expected_seq = row["hash"], expected_seq + 1
    last_seq_ = expected_seq - 1
    head_seq, _, head_hash = head_text.partition(":")
    if head_text and (head_seq != str(last_seq_) or head_hash != prev):
        return _broken(count, prev, last_seq_ + 1,
                       f"the log ends at row {last_seq_}, but its recorded head is row "
                       f"{head_seq}: the newest rows were removed, replaced or added "
                       "outside asbtui")
    if counter > last_seq_:
        return _broken(count, prev, last_seq_ + 1,
                       f"the log ends at row {last_seq_}, but {counter} rows were written: "
                       "the newest rows were removed")
    if not anchor_found:
        assert expect is not None
        return _broken(count, prev, last_seq_ + 1,
                       f"the log ends at row {last_seq_}, before the anchor's row "
                       f"{expect[0]}: the log was cut short or rewritten")
    if missing:
        return ChainReport(count, last_seq_, prev, problem=(
            f"the trigger{'s' if len(missing) > 1 else ''} {', '.join(missing)} that keep "
            "the log append-only "
            f"{'are' if len(missing) > 1 else 'is'} missing or altered: someone with the "
            "file changed its schema"))
    if at_upto is not None:
        return ChainReport(count, at_upto[0], at_upto[1])
    return ChainReport(count, last_seq_, prev)


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
    if not wanted:
        # An empty reference would match every store-wide event (sign-ins, users).
        raise InvalidInput("Give a case reference, e.g. THA-26-7K3QX.", "ref")
    table = AuditEvent.__table__
    with store.engine.connect() as connection:
        district = connection.execute(
            sa.select(Case.district).where(Case.ref == wanted)).scalar()
        if district is None and (actor.role is Role.SUPERVISOR or not connection.execute(
                sa.select(table.c.seq).where(table.c.case_ref == wanted).limit(1)).first()):
            raise NotFound(f"There is no case {ref.strip()}.")
        if district is not None and actor.role is Role.SUPERVISOR:
            require_district(actor, District(district), "read the audit")
        rows = connection.execute(
            sa.select(table).where(table.c.case_ref == wanted)
            .order_by(table.c.seq.desc()).limit(limit)).all()
    return _entries(rows)


@permits(Permission.READ_AUDIT)
def recent(store: Store, *, limit: int = 200, actor_name: str | None = None) -> list[AuditEntry]:
    """The newest events of the store: all of them for admins; for a supervisor, those of
    their districts' cases and those (with no case) of users who work in their districts."""
    actor = current(store)
    table = AuditEvent.__table__
    query = sa.select(table).order_by(table.c.seq.desc()).limit(limit)
    if actor_name:
        query = query.where(table.c.actor == actor_name.strip().lower())
    if actor.role is Role.SUPERVISOR:
        codes = sorted(d.value for d in actor.districts)
        their_cases = sa.select(Case.ref).where(Case.district.in_(codes))
        padded = "," + User.__table__.c.districts + ","
        their_users = sa.select(User.__table__.c.username).where(
            sa.or_(*[padded.like(f"%,{code},%") for code in codes]) if codes else sa.false())
        query = query.where(sa.or_(
            table.c.case_ref.in_(their_cases),
            sa.and_(table.c.case_ref == "", table.c.actor.in_(their_users))))
    with store.engine.connect() as connection:
        return _entries(connection.execute(query).all())
