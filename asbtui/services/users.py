"""Users: adding them, signing in with a PIN or passphrase, lockout, unlocking.

PINs are hashed with argon2id (argon2-cffi) and never stored or logged in clear. After
``MAX_FAILED_SIGN_INS`` wrong PINs in a row an account is locked for
``LOCKOUT_MINUTES`` (an admin can unlock it sooner); every sign-in, failure and lock is
audited. The first user of a store may be added by whoever holds the file; after that,
only an admin adds users.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from asbtui.dates import utc_now
from asbtui.errors import InvalidInput, NotFound, SignInFailed
from asbtui.models import Agency, District, Officer, Role, User
from asbtui.services.access import (
    DISTRICT_ROLES,
    LOCAL,
    Actor,
    Permission,
    current,
    has_users,
    parse_districts,
    permits,
    require,
)
from asbtui.services.audit import AuditAction, record

if TYPE_CHECKING:
    from collections.abc import Iterable

    from asbtui.db import Store

MAX_FAILED_SIGN_INS = 5
LOCKOUT_MINUTES = 15
PIN_MIN, PIN_MAX = 6, 128
_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class UserView:
    username: str
    full_name: str
    role: Role
    districts: tuple[District, ...]
    agency: str
    collar: str
    active: bool
    locked_until: datetime | None


def check_pin(pin: str) -> str:
    if len(pin) < PIN_MIN:
        raise InvalidInput(f"The PIN or passphrase must have at least {PIN_MIN} characters.",
                           "pin")
    if len(pin) > PIN_MAX:
        raise InvalidInput(f"The PIN or passphrase must have at most {PIN_MAX} characters.",
                           "pin")
    if len(set(pin)) == 1 or pin in "0123456789012345" or pin in "9876543210987654":
        raise InvalidInput("That PIN is too easy to guess (one digit repeated, or a run).",
                           "pin")
    return pin


def normalise_username(name: str) -> str:
    value = name.strip().lower()
    if not _USERNAME.match(value):
        raise InvalidInput("A user name is 2 to 40 characters: letters, digits, '.', '_' or "
                           "'-', starting with a letter.", "username")
    return value


def _find(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower(),
                                           ~User.deleted)).first()


def _actor(connection: sa.Connection, user: sa.Row) -> Actor:
    """The actor of a user row (read with Core, see ``sign_in``)."""
    agencies = Agency.__table__
    agency = connection.execute(sa.select(agencies.c.name).where(
        agencies.c.id == user.agency_id)).scalar() if user.agency_id else None
    return Actor(user.username, Role(user.role),
                 parse_districts(user.districts.split(",")), user.agency_id,
                 agency or "", user.officer_id, user.full_name)


def _view(session: Session, user: User) -> UserView:
    agency = session.get(Agency, user.agency_id) if user.agency_id else None
    officer = session.get(Officer, user.officer_id) if user.officer_id else None
    return UserView(user.username, user.full_name, Role(user.role),
                    tuple(sorted(parse_districts(user.districts.split(",")))),
                    agency.name if agency else "", officer.collar if officer else "",
                    user.active, user.locked_until)


def _adding_actor(store: Store) -> Actor:
    """Whoever adds a user: an admin, or anyone while the store has no users at all."""
    if not has_users(store) and getattr(store, "actor", None) is None:
        return LOCAL
    return require(store, Permission.MANAGE_USERS)


@permits()  # checked inside: the first user may be added by whoever holds the store
def add_user(store: Store, username: str, role: Role | str, pin: str, *,
             full_name: str = "", districts: Iterable[str] = (), agency: str | None = None,
             collar: str | None = None) -> UserView:
    """Add a user. Officers and supervisors need a district; partners an agency."""
    actor = _adding_actor(store)
    name = normalise_username(username)
    try:
        role = Role(str(role).strip().lower())
    except ValueError:
        raise InvalidInput(f"Unknown role '{role}': use officer, supervisor, partner or admin.",
                           "role") from None
    codes = [d.strip().upper() for d in districts if d.strip()]
    unknown = [c for c in codes if c not in District.__members__]
    if unknown:
        raise InvalidInput(f"There is no district '{unknown[0]}': use a code such as THA "
                           "(Thanet) or MAI (Maidstone).", "district")
    wanted = parse_districts(codes)
    if role in DISTRICT_ROLES and not wanted:
        raise InvalidInput(f"A {role.value} needs a district (--district THA).", "district")
    if role not in DISTRICT_ROLES and wanted:
        raise InvalidInput(f"A {role.value} has no district; leave --district out.", "district")
    if role is Role.OFFICER and len(wanted) > 1:
        raise InvalidInput("An officer works in one district; a supervisor may have several.",
                           "district")
    if role is Role.PARTNER and not (agency or "").strip():
        raise InvalidInput("A partner user needs their agency (--agency NAME).", "agency")
    if role is not Role.PARTNER and (agency or "").strip():
        raise InvalidInput("Only partner users belong to an agency.", "agency")
    check_pin(pin)
    with store.session() as session:
        if _find(session, name) is not None:
            raise InvalidInput(f"There is already a user called {name}.", "username")
        user = User(username=name, full_name=" ".join(full_name.split()), role=role,
                    districts=",".join(sorted(d.value for d in wanted)),
                    pin_hash=_hasher.hash(pin))
        if role is Role.PARTNER:
            from asbtui.services.partners import find_agency

            user.agency_id = find_agency(session, agency or "").id
        if collar and collar.strip():
            user.officer_id = _officer_for(session, collar, user.full_name or name,
                                           sorted(wanted)[0] if wanted else None).id
        session.add(user)
        session.flush()
        record(session, store, actor, AuditAction.CREATE, "user", user.id,
               detail=f"username {name}; role {role.value}; districts {user.districts or '-'}")
        return _view(session, user)


def _officer_for(session: Session, collar: str, name: str, district: District | None) -> Officer:
    wanted = collar.strip().upper()
    officer = session.exec(select(Officer).where(Officer.collar == wanted)).first()
    if officer is not None:
        return officer
    if district is None:
        raise InvalidInput("A collar number is for officers and supervisors.", "collar")
    officer = Officer(collar=wanted, name=name, district=district)
    session.add(officer)
    session.flush()
    return officer


_dummy_hashes: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash of no one's PIN, made by the current hasher, for unknown names to verify
    against: an unknown name then costs the same time as a known one."""
    key = id(_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _hasher.hash(secrets.token_hex(16))
    return _dummy_hashes[key]


SIGN_IN_REFUSED = (
    "That user name and PIN do not match, or the account is locked or disabled "
    f"({MAX_FAILED_SIGN_INS} wrong PINs lock it for {LOCKOUT_MINUTES} minutes; an admin "
    "can unlock it)."
)


@permits()  # signing in is what gives an actor
def sign_in(store: Store, username: str, pin: str, *, now: datetime | None = None) -> Actor:
    """Check a user's PIN; on success the store works as that user from now on.

    Every refusal (unknown name, wrong PIN, locked or disabled account) gets the same
    message and costs about the same time (an unknown name is verified against a dummy
    hash), so names cannot be probed; the audit records the real reason. The count of
    wrong PINs and the lock are raised in one UPDATE ... RETURNING, so tries made at the
    same moment from several processes all count.
    """
    at = now or utc_now()
    table = User.__table__
    with store.engine.connect() as connection:
        found = connection.execute(
            sa.select(table.c.id, table.c.pin_hash).where(
                table.c.username == username.strip().lower(), ~table.c.deleted)).first()
    # argon2 is slow on purpose: verify outside any transaction, holding no lock.
    try:
        _hasher.verify(found.pin_hash if found else _dummy_hash(), pin)
        right = found is not None
    except (VerificationError, InvalidHashError):
        right = False
    if found is None:
        raise SignInFailed(SIGN_IN_REFUSED)
    unlocked = sa.or_(table.c.locked_until.is_(None), table.c.locked_until <= at)
    with store.session() as session:
        connection = session.connection()
        if right:
            row = connection.execute(
                sa.update(table).where(table.c.id == found.id, table.c.active, unlocked)
                .values(failed_attempts=0, locked_until=None)
                .returning(table.c.id)).first()
            if row is None:
                user = session.get(User, found.id)
                assert user is not None
                reason = "account disabled" if not user.active else "account locked"
                record(session, store, Actor(user.username, Role(user.role)),
                       AuditAction.SIGN_IN_FAILED, "user", user.id, detail=reason)
                session.commit()
                raise SignInFailed(SIGN_IN_REFUSED, locked=user.active)
            # Read with Core: the ORM's first query sets up every model's mapping (tens of
            # milliseconds) and a sign-in at start is followed by the first frame, which
            # needs none of it.
            signed = connection.execute(
                sa.select(table.c.username, table.c.role, table.c.districts,
                          table.c.agency_id, table.c.officer_id, table.c.full_name,
                          table.c.pin_hash).where(table.c.id == found.id)).one()
            if _hasher.check_needs_rehash(signed.pin_hash):
                # Through the ORM, so that the new hash is stamped for sync as any change.
                user = session.get(User, found.id)
                assert user is not None
                user.pin_hash = _hasher.hash(pin)
            actor = _actor(connection, signed)
            record(session, store, actor, AuditAction.SIGN_IN, "user", found.id)
        else:
            reaching = table.c.failed_attempts + 1 >= MAX_FAILED_SIGN_INS
            row = connection.execute(
                sa.update(table).where(table.c.id == found.id, unlocked)
                .values(failed_attempts=sa.case((reaching, 0),
                                                else_=table.c.failed_attempts + 1),
                        locked_until=sa.case(
                            (reaching, at + timedelta(minutes=LOCKOUT_MINUTES)),
                            else_=table.c.locked_until))
                .returning(table.c.failed_attempts, table.c.locked_until)).first()
            user = session.get(User, found.id)
            assert user is not None
            who = Actor(user.username, Role(user.role))
            if row is None:
                detail = "wrong PIN while locked"
            elif row.locked_until is not None:
                detail = f"{MAX_FAILED_SIGN_INS} wrong PINs"
            else:
                detail = f"wrong PIN ({row.failed_attempts} of {MAX_FAILED_SIGN_INS})"
            action = AuditAction.LOCK if row is not None and row.locked_until is not None \
                else AuditAction.SIGN_IN_FAILED
            record(session, store, who, action, "user", user.id, detail=detail)
            session.commit()
            raise SignInFailed(SIGN_IN_REFUSED,
                               locked=row is None or row.locked_until is not None)
    store.actor = actor
    return actor


@permits()
def sign_out(store: Store) -> None:
    store.actor = None


@permits(Permission.MANAGE_USERS)
def unlock(store: Store, username: str) -> UserView:
    actor = current(store)
    with store.session() as session:
        user = _existing(session, username)
        user.locked_until, user.failed_attempts = None, 0
        session.add(user)
        record(session, store, actor, AuditAction.UNLOCK, "user", user.id)
        return _view(session, user)


@permits(Permission.MANAGE_USERS)
def set_active(store: Store, username: str, active: bool) -> UserView:
    actor = current(store)
    with store.session() as session:
        user = _existing(session, username)
        if not active and user.username == actor.username:
            raise InvalidInput("You cannot disable your own account.", "username")
        before, user.active = user.active, active
        session.add(user)
        record(session, store, actor, AuditAction.CHANGE, "user", user.id,
               detail=f"active: {before} -> {active}")
        return _view(session, user)


@permits()  # checked inside: an admin, or a user changing their own PIN
def set_pin(store: Store, username: str, pin: str) -> None:
    actor = current(store)
    with store.session() as session:
        user = _existing(session, username)
        if user.username != actor.username:
            require(store, Permission.MANAGE_USERS)
        user.pin_hash = _hasher.hash(check_pin(pin))
        user.failed_attempts, user.locked_until = 0, None
        session.add(user)
        record(session, store, actor, AuditAction.CHANGE, "user", user.id, detail="PIN changed")


def _existing(session: Session, username: str) -> User:
    user = _find(session, username)
    if user is None:
        raise NotFound(f"There is no user called {username.strip()}.")
    return user


@permits(Permission.MANAGE_USERS)
def users(store: Store) -> list[UserView]:
    with store.session() as session:
        return [_view(session, u) for u in
                session.exec(select(User).where(~User.deleted).order_by(User.username)).all()]
