"""The central store's operations: enrolment, push, pull, conflicts (psycopg 3).

Rows of every synced table are held as JSON documents (``record``), each with the
revision and writer of each field; each change is logged once per scope it belongs to
(``change``), numbered by a per-scope counter. Writers take one transaction-scoped
advisory lock, so versions in a scope commit in the order they are numbered and a
device's cursor (the last version it applied) never skips a change committed late.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from asbtui.disclosure import discloses
from asbtui.server.scopes import (
    FORCE,
    FORCE_TABLES,
    LAST_WRITER_WINS,
    PARTNER_TABLES,
    STAMP_FIELDS,
    agency_scope,
    district_scope,
    owner_scope,
    partner_may_read,
    user_scopes,
)

PROTOCOL = 1


@dataclass
class _Batch:
    """What one push reads once rather than change by change: the rows it changes (read
    and locked together, kept as it writes them), its revisions (taken from the sequence
    together: a sequence never promised no gaps, a failed push leaves them too) and the
    officers' home districts (forgotten when an officer is written)."""

    rows: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]] | None]
    revs: deque[int]
    homes: dict[str, str | None]


_BATCH: ContextVar[_Batch | None] = ContextVar("batch", default=None)


def _next_rev(conn: psycopg.Connection) -> int:
    batch = _BATCH.get()
    if batch is not None and batch.revs:
        return batch.revs.popleft()
    return int(conn.execute("SELECT nextval('rev_seq')").fetchone()[0])
WRITE_LOCK = 0x5A5C  # the advisory lock every writer of the change log takes
STREAM_PIECE = 1 << 20  # bytes per piece of a first-sync stream
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class CentralError(Exception):
    """A request the central store refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


# --- devices ------------------------------------------------------------------------------

def enrol_device(conn: psycopg.Connection, name: str, districts: str = "",
                 owned: bool = True) -> str:
    """Register a device by name; returns the one-time enrolment code."""
    name = " ".join(name.split())
    if not name:
        raise CentralError("Give the device a name, e.g. 'Patrol car 12'.")
    code = "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))
    with conn.transaction():
        if conn.execute("SELECT 1 FROM device WHERE name = %s AND revoked_at IS NULL",
                        (name,)).fetchone():
            raise CentralError(f"A device named {name!r} is already enrolled; "
                               "revoke it first or choose another name.")
        conn.execute(
            "INSERT INTO device (id, name, code_hash, districts, owned, created_at) "
            "VALUES (%s, %s, %s, %s, %s, now())",
            (secrets.token_hex(8), name, _hash(code), districts, owned))
    return code


def revoke_device(conn: psycopg.Connection, name: str) -> int:
    with conn.transaction():
        cur = conn.execute("UPDATE device SET revoked_at = now() WHERE name = %s "
                           "AND revoked_at IS NULL", (name,))
    if not cur.rowcount:
        raise CentralError(f"There is no enrolled device named {name!r}.", 404)
    return cur.rowcount


def claim_enrolment(conn: psycopg.Connection, code: str, store_id: str) -> dict[str, str]:
    """Swap a one-time code for the device key (the code then stops working)."""
    key = secrets.token_urlsafe(32)
    with conn.transaction():
        row = conn.execute(
            "UPDATE device SET key_hash = %s, code_hash = NULL, enrolled_at = now(), "
            "store_id = %s WHERE code_hash = %s AND revoked_at IS NULL RETURNING id, name",
            (_hash(key), store_id, _hash(code.strip().upper()))).fetchone()
    if row is None:
        raise CentralError("That enrolment code is not valid (wrong, already used or revoked).",
                           403)
    return {"device_id": row[0], "name": row[1], "key": key}


@dataclass(frozen=True)
class Caller:
    device_id: str
    device_name: str
    districts: str
    user: dict[str, Any]
    owned: bool = True

    @property
    def username(self) -> str:
        return str(self.user["username"])

    @property
    def scopes(self) -> list[str]:
        return user_scopes(self.user, self.districts, self.owned)


def authenticate(conn: psycopg.Connection, key: str, username: str,
                 pin: str | None = None) -> Caller:
    """The device of ``key`` and its signed-in user, or a refusal in plain words.

    A device signs its users in itself; one with no users yet (its first sync) sends the
    PIN, checked here.
    """
    row = conn.execute("SELECT id, name, districts, revoked_at, owned FROM device "
                       "WHERE key_hash = %s",
                       (_hash(key),)).fetchone()
    if row is None:
        raise CentralError("This device is not enrolled with the central store.", 401)
    if row[3] is not None:
        raise CentralError("This device has been revoked; ask an admin to enrol it again.", 403)
    user = conn.execute(
        "SELECT data FROM record WHERE tbl = 'app_user' AND data->>'username' = %s",
        (username.strip().lower(),)).fetchone()
    if user is None or not user[0].get("active") or user[0].get("deleted"):
        raise CentralError(f"The central store has no active user {username!r}.", 403)
    if pin is not None:
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            PasswordHasher().verify(str(user[0].get("pin_hash") or ""), pin)
        except (VerificationError, InvalidHashError):
            raise CentralError("That user name and PIN do not match.", 403) from None
    return Caller(row[0], row[1], row[2] or "", user[0], bool(row[4]))


# --- scopes of a row ------------------------------------------------------------------------

def _case_of(conn: psycopg.Connection, table: str, data: dict[str, Any]) -> str | None:
    if table == "case":
        return data.get("id")
    if table == "noteaudience":
        row = conn.execute("SELECT case_id FROM record WHERE tbl = 'partnernote' AND key = %s",
                           (data.get("note_id"),)).fetchone()
        return row[0] if row else None
    if table in ("problemcase", "problemresponse"):
        return None  # a problem's rows follow the problem, not one case
    return data.get("case_id")


def _district_of(conn: psycopg.Connection, table: str, data: dict[str, Any],
                 case_id: str | None) -> str | None:
    if table in FORCE_TABLES:
        return None
    if data.get("district"):
        return str(data["district"])
    if table in ("problemcase", "problemresponse"):
        row = conn.execute("SELECT district FROM record WHERE tbl = 'problem' AND key = %s",
                           (data.get("problem_id"),)).fetchone()
        return row[0] if row else None
    if case_id:
        row = conn.execute("SELECT district FROM record WHERE tbl = 'case' AND key = %s",
                           (case_id,)).fetchone()
        return row[0] if row else None
    return None


def _sharing_agencies(conn: psycopg.Connection, case_id: str) -> set[str]:
    rows = conn.execute(
        "SELECT DISTINCT data->>'agency_id' FROM record WHERE tbl = 'caseshare' "
        "AND case_id = %s AND data->'revoked_at' = 'null'::jsonb "
        "AND NOT (data->>'deleted')::int::bool", (case_id,)).fetchall()
    return {r[0] for r in rows if r[0]}


def _share_choices(conn: psycopg.Connection, case_id: str) -> dict[str, str]:
    """Each agency a case is shared with now, and the share's choice of people."""
    rows = conn.execute(
        "SELECT data->>'agency_id', coalesce(data->>'people', '') FROM record "
        "WHERE tbl = 'caseshare' AND case_id = %s AND data->'revoked_at' = 'null'::jsonb "
        "AND NOT (data->>'deleted')::int::bool ORDER BY rev", (case_id,)).fetchall()
    return {r[0]: r[1] for r in rows if r[0]}


