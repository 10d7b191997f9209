"""Who may do what: roles, their permissions, the signed-in actor, district and case scope.

Every public service function that takes a store is wrapped in :func:`permits`, which
checks the actor's role before the function runs; functions that touch one case then
check its district (:func:`require_district`) or, for partners, that the case is shared
with their agency (:func:`readable_case_ids`). The screens hide what a role cannot do,
but the check that counts is here, under every caller: screen, CLI or test.

A store with no users yet is worked by whoever holds the file (the ``local`` actor,
allowed everything), as before users existed; once a user exists, every call needs a
signed-in actor (``store.actor``), set by :func:`asbtui.services.users.sign_in`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm

from asbtui import disclosure
from asbtui.errors import Forbidden, NotFound, NotSignedIn
from asbtui.models import CaseShare, District, PartyRole, Role, User

if TYPE_CHECKING:
    from asbtui.db import Store


class Permission(StrEnum):
    """What a role may do; the value is how a refusal names it."""

    READ_CASES = "read cases"
    WORK_CASES = "work cases"
    CLOSE_CASES = "close cases"
    ASSIGN_CASES = "assign cases"
    VIEW_PEOPLE = "see people's personal details"
    SHARE_CASES = "share cases with partner agencies"
    WRITE_NOTES = "write partner notes"
    READ_OVERVIEWS = "see force-wide views (dashboard, patterns, trends, deadlines)"
    SOLVE_PROBLEMS = "work problem profiles, case reviews and PSPOs"
    IMPORT_DATA = "import public data"
    READ_AUDIT = "read the audit log"
    REVIEW_RETENTION = "review and erase closed cases' personal data"
    READ_AGENCIES = "read the agency register"
    MANAGE_AGENCIES = "manage partner agencies"
    MANAGE_USERS = "manage users"
    MANAGE_STORE = "back up, migrate or encrypt the store"


_OFFICER = frozenset({
    Permission.READ_CASES, Permission.WORK_CASES, Permission.VIEW_PEOPLE,
    Permission.SHARE_CASES, Permission.WRITE_NOTES, Permission.READ_OVERVIEWS,
    Permission.SOLVE_PROBLEMS, Permission.READ_AGENCIES,
})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: _OFFICER,
    Role.SUPERVISOR: _OFFICER | {
        Permission.CLOSE_CASES, Permission.ASSIGN_CASES, Permission.IMPORT_DATA,
        Permission.READ_AUDIT, Permission.REVIEW_RETENTION,
    },
    Role.PARTNER: frozenset({
        Permission.READ_CASES, Permission.VIEW_PEOPLE, Permission.WRITE_NOTES,
        Permission.READ_AGENCIES,
    }),
    Role.ADMIN: frozenset({
        Permission.MANAGE_STORE, Permission.MANAGE_USERS, Permission.MANAGE_AGENCIES,
        Permission.READ_AGENCIES,
        Permission.READ_AUDIT, Permission.REVIEW_RETENTION, Permission.IMPORT_DATA,
    }),
}

# Roles whose district list limits where they act (a partner is limited by sharing).
DISTRICT_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})
ROLE_LABELS = {Role.OFFICER: "Officer", Role.SUPERVISOR: "Supervisor",
               Role.PARTNER: "Partner", Role.ADMIN: "Admin"}


@dataclass(frozen=True)
class Actor:
    """Who is working: a signed-in user, or ``local`` on a store that has no users."""

    username: str
    role: Role | None
    districts: frozenset[District] = field(default_factory=frozenset)
    agency_id: str | None = None
    agency_name: str = ""
    officer_id: str | None = None
    full_name: str = ""

    @property
    def is_local(self) -> bool:
        return self.role is None

    @property
    def is_partner(self) -> bool:
        return self.role is Role.PARTNER

    @property
    def is_police(self) -> bool:
        return self.role in (None, Role.OFFICER, Role.SUPERVISOR)

    @property
    def role_name(self) -> str:
        return "local" if self.role is None else self.role.value

    @property
    def label(self) -> str:
        if self.role is None:
            return "local (no users)"
        return f"{self.full_name or self.username} ({ROLE_LABELS[self.role]})"

    def may(self, permission: Permission) -> bool:
        return self.role is None or permission in ROLE_PERMISSIONS[self.role]

    def acts_in(self, district: District) -> bool:
        """Whether this actor may act (not just read) in ``district``."""
        if self.role is None:
            return True
        return self.role in DISTRICT_ROLES and district in self.districts


LOCAL = Actor("local", None)


def has_users(store: Store) -> bool:
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.literal(1)).select_from(User)
                                  .where(~User.deleted).limit(1)).first() is not None


def current(store: Store) -> Actor:
    """The actor working on ``store`` now."""
    actor = getattr(store, "actor", None)
    if actor is not None:
        return actor
    if has_users(store):
        raise NotSignedIn("This store has users: sign in first. In the terminal, give "
                          "--user NAME (the PIN is asked for, or read from ASBTUI_PIN).")
    return LOCAL


def require(store: Store, *needed: Permission) -> Actor:
    """The current actor, if its role allows every permission in ``needed``."""
    actor = current(store)
    for permission in needed:
        if not actor.may(permission):
            raise Forbidden(f"Your role ({actor.role_name}) may not {permission.value}.")
    return actor


def require_district(actor: Actor, district: District | str, doing: str = "act") -> None:
    """Refuse an officer or supervisor acting outside their own districts."""
    district = District(district)
    if not actor.acts_in(district):
        own = ", ".join(sorted(d.value for d in actor.districts)) or "none"
        raise Forbidden(f"You may not {doing} in {district.label} ({district.value}): "
                        f"your districts are {own}.")


def readable_case_ids(actor: Actor) -> sa.Select | None:
    """For a partner, a select of the ids of cases shared with their agency (else None)."""
    if not actor.is_partner:
        return None
    return sa.select(CaseShare.case_id).where(
        CaseShare.agency_id == (actor.agency_id or ""), CaseShare.revoked_at.is_(None),
        ~CaseShare.deleted)


P = ParamSpec("P")
R = TypeVar("R")


def permits(*needed: Permission) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a service function with the permissions it needs, and check them on each call.

    The wrapped function's first argument must be the store. ``permits()`` with no
    permission marks a function open to every signed-in actor (or none: sign-in itself).
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            if needed:
                require(args[0], *needed)  # type: ignore[arg-type]
            return function(*args, **kwargs)

        checked.__permissions__ = needed  # type: ignore[attr-defined]
        return checked

    return decorate


def parse_districts(values: Iterable[str]) -> frozenset[District]:
    return frozenset(District(v) for v in values if v)


DEFAULT_DISCLOSED = tuple(PartyRole(r) for r in disclosure.DEFAULT_DISCLOSED)
NO_PEOPLE = disclosure.NO_PEOPLE


def disclosed_by_default(role: PartyRole, withheld: bool) -> bool:
    """Whether a share made without a choice discloses a person of this role."""
    return disclosure.discloses("", "", role, withheld)


def disclosed_party_ids(session: sa.orm.Session, actor: Actor, case_id: str) -> set[str] | None:
    """For a partner, the ids of the case's people their agency's share discloses (never a
    withheld person); None for police and admins, who see everyone.

    The one place that reads a share's choice, by the rule the central store also follows
    for what reaches a partner's device (``asbtui.disclosure.discloses``)."""
    if not actor.is_partner:
        return None
    chosen = session.execute(sa.select(CaseShare.people).where(
        CaseShare.case_id == case_id, CaseShare.agency_id == (actor.agency_id or ""),
        CaseShare.revoked_at.is_(None), ~CaseShare.deleted).limit(1)).scalar()
    if chosen is None or chosen == NO_PEOPLE:
        return set()
    from asbtui.models import Party

    people = session.execute(sa.select(Party.id, Party.role, Party.withheld).where(
        Party.case_id == case_id, ~Party.deleted)).all()
    return {p.id for p in people if disclosure.discloses(chosen, p.id, p.role, p.withheld)}


def no_such_case(actor: Actor | None, ref: str) -> NotFound:
    """The refusal of a case not found: for a partner, the same words as for a case not
    shared with their agency, so that the answer does not tell whether it exists."""
    if actor is not None and actor.role is Role.PARTNER:
        return NotFound(f"There is no case {ref.strip()} shared with your agency.")
    return NotFound(f"There is no case {ref.strip()}.")


def ensure_readable(session: sa.orm.Session, actor: Actor, case_id: str, ref: str) -> None:
    """Refuse a partner a case that is not shared with their agency.

    The message does not say whether such a case exists (:func:`no_such_case`).
    """
    shared = readable_case_ids(actor)
    if shared is None:
        return
    if session.execute(shared.where(CaseShare.case_id == case_id).limit(1)).first() is None:
        raise no_such_case(actor, ref)
