"""Keys a role may not use are hidden: in the footer, the help screen and the palette.

A screen (or the app) lists which permission each of its actions needs in
``ACTION_PERMISSIONS``; :class:`PermittedActions` answers Textual's ``check_action`` from
the signed-in actor. This is for the eye only: every service checks the role again, and a
refusal it raises is shown as a notification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from asbtui.services.access import LOCAL, Actor, Permission

if TYPE_CHECKING:
    from textual.dom import DOMNode


def actor_of(node: DOMNode) -> Actor | None:
    """The actor working in the app that ``node`` belongs to (None: nobody signed in)."""
    actor = getattr(node.app, "actor", LOCAL)
    return actor if isinstance(actor, Actor) or actor is None else LOCAL


def may(node: DOMNode, permission: Permission) -> bool:
    actor = actor_of(node)
    return actor is not None and actor.may(permission)


class PermittedActions:
    """Mixin for a Screen or App: hide the actions the actor's role cannot use."""

    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {}
    """The permission each action needs; actions not listed are open to every role."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        needed = self.ACTION_PERMISSIONS.get(action)
        if needed is None:
            return True
        return may(self, needed)  # type: ignore[arg-type]