def _disclosed_to(data: dict[str, Any], choices: dict[str, str]) -> set[str]:
    """The agencies whose share discloses this person (a removed one: none)."""
    if data.get("deleted"):
        return set()
    return {agency for agency, choice in choices.items()
            if discloses(choice, str(data.get("id")), str(data.get("role") or ""),
                         bool(data.get("withheld")))}


def _scopes(conn: psycopg.Connection, table: str, data: dict[str, Any], district: str | None,
            case_id: str | None) -> list[str]:
    if table in FORCE_TABLES or district is None:
        return [FORCE]
    scopes = [district_scope(district)]
    owner = _owner_elsewhere(conn, table, data, district, case_id)
    if owner:
        scopes.append(owner_scope(owner))
    if case_id and table == "party":
        scopes += [agency_scope(a) for a in sorted(
            _disclosed_to(data, _share_choices(conn, case_id)))]
    if case_id and table in PARTNER_TABLES:
        audience = _audience(conn, data["id"]) if table == "partnernote" else set()
        scopes += [agency_scope(a) for a in sorted(_sharing_agencies(conn, case_id))
                   if partner_may_read(table, data, a, audience)]
    return scopes


def _owner_elsewhere(conn: psycopg.Connection, table: str, data: dict[str, Any],
                     district: str | None, case_id: str | None) -> str | None:
    """The officer owning the row's case, when the case is outside their home district."""
    if not case_id or district is None or table in ("problemcase", "problemresponse"):
        return None
    if table == "case":
        owner = data.get("owner_id")
    else:
        found = conn.execute("SELECT data->>'owner_id' FROM record WHERE tbl = 'case' "
                             "AND key = %s", (case_id,)).fetchone()
        owner = found[0] if found else None
    if not owner:
        return None
    batch = _BATCH.get()
    homes = batch.homes if batch is not None else None
    if homes is not None and owner in homes:
        home = homes[owner]
    else:
        found = conn.execute("SELECT data->>'district' FROM record WHERE tbl = 'officer' "
                             "AND key = %s", (owner,)).fetchone()
        home = found[0] if found else None
        if homes is not None:
            homes[owner] = home
    return str(owner) if home is None or home != district else None


def _audience(conn: psycopg.Connection, note_id: str) -> set[str]:
    """The agencies a 'named agencies' note names."""
    return {r[0] for r in conn.execute(
        "SELECT data->>'agency_id' FROM record WHERE tbl = 'noteaudience' "
        "AND data->>'note_id' = %s AND NOT (data->>'deleted')::int::bool", (note_id,))}


