"""Which of a shared case's people a share discloses: the one rule, for the device's
access checks (``services.access.disclosed_party_ids``) and the central store's choice of
what reaches a partner's device. No imports: the sync service uses it too."""

from __future__ import annotations

# Who a share discloses when the officer made no choice (CaseShare.people ''): the victims,
# whom safeguarding partners protect. Perpetrators, reporters and witnesses only when the
# officer chooses them by name; a withheld person never.
DEFAULT_DISCLOSED = ("victim",)
NO_PEOPLE = "-"


def discloses(choice: str | None, party_id: str, role: str, withheld: bool) -> bool:
    """Whether a share whose choice of people is ``choice`` ('-' nobody, ids those people,
    '' the default: ``DEFAULT_DISCLOSED``; None no share) discloses this person."""
    if choice is None or choice == NO_PEOPLE or withheld:
        return False
    if choice:
        return party_id in choice.split(",")
    return str(role) in DEFAULT_DISCLOSED