def _log(conn: psycopg.Connection, scopes: Iterable[str], table: str, key: str, op: str,
         data: dict[str, Any] | None, rev: int, device: str, seq: int | None) -> None:
    for scope in scopes:
        # The scope's next version and the change in one round trip.
        conn.execute(
            "WITH v AS (INSERT INTO scope_counter (scope, version) VALUES (%s, 1) "
            "ON CONFLICT (scope) DO UPDATE SET version = scope_counter.version + 1 "
            "RETURNING version) "
            "INSERT INTO change (scope, version, tbl, key, op, data, rev, device, seq) "
            "SELECT %s, v.version, %s, %s, %s, %s, %s, %s, %s FROM v",
            (scope, scope, table, key, op, Jsonb(data) if data is not None else None, rev,
             device, seq))


def _write_row(conn: psycopg.Connection, table: str, key: str, data: dict[str, Any],
               fields: dict[str, Any], rev: int, device: str, seq: int | None,
               held: tuple[dict[str, Any] | None] | None = None) -> None:
    """Store a row's new state and log it to every scope it is in (sharing included).

    ``held``: the row's data as the store holds it now (None: no such row), when the
    caller has read it already."""
    batch = _BATCH.get()
    if batch is not None:
        batch.rows[(table, key)] = (data, fields)
        if table == "officer":
            batch.homes.clear()  # an officer's district may move
    case_id = _case_of(conn, table, data)
    district = _district_of(conn, table, data, case_id)
    before_agencies = _sharing_agencies(conn, case_id) if table == "caseshare" and case_id \
        else set()
    before_choices = _share_choices(conn, case_id) if table == "caseshare" and case_id \
        else {}
    before_disclosed: set[str] = set()
    if table == "party" and case_id:
        held_party = (held if held[0] is not None else None) if held is not None else \
            conn.execute("SELECT data FROM record WHERE tbl = 'party' AND key = %s",
                         (key,)).fetchone()
        if held_party is not None:
            before_disclosed = _disclosed_to(held_party[0], _share_choices(conn, case_id))
    before_owner = None
    if table == "case":
        case = (held if held[0] is not None else None) if held is not None else \
            conn.execute("SELECT data FROM record WHERE tbl = 'case' AND key = %s",
                         (key,)).fetchone()
        if case is not None:
            before_owner = _owner_elsewhere(conn, table, case[0], case[0].get("district"), key)
    conn.execute(
        "INSERT INTO record (tbl, key, data, fields, rev, district, case_id) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (tbl, key) DO UPDATE SET "
        "data = EXCLUDED.data, fields = EXCLUDED.fields, rev = EXCLUDED.rev, "
        "district = EXCLUDED.district, case_id = EXCLUDED.case_id",
        (table, key, Jsonb(data), Jsonb(fields), rev, district, case_id))
    _log(conn, _scopes(conn, table, data, district, case_id), table, key, "upsert", data, rev,
         device, seq)
    if table == "noteaudience" and case_id and data.get("agency_id") in \
            _sharing_agencies(conn, case_id):
        # A note's audience arrives after the note: now the named agency may have it.
        note = conn.execute("SELECT data, rev FROM record WHERE tbl = 'partnernote' "
                            "AND key = %s", (data.get("note_id"),)).fetchone()
        if note is not None and note[0].get("visibility") == "named":
            _log(conn, [agency_scope(str(data["agency_id"]))], "partnernote",
                 str(data["note_id"]), "upsert", note[0], note[1], device, seq)
    if table == "party" and case_id:
        for agency in sorted(before_disclosed
                             - _disclosed_to(data, _share_choices(conn, case_id))):
            # No longer disclosed (withheld now, removed): off the partner's devices.
            _log(conn, [agency_scope(agency)], table, key, "remove", None, rev, device, None)
    if table == "caseshare" and case_id:
        after_choices = _share_choices(conn, case_id)
        for agency in sorted(set(before_choices) & set(after_choices)):
            if before_choices[agency] != after_choices[agency]:
                _redisclose(conn, case_id, agency, before_choices[agency],
                            after_choices[agency], device)
    if table == "case":
        after_owner = _owner_elsewhere(conn, table, data, district, key)
        if after_owner != before_owner:
            if after_owner:
                _send_rows(conn, key, owner_scope(after_owner), device, skip=(table, key))
            if before_owner:
                _log(conn, [owner_scope(before_owner)], "case", key, "evict",
                     _place(data), rev, device, None)
    if table == "caseshare" and case_id:
        after_agencies = _sharing_agencies(conn, case_id)
        for agency in sorted(after_agencies - before_agencies):
            _send_case(conn, case_id, agency, device, skip=(table, key))
        for agency in sorted(before_agencies - after_agencies):
            # Stopping a share takes the case off the partner's devices at their next sync.
            case = conn.execute("SELECT data FROM record WHERE tbl = 'case' AND key = %s",
                                (case_id,)).fetchone()
            _log(conn, [agency_scope(agency)], "case", case_id, "evict",
                 _place(case[0] if case else {}), rev, device, None)


def _place(case: dict[str, Any]) -> dict[str, Any]:
    """What an eviction tells the device of the case: where it is and who owns it, so a
    device that also holds the case by another scope (its district) keeps it."""
    return {"district": case.get("district"), "owner_id": case.get("owner_id")}


def _send_rows(conn: psycopg.Connection, case_id: str, scope: str, device: str,
               skip: tuple[str, str]) -> None:
    """A case newly in an owner's scope: the case first, then everything on it."""
    rows = conn.execute(
        "SELECT tbl, key, data, rev FROM record WHERE case_id = %s "
        "ORDER BY tbl <> 'case', rev", (case_id,)).fetchall()
    for table, key, data, rev in rows:
        if (table, key) != skip and table not in ("problemcase", "problemresponse"):
            _log(conn, [scope], table, key, "upsert", data, rev, device, None)


def _redisclose(conn: psycopg.Connection, case_id: str, agency: str, before: str, after: str,
                device: str) -> None:
    """A share's choice of people changed: send the newly disclosed, remove the others."""
    for key, data, rev in conn.execute(
            "SELECT key, data, rev FROM record WHERE tbl = 'party' AND case_id = %s "
            "ORDER BY rev", (case_id,)).fetchall():
        was = bool(_disclosed_to(data, {agency: before}))
        now_ = bool(_disclosed_to(data, {agency: after}))
        if now_ and not was:
            _log(conn, [agency_scope(agency)], "party", key, "upsert", data, rev, device, None)
        elif was and not now_:
            _log(conn, [agency_scope(agency)], "party", key, "remove", None, rev, device, None)


def _send_case(conn: psycopg.Connection, case_id: str, agency: str, device: str,
               skip: tuple[str, str]) -> None:
    """A case newly shared with ``agency``: all of it its partners may read, case first
    (``skip``: the share itself, logged already)."""
    rows = conn.execute(
        "SELECT tbl, key, data, rev FROM record WHERE case_id = %s "
        "ORDER BY tbl <> 'case', rev", (case_id,)).fetchall()
    choice = {agency: _share_choices(conn, case_id).get(agency, "-")}
    for table, key, data, rev in rows:
        audience = _audience(conn, key) if table == "partnernote" else set()
        if table == "party":
            if _disclosed_to(data, choice):
                _log(conn, [agency_scope(agency)], table, key, "upsert", data, rev, device, None)
            continue
        if (table, key) != skip and table in PARTNER_TABLES \
                and partner_may_read(table, data, agency, audience):
            _log(conn, [agency_scope(agency)], table, key, "upsert", data, rev, device, None)


# --- push -------------------------------------------------------------------------------------

@dataclass
class PushResult:
    last_seq: int
    applied: int
    skipped: int
    conflicts: list[dict[str, Any]]
    refused: list[dict[str, Any]]


def push(conn: psycopg.Connection, caller: Caller, changes: list[dict[str, Any]]) -> PushResult:
    """Apply a batch of one device's outbox in one transaction, skipping seen sequences."""
    batch = _BATCH.set(_Batch({}, deque(), {}))
    try:
        return _push(conn, caller, changes)
    finally:
        _BATCH.reset(batch)


def _push(conn: psycopg.Connection, caller: Caller, changes: list[dict[str, Any]]
          ) -> PushResult:
    applied = skipped = 0
    conflicts: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    # Pipeline mode: the statements whose results are not read (the record, the change
    # log, the applied sequence) go with the next query that is read, not each on its
    # own round trip to PostgreSQL. An error still fails the whole batch's transaction.
    with conn.pipeline(), conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        last_seq = conn.execute("SELECT last_seq FROM device WHERE id = %s FOR UPDATE",
                                (caller.device_id,)).fetchone()[0]
        seen: list[int] = []
        _read_batch(conn, [c for c in changes if int(c["seq"]) > last_seq])
        for change in sorted(changes, key=lambda c: int(c["seq"])):
            seq = int(change["seq"])
            if seq <= last_seq:
                skipped += 1
                seen.append(seq)
                continue
            for found in _apply(conn, caller, change):
                (refused if found.get("refused") else conflicts).append(found)
            conn.execute("INSERT INTO applied (device, seq, tbl, key) VALUES (%s, %s, %s, %s)",
                         (caller.device_id, seq, change["table"], change["key"]))
            last_seq = seq
            applied += 1
        conn.execute("UPDATE device SET last_seq = %s, last_push_at = now() WHERE id = %s",
                     (last_seq, caller.device_id))
        if seen:
            # A push repeated because its answer was lost: its refusals are told again, so
            # the device still removes what the central store never had.
            refused += [{"id": r[0], "table": r[1], "key": r[2], "ref": r[3], "refused": True,
                         "outcome": r[4]} for r in conn.execute(
                "SELECT id, tbl, key, case_ref, outcome FROM refusal WHERE device_id = %s "
                "AND seq = ANY(%s) ORDER BY id", (caller.device_id, seen)).fetchall()]
    return PushResult(last_seq, applied, skipped, conflicts, refused)


def _read_batch(conn: psycopg.Connection, changes: list[dict[str, Any]]) -> None:
    """Lock and read the rows a push changes, and take its revisions, in two queries."""
    batch = _BATCH.get()
    if batch is None or not changes:
        return
    keys = sorted({(str(c["table"]), str(c["key"])) for c in changes})
    batch.rows.update({k: None for k in keys})
    for table, key, data, fields in conn.execute(
            "SELECT r.tbl, r.key, r.data, r.fields FROM record r JOIN unnest(%s::text[], "
            "%s::text[]) AS k (tbl, key) ON r.tbl = k.tbl AND r.key = k.key FOR UPDATE OF r",
            ([t for t, _k in keys], [k for _t, k in keys])).fetchall():
        batch.rows[(table, key)] = (data, fields)
    batch.revs.extend(sorted(r[0] for r in conn.execute(
        "SELECT nextval('rev_seq') FROM generate_series(1, %s)", (len(changes),))))


def _held(conn: psycopg.Connection, table: str, key: str
          ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A row's data and field writers as the central store holds them, locked."""
    batch = _BATCH.get()
    if batch is not None and (table, key) in batch.rows:
        return batch.rows[(table, key)]
    return conn.execute("SELECT data, fields FROM record WHERE tbl = %s AND key = %s "
                        "FOR UPDATE", (table, key)).fetchone()


PARTNER_WRITES = frozenset({"partnernote", "noteaudience"})


def may_write(conn: psycopg.Connection, caller: Caller, table: str,
              data: dict[str, Any]) -> bool:
    """Whether the caller's role and districts (or agency's shares) allow this row's change.

    The device checked it before writing; the server checks again, since the device key
    is all it knows of the device.
    """
    role = caller.user.get("role")
    if role == "admin":
        return True
    if table == "app_user":
        return data.get("id") == caller.user.get("id")  # one's own PIN
    case_id = _case_of(conn, table, data)
    if role == "partner":
        return (table in PARTNER_WRITES and case_id is not None
                and str(caller.user.get("agency_id")) in _sharing_agencies(conn, case_id))
    if table in ("officer", "agency"):
        return False
    district = _district_of(conn, table, data, case_id)
    if district is None and case_id is not None and table != "case":
        return False  # a row of a case the central store does not hold (refused, perhaps)
    own = [d for d in (caller.user.get("districts") or "").split(",") if d]
    return district is None or district in own


def _apply(conn: psycopg.Connection, caller: Caller, change: dict[str, Any]) -> list[dict]:
    table, key, seq = str(change["table"]), str(change["key"]), int(change["seq"])
    incoming: dict[str, Any] = change["fields"]
    base = int(change.get("base") or 0)
    at = str(change.get("at") or now().isoformat())
    row = _held(conn, table, key)
    data, fields = (dict(row[0]), dict(row[1])) if row else ({}, {})
    # Both where the row is and where the change would put it (a case moved out of a
    # district by someone who does not act there is refused as well).
    if not may_write(conn, caller, table, {**data, **incoming, "id": key}) or (
            row is not None and not may_write(conn, caller, table, {**data, "id": key})):
        return [_refuse(conn, caller, change, row is not None and (data, fields))]
    rev = _next_rev(conn)
    writer = [rev, caller.device_id, caller.username, at]
    found: list[dict[str, Any]] = []
    for name, value in incoming.items():
        seen = fields.get(name)
        if (row is not None and name not in STAMP_FIELDS and seen is not None
                and int(seen[0]) > base and seen[1] != caller.device_id
                and data.get(name) != value
                and name not in LAST_WRITER_WINS.get(table, ())):
            found.append(_conflict(conn, caller, table, key, name, data, seen, value, at))
            continue
        data[name] = value
        if name not in STAMP_FIELDS:
            fields[name] = writer
    if found and all(name in STAMP_FIELDS or any(c["field"] == name for c in found)
                     for name in incoming):
        # Nothing of the change stood: keep the server's stamps so the row reads as before.
        data["updated_at"], data["origin"] = (row[0].get("updated_at"), row[0].get("origin"))
    _write_row(conn, table, key, data, fields, rev, caller.device_id, seq,
               held=(row[0] if row else None,))
    return found


def _refuse(conn: psycopg.Connection, caller: Caller, change: dict[str, Any],
            held: tuple[dict[str, Any], dict[str, Any]] | bool) -> dict[str, Any]:
    """Refuse a change, keep the refusal for the district's supervisors, and say what the
    device must do: take the central row back (logged again, so its next pull brings it),
    or, for a row the central store never had, remove its own."""
    table, key = str(change["table"]), str(change["key"])
    fields: dict[str, Any] = change["fields"]
    if held:
        data, writers = held  # type: ignore[misc]
        rev = _next_rev(conn)
        _write_row(conn, table, key, data, writers, rev, caller.device_id, int(change["seq"]))
        where = data
    else:
        where = {**fields, "id": key}
    case_id = _case_of(conn, table, where)
    district = _district_of(conn, table, where, case_id)
    ref = (_case_ref(conn, case_id) or where.get("ref") or where.get("case_ref")
           if case_id else None)
    outcome = "put back" if held else "removed"
    refusal_id = conn.execute(
        "INSERT INTO refusal (tbl, key, district, case_ref, fields, device_id, seq, "
        "device_user, device_at, outcome) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "RETURNING id",
        (table, key, district or fields.get("district"), ref, Jsonb(fields), caller.device_id,
         int(change["seq"]), caller.username, change.get("at"), outcome)).fetchone()[0]
    return {"id": refusal_id, "table": table, "key": key, "ref": ref, "refused": True,
            "outcome": outcome}


def _case_ref(conn: psycopg.Connection, case_id: str | None) -> str | None:
    """The reference of the case ``case_id`` as the central store holds it (None if not)."""
    if not case_id:
        return None
    found = conn.execute("SELECT data->>'ref' FROM record WHERE tbl = 'case' AND key = %s",
                         (case_id,)).fetchone()
    return found[0] if found else None


REFUSAL_COLUMNS = ("id, tbl, key, district, case_ref, device_id, device_user, device_at, "
                   "outcome, refused_at")


def list_refusals(conn: psycopg.Connection, caller: Caller, limit: int = 500
                  ) -> list[dict[str, Any]]:
    """Refused changes: a supervisor's districts', anyone else's own device's; newest first.

    The fields the device sent stay centrally (they may be personal data)."""
    with conn.cursor(row_factory=dict_row) as cur:
        if caller.user.get("role") == "supervisor":
            districts = [d for d in (caller.user.get("districts") or "").split(",") if d]
            rows = cur.execute(f"SELECT {REFUSAL_COLUMNS} FROM refusal WHERE district = "
                               "ANY(%s) ORDER BY id DESC LIMIT %s", (districts, limit))
        else:
            rows = cur.execute(f"SELECT {REFUSAL_COLUMNS} FROM refusal WHERE device_id = %s "
                               "ORDER BY id DESC LIMIT %s", (caller.device_id, limit))
        found = rows.fetchall()
    for row in found:
        row["table"] = row.pop("tbl")
        row["ref"] = row.pop("case_ref")
        row["refused_at"] = row["refused_at"].isoformat()
    return found


def _conflict(conn: psycopg.Connection, caller: Caller, table: str, key: str, name: str,
              data: dict[str, Any], seen: list[Any], value: Any, at: str) -> dict[str, Any]:
    case_id = _case_of(conn, table, data)
    district = _district_of(conn, table, data, case_id)
    ref = _case_ref(conn, case_id)
    conflict_id = conn.execute(
        "INSERT INTO conflict (tbl, key, field, district, case_ref, server_value, server_rev, "
        "server_device, server_user, server_at, device_value, device_id, device_user, device_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (table, key, name, district, ref, Jsonb(data.get(name)), seen[0], seen[1], seen[2],
         seen[3], Jsonb(value), caller.device_id, caller.username, at)).fetchone()[0]
    return {"id": conflict_id, "table": table, "key": key, "field": name, "ref": ref,
            "server_value": data.get(name), "device_value": value, "district": district,
            "opened_at": now().isoformat(), "server_user": seen[2],
            "device_user": caller.username}


# --- pull -------------------------------------------------------------------------------------

def pull(conn: psycopg.Connection, caller: Caller, scope: str, after: int,
         limit: int) -> dict[str, Any]:
    """The changes of one of the caller's scopes after version ``after``, oldest first."""
    if scope not in caller.scopes:
        raise CentralError(f"This user may not pull {scope}.", 403)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT version, tbl AS table, key, op, data, rev FROM change "
            "WHERE scope = %s AND version > %s ORDER BY version LIMIT %s",
            (scope, after, limit + 1)).fetchall()
    more = len(rows) > limit
    return {"scope": scope, "changes": rows[:limit], "more": more}


STREAM_TABLES_MAX = 200
STREAM_COLUMNS_MAX = 500


def stream_columns(asked: Any) -> dict[str, list[str]] | None:
    """The tables and columns a device asked its stream in (``None``: it did not ask, or
    asked for something that is not a small map of names to lists of names)."""
    if not isinstance(asked, dict) or not asked or len(asked) > STREAM_TABLES_MAX:
        return None
    columns: dict[str, list[str]] = {}
    for table, names in asked.items():
        if (not isinstance(table, str) or not isinstance(names, list) or not names
                or len(names) > STREAM_COLUMNS_MAX
                or not all(isinstance(n, str) and 0 < len(n) <= 100 and "\x00" not in n
                           for n in names)
                or len(table) > 100 or "\x00" in table):
            return None
        columns[table] = names
    return columns


# How PostgreSQL reads a stream (for its transaction only). Left to itself, for a scope
# that is a large part of the log, it scans the whole change table with two parallel
# workers, sorts the scope's rows by version (spilling to disk past work_mem) and compiles
# the query with JIT first; read in version order from the primary key, which is the
# stream's order, the same rows cost it about a third less CPU (at 100,000 cases, 14
# scopes in columns: 6.2-6.7 s rather than 8.0-9.0 s without the parallel workers, and
# 9.2-10.3 s with JIT), and no workers compete with the device for a small machine's cores.
STREAM_PLAN = ("SET LOCAL jit = off", "SET LOCAL max_parallel_workers_per_gather = 0",
               "SET LOCAL enable_sort = off")


def stream_query(scope: str, after: int, upto: int, *, text: bool = False,
                 columns: dict[str, list[str]] | None = None) -> sql.Composed:
    """The COPY that :func:`stream_scope` sends (see there)."""
    where = sql.SQL("scope = {} AND version > {} AND version <= {}").format(
        sql.Literal(scope), sql.Literal(int(after)), sql.Literal(int(upto)))
    if columns and text:
        width = max(len(names) for names in columns.values())
        tables = sql.SQL(" ").join(
            sql.SQL("WHEN {} THEN {}::text[]").format(sql.Literal(table), sql.Literal(names))
            for table, names in columns.items())
        # Past a table's last column, an empty field rather than a null: the device's
        # reader splits each line, and an empty string costs it no new object.
        fields = sql.SQL(", ").join(
            sql.SQL("CASE WHEN cols[{0}] IS NULL THEN '' ELSE data->>cols[{0}] END").format(
                sql.Literal(i + 1)) for i in range(width))
        # OFFSET 0: the table's column list worked out once per row, not once per field.
        query = sql.SQL(
            "COPY (SELECT version, tbl, key, op, rev, CASE WHEN op = 'upsert' AND cols IS "
            "NOT NULL AND data ?& cols THEN '' ELSE data::text END, {} FROM (SELECT "
            "version, tbl, key, op, rev, data, CASE tbl {} END AS cols FROM change WHERE {} "
            "ORDER BY version OFFSET 0) AS rows ORDER BY version) TO STDOUT WITH (FORMAT text)"
        ).format(fields, tables, where)
    else:
        query = sql.SQL(
            "COPY (SELECT version, tbl, key, op, data, rev FROM change WHERE {} "
            "ORDER BY version) TO STDOUT WITH (FORMAT {})"
        ).format(where, sql.SQL("text" if text else "csv"))
    return query


def stream_scope(conn: psycopg.Connection, caller: Caller, scope: str, after: int,
                 upto: int, *, text: bool = False,
                 columns: dict[str, list[str]] | None = None) -> Iterator[bytes]:
    """A scope's changes after ``after`` up to ``upto`` straight from COPY: as CSV, or
    (``text``) in COPY's text format, tab-separated lines that a device splits far
    faster than it parses CSV (whose quoted JSON it reads character by character).

    With ``columns`` (the device's own columns of each table; text format), each row's
    fields come as columns of their own, in the device's order, rather than as one JSON
    object per row: ``version, tbl, key, op, rev, whole`` then the fields (``->>``: a
    string as itself, a number as written, ``true``/``false``, null as COPY's null), as
    many as the widest table, the narrower padded with empty fields. ``whole`` is empty when the
    fields are all there is; it holds the row's JSON (and the device reads that instead)
    for a change other than an upsert, a table the device did not name, or a row that
    lacks one of the device's columns (whose defaults the device fills in)."""
    if scope not in caller.scopes:
        raise CentralError(f"This user may not pull {scope}.", 403)
    query = stream_query(scope, after, upto, text=text, columns=columns)
    # COPY gives a block per row; the response carries them in large pieces.
    piece = bytearray()
    with conn.transaction(), conn.cursor() as cur:
        for setting in STREAM_PLAN:
            cur.execute(setting)
        with cur.copy(query) as copy:
            for block in copy:
                piece += block
                if len(piece) >= STREAM_PIECE:
                    yield bytes(piece)
                    piece.clear()
    if piece:
        yield bytes(piece)


def scope_heads(conn: psycopg.Connection, scopes: list[str]) -> dict[str, int]:
    rows = conn.execute("SELECT scope, version FROM scope_counter WHERE scope = ANY(%s)",
                        (scopes,)).fetchall()
    heads = {s: 0 for s in scopes}
    heads.update({r[0]: r[1] for r in rows})
    return heads


# --- conflicts --------------------------------------------------------------------------------

CONFLICT_COLUMNS = ("id, tbl, key, field, district, case_ref, server_value, server_device, "
                    "server_user, server_at, device_value, device_id, device_user, device_at, "
                    "opened_at, resolved_at, resolved_by, resolution")


def _may_settle(caller: Caller) -> list[str]:
    if caller.user.get("role") != "supervisor":
        raise CentralError("Only a supervisor settles conflicts.", 403)
    return [d for d in (caller.user.get("districts") or "").split(",") if d]


def _conflict_json(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["table"] = out.pop("tbl")
    out["ref"] = out.pop("case_ref")
    for name in ("opened_at", "resolved_at"):
        if out.get(name) is not None:
            out[name] = out[name].isoformat()
    return out


def list_conflicts(conn: psycopg.Connection, caller: Caller, *,
                   open_only: bool = True) -> list[dict[str, Any]]:
    districts = _may_settle(caller)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"SELECT {CONFLICT_COLUMNS} FROM conflict WHERE district = ANY(%s) "
            + ("AND resolved_at IS NULL " if open_only else "") + "ORDER BY id",
            (districts,)).fetchall()
    return [_conflict_json(r) for r in rows]


def conflicts_for_device(conn: psycopg.Connection, caller: Caller) -> list[dict[str, Any]]:
    """The open conflicts a device keeps for its user: a supervisor's districts', anyone
    else's raised by this device (no values: only what My day lists)."""
    query = ("SELECT id, tbl, key, field, district, case_ref, opened_at, server_user, "
             "device_user FROM conflict WHERE resolved_at IS NULL AND ")
    if caller.user.get("role") == "supervisor":
        districts = [d for d in (caller.user.get("districts") or "").split(",") if d]
        rows = conn.execute(query + "district = ANY(%s) ORDER BY id", (districts,))
    else:
        rows = conn.execute(query + "device_id = %s ORDER BY id", (caller.device_id,))
    return [{"id": r[0], "table": r[1], "key": r[2], "field": r[3], "district": r[4],
             "ref": r[5], "opened_at": r[6].isoformat(), "server_user": r[7],
             "device_user": r[8]} for r in rows.fetchall()]


def get_conflict(conn: psycopg.Connection, caller: Caller, conflict_id: int) -> dict[str, Any]:
    districts = _may_settle(caller)
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {CONFLICT_COLUMNS} FROM conflict WHERE id = %s "
                          "AND district = ANY(%s)", (conflict_id, districts)).fetchone()
    if row is None:
        raise CentralError(f"There is no conflict {conflict_id} in your districts.", 404)
    return _conflict_json(row)


def resolve_conflict(conn: psycopg.Connection, caller: Caller, conflict_id: int,
                     value: Any) -> dict[str, Any]:
    """Settle a conflict: ``value`` becomes the field's value, as an ordinary change."""
    conflict = get_conflict(conn, caller, conflict_id)
    if conflict["resolved_at"] is not None:
        raise CentralError(f"Conflict {conflict_id} is already settled.", 409)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        row = conn.execute("SELECT data, fields FROM record WHERE tbl = %s AND key = %s "
                           "FOR UPDATE", (conflict["table"], conflict["key"])).fetchone()
        data, fields = dict(row[0]), dict(row[1])
        rev = conn.execute("SELECT nextval('rev_seq')").fetchone()[0]
        at = now().isoformat()
        data[conflict["field"]] = value
        fields[conflict["field"]] = [rev, caller.device_id, caller.username, at]
        data["origin"] = caller.device_id
        _write_row(conn, conflict["table"], conflict["key"], data, fields, rev,
                   caller.device_id, None)
        conn.execute("UPDATE conflict SET resolved_at = now(), resolved_by = %s, "
                     "resolution = %s WHERE id = %s",
                     (caller.username, Jsonb(value), conflict_id))
    return get_conflict(conn, caller, conflict_id)


# --- audit chains -----------------------------------------------------------------------------

def push_audit(conn: psycopg.Connection, caller: Caller,
               events: list[dict[str, Any]]) -> dict[str, Any]:
    """Append the next links of the device's audit chain, refusing a gap or a rewrite.

    The links are checked against each other and against what the central store holds
    (sequence without gaps, each naming the previous hash); the hashes themselves are the
    device's to verify, and the central copy is what a rewritten device log is caught by.
    """
    with conn.transaction():
        conn.execute("SELECT 1 FROM device WHERE id = %s FOR UPDATE", (caller.device_id,))
        last = conn.execute("SELECT seq, hash FROM audit_log WHERE device = %s "
                            "ORDER BY seq DESC LIMIT 1", (caller.device_id,)).fetchone()
        head_seq, head_hash = (int(last[0]), str(last[1])) if last else (0, "0" * 64)
        for event in sorted(events, key=lambda e: int(e["seq"])):
            seq = int(event["seq"])
            if seq <= head_seq:
                held = conn.execute("SELECT hash FROM audit_log WHERE device = %s AND seq = %s",
                                    (caller.device_id, seq)).fetchone()
                if held and held[0] != event["hash"]:
                    raise CentralError(f"This device's audit log differs from the copy the "
                                       f"central store holds at row {seq}: it was rewritten.",
                                       409)
                continue
            if seq != head_seq + 1 or event["prev_hash"] != head_hash:
                raise CentralError(f"This device's audit log does not follow on from row "
                                   f"{head_seq} the central store holds (row {seq} next).", 409)
            conn.execute("INSERT INTO audit_log (device, seq, event, hash, prev_hash) "
                         "VALUES (%s, %s, %s, %s, %s)",
                         (caller.device_id, seq, Jsonb(event), event["hash"],
                          event["prev_hash"]))
            head_seq, head_hash = seq, str(event["hash"])
    return {"head_seq": head_seq, "head_hash": head_hash}


def audit_hashes(conn: psycopg.Connection, caller: Caller, after: int,
                 limit: int) -> dict[str, Any]:
    """The hashes of the device's audit chain the central store holds, after ``after``."""
    rows = conn.execute("SELECT seq, hash FROM audit_log WHERE device = %s AND seq > %s "
                        "ORDER BY seq LIMIT %s", (caller.device_id, after, limit + 1)).fetchall()
    return {"hashes": [[int(r[0]), r[1]] for r in rows[:limit]], "more": len(rows) > limit}


# --- bulk load (the central demo) -------------------------------------------------------------

def load_rows(conn: psycopg.Connection, tables: Iterable[tuple[str, Iterable[dict]]],
              device: str = "central") -> int:
    """Load whole tables (parents first) as if pushed: records and change log."""
    count = 0
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        for table, rows in tables:
            for data in rows:
                rev = conn.execute("SELECT nextval('rev_seq')").fetchone()[0]
                fields = {name: [rev, device, "demo", ""] for name in data
                          if name not in STAMP_FIELDS}
                _write_row(conn, table, str(data["id"]), data, fields, rev, device, None)
                count += 1
    return count


def is_empty(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM record)").fetchone()[0]
